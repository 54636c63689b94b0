/* MHD glue. Everything protocol-specific lives here; routes get plain
 * http_request / http_response values. */
#include "http_server.h"
#include "access_log.h"
#include "api_keys.h"
#include "conn_deadline.h"
#include "conn_park.h"
#include "event_streams.h"
#include "job_present.h"
#include "http_parse.h"
#include "router.h"

#include <microhttpd.h>
#include <netdb.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <uuid/uuid.h>

/* Seconds the resumed Prefer: wait clients get to be answered at stop. */
#define PARKED_ANSWER_S 2.0

struct http_server {
    struct MHD_Daemon *daemon;
    app *app;
    int port;
    conn_deadline *deadline;
    conn_park *park;
    event_streams *events;
    atomic_int parked_now; /* suspended, or resumed and not yet answered */
    atomic_int in_flight;  /* requests begun and not yet completely sent */
};

typedef struct conn_ctx {
    http_request req;
    route_match match;
    char method[16];
    char path[512];
    uint8_t *body;
    size_t len, cap;
    size_t received; /* body bytes seen, kept or not */
    bool too_large;
    bool responded;
    int status;
    size_t bytes_out;
    const char *error_code;
    struct timespec start;
    conn_slot *slot; /* the connection's read deadline */
    bool parked;     /* suspended on a job: `pending` waits for its `then` */
    http_response pending;
} conn_ctx;

