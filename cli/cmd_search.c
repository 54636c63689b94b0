/* i2i search gamma|depth: the paper's offline searches (DESIGN §1.4) on a
 * user's own bundle and images, with a progress bar, a reference cache, a
 * JSON report, an SVG plot and optionally a profile file. */
#include "commands.h"
#include "i2i_engine.h"
#include "schedule.h"
#include "search/depth_search.h"
#include "search/edit_scorer.h"
#include "search/gamma_search.h"
#include "search/search_report.h"
#include "search/search_samples.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_REF_STEPS 50
#define DEFAULT_DEPTH_THRESHOLD 28.0 /* dB PSNR, the paper's StableSR threshold */

typedef struct search_args {
    bool is_gamma;
    const char *bundle, *images, *prompts_file, *prompt, *out, *svg, *write_profile;
    const char *profile_name, *cache, *metric;
    int num_images, ref_steps, threads, min_depth;
    bool steps_given, all_depths;
    i2i_params p;
    search_context ctx;
} search_args;

static int search_usage(FILE *f) {
    fprintf(f,
            "usage: i2i search gamma|depth --bundle DIR --images DIR (--prompts FILE | --prompt "
            "TEXT)\n"
            "       --out REPORT.json [--svg PLOT.svg] [--write-profile FILE [--profile-name N]]\n"
            "       [--cache DIR] [--num-images N] [--steps N] [--depth D] [--gamma G]\n"
            "       [--ref-steps N] [--guidance-scale S] [--image-guidance-scale S] [--seed S]\n"
            "       [--metric psnr|ssim] [--threads N]\n"
            "gamma: the official greedy search over gamma at --steps (default 10) and --depth\n"
            "       (default full), [--direction small|large] (default small: editing).\n"
            "depth: the shallowest depth whose score stays >= --threshold (default 28 dB)\n"
            "       at --steps (default: the reference steps) and --gamma (default 1);\n"
            "       [--min-depth D] [--all-depths] scores every depth for a complete plot.\n"
            "Scores are the mean metric against the --ref-steps (default 50) uniform\n"
            "full-depth output, same seed, eta 0. --cache keeps those references.\n");
    return f == stdout ? 0 : 2;
}

static bool parse_int(const char *opt, const char *v, long lo, long hi, int *out) {
    char *end;
    long x = strtol(v, &end, 10);
    if (*v && !*end && x >= lo && x <= hi) return *out = (int)x, true;
    fprintf(stderr, "i2i search: %s must be an integer in %ld..%ld, got '%s'\n", opt, lo, hi, v);
    return false;
}

static bool parse_real(const char *opt, const char *v, double *out) {
    char *end;
    double x = strtod(v, &end);
    if (*v && !*end && x == x) return *out = x, true;
    fprintf(stderr, "i2i search: %s must be a number, got '%s'\n", opt, v);
    return false;
}

static bool parse_misc(search_args *a, const char *opt, const char *v) {
    char err[256];
    if (!strcmp(opt, "--gamma")) {
        if (gamma_parse(v, &a->p.gamma, err, sizeof err) == 0) return true;
        return fprintf(stderr, "i2i search: --gamma: %s\n", err), false;
    }
    if (!strcmp(opt, "--seed")) {
        char *end;
        a->p.seed = strtoull(v, &end, 10);
        if (*v && *v != '-' && !*end) return true;
        return fprintf(stderr, "i2i search: --seed must be a non-negative integer\n"), false;
    }
    if (!strcmp(opt, "--direction")) {
        a->ctx.direction = !strcmp(v, "large") ? GAMMA_TOWARDS_LARGE : GAMMA_TOWARDS_SMALL;
        if (!strcmp(v, "small") || !strcmp(v, "large")) return true;
        return fprintf(stderr, "i2i search: --direction must be small or large\n"), false;
    }
    if (!strcmp(opt, "--guidance-scale")) return parse_real(opt, v, &a->p.guidance_scale);
    if (!strcmp(opt, "--image-guidance-scale"))
        return parse_real(opt, v, &a->p.image_guidance_scale);
    if (!strcmp(opt, "--threshold")) return parse_real(opt, v, &a->ctx.threshold);
    fprintf(stderr, "i2i search: unknown option %s\n", opt);
    return false;
}

