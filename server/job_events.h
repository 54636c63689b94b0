/* What the job service tells its listeners (Prefer: wait parking, event
 * streams, webhooks): a job was queued, started, advanced a step or
 * reached a final status, or the queue moved (positions changed). */
#ifndef I2I_SERVER_JOB_EVENTS_H
#define I2I_SERVER_JOB_EVENTS_H

typedef enum job_event_kind {
    JOB_EVENT_QUEUED,
    JOB_EVENT_STARTED,
    JOB_EVENT_PROGRESS,
    JOB_EVENT_FINAL,
    JOB_EVENT_QUEUE_MOVED /* job_id is "": every queued job's position may have changed */
} job_event_kind;

struct job;
typedef struct job_event {
    job_event_kind kind;
    const char *job_id;
    int step, steps; /* PROGRESS */
    struct job *job; /* NULL for QUEUE_MOVED; its fields are the lock's */
} job_event;

/* Called under the job service's lock: a listener only records the event
 * and wakes its own thread or connection; it must not call back into the
 * service. It may read the job's fields, and write the ones that are its
 * own (job.webhook_progress_at). */
typedef void (*job_event_listener)(void *ctx, const job_event *ev);

#define JOB_EVENT_MAX_LISTENERS 4

#endif
