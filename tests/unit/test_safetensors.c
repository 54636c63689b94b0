/* safetensors reader/writer: the golden files parse, the writer reproduces
 * them byte for byte, and hostile files fail cleanly with a message that
 * names the problem. */
#include "check.h"
#include "safetensors.h"

#include <dirent.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char g_dir[256];

static const char *tmp_path(const char *name) {
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", g_dir, name);
    return buf;
}

static unsigned char *slurp(const char *path, size_t *len) {
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    *len = buf ? fread(buf, 1, (size_t)n, fp) : 0;
    fclose(fp);
    return buf;
}

static uint64_t read_u64le(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* ---- golden files ---- */

static void check_golden(const char *name, int expect_tensors) {
    char err[512];
    const char *path = golden_path(name);
    st_file *f = st_open(path, err, sizeof err);
    CHECK_MSG(f != NULL, "%s", err);
    if (!f) return;
    CHECK_MSG(st_count(f) == expect_tensors, "%s: %d tensors", name, st_count(f));
    CHECK(st_metadata(f, "config") != NULL);
    CHECK(st_metadata(f, "no such key") == NULL);
    bool all_f32 = true, sorted = true, findable = true;
    for (int i = 0; i < st_count(f); i++) {
        const st_entry *e = st_entry_at(f, i);
        all_f32 = all_f32 && e->dtype == ST_F32 && e->nbytes == (size_t)e->numel * 4;
        if (i > 0) sorted = sorted && strcmp(st_entry_at(f, i - 1)->name, e->name) < 0;
        findable = findable && st_find(f, e->name) == e;
    }
    CHECK(all_f32);
    CHECK(sorted);
    CHECK(findable);
    CHECK(st_entry_at(f, -1) == NULL && st_entry_at(f, st_count(f)) == NULL);
    CHECK(st_find(f, "no.such.tensor") == NULL);

    /* The first tensor in name order is packed first: its bytes start the data section. */
    size_t len = 0;
    unsigned char *raw = slurp(path, &len);
    CHECK(raw && len > 8);
    if (raw && len > 8) {
        uint64_t n = read_u64le(raw);
        const st_entry *e0 = st_entry_at(f, 0);
        CHECK((8 + n) % 8 == 0);
        CHECK(8 + n + e0->nbytes <= len && memcmp(raw + 8 + n, e0->data, e0->nbytes) == 0);
    }
    free(raw);
    st_close(f);
}

static void test_golden_vae_shape(void) {
    char err[512];
    st_file *f = st_open(golden_path("vae_tiny.safetensors"), err, sizeof err);
    CHECK_MSG(f != NULL, "%s", err);
    if (!f) return;
    const st_entry *e = st_find(f, "first_stage_model.encoder.conv_in.weight");
    CHECK(e != NULL);
    if (e) {
        CHECK(e->ndim == 4 && e->shape[0] == 32 && e->shape[1] == 3 && e->shape[2] == 3 &&
              e->shape[3] == 3 && e->numel == 864);
    }
    st_close(f);
}

/* Re-writing every tensor and the metadata of a golden file gives the same bytes. */
static void check_rewrite_identical(const char *name) {
    char err[512];
    const char *src = golden_path(name);
    st_file *f = st_open(src, err, sizeof err);
    CHECK_MSG(f != NULL, "%s", err);
    if (!f) return;
    int n = st_count(f), nm = st_metadata_count(f);
    st_tensor_out *outs = calloc((size_t)n + 1, sizeof *outs);
    const char **kv = calloc(2 * (size_t)nm + 1, sizeof *kv);
    for (int i = n - 1, j = 0; i >= 0; i--, j++) { /* reversed: the writer must sort */
        const st_entry *e = st_entry_at(f, i);
        outs[j] = (st_tensor_out){e->name, e->shape, e->ndim, e->data};
    }
    for (int i = 0; i < nm; i++)
        st_metadata_at(f, i, &kv[2 * i], &kv[2 * i + 1]);
    const char *dst = tmp_path("rewrite.safetensors");
    bool ok = st_write(dst, outs, n, kv, err, sizeof err);
    CHECK_MSG(ok, "%s", err);
    size_t la = 0, lb = 0;
    unsigned char *a = slurp(src, &la), *b = slurp(dst, &lb);
    CHECK_MSG(a && b && la == lb && memcmp(a, b, la) == 0, "%s: rewrite differs (%zu vs %zu bytes)",
              name, la, lb);
    free(a);
    free(b);
    free(outs);
    free(kv);
    st_close(f);
    unlink(dst);
}

/* ---- writer ---- */

static int count_dir_entries(void) {
    DIR *d = opendir(g_dir);
    int n = 0;
    for (struct dirent *de; d && (de = readdir(d));)
        if (de->d_name[0] != '.') n++;
    if (d) closedir(d);
    return n;
}

static void test_write_roundtrip(void) {
    float a[6] = {1.5f, -2.0f, 3.25f, 1e-30f, -0.0f, 65504.0f};
    float s = 42.0f;
    int64_t sa[2] = {2, 3}, sz[2] = {0, 3};
    /* name lengths 1..8 move the header length through every residue mod 8 */
    const char *names[] = {"b", "aa", "ccc", "dddd", "eeeee", "ffffff", "ggggggg", "hhhhhhhh"};
    for (int k = 1; k <= 8; k++) {
        st_tensor_out t[12];
        int n = 0;
        t[n++] = (st_tensor_out){"zeta", sa, 2, a};
        t[n++] = (st_tensor_out){"alpha.scalar", NULL, 0, &s};
        t[n++] = (st_tensor_out){"empty", sz, 2, NULL};
        for (int i = 0; i < k; i++)
            t[n++] = (st_tensor_out){names[i], sa, 1, a + 1};
        const char *meta[] = {"config", "{\"x\": 1}", "note", "caf\xc3\xa9", NULL};
        char err[512];
        const char *path = tmp_path("rt.safetensors");
        bool ok = st_write(path, t, n, meta, err, sizeof err);
        CHECK_MSG(ok, "%s", err);
        size_t len = 0;
        unsigned char *raw = slurp(path, &len);
        CHECK(raw && len >= 8 && (8 + read_u64le(raw)) % 8 == 0);
        free(raw);
        st_file *f = st_open(path, err, sizeof err);
        CHECK_MSG(f != NULL, "%s", err);
        if (!f) continue;
        CHECK(st_count(f) == n);
        CHECK(strcmp(st_entry_at(f, 0)->name, "aa") == 0 || k == 1);
        const st_entry *z = st_find(f, "zeta");
        CHECK(z && z->ndim == 2 && z->shape[0] == 2 && z->shape[1] == 3 && z->nbytes == 24 &&
              memcmp(z->data, a, 24) == 0);
        const st_entry *sc = st_find(f, "alpha.scalar");
        CHECK(sc && sc->ndim == 0 && sc->numel == 1 && memcmp(sc->data, &s, 4) == 0);
        const st_entry *em = st_find(f, "empty");
        CHECK(em && em->numel == 0 && em->nbytes == 0);
        const st_entry *b = st_find(f, "b");
        CHECK(b && b->ndim == 1 && b->shape[0] == 2 && memcmp(b->data, a + 1, 8) == 0);
        CHECK(st_metadata(f, "config") && strcmp(st_metadata(f, "config"), "{\"x\": 1}") == 0);
        CHECK(st_metadata(f, "note") && strcmp(st_metadata(f, "note"), "caf\xc3\xa9") == 0);
        st_close(f);
    }
    unlink(tmp_path("rt.safetensors"));
    CHECK_MSG(count_dir_entries() == 0, "temporary files left behind");
}

static void expect_write_fails(const char *label, const st_tensor_out *t, int n,
                               const char *const *meta, const char *path, const char *word) {
    char err[512] = "";
    bool ok = st_write(path, t, n, meta, err, sizeof err);
    CHECK_MSG(!ok, "%s: write succeeded", label);
    CHECK_MSG(strstr(err, word) != NULL, "%s: message '%s' lacks '%s'", label, err, word);
    struct stat sb;
    CHECK_MSG(stat(path, &sb) != 0, "%s: a file was left at the target", label);
}

static void test_write_errors(void) {
    float a[2] = {1, 2};
    int64_t s1[1] = {2}, neg[1] = {-2};
    const char *path = tmp_path("bad.safetensors");
    st_tensor_out dup[2] = {{"x", s1, 1, a}, {"x", s1, 1, a}};
    expect_write_fails("duplicate", dup, 2, NULL, path, "twice");
    st_tensor_out reserved[1] = {{"__metadata__", s1, 1, a}};
    expect_write_fails("reserved", reserved, 1, NULL, path, "reserved");
    st_tensor_out negative[1] = {{"x", neg, 1, a}};
    expect_write_fails("negative", negative, 1, NULL, path, "negative");
    st_tensor_out nodata[1] = {{"x", s1, 1, NULL}};
    expect_write_fails("no data", nodata, 1, NULL, path, "no data");
    st_tensor_out ok1[1] = {{"x", s1, 1, a}};
    const char *odd[] = {"key", NULL};
    expect_write_fails("odd metadata", ok1, 1, odd, path, "no value");
    expect_write_fails("missing dir", ok1, 1, NULL, "/nonexistent-dir/x.safetensors", "cannot");
    CHECK_MSG(count_dir_entries() == 0, "temporary files left behind");
}

/* ---- hostile files ---- */

/* Writes 8-byte length `n`, then `header`, then `data_len` bytes of 0xAB. */
static const char *write_raw(uint64_t n, const char *header, size_t data_len) {
    const char *path = tmp_path("hostile.safetensors");
    FILE *fp = fopen(path, "wb");
    if (!fp) return path;
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)(n >> (8 * i));
    fwrite(len, 1, 8, fp);
    fwrite(header, 1, strlen(header), fp);
    for (size_t i = 0; i < data_len; i++)
        fputc(0xAB, fp);
    fclose(fp);
    return path;
}

