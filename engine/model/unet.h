/* LDM UNetModel (SD-1.x / SD-2.x / InstructPix2Pix) with depth-skip
 * (DESIGN.md §1.1), fp32 on the tensor shim.
 *
 * With n input blocks (12 for SD) the depth levels are 1..n+1; n+1 is the full
 * network. At depth D <= n, input blocks 0..D-1 and output blocks n-D..n-1
 * run; the middle block is replaced by zeros with the channel count output
 * block n-D expects from below (taken from the config, not a table) and the
 * spatial size of the last kept skip.
 *
 * Spatial size: Downsample is a stride-2 conv and Upsample a plain nearest x2,
 * exactly as LDM (and ref/sd_unet.py), so H and W must be divisible by 2^k,
 * k = the number of downsamples kept at that depth (3 at full SD depth: latent
 * sizes in multiples of 8). Other sizes are refused with a clear error rather
 * than cropped or padded, which would silently change the network (LDM itself
 * fails at the skip concatenation there). */
#ifndef I2I_UNET_H
#define I2I_UNET_H

#include "param_list.h"
#include "ts.h"
#include "unet_config.h"
#include "weights.h"
#include <stdbool.h>
#include <stddef.h>

/* Most input blocks a config may have (SD has 12). */
#define UNET_MAX_INPUT_BLOCKS 64

typedef struct unet unet;

/* Checks the config, then that every tensor the full-depth network needs is
 * present with the right shape (the error names the first bad one), and
 * caches the pointers. prefix e.g. "model.diffusion_model."; the weights
 * must outlive the model. NULL with a message in err on failure. */
unet *unet_create(const weights *w, const char *prefix, const unet_config *cfg, char *err,
                  size_t errlen);
void unet_free(unet *u);
const unet_config *unet_get_config(const unet *u);
/* Number of depth levels, n+1 (13 for SD): the valid depths are 1..this. */
int unet_num_depths(const unet *u);
/* Width of the zero tensor at depth D < n+1 (what output block n-D expects
 * from below); the middle block's width for D = n+1. -1 for a bad depth. */
int unet_zero_channels(const unet *u, int depth);
/* Width of skip i (input block i's output), i in 0..n-1; what a ControlNet
 * residual c_i must have. The middle block's width for i = n. */
int unet_skip_channels(const unet *u, int i);

/* Lists every parameter name and shape of the full network, in state-dict
 * order (686 tensors for SD-1.5). false with a message for a bad config. */
bool unet_params_foreach(const unet_config *cfg, const char *prefix, param_fn fn, void *user,
                         char *err, size_t errlen);

/* x [B, in_channels, H, W], t: B timesteps, context [B, L, context_dim],
 * depth 1..n+1 -> eps [B, out_channels, H, W].
 * control: NULL, or n+1 ControlNet residuals, already scaled: control[i]
 * (shape of skip i) is added to the skip of input block i, control[n] to the
 * middle block's output. Under depth-skip the entries of dropped blocks
 * (i >= D, and n unless D = n+1) are ignored and may be NULL; the zero
 * tensor gets none.
 * NULL with ts error on failure. No mutable state: many threads may share
 * one unet. Intermediates are freed before returning. */
ts_tensor *unet_forward(const unet *u, ts_tensor *x, const float *t, ts_tensor *context, int depth,
                        ts_tensor *const *control);
/* StableSR's SFT U-Net (cfg.spade_channels > 0; unet_forward refuses it):
 * as unet_forward without control, and every ResBlock that runs - encoder
 * side, middle, decoder - is modulated by the struct feature map of its own
 * spatial width, picked from feats[0..n_feats-1] ([B, spade_channels, h, w],
 * e.g. sr_encoder_forward's output). Depth-skip drops blocks exactly as for
 * the plain U-Net; the features are the same at every depth. */
ts_tensor *unet_forward_sft(const unet *u, ts_tensor *x, const float *t, ts_tensor *context,
                            int depth, ts_tensor *const *feats, int n_feats);

/* ---- the encoder half, which ControlNet copies ----
 * time_embed, the input blocks and the middle block under `prefix` (e.g.
 * "control_model."): the same names, shapes and checks as the full U-Net's
 * encoder side. unet_forward refuses such a model. */
unet *unet_encoder_create(const weights *w, const char *prefix, const unet_config *cfg, char *err,
                          size_t errlen);
bool unet_encoder_params_foreach(const unet_config *cfg, const char *prefix, param_fn fn,
                                 void *user, char *err, size_t errlen);
/* The layout's input block count *n and skip widths skip_ch[0..n] (as
 * unet_skip_channels; skip_ch needs UNET_MAX_INPUT_BLOCKS + 1 entries) without weights. */
bool unet_layout_skip_channels(const unet_config *cfg, int *skip_ch, int *n, char *err,
                               size_t errlen);
/* Runs input blocks 0..n_blocks-1, and the middle block too when n_blocks is
 * n+1; after block 0 adds after_first (ControlNet's hint features) when not
 * NULL. outs[i] receives block i's output (outs[n] the middle block's); the
 * tensors belong to the caller's scope. Works on full and encoder-only
 * models. false with ts error on failure. */
bool unet_encoder_forward(const unet *u, ts_tensor *x, const float *t, ts_tensor *context,
                          int n_blocks, ts_tensor *after_first, ts_tensor **outs);

#endif
