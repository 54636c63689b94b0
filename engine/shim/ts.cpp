// Tensor shim implementation: every entry point catches C++ exceptions and
// turns them into the sticky per-thread error of ts.h. The C side only ever
// sees opaque handles.
#include "ts.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <malloc.h>
#include <map>
#include <mutex>
#include <string>
#include <vector>

// Forms of a weight derived once and kept with its handle (detached handles
// only: weights live as long as their store, activations are used once).
enum ts_cache_kind {
    CACHE_CONV_F32,    // oneDNN-blocked fp32 conv weight
    CACHE_CONV_BF16,   // oneDNN-blocked bf16 (or bf16-rounded fp32) conv weight
    CACHE_LINEAR_BF16, // bf16 (or bf16-rounded fp32) linear/matmul operand
    CACHE_BIAS_BF16,   // bias in the dtype the bf16 path computes in
    CACHE_KINDS
};

struct ts_tensor {
    at::Tensor t;
    bool detached;
    // Set by ts_weight_prepare_* in bf16 mode: t holds bf16 values (bf16
    // dtype where native, bf16-rounded fp32 where emulated), and it is the
    // only copy -- the fp32 original was released.
    bool lowp = false;
    std::atomic<at::Tensor *> cache[CACHE_KINDS];

    ts_tensor(at::Tensor v, bool d) : t(std::move(v)), detached(d) {
        for (auto &c : cache)
            c.store(nullptr, std::memory_order_relaxed);
    }
    ~ts_tensor() {
        for (auto &c : cache)
            delete c.load(std::memory_order_relaxed);
    }
    ts_tensor(const ts_tensor &) = delete;
    ts_tensor &operator=(const ts_tensor &) = delete;
};

