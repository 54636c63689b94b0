/* What every pipeline does the same way: parameter checks, prompt encoding,
 * the sampling loop and the VAE decode. */
#include "pipeline.h"
#include "rng.h"
#include "schedule.h"
#include "vae_tiled.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLIP_CONTEXT 77
#define PIPELINE_MAX_TEXTS 4

i2i_status pipeline_check_common(const i2i_bundle *b, const i2i_params *p, char *err, size_t n) {
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
    else if (p->sampler != I2I_SAMPLER_DDIM && p->sampler != I2I_SAMPLER_DPMPP_2M)
        snprintf(err, n, "unknown sampler");
    else
        return I2I_OK;
    return I2I_ERR_INVALID;
}

int pipeline_align(const i2i_bundle *b) {
    return 8 << (b->unet_cfg.n_levels - 1);
}

i2i_status pipeline_ts_error(char *err, size_t errlen) {
    snprintf(err, errlen, "%s", ts_failed() ? ts_last_error() : "tensor runtime failure");
    return I2I_ERR_INTERNAL;
}

ts_tensor *pipeline_encode_texts(const i2i_bundle *b, const char *const *texts, int n, char *err,
                                 size_t errlen) {
    int64_t ids[PIPELINE_MAX_TEXTS * CLIP_CONTEXT];
    if (n < 1 || n > PIPELINE_MAX_TEXTS) return snprintf(err, errlen, "bad text count"), NULL;
    for (int i = 0; i < n; i++) {
        int n_tok;
        const char *t = texts[i] ? texts[i] : "";
        if (clip_tokenizer_encode_err(b->tokenizer, t, ids + i * CLIP_CONTEXT, &n_tok, err,
                                      errlen) != 0)
            return NULL; /* err says why: invalid UTF-8, too long */
    }
    return clip_text_forward(b->clip, ids, n);
}

i2i_status pipeline_sample_from(const i2i_params *p, eps_fn eps, void *eps_user, float *x, size_t n,
                                i2i_rng *rng, i2i_progress_fn progress, void *progress_user,
                                char *err, size_t errlen) {
    int *ts = malloc(sizeof(int) * (size_t)p->steps);
    if (!ts) return snprintf(err, errlen, "out of memory"), I2I_ERR_INTERNAL;
    if (gamma_schedule(p->steps, p->gamma, ts, err, errlen) != 0) {
        free(ts);
        return I2I_ERR_INVALID;
    }
    sampler_opts o = {.kind = p->sampler, .eta = p->eta, .alphas_cumprod = NULL};
    int rc = sampler_run(&o, ts, p->steps, x, n, eps, eps_user, progress, progress_user, rng);
    free(ts);
    if (rc == SAMPLER_OK) return I2I_OK;
    if (rc == SAMPLER_CANCELED) return snprintf(err, errlen, "canceled"), I2I_ERR_CANCELED;
    if (ts_failed()) return pipeline_ts_error(err, errlen);
    snprintf(err, errlen, "sampler: %s", sampler_status_str(rc));
    return I2I_ERR_INTERNAL;
}

i2i_status pipeline_sample(const i2i_params *p, eps_fn eps, void *eps_user, float *x, size_t n,
                           i2i_progress_fn progress, void *progress_user, char *err,
                           size_t errlen) {
    i2i_rng rng;
    i2i_rng_seed(&rng, p->seed);
    i2i_rng_normal(&rng, x, n);
    return pipeline_sample_from(p, eps, eps_user, x, n, &rng, progress, progress_user, err, errlen);
}

i2i_status pipeline_decode(const i2i_bundle *b, const float *x, const int64_t *lat_shape,
                           const image_frame *f, i2i_image *out, char *err, size_t errlen) {
    ts_scope s = ts_scope_begin();
    ts_tensor *z = ts_mul_scalar(ts_from_floats(x, lat_shape, 4), (float)(1.0 / b->latent_scale));
    const vae_tiling tiles = vae_tiling_default(); /* linear in pixels above 512 px */
    bool ok = image_frame_from_tensor(f, vae_decode_tiled(b->vae, z, &tiles), out);
    ts_scope_end(s);
    return ok ? I2I_OK : pipeline_ts_error(err, errlen);
}
