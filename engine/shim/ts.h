/* Tensor shim: a plain C API over libtorch (ATen), fp32 on CPU.
 *
 * Error model (sticky, per thread): an op that fails records the first error
 * message and returns NULL; an op given a NULL input returns NULL and leaves
 * the recorded error alone. Graph code can therefore chain ops freely and
 * check ts_failed() once at the end. No C++ exception ever crosses this API.
 *
 * Lifetime model (scopes): every tensor an op returns is registered in the
 * calling thread's scope stack. ts_scope_end() frees everything created since
 * the matching ts_scope_begin(); ts_scope_end_keep() frees everything but one
 * tensor, which moves to the enclosing scope. Long-lived tensors (weights,
 * state kept across calls) are taken out of scopes with ts_detach() and
 * released with ts_free(). */
#ifndef I2I_TS_H
#define I2I_TS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TS_MAX_DIMS 8

typedef struct ts_tensor ts_tensor;
typedef size_t ts_scope;

/* ---- errors ---- */
bool ts_failed(void);
const char *ts_last_error(void); /* "" when no error */
void ts_error_clear(void);
/* Records an error from C code (first one wins), e.g. a missing weight. */
void ts_error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- runtime ---- */
/* Process-wide allocator tuning; call once from main() before any work.
 * Also reads I2I_BF16: "1" or "true" turns bf16 mode on by default. */
void ts_runtime_init(void);
void ts_set_num_threads(int n); /* intra-op threads; n < 1 leaves it unchanged */
int ts_get_num_threads(void);
/* bf16 compute for conv/linear/matmul (opt-in; default fp32). Per thread;
 * a thread that never calls it follows the process default. Weights are
 * converted once (cached with their detached handle), activations per op;
 * where oneDNN has bf16 kernels attention runs in bf16 too (soft-max maths in
 * fp32); norms and element-wise ops stay fp32. Where oneDNN has no bf16
 * kernels (CPUs without AVX-512) the mode is emulated: operands and results
 * are rounded to bf16 and the maths runs in fp32 -- bf16's error, fp32's
 * speed. Measured error: bench/README.md. */
void ts_set_bf16(bool on);
bool ts_get_bf16(void);
void ts_set_bf16_default(bool on); /* process default, e.g. from a bundle/worker setting */
bool ts_bf16_native(void);         /* true where bf16 runs on oneDNN's bf16 kernels */

/* ---- scopes ---- */
ts_scope ts_scope_begin(void);
void ts_scope_end(ts_scope s);
ts_tensor *ts_scope_end_keep(ts_scope s, ts_tensor *keep);
ts_tensor *ts_detach(ts_tensor *t); /* caller owns the result: ts_free() */
void ts_free(ts_tensor *t);         /* detached tensors only; NULL is fine */

/* ---- creation (float32) ---- */
ts_tensor *ts_from_floats(const float *data, const int64_t *shape, int ndim); /* copies */
/* Zero-copy view of external memory; release(ctx) runs when the last
 * reference goes away (release may be NULL). */
ts_tensor *ts_wrap_floats(float *data, const int64_t *shape, int ndim, void (*release)(void *),
                          void *ctx);
ts_tensor *ts_from_f16(const uint16_t *data, const int64_t *shape, int ndim);  /* converts */
ts_tensor *ts_from_bf16(const uint16_t *data, const int64_t *shape, int ndim); /* converts */
ts_tensor *ts_zeros(const int64_t *shape, int ndim);
ts_tensor *ts_full(const int64_t *shape, int ndim, float value);
ts_tensor *ts_arange(int64_t n); /* 0..n-1 as float */

/* ---- inspection ---- */
int ts_ndim(const ts_tensor *t);
int64_t ts_dim(const ts_tensor *t, int d); /* negative d counts from the end */
int64_t ts_numel(const ts_tensor *t);
/* Copies the values (C order) into out, which holds n floats; false on error. */
bool ts_to_floats(const ts_tensor *t, float *out, int64_t n);
double ts_max_abs(const ts_tensor *t);
double ts_max_abs_diff(const ts_tensor *a, const ts_tensor *b);

