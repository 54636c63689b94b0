/* InstructPix2Pix edit: image + instruction -> image, with depth-skip and a
 * gamma time-step schedule. Three U-Net evaluations per step (DESIGN §1.2):
 * (image, text), (image, ""), (zeros, ""), combined by ip2p_guidance.
 * The image is resampled to its working size first (long side `resolution`,
 * InstructPix2Pix's rounding; 0 keeps the input's size), which is what keeps
 * a phone photo's job as cheap as a 512 px one. */
#include "guidance.h"
#include "pipeline.h"
#include "resample.h"
#include "vae_tiled.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void edit_defaults(i2i_params *p) {
    p->depth = 9;
    p->steps = 10;
    p->gamma = 1.0 / 1.8; /* Table S1, 10 steps, s_I = 1.0 */
    p->eta = 0.0;
    p->guidance_scale = 7.5;
    p->image_guidance_scale = 1.0;
}

/* Everything one job needs while the sampler runs. */
typedef struct edit_job {
    const i2i_bundle *b;
    int depth;
    float s_text, s_image;
    int64_t lat_shape[4];     /* 1, 4, h/8, w/8 */
    ts_tensor *image_latents; /* [3, 4, h, w]: image, image, zeros */
    ts_tensor *context;       /* [3, 77, width]: text, "", "" */
    float *eps3;              /* 3 * n scratch for the three predictions */
    size_t n;
    i2i_progress_fn progress;
    void *progress_user;
} edit_job;

#define EDIT_SIDE_MULTIPLE 64 /* edit_cli.py rounds the working sides to 64 */

static i2i_status check_params(const i2i_bundle *b, const i2i_params *p, char *err, size_t n) {
    i2i_status st = pipeline_check_common(b, p, err, n);
    if (st == I2I_OK && (!isfinite(p->image_guidance_scale) || fabs(p->image_guidance_scale) > 100))
        return snprintf(err, n, "image_guidance_scale must be within [-100, 100]"), I2I_ERR_INVALID;
    if (st == I2I_OK && p->resolution != 0 &&
        (p->resolution < BUNDLE_MIN_RESOLUTION || p->resolution > BUNDLE_MAX_RESOLUTION))
        return snprintf(err, n, "resolution must be 0 (the input's size) or %d..%d",
                        BUNDLE_MIN_RESOLUTION, BUNDLE_MAX_RESOLUTION),
               I2I_ERR_INVALID;
    return st;
}

static bool working_size(int w, int h, const i2i_params *p, int *ow, int *oh, char *err,
                         size_t errlen) {
    (void)err, (void)errlen;
    if (p->resolution == 0)
        *ow = w, *oh = h;
    else
        image_working_size_long_side(w, h, p->resolution, EDIT_SIDE_MULTIPLE, ow, oh);
    return true;
}

/* The input at its working size (a plain copy of the pointer when it is
 * already that size); *owned tells the caller to free it. */
static i2i_status working_image(const i2i_image *in, const i2i_params *p, i2i_image *out,
                                bool *owned, char *err, size_t n) {
    int w, h;
    working_size(in->width, in->height, p, &w, &h, err, n);
    *owned = false;
    if (w == in->width && h == in->height) return *out = *in, I2I_OK;
    *out = (i2i_image){w, h, malloc((size_t)w * (size_t)h * 3)};
    if (!out->rgb || image_resize_rgb8(in->rgb, in->width, in->height, out->rgb, w, h) != 0) {
        free(out->rgb);
        return snprintf(err, n, "out of memory resampling to %dx%d", w, h), I2I_ERR_INTERNAL;
    }
    *owned = true;
    return I2I_OK;
}

/* [3, 77, W] context: the prompt's hidden states, then the unconditional
 * text's twice, for the (I,∅) and (∅,∅) rows (diffusers' IP2P pipeline puts
 * negative_prompt there; "" without one, as InstructPix2Pix trained). */
static ts_tensor *encode_text(const i2i_bundle *b, const char *prompt, const char *negative,
                              char *err, size_t n) {
    const char *texts[2] = {prompt, negative ? negative : ""};
    ts_tensor *h = pipeline_encode_texts(b, texts, 2, err, n);
    if (!h) return NULL;
    ts_tensor *rows[3] = {ts_narrow(h, 0, 0, 1), ts_narrow(h, 0, 1, 1), ts_narrow(h, 0, 1, 1)};
    return ts_cat(rows, 3, 0);
}

