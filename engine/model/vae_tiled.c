/* Tiled VAE: overlapping tiles, each run through the untiled VAE, blended on
 * a float buffer. See vae_tiled.h for the contract.
 *
 * Blend weights are separable: along each side every tile gets a trapezoid
 * ramp (1 inside, falling linearly to ~0 across the overlap with each
 * neighbour, flat at the image border), and the ramps of the tiles covering
 * a pixel are normalised to sum to 1. With the regular overlap the ramps of
 * two neighbours already sum to 1, so this is the plain linear cross-fade of
 * diffusers; normalising also covers the edge-aligned last tile (which can
 * overlap its neighbour by more) and overlaps above half a tile (three tiles
 * over a pixel). The 2-D weight is the product of the two sides' weights, so
 * it sums to 1 too, and a pixel covered by one tile has weight exactly 1.0f:
 * it gets that tile's value bit for bit. */
#include "vae_tiled.h"

#include <stdint.h>
#include <stdlib.h>

vae_tiling vae_tiling_default(void) {
    return (vae_tiling){64, 16};
}

static bool tiling_ok(const vae_tiling *t) {
    if (t->tile < 0 || t->overlap < 0 || (t->tile > 0 && t->overlap >= t->tile)) {
        ts_error_set("vae: bad tiling (tile %d, overlap %d): need tile >= 0 (0 = untiled) "
                     "and 0 <= overlap < tile",
                     t->tile, t->overlap);
        return false;
    }
    return true;
}

/* ---- layout along one side ---- */

typedef struct axis_tiles {
    int64_t count;  /* tiles along this side */
    int64_t len;    /* tile length in units, the same for every tile */
    int64_t *start; /* first unit of each tile */
    int scale;      /* output pixels per unit */
    int64_t px;     /* tile length in output pixels: len * scale */
    float *weight;  /* count x px blend weights, normalised over the tiles */
} axis_tiles;

static void axis_free(axis_tiles *a) {
    free(a->start);
    free(a->weight);
}

/* Tiles step by tile - overlap; the last one is moved back to end on the edge
 * (rather than padded or cut short), so every tile has the full size the VAE
 * was asked to handle and the last overlap is between overlap and tile - 1. */
static void axis_starts(axis_tiles *a, int64_t n, const vae_tiling *t) {
    const int64_t step = t->tile - t->overlap;
    for (int64_t i = 0; i < a->count; i++)
        a->start[i] = i * step;
    a->start[a->count - 1] = n - a->len;
}

/* Linear ramp of tile i at local output pixel j, taken at pixel centres so
 * that two ramps over the same overlap sum to 1; exactly 1.0 where no
 * neighbour reaches, so a lone tile's weight below is 1.0 / 1.0. */
static double ramp(const axis_tiles *a, int64_t i, int64_t j) {
    const int64_t end = a->start[i] + a->len;
    const double left = i > 0 ? (double)((a->start[i - 1] + a->len - a->start[i]) * a->scale) : 0;
    const double right = i + 1 < a->count ? (double)((end - a->start[i + 1]) * a->scale) : 0;
    double r = 1.0;
    if (left > 0 && (j + 0.5) / left < r) r = (j + 0.5) / left;
    if (right > 0 && (a->px - j - 0.5) / right < r) r = (a->px - j - 0.5) / right;
    return r;
}

/* Normalises the ramps of all tiles over each output pixel of the side. */
static bool axis_weights(axis_tiles *a, int64_t n) {
    double *total = calloc((size_t)(n * a->scale), sizeof *total);
    if (!total) return false;
    for (int64_t i = 0; i < a->count; i++)
        for (int64_t j = 0; j < a->px; j++)
            total[a->start[i] * a->scale + j] += ramp(a, i, j);
    for (int64_t i = 0; i < a->count; i++)
        for (int64_t j = 0; j < a->px; j++)
            a->weight[i * a->px + j] = (float)(ramp(a, i, j) / total[a->start[i] * a->scale + j]);
    free(total);
    return true;
}

/* Tiles along a side of n units. */
static int64_t axis_count(int64_t n, const vae_tiling *t) {
    const int64_t step = t->tile - t->overlap;
    return n <= t->tile ? 1 : (n - t->tile + step - 1) / step + 1;
}

