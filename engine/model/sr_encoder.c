/* StableSR time-aware encoder: config, the layout walk (names and shapes in
 * state-dict order), loading and the forward. Blocks from unet_blocks.c. */
#include "sr_encoder.h"
#include "weight_binding.h"
#include "config_json.h"
#include "unet.h"
#include "unet_blocks.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SR_MAX_RES_BLOCKS 8

/* input_blocks.1.. : a ResBlock [+ attention], or a stride-2 conv. */
typedef struct sr_block {
    bool down;
    unet_wb op;
    unet_resblock res;
    bool has_attn;
    unet_legacy_attention attn;
} sr_block;

struct sr_encoder {
    sr_encoder_config cfg;
    unet_wb time_in, time_out, conv_in;
    sr_block in[UNET_MAX_INPUT_BLOCKS]; /* in[0] unused: conv_in */
    int n;                              /* input blocks, conv_in included */
    unet_resblock mid_res1, mid_res2;
    unet_legacy_attention mid_attn;
    unet_resblock tran[SR_ENCODER_MAX_FEATS];
    int feat_ch[SR_ENCODER_MAX_FEATS];
};

/* ---- config ---- */

void sr_encoder_config_stablesr(sr_encoder_config *out) {
    *out = (sr_encoder_config){.in_channels = 4,
                               .model_channels = 256,
                               .out_channels = 256,
                               .channel_mult = {1, 1, 2, 2},
                               .n_levels = 4,
                               .num_res_blocks = 2,
                               .attention_resolutions = {4, 2, 1},
                               .n_attention_resolutions = 3,
                               .num_heads = 4,
                               .num_head_channels = -1};
}

static void heads_of(const sr_encoder_config *c, int ch, int *heads, int *hc) {
    *heads = c->num_head_channels > 0 ? ch / c->num_head_channels : c->num_heads;
    *hc = *heads > 0 ? ch / *heads : 0;
}

static bool check_sizes(const sr_encoder_config *c, char *err, size_t n) {
    if (c->in_channels < 1 || c->in_channels > 1024 || c->model_channels < 1 ||
        c->model_channels > 8192 || c->out_channels < 1 || c->out_channels > 8192 ||
        c->n_levels < 1 || c->n_levels > UNET_MAX_LEVELS || c->num_res_blocks < 1 ||
        c->num_res_blocks > SR_MAX_RES_BLOCKS)
        return snprintf(err, n, "sr encoder config: sizes out of range"), false;
    if ((c->num_heads < 1) == (c->num_head_channels < 1))
        return snprintf(err, n,
                        "sr encoder config: set exactly one of num_heads, "
                        "num_head_channels"),
               false;
    if (c->out_channels % UNET_GROUPS)
        return snprintf(err, n, "sr encoder config: out_channels must be a multiple of %d",
                        UNET_GROUPS),
               false;
    return true;
}

static bool check_config(const sr_encoder_config *c, char *err, size_t n) {
    if (!check_sizes(c, err, n)) return false;
    for (int l = 0; l < c->n_levels; l++) {
        const int ch = c->channel_mult[l] * c->model_channels;
        int heads, hc;
        heads_of(c, ch, &heads, &hc);
        if (c->channel_mult[l] < 1 || ch % UNET_GROUPS || heads < 1 || heads * hc != ch)
            return snprintf(err, n,
                            "sr encoder config: width %d must be a multiple of %d split into "
                            "whole heads",
                            ch, UNET_GROUPS),
                   false;
    }
    return true;
}

bool sr_encoder_config_from_json(const char *json, sr_encoder_config *out, char *err,
                                 size_t errlen) {
    json_t *o = config_json_object(json, "sr encoder", err, errlen);
    if (!o) return false;
    memset(out, 0, sizeof *out);
    out->num_heads = -1;
    out->num_head_channels = -1;
    bool ok =
        config_json_int(o, "sr encoder", "in_channels", &out->in_channels, true, err, errlen) &&
        config_json_int(o, "sr encoder", "model_channels", &out->model_channels, true, err,
                        errlen) &&
        config_json_int(o, "sr encoder", "out_channels", &out->out_channels, true, err, errlen) &&
        config_json_int(o, "sr encoder", "num_res_blocks", &out->num_res_blocks, true, err,
                        errlen) &&
        config_json_int(o, "sr encoder", "num_heads", &out->num_heads, false, err, errlen) &&
        config_json_int(o, "sr encoder", "num_head_channels", &out->num_head_channels, false, err,
                        errlen) &&
        config_json_int_list(o, "sr encoder", "channel_mult", out->channel_mult, UNET_MAX_LEVELS,
                             &out->n_levels, err, errlen) &&
        config_json_int_list(o, "sr encoder", "attention_resolutions", out->attention_resolutions,
                             UNET_MAX_LEVELS, &out->n_attention_resolutions, err, errlen);
    json_decref(o);
    if (ok && out->num_head_channels > 0) out->num_heads = -1; /* as LDM: head width wins */
    return ok && check_config(out, err, errlen);
}

