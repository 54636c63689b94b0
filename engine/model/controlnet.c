/* ControlNet: configuration, binding in the cldm layout, and the forward. */
#include "controlnet.h"
#include "weight_binding.h"
#include "config_json.h"
#include "unet_blocks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* input_hint_block: conv indices 0, 2, ..., 14 (SiLU at the odd ones). */
#define HINT_CONVS 8

struct controlnet {
    controlnet_config cfg;
    unet *enc; /* encoder-only copy: time_embed, input blocks, middle */
    int n;     /* input blocks */
    unet_wb hint[HINT_CONVS];
    int hint_stride[HINT_CONVS];
    unet_wb zero[UNET_MAX_INPUT_BLOCKS + 1]; /* zero_convs[0..n-1], middle_block_out */
};

void controlnet_config_cldm_v15(controlnet_config *out) {
    memset(out, 0, sizeof *out);
    unet_config_preset("sd15", &out->unet);
    out->hint_channels = 3;
    const int widths[CONTROLNET_HINT_LEVELS] = {16, 32, 96, 256};
    memcpy(out->hint_widths, widths, sizeof widths);
}

static bool read_hint_keys(json_t *o, controlnet_config *out, char *err, size_t errlen) {
    json_t *hc = json_object_get(o, "hint_channels"), *hw = json_object_get(o, "hint_widths");
    if (hc && (!json_is_integer(hc) || json_integer_value(hc) < 1 || json_integer_value(hc) > 64))
        return snprintf(err, errlen, "controlnet config: hint_channels must be 1..64"), false;
    if (hc) out->hint_channels = (int)json_integer_value(hc);
    if (!hw) return true;
    if (!json_is_array(hw) || json_array_size(hw) != CONTROLNET_HINT_LEVELS)
        return snprintf(err, errlen, "controlnet config: hint_widths must be %d integers",
                        CONTROLNET_HINT_LEVELS),
               false;
    for (int i = 0; i < CONTROLNET_HINT_LEVELS; i++) {
        json_t *v = json_array_get(hw, (size_t)i);
        if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 4096)
            return snprintf(err, errlen, "controlnet config: hint_widths must be 1..4096"), false;
        out->hint_widths[i] = (int)json_integer_value(v);
    }
    return true;
}

bool controlnet_config_from_json(const char *json, controlnet_config *out, char *err,
                                 size_t errlen) {
    controlnet_config_cldm_v15(out);
    if (!unet_config_from_json(json, &out->unet, err, errlen)) return false;
    json_t *o = config_json_object(json, "controlnet", err, errlen);
    if (!o) return false;
    bool ok = read_hint_keys(o, out, err, errlen);
    json_decref(o);
    return ok;
}

/* The hint encoder: widths w0 w0 w1 w1 w2 w2 w3, then model_channels; the
 * stride-2 convs are the ones that widen (indices 4, 8, 12). */
static void bind_hint(const controlnet_config *cfg, const char *pfx, const unet_binder *b,
                      controlnet *c) {
    const int *w = cfg->hint_widths;
    const int cin[HINT_CONVS] = {cfg->hint_channels, w[0], w[0], w[1], w[1], w[2], w[2], w[3]};
    const int cout[HINT_CONVS] = {w[0], w[0], w[1], w[1],
                                  w[2], w[2], w[3], cfg->unet.model_channels};
    char name[UNET_NAME_MAX];
    for (int i = 0; i < HINT_CONVS; i++) {
        unet_namef(name, "%sinput_hint_block.%d.", pfx, 2 * i);
        unet_bind_conv(b, name, cout[i], cin[i], 3, &c->hint[i]);
        c->hint_stride[i] = (i == 2 || i == 4 || i == 6) ? 2 : 1;
    }
}

static void bind_zero_convs(const char *pfx, const unet_binder *b, const int *skip_ch, int n,
                            controlnet *c) {
    char name[UNET_NAME_MAX];
    for (int i = 0; i < n; i++) {
        unet_namef(name, "%szero_convs.%d.0.", pfx, i);
        unet_bind_conv(b, name, skip_ch[i], skip_ch[i], 1, &c->zero[i]);
    }
    unet_namef(name, "%smiddle_block_out.0.", pfx);
    unet_bind_conv(b, name, skip_ch[n], skip_ch[n], 1, &c->zero[n]);
}

