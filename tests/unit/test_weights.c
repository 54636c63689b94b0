/* Weight store: golden tensors come through with the right shapes and the
 * exact stored values, lookups fail with the documented messages, half and
 * double types convert, and the mapping outlives tensors that point into it. */
#include "check.h"
#include "safetensors.h"
#include "weights.h"

#include <stdint.h>
#include <string.h>
#include <unistd.h>

#define CONV_IN "first_stage_model.encoder.conv_in.weight"

static char g_dir[256];

static const char *tmp_path(const char *name) {
    static char buf[512];
    snprintf(buf, sizeof buf, "%s/%s", g_dir, name);
    return buf;
}

/* True when t holds exactly the n floats stored at raw (any alignment). */
static bool same_values(const ts_tensor *t, const void *raw, int64_t n) {
    float *got = malloc((size_t)(n ? n : 1) * sizeof *got);
    float *want = malloc((size_t)(n ? n : 1) * sizeof *want);
    bool ok = got && want && ts_to_floats(t, got, n);
    if (ok) {
        memcpy(want, raw, (size_t)n * sizeof *want);
        ok = memcmp(got, want, (size_t)n * sizeof *got) == 0;
    }
    free(got);
    free(want);
    return ok;
}

static void test_golden_matches_raw(void) {
    char err[512];
    const char *path = golden_path("vae_tiny.safetensors");
    weights *w = weights_open(path, err, sizeof err);
    st_file *st = st_open(path, err, sizeof err);
    CHECK_MSG(w && st, "%s", err);
    if (!w || !st) goto done;
    CHECK(weights_count(w) == 124);
    CHECK(weights_metadata(w, "config") != NULL);
    CHECK(weights_metadata(w, "no such key") == NULL);
    CHECK(weights_has(w, CONV_IN));
    int64_t want[4] = {32, 3, 3, 3};
    ts_tensor *t = weights_get_shaped(w, CONV_IN, want, 4);
    CHECK(t != NULL && !ts_failed());
    CHECK(t && ts_ndim(t) == 4 && ts_dim(t, 0) == 32 && ts_dim(t, 3) == 3);
    /* every tensor, by every name, carries exactly the stored bits */
    bool all = true;
    for (int i = 0; i < weights_count(w); i++) {
        const char *name = weights_name_at(w, i);
        const st_entry *e = name ? st_find(st, name) : NULL;
        ts_tensor *x = name ? weights_get(w, name) : NULL;
        all = all && e && x && ts_numel(x) == e->numel && same_values(x, e->data, e->numel);
    }
    CHECK(all && !ts_failed());
    CHECK(weights_name_at(w, -1) == NULL && weights_name_at(w, 124) == NULL);
    CHECK(weights_getf(w, "first_stage_model.%s.conv_in.%s", "encoder", "weight") == t);
done:
    st_close(st);
    weights_close(w);
}

static void test_lookup_errors(void) {
    char err[512];
    weights *w = weights_open(golden_path("vae_tiny.safetensors"), err, sizeof err);
    CHECK_MSG(w != NULL, "%s", err);
    if (!w) return;
    ts_error_clear();
    CHECK(!weights_has(w, "model.nope"));
    CHECK(weights_get(w, "model.nope") == NULL);
    CHECK(ts_failed() && strcmp(ts_last_error(), "missing tensor 'model.nope'") == 0);
    ts_error_clear();

    CHECK(weights_getf(w, "blocks.%d.weight", 7) == NULL);
    CHECK(strcmp(ts_last_error(), "missing tensor 'blocks.7.weight'") == 0);
    ts_error_clear();

    int64_t wrong[4] = {32, 3, 1, 1};
    CHECK(weights_get_shaped(w, CONV_IN, wrong, 4) == NULL);
    CHECK_MSG(strcmp(ts_last_error(),
                     "tensor '" CONV_IN
                     "' has shape [32, 3, 3, 3] but [32, 3, 1, 1] was expected") == 0,
              "got '%s'", ts_last_error());
    ts_error_clear();

    int64_t rank2[2] = {32, 27};
    CHECK(weights_get_shaped(w, CONV_IN, rank2, 2) == NULL);
    CHECK(strstr(ts_last_error(), "but [32, 27] was expected") != NULL);
    ts_error_clear();
    weights_close(w);
}

static void test_open_errors(void) {
    char err[512] = "";
    CHECK(weights_open(tmp_path("missing.safetensors"), err, sizeof err) == NULL);
    CHECK_MSG(strstr(err, "missing.safetensors") && strstr(err, "cannot open"), "'%s'", err);
    FILE *fp = fopen(tmp_path("junk.safetensors"), "wb");
    if (fp) {
        fputs("not a safetensors file at all", fp);
        fclose(fp);
    }
    CHECK(weights_open(tmp_path("junk.safetensors"), err, sizeof err) == NULL);
    CHECK_MSG(strstr(err, "junk.safetensors") != NULL, "'%s'", err);
    unlink(tmp_path("junk.safetensors"));
}

static void test_add_file(void) {
    char err[512];
    weights *w = weights_open(golden_path("vae_tiny.safetensors"), err, sizeof err);
    CHECK_MSG(w != NULL, "%s", err);
    if (!w) return;
    bool ok = weights_add_file(w, golden_path("clip_tiny.safetensors"), err, sizeof err);
    CHECK_MSG(ok, "%s", err);
    CHECK(weights_count(w) == 160);
    CHECK(weights_has(w, CONV_IN));
    CHECK(weights_has(w, "cond_stage_model.transformer.text_model.final_layer_norm.weight"));
    CHECK(weights_get(w, "cond_stage_model.transformer.text_model.final_layer_norm.bias"));
    /* the same file again: every name clashes; the store stays as it was */
    ok = weights_add_file(w, golden_path("vae_tiny.safetensors"), err, sizeof err);
    CHECK(!ok && strstr(err, "already loaded") != NULL);
    CHECK(weights_count(w) == 160 && weights_get(w, CONV_IN) != NULL);
    CHECK(!ts_failed());
    weights_close(w);
}

