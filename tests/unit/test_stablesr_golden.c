/* StableSR against sr_tiny (tests/golden/README.md "sr_tiny"): the four
 * time-aware encoder features struct_0..3, SFT U-Net eps at every depth
 * 1..13, the layout against the file (every tensor bound, none left over),
 * and the full-size parameter count of v2-finetune_text_T_512. */
#include "check.h"
#include "stablesr.h"

#include <string.h>

#define REL_LIMIT 2e-5 /* README: max|y - ref| <= 2e-5 * max|ref| per tensor */

typedef struct sr_fixture {
    weights *w, *io;
    stablesr_config cfg;
    stablesr *sr;
    ts_tensor *x, *context, *lr;
    float t[8];
} sr_fixture;

static bool open_sr(sr_fixture *f) {
    char err[512] = "";
    memset(f, 0, sizeof *f);
    f->w = weights_open(golden_path("sr_tiny_weights.safetensors"), err, sizeof err);
    CHECK_MSG(f->w, "%s", err);
    f->io = weights_open(golden_path("sr_tiny_io.safetensors"), err, sizeof err);
    CHECK_MSG(f->io, "%s", err);
    if (!f->w || !f->io) return false;
    bool ok = stablesr_config_from_weights(f->w, &f->cfg, err, sizeof err);
    CHECK_MSG(ok, "config: %s", err);
    f->sr = ok ? stablesr_create(f->w, &f->cfg, err, sizeof err) : NULL;
    CHECK_MSG(f->sr, "stablesr_create: %s", err);
    f->x = weights_get(f->io, "x_t");
    f->context = weights_get(f->io, "context");
    f->lr = weights_get(f->io, "lr_latent");
    ts_tensor *t = weights_get(f->io, "t");
    ok = f->sr && f->x && f->context && f->lr && t && ts_numel(t) == ts_dim(f->x, 0) &&
         ts_numel(t) <= 8 && ts_to_floats(t, f->t, ts_numel(t));
    CHECK_MSG(ok, "fixture: %s", ts_last_error());
    return ok;
}

static void close_sr(sr_fixture *f) {
    stablesr_free(f->sr);
    weights_close(f->io);
    weights_close(f->w);
    ts_error_clear();
}

static double rel_diff(ts_tensor *y, ts_tensor *ref) {
    if (!y || !ref) return 1e30;
    double m = ts_max_abs(ref);
    return ts_max_abs_diff(y, ref) / (m > 0 ? m : 1);
}

static void test_struct_features(sr_fixture *f) {
    ts_scope s = ts_scope_begin();
    ts_tensor *feats[SR_ENCODER_MAX_FEATS];
    const sr_encoder *enc = stablesr_encoder(f->sr);
    bool ok = sr_encoder_forward(enc, f->lr, f->t, feats);
    CHECK_MSG(ok, "encoder forward: %s", ts_last_error());
    CHECK(sr_encoder_num_feats(enc) == 4);
    for (int k = 0; ok && k < sr_encoder_num_feats(enc); k++) {
        double d = rel_diff(feats[k], weights_getf(f->io, "struct_%d", k));
        printf("stablesr struct_%d rel diff %.3g\n", k, d);
        CHECK_MSG(d <= REL_LIMIT, "struct_%d: rel %.3g", k, d);
    }
    ts_scope_end(s);
}

static void test_eps_every_depth(sr_fixture *f) {
    const int depths = unet_num_depths(stablesr_unet(f->sr));
    CHECK(depths == 13);
    for (int d = 1; d <= depths; d++) {
        ts_scope s = ts_scope_begin();
        ts_tensor *eps = stablesr_eps(f->sr, f->x, f->t, f->context, f->lr, d);
        double diff = rel_diff(eps, weights_getf(f->io, "eps_d%02d", d));
        printf("stablesr eps_d%02d rel diff %.3g\n", d, diff);
        CHECK_MSG(diff <= REL_LIMIT, "eps_d%02d: rel %.3g (%s)", d, diff, ts_last_error());
        ts_scope_end(s);
    }
}

static void test_refusals(sr_fixture *f) {
    ts_scope s = ts_scope_begin();
    /* The plain entry point must not run a SPADE U-Net without its features. */
    ts_tensor *eps = unet_forward(stablesr_unet(f->sr), f->x, f->t, f->context, 13, NULL);
    CHECK_MSG(!eps && strstr(ts_last_error(), "needs struct features"), "got '%s'",
              ts_last_error());
    ts_error_clear();
    ts_tensor *feats[SR_ENCODER_MAX_FEATS];
    CHECK(sr_encoder_forward(stablesr_encoder(f->sr), f->lr, f->t, feats));
    /* Only the two widest maps: the blocks at width 6 find none. */
    eps = unet_forward_sft(stablesr_unet(f->sr), f->x, f->t, f->context, 13, feats, 2);
    CHECK_MSG(!eps && strstr(ts_last_error(), "width 6"), "got '%s'", ts_last_error());
    ts_error_clear();
    ts_tensor *odd = ts_narrow(f->lr, 3, 0, 23);
    CHECK(!sr_encoder_forward(stablesr_encoder(f->sr), odd, f->t, feats));
    CHECK_MSG(strstr(ts_last_error(), "multiples of 8"), "got '%s'", ts_last_error());
    ts_error_clear();
    ts_scope_end(s);
}

