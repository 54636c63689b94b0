/* Lanczos-3 resampling after Pillow's ImagingResample (see resample.h), and
 * the working-size rules of edit_cli.py and ControlNet's resize_image. */
#include "resample.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define LANCZOS_SUPPORT 3.0

static double sinc(double x) {
    if (x == 0.0) return 1.0;
    x *= M_PI;
    return sin(x) / x;
}

/* Pillow's truncated sinc, half-open [-3, 3) like its lanczos_filter. */
static double lanczos3(double x) {
    if (-LANCZOS_SUPPORT <= x && x < LANCZOS_SUPPORT) return sinc(x) * sinc(x / LANCZOS_SUPPORT);
    return 0.0;
}

/* Weights for one axis: output pixel i reads count[i] source pixels from
 * first[i] on, with weights w[i * ksize ...]. */
typedef struct axis_coeffs {
    int ksize;
    int *first;
    int *count;
    double *w;
} axis_coeffs;

static void coeffs_free(axis_coeffs *c) {
    free(c->first);
    free(c->count);
    free(c->w);
}

static void coeffs_fill_one(axis_coeffs *c, int i, int in, double scale, double filterscale,
                            double support) {
    double centre = (i + 0.5) * scale;
    /* Pillow's (int)(x + 0.5) bounds, clamped to the source while still in
     * double so a bound past INT_MAX is never converted */
    double lo_d = centre - support + 0.5, hi_d = centre + support + 0.5;
    int lo = lo_d <= 0.0 ? 0 : (int)lo_d, hi = hi_d >= in ? in : (int)hi_d;
    double *w = c->w + (size_t)i * (size_t)c->ksize, sum = 0.0;
    for (int j = 0; j < hi - lo; j++) {
        w[j] = lanczos3((j + lo - centre + 0.5) / filterscale);
        sum += w[j];
    }
    for (int j = 0; j < hi - lo && sum != 0.0; j++)
        w[j] /= sum;
    c->first[i] = lo;
    c->count[i] = hi - lo;
}

static int coeffs_init(axis_coeffs *c, int in, int out) {
    memset(c, 0, sizeof *c);
    double scale = (double)in / out, filterscale = scale < 1.0 ? 1.0 : scale;
    double support = LANCZOS_SUPPORT * filterscale;
    double ksize = ceil(support) * 2 + 1;
    if (ksize > INT_MAX || ksize * out > (double)(SIZE_MAX / sizeof(double))) return -1;
    c->ksize = (int)ksize;
    c->first = malloc((size_t)out * sizeof *c->first);
    c->count = malloc((size_t)out * sizeof *c->count);
    c->w = malloc((size_t)out * (size_t)c->ksize * sizeof *c->w);
    if (!c->first || !c->count || !c->w) {
        coeffs_free(c);
        return -1;
    }
    for (int i = 0; i < out; i++)
        coeffs_fill_one(c, i, in, scale, filterscale, support);
    return 0;
}

static uint8_t clamp_round(double v) {
    if (v <= 0.0) return 0;
    if (v >= 255.0) return 255;
    return (uint8_t)(v + 0.5);
}

/* Horizontal pass: rows stay, each output column mixes source columns. */
static void pass_horizontal(const uint8_t *src, int sw, int h, uint8_t *dst, int dw,
                            const axis_coeffs *c) {
    for (int y = 0; y < h; y++) {
        const uint8_t *row = src + (size_t)y * sw * 3;
        uint8_t *out = dst + (size_t)y * dw * 3;
        for (int x = 0; x < dw; x++) {
            const double *w = c->w + (size_t)x * c->ksize;
            const uint8_t *p = row + (size_t)c->first[x] * 3;
            double r = 0, g = 0, b = 0;
            for (int k = 0; k < c->count[x]; k++, p += 3) {
                r += p[0] * w[k];
                g += p[1] * w[k];
                b += p[2] * w[k];
            }
            out[x * 3 + 0] = clamp_round(r);
            out[x * 3 + 1] = clamp_round(g);
            out[x * 3 + 2] = clamp_round(b);
        }
    }
}

/* Vertical pass: one output row is a weighted sum of whole source rows, so
 * the inner loop runs along contiguous memory (acc holds w * 3 doubles). */
