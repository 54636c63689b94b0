/* profile_cost: per-job U-Net cost of every shipped profile on an SD-1.5-size
 * U-Net (random weights) at a 32x32 latent, against its baseline profile
 * (edit-full), measured in one run.
 *
 *   profile_cost --profiles DIR [--config ip2p] [--threads 2] [--size 32] [--runs 3]
 *
 * Method: one U-Net call is timed per depth the profiles use (best of
 * --runs, round-robin over the depths, after a warm-up); a job's U-Net time
 * is that times steps x U-Net evaluations per step (3 for edit: IP2P's two
 * guidance terms). The sampler's own arithmetic, the VAE and the text
 * encoder are left out: they are the same for every profile of a task. The
 * analytic MAC ratio is printed next to the measured one. The paper reports
 * edit at -81.4 % latency. */
#include "bench_unet.h"
#include "profile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_RUNS 32

typedef struct options {
    const char *profiles, *config;
    int threads, size, runs;
} options;

static int usage(const char *msg) {
    fprintf(stderr,
            "profile_cost: %s\nusage: profile_cost --profiles DIR [--config ip2p] [--threads N] "
            "[--size 32] [--runs R]\n",
            msg);
    return 2;
}

static int parse_args(int argc, char **argv, options *o) {
    *o = (options){.config = "ip2p", .threads = 2, .size = 32, .runs = 3};
    for (int i = 1; i < argc; i += 2) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v) return usage("option needs a value");
        if (!strcmp(a, "--profiles"))
            o->profiles = v;
        else if (!strcmp(a, "--config"))
            o->config = v;
        else if (!strcmp(a, "--threads"))
            o->threads = atoi(v);
        else if (!strcmp(a, "--size"))
            o->size = atoi(v);
        else if (!strcmp(a, "--runs"))
            o->runs = atoi(v);
        else
            return usage("unknown option");
    }
    if (!o->profiles) return usage("--profiles DIR is required");
    if (o->threads < 1 || o->threads > 256) return usage("--threads must be 1..256");
    if (o->size < 8 || o->size > 256 || o->size % 8) return usage("--size must be 8..256, /8");
    if (o->runs < 1 || o->runs > MAX_RUNS) return usage("--runs must be 1..32");
    return 0;
}

/* Wall seconds of one U-Net call at each depth a profile uses (0 where
 * none does): the best of --runs, taken round-robin over the depths so that
 * load from other processes hits every depth alike. The best rather than the
 * median because on a shared machine interference only ever adds time. */
static bool time_depths(const bench_unet *b, const profile_set *set, const options *o,
                        double *per_call) {
    const int n = unet_num_depths(b->u);
    bench_inputs in;
    if (!bench_inputs_make(&in, &b->cfg, o->size, 7)) return false;
    bench_sample s;
    bool ok = bench_unet_call(b, &in, n, &s); /* warm-up, packs weights */
    double med[UNET_MAX_LEVELS * 8 + 2][MAX_RUNS];
    for (int k = 0; ok && k < o->runs; k++) {
        for (int d = 1; ok && d <= n; d++) {
            bool used = false;
            for (int i = 0; i < set->count; i++)
                used |= set->items[i].depth == d;
            if (!used) continue;
            ok = bench_unet_call(b, &in, d, &s);
            med[d][k] = s.wall_s;
            per_call[d] = k == 0 || s.wall_s < per_call[d] ? s.wall_s : per_call[d];
        }
    }
    for (int d = 1; ok && d <= n; d++)
        if (per_call[d] > 0)
            printf("  D%02d: best %.3f s, median %.3f s per U-Net call (%d runs)\n", d, per_call[d],
                   bench_median(med[d], o->runs), o->runs);
    printf("  load %.2f\n", bench_loadavg());
    if (!ok) fprintf(stderr, "profile_cost: U-Net call failed: %s\n", ts_last_error());
    bench_inputs_free(&in);
    return ok;
}

static double job_seconds(const profile *p, const double *per_call) {
    return per_call[p->depth] * p->steps * i2i_task_unet_evals_per_step(p->task);
}

static void print_table(const profile_set *set, const double *per_call) {
    printf("\n  %-12s %5s %5s %10s %12s %12s %10s %12s\n", "profile", "depth", "steps",
           "U-Net calls", "job U-Net s", "vs baseline", "latency", "MAC ratio");
    for (int i = 0; i < set->count; i++) {
        const profile *p = &set->items[i];
        const profile *base = profile_set_find(set, p->baseline);
        const int calls = p->steps * i2i_task_unet_evals_per_step(p->task);
        const double own = job_seconds(p, per_call);
        if (!base || per_call[base->depth] <= 0) {
            printf("  %-12s %5d %5d %10d %12.2f %12s\n", p->name, p->depth, p->steps, calls, own,
                   "(no baseline)");
            continue;
        }
        const double ratio = own / job_seconds(base, per_call);
        const double mac_ratio = p->cost.known && base->cost.known && base->cost.macs_per_job > 0
                                     ? p->cost.macs_per_job / base->cost.macs_per_job
                                     : 0;
        printf("  %-12s %5d %5d %10d %12.2f %11.3fx %+9.1f%% %11.3fx\n", p->name, p->depth,
               p->steps, calls, own, ratio, 100.0 * (ratio - 1.0), mac_ratio);
    }
    printf("\n  job U-Net s = (best s per U-Net call at that depth) x calls; the paper reports "
           "edit at -81.4 %% latency.\n");
}

int main(int argc, char **argv) {
    options o;
    int rc = parse_args(argc, argv, &o);
    if (rc) return rc;
    ts_runtime_init();
    ts_set_num_threads(o.threads);
    char err[512] = "";
    static profile_set set;
    if (profile_set_load_dir(&set, o.profiles, err, sizeof err) != 0) {
        fprintf(stderr, "profile_cost: %s\n", err);
        return 1;
    }
    bench_unet b;
    if (!bench_unet_create(&b, o.config, 1, err, sizeof err)) {
        fprintf(stderr, "profile_cost: %s\n", err);
        return 1;
    }
    if (profile_set_compute_cost(&set, &b.cfg, o.size, o.size, err, sizeof err) != 0)
        fprintf(stderr, "profile_cost: MAC counts unavailable: %s\n", err);
    printf("profile_cost: %d profiles from %s; %s U-Net (%lld parameters, random weights), "
           "%dx%d latent, batch 1, fp32%s, %d thread(s)\n",
           set.count, o.profiles, o.config, (long long)b.params, o.size, o.size,
           ts_get_bf16() ? " (bf16 mode)" : "", ts_get_num_threads());
    double per_call[UNET_MAX_LEVELS * 8 + 2] = {0};
    bool ok = time_depths(&b, &set, &o, per_call);
    if (ok) print_table(&set, per_call);
    bench_unet_free(&b);
    return ok ? 0 : 1;
}
