/* A golden U-Net fixture opened for tests: weights, io tensors, config from
 * the weight file's metadata, the network, and its inputs x_t, t, context. */
#ifndef I2I_TEST_UNET_FIXTURE_H
#define I2I_TEST_UNET_FIXTURE_H

#include "check.h"
#include "unet.h"
#include "weights.h"

#include <string.h>

#define UNET_FIXTURE_PREFIX "model.diffusion_model."

typedef struct fixture {
    weights *w, *io;
    unet_config cfg;
    unet *u;
    ts_tensor *x, *context;
    float t[8];
} fixture;

static inline bool open_fixture(fixture *f, const char *weights_name, const char *io_name) {
    char err[512] = "";
    memset(f, 0, sizeof *f);
    f->w = weights_open(golden_path(weights_name), err, sizeof err);
    CHECK_MSG(f->w, "%s", err);
    f->io = weights_open(golden_path(io_name), err, sizeof err);
    CHECK_MSG(f->io, "%s", err);
    if (!f->w || !f->io) return false;
    const char *json = weights_metadata(f->w, "config");
    CHECK_MSG(json, "%s has no config metadata", weights_name);
    if (!json || !unet_config_from_json(json, &f->cfg, err, sizeof err)) {
        CHECK_MSG(false, "config: %s", err);
        return false;
    }
    f->u = unet_create(f->w, UNET_FIXTURE_PREFIX, &f->cfg, err, sizeof err);
    CHECK_MSG(f->u, "unet_create: %s", err);
    f->x = weights_get(f->io, "x_t");
    f->context = weights_get(f->io, "context");
    ts_tensor *t = weights_get(f->io, "t");
    bool ok = f->u && f->x && f->context && t && ts_numel(t) == ts_dim(f->x, 0) &&
              ts_numel(t) <= 8 && ts_to_floats(t, f->t, ts_numel(t));
    CHECK_MSG(ok, "fixture %s: %s", io_name, ts_last_error());
    return ok;
}

static inline void close_fixture(fixture *f) {
    unet_free(f->u);
    weights_close(f->io);
    weights_close(f->w);
    ts_error_clear();
}

#endif
