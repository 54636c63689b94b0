/* The server's only door into the engine: load a bundle once, run an edit
 * with a progress callback, get back a PNG. Everything else in server/ is
 * engine-agnostic and testable without a model. */
#ifndef I2I_SERVER_ENGINE_RUNNER_H
#define I2I_SERVER_ENGINE_RUNNER_H

#include "i2i_engine.h"
#include "profile.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct engine_runner engine_runner;

typedef struct engine_result {
    bool ok;
    bool canceled;
    const char *error_code; /* stable code for job.error when !ok */
    char error_message[256];
    uint8_t *png; /* malloc'd */
    size_t png_len;
    int width, height;
} engine_result;

engine_runner *engine_runner_load(const char *bundle_dir, char *err, size_t errlen);
void engine_runner_free(engine_runner *r);
const char *engine_runner_task(const engine_runner *r);
/* Fills each profile's per-job cost for the loaded U-Net at a 512 x 512
 * image (SD's 64 x 64 latent) and the speed-up against its baseline. */
int engine_runner_profile_cost(const engine_runner *r, profile_set *set, char *err, size_t errlen);

/* Per worker thread, before its first job. 0 leaves the default. */
void engine_runner_set_threads(int n);

void engine_runner_edit(const engine_runner *r, const i2i_image *in, const i2i_edit_params *p,
                        i2i_progress_fn progress, void *user, engine_result *out);

#endif
