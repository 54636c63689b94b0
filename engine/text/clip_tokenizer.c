/* CLIP BPE tokenizer. Pipeline (see clip_tokenizer.h and shared/golden/README.md):
 *   UTF-8 -> code points -> collapse White_Space runs, strip, str.lower() -> CLIP pattern
 *   pieces -> byte symbols (+"</w>" on the last) -> BPE by merge rank -> framing.
 * Symbols are tracked by vocabulary id from the start: every symbol BPE can produce (a byte
 * symbol or the result of a merge) is a vocabulary entry, so a merge table keyed by
 * (left id, right id) replaces the reference's string pairs with the same result. */
#include "clip_tokenizer.h"

#include "clip_text_clean.h"
#include "unicode_tables.h"

#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#ifndef I2I_ASSET_DIR
#define I2I_ASSET_DIR "assets"
#endif

/* openai/CLIP and HF CLIPTokenizer use this many merges: 49152 - 256 byte symbols - 2. */
#define CLIP_N_MERGES 48894
#define END_OF_WORD "</w>"
#define BOS_TEXT "<|startoftext|>"
#define EOS_TEXT "<|endoftext|>"

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
    if (!err || errlen == 0) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static uint64_t mix64(uint64_t x) {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static size_t table_size_for(size_t n) {
    size_t cap = 16;
    while (cap < 2 * n)
        cap <<= 1;
    return cap;
}

/* ---- merge table: (left id, right id) -> (rank, merged id), open addressing ---- */

#define PAIR_EMPTY UINT64_MAX

typedef struct {
    uint64_t key;
    int32_t rank;
    int32_t merged;
} pair_slot;

typedef struct {
    pair_slot *slots;
    size_t mask;
} pair_map;

static uint64_t pair_key(int32_t left, int32_t right) {
    return ((uint64_t)(uint32_t)left << 32) | (uint32_t)right;
}

static bool pair_map_init(pair_map *m, size_t n) {
    size_t cap = table_size_for(n);
    m->slots = malloc(cap * sizeof *m->slots);
    if (!m->slots) return false;
    for (size_t i = 0; i < cap; i++)
        m->slots[i].key = PAIR_EMPTY;
    m->mask = cap - 1;
    return true;
}

/* A repeated pair takes the later rank, like the reference's dict comprehension. */
static void pair_map_put(pair_map *m, int32_t left, int32_t right, int32_t rank, int32_t merged) {
    uint64_t key = pair_key(left, right);
    size_t i = mix64(key) & m->mask;
    while (m->slots[i].key != PAIR_EMPTY && m->slots[i].key != key)
        i = (i + 1) & m->mask;
    m->slots[i] = (pair_slot){key, rank, merged};
}

static const pair_slot *pair_map_get(const pair_map *m, int32_t left, int32_t right) {
    uint64_t key = pair_key(left, right);
    size_t i = mix64(key) & m->mask;
    while (m->slots[i].key != PAIR_EMPTY) {
        if (m->slots[i].key == key) return &m->slots[i];
        i = (i + 1) & m->mask;
    }
    return NULL;
}

/* ---- token string -> id, used while loading only ---- */

typedef struct {
    const char *str; /* not owned */
    size_t len;
    int32_t id;
} str_slot;

typedef struct {
    str_slot *slots;
    size_t mask;
} str_map;

static uint64_t hash_bytes(const char *s, size_t len) {
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return mix64(h);
}

static bool str_map_init(str_map *m, size_t n) {
    size_t cap = table_size_for(n);
    m->slots = calloc(cap, sizeof *m->slots);
    m->mask = cap - 1;
    return m->slots != NULL;
}

/* A repeated string keeps the later id, like the reference's dict comprehension. */
static void str_map_put(str_map *m, const char *s, size_t len, int32_t id) {
    size_t i = hash_bytes(s, len) & m->mask;
    while (m->slots[i].str && !(m->slots[i].len == len && memcmp(m->slots[i].str, s, len) == 0))
        i = (i + 1) & m->mask;
    m->slots[i] = (str_slot){s, len, id};
}

static int32_t str_map_get(const str_map *m, const char *s, size_t len) {
    size_t i = hash_bytes(s, len) & m->mask;
    while (m->slots[i].str) {
        if (m->slots[i].len == len && memcmp(m->slots[i].str, s, len) == 0) return m->slots[i].id;
        i = (i + 1) & m->mask;
    }
    return -1;
}

/* ---- the tokenizer ---- */

struct clip_tokenizer {
    pair_map merges;
    int32_t byte_id[256];     /* symbol of a byte inside a piece */
    int32_t byte_end_id[256]; /* the same symbol + "</w>", for a piece's last byte */
    int32_t bos, eos;
    int32_t vocab_size;
};

void clip_tokenizer_free(clip_tokenizer *t) {
    if (!t) return;
    free(t->merges.slots);
    free(t);
}

int clip_tokenizer_vocab_size(const clip_tokenizer *t) {
    return t->vocab_size;
}
int64_t clip_tokenizer_bos(const clip_tokenizer *t) {
    return t->bos;
}
int64_t clip_tokenizer_eos(const clip_tokenizer *t) {
    return t->eos;
}

const char *clip_tokenizer_default_vocab(void) {
    static _Thread_local char path[4096];
    const char *dir = getenv("I2I_ASSET_DIR");
    if (!dir || !*dir) dir = I2I_ASSET_DIR;
    snprintf(path, sizeof path, "%s/bpe_simple_vocab_16e6.txt.gz", dir);
    return path;
}

/* The byte -> symbol code point mapping of openai/CLIP: bytes printable in Latin-1 stand for
 * themselves, the other 68 get U+0100, U+0101, ... in byte order. order[i] is the byte of
 * vocabulary id i (ids 0..255). */
static void byte_symbols(uint32_t cp_of_byte[256], int order[256]) {
    int n = 0, extra = 0;
    for (int b = 0; b < 256; b++) {
        bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
        if (printable) {
            cp_of_byte[b] = (uint32_t)b;
            order[n++] = b;
        }
    }
    for (int b = 0; b < 256; b++) {
        bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || b >= 174;
        if (!printable) {
            cp_of_byte[b] = 256u + (uint32_t)extra++;
            order[n++] = b;
        }
    }
}

/* Writes "<symbol of byte b>[</w>]" as UTF-8 (all symbols are below U+0800); returns length. */
static size_t byte_symbol_text(uint32_t cp, bool end_of_word, char out[8]) {
    size_t n = 0;
    if (cp < 0x80) {
        out[n++] = (char)cp;
    } else {
        out[n++] = (char)(0xC0 | (cp >> 6));
        out[n++] = (char)(0x80 | (cp & 0x3F));
    }
    if (end_of_word) {
        memcpy(out + n, END_OF_WORD, 4);
        n += 4;
    }
    return n;
}

/* ---- loading ---- */

/* Whole-file readers; gzread also reads uncompressed files transparently. */
static char *read_gz(const char *path, size_t *len, char *err, size_t errlen) {
    gzFile f = gzopen(path, "rb");
    if (!f) {
        set_err(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 21, n = 0;
    char *buf = malloc(cap + 1);
    for (;;) {
        if (!buf) break;
        if (n == cap) {
            char *grown = realloc(buf, 2 * cap + 1);
            if (!grown) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = grown;
            cap *= 2;
        }
        int got = gzread(f, buf + n, (unsigned)(cap - n > INT_MAX ? INT_MAX : cap - n));
        if (got < 0) {
            int code;
            set_err(err, errlen, "cannot read %s: %s", path, gzerror(f, &code));
            free(buf);
            gzclose(f);
            return NULL;
        }
        if (got == 0) break;
        n += (size_t)got;
    }
    gzclose(f);
    if (!buf) {
        set_err(err, errlen, "out of memory reading %s", path);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Splits a merge line "left right" in place; false unless there are exactly two fields. */
static bool split_merge_line(char *line, char **left, size_t *llen, char **right, size_t *rlen) {
    const char *ws = " \t\r\v\f";
    char *p = line + strspn(line, ws);
    *left = p;
    *llen = strcspn(p, ws);
    p += *llen;
    p += strspn(p, ws);
    *right = p;
    *rlen = strcspn(p, ws);
    p += *rlen;
    p += strspn(p, ws);
    return *llen > 0 && *rlen > 0 && *p == '\0';
}

/* Next '\n'-terminated line of buf (terminator replaced by NUL), or NULL at the end. */
static char *next_line(char **cursor, char *end) {
    if (*cursor >= end) return NULL;
    char *line = *cursor;
    char *nl = memchr(line, '\n', (size_t)(end - line));
    if (nl) {
        *nl = '\0';
        *cursor = nl + 1;
    } else {
        *cursor = end;
    }
    return line;
}

typedef struct {
    char *left, *right;
    size_t llen, rlen;
} merge_line;

/* Reads up to max merges from lines; returns how many, or -1 for a malformed line. */
static long parse_merges(char **cursor, char *end, merge_line *out, long max, const char *path,
                         char *err, size_t errlen) {
    long n = 0;
    long lineno = 1;
    char *line;
    while (n < max && (line = next_line(cursor, end)) != NULL) {
        lineno++;
        if (line[strspn(line, " \t\r")] == '\0') continue;
        merge_line *m = &out[n];
        if (!split_merge_line(line, &m->left, &m->llen, &m->right, &m->rlen)) {
            set_err(err, errlen, "%s:%ld: expected a merge \"left right\"", path, lineno);
            return -1;
        }
        n++;
    }
    return n;
}

/* Fills t->merges from the parsed merge lines, ranks in file order. Merges whose parts are
 * not vocabulary entries can never apply (every symbol is one) and are left out. */
static bool build_merge_table(clip_tokenizer *t, const str_map *vocab, char *scratch,
                              const merge_line *merges, long n, char *err, size_t errlen) {
    if (!pair_map_init(&t->merges, (size_t)n)) {
        set_err(err, errlen, "out of memory building the merge table");
        return false;
    }
    for (long k = 0; k < n; k++) {
        const merge_line *m = &merges[k];
        int32_t left = str_map_get(vocab, m->left, m->llen);
        int32_t right = str_map_get(vocab, m->right, m->rlen);
        memcpy(scratch, m->left, m->llen);
        memcpy(scratch + m->llen, m->right, m->rlen);
        int32_t merged = str_map_get(vocab, scratch, m->llen + m->rlen);
        if (left >= 0 && right >= 0 && merged >= 0)
            pair_map_put(&t->merges, left, right, (int32_t)k, merged);
    }
    return true;
}

/* Looks up the 512 byte symbols and the two special tokens in vocab. */
static bool resolve_symbols(clip_tokenizer *t, const str_map *vocab, char *err, size_t errlen) {
    uint32_t cp_of_byte[256];
    int order[256];
    byte_symbols(cp_of_byte, order);
    for (int b = 0; b < 256; b++) {
        char text[8];
        size_t len = byte_symbol_text(cp_of_byte[b], false, text);
        t->byte_id[b] = str_map_get(vocab, text, len);
        len = byte_symbol_text(cp_of_byte[b], true, text);
        t->byte_end_id[b] = str_map_get(vocab, text, len);
        if (t->byte_id[b] < 0 || t->byte_end_id[b] < 0) {
            set_err(err, errlen, "vocabulary lacks the symbol of byte 0x%02X", b);
            return false;
        }
    }
    t->bos = str_map_get(vocab, BOS_TEXT, strlen(BOS_TEXT));
    t->eos = str_map_get(vocab, EOS_TEXT, strlen(EOS_TEXT));
    if (t->bos < 0 || t->eos < 0) {
        set_err(err, errlen, "vocabulary lacks %s or %s", BOS_TEXT, EOS_TEXT);
        return false;
    }
    return true;
}

/* Builds the openai/CLIP vocabulary (byte symbols, byte symbols + "</w>", merges, the two
 * special tokens) into vocab; token strings live in arena. */
static bool build_gz_vocab(str_map *vocab, char *arena, const merge_line *merges, long n) {
    uint32_t cp_of_byte[256];
    int order[256];
    byte_symbols(cp_of_byte, order);
    if (!str_map_init(vocab, 512 + (size_t)n + 2)) return false;
    char *p = arena;
    for (int end = 0; end < 2; end++) {
        for (int i = 0; i < 256; i++) {
            size_t len = byte_symbol_text(cp_of_byte[order[i]], end, p);
            str_map_put(vocab, p, len, 256 * end + i);
            p += len;
        }
    }
    for (long k = 0; k < n; k++) {
        memcpy(p, merges[k].left, merges[k].llen);
        memcpy(p + merges[k].llen, merges[k].right, merges[k].rlen);
        str_map_put(vocab, p, merges[k].llen + merges[k].rlen, (int32_t)(512 + k));
        p += merges[k].llen + merges[k].rlen;
    }
    str_map_put(vocab, BOS_TEXT, strlen(BOS_TEXT), (int32_t)(512 + n));
    str_map_put(vocab, EOS_TEXT, strlen(EOS_TEXT), (int32_t)(512 + n + 1));
    return true;
}

clip_tokenizer *clip_tokenizer_load_bpe_gz(const char *path, char *err, size_t errlen) {
    size_t len;
    char *text = read_gz(path, &len, err, errlen);
    if (!text) return NULL;
    clip_tokenizer *t = calloc(1, sizeof *t);
    merge_line *merges = malloc(CLIP_N_MERGES * sizeof *merges);
    char *arena = malloc(len + 512 * 8 + 64);
    char *scratch = malloc(len + 1);
    str_map vocab = {0};
    bool ok = t && merges && arena && scratch;
    if (!ok) set_err(err, errlen, "out of memory loading %s", path);

    char *cursor = text, *end = text + len;
    if (ok && !next_line(&cursor, end)) {
        set_err(err, errlen, "%s: empty vocabulary file", path);
        ok = false;
    }
    long n = ok ? parse_merges(&cursor, end, merges, CLIP_N_MERGES, path, err, errlen) : -1;
    if (ok && n >= 0 && n < CLIP_N_MERGES)
        set_err(err, errlen, "%s: %ld merges, expected %d", path, n, CLIP_N_MERGES);
    ok = ok && n == CLIP_N_MERGES;
    if (ok && !build_gz_vocab(&vocab, arena, merges, n)) {
        set_err(err, errlen, "out of memory loading %s", path);
        ok = false;
    }
    ok = ok && resolve_symbols(t, &vocab, err, errlen) &&
         build_merge_table(t, &vocab, scratch, merges, n, err, errlen);
    if (ok) t->vocab_size = (int32_t)(512 + n + 2);
    free(vocab.slots);
    free(scratch);
    free(arena);
    free(merges);
    free(text);
    if (!ok) {
        clip_tokenizer_free(t);
        return NULL;
    }
    return t;
}

/* Reads vocab.json into vocab (strings owned by the json object); returns max id + 1 or -1. */
static int32_t load_hf_vocab(json_t *root, str_map *vocab, const char *path, char *err,
                             size_t errlen) {
    if (!json_is_object(root)) {
        set_err(err, errlen, "%s: expected a JSON object of token -> id", path);
        return -1;
    }
    if (!str_map_init(vocab, json_object_size(root))) {
        set_err(err, errlen, "out of memory loading %s", path);
        return -1;
    }
    if (json_object_size(root) == 0) {
        set_err(err, errlen, "%s: empty vocabulary", path);
        return -1;
    }
    int32_t size = 0;
    const char *key;
    json_t *value;
    json_object_foreach(root, key, value) {
        json_int_t id = json_is_integer(value) ? json_integer_value(value) : -1;
        if (id < 0 || id >= INT32_MAX) {
            set_err(err, errlen, "%s: token \"%s\" has no valid id", path, key);
            return -1;
        }
        str_map_put(vocab, key, strlen(key), (int32_t)id);
        if (id + 1 > size) size = (int32_t)(id + 1);
    }
    return size;
}

clip_tokenizer *clip_tokenizer_load_hf(const char *vocab_json, const char *merges_txt, char *err,
                                       size_t errlen) {
    json_error_t jerr;
    json_t *root = json_load_file(vocab_json, 0, &jerr);
    if (!root) {
        set_err(err, errlen, "%s:%d: %s", vocab_json, jerr.line, jerr.text);
        return NULL;
    }
    size_t len = 0;
    char *text = read_gz(merges_txt, &len, err, errlen);
    clip_tokenizer *t = calloc(1, sizeof *t);
    merge_line *merges = malloc(CLIP_N_MERGES * sizeof *merges);
    char *scratch = malloc(len + 1);
    str_map vocab = {0};
    bool ok = text && t && merges && scratch;
    if (text && !ok) set_err(err, errlen, "out of memory loading %s", merges_txt);

    int32_t size = ok ? load_hf_vocab(root, &vocab, vocab_json, err, errlen) : -1;
    ok = ok && size > 0;
    char *cursor = text, *end = text + len;
    /* Like HF, the first line is the "#version" header. */
    if (ok && len > 0 && text[0] == '#') next_line(&cursor, end);
    long n = ok ? parse_merges(&cursor, end, merges, CLIP_N_MERGES, merges_txt, err, errlen) : -1;
    ok = ok && n >= 0 && resolve_symbols(t, &vocab, err, errlen) &&
         build_merge_table(t, &vocab, scratch, merges, n, err, errlen);
    if (ok) t->vocab_size = size;
    free(vocab.slots);
    free(scratch);
    free(merges);
    free(text);
    json_decref(root);
    if (!ok) {
        clip_tokenizer_free(t);
        return NULL;
    }
    return t;
}

/* ---- the CLIP pattern ----
 * <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
 * compiled with IGNORECASE, tried alternative by alternative at each position (findall). */

/* Case-insensitive match of an ASCII literal at cp[i..]. */
static bool match_literal(const uint32_t *cp, size_t n, size_t i, const char *lit) {
    for (; *lit; lit++, i++) {
        if (i >= n) return false;
        if (uni_ascii_case_variant(cp[i]) != *lit) return false;
    }
    return true;
}

static bool is_other(uint32_t c) {
    return !uni_is_regex_space(c) && !uni_is_letter(c) && !uni_is_number(c) &&
           !uni_is_pattern_unmatched(c);
}

/* Length in code points of the piece starting at i (0: nothing matches there), and the
 * special token id it stands for (or -1). */
static size_t match_piece(const clip_tokenizer *t, const uint32_t *cp, size_t n, size_t i,
                          int32_t *special) {
    static const char *const contractions[] = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};
    *special = -1;
    if (match_literal(cp, n, i, BOS_TEXT)) {
        *special = t->bos;
        return strlen(BOS_TEXT);
    }
    if (match_literal(cp, n, i, EOS_TEXT)) {
        *special = t->eos;
        return strlen(EOS_TEXT);
    }
    for (size_t k = 0; k < sizeof contractions / sizeof *contractions; k++)
        if (match_literal(cp, n, i, contractions[k])) return strlen(contractions[k]);
    size_t j = i;
    if (uni_is_letter(cp[i])) {
        while (j < n && uni_is_letter(cp[j]))
            j++;
        return j - i;
    }
    if (uni_is_number(cp[i])) return 1;
    while (j < n && is_other(cp[j]))
        j++;
    return j - i;
}

/* ---- BPE ----
 * Same result as the reference loop "take the lowest-ranked adjacent pair, merge all its
 * non-overlapping occurrences left to right", in O(n log n): a heap of candidate pairs keyed
 * (rank, position); all entries of the lowest rank (one pair) are taken as a batch and merged
 * in position order, entries made stale by earlier merges being skipped. */

typedef struct {
    int32_t rank, pos, left, right;
} bpe_cand;

typedef struct {
    int32_t *id;          /* symbol id per node (node = byte position in the piece) */
    int32_t *next, *prev; /* linked list of live nodes; -1 ends */
    bool *dead;
    bpe_cand *heap, *batch;
    size_t heap_n;
} bpe_work;

static bool cand_less(const bpe_cand *a, const bpe_cand *b) {
    return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos;
}

static void heap_push(bpe_work *w, bpe_cand c) {
    size_t i = w->heap_n++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!cand_less(&c, &w->heap[parent])) break;
        w->heap[i] = w->heap[parent];
        i = parent;
    }
    w->heap[i] = c;
}

static bpe_cand heap_pop(bpe_work *w) {
    bpe_cand top = w->heap[0];
    bpe_cand last = w->heap[--w->heap_n];
    size_t i = 0;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= w->heap_n) break;
        if (child + 1 < w->heap_n && cand_less(&w->heap[child + 1], &w->heap[child])) child++;
        if (!cand_less(&w->heap[child], &last)) break;
        w->heap[i] = w->heap[child];
        i = child;
    }
    if (w->heap_n > 0) w->heap[i] = last;
    return top;
}

