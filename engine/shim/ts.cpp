// Tensor shim implementation: every entry point catches C++ exceptions and
// turns them into the sticky per-thread error of ts.h. The C side only ever
// sees opaque handles.
#include "ts.h"

#include <ATen/ATen.h>
#include <ATen/Parallel.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <malloc.h>
#include <string>
#include <vector>

struct ts_tensor {
    at::Tensor t;
    bool detached;
};

namespace {

thread_local std::string g_error;
thread_local bool g_failed = false;
thread_local bool g_bf16 = false;
// Handles created by ops, newest last; a scope is an index into it.
thread_local std::vector<ts_tensor *> g_scope_stack;

void set_error(const char *msg) {
    if (g_failed) return;
    g_failed = true;
    g_error = msg;
}

ts_tensor *reg(at::Tensor t) {
    auto *h = new ts_tensor{std::move(t), false};
    g_scope_stack.push_back(h);
    return h;
}

// Runs f (returning at::Tensor) and registers the result; exceptions become
// the sticky error. The first line of a c10 message is the useful part.
template <class F> ts_tensor *guard(const char *op, F &&f) {
    try {
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

// Linear algebra runs in bf16 when the caller opted in; results return to fp32.
at::Tensor lowp(const at::Tensor &t) {
    return g_bf16 && t.defined() ? t.to(at::kBFloat16) : t;
}
at::Tensor back(const at::Tensor &t) {
    return t.scalar_type() == at::kFloat ? t : t.to(at::kFloat);
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
    g_bf16 = on;
}

void ts_runtime_init(void) {
    // glibc hands large activation buffers back to the kernel after every
    // free and page-faults them in again on the next call; at 512 px that
    // costs more than the maths. Keep big blocks in the heap instead.
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_ARENA_MAX, 8);
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
    return new ts_tensor{t->t, true};
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
        at::Tensor c = t->t.to(at::kFloat).contiguous();
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
        return t->t.numel() ? t->t.abs().max().item<double>() : 0.0;
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
        return a->t.numel() ? (a->t - b->t).abs().max().item<double>() : 0.0;
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
    return guard("matmul", [&] { return back(at::matmul(lowp(a->t), lowp(b->t))); });
}
ts_tensor *ts_linear(ts_tensor *x, ts_tensor *w, ts_tensor *bias) {
    NEED2(x, w);
    return guard("linear",
                 [&] { return back(at::linear(lowp(x->t), lowp(w->t), lowp(opt(bias)))); });
}
ts_tensor *ts_conv2d(ts_tensor *x, ts_tensor *w, ts_tensor *bias, int stride, int padding) {
    NEED2(x, w);
    return guard("conv2d", [&] {
        return back(at::conv2d(lowp(x->t), lowp(w->t), lowp(opt(bias)), {stride, stride},
                               {padding, padding}));
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

// Scores for all heads at once can be huge (8 heads x 4096^2 floats at
// 512 px): process the (batch*head) rows in slices that keep them bounded.
static at::Tensor attention_core(const at::Tensor &q, const at::Tensor &k, const at::Tensor &v,
                                 bool causal, double scale) {
    const int64_t bh = q.size(0), lq = q.size(1), lk = k.size(1);
    const int64_t budget = int64_t(1) << 25; // floats of scores per slice (128 MiB)
    int64_t slice = std::max<int64_t>(1, budget / std::max<int64_t>(1, lq * lk));
    at::Tensor mask;
    if (causal) mask = at::full({lq, lk}, -INFINITY, q.options()).triu(1);
    at::Tensor out = at::empty({bh, lq, v.size(2)}, q.options());
    for (int64_t s = 0; s < bh; s += slice) {
        int64_t n = std::min(slice, bh - s);
        at::Tensor qs = q.narrow(0, s, n) * scale;
        at::Tensor sc = back(at::bmm(lowp(qs), lowp(k.narrow(0, s, n).transpose(1, 2))));
        if (causal) sc = sc + mask;
        out.narrow(0, s, n).copy_(
            back(at::bmm(lowp(at::softmax(sc, -1)), lowp(v.narrow(0, s, n)))));
    }
    return out;
}

ts_tensor *ts_attention(ts_tensor *q, ts_tensor *k, ts_tensor *v, int heads, bool causal) {
    NEED3(q, k, v);
    return guard("attention", [&] {
        const int64_t b = q->t.size(0), lq = q->t.size(1), lk = k->t.size(1);
        const int64_t c = q->t.size(2);
        if (heads < 1 || c % heads != 0)
            throw std::runtime_error("channels not divisible by heads");
        const int64_t d = c / heads;
        auto split = [&](const at::Tensor &t, int64_t l) {
            return t.reshape({b, l, heads, d}).permute({0, 2, 1, 3}).reshape({b * heads, l, d});
        };
        at::Tensor o = attention_core(split(q->t, lq), split(k->t, lk), split(v->t, lk), causal,
                                      1.0 / std::sqrt((double)d));
        return o.reshape({b, heads, lq, d}).permute({0, 2, 1, 3}).reshape({b, lq, c});
    });
}

} // extern "C"