static bool parse_option(search_args *a, const char *opt, const char *v) {
    const char **strs[] = {&a->bundle, &a->images,        &a->prompts_file, &a->prompt, &a->out,
                           &a->svg,    &a->write_profile, &a->profile_name, &a->cache,  &a->metric};
    const char *names[] = {"--bundle", "--images",        "--prompts",      "--prompt", "--out",
                           "--svg",    "--write-profile", "--profile-name", "--cache",  "--metric"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!strcmp(opt, names[i])) return *strs[i] = v, true;
    if (!strcmp(opt, "--steps"))
        return a->steps_given = true, parse_int(opt, v, 1, SCHEDULE_MAX_STEPS, &a->p.steps);
    if (!strcmp(opt, "--depth")) return parse_int(opt, v, 1, 64, &a->p.depth);
    if (!strcmp(opt, "--min-depth")) return parse_int(opt, v, 1, 64, &a->min_depth);
    if (!strcmp(opt, "--num-images")) return parse_int(opt, v, 1, 100000, &a->num_images);
    if (!strcmp(opt, "--ref-steps")) return parse_int(opt, v, 1, SCHEDULE_MAX_STEPS, &a->ref_steps);
    if (!strcmp(opt, "--threads")) return parse_int(opt, v, 1, 1024, &a->threads);
    return parse_misc(a, opt, v);
}

/* 0 ok, 1 help shown, 2 bad usage */
static int parse_args(int argc, char **argv, search_args *a) {
    memset(a, 0, sizeof *a);
    a->is_gamma = !strcmp(argv[1], "gamma");
    i2i_params_default("edit", &a->p);
    a->p.depth = 0; /* 0: the bundle's full depth */
    a->p.gamma = 1.0;
    a->p.eta = 0.0; /* the search is deterministic (DESIGN §1.4) */
    a->ref_steps = DEFAULT_REF_STEPS;
    a->metric = "psnr";
    a->min_depth = 1;
    a->ctx.threshold = DEFAULT_DEPTH_THRESHOLD;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--help")) return search_usage(stdout), 1;
        if (!strcmp(argv[i], "--all-depths")) {
            a->all_depths = true;
            continue;
        }
        if (i + 1 >= argc)
            return fprintf(stderr, "i2i search: option %s needs a value\n", argv[i]), 2;
        if (!parse_option(a, argv[i], argv[i + 1])) return 2;
        i++;
    }
    if (!a->bundle || !a->images || !a->out || (!a->prompts_file && !a->prompt))
        return fprintf(stderr, "i2i search: --bundle, --images, --prompts or --prompt, and --out "
                               "are required\n"),
               2;
    if (!a->steps_given) a->p.steps = a->is_gamma ? 10 : a->ref_steps;
    return 0;
}

typedef struct progress_bar {
    bool enabled;
    struct timespec start, trial_start;
    int last_trial;
    const char *last_phase;
} progress_bar;

static double since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* One line per trial, redrawn per step: the ETA is for the trial in hand
 * (the greedy search does not know how many trials it will take). */
static void draw_progress(void *user, const search_progress *p) {
    progress_bar *bar = user;
    if (!bar->enabled) return;
    if (p->trial != bar->last_trial || p->phase != bar->last_phase) {
        if (bar->last_phase) fputc('\n', stderr);
        clock_gettime(CLOCK_MONOTONIC, &bar->trial_start);
        bar->last_trial = p->trial;
        bar->last_phase = p->phase;
    }
    long total = (long)p->images * p->steps, done = (long)(p->image - 1) * p->steps + p->step;
    enum { WIDTH = 24 };
    int filled = total ? (int)(done * WIDTH / total) : WIDTH;
    double el = since(&bar->trial_start), left = done ? el / done * (total - done) : 0;
    fprintf(stderr, "\r%s %d %-26.26s [%.*s%*s] img %d/%d  %.1fs, ~%.1fs left  (total %.0fs) ",
            p->phase, p->trial, p->label, filled, "########################", WIDTH - filled, "",
            p->image, p->images, el, left, since(&bar->start));
    fflush(stderr);
}

/* Ends the progress line before a summary is printed. */
static void end_progress_line(edit_scorer *s) {
    progress_bar *bar = s->progress_user;
    if (bar->enabled && bar->last_phase) fputc('\n', stderr);
    bar->last_phase = NULL;
}

static int run_gamma(search_args *a, edit_scorer *s, json_t **report, char *err, size_t n) {
    static gamma_search_result r; /* large; one search per process */
    if (gamma_search_run(a->ctx.direction, edit_scorer_score_gamma, s, &r, err, n)) return -1;
    end_progress_line(s);
    printf("gamma search: best gamma %.4f (1/%.4f), %s %.3f vs %.3f at gamma 1, %d trials\n",
           r.best_gamma, 1 / r.best_gamma, s->metric.name, r.best_score, r.uniform_score,
           r.n_trials);
    if (a->svg && search_plot_gamma(a->svg, s, &r, err, n)) return -1;
    if (a->write_profile &&
        search_write_profile(a->write_profile, a->profile_name ? a->profile_name : "edit-searched",
                             s, s->base.depth, r.best_gamma, a->out, err, n))
        return -1;
    *report = search_report_gamma(&a->ctx, s, &r, err, n);
    return *report ? 0 : -1;
}