/* Pushes the pair starting at live node pos, if it is a merge. */
static void push_pair(const clip_tokenizer *t, bpe_work *w, int32_t pos) {
    if (pos < 0 || w->next[pos] < 0) return;
    int32_t nx = w->next[pos];
    const pair_slot *s = pair_map_get(&t->merges, w->id[pos], w->id[nx]);
    if (s) heap_push(w, (bpe_cand){s->rank, pos, w->id[pos], w->id[nx]});
}

static bool cand_valid(const bpe_work *w, const bpe_cand *c) {
    int32_t nx = w->next[c->pos];
    return !w->dead[c->pos] && w->id[c->pos] == c->left && nx >= 0 && w->id[nx] == c->right;
}

/* Merges the candidate at c->pos with its right neighbour. */
static void merge_at(const clip_tokenizer *t, bpe_work *w, const bpe_cand *c) {
    int32_t pos = c->pos, nx = w->next[pos];
    w->id[pos] = pair_map_get(&t->merges, c->left, c->right)->merged;
    w->dead[nx] = true;
    w->next[pos] = w->next[nx];
    if (w->next[nx] >= 0) w->prev[w->next[nx]] = pos;
}

/* BPE of one piece of n >= 1 bytes; appends its ids to out (room for n). Returns the count. */
static size_t bpe_piece(const clip_tokenizer *t, bpe_work *w, const unsigned char *bytes, size_t n,
                        int64_t *out) {
    for (size_t i = 0; i < n; i++) {
        w->id[i] = i + 1 < n ? t->byte_id[bytes[i]] : t->byte_end_id[bytes[i]];
        w->next[i] = i + 1 < n ? (int32_t)(i + 1) : -1;
        w->prev[i] = (int32_t)i - 1;
        w->dead[i] = false;
    }
    w->heap_n = 0;
    for (size_t i = 0; i + 1 < n; i++)
        push_pair(t, w, (int32_t)i);
    while (w->heap_n > 0) {
        size_t nb = 0;
        int32_t rank = w->heap[0].rank;
        while (w->heap_n > 0 && w->heap[0].rank == rank)
            w->batch[nb++] = heap_pop(w);
        size_t merged = 0; /* merged candidates are compacted to the batch front */
        for (size_t k = 0; k < nb; k++) {
            if (!cand_valid(w, &w->batch[k])) continue;
            merge_at(t, w, &w->batch[k]);
            w->batch[merged++] = w->batch[k];
        }
        /* New neighbours are pushed after the whole batch: the reference only looks at
         * them in its next round. */
        for (size_t k = 0; k < merged; k++) {
            push_pair(t, w, w->prev[w->batch[k].pos]);
            push_pair(t, w, w->batch[k].pos);
        }
    }
    size_t m = 0;
    for (int32_t i = 0; i >= 0; i = w->next[i])
        out[m++] = w->id[i];
    return m;
}

