/* The server's only door into the engine: load the bundles once (one per
 * task), run a job on its task's bundle with a progress callback, get back a
 * result encoded as the job asked (PNG, JPEG or WebP). Everything else in server/ is
 * engine-agnostic and testable without a model. */
#ifndef I2I_SERVER_ENGINE_RUNNER_H
#define I2I_SERVER_ENGINE_RUNNER_H

#include "i2i_engine.h"
#include "param_limits.h"
#include "profile.h"
#include "result_format.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ENGINE_RUNNER_MAX_BUNDLES 8
#define ENGINE_RUNNER_MAX_IMAGES API_NUM_IMAGES_MAX /* per job (num_images_per_prompt) */

typedef struct engine_runner engine_runner;

typedef struct engine_image {
    uint8_t *bytes; /* malloc'd, encoded as asked */
    size_t len;
    uint64_t seed; /* the seed it ran with */
} engine_image;

typedef struct engine_result {
    bool ok;
    bool canceled;
    const char *error_code; /* stable code for job.error when !ok */
    char error_message[256];
    engine_image images[ENGINE_RUNNER_MAX_IMAGES];
    int n_images;
    const char *content_type; /* static: "image/png", ... */
    int width, height;        /* every image's */
} engine_result;

/* What one loaded bundle serves. */
typedef struct engine_bundle_info {
    const char *task;
    const char *dir;
    size_t resident_bytes;
    const i2i_network_memory *mem; /* per network, n_mem of them (the engine's) */
    int n_mem;
    const char *dtype; /* "fp32" or "bf16" */
} engine_bundle_info;

/* Loads every directory of the comma-separated list `dirs` and every
 * subdirectory of models_dir holding a manifest.json (either may be empty).
 * Two bundles of one task are a configuration error, as is no bundle. */
engine_runner *engine_runner_load(const char *dirs, const char *models_dir, char *err,
                                  size_t errlen);
void engine_runner_free(engine_runner *r);
size_t engine_runner_count(const engine_runner *r);
bool engine_runner_info(const engine_runner *r, size_t i, engine_bundle_info *out);
bool engine_runner_has_task(const engine_runner *r, const char *task);
/* Fills the cost of each profile whose task has a bundle, on that bundle's
 * U-Net at a 512 x 512 image (SD's 64 x 64 latent), and the speed-up
 * against its baseline. */
int engine_runner_profile_cost(const engine_runner *r, profile_set *set, char *err, size_t errlen);

/* Resolves I2I_RESOLUTION_BUNDLE in p to the task's bundle's resolution
 * and gives the working size of a w x h input; false with a message (no
 * bundle, or an input the task cannot run). */
bool engine_runner_working_size(const engine_runner *r, const char *task, int w, int h,
                                i2i_params *p, int *ow, int *oh, char *err, size_t errlen);

/* Per worker thread, before its first job. 0 leaves the default. */
void engine_runner_set_threads(int n);

/* Runs the job `count` times (image i with seed job_image_seed(p->seed, i),
 * one after the other, progress counted over all of them) and encodes each
 * result once, as enc says. Any failure or cancel fails the whole job. */
void engine_runner_run(const engine_runner *r, const char *task, const i2i_image *in,
                       const i2i_params *p, int count, const result_spec *enc,
                       i2i_progress_fn progress, void *user, engine_result *out);
void engine_result_free(engine_result *out);

#endif