static const char *write_header(const char *header, size_t data_len) {
    return write_raw(strlen(header), header, data_len);
}

static void expect_open_fails(const char *label, const char *path, const char *word) {
    char err[512] = "";
    st_file *f = st_open(path, err, sizeof err);
    CHECK_MSG(f == NULL, "%s: opened", label);
    st_close(f);
    CHECK_MSG(strstr(err, word) != NULL, "%s: message '%s' lacks '%s'", label, err, word);
    CHECK_MSG(strstr(err, path) != NULL, "%s: message '%s' does not name the file", label, err);
}

static void test_hostile_sizes(void) {
    const char *path = tmp_path("hostile.safetensors");
    FILE *fp = fopen(path, "wb");
    if (fp) fclose(fp);
    expect_open_fails("empty file", path, "too short");
    fp = fopen(path, "wb");
    if (fp) {
        fwrite("\x10\0\0", 1, 3, fp);
        fclose(fp);
    }
    expect_open_fails("truncated length", path, "too short");
    expect_open_fails("header past EOF", write_raw(100, "{}", 0), "past the end");
    expect_open_fails("absurd header", write_raw(UINT64_MAX, "{}", 0), "absurd");
    expect_open_fails("missing file", tmp_path("does-not-exist"), "cannot open");
    expect_open_fails("directory", g_dir, "not a regular file");
}

