/* LDM UNetModel with depth-skip: the layout walk (the one place that knows the
 * block structure, names and shapes of the U-Net), loading, and the forward.
 * The blocks themselves live in unet_blocks.c. */
#include "unet.h"
#include "weight_binding.h"
#include "unet_blocks.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define UNET_MAX_RES_BLOCKS 8

typedef enum { BLOCK_CONV_IN, BLOCK_DOWN, BLOCK_RES } block_kind;

/* One input or output block: conv_in, a Downsample, or
 * ResBlock [+ SpatialTransformer] [+ Upsample]. */
typedef struct unet_block {
    block_kind kind;
    unet_wb conv; /* conv_in or Downsample op */
    unet_resblock res;
    bool has_attn;
    unet_transformer attn;
    unet_wb up;   /* Upsample conv; w NULL when none */
    int h_in;     /* output blocks: width arriving from below, before the skip concat */
    int out_ch;   /* width this block returns */
    int downsamp; /* input blocks: total downsampling factor of the output */
} unet_block;

struct unet {
    unet_config cfg;
    int n; /* input blocks = output blocks */
    unet_wb time_in, time_out;
    unet_block in[UNET_MAX_INPUT_BLOCKS], out[UNET_MAX_INPUT_BLOCKS];
    unet_resblock mid_res1, mid_res2;
    unet_transformer mid_attn;
    int mid_ch;
    unet_wb out_norm, out_conv;
    bool encoder_only; /* made by unet_encoder_create: no output blocks */
};

/* ---- config ---- */

static bool has_attention(const unet_config *c, int ds) {
    for (int i = 0; i < c->n_attention_resolutions; i++)
        if (c->attention_resolutions[i] == ds) return true;
    return false;
}

static bool check_heads(const unet_config *c, int ch, char *err, size_t errlen) {
    int heads = 0, head_dim = 0;
    unet_config_heads(c, ch, &heads, &head_dim);
    if (heads < 1 || head_dim < 1) {
        snprintf(err, errlen,
                 "unet config: width %d gives %d heads of %d channels (check num_heads / "
                 "num_head_channels)",
                 ch, heads, head_dim);
        return false;
    }
    return true;
}

static bool check_spade(const unet_config *c, char *err, size_t errlen) {
    if (c->spade_channels < 0 || c->spade_channels > 8192 || c->spade_hidden < 0 ||
        c->spade_hidden > 8192) {
        snprintf(err, errlen,
                 "unet config: spade_channels (%d) and spade_hidden (%d) must be 0..8192",
                 c->spade_channels, c->spade_hidden);
        return false;
    }
    if (c->spade_channels > 0 && c->spade_hidden < 1) {
        snprintf(err, errlen, "unet config: a SPADE U-Net needs spade_hidden");
        return false;
    }
    return true;
}