/* [3, 4, h, w] image conditioning: the posterior mean (IP2P uses it
 * unscaled), the same again, and zeros for the unconditional branch. */
static ts_tensor *encode_image(const i2i_bundle *b, ts_tensor *pixels) {
    const vae_tiling tiles = vae_tiling_default(); /* linear in pixels above 512 px */
    ts_tensor *mean = vae_encode_mean_tiled(b->vae, pixels, &tiles);
    ts_tensor *zeros = ts_mul_scalar(mean, 0.0f);
    ts_tensor *rows[3] = {mean, mean, zeros};
    return ts_cat(rows, 3, 0);
}

static bool guided_eps(void *user, const float *x, int t, float *eps_out) {
    edit_job *j = user;
    ts_scope s = ts_scope_begin();
    ts_tensor *lat = ts_from_floats(x, j->lat_shape, 4);
    ts_tensor *three[3] = {lat, lat, lat};
    ts_tensor *parts[2] = {ts_cat(three, 3, 0), j->image_latents};
    ts_tensor *in = ts_cat(parts, 2, 1);
    float ts3[3] = {(float)t, (float)t, (float)t};
    ts_tensor *eps = unet_forward(j->b->unet, in, ts3, j->context, j->depth, NULL);
    bool ok = ts_to_floats(eps, j->eps3, (int64_t)(3 * j->n));
    ts_scope_end(s);
    if (!ok) return false;
    /* rows: (I,T), (I,∅), (∅,∅) */
    ip2p_guidance(j->eps3 + 2 * j->n, j->eps3 + j->n, j->eps3, j->n, j->s_text, j->s_image,
                  eps_out);
    return true;
}

static i2i_status run_edit(edit_job *j, const i2i_params *p, const image_frame *f, i2i_image *out,
                           char *err, size_t n) {
    const i2i_bundle *b = j->b;
    ts_tensor *pixels = image_frame_to_tensor(f);
    j->context = encode_text(b, p->prompt, p->negative_prompt, err, n);
    if (!j->context && !ts_failed()) return I2I_ERR_INVALID;
    j->image_latents = encode_image(b, pixels);
    if (ts_failed()) return snprintf(err, n, "%s", ts_last_error()), I2I_ERR_INTERNAL;
    j->lat_shape[0] = 1;
    j->lat_shape[1] = 4;
    j->lat_shape[2] = ts_dim(j->image_latents, 2);
    j->lat_shape[3] = ts_dim(j->image_latents, 3);
    j->n = (size_t)(4 * j->lat_shape[2] * j->lat_shape[3]);
    float *x = malloc(sizeof(float) * j->n);
    j->eps3 = malloc(sizeof(float) * 3 * j->n);
    i2i_status st = x && j->eps3 ? pipeline_sample(p, guided_eps, j, x, j->n, j->progress,
                                                   j->progress_user, err, n)
                                 : (snprintf(err, n, "out of memory"), I2I_ERR_INTERNAL);
    if (st == I2I_OK) st = pipeline_decode(b, x, j->lat_shape, f, out, err, n);
    free(x);
    free(j->eps3);
    return st;
}

static i2i_status edit_run(const i2i_bundle *b, const i2i_image *in, const i2i_params *p,
                           i2i_progress_fn progress, void *user, i2i_image *out, char *err,
                           size_t errlen) {
    i2i_status st = check_params(b, p, err, errlen);
    if (st != I2I_OK) return st;
    i2i_image work;
    bool owned;
    if ((st = working_image(in, p, &work, &owned, err, errlen)) != I2I_OK) return st;
    image_frame f;
    if (!image_frame_prepare(&work, pipeline_align(b), b->max_pixels, &f, err, errlen)) {
        if (owned) free(work.rgb);
        return I2I_ERR_IMAGE;
    }
    edit_job j = {.b = b,
                  .depth = p->depth,
                  .s_text = (float)p->guidance_scale,
                  .s_image = (float)p->image_guidance_scale,
                  .progress = progress,
                  .progress_user = user};
    st = run_edit(&j, p, &f, out, err, errlen);
    if (owned) free(work.rgb);
    return st;
}

const pipeline_def edit_pipeline = {.task = "edit",
                                    .base_networks = BASE_ALL,
                                    .unet_evals_per_step = 3, /* (I,T), (I,∅), (∅,∅) */
                                    .defaults = edit_defaults,
                                    .load_extra = NULL,
                                    .working_size = working_size,
                                    .run = edit_run};
