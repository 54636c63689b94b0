/* U-Net with depth-skip against the golden fixtures: unet_tiny_v1 (SD-1
 * layout, InstructPix2Pix input, conv proj) and unet_tiny_v2 (SD-2 layout,
 * heads by width, linear proj) at every stored depth; the ControlNet residual
 * hook with cn_tiny's stored residuals at every depth; the parameter layout
 * against the files and SD-1.5's counts; clear errors for weights that do not
 * fit the config and for bad inputs; flat scope stack and concurrent calls. */
#include "check.h"
#include "unet_fixture.h"
#include "layout_check.h"
#include "unet.h"
#include "weights.h"

#include <jansson.h>
#include <pthread.h>
#include <string.h>

#define PREFIX "model.diffusion_model."
#define PASS_LIMIT 3e-5 /* README Part 3: float32 lands within 3e-6 */
#define CN_LIMIT 5e-5   /* README ControlNet: 2e-5 * max|ref| (max|eps| <= 2.5) */
#define MAX_DEPTHS 64

/* Runs one forward and returns max|eps - io[expected]| (1e30 on failure). */
static double forward_diff(const fixture *f, int depth, ts_tensor *const *control,
                           const char *expected) {
    ts_scope s = ts_scope_begin();
    ts_tensor *ref = weights_get(f->io, expected);
    const ts_scope before = ts_scope_begin();
    ts_tensor *eps = unet_forward(f->u, f->x, f->t, f->context, depth, control);
    CHECK_MSG(eps && ref && !ts_failed(), "%s: %s", expected, ts_last_error());
    /* The forward must leave exactly its result in the caller's scope. */
    CHECK_MSG(ts_scope_begin() == before + 1, "%s: scope grew by %zu", expected,
              ts_scope_begin() - before);
    double diff = 1e30;
    if (eps && ref && ts_ndim(eps) == 4 && ts_dim(eps, 1) == ts_dim(ref, 1))
        diff = ts_max_abs_diff(eps, ref);
    ts_scope_end(s);
    ts_error_clear();
    return diff;
}

/* Depths listed in the io file's __metadata__["depths"] (a JSON array). */
static int stored_depths(const weights *io, int *out) {
    const char *s = weights_metadata(io, "depths");
    json_t *arr = s ? json_loads(s, 0, NULL) : NULL;
    int n = 0;
    for (size_t i = 0; arr && i < json_array_size(arr) && n < MAX_DEPTHS; i++)
        out[n++] = (int)json_integer_value(json_array_get(arr, i));
    json_decref(arr);
    return n;
}

static void test_depths(const char *label, const fixture *f, int expect_n_depths) {
    int depths[MAX_DEPTHS];
    int nd = stored_depths(f->io, depths);
    CHECK_MSG(nd == expect_n_depths, "%s: %d stored depths, expected %d", label, nd,
              expect_n_depths);
    CHECK_MSG(unet_num_depths(f->u) == 13, "%s: %d depth levels", label, unet_num_depths(f->u));
    for (int i = 0; i < nd; i++) {
        char name[32];
        snprintf(name, sizeof name, "eps_d%02d", depths[i]);
        double diff = forward_diff(f, depths[i], NULL, name);
        printf("%s %s max|diff| %.3g (zero width %d)\n", label, name, diff,
               unet_zero_channels(f->u, depths[i]));
        CHECK_MSG(diff <= PASS_LIMIT, "%s %s: max|diff| %.3g > %.1g", label, name, diff,
                  PASS_LIMIT);
    }
}

/* ---- layout ---- */

