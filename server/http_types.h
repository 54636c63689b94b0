/* The server's own request/response types, so routes never touch
 * libmicrohttpd: http_server.c fills an http_request and turns the
 * http_response into an MHD response. */
#ifndef I2I_SERVER_HTTP_TYPES_H
#define I2I_SERVER_HTTP_TYPES_H

#include "api_error.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_EXTRA_HEADERS 8

typedef struct http_request {
    const char *method;
    const char *path;
    const uint8_t *body;
    size_t body_len;
    void *conn; /* opaque: the MHD connection */
    char request_id[37];
    char job_id[37]; /* set by a handler, for the access log */
    char owner[64];  /* the API key's name: new jobs belong to it; "" without auth */
    bool sees_all;   /* no auth, or the admin key: every owner's jobs */
} http_request;

typedef struct http_header {
    char name[40];
    char value[256];
} http_header;

struct app;
struct http_response;
/* Finishes a response after a wait; the handler's signature. */
typedef void (*http_continuation)(struct app *a, struct http_request *req, const char *id,
                                  struct http_response *resp);

/* A handler that would wait for a job sets this instead of blocking: the
 * front end parks the connection without a thread until the job is final
 * or wait_s passes, then calls `then` on the same response (whose headers
 * are kept) to fill in the answer. */
typedef struct http_defer {
    http_continuation then; /* NULL: answer now */
    char job_id[37];
    double wait_s;
} http_defer;

typedef struct http_response {
    int status;
    const char *content_type;
    uint8_t *body; /* malloc'd, owned */
    size_t body_len;
    http_header headers[HTTP_MAX_EXTRA_HEADERS];
    int n_headers;
    const char *error_code; /* for the access log */
    http_defer defer;
    /* GET /v1/jobs/{id}/events: the front end streams this job's events
     * after stream_last_id instead of sending body */
    char stream_job_id[37];
    long stream_last_id;
} http_response;

/* Implemented by the front end. NULL when absent. */
const char *http_request_header(const http_request *r, const char *name);
const char *http_request_query(const http_request *r, const char *name);

void http_response_header(http_response *r, const char *name, const char *value);
/* Takes the JSON reference; NULL (out of memory) becomes a 500. */
void http_response_json(http_response *r, int status, json_t *o);
void http_response_bytes(http_response *r, int status, const char *content_type, uint8_t *body,
                         size_t len);
void http_response_error(http_response *r, api_error_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void http_response_free(http_response *r);

#endif