namespace {

thread_local std::string g_error;
thread_local bool g_failed = false;
// bf16 switch: per thread once set, else the process default (I2I_BF16).
std::atomic<bool> g_bf16_default{false};
thread_local int g_bf16 = -1; // -1: follow the default
std::mutex g_cache_mutex;     // serialises the (one-time) creation of cached weight forms
// Handles created by ops, newest last; a scope is an index into it.
thread_local std::vector<ts_tensor *> g_scope_stack;

void set_error(const char *msg) {
    if (g_failed) return;
    g_failed = true;
    g_error = msg;
}

ts_tensor *reg(at::Tensor t) {
    auto *h = new ts_tensor(std::move(t), false);
    g_scope_stack.push_back(h);
    return h;
}

// Runs f (returning at::Tensor) and registers the result; exceptions become
// the sticky error. The first line of a c10 message is the useful part.
// Optional per-op timing for performance work (I2I_SHIM_PROFILE=1): wall
// seconds and calls per op name, printed to stderr at exit. Off by default;
// then it costs one predictable branch per op.
struct op_stat {
    double seconds = 0;
    long calls = 0;
};
std::mutex g_profile_mutex;
std::map<std::string, op_stat> *g_profile = nullptr;

void print_profile() {
    std::lock_guard<std::mutex> lock(g_profile_mutex);
    double total = 0;
    for (auto &kv : *g_profile)
        total += kv.second.seconds;
    std::fprintf(stderr, "shim profile (wall s per op, %.2f s in all):\n", total);
    for (auto &kv : *g_profile)
        std::fprintf(stderr, "  %-20s %8.3f s %6.1f%% %8ld calls\n", kv.first.c_str(),
                     kv.second.seconds, 100.0 * kv.second.seconds / (total > 0 ? total : 1),
                     kv.second.calls);
}

void profile_add(const char *op, std::chrono::steady_clock::time_point t0) {
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::lock_guard<std::mutex> lock(g_profile_mutex);
    op_stat &st = (*g_profile)[op];
    st.seconds += dt;
    st.calls++;
}

template <class F> ts_tensor *guard(const char *op, F &&f) {
    try {
        if (g_profile) {
            const auto t0 = std::chrono::steady_clock::now();
            ts_tensor *r = reg(f());
            profile_add(op, t0);
            return r;
        }
        return reg(f());
    } catch (const std::exception &e) {
        std::string msg = std::string(op) + ": " + e.what();
        auto nl = msg.find('\n');
        if (nl != std::string::npos) msg.resize(nl);
        set_error(msg.c_str());
    } catch (...) {
        set_error((std::string(op) + ": unknown C++ exception").c_str());
    }
    return nullptr;
}

std::vector<int64_t> dims_of(const int64_t *shape, int ndim) {
    return std::vector<int64_t>(shape, shape + ndim);
}

at::Tensor opt(const ts_tensor *t) {
    return t ? t->t : at::Tensor();
}

bool bf16_on() {
    return g_bf16 < 0 ? g_bf16_default.load(std::memory_order_relaxed) : g_bf16 != 0;
}

// oneDNN runs bf16 convolutions and matmuls only on AVX-512 CPUs (the same
// test ATen applies; AVX512-BF16 makes them fast). Elsewhere ATen's bf16
// fallbacks are far slower than fp32, so bf16 mode is emulated instead: the
// operands and results are rounded to bf16 and the maths runs in fp32, which
// reproduces bf16's error without its cost.
bool bf16_native_probe() {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl") &&
           __builtin_cpu_supports("avx512dq") && at::hasMKLDNN();
}
bool bf16_native() {
    static const bool native = bf16_native_probe();
    return native;
}

// Operand for the bf16 path: bf16 where native, else fp32 rounded to bf16.
at::Tensor to_lowp(const at::Tensor &t) {
    if (!t.defined()) return t;
    at::Tensor b = t.to(at::kBFloat16);
    return bf16_native() ? b : b.to(at::kFloat);
}
// Result of the bf16 path as fp32 (rounded through bf16 when emulated, as a
// native bf16 op would have rounded it).
at::Tensor from_lowp(const at::Tensor &t) {
    if (t.scalar_type() == at::kFloat)
        return bf16_native() ? t : t.to(at::kBFloat16).to(at::kFloat);
    return t.to(at::kFloat);
}

// The cached form `kind` of weight w, made once by make(); other handles
// (temporaries) get make()'s result directly. Creation is serialised, reads
// are lock-free, so many threads can share one weight store.
template <class F> const at::Tensor cached(ts_tensor *w, ts_cache_kind kind, F &&make) {
    if (!w->detached) return make();
    at::Tensor *p = w->cache[kind].load(std::memory_order_acquire);
    if (p) return *p;
    std::lock_guard<std::mutex> lock(g_cache_mutex);
    p = w->cache[kind].load(std::memory_order_acquire);
    if (!p) {
        p = new at::Tensor(make());
        w->cache[kind].store(p, std::memory_order_release);
    }
    return *p;
}

at::Tensor lowp_weight(ts_tensor *w, ts_cache_kind kind) {
    if (!w) return at::Tensor();
    if (w->lowp) return w->t;
    return cached(w, kind, [&] { return to_lowp(w->t.contiguous()); });
}

// Operand of an fp32 op: a weight prepared for bf16 is widened per call (the
// store's load-time mode decides the one resident form; an fp32 call on a
// bf16 store pays a conversion instead of keeping a second copy).
at::Tensor as_f32(const at::Tensor &t) {
    return t.scalar_type() == at::kFloat ? t : t.to(at::kFloat);
}

// Plain strided values of t; a weight held in oneDNN's blocked layout is
// reordered back into a temporary (tools and tests reading a packed weight).
at::Tensor dense(const at::Tensor &t) {
    return t.is_mkldnn() ? t.to_dense() : t;
}

bool bad_dims(int ndim) {
    if (ndim < 0 || ndim > TS_MAX_DIMS) {
        set_error("tensor rank out of range");
        return true;
    }
    return false;
}

} // namespace

#define NEED1(a)                                                                                   \
    if (!(a)) return nullptr