typedef struct count_ctx {
    int64_t params, tensors;
    const weights *w; /* when set, every listed name must be in it */
    int missing;
} count_ctx;

static void count_param(void *user, const char *name, const int64_t *shape, int ndim) {
    count_ctx *c = user;
    int64_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= shape[d];
    c->params += n;
    c->tensors++;
    if (c->w && !weights_has(c->w, name)) {
        if (!c->missing++) fprintf(stderr, "layout lists '%s', not in the file\n", name);
    }
}

static void test_tiny_layout(sr_fixture *f) {
    stablesr_config cfg = f->cfg;
    const char *hidden = weights_metadata(f->w, "spade_hidden");
    cfg.unet.spade_hidden = hidden ? atoi(hidden) : 0;
    CHECK(cfg.unet.spade_hidden == 16);
    count_ctx u = {0, 0, f->w, 0}, all = {0, 0, f->w, 0};
    char err[256] = "";
    CHECK_MSG(
        unet_params_foreach(&cfg.unet, STABLESR_UNET_PREFIX, count_param, &u, err, sizeof err),
        "%s", err);
    CHECK_MSG(u.tensors == 860, "U-Net tensors %lld", (long long)u.tensors);
    CHECK_MSG(stablesr_params_foreach(&cfg, count_param, &all, err, sizeof err), "%s", err);
    /* Every listed name is in the file and the file holds no more: nothing unbound. */
    CHECK_MSG(all.missing == 0 && all.tensors == 860 + 202 && all.tensors == weights_count(f->w),
              "missing %d, listed %lld, file %d", all.missing, (long long)all.tensors,
              weights_count(f->w));
}

static int64_t count_of(bool (*fn)(const void *, param_fn, void *, char *, size_t),
                        const void *cfg) {
    count_ctx c = {0, 0, NULL, 0};
    char err[256] = "";
    bool ok = fn(cfg, count_param, &c, err, sizeof err);
    CHECK_MSG(ok, "%s", err);
    return c.params;
}

static bool unet_list(const void *cfg, param_fn fn, void *user, char *err, size_t n) {
    return unet_params_foreach(cfg, "", fn, user, err, n);
}

static bool encoder_list(const void *cfg, param_fn fn, void *user, char *err, size_t n) {
    return sr_encoder_params_foreach(cfg, "", fn, user, err, n);
}

static bool all_list(const void *cfg, param_fn fn, void *user, char *err, size_t n) {
    return stablesr_params_foreach(cfg, fn, user, err, n);
}

static void test_full_size_count(void) {
    stablesr_config cfg;
    stablesr_config_v2_512(&cfg);
    unet_config plain = cfg.unet;
    plain.spade_channels = 0;
    const int64_t u = count_of(unet_list, &plain), sft = count_of(unet_list, &cfg.unet);
    const int64_t enc = count_of(encoder_list, &cfg.encoder), all = count_of(all_list, &cfg);
    printf("stablesr v2-512: U-Net %lld + SPADE %lld + encoder %lld = %lld parameters\n",
           (long long)u, (long long)(sft - u), (long long)enc, (long long)all);
    CHECK_MSG(u == 865910724, "U-Net %lld", (long long)u);
    CHECK_MSG(sft - u == 53020160, "SPADE %lld", (long long)(sft - u));
    CHECK_MSG(enc == 52494080, "encoder %lld", (long long)enc);
    CHECK_MSG(all == 971424964, "total %lld", (long long)all);
}

static void test_missing_tensor(sr_fixture *f) {
    /* The U-Net's tensors under the encoder's prefix: the error names the first. */
    char err[512] = "";
    sr_encoder *bad =
        sr_encoder_create(f->w, STABLESR_UNET_PREFIX, &f->cfg.encoder, err, sizeof err);
    CHECK_MSG(!bad && strstr(err, "model.diffusion_model."), "got '%s'", err);
    sr_encoder_free(bad);
}

int main(void) {
    test_full_size_count();
    sr_fixture f;
    if (open_sr(&f)) {
        test_tiny_layout(&f);
        test_struct_features(&f);
        test_eps_every_depth(&f);
        test_refusals(&f);
        test_missing_tensor(&f);
    }
    close_sr(&f);
    return CHECK_DONE();
}
