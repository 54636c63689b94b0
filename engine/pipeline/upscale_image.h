/* The image side of the upscale pipeline, as StableSR's sampling scripts
 * treat it: the input is upscaled bicubically by
 *     us = max(resolution / short side, scale)
 * (so the short side reaches at least the model's size), to
 * int(h * us) x int(w * us), clamped to [-1, 1] and padded (edges
 * repeated, as image_prep pads) to the U-Net's multiple; the result is
 * cropped back, colour-fixed against the upscaled input, and, when us went
 * above scale, resized bicubically down to the size the job asked for:
 * floor(w * scale) x floor(h * scale). */
#ifndef I2I_UPSCALE_IMAGE_H
#define I2I_UPSCALE_IMAGE_H

#include "i2i_engine.h"
#include "ts.h"
#include <stdbool.h>
#include <stddef.h>

typedef struct upscale_frame {
    int in_w, in_h;         /* the input */
    int up_w, up_h;         /* upscaled: where the diffusion runs */
    int padded_w, padded_h; /* up_* rounded up to the alignment */
    int out_w, out_h;       /* the result */
    float *upscaled;        /* 3 x up_h x up_w in [-1, 1] (the colour reference); owned */
} upscale_frame;

/* The sizes for a w x h input (no pixels touched); false with a message for
 * a scale out of range or a size over max_pixels (checked on the padded
 * size the job runs at). */
bool upscale_frame_sizes(int w, int h, double scale, int resolution, int align, long max_pixels,
                         upscale_frame *f, char *err, size_t errlen);
/* Upscales the input into f->upscaled and returns it padded, as
 * [1, 3, padded_h, padded_w] (NULL with ts error). */
ts_tensor *upscale_frame_input(upscale_frame *f, const i2i_image *in);
/* decoded [1, 3, padded_h, padded_w] -> the result as 8-bit RGB in out. */
i2i_status upscale_frame_finish(const upscale_frame *f, ts_tensor *decoded, i2i_color_fix fix,
                                i2i_image *out, char *err, size_t errlen);
void upscale_frame_free(upscale_frame *f);

#endif
