/* Tiled VAE (vae_tiled.h) on the golden tiny VAE and on the tiler alone:
 * inputs that fit one tile and tile 0 give exactly the untiled result; on a
 * multi-tile, non-square input the tiled result stays within a measured PSNR
 * bound of the untiled one; the blend weights cover every pixel and sum to 1,
 * ramp linearly and leave singly covered pixels untouched; bad tilings are
 * clear errors. */
#include "check.h"
#include "vae_tiled.h"
#include "weights.h"

#include <string.h>

#define PREFIX "first_stage_model."

/* Tiled vs untiled PSNR at 96 x 160 px, tile 16 / overlap 4 (latent px; the
 * tiny VAE's factor is 2, so 32 px tiles, 4 x 7 of them). Measured 22.30 dB
 * (encode mean, peak = the untiled mean's range) and 12.61 dB (decode, 8-bit
 * range). Low because the tiny VAE is randomly initialised with one channel
 * per GroupNorm group at full resolution: a tile's per-channel statistics
 * differ a lot from the whole image's, and this network amplifies that; a
 * lone tile is no closer to the untiled result than the blend (printed). The
 * bounds keep about 2 dB of margin; the blend itself is checked exactly by
 * the tiler tests further down. */
#define PSNR_TILING ((vae_tiling){16, 4})
#define PSNR_ENCODE_MIN 20.0
#define PSNR_DECODE_MIN 10.5

/* ---- helpers ---- */

static float *floats_of(ts_tensor *t) {
    float *p = malloc((size_t)ts_numel(t) * sizeof *p);
    if (p && !ts_to_floats(t, p, ts_numel(t))) {
        free(p);
        return NULL;
    }
    return p;
}

/* A smooth, image-like [1, 3, h, w] in [-1, 1]: per-channel gradients, a
 * disc and a bright rectangle, so the VAE sees edges and flat areas. */
static ts_tensor *make_image(int64_t h, int64_t w) {
    float *p = malloc((size_t)(3 * h * w) * sizeof *p);
    for (int64_t c = 0; c < 3; c++)
        for (int64_t y = 0; y < h; y++)
            for (int64_t x = 0; x < w; x++) {
                const double u = (double)x / (double)w, v = (double)y / (double)h;
                double val = c == 0 ? 0.8 * u - 0.4 : c == 1 ? 0.6 * v - 0.3 : 0.5 * (u - v);
                const double dx = u - 0.3, dy = v - 0.55;
                if (dx * dx + dy * dy < 0.04) val += c == 1 ? 0.5 : -0.3;
                if (u > 0.6 && u < 0.85 && v > 0.15 && v < 0.45) val = c == 2 ? -0.7 : 0.75;
                val += 0.1 * sin(12.0 * u + 3.0 * c) * cos(9.0 * v);
                p[(c * h + y) * w + x] = (float)val;
            }
    const int64_t shape[4] = {1, 3, h, w};
    ts_tensor *t = ts_from_floats(p, shape, 4);
    free(p);
    return t;
}

/* PSNR of b against a with the given peak (signal range). */
static double psnr(ts_tensor *a, ts_tensor *b, double peak) {
    float *pa = floats_of(a), *pb = floats_of(b);
    const int64_t n = ts_numel(a);
    double se = 0;
    for (int64_t i = 0; pa && pb && i < n; i++)
        se += ((double)pa[i] - pb[i]) * ((double)pa[i] - pb[i]);
    free(pa);
    free(pb);
    return se > 0 ? 10.0 * log10(peak * peak / (se / (double)n)) : INFINITY;
}

/* Decoded images are compared as 8-bit pictures would be: clamped to
 * [-1, 1] and mapped to [0, 255] (not rounded). */
static ts_tensor *to_8bit_range(ts_tensor *x) {
    return ts_mul_scalar(ts_add_scalar(ts_clamp(x, -1.0f, 1.0f), 1.0f), 127.5f);
}

static double value_range(ts_tensor *t) {
    float *p = floats_of(t);
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; p && i < ts_numel(t); i++) {
        lo = p[i] < lo ? p[i] : lo;
        hi = p[i] > hi ? p[i] : hi;
    }
    free(p);
    return hi - lo;
}

static bool same_shape(ts_tensor *a, ts_tensor *b) {
    if (!a || !b || ts_ndim(a) != ts_ndim(b)) return false;
    for (int d = 0; d < ts_ndim(a); d++)
        if (ts_dim(a, d) != ts_dim(b, d)) return false;
    return true;
}

