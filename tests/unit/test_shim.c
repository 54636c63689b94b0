/* The tensor shim's contract: sticky errors instead of exceptions, NULL
 * propagation, scopes that free intermediates, and ops that compute what
 * their names say (checked against plain C loops). */
#include "check.h"
#include "ts.h"

#include <math.h>
#include <string.h>

static void test_errors_are_sticky_and_propagate(void) {
    ts_error_clear();
    ts_scope s = ts_scope_begin();
    int64_t a_shape[2] = {2, 3}, b_shape[2] = {4, 5};
    ts_tensor *a = ts_zeros(a_shape, 2), *b = ts_zeros(b_shape, 2);
    ts_tensor *bad = ts_add(a, b); /* shapes do not broadcast */
    CHECK(bad == NULL);
    CHECK(ts_failed());
    CHECK(strstr(ts_last_error(), "add") != NULL);
    char first[256];
    snprintf(first, sizeof first, "%s", ts_last_error());
    CHECK(ts_relu(bad) == NULL); /* NULL in, NULL out, error unchanged */
    ts_error_set("second error");
    CHECK(strcmp(ts_last_error(), first) == 0);
    ts_scope_end(s);
    ts_error_clear();
    CHECK(!ts_failed());
    CHECK(strcmp(ts_last_error(), "") == 0);
}

static void test_scopes_free_and_keep(void) {
    ts_scope outer = ts_scope_begin();
    int64_t shape[1] = {4};
    ts_scope inner = ts_scope_begin();
    ts_tensor *x = ts_full(shape, 1, 2.0f);
    ts_tensor *y = ts_mul(x, x);
    ts_tensor *kept = ts_scope_end_keep(inner, ts_add_scalar(y, 1.0f));
    CHECK(ts_scope_begin() == outer + 1); /* only the kept tensor remains */
    float v[4];
    CHECK(ts_to_floats(kept, v, 4));
    CHECK(v[0] == 5.0f && v[3] == 5.0f);
    ts_tensor *d = ts_detach(kept);
    ts_scope_end(outer);
    CHECK(ts_to_floats(d, v, 4) && v[1] == 5.0f); /* detached survives */
    ts_free(d);
}

static void test_attention_matches_loops(void) {
    enum { B = 1, L = 3, H = 2, D = 2, C = H * D };
    float q[B * L * C], k[B * L * C], vv[B * L * C];
    for (int i = 0; i < B * L * C; i++) {
        q[i] = sinf((float)i);
        k[i] = cosf((float)i * 0.7f);
        vv[i] = (float)i / 5.0f;
    }
    ts_scope s = ts_scope_begin();
    int64_t shape[3] = {B, L, C};
    ts_tensor *o = ts_attention(ts_from_floats(q, shape, 3), ts_from_floats(k, shape, 3),
                                ts_from_floats(vv, shape, 3), H, true);
    float out[B * L * C];
    CHECK(ts_to_floats(o, out, B * L * C));
    double worst = 0;
    for (int h = 0; h < H; h++)
        for (int i = 0; i < L; i++) {
            double sc[L], m = -1e30, sum = 0;
            for (int j = 0; j <= i; j++) { /* causal: keys up to the query */
                sc[j] = 0;
                for (int e = 0; e < D; e++)
                    sc[j] += q[i * C + h * D + e] * k[j * C + h * D + e];
                sc[j] /= sqrt((double)D);
                m = fmax(m, sc[j]);
            }
            for (int j = 0; j <= i; j++)
                sum += (sc[j] = exp(sc[j] - m));
            for (int e = 0; e < D; e++) {
                double acc = 0;
                for (int j = 0; j <= i; j++)
                    acc += sc[j] / sum * vv[j * C + h * D + e];
                worst = fmax(worst, fabs(acc - out[i * C + h * D + e]));
            }
        }
    CHECK_MSG(worst < 1e-5, "attention differs by %g", worst);
    ts_scope_end(s);
}

static void test_conv_and_pad(void) {
    ts_scope s = ts_scope_begin();
    float img[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, ones[9] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
    int64_t xs[4] = {1, 1, 3, 3}, ws[4] = {1, 1, 3, 3};
    ts_tensor *y = ts_conv2d(ts_from_floats(img, xs, 4), ts_from_floats(ones, ws, 4), NULL, 1, 1);
    float out[9];
    CHECK(ts_to_floats(y, out, 9));
    CHECK(out[4] == 45.0f); /* centre sees all nine */
    CHECK(out[0] == 12.0f); /* corner: 1+2+4+5 */
    ts_tensor *p = ts_pad2d(ts_from_floats(img, xs, 4), 0, 1, 0, 1, 0.0f);
    CHECK(ts_dim(p, 2) == 4 && ts_dim(p, 3) == 4);
    ts_scope_end(s);
    CHECK(!ts_failed());
}

static void test_embedding_rejects_bad_ids(void) {
    ts_error_clear();
    ts_scope s = ts_scope_begin();
    int64_t shape[2] = {3, 2};
    int64_t ids[2] = {1, 7};
    CHECK(ts_embedding(ts_zeros(shape, 2), ids, 2) == NULL);
    CHECK(strstr(ts_last_error(), "embedding") != NULL);
    ts_scope_end(s);
    ts_error_clear();
}

int main(void) {
    ts_runtime_init();
    test_errors_are_sticky_and_propagate();
    test_scopes_free_and_keep();
    test_attention_matches_loops();
    test_conv_and_pad();
    test_embedding_rejects_bad_ids();
    return CHECK_DONE();
}