static bool check_config(const unet_config *c, char *err, size_t errlen) {
    if (c->n_levels < 1 || c->n_levels > UNET_MAX_LEVELS) {
        snprintf(err, errlen, "unet config: channel_mult needs 1..%d entries, got %d",
                 UNET_MAX_LEVELS, c->n_levels);
        return false;
    }
    if (c->num_res_blocks < 1 || c->num_res_blocks > UNET_MAX_RES_BLOCKS) {
        snprintf(err, errlen, "unet config: num_res_blocks must be 1..%d, got %d",
                 UNET_MAX_RES_BLOCKS, c->num_res_blocks);
        return false;
    }
    if (c->model_channels < 1 || c->model_channels > 8192) {
        snprintf(err, errlen, "unet config: model_channels must be 1..8192, got %d",
                 c->model_channels);
        return false;
    }
    if (c->in_channels < 1 || c->in_channels > 1024 || c->out_channels < 1 ||
        c->out_channels > 1024 || c->context_dim < 1 || c->context_dim > 65536) {
        snprintf(err, errlen,
                 "unet config: in_channels (%d), out_channels (%d) and context_dim (%d) must be "
                 "positive and sane",
                 c->in_channels, c->out_channels, c->context_dim);
        return false;
    }
    if (c->transformer_depth < 1 || c->transformer_depth > UNET_MAX_TRANSFORMER_DEPTH) {
        snprintf(err, errlen, "unet config: transformer_depth must be 1..%d, got %d",
                 UNET_MAX_TRANSFORMER_DEPTH, c->transformer_depth);
        return false;
    }
    if (c->model_channels % UNET_GROUPS != 0) {
        snprintf(err, errlen, "unet config: model_channels %d is not a multiple of %d groups",
                 c->model_channels, UNET_GROUPS);
        return false;
    }
    for (int l = 0; l < c->n_levels; l++) {
        if (c->channel_mult[l] < 1 || c->channel_mult[l] > 64) {
            snprintf(err, errlen, "unet config: channel_mult[%d] = %d must be 1..64", l,
                     c->channel_mult[l]);
            return false;
        }
        if (!check_heads(c, c->channel_mult[l] * c->model_channels, err, errlen)) return false;
    }
    return check_spade(c, err, errlen);
}

/* ---- layout walk ---- */

/* A ResBlock, plus StableSR's SPADE when the config has one (ResBlockDual:
 * every ResBlock of the network, encoder side, middle and decoder). */
static void bind_res(const unet_config *c, const unet_binder *b, const char *pfx, int cin, int cout,
                     unet_resblock *out) {
    unet_bind_resblock(b, pfx, cin, cout, 4 * c->model_channels, out);
    if (c->spade_channels < 1) return;
    char name[UNET_NAME_MAX];
    unet_namef(name, "%sspade.", pfx);
    unet_bind_spade(b, name, cout, c->spade_channels, c->spade_hidden, &out->spade);
}

static void walk_input_blocks(const unet_config *c, const char *pfx, const unet_binder *b, unet *u,
                              int *skip_ch) {
    const int mc = c->model_channels;
    char name[UNET_NAME_MAX];
    int k = 0, ch = mc, ds = 1;
    unet_namef(name, "%sinput_blocks.0.0.", pfx);
    u->in[0] = (unet_block){.kind = BLOCK_CONV_IN, .out_ch = mc, .downsamp = 1};
    unet_bind_conv(b, name, mc, c->in_channels, 3, &u->in[0].conv);
    skip_ch[k++] = mc;
    for (int l = 0; l < c->n_levels; l++) {
        const int cout = c->channel_mult[l] * mc;
        for (int r = 0; r < c->num_res_blocks; r++, k++) {
            unet_block *blk = &u->in[k];
            *blk = (unet_block){.kind = BLOCK_RES, .out_ch = cout, .downsamp = ds};
            unet_namef(name, "%sinput_blocks.%d.0.", pfx, k);
            bind_res(c, b, name, ch, cout, &blk->res);
            ch = cout;
            if ((blk->has_attn = has_attention(c, ds))) {
                int heads, hd;
                unet_config_heads(c, ch, &heads, &hd);
                unet_namef(name, "%sinput_blocks.%d.1.", pfx, k);
                unet_bind_transformer(b, name, ch, heads, hd, c->transformer_depth, c->context_dim,
                                      c->use_linear_in_transformer, &blk->attn);
            }
            skip_ch[k] = ch;
        }
        if (l < c->n_levels - 1) {
            ds *= 2;
            u->in[k] = (unet_block){.kind = BLOCK_DOWN, .out_ch = ch, .downsamp = ds};
            unet_namef(name, "%sinput_blocks.%d.0.op.", pfx, k);
            unet_bind_conv(b, name, ch, ch, 3, &u->in[k].conv);
            skip_ch[k++] = ch;
        }
    }
    u->n = k;
    u->mid_ch = ch;
}

