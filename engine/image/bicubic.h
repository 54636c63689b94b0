/* Bicubic resampling of float planes, as PyTorch's
 * F.interpolate(mode="bicubic", align_corners=False) computes it (what
 * StableSR upscales its input with): output pixel d samples the input at
 * s = (d + 0.5) * in / out - 0.5, with Keys' cubic convolution (A = -0.75)
 * over the 4 nearest input pixels, their indices clamped to the border. No
 * antialiasing when shrinking (PyTorch's default), and values are not
 * clamped (overshoot at edges is the caller's to clip). */
#ifndef I2I_BICUBIC_H
#define I2I_BICUBIC_H

#include <stdbool.h>

/* planes x ih x iw -> planes x oh x ow; false on bad sizes or no memory. */
bool bicubic_resize_planes(const float *in, int planes, int ih, int iw, float *out, int oh, int ow);

#endif
