/* Lanczos resampler: flat images stay flat, block images shrink exactly, a
 * round trip keeps the picture, results match Pillow's LANCZOS resize
 * (fixture from tests/data/resample/make_fixture.py), and the working-size
 * rules of edit_cli.py and ControlNet give the sizes the Python does. */
#include "check.h"
#include "image_codec.h"
#include "resample.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint8_t *alloc_rgb(int w, int h) {
    return malloc((size_t)w * h * 3);
}

static int max_abs_diff(const uint8_t *a, const uint8_t *b, size_t n) {
    int m = 0;
    for (size_t i = 0; i < n; i++) {
        int d = abs(a[i] - b[i]);
        if (d > m) m = d;
    }
    return m;
}

static void test_constant_stays_constant(void) {
    static const int sizes[][4] = {{37, 23, 5, 4},  {37, 23, 111, 70}, {8, 8, 1, 1},
                                   {1, 1, 9, 13},   {100, 3, 7, 29},   {5, 80, 5, 7},
                                   {64, 64, 64, 9}, {3, 3, 300, 2}};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        int sw = sizes[t][0], sh = sizes[t][1], dw = sizes[t][2], dh = sizes[t][3];
        uint8_t *src = alloc_rgb(sw, sh), *dst = alloc_rgb(dw, dh);
        for (int i = 0; i < sw * sh; i++)
            src[i * 3] = 200, src[i * 3 + 1] = 17, src[i * 3 + 2] = 255;
        CHECK(image_resize_rgb8(src, sw, sh, dst, dw, dh) == 0);
        int bad = 0;
        for (int i = 0; i < dw * dh; i++)
            bad += dst[i * 3] != 200 || dst[i * 3 + 1] != 17 || dst[i * 3 + 2] != 255;
        CHECK_MSG(bad == 0, "%dx%d -> %dx%d: %d pixels changed", sw, sh, dw, dh, bad);
        free(src);
        free(dst);
    }
}

/* 2x2 blocks of one colour each, shrunk by exactly 2: every output pixel is
 * centred on its block, so it keeps (nearly) the block's colour; the Lanczos
 * lobes reach the neighbours, hence the tolerance on a smooth pattern. */
static void test_halving_blocks(void) {
    enum { W = 32, H = 24 };
    uint8_t src[W * H * 3], want[(W / 2) * (H / 2) * 3], got[sizeof want];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++)
            for (int c = 0; c < 3; c++) {
                int v = 60 + (x / 2) * 5 + (y / 2) * 3 + c * 20;
                src[(y * W + x) * 3 + c] = (uint8_t)v;
                want[((y / 2) * (W / 2) + x / 2) * 3 + c] = (uint8_t)v;
            }
    CHECK(image_resize_rgb8(src, W, H, got, W / 2, H / 2) == 0);
    int d = max_abs_diff(got, want, sizeof want);
    CHECK_MSG(d <= 1, "halving a linear block ramp: max diff %d", d);
}

static double psnr(const uint8_t *a, const uint8_t *b, size_t n) {
    double se = 0;
    for (size_t i = 0; i < n; i++)
        se += (double)(a[i] - b[i]) * (a[i] - b[i]);
    return se == 0 ? 99.0 : 10.0 * log10(255.0 * 255.0 * n / se);
}

/* Up 3x then down 3x is not the identity (the two kernels blur a little and
 * ring at hard edges) but must stay close: smooth content very close. */
static void round_trip_case(int hard_edges, double min_db) {
    enum { W = 64, H = 48 };
    uint8_t *src = alloc_rgb(W, H), *big = alloc_rgb(W * 3, H * 3), *back = alloc_rgb(W, H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = src + (y * W + x) * 3;
            p[0] = (uint8_t)(128 + 100 * sin(x * 0.3) * cos(y * 0.2));
            p[1] = (uint8_t)(x * 4);
            p[2] = hard_edges ? (uint8_t)(((x / 8) + (y / 8)) % 2 ? 220 : 30)
                              : (uint8_t)(128 + 90 * sin(x * 0.15 + y * 0.1));
        }
    CHECK(image_resize_rgb8(src, W, H, big, W * 3, H * 3) == 0);
    CHECK(image_resize_rgb8(big, W * 3, H * 3, back, W, H) == 0);
    double db = psnr(src, back, (size_t)W * H * 3);
    CHECK_MSG(db > min_db, "3x up then down (hard edges %d): PSNR %.2f dB", hard_edges, db);
    free(src);
    free(big);
    free(back);
}