/* n units along this side, out_scale output pixels per unit. */
static bool axis_layout(axis_tiles *a, int64_t n, const vae_tiling *t, int out_scale) {
    a->len = n < t->tile ? n : t->tile;
    a->count = axis_count(n, t);
    a->scale = out_scale;
    a->px = a->len * out_scale;
    a->start = malloc((size_t)a->count * sizeof *a->start);
    a->weight = malloc((size_t)(a->count * a->px) * sizeof *a->weight);
    if (!a->start || !a->weight) return false;
    axis_starts(a, n, t);
    return axis_weights(a, n);
}

/* ---- blending ---- */

typedef struct blend {
    const axis_tiles *ay, *ax;
    int in_scale;
    int64_t batch, channels, height, width; /* output; channels from the first tile */
    float *out;                             /* accumulator, [batch, channels, height, width] */
    float *tile;                            /* one tile's output */
} blend;

static bool blend_alloc(blend *b, int64_t channels) {
    b->channels = channels;
    b->out = calloc((size_t)(b->batch * channels * b->height * b->width), sizeof *b->out);
    b->tile = malloc((size_t)(b->batch * channels * b->ay->px * b->ax->px) * sizeof *b->tile);
    if (!b->out || !b->tile) {
        ts_error_set("vae: tiling: out of memory for a %lld x %lld output", (long long)b->height,
                     (long long)b->width);
        return false;
    }
    return true;
}

/* Every tile must come back [batch, channels, px_h, px_w], channels fixed by
 * the first; allocates the buffers on the first tile. */
static bool tile_shape_ok(blend *b, ts_tensor *y) {
    const int64_t th = b->ay->px, tw = b->ax->px;
    if (ts_ndim(y) != 4 || ts_dim(y, 0) != b->batch || ts_dim(y, 2) != th || ts_dim(y, 3) != tw ||
        (b->out && ts_dim(y, 1) != b->channels)) {
        ts_error_set("vae: tiling: a tile came back with the wrong shape (expected [%lld, C, %lld, "
                     "%lld])",
                     (long long)b->batch, (long long)th, (long long)tw);
        return false;
    }
    return b->out || blend_alloc(b, ts_dim(y, 1));
}

/* out += wy (x) wx * tile over the tile's place; weight 1 * 1 * v is v exactly. */
static void accumulate(blend *b, int64_t ty, int64_t tx) {
    const int64_t th = b->ay->px, tw = b->ax->px;
    const int64_t y0 = b->ay->start[ty] * b->ay->scale, x0 = b->ax->start[tx] * b->ax->scale;
    const float *wy = b->ay->weight + ty * th, *wx = b->ax->weight + tx * tw;
    for (int64_t plane = 0; plane < b->batch * b->channels; plane++)
        for (int64_t y = 0; y < th; y++) {
            float *o = b->out + (plane * b->height + y0 + y) * b->width + x0;
            const float *v = b->tile + (plane * th + y) * tw;
            for (int64_t x = 0; x < tw; x++)
                o[x] += wy[y] * wx[x] * v[x];
        }
}

/* One tile in its own scope: only the blended floats outlive it. */
static bool run_tile(blend *b, ts_tensor *x, int64_t ty, int64_t tx, vae_tile_at_fn fn,
                     void *user) {
    const int s = b->in_scale;
    const int64_t y0 = b->ay->start[ty], x0 = b->ax->start[tx];
    ts_scope scope = ts_scope_begin();
    ts_tensor *in = ts_narrow(x, 2, y0 * s, b->ay->len * s);
    in = ts_contiguous(ts_narrow(in, 3, x0 * s, b->ax->len * s));
    ts_tensor *y = in ? fn(user, in, y0, x0) : NULL;
    bool ok = y && tile_shape_ok(b, y) && ts_to_floats(y, b->tile, ts_numel(y));
    if (ok) accumulate(b, ty, tx);
    if (!ok && !ts_failed())
        ts_error_set("vae: tiling: tile (%lld, %lld) failed", (long long)ty, (long long)tx);
    ts_scope_end(scope);
    return ok;
}

