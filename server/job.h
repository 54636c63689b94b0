/* One job record. Every field is guarded by the job service's lock; the
 * record is freed when its last reference goes (the store holds one,
 * waiters and the worker running it hold theirs). */
#ifndef I2I_SERVER_JOB_H
#define I2I_SERVER_JOB_H

#include "job_request.h"
#include "i2i_engine.h"
#include "engine_runner.h"
#include "job_json.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a running job was asked to stop at its next step. */
typedef enum job_stop {
    JOB_STOP_NONE = 0,
    JOB_STOP_CLIENT,   /* DELETE / cancel */
    JOB_STOP_SHUTDOWN, /* the drain timed out */
    JOB_STOP_TIMEOUT   /* over its time budget */
} job_stop;

typedef struct job {
    char id[37];
    char task[16];
    job_status status;
    int step, steps;
    job_stop stop; /* set once; the worker sees it at the next step */
    double created_at, started_at, finished_at;
    job_request req;                   /* owns the prompt and negative prompt */
    job_resolved resolved;             /* resolved.params' texts point into req */
    i2i_image input;                   /* the input at its working size; freed once the job ran */
    int input_width, input_height;     /* the decoded (upright) input's size */
    int working_width, working_height; /* the size it runs at */
    double timeout_s;                  /* 0 = none */
    engine_image results[ENGINE_RUNNER_MAX_IMAGES]; /* encoded, set once when the job succeeds */
    int n_results;
    const char *result_type; /* their media type (static) */
    int out_width, out_height;
    char error_code[32];
    char error_message[256];
    char idempotency_key[256]; /* scoped to the owner */
    char owner[64];            /* the API key's name that created it; "" without auth */
    uint64_t request_hash;
    double webhook_progress_at; /* when the last progress webhook was queued (throttle) */
    int refs;
    /* the store's links: creation order, finish order, and its two hashes */
    struct job *newer, *older;
    struct job *finished_next;
    struct job *id_next, *idem_next;
} job;

job *job_new(void);
void job_ref(job *j);
/* Drops one reference; frees the job at zero. */
void job_unref(job *j);

/* Snapshot for rendering; queue_position is the caller's to fill. */
void job_fill_view(const job *j, job_view *v);

#endif