static void walk_middle(const unet_config *c, const char *pfx, const unet_binder *b, unet *u) {
    const int ch = u->mid_ch;
    char name[UNET_NAME_MAX];
    int heads, hd;
    unet_config_heads(c, ch, &heads, &hd);
    unet_namef(name, "%smiddle_block.0.", pfx);
    bind_res(c, b, name, ch, ch, &u->mid_res1);
    unet_namef(name, "%smiddle_block.1.", pfx);
    unet_bind_transformer(b, name, ch, heads, hd, c->transformer_depth, c->context_dim,
                          c->use_linear_in_transformer, &u->mid_attn);
    unet_namef(name, "%smiddle_block.2.", pfx);
    bind_res(c, b, name, ch, ch, &u->mid_res2);
}

/* Mirror of the encoder: level by level from the bottom, num_res_blocks + 1
 * blocks each, the skips consumed last-in first-out. */
static void walk_output_blocks(const unet_config *c, const char *pfx, const unet_binder *b, unet *u,
                               const int *skip_ch) {
    const int mc = c->model_channels;
    char name[UNET_NAME_MAX];
    int j = 0, ch = u->mid_ch, ds = 1 << (c->n_levels - 1), top = u->n;
    for (int l = c->n_levels - 1; l >= 0; l--) {
        const int cout = c->channel_mult[l] * mc;
        for (int i = 0; i <= c->num_res_blocks; i++, j++) {
            unet_block *blk = &u->out[j];
            *blk = (unet_block){.kind = BLOCK_RES, .h_in = ch, .out_ch = cout};
            unet_namef(name, "%soutput_blocks.%d.0.", pfx, j);
            bind_res(c, b, name, ch + skip_ch[--top], cout, &blk->res);
            ch = cout;
            int layer = 1;
            if ((blk->has_attn = has_attention(c, ds))) {
                int heads, hd;
                unet_config_heads(c, ch, &heads, &hd);
                unet_namef(name, "%soutput_blocks.%d.%d.", pfx, j, layer++);
                unet_bind_transformer(b, name, ch, heads, hd, c->transformer_depth, c->context_dim,
                                      c->use_linear_in_transformer, &blk->attn);
            }
            if (l > 0 && i == c->num_res_blocks) {
                unet_namef(name, "%soutput_blocks.%d.%d.conv.", pfx, j, layer);
                unet_bind_conv(b, name, ch, ch, 3, &blk->up);
                ds /= 2;
            }
        }
    }
    char n2[UNET_NAME_MAX];
    unet_namef(n2, "%sout.0.", pfx);
    unet_bind_norm(b, n2, ch, &u->out_norm);
    unet_namef(n2, "%sout.2.", pfx);
    unet_bind_conv(b, n2, c->out_channels, ch, 3, &u->out_conv);
}

/* The encoder half: time_embed, input blocks, middle block. ControlNet's
 * copy of the encoder is exactly this under its own prefix. */
static void walk_encoder(const unet_config *c, const char *pfx, const unet_binder *b, unet *u,
                         int *skip_ch) {
    const int mc = c->model_channels;
    char name[UNET_NAME_MAX];
    u->cfg = *c;
    u->encoder_only = true;
    unet_namef(name, "%stime_embed.0.", pfx);
    unet_bind_linear(b, name, 4 * mc, mc, &u->time_in);
    unet_namef(name, "%stime_embed.2.", pfx);
    unet_bind_linear(b, name, 4 * mc, 4 * mc, &u->time_out);
    walk_input_blocks(c, pfx, b, u, skip_ch);
    walk_middle(c, pfx, b, u);
}

/* Binds every parameter in state-dict order; c must pass check_config. */
static void walk(const unet_config *c, const char *pfx, const unet_binder *b, unet *u) {
    int skip_ch[UNET_MAX_INPUT_BLOCKS];
    walk_encoder(c, pfx, b, u, skip_ch);
    walk_output_blocks(c, pfx, b, u, skip_ch);
    u->encoder_only = false;
}

