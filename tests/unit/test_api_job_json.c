/* Job JSON, the error envelope and status names. */
#include "check.h"
#include "api_error.h"
#include "api_task.h"
#include "job_json.h"

#include <stdlib.h>
#include <string.h>

static void test_error_envelope(void) {
    char *s = api_error_json(API_ERR_QUEUE_FULL, "the job queue is full");
    json_t *o = s ? json_loads(s, 0, NULL) : NULL;
    CHECK(o != NULL);
    json_t *err = json_object_get(o, "error");
    CHECK(json_is_object(err));
    CHECK(strcmp(json_string_value(json_object_get(err, "code")), "queue_full") == 0);
    CHECK(strcmp(json_string_value(json_object_get(err, "message")), "the job queue is full") == 0);
    CHECK(json_object_size(o) == 1 && json_object_size(err) == 2);
    json_decref(o);
    free(s);
    /* invalid UTF-8 in a message still gives valid JSON */
    s = api_error_json(API_ERR_UNKNOWN_FIELD, "bad \xff name");
    o = s ? json_loads(s, 0, NULL) : NULL;
    CHECK(o != NULL);
    json_decref(o);
    free(s);

    struct {
        api_error_code c;
        int status;
        const char *name;
    } table[] = {{API_ERR_INVALID_REQUEST, 400, "invalid_request"},
                 {API_ERR_UNAUTHORIZED, 401, "unauthorized"},
                 {API_ERR_NOT_FOUND, 404, "not_found"},
                 {API_ERR_METHOD_NOT_ALLOWED, 405, "method_not_allowed"},
                 {API_ERR_NOT_FINISHED, 409, "job_not_finished"},
                 {API_ERR_EXPIRED, 410, "job_expired"},
                 {API_ERR_PAYLOAD_TOO_LARGE, 413, "payload_too_large"},
                 {API_ERR_UNSUPPORTED_MEDIA_TYPE, 415, "unsupported_media_type"},
                 {API_ERR_IMAGE_TOO_LARGE, 422, "image_too_large"},
                 {API_ERR_OUT_OF_RANGE, 422, "parameter_out_of_range"},
                 {API_ERR_UNKNOWN_PROFILE, 422, "unknown_profile"},
                 {API_ERR_QUEUE_FULL, 429, "queue_full"},
                 {API_ERR_UNAVAILABLE, 503, "unavailable"}};
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        CHECK_MSG(api_error_http_status(table[i].c) == table[i].status, "%s", table[i].name);
        CHECK_MSG(strcmp(api_error_code_name(table[i].c), table[i].name) == 0, "%s", table[i].name);
    }
    /* every code has a name and a 4xx/5xx status */
    for (int c = 1; c < API_ERR_COUNT_; c++) {
        CHECK(api_error_code_name((api_error_code)c) != NULL);
        CHECK(api_error_http_status((api_error_code)c) >= 400);
    }
}

static void test_job_view(void) {
    job_resolved res;
    memset(&res, 0, sizeof res);
    snprintf(res.profile, sizeof res.profile, "edit");
    res.params.prompt = "make it autumn";
    res.params.steps = 10;
    res.params.depth = 9;
    res.params.gamma = 0.5;
    res.params.seed = 99;
    res.gamma_origin = PROFILE_GAMMA_FROM_TABLE;
    res.task = api_task_find("edit");
    job_view v = {.id = "123e4567-e89b-42d3-a456-426614174000",
                  .task = "edit",
                  .status = JOB_QUEUED,
                  .step = 0,
                  .steps = 10,
                  .queue_position = 3,
                  .created_at = 1700000000.25,
                  .params = &res};
    json_t *o = job_view_json(&v);
    CHECK(o != NULL);
    CHECK(strcmp(json_string_value(json_object_get(o, "status")), "queued") == 0);
    CHECK(json_integer_value(json_object_get(o, "queue_position")) == 3);
    CHECK(strcmp(json_string_value(json_object_get(o, "created_at")), "2023-11-14T22:13:20.250Z") ==
          0);
    CHECK(json_is_null(json_object_get(o, "started_at")));
    CHECK(json_is_null(json_object_get(o, "error")));
    CHECK(json_is_null(json_object_get(o, "result")));
    json_t *prog = json_object_get(o, "progress");
    CHECK(json_integer_value(json_object_get(prog, "steps")) == 10);
    json_t *params = json_object_get(o, "parameters");
    CHECK(json_integer_value(json_object_get(params, "num_inference_steps")) == 10);
    CHECK(json_integer_value(json_object_get(params, "seed")) == 99);
    CHECK(json_real_value(json_object_get(params, "gamma")) == 0.5);
    CHECK(strcmp(json_string_value(json_object_get(params, "gamma_source")), "gamma_table") == 0);
    CHECK(strcmp(json_string_value(json_object_get(o, "profile")), "edit") == 0);
    CHECK(strstr(json_string_value(json_object_get(json_object_get(o, "links"), "result")),
                 "/result") != NULL);
    json_decref(o);

    v.status = JOB_FAILED;
    v.queue_position = -1;
    v.error_code = "model_error";
    v.error_message = "boom";
    o = job_view_json(&v);
    CHECK(json_is_null(json_object_get(o, "queue_position")));
    CHECK(strcmp(json_string_value(json_object_get(json_object_get(o, "error"), "code")),
                 "model_error") == 0);
    json_decref(o);

    v.status = JOB_SUCCEEDED;
    v.error_code = NULL;
    v.result_width = 64;
    v.result_height = 48;
    o = job_view_json(&v);
    json_t *result = json_object_get(o, "result");
    CHECK(json_integer_value(json_object_get(result, "width")) == 64);
    CHECK(json_integer_value(json_object_get(result, "height")) == 48);
    json_decref(o);
}

static void test_status_names(void) {
    const char *names[] = {"queued", "running", "succeeded", "failed", "canceled"};
    for (int i = 0; i < 5; i++) {
        job_status st;
        CHECK(job_status_parse(names[i], &st) && (int)st == i);
        CHECK(strcmp(job_status_name(st), names[i]) == 0);
        CHECK(job_status_is_final(st) == (i >= 2));
    }
    job_status st;
    CHECK(!job_status_parse("done", &st));
}

int main(void) {
    test_error_envelope();
    test_job_view();
    test_status_names();
    return CHECK_DONE();
}
