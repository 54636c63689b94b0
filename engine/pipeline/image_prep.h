/* Image <-> tensor for the pipelines. The networks need sides that are a
 * multiple of `align` (VAE factor 8 times the U-Net's downsampling), so the
 * image is padded on the right and bottom by repeating its edge pixels, run
 * at the padded size, and the result is cropped back: the output has exactly
 * the input's size and no pixel is resampled. */
#ifndef I2I_IMAGE_PREP_H
#define I2I_IMAGE_PREP_H

#include "i2i_engine.h"
#include "ts.h"

#define IMAGE_MIN_SIDE I2I_MIN_IMAGE_SIDE

typedef struct image_frame {
    const i2i_image *src;
    int width, height;               /* the input's size */
    int padded_width, padded_height; /* multiples of align */
} image_frame;

/* Validates the image (both sides >= IMAGE_MIN_SIDE, pixels <= max_pixels)
 * and computes the padded size. */
bool image_frame_prepare(const i2i_image *in, int align, long max_pixels, image_frame *f, char *err,
                         size_t errlen);
/* [1, 3, padded_height, padded_width] in [-1, 1]. */
ts_tensor *image_frame_to_tensor(const image_frame *f);
/* Crops a [1, 3, ph, pw] tensor in [-1, 1] back to the frame's size as 8-bit
 * RGB in out (malloc'd). */
bool image_frame_from_tensor(const image_frame *f, ts_tensor *t, i2i_image *out);

#endif
