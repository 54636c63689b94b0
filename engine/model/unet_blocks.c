/* LDM U-Net building blocks on the tensor shim: parameter binding in the LDM
 * names, and the stateless forwards. See unet_blocks.h for the contract. */
#include "unet_blocks.h"

#include "weight_binding.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#define RES_NORM_EPS 1e-5   /* GroupNorm32 in ResBlocks and the output head */
#define ST_NORM_EPS 1e-6    /* SpatialTransformer's Normalize() */
#define LN_EPS 1e-5         /* nn.LayerNorm default inside the transformer blocks */
#define TIME_MAX_PERIOD 1e4 /* LDM timestep_embedding max_period */
#define FF_MULT 4           /* GEGLU hidden width = 4 * inner */

/* ---- binding ---- */

bool unet_namef(char *buf, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(buf, UNET_NAME_MAX, fmt, ap);
    va_end(ap);
    if (len < 0 || len >= UNET_NAME_MAX) {
        ts_error_set("unet: tensor name longer than %d bytes (prefix too long?)", UNET_NAME_MAX);
        return false;
    }
    return true;
}

static ts_tensor *bind_one(const unet_binder *b, const char *prefix, const char *suffix,
                           const int64_t *shape, int ndim) {
    char name[UNET_NAME_MAX];
    if (!unet_namef(name, "%s%s", prefix, suffix)) return NULL;
    return b->fn(b->user, name, shape, ndim);
}

void unet_bind_conv(const unet_binder *b, const char *name, int cout, int cin, int k,
                    unet_wb *out) {
    const int64_t ws[4] = {cout, cin, k, k}, bs[1] = {cout};
    out->w = bind_one(b, name, "weight", ws, 4);
    out->b = bind_one(b, name, "bias", bs, 1);
}

void unet_bind_linear(const unet_binder *b, const char *name, int cout, int cin, unet_wb *out) {
    const int64_t ws[2] = {cout, cin}, bs[1] = {cout};
    out->w = weight_bind_linear(bind_one(b, name, "weight", ws, 2));
    out->b = bind_one(b, name, "bias", bs, 1);
}

void unet_bind_norm(const unet_binder *b, const char *name, int channels, unet_wb *out) {
    const int64_t s[1] = {channels};
    out->w = bind_one(b, name, "weight", s, 1);
    out->b = bind_one(b, name, "bias", s, 1);
}

/* Joins prefix and a sub-module path into buf (which holds UNET_NAME_MAX). */
static const char *sub(char *buf, const char *prefix, const char *path) {
    unet_namef(buf, "%s%s", prefix, path);
    return buf;
}

void unet_bind_resblock(const unet_binder *b, const char *prefix, int cin, int cout, int emb_dim,
                        unet_resblock *out) {
    char n[UNET_NAME_MAX];
    out->cin = cin;
    out->cout = cout;
    unet_bind_norm(b, sub(n, prefix, "in_layers.0."), cin, &out->in_norm);
    unet_bind_conv(b, sub(n, prefix, "in_layers.2."), cout, cin, 3, &out->in_conv);
    unet_bind_linear(b, sub(n, prefix, "emb_layers.1."), cout, emb_dim, &out->emb_proj);
    unet_bind_norm(b, sub(n, prefix, "out_layers.0."), cout, &out->out_norm);
    unet_bind_conv(b, sub(n, prefix, "out_layers.3."), cout, cout, 3, &out->out_conv);
    out->skip = (unet_wb){NULL, NULL};
    out->spade = (unet_spade){0};
    if (cin != cout)
        unet_bind_conv(b, sub(n, prefix, "skip_connection."), cout, cin, 1, &out->skip);
}

void unet_bind_spade(const unet_binder *b, const char *prefix, int channels, int semb, int hidden,
                     unet_spade *out) {
    char n[UNET_NAME_MAX];
    unet_bind_norm(b, sub(n, prefix, "param_free_norm."), channels, &out->norm);
    unet_bind_conv(b, sub(n, prefix, "mlp_shared.0."), hidden, semb, 3, &out->shared);
    unet_bind_conv(b, sub(n, prefix, "mlp_gamma."), channels, hidden, 3, &out->gamma);
    unet_bind_conv(b, sub(n, prefix, "mlp_beta."), channels, hidden, 3, &out->beta);
}