#define NEED2(a, b)                                                                                \
    if (!(a) || !(b)) return nullptr
#define NEED3(a, b, c)                                                                             \
    if (!(a) || !(b) || !(c)) return nullptr

extern "C" {

bool ts_failed(void) {
    return g_failed;
}
const char *ts_last_error(void) {
    return g_failed ? g_error.c_str() : "";
}
void ts_error_clear(void) {
    g_failed = false;
    g_error.clear();
}
void ts_error_set(const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    set_error(buf);
}

void ts_set_num_threads(int n) {
    if (n >= 1) at::set_num_threads(n);
}
int ts_get_num_threads(void) {
    return at::get_num_threads();
}
void ts_set_bf16(bool on) {
    g_bf16 = on ? 1 : 0;
}
bool ts_get_bf16(void) {
    return bf16_on();
}
void ts_set_bf16_default(bool on) {
    g_bf16_default.store(on);
}
bool ts_bf16_native(void) {
    return bf16_native();
}

void ts_runtime_init(void) {
    // glibc hands large activation buffers back to the kernel after every
    // free and page-faults them in again on the next call; at 512 px that
    // costs more than the maths. Keep big blocks in the heap instead.
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_ARENA_MAX, 8);
    // Deployment switch for the opt-in bf16 mode (threads that call
    // ts_set_bf16 themselves keep their own choice).
    const char *prof = std::getenv("I2I_SHIM_PROFILE");
    if (prof && !std::strcmp(prof, "1") && !g_profile) {
        g_profile = new std::map<std::string, op_stat>();
        std::atexit(print_profile);
    }
    const char *bf16 = std::getenv("I2I_BF16");
    if (bf16 && (!std::strcmp(bf16, "1") || !std::strcmp(bf16, "true"))) g_bf16_default.store(true);
}

ts_scope ts_scope_begin(void) {
    return g_scope_stack.size();
}

void ts_scope_end(ts_scope s) {
    while (g_scope_stack.size() > s) {
        delete g_scope_stack.back();
        g_scope_stack.pop_back();
    }
}

ts_tensor *ts_scope_end_keep(ts_scope s, ts_tensor *keep) {
    at::Tensor kept = keep ? keep->t : at::Tensor();
    ts_scope_end(s);
    if (!keep) return nullptr;
    return reg(std::move(kept));
}

ts_tensor *ts_detach(ts_tensor *t) {
    NEED1(t);
    return new ts_tensor(t->t, true);
}

void ts_free(ts_tensor *t) {
    if (t && t->detached) delete t;
}

ts_tensor *ts_from_floats(const float *data, const int64_t *shape, int ndim) {
    if (bad_dims(ndim)) return nullptr;
    return guard("from_floats", [&] {
        return at::from_blob(const_cast<float *>(data), dims_of(shape, ndim), at::kFloat).clone();
    });
}

ts_tensor *ts_wrap_floats(float *data, const int64_t *shape, int ndim, void (*release)(void *),
                          void *ctx) {
    if (bad_dims(ndim)) return nullptr;
    return guard("wrap_floats", [&] {
        auto deleter = [release, ctx](void *) {
            if (release) release(ctx);
        };
        return at::from_blob(data, dims_of(shape, ndim), deleter,
                             at::TensorOptions().dtype(at::kFloat));
    });
}

static ts_tensor *from_half(const uint16_t *data, const int64_t *shape, int ndim,
                            at::ScalarType type) {
    if (bad_dims(ndim)) return nullptr;
    return guard("from_half", [&] {
        return at::from_blob(const_cast<uint16_t *>(data), dims_of(shape, ndim), type)
            .to(at::kFloat);
    });
}
ts_tensor *ts_from_f16(const uint16_t *data, const int64_t *shape, int ndim) {
    return from_half(data, shape, ndim, at::kHalf);
}
ts_tensor *ts_from_bf16(const uint16_t *data, const int64_t *shape, int ndim) {
    return from_half(data, shape, ndim, at::kBFloat16);
}

