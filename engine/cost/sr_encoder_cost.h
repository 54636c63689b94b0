/* Parameters and MACs of one call of StableSR's time-aware encoder
 * (sr_encoder.h; batch 1) in the U-Net cost convention (unet_cost.h: conv
 * and linear weight MACs, attention matmuls apart). The legacy attention's
 * qkv and proj_out are 1x1 Conv1d and count as conv; its two matmuls, QK^T
 * and AV over all heads, are 2 * T^2 * C for T = h*w tokens of width C.
 * Derived from the tensor list of sr_encoder_params_foreach. */
#ifndef I2I_SR_ENCODER_COST_H
#define I2I_SR_ENCODER_COST_H

#include "sr_encoder.h"
#include "unet_cost.h"

typedef struct sr_encoder_cost {
    int64_t params;
    unet_macs macs; /* one call: every block and every fea_tran */
} sr_encoder_cost;

/* On a latent of height x width (multiples of 2^(levels-1), sides up to
 * UNET_COST_MAX_SIDE). false with a message for a bad config or size. */
bool sr_encoder_cost_compute(const sr_encoder_config *cfg, int height, int width,
                             sr_encoder_cost *out, char *err, size_t errlen);

#endif
