/* The ControlNet canny app's pre-processing (HWC3 is the decoder's job:
 * grey -> RGB, alpha composited on white):
 *   canny: resample so the short side is image_resolution, sides rounded to
 *          multiples of 64 (resize_image); edges = Canny(rgb, low, high);
 *   raw:   the image is the edge map, used unresampled (resampling would blur
 *          its one-pixel edges), so its sides must already be multiples of 64;
 *   resolution 0: canny on the image as it is (a caller that resampled it to
 *          the working size already), sides multiples of 64;
 * hint = edges / 255 on 3 channels, [1, 3, H, W]; the latent is H/8 x W/8. */
#ifndef I2I_CONTROL_HINT_H
#define I2I_CONTROL_HINT_H

#include "i2i_engine.h"
#include "ts.h"

/* Sides of the working image are multiples of this (ControlNet's 64; the
 * U-Net's own alignment must divide it). */
#define CONTROL_SIDE_MULTIPLE 64

/* The working size of an input of w x h under p (the raw edge map keeps its
 * size). false with a message when a raw map's sides are not multiples of
 * `multiple`. */
bool control_working_size(int w, int h, const i2i_params *p, int multiple, int *ow, int *oh,
                          char *err, size_t errlen);

/* The hint tensor [1, 3, H, W] in [0, 1] at the working size; NULL with a
 * message (bad thresholds, sizes, no memory) or ts error. */
ts_tensor *control_hint_make(const i2i_image *in, const i2i_params *p, int multiple, char *err,
                             size_t errlen);

#endif
