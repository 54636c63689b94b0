/* The job lifecycle: submission into the bounded queue, lookup, waiting,
 * cancellation, expiry, the worker hand-off and the drain. What clients
 * see lives in the job store (job_store.h), which locks on its own; the
 * service's mutex guards only this process's run state: the queue of live
 * records, the running count, the listeners. Condition variables wake
 * workers (new job) and waiters (a job finished). */
#ifndef I2I_SERVER_JOB_SERVICE_H
#define I2I_SERVER_JOB_SERVICE_H

#include "engine_runner.h"
#include "job.h"
#include "job_events.h"
#include "job_store.h"
#include "metrics.h"
#include <jansson.h>
#include <stdbool.h>

typedef struct job_service job_service;

/* EXPIRED: past the TTL; EVICTED: let go early by the store's cap. */
typedef enum lookup_result {
    LOOKUP_FOUND,
    LOOKUP_NOT_FOUND,
    LOOKUP_EXPIRED,
    LOOKUP_EVICTED,
    LOOKUP_UNAVAILABLE /* the store did not answer (503) */
} lookup_result;

typedef enum submit_result {
    SUBMIT_CREATED,
    SUBMIT_REPLAYED, /* same Idempotency-Key and request: the existing job */
    SUBMIT_QUEUE_FULL,
    SUBMIT_QUOTA_EXCEEDED, /* the owner has its most queued jobs */
    SUBMIT_DRAINING,
    SUBMIT_IDEMPOTENCY_CONFLICT,
    SUBMIT_NOMEM,
    SUBMIT_STORE_UNAVAILABLE /* the store did not answer (503) */
} submit_result;

/* Takes ownership of store (whose config says how long finished jobs
 * stay); max_queued_per_owner: queued jobs one owner may have (0 = no own limit).
 * `owner` arguments below: the API key's name jobs are filed under; for
 * lookups NULL sees every owner's jobs (no auth, or the admin key). */
job_service *job_service_create(job_store *store, int queue_max, int workers,
                                int max_queued_per_owner, metrics *m);
void job_service_free(job_service *s);

/* The job's task is res->task; *input is the image at its working size
 * and res->params.output_width/height the decoded input's size. On SUBMIT_CREATED the request and
 * the decoded input move into the job
 * (*req and *input are left empty). *retry_after_s is set for QUEUE_FULL. */
submit_result job_service_submit(job_service *s, job_request *req, const job_resolved *res,
                                 i2i_image *input, const char *owner, const char *idempotency_key,
                                 uint64_t request_hash, char id_out[37], int *retry_after_s);

/* Adds or removes a listener of job events (at most
 * JOB_EVENT_MAX_LISTENERS; false when full). */
bool job_service_listen(job_service *s, job_event_listener fn, void *ctx);
void job_service_unlisten(job_service *s, job_event_listener fn, void *ctx);
/* Whether there is nothing to wait for: the job is final, or unknown. */
bool job_service_is_settled(job_service *s, const char *id);

json_t *job_service_job_json(job_service *s, const char *id, const char *owner, lookup_result *lr);
/* A copy of one of a succeeded job's encoded results (bytes NULL otherwise). */
typedef struct job_result_copy {
    uint8_t *bytes; /* malloc'd: the caller frees it */
    size_t len;
    const char *content_type; /* static */
    int count;                /* the job's results (0 unless it succeeded) */
} job_result_copy;

/* Copies result `index` (0-based) of a succeeded job; *status is the job's
 * status. bytes stay NULL for an index at or past out->count. */
lookup_result job_service_result(job_service *s, const char *id, const char *owner, int index,
                                 job_status *status, job_result_copy *out);
/* Cancels a queued or running job (idempotent). *was_running tells the
 * caller the cancel takes effect at the next denoising step. */
json_t *job_service_cancel(job_service *s, const char *id, const char *owner, lookup_result *lr,
                           bool *was_running);
/* {"jobs": [...]} newest first; status_filter < 0 = all. */
json_t *job_service_list(job_service *s, const char *owner, int status_filter, size_t limit);

void job_service_gauges(job_service *s, metrics_gauges *g);

/* Whether jobs queue in the store, shared by replicas (Redis). */
bool job_service_shared_queue(job_service *s);
/* Drain: refuse submissions, cancel queued jobs (shared queue: they stay
 * queued for the other replicas); then wait for running jobs. */
void job_service_begin_drain(job_service *s);
bool job_service_wait_idle(job_service *s, double timeout_s);
void job_service_cancel_running(job_service *s);
/* Wakes the workers so they return NULL from job_service_next(). */
void job_service_shutdown(job_service *s);

/* Worker side. next() blocks for a job and marks it running (NULL on
 * shutdown); progress() returns false once the job is canceled; finish()
 * publishes the result and releases the worker's reference. */
job *job_service_next(job_service *s);
bool job_service_progress(job_service *s, job *j, int step, int steps);
void job_service_finish(job_service *s, job *j, engine_result *r);

double job_service_now(void); /* wall clock, unix seconds */

#endif
