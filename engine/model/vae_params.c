/* VAE configuration and parameter layout: the one place that knows the LDM
 * AutoencoderKL tensor names and shapes. The loader (vae.c), the parameter
 * enumerator and the bundle writer all walk this same layout. */
#include "vae.h"
#include "weight_binding.h"
#include "config_json.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define VAE_GROUPS 32

void vae_config_sd(vae_config *c) {
    memset(c, 0, sizeof *c);
    c->ch = 128;
    c->n_levels = 4;
    const int mult[4] = {1, 2, 4, 4};
    memcpy(c->ch_mult, mult, sizeof mult);
    c->num_res_blocks = 2;
    c->z_channels = 4;
    c->embed_dim = 4;
    c->in_channels = 3;
    c->out_ch = 3;
}

int vae_config_factor(const vae_config *c) {
    return 1 << (c->n_levels - 1);
}

bool vae_config_check(const vae_config *c, char *err, size_t errlen) {
    if (c->n_levels < 1 || c->n_levels > VAE_MAX_LEVELS) {
        snprintf(err, errlen, "vae config: ch_mult needs 1..%d entries, got %d", VAE_MAX_LEVELS,
                 c->n_levels);
        return false;
    }
    if (c->num_res_blocks < 1 || c->num_res_blocks + 1 > VAE_MAX_BLOCKS) {
        snprintf(err, errlen, "vae config: num_res_blocks must be 1..%d, got %d",
                 VAE_MAX_BLOCKS - 1, c->num_res_blocks);
        return false;
    }
    if (c->ch < 1 || c->ch > 4096) {
        snprintf(err, errlen, "vae config: ch must be 1..4096, got %d", c->ch);
        return false;
    }
    for (int i = 0; i < c->n_levels; i++) {
        int width = c->ch * c->ch_mult[i];
        if (c->ch_mult[i] < 1 || c->ch_mult[i] > 64 || width % VAE_GROUPS != 0) {
            snprintf(err, errlen,
                     "vae config: ch*ch_mult[%d] = %d must be a positive multiple of the %d "
                     "GroupNorm groups",
                     i, width, VAE_GROUPS);
            return false;
        }
    }
    const int *small[] = {&c->z_channels, &c->embed_dim, &c->in_channels, &c->out_ch};
    const char *names[] = {"z_channels", "embed_dim", "in_channels", "out_ch"};
    for (int i = 0; i < 4; i++) {
        if (*small[i] < 1 || *small[i] > 1024) {
            snprintf(err, errlen, "vae config: %s must be 1..1024, got %d", names[i], *small[i]);
            return false;
        }
    }
    return true;
}

/* Reads an integer key; missing keys keep *out unless required. */
static bool json_int(json_t *root, const char *key, bool required, int *out, char *err,
                     size_t errlen) {
    json_t *v = json_object_get(root, key);
    if (!v) {
        if (required) snprintf(err, errlen, "vae config: missing key \"%s\"", key);
        return !required;
    }
    if (!json_is_integer(v)) {
        snprintf(err, errlen, "vae config: \"%s\" must be an integer", key);
        return false;
    }
    *out = (int)json_integer_value(v);
    return true;
}

static bool json_ch_mult(json_t *root, vae_config *c, char *err, size_t errlen) {
    json_t *arr = json_object_get(root, "ch_mult");
    if (!json_is_array(arr) || json_array_size(arr) < 1 || json_array_size(arr) > VAE_MAX_LEVELS) {
        snprintf(err, errlen, "vae config: \"ch_mult\" must be an array of 1..%d integers",
                 VAE_MAX_LEVELS);
        return false;
    }
    c->n_levels = (int)json_array_size(arr);
    for (int i = 0; i < c->n_levels; i++) {
        json_t *v = json_array_get(arr, (size_t)i);
        if (!json_is_integer(v)) {
            snprintf(err, errlen, "vae config: ch_mult[%d] must be an integer", i);
            return false;
        }
        c->ch_mult[i] = (int)json_integer_value(v);
    }
    return true;
}

/* Options the SD VAE never changes; refuse other values instead of running a
 * different network than the checkpoint was trained as. */
