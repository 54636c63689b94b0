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

/* Result `index` as base64, copied and encoded outside the service's lock. */
static void add_b64(app *a, const char *id, int index, json_t *to) {
    job_status st;
    job_result_copy copy;
    job_service_result(a->jobs, id, NULL, index, &st, &copy); /* the caller looked it up */
    char *b64 = copy.bytes ? base64_encode(copy.bytes, copy.len) : NULL;
    free(copy.bytes);
    if (b64) json_object_set_new(to, "b64_json", json_string(b64));
    free(b64);
}

static void add_url(app *a, const char *id, int index, json_t *to) {
    char url[RESULT_URL_MAX];
    if (result_urls_result(&a->urls, id, index, job_service_now(), url, sizeof url))
        json_object_set_new(to, "url", json_string(url));
}

void job_present(app *a, json_t *job, bool inline_image) {
    const char *id = json_string_value(json_object_get(job, "id"));
    if (!id) return;
    json_t *links = json_object_get(job, "links");
    absolute_link(a, links, "self");
    absolute_link(a, links, "result");
    json_t *result = json_object_get(job, "result");
    if (!json_is_object(result)) return;
    bool b64 = inline_image && wants_inline(job);
    /* result.url / b64_json: the first image, as before several images were possible */
    add_url(a, id, 0, result);
    if (b64) add_b64(a, id, 0, result);
    size_t i;
    json_t *image;
    json_array_foreach(json_object_get(result, "images"), i, image) {
        add_url(a, id, (int)i, image);
        if (b64 && i > 0) add_b64(a, id, (int)i, image);
    }
}

void job_present_list(app *a, json_t *list) {
    size_t i;
    json_t *job;
    json_array_foreach(json_object_get(list, "jobs"), i, job) job_present(a, job, false);
}
