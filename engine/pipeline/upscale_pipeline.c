/* StableSR super-resolution, as its sampling scripts run it, with
 * depth-skip on the SFT U-Net and a γ schedule:
 *   image  = bicubic upscale of the input (upscale_image.h), in [-1, 1]
 *   lr     = scale_factor * sample of the CFW VAE posterior of image
 *   x_T    = sqrt(ā_999) * lr + sqrt(1 - ā_999) * noise      (q_sample at 999)
 *   DDIM (η, 1 by default) over the γ schedule, one U-Net evaluation per
 *          step and tile, no CFG, the empty prompt's stored context; the
 *          time-aware encoder sees lr at the same t
 *   result = CFW decode of x_0 / scale_factor fused with the encoder
 *          features of image at weight w, colour-fixed against image.
 * Any size runs in bounded memory: per step the latent is cut into the
 * canvas tiles (bundle "tiling") and their eps blended (vae_tiled_map_at,
 * StableSR's sample_canvas idea with linear instead of Gaussian ramps), and
 * the VAE encodes and decodes tile by tile; a decode tile re-encodes its own
 * part of the image for the features it fuses, so no full-size feature map
 * is ever held. Inputs within one tile run exactly untiled.
 * Noise order from the seed: the posterior sample, then x_T's noise, then
 * DDIM's per-step noise. */
#include "pipeline.h"
#include "schedule.h"
#include "upscale_bundle.h"
#include "upscale_image.h"
#include "vae_tiled.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SR_CONTEXT_TOKENS 77
#define SR_START_T 999 /* x_T is the LR latent noised to the last training step */
#define SR_DEFAULT_TILE 64
#define SR_DEFAULT_OVERLAP 32 /* StableSR's tile_overlap */
#define SR_MAX_TILE 1024      /* 8192 px: above any tile that fits in memory */

static void upscale_defaults(i2i_params *p) {
    p->depth = 8;
    p->steps = 20;
    p->gamma = 1.42; /* the published StableSR 20-step sequence */
    p->eta = 1.0;    /* stochastic: deterministic sampling leaves artefacts (supplement S8) */
    p->guidance_scale = 1.0;
    p->scale = 4.0;
    p->color_fix = I2I_COLOR_FIX_ADAIN;
    p->cfw_weight = 0.5;
    p->output_size = I2I_OUTPUT_WORKING; /* the result is input x scale, never resized back */
}

/* ---- one job ---- */

typedef struct upscale_job {
    const i2i_bundle *b;
    const i2i_params *p;
    upscale_frame frame;
    ts_tensor *image; /* [1, 3, H, W], padded upscaled input */
    ts_tensor *lr;    /* [1, 4, H/8, W/8] */
    int64_t lat_shape[4];
    size_t n;
    float t; /* the step's timestep, for the tile function */
    i2i_progress_fn progress;
    void *progress_user;
    int evals_done, evals_total;
    bool canceled;
} upscale_job;

static i2i_status check_params(const i2i_bundle *b, const i2i_params *p, char *err, size_t n) {
    i2i_status st = pipeline_check_common(b, p, err, n);
    if (st != I2I_OK) return st;
    if (!(p->cfw_weight >= 0 && p->cfw_weight <= 1))
        snprintf(err, n, "cfw_weight must be in [0, 1]");
    else if (p->color_fix != I2I_COLOR_FIX_ADAIN && p->color_fix != I2I_COLOR_FIX_WAVELET &&
             p->color_fix != I2I_COLOR_FIX_NONE)
        snprintf(err, n, "unknown color_fix");
    else
        return I2I_OK;
    return I2I_ERR_INVALID;
}

/* Every U-Net evaluation counts as one progress unit; false = canceled. */
static bool count_eval(upscale_job *j) {
    j->evals_done++;
    if (!j->progress || j->progress(j->progress_user, j->evals_done, j->evals_total)) return true;
    j->canceled = true;
    ts_error_set("canceled");
    return false;
}

static ts_tensor *tile_eps(void *user, ts_tensor *x, int64_t y0, int64_t x0) {
    upscale_job *j = user;
    ts_tensor *lr = ts_narrow(ts_narrow(j->lr, 2, y0, ts_dim(x, 2)), 3, x0, ts_dim(x, 3));
    ts_tensor *eps =
        stablesr_eps(j->b->sr, x, &j->t, j->b->sr_context, ts_contiguous(lr), j->p->depth);
    return eps && count_eval(j) ? eps : NULL;
}

static bool canvas_eps(void *user, const float *x, int t, float *eps_out) {
    upscale_job *j = user;
    j->t = (float)t;
    ts_scope s = ts_scope_begin();
    ts_tensor *eps =
        vae_tiled_map_at(ts_from_floats(x, j->lat_shape, 4), 1, 1, &j->b->sr_canvas, tile_eps, j);
    bool ok = eps && ts_to_floats(eps, eps_out, (int64_t)j->n);
    ts_scope_end(s);
    return ok;
}

static ts_tensor *moments_tile(void *user, ts_tensor *image) {
    ts_tensor *moments, *feats[CFW_MAX_FEATS];
    return cfw_vae_encode(user, image, &moments, feats) ? moments : NULL;
}