/* ---- encoding ---- */

typedef struct {
    uint32_t *cp, *lower;
    size_t *off;
    unsigned char *utf8;
    int64_t *tokens;
    bpe_work bpe;
} encode_buffers;

static void free_buffers(encode_buffers *b) {
    free(b->cp);
    free(b->lower);
    free(b->off);
    free(b->utf8);
    free(b->tokens);
    free(b->bpe.id);
    free(b->bpe.next);
    free(b->bpe.prev);
    free(b->bpe.dead);
    free(b->bpe.heap);
    free(b->bpe.batch);
}

/* Text buffers, sized from the input length: lowering turns one code point into at most 3,
 * each at most 4 bytes of UTF-8. */
static bool alloc_text_buffers(encode_buffers *b, size_t len) {
    size_t n3 = 3 * len + 1;
    b->cp = malloc((len + 1) * sizeof *b->cp);
    b->lower = malloc(n3 * sizeof *b->lower);
    b->off = malloc((n3 + 1) * sizeof *b->off);
    b->utf8 = malloc(4 * n3);
    return b->cp && b->lower && b->off && b->utf8;
}

/* Token and BPE buffers for `bytes` bytes of cleaned text: a piece gives at most one token
 * per byte, and BPE pushes at most 3 candidates per byte (n - 1 initial pairs plus two
 * per merge). */