const char *http_request_header(const http_request *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_request_query(const http_request *r, const char *name) {
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

static double elapsed_ms(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) * 1e3 + (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

static void add_cors_headers(app *a, struct MHD_Connection *c, struct MHD_Response *mr) {
    if (!a->cfg->cors_origins[0]) return;
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    MHD_add_response_header(mr, "Vary", "Origin");
    if (!api_origin_allowed(a->cfg->cors_origins, origin)) return;
    MHD_add_response_header(mr, "Access-Control-Allow-Origin", origin);
    MHD_add_response_header(mr, "Access-Control-Expose-Headers",
                            "Location, Retry-After, Preference-Applied, X-Request-Id, "
                            "Idempotent-Replayed");
}

/* An event stream, or when none can be opened, a 503 in its place. */
static struct MHD_Response *stream_or_refuse(http_server *s, struct MHD_Connection *c,
                                             http_response *r) {
    struct MHD_Response *mr = event_streams_open(s->events, c, r->stream_job_id, r->stream_last_id);
    if (mr) return mr;
    http_response refusal = {0};
    http_response_error(&refusal, API_ERR_UNAVAILABLE,
                        "too many open event streams (--max-event-streams); poll the job "
                        "or retry later");
    http_response_header(&refusal, "Retry-After", "5");
    http_response_free(r);
    *r = refusal;
    return NULL;
}

static struct MHD_Response *make_response(http_server *s, struct MHD_Connection *c,
                                          http_response *r) {
    if (r->stream_job_id[0]) {
        struct MHD_Response *mr = stream_or_refuse(s, c, r);
        if (mr) return mr;
    }
    struct MHD_Response *mr =
        r->body_len ? MHD_create_response_from_buffer(r->body_len, r->body, MHD_RESPMEM_MUST_FREE)
                    : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (mr && r->body_len) r->body = NULL; /* MHD frees it now */
    return mr;
}

static enum MHD_Result send_response(http_server *s, struct MHD_Connection *c, conn_ctx *ctx,
                                     http_response *r) {
    struct MHD_Response *mr = make_response(s, c, r);
    if (!mr) {
        http_response_free(r);
        return MHD_NO;
    }
    if (r->content_type) MHD_add_response_header(mr, "Content-Type", r->content_type);
    MHD_add_response_header(mr, "X-Request-Id", ctx->req.request_id);
    MHD_add_response_header(mr, "Cache-Control", "no-store");
    for (int i = 0; i < r->n_headers; i++)
        MHD_add_response_header(mr, r->headers[i].name, r->headers[i].value);
    add_cors_headers(s->app, c, mr);
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)r->status, mr);
    MHD_destroy_response(mr);
    ctx->responded = true;
    ctx->status = r->status;
    ctx->bytes_out = r->body_len;
    ctx->error_code = r->error_code;
    http_response_free(r);
    return ret;
}

static enum MHD_Result send_error(http_server *s, struct MHD_Connection *c, conn_ctx *ctx,
                                  api_error_code code, const char *msg) {
    http_response r = {0};
    http_response_error(&r, code, "%s", msg);
    if (code == API_ERR_METHOD_NOT_ALLOWED && ctx->match.allow)
        http_response_header(&r, "Allow", ctx->match.allow);
    if (code == API_ERR_UNAUTHORIZED) http_response_header(&r, "WWW-Authenticate", "Bearer");
    return send_response(s, c, ctx, &r);
}

/* OPTIONS: a CORS preflight when Origin and Access-Control-Request-Method
 * are present, otherwise a plain Allow answer. Preflights carry no
 * credentials, so they are answered before authentication. */
static enum MHD_Result answer_options(http_server *s, struct MHD_Connection *c, conn_ctx *ctx) {
    http_response r = {.status = 204};
    http_response_header(&r, "Allow", ctx->match.allow);
    const char *origin = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Origin");
    const char *req_method =
        MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Access-Control-Request-Method");
    if (origin && req_method && api_origin_allowed(s->app->cfg->cors_origins, origin)) {
        http_response_header(&r, "Access-Control-Allow-Methods", ctx->match.allow);
        http_response_header(&r, "Access-Control-Allow-Headers",
                             "Authorization, Content-Type, Prefer, Idempotency-Key, Accept");
        http_response_header(&r, "Access-Control-Max-Age", "600");
    }
    return send_response(s, c, ctx, &r);
}

/* Who the request is: without keys everyone sees every job; with keys the
 * token's name owns the jobs it creates and sees only those (the admin key
 * sees all). False for a missing or wrong token. */
static bool authorized(http_server *s, struct MHD_Connection *c, http_request *req) {
    const server_config *cfg = s->app->cfg;
    if (!cfg->api_keys[0] && !cfg->admin_key[0]) {
        req->sees_all = true;
        return true;
    }
    const char *token =
        api_bearer_token(MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization"));
    api_identity who;
    if (!api_key_identify(cfg->api_keys, cfg->admin_key, token, &who)) return false;
    snprintf(req->owner, sizeof req->owner, "%s", who.owner);
    req->sees_all = who.admin;
    return true;
}

/* A signed result URL (?exp=&sig=) stands in for the bearer token: the
 * signature binds the job id, so the request may fetch that job's result
 * whoever owns it. A wrong or expired one is 403 even with a token, so a
 * broken link is never mistaken for a working one. Returns true when it
 * answered. */
static bool refuse_signed(http_server *s, struct MHD_Connection *c, conn_ctx *ctx,
                          enum MHD_Result *ret) {
    const char *sig = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "sig");
    const char *exp = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "exp");
    result_sig v = result_urls_verify(&s->app->urls, ctx->match.id, exp, sig, job_service_now());
    if (v == RESULT_SIG_VALID) {
        ctx->req.sees_all = true;
        return false;
    }
    *ret = send_error(s, c, ctx, API_ERR_FORBIDDEN,
                      v == RESULT_SIG_EXPIRED ? "this signed result URL has expired; get a new "
                                                "one from the job's result.url"
                                              : "the result URL's signature is not valid");
    return true;
}

static bool is_signed_result(struct MHD_Connection *c, const conn_ctx *ctx) {
    return ctx->match.route == ROUTE_JOB_RESULT &&
           (MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "sig") ||
            MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "exp"));
}

/* Everything that can be refused from the headers alone is refused here,
 * before a byte of the body is read. Returns true when it answered. */
static bool refuse_early(http_server *s, struct MHD_Connection *c, conn_ctx *ctx,
                         enum MHD_Result *ret) {
    app *a = s->app;
    if (!router_match(ctx->path, ctx->method, &ctx->match)) {
        *ret = send_error(s, c, ctx, API_ERR_NOT_FOUND, "no such route");
        return true;
    }
    if (strcmp(ctx->method, "OPTIONS") == 0) {
        *ret = answer_options(s, c, ctx);
        return true;
    }
    if (!ctx->match.handler) {
        char msg[128];
        snprintf(msg, sizeof msg, "%s is not allowed here; allowed: %s", ctx->method,
                 ctx->match.allow);
        *ret = send_error(s, c, ctx, API_ERR_METHOD_NOT_ALLOWED, msg);
        return true;
    }
    if (is_signed_result(c, ctx)) {
        if (refuse_signed(s, c, ctx, ret)) return true;
    } else if (ctx->match.needs_auth && !authorized(s, c, &ctx->req)) {
        *ret = send_error(s, c, ctx, API_ERR_UNAUTHORIZED, "a valid bearer token is required");
        return true;
    }
    if (!ctx->match.reads_body) return false;
    const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
    api_media_type mt = api_parse_content_type(ct, NULL, 0);
    if (mt != API_MEDIA_JSON && mt != API_MEDIA_MULTIPART) {
        *ret = send_error(s, c, ctx, API_ERR_UNSUPPORTED_MEDIA_TYPE,
                          "Content-Type must be multipart/form-data or application/json");
        return true;
    }
    const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
    uint64_t n;
    if (cl && api_parse_content_length(cl, &n) && n > (uint64_t)a->cfg->max_body_bytes) {
        char msg[128];
        snprintf(msg, sizeof msg, "request body of %llu bytes is over the limit of %lld",
                 (unsigned long long)n, (long long)a->cfg->max_body_bytes);
        *ret = send_error(s, c, ctx, API_ERR_PAYLOAD_TOO_LARGE, msg);
        return true;
    }
    return false;
}

