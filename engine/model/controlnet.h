/* ControlNet (cldm ControlNet, as in control_sd15_canny): a trainable copy of
 * the U-Net's encoder half under "control_model.", its own time embedding,
 * the hint encoder (input_hint_block: eight 3x3 convs with SiLU between,
 * image -> latent resolution), and one zero-initialised 1x1 conv per skip
 * (zero_convs.N.0) plus middle_block_out.0 (DESIGN §1.1).
 *
 * forward: g = hint_block(hint); h = input_blocks[0](x) + g;
 *          c_k = zero_convs[k](input block k's output), c_n = middle_block_out(middle).
 * Under depth-skip the U-Net uses only c_0..c_{D-1} (and c_n at full depth);
 * c_k depends only on control blocks 0..k, so the branch stops after block
 * D-1: the same numbers as the paper's code, which runs it in full and
 * throws the rest away. */
#ifndef I2I_CONTROLNET_H
#define I2I_CONTROLNET_H

#include "param_list.h"
#include "ts.h"
#include "unet.h"
#include "unet_config.h"
#include "weights.h"
#include <stdbool.h>
#include <stddef.h>

#define CONTROLNET_HINT_LEVELS 4

typedef struct controlnet_config {
    unet_config unet;  /* the encoder's layout: the U-Net's, with its in_channels */
    int hint_channels; /* 3 (RGB edge map) */
    int hint_widths[CONTROLNET_HINT_LEVELS]; /* 16, 32, 96, 256 */
} controlnet_config;

typedef struct controlnet controlnet;

/* cldm_v15.yaml: the SD-1.5 U-Net layout, hint 3 channels, widths 16/32/96/256. */
void controlnet_config_cldm_v15(controlnet_config *out);
/* LDM ControlNet config keys (the U-Net's plus hint_channels and, ours,
 * hint_widths); missing hint keys take cldm's values. */
bool controlnet_config_from_json(const char *json, controlnet_config *out, char *err,
                                 size_t errlen);

controlnet *controlnet_create(const weights *w, const char *prefix, const controlnet_config *cfg,
                              char *err, size_t errlen);
void controlnet_free(controlnet *c);
const controlnet_config *controlnet_get_config(const controlnet *c);

/* Every parameter name and shape (340 tensors, 361,279,120 parameters for
 * cldm_v15). */
bool controlnet_params_foreach(const controlnet_config *cfg, const char *prefix, param_fn fn,
                               void *user, char *err, size_t errlen);

/* x [B, in, H, W], hint [B, hint_channels, 8H, 8W], t: B timesteps, context
 * [B, L, context_dim]. Fills residuals[0..n] (n = input blocks) with the
 * scaled residuals the U-Net needs at `depth` (c_k * scale); the entries the
 * U-Net ignores at that depth are NULL. The tensors belong to the caller's
 * scope. false with ts error on failure. */
bool controlnet_forward(const controlnet *c, ts_tensor *x, ts_tensor *hint, const float *t,
                        ts_tensor *context, int depth, float scale, ts_tensor **residuals);

#endif
