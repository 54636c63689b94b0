/* Table-driven option parsing: one row per setting gives its flag, its
 * environment variable, its type, range and help text, so --help, the env
 * names and the flags cannot drift apart. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* OPT_LIST: a comma-separated string; a repeated flag appends. */
typedef enum opt_kind { OPT_INT, OPT_I64, OPT_STR, OPT_LIST, OPT_LISTEN } opt_kind;

typedef struct opt_spec {
    const char *flag; /* without the leading "--" */
    const char *env;
    opt_kind kind;
    size_t offset;
    size_t size; /* for strings */
    long long min, max;
    const char *help;
} opt_spec;

#define STR(field) OPT_STR, offsetof(server_config, field), sizeof(((server_config *)0)->field)
#define NUM(kind, field) kind, offsetof(server_config, field), 0

static const opt_spec options[] = {
    {"listen", "I2I_LISTEN", OPT_LISTEN, 0, 0, 0, 0, "HOST:PORT to listen on (127.0.0.1:8080)"},
    {"bundle", "I2I_BUNDLE", OPT_LIST, offsetof(server_config, bundle_dirs),
     sizeof(((server_config *)0)->bundle_dirs), 0, 0,
     "model bundle directory; repeat (or comma-separate) for several tasks"},
    {"models", "I2I_MODELS", STR(models_dir), 0, 0,
     "directory whose subdirectories are bundles (with --bundle: both)"},
    {"profiles", "I2I_PROFILES", STR(profiles_dir), 0, 0,
     "profile directory (./profiles if it exists, else the source tree's profiles/ when built "
     "with I2I_PROFILES_DIR, else the built-in edit, edit-fast, edit-full)"},
    {"workers", "I2I_WORKERS", NUM(OPT_INT, workers), 1, 256, "worker threads (1)"},
    {"threads-per-worker", "I2I_THREADS_PER_WORKER", NUM(OPT_INT, threads_per_worker), 0, 1024,
     "intra-op threads per worker, 0 = cores/workers (0)"},
    {"queue-max", "I2I_QUEUE_MAX", NUM(OPT_INT, queue_max), 1, 1000000,
     "queued jobs before 429 (64)"},
    {"max-body-bytes", "I2I_MAX_BODY_BYTES", NUM(OPT_I64, max_body_bytes), 1024, (long long)1 << 40,
     "largest request body (20971520)"},
    {"max-pixels", "I2I_MAX_PIXELS", NUM(OPT_I64, max_pixels), 1, (long long)1 << 40,
     "largest input width*height decoded (24000000)"},
    {"max-working-pixels", "I2I_MAX_WORKING_PIXELS", NUM(OPT_I64, max_working_pixels), 4096,
     (long long)1 << 40, "largest width*height a job runs at (4194304)"},
    {"max-output-pixels", "I2I_MAX_OUTPUT_PIXELS", NUM(OPT_I64, max_output_pixels), 4096,
     (long long)1 << 40, "largest width*height of a result, e.g. input x scale^2 (16777216)"},
    {"job-ttl", "I2I_JOB_TTL", NUM(OPT_INT, job_ttl_s), 0, INT_MAX,
     "seconds a finished job is kept (3600)"},
    {"job-timeout-max", "I2I_JOB_TIMEOUT_MAX", NUM(OPT_INT, job_timeout_max_s), 0, 86400 * 7,
     "most seconds a job may run (caps its `timeout`; 0 = no limit) (0)"},
    {"wait-max", "I2I_WAIT_MAX", NUM(OPT_INT, wait_max_s), 0, 3600,
     "largest Prefer: wait=N honoured, seconds (60)"},
    {"api-keys", "I2I_API_KEYS", STR(api_keys), 0, 0,
     "comma-separated bearer tokens, each TOKEN or NAME:TOKEN (jobs belong to the key's name); "
     "empty = no auth"},
    {"admin-key", "I2I_ADMIN_KEY", STR(admin_key), 0, 0,
     "bearer token that sees and cancels every key's jobs; set = auth on"},
    {"max-jobs", "I2I_MAX_JOBS", NUM(OPT_INT, max_jobs), 1, 10000000,
     "jobs kept; at the cap the oldest finished one is evicted (then 410) (1000)"},
    {"max-queued-per-key", "I2I_MAX_QUEUED_PER_KEY", NUM(OPT_INT, max_queued_per_key), 0, 1000000,
     "queued jobs one API key may have before 429 quota_exceeded; 0 = no own limit (0)"},
    {"store", "I2I_STORE", STR(store), 0, 0,
     "where job state lives: memory (this process) or redis://HOST:PORT/DB (memory)"},
    {"store-prefix", "I2I_STORE_PREFIX", STR(store_prefix), 0, 0,
     "Redis: prefix of every key, one per deployment (i2i:)"},
    {"lease", "I2I_LEASE", NUM(OPT_INT, lease_s), 1, 86400,
     "Redis: seconds a running job's lease lasts without a step; a job whose replica stops "
     "renewing it is run again by another (30)"},
    {"max-attempts", "I2I_MAX_ATTEMPTS", NUM(OPT_INT, max_attempts), 1, 100,
     "Redis: runs of a job whose replica died before it fails with worker_lost (3)"},
    {"cors-origins", "I2I_CORS_ORIGINS", STR(cors_origins), 0, 0,
     "comma-separated allowed browser origins; empty = no CORS"},
    {"drain-timeout", "I2I_DRAIN_TIMEOUT", NUM(OPT_INT, drain_timeout_s), 0, 86400,
     "seconds running jobs may take to finish after SIGTERM (30)"},
    {"access-log", "I2I_ACCESS_LOG", STR(access_log), 0, 0,
     "JSON-lines access log file, '-' = stdout, '' = off (-)"},
    {"max-connections", "I2I_MAX_CONNECTIONS", NUM(OPT_INT, max_connections), 1, 100000,
     "simultaneous HTTP connections, all clients (1024)"},
    {"max-connections-per-ip", "I2I_MAX_CONNECTIONS_PER_IP", NUM(OPT_INT, max_connections_per_ip),
     0, 100000, "simultaneous HTTP connections from one client address, 0 = no limit (64)"},
    {"http-threads", "I2I_HTTP_THREADS", NUM(OPT_INT, http_threads), 1, 256,
     "HTTP event-loop threads (epoll); waiting clients hold none (4)"},
    {"request-deadline", "I2I_REQUEST_DEADLINE", NUM(OPT_INT, request_deadline_s), 0, 86400,
     "seconds a client has to send a request's headers and body, not reset by activity; "
     "0 = none (30)"},
    {"max-event-streams", "I2I_MAX_EVENT_STREAMS", NUM(OPT_INT, max_event_streams), 0, 100000,
     "open job event streams (SSE), all clients; they hold no thread (256)"},
    {"event-keepalive", "I2I_EVENT_KEEPALIVE", NUM(OPT_INT, event_keepalive_s), 1, 3600,
     "seconds between keep-alive comments on an idle event stream (15)"},
    {"public-url", "I2I_PUBLIC_URL", STR(public_url), 0, 0,
     "base of the absolute URLs in Location and job JSON, e.g. https://img.example.com; "
     "empty = relative URLs"},
    {"url-secret", "I2I_URL_SECRET", STR(url_secret), 0, 0,
     "HMAC-SHA256 key (16..256 bytes) of signed result URLs; empty = random per process"},
    {"result-url-ttl", "I2I_RESULT_URL_TTL", NUM(OPT_INT, result_url_ttl_s), 1, 86400 * 7,
     "seconds a signed result URL stays valid (3600)"},
    {"webhook-allow", "I2I_WEBHOOK_ALLOW", STR(webhook_allow), 0, 0,
     "where webhooks may go: CIDR ranges and `public` (global unicast), comma-separated; "
     "loopback and private ranges only when listed (public)"},
    {"webhook-secret", "I2I_WEBHOOK_SECRET", STR(webhook_secret), 0, 0,
     "Standard Webhooks signing secret, whsec_<base64>; empty = deliveries unsigned"},
    {"webhook-queue", "I2I_WEBHOOK_QUEUE", NUM(OPT_INT, webhook_queue), 1, 1000000,
     "webhook deliveries waiting; more are dropped and counted (1000)"},
    {"webhook-attempts", "I2I_WEBHOOK_ATTEMPTS", NUM(OPT_INT, webhook_attempts), 1, 20,
     "attempts per webhook delivery (5)"},
    {"webhook-timeout", "I2I_WEBHOOK_TIMEOUT", NUM(OPT_INT, webhook_timeout_s), 1, 300,
     "seconds per webhook attempt (10)"},
    {"webhook-backoff", "I2I_WEBHOOK_BACKOFF", NUM(OPT_INT, webhook_backoff_s), 1, 3600,
     "seconds before the first retry, doubling after each (2)"},
};
#define N_OPTIONS (sizeof options / sizeof options[0])