typedef void (*walk_fn)(const unet_config *c, const char *pfx, const unet_binder *b, unet *u);

static void walk_encoder_only(const unet_config *c, const char *pfx, const unet_binder *b,
                              unet *u) {
    int skip_ch[UNET_MAX_INPUT_BLOCKS];
    walk_encoder(c, pfx, b, u, skip_ch);
}

/* ---- loading ---- */

static bool check_block_count(const unet_config *c, char *err, size_t errlen) {
    const int n = unet_config_n_input_blocks(c);
    if (n > UNET_MAX_INPUT_BLOCKS) {
        snprintf(err, errlen, "unet config: %d input blocks, at most %d supported", n,
                 UNET_MAX_INPUT_BLOCKS);
        return false;
    }
    return true;
}

/* StableSR hard-codes mlp_shared's width (128), but a file may differ (the
 * tiny fixtures use 16): a config that leaves it 0 takes it from the first
 * SPADE's weight. input_blocks.1.0 is a ResBlock in every layout. */
static bool resolve_spade_hidden(const weights *w, const char *prefix, unet_config *c, char *err,
                                 size_t errlen) {
    if (c->spade_channels < 1 || c->spade_hidden != 0) return true;
    char name[UNET_NAME_MAX];
    snprintf(name, sizeof name, "%sinput_blocks.1.0.spade.mlp_shared.0.weight", prefix);
    ts_tensor *t = weights_has(w, name) ? weights_get(w, name) : NULL;
    if (!t || ts_ndim(t) != 4) {
        snprintf(err, errlen, "unet: SPADE U-Net without a 4-d tensor '%s'", name);
        ts_error_clear();
        return false;
    }
    c->spade_hidden = (int)ts_dim(t, 0);
    return true;
}

static unet *create_with(walk_fn fn, const weights *w, const char *prefix,
                         const unet_config *cfg_in, char *err, size_t errlen) {
    if (!w || !cfg_in) {
        snprintf(err, errlen, "unet: no weights or config");
        return NULL;
    }
    prefix = prefix ? prefix : "";
    unet_config resolved = *cfg_in;
    const unet_config *cfg = &resolved;
    if (!resolve_spade_hidden(w, prefix, &resolved, err, errlen)) return NULL;
    if (!check_config(cfg, err, errlen) || !check_block_count(cfg, err, errlen)) return NULL;
    if (ts_failed()) { /* the walk stops at the first error; don't blame an old one on it */
        snprintf(err, errlen, "unet: earlier tensor error pending: %s", ts_last_error());
        return NULL;
    }
    unet *u = calloc(1, sizeof *u);
    if (!u) {
        snprintf(err, errlen, "unet: out of memory");
        return NULL;
    }
    const unet_binder b = {weight_bind_load, (void *)w};
    fn(cfg, prefix, &b, u);
    if (ts_failed()) {
        snprintf(err, errlen, "unet: %s", ts_last_error());
        ts_error_clear();
        free(u);
        return NULL;
    }
    return u;
}

unet *unet_create(const weights *w, const char *prefix, const unet_config *cfg, char *err,
                  size_t errlen) {
    return create_with(walk, w, prefix, cfg, err, errlen);
}

unet *unet_encoder_create(const weights *w, const char *prefix, const unet_config *cfg, char *err,
                          size_t errlen) {
    return create_with(walk_encoder_only, w, prefix, cfg, err, errlen);
}

void unet_free(unet *u) {
    free(u); /* tensors belong to the weight store */
}

const unet_config *unet_get_config(const unet *u) {
    return &u->cfg;
}

int unet_num_depths(const unet *u) {
    return u->n + 1;
}

int unet_zero_channels(const unet *u, int depth) {
    if (depth < 1 || depth > u->n + 1) return -1;
    return depth == u->n + 1 ? u->mid_ch : u->out[u->n - depth].h_in;
}

int unet_skip_channels(const unet *u, int i) {
    if (i < 0 || i > u->n) return -1;
    return i == u->n ? u->mid_ch : u->in[i].out_ch;
}