/* Appends a body chunk; false when the running total passes the limit. */
static bool append_body(conn_ctx *ctx, const char *data, size_t n, int64_t limit) {
    if ((int64_t)(ctx->len + n) > limit) return false;
    if (ctx->len + n > ctx->cap) {
        size_t cap = ctx->cap ? ctx->cap : 65536;
        while (cap < ctx->len + n)
            cap *= 2;
        if ((int64_t)cap > limit) cap = (size_t)limit;
        uint8_t *nb = realloc(ctx->body, cap);
        if (!nb) return false;
        ctx->body = nb;
        ctx->cap = cap;
    }
    memcpy(ctx->body + ctx->len, data, n);
    ctx->len += n;
    return true;
}

/* A body without Content-Length (chunked) passed the limit. The buffer is
 * freed at once. libmicrohttpd 0.9.75 cannot send a response before the
 * body ends, so we discard what follows and answer 413 at its end; past
 * twice the limit we stop reading and close the connection instead. */
static enum MHD_Result refuse_oversized_chunk(http_server *s, conn_ctx *ctx) {
    if (!ctx->too_large) {
        ctx->too_large = true;
        free(ctx->body);
        ctx->body = NULL;
        ctx->len = ctx->cap = 0;
    }
    if ((int64_t)ctx->received <= 2 * s->app->cfg->max_body_bytes) return MHD_YES;
    ctx->status = 413; /* for the log: the answer was a closed connection */
    ctx->error_code = api_error_code_name(API_ERR_PAYLOAD_TOO_LARGE);
    return MHD_NO;
}

static conn_ctx *new_ctx(const char *url, const char *method, struct MHD_Connection *c) {
    conn_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx) return NULL;
    clock_gettime(CLOCK_MONOTONIC, &ctx->start);
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, ctx->req.request_id);
    snprintf(ctx->method, sizeof ctx->method, "%s", method);
    snprintf(ctx->path, sizeof ctx->path, "%s", url);
    ctx->req.method = ctx->method;
    ctx->req.path = ctx->path;
    ctx->req.conn = c;
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    ctx->slot = ci ? ci->socket_context : NULL;
    return ctx;
}

/* A body chunk: kept, discarded (refused early, or over the limit), or the
 * end of the connection once the read deadline has passed. */
static enum MHD_Result take_chunk(http_server *s, conn_ctx *ctx, const char *data,
                                  size_t *upload_data_size) {
    size_t n = *upload_data_size;
    *upload_data_size = 0;
    ctx->received += n;
    if (conn_deadline_passed(s->deadline, ctx->slot)) {
        ctx->status = 408; /* for the log: the answer was a closed connection */
        ctx->error_code = "request_timeout";
        return MHD_NO;
    }
    if (ctx->responded) return MHD_YES; /* refused early: discard the rest */
    if (!ctx->too_large && append_body(ctx, data, n, s->app->cfg->max_body_bytes)) return MHD_YES;
    return refuse_oversized_chunk(s, ctx);
}

/* Sends r, or parks the connection when the handler deferred its answer:
 * suspended in MHD (no thread held) until the job is final or the wait
 * ends. Suspending first and registering second means a job that finishes
 * in between still resumes it. */