static void test_round_trip(void) {
    round_trip_case(1, 30.0);
    round_trip_case(0, 50.0);
}

static int load_png(const char *name, i2i_image *img) {
    const char *dir = getenv("I2I_SOURCE_DIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/data/resample/%s", dir ? dir : ".", name);
    FILE *f = fopen(path, "rb");
    if (!f) return -1;
    static uint8_t data[1 << 16];
    size_t n = fread(data, 1, sizeof data, f);
    fclose(f);
    char err[256];
    return image_decode_rgb(data, n, 0, img, err, sizeof err) == IMAGE_OK ? 0 : -1;
}

/* Pillow 9.4 rounds 22-bit fixed-point sums, we round doubles, so a pixel on
 * a rounding boundary could differ by one; on this fixture none does. */
static void test_matches_pillow(void) {
    static const int sizes[][2] = {{16, 11}, {97, 67}, {41, 13}, {20, 29}, {7, 5}, {1, 1}};
    i2i_image in;
    CHECK_MSG(load_png("in.png", &in) == 0, "tests/data/resample/in.png unreadable");
    if (!in.rgb) return;
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
        int w = sizes[t][0], h = sizes[t][1];
        char name[64];
        snprintf(name, sizeof name, "out_%dx%d.png", w, h);
        i2i_image ref;
        CHECK_MSG(load_png(name, &ref) == 0, "%s unreadable", name);
        if (!ref.rgb) continue;
        uint8_t *got = alloc_rgb(w, h);
        CHECK(image_resize_rgb8(in.rgb, in.width, in.height, got, w, h) == 0);
        size_t n = (size_t)w * h * 3, off = 0;
        for (size_t i = 0; i < n; i++)
            off += got[i] != ref.rgb[i];
        int d = max_abs_diff(got, ref.rgb, n);
        CHECK_MSG(d <= 1 && off * 50 <= n, "%dx%d vs Pillow: max diff %d, %zu of %zu differ", w, h,
                  d, off, n);
        free(got);
        free(ref.rgb);
    }
    free(in.rgb);
}

static void test_bad_arguments(void) {
    uint8_t px[12] = {0}, out[12];
    CHECK(image_resize_rgb8(NULL, 2, 2, out, 2, 2) == -1);
    CHECK(image_resize_rgb8(px, 2, 2, NULL, 2, 2) == -1);
    CHECK(image_resize_rgb8(px, 0, 2, out, 2, 2) == -1);
    CHECK(image_resize_rgb8(px, 2, -1, out, 2, 2) == -1);
    CHECK(image_resize_rgb8(px, 2, 2, out, 0, 2) == -1);
    CHECK(image_resize_rgb8(px, 2, 2, out, 2, 0) == -1);
    /* a shrink so steep that one kernel would not fit an int is refused
     * before anything is read or allocated (on 64-bit no int sizes overflow
     * a size_t, so that check only matters on 32-bit) */
    CHECK(image_resize_rgb8(px, 0x7fffffff, 0x7fffffff, out, 2, 2) == -1);
    /* same size is a plain copy */
    for (int i = 0; i < 12; i++)
        px[i] = (uint8_t)(i * 21);
    CHECK(image_resize_rgb8(px, 2, 2, out, 2, 2) == 0 && memcmp(px, out, 12) == 0);
}

/* A 4000x3000 photo to the 512x384 working size must be quick enough to do
 * per request: well under a second on one core. */
static void test_speed(void) {
    enum { W = 4000, H = 3000 };
    uint8_t *src = alloc_rgb(W, H), *dst = alloc_rgb(512, 384);
    for (size_t i = 0; i < (size_t)W * H * 3; i++)
        src[i] = (uint8_t)(i * 2654435761u >> 24);
    clock_t t0 = clock();
    CHECK(image_resize_rgb8(src, W, H, dst, 512, 384) == 0);
    double s = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("4000x3000 -> 512x384: %.3f s\n", s);
    CHECK_MSG(s < 2.0, "took %.3f s", s); /* loose: sanitizer builds are slower */
    free(src);
    free(dst);
}

