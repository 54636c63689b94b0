/* ControlNet against cn_tiny (tests/golden/README.md "cn_tiny"): the 13
 * residuals c_k of the full branch, then ControlNet + U-Net eps at every
 * depth 1..13 with the branch stopped after block D-1; the layout against
 * the file and cldm_v15's parameter count; clear errors for a bad hint. */
#include "check.h"
#include "controlnet.h"
#include "unet_fixture.h"

#include <string.h>

#define CN_PREFIX "control_model."
#define REL_LIMIT 2e-5 /* README: max|y - ref| <= 2e-5 * max|ref| per tensor */

typedef struct cn_fixture {
    fixture f; /* U-Net, io tensors, x_t, t, context */
    controlnet_config cfg;
    controlnet *cn;
    ts_tensor *hint;
    float scale;
} cn_fixture;

static bool open_cn(cn_fixture *c) {
    memset(c, 0, sizeof *c);
    if (!open_fixture(&c->f, "cn_tiny_weights.safetensors", "cn_tiny_io.safetensors")) return false;
    char err[512] = "";
    const char *json = weights_metadata(c->f.w, "config");
    bool ok = controlnet_config_from_json(json, &c->cfg, err, sizeof err);
    CHECK_MSG(ok, "config: %s", err);
    c->cn = ok ? controlnet_create(c->f.w, CN_PREFIX, &c->cfg, err, sizeof err) : NULL;
    CHECK_MSG(c->cn, "controlnet_create: %s", err);
    c->hint = weights_get(c->f.io, "hint");
    ts_tensor *sc = weights_get(c->f.io, "control_scale");
    ok = c->cn && c->hint && sc && ts_to_floats(sc, &c->scale, 1);
    CHECK_MSG(ok, "fixture: %s", ts_last_error());
    return ok;
}

static void close_cn(cn_fixture *c) {
    controlnet_free(c->cn);
    close_fixture(&c->f);
}

static double rel_diff(ts_tensor *y, ts_tensor *ref) {
    if (!y || !ref) return 1e30;
    double m = ts_max_abs(ref);
    return ts_max_abs_diff(y, ref) / (m > 0 ? m : 1);
}

static void test_residuals(cn_fixture *c) {
    ts_scope s = ts_scope_begin();
    ts_tensor *res[UNET_MAX_INPUT_BLOCKS + 1];
    const int n = unet_num_depths(c->f.u) - 1;
    bool ok = controlnet_forward(c->cn, c->f.x, c->hint, c->f.t, c->f.context, n + 1, 1.0f, res);
    CHECK_MSG(ok, "forward: %s", ts_last_error());
    double worst = 0;
    for (int k = 0; ok && k <= n; k++) {
        double d = rel_diff(res[k], weights_getf(c->f.io, "control_%02d", k));
        worst = d > worst ? d : worst;
        CHECK_MSG(d <= REL_LIMIT, "control_%02d: rel %.3g", k, d);
    }
    printf("controlnet residuals c_00..c_%02d worst rel diff %.3g\n", n, worst);
    ts_scope_end(s);
}

static void test_eps_every_depth(cn_fixture *c) {
    const int depths = unet_num_depths(c->f.u);
    for (int d = 1; d <= depths; d++) {
        ts_scope s = ts_scope_begin();
        ts_tensor *res[UNET_MAX_INPUT_BLOCKS + 1];
        bool ok =
            controlnet_forward(c->cn, c->f.x, c->hint, c->f.t, c->f.context, d, c->scale, res);
        /* Only what depth d uses is computed. */
        for (int k = 0; ok && k < depths - 1; k++)
            CHECK_MSG((res[k] != NULL) == (k < d), "depth %d residual %d", d, k);
        CHECK_MSG(ok && (res[depths - 1] != NULL) == (d == depths), "depth %d middle", d);
        ts_tensor *eps = ok ? unet_forward(c->f.u, c->f.x, c->f.t, c->f.context, d, res) : NULL;
        double diff = rel_diff(eps, weights_getf(c->f.io, "eps_d%02d", d));
        printf("controlnet eps_d%02d rel diff %.3g\n", d, diff);
        CHECK_MSG(diff <= REL_LIMIT, "eps_d%02d: rel %.3g (%s)", d, diff, ts_last_error());
        ts_scope_end(s);
    }
}

static void count_param(void *user, const char *name, const int64_t *shape, int ndim) {
    (void)name;
    int64_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= shape[d];
    ((int64_t *)user)[0] += n;
    ((int64_t *)user)[1]++;
}

static void test_layout_counts(void) {
    controlnet_config cfg;
    controlnet_config_cldm_v15(&cfg);
    int64_t acc[2] = {0, 0};
    char err[256];
    CHECK(controlnet_params_foreach(&cfg, CN_PREFIX, count_param, acc, err, sizeof err));
    printf("cldm_v15 controlnet: %lld tensors, %lld parameters\n", (long long)acc[1],
           (long long)acc[0]);
    CHECK_MSG(acc[0] == 361279120, "parameters %lld", (long long)acc[0]);
    CHECK_MSG(acc[1] == 340, "tensors %lld", (long long)acc[1]);
}

static void test_bad_hint(cn_fixture *c) {
    ts_scope s = ts_scope_begin();
    ts_tensor *res[UNET_MAX_INPUT_BLOCKS + 1];
    ts_tensor *half = ts_narrow(c->hint, 2, 0, ts_dim(c->hint, 2) / 2);
    bool ok = controlnet_forward(c->cn, c->f.x, half, c->f.t, c->f.context, 9, 1.0f, res);
    CHECK_MSG(!ok && strstr(ts_last_error(), "hint must be"), "got '%s'", ts_last_error());
    ts_error_clear();
    ok = controlnet_forward(c->cn, c->f.x, c->hint, c->f.t, c->f.context, 14, 1.0f, res);
    CHECK_MSG(!ok && strstr(ts_last_error(), "depth must be"), "got '%s'", ts_last_error());
    ts_error_clear();
    ts_scope_end(s);
}

static void test_missing_tensor(cn_fixture *c) {
    /* The U-Net's prefix has no hint block: the error names the first missing tensor. */
    char err[512] = "";
    controlnet *bad = controlnet_create(c->f.w, "model.diffusion_model.", &c->cfg, err, sizeof err);
    CHECK_MSG(!bad && strstr(err, "input_hint_block"), "got '%s'", err);
    controlnet_free(bad);
}

int main(void) {
    test_layout_counts();
    cn_fixture c;
    if (open_cn(&c)) {
        test_residuals(&c);
        test_eps_every_depth(&c);
        test_bad_hint(&c);
        test_missing_tensor(&c);
    }
    close_cn(&c);
    return CHECK_DONE();
}
