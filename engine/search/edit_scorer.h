/* The searches' score for the edit task: mean metric (PSNR by default) of
 * the candidate settings' outputs against the reference outputs (the
 * ref_steps-step uniform full-depth edit of the same model, same seed and
 * so the same initial noise, η = 0) over a sample set.
 *
 * It counts the work it does (edit jobs, denoising steps, U-Net
 * evaluations, references computed or read from the cache) so a search can
 * report its own cost, and reports progress per denoising step. */
#ifndef I2I_EDIT_SCORER_H
#define I2I_EDIT_SCORER_H

#include "i2i_engine.h"
#include "metrics/metrics.h"
#include "search/search_samples.h"
#include <stdint.h>

typedef struct search_counters {
    long jobs;          /* edit runs, references included */
    long denoise_steps; /* sampler steps over all jobs */
    long unet_evals;    /* U-Net evaluations (3 per edit step, DESIGN §1.2) */
    long refs_computed;
    long refs_cached;
    double job_seconds; /* wall time inside edit jobs */
} search_counters;

typedef struct search_progress {
    const char *phase; /* "reference" or "trial" */
    int trial;         /* 1-based, within the phase */
    char label[64];    /* what is being scored, e.g. "gamma 0.5556" */
    int image, images; /* 1-based */
    int step, steps;
} search_progress;

typedef void (*search_progress_fn)(void *user, const search_progress *p);

typedef struct edit_scorer {
    const i2i_bundle *bundle;
    const search_samples *samples;
    i2i_metric metric;
    i2i_params base; /* seed, guidance scales; steps/depth/γ of trials */
    int ref_steps;
    const char *cache_dir; /* NULL: references are not cached */
    uint64_t bundle_fp;
    i2i_image *refs; /* one per sample, after edit_scorer_prepare_refs */
    search_counters counters;
    search_progress_fn progress;
    void *progress_user;
    search_progress now;
    int trials;
} edit_scorer;

/* base gives the trials' defaults; the references use base with
 * ref_steps, the full depth, γ = 1, DDIM and η = 0. */
int edit_scorer_init(edit_scorer *s, const i2i_bundle *b, const char *bundle_dir,
                     const search_samples *samples, const i2i_params *base, int ref_steps,
                     const char *metric_name, const char *cache_dir, char *err, size_t errlen);
void edit_scorer_free(edit_scorer *s);
/* Computes (or loads from the cache) every reference output. */
int edit_scorer_prepare_refs(edit_scorer *s, char *err, size_t errlen);
/* Mean score of the settings p (prompt and seed come from the samples and
 * base) against the references. */
int edit_scorer_score(edit_scorer *s, const i2i_params *p, const char *label, double *mean,
                      char *err, size_t errlen);

/* Search callbacks: vary γ (or depth) from base. user is the edit_scorer. */
int edit_scorer_score_gamma(void *user, double gamma, double *score, char *err, size_t errlen);
int edit_scorer_score_depth(void *user, int depth, double *score, char *err, size_t errlen);

/* The bundle's full depth (13 for SD). */
int edit_scorer_full_depth(const edit_scorer *s);

/* U-Net cost of one edit job on the first sample's image at depth, steps. */
typedef struct search_job_cost {
    int64_t params_total, params_kept;
    double macs_per_job;
    int latent_width, latent_height;
} search_job_cost;
int edit_scorer_job_cost(const edit_scorer *s, int depth, int steps, search_job_cost *out,
                         char *err, size_t errlen);

#endif
