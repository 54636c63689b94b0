/* Reports, plots and profiles from a finished search; see search_report.h. */
#include "search/search_report.h"
#include "profile.h"
#include "search/search_plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static json_t *settings_json(const search_context *c, const edit_scorer *s) {
    json_t *names = json_array();
    for (int i = 0; i < s->samples->count; i++)
        json_array_append_new(names, json_string(s->samples->items[i].name));
    const i2i_params *b = &s->base;
    return json_pack("{s:s,s:s,s:s?,s:o,s:s,s:i,s:i,s:f,s:s,s:f,s:f,s:f,s:I,s:i,s:s?}", "bundle",
                     c->bundle_dir, "images", c->images_dir, "prompts", c->prompts, "image_files",
                     names, "metric", s->metric.name, "steps", b->steps, "depth", b->depth, "gamma",
                     b->gamma, "sampler", profile_sampler_name(b->sampler), "eta", b->eta,
                     "guidance_scale", b->guidance_scale, "image_guidance_scale",
                     b->image_guidance_scale, "seed", (json_int_t)b->seed, "reference_steps",
                     s->ref_steps, "cache", c->cache_dir);
}

static json_t *cost_json(const search_context *c, const edit_scorer *s) {
    const search_counters *k = &s->counters;
    return json_pack("{s:f,s:f,s:I,s:I,s:I,s:I,s:I,s:f}", "wall_seconds", c->wall_seconds,
                     "reference_seconds", c->ref_seconds, "unet_evaluations",
                     (json_int_t)k->unet_evals, "denoising_steps", (json_int_t)k->denoise_steps,
                     "edit_jobs", (json_int_t)k->jobs, "references_computed",
                     (json_int_t)k->refs_computed, "references_from_cache",
                     (json_int_t)k->refs_cached, "seconds_in_jobs", k->job_seconds);
}

static json_t *job_cost_json(const search_job_cost *jc) {
    return json_pack("{s:I,s:I,s:f,s:f,s:[i,i]}", "unet_params_total", (json_int_t)jc->params_total,
                     "unet_params_kept", (json_int_t)jc->params_kept, "unet_params_kept_share",
                     (double)jc->params_kept / (double)jc->params_total, "macs_per_job",
                     jc->macs_per_job, "latent_size", jc->latent_width, jc->latent_height);
}

json_t *search_report_gamma(const search_context *c, const edit_scorer *s,
                            const gamma_search_result *r, char *err, size_t errlen) {
    search_job_cost jc;
    if (edit_scorer_job_cost(s, s->base.depth, s->base.steps, &jc, err, errlen)) return NULL;
    json_t *trials = json_array();
    for (int i = 0; i < r->n_trials; i++) {
        const gamma_trial *t = &r->trials[i];
        json_array_append_new(trials, json_pack("{s:f,s:f,s:f,s:f,s:b,s:b}", "gamma", t->gamma, "p",
                                                t->p, "step", t->step, "score", t->score, "kept",
                                                t->kept, "reused", t->reused));
    }
    char inverse[32];
    snprintf(inverse, sizeof inverse, "1/%.4g", 1 / r->best_gamma);
    json_t *result = json_pack("{s:f,s:s,s:f,s:f,s:f,s:i}", "gamma", r->best_gamma,
                               "gamma_as_reciprocal", inverse, "score", r->best_score,
                               "uniform_score", r->uniform_score, "gain_over_uniform",
                               r->best_score - r->uniform_score, "scored_trials", r->n_scored);
    const char *dir = c->direction == GAMMA_TOWARDS_SMALL ? "gamma<1" : "gamma>1";
    return json_pack("{s:s,s:o,s:s,s:o,s:o,s:o,s:o}", "search", "gamma", "settings",
                     settings_json(c, s), "direction", dir, "result", result, "trials", trials,
                     "search_cost", cost_json(c, s), "job_cost", job_cost_json(&jc));
}

json_t *search_report_depth(const search_context *c, const edit_scorer *s,
                            const depth_search_result *r, char *err, size_t errlen) {
    json_t *trials = json_array();
    for (int i = 0; i < r->n_trials; i++) {
        const depth_trial *t = &r->trials[i];
        search_job_cost jc;
        if (edit_scorer_job_cost(s, t->depth, s->base.steps, &jc, err, errlen)) {
            json_decref(trials);
            return NULL;
        }
        json_t *o =
            json_pack("{s:i,s:f,s:b}", "depth", t->depth, "score", t->score, "pass", t->pass);
        json_object_set_new(o, "job_cost", job_cost_json(&jc));
        json_array_append_new(trials, o);
    }
    search_job_cost best, full;
    if (edit_scorer_job_cost(s, r->best_depth, s->base.steps, &best, err, errlen) ||
        edit_scorer_job_cost(s, edit_scorer_full_depth(s), s->base.steps, &full, err, errlen)) {
        json_decref(trials);
        return NULL;
    }
    json_t *result =
        json_pack("{s:i,s:b,s:f,s:f,s:o}", "depth", r->best_depth, "found", r->found, "score",
                  r->best_score, "macs_vs_full_depth", best.macs_per_job / full.macs_per_job,
                  "job_cost", job_cost_json(&best));
    return json_pack("{s:s,s:o,s:f,s:i,s:b,s:o,s:o,s:o}", "search", "depth", "settings",
                     settings_json(c, s), "threshold", c->threshold, "min_depth", c->min_depth,
                     "all_depths", c->all_depths, "result", result, "trials", trials, "search_cost",
                     cost_json(c, s));
}