static void test_layout(const fixture *f) {
    char err[256] = "";
    layout_check ctx = {f->w, 0, 0, 0};
    CHECK(unet_params_foreach(&f->cfg, PREFIX, layout_check_visit, &ctx, err, sizeof err));
    CHECK_MSG(ctx.mismatches == 0, "%d layout tensors differ from the file", ctx.mismatches);
    CHECK_MSG(ctx.n == weights_count(f->w), "layout lists %d tensors, file has %d", ctx.n,
              weights_count(f->w));

    unet_config sd;
    CHECK(unet_config_preset("sd15", &sd));
    layout_check count = {NULL, 0, 0, 0};
    CHECK(unet_params_foreach(&sd, PREFIX, layout_check_visit, &count, err, sizeof err));
    CHECK_MSG(count.n == 686, "SD-1.5 U-Net has %d tensors", count.n);
    CHECK_MSG(count.values == 859520964LL, "SD-1.5 U-Net has %lld values", (long long)count.values);
}

/* ---- errors ---- */

static void expect_create_error(const weights *w, const unet_config *c, const char *needle) {
    char err[512] = "";
    unet *u = unet_create(w, PREFIX, c, err, sizeof err);
    CHECK_MSG(!u && strstr(err, needle), "expected an error naming '%s', got '%s'", needle, err);
    CHECK_MSG(!ts_failed(), "create left a pending error: %s", ts_last_error());
    unet_free(u);
}

static void test_create_errors(const fixture *f) {
    unet_config c = f->cfg;
    c.transformer_depth = 2; /* the file has one block per transformer */
    expect_create_error(f->w, &c, PREFIX "input_blocks.1.1.transformer_blocks.1.attn1.to_q.weight");
    c = f->cfg;
    c.context_dim = 40; /* the file's cross-attention keys take 32 */
    expect_create_error(f->w, &c, PREFIX "input_blocks.1.1.transformer_blocks.0.attn2.to_k.weight");
    c = f->cfg;
    c.in_channels = 4; /* an SD checkpoint config on InstructPix2Pix weights */
    expect_create_error(f->w, &c, PREFIX "input_blocks.0.0.weight");
    c = f->cfg;
    c.model_channels = 48; /* not a multiple of the 32 GroupNorm groups */
    expect_create_error(f->w, &c, "model_channels");
    char err[256] = "";
    CHECK(!unet_create(f->w, "no_such_prefix.", &f->cfg, err, sizeof err) &&
          strstr(err, "no_such_prefix.time_embed.0.weight"));
}

static void expect_forward_error(const fixture *f, ts_tensor *x, ts_tensor *ctx, int depth,
                                 const char *needle) {
    ts_scope s = ts_scope_begin();
    ts_tensor *y = unet_forward(f->u, x, f->t, ctx, depth, NULL);
    CHECK_MSG(!y && strstr(ts_last_error(), needle), "expected '%s', got '%s'", needle,
              ts_last_error());
    ts_scope_end(s);
    ts_error_clear();
}

static void test_forward_errors(const fixture *f) {
    expect_forward_error(f, f->x, f->context, 0, "depth must be 1..13");
    expect_forward_error(f, f->x, f->context, 14, "depth must be 1..13");
    ts_scope s = ts_scope_begin();
    ts_tensor *half = ts_narrow(f->x, 1, 0, 4); /* 4 channels into the 8-channel IP2P U-Net */
    expect_forward_error(f, half, f->context, 13, "x must be [B, 8, H, W]");
    ts_tensor *ctx = ts_narrow(f->context, 2, 0, 16);
    expect_forward_error(f, f->x, ctx, 13, "context must be [2, L, 32]");
    /* 15 x 22: not divisible by 8 (three downsamples at depth 13) ... */
    ts_tensor *odd = ts_narrow(ts_narrow(f->x, 2, 0, 15), 3, 0, 22);
    expect_forward_error(f, odd, f->context, 13, "must be multiples of 8");
    /* ... but fine at depth 3 (input blocks 0..2 never downsample). */
    ts_tensor *y = unet_forward(f->u, odd, f->t, f->context, 3, NULL);
    CHECK_MSG(y && ts_dim(y, 2) == 15 && ts_dim(y, 3) == 22, "odd size at depth 3: %s",
              ts_last_error());
    ts_scope_end(s);
    ts_error_clear();
}