static bool foreach_with(walk_fn walker, const unet_config *cfg, const char *prefix, param_fn fn,
                         void *user, char *err, size_t errlen) {
    if (!check_config(cfg, err, errlen) || !check_block_count(cfg, err, errlen)) return false;
    unet *scratch = calloc(1, sizeof *scratch);
    if (!scratch) {
        snprintf(err, errlen, "unet: out of memory");
        return false;
    }
    weight_lister l = {fn, user};
    const unet_binder b = {weight_bind_list, &l};
    walker(cfg, prefix ? prefix : "", &b, scratch);
    free(scratch);
    return true;
}

bool unet_params_foreach(const unet_config *cfg, const char *prefix, param_fn fn, void *user,
                         char *err, size_t errlen) {
    return foreach_with(walk, cfg, prefix, fn, user, err, errlen);
}

static ts_tensor *null_bind(void *user, const char *name, const int64_t *shape, int ndim) {
    (void)user, (void)name, (void)shape, (void)ndim;
    return NULL;
}

bool unet_layout_skip_channels(const unet_config *cfg, int *skip_ch, int *n, char *err,
                               size_t errlen) {
    if (!check_config(cfg, err, errlen) || !check_block_count(cfg, err, errlen)) return false;
    unet *scratch = calloc(1, sizeof *scratch);
    if (!scratch) return snprintf(err, errlen, "unet: out of memory"), false;
    const unet_binder b = {null_bind, NULL};
    walk_encoder_only(cfg, "", &b, scratch);
    *n = scratch->n;
    for (int i = 0; i <= scratch->n; i++)
        skip_ch[i] = unet_skip_channels(scratch, i);
    free(scratch);
    return true;
}

bool unet_encoder_params_foreach(const unet_config *cfg, const char *prefix, param_fn fn,
                                 void *user, char *err, size_t errlen) {
    return foreach_with(walk_encoder_only, cfg, prefix, fn, user, err, errlen);
}

/* ---- forward ---- */

/* What every block of one forward shares. */
typedef struct fwd_ctx {
    ts_tensor *emb_act; /* SiLU(time embedding) */
    ts_tensor *context;
    ts_tensor *const *feats; /* SFT U-Net: struct features, one per width; else NULL */
    int n_feats;
} fwd_ctx;

/* The struct feature map of h's width (StableSR keys them by width); NULL for
 * a plain U-Net. A SPADE U-Net without one is an error. */
static ts_tensor *feat_for(const unet *u, const fwd_ctx *f, ts_tensor *h) {
    if (u->cfg.spade_channels < 1 || !h) return NULL;
    for (int i = 0; i < f->n_feats; i++)
        if (f->feats[i] && ts_dim(f->feats[i], 3) == ts_dim(h, 3)) return f->feats[i];
    ts_error_set("unet: no struct feature map of width %lld", (long long)ts_dim(h, 3));
    return NULL;
}

static ts_tensor *res_forward(const unet *u, const unet_resblock *p, ts_tensor *h,
                              const fwd_ctx *f) {
    ts_tensor *seg = feat_for(u, f, h);
    if (ts_failed()) return NULL;
    return unet_resblock_forward_sft(p, h, f->emb_act, seg);
}

static ts_tensor *run_block(const unet *u, const unet_block *blk, ts_tensor *h, const fwd_ctx *f) {
    switch (blk->kind) {
    case BLOCK_CONV_IN:
        return ts_conv2d(h, blk->conv.w, blk->conv.b, 1, 1);
    case BLOCK_DOWN:
        return unet_downsample(&blk->conv, h);
    case BLOCK_RES:
        break;
    }
    ts_scope s = ts_scope_begin();
    h = res_forward(u, &blk->res, h, f);
    if (blk->has_attn) h = unet_transformer_forward(&blk->attn, h, f->context);
    if (blk->up.w) h = unet_upsample(&blk->up, h);
    return ts_scope_end_keep(s, h);
}

