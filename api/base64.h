/* Standard base64 (RFC 4648, '+' '/', optional '=' padding; whitespace is
 * skipped) and the data-URL form "data:<type>;base64,<payload>". */
#ifndef I2I_API_BASE64_H
#define I2I_API_BASE64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes into a new malloc'd buffer; false on a bad character, bad
 * padding or out of memory. */
bool base64_decode(const char *in, size_t in_len, uint8_t **out, size_t *out_len);

/* Returns the payload part of a base64 data URL, or `in` itself when it is
 * not a data URL. NULL when it is a data URL that is not base64. */
const char *base64_strip_data_url(const char *in);

/* Standard base64 with padding, NUL-terminated, malloc'd; NULL when out of
 * memory. */
char *base64_encode(const uint8_t *in, size_t len);
/* The URL-safe alphabet ('-' '_'), unpadded (RFC 4648 section 5). */
char *base64url_encode(const uint8_t *in, size_t len);

#endif