static ts_tensor *run_tiles(blend *b, ts_tensor *x, vae_tile_at_fn fn, void *user) {
    for (int64_t ty = 0; ty < b->ay->count; ty++)
        for (int64_t tx = 0; tx < b->ax->count; tx++)
            if (!run_tile(b, x, ty, tx, fn, user)) return NULL;
    const int64_t shape[4] = {b->batch, b->channels, b->height, b->width};
    ts_tensor *out = ts_wrap_floats(b->out, shape, 4, free, b->out);
    if (out) b->out = NULL; /* the tensor owns it now */
    return out;
}

/* ---- public ---- */

static bool fits_grid(ts_tensor *x, int in_scale) {
    return ts_ndim(x) == 4 && ts_dim(x, 2) % in_scale == 0 && ts_dim(x, 3) % in_scale == 0 &&
           ts_dim(x, 2) > 0 && ts_dim(x, 3) > 0;
}

int64_t vae_tiled_count(int64_t h, int64_t w, const vae_tiling *t) {
    if (!t || t->tile == 0) return 1;
    if (!tiling_ok(t)) return 0;
    return axis_count(h, t) * axis_count(w, t);
}

ts_tensor *vae_tiled_map_at(ts_tensor *x, int in_scale, int out_scale, const vae_tiling *t,
                            vae_tile_at_fn fn, void *user) {
    if (!x) return NULL; /* the shim's convention: the producer's error stands */
    if (!fn || in_scale < 1 || out_scale < 1) {
        ts_error_set("vae: tiling: no tile function or bad scales (%d, %d)", in_scale, out_scale);
        return NULL;
    }
    if (t && !tiling_ok(t)) return NULL;
    if (!t || t->tile == 0 || !fits_grid(x, in_scale)) return fn(user, x, 0, 0);
    const int64_t gh = ts_dim(x, 2) / in_scale, gw = ts_dim(x, 3) / in_scale;
    if (gh <= t->tile && gw <= t->tile) return fn(user, x, 0, 0); /* one tile: exactly untiled */

    axis_tiles ay = {0}, ax = {0};
    ts_tensor *out = NULL;
    if (axis_layout(&ay, gh, t, out_scale) && axis_layout(&ax, gw, t, out_scale)) {
        blend b = {&ay, &ax, in_scale, ts_dim(x, 0), 0, gh * out_scale, gw * out_scale, NULL, NULL};
        out = run_tiles(&b, x, fn, user);
        free(b.out);
        free(b.tile);
    } else {
        ts_error_set("vae: tiling: out of memory for the tile layout");
    }
    axis_free(&ay);
    axis_free(&ax);
    return out;
}

/* vae_tiled_map's function, which needs no position. */
typedef struct plain_tile_fn {
    vae_tile_fn fn;
    void *user;
} plain_tile_fn;

static ts_tensor *call_plain(void *user, ts_tensor *tile, int64_t y0, int64_t x0) {
    (void)y0, (void)x0;
    const plain_tile_fn *p = user;
    return p->fn(p->user, tile);
}

ts_tensor *vae_tiled_map(ts_tensor *x, int in_scale, int out_scale, const vae_tiling *t,
                         vae_tile_fn fn, void *user) {
    plain_tile_fn p = {fn, user};
    if (!fn) return vae_tiled_map_at(x, in_scale, out_scale, t, NULL, NULL);
    return vae_tiled_map_at(x, in_scale, out_scale, t, call_plain, &p);
}

static ts_tensor *encode_tile(void *user, ts_tensor *tile) {
    return vae_encode_mean(user, tile);
}

static ts_tensor *decode_tile(void *user, ts_tensor *tile) {
    return vae_decode(user, tile);
}

static int factor_of(const vae *v) {
    return vae_config_factor(vae_get_config(v));
}

/* A missing model or a malformed input goes to the untiled call, which
 * reports it in the VAE's own words. */
ts_tensor *vae_encode_mean_tiled(const vae *v, ts_tensor *image, const vae_tiling *t) {
    if (!v) return vae_encode_mean(v, image);
    return vae_tiled_map(image, factor_of(v), 1, t, encode_tile, (void *)v);
}

ts_tensor *vae_decode_tiled(const vae *v, ts_tensor *latent, const vae_tiling *t) {
    if (!v) return vae_decode(v, latent);
    return vae_tiled_map(latent, 1, factor_of(v), t, decode_tile, (void *)v);
}