static bool alloc_bpe_buffers(encode_buffers *b, size_t bytes) {
    size_t n = bytes + 1;
    b->tokens = malloc(n * sizeof *b->tokens);
    b->bpe.id = malloc(n * sizeof *b->bpe.id);
    b->bpe.next = malloc(n * sizeof *b->bpe.next);
    b->bpe.prev = malloc(n * sizeof *b->bpe.prev);
    b->bpe.dead = malloc(n * sizeof *b->bpe.dead);
    b->bpe.heap = malloc(3 * n * sizeof *b->bpe.heap);
    b->bpe.batch = malloc(3 * n * sizeof *b->bpe.batch);
    return b->tokens && b->bpe.id && b->bpe.next && b->bpe.prev && b->bpe.dead && b->bpe.heap &&
           b->bpe.batch;
}

/* Tokens of the whole text into b->tokens; returns their count or -1 with err set. */
static long tokenize_all(const clip_tokenizer *t, const char *utf8, encode_buffers *b, char *err,
                         size_t errlen) {
    *b = (encode_buffers){0};
    size_t len = strlen(utf8);
    if (len > CLIP_MAX_INPUT_BYTES) {
        set_err(err, errlen, "prompt is %zu bytes, more than the %d allowed", len,
                CLIP_MAX_INPUT_BYTES);
        return -1;
    }
    if (!alloc_text_buffers(b, len)) {
        set_err(err, errlen, "out of memory tokenizing a %zu-byte prompt", len);
        return -1;
    }
    long n = text_decode_utf8((const unsigned char *)utf8, len, b->cp, err, errlen);
    if (n < 0) return -1;
    size_t m = text_python_lower(b->cp, text_collapse_whitespace(b->cp, (size_t)n), b->lower);
    text_encode_utf8(b->lower, m, b->utf8, b->off);
    if (!alloc_bpe_buffers(b, b->off[m])) {
        set_err(err, errlen, "out of memory tokenizing a %zu-byte prompt", len);
        return -1;
    }
    size_t count = 0;
    for (size_t i = 0; i < m;) {
        int32_t special;
        size_t len_cp = match_piece(t, b->lower, m, i, &special);
        if (len_cp == 0) {
            i++; /* whitespace, or a character no alternative matches */
            continue;
        }
        if (special >= 0)
            b->tokens[count++] = special;
        else
            count += bpe_piece(t, &b->bpe, b->utf8 + b->off[i], b->off[i + len_cp] - b->off[i],
                               b->tokens + count);
        i += len_cp;
    }
    return (long)count;
}

