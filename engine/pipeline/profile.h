/* Profiles: one JSON file per named parameter set of a task (DESIGN §2),
 * loaded from a directory at server start and by the CLI.
 *
 * A profile gives the defaults a job starts from (depth, steps, γ or a γ
 * table over the image-guidance scale, sampler, η, guidance), the ranges a
 * request may override depth/steps/γ within, and where the values came from.
 * File format ("format": "i2i-profile/1"):
 *   { "format": "i2i-profile/1", "name": "edit", "task": "edit",
 *     "description": "...", "bundle": "path" (optional),
 *     "depth": 9, "steps": 10, "gamma": "1/1.8" | 0.5556,
 *     "gamma_table": { "image_guidance_scale": [1.0, 1.2, 1.4, 1.6],
 *                      "rows": [{"steps": 10, "gamma": ["1/1.8", 0.581, 0.617, 0.704]}],
 *                      "source": "..." },                     (optional)
 *     "sampler": "ddim" | "dpmpp_2m", "eta": 0.0,
 *     "guidance_scale": 7.5, "image_guidance_scale": 1.0 (edit only),
 *     "resolution": 512 (optional; default the bundle's),
 *     "overrides": {"depth": [6, 13], "steps": [1, 50], "gamma": [0.2, 5.0]},
 *     "baseline": "edit-full" (optional; default "<task>-full"),
 *     "default": true (optional; the task's default profile when none is
 *                      named after the task, e.g. "sr" for upscale),
 *     "source": "paper ..." | "search report: path" }
 * A parameter missing from "overrides" is fixed at the profile's value.
 *
 * γ resolution for a job: a γ the request gives wins; otherwise the table
 * row for the job's step count, interpolated linearly over the image-guidance
 * scale and clamped to the table's ends; otherwise the profile's "gamma". */
#ifndef I2I_PROFILE_H
#define I2I_PROFILE_H

#include "i2i_engine.h"
#include "unet_config.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROFILE_FORMAT "i2i-profile/1"
#define PROFILE_MAX 32
#define PROFILE_TABLE_MAX_COLS 16
#define PROFILE_TABLE_MAX_ROWS 16

typedef struct profile_range {
    double min, max;
    bool overridable; /* false: fixed at the profile's value */
} profile_range;

typedef struct profile_gamma_row {
    int steps;
    double gamma[PROFILE_TABLE_MAX_COLS];
} profile_gamma_row;

typedef struct profile_gamma_table {
    int n_cols;
    double image_guidance_scale[PROFILE_TABLE_MAX_COLS]; /* strictly increasing */
    int n_rows;
    profile_gamma_row rows[PROFILE_TABLE_MAX_ROWS];
    char source[320];
} profile_gamma_table;

/* Per-job cost, filled by profile_set_compute_cost (U-Net work only: the
 * VAE and text encoder run once per job whatever the profile). */
typedef struct profile_cost {
    bool known;
    int64_t params_total;      /* U-Net parameters of the full model */
    int64_t params_kept;       /* at the profile's depth */
    double macs_per_unet_call; /* U-Net, plus a ControlNet branch as run */
    int unet_evals_per_job;    /* steps x evaluations per step of the task */
    double macs_per_job;
    int latent_width, latent_height;
    double speedup_vs_baseline; /* baseline MACs / own MACs; 0 when no baseline */
} profile_cost;

typedef struct profile {
    char name[64];
    char task[16];
    char description[200];
    char bundle[256]; /* "" when the profile works with any bundle of its task */
    char source[256];
    char baseline[64]; /* the uncompressed reference profile, "<task>-full" */
    bool is_default;   /* "default": true, the task's default when none is named after it */
    char path[512];    /* the file it was loaded from */
    int depth;
    int steps;
    double gamma;
    bool has_gamma_table;
    profile_gamma_table gamma_table;
    i2i_sampler sampler;
    double eta;
    double guidance_scale;
    double image_guidance_scale;
    int resolution; /* 0 = the bundle's own ("resolution", optional) */
    profile_range depth_range, steps_range, gamma_range;
    profile_cost cost;
} profile;