/* ---- the VAE ---- */

static void expect_identical(const vae *m, ts_tensor *x, const vae_tiling *t, bool encode,
                             const char *what) {
    ts_scope s = ts_scope_begin();
    ts_tensor *ref = encode ? vae_encode_mean(m, x) : vae_decode(m, x);
    ts_tensor *got = encode ? vae_encode_mean_tiled(m, x, t) : vae_decode_tiled(m, x, t);
    CHECK_MSG(same_shape(ref, got) && !ts_failed(), "%s: %s", what, ts_last_error());
    if (same_shape(ref, got)) {
        const double diff = ts_max_abs_diff(ref, got);
        CHECK_MSG(diff == 0.0, "%s: max|diff| %.3g, expected bit-identical", what, diff);
    }
    ts_scope_end(s);
    ts_error_clear();
}

/* Fits one tile (including exactly one tile), tile 0 and NULL: untiled. */
static void test_untiled_cases(const vae *m) {
    ts_scope s = ts_scope_begin();
    ts_tensor *img = make_image(32, 48); /* latent 16 x 24 */
    ts_tensor *lat = vae_encode_mean(m, img);
    const vae_tiling fits = {24, 8}, exact = {24, 23}, never = {0, 0}, dflt = vae_tiling_default();
    expect_identical(m, img, &fits, true, "encode, fits one tile");
    expect_identical(m, lat, &fits, false, "decode, fits one tile");
    expect_identical(m, img, &exact, true, "encode, side == tile");
    expect_identical(m, lat, &exact, false, "decode, side == tile");
    expect_identical(m, img, &dflt, true, "encode, default tiling");
    expect_identical(m, lat, &dflt, false, "decode, default tiling");
    expect_identical(m, img, &never, true, "encode, tile 0");
    expect_identical(m, lat, &never, false, "decode, tile 0");
    expect_identical(m, img, NULL, true, "encode, NULL tiling");
    expect_identical(m, lat, NULL, false, "decode, NULL tiling");
    ts_scope_end(s);
}

static void measure(const vae *m, ts_tensor *img, ts_tensor *lat, const vae_tiling *t,
                    double *enc_db, double *dec_db) {
    ts_scope s = ts_scope_begin();
    ts_tensor *mean_t = vae_encode_mean_tiled(m, img, t);
    CHECK_MSG(same_shape(lat, mean_t), "encode tiled: %s", ts_last_error());
    *enc_db = same_shape(lat, mean_t) ? psnr(lat, mean_t, value_range(lat)) : 0;
    ts_tensor *dec = vae_decode(m, lat);
    ts_tensor *dec_t = vae_decode_tiled(m, lat, t);
    CHECK_MSG(same_shape(dec, dec_t), "decode tiled: %s", ts_last_error());
    *dec_db = same_shape(dec, dec_t) ? psnr(to_8bit_range(dec), to_8bit_range(dec_t), 255.0) : 0;
    ts_scope_end(s);
}

static ts_tensor *crop(ts_tensor *x, int64_t y0, int64_t x0, int64_t h, int64_t w) {
    return ts_narrow(ts_narrow(x, 2, y0, h), 3, x0, w);
}

/* For scale: one 16 x 16 latent tile from the middle decoded alone, against
 * the same region of the untiled decode. */
static double lone_tile_psnr(const vae *m, ts_tensor *lat) {
    ts_scope s = ts_scope_begin();
    ts_tensor *alone = vae_decode(m, ts_contiguous(crop(lat, 16, 32, 16, 16)));
    ts_tensor *ref = crop(vae_decode(m, lat), 32, 64, 32, 32);
    const double db = psnr(to_8bit_range(ref), to_8bit_range(alone), 255.0);
    ts_scope_end(s);
    return db;
}

/* 96 x 160 px = 48 x 80 latent: several tiles each way, the sides not
 * multiples of the step, so the edge-aligned last tiles overlap more. */
