/* High-quality resampling of 8-bit RGB images, and the working-size rules
 * the reference pipelines use to pick the size an input is resized to.
 *
 * image_resize_rgb8 follows Pillow's ImagingResample with the LANCZOS filter
 * (what InstructPix2Pix's edit_cli.py and diffusers use through PIL), so an
 * image resized here matches the Python reference to within a level:
 *   - separable: a horizontal pass into an 8-bit intermediate (dw x sh,
 *     rounded and clamped like Pillow's), then a vertical pass;
 *   - kernel: Lanczos-3, sinc(x) * sinc(x / 3) for |x| < 3;
 *   - for output pixel i along an axis, scale = in / out,
 *     centre = (i + 0.5) * scale, support = 3 * max(scale, 1) (so shrinking
 *     is antialiased: the kernel is stretched by the shrink factor), taps
 *     j in [(int)(centre - support + 0.5), (int)(centre + support + 0.5))
 *     clamped to the source, weight(j) = lanczos((j - centre + 0.5) /
 *     max(scale, 1)), normalised to sum 1 per output pixel;
 *   - accumulated in double, rounded to nearest and clamped to 0..255.
 * Pillow uses 22-bit fixed-point weights instead of doubles, so a pixel
 * sitting on a rounding boundary can differ by one level.
 * An axis whose size does not change is copied, not filtered. */
#ifndef I2I_RESAMPLE_H
#define I2I_RESAMPLE_H

#include <stdint.h>

/* Resizes src (sw x sh, RGB interleaved, rows packed) into dst (dw x dh).
 * All sizes must be >= 1 and src/dst must not overlap. Memory used besides
 * src and dst: one dw x sh x 3 byte intermediate (only when both axes
 * change), the per-axis weight tables and one output row of doubles.
 * Returns 0, or -1 for bad arguments, a size overflow or out of memory (dst
 * is then untouched). */
int image_resize_rgb8(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh);

/* InstructPix2Pix edit_cli.py: scale so the LONG side is about `resolution`,
 * then round the short side UP and both sides DOWN to `multiple` (64 there):
 *   factor = resolution / max(w, h)
 *   factor = ceil(min(w, h) * factor / multiple) * multiple / min(w, h)
 *   w' = floor(w * factor / multiple) * multiple,  h' likewise
 * computed in double exactly as the Python does. The short side becomes a
 * multiple >= its exact scaled size, so for aspect ratios beyond
 * resolution / multiple the long side grows past `resolution` (10000x10 at
 * 512 gives 64000x64): callers should apply their own pixel limit.
 * E.g. 2268x1512 -> 576x384, 4000x3000 -> 512x384, 3000x4000 -> 384x512.
 * Results are at least `multiple` and at most the largest multiple that fits
 * an int. Any argument <= 0 gives *ow = *oh = 0. */
void image_working_size_long_side(int w, int h, int resolution, int multiple, int *ow, int *oh);

/* ControlNet's resize_image (annotator/util.py): scale so the SHORT side is
 * `resolution`, then round each side to the NEAREST multiple:
 *   k = resolution / min(w, h);  W = w * k;  H = h * k
 *   W' = round(W / multiple) * multiple,  H' likewise
 * where round is numpy's: half to even (W / multiple = 2.5 gives 2).
 * E.g. 64x48 -> 704x512, 4000x3000 -> 704x512, 1000x1000 -> 512x512.
 * Results are clamped to [multiple, largest multiple that fits an int].
 * Any argument <= 0 gives *ow = *oh = 0. */
void image_working_size_short_side(int w, int h, int resolution, int multiple, int *ow, int *oh);

#endif
