/* Stable Diffusion first stage: LDM AutoencoderKL (encoder -> posterior mean,
 * decoder), fp32 on the tensor shim. GroupNorm is 32 groups with eps 1e-6 and
 * attention only in the two mid blocks (attn_resolutions = [], as in SD).
 * No latent scale factor is applied here: that belongs to the diffusion code. */
#ifndef I2I_VAE_H
#define I2I_VAE_H

#include "param_list.h"
#include "ts.h"
#include "weights.h"
#include <stdbool.h>
#include <stddef.h>

#define VAE_MAX_LEVELS 8
#define VAE_MAX_BLOCKS 8 /* res blocks per level, decoder included (num_res_blocks + 1) */

typedef struct vae_config {
    int ch;
    int ch_mult[VAE_MAX_LEVELS];
    int n_levels; /* entries used in ch_mult */
    int num_res_blocks;
    int z_channels;
    int embed_dim;
    int in_channels;
    int out_ch;
} vae_config;

/* SD 1.x/2.x: ch 128, ch_mult [1,2,4,4], 2 res blocks, z 4, embed 4, RGB. */
void vae_config_sd(vae_config *c);
/* LDM ddconfig keys (ch, ch_mult, num_res_blocks, z_channels, embed_dim,
 * in_channels, out_ch). Keys this implementation cannot honour (double_z
 * false, non-empty attn_resolutions, other num_groups / norm_eps) are errors
 * rather than silently ignored. */
bool vae_config_from_json(const char *json, vae_config *c, char *err, size_t errlen);
/* Range checks (level count, widths divisible by the 32 GroupNorm groups...). */
bool vae_config_check(const vae_config *c, char *err, size_t errlen);
/* Downsampling factor between image and latent: 2^(n_levels-1), 8 for SD. */
int vae_config_factor(const vae_config *c);

/* ---- parameter tree: cached tensor pointers in the LDM layout ---- */
typedef struct vae_wb {
    ts_tensor *w, *b; /* conv/norm weight and bias; both NULL when absent */
} vae_wb;

typedef struct vae_resblock {
    vae_wb norm1, conv1, norm2, conv2;
    vae_wb nin_shortcut; /* 1x1 conv when in != out channels, else NULL */
} vae_resblock;

typedef struct vae_attn {
    vae_wb norm, q, k, v, proj_out;
} vae_attn;

typedef struct vae_mid {
    vae_resblock block_1;
    vae_attn attn_1;
    vae_resblock block_2;
} vae_mid;

typedef struct vae_level {
    vae_resblock block[VAE_MAX_BLOCKS];
    int n_blocks;
    vae_wb resample; /* encoder downsample.conv / decoder upsample.conv, or NULL */
} vae_level;

typedef struct vae_coder {
    vae_wb conv_in;
    vae_level level[VAE_MAX_LEVELS]; /* level[0] is full resolution in both coders */
    vae_mid mid;
    vae_wb norm_out, conv_out;
} vae_coder;

typedef struct vae_tensors {
    vae_coder encoder, decoder;
    vae_wb quant_conv, post_quant_conv;
} vae_tensors;

/* Binds one parameter: returns the tensor to cache (or NULL). */
typedef ts_tensor *(*vae_bind_fn)(void *user, const char *name, const int64_t *shape, int ndim);

/* Walks every parameter of the layout (the single source of truth for names
 * and shapes), storing bind's results into *out. Walks nothing for a config
 * that fails vae_config_check. */
void vae_tensors_walk(const vae_config *c, const char *prefix, vae_bind_fn bind, void *user,
                      vae_tensors *out);
/* Lists every tensor name and shape (248 tensors, 83,653,863 values for SD). */
void vae_params_foreach(const vae_config *c, const char *prefix, param_fn fn, void *user);

/* ---- model ---- */
typedef struct vae vae;

/* Validates that every tensor exists with the right shape and caches the
 * pointers; the weights must outlive the model. prefix e.g. "first_stage_model.". */
vae *vae_create(const weights *w, const char *prefix, const vae_config *c, char *err,
                size_t errlen);
void vae_free(vae *v);
const vae_config *vae_get_config(const vae *v);

/* image [B, in_channels, H, W] in [-1,1], H and W multiples of the factor ->
 * posterior mean [B, embed_dim, H/f, W/f]. NULL with ts error on failure.
 * Forward passes keep no state, so many threads may share one vae. */
ts_tensor *vae_encode_mean(const vae *v, ts_tensor *image);
/* latent [B, embed_dim, h, w] -> image [B, out_ch, h*f, w*f] (not clamped). */
ts_tensor *vae_decode(const vae *v, ts_tensor *latent);

/* ---- building blocks, shared with variants of this VAE (cfw_vae.c) ----
 * Each frees its temporaries and returns its result in the caller's scope. */
/* norm1/conv1/norm2/conv2 plus the 1x1 shortcut when p->nin_shortcut is set. */
ts_tensor *vae_resblock_forward(ts_tensor *x, const vae_resblock *p);
/* block_1, attn_1, block_2. */
ts_tensor *vae_mid_forward(ts_tensor *x, const vae_mid *p);
/* LDM Downsample (bottom/right pad, stride 2) / Upsample (nearest 2x, conv). */
ts_tensor *vae_downsample_forward(ts_tensor *x, const vae_wb *p);
ts_tensor *vae_upsample_forward(ts_tensor *x, const vae_wb *p);
/* norm_out, swish, conv_out. */
ts_tensor *vae_head_out_forward(ts_tensor *x, const vae_coder *p);

#endif