/* ---- layout walk ---- */

static bool has_attention(const sr_encoder_config *c, int ds) {
    for (int i = 0; i < c->n_attention_resolutions; i++)
        if (c->attention_resolutions[i] == ds) return true;
    return false;
}

static void bind_attn(const sr_encoder_config *c, const unet_binder *b, const char *name, int ch,
                      unet_legacy_attention *out) {
    int heads, hc;
    heads_of(c, ch, &heads, &hc);
    unet_bind_legacy_attention(b, name, ch, heads, out);
}

/* Level l's ResBlocks (+ attention) from block k on; returns the next block. */
static int walk_level(const sr_encoder_config *c, const char *pfx, const unet_binder *b,
                      sr_encoder *e, int k, int l, int ds, int *ch) {
    const int cout = c->channel_mult[l] * c->model_channels, emb = 4 * c->model_channels;
    char name[UNET_NAME_MAX];
    for (int r = 0; r < c->num_res_blocks; r++, k++) {
        sr_block *blk = &e->in[k];
        unet_namef(name, "%sinput_blocks.%d.0.", pfx, k);
        unet_bind_resblock(b, name, *ch, cout, emb, &blk->res);
        *ch = cout;
        if ((blk->has_attn = has_attention(c, ds))) {
            unet_namef(name, "%sinput_blocks.%d.1.", pfx, k);
            bind_attn(c, b, name, cout, &blk->attn);
        }
    }
    return k;
}

static void walk_input_blocks(const sr_encoder_config *c, const char *pfx, const unet_binder *b,
                              sr_encoder *e) {
    char name[UNET_NAME_MAX];
    int k = 1, ch = c->model_channels, ds = 1;
    unet_namef(name, "%sinput_blocks.0.0.", pfx);
    unet_bind_conv(b, name, ch, c->in_channels, 3, &e->conv_in);
    for (int l = 0; l < c->n_levels; l++) {
        k = walk_level(c, pfx, b, e, k, l, ds, &ch);
        e->feat_ch[l] = ch; /* the downsample's input, or the middle block's width */
        if (l == c->n_levels - 1) break;
        e->in[k].down = true;
        unet_namef(name, "%sinput_blocks.%d.0.op.", pfx, k);
        unet_bind_conv(b, name, ch, ch, 3, &e->in[k++].op);
        ds *= 2;
    }
    e->n = k;
}

static void walk_tail(const sr_encoder_config *c, const char *pfx, const unet_binder *b,
                      sr_encoder *e) {
    const int ch = e->feat_ch[c->n_levels - 1], emb = 4 * c->model_channels;
    char name[UNET_NAME_MAX];
    unet_namef(name, "%smiddle_block.0.", pfx);
    unet_bind_resblock(b, name, ch, ch, emb, &e->mid_res1);
    unet_namef(name, "%smiddle_block.1.", pfx);
    bind_attn(c, b, name, ch, &e->mid_attn);
    unet_namef(name, "%smiddle_block.2.", pfx);
    unet_bind_resblock(b, name, ch, ch, emb, &e->mid_res2);
    for (int l = 0; l < c->n_levels; l++) {
        unet_namef(name, "%sfea_tran.%d.", pfx, l);
        unet_bind_resblock(b, name, e->feat_ch[l], c->out_channels, emb, &e->tran[l]);
    }
}

/* Binds every parameter in state-dict order; c must pass check_config. */
static void walk(const sr_encoder_config *c, const char *pfx, const unet_binder *b, sr_encoder *e) {
    char name[UNET_NAME_MAX];
    const int mc = c->model_channels;
    e->cfg = *c;
    unet_namef(name, "%stime_embed.0.", pfx);
    unet_bind_linear(b, name, 4 * mc, mc, &e->time_in);
    unet_namef(name, "%stime_embed.2.", pfx);
    unet_bind_linear(b, name, 4 * mc, 4 * mc, &e->time_out);
    walk_input_blocks(c, pfx, b, e);
    walk_tail(c, pfx, b, e);
}

/* ---- loading and listing ---- */

static bool check_block_count(const sr_encoder_config *c, char *err, size_t errlen) {
    if (c->n_levels * (c->num_res_blocks + 1) <= UNET_MAX_INPUT_BLOCKS) return true;
    snprintf(err, errlen, "sr encoder config: too many input blocks (at most %d)",
             UNET_MAX_INPUT_BLOCKS);
    return false;
}