static bool json_fixed_options(json_t *root, char *err, size_t errlen) {
    json_t *v = json_object_get(root, "double_z");
    if (v && !json_is_true(v)) {
        snprintf(err, errlen, "vae config: only double_z = true (AutoencoderKL) is supported");
        return false;
    }
    v = json_object_get(root, "attn_resolutions");
    if (v && !(json_is_array(v) && json_array_size(v) == 0)) {
        snprintf(err, errlen,
                 "vae config: only attn_resolutions = [] (attention in the mid blocks only) "
                 "is supported");
        return false;
    }
    v = json_object_get(root, "num_groups");
    if (v && !(json_is_integer(v) && json_integer_value(v) == VAE_GROUPS)) {
        snprintf(err, errlen, "vae config: only num_groups = %d is supported", VAE_GROUPS);
        return false;
    }
    v = json_object_get(root, "norm_eps");
    if (v && !(json_is_number(v) && fabs(json_number_value(v) - 1e-6) < 1e-12)) {
        snprintf(err, errlen, "vae config: only norm_eps = 1e-6 is supported");
        return false;
    }
    return true;
}

bool vae_config_from_json(const char *json, vae_config *c, char *err, size_t errlen) {
    json_t *root = config_json_object(json, "vae", err, errlen);
    if (!root) return false;
    vae_config_sd(c);
    bool ok = json_ch_mult(root, c, err, errlen) &&
              json_int(root, "ch", true, &c->ch, err, errlen) &&
              json_int(root, "num_res_blocks", true, &c->num_res_blocks, err, errlen) &&
              json_int(root, "z_channels", true, &c->z_channels, err, errlen) &&
              json_int(root, "embed_dim", true, &c->embed_dim, err, errlen) &&
              json_int(root, "in_channels", false, &c->in_channels, err, errlen) &&
              json_int(root, "out_ch", false, &c->out_ch, err, errlen) &&
              json_fixed_options(root, err, errlen) && vae_config_check(c, err, errlen);
    json_decref(root);
    return ok;
}

/* ---- layout walk ---- */

typedef struct walker {
    const char *prefix;
    vae_bind_fn bind;
    void *user;
} walker;

/* Binds prefix + base [+ "." + part] + "." + leaf. */
static ts_tensor *bind_one(const walker *wk, const char *base, const char *part, const char *leaf,
                           const int64_t *shape, int ndim) {
    char name[512];
    if (part)
        snprintf(name, sizeof name, "%s%s.%s.%s", wk->prefix, base, part, leaf);
    else
        snprintf(name, sizeof name, "%s%s.%s", wk->prefix, base, leaf);
    return wk->bind(wk->user, name, shape, ndim);
}

static void conv(const walker *wk, vae_wb *out, const char *base, const char *part, int cout,
                 int cin, int k) {
    const int64_t wshape[4] = {cout, cin, k, k};
    const int64_t bshape[1] = {cout};
    out->w = bind_one(wk, base, part, "weight", wshape, 4);
    out->b = bind_one(wk, base, part, "bias", bshape, 1);
}

static void norm(const walker *wk, vae_wb *out, const char *base, const char *part, int c) {
    const int64_t shape[1] = {c};
    out->w = bind_one(wk, base, part, "weight", shape, 1);
    out->b = bind_one(wk, base, part, "bias", shape, 1);
}

static void resblock(const walker *wk, vae_resblock *out, const char *base, int cin, int cout) {
    norm(wk, &out->norm1, base, "norm1", cin);
    conv(wk, &out->conv1, base, "conv1", cout, cin, 3);
    norm(wk, &out->norm2, base, "norm2", cout);
    conv(wk, &out->conv2, base, "conv2", cout, cout, 3);
    out->nin_shortcut = (vae_wb){NULL, NULL};
    if (cin != cout) conv(wk, &out->nin_shortcut, base, "nin_shortcut", cout, cin, 1);
}

static void attn(const walker *wk, vae_attn *out, const char *base, int c) {
    norm(wk, &out->norm, base, "norm", c);
    conv(wk, &out->q, base, "q", c, c, 1);
    conv(wk, &out->k, base, "k", c, c, 1);
    conv(wk, &out->v, base, "v", c, c, 1);
    conv(wk, &out->proj_out, base, "proj_out", c, c, 1);
}