typedef struct size_case {
    int w, h, res, multiple, ow, oh;
} size_case;

/* Expected values computed with the Python of edit_cli.py / resize_image. */
static void test_working_size_long_side(void) {
    static const size_case cases[] = {
        {2268, 1512, 512, 64, 576, 384}, {1512, 2268, 512, 64, 384, 576},
        {4000, 3000, 512, 64, 512, 384}, {3000, 4000, 512, 64, 384, 512},
        {4032, 3024, 512, 64, 512, 384}, {1920, 1080, 512, 64, 512, 320},
        {1080, 1920, 768, 64, 448, 768}, {512, 512, 512, 64, 512, 512},
        {1000, 1000, 512, 64, 512, 512}, {64, 48, 512, 64, 512, 384},
        {600, 400, 512, 64, 576, 384},   {333, 777, 512, 64, 256, 576},
        {1024, 683, 512, 64, 512, 384},  {7, 3, 512, 64, 576, 256},
        {1, 1, 512, 64, 512, 512},       {10000, 10, 512, 64, 64000, 64},
        {640, 480, 256, 8, 256, 192},    {1, 1000, 100, 64, 64, 64000},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const size_case *c = &cases[i];
        int ow, oh;
        image_working_size_long_side(c->w, c->h, c->res, c->multiple, &ow, &oh);
        CHECK_MSG(ow == c->ow && oh == c->oh, "long side %dx%d@%d/%d: got %dx%d, want %dx%d", c->w,
                  c->h, c->res, c->multiple, ow, oh, c->ow, c->oh);
    }
}

static void test_working_size_short_side(void) {
    static const size_case cases[] = {
        {64, 48, 512, 64, 704, 512},     {4000, 3000, 512, 64, 704, 512},
        {3000, 4000, 512, 64, 512, 704}, {2268, 1512, 512, 64, 768, 512},
        {1920, 1080, 512, 64, 896, 512}, {1080, 1920, 768, 64, 768, 1344},
        {1000, 1000, 512, 64, 512, 512}, {333, 777, 512, 64, 512, 1216},
        {7, 3, 512, 64, 1216, 512},      {1, 1, 512, 64, 512, 512},
        {100, 64, 512, 64, 768, 512}, /* 800 / 64 = 12.5 rounds to even 12 */
        {108, 64, 512, 64, 896, 512}, /* 864 / 64 = 13.5 rounds to even 14 */
        {320, 160, 80, 32, 160, 64},  /* 160 / 32 = 5 exactly; 80 / 32 = 2.5 -> 2 */
        {10, 10, 20, 64, 64, 64},     /* 20 / 64 rounds to 0: raised to the multiple */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const size_case *c = &cases[i];
        int ow, oh;
        image_working_size_short_side(c->w, c->h, c->res, c->multiple, &ow, &oh);
        CHECK_MSG(ow == c->ow && oh == c->oh, "short side %dx%d@%d/%d: got %dx%d, want %dx%d", c->w,
                  c->h, c->res, c->multiple, ow, oh, c->ow, c->oh);
    }
}

static void test_working_size_bad_arguments(void) {
    int ow = 1, oh = 1;
    image_working_size_long_side(0, 10, 512, 64, &ow, &oh);
    CHECK(ow == 0 && oh == 0);
    ow = oh = 1;
    image_working_size_long_side(10, 10, 512, 0, &ow, &oh);
    CHECK(ow == 0 && oh == 0);
    ow = oh = 1;
    image_working_size_short_side(10, -1, 512, 64, &ow, &oh);
    CHECK(ow == 0 && oh == 0);
    ow = oh = 1;
    image_working_size_short_side(10, 10, 0, 64, &ow, &oh);
    CHECK(ow == 0 && oh == 0);
    /* a result past INT_MAX is clamped to the largest multiple that fits */
    image_working_size_short_side(1, 1000000, 1000000, 64, &ow, &oh);
    CHECK(ow == 1000000 && oh == 0x7fffffff / 64 * 64);
}

int main(void) {
    test_constant_stays_constant();
    test_halving_blocks();
    test_round_trip();
    test_matches_pillow();
    test_bad_arguments();
    test_speed();
    test_working_size_long_side();
    test_working_size_short_side();
    test_working_size_bad_arguments();
    return CHECK_DONE();
}
