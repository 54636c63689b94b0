/* Canny edges equal to OpenCV's cv2.Canny(rgb, low, high), aperture 3, L1 gradient
 * (modules/imgproc/src/canny.cpp). Memory: one int per pixel, which holds the magnitudes
 * and later, once they are no longer needed, the hysteresis stack; the caller's edges_out
 * doubles as the per-pixel direction code and then the suppression/hysteresis state. */
#include "canny.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

/* round(tan(22.5 deg) * 2^15), OpenCV's integer sector boundary. */
enum { TG22 = 13573, CANNY_SHIFT = 15 };

/* edges_out during the gradient pass: which neighbours non-maximum suppression compares. */
enum { DIR_HORIZONTAL, DIR_VERTICAL, DIR_DIAG_SAME_SIGN, DIR_DIAG_OPPOSITE_SIGN };
/* edges_out from suppression on: not an edge, candidate (kept, m <= high), edge. */
enum { STATE_NONE = 0, STATE_WEAK = 1, STATE_EDGE = 2 };

static int fail(char *err, size_t errlen, const char *fmt, ...) {
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

/* OpenCV's sector test on the winning channel's gradient. |dy| << 15 is at most
 * 1020 * 2^15 and |dx| * (TG22 + 2^16) at most 1020 * 79109: both fit in an int. */
static uint8_t direction(int dx, int dy) {
    int ax = abs(dx), ay = abs(dy) << CANNY_SHIFT;
    int tg22x = ax * TG22;
    if (ay < tg22x) return DIR_HORIZONTAL;
    if (ay > tg22x + (ax << (CANNY_SHIFT + 1))) return DIR_VERTICAL;
    /* Both are non-zero here, so the sign test equals OpenCV's (dx ^ dy) < 0. */
    return (dx < 0) != (dy < 0) ? DIR_DIAG_OPPOSITE_SIGN : DIR_DIAG_SAME_SIGN;
}

/* Sobel on each channel with replicated borders; keeps the channel with the largest
 * |dx| + |dy| (strictly larger, so on a tie the earlier channel stays). */
static void gradients(const uint8_t *rgb, int w, int h, int *mag, uint8_t *dir) {
    for (int y = 0; y < h; y++) {
        const uint8_t *p = rgb + (size_t)(y > 0 ? y - 1 : 0) * w * 3;
        const uint8_t *c = rgb + (size_t)y * w * 3;
        const uint8_t *n = rgb + (size_t)(y < h - 1 ? y + 1 : h - 1) * w * 3;
        for (int x = 0; x < w; x++) {
            int l = 3 * (x > 0 ? x - 1 : 0), m = 3 * x, r = 3 * (x < w - 1 ? x + 1 : w - 1);
            int best = -1, bdx = 0, bdy = 0;
            for (int k = 0; k < 3; k++) {
                int dx =
                    (p[r + k] + 2 * c[r + k] + n[r + k]) - (p[l + k] + 2 * c[l + k] + n[l + k]);
                int dy =
                    (n[l + k] + 2 * n[m + k] + n[r + k]) - (p[l + k] + 2 * p[m + k] + p[r + k]);
                int mk = abs(dx) + abs(dy);
                if (mk > best) best = mk, bdx = dx, bdy = dy;
            }
            mag[(size_t)y * w + x] = best;
            dir[(size_t)y * w + x] = direction(bdx, bdy);
        }
    }
}

/* Magnitudes outside the image count as 0, as in OpenCV's zero-padded magnitude rows. */
static int mag_at(const int *mag, int w, int h, int x, int y) {
    return x < 0 || y < 0 || x >= w || y >= h ? 0 : mag[(size_t)y * w + x];
}

/* Non-maximum suppression, in place: state[i] enters as the direction code of pixel i and
 * leaves as its state. Only pixel i's own code is read, so overwriting it is safe. The
 * asymmetric > / >= keeps exactly one pixel of a two-pixel-wide plateau, as OpenCV does. */
static void suppress(const int *mag, int w, int h, int low, int high, uint8_t *state) {
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            int m = mag[i];
            int keep = 0;
            if (m > low) {
                switch (state[i]) {
                case DIR_HORIZONTAL:
                    keep = m > mag_at(mag, w, h, x - 1, y) && m >= mag_at(mag, w, h, x + 1, y);
                    break;
                case DIR_VERTICAL:
                    keep = m > mag_at(mag, w, h, x, y - 1) && m >= mag_at(mag, w, h, x, y + 1);
                    break;
                default: {
                    int s = state[i] == DIR_DIAG_OPPOSITE_SIGN ? -1 : 1;
                    keep =
                        m > mag_at(mag, w, h, x - s, y - 1) && m > mag_at(mag, w, h, x + s, y + 1);
                }
                }
            }
            state[i] = !keep ? STATE_NONE : m > high ? STATE_EDGE : STATE_WEAK;
        }
}

/* Grows edges through 8-connected candidates. A pixel is pushed only when it becomes an
 * edge, so the stack never holds more than w*h entries (w*h <= CANNY_MAX_PIXELS < INT_MAX). */
static void hysteresis(int w, int h, uint8_t *state, int *stack) {
    size_t top = 0, npix = (size_t)w * h;
    for (size_t i = 0; i < npix; i++)
        if (state[i] == STATE_EDGE) stack[top++] = (int)i;
    while (top) {
        int i = stack[--top], x = i % w, y = i / w;
        for (int yy = y - 1; yy <= y + 1; yy++)
            for (int xx = x - 1; xx <= x + 1; xx++) {
                if (xx < 0 || yy < 0 || xx >= w || yy >= h) continue;
                int j = yy * w + xx;
                if (state[j] != STATE_WEAK) continue;
                state[j] = STATE_EDGE;
                stack[top++] = j;
            }
    }
    for (size_t i = 0; i < npix; i++)
        state[i] = state[i] == STATE_EDGE ? 255 : 0;
}

int canny_edges_rgb(const uint8_t *rgb, int width, int height, int low, int high,
                    uint8_t *edges_out, char *err, size_t errlen) {
    if (!rgb || !edges_out) return fail(err, errlen, "canny: NULL image or output buffer");
    if (width < 1 || height < 1)
        return fail(err, errlen, "canny: image size %dx%d, both sides must be >= 1", width, height);
    if ((int64_t)width * height > CANNY_MAX_PIXELS)
        return fail(err, errlen, "canny: image %dx%d is over the limit of %d pixels", width, height,
                    CANNY_MAX_PIXELS);
    if (low < 0 || high < 0 || low > CANNY_THRESHOLD_MAX || high > CANNY_THRESHOLD_MAX)
        return fail(err, errlen, "canny: thresholds %d/%d, each must be 0..%d", low, high,
                    CANNY_THRESHOLD_MAX);
    if (low > high)
        return fail(err, errlen, "canny: low threshold %d is above high threshold %d", low, high);
    int *mag = malloc((size_t)width * height * sizeof *mag);
    if (!mag) return fail(err, errlen, "canny: out of memory for a %dx%d image", width, height);
    gradients(rgb, width, height, mag, edges_out);
    suppress(mag, width, height, low, high, edges_out);
    hysteresis(width, height, edges_out, mag); /* magnitudes are spent: reuse as the stack */
    free(mag);
    return 0;
}
