/* CLIP tokenizer against the golden ids (shared/golden/tokenizer.json, produced by the Python
 * reference with the real vocabulary), plus invalid-input and long-input behaviour. */
#include "check.h"
#include "clip_tokenizer.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

/* Hex string -> NUL-terminated bytes (caller frees); NULL on malformed hex. */
static char *unhex(const char *hex) {
    size_t n = strlen(hex);
    if (n % 2) return NULL;
    char *out = malloc(n / 2 + 1);
    for (size_t i = 0; out && i < n / 2; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1) {
            free(out);
            return NULL;
        }
        out[i] = (char)v;
    }
    if (out) out[n / 2] = '\0';
    return out;
}

static bool ids_equal(const json_t *expected, const int64_t *got, size_t n) {
    if (!json_is_array(expected) || json_array_size(expected) != n) return false;
    for (size_t i = 0; i < n; i++)
        if (json_integer_value(json_array_get(expected, i)) != got[i]) return false;
    return true;
}

static void print_ids(const char *label, const int64_t *ids, size_t n) {
    fprintf(stderr, "  %s:", label);
    for (size_t i = 0; i < n; i++)
        fprintf(stderr, " %lld", (long long)ids[i]);
    fputc('\n', stderr);
}

static void check_case(const clip_tokenizer *tok, const json_t *c, size_t index) {
    const char *hex = json_string_value(json_object_get(c, "text_utf8_hex"));
    char *text = hex ? unhex(hex) : NULL;
    CHECK_MSG(text != NULL, "case %zu: no usable text_utf8_hex", index);
    if (!text) return;
    const json_t *want_tokens = json_object_get(c, "tokens");
    size_t want_n = (size_t)json_integer_value(json_object_get(c, "n_tokens"));

    int64_t ids[CLIP_CONTEXT_LENGTH];
    int n_untruncated = -1;
    char err[256] = "";
    int rc = clip_tokenizer_encode_err(tok, text, ids, &n_untruncated, err, sizeof err);
    CHECK_MSG(rc == 0, "case %zu: encode failed: %s", index, err);
    CHECK_MSG(rc == 0 && n_untruncated == (int)want_n, "case %zu: n_tokens %d, want %zu", index,
              n_untruncated, want_n);
    bool ok = rc == 0 && ids_equal(json_object_get(c, "ids"), ids, CLIP_CONTEXT_LENGTH);
    CHECK_MSG(ok, "case %zu (%s): ids differ", index, text);
    if (!ok && rc == 0) print_ids("got", ids, CLIP_CONTEXT_LENGTH);

    size_t n = 0;
    int64_t *tokens = malloc((want_n + 1) * sizeof *tokens);
    rc = clip_tokenizer_tokenize(tok, text, tokens, want_n + 1, &n, err, sizeof err);
    CHECK_MSG(rc == 0 && n == want_n && ids_equal(want_tokens, tokens, n),
              "case %zu (%s): untruncated tokens differ (%zu vs %zu)", index, text, n, want_n);
    free(tokens);
    free(text);
}

static void check_golden(const clip_tokenizer *tok) {
    json_error_t jerr;
    json_t *root = json_load_file(golden_path("tokenizer.json"), 0, &jerr);
    CHECK_MSG(root != NULL, "cannot load %s: %s", golden_path("tokenizer.json"), jerr.text);
    if (!root) return;
    CHECK(json_integer_value(json_object_get(root, "bos")) == clip_tokenizer_bos(tok));
    CHECK(json_integer_value(json_object_get(root, "eos")) == clip_tokenizer_eos(tok));
    const json_t *cases = json_object_get(root, "cases");
    CHECK_MSG(json_array_size(cases) == 33, "expected 33 cases, got %zu", json_array_size(cases));
    for (size_t i = 0; i < json_array_size(cases); i++)
        check_case(tok, json_array_get(cases, i), i);
    json_decref(root);
}

static void check_rejects(const clip_tokenizer *tok, const char *text, const char *what) {
    int64_t ids[CLIP_CONTEXT_LENGTH];
    for (int i = 0; i < CLIP_CONTEXT_LENGTH; i++)
        ids[i] = -7;
    char err[256] = "";
    int rc = clip_tokenizer_encode_err(tok, text, ids, NULL, err, sizeof err);
    CHECK_MSG(rc == -1 && err[0] != '\0', "%s: accepted (rc %d)", what, rc);
    CHECK_MSG(ids[0] == -7, "%s: ids written on failure", what);
    CHECK(clip_tokenizer_encode(tok, text, ids, NULL) == -1);
}

