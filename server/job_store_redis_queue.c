/* The shared queue on Redis: a stream `P queue` whose consumer group
 * `workers` hands each queued job to one replica. put() adds the entry (and
 * the job hash remembers its entry id as `qid`); a claim reads the next
 * entry and moves the job queued -> running with a lease `P lease:ID`
 * (the consumer's name, PX the lease) that every progress renews; a final
 * status acknowledges and deletes the entry. A replica that dies leaves
 * its entries pending with no lease: reclaim() takes them over
 * (XAUTOCLAIM) and queues the job again, or fails it after max_attempts. */
#include "redis_meta.h"
#include "redis_store.h"

#include <stdlib.h>
#include <unistd.h>

/* ARGV: p consumer lease_ms now running queued. Entries whose job is no
 * longer queued under that entry (canceled, let go, or queued again under
 * a newer entry) are acknowledged and skipped. */
static const char claim_lua[] =
    "local p, me = ARGV[1], ARGV[2]\n"
    "local q = p..'queue'\n"
    "redis.pcall('XGROUP', 'CREATE', q, 'workers', '0', 'MKSTREAM')\n"
    "for n = 1, 32 do\n"
    "  local r = redis.call('XREADGROUP', 'GROUP', 'workers', me, 'COUNT', 1, 'STREAMS', q, '>')\n"
    "  if not r then return {'none'} end\n"
    "  local e = r[1][2][1]\n"
    "  local eid, id = e[1], e[2][2]\n"
    "  local k = p..'job:'..id\n"
    "  local h = redis.call('HMGET', k, 'status', 'attempt', 'qid')\n"
    "  if h[1] == ARGV[6] and h[3] == eid then\n"
    "    local att = (tonumber(h[2]) or 0) + 1\n"
    "    redis.call('HSET', k, 'status', ARGV[5], 'started', ARGV[4], 'attempt', att, 'step', 0)\n"
    "    redis.call('SET', p..'lease:'..id, me, 'PX', ARGV[3])\n"
    "    return {'ok', redis.call('HGETALL', k), redis.call('GET', p..'in:'..id) or ''}\n"
    "  end\n"
    "  redis.call('XACK', q, 'workers', eid)\n"
    "  redis.call('XDEL', q, eid)\n"
    "end\n"
    "return {'none'}\n";

/* ARGV: p consumer min_idle_ms max_attempts now ttl_ms tomb_ms running queued
 * failed message. Only entries idle past the lease are looked at, and of
 * those only jobs whose lease is gone are taken back: a live lease means
 * its replica is still renewing it. */
static const char reclaim_lua[] =
    "local p = ARGV[1]\n" LUA_FINAL "local q = p..'queue'\n"
    "if redis.call('EXISTS', q) == 0 then return {0, 0} end\n"
    "local r = redis.pcall('XAUTOCLAIM', q, 'workers', ARGV[2], ARGV[3], '0-0', 'COUNT', 100)\n"
    "if type(r) ~= 'table' or not r[2] then return {0, 0} end\n"
    "local again, lost = 0, 0\n"
    "for _, e in ipairs(r[2]) do\n"
    "  local eid, id = e[1], e[2] and e[2][2]\n"
    "  if id and redis.call('EXISTS', p..'lease:'..id) == 0 then\n"
    "    local k = p..'job:'..id\n"
    "    local h = redis.call('HMGET', k, 'status', 'attempt', 'qid')\n"
    "    redis.call('XACK', q, 'workers', eid)\n"
    "    redis.call('XDEL', q, eid)\n"
    "    if h[1] == ARGV[8] and h[3] == eid then\n"
    "      if (tonumber(h[2]) or 0) < tonumber(ARGV[4]) then\n"
    "        local nid = redis.call('XADD', q, '*', 'id', id)\n"
    "        redis.call('HSET', k, 'status', ARGV[9], 'step', 0, 'qid', nid)\n"
    "        again = again + 1\n"
    "      else\n"
    "        redis.call('HSET', k, 'status', ARGV[10], 'finished', ARGV[5],\n"
    "                   'ecode', 'worker_lost', 'emsg', ARGV[11])\n"
    "        finalize(id, tonumber(ARGV[6]), tonumber(ARGV[7]), ARGV[5])\n"
    "        lost = lost + 1\n"
    "      end\n"
    "    end\n"
    "  end\n"
    "end\n"
    "return {again, lost}\n";