/* Binds the ControlNet's own layers (not the encoder copy). */
static bool bind_own(const controlnet_config *cfg, const char *pfx, const unet_binder *b,
                     controlnet *c, char *err, size_t errlen) {
    int skip_ch[UNET_MAX_INPUT_BLOCKS + 1];
    if (!unet_layout_skip_channels(&cfg->unet, skip_ch, &c->n, err, errlen)) return false;
    bind_hint(cfg, pfx, b, c);
    bind_zero_convs(pfx, b, skip_ch, c->n, c);
    return true;
}

controlnet *controlnet_create(const weights *w, const char *prefix, const controlnet_config *cfg,
                              char *err, size_t errlen) {
    const char *pfx = prefix ? prefix : "";
    controlnet *c = calloc(1, sizeof *c);
    if (!c) return snprintf(err, errlen, "controlnet: out of memory"), NULL;
    c->cfg = *cfg;
    c->enc = unet_encoder_create(w, pfx, &cfg->unet, err, errlen);
    const unet_binder b = {weight_bind_load, (void *)w};
    if (!c->enc || !bind_own(cfg, pfx, &b, c, err, errlen)) {
        controlnet_free(c);
        return NULL;
    }
    if (ts_failed()) {
        snprintf(err, errlen, "controlnet: %s", ts_last_error());
        ts_error_clear();
        controlnet_free(c);
        return NULL;
    }
    return c;
}

void controlnet_free(controlnet *c) {
    if (!c) return;
    unet_free(c->enc);
    free(c); /* tensors belong to the weight store */
}

const controlnet_config *controlnet_get_config(const controlnet *c) {
    return &c->cfg;
}

bool controlnet_params_foreach(const controlnet_config *cfg, const char *prefix, param_fn fn,
                               void *user, char *err, size_t errlen) {
    const char *pfx = prefix ? prefix : "";
    if (!unet_encoder_params_foreach(&cfg->unet, pfx, fn, user, err, errlen)) return false;
    controlnet *scratch = calloc(1, sizeof *scratch);
    if (!scratch) return snprintf(err, errlen, "controlnet: out of memory"), false;
    weight_lister l = {fn, user};
    const unet_binder b = {weight_bind_list, &l};
    bool ok = bind_own(cfg, pfx, &b, scratch, err, errlen);
    free(scratch);
    return ok;
}

static ts_tensor *hint_forward(const controlnet *c, ts_tensor *hint) {
    ts_scope s = ts_scope_begin();
    ts_tensor *g = hint;
    for (int i = 0; i < HINT_CONVS; i++) {
        g = ts_conv2d(g, c->hint[i].w, c->hint[i].b, c->hint_stride[i], 1);
        if (i < HINT_CONVS - 1) g = ts_silu(g);
    }
    return ts_scope_end_keep(s, g);
}

static bool check_hint(const controlnet *c, ts_tensor *x, ts_tensor *hint) {
    if (!x || !hint) return false; /* an earlier op failed and set the error */
    if (ts_ndim(hint) != 4 || ts_ndim(x) != 4 || ts_dim(hint, 0) != ts_dim(x, 0) ||
        ts_dim(hint, 1) != c->cfg.hint_channels || ts_dim(hint, 2) != 8 * ts_dim(x, 2) ||
        ts_dim(hint, 3) != 8 * ts_dim(x, 3)) {
        ts_error_set("controlnet: hint must be [%lld, %d, %lld, %lld] (8x the latent)",
                     (long long)ts_dim(x, 0), c->cfg.hint_channels, (long long)(8 * ts_dim(x, 2)),
                     (long long)(8 * ts_dim(x, 3)));
        return false;
    }
    return true;
}

bool controlnet_forward(const controlnet *c, ts_tensor *x, ts_tensor *hint, const float *t,
                        ts_tensor *context, int depth, float scale, ts_tensor **residuals) {
    const int n = c->n;
    for (int i = 0; i <= n; i++)
        residuals[i] = NULL;
    if (depth < 1 || depth > n + 1) {
        ts_error_set("controlnet: depth must be 1..%d, got %d", n + 1, depth);
        return false;
    }
    if (!check_hint(c, x, hint)) return false;
    ts_tensor *outs[UNET_MAX_INPUT_BLOCKS + 1] = {0};
    /* Stop after block depth-1: later residuals would be thrown away. */
    if (!unet_encoder_forward(c->enc, x, t, context, depth, hint_forward(c, hint), outs))
        return false;
    for (int i = 0; i <= n; i++) {
        if (!outs[i]) continue;
        ts_tensor *r = ts_conv2d(outs[i], c->zero[i].w, c->zero[i].b, 1, 0);
        residuals[i] = scale == 1.0f ? r : ts_mul_scalar(r, scale);
    }
    return !ts_failed();
}
