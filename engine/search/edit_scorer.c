/* Edit-task scorer for the searches; see edit_scorer.h. */
#include "search/edit_scorer.h"
#include "bundle.h"
#include "profile.h"
#include "search/ref_cache.h"
#include "unet_cost.h"
#include "unet_params.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLIP_CONTEXT_LEN 77

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int edit_scorer_full_depth(const edit_scorer *s) {
    return unet_config_n_input_blocks(&s->bundle->unet_cfg) + 1;
}

int edit_scorer_init(edit_scorer *s, const i2i_bundle *b, const char *bundle_dir,
                     const search_samples *samples, const i2i_params *base, int ref_steps,
                     const char *metric_name, const char *cache_dir, char *err, size_t errlen) {
    memset(s, 0, sizeof *s);
    s->bundle = b;
    s->samples = samples;
    s->base = *base;
    s->ref_steps = ref_steps;
    s->cache_dir = cache_dir;
    if (metric_open(metric_name, NULL, &s->metric, err, errlen)) return -1;
    if (cache_dir && ref_cache_bundle_fingerprint(bundle_dir, &s->bundle_fp, err, errlen)) {
        metric_close(&s->metric);
        return -1;
    }
    s->refs = calloc((size_t)samples->count, sizeof *s->refs);
    if (!s->refs) {
        metric_close(&s->metric);
        return snprintf(err, errlen, "out of memory"), -1;
    }
    return 0;
}

void edit_scorer_free(edit_scorer *s) {
    for (int i = 0; s->refs && i < s->samples->count; i++)
        i2i_image_free(&s->refs[i]);
    free(s->refs);
    metric_close(&s->metric);
    memset(s, 0, sizeof *s);
}

static bool on_step(void *user, int step, int steps) {
    edit_scorer *s = user;
    s->counters.denoise_steps++;
    s->counters.unet_evals += i2i_task_unet_evals_per_step("edit");
    s->now.step = step;
    s->now.steps = steps;
    if (s->progress) s->progress(s->progress_user, &s->now);
    return true;
}

/* One edit job of sample i, counted. */
static int run_job(edit_scorer *s, int i, const i2i_params *p, i2i_image *out, char *err,
                   size_t errlen) {
    const search_sample *smp = &s->samples->items[i];
    i2i_params q = *p;
    q.prompt = smp->prompt;
    s->now.image = i + 1;
    s->now.images = s->samples->count;
    s->now.step = 0;
    s->now.steps = q.steps;
    double t0 = now_seconds();
    char why[512];
    i2i_status st = i2i_run(s->bundle, &smp->image, &q, on_step, s, out, why, sizeof why);
    s->counters.job_seconds += now_seconds() - t0;
    s->counters.jobs++;
    if (st != I2I_OK) return snprintf(err, errlen, "%s: %s", smp->name, why), -1;
    return 0;
}

static i2i_params reference_params(const edit_scorer *s) {
    i2i_params p = s->base;
    p.steps = s->ref_steps;
    p.depth = edit_scorer_full_depth(s);
    p.gamma = 1.0;
    p.sampler = I2I_SAMPLER_DDIM;
    p.eta = 0.0;
    return p;
}

static int prepare_ref(edit_scorer *s, int i, const i2i_params *rp, char *err, size_t errlen) {
    const search_sample *smp = &s->samples->items[i];
    i2i_params keyed = *rp;
    keyed.prompt = smp->prompt;
    uint64_t key = ref_cache_key(s->bundle_fp, &smp->image, &keyed);
    if (s->cache_dir &&
        ref_cache_load(s->cache_dir, key, smp->image.width, smp->image.height, &s->refs[i])) {
        s->counters.refs_cached++;
        return 0;
    }
    if (run_job(s, i, rp, &s->refs[i], err, errlen)) return -1;
    s->counters.refs_computed++;
    return s->cache_dir ? ref_cache_store(s->cache_dir, key, &s->refs[i], err, errlen) : 0;
}

int edit_scorer_prepare_refs(edit_scorer *s, char *err, size_t errlen) {
    i2i_params rp = reference_params(s);
    s->now = (search_progress){.phase = "reference", .trial = 1};
    snprintf(s->now.label, sizeof s->now.label, "%d uniform steps, depth %d", rp.steps, rp.depth);
    for (int i = 0; i < s->samples->count; i++)
        if (prepare_ref(s, i, &rp, err, errlen)) return -1;
    return 0;
}

int edit_scorer_score(edit_scorer *s, const i2i_params *p, const char *label, double *mean,
                      char *err, size_t errlen) {
    s->now = (search_progress){.phase = "trial", .trial = ++s->trials};
    snprintf(s->now.label, sizeof s->now.label, "%s", label);
    double sum = 0;
    for (int i = 0; i < s->samples->count; i++) {
        i2i_image out = {0};
        if (run_job(s, i, p, &out, err, errlen)) return -1;
        metric_sample smp = {.output = &out,
                             .reference = &s->refs[i],
                             .source = &s->samples->items[i].image,
                             .prompt = s->samples->items[i].prompt};
        double v;
        int rc = s->metric.score(s->metric.ctx, &smp, &v, err, errlen);
        i2i_image_free(&out);
        if (rc) return -1;
        sum += v;
    }
    *mean = sum / s->samples->count;
    return 0;
}

int edit_scorer_score_gamma(void *user, double gamma, double *score, char *err, size_t errlen) {
    edit_scorer *s = user;
    i2i_params p = s->base;
    p.gamma = gamma;
    char label[64];
    snprintf(label, sizeof label, "gamma %.4f (1/%.3f)", gamma, 1 / gamma);
    return edit_scorer_score(s, &p, label, score, err, errlen);
}

int edit_scorer_score_depth(void *user, int depth, double *score, char *err, size_t errlen) {
    edit_scorer *s = user;
    i2i_params p = s->base;
    p.depth = depth;
    char label[64];
    snprintf(label, sizeof label, "depth %d", depth);
    return edit_scorer_score(s, &p, label, score, err, errlen);
}

int edit_scorer_job_cost(const edit_scorer *s, int depth, int steps, search_job_cost *out,
                         char *err, size_t errlen) {
    const unet_config *cfg = &s->bundle->unet_cfg;
    const i2i_image *img = &s->samples->items[0].image;
    int align = 8 << (cfg->n_levels - 1); /* as the edit pipeline pads */
    out->latent_width = (img->width + align - 1) / align * align / 8;
    out->latent_height = (img->height + align - 1) / align * align / 8;
    unet_param_profile params;
    unet_cost_profile macs;
    if (!unet_param_profile_compute(cfg, &params, err, errlen) ||
        !unet_cost_profile_compute(cfg, out->latent_height, out->latent_width, CLIP_CONTEXT_LEN,
                                   &macs, err, errlen))
        return -1;
    out->params_total = params.total;
    out->params_kept = unet_param_profile_kept(&params, depth);
    out->macs_per_job = (double)unet_macs_total(unet_cost_at_depth(&macs, depth)) * steps *
                        i2i_task_unet_evals_per_step("edit");
    return 0;
}