sr_encoder *sr_encoder_create(const weights *w, const char *prefix, const sr_encoder_config *cfg,
                              char *err, size_t errlen) {
    if (!w || !cfg) return snprintf(err, errlen, "sr encoder: no weights or config"), NULL;
    if (!check_config(cfg, err, errlen) || !check_block_count(cfg, err, errlen)) return NULL;
    if (ts_failed()) { /* the walk stops at the first error; don't blame an old one on it */
        snprintf(err, errlen, "sr encoder: earlier tensor error pending: %s", ts_last_error());
        return NULL;
    }
    sr_encoder *e = calloc(1, sizeof *e);
    if (!e) return snprintf(err, errlen, "sr encoder: out of memory"), NULL;
    const unet_binder b = {weight_bind_load, (void *)w};
    walk(cfg, prefix ? prefix : "", &b, e);
    if (ts_failed()) {
        snprintf(err, errlen, "sr encoder: %s", ts_last_error());
        ts_error_clear();
        free(e);
        return NULL;
    }
    return e;
}

void sr_encoder_free(sr_encoder *e) {
    free(e); /* tensors belong to the weight store */
}

int sr_encoder_num_feats(const sr_encoder *e) {
    return e->cfg.n_levels;
}

bool sr_encoder_params_foreach(const sr_encoder_config *cfg, const char *prefix, param_fn fn,
                               void *user, char *err, size_t errlen) {
    if (!check_config(cfg, err, errlen) || !check_block_count(cfg, err, errlen)) return false;
    sr_encoder *scratch = calloc(1, sizeof *scratch);
    if (!scratch) return snprintf(err, errlen, "sr encoder: out of memory"), false;
    weight_lister l = {fn, user};
    const unet_binder b = {weight_bind_list, &l};
    walk(cfg, prefix ? prefix : "", &b, scratch);
    free(scratch);
    return true;
}

/* ---- forward ---- */

static bool check_inputs(const sr_encoder *e, ts_tensor *x, const float *t) {
    if (!e || !t) return ts_error_set("sr encoder: no model or no timesteps"), false;
    if (!x) return false; /* an earlier op failed and set the error */
    const int64_t f = (int64_t)1 << (e->cfg.n_levels - 1);
    if (ts_ndim(x) != 4 || ts_dim(x, 0) < 1 || ts_dim(x, 1) != e->cfg.in_channels ||
        ts_dim(x, 2) < 1 || ts_dim(x, 3) < 1 || ts_dim(x, 2) % f || ts_dim(x, 3) % f) {
        ts_error_set("sr encoder: lr latent must be [B, %d, H, W], H and W multiples of %lld",
                     e->cfg.in_channels, (long long)f);
        return false;
    }
    for (int64_t i = 0; i < ts_dim(x, 0); i++)
        if (!isfinite(t[i])) return ts_error_set("sr encoder: timestep is not finite"), false;
    return true;
}

/* SiLU(time_embed(sinusoid(t))): what every ResBlock's emb_layers consume. */
static ts_tensor *time_embedding_act(const sr_encoder *e, const float *t, int batch) {
    ts_tensor *s = unet_timestep_embedding(t, batch, e->cfg.model_channels);
    s = ts_silu(ts_linear(s, e->time_in.w, e->time_in.b));
    return ts_silu(ts_linear(s, e->time_out.w, e->time_out.b));
}

static ts_tensor *run_block(const sr_block *blk, ts_tensor *h, ts_tensor *emb_act) {
    if (blk->down) return unet_downsample(&blk->op, h);
    h = unet_resblock_forward(&blk->res, h, emb_act);
    return blk->has_attn ? unet_legacy_attention_forward(&blk->attn, h) : h;
}

bool sr_encoder_forward(const sr_encoder *e, ts_tensor *lr_latent, const float *t,
                        ts_tensor **feats) {
    if (!check_inputs(e, lr_latent, t)) return false;
    ts_tensor *emb_act = time_embedding_act(e, t, (int)ts_dim(lr_latent, 0));
    ts_tensor *f[SR_ENCODER_MAX_FEATS];
    int nf = 0;
    ts_tensor *h = ts_conv2d(lr_latent, e->conv_in.w, e->conv_in.b, 1, 1);
    for (int i = 1; i < e->n; i++) {
        if (e->in[i].down) f[nf++] = h; /* the input of every block that halves the width */
        h = run_block(&e->in[i], h, emb_act);
    }
    h = unet_resblock_forward(&e->mid_res1, h, emb_act);
    h = unet_legacy_attention_forward(&e->mid_attn, h);
    f[nf++] = unet_resblock_forward(&e->mid_res2, h, emb_act);
    for (int k = 0; k < nf; k++)
        feats[k] = unet_resblock_forward(&e->tran[k], f[k], emb_act);
    return !ts_failed();
}
