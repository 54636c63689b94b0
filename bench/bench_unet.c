/* Random SD-size U-Net in memory and a one-call timer; see bench_unet.h. */
#include "bench_unet.h"

#include "big_buffer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* xorshift64*: fast enough to fill 860 M weights in a few seconds. */
static uint64_t next_u64(uint64_t *s) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ull;
}

/* Uniform in (-1, 1). */
static float next_sym(uint64_t *s) {
    return (float)((double)(next_u64(s) >> 11) * (2.0 / 9007199254740992.0) - 1.0);
}

typedef struct fill_ctx {
    weights *w;
    uint64_t rng;
    int64_t params;
    bool ok;
    char *err;
    size_t errlen;
} fill_ctx;

static bool ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Norm layers (GroupNorm, LayerNorm) start at weight 1, bias 0 as in
 * PyTorch; every other tensor is uniform +-1/sqrt(fan_in). */
static void fill_values(float *v, int64_t n, const char *name, const int64_t *shape, int ndim,
                        uint64_t *rng) {
    const bool norm = strstr(name, "norm") != NULL;
    if (norm && ndim == 1) {
        const float value = ends_with(name, "weight") ? 1.0f : 0.0f;
        for (int64_t i = 0; i < n; i++)
            v[i] = value;
        return;
    }
    int64_t fan_in = 1;
    for (int d = 1; d < ndim; d++)
        fan_in *= shape[d];
    if (ndim == 1) fan_in = shape[0];
    const float bound = 1.0f / sqrtf((float)fan_in);
    for (int64_t i = 0; i < n; i++)
        v[i] = bound * next_sym(rng);
}

static void add_param(void *user, const char *name, const int64_t *shape, int ndim) {
    fill_ctx *c = user;
    if (!c->ok) return;
    int64_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= shape[d];
    /* As the weight store holds converted tensors: binding replaces the conv
     * weights by their packed form and the plain buffer must really go. */
    float *buf = big_buffer_alloc((size_t)n * sizeof *buf);
    if (!buf) {
        snprintf(c->err, c->errlen, "out of memory for '%s'", name);
        c->ok = false;
        return;
    }
    fill_values(buf, n, name, shape, ndim, &c->rng);
    ts_scope s = ts_scope_begin();
    ts_tensor *t = ts_wrap_floats(buf, shape, ndim, big_buffer_free, buf);
    c->ok = t && weights_add_tensor(c->w, name, t, c->err, c->errlen);
    ts_scope_end(s); /* the store holds its own reference */
    /* Into the kernel form now, as binding will (it leaves prepared weights
     * alone): a mapped store never holds all fp32 values at once either, so
     * the load peak is not the fp32 model. Every 4-D U-Net tensor is a conv
     * weight and every 2-D one a linear weight (SD has no embedding table). */
    ts_tensor *own = c->ok ? weights_get(c->w, name) : NULL;
    if (own && ndim == 4) ts_weight_prepare_conv(own, 1, (int)(shape[2] / 2));
    if (own && ndim == 2) ts_weight_prepare_linear(own);
    c->params += n;
}

bool bench_unet_create(bench_unet *b, const char *config, uint64_t seed, char *err, size_t errlen) {
    memset(b, 0, sizeof *b);
    if (!unet_config_preset(config, &b->cfg)) {
        snprintf(err, errlen, "unknown U-Net preset '%s' (sd15, ip2p, sd21)", config);
        return false;
    }
    b->w = weights_new_empty();
    if (!b->w) {
        snprintf(err, errlen, "out of memory");
        return false;
    }
    fill_ctx c = {b->w, seed * 2654435761u + 88172645463325252ull, 0, true, err, errlen};
    if (!unet_params_foreach(&b->cfg, "", add_param, &c, err, errlen) || !c.ok) {
        bench_unet_free(b);
        return false;
    }
    b->params = c.params;
    b->u = unet_create(b->w, "", &b->cfg, err, errlen);
    if (!b->u) {
        bench_unet_free(b);
        return false;
    }
    return true;
}

void bench_unet_free(bench_unet *b) {
    unet_free(b->u);
    weights_close(b->w);
    b->u = NULL;
    b->w = NULL;
}

static ts_tensor *random_tensor(const int64_t *shape, int ndim, uint64_t *rng) {
    int64_t n = 1;
    for (int d = 0; d < ndim; d++)
        n *= shape[d];
    float *buf = malloc((size_t)n * sizeof *buf);
    if (!buf) return NULL;
    for (int64_t i = 0; i < n; i++)
        buf[i] = next_sym(rng) * 1.7320508f; /* unit variance */
    ts_tensor *t = ts_detach(ts_from_floats(buf, shape, ndim));
    free(buf);
    return t;
}

bool bench_inputs_make(bench_inputs *in, const unet_config *cfg, int size, uint64_t seed) {
    uint64_t rng = seed * 0x9E3779B97F4A7C15ull + 1;
    const int64_t xs[4] = {1, cfg->in_channels, size, size};
    const int64_t cs[3] = {1, 77, cfg->context_dim};
    ts_scope s = ts_scope_begin();
    in->x = random_tensor(xs, 4, &rng);
    in->context = random_tensor(cs, 3, &rng);
    in->t = 500.0f;
    ts_scope_end(s);
    return in->x && in->context;
}

void bench_inputs_free(bench_inputs *in) {
    ts_free(in->x);
    ts_free(in->context);
    in->x = in->context = NULL;
}

static double now(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double tv_s(struct timeval tv) {
    return (double)tv.tv_sec + 1e-6 * (double)tv.tv_usec;
}

bool bench_unet_call(const bench_unet *b, const bench_inputs *in, int depth, bench_sample *out) {
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    const double w0 = now(CLOCK_MONOTONIC);
    ts_scope s = ts_scope_begin();
    ts_tensor *eps = unet_forward(b->u, in->x, &in->t, in->context, depth, NULL);
    const bool ok = eps && !ts_failed() && isfinite(ts_max_abs(eps));
    ts_scope_end(s);
    out->wall_s = now(CLOCK_MONOTONIC) - w0;
    getrusage(RUSAGE_SELF, &r1);
    out->sys_s = tv_s(r1.ru_stime) - tv_s(r0.ru_stime);
    out->cpu_s = tv_s(r1.ru_utime) - tv_s(r0.ru_utime) + out->sys_s;
    out->minor_faults = r1.ru_minflt - r0.ru_minflt;
    if (eps && !ok && !ts_failed()) ts_error_set("U-Net output is not finite");
    return ok;
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_median(const double *v, int n) {
    if (n < 1) return NAN;
    double tmp[64];
    if (n > 64) n = 64;
    memcpy(tmp, v, (size_t)n * sizeof *tmp);
    qsort(tmp, (size_t)n, sizeof *tmp, cmp_double);
    return n % 2 ? tmp[n / 2] : 0.5 * (tmp[n / 2 - 1] + tmp[n / 2]);
}

double bench_loadavg(void) {
    FILE *f = fopen("/proc/loadavg", "r");
    double l = -1;
    if (f) {
        if (fscanf(f, "%lf", &l) != 1) l = -1;
        fclose(f);
    }
    return l;
}

void bench_peak_rss_reset(void) {
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (f) {
        fputs("5", f); /* resets VmHWM to the current RSS (Linux >= 4.0) */
        fclose(f);
    }
}

/* VmHWM (peak resident set) of this process, from /proc/self/status. */
double bench_peak_rss_bytes(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    double kib = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lf kB", &kib) == 1) break;
    if (f) fclose(f);
    return kib < 0 ? -1 : kib * 1024.0;
}