/* ARGV: p. Entries not yet delivered to a consumer. */
static const char depth_lua[] = "local q = ARGV[1]..'queue'\n"
                                "local pend = redis.pcall('XPENDING', q, 'workers')\n"
                                "local running = type(pend) == 'table' and tonumber(pend[1]) or 0\n"
                                "return redis.call('XLEN', q) - running\n";

static store_rc claim_reply(const redisReply *rep, job_meta *out, store_blob *input) {
    const redisReply *word = redis_elem(rep, 0), *blob = redis_elem(rep, 2);
    if (redis_is_str(word, "none")) return STORE_NOT_FOUND;
    if (!redis_is_str(word, "ok") || !blob || blob->type != REDIS_REPLY_STRING ||
        !redis_meta_decode(redis_elem(rep, 1), out))
        return STORE_UNAVAILABLE;
    input->bytes = malloc(blob->len ? blob->len : 1);
    if (!input->bytes) {
        job_meta_clear(out);
        return STORE_NOMEM;
    }
    memcpy(input->bytes, blob->str, blob->len);
    input->len = blob->len;
    return STORE_OK;
}

store_rc rs_claim_next(job_store *s, double now, job_meta *out, store_blob *input) {
    redis_store *r = (redis_store *)s;
    memset(input, 0, sizeof *input);
    job_meta_init(out);
    cmd c;
    redis_eval_begin(&c, r, claim_lua);
    arg_str(&c, r->consumer);
    arg_int(&c, ms(r->lease_s));
    arg_fmt(&c, "%.17g", now);
    arg_int(&c, JOB_RUNNING);
    arg_int(&c, JOB_QUEUED);
    redisReply *rep = redis_store_run(r, &c);
    store_rc rc = rep ? claim_reply(rep, out, input) : STORE_UNAVAILABLE;
    if (rep) freeReplyObject(rep);
    return rc;
}

store_rc rs_reclaim(job_store *s, double now, size_t *requeued, size_t *failed) {
    redis_store *r = (redis_store *)s;
    *requeued = *failed = 0;
    char msg[160];
    snprintf(msg, sizeof msg, "the replica running the job stopped answering, %d times",
             r->max_attempts);
    cmd c;
    redis_eval_begin(&c, r, reclaim_lua);
    arg_str(&c, r->consumer);
    arg_int(&c, ms(r->lease_s));
    arg_int(&c, r->max_attempts);
    arg_fmt(&c, "%.17g", now);
    arg_int(&c, ms(r->ttl_s));
    arg_int(&c, ms(r->tomb_s));
    arg_int(&c, JOB_RUNNING);
    arg_int(&c, JOB_QUEUED);
    arg_int(&c, JOB_FAILED);
    arg_str(&c, msg);
    redisReply *rep = redis_store_run(r, &c);
    const redisReply *a = redis_elem(rep, 0), *b = redis_elem(rep, 1);
    store_rc rc = a && b && a->type == REDIS_REPLY_INTEGER && b->type == REDIS_REPLY_INTEGER
                      ? STORE_OK
                      : STORE_UNAVAILABLE;
    if (rc == STORE_OK) {
        *requeued = (size_t)a->integer;
        *failed = (size_t)b->integer;
    }
    if (rep) freeReplyObject(rep);
    return rc;
}

store_rc rs_queue_depth(job_store *s, size_t *n) {
    redis_store *r = (redis_store *)s;
    cmd c;
    redis_eval_begin(&c, r, depth_lua);
    redisReply *rep = redis_store_run(r, &c);
    store_rc rc = rep && rep->type == REDIS_REPLY_INTEGER ? STORE_OK : STORE_UNAVAILABLE;
    if (rc == STORE_OK) *n = rep->integer > 0 ? (size_t)rep->integer : 0;
    if (rep) freeReplyObject(rep);
    return rc;
}

/* The configured name, else host:pid: unique per replica (a pod's host
 * name is its own), stable for the process's life. */
void redis_consumer_name(const char *configured, char *out, size_t outlen) {
    if (configured && configured[0]) {
        snprintf(out, outlen, "%s", configured);
        return;
    }
    char host[64] = "host";
    if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "host");
    host[sizeof host - 1] = '\0';
    snprintf(out, outlen, "%s:%ld", host, (long)getpid());
}
