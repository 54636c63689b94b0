/* StableSR's CFW VAE (AutoencoderKLResi): the LDM AutoencoderKL whose encoder
 * also returns the outputs of its inner levels, and whose decoder
 * (Decoder_Mix) fuses them back in through a controllable feature warping
 * module per inner level l (0 < l < n_levels-1), after that level's
 * ResnetBlocks and before its Upsample:
 *     h = h + w * fuse_l(cat(enc_feat[l-1], h)),
 *     fuse_l = ResBlock(2C->C), RRDB x num_fuse_block, ResBlock(C->C).
 * w = 0 is the plain VAE decoder; StableSR samples with w = 0.5. Keys are the
 * VAE's (encoder.*, decoder.*, quant_conv.*, post_quant_conv.*) plus
 * decoder.fusion_layer_{l}.encode_enc_{1,2,3}.*. No latent scale factor is
 * applied here. */
#ifndef I2I_CFW_VAE_H
#define I2I_CFW_VAE_H

#include "param_list.h"
#include "ts.h"
#include "vae.h"
#include "weights.h"
#include <stdbool.h>
#include <stddef.h>

#define CFW_MAX_FUSE_BLOCKS 8
#define CFW_MAX_FEATS (VAE_MAX_LEVELS - 2)

typedef struct cfw_vae_config {
    vae_config vae;
    int num_fuse_block; /* RRDBs per fusion layer: 2 in StableSR */
    int grow;           /* RRDB growth width: 32 in StableSR */
} cfw_vae_config;

/* StableSR's CFW: the SD VAE, 2 RRDBs per fusion layer, growth 32. */
void cfw_vae_config_stablesr(cfw_vae_config *c);
/* The VAE's ddconfig keys (vae_config_from_json) plus optional
 * num_fuse_block (default 2) and grow (the RRDB growth width, default 32:
 * StableSR's literal; tiny test models use less). */
bool cfw_vae_config_from_json(const char *json, cfw_vae_config *c, char *err, size_t errlen);
bool cfw_vae_config_check(const cfw_vae_config *c, char *err, size_t errlen);
/* Encoder features the decoder fuses: n_levels - 2 (levels 1 and 2 for SD). */
int cfw_vae_num_feats(const cfw_vae_config *c);

/* Every tensor name and shape: the VAE layout, then the fusion layers. */
void cfw_vae_params_foreach(const cfw_vae_config *c, const char *prefix, param_fn fn, void *user);

typedef struct cfw_vae cfw_vae;

/* Checks every tensor by name and shape and caches the pointers; the
 * weights must outlive the model. NULL with err set on failure. */
cfw_vae *cfw_vae_create(const weights *w, const char *prefix, const cfw_vae_config *c, char *err,
                        size_t errlen);
void cfw_vae_free(cfw_vae *m);
const cfw_vae_config *cfw_vae_get_config(const cfw_vae *m);

/* image [B, 3, H, W] in [-1, 1], H and W multiples of 2^(n_levels-1) ->
 * *moments = cat(mean, logvar) [B, 2*embed_dim, H/f, W/f] and
 * enc_feats[0 .. cfw_vae_num_feats-1], feature k the output of encoder level
 * k+1 [B, ch*ch_mult[k+1], H/2^(k+1), W/2^(k+1)]. The tensors belong to the
 * caller's scope; false with ts error on failure (outputs untouched). */
bool cfw_vae_encode(const cfw_vae *m, ts_tensor *image, ts_tensor **moments, ts_tensor **enc_feats);
/* DiagonalGaussianDistribution.sample(): mean + exp(logvar/2) * noise, logvar
 * clamped to [-30, 20]; noise [B, embed_dim, h, w] ~ N(0, 1). */
ts_tensor *cfw_vae_sample(const cfw_vae *m, ts_tensor *moments, ts_tensor *noise);
/* latent [B, embed_dim, h, w] -> image [B, 3, h*f, w*f] (not clamped), fused
 * with enc_feats (from cfw_vae_encode of the matching image) at strength w.
 * enc_feats may be NULL when w == 0. NULL with ts error on failure. */
ts_tensor *cfw_vae_decode(const cfw_vae *m, ts_tensor *latent, ts_tensor *const *enc_feats,
                          float w);

#endif