void config_defaults(server_config *c) {
    memset(c, 0, sizeof *c);
    snprintf(c->host, sizeof c->host, "127.0.0.1");
    c->port = 8080;
    c->workers = 1;
    c->queue_max = 64;
    c->max_body_bytes = 20 * 1024 * 1024;
    c->max_pixels = 24000000; /* a 24 MP camera photo; decoding only, jobs run smaller */
    c->max_working_pixels = 2048 * 2048;
    c->max_output_pixels = 4096 * 4096; /* a 1024 px photo upscaled 4x; upscale runs tiled */
    c->job_ttl_s = 3600;
    c->wait_max_s = 60;
    c->drain_timeout_s = 30;
    snprintf(c->access_log, sizeof c->access_log, "-");
    c->max_connections = 1024;
    c->max_jobs = 1000;
    snprintf(c->store, sizeof c->store, "memory");
    snprintf(c->store_prefix, sizeof c->store_prefix, "i2i:");
    c->lease_s = 30;
    c->max_attempts = 3;
    c->max_connections_per_ip = 64;
    c->http_threads = 4;
    c->request_deadline_s = 30;
    c->max_event_streams = 256;
    c->event_keepalive_s = 15;
    c->result_url_ttl_s = 3600;
    snprintf(c->webhook_allow, sizeof c->webhook_allow, "public");
    c->webhook_queue = 1000;
    c->webhook_attempts = 5;
    c->webhook_timeout_s = 10;
    c->webhook_backoff_s = 2;
}

