"""Model configs: the tiny sizes of `i2i mkmodel edit --size tiny`
(cli/mkmodel_sizes.c), so the trained bundle runs on every code path the
random tiny bundle exercises (4 levels, 13 depths, attention at 3 levels)."""

UNET = {"in_channels": 8, "out_channels": 4, "model_channels": 32, "channel_mult": [1, 1, 2, 2],
        "num_res_blocks": 2, "attention_resolutions": [4, 2, 1], "num_heads": 2,
        "num_head_channels": -1, "context_dim": 32, "transformer_depth": 1,
        "use_linear_in_transformer": False}
VAE = {"ch": 32, "ch_mult": [1, 1, 2, 2], "num_res_blocks": 1, "z_channels": 4, "embed_dim": 4,
       "in_channels": 3, "out_ch": 3}
CLIP = {"vocab_size": 49408, "width": 32, "layers": 2, "heads": 2, "max_positions": 77}
RESOLUTION = 64  # training crops
# The bundle's working resolution (manifest "resolution"): the U-Net is
# convolutional, and at 256 px (32x32 latents) the tiny VAE keeps far more
# of a photo than at 64 px; stage 2 also trains on 128 px crops for it.
SERVE_RESOLUTION = 256
