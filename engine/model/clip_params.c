/* CLIP text configuration and parameter layout (HF CLIPTextModel names). */
#include "clip_text.h"
#include "weight_binding.h"
#include "config_json.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define CLIP_MLP_RATIO 4

void clip_text_config_sd1(clip_text_config *c) {
    c->vocab_size = 49408;
    c->width = 768;
    c->layers = 12;
    c->heads = 12;
    c->max_positions = 77;
}

bool clip_text_config_check(const clip_text_config *c, char *err, size_t errlen) {
    if (c->vocab_size < 1 || c->vocab_size > (1 << 24)) {
        snprintf(err, errlen, "clip config: vocab_size must be 1..%d, got %d", 1 << 24,
                 c->vocab_size);
        return false;
    }
    if (c->layers < 1 || c->layers > CLIP_TEXT_MAX_LAYERS) {
        snprintf(err, errlen, "clip config: layers must be 1..%d, got %d", CLIP_TEXT_MAX_LAYERS,
                 c->layers);
        return false;
    }
    if (c->width < 1 || c->width > 16384 || c->heads < 1 || c->width % c->heads != 0) {
        snprintf(err, errlen,
                 "clip config: width (%d) must be 1..16384 and divisible by heads (%d)", c->width,
                 c->heads);
        return false;
    }
    if (c->max_positions < CLIP_TEXT_CONTEXT || c->max_positions > 4096) {
        snprintf(err, errlen, "clip config: max_positions must be %d..4096, got %d",
                 CLIP_TEXT_CONTEXT, c->max_positions);
        return false;
    }
    return true;
}

/* Integer under either of two key names; required. */
static bool json_int2(json_t *root, const char *key, const char *alt, int *out, char *err,
                      size_t errlen) {
    json_t *v = json_object_get(root, key);
    if (!v && alt) v = json_object_get(root, alt);
    if (!v) {
        snprintf(err, errlen, "clip config: missing key \"%s\"", key);
        return false;
    }
    if (!json_is_integer(v)) {
        snprintf(err, errlen, "clip config: \"%s\" must be an integer", key);
        return false;
    }
    *out = (int)json_integer_value(v);
    return true;
}

static bool json_fixed_options(json_t *root, char *err, size_t errlen) {
    json_t *v = json_object_get(root, "mlp_ratio");
    if (v && !(json_is_integer(v) && json_integer_value(v) == CLIP_MLP_RATIO)) {
        snprintf(err, errlen, "clip config: only mlp_ratio = %d is supported", CLIP_MLP_RATIO);
        return false;
    }
    v = json_object_get(root, "ln_eps");
    if (!v) v = json_object_get(root, "layer_norm_eps");
    if (v && !(json_is_number(v) && fabs(json_number_value(v) - 1e-5) < 1e-11)) {
        snprintf(err, errlen, "clip config: only LayerNorm eps 1e-5 is supported");
        return false;
    }
    v = json_object_get(root, "hidden_act");
    if (v && !(json_is_string(v) && strcmp(json_string_value(v), "quick_gelu") == 0)) {
        snprintf(err, errlen, "clip config: only hidden_act \"quick_gelu\" is supported");
        return false;
    }
    return true;
}

/* HF configs state the MLP width instead of a ratio. */
static bool json_intermediate(json_t *root, const clip_text_config *c, char *err, size_t errlen) {
    json_t *v = json_object_get(root, "intermediate_size");
    if (v &&
        !(json_is_integer(v) && json_integer_value(v) == (json_int_t)CLIP_MLP_RATIO * c->width)) {
        snprintf(err, errlen, "clip config: intermediate_size must be %d x width", CLIP_MLP_RATIO);
        return false;
    }
    return true;
}

