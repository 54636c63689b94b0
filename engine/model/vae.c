/* AutoencoderKL forward on the tensor shim. The layout (names, shapes) comes
 * from vae_params.c; this file only loads it and runs the graph. */
#include "vae.h"
#include "weight_binding.h"

#include <stdio.h>
#include <stdlib.h>

#define VAE_GROUPS 32
#define VAE_EPS 1e-6 /* LDM's Normalize(); torch's default 1e-5 would be a visible error */

struct vae {
    vae_config cfg;
    vae_tensors t;
};

/* ---- loading ---- */

vae *vae_create(const weights *w, const char *prefix, const vae_config *c, char *err,
                size_t errlen) {
    if (!w || !c) {
        snprintf(err, errlen, "vae: no weights or config");
        return NULL;
    }
    if (!vae_config_check(c, err, errlen)) return NULL;
    if (ts_failed()) { /* the walk stops at the first error; don't blame an old one on it */
        snprintf(err, errlen, "vae: earlier tensor error pending: %s", ts_last_error());
        return NULL;
    }
    vae *v = calloc(1, sizeof *v);
    if (!v) {
        snprintf(err, errlen, "vae: out of memory");
        return NULL;
    }
    v->cfg = *c;
    vae_tensors_walk(c, prefix, weight_bind_load, (void *)w, &v->t);
    if (ts_failed()) {
        snprintf(err, errlen, "vae: %s", ts_last_error());
        ts_error_clear();
        free(v);
        return NULL;
    }
    return v;
}

/* The tensors belong to the weight store; only the pointer cache is ours. */
void vae_free(vae *v) {
    free(v);
}

const vae_config *vae_get_config(const vae *v) {
    return &v->cfg;
}

/* ---- building blocks ---- */

static ts_tensor *conv(ts_tensor *x, const vae_wb *p, int stride, int padding) {
    return ts_conv2d(x, p->w, p->b, stride, padding);
}

static ts_tensor *norm(ts_tensor *x, const vae_wb *p) {
    return ts_group_norm(x, VAE_GROUPS, p->w, p->b, VAE_EPS);
}

static ts_tensor *norm_swish(ts_tensor *x, const vae_wb *p) {
    return ts_silu(norm(x, p));
}

static ts_tensor *resblock(ts_tensor *x, const vae_resblock *p) {
    ts_scope s = ts_scope_begin();
    ts_tensor *h = conv(norm_swish(x, &p->norm1), &p->conv1, 1, 1);
    h = conv(norm_swish(h, &p->norm2), &p->conv2, 1, 1);
    ts_tensor *skip = p->nin_shortcut.w ? conv(x, &p->nin_shortcut, 1, 0) : x;
    return ts_scope_end_keep(s, ts_add(skip, h));
}

/* [B, C, H, W] -> [B, H*W, C] tokens. */
static ts_tensor *to_tokens(ts_tensor *x) {
    const int64_t shape[3] = {ts_dim(x, 0), ts_dim(x, 1), -1};
    return ts_transpose(ts_reshape(x, shape, 3), 1, 2);
}

/* Single-head self-attention over the H*W positions, scale 1/sqrt(C). */
static ts_tensor *attn(ts_tensor *x, const vae_attn *p) {
    ts_scope s = ts_scope_begin();
    ts_tensor *y = norm(x, &p->norm);
    ts_tensor *q = to_tokens(conv(y, &p->q, 1, 0));
    ts_tensor *k = to_tokens(conv(y, &p->k, 1, 0));
    ts_tensor *v = to_tokens(conv(y, &p->v, 1, 0));
    ts_tensor *o = ts_transpose(ts_attention(q, k, v, 1, false), 1, 2); /* [B, C, P] */
    const int64_t shape[4] = {ts_dim(x, 0), ts_dim(x, 1), ts_dim(x, 2), ts_dim(x, 3)};
    o = ts_reshape(ts_contiguous(o), shape, 4);
    return ts_scope_end_keep(s, ts_add(x, conv(o, &p->proj_out, 1, 0)));
}

static ts_tensor *mid(ts_tensor *x, const vae_mid *p) {
    return resblock(attn(resblock(x, &p->block_1), &p->attn_1), &p->block_2);
}

/* Stride-2 conv on an input padded by one zero row/column at the bottom/right
 * only (LDM's Downsample), which keeps the sampling grid aligned at the top-left. */
