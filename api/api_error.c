/* Error codes, their HTTP statuses and the JSON envelope. */
#include "api_error.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>

typedef struct code_entry {
    const char *name;
    int http_status;
} code_entry;

static const code_entry codes[API_ERR_COUNT_] = {
    [API_OK] = {"ok", 200},
    [API_ERR_INVALID_REQUEST] = {"invalid_request", 400},
    [API_ERR_INVALID_PARAMETER] = {"invalid_parameter", 400},
    [API_ERR_UNKNOWN_FIELD] = {"unknown_field", 400},
    [API_ERR_MISSING_FIELD] = {"missing_field", 400},
    [API_ERR_INVALID_IMAGE] = {"invalid_image", 400},
    [API_ERR_UNAUTHORIZED] = {"unauthorized", 401},
    [API_ERR_NOT_FOUND] = {"not_found", 404},
    [API_ERR_METHOD_NOT_ALLOWED] = {"method_not_allowed", 405},
    [API_ERR_NOT_FINISHED] = {"job_not_finished", 409},
    [API_ERR_IDEMPOTENCY_CONFLICT] = {"idempotency_conflict", 409},
    [API_ERR_NO_RESULT] = {"no_result", 409},
    [API_ERR_EXPIRED] = {"job_expired", 410},
    [API_ERR_EVICTED] = {"job_evicted", 410},
    [API_ERR_PAYLOAD_TOO_LARGE] = {"payload_too_large", 413},
    [API_ERR_UNSUPPORTED_MEDIA_TYPE] = {"unsupported_media_type", 415},
    [API_ERR_IMAGE_TOO_LARGE] = {"image_too_large", 422},
    [API_ERR_OUT_OF_RANGE] = {"parameter_out_of_range", 422},
    [API_ERR_UNKNOWN_PROFILE] = {"unknown_profile", 422},
    [API_ERR_QUEUE_FULL] = {"queue_full", 429},
    [API_ERR_QUOTA_EXCEEDED] = {"quota_exceeded", 429},
    [API_ERR_INTERNAL] = {"internal", 500},
    [API_ERR_UNAVAILABLE] = {"unavailable", 503},
    [API_ERR_TASK_UNAVAILABLE] = {"task_unavailable", 503},
    [API_ERR_FORBIDDEN] = {"forbidden", 403},
    [API_ERR_NOT_ACCEPTABLE] = {"not_acceptable", 406},
    [API_ERR_WAIT_TIMEOUT] = {"wait_timeout", 504},
    [API_ERR_WEBHOOK_NOT_ALLOWED] = {"webhook_not_allowed", 422},
};

const char *api_error_code_name(api_error_code code) {
    if ((int)code < 0 || code >= API_ERR_COUNT_) return "internal";
    return codes[code].name;
}

int api_error_http_status(api_error_code code) {
    if ((int)code < 0 || code >= API_ERR_COUNT_) return 500;
    return codes[code].http_status;
}

int api_error_set(api_error *e, api_error_code code, const char *fmt, ...) {
    e->code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
    return 0;
}

char *api_error_json(api_error_code code, const char *message) {
    json_t *root = json_pack("{s:{s:s,s:s}}", "error", "code", api_error_code_name(code), "message",
                             message ? message : "");
    if (!root) /* the message echoed client bytes that are not UTF-8 */
        root = json_pack("{s:{s:s,s:s}}", "error", "code", api_error_code_name(code), "message",
                         "request contained text that is not valid UTF-8");
    if (!root) return NULL;
    char *s = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    return s;
}
