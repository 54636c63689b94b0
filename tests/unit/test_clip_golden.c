/* CLIP text model against the golden fixture (clip_tiny*): embeddings, the
 * residual stream after layer 0, last_hidden_state, causality, the parameter
 * layout and SD1 counts, and clear errors for bad weights, configs and ids. */
#include "check.h"
#include "layout_check.h"
#include "clip_text.h"
#include "weights.h"

#include <string.h>

#define PREFIX "cond_stage_model.transformer.text_model."
#define PASS_LIMIT 2e-5 /* README: float32 lands <= ~2.2e-6; LN eps 1e-6 bug shows 0.046 */
#define ROWS 2

static void test_layout(const weights *w, const clip_text_config *tiny) {
    layout_check ctx = {w, 0, 0, 0};
    clip_text_params_foreach(tiny, PREFIX, layout_check_visit, &ctx);
    CHECK_MSG(ctx.mismatches == 0, "%d layout tensors differ from the file", ctx.mismatches);
    CHECK_MSG(ctx.n == weights_count(w), "layout lists %d tensors, file has %d", ctx.n,
              weights_count(w));

    clip_text_config sd1;
    clip_text_config_sd1(&sd1);
    layout_check count = {NULL, 0, 0, 0};
    clip_text_params_foreach(&sd1, PREFIX, layout_check_visit, &count);
    CHECK_MSG(count.n == 196, "SD1 CLIP has %d tensors", count.n);
    CHECK_MSG(count.values == 123060480, "SD1 CLIP has %lld values", (long long)count.values);
}

/* The fixture stores ids as F32 (exact integers). */
static bool read_ids(const weights *io, int64_t *ids) {
    float f[ROWS * CLIP_TEXT_CONTEXT];
    ts_tensor *t = weights_get(io, "input_ids");
    if (!t || ts_numel(t) != ROWS * CLIP_TEXT_CONTEXT) return false;
    if (!ts_to_floats(t, f, ROWS * CLIP_TEXT_CONTEXT)) return false;
    for (int i = 0; i < ROWS * CLIP_TEXT_CONTEXT; i++)
        ids[i] = (int64_t)f[i];
    return true;
}

static void compare(ts_tensor *y, const weights *io, const char *expected) {
    ts_tensor *ref = weights_get(io, expected);
    CHECK_MSG(y && ref && !ts_failed(), "%s: %s", expected, ts_last_error());
    if (!y || !ref) return;
    bool same_shape = ts_ndim(y) == ts_ndim(ref);
    for (int d = 0; same_shape && d < ts_ndim(y); d++)
        same_shape = ts_dim(y, d) == ts_dim(ref, d);
    CHECK_MSG(same_shape, "%s: shape differs from the golden tensor", expected);
    double diff = same_shape ? ts_max_abs_diff(y, ref) : 1e30;
    printf("%-18s max|diff| %.3g\n", expected, diff);
    CHECK_MSG(diff <= PASS_LIMIT, "%s: max|diff| %.3g > %.1g", expected, diff, PASS_LIMIT);
}

static void test_golden(const clip_text *m, const weights *io, const int64_t *ids) {
    ts_scope s = ts_scope_begin();
    compare(clip_text_hidden(m, ids, ROWS, 0), io, "hidden_0");
    compare(clip_text_hidden(m, ids, ROWS, 1), io, "hidden_1");
    compare(clip_text_forward(m, ids, ROWS), io, "last_hidden_state");
    ts_scope_end(s);
    ts_error_clear();
}

/* Changing ids after position 20 must leave outputs 0..20 unchanged. */
static void test_causal(const clip_text *m, const int64_t *ids) {
    int64_t changed[ROWS * CLIP_TEXT_CONTEXT];
    memcpy(changed, ids, sizeof changed);
    for (int r = 0; r < ROWS; r++)
        for (int p = 21; p < CLIP_TEXT_CONTEXT; p++)
            changed[r * CLIP_TEXT_CONTEXT + p] =
                (changed[r * CLIP_TEXT_CONTEXT + p] + 7 * p) % 1000;
    ts_scope s = ts_scope_begin();
    ts_tensor *a = clip_text_forward(m, ids, ROWS);
    ts_tensor *b = clip_text_forward(m, changed, ROWS);
    ts_tensor *head_a = ts_narrow(a, 1, 0, 21), *head_b = ts_narrow(b, 1, 0, 21);
    ts_tensor *tail_a = ts_narrow(a, 1, 21, 56), *tail_b = ts_narrow(b, 1, 21, 56);
    CHECK_MSG(!ts_failed(), "%s", ts_last_error());
    if (!ts_failed()) {
        CHECK_MSG(ts_max_abs_diff(head_a, head_b) <= 1e-6, "positions 0..20 saw later ids");
        CHECK_MSG(ts_max_abs_diff(tail_a, tail_b) > 1e-3, "later ids changed nothing");
    }
    ts_scope_end(s);
    ts_error_clear();
}

