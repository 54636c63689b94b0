/* Reconnecting Redis connection. */
#include "redis_conn.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define BACKOFF_MIN_S 0.05
#define BACKOFF_MAX_S 5.0

struct redis_conn {
    pthread_mutex_t mu;
    redisContext *ctx; /* NULL while disconnected */
    char host[256];
    int port, db;
    struct timeval timeout;
    double next_try;  /* monotonic seconds: no connect attempt before */
    double backoff_s; /* doubles per failed attempt, up to BACKOFF_MAX_S */
};

static double mono_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

bool redis_url_parse(const char *url, char *host, size_t hostlen, int *port, int *db, char *err,
                     size_t errlen) {
    if (strncmp(url, "redis://", 8) != 0) {
        snprintf(err, errlen, "%s: not a redis:// URL", url);
        return false;
    }
    const char *h = url + 8, *end = h + strcspn(h, ":/");
    if (end == h || (size_t)(end - h) >= hostlen) {
        snprintf(err, errlen, "%s: no host", url);
        return false;
    }
    memcpy(host, h, (size_t)(end - h));
    host[end - h] = '\0';
    long p = 6379, d = 0;
    char *stop = (char *)end;
    errno = 0;
    if (*end == ':') p = strtol(end + 1, &stop, 10);
    if (*stop == '/' && stop[1])
        d = strtol(stop + 1, &stop, 10);
    else if (*stop == '/')
        stop++;
    if (errno || *stop || p < 1 || p > 65535 || d < 0 || d > 1000000) {
        snprintf(err, errlen, "%s: expected redis://HOST:PORT/DB", url);
        return false;
    }
    *port = (int)p;
    *db = (int)d;
    return true;
}

redis_conn *redis_conn_create(const char *host, int port, int db, double timeout_s) {
    redis_conn *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    pthread_mutex_init(&c->mu, NULL);
    snprintf(c->host, sizeof c->host, "%s", host);
    c->port = port;
    c->db = db;
    double whole = floor(timeout_s);
    c->timeout.tv_sec = (time_t)whole;
    c->timeout.tv_usec = (suseconds_t)((timeout_s - whole) * 1e6);
    c->backoff_s = BACKOFF_MIN_S;
    return c;
}

void redis_conn_free(redis_conn *c) {
    if (!c) return;
    if (c->ctx) redisFree(c->ctx);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static void drop_locked(redis_conn *c, const char *why) {
    fprintf(stderr, "i2i-serve: redis %s:%d: %s\n", c->host, c->port, why);
    if (c->ctx) redisFree(c->ctx);
    c->ctx = NULL;
    c->next_try = mono_now() + c->backoff_s;
    c->backoff_s = fmin(c->backoff_s * 2, BACKOFF_MAX_S);
}

static bool select_db_locked(redis_conn *c) {
    if (c->db == 0) return true;
    redisReply *r = redisCommand(c->ctx, "SELECT %d", c->db);
    bool ok = r && r->type == REDIS_REPLY_STATUS;
    if (r) freeReplyObject(r);
    return ok;
}

/* Connected, or false (still backing off, or this attempt failed). */
static bool connect_locked(redis_conn *c) {
    if (c->ctx) return true;
    if (mono_now() < c->next_try) return false;
    c->ctx = redisConnectWithTimeout(c->host, c->port, c->timeout);
    if (!c->ctx || c->ctx->err) {
        drop_locked(c, c->ctx ? c->ctx->errstr : "cannot allocate a connection");
        return false;
    }
    if (redisSetTimeout(c->ctx, c->timeout) != REDIS_OK || !select_db_locked(c)) {
        drop_locked(c, "cannot set up the connection (timeout, SELECT)");
        return false;
    }
    c->backoff_s = BACKOFF_MIN_S;
    return true;
}

redisReply *redis_conn_run(redis_conn *c, int argc, const char **argv, const size_t *lens) {
    pthread_mutex_lock(&c->mu);
    redisReply *r = connect_locked(c) ? redisCommandArgv(c->ctx, argc, argv, lens) : NULL;
    if (!r && c->ctx) drop_locked(c, c->ctx->err ? c->ctx->errstr : "no reply");
    pthread_mutex_unlock(&c->mu);
    return r;
}
