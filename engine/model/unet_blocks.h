/* Building blocks of the LDM "openaimodel" U-Net, shared by the U-Net, the
 * ControlNet (same encoder layout) and the StableSR parts: the sinusoidal
 * time embedding, ResBlock, SpatialTransformer (self-attn, cross-attn, GEGLU
 * feed-forward) and the stride-2 / nearest-x2 resamplers.
 *
 * Each block has a parameter struct of cached tensor pointers, a bind function
 * that names every tensor in the LDM layout (the single source of names and
 * shapes for loading, checking and listing), and a forward function that
 * keeps no state, so many threads may run the same parameters at once.
 *
 * Norm epsilons follow LDM: ResBlock GroupNorm32 1e-5, the transformer's
 * GroupNorm (Normalize) 1e-6, LayerNorms 1e-5. */
#ifndef I2I_UNET_BLOCKS_H
#define I2I_UNET_BLOCKS_H

#include "ts.h"
#include <stdbool.h>
#include <stdint.h>

#define UNET_GROUPS 32
#define UNET_MAX_TRANSFORMER_DEPTH 16
#define UNET_NAME_MAX 512

/* Returns the tensor to cache for one parameter (or NULL). */
typedef ts_tensor *(*unet_bind_fn)(void *user, const char *name, const int64_t *shape, int ndim);

typedef struct unet_binder {
    unet_bind_fn fn;
    void *user;
} unet_binder;

typedef struct unet_wb {
    ts_tensor *w, *b; /* weight and bias; NULL when the layer is absent */
} unet_wb;

/* StableSR's SPADE (SFT) on a ResBlock's residual branch h:
 * GN(h) * (1 + gamma(a)) + beta(a), a = ReLU(conv3x3(struct features)).
 * norm is a GroupNorm32 with affine parameters despite its LDM name
 * param_free_norm. */
typedef struct unet_spade {
    unet_wb norm, shared, gamma, beta; /* shared.w NULL: the ResBlock has no SPADE */
} unet_spade;

typedef struct unet_resblock {
    int cin, cout;
    unet_wb in_norm, in_conv, emb_proj, out_norm, out_conv;
    unet_wb skip;     /* 1x1 conv when cin != cout, else absent (identity) */
    unet_spade spade; /* StableSR ResBlockDual only */
} unet_resblock;

/* openaimodel AttentionBlock as StableSR's encoder uses it (QKVAttentionLegacy):
 * GroupNorm32, qkv and proj_out as Conv1d k=1, heads split before q/k/v. */
typedef struct unet_legacy_attention {
    int channels, heads;
    unet_wb norm, qkv, proj_out;
} unet_legacy_attention;

typedef struct unet_attention {
    ts_tensor *to_q, *to_k, *to_v; /* bias-free */
    unet_wb to_out;
} unet_attention;

typedef struct unet_tblock {
    unet_wb norm1, norm2, norm3;
    unet_attention attn1, attn2; /* self, cross (keys/values from the context) */
    unet_wb ff_in, ff_out;       /* GEGLU projection to 2*4*inner, then back */
} unet_tblock;

typedef struct unet_transformer {
    int channels, inner, heads, depth;
    bool linear; /* SD-2: Linear proj_in/proj_out on tokens; SD-1: 1x1 convs */
    unet_wb norm, proj_in, proj_out;
    unet_tblock block[UNET_MAX_TRANSFORMER_DEPTH];
} unet_transformer;

/* ---- binding (name = prefix + LDM suffix) ---- */
/* printf into buf (UNET_NAME_MAX bytes); a name that does not fit is a ts
 * error rather than a silently truncated lookup. */
bool unet_namef(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void unet_bind_conv(const unet_binder *b, const char *name, int cout, int cin, int k, unet_wb *out);
void unet_bind_linear(const unet_binder *b, const char *name, int cout, int cin, unet_wb *out);
void unet_bind_norm(const unet_binder *b, const char *name, int channels, unet_wb *out);
/* prefix like "model.diffusion_model.input_blocks.1.0." (ending with a dot). */
void unet_bind_resblock(const unet_binder *b, const char *prefix, int cin, int cout, int emb_dim,
                        unet_resblock *out);
/* prefix like "...input_blocks.1.0.spade." ; channels = the ResBlock's cout,
 * semb = struct feature width, hidden = mlp_shared width. */
void unet_bind_spade(const unet_binder *b, const char *prefix, int channels, int semb, int hidden,
                     unet_spade *out);
/* prefix like "...input_blocks.1.1." (norm, qkv, proj_out below it). */
void unet_bind_legacy_attention(const unet_binder *b, const char *prefix, int channels, int heads,
                                unet_legacy_attention *out);
void unet_bind_transformer(const unet_binder *b, const char *prefix, int channels, int heads,
                           int head_dim, int depth, int context_dim, bool linear,
                           unet_transformer *out);

/* ---- forward ---- */
/* LDM timestep_embedding: [cos(t f_i) | sin(t f_i)], f_i = 10000^(-i/half),
 * half = dim/2, a zero column appended for odd dim. Computed in double and
 * rounded once, so it is as exact as float32 allows. Returns [n, dim]. */
ts_tensor *unet_timestep_embedding(const float *t, int n, int dim);
/* GroupNorm32 (eps 1e-5) + SiLU: LDM's normalization() as used in ResBlocks
 * and the U-Net's output head. */
ts_tensor *unet_norm_silu(const unet_wb *norm, ts_tensor *x);
/* emb_act is SiLU(time embedding) [B, emb_dim]: the same for every ResBlock,
 * so callers compute it once per forward. */
ts_tensor *unet_resblock_forward(const unet_resblock *p, ts_tensor *x, ts_tensor *emb_act);
/* The same with SPADE: seg [B, semb, H, W] at x's spatial size; required when
 * the block has a SPADE, ignored (may be NULL) when it has none. */
ts_tensor *unet_resblock_forward_sft(const unet_resblock *p, ts_tensor *x, ts_tensor *emb_act,
                                     ts_tensor *seg);
/* x [B, C, H, W] -> x + proj_out(attention(qkv(GN(x)))), same shape. */
ts_tensor *unet_legacy_attention_forward(const unet_legacy_attention *p, ts_tensor *x);
/* x [B, C, H, W], context [B, L, context_dim] -> [B, C, H, W]. */
ts_tensor *unet_transformer_forward(const unet_transformer *p, ts_tensor *x, ts_tensor *context);
/* 3x3 stride-2 conv with padding 1 on every side (LDM Downsample, unlike the VAE's). */
ts_tensor *unet_downsample(const unet_wb *op, ts_tensor *x);
/* Nearest x2, then 3x3 conv. */
ts_tensor *unet_upsample(const unet_wb *conv, ts_tensor *x);

#endif
