/* Operational routes: health, readiness, metrics, profiles. */
#include "app.h"

#include <string.h>

void route_healthz(app *a, http_request *req, const char *id, http_response *resp) {
    (void)a, (void)req, (void)id;
    http_response_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

void route_readyz(app *a, http_request *req, const char *id, http_response *resp) {
    (void)req, (void)id;
    switch (atomic_load(&a->state)) {
    case APP_READY:
        http_response_json(resp, 200, json_pack("{s:s}", "status", "ready"));
        return;
    case APP_LOADING:
        http_response_error(resp, API_ERR_UNAVAILABLE, "loading the model bundle");
        return;
    case APP_DRAINING:
        http_response_error(resp, API_ERR_UNAVAILABLE, "draining: the server is shutting down");
        return;
    default:
        http_response_error(resp, API_ERR_UNAVAILABLE, "the model bundle failed to load");
    }
}

void route_metrics(app *a, http_request *req, const char *id, http_response *resp) {
    (void)req, (void)id;
    metrics_gauges g = {0};
    job_service_gauges(a->jobs, &g);
    g.ready = atomic_load(&a->state) == APP_READY;
    char *text = metrics_render(a->metrics, &g);
    if (!text) {
        http_response_error(resp, API_ERR_INTERNAL, "out of memory rendering metrics");
        return;
    }
    http_response_bytes(resp, 200, "text/plain; version=0.0.4; charset=utf-8", (uint8_t *)text,
                        strlen(text));
}

/* Lists the profiles the server was started with; each carries its cost on
 * the loaded bundle once the bundle has loaded. */
void route_profiles(app *a, http_request *req, const char *id, http_response *resp) {
    (void)req, (void)id;
    http_response_json(resp, 200, api_profiles_json(atomic_load(&a->profiles)));
}
