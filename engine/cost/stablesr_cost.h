/* Parameters and MACs of StableSR's denoiser per depth-skip depth (batch 1,
 * one call), in the U-Net cost convention (unet_cost.h), kept in three parts:
 *   unet:    the SD U-Net without its SPADEs, pruned at D as usual;
 *   spade:   the SPADE of every ResBlock kept at D (mlp_shared 3x3 conv
 *            semb->hidden, mlp_gamma / mlp_beta 3x3 convs hidden->C, all at
 *            the ResBlock's resolution), so it shrinks with D;
 *   encoder: the time-aware encoder, never pruned: the same at every D.
 * The SPADE part is the SFT U-Net's count less the plain U-Net's, both from
 * the U-Net cost walk, so the layout lives in unet_params_foreach only. */
#ifndef I2I_STABLESR_COST_H
#define I2I_STABLESR_COST_H

#include "sr_encoder_cost.h"
#include "stablesr.h"
#include "unet_cost.h"

typedef struct stablesr_cost {
    int n_depths;                                      /* the U-Net's: 13 for SD */
    int height, width;                                 /* the latent's */
    int64_t unet_params, spade_params, encoder_params; /* each part in full */
    int64_t params;                                    /* all three */
    int64_t unet_kept[UNET_MAX_DEPTH_LEVELS + 1];      /* [D]: plain U-Net params run at D */
    int64_t spade_kept[UNET_MAX_DEPTH_LEVELS + 1];     /* [D]: SPADE params run at D */
    unet_macs unet[UNET_MAX_DEPTH_LEVELS + 1];         /* [D], D in 1..n_depths */
    unet_macs spade[UNET_MAX_DEPTH_LEVELS + 1];
    unet_macs encoder;
} stablesr_cost;

/* cfg->unet must have spade_hidden set (stablesr_config_v2_512, or
 * stablesr_get_config of a loaded model). For a latent of height x width
 * and a context of context_len tokens. false with a message otherwise. */
bool stablesr_cost_compute(const stablesr_config *cfg, int height, int width, int context_len,
                           stablesr_cost *out, char *err, size_t errlen);
/* What StableSR adds to the plain U-Net per call at depth D: the kept
 * SPADEs and the whole encoder. All zero for a depth out of range. */
unet_macs stablesr_cost_extra(const stablesr_cost *c, int depth);
/* One denoiser call at depth D: U-Net + SPADE + encoder. */
unet_macs stablesr_cost_call(const stablesr_cost *c, int depth);

#endif