/* Conv1d with kernel 1: weight [cout, cin, 1]. */
static void bind_conv1x1_1d(const unet_binder *b, const char *name, int cout, int cin,
                            unet_wb *out) {
    const int64_t ws[3] = {cout, cin, 1}, bs[1] = {cout};
    out->w = bind_one(b, name, "weight", ws, 3);
    out->b = bind_one(b, name, "bias", bs, 1);
}

void unet_bind_legacy_attention(const unet_binder *b, const char *prefix, int channels, int heads,
                                unet_legacy_attention *out) {
    char n[UNET_NAME_MAX];
    out->channels = channels;
    out->heads = heads;
    unet_bind_norm(b, sub(n, prefix, "norm."), channels, &out->norm);
    bind_conv1x1_1d(b, sub(n, prefix, "qkv."), 3 * channels, channels, &out->qkv);
    bind_conv1x1_1d(b, sub(n, prefix, "proj_out."), channels, channels, &out->proj_out);
}

static void bind_attention(const unet_binder *b, const char *prefix, int inner, int kv_dim,
                           unet_attention *out) {
    char n[UNET_NAME_MAX];
    const int64_t qs[2] = {inner, inner}, kvs[2] = {inner, kv_dim};
    out->to_q = weight_bind_linear(bind_one(b, prefix, "to_q.weight", qs, 2));
    out->to_k = weight_bind_linear(bind_one(b, prefix, "to_k.weight", kvs, 2));
    out->to_v = weight_bind_linear(bind_one(b, prefix, "to_v.weight", kvs, 2));
    unet_bind_linear(b, sub(n, prefix, "to_out.0."), inner, inner, &out->to_out);
}

static void bind_tblock(const unet_binder *b, const char *prefix, int inner, int context_dim,
                        unet_tblock *out) {
    char n[UNET_NAME_MAX];
    bind_attention(b, sub(n, prefix, "attn1."), inner, inner, &out->attn1);
    unet_bind_linear(b, sub(n, prefix, "ff.net.0.proj."), 2 * FF_MULT * inner, inner, &out->ff_in);
    unet_bind_linear(b, sub(n, prefix, "ff.net.2."), inner, FF_MULT * inner, &out->ff_out);
    bind_attention(b, sub(n, prefix, "attn2."), inner, context_dim, &out->attn2);
    unet_bind_norm(b, sub(n, prefix, "norm1."), inner, &out->norm1);
    unet_bind_norm(b, sub(n, prefix, "norm2."), inner, &out->norm2);
    unet_bind_norm(b, sub(n, prefix, "norm3."), inner, &out->norm3);
}

void unet_bind_transformer(const unet_binder *b, const char *prefix, int channels, int heads,
                           int head_dim, int depth, int context_dim, bool linear,
                           unet_transformer *out) {
    char n[UNET_NAME_MAX];
    const int inner = heads * head_dim;
    out->channels = channels;
    out->inner = inner;
    out->heads = heads;
    out->depth = depth;
    out->linear = linear;
    unet_bind_norm(b, sub(n, prefix, "norm."), channels, &out->norm);
    if (linear)
        unet_bind_linear(b, sub(n, prefix, "proj_in."), inner, channels, &out->proj_in);
    else
        unet_bind_conv(b, sub(n, prefix, "proj_in."), inner, channels, 1, &out->proj_in);
    for (int i = 0; i < depth; i++) {
        char bp[UNET_NAME_MAX];
        unet_namef(bp, "%stransformer_blocks.%d.", prefix, i);
        bind_tblock(b, bp, inner, context_dim, &out->block[i]);
    }
    if (linear)
        unet_bind_linear(b, sub(n, prefix, "proj_out."), channels, inner, &out->proj_out);
    else
        unet_bind_conv(b, sub(n, prefix, "proj_out."), channels, inner, 1, &out->proj_out);
}

/* ---- forward ---- */

ts_tensor *unet_timestep_embedding(const float *t, int n, int dim) {
    if (n < 1 || dim < 2) {
        ts_error_set("unet: timestep embedding needs n >= 1 and dim >= 2 (got %d, %d)", n, dim);
        return NULL;
    }
    const int half = dim / 2;
    float *buf = calloc((size_t)n * (size_t)dim, sizeof *buf); /* odd dim: last column stays 0 */
    if (!buf) {
        ts_error_set("unet: out of memory for the timestep embedding");
        return NULL;
    }
    for (int r = 0; r < n; r++) {
        for (int i = 0; i < half; i++) {
            double freq = exp(-log(TIME_MAX_PERIOD) * (double)i / (double)half);
            double ang = (double)t[r] * freq;
            buf[(size_t)r * dim + i] = (float)cos(ang);
            buf[(size_t)r * dim + half + i] = (float)sin(ang);
        }
    }
    const int64_t shape[2] = {n, dim};
    ts_tensor *e = ts_from_floats(buf, shape, 2);
    free(buf);
    return e;
}

