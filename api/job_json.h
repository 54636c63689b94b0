/* The job resource as JSON (GET /v1/jobs/{id} and friends). The server
 * fills a job_view snapshot under its lock and renders it here. */
#ifndef I2I_API_JOB_JSON_H
#define I2I_API_JOB_JSON_H

#include "job_request.h"
#include "param_limits.h"
#include <jansson.h>
#include <stdbool.h>

typedef enum job_status {
    JOB_QUEUED = 0,
    JOB_RUNNING,
    JOB_SUCCEEDED,
    JOB_FAILED,
    JOB_CANCELED,
    JOB_STATUS_COUNT_
} job_status;

typedef struct job_view {
    const char *id;
    const char *task;
    job_status status;
    int step, steps;    /* progress */
    int queue_position; /* 0-based while queued, -1 otherwise */
    double created_at;  /* unix seconds; 0 = not yet */
    double started_at;
    double finished_at;
    const job_resolved *params;
    /* a stored job's instead of params: its profile and parameters JSON */
    const char *profile;
    const char *params_json;
    const char *error_code; /* NULL unless failed/canceled */
    const char *error_message;
    int result_width, result_height; /* 0 unless succeeded */
    const char *result_type;         /* the result's media type; NULL = image/png */
    int result_count;                /* images (num_images_per_prompt) once succeeded */
    uint64_t result_seeds[API_NUM_IMAGES_MAX];
    int input_width, input_height;     /* the decoded (upright) input */
    int working_width, working_height; /* the size the job runs at */
    double eta_s;                      /* seconds left; < 0 until the first step ran */
} job_view;

const char *job_status_name(job_status s);
bool job_status_parse(const char *name, job_status *out);
bool job_status_is_final(job_status s);

/* RFC 3339 UTC with milliseconds, e.g. 2024-05-01T12:00:00.123Z. */
void api_format_time(double unix_seconds, char *out, size_t outlen);

json_t *job_view_json(const job_view *v);

#endif
