/* Prometheus metrics: counters and histograms kept here; gauges (queue
 * depth, in-flight) are read from the job service when rendering. */
#ifndef I2I_SERVER_METRICS_H
#define I2I_SERVER_METRICS_H

#include "api_task.h"
#include "i2i_engine.h"
#include "job_json.h"
#include <stdbool.h>
#include <stddef.h>

typedef struct metrics metrics;

/* Route labels are a fixed set so label cardinality stays bounded: the
 * fixed routes, then one per task of the task table (its route path). */
typedef enum metrics_route {
    ROUTE_JOB = 0,
    ROUTE_JOB_RESULT,
    ROUTE_JOB_CANCEL,
    ROUTE_JOB_EVENTS,
    ROUTE_JOBS,
    ROUTE_PROFILES,
    ROUTE_HEALTHZ,
    ROUTE_READYZ,
    ROUTE_METRICS,
    ROUTE_WEB,
    ROUTE_IMAGES_EDITS,
    ROUTE_OTHER,
    ROUTE_TASK_FIRST,
    ROUTE_COUNT_ = ROUTE_TASK_FIRST + API_MAX_TASKS
} metrics_route;

/* One loaded bundle, for the memory and readiness gauges. */
typedef struct metrics_bundle {
    const char *task;
    const char *dir;
    size_t resident_bytes;
    const i2i_network_memory *mem; /* per network (the engine's report) */
    int n_mem;
    const char *dtype;
} metrics_bundle;

typedef struct metrics_gauges {
    size_t queue_depth;
    size_t in_flight;
    size_t stored_jobs;
    bool shared_queue;         /* jobs queue in the store (Redis) */
    size_t shared_queue_depth; /* then: jobs waiting there, all replicas */
    int ready;
    int workers;
    const metrics_bundle *bundles; /* loaded bundles (NULL while loading) */
    size_t n_bundles;
} metrics_gauges;

metrics *metrics_create(void);
void metrics_free(metrics *m);
const char *metrics_route_label(metrics_route r);

void metrics_http_request(metrics *m, metrics_route r, int status);
void metrics_job_submitted(metrics *m, const char *task);
void metrics_job_rejected(metrics *m, const char *task, const char *reason);
void metrics_job_started(metrics *m, double queue_wait_s);
void metrics_job_finished(metrics *m, const char *task, job_status final, double run_s);
/* Lost jobs this replica took back from the shared queue: queued again, or
 * failed (worker_lost) after their last attempt. */
void metrics_jobs_reclaimed(metrics *m, size_t requeued, size_t failed);
/* One webhook delivery outcome: delivered, retried (an attempt failed and
 * another is scheduled), failed (out of attempts), refused (destination
 * not allowed), dropped (queue full or shutting down). */
void metrics_webhook(metrics *m, const char *result);

/* Prometheus text exposition format 0.0.4, malloc'd. */
char *metrics_render(metrics *m, const metrics_gauges *g);

#endif
