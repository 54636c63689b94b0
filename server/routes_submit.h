/* The submission path every job route shares (routes_jobs.c): from a parsed
 * request to a queued job, with the route's own answer at the end. */
#ifndef I2I_SERVER_ROUTES_SUBMIT_H
#define I2I_SERVER_ROUTES_SUBMIT_H

#include "api_task.h"
#include "app.h"
#include "job_request.h"
#include <stdbool.h>

/* Answers a created (or replayed) job; may defer (http_defer) to wait. */
typedef void (*job_submitted_fn)(app *a, http_request *req, const char *id, bool replayed,
                                 http_response *resp);

/* Refusals before any parsing: loading, draining, or no bundle for the
 * task. false with the error response set. */
bool route_task_accepts(app *a, const api_task *t, http_response *resp);

/* Resolves er over its profile, checks the image header against the limits,
 * decodes and queues the job, then calls answer; any refusal is set on resp.
 * er stays the caller's to free. */
void route_submit_request(app *a, http_request *req, const api_task *t, job_request *er,
                          job_submitted_fn answer, http_response *resp);

/* Location (absolute under --public-url) and Idempotent-Replayed of a
 * submission's answer, whichever route took it. */
void route_submitted_headers(app *a, const char *id, bool replayed, http_response *resp);

#endif