typedef struct profile_set {
    profile items[PROFILE_MAX];
    int count; /* sorted by file name */
} profile_set;

/* Parses and validates one profile; origin names it in error messages. */
int profile_parse(const char *json, size_t len, const char *origin, profile *out, char *err,
                  size_t errlen);
int profile_load_file(const char *path, profile *out, char *err, size_t errlen);
/* Loads every *.json in dir (sorted by file name); any invalid file, or two
 * profiles with one name, fails the whole load with a message naming it. */
int profile_set_load_dir(profile_set *set, const char *dir, char *err, size_t errlen);
const profile *profile_set_find(const profile_set *set, const char *name);
/* The profile a request of `task` without a profile name uses: the one
 * named like the task, else the first of that task. */
const profile *profile_set_default(const profile_set *set, const char *task);

/* Which optional fields a request set (bits of profile_request.given). */
enum {
    PROFILE_GIVEN_DEPTH = 1 << 0,
    PROFILE_GIVEN_STEPS = 1 << 1,
    PROFILE_GIVEN_GAMMA = 1 << 2,
    PROFILE_GIVEN_SAMPLER = 1 << 3,
    PROFILE_GIVEN_ETA = 1 << 4,
    PROFILE_GIVEN_GUIDANCE = 1 << 5,
    PROFILE_GIVEN_IMAGE_GUIDANCE = 1 << 6,
    PROFILE_GIVEN_SEED = 1 << 7
};

typedef struct profile_request {
    unsigned given;
    const char *prompt;
    int depth, steps;
    double gamma;
    i2i_sampler sampler;
    double eta, guidance_scale, image_guidance_scale;
    uint64_t seed;
} profile_request;

typedef enum profile_gamma_origin {
    PROFILE_GAMMA_FROM_REQUEST = 0,
    PROFILE_GAMMA_FROM_TABLE = 1,
    PROFILE_GAMMA_FROM_PROFILE = 2
} profile_gamma_origin;

typedef struct profile_resolved {
    i2i_params params; /* params.prompt borrows the request's */
    profile_gamma_origin gamma_origin;
} profile_resolved;

/* Profile defaults + the request's overrides -> engine parameters. An
 * override outside the profile's range fails with a message that names the
 * parameter and the range ("depth 4 is outside 6..13, the range profile
 * 'edit' allows"); the caller maps that to HTTP 422. */
int profile_resolve(const profile *p, const profile_request *req, profile_resolved *out, char *err,
                    size_t errlen);
/* γ for `steps` at image-guidance scale s_image per the rules above
 * (without a request γ). */
double profile_gamma_for(const profile *p, int steps, double s_image, profile_gamma_origin *origin);
const char *profile_gamma_origin_name(profile_gamma_origin o);

/* Fills every profile's cost for a U-Net of config cfg at a latent of
 * latent_w x latent_h (an image of 8x that), and the speed-up against its
 * baseline profile when the set has it. */
int profile_set_compute_cost(profile_set *set, const unet_config *cfg, int latent_w, int latent_h,
                             char *err, size_t errlen);
/* The same for a loaded bundle's U-Net and the profiles of its task only, at an image of image_w x
 * image_h pixels (padded as the pipelines pad it; 512 x 512 gives SD's 64 x 64). */
int profile_set_compute_cost_for_bundle(profile_set *set, const i2i_bundle *b, int image_w,
                                        int image_h, char *err, size_t errlen);

/* The profile as JSON: every field above, the ranges, and "cost" when known.
 * This is what GET /v1/profiles lists and what --write-profile writes. */
json_t *profile_to_json(const profile *p);
int profile_save(const profile *p, const char *path, char *err, size_t errlen);
const char *profile_sampler_name(i2i_sampler s);

#endif