static void pass_vertical(const uint8_t *src, int w, uint8_t *dst, int dh, const axis_coeffs *c,
                          double *acc) {
    size_t n = (size_t)w * 3;
    for (int y = 0; y < dh; y++) {
        const double *wt = c->w + (size_t)y * c->ksize;
        for (size_t i = 0; i < n; i++)
            acc[i] = 0.0;
        for (int k = 0; k < c->count[y]; k++) {
            const uint8_t *row = src + (size_t)(c->first[y] + k) * n;
            for (size_t i = 0; i < n; i++)
                acc[i] += row[i] * wt[k];
        }
        uint8_t *out = dst + (size_t)y * n;
        for (size_t i = 0; i < n; i++)
            out[i] = clamp_round(acc[i]);
    }
}

/* Byte size of a w x h RGB image, or 0 when it would not fit a size_t. */
static size_t rgb_bytes(int w, int h) {
    if ((size_t)w > SIZE_MAX / 3 / (size_t)h) return 0;
    return (size_t)w * (size_t)h * 3;
}

static int resize_vertical_only(const uint8_t *src, int w, int sh, uint8_t *dst, int dh) {
    axis_coeffs cv;
    double *acc = malloc((size_t)w * 3 * sizeof *acc);
    if (!acc || coeffs_init(&cv, sh, dh) != 0) {
        free(acc);
        return -1;
    }
    pass_vertical(src, w, dst, dh, &cv, acc);
    coeffs_free(&cv);
    free(acc);
    return 0;
}

int image_resize_rgb8(const uint8_t *src, int sw, int sh, uint8_t *dst, int dw, int dh) {
    if (!src || !dst || sw < 1 || sh < 1 || dw < 1 || dh < 1) return -1;
    size_t src_len = rgb_bytes(sw, sh), dst_len = rgb_bytes(dw, dh);
    if (!src_len || !dst_len || !rgb_bytes(dw, sh)) return -1;
    if (sw == dw && sh == dh) {
        memcpy(dst, src, src_len);
        return 0;
    }
    if (sw == dw) return resize_vertical_only(src, sw, sh, dst, dh);
    axis_coeffs ch;
    if (coeffs_init(&ch, sw, dw) != 0) return -1;
    if (sh == dh) {
        pass_horizontal(src, sw, sh, dst, dw, &ch);
        coeffs_free(&ch);
        return 0;
    }
    /* both axes change: horizontal first into an 8-bit intermediate, as
     * Pillow does, so the two agree on where rounding and clamping happen */
    uint8_t *tmp = malloc(rgb_bytes(dw, sh));
    int rc = -1;
    if (tmp) {
        pass_horizontal(src, sw, sh, tmp, dw, &ch);
        rc = resize_vertical_only(tmp, dw, sh, dst, dh);
    }
    free(tmp);
    coeffs_free(&ch);
    return rc;
}

/* Clamps a computed side to [multiple, largest multiple <= INT_MAX]. */
static int clamp_side(double v, int multiple) {
    double top = (double)(INT_MAX / multiple) * multiple;
    if (!(v >= multiple)) return multiple; /* also catches NaN */
    if (v > top) return (int)top;
    return (int)v;
}

void image_working_size_long_side(int w, int h, int resolution, int multiple, int *ow, int *oh) {
    *ow = *oh = 0;
    if (w <= 0 || h <= 0 || resolution <= 0 || multiple <= 0) return;
    double m = multiple, lo = w < h ? w : h, hi = w < h ? h : w;
    double factor = resolution / hi;
    factor = ceil(lo * factor / m) * m / lo;
    *ow = clamp_side(floor(w * factor / m) * m, multiple);
    *oh = clamp_side(floor(h * factor / m) * m, multiple);
}

void image_working_size_short_side(int w, int h, int resolution, int multiple, int *ow, int *oh) {
    *ow = *oh = 0;
    if (w <= 0 || h <= 0 || resolution <= 0 || multiple <= 0) return;
    double m = multiple, k = (double)resolution / (w < h ? w : h);
    /* nearbyint in the default rounding mode is round-half-even, as np.round */
    *ow = clamp_side(nearbyint(w * k / m) * m, multiple);
    *oh = clamp_side(nearbyint(h * k / m) * m, multiple);
}