static void test_psnr(const vae *m) {
    ts_scope s = ts_scope_begin();
    ts_tensor *img = make_image(96, 160);
    ts_tensor *lat = vae_encode_mean(m, img);
    const vae_tiling asserted = PSNR_TILING;
    double enc, dec;
    measure(m, img, lat, &asserted, &enc, &dec);
    printf("tile %2d overlap %2d: PSNR encode-mean %.2f dB, decode %.2f dB (asserted >= %.1f, "
           ">= %.1f)\n",
           asserted.tile, asserted.overlap, enc, dec, PSNR_ENCODE_MIN, PSNR_DECODE_MIN);
    CHECK_MSG(enc >= PSNR_ENCODE_MIN, "encode PSNR %.2f dB < %.1f", enc, PSNR_ENCODE_MIN);
    CHECK_MSG(dec >= PSNR_DECODE_MIN, "decode PSNR %.2f dB < %.1f", dec, PSNR_DECODE_MIN);
    const vae_tiling others[] = {{4, 2}, {16, 8}, {32, 8}}; /* printed only */
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
        measure(m, img, lat, &others[i], &enc, &dec);
        printf("tile %2d overlap %2d: PSNR encode-mean %.2f dB, decode %.2f dB\n", others[i].tile,
               others[i].overlap, enc, dec);
    }
    printf("lone 16x16 latent tile vs the untiled decode there: %.2f dB\n", lone_tile_psnr(m, lat));
    ts_scope_end(s);
}

/* ---- the tiler alone ---- */

static ts_tensor *identity(void *user, ts_tensor *tile) {
    (void)user;
    return ts_mul_scalar(tile, 1.0f);
}

static ts_tensor *upsample(void *user, ts_tensor *tile) {
    (void)user;
    return ts_upsample_nearest2x(tile);
}

/* Returns tile number k (1, 2, ...) as a constant; counts the tiles and
 * checks each has the full tile size. */
typedef struct counter {
    int calls;
    int64_t h, w; /* expected tile size in input pixels */
    int bad_sizes;
} counter;

static ts_tensor *tile_number(void *user, ts_tensor *tile) {
    counter *c = user;
    c->calls++;
    if (ts_dim(tile, 2) != c->h || ts_dim(tile, 3) != c->w) c->bad_sizes++;
    const int64_t shape[4] = {ts_dim(tile, 0), ts_dim(tile, 1), ts_dim(tile, 2), ts_dim(tile, 3)};
    return ts_full(shape, 4, (float)c->calls);
}

static ts_tensor *varied_tensor(int64_t b, int64_t c, int64_t h, int64_t w) {
    const int64_t n = b * c * h * w, shape[4] = {b, c, h, w};
    float *p = malloc((size_t)n * sizeof *p);
    for (int64_t i = 0; i < n; i++)
        p[i] = (float)(sin(0.37 * (double)i) + 0.01 * (double)(i % 17));
    ts_tensor *t = ts_from_floats(p, shape, 4);
    free(p);
    return t;
}

/* The identity through the tiler gives the input back only if every pixel is
 * covered and its weights sum to 1; overlap 3 of 4 puts 3-4 tiles on a pixel. */
static void test_weights_sum_to_one(void) {
    ts_scope s = ts_scope_begin();
    ts_tensor *x = varied_tensor(2, 3, 13, 29);
    const vae_tiling cases[] = {{4, 2}, {5, 1}, {4, 3}, {6, 0}, {12, 5}, {1, 0}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ts_tensor *y = vae_tiled_map(x, 1, 1, &cases[i], identity, NULL);
        const double d = same_shape(x, y) ? ts_max_abs_diff(x, y) : 1e30;
        CHECK_MSG(d < 1e-5, "identity, tile %d overlap %d: max|diff| %.3g (%s)", cases[i].tile,
                  cases[i].overlap, d, ts_last_error());
        ts_tensor *up = vae_tiled_map(x, 1, 2, &cases[i], upsample, NULL);
        ts_tensor *ref = ts_upsample_nearest2x(x);
        const double du = same_shape(ref, up) ? ts_max_abs_diff(ref, up) : 1e30;
        CHECK_MSG(du < 1e-5, "upsample, tile %d overlap %d: max|diff| %.3g (%s)", cases[i].tile,
                  cases[i].overlap, du, ts_last_error());
    }
    ts_scope_end(s);
}

/* Two tiles [0, 8) and [4, 12) along a 12-wide row: tile 1 alone on x < 4
 * (exactly 1), tile 2 alone on x >= 8 (exactly 2), a linear ramp between. */
