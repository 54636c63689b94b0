/* Everything a route handler needs, in one place. */
#ifndef I2I_SERVER_APP_H
#define I2I_SERVER_APP_H

#include "config.h"
#include "http_types.h"
#include "job_service.h"
#include "metrics.h"
#include "profiles.h"
#include "result_url.h"
#include <stdatomic.h>

typedef enum app_state { APP_LOADING = 0, APP_READY, APP_DRAINING, APP_FAILED } app_state;

typedef struct app {
    const server_config *cfg;
    job_service *jobs;
    metrics *metrics;
    /* Swapped once, from the set loaded at start to the same set with each
     * profile's cost for the loaded bundle; both live until exit. */
    _Atomic(const profile_set *) profiles;
    atomic_int state;
    /* The loaded bundles: filled by the loader, then published by storing
     * n_bundles (never changed again). */
    metrics_bundle bundles[8];
    atomic_size_t n_bundles;
    _Atomic(const engine_runner *) engine; /* published with n_bundles */
    result_urls urls;                      /* public base URL and result URL signing */
    struct webhook_jobs *webhooks;         /* job webhooks: policy and delivery */
} app;

/* Whether a loaded bundle serves `task` (false while loading). */
bool app_serves_task(app *a, const char *task);

/* Route handlers (routes_*.c). id is the {id} path segment or NULL. */
typedef void (*route_handler)(app *a, http_request *req, const char *id, http_response *resp);

/* POST /v1/<task>: the task comes from the request path (api_task_by_route). */
void route_submit(app *a, http_request *req, const char *id, http_response *resp);
void route_job_get(app *a, http_request *req, const char *id, http_response *resp);
void route_job_result(app *a, http_request *req, const char *id, http_response *resp);
void route_job_cancel(app *a, http_request *req, const char *id, http_response *resp);
void route_job_events(app *a, http_request *req, const char *id, http_response *resp);
void route_jobs_list(app *a, http_request *req, const char *id, http_response *resp);
void route_profiles(app *a, http_request *req, const char *id, http_response *resp);
void route_healthz(app *a, http_request *req, const char *id, http_response *resp);
void route_readyz(app *a, http_request *req, const char *id, http_response *resp);
void route_metrics(app *a, http_request *req, const char *id, http_response *resp);
void route_web(app *a, http_request *req, const char *id, http_response *resp);
/* POST /v1/images/edits: OpenAI's images.edit shape, answered synchronously. */
void route_images_edits(app *a, http_request *req, const char *id, http_response *resp);

#endif
