/* Analytic multiply-accumulate counts of one U-Net call (batch 1), per depth
 * level, so the cost at every depth-skip depth D is shared + levels 1..D.
 *
 * Counted: Conv2d and Linear weight MACs (bias adds not counted) and the two
 * attention matmuls, QK^T and AV, each n_query * n_key * inner. Not counted:
 * norms, activations, softmax, upsampling and residual adds. This is the
 * convention of the reference's unet_macs (shared/ref/sd_unet.py) and of the
 * paper's MAC figures.
 *
 * The counts are derived from the tensor list of unet_params_foreach (names
 * and shapes), not from a second copy of the block layout. */
#ifndef I2I_UNET_COST_H
#define I2I_UNET_COST_H

#include "unet_config.h"
#include "unet_params.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Largest latent side accepted (keeps every count well inside int64). */
#define UNET_COST_MAX_SIDE 4096

typedef struct unet_macs {
    int64_t conv;   /* Conv2d weights (conv_in, ResBlocks, down/upsample, conv proj, out) */
    int64_t linear; /* Linear weights (time embedding, projections, feed-forward) */
    int64_t attn;   /* QK^T and AV of self- and cross-attention */
} unet_macs;

typedef struct unet_cost_profile {
    int n_depths; /* n_input_blocks + 1 */
    int height, width, context_len;
    unet_macs shared;                           /* time_embed and out: run at every depth */
    unet_macs level[UNET_MAX_DEPTH_LEVELS + 1]; /* level[d], d in 1..n_depths */
    int block_h[UNET_MAX_DEPTH_LEVELS], block_w[UNET_MAX_DEPTH_LEVELS]; /* input block outputs */
} unet_cost_profile;

/* MACs of one call on a [1, in_channels, height, width] latent with a context
 * of context_len tokens (77 for CLIP). height and width must be multiples of
 * 2^(levels-1), the sizes the full network runs at. false with a message for
 * a bad config or size. */
bool unet_cost_profile_compute(const unet_config *cfg, int height, int width, int context_len,
                               unet_cost_profile *out, char *err, size_t errlen);
/* The same count over the encoder half only (time_embed -> shared, input
 * block d-1 -> level d, middle -> level n+1): what ControlNet's copy of the
 * encoder costs. */
bool unet_cost_encoder_profile_compute(const unet_config *cfg, int height, int width,
                                       int context_len, unet_cost_profile *out, char *err,
                                       size_t errlen);
/* MACs of one call at depth 1..n_depths: shared + levels 1..depth. All zero
 * for a depth out of range. */
unet_macs unet_cost_at_depth(const unet_cost_profile *p, int depth);

static inline int64_t unet_macs_conv_linear(unet_macs m) {
    return m.conv + m.linear;
}
static inline int64_t unet_macs_total(unet_macs m) {
    return m.conv + m.linear + m.attn;
}

#endif