ts_tensor *ts_zeros(const int64_t *shape, int ndim) {
    if (bad_dims(ndim)) return nullptr;
    return guard("zeros", [&] { return at::zeros(dims_of(shape, ndim), at::kFloat); });
}
ts_tensor *ts_full(const int64_t *shape, int ndim, float value) {
    if (bad_dims(ndim)) return nullptr;
    return guard("full", [&] { return at::full(dims_of(shape, ndim), value, at::kFloat); });
}
ts_tensor *ts_arange(int64_t n) {
    return guard("arange", [&] { return at::arange(n, at::kFloat); });
}

int ts_ndim(const ts_tensor *t) {
    return t ? (int)t->t.dim() : 0;
}
int64_t ts_dim(const ts_tensor *t, int d) {
    if (!t) return 0;
    int nd = (int)t->t.dim();
    if (d < 0) d += nd;
    return d >= 0 && d < nd ? t->t.size(d) : 0;
}
int64_t ts_numel(const ts_tensor *t) {
    return t ? t->t.numel() : 0;
}

bool ts_to_floats(const ts_tensor *t, float *out, int64_t n) {
    if (!t) return false;
    try {
        at::Tensor c = dense(t->t).to(at::kFloat).contiguous();
        if (c.numel() != n) {
            ts_error_set("to_floats: tensor has %lld values, buffer %lld", (long long)c.numel(),
                         (long long)n);
            return false;
        }
        std::memcpy(out, c.data_ptr<float>(), sizeof(float) * (size_t)n);
        return true;
    } catch (const std::exception &e) {
        set_error(e.what());
        return false;
    }
}

double ts_max_abs(const ts_tensor *t) {
    if (!t) return NAN;
    try {
        return t->t.numel() ? dense(t->t).abs().max().item<double>() : 0.0;
    } catch (const std::exception &e) {
        set_error(e.what());
        return NAN;
    }
}

double ts_max_abs_diff(const ts_tensor *a, const ts_tensor *b) {
    if (!a || !b) return NAN;
    try {
        if (a->t.sizes() != b->t.sizes()) {
            set_error("max_abs_diff: shapes differ");
            return NAN;
        }
        return a->t.numel() ? (dense(a->t) - dense(b->t)).abs().max().item<double>() : 0.0;
    } catch (const std::exception &e) {
        set_error(e.what());
        return NAN;
    }
}

#define BINARY(name, expr)                                                                         \
    ts_tensor *ts_##name(ts_tensor *a, ts_tensor *b) {                                             \
        NEED2(a, b);                                                                               \
        return guard(#name, [&] { return expr; });                                                 \
    }
BINARY(add, a->t + b->t)
BINARY(sub, a->t - b->t)
BINARY(mul, a->t * b->t)
BINARY(div, a->t / b->t)

ts_tensor *ts_add_scaled(ts_tensor *a, ts_tensor *b, float alpha) {
    NEED2(a, b);
    return guard("add_scaled", [&] { return at::add(a->t, b->t, alpha); });
}
ts_tensor *ts_add_scalar(ts_tensor *a, float s) {
    NEED1(a);
    return guard("add_scalar", [&] { return a->t + s; });
}
ts_tensor *ts_mul_scalar(ts_tensor *a, float s) {
    NEED1(a);
    return guard("mul_scalar", [&] { return a->t * s; });
}

#define UNARY(name, expr)                                                                          \
    ts_tensor *ts_##name(ts_tensor *a) {                                                           \
        NEED1(a);                                                                                  \
        return guard(#name, [&] { return expr; });                                                 \
    }