/* ---- element-wise (broadcasting) ---- */
ts_tensor *ts_add(ts_tensor *a, ts_tensor *b);
ts_tensor *ts_sub(ts_tensor *a, ts_tensor *b);
ts_tensor *ts_mul(ts_tensor *a, ts_tensor *b);
ts_tensor *ts_div(ts_tensor *a, ts_tensor *b);
ts_tensor *ts_add_scaled(ts_tensor *a, ts_tensor *b, float alpha); /* a + alpha*b */
ts_tensor *ts_add_scalar(ts_tensor *a, float s);
ts_tensor *ts_mul_scalar(ts_tensor *a, float s);
ts_tensor *ts_silu(ts_tensor *a);
ts_tensor *ts_gelu(ts_tensor *a);       /* exact (erf) GELU */
ts_tensor *ts_quick_gelu(ts_tensor *a); /* x * sigmoid(1.702 x) */
ts_tensor *ts_sigmoid(ts_tensor *a);
ts_tensor *ts_relu(ts_tensor *a);
ts_tensor *ts_exp(ts_tensor *a);
ts_tensor *ts_sqrt(ts_tensor *a);
ts_tensor *ts_sin(ts_tensor *a);
ts_tensor *ts_cos(ts_tensor *a);
ts_tensor *ts_clamp(ts_tensor *a, float lo, float hi);
ts_tensor *ts_softmax(ts_tensor *a, int dim);

/* ---- shape ---- */
ts_tensor *ts_reshape(ts_tensor *a, const int64_t *shape, int ndim); /* one -1 allowed */
ts_tensor *ts_permute(ts_tensor *a, const int64_t *dims, int ndim);
ts_tensor *ts_transpose(ts_tensor *a, int d0, int d1);
ts_tensor *ts_contiguous(ts_tensor *a);
ts_tensor *ts_narrow(ts_tensor *a, int dim, int64_t start, int64_t length);
ts_tensor *ts_cat(ts_tensor *const *parts, int n, int dim);
ts_tensor *ts_pad2d(ts_tensor *a, int left, int right, int top, int bottom, float value);
ts_tensor *ts_upsample_nearest2x(ts_tensor *a); /* NCHW */
/* Rows of table [V, D] picked by ids (n of them) -> [n, D]. */
ts_tensor *ts_embedding(ts_tensor *table, const int64_t *ids, int64_t n);

/* ---- linear algebra and layers ---- */
ts_tensor *ts_matmul(ts_tensor *a, ts_tensor *b);
/* y = x W^T + b over the last dim; W [out, in]; bias may be NULL (none). */
ts_tensor *ts_linear(ts_tensor *x, ts_tensor *w, ts_tensor *bias);
/* NCHW conv, square stride/padding; bias may be NULL. */
ts_tensor *ts_conv2d(ts_tensor *x, ts_tensor *w, ts_tensor *bias, int stride, int padding);
ts_tensor *ts_group_norm(ts_tensor *x, int groups, ts_tensor *w, ts_tensor *b, double eps);
ts_tensor *ts_layer_norm(ts_tensor *x, ts_tensor *w, ts_tensor *b, double eps); /* last dim */
/* Multi-head attention on token tensors: q [B, Lq, H*d], k and v [B, Lk, H*d];
 * heads are contiguous d-wide slices of the channels; scale 1/sqrt(d);
 * causal masks keys after the query. Returns [B, Lq, H*d]. */
ts_tensor *ts_attention(ts_tensor *q, ts_tensor *k, ts_tensor *v, int heads, bool causal);

/* ---- weight forms (issue 10: one resident copy per weight) ----
 * Called at load, before the weight is shared between threads. The calling
 * thread's mode (ts_get_bf16) picks the form, which becomes the handle's
 * only copy: the plain fp32 values are released (their storage's release
 * callback runs). Later calls in the other mode still work: an fp32 op on
 * a bf16 weight widens it per call, a bf16 op on an fp32 weight caches a
 * bf16 form beside it. Prepared weights, temporaries (non-detached) and
 * NULL-free calls on unsuitable tensors are left as they are (true). */
/* Conv weight [O, I, k, k] to oneDNN's blocked layout for this stride and
 * padding (bf16 mode: blocked bf16, or bf16-rounded fp32 where emulated). */
bool ts_weight_prepare_conv(ts_tensor *w, int stride, int padding);
/* Linear / matmul weight: in bf16 mode converted to bf16 once (rounded fp32
 * where emulated); in fp32 mode nothing changes (it stays zero-copy). */
bool ts_weight_prepare_linear(ts_tensor *w);
/* Bytes the handle keeps alive: its tensor (mapped or owned) plus any
 * cached kernel forms. */
size_t ts_resident_bytes(const ts_tensor *t);
bool ts_is_bf16(const ts_tensor *t);   /* values are bf16 (native or rounded) */
bool ts_is_packed(const ts_tensor *t); /* held in oneDNN's blocked layout */

#ifdef __cplusplus
}
#endif
#endif