static void check_invalid_utf8(const clip_tokenizer *tok) {
    check_rejects(tok, "abc\xff", "stray 0xFF");
    check_rejects(tok, "caf\xc3", "truncated 2-byte sequence");
    check_rejects(tok, "\xe2\x82", "truncated 3-byte sequence");
    check_rejects(tok, "a\x80 b", "lone continuation byte");
    check_rejects(tok, "\xc0\xaf", "overlong '/'");
    check_rejects(tok, "\xe0\x80\xaf", "overlong 3-byte");
    check_rejects(tok, "\xed\xa0\x80", "UTF-16 surrogate");
    check_rejects(tok, "\xf4\x90\x80\x80", "above U+10FFFF");
    check_rejects(tok, "\xf8\x88\x80\x80\x80", "5-byte form");
}

/* Inputs beyond the reference's own tests: properties derived from the pipeline rules. */
static void check_properties(const clip_tokenizer *tok) {
    int64_t a[CLIP_CONTEXT_LENGTH], b[CLIP_CONTEXT_LENGTH];
    int na, nb;
    /* Whitespace collapses and case folds: both spellings give the same ids. */
    CHECK(clip_tokenizer_encode(tok, "make it autumn", a, &na) == 0);
    CHECK(clip_tokenizer_encode(tok, " \t MAKE\u2003it\n\n AuTuMn \r\n", b, &nb) == 0);
    CHECK(na == 3 && nb == 3 && memcmp(a, b, sizeof a) == 0);
    /* Special-token text is one token, in any case. */
    CHECK(clip_tokenizer_encode(tok, "<|startoftext|>a<|ENDOFTEXT|>", a, &na) == 0);
    CHECK(na == 3 && a[1] == 49406 && a[3] == 49407);
    /* The final sigma of a capitalised Greek word lowercases to U+03C2, others to U+03C3:
     * "ΟΔΟΣ" must tokenize as "οδος" with a final sigma. */
    CHECK(clip_tokenizer_encode(tok, "\xce\x9f\xce\x94\xce\x9f\xce\xa3", a, &na) == 0);
    CHECK(clip_tokenizer_encode(tok, "\xce\xbf\xce\xb4\xce\xbf\xcf\x82", b, &nb) == 0);
    CHECK(na == nb && memcmp(a, b, sizeof a) == 0);
    CHECK(clip_tokenizer_encode(tok, "\xce\xbf\xce\xb4\xce\xbf\xcf\x83", b, &nb) == 0);
    CHECK(memcmp(a, b, sizeof a) != 0);
}

/* 1 MB is rejected cleanly; 100 kB of one long word and of words tokenizes quickly. */
static void check_long_inputs(const clip_tokenizer *tok) {
    size_t big = 1 << 20;
    char *text = malloc(big + 1);
    memset(text, 'a', big);
    text[big] = '\0';
    check_rejects(tok, text, "1 MB prompt");

    size_t n = CLIP_MAX_INPUT_BYTES;
    unsigned state = 12345;
    for (size_t i = 0; i < n; i++) {
        state = state * 1103515245u + 12345u;
        text[i] = (char)('a' + (state >> 16) % 26);
    }
    text[n] = '\0';
    int64_t ids[CLIP_CONTEXT_LENGTH];
    int count = 0;
    clock_t t0 = clock();
    CHECK(clip_tokenizer_encode(tok, text, ids, &count) == 0);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK_MSG(count > 75 && ids[76] == 49407 && ids[75] != 49407, "count %d", count);
    CHECK_MSG(secs < 5.0, "100 kB single word took %.2f s", secs);
    for (size_t i = 5; i < n; i += 6)
        text[i] = ' ';
    CHECK(clip_tokenizer_encode(tok, text, ids, &count) == 0);
    CHECK(count > 75);
    free(text);
}

/* UTF-8 of the symbol openai/CLIP gives byte b (printable Latin-1 bytes stand for themselves,
 * the other 68 get U+0100.. in byte order), with "</w>" when end is set. */