UNARY(silu, at::silu(a->t))
UNARY(gelu, at::gelu(a->t))
UNARY(quick_gelu, a->t *at::sigmoid(a->t * 1.702f))
UNARY(sigmoid, at::sigmoid(a->t))
UNARY(relu, at::relu(a->t))
UNARY(exp, at::exp(a->t))
UNARY(sqrt, at::sqrt(a->t))
UNARY(sin, at::sin(a->t))
UNARY(cos, at::cos(a->t))
UNARY(contiguous, a->t.contiguous())
UNARY(upsample_nearest2x, at::upsample_nearest2d(a->t, {a->t.size(2) * 2, a->t.size(3) * 2}))

ts_tensor *ts_clamp(ts_tensor *a, float lo, float hi) {
    NEED1(a);
    return guard("clamp", [&] { return at::clamp(a->t, lo, hi); });
}
ts_tensor *ts_softmax(ts_tensor *a, int dim) {
    NEED1(a);
    return guard("softmax", [&] { return at::softmax(a->t, dim); });
}

ts_tensor *ts_reshape(ts_tensor *a, const int64_t *shape, int ndim) {
    NEED1(a);
    if (bad_dims(ndim)) return nullptr;
    return guard("reshape", [&] { return a->t.reshape(dims_of(shape, ndim)); });
}
ts_tensor *ts_permute(ts_tensor *a, const int64_t *dims, int ndim) {
    NEED1(a);
    if (bad_dims(ndim)) return nullptr;
    return guard("permute", [&] { return a->t.permute(dims_of(dims, ndim)); });
}
ts_tensor *ts_transpose(ts_tensor *a, int d0, int d1) {
    NEED1(a);
    return guard("transpose", [&] { return a->t.transpose(d0, d1); });
}
ts_tensor *ts_narrow(ts_tensor *a, int dim, int64_t start, int64_t length) {
    NEED1(a);
    return guard("narrow", [&] { return a->t.narrow(dim, start, length); });
}
ts_tensor *ts_cat(ts_tensor *const *parts, int n, int dim) {
    std::vector<at::Tensor> v;
    for (int i = 0; i < n; i++) {
        if (!parts[i]) return nullptr;
        v.push_back(parts[i]->t);
    }
    return guard("cat", [&] { return at::cat(v, dim); });
}
ts_tensor *ts_pad2d(ts_tensor *a, int left, int right, int top, int bottom, float value) {
    NEED1(a);
    return guard("pad2d", [&] {
        return at::constant_pad_nd(a->t, {left, right, top, bottom}, value);
    });
}
ts_tensor *ts_embedding(ts_tensor *table, const int64_t *ids, int64_t n) {
    NEED1(table);
    return guard("embedding", [&] {
        at::Tensor idx = at::from_blob(const_cast<int64_t *>(ids), {n}, at::kLong);
        int64_t rows = table->t.size(0);
        if (n && (idx.min().item<int64_t>() < 0 || idx.max().item<int64_t>() >= rows))
            throw std::runtime_error("token id outside the embedding table");
        return at::index_select(table->t, 0, idx);
    });
}

ts_tensor *ts_matmul(ts_tensor *a, ts_tensor *b) {
    NEED2(a, b);
    return guard("matmul", [&] {
        if (!bf16_on()) return at::matmul(a->t, as_f32(b->t));
        return from_lowp(at::matmul(to_lowp(a->t), lowp_weight(b, CACHE_LINEAR_BF16)));
    });
}
ts_tensor *ts_linear(ts_tensor *x, ts_tensor *w, ts_tensor *bias) {
    NEED2(x, w);
    return guard("linear", [&] {
        if (!bf16_on()) return at::linear(x->t, as_f32(w->t), opt(bias));
        at::Tensor b = bias ? cached(bias, CACHE_BIAS_BF16,
                                     [&] { return bf16_native() ? to_lowp(bias->t) : bias->t; })
                            : at::Tensor();
        return from_lowp(at::linear(to_lowp(x->t), lowp_weight(w, CACHE_LINEAR_BF16), b));
    });
}

