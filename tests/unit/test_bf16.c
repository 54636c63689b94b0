/* bf16 mode of the shim on the golden U-Net fixtures (unet_tiny_v1 and v2):
 * its error against the float64 reference stays within BF16_REL_LIMIT of the
 * output's scale while clearly differing from fp32 (so the mode is really
 * on); fp32 mode is unaffected before and after bf16 calls (the weight
 * caches of the two modes are separate); the mode is per thread, and the
 * process default comes from I2I_BF16 via ts_runtime_init. */
#include "check.h"
#include "unet_fixture.h"
#include "unet.h"
#include "weights.h"

#include <jansson.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define PREFIX "model.diffusion_model."
#define FP32_LIMIT 3e-5 /* golden README Part 3 */
/* bf16 keeps 8 significant bits (relative rounding 2^-9 = 0.2 %); through
 * the rounded conv/linear layers of the tiny U-Nets the measured worst case
 * is 1.9 % of max|eps| (0.039 absolute, v1 D9; bench/README.md). */
#define BF16_REL_LIMIT 3e-2
/* bf16 must visibly change the result: fp32 lands within 3e-6. */
#define BF16_MIN_DIFF 1e-4

typedef struct result {
    double diff;    /* max |eps - reference| */
    double ref_max; /* max |reference| */
} result;

static result run(const fixture *f, int depth, bool bf16) {
    char name[32];
    snprintf(name, sizeof name, "eps_d%02d", depth);
    result r = {1e30, 0};
    ts_set_bf16(bf16);
    ts_scope s = ts_scope_begin();
    ts_tensor *ref = weights_get(f->io, name);
    ts_tensor *eps = unet_forward(f->u, f->x, f->t, f->context, depth, NULL);
    CHECK_MSG(eps && ref && !ts_failed(), "%s (%s): %s", name, bf16 ? "bf16" : "fp32",
              ts_last_error());
    if (eps && ref) {
        r.diff = ts_max_abs_diff(eps, ref);
        r.ref_max = ts_max_abs(ref);
    }
    ts_scope_end(s);
    ts_error_clear();
    ts_set_bf16(false);
    return r;
}

static int first_depths(const weights *io, int *out, int max) {
    const char *s = weights_metadata(io, "depths");
    json_t *arr = s ? json_loads(s, 0, NULL) : NULL;
    int n = 0;
    for (size_t i = 0; arr && i < json_array_size(arr) && n < max; i++)
        out[n++] = (int)json_integer_value(json_array_get(arr, i));
    json_decref(arr);
    return n;
}

static void test_fixture(const char *wname, const char *ioname) {
    fixture f;
    if (!open_fixture(&f, wname, ioname)) {
        close_fixture(&f);
        return;
    }
    int depths[16];
    const int nd = first_depths(f.io, depths, 16);
    CHECK_MSG(nd > 0, "%s: no stored depths", ioname);
    for (int i = 0; i < nd; i++) {
        const result before = run(&f, depths[i], false);
        const result low = run(&f, depths[i], true);
        const result after = run(&f, depths[i], false);
        const double rel = low.diff / (low.ref_max > 0 ? low.ref_max : 1);
        printf("%s D%02d: fp32 %.3g, bf16 %.3g (%.3g of max|eps| %.3g), fp32 again %.3g\n", wname,
               depths[i], before.diff, low.diff, rel, low.ref_max, after.diff);
        CHECK_MSG(before.diff <= FP32_LIMIT && after.diff <= FP32_LIMIT,
                  "%s D%d: fp32 off (%.3g before, %.3g after bf16)", wname, depths[i], before.diff,
                  after.diff);
        CHECK_MSG(rel <= BF16_REL_LIMIT, "%s D%d: bf16 error %.3g of max|eps| > %.3g", wname,
                  depths[i], rel, BF16_REL_LIMIT);
        CHECK_MSG(low.diff >= BF16_MIN_DIFF, "%s D%d: bf16 result equals fp32 (%.3g): mode off?",
                  wname, depths[i], low.diff);
    }
    close_fixture(&f);
}

static void *read_mode(void *out) {
    *(bool *)out = ts_get_bf16();
    return NULL;
}

static bool mode_in_new_thread(void) {
    pthread_t th;
    bool mode = false;
    CHECK(pthread_create(&th, NULL, read_mode, &mode) == 0);
    pthread_join(th, NULL);
    return mode;
}

static void test_switches(void) {
    ts_set_bf16(true);
    CHECK(ts_get_bf16());
    CHECK_MSG(!mode_in_new_thread(), "ts_set_bf16 leaked into another thread");
    ts_set_bf16(false);
    CHECK(!ts_get_bf16());

    setenv("I2I_BF16", "1", 1);
    ts_runtime_init();
    CHECK_MSG(mode_in_new_thread(), "I2I_BF16=1 did not set the process default");
    CHECK_MSG(!ts_get_bf16(), "a thread that chose fp32 must keep it");
    ts_set_bf16_default(false);
    unsetenv("I2I_BF16");
    CHECK(!mode_in_new_thread());
}

int main(void) {
    ts_runtime_init();
    printf("bf16 kernels: %s\n", ts_bf16_native() ? "native (oneDNN)" : "emulated (fp32 maths)");
    test_switches();
    test_fixture("unet_tiny_v1.safetensors", "unet_tiny_v1_io.safetensors");
    test_fixture("unet_tiny_v2.safetensors", "unet_tiny_v2_io.safetensors");
    return CHECK_DONE();
}
