/* Operational routes: health, readiness, metrics, profiles. */
#include "api_task.h"
#include "app.h"

#include <string.h>

void route_healthz(app *a, http_request *req, const char *id, http_response *resp) {
    (void)a, (void)req, (void)id;
    http_response_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

bool app_serves_task(app *a, const char *task) {
    size_t n = atomic_load(&a->n_bundles);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(a->bundles[i].task, task)) return true;
    return false;
}

/* {"edit": {"ready": true, "bundle": DIR}, "control": {"ready": false, ...}} */
static json_t *tasks_json(app *a) {
    json_t *tasks = json_object();
    size_t n = atomic_load(&a->n_bundles);
    for (size_t i = 0; tasks && i < api_task_count(); i++) {
        const api_task *t = api_task_at(i);
        json_t *o = json_pack("{s:b,s:s}", "ready", 0, "route", t->route);
        for (size_t k = 0; o && k < n; k++)
            if (!strcmp(a->bundles[k].task, t->name)) {
                json_object_set_new(o, "ready", json_true());
                json_object_set_new(o, "bundle", json_string(a->bundles[k].dir));
                json_object_set_new(o, "resident_bytes",
                                    json_integer((json_int_t)a->bundles[k].resident_bytes));
            }
        if (o && !json_is_true(json_object_get(o, "ready")))
            json_object_set_new(o, "reason", json_string("no bundle of this task is loaded"));
        json_object_set_new(tasks, t->name, o);
    }
    return tasks;
}

/* 200 while at least one task is served (every loaded bundle serves one);
 * the body says which. */
void route_readyz(app *a, http_request *req, const char *id, http_response *resp) {
    (void)req, (void)id;
    switch (atomic_load(&a->state)) {
    case APP_READY:
        http_response_json(resp, 200,
                           json_pack("{s:s,s:o}", "status", "ready", "tasks", tasks_json(a)));
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
    g.n_bundles = atomic_load(&a->n_bundles);
    g.bundles = a->bundles;
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