// oneDNN re-lays-out a plain NCHW weight into its blocked format on every
// call, which costs as much as the convolution itself for the big 3x3 convs
// at low resolution. Weights (detached handles) are therefore reordered once
// and kept in oneDNN's layout; ATen's own heuristic would also send small
// convs to its slow im2col path, which the packed form avoids.
static bool packable(const at::Tensor &x, const at::Tensor &w) {
    return at::hasMKLDNN() && x.dim() == 4 && w.dim() == 4 && x.device().is_cpu() &&
           x.scalar_type() == at::kFloat && w.scalar_type() == at::kFloat;
}

// w (fp32 or bf16, plain) in oneDNN's blocked layout for this stride/padding.
static at::Tensor pack_conv(const at::Tensor &w, int stride, int padding) {
    return at::mkldnn_reorder_conv2d_weight(w.contiguous().to_mkldnn(), {padding, padding},
                                            {stride, stride}, {1, 1}, 1);
}

static at::Tensor mkldnn_conv(const at::Tensor &x, const at::Tensor &packed, const at::Tensor &bias,
                              int stride, int padding) {
    return at::mkldnn_convolution(x.contiguous(), packed, bias, {padding, padding},
                                  {stride, stride}, {1, 1}, 1);
}

static at::Tensor conv_fp32(ts_tensor *x, ts_tensor *w, ts_tensor *bias, int stride, int padding) {
    if (w->t.is_mkldnn()) { // prepared at load: the packed form is the only copy
        if (w->t.scalar_type() == at::kFloat && x->t.dim() == 4)
            return mkldnn_conv(x->t, w->t, opt(bias), stride, padding);
        return at::conv2d(x->t, as_f32(dense(w->t)), opt(bias), {stride, stride},
                          {padding, padding});
    }
    if (!w->detached || !packable(x->t, w->t))
        return at::conv2d(x->t, as_f32(w->t), opt(bias), {stride, stride}, {padding, padding});
    at::Tensor packed = cached(w, CACHE_CONV_F32, [&] { return pack_conv(w->t, stride, padding); });
    return mkldnn_conv(x->t, packed, opt(bias), stride, padding);
}

// The bf16 path's weight: the prepared one, else a packed bf16 (or
// bf16-rounded fp32 where emulated) form cached once, else (temporaries) a
// plain converted copy.
static at::Tensor conv_weight_lowp(ts_tensor *w, int stride, int padding) {
    if (w->lowp) return w->t;
    const bool pack = w->detached && at::hasMKLDNN() && w->t.dim() == 4;
    if (!pack) return to_lowp(dense(w->t).contiguous());
    return cached(w, CACHE_CONV_BF16,
                  [&] { return pack_conv(to_lowp(dense(w->t)), stride, padding); });
}

static at::Tensor conv_bf16(ts_tensor *x, ts_tensor *w, ts_tensor *bias, int stride, int padding) {
    at::Tensor wl = conv_weight_lowp(w, stride, padding);
    at::Tensor b = opt(bias);
    if (bias && bf16_native()) b = cached(bias, CACHE_BIAS_BF16, [&] { return to_lowp(bias->t); });
    at::Tensor xl = to_lowp(x->t).contiguous();
    at::Tensor y = wl.is_mkldnn() && xl.dim() == 4
                       ? mkldnn_conv(xl, wl, b, stride, padding)
                       : at::conv2d(xl, dense(wl), b, {stride, stride}, {padding, padding});
    return from_lowp(y);
}

ts_tensor *ts_conv2d(ts_tensor *x, ts_tensor *w, ts_tensor *bias, int stride, int padding) {
    NEED2(x, w);
    return guard("conv2d", [&] {
        return bf16_on() ? conv_bf16(x, w, bias, stride, padding)
                         : conv_fp32(x, w, bias, stride, padding);
    });
}
ts_tensor *ts_group_norm(ts_tensor *x, int groups, ts_tensor *w, ts_tensor *b, double eps) {
    NEED1(x);
    return guard("group_norm", [&] { return at::group_norm(x->t, groups, opt(w), opt(b), eps); });
}
ts_tensor *ts_layer_norm(ts_tensor *x, ts_tensor *w, ts_tensor *b, double eps) {
    NEED1(x);
    return guard("layer_norm",
                 [&] { return at::layer_norm(x->t, {x->t.size(-1)}, opt(w), opt(b), eps); });
}

