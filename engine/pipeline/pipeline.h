/* The engine's task table: one entry per task (name, U-Net evaluations per
 * step, defaults, the networks its bundle adds, the run), and the pieces the
 * pipelines share (prompt encoding, the sampling loop, latent decoding).
 * A new task is its own <task>_pipeline.c plus one line in pipelines.c. */
#ifndef I2I_PIPELINE_H
#define I2I_PIPELINE_H

#include "bundle.h"
#include "i2i_engine.h"
#include "image_prep.h"
#include "sampler.h"
#include "ts.h"
#include <jansson.h>

/* The networks the bundle loader reads for every task that lists them;
 * a task whose networks differ (StableSR's SFT U-Net and CFW VAE, no text
 * encoder) loads its own in load_extra. */
enum { BASE_UNET = 1u << 0, BASE_VAE = 1u << 1, BASE_TEXT = 1u << 2 };
#define BASE_ALL (BASE_UNET | BASE_VAE | BASE_TEXT)

typedef struct pipeline_def {
    const char *task;
    int unet_evals_per_step;
    unsigned base_networks; /* BASE_* bits */
    void (*defaults)(i2i_params *p);
    /* Loads the networks this task adds to the shared U-Net/VAE/CLIP (NULL:
     * none), from the manifest's own sections. */
    bool (*load_extra)(i2i_bundle *b, json_t *manifest, char *err, size_t errlen);
    /* The working size of a w x h input (NULL: the input's own size). */
    bool (*working_size)(int w, int h, const i2i_params *p, int *ow, int *oh, char *err,
                         size_t errlen);
    /* The result's size (NULL: the input's, or the working size when the
     * job asks for it). */
    bool (*result_size)(int w, int h, const i2i_params *p, int *ow, int *oh, char *err,
                        size_t errlen);
    i2i_status (*run)(const i2i_bundle *b, const i2i_image *in, const i2i_params *p,
                      i2i_progress_fn progress, void *user, i2i_image *out, char *err,
                      size_t errlen);
} pipeline_def;

const pipeline_def *pipeline_find(const char *task);

/* ---- shared by the pipelines ---- */

/* Checks the fields every task uses (depth against the bundle's U-Net,
 * steps, gamma, eta, guidance, sampler); I2I_ERR_INVALID with a message. */
i2i_status pipeline_check_common(const i2i_bundle *b, const i2i_params *p, char *err, size_t n);

/* [n, 77, width] hidden states of n texts (NULL = ""); NULL with err set
 * for a text the tokenizer refuses (invalid UTF-8, too long) or ts error. */
ts_tensor *pipeline_encode_texts(const i2i_bundle *b, const char *const *texts, int n, char *err,
                                 size_t errlen);

/* The denoising loop of a job: the γ schedule for p->steps, x_T from the
 * seed, the chosen sampler over eps, progress per step. x holds n floats
 * (x_T is written into it; x_0 on return). err says why on failure. */
i2i_status pipeline_sample(const i2i_params *p, eps_fn eps, void *eps_user, float *x, size_t n,
                           i2i_progress_fn progress, void *progress_user, char *err, size_t errlen);
/* The same loop from the x_T the caller put in x, drawing DDIM's noise from
 * rng (a pipeline that starts from a noised latent, not pure noise). */
i2i_status pipeline_sample_from(const i2i_params *p, eps_fn eps, void *eps_user, float *x, size_t n,
                                i2i_rng *rng, i2i_progress_fn progress, void *progress_user,
                                char *err, size_t errlen);

/* VAE-decodes the latent x [1, 4, h, w] (divided by the bundle's scale
 * factor) into the frame's size as 8-bit RGB; tiled above one tile
 * (vae_tiled.h), so memory and time stay linear in the pixels. */
i2i_status pipeline_decode(const i2i_bundle *b, const float *x, const int64_t *lat_shape,
                           const image_frame *f, i2i_image *out, char *err, size_t errlen);

/* The message of a failed tensor op, as I2I_ERR_INTERNAL. */
i2i_status pipeline_ts_error(char *err, size_t errlen);

/* VAE factor x U-Net downsampling: image sides must be multiples of this. */
int pipeline_align(const i2i_bundle *b);

#endif