int clip_tokenizer_tokenize(const clip_tokenizer *t, const char *utf8, int64_t *tokens, size_t cap,
                            size_t *n, char *err, size_t errlen) {
    if (!t || !utf8) {
        set_err(err, errlen, "no tokenizer or no text");
        return -1;
    }
    encode_buffers b;
    long count = tokenize_all(t, utf8, &b, err, errlen);
    if (count >= 0) {
        for (size_t i = 0; i < cap && i < (size_t)count; i++)
            tokens[i] = b.tokens[i];
        if (n) *n = (size_t)count;
    }
    free_buffers(&b);
    return count < 0 ? -1 : 0;
}

int clip_tokenizer_encode_err(const clip_tokenizer *t, const char *utf8,
                              int64_t ids[CLIP_CONTEXT_LENGTH], int *n_tokens_untruncated,
                              char *err, size_t errlen) {
    int64_t text[CLIP_MAX_TEXT_TOKENS];
    size_t n;
    if (clip_tokenizer_tokenize(t, utf8, text, CLIP_MAX_TEXT_TOKENS, &n, err, errlen) != 0)
        return -1;
    size_t kept = n < CLIP_MAX_TEXT_TOKENS ? n : CLIP_MAX_TEXT_TOKENS;
    ids[0] = t->bos;
    for (size_t i = 0; i < kept; i++)
        ids[1 + i] = text[i];
    for (size_t i = 1 + kept; i < CLIP_CONTEXT_LENGTH; i++)
        ids[i] = t->eos;
    if (n_tokens_untruncated) *n_tokens_untruncated = (int)n;
    return 0;
}

int clip_tokenizer_encode(const clip_tokenizer *t, const char *utf8,
                          int64_t ids[CLIP_CONTEXT_LENGTH], int *n_tokens_untruncated) {
    return clip_tokenizer_encode_err(t, utf8, ids, n_tokens_untruncated, NULL, 0);
}