// Attention, blocked: for each (batch, head, block of query rows) the scores
// Q_blk K^T are formed, soft-maxed in place and multiplied by V straight into
// the output's columns of that head. A block's scores (about 8 MiB) stay in
// the cache instead of streaming all heads' L x L maps through memory, which
// made attention at 64x64 latents memory-bound; the heads are read as strided
// views, so there are no split/merge copies either. Blocks run in parallel,
// each on one thread (BLAS and softmax go serial inside a parallel region).
static int64_t attention_block_rows(int64_t lq, int64_t lk) {
    const int64_t score_floats = int64_t(1) << 21; // 8 MiB of scores per block
    return std::min<int64_t>(lq, std::max<int64_t>(16, score_floats / std::max<int64_t>(1, lk)));
}

static at::Tensor attention_blocked(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v,
                                    int64_t heads, bool causal) {
    const int64_t b = q.size(0), lq = q.size(1), lk = k.size(1), c = q.size(2), d = c / heads;
    const double scale = 1.0 / std::sqrt((double)d);
    const at::Tensor qc = q.contiguous(), kc = k.contiguous(), vc = v.contiguous();
    at::Tensor out = at::empty({b, lq, c}, q.options());
    const int64_t rows = attention_block_rows(lq, lk);
    const int64_t blocks = (lq + rows - 1) / rows;
    at::Tensor mask;
    if (causal) mask = at::full({lq, lk}, -INFINITY, q.options()).triu(1);
    at::parallel_for(0, b * heads * blocks, 1, [&](int64_t begin, int64_t end) {
        at::Tensor scores = at::zeros({rows, lk}, q.options());
        for (int64_t task = begin; task < end; task++) {
            const int64_t bi = task / (heads * blocks), h = task / blocks % heads;
            const int64_t r0 = task % blocks * rows, n = std::min(rows, lq - r0);
            at::Tensor s = scores.narrow(0, 0, n);
            at::Tensor qb = qc.select(0, bi).narrow(0, r0, n).narrow(1, h * d, d);
            at::Tensor kh = kc.select(0, bi).narrow(1, h * d, d);
            at::addmm_out(s, s, qb, kh.t(), 0.0, scale);
            if (causal) s.add_(mask.narrow(0, r0, n));
            at::_softmax_out(s, s, 1, false);
            at::Tensor ob = out.select(0, bi).narrow(0, r0, n).narrow(1, h * d, d);
            at::mm_out(ob, s, vc.select(0, bi).narrow(1, h * d, d));
        }
    });
    return out;
}

// bf16 mode on a CPU with native bf16: the same blocked loop on bf16 q, k,
// v, so both GEMMs run on oneDNN's bf16 kernels (fp32 accumulation) and the
// score blocks take half the memory traffic. The soft-max reads and writes
// bf16 scores but ATen computes its max, exponentials and sum in fp32; the
// probabilities are then rounded to bf16 (relative 2^-9) for the AV GEMM.
// Emulated mode keeps fp32 attention: rounding alone would add error and
// no speed there.
static at::Tensor attention_bf16(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v,
                                 int64_t heads, bool causal) {
    return attention_blocked(q.to(at::kBFloat16), k.to(at::kBFloat16), v.to(at::kBFloat16), heads,
                             causal)
        .to(at::kFloat);
}

