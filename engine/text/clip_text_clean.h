/* Text cleanup that precedes CLIP's BPE (see clip_tokenizer.c for the whole
 * pipeline). Code points are uint32_t; all functions work on caller buffers. */
#ifndef I2I_CLIP_TEXT_CLEAN_H
#define I2I_CLIP_TEXT_CLEAN_H

#include <stddef.h>
#include <stdint.h>

/* Strict UTF-8 decoding into out (room for len code points). Returns the
 * number of code points, or -1 with err naming the offending byte offset. */
long text_decode_utf8(const unsigned char *s, size_t len, uint32_t *out, char *err, size_t errlen);
/* Python's regex \s+ -> " ", then str.strip(); in place, returns the new length. */
size_t text_collapse_whitespace(uint32_t *cp, size_t n);
/* Python's str.lower() of cp[0..n) into out (room for 3n); returns the new length. */
size_t text_python_lower(const uint32_t *cp, size_t n, uint32_t *out);
/* UTF-8 of cp[0..n) into out; off[i] is where code point i starts, off[n] the total. */
void text_encode_utf8(const uint32_t *cp, size_t n, unsigned char *out, size_t *off);

#endif
