/* Building responses (no HTTP-library calls). */
#include "http_types.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void http_response_header(http_response *r, const char *name, const char *value) {
    if (r->n_headers == HTTP_MAX_EXTRA_HEADERS) return;
    http_header *h = &r->headers[r->n_headers++];
    snprintf(h->name, sizeof h->name, "%s", name);
    snprintf(h->value, sizeof h->value, "%s", value);
}

void http_response_bytes(http_response *r, int status, const char *content_type, uint8_t *body,
                         size_t len) {
    free(r->body);
    r->status = status;
    r->content_type = content_type;
    r->body = body;
    r->body_len = len;
}

void http_response_json(http_response *r, int status, json_t *o) {
    /* 10 significant digits: 1/1.8 prints as 0.5555555556, not 17 digits of noise */
    char *s = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(o);
    if (!s) {
        http_response_error(r, API_ERR_INTERNAL, "out of memory rendering JSON");
        return;
    }
    http_response_bytes(r, status, "application/json", (uint8_t *)s, strlen(s));
}

void http_response_error(http_response *r, api_error_code code, const char *fmt, ...) {
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    char *s = api_error_json(code, msg);
    if (!s) { /* out of memory: a static body the caller must not free */
        static const char oom[] =
            "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
        s = malloc(sizeof oom);
        if (s) memcpy(s, oom, sizeof oom);
    }
    http_response_bytes(r, api_error_http_status(code), "application/json", (uint8_t *)s,
                        s ? strlen(s) : 0);
    r->error_code = api_error_code_name(code);
}

void http_response_free(http_response *r) {
    free(r->body);
    r->body = NULL;
    r->body_len = 0;
}