static void test_bad_ids(const clip_text *m, const int64_t *ids) {
    int64_t bad[CLIP_TEXT_CONTEXT];
    memcpy(bad, ids, sizeof bad);
    bad[5] = 1000; /* vocab is 0..999 */
    CHECK(clip_text_forward(m, bad, 1) == NULL);
    CHECK_MSG(strstr(ts_last_error(), "outside 0..999"), "got '%s'", ts_last_error());
    ts_error_clear();
    bad[5] = -1;
    CHECK(clip_text_forward(m, bad, 1) == NULL && ts_failed());
    ts_error_clear();
    CHECK(clip_text_forward(m, ids, 0) == NULL && ts_failed());
    ts_error_clear();
    CHECK(clip_text_hidden(m, ids, 1, 3) == NULL && ts_failed());
    ts_error_clear();
}

static void expect_create_error(const weights *w, const clip_text_config *c, const char *needle) {
    char err[512] = "";
    clip_text *m = clip_text_create(w, PREFIX, c, err, sizeof err);
    CHECK_MSG(!m && strstr(err, needle), "expected an error naming '%s', got '%s'", needle, err);
    CHECK_MSG(!ts_failed(), "create left a pending error: %s", ts_last_error());
    clip_text_free(m);
}

static void test_bad_weights(const weights *w, const clip_text_config *tiny) {
    clip_text_config c = *tiny;
    c.layers = 3;
    expect_create_error(w, &c, "missing tensor '" PREFIX "encoder.layers.2.layer_norm1.weight'");
    c = *tiny;
    c.vocab_size = 49408;
    expect_create_error(w, &c, PREFIX "embeddings.token_embedding.weight");
}

static void expect_json_error(const char *json, const char *needle) {
    clip_text_config c;
    char err[512] = "";
    CHECK_MSG(!clip_text_config_from_json(json, &c, err, sizeof err) && strstr(err, needle),
              "config %s: expected error with '%s', got '%s'", json, needle, err);
}

static void test_config_json(const weights *w, clip_text_config *tiny) {
    char err[512] = "";
    const char *json = weights_metadata(w, "config");
    CHECK_MSG(json && clip_text_config_from_json(json, tiny, err, sizeof err), "config: %s", err);
    CHECK(tiny->vocab_size == 1000 && tiny->width == 64 && tiny->layers == 2 && tiny->heads == 2 &&
          tiny->max_positions == 77);
    clip_text_config hf;
    const char *hf_json = "{\"vocab_size\":49408,\"hidden_size\":768,\"num_hidden_layers\":12,"
                          "\"num_attention_heads\":12,\"max_position_embeddings\":77,"
                          "\"intermediate_size\":3072,\"hidden_act\":\"quick_gelu\"}";
    CHECK_MSG(clip_text_config_from_json(hf_json, &hf, err, sizeof err), "HF config: %s", err);
    CHECK(hf.width == 768 && hf.layers == 12 && hf.heads == 12);
    expect_json_error("[1]", "not a JSON object");
    expect_json_error("{\"vocab_size\":1000}", "width");
    expect_json_error("{\"vocab_size\":1000,\"width\":64,\"layers\":2,\"heads\":3,"
                      "\"max_positions\":77}",
                      "divisible by heads");
    expect_json_error("{\"vocab_size\":1000,\"width\":64,\"layers\":2,\"heads\":2,"
                      "\"max_positions\":77,\"hidden_act\":\"gelu\"}",
                      "quick_gelu");
    expect_json_error("{\"vocab_size\":1000,\"width\":64,\"layers\":2,\"heads\":2,"
                      "\"max_positions\":77,\"ln_eps\":1e-6}",
                      "eps");
}

int main(void) {
    char err[512] = "";
    weights *w = weights_open(golden_path("clip_tiny.safetensors"), err, sizeof err);
    CHECK_MSG(w, "%s", err);
    weights *io = weights_open(golden_path("clip_tiny_io.safetensors"), err, sizeof err);
    CHECK_MSG(io, "%s", err);
    if (!w || !io) return CHECK_DONE();

    clip_text_config tiny;
    clip_text_config_sd1(&tiny);
    test_config_json(w, &tiny);
    test_layout(w, &tiny);
    test_bad_weights(w, &tiny);

    int64_t ids[ROWS * CLIP_TEXT_CONTEXT];
    bool have_ids = read_ids(io, ids);
    CHECK_MSG(have_ids, "input_ids: %s", ts_last_error());
    clip_text *m = clip_text_create(w, PREFIX, &tiny, err, sizeof err);
    CHECK_MSG(m, "create: %s", err);
    if (m && have_ids) {
        test_golden(m, io, ids);
        test_causal(m, ids);
        test_bad_ids(m, ids);
    }
    clip_text_free(m);
    weights_close(io);
    weights_close(w);
    return CHECK_DONE();
}
