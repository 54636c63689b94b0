/* CLIP byte-level BPE tokenizer with Stable Diffusion 1.x framing:
 *   ids = [49406] + tokens[:75] + [49407], padded with 49407 to 77.
 * Text is cleaned the way the reference does (collapse Unicode whitespace, strip, Python
 * str.lower()), split with the CLIP pattern, and BPE-merged by merge rank. No ftfy, no HTML
 * unescaping, no Unicode normalization.
 * A loaded tokenizer is read-only: one instance may be shared by any number of threads. */
#ifndef I2I_CLIP_TOKENIZER_H
#define I2I_CLIP_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#define CLIP_CONTEXT_LENGTH 77
#define CLIP_MAX_TEXT_TOKENS (CLIP_CONTEXT_LENGTH - 2)
/* Longer prompts are rejected with an error rather than tokenized. */
#define CLIP_MAX_INPUT_BYTES 100000

typedef struct clip_tokenizer clip_tokenizer;

/* Loads openai/CLIP's bpe_simple_vocab_16e6.txt.gz (header line, then merges 1..48894).
 * Returns NULL with a message in err on failure. */
clip_tokenizer *clip_tokenizer_load_bpe_gz(const char *path, char *err, size_t errlen);

/* Loads a HuggingFace CLIPTokenizer pair: vocab.json (token -> id) and merges.txt
 * ("#version" header, then "left right" lines; like HF, at most 48894 merges are used). */
clip_tokenizer *clip_tokenizer_load_hf(const char *vocab_json, const char *merges_txt, char *err,
                                       size_t errlen);

void clip_tokenizer_free(clip_tokenizer *t);

/* $I2I_ASSET_DIR/bpe_simple_vocab_16e6.txt.gz if that variable is set, else the same file
 * in the asset directory compiled in. The string is valid until the next call. */
const char *clip_tokenizer_default_vocab(void);

/* Tokenizes utf8 into the 77 framed model ids. *n_tokens_untruncated (may be NULL) receives
 * the number of text tokens before truncation to 75. Returns 0, or -1 for invalid UTF-8 or
 * input over CLIP_MAX_INPUT_BYTES (ids then untouched). */
int clip_tokenizer_encode(const clip_tokenizer *t, const char *utf8,
                          int64_t ids[CLIP_CONTEXT_LENGTH], int *n_tokens_untruncated);

/* Same as clip_tokenizer_encode, with the reason for a failure written to err. */
int clip_tokenizer_encode_err(const clip_tokenizer *t, const char *utf8,
                              int64_t ids[CLIP_CONTEXT_LENGTH], int *n_tokens_untruncated,
                              char *err, size_t errlen);

/* The untruncated text tokens (no start/end): writes the first min(n, cap) to tokens (which
 * may be NULL when cap is 0) and the total count to *n. Returns 0, or -1 with err set. */
int clip_tokenizer_tokenize(const clip_tokenizer *t, const char *utf8, int64_t *tokens, size_t cap,
                            size_t *n, char *err, size_t errlen);

/* Vocabulary size (49408 for CLIP) and the start/end token ids. */
int clip_tokenizer_vocab_size(const clip_tokenizer *t);
int64_t clip_tokenizer_bos(const clip_tokenizer *t);
int64_t clip_tokenizer_eos(const clip_tokenizer *t);

#endif