/* ---- a mixed-dtype file built byte by byte ---- */

static void put_u64(FILE *fp, uint64_t v) {
    for (int i = 0; i < 8; i++)
        fputc((int)(v >> (8 * i)) & 0xff, fp);
}

static const char *write_mixed_file(void) {
    /* data layout: u8 pad [0,1), f32 at the odd offset [1,9), f16 [9,19) -- unaligned on
     * purpose -- bf16 [19,23), f64 [23,39), i64 position_ids [39,63) */
    static const char header[] =
        "{\"pad\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
        "\"odd\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[1,9]},"
        "\"half\":{\"dtype\":\"F16\",\"shape\":[5],\"data_offsets\":[9,19]},"
        "\"brain\":{\"dtype\":\"BF16\",\"shape\":[2,1],\"data_offsets\":[19,23]},"
        "\"dbl\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[23,39]},"
        "\"position_ids\":{\"dtype\":\"I64\",\"shape\":[1,3],\"data_offsets\":[39,63]},"
        "\"__metadata__\":{\"format\":\"pt\"}}";
    const char *path = tmp_path("mixed.safetensors");
    FILE *fp = fopen(path, "wb");
    if (!fp) return path;
    size_t n = sizeof header - 1, padded = n + (8 - (8 + n) % 8) % 8;
    put_u64(fp, padded);
    fwrite(header, 1, n, fp);
    for (size_t i = n; i < padded; i++)
        fputc(' ', fp);
    fputc(0x7f, fp);
    float f32[2] = {0.1f, -7.25f};
    fwrite(f32, 4, 2, fp);
    /* 1, -2, 0.5, 65504 (largest half), 2^-24 (smallest subnormal) */
    uint16_t f16[5] = {0x3C00, 0xC000, 0x3800, 0x7BFF, 0x0001};
    fwrite(f16, 2, 5, fp);
    uint16_t bf16[2] = {0x3F80, 0xC060}; /* 1, -3.5 */
    fwrite(bf16, 2, 2, fp);
    double f64[2] = {1.0 / 3.0, -1e10};
    fwrite(f64, 8, 2, fp);
    int64_t ids[3] = {0, 1, 2};
    fwrite(ids, 8, 3, fp);
    fclose(fp);
    return path;
}

static bool values_are(const weights *w, const char *name, const float *want, int64_t n) {
    ts_tensor *t = weights_get(w, name);
    float got[8];
    return t && n <= 8 && ts_numel(t) == n && ts_to_floats(t, got, n) &&
           memcmp(got, want, (size_t)n * sizeof *got) == 0;
}

static void test_converted_types(void) {
    char err[512];
    const char *path = write_mixed_file();
    ts_error_clear();
    weights *w = weights_open(path, err, sizeof err);
    CHECK_MSG(w != NULL, "%s", err);
    if (!w) return;
    CHECK(weights_count(w) == 6);
    CHECK(weights_metadata(w, "format") && strcmp(weights_metadata(w, "format"), "pt") == 0);
    float odd[2] = {0.1f, -7.25f};
    CHECK(values_are(w, "odd", odd, 2));
    float half[5] = {1.0f, -2.0f, 0.5f, 65504.0f, 5.9604644775390625e-8f};
    CHECK(values_are(w, "half", half, 5));
    float brain[2] = {1.0f, -3.5f};
    CHECK(values_are(w, "brain", brain, 2));
    int64_t bshape[2] = {2, 1};
    CHECK(weights_get_shaped(w, "brain", bshape, 2) != NULL);
    float dbl[2] = {(float)(1.0 / 3.0), -1e10f};
    CHECK(values_are(w, "dbl", dbl, 2));
    CHECK(!ts_failed());
    /* integer buffers are listed but refused when asked for */
    CHECK(weights_has(w, "position_ids"));
    CHECK(weights_get(w, "position_ids") == NULL);
    CHECK_MSG(strstr(ts_last_error(), "'position_ids' has dtype I64") != NULL, "'%s'",
              ts_last_error());
    ts_error_clear();
    weights_close(w);
    unlink(path);
}

/* A view made from a weight keeps the mapping alive after weights_close. */
static void test_view_outlives_store(void) {
    char err[512];
    weights *w = weights_open(golden_path("vae_tiny.safetensors"), err, sizeof err);
    CHECK_MSG(w != NULL, "%s", err);
    if (!w) return;
    float want[864];
    CHECK(ts_to_floats(weights_get(w, CONV_IN), want, 864));
    ts_scope s = ts_scope_begin();
    int64_t flat[1] = {864};
    ts_tensor *view = ts_detach(ts_reshape(weights_get(w, CONV_IN), flat, 1));
    ts_scope_end(s);
    weights_close(w);
    float got[864];
    CHECK(view && ts_to_floats(view, got, 864) && memcmp(got, want, sizeof got) == 0);
    ts_free(view); /* last reference: the file is unmapped now */
    CHECK(!ts_failed());
}

int main(void) {
    snprintf(g_dir, sizeof g_dir, "/tmp/test_weights_XXXXXX");
    if (!mkdtemp(g_dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_golden_matches_raw();
    test_lookup_errors();
    test_open_errors();
    test_add_file();
    test_converted_types();
    test_view_outlives_store();
    rmdir(g_dir);
    return CHECK_DONE();
}
