/* Tiled VAE encode/decode: the image (or latent) is cut into overlapping
 * tiles, each tile runs through the untiled VAE on its own, and the tile
 * results are blended back with weights that ramp linearly across the
 * overlaps (the scheme of diffusers' AutoencoderKL.tiled_encode/tiled_decode
 * and stable-diffusion.cpp's tiling).
 *
 * Why: the mid blocks hold a single-head attention over every latent
 * position, so untiled time grows with the square of the pixel count; tiled,
 * it grows linearly, and peak memory is one tile's activations plus the
 * output.
 *
 * Cost: GroupNorm statistics and the attention are computed per tile, so a
 * tiled result differs slightly from the untiled one (measured in
 * tests/unit/test_vae_tiled.c); inputs that fit one tile are not tiled at all
 * and give exactly the untiled result. */
#ifndef I2I_VAE_TILED_H
#define I2I_VAE_TILED_H

#include "ts.h"
#include "vae.h"

typedef struct vae_tiling {
    int tile;    /* tile side in LATENT pixels (e.g. 64 = 512 image px); 0 = never tile */
    int overlap; /* overlap in latent pixels between neighbouring tiles (e.g. 16) */
} vae_tiling;

/* The default the pipelines use: tile 64, overlap 16 (latent pixels), i.e.
 * tiles of 512 px overlapping by 128 px with SD's factor 8. 512 px is the
 * size SD 1.x was trained at, so one tile sees the statistics the VAE was
 * built for, and it is diffusers' default too (tile_sample_min_size 512,
 * overlap factor 0.25). Tiling only kicks in when the latent is larger than
 * 64 in either side (images over 512 px): a 512x512 job is never tiled. */
vae_tiling vae_tiling_default(void);

/* Same contract as vae_encode_mean / vae_decode. t NULL or t->tile 0 means
 * untiled, and so does an input that fits one tile (bit-identical results).
 * A bad tiling (a negative value, or overlap >= tile when tile > 0) is a ts
 * error naming it.
 * Tiles cover the whole input; along each side they step by tile - overlap
 * and the last one is aligned to the edge (overlapping its neighbour by more
 * when the size is not a multiple of the step), never padded. The result is
 * in the caller's ts scope; each tile's intermediates are freed before the
 * next tile runs. */
ts_tensor *vae_encode_mean_tiled(const vae *v, ts_tensor *image, const vae_tiling *t);
ts_tensor *vae_decode_tiled(const vae *v, ts_tensor *latent, const vae_tiling *t);

/* ---- the tiler itself, independent of the VAE (exposed for tests) ---- */

/* Maps one input tile [B, C, h*in_scale, w*in_scale] to its output tile
 * [B, C', h*out_scale, w*out_scale]; NULL with a ts error on failure. */
typedef ts_tensor *(*vae_tile_fn)(void *user, ts_tensor *tile);
/* The same with the tile's first row and column in units, for a tile
 * function that needs the matching part of another tensor (StableSR's LR
 * latent beside the noisy one, the image beside the latent it decodes). */
typedef ts_tensor *(*vae_tile_at_fn)(void *user, ts_tensor *tile, int64_t y0, int64_t x0);

/* Lays the tiles out on the grid of "units" (latent pixels): the input x
 * [B, C, H, W] has in_scale pixels per unit, the output out_scale. Runs fn on
 * every tile and blends the outputs: each output pixel is the weighted
 * average of the tiles covering it, the weights ramping linearly across each
 * overlap and summing to 1, so a pixel covered by one tile gets exactly that
 * tile's value. Inputs that fit one tile, and inputs the grid cannot hold
 * (not 4-D, sides not multiples of in_scale), go to fn whole: fn validates. */
ts_tensor *vae_tiled_map(ts_tensor *x, int in_scale, int out_scale, const vae_tiling *t,
                         vae_tile_fn fn, void *user);
ts_tensor *vae_tiled_map_at(ts_tensor *x, int in_scale, int out_scale, const vae_tiling *t,
                            vae_tile_at_fn fn, void *user);
/* How many tiles vae_tiled_map runs over h x w units (1 when it fits one
 * tile or t is NULL / untiled; 0 for a bad tiling). */
int64_t vae_tiled_count(int64_t h, int64_t w, const vae_tiling *t);

#endif
