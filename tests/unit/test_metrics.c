/* Metrics: PSNR and SSIM against values that follow from their definitions
 * (a uniform error of 1 level, two constant images), a direct 2-D evaluation
 * of SSIM's windows, and the metric interface's error paths. */
#include "check.h"
#include "metrics/metrics.h"

#include <stdint.h>
#include <string.h>

static uint32_t lcg(uint32_t *s) {
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

static i2i_image make_image(int w, int h) {
    i2i_image im = {w, h, calloc((size_t)w * h * 3, 1)};
    return im;
}

static i2i_image random_image(int w, int h, uint32_t seed) {
    i2i_image im = make_image(w, h);
    for (size_t i = 0; i < (size_t)w * h * 3; i++)
        im.rgb[i] = (uint8_t)(lcg(&seed) & 255);
    return im;
}

/* im + noise in [-amp, amp], clamped. */
static i2i_image noisy_copy(const i2i_image *src, int amp, uint32_t seed) {
    i2i_image im = make_image(src->width, src->height);
    for (size_t i = 0; i < (size_t)src->width * src->height * 3; i++) {
        int v = src->rgb[i] + (int)(lcg(&seed) % (2 * amp + 1)) - amp;
        im.rgb[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
    }
    return im;
}

/* SSIM evaluated window by window with the 2-D Gaussian, no separability. */
static double ssim_direct(const i2i_image *a, const i2i_image *b) {
    double g[11], sum = 0;
    for (int i = 0; i < 11; i++)
        sum += g[i] = exp(-(i - 5) * (i - 5) / (2 * 1.5 * 1.5));
    const double c1 = 6.5025, c2 = 58.5225; /* (0.01*255)^2, (0.03*255)^2 */
    double total = 0;
    int count = 0;
    for (int c = 0; c < 3; c++)
        for (int y0 = 0; y0 + 11 <= a->height; y0++)
            for (int x0 = 0; x0 + 11 <= a->width; x0++) {
                double mx = 0, my = 0, xx = 0, yy = 0, xy = 0;
                for (int dy = 0; dy < 11; dy++)
                    for (int dx = 0; dx < 11; dx++) {
                        double w = g[dy] * g[dx] / (sum * sum);
                        size_t i = ((size_t)(y0 + dy) * a->width + x0 + dx) * 3 + c;
                        double x = a->rgb[i], y = b->rgb[i];
                        mx += w * x, my += w * y, xx += w * x * x, yy += w * y * y, xy += w * x * y;
                    }
                double vx = xx - mx * mx, vy = yy - my * my, cxy = xy - mx * my;
                total += ((2 * mx * my + c1) * (2 * cxy + c2)) /
                         ((mx * mx + my * my + c1) * (vx + vy + c2));
                count++;
            }
    return total / count;
}

static void test_psnr(void) {
    char err[256];
    double db;
    i2i_image a = random_image(33, 40, 1), b = make_image(33, 40);
    /* every value off by exactly one level: MSE 1, PSNR = 20 log10(255) */
    for (size_t i = 0; i < 33 * 40 * 3; i++)
        b.rgb[i] = a.rgb[i] == 255 ? 254 : a.rgb[i] + 1;
    CHECK(metric_psnr(&a, &b, &db, err, sizeof err) == 0);
    CHECK_MSG(fabs(db - 20 * log10(255.0)) < 1e-9, "psnr %f", db);
    CHECK(metric_psnr(&a, &a, &db, err, sizeof err) == 0 && db == METRIC_PSNR_MAX_DB);
    i2i_image c = noisy_copy(&a, 20, 7);
    double db_more;
    CHECK(metric_psnr(&a, &c, &db_more, err, sizeof err) == 0 && db_more < db);
    i2i_image small = make_image(32, 40);
    CHECK(metric_psnr(&a, &small, &db, err, sizeof err) == -1 && strstr(err, "differ"));
    free(a.rgb), free(b.rgb), free(c.rgb), free(small.rgb);
}

static void test_ssim(void) {
    char err[256];
    double s;
    i2i_image a = random_image(40, 36, 3);
    CHECK(metric_ssim(&a, &a, &s, err, sizeof err) == 0 && fabs(s - 1) < 1e-12);
    /* two constant images: only the luminance term is left */
    i2i_image k1 = make_image(20, 20), k2 = make_image(20, 20);
    memset(k1.rgb, 100, 20 * 20 * 3), memset(k2.rgb, 140, 20 * 20 * 3);
    double c1 = 6.5025, want = (2 * 100.0 * 140 + c1) / (100.0 * 100 + 140.0 * 140 + c1);
    CHECK(metric_ssim(&k1, &k2, &s, err, sizeof err) == 0);
    CHECK_MSG(fabs(s - want) < 1e-9, "ssim %f want %f", s, want);
    /* textured images: the separable filter equals the direct 2-D windows */
    i2i_image b = noisy_copy(&a, 30, 9), c = noisy_copy(&a, 90, 11);
    double sb, sc, sba;
    CHECK(metric_ssim(&a, &b, &sb, err, sizeof err) == 0);
    CHECK_MSG(fabs(sb - ssim_direct(&a, &b)) < 1e-9, "ssim %f direct %f", sb, ssim_direct(&a, &b));
    CHECK(metric_ssim(&b, &a, &sba, err, sizeof err) == 0 && fabs(sb - sba) < 1e-12);
    CHECK(metric_ssim(&a, &c, &sc, err, sizeof err) == 0 && sc < sb && sb < 1);
    i2i_image tiny = make_image(10, 30);
    CHECK(metric_ssim(&tiny, &tiny, &s, err, sizeof err) == -1 && strstr(err, "at least 11"));
    free(a.rgb), free(b.rgb), free(c.rgb), free(k1.rgb), free(k2.rgb), free(tiny.rgb);
}

static void test_interface(void) {
    char err[256];
    i2i_metric m;
    i2i_image a = random_image(32, 32, 5), b = noisy_copy(&a, 10, 6);
    metric_sample smp = {.output = &b, .reference = &a};
    double via, direct;
    CHECK(metric_open("psnr", NULL, &m, err, sizeof err) == 0 && !strcmp(m.name, "psnr"));
    CHECK(m.score(m.ctx, &smp, &via, err, sizeof err) == 0);
    CHECK(metric_psnr(&b, &a, &direct, err, sizeof err) == 0 && via == direct);
    metric_close(&m);
    CHECK(metric_open("ssim", NULL, &m, err, sizeof err) == 0 && m.higher_is_better);
    CHECK(m.score(m.ctx, &smp, &via, err, sizeof err) == 0 && via > 0 && via < 1);
    metric_close(&m);
    CHECK(metric_open("clip-image", "/nowhere", &m, err, sizeof err) == -1 && strstr(err, "CLIP"));
    CHECK(metric_open("lpips", NULL, &m, err, sizeof err) == -1 && strstr(err, "unknown metric"));
    free(a.rgb), free(b.rgb);
}

int main(void) {
    test_psnr();
    test_ssim();
    test_interface();
    return CHECK_DONE();
}