static void print_help(FILE *out) {
    fprintf(out, "usage: i2i-serve [--OPTION VALUE | --OPTION=VALUE]...\n"
                 "HTTP job service for compressed image-to-image diffusion models.\n\n"
                 "Each option may also be set by its environment variable (flags win).\n\n");
    for (size_t i = 0; i < N_OPTIONS; i++)
        fprintf(out, "  --%-22s %-26s %s\n", options[i].flag, options[i].env, options[i].help);
    fprintf(out, "  --%-22s %-26s %s\n", "help", "", "print this help and exit");
}

static config_result set_listen(server_config *c, const char *v, char *err, size_t errlen) {
    const char *colon = strrchr(v, ':');
    if (!colon || colon == v || (size_t)(colon - v) >= sizeof c->host) {
        snprintf(err, errlen, "listen address '%s' is not HOST:PORT", v);
        return CONFIG_ERROR;
    }
    char *end;
    errno = 0;
    long port = strtol(colon + 1, &end, 10);
    if (errno || *end || end == colon + 1 || port < 0 || port > 65535) {
        snprintf(err, errlen, "listen port in '%s' is not 0..65535", v);
        return CONFIG_ERROR;
    }
    memcpy(c->host, v, (size_t)(colon - v));
    c->host[colon - v] = '\0';
    c->port = (int)port;
    return CONFIG_OK;
}

