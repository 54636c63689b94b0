/* unet_bench: times one U-Net call (batch 1, random weights, SD size) per
 * latent size and depth, after a warm-up call that also packs the weights.
 *
 *   unet_bench [--config ip2p] [--threads 2] [--sizes 32,64] [--depths 13,9,8]
 *              [--runs 3] [--bf16] [--slow 30] [--json OUT.json]
 *
 * Prints one line per (size, depth): median wall and CPU seconds, system
 * seconds and minor page faults per call (the glibc trap shows up there).
 * bench/run.sh runs it next to PyTorch eager and prints the ratio. */
#include "bench_unet.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ITEMS 16
#define MAX_RUNS 32

typedef struct options {
    const char *config, *json;
    int threads, runs;
    int sizes[MAX_ITEMS], n_sizes;
    int depths[MAX_ITEMS], n_depths;
    bool bf16;
    double slow; /* warm-up slower than this (s): one timed run per depth */
} options;

static bool parse_list(const char *s, int *out, int *n) {
    *n = 0;
    char *end;
    while (*s && *n < MAX_ITEMS) {
        long v = strtol(s, &end, 10);
        if (end == s || v < 1 || v > 4096) return false;
        out[(*n)++] = (int)v;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',') return false;
    }
    return *n > 0;
}

static int usage(const char *msg) {
    fprintf(stderr,
            "unet_bench: %s\nusage: unet_bench [--config ip2p|sd15] [--threads N] [--sizes 32,64] "
            "[--depths 13,9,8] [--runs R] [--bf16] [--slow S] [--json OUT]\n",
            msg);
    return 2;
}

static int parse_args(int argc, char **argv, options *o) {
    *o = (options){.config = "ip2p", .threads = 2, .runs = 3, .slow = 30.0};
    parse_list("32,64", o->sizes, &o->n_sizes);
    parse_list("13,9,8", o->depths, &o->n_depths);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes = strcmp(a, "--bf16") != 0;
        if (takes && !v) return usage("option needs a value");
        if (!strcmp(a, "--config"))
            o->config = v;
        else if (!strcmp(a, "--json"))
            o->json = v;
        else if (!strcmp(a, "--threads"))
            o->threads = atoi(v);
        else if (!strcmp(a, "--runs"))
            o->runs = atoi(v);
        else if (!strcmp(a, "--slow"))
            o->slow = atof(v);
        else if (!strcmp(a, "--sizes")) {
            if (!parse_list(v, o->sizes, &o->n_sizes)) return usage("bad --sizes");
        } else if (!strcmp(a, "--depths")) {
            if (!parse_list(v, o->depths, &o->n_depths)) return usage("bad --depths");
        } else if (!strcmp(a, "--bf16"))
            o->bf16 = true;
        else
            return usage("unknown option");
        i += takes;
    }
    if (o->threads < 1 || o->threads > 256) return usage("--threads must be 1..256");
    if (o->runs < 1 || o->runs > MAX_RUNS) return usage("--runs must be 1..32");
    return 0;
}

/* Times `runs` calls at one depth; prints and returns the record. */
static json_t *time_depth(const bench_unet *b, const bench_inputs *in, int size, int depth,
                          int runs) {
    double wall[MAX_RUNS], cpu[MAX_RUNS], sys[MAX_RUNS], faults[MAX_RUNS];
    json_t *walls = json_array();
    for (int k = 0; k < runs; k++) {
        bench_sample s;
        if (!bench_unet_call(b, in, depth, &s)) {
            fprintf(stderr, "unet_bench: %dx%d D%d failed: %s\n", size, size, depth,
                    ts_last_error());
            json_decref(walls);
            return NULL;
        }
        wall[k] = s.wall_s, cpu[k] = s.cpu_s, sys[k] = s.sys_s, faults[k] = (double)s.minor_faults;
        json_array_append_new(walls, json_real(s.wall_s));
    }
    const double mw = bench_median(wall, runs), mc = bench_median(cpu, runs);
    const double ms = bench_median(sys, runs), mf = bench_median(faults, runs);
    double mn = wall[0];
    for (int k = 1; k < runs; k++)
        mn = wall[k] < mn ? wall[k] : mn;
    printf("  %2dx%-3d D%02d  %d run(s)  wall %7.3f s  cpu %7.3f s  sys %6.3f s  faults %8.0f  "
           "load %.2f\n",
           size, size, depth, runs, mw, mc, ms, mf, bench_loadavg());
    fflush(stdout);
    return json_pack("{s:i, s:i, s:i, s:f, s:f, s:f, s:f, s:f, s:o}", "size", size, "depth", depth,
                     "n", runs, "median_wall_s", mw, "min_wall_s", mn, "median_cpu_s", mc,
                     "median_sys_s", ms, "median_minor_faults", mf, "wall_s", walls);
}

