/* Inside the Redis job store: the store's state, the EVAL builder and the
 * reply helpers that job_store_redis.c (the records) and
 * job_store_redis_queue.c (the shared queue) both use. Not an interface:
 * nothing outside these two files includes it. */
#ifndef I2I_SERVER_REDIS_STORE_H
#define I2I_SERVER_REDIS_STORE_H

#include "job_store.h"
#include "redis_conn.h"

#include <stdio.h>
#include <string.h>

#define CMD_MAX 128

typedef struct redis_store {
    job_store base;
    redis_conn *conn;
    char prefix[64];
    size_t cap;
    double ttl_s, tomb_s;
    size_t queue_max;
    double lease_s;
    int max_attempts;
    char consumer[96];
} redis_store;

/* An EVAL (or plain command) being built; numbers live in num. */
typedef struct cmd {
    const char *argv[CMD_MAX];
    size_t lens[CMD_MAX];
    int n;
    char num[16][40];
    int nnum;
} cmd;

static inline void arg(cmd *c, const void *v, size_t len) {
    if (c->n == CMD_MAX) return; /* callers stay far below; the script then sees too few */
    c->argv[c->n] = v;
    c->lens[c->n++] = len;
}

static inline void arg_str(cmd *c, const char *s) {
    arg(c, s, strlen(s));
}

static inline void arg_fmt(cmd *c, const char *fmt, double v) {
    char *b = c->num[c->nnum++ % 16];
    int len = snprintf(b, sizeof c->num[0], fmt, v);
    arg(c, b, (size_t)len);
}

static inline void arg_int(cmd *c, long long v) {
    char *b = c->num[c->nnum++ % 16];
    int len = snprintf(b, sizeof c->num[0], "%lld", v);
    arg(c, b, (size_t)len);
}

static inline long long ms(double s) {
    long long v = (long long)(s * 1000.0);
    return v > 0 ? v : 1; /* PX 0 is an error; 1 ms lets go at once */
}

/* Shared by the scripts: ARGV[1] is the prefix. drop() lets one job go,
 * leaving a tombstone (unless its hash already expired and left one). */
#define LUA_LIB                                                                                    \
    "local p = ARGV[1]\n"                                                                          \
    "local function drop(id, kind, tomb)\n"                                                        \
    "  local k = p..'job:'..id\n"                                                                  \
    "  local h = redis.call('HMGET', k, 'owner', 'idem')\n"                                        \
    "  local owner, idem = h[1], h[2]\n"                                                           \
    "  if not owner then\n"                                                                        \
    "    local g = redis.call('GET', p..'gone:'..id) or ':'\n"                                     \
    "    owner = string.match(g, ':(.*)$') or ''\n"                                                \
    "  else\n"                                                                                     \
    "    redis.call('SET', p..'gone:'..id, kind..':'..owner, 'PX', tomb)\n"                        \
    "  end\n"                                                                                      \
    "  if idem and idem ~= '' then\n"                                                              \
    "    local ik = p..'idem:'..owner..':'..idem\n"                                                \
    "    if redis.call('GET', ik) == id then redis.call('DEL', ik) end\n"                          \
    "  end\n"                                                                                      \
    "  redis.call('DEL', k, p..'in:'..id)\n"                                                       \
    "  for i = 0, 3 do redis.call('DEL', p..'res:'..id..':'..i) end\n"                             \
    "  redis.call('ZREM', p..'jobs', id)\n"                                                        \
    "  redis.call('ZREM', p..'owner:'..owner, id)\n"                                               \
    "  redis.call('ZREM', p..'fin', id)\n"                                                         \
    "end\n"

/* finalize() is the bookkeeping of a job reaching a final status (its
 * fields already written): the input and the lease go, it joins the expiry
 * order with its TTL and tombstone, and its queue entry is acknowledged and
 * deleted, so the stream holds only queued and running jobs. */
#define LUA_FINAL                                                                                  \
    "local function finalize(id, ttl, tomb, at)\n"                                                 \
    "  local k = p..'job:'..id\n"                                                                  \
    "  redis.call('DEL', p..'in:'..id, p..'lease:'..id)\n"                                         \
    "  redis.call('ZADD', p..'fin', at, id)\n"                                                     \
    "  redis.call('PEXPIRE', k, ttl)\n"                                                            \
    "  local h = redis.call('HMGET', k, 'owner', 'idem', 'qid')\n"                                 \
    "  if h[2] ~= '' then redis.call('PEXPIRE', p..'idem:'..h[1]..':'..h[2], ttl) end\n"           \
    "  redis.call('SET', p..'gone:'..id, 'expired:'..h[1], 'PX', ttl + tomb)\n"                    \
    "  if h[3] then\n"                                                                             \
    "    redis.pcall('XACK', p..'queue', 'workers', h[3])\n"                                       \
    "    redis.call('XDEL', p..'queue', h[3])\n"                                                   \
    "  end\n"                                                                                      \
    "end\n"

void redis_eval_begin(cmd *c, const redis_store *r, const char *script);
/* The reply, or NULL (unreachable, timed out, or a script error: logged). */
redisReply *redis_store_run(redis_store *r, cmd *c);
bool redis_is_str(const redisReply *r, const char *s);
/* A status-word reply ('ok', 'not_found', 'conflict') as a store_rc. */
store_rc redis_word_rc(const redisReply *rep);
const redisReply *redis_elem(const redisReply *rep, size_t i);

/* The shared queue's ops (job_store_redis_queue.c). */
store_rc rs_claim_next(job_store *s, double now, job_meta *out, store_blob *input);
store_rc rs_reclaim(job_store *s, double now, size_t *requeued, size_t *failed);
store_rc rs_queue_depth(job_store *s, size_t *n);
/* This replica's consumer name: the configured one, else host:pid. */
void redis_consumer_name(const char *configured, char *out, size_t outlen);

#endif
