/* Benchmark helpers shared by unet_bench and profile_cost: an SD-size U-Net
 * with random weights held in memory (no checkpoint exists on these
 * machines), random inputs, and a timer that reports wall time, CPU time and
 * page faults of one U-Net call. Dev tooling only; the product never links it. */
#ifndef I2I_BENCH_UNET_H
#define I2I_BENCH_UNET_H

#include "unet.h"
#include "weights.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bench_unet {
    unet_config cfg;
    weights *w;
    unet *u;
    int64_t params;
} bench_unet;

/* Random weights in the layout of preset `config` ("sd15", "ip2p", ...),
 * scaled like PyTorch's default init (uniform +-1/sqrt(fan_in); norms 1, 0)
 * so activations stay in a realistic range. false with a message. */
bool bench_unet_create(bench_unet *b, const char *config, uint64_t seed, char *err, size_t errlen);
void bench_unet_free(bench_unet *b);

/* One call's cost. */
typedef struct bench_sample {
    double wall_s, cpu_s; /* cpu: user + system of the whole process */
    double sys_s;
    long minor_faults;
} bench_sample;

/* Inputs of one size: x [1, in_channels, size, size], context [1, 77, ctx]
 * (detached; free with bench_inputs_free). */
typedef struct bench_inputs {
    ts_tensor *x, *context;
    float t;
} bench_inputs;
bool bench_inputs_make(bench_inputs *in, const unet_config *cfg, int size, uint64_t seed);
void bench_inputs_free(bench_inputs *in);

/* Runs one U-Net call at `depth` and measures it; false (ts error set) on failure. */
bool bench_unet_call(const bench_unet *b, const bench_inputs *in, int depth, bench_sample *out);
/* Median of n values (sorts a copy). */
double bench_median(const double *v, int n);
/* The machine's 1-minute load average, or -1. */
double bench_loadavg(void);

/* Peak resident set size of the process so far (VmHWM), bytes; -1 if unknown. */
double bench_peak_rss_bytes(void);
/* Starts a new peak at the current RSS (so a call's peak excludes the load's). */
void bench_peak_rss_reset(void);

#endif
