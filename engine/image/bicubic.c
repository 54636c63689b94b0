/* PyTorch-compatible bicubic resampling (see bicubic.h). Separable: rows
 * first into a planes x ih x ow buffer, then columns. */
#include "bicubic.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define CUBIC_A (-0.75) /* PyTorch's upsample_bicubic2d */

/* Keys' cubic convolution weights for the taps at offsets -1, 0, 1, 2 from
 * floor(s), t = s - floor(s). */
static void cubic_weights(double t, double w[4]) {
    const double a = CUBIC_A;
    double x = t + 1;
    w[0] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
    x = t;
    w[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
    x = 1 - t;
    w[2] = ((a + 2) * x - (a + 3)) * x * x + 1;
    x = 2 - t;
    w[3] = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
}

typedef struct axis_taps {
    int *index;    /* out x 4 clamped input indices */
    float *weight; /* out x 4 */
} axis_taps;

static bool axis_taps_make(axis_taps *a, int in, int out) {
    a->index = malloc(sizeof(int) * 4 * (size_t)out);
    a->weight = malloc(sizeof(float) * 4 * (size_t)out);
    if (!a->index || !a->weight) return false;
    const double scale = (double)(float)((float)in / (float)out); /* PyTorch: a float ratio */
    for (int d = 0; d < out; d++) {
        const double s = scale * (d + 0.5) - 0.5;
        const double f = floor(s);
        double w[4];
        cubic_weights(s - f, w);
        for (int k = 0; k < 4; k++) {
            int i = (int)f - 1 + k;
            a->index[4 * d + k] = i < 0 ? 0 : i >= in ? in - 1 : i;
            a->weight[4 * d + k] = (float)w[k];
        }
    }
    return true;
}

static void axis_taps_free(axis_taps *a) {
    free(a->index);
    free(a->weight);
}

static inline float tap4(const float *src, size_t stride, const int *idx, const float *w) {
    return w[0] * src[idx[0] * stride] + w[1] * src[idx[1] * stride] + w[2] * src[idx[2] * stride] +
           w[3] * src[idx[3] * stride];
}

bool bicubic_resize_planes(const float *in, int planes, int ih, int iw, float *out, int oh,
                           int ow) {
    if (!in || !out || planes < 1 || ih < 1 || iw < 1 || oh < 1 || ow < 1) return false;
    axis_taps ax = {0}, ay = {0};
    float *rows = malloc(sizeof(float) * (size_t)planes * (size_t)ih * (size_t)ow);
    bool ok = rows && axis_taps_make(&ax, iw, ow) && axis_taps_make(&ay, ih, oh);
    for (int64_t r = 0; ok && r < (int64_t)planes * ih; r++)
        for (int x = 0; x < ow; x++)
            rows[r * ow + x] = tap4(in + r * iw, 1, ax.index + 4 * x, ax.weight + 4 * x);
    for (int p = 0; ok && p < planes; p++)
        for (int y = 0; y < oh; y++) {
            const float *src = rows + (size_t)p * ih * ow;
            float *dst = out + ((size_t)p * oh + y) * ow;
            for (int x = 0; x < ow; x++)
                dst[x] = tap4(src + x, (size_t)ow, ay.index + 4 * y, ay.weight + 4 * y);
        }
    free(rows);
    axis_taps_free(&ax);
    axis_taps_free(&ay);
    return ok;
}