bool clip_text_config_from_json(const char *json, clip_text_config *c, char *err, size_t errlen) {
    json_t *root = config_json_object(json, "clip", err, errlen);
    if (!root) return false;
    bool ok = json_int2(root, "vocab_size", NULL, &c->vocab_size, err, errlen) &&
              json_int2(root, "width", "hidden_size", &c->width, err, errlen) &&
              json_int2(root, "layers", "num_hidden_layers", &c->layers, err, errlen) &&
              json_int2(root, "heads", "num_attention_heads", &c->heads, err, errlen) &&
              json_int2(root, "max_positions", "max_position_embeddings", &c->max_positions, err,
                        errlen) &&
              json_fixed_options(root, err, errlen) && json_intermediate(root, c, err, errlen) &&
              clip_text_config_check(c, err, errlen);
    json_decref(root);
    return ok;
}

/* ---- layout walk ---- */

typedef struct walker {
    const char *prefix;
    clip_bind_fn bind;
    void *user;
} walker;

static ts_tensor *bind_one(const walker *wk, const char *base, const char *leaf,
                           const int64_t *shape, int ndim) {
    char name[512];
    snprintf(name, sizeof name, "%s%s.%s", wk->prefix, base, leaf);
    return wk->bind(wk->user, name, shape, ndim);
}

static void linear(const walker *wk, clip_wb *out, const char *base, int nout, int nin) {
    const int64_t wshape[2] = {nout, nin};
    const int64_t bshape[1] = {nout};
    out->w = weight_bind_linear(bind_one(wk, base, "weight", wshape, 2));
    out->b = bind_one(wk, base, "bias", bshape, 1);
}

static void layer_norm(const walker *wk, clip_wb *out, const char *base, int c) {
    const int64_t shape[1] = {c};
    out->w = bind_one(wk, base, "weight", shape, 1);
    out->b = bind_one(wk, base, "bias", shape, 1);
}

static void layer(const walker *wk, clip_layer *out, int i, int width) {
    char n[256];
    const int hidden = CLIP_MLP_RATIO * width;
#define NAME(leaf) (snprintf(n, sizeof n, "encoder.layers.%d.%s", i, leaf), n)
    layer_norm(wk, &out->layer_norm1, NAME("layer_norm1"), width);
    linear(wk, &out->k_proj, NAME("self_attn.k_proj"), width, width);
    linear(wk, &out->v_proj, NAME("self_attn.v_proj"), width, width);
    linear(wk, &out->q_proj, NAME("self_attn.q_proj"), width, width);
    linear(wk, &out->out_proj, NAME("self_attn.out_proj"), width, width);
    layer_norm(wk, &out->layer_norm2, NAME("layer_norm2"), width);
    linear(wk, &out->fc1, NAME("mlp.fc1"), hidden, width);
    linear(wk, &out->fc2, NAME("mlp.fc2"), width, hidden);
#undef NAME
}

void clip_text_tensors_walk(const clip_text_config *c, const char *prefix, clip_bind_fn bind,
                            void *user, clip_text_tensors *out) {
    const walker wk = {prefix ? prefix : "", bind, user};
    memset(out, 0, sizeof *out);
    char err[256];
    if (!clip_text_config_check(c, err, sizeof err)) return; /* layer[] is sized by the check */
    const int64_t tok[2] = {c->vocab_size, c->width};
    const int64_t pos[2] = {c->max_positions, c->width};
    out->token_embedding = bind_one(&wk, "embeddings.token_embedding", "weight", tok, 2);
    out->position_embedding = bind_one(&wk, "embeddings.position_embedding", "weight", pos, 2);
    for (int i = 0; i < c->layers; i++)
        layer(&wk, &out->layer[i], i, c->width);
    layer_norm(&wk, &out->final_layer_norm, "final_layer_norm", c->width);
}

void clip_text_params_foreach(const clip_text_config *c, const char *prefix, param_fn fn,
                              void *user) {
    weight_lister ctx = {fn, user};
    clip_text_tensors scratch; /* the walk needs somewhere to store; nothing is bound */
    clip_text_tensors_walk(c, prefix, weight_bind_list, &ctx, &scratch);
}