static void test_hostile_json(void) {
    expect_open_fails("bad JSON", write_header("{\"a\": {\"dtype\": ", 0), "invalid JSON");
    expect_open_fails("zero-length header", write_header("", 0), "invalid JSON");
    expect_open_fails("not object", write_header("[1, 2]", 0), "not a JSON object");
    expect_open_fails("duplicate key",
                      write_header("{\"a\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[0,1]},"
                                   "\"a\":{\"dtype\":\"U8\",\"shape\":[],\"data_offsets\":[1,2]}}",
                                   2),
                      "duplicate");
    expect_open_fails("entry not object", write_header("{\"a\": 3}", 0), "not an object");
    expect_open_fails("metadata not object", write_header("{\"__metadata__\": [\"x\"]}", 0),
                      "__metadata__");
    expect_open_fails("metadata value", write_header("{\"__metadata__\": {\"k\": 1}}", 0),
                      "__metadata__['k']");
}

#define ENTRY(dtype, shape, offs)                                                                  \
    "{\"t\": {\"dtype\": " dtype ", \"shape\": " shape ", \"data_offsets\": " offs "}}"

static void test_hostile_entries(void) {
    expect_open_fails("unknown dtype", write_header(ENTRY("\"F8\"", "[2]", "[0, 2]"), 2),
                      "unknown dtype");
    expect_open_fails("dtype number", write_header(ENTRY("7", "[2]", "[0, 2]"), 2), "dtype");
    expect_open_fails("no dtype",
                      write_header("{\"t\": {\"shape\": [1], \"data_offsets\": [0, 4]}}", 4),
                      "dtype");
    expect_open_fails("shape not array", write_header(ENTRY("\"F32\"", "4", "[0, 4]"), 4), "shape");
    expect_open_fails("negative dim", write_header(ENTRY("\"F32\"", "[-1]", "[0, 4]"), 4),
                      "shape[0]");
    expect_open_fails("float dim", write_header(ENTRY("\"F32\"", "[1.5]", "[0, 4]"), 4),
                      "shape[0]");
    expect_open_fails("too many dims",
                      write_header(ENTRY("\"U8\"", "[1,1,1,1,1,1,1,1,1]", "[0, 1]"), 1), "dims");
    expect_open_fails("shape/bytes mismatch", write_header(ENTRY("\"F32\"", "[3]", "[0, 8]"), 8),
                      "mismatch");
    expect_open_fails("offsets past EOF", write_header(ENTRY("\"F32\"", "[4]", "[0, 16]"), 8),
                      "past the end");
    expect_open_fails("begin > end", write_header(ENTRY("\"U8\"", "[0]", "[8, 4]"), 8), "begin");
    expect_open_fails("one offset", write_header(ENTRY("\"U8\"", "[1]", "[0]"), 8), "data_offsets");
    expect_open_fails("negative offset", write_header(ENTRY("\"U8\"", "[1]", "[-1, 0]"), 8),
                      "data_offsets");
    expect_open_fails(
        "huge offsets",
        write_header(ENTRY("\"U8\"", "[1]", "[18446744073709551615, 18446744073709551616]"), 8),
        "JSON"); /* beyond json_int_t: jansson rejects the number itself */
    expect_open_fails("shape overflow",
                      write_header(ENTRY("\"F32\"", "[1099511627776, 1099511627776]", "[0, 4]"), 4),
                      "overflow");
    expect_open_fails("byte size overflow",
                      write_header(ENTRY("\"F64\"", "[2305843009213693952]", "[0, 8]"), 8),
                      "overflow");
    expect_open_fails(
        "overlap",
        write_header("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                     "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                     16),
        "overlap");
}