int search_report_save(json_t *report, const char *path, char *err, size_t errlen) {
    if (json_dump_file(report, path, JSON_INDENT(2)) != 0)
        return snprintf(err, errlen, "cannot write %s", path), -1;
    return 0;
}

static void cost_note(char *buf, size_t n, const search_job_cost *jc) {
    snprintf(buf, n, "%.1f%% params, %.3g GMAC/job", 100.0 * jc->params_kept / jc->params_total,
             jc->macs_per_job / 1e9);
}

int search_plot_gamma(const char *path, const edit_scorer *s, const gamma_search_result *r,
                      char *err, size_t errlen) {
    search_job_cost jc;
    if (edit_scorer_job_cost(s, s->base.depth, s->base.steps, &jc, err, errlen)) return -1;
    plot_point pts[GAMMA_SEARCH_MAX_TRIALS];
    int n = 0;
    for (int i = 0; i < r->n_trials; i++) {
        if (r->trials[i].reused) continue; /* the same point again */
        pts[n] = (plot_point){.x = r->trials[i].gamma, .y = r->trials[i].score};
        pts[n].chosen = r->trials[i].gamma == r->best_gamma;
        if (pts[n].chosen) snprintf(pts[n].note, sizeof pts[n].note, "best %.4f", r->best_gamma);
        n++;
    }
    char title[160], footer[200], note[96];
    cost_note(note, sizeof note, &jc);
    snprintf(title, sizeof title, "gamma search: %d steps, depth %d, %d images", s->base.steps,
             s->base.depth, s->samples->count);
    snprintf(footer, sizeof footer, "depth %d keeps %s; uniform (gamma 1) scores %.3f",
             s->base.depth, note, r->uniform_score);
    char ylabel[64];
    snprintf(ylabel, sizeof ylabel, "mean %s vs %d-step reference %s", s->metric.name, s->ref_steps,
             s->metric.unit);
    plot_spec spec = {.title = title, .x_label = "gamma", .y_label = ylabel, .footer = footer};
    return plot_write_svg(path, &spec, pts, n, err, errlen);
}

int search_plot_depth(const char *path, const search_context *c, const edit_scorer *s,
                      const depth_search_result *r, char *err, size_t errlen) {
    plot_point pts[DEPTH_SEARCH_MAX];
    for (int i = 0; i < r->n_trials; i++) {
        search_job_cost jc;
        if (edit_scorer_job_cost(s, r->trials[i].depth, s->base.steps, &jc, err, errlen)) return -1;
        pts[i] = (plot_point){.x = r->trials[i].depth, .y = r->trials[i].score};
        pts[i].chosen = r->found && r->trials[i].depth == r->best_depth;
        cost_note(pts[i].note, sizeof pts[i].note, &jc);
    }
    char title[160], footer[200], ylabel[64];
    snprintf(title, sizeof title, "depth search: %d steps, gamma %.4f, %d images", s->base.steps,
             s->base.gamma, s->samples->count);
    if (r->found)
        snprintf(footer, sizeof footer, "shallowest depth over the threshold: D%d", r->best_depth);
    else
        snprintf(footer, sizeof footer, "no pruned depth reaches the threshold");
    snprintf(ylabel, sizeof ylabel, "mean %s vs full-depth reference %s", s->metric.name,
             s->metric.unit);
    plot_spec spec = {.title = title,
                      .x_label = "depth D",
                      .y_label = ylabel,
                      .footer = footer,
                      .has_threshold = true,
                      .threshold = c->threshold};
    return plot_write_svg(path, &spec, pts, r->n_trials, err, errlen);
}

int search_write_profile(const char *path, const char *name, const edit_scorer *s, int depth,
                         double gamma, const char *report_path, char *err, size_t errlen) {
    profile p = {0};
    const i2i_params *b = &s->base;
    snprintf(p.name, sizeof p.name, "%s", name);
    snprintf(p.task, sizeof p.task, "edit");
    snprintf(p.description, sizeof p.description,
             "searched: depth %d, %d steps, gamma %.4f on %d images", depth, b->steps, gamma,
             s->samples->count);
    snprintf(p.baseline, sizeof p.baseline, "edit-full");
    snprintf(p.source, sizeof p.source, "search report: %s", report_path ? report_path : "(none)");
    p.depth = depth;
    p.steps = b->steps;
    p.gamma = gamma;
    p.sampler = b->sampler;
    p.eta = b->eta;
    p.guidance_scale = b->guidance_scale;
    p.image_guidance_scale = b->image_guidance_scale;
    p.depth_range = (profile_range){1, edit_scorer_full_depth(s), true};
    p.steps_range = (profile_range){1, b->steps > 50 ? b->steps : 50, true};
    p.gamma_range = (profile_range){fmin(0.1, gamma), fmax(10.0, gamma), true};
    return profile_save(&p, path, err, errlen);
}