/* ---- concurrency ---- */

typedef struct thread_job {
    const fixture *f;
    int depth;
    const char *expected;
    double diff;
} thread_job;

static void *thread_main(void *arg) {
    thread_job *j = arg;
    ts_scope s = ts_scope_begin();
    ts_tensor *eps = unet_forward(j->f->u, j->f->x, j->f->t, j->f->context, j->depth, NULL);
    ts_tensor *ref = weights_get(j->f->io, j->expected);
    j->diff = eps && ref ? ts_max_abs_diff(eps, ref) : 1e30;
    ts_scope_end(s);
    return NULL;
}

static void test_threads(const fixture *f) {
    thread_job jobs[3] = {{f, 13, "eps_d13", 0}, {f, 9, "eps_d09", 0}, {f, 13, "eps_d13", 0}};
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        CHECK(pthread_create(&th[i], NULL, thread_main, &jobs[i]) == 0);
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        CHECK_MSG(jobs[i].diff <= PASS_LIMIT, "thread %d: max|diff| %.3g", i, jobs[i].diff);
    }
}

/* ---- ControlNet residual hook ---- */

static void test_control(void) {
    fixture f;
    if (!open_fixture(&f, "cn_tiny_weights.safetensors", "cn_tiny_io.safetensors")) {
        close_fixture(&f);
        return;
    }
    double d = forward_diff(&f, 13, NULL, "eps_nocontrol_d13");
    printf("cn eps_nocontrol_d13 max|diff| %.3g\n", d);
    CHECK_MSG(d <= CN_LIMIT, "eps_nocontrol_d13: %.3g", d);

    ts_scope s = ts_scope_begin();
    float scale = 0;
    ts_tensor *sc = weights_get(f.io, "control_scale");
    CHECK(sc && ts_to_floats(sc, &scale, 1) && scale > 0);
    const int n = unet_num_depths(f.u);
    ts_tensor *control[MAX_DEPTHS];
    for (int i = 0; i < n; i++)
        control[i] = ts_mul_scalar(weights_getf(f.io, "control_%02d", i), scale);
    for (int depth = 1; depth <= n; depth++) {
        char name[32];
        snprintf(name, sizeof name, "eps_d%02d", depth);
        double diff = forward_diff(&f, depth, control, name);
        printf("cn %s max|diff| %.3g\n", name, diff);
        CHECK_MSG(diff <= CN_LIMIT, "cn %s: max|diff| %.3g > %.1g", name, diff, CN_LIMIT);
    }
    /* Residuals of dropped blocks are not needed (a ControlNet may stop early). */
    control[n - 1] = NULL;
    CHECK_MSG(forward_diff(&f, 9, control, "eps_d09") <= CN_LIMIT, "NULL dropped residual");
    /* A residual of the wrong shape is an error, never a silent broadcast. */
    control[0] = ts_narrow(control[1], 1, 0, 1);
    ts_tensor *y = unet_forward(f.u, f.x, f.t, f.context, 9, control);
    CHECK_MSG(!y && strstr(ts_last_error(), "control residual 0 must be"), "got '%s'",
              ts_last_error());
    ts_error_clear();
    ts_scope_end(s);
    close_fixture(&f);
}

int main(void) {
    fixture v1, v2;
    if (open_fixture(&v1, "unet_tiny_v1.safetensors", "unet_tiny_v1_io.safetensors")) {
        test_depths("v1", &v1, 6);
        test_layout(&v1);
        test_create_errors(&v1);
        test_forward_errors(&v1);
        test_threads(&v1);
    }
    close_fixture(&v1);
    if (open_fixture(&v2, "unet_tiny_v2.safetensors", "unet_tiny_v2_io.safetensors"))
        test_depths("v2", &v2, 3);
    close_fixture(&v2);
    test_control();
    return CHECK_DONE();
}
