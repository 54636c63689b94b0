/* StableSR's denoiser (LatentDiffusionSRTextWT.apply_model): the SFT U-Net
 * ("model.diffusion_model.", unet with spade_channels set) and the time-aware
 * encoder ("structcond_stage_model.", sr_encoder), run at the same t:
 *     feats = encoder(lr_latent, t);  eps = unet_forward_sft(x, t, ctx, depth, feats)
 * Depth-skip prunes the U-Net only (UNetModelDualcondV2_Depthskip). The CFW
 * VAE decoder is not part of this. */
#ifndef I2I_STABLESR_H
#define I2I_STABLESR_H

#include "param_list.h"
#include "sr_encoder.h"
#include "ts.h"
#include "unet.h"
#include "unet_config.h"
#include "weights.h"
#include <stdbool.h>
#include <stddef.h>

#define STABLESR_UNET_PREFIX "model.diffusion_model."
#define STABLESR_ENCODER_PREFIX "structcond_stage_model."

typedef struct stablesr_config {
    unet_config unet; /* spade_channels = encoder.out_channels */
    sr_encoder_config encoder;
} stablesr_config;

typedef struct stablesr stablesr;

/* stableSRNew/v2-finetune_text_T_512.yaml: SD-2.1-base U-Net with SPADE
 * (semb 256, hidden 128) and the 256-wide encoder: 971,424,964 parameters. */
void stablesr_config_v2_512(stablesr_config *out);
/* From a weight file's metadata "unet_config" and "encoder_config" (LDM keys).
 * spade_hidden is left 0: unet_create reads it from the weights. */
bool stablesr_config_from_weights(const weights *w, stablesr_config *out, char *err, size_t errlen);
/* Both parts' parameters under their checkpoint prefixes (spade_hidden set). */
bool stablesr_params_foreach(const stablesr_config *cfg, param_fn fn, void *user, char *err,
                             size_t errlen);

stablesr *stablesr_create(const weights *w, const stablesr_config *cfg, char *err, size_t errlen);
void stablesr_free(stablesr *s);
/* The config the model runs, spade_hidden resolved from the weights (what
 * cost accounting needs; the config given to stablesr_create may leave it 0). */
void stablesr_get_config(const stablesr *s, stablesr_config *out);
const unet *stablesr_unet(const stablesr *s);
const sr_encoder *stablesr_encoder(const stablesr *s);

/* x [B, 4, H, W], t: B timesteps, context [B, L, context_dim], lr_latent like
 * x, depth 1..n+1 -> eps. NULL with ts error on failure. */
ts_tensor *stablesr_eps(const stablesr *s, ts_tensor *x, const float *t, ts_tensor *context,
                        ts_tensor *lr_latent, int depth);

#endif
