/* The Server-Sent Events of one job, rendered from its job JSON. The
 * event ids follow from the job's state (see event_streams.h), so the
 * events after any Last-Event-ID can be rendered again at any time:
 *   1 queued   {"id","status":"queued","queue_position"} (again, same id,
 *              whenever the position changes)
 *   2 started  {"id","status":"running","started_at"}
 *   2+k progress {"id","step":k,"steps","eta_seconds"} for every step k
 *   3+step (2 if it never ran) done: the final job JSON */
#ifndef I2I_SERVER_JOB_SSE_H
#define I2I_SERVER_JOB_SSE_H

#include "text_buf.h"
#include <jansson.h>
#include <stdbool.h>

typedef struct job_sse_cursor {
    long last_id;      /* the last event id sent (0: none) */
    int last_position; /* queue position last sent; -2: none yet */
} job_sse_cursor;

/* Appends the events of `job` after the cursor and advances it. True once
 * the final event has been sent (the stream is complete). */
bool job_sse_render(const json_t *job, job_sse_cursor *cur, text_buf *out);

/* One SSE comment line (keep-alive) and the stream's opening lines. */
void job_sse_comment(text_buf *out, const char *text);

#endif
