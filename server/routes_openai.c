/* POST /v1/images/edits: OpenAI's images.edit, answered synchronously as
 * OpenAI answers it ({"created", "data": [{"b64_json"} or {"url"}]}). The
 * request becomes an ordinary edit job on the default edit profile (the
 * shared queue, limits and Idempotency-Key); the connection is parked until
 * the job is final (at most --wait-max seconds), holding no thread. */
#include "app.h"
#include "api_task.h"
#include "base64.h"
#include "http_parse.h"
#include "multipart.h"
#include "openai_edit.h"
#include "routes_submit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *viewer(const http_request *req) {
    return req->sees_all ? NULL : req->owner;
}

/* One data[] entry: image `index` inline, or its (signed) URL. */
static json_t *data_entry(app *a, const char *id, int index, bool b64) {
    if (!b64) {
        char url[RESULT_URL_MAX];
        if (!result_urls_result(&a->urls, id, index, job_service_now(), url, sizeof url))
            return NULL;
        return json_pack("{s:s}", "url", url);
    }
    job_status st;
    job_result_copy r;
    job_service_result(a->jobs, id, NULL, index, &st, &r);
    char *s = r.bytes ? base64_encode(r.bytes, r.len) : NULL;
    free(r.bytes);
    json_t *o = s ? json_pack("{s:s}", "b64_json", s) : NULL;
    free(s);
    return o;
}

static json_t *openai_body(app *a, const char *id, json_t *job) {
    json_t *params = json_object_get(job, "parameters");
    json_t *result = json_object_get(job, "result");
    const char *rf = json_string_value(json_object_get(params, "response_format"));
    bool b64 = rf && !strcmp(rf, "b64_json");
    json_t *data = json_array();
    size_t n = json_array_size(json_object_get(result, "images"));
    for (size_t i = 0; data && i < n; i++)
        if (json_array_append_new(data, data_entry(a, id, (int)i, b64)) != 0)
            json_decref(data), data = NULL;
    if (!data) return NULL;
    char size[32];
    snprintf(size, sizeof size, "%lldx%lld",
             (long long)json_integer_value(json_object_get(result, "width")),
             (long long)json_integer_value(json_object_get(result, "height")));
    return json_pack("{s:I,s:o,s:O?,s:s}", "created", (json_int_t)job_service_now(), "data", data,
                     "output_format", json_object_get(params, "output_format"), "size", size);
}

/* A job that did not succeed, as an error of this synchronous call. */
static void job_error(http_response *resp, const char *id, json_t *job, const char *status) {
    json_t *err = json_object_get(job, "error");
    const char *code = json_string_value(json_object_get(err, "code"));
    const char *msg = json_string_value(json_object_get(err, "message"));
    if (!strcmp(status, "queued") || !strcmp(status, "running"))
        http_response_error(resp, API_ERR_WAIT_TIMEOUT,
                            "job %s is still %s after the server's longest wait (--wait-max); "
                            "poll /v1/jobs/%s",
                            id, status, id);
    else if (code && !strcmp(code, "shutdown"))
        http_response_error(resp, API_ERR_UNAVAILABLE, "the server shut down before job %s ran",
                            id);
    else
        http_response_error(resp, API_ERR_INTERNAL, "job %s %s: %s: %s", id, status,
                            code ? code : "internal", msg ? msg : "");
}

static void answer_openai(app *a, http_request *req, const char *id, http_response *resp) {
    lookup_result lr;
    json_t *job = job_service_job_json(a->jobs, id, viewer(req), &lr);
    if (!job) {
        http_response_error(resp, API_ERR_NOT_FOUND, "job %s is gone", id);
        return;
    }
    const char *status = json_string_value(json_object_get(job, "status"));
    if (status && !strcmp(status, "succeeded"))
        http_response_json(resp, 200, openai_body(a, id, job));
    else
        job_error(resp, id, job, status ? status : "unknown");
    json_decref(job);
}

/* Waits for the job (parked, no thread) unless --wait-max is 0. */
static void openai_submitted(app *a, http_request *req, const char *id, bool replayed,
                             http_response *resp) {
    route_submitted_headers(a, id, replayed, resp);
    if (a->cfg->wait_max_s <= 0) return answer_openai(a, req, id, resp);
    resp->defer.then = answer_openai;
    snprintf(resp->defer.job_id, sizeof resp->defer.job_id, "%s", id);
    resp->defer.wait_s = a->cfg->wait_max_s;
}

/* The OpenAI form as an edit job request; false with the error set. */
static bool parse_openai(app *a, const api_task *t, http_request *req, job_request *er,
                         http_response *resp) {
    char boundary[128];
    const char *ct = http_request_header(req, "Content-Type");
    if (api_parse_content_type(ct, boundary, sizeof boundary) != API_MEDIA_MULTIPART) {
        http_response_error(resp, API_ERR_UNSUPPORTED_MEDIA_TYPE,
                            "POST /v1/images/edits takes multipart/form-data, as OpenAI's "
                            "images.edit sends it");
        return false;
    }
    api_error e = {0};
    multipart_form form, mapped = {0};
    if (!multipart_parse(req->body, req->body_len, boundary, &form, e.message, sizeof e.message)) {
        http_response_error(resp, API_ERR_INVALID_REQUEST, "%s", e.message);
        return false;
    }
    bool ok = openai_edit_form(&form, atomic_load(&a->profiles), &mapped, &e) &&
              job_request_from_multipart(t, &mapped, er, &e);
    multipart_form_free(&mapped);
    multipart_form_free(&form);
    if (!ok) http_response_error(resp, e.code, "%s", e.message);
    return ok;
}

void route_images_edits(app *a, http_request *req, const char *id, http_response *resp) {
    (void)id;
    const api_task *t = api_task_find("edit");
    if (!route_task_accepts(a, t, resp)) return;
    job_request er;
    job_request_init(&er);
    if (parse_openai(a, t, req, &er, resp))
        route_submit_request(a, req, t, &er, openai_submitted, resp);
    job_request_free(&er);
}
