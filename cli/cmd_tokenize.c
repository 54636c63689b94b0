/* i2i tokenize [--vocab FILE | --hf-vocab VOCAB_JSON --hf-merges MERGES_TXT] [--json] TEXT...:
 * prints the 77 CLIP token ids of TEXT (start, at most 75 text tokens, end, end-padding)
 * space-separated on one line, or as a JSON array with --json. Several TEXT arguments are
 * joined with spaces. A note on stderr says when the text was truncated. */
#include "clip_tokenizer.h"
#include "commands.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tokenize_args {
    const char *vocab, *hf_vocab, *hf_merges;
    bool json;
    int first_text; /* index in argv of the first TEXT argument */
} tokenize_args;

static int tokenize_usage(FILE *f) {
    fprintf(f, "usage: i2i tokenize [--vocab FILE] [--json] [--] TEXT...\n"
               "       i2i tokenize --hf-vocab vocab.json --hf-merges merges.txt [--json] TEXT...\n"
               "  --vocab FILE  bpe_simple_vocab_16e6.txt.gz (default: the bundled asset,\n"
               "                $I2I_ASSET_DIR overrides its folder)\n"
               "  --json        print a JSON array instead of space-separated ids\n");
    return f == stdout ? 0 : 2;
}

/* Returns 0 to go on, 2 for a usage error, -1 after printing --help. */
static int parse_tokenize_args(int argc, char **argv, tokenize_args *a) {
    memset(a, 0, sizeof *a);
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
        const char *opt = argv[i];
        if (!strcmp(opt, "--")) {
            i++;
            break;
        }
        if (!strcmp(opt, "--help")) return tokenize_usage(stdout) - 1;
        if (!strcmp(opt, "--json")) {
            a->json = true;
            continue;
        }
        const char **slot = !strcmp(opt, "--vocab")       ? &a->vocab
                            : !strcmp(opt, "--hf-vocab")  ? &a->hf_vocab
                            : !strcmp(opt, "--hf-merges") ? &a->hf_merges
                                                          : NULL;
        if (!slot) {
            fprintf(stderr, "i2i tokenize: unknown option '%s'\n", opt);
            return tokenize_usage(stderr);
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "i2i tokenize: option %s needs a value\n", opt);
            return 2;
        }
        *slot = argv[++i];
    }
    if (i >= argc) {
        fprintf(stderr, "i2i tokenize: no TEXT given\n");
        return tokenize_usage(stderr);
    }
    if (!a->hf_vocab != !a->hf_merges || (a->hf_vocab && a->vocab)) {
        fprintf(stderr, "i2i tokenize: use either --vocab or both --hf-vocab and --hf-merges\n");
        return 2;
    }
    a->first_text = i;
    return 0;
}

/* The TEXT arguments joined with single spaces (caller frees), NULL when out of memory. */
static char *join_text(int argc, char **argv, int first) {
    size_t len = 1;
    for (int i = first; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *text = malloc(len);
    if (!text) return NULL;
    text[0] = '\0';
    for (int i = first; i < argc; i++) {
        if (i > first) strcat(text, " ");
        strcat(text, argv[i]);
    }
    return text;
}

static void print_ids(const int64_t *ids, bool json) {
    fputs(json ? "[" : "", stdout);
    for (int i = 0; i < CLIP_CONTEXT_LENGTH; i++)
        printf("%s%lld", i == 0 ? "" : json ? ", " : " ", (long long)ids[i]);
    puts(json ? "]" : "");
}

int cmd_tokenize(int argc, char **argv) {
    tokenize_args a;
    int rc = parse_tokenize_args(argc, argv, &a);
    if (rc != 0) return rc < 0 ? 0 : rc;

    char err[512] = "";
    clip_tokenizer *tok =
        a.hf_vocab ? clip_tokenizer_load_hf(a.hf_vocab, a.hf_merges, err, sizeof err)
                   : clip_tokenizer_load_bpe_gz(a.vocab ? a.vocab : clip_tokenizer_default_vocab(),
                                                err, sizeof err);
    if (!tok) {
        fprintf(stderr, "i2i tokenize: %s\n", err);
        return 1;
    }
    char *text = join_text(argc, argv, a.first_text);
    int64_t ids[CLIP_CONTEXT_LENGTH];
    int n_tokens = 0;
    rc = 1;
    if (!text)
        fprintf(stderr, "i2i tokenize: out of memory\n");
    else if (clip_tokenizer_encode_err(tok, text, ids, &n_tokens, err, sizeof err) != 0)
        fprintf(stderr, "i2i tokenize: %s\n", err);
    else {
        print_ids(ids, a.json);
        if (n_tokens > CLIP_MAX_TEXT_TOKENS)
            fprintf(stderr, "i2i tokenize: note: %d text tokens, truncated to %d\n", n_tokens,
                    CLIP_MAX_TEXT_TOKENS);
        rc = 0;
    }
    free(text);
    clip_tokenizer_free(tok);
    return rc;
}
