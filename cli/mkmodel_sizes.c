/* The model sizes of `i2i mkmodel` (see mkmodel_sizes.h). */
#include "mkmodel_sizes.h"

#include <stddef.h>
#include <string.h>

/* The tiny edit model: every code path of the SD-1.x networks (4 levels, 13
 * depths, attention at three levels, 64-wide blocks so GroupNorm(32) does not
 * cancel the time embedding), a real-size CLIP vocabulary so the shipped
 * tokenizer works, and nothing bigger. The ControlNet model uses the same
 * U-Net layout on a 4-channel latent (SD-1.5 + ControlNet) with cldm's hint
 * encoder widths. */
#define TINY_UNET_BODY                                                                             \
    "\"out_channels\": 4, \"model_channels\": 32, \"channel_mult\": [1, 1, 2, 2], "                \
    "\"num_res_blocks\": 2, \"attention_resolutions\": [4, 2, 1], \"num_heads\": 2, "              \
    "\"num_head_channels\": -1, \"context_dim\": 32, \"transformer_depth\": 1, "                   \
    "\"use_linear_in_transformer\": false"
#define HINT "\"hint_channels\": 3, \"hint_widths\": [16, 32, 96, 256]"

/* The tiny StableSR model: an SD-2-style SFT U-Net (linear transformer
 * projections, 16-channel heads) with all 13 depths, the time-aware encoder
 * at golden sr_tiny's widths (attention only at 1/2 and 1/4 so a 64x64
 * canvas tile stays cheap), and a CFW VAE on the tiny VAE layout with one
 * RRDB of growth 8 per fusion layer (at 32 the fusion doubles the decoder's
 * cost, which dominates a 4000x3000 test job). A job costs what a 64 px one
 * does, so tests and demos stay fast. */
static const mkmodel_size TINY = {
    .name = "tiny",
    .description = "tiny",
    .unet = "{\"in_channels\": 8, " TINY_UNET_BODY "}",
    .control_unet = "{\"in_channels\": 4, " TINY_UNET_BODY "}",
    .controlnet = "{\"in_channels\": 4, " TINY_UNET_BODY ", " HINT "}",
    .vae = "{\"ch\": 32, \"ch_mult\": [1, 1, 2, 2], \"num_res_blocks\": 1, \"z_channels\": 4, "
           "\"embed_dim\": 4, \"in_channels\": 3, \"out_ch\": 3}",
    .clip = "{\"vocab_size\": 49408, \"width\": 32, \"layers\": 2, \"heads\": 2, "
            "\"max_positions\": 77}",
    .sr_unet = "{\"in_channels\": 4, \"out_channels\": 4, \"model_channels\": 32, "
               "\"channel_mult\": [1, 1, 1, 2], \"num_res_blocks\": 2, "
               "\"attention_resolutions\": [4, 2], \"num_heads\": -1, \"num_head_channels\": 16, "
               "\"context_dim\": 32, \"transformer_depth\": 1, "
               "\"use_linear_in_transformer\": true}",
    .sr_encoder = "{\"in_channels\": 4, \"model_channels\": 32, \"channel_mult\": [1, 1, 1, 1], "
                  "\"num_res_blocks\": 2, \"attention_resolutions\": [4, 2], \"num_heads\": 2, "
                  "\"out_channels\": 64}",
    .cfw = "{\"ch\": 32, \"ch_mult\": [1, 1, 2, 2], \"num_res_blocks\": 1, \"z_channels\": 4, "
           "\"embed_dim\": 4, \"in_channels\": 3, \"out_ch\": 3, \"num_fuse_block\": 1, "
           "\"grow\": 8}",
    .sr_tiling = "{\"latent_tile\": 64, \"latent_overlap\": 16, \"vae_tile\": 64, "
                 "\"vae_overlap\": 8}",
    .sr_spade_hidden = 16,
    .sr_max_pixels = 4096L * 4096L,
    .resolution = 64,
};

/* The real sizes: SD-1.5 (InstructPix2Pix: 8 input channels), ControlNet 1.0
 * on SD-1.5, StableSR v2-512 (SD-2.1-base SFT U-Net, StableSR's encoder and
 * CFW VAE; SPADE width 128 as in its spade.py) -- the configs README.md
 * gives for the real checkpoints. */
#define SD_UNET_BODY                                                                               \
    "\"out_channels\": 4, \"model_channels\": 320, \"channel_mult\": [1, 2, 4, 4], "               \
    "\"num_res_blocks\": 2, \"attention_resolutions\": [4, 2, 1], \"num_heads\": 8, "              \
    "\"num_head_channels\": -1, \"context_dim\": 768, \"transformer_depth\": 1, "                  \
    "\"use_linear_in_transformer\": false"
#define SD_VAE_BODY                                                                                \
    "\"ch\": 128, \"ch_mult\": [1, 2, 4, 4], \"num_res_blocks\": 2, \"z_channels\": 4, "           \
    "\"embed_dim\": 4, \"in_channels\": 3, \"out_ch\": 3"

static const mkmodel_size SD = {
    .name = "sd",
    .description = "SD-size",
    .unet = "{\"in_channels\": 8, " SD_UNET_BODY "}",
    .control_unet = "{\"in_channels\": 4, " SD_UNET_BODY "}",
    .controlnet = "{\"in_channels\": 4, " SD_UNET_BODY ", " HINT "}",
    .vae = "{" SD_VAE_BODY "}",
    .clip = "{\"vocab_size\": 49408, \"width\": 768, \"layers\": 12, \"heads\": 12, "
            "\"max_positions\": 77}",
    .sr_unet = "{\"in_channels\": 4, \"out_channels\": 4, \"model_channels\": 320, "
               "\"channel_mult\": [1, 2, 4, 4], \"num_res_blocks\": 2, "
               "\"attention_resolutions\": [4, 2, 1], \"num_heads\": -1, "
               "\"num_head_channels\": 64, \"context_dim\": 1024, \"transformer_depth\": 1, "
               "\"use_linear_in_transformer\": true}",
    .sr_encoder = "{\"in_channels\": 4, \"model_channels\": 256, \"out_channels\": 256, "
                  "\"channel_mult\": [1, 1, 2, 2], \"num_res_blocks\": 2, "
                  "\"attention_resolutions\": [4, 2, 1], \"num_heads\": 4}",
    .cfw = "{" SD_VAE_BODY ", \"num_fuse_block\": 2}",
    .sr_tiling = "{\"latent_tile\": 64, \"latent_overlap\": 32, \"vae_tile\": 64, "
                 "\"vae_overlap\": 16}",
    .sr_spade_hidden = 128,
    .sr_max_pixels = 4096L * 4096L,
    .resolution = 512,
};

static const mkmodel_size *const SIZES[] = {&TINY, &SD};

const mkmodel_size *mkmodel_size_find(const char *name) {
    for (size_t i = 0; i < sizeof SIZES / sizeof SIZES[0]; i++)
        if (!strcmp(SIZES[i]->name, name)) return SIZES[i];
    return NULL;
}

const char *mkmodel_size_names(void) {
    return "tiny, sd";
}
