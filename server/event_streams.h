/* Server-Sent Event streams of job events (GET /v1/jobs/{id}/events).
 *
 * A stream is an MHD callback response on a connection that is suspended
 * whenever it has nothing to send, so open streams hold no thread. A job
 * event resumes the job's streams; a timer resumes idle ones for a
 * keep-alive comment. What a stream sends is derived from the job's
 * current state, with event ids that follow from it (queued 1, started 2,
 * progress step k 2+k, done 3+step, or 2 for a job that never started), so
 * a client that reconnects with Last-Event-ID gets every event after it
 * and nothing is kept per job. */
#ifndef I2I_SERVER_EVENT_STREAMS_H
#define I2I_SERVER_EVENT_STREAMS_H

#include "job_service.h"
#include <stddef.h>

struct MHD_Connection;
struct MHD_Response;
typedef struct event_streams event_streams;

/* present: applied to every job JSON before it is sent (absolute and
 * signed result URLs); NULL for none. */
typedef void (*event_streams_present)(void *ctx, json_t *job);
event_streams *event_streams_start(job_service *jobs, int max_streams, double keepalive_s,
                                   event_streams_present present, void *present_ctx);
/* After the HTTP daemon has stopped. */
void event_streams_stop(event_streams *h);

/* A stream response for job_id on connection c, resuming after
 * last_event_id (0: from the start). NULL when max_streams are open, the
 * hub is closing, or out of memory. */
struct MHD_Response *event_streams_open(event_streams *h, struct MHD_Connection *c,
                                        const char *job_id, long last_event_id);
/* Ends every stream (shutdown): each sends what it has, then closes. */
void event_streams_close_all(event_streams *h);
size_t event_streams_count(event_streams *h);

/* The job service listener (ctx: the hub). */
void event_streams_on_job_event(void *ctx, const job_event *ev);

#endif
