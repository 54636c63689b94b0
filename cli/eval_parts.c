/* `i2i eval vae-encode|vae-decode|clip-text`: runs the VAE or the CLIP text
 * model on tensors from a safetensors file (the golden *_io names) and writes
 * the outputs to another, so fixtures and real checkpoints can be checked
 * from the command line. */
#include "clip_text.h"
#include "eval.h"
#include "file_util.h"
#include "safetensors.h"
#include "vae.h"
#include "weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_OUTPUTS 2

#define CONFIG_MAX_BYTES (1 << 20)

/* Reads a config file as a NUL-terminated string; NULL with a message on
 * failure. Caller frees. */
static char *read_text_file(const char *path, char *err, size_t errlen) {
    size_t len = 0;
    uint8_t *raw = file_read_all(path, CONFIG_MAX_BYTES, &len, err, errlen);
    if (!raw) return NULL;
    char *text = realloc(raw, len + 1);
    if (!text) {
        snprintf(err, errlen, "out of memory reading %s", path);
        free(raw);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

/* The config JSON: --config file, else the weights' __metadata__["config"];
 * NULL (and *owned NULL) when neither exists, which means "use the SD preset".
 */
static const char *config_json(const weights *w, const char *config_path, char **owned, char *err,
                               size_t errlen, bool *failed) {
    *owned = NULL;
    *failed = false;
    if (config_path) {
        *owned = read_text_file(config_path, err, errlen);
        *failed = *owned == NULL;
        return *owned;
    }
    return weights_metadata(w, "config");
}

/* First candidate prefix under which `probe` exists; the first candidate
 * otherwise, so the loader's error names the tensor it expected. */
static const char *detect_prefix(const weights *w, const char *const *candidates, int n,
                                 const char *probe) {
    char name[512];
    for (int i = 0; i < n; i++) {
        snprintf(name, sizeof name, "%s%s", candidates[i], probe);
        if (weights_has(w, name)) return candidates[i];
    }
    return candidates[0];
}

static void close_file(weights *w) {
    if (w) weights_close(w);
}

static weights *open_file(const char *path, const char *what) {
    char err[512] = "";
    weights *w = weights_open(path, err, sizeof err);
    if (!w) fprintf(stderr, "i2i eval: %s: %s\n", what, err);
    return w;
}

/* Copies the tensors out of the shim and writes them as one F32 file. */
static int write_outputs(const char *out, const char *const *names, ts_tensor *const *tensors,
                         int n) {
    st_tensor_out outs[MAX_OUTPUTS];
    int64_t shapes[MAX_OUTPUTS][TS_MAX_DIMS];
    float *data[MAX_OUTPUTS] = {NULL};
    bool ok = n <= MAX_OUTPUTS;
    for (int k = 0; ok && k < n; k++) {
        int64_t numel = ts_numel(tensors[k]);
        data[k] = malloc((size_t)numel * sizeof(float));
        ok = data[k] && ts_to_floats(tensors[k], data[k], numel);
        for (int d = 0; d < ts_ndim(tensors[k]); d++)
            shapes[k][d] = ts_dim(tensors[k], d);
        outs[k] = (st_tensor_out){names[k], shapes[k], ts_ndim(tensors[k]), data[k]};
    }
    char err[512] = "cannot copy the results";
    ok = ok && st_write(out, outs, n, NULL, err, sizeof err);
    if (!ok) fprintf(stderr, "i2i eval: writing %s: %s\n", out, err);
    for (int k = 0; k < n && k < MAX_OUTPUTS; k++)
        free(data[k]);
    return ok ? 0 : 1;
}

/* ---- VAE ---- */

static vae *load_vae(const weights *w, const char *config_path) {
    char err[512] = "";
    char *owned;
    bool failed;
    const char *json = config_json(w, config_path, &owned, err, sizeof err, &failed);
    vae_config cfg;
    vae_config_sd(&cfg);
    bool ok = !failed && (!json || vae_config_from_json(json, &cfg, err, sizeof err));
    free(owned);
    if (!ok) {
        fprintf(stderr, "i2i eval: %s\n", err);
        return NULL;
    }
    if (!json) fprintf(stderr, "i2i eval: no VAE config given or stored; using SD's\n");
    static const char *const prefixes[] = {"first_stage_model.", "vae.", ""};
    const char *prefix = detect_prefix(w, prefixes, 3, "encoder.conv_in.weight");
    vae *v = vae_create(w, prefix, &cfg, err, sizeof err);
    if (!v) fprintf(stderr, "i2i eval: %s\n", err);
    return v;
}

/* Runs the VAE on io[in[k]] for each k whose input exists (the first is
 * required) and writes the results as out_names[k]. */
static int eval_vae(const char *weights_path, const char *inputs, const char *out,
                    const char *config_path, bool encode) {
    static const char *const enc_in[MAX_OUTPUTS] = {"image", "image_ns"};
    static const char *const enc_out[MAX_OUTPUTS] = {"mean", "mean_ns"};
    static const char *const dec_in[MAX_OUTPUTS] = {"latent", "latent_ns"};
    static const char *const dec_out[MAX_OUTPUTS] = {"decoded", "decoded_ns"};
    const char *const *in_names = encode ? enc_in : dec_in;
    const char *const *out_names = encode ? enc_out : dec_out;

    int rc = 1;
    weights *w = open_file(weights_path, "weights");
    weights *io = w ? open_file(inputs, "inputs") : NULL;
    vae *v = io ? load_vae(w, config_path) : NULL;
    if (v && !weights_has(io, in_names[0]))
        fprintf(stderr, "i2i eval: inputs have no tensor '%s'\n", in_names[0]);
    else if (v) {
        ts_scope s = ts_scope_begin();
        ts_tensor *results[MAX_OUTPUTS];
        const char *names[MAX_OUTPUTS];
        int n = 0;
        for (int k = 0; k < MAX_OUTPUTS && !ts_failed(); k++) {
            if (!weights_has(io, in_names[k])) continue;
            ts_tensor *x = weights_get(io, in_names[k]);
            results[n] = encode ? vae_encode_mean(v, x) : vae_decode(v, x);
            names[n++] = out_names[k];
        }
        if (ts_failed())
            fprintf(stderr, "i2i eval: %s\n", ts_last_error());
        else
            rc = write_outputs(out, names, results, n);
        ts_scope_end(s);
        ts_error_clear();
    }
    vae_free(v);
    close_file(io);
    close_file(w);
    return rc;
}

int eval_vae_encode(const char *weights_path, const char *inputs, const char *out,
                    const char *config_path) {
    return eval_vae(weights_path, inputs, out, config_path, true);
}

int eval_vae_decode(const char *weights_path, const char *inputs, const char *out,
                    const char *config_path) {
    return eval_vae(weights_path, inputs, out, config_path, false);
}

/* ---- CLIP text ---- */

static clip_text *load_clip(const weights *w, const char *config_path) {
    char err[512] = "";
    char *owned;
    bool failed;
    const char *json = config_json(w, config_path, &owned, err, sizeof err, &failed);
    clip_text_config cfg;
    clip_text_config_sd1(&cfg);
    bool ok = !failed && (!json || clip_text_config_from_json(json, &cfg, err, sizeof err));
    free(owned);
    if (!ok) {
        fprintf(stderr, "i2i eval: %s\n", err);
        return NULL;
    }
    if (!json) fprintf(stderr, "i2i eval: no CLIP config given or stored; using SD1's\n");
    static const char *const prefixes[] = {"cond_stage_model.transformer.text_model.",
                                           "text_model.", ""};
    const char *prefix = detect_prefix(w, prefixes, 3, "embeddings.token_embedding.weight");
    clip_text *m = clip_text_create(w, prefix, &cfg, err, sizeof err);
    if (!m) fprintf(stderr, "i2i eval: %s\n", err);
    return m;
}

/* input_ids [B, 77] stored as F32 exact integers -> int64 (caller frees). */
static int64_t *read_ids(const weights *io, int *batch) {
    ts_tensor *t = weights_has(io, "input_ids") ? weights_get(io, "input_ids") : NULL;
    if (!t || ts_ndim(t) != 2 || ts_dim(t, 1) != CLIP_TEXT_CONTEXT || ts_dim(t, 0) < 1 ||
        ts_dim(t, 0) > 4096) {
        fprintf(stderr, "i2i eval: inputs need 'input_ids' of shape [B, %d]\n", CLIP_TEXT_CONTEXT);
        return NULL;
    }
    int64_t n = ts_numel(t);
    float *f = malloc((size_t)n * sizeof *f);
    int64_t *ids = malloc((size_t)n * sizeof *ids);
    bool ok = f && ids && ts_to_floats(t, f, n);
    for (int64_t i = 0; ok && i < n; i++) {
        ok = f[i] >= 0 && f[i] < 16777216.0f && floorf(f[i]) == f[i];
        ids[i] = ok ? (int64_t)f[i] : 0;
    }
    free(f);
    if (!ok) {
        fprintf(stderr, "i2i eval: input_ids must hold non-negative integers\n");
        free(ids);
        return NULL;
    }
    *batch = (int)ts_dim(t, 0);
    return ids;
}

int eval_clip_text(const char *weights_path, const char *inputs, const char *out,
                   const char *config_path) {
    int rc = 1;
    weights *w = open_file(weights_path, "weights");
    weights *io = w ? open_file(inputs, "inputs") : NULL;
    clip_text *m = io ? load_clip(w, config_path) : NULL;
    int batch = 0;
    int64_t *ids = m ? read_ids(io, &batch) : NULL;
    if (ids) {
        ts_scope s = ts_scope_begin();
        ts_tensor *y = clip_text_forward(m, ids, batch);
        const char *name = "last_hidden_state";
        if (ts_failed())
            fprintf(stderr, "i2i eval: %s\n", ts_last_error());
        else
            rc = write_outputs(out, &name, &y, 1);
        ts_scope_end(s);
        ts_error_clear();
    }
    free(ids);
    clip_text_free(m);
    close_file(io);
    close_file(w);
    return rc;
}
