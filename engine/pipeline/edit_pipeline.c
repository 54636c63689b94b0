/* InstructPix2Pix edit: image + instruction -> image, with depth-skip and a
 * gamma time-step schedule. Three U-Net evaluations per step (DESIGN §1.2):
 * (image, text), (image, ""), (zeros, ""), combined by ip2p_guidance. */
#include "bundle.h"
#include "guidance.h"
#include "image_prep.h"
#include "rng.h"
#include "sampler.h"
#include "schedule.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLIP_CONTEXT 77

void i2i_edit_params_default(i2i_edit_params *p) {
    memset(p, 0, sizeof *p);
    p->prompt = "";
    p->depth = 9;
    p->steps = 10;
    p->gamma = 1.0 / 1.8; /* Table S1, 10 steps, s_I = 1.0 */
    p->sampler = I2I_SAMPLER_DDIM;
    p->eta = 0.0;
    p->guidance_scale = 7.5;
    p->image_guidance_scale = 1.0;
    p->seed = 0;
}

void i2i_set_threads(int n) {
    ts_set_num_threads(n);
}

void i2i_runtime_init(void) {
    ts_runtime_init();
}

void i2i_image_free(i2i_image *img) {
    if (!img) return;
    free(img->rgb);
    img->rgb = NULL;
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

static i2i_status check_params(const i2i_bundle *b, const i2i_edit_params *p, char *err, size_t n) {
    int max_depth = unet_config_n_input_blocks(&b->unet_cfg) + 1;
    if (!p->prompt)
        snprintf(err, n, "prompt is required");
    else if (p->depth < 1 || p->depth > max_depth)
        snprintf(err, n, "depth must be 1..%d, got %d", max_depth, p->depth);
    else if (p->steps < 1 || p->steps > SCHEDULE_MAX_STEPS)
        snprintf(err, n, "steps must be 1..%d, got %d", SCHEDULE_MAX_STEPS, p->steps);
    else if (!(p->gamma > 0) || !isfinite(p->gamma))
        snprintf(err, n, "gamma must be a finite number > 0");
    else if (!(p->eta >= 0 && p->eta <= 1))
        snprintf(err, n, "eta must be in [0, 1]");
    else if (!isfinite(p->guidance_scale) || fabs(p->guidance_scale) > 100)
        snprintf(err, n, "guidance_scale must be within [-100, 100]");
    else if (!isfinite(p->image_guidance_scale) || fabs(p->image_guidance_scale) > 100)
        snprintf(err, n, "image_guidance_scale must be within [-100, 100]");
    else if (p->sampler != I2I_SAMPLER_DDIM && p->sampler != I2I_SAMPLER_DPMPP_2M)
        snprintf(err, n, "unknown sampler");
    else
        return I2I_OK;
    return I2I_ERR_INVALID;
}

/* [3, 77, W] context: the prompt's hidden states, then "" twice. */
static ts_tensor *encode_text(const i2i_bundle *b, const char *prompt, char *err, size_t n) {
    int64_t ids[2 * CLIP_CONTEXT];
    int n_tok;
    if (clip_tokenizer_encode_err(b->tokenizer, prompt, ids, &n_tok, err, n) != 0 ||
        clip_tokenizer_encode_err(b->tokenizer, "", ids + CLIP_CONTEXT, &n_tok, err, n) != 0)
        return NULL; /* err says why: invalid UTF-8, too long */
    ts_tensor *h = clip_text_forward(b->clip, ids, 2);
    ts_tensor *rows[3] = {ts_narrow(h, 0, 0, 1), ts_narrow(h, 0, 1, 1), ts_narrow(h, 0, 1, 1)};
    return ts_cat(rows, 3, 0);
}

/* [3, 4, h, w] image conditioning: the posterior mean (IP2P uses it
 * unscaled), the same again, and zeros for the unconditional branch. */
static ts_tensor *encode_image(const i2i_bundle *b, ts_tensor *pixels) {
    ts_tensor *mean = vae_encode_mean(b->vae, pixels);
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

static bool on_step(void *user, int step, int steps) {
    edit_job *j = user;
    return j->progress ? j->progress(j->progress_user, step, steps) : true;
}

static i2i_status sample(edit_job *j, const i2i_edit_params *p, float *x, char *err, size_t n) {
    int *ts = malloc(sizeof(int) * (size_t)p->steps);
    if (!ts) return snprintf(err, n, "out of memory"), I2I_ERR_INTERNAL;
    if (gamma_schedule(p->steps, p->gamma, ts, err, n) != 0) {
        free(ts);
        return I2I_ERR_INVALID;
    }
    i2i_rng rng;
    i2i_rng_seed(&rng, p->seed);
    i2i_rng_normal(&rng, x, j->n);
    sampler_opts o = {.kind = p->sampler, .eta = p->eta, .alphas_cumprod = NULL};
    int rc = sampler_run(&o, ts, p->steps, x, j->n, guided_eps, j, on_step, j, &rng);
    free(ts);
    if (rc == SAMPLER_OK) return I2I_OK;
    if (rc == SAMPLER_CANCELED) return snprintf(err, n, "canceled"), I2I_ERR_CANCELED;
    if (ts_failed())
        snprintf(err, n, "%s", ts_last_error());
    else
        snprintf(err, n, "sampler: %s", sampler_status_str(rc));
    return I2I_ERR_INTERNAL;
}

static i2i_status run_edit(edit_job *j, const i2i_edit_params *p, const image_frame *f,
                           i2i_image *out, char *err, size_t n) {
    const i2i_bundle *b = j->b;
    ts_tensor *pixels = image_frame_to_tensor(f);
    j->context = encode_text(b, p->prompt, err, n);
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
    i2i_status st = x && j->eps3 ? sample(j, p, x, err, n) : I2I_ERR_INTERNAL;
    if (st == I2I_OK) {
        ts_tensor *z =
            ts_mul_scalar(ts_from_floats(x, j->lat_shape, 4), (float)(1.0 / b->latent_scale));
        ts_tensor *decoded = vae_decode(b->vae, z);
        if (!image_frame_from_tensor(f, decoded, out)) {
            snprintf(err, n, "%s", ts_last_error());
            st = I2I_ERR_INTERNAL;
        }
    }
    free(x);
    free(j->eps3);
    return st;
}

i2i_status i2i_edit(const i2i_bundle *b, const i2i_image *in, const i2i_edit_params *p,
                    i2i_progress_fn progress, void *user, i2i_image *out, char *err,
                    size_t errlen) {
    memset(out, 0, sizeof *out);
    i2i_status st = check_params(b, p, err, errlen);
    if (st != I2I_OK) return st;
    int align = 8 << (b->unet_cfg.n_levels - 1); /* VAE factor x U-Net downsampling */
    image_frame f;
    if (!image_frame_prepare(in, align, b->max_pixels, &f, err, errlen)) return I2I_ERR_IMAGE;
    ts_error_clear();
    ts_scope s = ts_scope_begin();
    edit_job j = {.b = b,
                  .depth = p->depth,
                  .s_text = (float)p->guidance_scale,
                  .s_image = (float)p->image_guidance_scale,
                  .progress = progress,
                  .progress_user = user};
    st = run_edit(&j, p, &f, out, err, errlen);
    ts_scope_end(s);
    ts_error_clear();
    return st;
}
