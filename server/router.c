/* The route table. */
#include "router.h"
#include "http_parse.h"

#include <string.h>

typedef struct route_method {
    const char *method;
    route_handler handler;
} route_method;

typedef struct route_entry {
    const char *prefix; /* fixed part; for {id} routes the part before the id */
    const char *suffix; /* after the id; NULL for a fixed path */
    metrics_route route;
    const char *allow;
    bool needs_auth;
    route_method methods[3];
} route_entry;

static const route_entry routes[] = {
    {"/v1/jobs", NULL, ROUTE_JOBS, "GET, HEAD, OPTIONS", true, {{"GET", route_jobs_list}}},
    {"/v1/jobs/",
     "",
     ROUTE_JOB,
     "GET, HEAD, DELETE, OPTIONS",
     true,
     {{"GET", route_job_get}, {"DELETE", route_job_cancel}}},
    {"/v1/jobs/",
     "/result",
     ROUTE_JOB_RESULT,
     "GET, HEAD, OPTIONS",
     true,
     {{"GET", route_job_result}}},
    {"/v1/jobs/", "/events", ROUTE_JOB_EVENTS, "GET, OPTIONS", true, {{"GET", route_job_events}}},
    {"/v1/jobs/", "/cancel", ROUTE_JOB_CANCEL, "POST, OPTIONS", true, {{"POST", route_job_cancel}}},
    {"/v1/profiles", NULL, ROUTE_PROFILES, "GET, HEAD, OPTIONS", true, {{"GET", route_profiles}}},
    {"/healthz", NULL, ROUTE_HEALTHZ, "GET, HEAD", false, {{"GET", route_healthz}}},
    {"/readyz", NULL, ROUTE_READYZ, "GET, HEAD", false, {{"GET", route_readyz}}},
    {"/metrics", NULL, ROUTE_METRICS, "GET, HEAD", false, {{"GET", route_metrics}}},
    /* the page: "/" exactly, and every file under /static/ */
    {"/", NULL, ROUTE_WEB, "GET, HEAD", false, {{"GET", route_web}}},
    {"/static/", NULL, ROUTE_WEB, "GET, HEAD", false, {{"GET", route_web}}},
};

static bool path_matches(const route_entry *e, const char *path, char id[37]) {
    size_t plen = strlen(e->prefix);
    bool is_dir = plen > 1 && e->prefix[plen - 1] == '/';
    if (!e->suffix)
        return is_dir ? strncmp(path, e->prefix, plen) == 0 : strcmp(path, e->prefix) == 0;
    if (strncmp(path, e->prefix, plen) != 0) return false;
    const char *rest = path + plen;
    const char *slash = strchr(rest, '/');
    size_t idlen = slash ? (size_t)(slash - rest) : strlen(rest);
    if (idlen != 36 || strcmp(slash ? slash : "", e->suffix) != 0) return false;
    memcpy(id, rest, 36);
    id[36] = '\0';
    return api_is_job_id(id);
}

/* POST /v1/<task> for every task of the task table. */
static bool match_task_route(const char *path, const char *method, route_match *out) {
    const api_task *t = api_task_by_route(path);
    if (!t) return false;
    out->route = (metrics_route)(ROUTE_TASK_FIRST + api_task_index(t));
    out->allow = "POST, OPTIONS";
    out->needs_auth = true;
    out->handler = strcmp(method, "POST") == 0 ? route_submit : NULL;
    out->reads_body = out->handler != NULL;
    return true;
}

/* POST /v1/images/edits (OpenAI's shape): a body-reading route outside the
 * task table. */
static bool match_openai_route(const char *path, const char *method, route_match *out) {
    if (strcmp(path, "/v1/images/edits") != 0) return false;
    out->route = ROUTE_IMAGES_EDITS;
    out->allow = "POST, OPTIONS";
    out->needs_auth = true;
    out->handler = strcmp(method, "POST") == 0 ? route_images_edits : NULL;
    out->reads_body = out->handler != NULL;
    return true;
}

bool router_match(const char *path, const char *method, route_match *out) {
    memset(out, 0, sizeof *out);
    out->route = ROUTE_OTHER;
    if (match_task_route(path, method, out) || match_openai_route(path, method, out)) return true;
    /* HEAD is served by the GET handler; the front end drops the body */
    const char *m = strcmp(method, "HEAD") == 0 ? "GET" : method;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const route_entry *e = &routes[i];
        if (!path_matches(e, path, out->id)) continue;
        out->route = e->route;
        out->allow = e->allow;
        out->needs_auth = e->needs_auth;
        for (int k = 0; k < 3 && e->methods[k].method; k++)
            if (strcmp(e->methods[k].method, m) == 0) out->handler = e->methods[k].handler;
        return true;
    }
    return false;
}