/* x_T = q_sample(lr, 999, noise) in place of lr, with noise from rng. */
static bool noise_to_start(float *x, size_t n, i2i_rng *rng) {
    float *noise = malloc(sizeof *noise * n);
    if (!noise) return ts_error_set("upscale: out of memory"), false;
    i2i_rng_normal(rng, noise, n);
    double ac[SD_NUM_TRAIN_TIMESTEPS];
    sd_alphas_cumprod(ac);
    const double a = sqrt(ac[SR_START_T]), s = sqrt(1 - ac[SR_START_T]);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(a * x[i] + s * noise[i]);
    free(noise);
    return true;
}

/* j->lr = scale_factor * posterior sample of the image; returns x_T
 * (malloc'd) or NULL with ts error. */
static float *encode(upscale_job *j, i2i_rng *rng) {
    ts_tensor *moments = vae_tiled_map(j->image, 8, 1, &j->b->sr_vae, moments_tile, j->b->cfw);
    if (!moments) return NULL;
    const int64_t shape[4] = {1, ts_dim(moments, 1) / 2, ts_dim(moments, 2), ts_dim(moments, 3)};
    memcpy(j->lat_shape, shape, sizeof shape);
    j->n = (size_t)(shape[1] * shape[2] * shape[3]);
    float *x = malloc(sizeof *x * j->n);
    if (!x) return ts_error_set("upscale: out of memory"), NULL;
    i2i_rng_normal(rng, x, j->n); /* the posterior's noise */
    ts_tensor *z = cfw_vae_sample(j->b->cfw, moments, ts_from_floats(x, shape, 4));
    j->lr = ts_mul_scalar(z, (float)j->b->latent_scale);
    if (j->lr && ts_to_floats(j->lr, x, (int64_t)j->n) && noise_to_start(x, j->n, rng)) return x;
    free(x);
    return NULL;
}

/* A decode tile fuses the features of its own part of the image. */
static ts_tensor *decode_tile(void *user, ts_tensor *z, int64_t y0, int64_t x0) {
    upscale_job *j = user;
    ts_tensor *img = ts_narrow(j->image, 2, 8 * y0, 8 * ts_dim(z, 2));
    img = ts_contiguous(ts_narrow(img, 3, 8 * x0, 8 * ts_dim(z, 3)));
    ts_tensor *moments, *feats[CFW_MAX_FEATS];
    if (!img || !cfw_vae_encode(j->b->cfw, img, &moments, feats)) return NULL;
    return cfw_vae_decode(j->b->cfw, z, feats, (float)j->p->cfw_weight);
}

static ts_tensor *decode(upscale_job *j, const float *x) {
    const vae_tiling tiles = vae_tiling_default();
    ts_tensor *z =
        ts_mul_scalar(ts_from_floats(x, j->lat_shape, 4), (float)(1 / j->b->latent_scale));
    return vae_tiled_map_at(z, 1, 8, &tiles, decode_tile, j);
}

static i2i_status sample(upscale_job *j, float *x, i2i_rng *rng, char *err, size_t errlen) {
    j->evals_total =
        j->p->steps * (int)vae_tiled_count(j->lat_shape[2], j->lat_shape[3], &j->b->sr_canvas);
    i2i_status st =
        pipeline_sample_from(j->p, canvas_eps, j, x, j->n, rng, NULL, NULL, err, errlen);
    if (j->canceled) return snprintf(err, errlen, "canceled"), I2I_ERR_CANCELED;
    return st;
}

static i2i_status run_job(upscale_job *j, const i2i_image *in, i2i_image *out, char *err,
                          size_t errlen) {
    i2i_rng rng;
    i2i_rng_seed(&rng, j->p->seed);
    j->image = upscale_frame_input(&j->frame, in);
    float *x = j->image ? encode(j, &rng) : NULL;
    if (!x) return pipeline_ts_error(err, errlen);
    i2i_status st = sample(j, x, &rng, err, errlen);
    if (st == I2I_OK)
        st = upscale_frame_finish(&j->frame, decode(j, x), j->p->color_fix, out, err, errlen);
    free(x);
    return st;
}

static i2i_status upscale_run(const i2i_bundle *b, const i2i_image *in, const i2i_params *p,
                              i2i_progress_fn progress, void *user, i2i_image *out, char *err,
                              size_t errlen) {
    i2i_status st = check_params(b, p, err, errlen);
    if (st != I2I_OK) return st;
    upscale_job j = {.b = b, .p = p, .progress = progress, .progress_user = user};
    if (!upscale_frame_sizes(in->width, in->height, p->scale, b->resolution, pipeline_align(b),
                             b->max_pixels, &j.frame, err, errlen))
        return I2I_ERR_INVALID;
    st = run_job(&j, in, out, err, errlen);
    upscale_frame_free(&j.frame);
    return st;
}

static bool result_size(int w, int h, const i2i_params *p, int *ow, int *oh, char *err,
                        size_t errlen) {
    upscale_frame f;
    /* resolution and alignment do not change the result's size */
    if (!upscale_frame_sizes(w, h, p->scale, 1, 1, 0x7fffffffL, &f, err, errlen)) return false;
    *ow = f.out_w, *oh = f.out_h;
    return true;
}

const pipeline_def upscale_pipeline = {.task = "upscale",
                                       .unet_evals_per_step = 1, /* per tile; no CFG */
                                       .base_networks = 0,
                                       .defaults = upscale_defaults,
                                       .load_extra = upscale_load_networks,
                                       .working_size = NULL, /* the job takes the input as is */
                                       .result_size = result_size,
                                       .run = upscale_run};
