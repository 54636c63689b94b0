/* Engine calls and the mapping of engine statuses to job error codes. */
#include "engine_runner.h"
#include "image_codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct engine_runner {
    i2i_bundle *bundle;
};

engine_runner *engine_runner_load(const char *bundle_dir, char *err, size_t errlen) {
    engine_runner *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->bundle = i2i_bundle_load(bundle_dir, err, errlen);
    if (!r->bundle) {
        free(r);
        return NULL;
    }
    return r;
}

void engine_runner_free(engine_runner *r) {
    if (!r) return;
    i2i_bundle_free(r->bundle);
    free(r);
}

const char *engine_runner_task(const engine_runner *r) {
    return i2i_bundle_task(r->bundle);
}

/* The cost listing is quoted at SD's native size, whatever the job sizes. */
#define COST_IMAGE_SIDE 512

int engine_runner_profile_cost(const engine_runner *r, profile_set *set, char *err, size_t errlen) {
    return profile_set_compute_cost_for_bundle(set, r->bundle, COST_IMAGE_SIDE, COST_IMAGE_SIDE,
                                               err, errlen);
}

void engine_runner_set_threads(int n) {
    if (n > 0) i2i_set_threads(n);
}

static const char *status_code(i2i_status st) {
    switch (st) {
    case I2I_ERR_INVALID:
        return "invalid_parameter";
    case I2I_ERR_IMAGE:
        return "invalid_image";
    case I2I_ERR_MODEL:
        return "model_error";
    case I2I_ERR_CANCELED:
        return "canceled";
    default:
        return "internal";
    }
}

void engine_runner_edit(const engine_runner *r, const i2i_image *in, const i2i_edit_params *p,
                        i2i_progress_fn progress, void *user, engine_result *out) {
    memset(out, 0, sizeof *out);
    i2i_image result = {0};
    char err[256] = "";
    i2i_status st = i2i_edit(r->bundle, in, p, progress, user, &result, err, sizeof err);
    if (st != I2I_OK) {
        out->canceled = st == I2I_ERR_CANCELED;
        out->error_code = status_code(st);
        snprintf(out->error_message, sizeof out->error_message, "%s",
                 err[0] ? err : "engine failure");
        i2i_image_free(&result);
        return;
    }
    image_codec_status cs = image_encode_png(&result, &out->png, &out->png_len, err, sizeof err);
    out->width = result.width;
    out->height = result.height;
    i2i_image_free(&result);
    if (cs != IMAGE_OK) {
        out->error_code = "internal";
        snprintf(out->error_message, sizeof out->error_message, "%s", err);
        return;
    }
    out->ok = true;
}
