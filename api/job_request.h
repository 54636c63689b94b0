/* POST /v1/<task>: one request struct for every task, whatever the body.
 *
 * multipart/form-data (an `image` file part + text fields) and JSON (`image`
 * as base64 or a data URL) both fill a job_request; fields use diffusers
 * names (prompt, negative_prompt, num_inference_steps, guidance_scale,
 * image_guidance_scale, controlnet_conditioning_scale, seed, scheduler, eta)
 * plus ours (profile, depth, gamma, resolution, output_size, timeout,
 * control_type, low_threshold, high_threshold, image_resolution, scale, color_fix,
 * cfw_weight, output_format, output_quality, response_format, webhook,
 * webhook_events_filter, num_images_per_prompt). Each task (api_task.h) accepts a
 * subset; any other field is rejected by name. Parsing checks types and the ranges that do not
 * depend on the profile (400 invalid_parameter for a wrong type, 422 parameter_out_of_range outside
 * a fixed range); job_request_resolve() then merges the request over its profile through
 * profile_resolve(), which owns the depth / steps / gamma ranges and the γ
 * table, and applies the task's own fields and checks. */
#ifndef I2I_API_JOB_REQUEST_H
#define I2I_API_JOB_REQUEST_H

#include "api_error.h"
#include "i2i_engine.h"
#include "multipart.h"
#include "profiles.h"
#include "result_format.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

/* Request fields, as bits of job_request.given and api_task.fields. */
enum {
    REQ_IMAGE = 1u << 0,
    REQ_PROMPT = 1u << 1,
    REQ_NEGATIVE_PROMPT = 1u << 2,
    REQ_PROFILE = 1u << 3,
    REQ_SCHEDULER = 1u << 4,
    REQ_STEPS = 1u << 5,
    REQ_DEPTH = 1u << 6,
    REQ_SEED = 1u << 7,
    REQ_GUIDANCE = 1u << 8,
    REQ_IMAGE_GUIDANCE = 1u << 9,
    REQ_ETA = 1u << 10,
    REQ_GAMMA = 1u << 11,
    REQ_CONTROL_SCALE = 1u << 12,
    REQ_CONTROL_TYPE = 1u << 13,
    REQ_LOW_THRESHOLD = 1u << 14,
    REQ_HIGH_THRESHOLD = 1u << 15,
    REQ_IMAGE_RESOLUTION = 1u << 16,
    REQ_RESOLUTION = 1u << 17,
    REQ_OUTPUT_SIZE = 1u << 18,
    REQ_TIMEOUT = 1u << 19,
    REQ_SCALE = 1u << 20,
    REQ_COLOR_FIX = 1u << 21,
    REQ_CFW_WEIGHT = 1u << 22,
    REQ_OUTPUT_FORMAT = 1u << 23,
    REQ_OUTPUT_QUALITY = 1u << 24,
    REQ_RESPONSE_FORMAT = 1u << 25,
    REQ_WEBHOOK = 1u << 26,
    REQ_WEBHOOK_EVENTS = 1u << 27,
    REQ_NUM_IMAGES = 1u << 28
};

/* The fields every job route accepts. */
#define REQ_COMMON_FIELDS                                                                          \
    (REQ_IMAGE | REQ_PROMPT | REQ_PROFILE | REQ_SCHEDULER | REQ_STEPS | REQ_DEPTH | REQ_SEED |     \
     REQ_GUIDANCE | REQ_ETA | REQ_GAMMA | REQ_OUTPUT_SIZE | REQ_TIMEOUT | REQ_OUTPUT_FORMAT |      \
     REQ_OUTPUT_QUALITY | REQ_RESPONSE_FORMAT | REQ_WEBHOOK | REQ_WEBHOOK_EVENTS | REQ_NUM_IMAGES)

typedef struct api_task api_task;

typedef struct job_request {
    unsigned given;
    char *prompt;          /* owned, UTF-8 */
    char *negative_prompt; /* owned, UTF-8; NULL when not given */
    char profile[64];
    uint8_t *image; /* owned copy of the encoded image file */
    size_t image_len;
    int steps;
    double guidance_scale;
    double image_guidance_scale;
    uint64_t seed;
    i2i_sampler sampler;
    double eta;
    int depth;
    double gamma;
    double control_scale;
    i2i_control_type control_type;
    int low_threshold, high_threshold;
    int image_resolution; /* control's name for the working resolution */
    int resolution;       /* edit's */
    i2i_output_size output_size;
    double timeout_s; /* the job's own time budget */
    double scale;     /* upscale's */
    i2i_color_fix color_fix;
    double cfw_weight;
    result_format output_format; /* how the result is encoded */
    int output_quality;          /* jpeg / webp */
    bool response_b64;           /* response_format b64_json */
    char *webhook;               /* owned; NULL when not given */
    unsigned webhook_events;     /* API_WEBHOOK_* bits */
    int num_images;              /* num_images_per_prompt */
} job_request;

/* The parameters a job actually runs with (reported back in job JSON). */
typedef struct job_resolved {
    const api_task *task;
    char profile[64];
    i2i_params params;                 /* params.prompt / negative_prompt borrow the request's */
    profile_gamma_origin gamma_origin; /* request, the profile's γ table, or its γ */
    double timeout_s;                  /* 0 = none (the server's maximum still applies) */
    result_spec result;                /* the result's format and delivery */
    const char *webhook;               /* borrows the request's; NULL = none */
    unsigned webhook_events;           /* API_WEBHOOK_* bits */
    int num_images; /* results of one job: image i runs with seed + i (job_image_seed) */
} job_resolved;

/* The seed of a job's image i: seed + i, within the seeds a request may give. */
uint64_t job_image_seed(uint64_t seed, int i);

void job_request_init(job_request *r);
void job_request_free(job_request *r);
/* Frees only the image bytes (once decoded, the job no longer needs them). */
void job_request_drop_image(job_request *r);

bool job_request_from_json(const api_task *t, const char *body, size_t len, job_request *r,
                           api_error *e);
bool job_request_from_multipart(const api_task *t, const multipart_form *form, job_request *r,
                                api_error *e);

/* Hash of the task and the request's content (fields and image bytes, not
 * the body's encoding), so a retried multipart upload with a new boundary
 * still counts as the same request for Idempotency-Key. FNV-1a 64. */
uint64_t job_request_hash(const api_task *t, const job_request *r);

/* Applies the request over its profile (or the task's default profile),
 * then the task's own fields and checks. random_seed is used when the
 * request gave none. Fails with 422 unknown_profile (message lists the
 * task's profiles) or 422 parameter_out_of_range (names the range). */
bool job_request_resolve(const api_task *t, const job_request *r, const profile_set *profiles,
                         uint64_t random_seed, job_resolved *out, api_error *e);

/* {"prompt":..., "num_inference_steps":..., ..., "gamma":...,
 *  "gamma_source": "request"|"gamma_table"|"profile", <the task's own>} */
json_t *job_resolved_json(const job_resolved *res);

#endif