static void byte_symbol(int b, bool end, char *out) {
    int cp = b, extra = 0;
    bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
    if (!printable) {
        for (int x = 0; x < b; x++)
            if (!((x >= 33 && x <= 126) || (x >= 161 && x <= 172) || x >= 174)) extra++;
        cp = 256 + extra;
    }
    if (cp < 0x80)
        snprintf(out, 16, "%c%s", cp, end ? "</w>" : "");
    else
        snprintf(out, 16, "%c%c%s", 0xC0 | (cp >> 6), 0x80 | (cp & 0x3F), end ? "</w>" : "");
}

/* A hand-made HF vocab.json/merges.txt with ids unlike CLIP's: the loader must take ids from
 * the file and apply merges by rank, non-overlapping, left to right. */
static void check_hf_loader(void) {
    char dir[] = "/tmp/i2i_test_tok_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char vocab_path[64], merges_path[64], sym[16], err[256] = "";
    snprintf(vocab_path, sizeof vocab_path, "%s/vocab.json", dir);
    snprintf(merges_path, sizeof merges_path, "%s/merges.txt", dir);
    json_t *vocab = json_object();
    for (int b = 0; b < 256; b++) {
        byte_symbol(b, false, sym);
        json_object_set_new(vocab, sym, json_integer(1000 + b));
        byte_symbol(b, true, sym);
        json_object_set_new(vocab, sym, json_integer(2000 + b));
    }
    json_object_set_new(vocab, "aa", json_integer(5));
    json_object_set_new(vocab, "aaa</w>", json_integer(6));
    json_object_set_new(vocab, "hi</w>", json_integer(7));
    json_object_set_new(vocab, "<|startoftext|>", json_integer(10));
    json_object_set_new(vocab, "<|endoftext|>", json_integer(11));
    CHECK(json_dump_file(vocab, vocab_path, 0) == 0);
    FILE *f = fopen(merges_path, "w");
    CHECK(f != NULL);
    if (f) {
        fputs("#version: 0.2\na a\naa a</w>\nh i</w>\n", f);
        fclose(f);
    }
    clip_tokenizer *tok = clip_tokenizer_load_hf(vocab_path, merges_path, err, sizeof err);
    CHECK_MSG(tok != NULL, "load_hf: %s", err);
    if (tok) {
        int64_t ids[CLIP_CONTEXT_LENGTH];
        int n = 0;
        CHECK(clip_tokenizer_encode(tok, "AAA hi aaaa", ids, &n) == 0);
        /* aaa -> [aa][a</w>] -> aaa</w>; aaaa -> [aa][a][a</w>] (overlapping pair skipped). */
        int64_t want[] = {10, 6, 7, 5, 1000 + 'a', 2000 + 'a', 11, 11};
        CHECK_MSG(n == 5, "n %d", n);
        CHECK(memcmp(ids, want, sizeof want) == 0 && ids[76] == 11);
        clip_tokenizer_free(tok);
    }
    json_object_del(vocab, "<|endoftext|>");
    CHECK(json_dump_file(vocab, vocab_path, 0) == 0);
    CHECK(clip_tokenizer_load_hf(vocab_path, merges_path, err, sizeof err) == NULL);
    CHECK_MSG(strstr(err, "endoftext") != NULL, "err: %s", err);
    json_decref(vocab);
    remove(vocab_path);
    remove(merges_path);
    remove(dir);
}

int main(void) {
    char err[512] = "";
    const char *path = clip_tokenizer_default_vocab();
    clock_t t0 = clock();
    clip_tokenizer *tok = clip_tokenizer_load_bpe_gz(path, err, sizeof err);
    double load_s = (double)(clock() - t0) / CLOCKS_PER_SEC;
    CHECK_MSG(tok != NULL, "load %s: %s", path, err);
    if (!tok) return CHECK_DONE();
    CHECK_MSG(load_s < 1.0, "loading took %.2f s", load_s);
    CHECK(clip_tokenizer_vocab_size(tok) == 49408);

    check_golden(tok);
    check_invalid_utf8(tok);
    check_properties(tok);
    check_long_inputs(tok);
    check_hf_loader();

    CHECK(clip_tokenizer_load_bpe_gz("/nonexistent/vocab.txt.gz", err, sizeof err) == NULL);
    CHECK(strstr(err, "/nonexistent/vocab.txt.gz") != NULL);
    clip_tokenizer_free(tok);
    return CHECK_DONE();
}
