/* Canny edge map of an 8-bit RGB image, bit-identical to OpenCV's
 * cv2.Canny(rgb, low, high) with its defaults (aperture 3, L1 gradient), which is how
 * ControlNet's canny annotator makes its hint. Everything is integer arithmetic, so the
 * result is exact, not approximate:
 *   1. 3x3 Sobel dx, dy on each channel, borders replicated;
 *   2. m = |dx| + |dy|; per pixel the channel with the largest m wins (ties: R, then G, then B);
 *   3. non-maximum suppression along the winning channel's gradient, only where m > low;
 *   4. hysteresis: survivors with m > high are edges, and edges grow through 8-connected
 *      survivors.
 * The channel order matters (a grey or BGR image gives other edges): pass R,G,B. */
#ifndef I2I_CANNY_H
#define I2I_CANNY_H

#include <stddef.h>
#include <stdint.h>

/* Thresholds are integers 0..CANNY_THRESHOLD_MAX, compared as m > threshold. This bound is
 * 2 * 4 * 255 (|dx| and |dy| are each at most 4*255); the largest m an image can actually
 * reach is 6 * 255 = 1530 (a full-contrast 45-degree step), so high >= 1530 gives no edges. */
#define CANNY_THRESHOLD_MAX 2040

/* Largest image accepted, in pixels; the work memory is 4 bytes per pixel. */
#define CANNY_MAX_PIXELS (64 * 1024 * 1024)

/* rgb: width*height*3 bytes, row-major, R,G,B. edges_out: width*height bytes, set to 255
 * on edges and 0 elsewhere. Returns 0, or -1 with a message in err (edges_out untouched) for
 * NULL pointers, a side < 1, more than CANNY_MAX_PIXELS pixels, a threshold outside
 * 0..CANNY_THRESHOLD_MAX, low > high (OpenCV would silently swap them; here it is the
 * caller's mistake), or no memory. */
int canny_edges_rgb(const uint8_t *rgb, int width, int height, int low, int high,
                    uint8_t *edges_out, char *err, size_t errlen);

#endif
