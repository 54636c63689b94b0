/* Prompt text through the CLIP tokenizer with the shipped vocabulary
 * (assets/bpe_simple_vocab_16e6.txt.gz): the framed 77 ids and the
 * untruncated token list must agree and stay inside the vocabulary. */
#include "clip_tokenizer.h"
#include "support.h"

#include <stdio.h>
#include <stdlib.h>

static clip_tokenizer *tok;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[512];
    if (!tok &&
        !(tok = clip_tokenizer_load_bpe_gz(clip_tokenizer_default_vocab(), err, sizeof err))) {
        fprintf(stderr, "fuzz_tokenizer: %s\n", err);
        abort();
    }
    char *text = fuzz_strndup(data, size);
    int64_t ids[CLIP_CONTEXT_LENGTH];
    int n_untruncated = -1;
    int rc = clip_tokenizer_encode_err(tok, text, ids, &n_untruncated, err, sizeof err);
    int64_t tokens[CLIP_MAX_TEXT_TOKENS];
    size_t n = 0;
    int rc2 = clip_tokenizer_tokenize(tok, text, tokens, CLIP_MAX_TEXT_TOKENS, &n, err, sizeof err);
    if (rc != rc2) abort();
    if (rc == 0) {
        const int vocab = clip_tokenizer_vocab_size(tok);
        if (n_untruncated < 0 || (size_t)n_untruncated != n) abort();
        if (ids[0] != clip_tokenizer_bos(tok)) abort();
        size_t kept = n < CLIP_MAX_TEXT_TOKENS ? n : CLIP_MAX_TEXT_TOKENS;
        for (size_t i = 0; i < kept; i++)
            if (ids[1 + i] != tokens[i] || tokens[i] < 0 || tokens[i] >= vocab) abort();
        for (size_t i = 1 + kept; i < CLIP_CONTEXT_LENGTH; i++)
            if (ids[i] != clip_tokenizer_eos(tok)) abort();
    }
    free(text);
    return 0;
}
