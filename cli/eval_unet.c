/* `i2i eval unet`: one U-Net forward on tensors from a file (the golden
 * *_io names x_t, t, context), written as `eps` -- for checks against fixtures
 * and other implementations. */
#include "eval.h"
#include "file_util.h"
#include "safetensors.h"
#include "unet.h"
#include "weights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNET_PREFIX "model.diffusion_model."
#define CONFIG_MAX_BYTES (1 << 20)
#define MAX_BATCH 1024

/* The config JSON text of --config (a file) or else the weights'
 * __metadata__["config"]; caller frees. */
char *eval_config_text(const weights *w, const char *weights_path, const char *config_path,
                       char *err, size_t errlen) {
    if (config_path) {
        size_t len = 0;
        uint8_t *text = file_read_all(config_path, CONFIG_MAX_BYTES, &len, err, errlen);
        if (!text) return NULL;
        char *json = realloc(text, len + 1); /* NUL-terminate for the parser */
        if (!json) {
            free(text);
            snprintf(err, errlen, "out of memory reading %s", config_path);
            return NULL;
        }
        json[len] = '\0';
        return json;
    }
    const char *json = weights_metadata(w, "config");
    if (!json) {
        snprintf(err, errlen, "%s has no __metadata__[\"config\"]; pass --config C.json",
                 weights_path);
        return NULL;
    }
    char *copy = strdup(json);
    if (!copy) snprintf(err, errlen, "out of memory");
    return copy;
}

static bool load_config(const weights *w, const char *weights_path, const char *config_path,
                        unet_config *cfg, char *err, size_t errlen) {
    char *json = eval_config_text(w, weights_path, config_path, err, errlen);
    bool ok = json && unet_config_from_json(json, cfg, err, errlen);
    free(json);
    return ok;
}

/* The B timesteps from the inputs' `t` (one per batch row, or one for all). */
float *eval_read_timesteps(const weights *in, int64_t batch) {
    ts_tensor *t = weights_get(in, "t");
    if (!t) return NULL;
    const int64_t n = ts_numel(t);
    if (batch < 1 || batch > MAX_BATCH || (n != batch && n != 1)) {
        ts_error_set("inputs: t must hold 1 or %lld timesteps, has %lld", (long long)batch,
                     (long long)n);
        return NULL;
    }
    float *buf = malloc(sizeof *buf * (size_t)batch);
    if (!buf || !ts_to_floats(t, buf, n)) {
        if (!buf) ts_error_set("out of memory");
        free(buf);
        return NULL;
    }
    for (int64_t i = n; i < batch; i++)
        buf[i] = buf[0];
    return buf;
}

static bool write_eps(const char *out_path, ts_tensor *eps, int depth, char *err, size_t errlen) {
    int64_t shape[4];
    for (int d = 0; d < 4; d++)
        shape[d] = ts_dim(eps, d);
    float *data = malloc(sizeof *data * (size_t)ts_numel(eps));
    if (!data || !ts_to_floats(eps, data, ts_numel(eps))) {
        snprintf(err, errlen, "reading eps: %s", data ? ts_last_error() : "out of memory");
        free(data);
        return false;
    }
    char depth_str[16];
    snprintf(depth_str, sizeof depth_str, "%d", depth);
    const char *meta[] = {"depth", depth_str, NULL};
    const st_tensor_out t = {"eps", shape, 4, data};
    bool ok = st_write(out_path, &t, 1, meta, err, errlen);
    free(data);
    return ok;
}

/* Runs the forward once the model and inputs are open; 0 on success. */
static int run(const unet *u, const weights *in, const char *out_path, int depth) {
    char err[1024] = "";
    ts_scope s = ts_scope_begin();
    ts_tensor *x = weights_get(in, "x_t");
    ts_tensor *context = weights_get(in, "context");
    float *t = x ? eval_read_timesteps(in, ts_dim(x, 0)) : NULL;
    ts_tensor *eps = t ? unet_forward(u, x, t, context, depth, NULL) : NULL;
    free(t);
    int rc = 0;
    if (!eps || ts_failed()) {
        fprintf(stderr, "i2i eval unet: %s\n", ts_last_error());
        rc = 1;
    } else if (!write_eps(out_path, eps, depth, err, sizeof err)) {
        fprintf(stderr, "i2i eval unet: %s\n", err);
        rc = 1;
    }
    ts_scope_end(s);
    ts_error_clear();
    return rc;
}

int eval_unet(const char *weights_path, const char *inputs_path, const char *out_path, int depth,
              const char *config_path) {
    char err[1024] = "";
    unet_config cfg;
    unet *u = NULL;
    weights *in = NULL;
    int rc = 1;
    weights *w = weights_open(weights_path, err, sizeof err);
    if (w && load_config(w, weights_path, config_path, &cfg, err, sizeof err))
        u = unet_create(w, UNET_PREFIX, &cfg, err, sizeof err);
    if (u) in = weights_open(inputs_path, err, sizeof err);
    if (in) {
        /* Depth 0 means the full network. */
        rc = run(u, in, out_path, depth > 0 ? depth : unet_num_depths(u));
    } else {
        fprintf(stderr, "i2i eval unet: %s\n", err);
    }
    if (in) weights_close(in);
    unet_free(u);
    if (w) weights_close(w);
    return rc;
}