static enum MHD_Result answer(http_server *s, struct MHD_Connection *c, conn_ctx *ctx,
                              http_response *r) {
    if (!r->defer.then) return send_response(s, c, ctx, r);
    ctx->pending = *r; /* the body and headers move with it */
    ctx->parked = true;
    atomic_fetch_add(&s->parked_now, 1);
    MHD_suspend_connection(c);
    const char *id = ctx->pending.defer.job_id;
    if (!conn_park_add(s->park, c, id, ctx->pending.defer.wait_s))
        MHD_resume_connection(c);
    else if (job_service_is_settled(s->app->jobs, id))
        conn_park_job_final(s->park, id);
    return MHD_YES;
}

/* MHD calls the handler again once a parked connection is resumed. */
static enum MHD_Result answer_parked(http_server *s, struct MHD_Connection *c, conn_ctx *ctx) {
    http_response *r = &ctx->pending;
    http_continuation then = r->defer.then;
    r->defer.then = NULL;
    ctx->parked = false;
    then(s->app, &ctx->req, r->defer.job_id, r);
    enum MHD_Result ret = send_response(s, c, ctx, r);
    atomic_fetch_sub(&s->parked_now, 1);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls) {
    (void)version;
    http_server *s = cls;
    conn_ctx *ctx = *con_cls;
    enum MHD_Result ret = MHD_YES;
    if (!ctx) {
        if (!(ctx = new_ctx(url, method, c))) return MHD_NO;
        *con_cls = ctx;
        atomic_fetch_add(&s->in_flight, 1);
        refuse_early(s, c, ctx, &ret);
        return ret;
    }
    if (ctx->parked) return answer_parked(s, c, ctx);
    if (*upload_data_size) return take_chunk(s, ctx, upload_data, upload_data_size);
    conn_deadline_read_done(s->deadline, ctx->slot); /* the whole request is in */
    if (ctx->responded) return MHD_YES;
    if (ctx->too_large) {
        char msg[128];
        snprintf(msg, sizeof msg, "request body is over the limit of %lld bytes",
                 (long long)s->app->cfg->max_body_bytes);
        return send_error(s, c, ctx, API_ERR_PAYLOAD_TOO_LARGE, msg);
    }
    ctx->req.body = ctx->body;
    ctx->req.body_len = ctx->len;
    http_response r = {.status = 500};
    ctx->match.handler(s->app, &ctx->req, ctx->match.id[0] ? ctx->match.id : NULL, &r);
    return answer(s, c, ctx, &r);
}

/* Per connection: its read-deadline slot lives as MHD's socket context. */
static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe) {
    http_server *s = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        *socket_context = ci ? conn_deadline_open(s->deadline, ci->connect_fd) : NULL;
        return;
    }
    conn_deadline_close(s->deadline, *socket_context);
    *socket_context = NULL;
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe) {
    http_server *s = cls;
    conn_ctx *ctx = *con_cls;
    if (!ctx) return;
    (void)toe;
    conn_deadline_next_request(s->deadline, ctx->slot);   /* keep-alive: the clock restarts */
    if (ctx->parked) atomic_fetch_sub(&s->parked_now, 1); /* the client left while parked */
    http_response_free(&ctx->pending);                    /* an answer never sent */
    char remote[64] = "";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr)
        getnameinfo(ci->client_addr, sizeof(struct sockaddr_storage), remote, sizeof remote, NULL,
                    0, NI_NUMERICHOST);
    /* 499: the client went away before an answer */
    int status = ctx->responded || ctx->status ? ctx->status : 499;
    metrics_http_request(s->app->metrics, ctx->match.route, status);
    access_log_entry e = {.request_id = ctx->req.request_id,
                          .method = ctx->method,
                          .path = ctx->path,
                          .status = status,
                          .duration_ms = elapsed_ms(&ctx->start),
                          .bytes_in = ctx->received,
                          .bytes_out = ctx->bytes_out,
                          .job_id = ctx->req.job_id,
                          .error_code = ctx->error_code,
                          .remote = remote[0] ? remote : NULL};
    access_log_write(&e);
    free(ctx->body);
    free(ctx);
    *con_cls = NULL;
    atomic_fetch_sub(&s->in_flight, 1);
}

/* MHD's own unescaping turns %00 into a NUL, which cuts the path short. */
static size_t unescape_url(void *cls, struct MHD_Connection *c, char *s) {
    (void)cls;
    (void)c;
    return api_url_unescape(s);
}