static config_result set_option(server_config *c, const opt_spec *o, const char *v,
                                const char *origin, char *err, size_t errlen) {
    char *base = (char *)c + o->offset;
    if (o->kind == OPT_LISTEN) return set_listen(c, v, err, errlen);
    if (o->kind == OPT_LIST && base[0]) {
        size_t have = strlen(base);
        if (have + 1 + strlen(v) >= o->size) {
            snprintf(err, errlen, "%s: values longer than %zu bytes", origin, o->size - 1);
            return CONFIG_ERROR;
        }
        snprintf(base + have, o->size - have, ",%s", v);
        return CONFIG_OK;
    }
    if (o->kind == OPT_STR || o->kind == OPT_LIST) {
        if (strlen(v) >= o->size) {
            snprintf(err, errlen, "%s: value longer than %zu bytes", origin, o->size - 1);
            return CONFIG_ERROR;
        }
        memcpy(base, v, strlen(v) + 1);
        return CONFIG_OK;
    }
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    if (errno || *end || end == v || n < o->min || n > o->max) {
        snprintf(err, errlen, "%s: '%s' is not an integer in [%lld, %lld]", origin, v, o->min,
                 o->max);
        return CONFIG_ERROR;
    }
    if (o->kind == OPT_INT)
        *(int *)base = (int)n;
    else
        *(int64_t *)base = n;
    return CONFIG_OK;
}

static const opt_spec *find_flag(const char *name, size_t len) {
    for (size_t i = 0; i < N_OPTIONS; i++)
        if (strlen(options[i].flag) == len && strncmp(options[i].flag, name, len) == 0)
            return &options[i];
    return NULL;
}

config_result config_load(server_config *c, int argc, char **argv, FILE *out, char *err,
                          size_t errlen) {
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const char *v = getenv(options[i].env);
        if (v && set_option(c, &options[i], v, options[i].env, err, errlen) != CONFIG_OK)
            return CONFIG_ERROR;
    }
    bool list_flag_seen[N_OPTIONS] = {false};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            print_help(out);
            return CONFIG_EXIT_HELP;
        }
        if (strncmp(a, "--", 2) != 0) {
            snprintf(err, errlen, "unexpected argument '%s' (see --help)", a);
            return CONFIG_ERROR;
        }
        const char *eq = strchr(a + 2, '=');
        size_t nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        const opt_spec *o = find_flag(a + 2, nlen);
        if (!o) {
            snprintf(err, errlen, "unknown option '%s' (see --help)", a);
            return CONFIG_ERROR;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v) {
            snprintf(err, errlen, "option --%s needs a value", o->flag);
            return CONFIG_ERROR;
        }
        char origin[64];
        snprintf(origin, sizeof origin, "--%s", o->flag);
        if (o->kind == OPT_LIST && !list_flag_seen[o - options]) {
            ((char *)c + o->offset)[0] = '\0'; /* the first flag replaces the variable's list */
            list_flag_seen[o - options] = true;
        }
        if (set_option(c, o, v, origin, err, errlen) != CONFIG_OK) return CONFIG_ERROR;
    }
    if (strcmp(c->store, "memory") != 0 && strncmp(c->store, "redis://", 8) != 0) {
        snprintf(err, errlen, "--store: expected memory or redis://HOST:PORT/DB, got '%s'",
                 c->store);
        return CONFIG_ERROR;
    }
    if (!c->bundle_dirs[0] && !c->models_dir[0]) {
        snprintf(err, errlen,
                 "no model bundle: pass --bundle DIR (repeatable) or --models DIR, or set "
                 "I2I_BUNDLE / I2I_MODELS");
        return CONFIG_ERROR;
    }
    return CONFIG_OK;
}
