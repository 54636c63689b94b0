/* PSNR, SSIM and the metric registry behind the i2i_metric interface. */
#include "metrics/metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SSIM_WIN 11
#define SSIM_SIGMA 1.5
#define SSIM_K1 0.01
#define SSIM_K2 0.03
#define PEAK 255.0

static int check_pair(const i2i_image *a, const i2i_image *b, int min_side, char *err,
                      size_t errlen) {
    if (!a || !b || !a->rgb || !b->rgb) {
        snprintf(err, errlen, "metric: missing image");
        return -1;
    }
    if (a->width != b->width || a->height != b->height) {
        snprintf(err, errlen, "metric: image sizes differ (%dx%d vs %dx%d)", a->width, a->height,
                 b->width, b->height);
        return -1;
    }
    if (a->width < min_side || a->height < min_side) {
        snprintf(err, errlen, "metric: images must be at least %dx%d, got %dx%d", min_side,
                 min_side, a->width, a->height);
        return -1;
    }
    return 0;
}

int metric_psnr(const i2i_image *a, const i2i_image *b, double *db, char *err, size_t errlen) {
    if (check_pair(a, b, 1, err, errlen)) return -1;
    size_t n = (size_t)a->width * (size_t)a->height * 3;
    double sse = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a->rgb[i] - (double)b->rgb[i];
        sse += d * d;
    }
    double mse = sse / (double)n;
    *db = mse > 0 ? 10.0 * log10(PEAK * PEAK / mse) : METRIC_PSNR_MAX_DB;
    if (*db > METRIC_PSNR_MAX_DB) *db = METRIC_PSNR_MAX_DB;
    return 0;
}

static void gaussian_window(double w[SSIM_WIN]) {
    double sum = 0;
    for (int i = 0; i < SSIM_WIN; i++) {
        double x = i - SSIM_WIN / 2;
        w[i] = exp(-x * x / (2 * SSIM_SIGMA * SSIM_SIGMA));
        sum += w[i];
    }
    for (int i = 0; i < SSIM_WIN; i++)
        w[i] /= sum;
}

/* Valid-region separable filtering of a w x h plane into (w-10) x (h-10).
 * tmp must hold (w-10) * h values. */
static void filter_valid(const double *in, int w, int h, const double *win, double *tmp,
                         double *out) {
    int ow = w - SSIM_WIN + 1, oh = h - SSIM_WIN + 1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < ow; x++) {
            double s = 0;
            for (int k = 0; k < SSIM_WIN; k++)
                s += win[k] * in[(size_t)y * w + x + k];
            tmp[(size_t)y * ow + x] = s;
        }
    for (int y = 0; y < oh; y++)
        for (int x = 0; x < ow; x++) {
            double s = 0;
            for (int k = 0; k < SSIM_WIN; k++)
                s += win[k] * tmp[(size_t)(y + k) * ow + x];
            out[(size_t)y * ow + x] = s;
        }
}

/* Planes of one channel: x, y, x*x, y*y, x*y, each filtered in place. */
enum { P_X, P_Y, P_XX, P_YY, P_XY, N_PLANES };

static double ssim_channel(const i2i_image *a, const i2i_image *b, int c, double *planes,
                           double *filtered, double *tmp, const double *win) {
    int w = a->width, h = a->height;
    size_t n = (size_t)w * h, on = (size_t)(w - SSIM_WIN + 1) * (h - SSIM_WIN + 1);
    for (size_t i = 0; i < n; i++) {
        double x = a->rgb[i * 3 + c], y = b->rgb[i * 3 + c];
        planes[P_X * n + i] = x;
        planes[P_Y * n + i] = y;
        planes[P_XX * n + i] = x * x;
        planes[P_YY * n + i] = y * y;
        planes[P_XY * n + i] = x * y;
    }
    for (int p = 0; p < N_PLANES; p++)
        filter_valid(planes + p * n, w, h, win, tmp, filtered + p * on);
    const double c1 = (SSIM_K1 * PEAK) * (SSIM_K1 * PEAK), c2 = (SSIM_K2 * PEAK) * (SSIM_K2 * PEAK);
    double sum = 0;
    for (size_t i = 0; i < on; i++) {
        double mx = filtered[P_X * on + i], my = filtered[P_Y * on + i];
        double vx = filtered[P_XX * on + i] - mx * mx, vy = filtered[P_YY * on + i] - my * my;
        double cxy = filtered[P_XY * on + i] - mx * my;
        sum += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
    }
    return sum / (double)on;
}

int metric_ssim(const i2i_image *a, const i2i_image *b, double *ssim, char *err, size_t errlen) {
    if (check_pair(a, b, SSIM_WIN, err, errlen)) return -1;
    size_t n = (size_t)a->width * a->height;
    double *planes = malloc(sizeof(double) * n * N_PLANES);
    double *filtered = malloc(sizeof(double) * n * N_PLANES);
    double *tmp = malloc(sizeof(double) * n);
    if (!planes || !filtered || !tmp) {
        free(planes), free(filtered), free(tmp);
        snprintf(err, errlen, "metric: out of memory");
        return -1;
    }
    double win[SSIM_WIN];
    gaussian_window(win);
    double total = 0;
    for (int c = 0; c < 3; c++)
        total += ssim_channel(a, b, c, planes, filtered, tmp, win);
    free(planes), free(filtered), free(tmp);
    *ssim = total / 3.0;
    return 0;
}

static int psnr_score(void *ctx, const metric_sample *s, double *v, char *err, size_t errlen) {
    (void)ctx;
    return metric_psnr(s->output, s->reference, v, err, errlen);
}

static int ssim_score(void *ctx, const metric_sample *s, double *v, char *err, size_t errlen) {
    (void)ctx;
    return metric_ssim(s->output, s->reference, v, err, errlen);
}

int metric_open(const char *name, const char *model_dir, i2i_metric *m, char *err, size_t errlen) {
    memset(m, 0, sizeof *m);
    if (!name) name = "";
    if (!strcmp(name, "psnr")) {
        *m = (i2i_metric){
            .name = "psnr", .unit = "dB", .higher_is_better = true, .score = psnr_score};
        return 0;
    }
    if (!strcmp(name, "ssim")) {
        *m =
            (i2i_metric){.name = "ssim", .unit = "", .higher_is_better = true, .score = ssim_score};
        return 0;
    }
    if (!strcmp(name, "clip-image") || !strcmp(name, "clip-direction")) {
        /* The hook for a CLIP-backed metric: load the vision + text towers
         * from model_dir into ctx, score by cosine similarity of embeddings. */
        snprintf(err, errlen,
                 "metric '%s' needs a CLIP vision model bundle%s%s; this build has no CLIP "
                 "vision tower (available: %s)",
                 name, model_dir ? " at " : "", model_dir ? model_dir : "", metric_builtin_names());
        return -1;
    }
    snprintf(err, errlen, "unknown metric '%s' (available: %s)", name, metric_builtin_names());
    return -1;
}

void metric_close(i2i_metric *m) {
    if (m && m->destroy) m->destroy(m->ctx);
    if (m) memset(m, 0, sizeof *m);
}

const char *metric_builtin_names(void) {
    return "psnr, ssim";
}
