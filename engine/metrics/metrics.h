/* Image-quality metrics on 8-bit RGB images, used by the searches and tests.
 *
 * PSNR and SSIM are plain functions. The searches score through the
 * pluggable i2i_metric interface instead, so a metric that needs a model
 * (CLIP image similarity, directional CLIP similarity) can be added later
 * without touching the searches: it is one more constructor that fills the
 * same struct of function pointers. */
#ifndef I2I_METRICS_H
#define I2I_METRICS_H

#include "i2i_engine.h"
#include <stdbool.h>
#include <stddef.h>

/* PSNR of identical images is infinite; it is reported as this value so a
 * mean over several images stays finite and comparable. */
#define METRIC_PSNR_MAX_DB 100.0

/* Peak signal-to-noise ratio in dB (peak 255, MSE over all pixels and
 * channels). Returns 0 with *db set, or -1 with a message in err when the
 * images are unusable or differ in size. */
int metric_psnr(const i2i_image *a, const i2i_image *b, double *db, char *err, size_t errlen);

/* Structural similarity (Wang et al. 2004): 11x11 Gaussian window, sigma 1.5,
 * K1 0.01, K2 0.03, L 255, computed per RGB channel over the windows that fit
 * inside the image ("valid" region) and averaged over windows and channels.
 * Both sides must be at least 11 px. Returns 0 or -1 with a message. */
int metric_ssim(const i2i_image *a, const i2i_image *b, double *ssim, char *err, size_t errlen);

/* What a metric may look at for one sample. `output` is the image being
 * judged and `reference` what it should match (for the searches: the 50-step
 * full-depth output). `source` and `prompt` are the job's input image and
 * instruction, which model-based metrics such as directional CLIP need;
 * PSNR/SSIM ignore them. */
typedef struct metric_sample {
    const i2i_image *output;
    const i2i_image *reference;
    const i2i_image *source; /* may be NULL */
    const char *prompt;      /* may be NULL */
} metric_sample;

typedef struct i2i_metric {
    const char *name; /* "psnr", "ssim", ... */
    const char *unit; /* "dB", "" */
    bool higher_is_better;
    /* Scores one sample; returns 0 or -1 with a message in err. */
    int (*score)(void *ctx, const metric_sample *s, double *value, char *err, size_t errlen);
    /* Frees ctx (a loaded model, for instance); NULL when there is none. */
    void (*destroy)(void *ctx);
    void *ctx;
} i2i_metric;

/* Fills *m with the metric called `name`. Built in: "psnr", "ssim". A name
 * that needs a model ("clip-image", "clip-direction") takes model_dir, a
 * CLIP model bundle; this build has no CLIP vision tower, so those report an
 * error that says so. Returns 0 or -1 with a message in err. */
int metric_open(const char *name, const char *model_dir, i2i_metric *m, char *err, size_t errlen);
void metric_close(i2i_metric *m);
/* The names metric_open accepts without a model, comma-separated. */
const char *metric_builtin_names(void);

#endif