static ts_tensor *downsample(ts_tensor *x, const vae_wb *p) {
    ts_scope s = ts_scope_begin();
    return ts_scope_end_keep(s, conv(ts_pad2d(x, 0, 1, 0, 1, 0.0f), p, 2, 0));
}

static ts_tensor *upsample(ts_tensor *x, const vae_wb *p) {
    ts_scope s = ts_scope_begin();
    return ts_scope_end_keep(s, conv(ts_upsample_nearest2x(x), p, 1, 1));
}

static ts_tensor *head_out(ts_tensor *x, const vae_coder *p) {
    ts_scope s = ts_scope_begin();
    return ts_scope_end_keep(s, conv(norm_swish(x, &p->norm_out), &p->conv_out, 1, 1));
}

static ts_tensor *run_encoder(const vae *v, ts_tensor *x) {
    const vae_coder *e = &v->t.encoder;
    ts_tensor *h = conv(x, &e->conv_in, 1, 1);
    for (int l = 0; l < v->cfg.n_levels; l++) {
        const vae_level *lv = &e->level[l];
        for (int j = 0; j < lv->n_blocks; j++)
            h = resblock(h, &lv->block[j]);
        if (lv->resample.w) h = downsample(h, &lv->resample);
    }
    return head_out(mid(h, &e->mid), e);
}

static ts_tensor *run_decoder(const vae *v, ts_tensor *z) {
    const vae_coder *d = &v->t.decoder;
    ts_tensor *h = mid(conv(z, &d->conv_in, 1, 1), &d->mid);
    for (int l = v->cfg.n_levels - 1; l >= 0; l--) {
        const vae_level *lv = &d->level[l];
        for (int j = 0; j < lv->n_blocks; j++)
            h = resblock(h, &lv->block[j]);
        if (lv->resample.w) h = upsample(h, &lv->resample);
    }
    return head_out(h, d);
}

/* ---- exported building blocks (thin wrappers: the graph above stays static) ---- */

ts_tensor *vae_resblock_forward(ts_tensor *x, const vae_resblock *p) {
    return resblock(x, p);
}

ts_tensor *vae_mid_forward(ts_tensor *x, const vae_mid *p) {
    return mid(x, p);
}

ts_tensor *vae_downsample_forward(ts_tensor *x, const vae_wb *p) {
    return downsample(x, p);
}

ts_tensor *vae_upsample_forward(ts_tensor *x, const vae_wb *p) {
    return upsample(x, p);
}

ts_tensor *vae_head_out_forward(ts_tensor *x, const vae_coder *p) {
    return head_out(x, p);
}

/* ---- public forward ---- */

static bool check_input(const vae *v, ts_tensor *x, int channels, int multiple, const char *what) {
    if (!v) {
        ts_error_set("vae: no model");
        return false;
    }
    if (!x) return false;
    if (ts_ndim(x) != 4 || ts_dim(x, 1) != channels || ts_dim(x, 0) < 1) {
        ts_error_set("vae: %s must be [B, %d, H, W]", what, channels);
        return false;
    }
    if (ts_dim(x, 2) < 1 || ts_dim(x, 3) < 1 || ts_dim(x, 2) % multiple != 0 ||
        ts_dim(x, 3) % multiple != 0) {
        ts_error_set("vae: %s height and width (%lld x %lld) must be positive multiples of %d",
                     what, (long long)ts_dim(x, 2), (long long)ts_dim(x, 3), multiple);
        return false;
    }
    return true;
}

ts_tensor *vae_encode_mean(const vae *v, ts_tensor *image) {
    if (!check_input(v, image, v ? v->cfg.in_channels : 0, v ? vae_config_factor(&v->cfg) : 1,
                     "image"))
        return NULL;
    ts_scope s = ts_scope_begin();
    ts_tensor *moments = conv(run_encoder(v, image), &v->t.quant_conv, 1, 0);
    /* The posterior's mode is its mean: the first embed_dim channels. */
    ts_tensor *mean = ts_contiguous(ts_narrow(moments, 1, 0, v->cfg.embed_dim));
    return ts_scope_end_keep(s, mean);
}

ts_tensor *vae_decode(const vae *v, ts_tensor *latent) {
    if (!check_input(v, latent, v ? v->cfg.embed_dim : 0, 1, "latent")) return NULL;
    ts_scope s = ts_scope_begin();
    ts_tensor *z = conv(latent, &v->t.post_quant_conv, 1, 0);
    return ts_scope_end_keep(s, run_decoder(v, z));
}
