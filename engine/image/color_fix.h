/* StableSR's colour correction of a result against the (upscaled) input,
 * on float planes in [-1, 1] (StableSR's scripts/wavelet_color_fix.py, used
 * as the specification):
 *   adain:   per channel, (c - mean_c) / std_c * std_s + mean_s, std from the
 *            unbiased variance + 1e-5 (calc_mean_std);
 *   wavelet: the result's high frequencies on the input's low ones: 5 levels
 *            of a dilated 3x3 binomial blur (dilation 1, 2, 4, 8, 16, edges
 *            replicated); result = sum of the content's band-passes + the
 *            style's last low-pass. */
#ifndef I2I_COLOR_FIX_H
#define I2I_COLOR_FIX_H

#include <stdbool.h>
#include <stdint.h>

/* content, style: planes x h x w; content is corrected in place. */
void color_fix_adain(float *content, const float *style, int planes, int64_t hw);
/* false when out of memory (content then untouched). */
bool color_fix_wavelet(float *content, const float *style, int planes, int h, int w);

#endif