static bool run_size(const bench_unet *b, const options *o, int size, json_t *out) {
    bench_inputs in;
    if (!bench_inputs_make(&in, &b->cfg, size, (uint64_t)size)) {
        fprintf(stderr, "unet_bench: inputs: %s\n", ts_last_error());
        return false;
    }
    bench_sample warm;
    bool ok = bench_unet_call(b, &in, unet_num_depths(b->u), &warm); /* covers every shape */
    if (ok) {
        int runs = warm.wall_s > o->slow ? 1 : o->runs;
        printf("  %dx%d warm-up (full depth) %.2f s -> %d timed run(s) per depth\n", size, size,
               warm.wall_s, runs);
        for (int i = 0; ok && i < o->n_depths; i++) {
            json_t *rec = time_depth(b, &in, size, o->depths[i], runs);
            ok = rec != NULL;
            if (rec) json_array_append_new(out, rec);
        }
    } else {
        fprintf(stderr, "unet_bench: warm-up failed: %s\n", ts_last_error());
    }
    bench_inputs_free(&in);
    return ok;
}

int main(int argc, char **argv) {
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    ts_runtime_init();
    ts_set_num_threads(o.threads);
    ts_set_bf16(o.bf16);
    char err[512] = "";
    bench_unet b;
    printf("unet_bench: building %s U-Net with random weights...\n", o.config);
    fflush(stdout);
    if (!bench_unet_create(&b, o.config, 1, err, sizeof err)) {
        fprintf(stderr, "unet_bench: %s\n", err);
        return 1;
    }
    printf("unet_bench: %s, %lld parameters, %d thread(s), %s, batch 1\n", o.config,
           (long long)b.params, ts_get_num_threads(), o.bf16 ? "bf16" : "fp32");
    const size_t wbytes = weights_resident_bytes(b.w);
    printf("unet_bench: weights resident %.3f GB (%s), peak RSS after load %.3f GB\n", wbytes / 1e9,
           o.bf16 ? "bf16 conv/linear" : "fp32, conv packed", bench_peak_rss_bytes() / 1e9);
    json_t *runs = json_array(), *peaks = json_array();
    bool ok = true;
    const double load_peak = bench_peak_rss_bytes();
    double peak = 0;
    for (int i = 0; ok && i < o.n_sizes; i++) {
        bench_peak_rss_reset();
        ok = run_size(&b, &o, o.sizes[i], runs);
        const double p = bench_peak_rss_bytes();
        printf("  peak RSS of the %dx%d calls: %.3f GB\n", o.sizes[i], o.sizes[i], p / 1e9);
        json_array_append_new(peaks, json_pack("{s:i, s:f}", "size", o.sizes[i], "peak_rss", p));
        peak = p > peak ? p : peak;
    }
    if (ok && o.json) {
        json_t *doc =
            json_pack("{s:s, s:s, s:i, s:s, s:I, s:f, s:f, s:o}", "impl", "i2i", "config", o.config,
                      "threads", ts_get_num_threads(), "precision", o.bf16 ? "bf16" : "fp32",
                      "params", (json_int_t)b.params, "peak_rss_bytes", peak, "weights_bytes",
                      (double)wbytes, "runs", json_incref(runs));
        json_object_set_new(doc, "load_peak_rss_bytes", json_real(load_peak));
        json_object_set(doc, "peak_rss_per_size", peaks);
        if (json_dump_file(doc, o.json, JSON_INDENT(1)) != 0) {
            fprintf(stderr, "unet_bench: cannot write %s\n", o.json);
            ok = false;
        }
        json_decref(doc);
    }
    json_decref(runs);
    json_decref(peaks);
    bench_unet_free(&b);
    return ok ? 0 : 1;
}
