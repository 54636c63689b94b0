/* `i2i eval cfw-decode`: StableSR's CFW VAE on tensors named as in the
 * golden cfw_tiny_io file.
 *   lr_image (optional) -> moments, enc_feat_0..enc_feat_N (the encoder
 *       features the decoder fuses) and, with noise, lr_latent
 *       (scale factor x the posterior sample, as the pipeline makes it);
 *   z -> decoded_wNN, NN = 10 w in two digits (decoded_w05 for w 0.5), at
 *       w = 0, 0.5 and 1, or at --w only ("decoded" when 10 w is not whole).
 * The decoder fuses the stored enc_feat_* when the inputs hold them all (the
 * fixture's decodes were made from its own features, so each decode is then
 * checked on its own), else the ones encoded from lr_image. */
#include "cfw_vae.h"
#include "eval.h"
#include "eval_outputs.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define CFW_LATENT_SCALE 0.18215f /* StableSR's scale_factor: only for lr_latent */
#define CFW_FIXTURE_WEIGHTS 3

static cfw_vae *load_cfw(const weights *w, const char *weights_path, const char *config_path,
                         char *err, size_t errlen) {
    char *json = eval_config_text(w, weights_path, config_path, err, errlen);
    cfw_vae_config cfg;
    bool ok = json && cfw_vae_config_from_json(json, &cfg, err, errlen);
    free(json);
    /* StableSR's CFW checkpoint is a bare AutoencoderKLResi state dict */
    const char *prefix =
        weights_has(w, "first_stage_model.encoder.conv_in.weight") ? "first_stage_model." : "";
    return ok ? cfw_vae_create(w, prefix, &cfg, err, errlen) : NULL;
}

/* The stored features when all are there; false (and none taken) otherwise. */
static bool stored_feats(const cfw_vae *m, const weights *in, ts_tensor **feats) {
    const int n = cfw_vae_num_feats(cfw_vae_get_config(m));
    for (int k = 0; k < n; k++) {
        char name[EVAL_NAME_LEN];
        snprintf(name, sizeof name, "enc_feat_%d", k);
        if (!weights_has(in, name)) return false;
    }
    for (int k = 0; k < n; k++)
        feats[k] = weights_getf(in, "enc_feat_%d", k);
    return true;
}

/* Encodes lr_image into own[] and adds the encoder's outputs. */
static bool add_encode(const cfw_vae *m, const weights *in, ts_tensor **own, eval_outputs *o) {
    ts_tensor *moments = NULL;
    if (!cfw_vae_encode(m, weights_get(in, "lr_image"), &moments, own)) return false;
    bool ok = eval_outputs_add(o, "moments", moments);
    for (int k = 0; ok && k < cfw_vae_num_feats(cfw_vae_get_config(m)); k++) {
        char name[EVAL_NAME_LEN];
        snprintf(name, sizeof name, "enc_feat_%d", k);
        ok = eval_outputs_add(o, name, own[k]);
    }
    if (ok && weights_has(in, "noise"))
        ok = eval_outputs_add(
            o, "lr_latent",
            ts_mul_scalar(cfw_vae_sample(m, moments, weights_get(in, "noise")), CFW_LATENT_SCALE));
    return ok;
}

static bool add_decode(const cfw_vae *m, ts_tensor *z, ts_tensor *const *feats, float w,
                       eval_outputs *o) {
    char name[EVAL_NAME_LEN] = "decoded";
    const double tenths = 10.0 * w;
    if (fabs(tenths - round(tenths)) < 1e-6 && tenths >= 0 && tenths < 100)
        snprintf(name, sizeof name, "decoded_w%02d", (int)round(tenths));
    ts_scope sc = ts_scope_begin();
    bool ok = eval_outputs_add(o, name, cfw_vae_decode(m, z, feats, w));
    ts_scope_end(sc);
    return ok;
}

static bool run_all(const cfw_vae *m, const weights *in, const float *ws, int n_w,
                    eval_outputs *o) {
    ts_tensor *own[CFW_MAX_FEATS] = {NULL}, *gold[CFW_MAX_FEATS] = {NULL};
    const bool has_image = weights_has(in, "lr_image");
    bool ok = !has_image || add_encode(m, in, own, o);
    ts_tensor *const *feats = stored_feats(m, in, gold) ? gold : has_image ? own : NULL;
    ts_tensor *z = ok ? weights_get(in, "z") : NULL;
    ok = z != NULL;
    for (int i = 0; ok && i < n_w; i++) {
        if (ws[i] > 0 && !feats)
            return ts_error_set("inputs: w > 0 needs enc_feat_* or lr_image"), false;
        ok = add_decode(m, z, feats, ws[i], o);
    }
    return ok;
}

static int run(const cfw_vae *m, const weights *in, const char *out_path, const float *w) {
    static const float fixture_ws[CFW_FIXTURE_WEIGHTS] = {0.0f, 0.5f, 1.0f};
    eval_outputs o = {0};
    ts_scope sc = ts_scope_begin();
    bool ok = run_all(m, in, w ? w : fixture_ws, w ? 1 : CFW_FIXTURE_WEIGHTS, &o);
    ts_scope_end(sc);
    char err[512] = "";
    if (!ok)
        fprintf(stderr, "i2i eval cfw-decode: %s\n", ts_failed() ? ts_last_error() : "failed");
    else if (!eval_outputs_write(&o, out_path, err, sizeof err))
        fprintf(stderr, "i2i eval cfw-decode: %s\n", err), ok = false;
    eval_outputs_free(&o);
    ts_error_clear();
    return ok ? 0 : 1;
}

int eval_cfw_decode(const char *weights_path, const char *inputs_path, const char *out_path,
                    const float *w, const char *config_path) {
    char err[1024] = "";
    cfw_vae *m = NULL;
    weights *in = NULL;
    int rc = 1;
    weights *wf = weights_open(weights_path, err, sizeof err);
    if (wf) m = load_cfw(wf, weights_path, config_path, err, sizeof err);
    if (m) in = weights_open(inputs_path, err, sizeof err);
    if (in)
        rc = run(m, in, out_path, w);
    else
        fprintf(stderr, "i2i eval cfw-decode: %s\n", err);
    if (in) weights_close(in);
    cfw_vae_free(m);
    if (wf) weights_close(wf);
    return rc;
}