static bool resolve_listen(const char *host, int port, struct sockaddr_storage *ss, bool *ipv6,
                           char *err, size_t errlen) {
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    struct addrinfo *res = NULL;
    char portstr[16];
    snprintf(portstr, sizeof portstr, "%d", port);
    int rc = getaddrinfo(host, portstr, &hints, &res);
    if (rc != 0 || !res) {
        snprintf(err, errlen, "cannot resolve listen address %s: %s", host, gai_strerror(rc));
        return false;
    }
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    *ipv6 = res->ai_family == AF_INET6;
    freeaddrinfo(res);
    return true;
}

static void on_job_event(void *cls, const job_event *ev) {
    if (ev->kind == JOB_EVENT_FINAL) conn_park_job_final(cls, ev->job_id);
}

static void free_server(http_server *s) {
    event_streams_stop(s->events);
    conn_park_stop(s->park);
    conn_deadline_stop(s->deadline);
    free(s);
}

/* The job JSON of a stream's events: URLs as the job routes give them,
 * no inline image (a stream is not the place for megabytes of base64). */
static void present_streamed(void *ctx, json_t *job) {
    job_present(ctx, job, false);
}

/* A small pool of epoll event loops, not a thread per connection: slow or
 * waiting clients cost a socket, not a thread. Connections are capped in
 * all and per client address. */
static struct MHD_Daemon *start_daemon(http_server *s, const struct sockaddr_storage *ss,
                                       bool ipv6) {
    const server_config *cfg = s->app->cfg;
    /* ITC: MHD_quiesce_daemon needs it with epoll event loops */
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG |
                     MHD_USE_ITC | (ipv6 ? MHD_USE_IPv6 : 0);
    unsigned idle_timeout = (unsigned)(cfg->wait_max_s + 60);
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->http_threads, MHD_OPTION_NOTIFY_COMPLETED,
        on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)cfg->max_connections,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)cfg->max_connections_per_ip,
        MHD_OPTION_CONNECTION_TIMEOUT, idle_timeout, MHD_OPTION_UNESCAPE_CALLBACK, unescape_url,
        NULL, MHD_OPTION_END);
}

http_server *http_server_start(app *a, char *err, size_t errlen) {
    http_server *s = calloc(1, sizeof *s);
    if (s) {
        s->app = a;
        s->deadline = conn_deadline_start(a->cfg->request_deadline_s);
        s->park = conn_park_start();
        s->events = event_streams_start(a->jobs, a->cfg->max_event_streams,
                                        a->cfg->event_keepalive_s, present_streamed, a);
    }
    if (!s || !s->deadline || !s->park || !s->events) {
        snprintf(err, errlen, "out of memory");
        if (s) free_server(s);
        return NULL;
    }
    struct sockaddr_storage ss;
    bool ipv6 = false;
    if (!resolve_listen(a->cfg->host, a->cfg->port, &ss, &ipv6, err, errlen)) {
        free_server(s);
        return NULL;
    }
    if (!(s->daemon = start_daemon(s, &ss, ipv6))) {
        snprintf(err, errlen, "cannot listen on %s:%d (address in use?)", a->cfg->host,
                 a->cfg->port);
        free_server(s);
        return NULL;
    }
    job_service_listen(a->jobs, on_job_event, s->park);
    job_service_listen(a->jobs, event_streams_on_job_event, s->events);
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : a->cfg->port;
    return s;
}

int http_server_port(const http_server *s) {
    return s->port;
}

static void wait_until_zero(atomic_int *n, double seconds) {
    for (double waited = 0; waited < seconds && atomic_load(n) > 0; waited += 0.01)
        nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
}

/* Nothing new is accepted, then answers still being written get up to
 * grace_s to reach their clients: MHD_stop_daemon closes every connection,
 * and a large Prefer: wait PNG to a slow reader would otherwise be cut
 * off. MHD must not stop with a suspended connection (it aborts), so every
 * parked client is resumed and answered first. */
void http_server_stop(http_server *s, double grace_s) {
    if (!s) return;
    MHD_socket listener = MHD_quiesce_daemon(s->daemon);
    if (listener != MHD_INVALID_SOCKET) close(listener);
    conn_park_release_all(s->park);
    event_streams_close_all(s->events); /* streams end; they would hold in_flight up */
    wait_until_zero(&s->parked_now, PARKED_ANSWER_S);
    wait_until_zero(&s->in_flight, grace_s);
    job_service_unlisten(s->app->jobs, on_job_event, s->park);
    job_service_unlisten(s->app->jobs, event_streams_on_job_event, s->events);
    MHD_stop_daemon(s->daemon);
    free_server(s);
}
