/* The engine's one public header: what server/ and cli/ may call.
 * A bundle is loaded once and is read-only afterwards, so any number of
 * worker threads may run jobs on it at once (each job uses its own scratch). */
#ifndef I2I_ENGINE_H
#define I2I_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum i2i_status {
    I2I_OK = 0,
    I2I_ERR_INVALID = 1,  /* a parameter out of range */
    I2I_ERR_IMAGE = 2,    /* unusable input image */
    I2I_ERR_MODEL = 3,    /* bundle or weights missing / malformed */
    I2I_ERR_CANCELED = 4, /* the progress callback asked to stop */
    I2I_ERR_INTERNAL = 5  /* tensor runtime failure */
} i2i_status;

/* Both image sides must be at least this many pixels (smaller images carry
 * nothing to edit and would vanish in the U-Net's downsampling). */
#define I2I_MIN_IMAGE_SIDE 32

typedef enum i2i_sampler { I2I_SAMPLER_DDIM = 0, I2I_SAMPLER_DPMPP_2M = 1 } i2i_sampler;

/* 8-bit RGB, row-major, width*height*3 bytes. */
typedef struct i2i_image {
    int width;
    int height;
    uint8_t *rgb;
} i2i_image;

typedef struct i2i_edit_params {
    const char *prompt;
    int depth;    /* 1..13; 13 = full U-Net */
    int steps;    /* >= 1 */
    double gamma; /* time-step schedule control; 1 = uniform */
    i2i_sampler sampler;
    double eta;                  /* DDIM stochasticity, 0..1 */
    double guidance_scale;       /* text guidance s_T */
    double image_guidance_scale; /* image guidance s_I */
    uint64_t seed;
} i2i_edit_params;

/* Called after each denoising step; return false to cancel the job, which
 * then stops before the next U-Net evaluation. */
typedef bool (*i2i_progress_fn)(void *user, int step, int steps);

typedef struct i2i_bundle i2i_bundle;

void i2i_edit_params_default(i2i_edit_params *p);
i2i_bundle *i2i_bundle_load(const char *dir, char *err, size_t errlen);
void i2i_bundle_free(i2i_bundle *b);
const char *i2i_bundle_task(const i2i_bundle *b); /* "edit", ... */

/* Runs one edit; on success *out holds a new image of the input's size
 * (free with i2i_image_free). err receives a one-line message otherwise. */
i2i_status i2i_edit(const i2i_bundle *b, const i2i_image *in, const i2i_edit_params *p,
                    i2i_progress_fn progress, void *user, i2i_image *out, char *err, size_t errlen);
void i2i_image_free(i2i_image *img);

/* Process-wide runtime tuning (keeps large activation buffers in the heap
 * instead of returning them to the kernel after every call); call once at
 * the start of main(). */
void i2i_runtime_init(void);

/* Intra-op threads for the calling thread's tensor work. */
void i2i_set_threads(int n);

#ifdef __cplusplus
}
#endif
#endif
