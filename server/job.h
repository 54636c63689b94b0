/* A job's live run state in this process: what the worker needs to run it
 * (the decoded input, the engine parameters), the stop flag, and what the
 * event listeners read. It exists only while the job is queued or running;
 * what clients see (status, progress, results) lives in the job store as a
 * job_meta. Fields are guarded by the job service's lock, except those the
 * worker owns while running (input, resolved). One owner at a time: the
 * queue, then the worker running it, which frees it when the job ends. */
#ifndef I2I_SERVER_JOB_H
#define I2I_SERVER_JOB_H

#include "job_request.h"
#include "i2i_engine.h"
#include "engine_runner.h"
#include "job_json.h"
#include "job_meta.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Why a running job was asked to stop at its next step. */
typedef enum job_stop {
    JOB_STOP_NONE = 0,
    JOB_STOP_CLIENT,   /* DELETE / cancel */
    JOB_STOP_SHUTDOWN, /* the drain timed out */
    JOB_STOP_TIMEOUT,  /* over its time budget */
    JOB_STOP_LOST      /* shared queue: the lease was lost, another replica has the job */
} job_stop;

typedef struct job {
    char id[37];
    char task[16];
    char owner[64];    /* the API key's name that created it; "" without auth */
    job_status status; /* QUEUED or RUNNING here; the store has the final one */
    int step, steps;
    job_stop stop; /* set once; the worker sees it at the next step */
    double created_at, started_at;
    job_request req;            /* owns the prompt and negative prompt */
    job_resolved resolved;      /* resolved.params' texts point into req */
    i2i_image input;            /* the input at its working size */
    double timeout_s;           /* 0 = none */
    double webhook_progress_at; /* when the last progress webhook was queued (throttle) */
    int attempt;                /* the run this is (a reclaimed job runs again) */
    int refs;
} job;

job *job_new(void);
/* Drops one reference; frees the job at zero. */
void job_unref(job *j);

/* Snapshot of a stored job for rendering; queue_position is the caller's
 * to fill. v borrows m's strings. */
void job_meta_fill_view(const job_meta *m, job_view *v);

#endif
