/* Colour correction (see color_fix.h). Sums run in double: a 12-megapixel
 * plane would lose the mean's low digits in float. */
#include "color_fix.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ADAIN_EPS 1e-5
#define WAVELET_LEVELS 5

static void mean_std(const float *v, int64_t n, double *mean, double *std) {
    double s = 0;
    for (int64_t i = 0; i < n; i++)
        s += v[i];
    *mean = s / (double)n;
    double q = 0;
    for (int64_t i = 0; i < n; i++)
        q += (v[i] - *mean) * (v[i] - *mean);
    /* torch.var is unbiased; a one-pixel plane has no variance at all */
    *std = sqrt((n > 1 ? q / (double)(n - 1) : 0) + ADAIN_EPS);
}

void color_fix_adain(float *content, const float *style, int planes, int64_t hw) {
    for (int p = 0; p < planes; p++) {
        float *c = content + p * hw;
        double cm, cs, sm, ss;
        mean_std(c, hw, &cm, &cs);
        mean_std(style + p * hw, hw, &sm, &ss);
        for (int64_t i = 0; i < hw; i++)
            c[i] = (float)((c[i] - cm) / cs * ss + sm);
    }
}

static inline int clampi(int v, int hi) {
    return v < 0 ? 0 : v > hi ? hi : v;
}

/* out = 3x3 binomial blur of in at dilation r, edges replicated. */
static void blur(const float *in, float *out, int h, int w, int r) {
    static const float k[3] = {0.25f, 0.5f, 0.25f}; /* [1 2 1]/4, the kernel's separable form */
    for (int y = 0; y < h; y++) {
        const float *rows[3] = {in + (size_t)clampi(y - r, h - 1) * w, in + (size_t)y * w,
                                in + (size_t)clampi(y + r, h - 1) * w};
        for (int x = 0; x < w; x++) {
            const int xs[3] = {clampi(x - r, w - 1), x, clampi(x + r, w - 1)};
            float s = 0;
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    s += k[i] * k[j] * rows[i][xs[j]];
            out[(size_t)y * w + x] = s;
        }
    }
}

/* Leaves the last low-pass of plane in low and, when high is not NULL, the
 * sum of the band-passes in high. work is one more plane of scratch. */
static void decompose(const float *plane, float *low, float *high, float *work, int h, int w) {
    const size_t n = (size_t)h * w;
    memcpy(low, plane, n * sizeof *low);
    if (high) memset(high, 0, n * sizeof *high);
    for (int level = 0; level < WAVELET_LEVELS; level++) {
        blur(low, work, h, w, 1 << level);
        if (high)
            for (size_t i = 0; i < n; i++)
                high[i] += low[i] - work[i];
        memcpy(low, work, n * sizeof *low);
    }
}

bool color_fix_wavelet(float *content, const float *style, int planes, int h, int w) {
    const size_t n = (size_t)h * w;
    float *low = malloc(n * sizeof *low), *high = malloc(n * sizeof *high),
          *work = malloc(n * sizeof *work);
    bool ok = low && high && work;
    for (int p = 0; ok && p < planes; p++) {
        float *c = content + p * n;
        decompose(c, low, high, work, h, w); /* the content's high frequencies */
        memcpy(c, high, n * sizeof *c);
        decompose(style + p * n, low, NULL, work, h, w); /* the style's low ones */
        for (size_t i = 0; i < n; i++)
            c[i] += low[i];
    }
    free(low);
    free(high);
    free(work);
    return ok;
}