static void test_ramp(void) {
    ts_scope s = ts_scope_begin();
    const int64_t shape[4] = {1, 1, 4, 12};
    counter c = {0, 4, 8, 0};
    const vae_tiling t = {8, 4};
    ts_tensor *y = vae_tiled_map(ts_zeros(shape, 4), 1, 1, &t, tile_number, &c);
    CHECK_MSG(y && c.calls == 2 && c.bad_sizes == 0, "%d tiles, %d of the wrong size (%s)", c.calls,
              c.bad_sizes, ts_last_error());
    float v[48];
    if (y && ts_to_floats(y, v, 48))
        for (int x = 0; x < 12; x++) {
            const float want = x < 4 ? 1.0f : x >= 8 ? 2.0f : 1.0f + (float)(x - 3.5) / 4.0f;
            for (int r = 0; r < 4; r++)
                CHECK_MSG(x < 4 || x >= 8 ? v[r * 12 + x] == want
                                          : fabsf(v[r * 12 + x] - want) < 1e-6f,
                          "x %d: %.9g, want %.9g", x, v[r * 12 + x], want);
        }
    ts_scope_end(s);
}

/* 11 x 21 with tile 4, overlap 1 (step 3): 4 x 7 tiles, all 4 x 4, none
 * padded; the last ones end on the edge. */
static void test_layout(void) {
    ts_scope s = ts_scope_begin();
    const int64_t shape[4] = {1, 2, 11, 21};
    counter c = {0, 4, 4, 0};
    const vae_tiling t = {4, 1};
    ts_tensor *y = vae_tiled_map(ts_zeros(shape, 4), 1, 1, &t, tile_number, &c);
    CHECK_MSG(y && c.calls == 28 && c.bad_sizes == 0, "%d tiles, %d of the wrong size (%s)",
              c.calls, c.bad_sizes, ts_last_error());
    ts_scope_end(s);
}

/* ---- errors ---- */

static void expect_error(ts_tensor *y, const char *needle, const char *what) {
    CHECK_MSG(!y && ts_failed() && strstr(ts_last_error(), needle),
              "%s: expected an error with '%s', got '%s'", what, needle, ts_last_error());
    ts_error_clear();
}

static ts_tensor *wrong_size(void *user, ts_tensor *tile) {
    (void)user;
    return ts_narrow(tile, 3, 0, 1);
}

static void test_errors(const vae *m) {
    ts_scope s = ts_scope_begin();
    ts_tensor *img = make_image(32, 48);
    ts_tensor *lat = vae_encode_mean(m, img);
    const vae_tiling bad[] = {{4, 4}, {4, 5}, {-1, 0}, {4, -1}, {0, -2}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        expect_error(vae_encode_mean_tiled(m, img, &bad[i]), "vae: bad tiling", "encode");
        expect_error(vae_decode_tiled(m, lat, &bad[i]), "vae: bad tiling", "decode");
    }
    const vae_tiling t = {4, 2};
    CHECK(vae_decode_tiled(m, NULL, &t) == NULL && !ts_failed());
    const int64_t odd[4] = {1, 3, 33, 48}, four[4] = {1, 4, 32, 48}, three[4] = {1, 3, 16, 24};
    expect_error(vae_encode_mean_tiled(m, ts_zeros(odd, 4), &t), "multiples of", "odd image");
    expect_error(vae_encode_mean_tiled(m, ts_zeros(four, 4), &t), "vae:", "4-channel image");
    expect_error(vae_decode_tiled(m, ts_zeros(three, 4), &t), "vae:", "3-channel latent");
    expect_error(vae_decode_tiled(NULL, lat, &t), "vae: no model", "no model");
    expect_error(vae_tiled_map(lat, 1, 1, &t, wrong_size, NULL), "wrong shape", "tile shape");
    ts_scope_end(s);
}

int main(void) {
    char err[512] = "";
    weights *w = weights_open(golden_path("vae_tiny.safetensors"), err, sizeof err);
    CHECK_MSG(w, "%s", err);
    if (!w) return CHECK_DONE();
    vae_config cfg;
    const char *json = weights_metadata(w, "config");
    CHECK_MSG(json && vae_config_from_json(json, &cfg, err, sizeof err), "config: %s", err);
    vae *m = vae_create(w, PREFIX, &cfg, err, sizeof err);
    CHECK_MSG(m, "create: %s", err);

    const vae_tiling d = vae_tiling_default();
    CHECK(d.tile == 64 && d.overlap == 16);
    test_weights_sum_to_one();
    test_ramp();
    test_layout();
    if (m) {
        test_untiled_cases(m);
        test_psnr(m);
        test_errors(m);
    }
    vae_free(m);
    weights_close(w);
    return CHECK_DONE();
}