static ts_tensor *run_middle(const unet *u, ts_tensor *h, const fwd_ctx *f) {
    ts_scope s = ts_scope_begin();
    h = res_forward(u, &u->mid_res1, h, f);
    h = unet_transformer_forward(&u->mid_attn, h, f->context);
    return ts_scope_end_keep(s, res_forward(u, &u->mid_res2, h, f));
}

/* SiLU(time_embed(sinusoid(t))): the only form the ResBlocks consume. */
static ts_tensor *time_embedding_act(const unet *u, const float *t, int batch) {
    ts_scope s = ts_scope_begin();
    ts_tensor *e = unet_timestep_embedding(t, batch, u->cfg.model_channels);
    e = ts_linear(ts_silu(ts_linear(e, u->time_in.w, u->time_in.b)), u->time_out.w, u->time_out.b);
    return ts_scope_end_keep(s, ts_silu(e));
}

/* h + c, where the residual c must have exactly h's shape (no broadcasting). */
static ts_tensor *add_residual(ts_tensor *h, ts_tensor *c, int idx) {
    if (!h) return NULL;
    if (!c) {
        ts_error_set("unet: control residual %d is missing", idx);
        return NULL;
    }
    bool same = ts_ndim(c) == ts_ndim(h);
    for (int d = 0; same && d < ts_ndim(h); d++)
        same = ts_dim(c, d) == ts_dim(h, d);
    if (!same) {
        ts_error_set("unet: control residual %d must be [%lld, %lld, %lld, %lld]", idx,
                     (long long)ts_dim(h, 0), (long long)ts_dim(h, 1), (long long)ts_dim(h, 2),
                     (long long)ts_dim(h, 3));
        return NULL;
    }
    return ts_add(h, c);
}

static bool check_inputs(const unet *u, ts_tensor *x, const float *t, ts_tensor *context, int depth,
                         bool want_decoder) {
    if (!u || !t) {
        ts_error_set("unet: no model or no timesteps");
        return false;
    }
    if (!x || !context) return false; /* an earlier op failed and set the error */
    if (u->encoder_only && want_decoder) {
        ts_error_set("unet: an encoder-only copy has no output blocks");
        return false;
    }
    const int n = u->n;
    if (depth < 1 || depth > n + 1) {
        ts_error_set("unet: depth must be 1..%d, got %d", n + 1, depth);
        return false;
    }
    const int64_t b = ts_dim(x, 0);
    if (ts_ndim(x) != 4 || b < 1 || ts_dim(x, 1) != u->cfg.in_channels) {
        ts_error_set("unet: x must be [B, %d, H, W]", u->cfg.in_channels);
        return false;
    }
    if (ts_ndim(context) != 3 || ts_dim(context, 0) != b ||
        ts_dim(context, 2) != u->cfg.context_dim || ts_dim(context, 1) < 1) {
        ts_error_set("unet: context must be [%lld, L, %d]", (long long)b, u->cfg.context_dim);
        return false;
    }
    /* Only the downsamples that run constrain the size (LDM upsamples by plain x2). */
    const int f = u->in[depth <= n ? depth - 1 : n - 1].downsamp;
    if (ts_dim(x, 2) < 1 || ts_dim(x, 3) < 1 || ts_dim(x, 2) % f || ts_dim(x, 3) % f) {
        ts_error_set("unet: latent height and width (%lld x %lld) must be multiples of %d at "
                     "depth %d",
                     (long long)ts_dim(x, 2), (long long)ts_dim(x, 3), f, depth);
        return false;
    }
    for (int64_t i = 0; i < b; i++) {
        if (!isfinite(t[i])) {
            ts_error_set("unet: timestep %lld is not finite", (long long)i);
            return false;
        }
    }
    return true;
}