// oneDNN's bf16 GEMM has a fixed cost per call (~30 us for a pair here)
// that fp32's OpenBLAS does not: below ~4 M multiply-adds per block GEMM
// (tiny models, CLIP's 77 tokens, 16x16 latents) bf16 attention was slower
// than fp32 (micro-benchmark, bench/README.md), so those stay fp32.
static bool bf16_attention_pays(const at::Tensor &q, const at::Tensor &k, int64_t heads) {
    const int64_t lq = q.size(1), lk = k.size(1), d = q.size(2) / heads;
    return attention_block_rows(lq, lk) * lk * d >= (int64_t(1) << 22);
}

ts_tensor *ts_attention(ts_tensor *q, ts_tensor *k, ts_tensor *v, int heads, bool causal) {
    NEED3(q, k, v);
    return guard("attention", [&] {
        if (q->t.dim() != 3 || k->t.dim() != 3 || v->t.dim() != 3)
            throw std::runtime_error("q, k and v must be [B, L, C]");
        const int64_t c = q->t.size(2);
        if (heads < 1 || c % heads != 0)
            throw std::runtime_error("channels not divisible by heads");
        if (k->t.sizes() != v->t.sizes() || k->t.size(0) != q->t.size(0) || k->t.size(2) != c)
            throw std::runtime_error("k and v must be [B, Lk, C] with q's B and C");
        if (bf16_on() && bf16_native() && bf16_attention_pays(q->t, k->t, heads))
            return attention_bf16(q->t, k->t, v->t, heads, causal);
        return attention_blocked(q->t.to(at::kFloat), k->t.to(at::kFloat), v->t.to(at::kFloat),
                                 heads, causal);
    });
}

// ---- weight forms ----
// Load-time preparation (before the weight is shared between threads, so
// replacing w->t races with no reader): the form the kernels use becomes
// the handle's only copy and the plain one is released with its storage
// (the store's release callback frees or unmaps it). The calling thread's
// mode decides the form; a prepared weight is left alone.

bool ts_weight_prepare_conv(ts_tensor *w, int stride, int padding) {
    if (!w) return false;
    if (!w->detached || w->t.is_mkldnn() || w->lowp || w->t.dim() != 4 || !at::hasMKLDNN())
        return true;
    try {
        at::Tensor plain = w->t.scalar_type() == at::kFloat ? w->t : w->t.to(at::kFloat);
        const bool low = bf16_on();
        at::Tensor packed = pack_conv(low ? to_lowp(plain) : plain, stride, padding);
        w->t = packed;
        w->lowp = low;
        plain.reset();
        // Packing goes through an oneDNN-layout temporary of the same size,
        // freed into the heap, which ts_runtime_init tells glibc to keep; a
        // load would end with holes worth a third of the conv weights that
        // count as resident. Hand free pages back as we go (load time only).
        malloc_trim(0);
        return true;
    } catch (const std::exception &e) {
        set_error((std::string("prepare_conv: ") + e.what()).c_str());
        return false;
    }
}

bool ts_weight_prepare_linear(ts_tensor *w) {
    if (!w) return false;
    if (!w->detached || w->lowp || !bf16_on() || w->t.is_mkldnn()) return true;
    try {
        w->t = to_lowp(w->t.contiguous());
        w->lowp = true;
        return true;
    } catch (const std::exception &e) {
        set_error((std::string("prepare_linear: ") + e.what()).c_str());
        return false;
    }
}

static size_t tensor_bytes(const at::Tensor &t) {
    return t.defined() ? (size_t)t.numel() * (size_t)t.element_size() : 0;
}

size_t ts_resident_bytes(const ts_tensor *t) {
    if (!t) return 0;
    size_t bytes = tensor_bytes(t->t);
    for (auto &c : t->cache) {
        const at::Tensor *p = c.load(std::memory_order_acquire);
        if (p) bytes += tensor_bytes(*p);
    }
    return bytes;
}

bool ts_is_bf16(const ts_tensor *t) {
    return t && (t->lowp || t->t.scalar_type() == at::kBFloat16);
}

bool ts_is_packed(const ts_tensor *t) {
    return t && t->t.is_mkldnn();
}

} // extern "C"
