/* bf16 attention against fp32 attention on the same inputs: where the CPU
 * has native bf16 the mode really runs the SD U-Net's big attentions in
 * bf16 (self-attention at a 32x32 latent, cross-attention to 77 text tokens
 * at 64x64; the result differs from fp32) within ATTN_REL_LIMIT of the
 * output's scale; small ones (the text encoder's causal 77 tokens, a tiny
 * model's 16x16 latent), where oneDNN's per-call cost outweighs bf16's
 * speed, stay fp32 bit for bit, as does everything where bf16 is emulated.
 * fp32 mode gives the same bits before and after a bf16 call. */
#include "check.h"
#include "ts.h"

#include <stdint.h>
#include <stdlib.h>

/* q, k and v are rounded to bf16 (relative 2^-9 each), the scores and the
 * probabilities once more; the score rounding dominates (|score| ~ 4 gives
 * an exponent error of ~0.8 %). Measured worst case on these shapes 1.4 % of
 * max|out| (bench/README.md "bf16 attention"); the U-Net bound is 3 %. */
#define ATTN_REL_LIMIT 3e-2
/* Native bf16 must change the result visibly (fp32 runs agree exactly). */
#define ATTN_MIN_DIFF 1e-5

typedef struct shape {
    const char *name;
    int64_t lq, lk, channels;
    int heads;
    bool causal;
    bool big; /* large enough for the bf16 path */
} shape;

/* Deterministic values in [-2, 2): wide enough that the soft-max is neither
 * uniform nor one-hot. */
static ts_tensor *random_tokens(uint32_t *state, int64_t l, int64_t c) {
    float *v = malloc(sizeof(float) * (size_t)(l * c));
    for (int64_t i = 0; i < l * c; i++) {
        *state = *state * 1664525u + 1013904223u;
        v[i] = (float)(*state >> 8) / (float)(1u << 24) * 4.0f - 2.0f;
    }
    const int64_t dims[3] = {1, l, c};
    ts_tensor *t = ts_from_floats(v, dims, 3);
    free(v);
    return t;
}

static ts_tensor *attend(ts_tensor *q, ts_tensor *k, ts_tensor *v, const shape *s, bool bf16) {
    ts_set_bf16(bf16);
    ts_tensor *out = ts_attention(q, k, v, s->heads, s->causal);
    ts_set_bf16(false);
    return out;
}

static void test_shape(const shape *s) {
    ts_scope scope = ts_scope_begin();
    uint32_t state = 12345u + (uint32_t)s->lq;
    ts_tensor *q = random_tokens(&state, s->lq, s->channels);
    ts_tensor *k = random_tokens(&state, s->lk, s->channels);
    ts_tensor *v = random_tokens(&state, s->lk, s->channels);
    ts_tensor *f32 = attend(q, k, v, s, false);
    ts_tensor *low = attend(q, k, v, s, true);
    ts_tensor *again = attend(q, k, v, s, false);
    CHECK_MSG(f32 && low && again && !ts_failed(), "%s: %s", s->name, ts_last_error());
    if (f32 && low && again) {
        const double diff = ts_max_abs_diff(low, f32), scale = ts_max_abs(f32);
        printf("%s: bf16 vs fp32 max abs %.3g (%.3g of max|out| %.3g)\n", s->name, diff,
               diff / scale, scale);
        CHECK_MSG(ts_max_abs_diff(again, f32) == 0.0, "%s: fp32 changed after a bf16 call",
                  s->name);
        if (ts_bf16_native() && s->big) {
            CHECK_MSG(diff / scale <= ATTN_REL_LIMIT, "%s: bf16 error %.3g of max|out| > %.3g",
                      s->name, diff / scale, ATTN_REL_LIMIT);
            CHECK_MSG(diff >= ATTN_MIN_DIFF, "%s: bf16 equals fp32 (%.3g): not bf16?", s->name,
                      diff);
        } else {
            CHECK_MSG(diff == 0.0, "%s: expected fp32 attention here (%s), got %.3g off", s->name,
                      ts_bf16_native() ? "small" : "emulated", diff);
        }
    }
    ts_scope_end(scope);
    ts_error_clear();
}

int main(void) {
    ts_runtime_init();
    printf("bf16 kernels: %s\n", ts_bf16_native() ? "native (oneDNN)" : "emulated (fp32 maths)");
    const shape shapes[] = {
        {"self 32x32 latent, 320 ch, 8 heads", 1024, 1024, 320, 8, false, true},
        {"cross 64x64 latent to 77 tokens, 640 ch, 8 heads", 4096, 77, 640, 8, false, true},
        {"causal text, 77 tokens, 768 ch, 12 heads", 77, 77, 768, 12, true, false},
        {"self 16x16 latent, 64 ch, 2 heads (tiny)", 256, 256, 64, 2, false, false},
    };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        test_shape(&shapes[i]);
    return CHECK_DONE();
}