static int run_depth(search_args *a, edit_scorer *s, json_t **report, char *err, size_t n) {
    static depth_search_result r;
    int full = edit_scorer_full_depth(s);
    if (depth_search_run(a->min_depth, full, a->ctx.threshold, a->all_depths,
                         edit_scorer_score_depth, s, &r, err, n))
        return -1;
    end_progress_line(s);
    if (r.found)
        printf("depth search: shallowest passing depth %d (%s %.3f >= %.3f), %d depths tried\n",
               r.best_depth, s->metric.name, r.best_score, a->ctx.threshold, r.n_trials);
    else
        printf("depth search: no pruned depth reaches %s %.3f; keep the full depth %d (%d tried)\n",
               s->metric.name, a->ctx.threshold, r.best_depth, r.n_trials);
    if (a->svg && search_plot_depth(a->svg, &a->ctx, s, &r, err, n)) return -1;
    if (a->write_profile &&
        search_write_profile(a->write_profile, a->profile_name ? a->profile_name : "edit-searched",
                             s, r.best_depth, s->base.gamma, a->out, err, n))
        return -1;
    *report = search_report_depth(&a->ctx, s, &r, err, n);
    return *report ? 0 : -1;
}

static int run_search(search_args *a, i2i_bundle *b, const search_samples *smp, char *err,
                      size_t n) {
    edit_scorer s;
    progress_bar bar = {.enabled = isatty(STDERR_FILENO)};
    clock_gettime(CLOCK_MONOTONIC, &bar.start);
    if (edit_scorer_init(&s, b, a->bundle, smp, &a->p, a->ref_steps, a->metric, a->cache, err, n))
        return -1;
    int full = edit_scorer_full_depth(&s);
    if (s.base.depth == 0) s.base.depth = full;
    if (s.base.depth > full || a->min_depth >= full) {
        snprintf(err, n, "--depth and --min-depth must be below or at the bundle's %d", full);
        edit_scorer_free(&s);
        return -1;
    }
    s.progress = draw_progress;
    s.progress_user = &bar;
    json_t *report = NULL;
    int rc = edit_scorer_prepare_refs(&s, err, n);
    a->ctx.ref_seconds = since(&bar.start);
    if (rc == 0)
        rc = a->is_gamma ? run_gamma(a, &s, &report, err, n) : run_depth(a, &s, &report, err, n);
    end_progress_line(&s);
    if (rc == 0) {
        /* the report was built before this line: patch in the final wall time */
        a->ctx.wall_seconds = since(&bar.start);
        json_object_set_new(json_object_get(report, "search_cost"), "wall_seconds",
                            json_real(a->ctx.wall_seconds));
        rc = search_report_save(report, a->out, err, n);
        printf("search cost: %ld U-Net evaluations, %ld edit jobs, references: %ld computed, %ld "
               "from cache, %.1f s\n",
               s.counters.unet_evals, s.counters.jobs, s.counters.refs_computed,
               s.counters.refs_cached, a->ctx.wall_seconds);
    }
    json_decref(report);
    edit_scorer_free(&s);
    return rc;
}

int cmd_search(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help")) return search_usage(argc < 2 ? stderr : stdout);
    if (strcmp(argv[1], "gamma") && strcmp(argv[1], "depth")) {
        fprintf(stderr, "i2i search: unknown search '%s' (gamma or depth)\n", argv[1]);
        return 2;
    }
    search_args a;
    int rc = parse_args(argc, argv, &a);
    if (rc) return rc == 1 ? 0 : rc;
    a.ctx.bundle_dir = a.bundle;
    a.ctx.images_dir = a.images;
    a.ctx.prompts = a.prompts_file ? a.prompts_file : a.prompt;
    a.ctx.min_depth = a.min_depth;
    a.ctx.all_depths = a.all_depths;
    a.ctx.cache_dir = a.cache;
    char err[1024];
    search_samples smp;
    if (search_samples_load(a.images, a.num_images, a.prompts_file, a.prompt, &smp, err,
                            sizeof err))
        return fprintf(stderr, "i2i search: %s\n", err), 1;
    if (a.threads) i2i_set_threads(a.threads);
    i2i_bundle *b = i2i_bundle_load(a.bundle, err, sizeof err);
    if (!b) {
        fprintf(stderr, "i2i search: bundle %s: %s\n", a.bundle, err);
        search_samples_free(&smp);
        return 1;
    }
    rc = run_search(&a, b, &smp, err, sizeof err);
    if (rc) fprintf(stderr, "i2i search: %s\n", err);
    i2i_bundle_free(b);
    search_samples_free(&smp);
    return rc ? 1 : 0;
}
