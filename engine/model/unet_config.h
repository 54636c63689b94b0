/* Architecture of an LDM UNetModel, in the LDM config's own terms, so a
 * config block from a checkpoint's YAML or a weight file's metadata maps 1:1. */
#ifndef I2I_UNET_CONFIG_H
#define I2I_UNET_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#define UNET_MAX_LEVELS 8

typedef struct unet_config {
    int in_channels; /* 4 (SD), 8 (InstructPix2Pix), 9 (inpainting) */
    int out_channels;
    int model_channels;
    int channel_mult[UNET_MAX_LEVELS];
    int n_levels; /* entries used in channel_mult */
    int num_res_blocks;
    int attention_resolutions[UNET_MAX_LEVELS]; /* downsample factors with attention */
    int n_attention_resolutions;
    int num_heads;         /* -1 when heads come from num_head_channels */
    int num_head_channels; /* -1 when heads are counted by num_heads */
    int context_dim;
    int transformer_depth;
    bool use_linear_in_transformer; /* SD-2.x: linear proj_in/proj_out */
    /* StableSR's SFT U-Net (UNetModelDualcondV2): every ResBlock carries a
     * SPADE fed with struct features of spade_channels (the time-aware
     * encoder's out_channels); 0 = a plain U-Net. spade_hidden is the width of
     * mlp_shared (128 in StableSR); unet_create reads it from the weights when
     * it is 0, the parameter listing needs it set. Neither is an LDM JSON key. */
    int spade_channels;
    int spade_hidden;
} unet_config;

/* Named presets: "sd15", "sd21" (SD-2.1-base, as used by StableSR), "ip2p". */
bool unet_config_preset(const char *name, unet_config *out);
/* Parses a JSON object with LDM keys (in_channels, model_channels, channel_mult,
 * ...). Unknown keys are ignored; missing required keys are an error. */
bool unet_config_from_json(const char *json, unet_config *out, char *err, size_t errlen);
/* Number of input blocks (12 for SD) and so the depth levels are 1..n+1. */
int unet_config_n_input_blocks(const unet_config *c);
/* Heads and head width of the transformer at a block of `channels` width. */
void unet_config_heads(const unet_config *c, int channels, int *heads, int *head_dim);

#endif