static void test_other_dtypes_parse(void) {
    char err[512];
    const char *path =
        write_header("{\"ids\":{\"dtype\":\"I64\",\"shape\":[3],\"data_offsets\":[0,24]},"
                     "\"h\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[24,28]},"
                     "\"m\":{\"dtype\":\"BOOL\",\"shape\":[4],\"data_offsets\":[28,32]},"
                     "\"z\":{\"dtype\":\"BF16\",\"shape\":[0,5],\"data_offsets\":[32,32]},"
                     "\"zz\":{\"dtype\":\"I32\",\"shape\":[0],\"data_offsets\":[32,32]}}",
                     32);
    st_file *f = st_open(path, err, sizeof err);
    CHECK_MSG(f != NULL, "%s", err);
    if (!f) return;
    CHECK(st_count(f) == 5);
    const st_entry *ids = st_find(f, "ids"), *h = st_find(f, "h"), *m = st_find(f, "m");
    CHECK(ids && ids->dtype == ST_I64 && ids->nbytes == 24);
    CHECK(h && h->dtype == ST_F16 && h->numel == 2);
    CHECK(m && m->dtype == ST_BOOL && ((const unsigned char *)m->data)[0] == 0xAB);
    CHECK(st_find(f, "z") && st_find(f, "z")->numel == 0);
    CHECK(st_metadata_count(f) == 0);
    CHECK(strcmp(st_dtype_name(ST_BF16), "BF16") == 0 && st_dtype_size(ST_F64) == 8);
    st_close(f);
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/test_safetensors_XXXXXX");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    check_golden("unet_tiny_v1.safetensors", 684);
    check_golden("vae_tiny.safetensors", 124);
    check_golden("clip_tiny.safetensors", 36);
    test_golden_vae_shape();
    check_rewrite_identical("vae_tiny.safetensors");
    check_rewrite_identical("clip_tiny_io.safetensors");
    check_rewrite_identical("ddim_step.safetensors");
    test_write_roundtrip();
    test_write_errors();
    test_hostile_sizes();
    test_hostile_json();
    test_hostile_entries();
    test_other_dtypes_parse();
    unlink(tmp_path("hostile.safetensors"));
    rmdir(g_dir);
    return CHECK_DONE();
}
