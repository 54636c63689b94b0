/* StableSR's time-aware encoder (EncoderUNetModelWT, checkpoint prefix
 * "structcond_stage_model."): the LR latent and the sampler's t -> the struct
 * feature maps that modulate every SPADE of the SFT U-Net (unet_forward_sft).
 *
 * Layout, as an LDM U-Net encoder with plain ResBlocks: its own time_embed;
 * input_blocks.0.0 conv_in; per level num_res_blocks ResBlocks, each followed
 * by a legacy AttentionBlock at the downsample factors in
 * attention_resolutions; a stride-2 conv (input_blocks.N.0.op) between levels;
 * middle_block Res, Attention, Res; fea_tran.k a ResBlock C_k -> out_channels.
 *
 * Forward: f_k is the input of the k-th downsample (the last map of level k)
 * and f_last the middle block's output; feats[k] = fea_tran[k](f_k, emb), at
 * widths W, W/2, ... It runs at the U-Net's t and is never depth-pruned. */
#ifndef I2I_SR_ENCODER_H
#define I2I_SR_ENCODER_H

#include "param_list.h"
#include "ts.h"
#include "unet_config.h"
#include "weights.h"
#include <stdbool.h>
#include <stddef.h>

/* One feature map per level. */
#define SR_ENCODER_MAX_FEATS UNET_MAX_LEVELS

typedef struct sr_encoder_config {
    int in_channels;
    int model_channels;
    int out_channels; /* width of every feature map = the U-Net's spade_channels */
    int channel_mult[UNET_MAX_LEVELS];
    int n_levels;
    int num_res_blocks;
    int attention_resolutions[UNET_MAX_LEVELS];
    int n_attention_resolutions;
    int num_heads;         /* -1 when heads come from num_head_channels */
    int num_head_channels; /* -1 when heads are counted by num_heads */
} sr_encoder_config;

typedef struct sr_encoder sr_encoder;

/* structcond_stage_config of stableSRNew/v2-finetune_text_T_512.yaml:
 * 256, [1,1,2,2], 2 res blocks, attention at 4,2,1, 4 heads, out 256. */
void sr_encoder_config_stablesr(sr_encoder_config *out);
/* The LDM keys above as a JSON object (a weight file's "encoder_config"). */
bool sr_encoder_config_from_json(const char *json, sr_encoder_config *out, char *err,
                                 size_t errlen);

/* Checks the config and binds every tensor under prefix (the error names the
 * first missing or misshapen one); the weights must outlive the encoder. */
sr_encoder *sr_encoder_create(const weights *w, const char *prefix, const sr_encoder_config *cfg,
                              char *err, size_t errlen);
void sr_encoder_free(sr_encoder *e);
/* Number of feature maps forward fills (n_levels). */
int sr_encoder_num_feats(const sr_encoder *e);

/* Every parameter name and shape in state-dict order (52,494,080 parameters
 * for the StableSR config). */
bool sr_encoder_params_foreach(const sr_encoder_config *cfg, const char *prefix, param_fn fn,
                               void *user, char *err, size_t errlen);

/* lr_latent [B, in_channels, H, W] (H, W multiples of 2^(levels-1)), t: B
 * timesteps -> feats[0..n-1], [B, out_channels, H/2^k, W/2^k]. The tensors
 * belong to the caller's scope. false with ts error on failure. */
bool sr_encoder_forward(const sr_encoder *e, ts_tensor *lr_latent, const float *t,
                        ts_tensor **feats);

#endif