static bool check_feats(const unet *u, ts_tensor *const *feats, int n_feats) {
    if ((u->cfg.spade_channels > 0) != (feats != NULL)) {
        ts_error_set(u->cfg.spade_channels > 0 ? "unet: a SPADE U-Net needs struct features"
                                               : "unet: struct features given to a plain U-Net");
        return false;
    }
    for (int i = 0; feats && i < n_feats; i++) {
        if (!feats[i]) return false; /* an earlier op failed and set the error */
        if (ts_ndim(feats[i]) != 4 || ts_dim(feats[i], 1) != u->cfg.spade_channels) {
            ts_error_set("unet: struct feature %d must be [B, %d, h, w]", i, u->cfg.spade_channels);
            return false;
        }
    }
    return true;
}

static ts_tensor *forward(const unet *u, ts_tensor *x, const float *t, ts_tensor *context,
                          int depth, ts_tensor *const *control, ts_tensor *const *feats,
                          int n_feats) {
    if (!check_inputs(u, x, t, context, depth, true) || !check_feats(u, feats, n_feats))
        return NULL;
    const int n = u->n, kept = depth <= n ? depth : n;
    ts_scope s = ts_scope_begin();
    const fwd_ctx f = {time_embedding_act(u, t, (int)ts_dim(x, 0)), context, feats, n_feats};
    ts_tensor *skips[UNET_MAX_INPUT_BLOCKS];
    ts_tensor *h = x;
    for (int i = 0; i < kept; i++) {
        h = run_block(u, &u->in[i], h, &f);
        /* ControlNet residuals go to the skips only, never into the encoder's own path. */
        skips[i] = control ? add_residual(h, control[i], i) : h;
    }
    if (depth == n + 1) {
        h = run_middle(u, h, &f);
        if (control) h = add_residual(h, control[n], n);
    } else {
        /* The dropped inner part delivers zeros (and gets no control residual). */
        const int64_t shape[4] = {ts_dim(h, 0), unet_zero_channels(u, depth), ts_dim(h, 2),
                                  ts_dim(h, 3)};
        h = ts_failed() ? NULL : ts_zeros(shape, 4);
    }
    for (int j = n - kept; j < n; j++) {
        ts_tensor *parts[2] = {h, skips[n - 1 - j]};
        h = run_block(u, &u->out[j], ts_cat(parts, 2, 1), &f);
    }
    h = ts_conv2d(unet_norm_silu(&u->out_norm, h), u->out_conv.w, u->out_conv.b, 1, 1);
    return ts_scope_end_keep(s, h);
}

ts_tensor *unet_forward(const unet *u, ts_tensor *x, const float *t, ts_tensor *context, int depth,
                        ts_tensor *const *control) {
    return forward(u, x, t, context, depth, control, NULL, 0);
}

ts_tensor *unet_forward_sft(const unet *u, ts_tensor *x, const float *t, ts_tensor *context,
                            int depth, ts_tensor *const *feats, int n_feats) {
    if (!feats || n_feats < 1) {
        ts_error_set("unet: unet_forward_sft needs struct features");
        return NULL;
    }
    return forward(u, x, t, context, depth, NULL, feats, n_feats);
}

bool unet_encoder_forward(const unet *u, ts_tensor *x, const float *t, ts_tensor *context,
                          int n_blocks, ts_tensor *after_first, ts_tensor **outs) {
    if (!check_inputs(u, x, t, context, n_blocks, false) || !check_feats(u, NULL, 0)) return false;
    const int n = u->n, kept = n_blocks <= n ? n_blocks : n;
    const fwd_ctx f = {time_embedding_act(u, t, (int)ts_dim(x, 0)), context, NULL, 0};
    ts_tensor *h = x;
    for (int i = 0; i < kept; i++) {
        h = run_block(u, &u->in[i], h, &f);
        if (i == 0 && after_first) h = ts_add(h, after_first);
        outs[i] = h;
    }
    if (n_blocks == n + 1) outs[n] = run_middle(u, h, &f);
    return !ts_failed();
}
