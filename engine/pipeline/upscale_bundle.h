/* The networks of an upscale bundle (the pipeline's load_extra): StableSR's
 * denoiser (SFT U-Net + time-aware encoder), the CFW VAE, the empty prompt's
 * stored context, and the canvas / VAE tiling (bundle.h lists the manifest
 * sections). */
#ifndef I2I_UPSCALE_BUNDLE_H
#define I2I_UPSCALE_BUNDLE_H

#include "bundle.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

bool upscale_load_networks(i2i_bundle *b, json_t *root, char *err, size_t n);

#endif
