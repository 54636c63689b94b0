/* Job JSON: URLs and inline results. */
#include "job_present.h"
#include "base64.h"

#include <stdlib.h>
#include <string.h>

static void absolute_link(app *a, json_t *links, const char *key) {
    const char *path = json_string_value(json_object_get(links, key));
    if (!path || !a->urls.base[0]) return;
    char url[RESULT_URL_MAX];
    result_urls_absolute(&a->urls, path, url, sizeof url);
    json_object_set_new(links, key, json_string(url));
}

static bool wants_inline(json_t *job) {
    const char *rf =
        json_string_value(json_object_get(json_object_get(job, "parameters"), "response_format"));
    return rf && strcmp(rf, "b64_json") == 0;
}

/* The result bytes as base64, copied and encoded outside the service's lock. */
static void add_b64(app *a, const char *id, json_t *result) {
    job_status st;
    job_result_copy copy;
    job_service_result(a->jobs, id, NULL, &st, &copy); /* the caller already looked it up */
    char *b64 = copy.bytes ? base64_encode(copy.bytes, copy.len) : NULL;
    free(copy.bytes);
    if (b64) json_object_set_new(result, "b64_json", json_string(b64));
    free(b64);
}

void job_present(app *a, json_t *job, bool inline_image) {
    const char *id = json_string_value(json_object_get(job, "id"));
    if (!id) return;
    json_t *links = json_object_get(job, "links");
    absolute_link(a, links, "self");
    absolute_link(a, links, "result");
    json_t *result = json_object_get(job, "result");
    if (!json_is_object(result)) return;
    char url[RESULT_URL_MAX];
    if (result_urls_result(&a->urls, id, job_service_now(), url, sizeof url))
        json_object_set_new(result, "url", json_string(url));
    if (inline_image && wants_inline(job)) add_b64(a, id, result);
}

void job_present_list(app *a, json_t *list) {
    size_t i;
    json_t *job;
    json_array_foreach(json_object_get(list, "jobs"), i, job) job_present(a, job, false);
}