static ts_tensor *conv(ts_tensor *x, const unet_wb *p, int stride, int padding) {
    return ts_conv2d(x, p->w, p->b, stride, padding);
}

ts_tensor *unet_norm_silu(const unet_wb *norm, ts_tensor *x) {
    return ts_silu(ts_group_norm(x, UNET_GROUPS, norm->w, norm->b, RES_NORM_EPS));
}

/* GN(h) * (1 + gamma) + beta, written as n + n*gamma + beta to skip a ones tensor. */
static ts_tensor *spade_forward(const unet_spade *p, ts_tensor *h, ts_tensor *seg) {
    if (!h) return NULL;
    if (!seg || ts_ndim(seg) != 4 || ts_dim(seg, 0) != ts_dim(h, 0) ||
        ts_dim(seg, 2) != ts_dim(h, 2) || ts_dim(seg, 3) != ts_dim(h, 3)) {
        ts_error_set("unet: SPADE needs struct features [%lld, C, %lld, %lld]",
                     (long long)ts_dim(h, 0), (long long)ts_dim(h, 2), (long long)ts_dim(h, 3));
        return NULL;
    }
    ts_tensor *a = ts_relu(conv(seg, &p->shared, 1, 1));
    ts_tensor *n = ts_group_norm(h, UNET_GROUPS, p->norm.w, p->norm.b, RES_NORM_EPS);
    ts_tensor *mod = ts_add(n, ts_mul(n, conv(a, &p->gamma, 1, 1)));
    return ts_add(mod, conv(a, &p->beta, 1, 1));
}

ts_tensor *unet_resblock_forward_sft(const unet_resblock *p, ts_tensor *x, ts_tensor *emb_act,
                                     ts_tensor *seg) {
    ts_scope s = ts_scope_begin();
    ts_tensor *h = conv(unet_norm_silu(&p->in_norm, x), &p->in_conv, 1, 1);
    const int64_t eshape[4] = {ts_dim(emb_act, 0), p->cout, 1, 1};
    ts_tensor *e = ts_reshape(ts_linear(emb_act, p->emb_proj.w, p->emb_proj.b), eshape, 4);
    h = conv(unet_norm_silu(&p->out_norm, ts_add(h, e)), &p->out_conv, 1, 1);
    /* ResBlockDual: SPADE after the whole of out_layers, before the skip sum. */
    if (p->spade.shared.w) h = spade_forward(&p->spade, h, seg);
    ts_tensor *skip = p->skip.w ? conv(x, &p->skip, 1, 0) : x;
    return ts_scope_end_keep(s, ts_add(skip, h));
}

ts_tensor *unet_resblock_forward(const unet_resblock *p, ts_tensor *x, ts_tensor *emb_act) {
    return unet_resblock_forward_sft(p, x, emb_act, NULL);
}

/* A Conv1d k=1 weight [cout, cin, 1] applied as a 1x1 conv on the NCHW map. */
static ts_tensor *conv1x1_1d(ts_tensor *x, const unet_wb *p) {
    const int64_t w4[4] = {ts_dim(p->w, 0), ts_dim(p->w, 1), 1, 1};
    return ts_conv2d(x, ts_reshape(p->w, w4, 4), p->b, 1, 0);
}

ts_tensor *unet_legacy_attention_forward(const unet_legacy_attention *p, ts_tensor *x) {
    ts_scope s = ts_scope_begin();
    const int64_t b = ts_dim(x, 0), h = ts_dim(x, 2), w = ts_dim(x, 3);
    const int64_t hc = p->channels / p->heads;
    ts_tensor *y = ts_group_norm(x, UNET_GROUPS, p->norm.w, p->norm.b, RES_NORM_EPS);
    ts_tensor *qkv = conv1x1_1d(y, &p->qkv);
    /* Legacy layout: per head, rows [3hc*i, 3hc*i + hc) are q, then k, then v. */
    const int64_t split[3] = {b * p->heads, 3 * hc, h * w};
    qkv = ts_reshape(qkv, split, 3);
    ts_tensor *part[3];
    for (int i = 0; i < 3; i++) /* [B*heads, hc, N] -> tokens [B*heads, N, hc] */
        part[i] = ts_transpose(ts_narrow(qkv, 1, i * hc, hc), 1, 2);
    ts_tensor *o = ts_attention(part[0], part[1], part[2], 1, false);
    const int64_t img[4] = {b, p->channels, h, w};
    o = ts_reshape(ts_transpose(o, 1, 2), img, 4);
    return ts_scope_end_keep(s, ts_add(x, conv1x1_1d(o, &p->proj_out)));
}