static void mid(const walker *wk, vae_mid *out, const char *coder, int c) {
    char n[400];
    snprintf(n, sizeof n, "%s.mid.block_1", coder);
    resblock(wk, &out->block_1, n, c, c);
    snprintf(n, sizeof n, "%s.mid.attn_1", coder);
    attn(wk, &out->attn_1, n, c);
    snprintf(n, sizeof n, "%s.mid.block_2", coder);
    resblock(wk, &out->block_2, n, c, c);
}

static void encoder(const walker *wk, const vae_config *c, vae_coder *out) {
    char n[400];
    conv(wk, &out->conv_in, "encoder.conv_in", NULL, c->ch, c->in_channels, 3);
    int cur = c->ch;
    for (int l = 0; l < c->n_levels; l++) {
        vae_level *lv = &out->level[l];
        int width = c->ch * c->ch_mult[l];
        lv->n_blocks = c->num_res_blocks;
        for (int j = 0; j < lv->n_blocks; j++) {
            snprintf(n, sizeof n, "encoder.down.%d.block.%d", l, j);
            resblock(wk, &lv->block[j], n, cur, width);
            cur = width;
        }
        lv->resample = (vae_wb){NULL, NULL};
        if (l < c->n_levels - 1) {
            snprintf(n, sizeof n, "encoder.down.%d.downsample.conv", l);
            conv(wk, &lv->resample, n, NULL, cur, cur, 3);
        }
    }
    mid(wk, &out->mid, "encoder", cur);
    norm(wk, &out->norm_out, "encoder.norm_out", NULL, cur);
    conv(wk, &out->conv_out, "encoder.conv_out", NULL, 2 * c->z_channels, cur, 3);
}

/* Listed up.0 first (state-dict order), though the forward runs up.{n-1} first:
 * level l takes the channels coming out of level l+1. */
static void decoder(const walker *wk, const vae_config *c, vae_coder *out) {
    char n[400];
    int top = c->ch * c->ch_mult[c->n_levels - 1];
    conv(wk, &out->conv_in, "decoder.conv_in", NULL, top, c->z_channels, 3);
    mid(wk, &out->mid, "decoder", top);
    for (int l = 0; l < c->n_levels; l++) {
        vae_level *lv = &out->level[l];
        int width = c->ch * c->ch_mult[l];
        int cur = l + 1 < c->n_levels ? c->ch * c->ch_mult[l + 1] : top;
        lv->n_blocks = c->num_res_blocks + 1;
        for (int j = 0; j < lv->n_blocks; j++) {
            snprintf(n, sizeof n, "decoder.up.%d.block.%d", l, j);
            resblock(wk, &lv->block[j], n, cur, width);
            cur = width;
        }
        lv->resample = (vae_wb){NULL, NULL};
        if (l > 0) {
            snprintf(n, sizeof n, "decoder.up.%d.upsample.conv", l);
            conv(wk, &lv->resample, n, NULL, width, width, 3);
        }
    }
    int base = c->ch * c->ch_mult[0];
    norm(wk, &out->norm_out, "decoder.norm_out", NULL, base);
    conv(wk, &out->conv_out, "decoder.conv_out", NULL, c->out_ch, base, 3);
}

void vae_tensors_walk(const vae_config *c, const char *prefix, vae_bind_fn bind, void *user,
                      vae_tensors *out) {
    const walker wk = {prefix ? prefix : "", bind, user};
    memset(out, 0, sizeof *out);
    char err[256];
    if (!vae_config_check(c, err, sizeof err)) return; /* the arrays are sized by the check */
    encoder(&wk, c, &out->encoder);
    decoder(&wk, c, &out->decoder);
    conv(&wk, &out->quant_conv, "quant_conv", NULL, 2 * c->embed_dim, 2 * c->z_channels, 1);
    conv(&wk, &out->post_quant_conv, "post_quant_conv", NULL, c->z_channels, c->embed_dim, 1);
}

void vae_params_foreach(const vae_config *c, const char *prefix, param_fn fn, void *user) {
    weight_lister ctx = {fn, user};
    vae_tensors scratch; /* the walk needs somewhere to store; nothing is bound */
    vae_tensors_walk(c, prefix, weight_bind_list, &ctx, &scratch);
}
