/* `i2i eval stablesr`: StableSR's denoiser on tensors named as in the golden
 * sr_tiny_io file (x_t, t, context, lr_latent) -> struct_0..struct_N (the
 * time-aware encoder's feature maps, widest first) and eps_dDD (the SFT
 * U-Net at depth D; every depth 1..n unless --depth is given). One weight
 * file holds both prefixes and, in its metadata, "unet_config" and
 * "encoder_config", as the fixture and the bundles do. */
#include "eval.h"
#include "eval_outputs.h"
#include "stablesr.h"

#include <stdio.h>
#include <stdlib.h>

typedef struct sr_inputs {
    ts_tensor *x, *context, *lr;
    float *t;
} sr_inputs;

static bool read_inputs(const weights *in, sr_inputs *s) {
    s->x = weights_get(in, "x_t");
    s->context = s->x ? weights_get(in, "context") : NULL;
    s->lr = s->context ? weights_get(in, "lr_latent") : NULL;
    s->t = s->lr ? eval_read_timesteps(in, ts_dim(s->x, 0)) : NULL;
    return s->t != NULL;
}

static bool add_struct_feats(const stablesr *sr, const sr_inputs *s, eval_outputs *o) {
    ts_scope sc = ts_scope_begin();
    const sr_encoder *enc = stablesr_encoder(sr);
    ts_tensor *feats[SR_ENCODER_MAX_FEATS];
    bool ok = sr_encoder_forward(enc, s->lr, s->t, feats);
    for (int k = 0; ok && k < sr_encoder_num_feats(enc); k++) {
        char name[EVAL_NAME_LEN];
        snprintf(name, sizeof name, "struct_%d", k);
        ok = eval_outputs_add(o, name, feats[k]);
    }
    ts_scope_end(sc);
    return ok;
}

/* Through stablesr_eps, the pipeline's entry point, so the encoder runs
 * again per depth exactly as a sampling step runs it. */
static bool add_eps(const stablesr *sr, const sr_inputs *s, int depth, eval_outputs *o) {
    ts_scope sc = ts_scope_begin();
    char name[EVAL_NAME_LEN];
    snprintf(name, sizeof name, "eps_d%02d", depth);
    bool ok = eval_outputs_add(o, name, stablesr_eps(sr, s->x, s->t, s->context, s->lr, depth));
    ts_scope_end(sc);
    return ok;
}

static int run(const stablesr *sr, const weights *in, const char *out_path, int depth) {
    eval_outputs o = {0};
    sr_inputs s = {0};
    const int n = unet_num_depths(stablesr_unet(sr));
    if (depth > n) {
        fprintf(stderr, "i2i eval stablesr: depth %d, but the model has depths 1..%d\n", depth, n);
        return 1;
    }
    const int first = depth > 0 ? depth : 1, last = depth > 0 ? depth : n; /* 0: every depth */
    bool ok = read_inputs(in, &s) && add_struct_feats(sr, &s, &o);
    for (int d = first; ok && d <= last; d++)
        ok = add_eps(sr, &s, d, &o);
    char err[512] = "";
    if (!ok)
        fprintf(stderr, "i2i eval stablesr: %s\n", ts_failed() ? ts_last_error() : "failed");
    else if (!eval_outputs_write(&o, out_path, err, sizeof err))
        fprintf(stderr, "i2i eval stablesr: %s\n", err), ok = false;
    eval_outputs_free(&o);
    free(s.t);
    ts_error_clear();
    return ok ? 0 : 1;
}

int eval_stablesr(const char *weights_path, const char *inputs_path, const char *out_path,
                  int depth, const char *config_path) {
    if (config_path) {
        fprintf(stderr, "i2i eval stablesr: the configs come from the weights' metadata "
                        "(unet_config, encoder_config); --config is not used\n");
        return 2;
    }
    char err[1024] = "";
    stablesr_config cfg;
    stablesr *sr = NULL;
    weights *in = NULL;
    int rc = 1;
    weights *w = weights_open(weights_path, err, sizeof err);
    if (w && stablesr_config_from_weights(w, &cfg, err, sizeof err))
        sr = stablesr_create(w, &cfg, err, sizeof err);
    if (sr) in = weights_open(inputs_path, err, sizeof err);
    if (in)
        rc = run(sr, in, out_path, depth);
    else
        fprintf(stderr, "i2i eval stablesr: %s\n", err);
    if (in) weights_close(in);
    stablesr_free(sr);
    if (w) weights_close(w);
    return rc;
}