/* Multi-head attention; keys and values from src (x itself for self-attention). */
static ts_tensor *attention(const unet_attention *p, ts_tensor *x, ts_tensor *src, int heads) {
    ts_tensor *q = ts_linear(x, p->to_q, NULL);
    ts_tensor *k = ts_linear(src, p->to_k, NULL);
    ts_tensor *v = ts_linear(src, p->to_v, NULL);
    ts_tensor *o = ts_attention(q, k, v, heads, false);
    return ts_linear(o, p->to_out.w, p->to_out.b);
}

/* GEGLU: value half times erf-GELU of the gate half, then the output projection. */
static ts_tensor *feed_forward(const unet_tblock *p, ts_tensor *x) {
    ts_tensor *proj = ts_linear(x, p->ff_in.w, p->ff_in.b);
    const int64_t hidden = ts_dim(proj, 2) / 2;
    ts_tensor *val = ts_narrow(proj, 2, 0, hidden);
    ts_tensor *gate = ts_narrow(proj, 2, hidden, hidden);
    return ts_linear(ts_mul(val, ts_gelu(gate)), p->ff_out.w, p->ff_out.b);
}

static ts_tensor *layer_norm(ts_tensor *x, const unet_wb *p) {
    return ts_layer_norm(x, p->w, p->b, LN_EPS);
}

/* Pre-LN block on tokens [B, N, inner]: self-attn, cross-attn, feed-forward. */
static ts_tensor *tblock_forward(const unet_tblock *p, ts_tensor *x, ts_tensor *context,
                                 int heads) {
    ts_scope s = ts_scope_begin();
    ts_tensor *n1 = layer_norm(x, &p->norm1);
    x = ts_add(attention(&p->attn1, n1, n1, heads), x);
    x = ts_add(attention(&p->attn2, layer_norm(x, &p->norm2), context, heads), x);
    x = ts_add(feed_forward(p, layer_norm(x, &p->norm3)), x);
    return ts_scope_end_keep(s, x);
}

ts_tensor *unet_transformer_forward(const unet_transformer *p, ts_tensor *x, ts_tensor *context) {
    ts_scope s = ts_scope_begin();
    const int64_t b = ts_dim(x, 0), h = ts_dim(x, 2), w = ts_dim(x, 3);
    ts_tensor *y = ts_group_norm(x, UNET_GROUPS, p->norm.w, p->norm.b, ST_NORM_EPS);
    if (!p->linear) y = conv(y, &p->proj_in, 1, 0);
    /* [B, C', H, W] -> tokens [B, H*W, C'] as a view; the first op copies. */
    const int64_t flat[3] = {b, ts_dim(y, 1), h * w};
    ts_tensor *tok = ts_transpose(ts_reshape(y, flat, 3), 1, 2);
    if (p->linear) tok = ts_linear(tok, p->proj_in.w, p->proj_in.b);
    for (int i = 0; i < p->depth; i++)
        tok = tblock_forward(&p->block[i], tok, context, p->heads);
    if (p->linear) tok = ts_linear(tok, p->proj_out.w, p->proj_out.b);
    const int64_t img[4] = {b, ts_dim(tok, 2), h, w};
    y = ts_reshape(ts_transpose(tok, 1, 2), img, 4);
    if (!p->linear) y = conv(y, &p->proj_out, 1, 0);
    return ts_scope_end_keep(s, ts_add(y, x));
}

ts_tensor *unet_downsample(const unet_wb *op, ts_tensor *x) {
    return conv(x, op, 2, 1);
}

ts_tensor *unet_upsample(const unet_wb *c, ts_tensor *x) {
    ts_scope s = ts_scope_begin();
    return ts_scope_end_keep(s, conv(ts_upsample_nearest2x(x), c, 1, 1));
}
