/* The job store on Redis. Key layout (P = the deployment's prefix, "i2i:"):
 *   P job:ID             hash: the job_meta fields (redis_meta.c); a TTL once final
 *   P in:ID              the input blob, until the job is final
 *   P res:ID:N           result N's bytes, with the job's TTL
 *   P jobs               sorted set of every job by seq (creation order)
 *   P owner:NAME         the same per owner, for tenants' lists
 *   P fin                finished jobs by finished_at: expiry and eviction order
 *   P idem:OWNER:KEY     the job an Idempotency-Key names (SET NX), the job's TTL
 *   P gone:ID            tombstone "expired:OWNER" or "evicted:OWNER" for 410
 *   P seq                the seq counter (INCR)
 *   P queue              stream of queued and running jobs (field id), consumer
 *                        group "workers" (job_store_redis_queue.c)
 *   P lease:ID           the consumer running the job, PX the lease
 * Every op that reads and writes runs as one Lua script, so it is atomic
 * and one round trip. Keys are built inside the scripts: fine for one
 * Redis (or a primary with replicas), not for Redis Cluster (STORE.md). */
#include "job_store.h"
#include "redis_meta.h"
#include "redis_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ARGV: p id owner idem cap tomb_ms has_input input queue_max fields... The
 * queue bound counts jobs not yet claimed: the stream's length less the
 * entries its consumer group has delivered (running). */
static const char put_lua[] = LUA_LIB
    "local id, owner, idem, cap, tomb = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6]\n"
    "local q, qmax = p..'queue', tonumber(ARGV[9])\n"
    "if qmax > 0 then\n"
    "  local pend = redis.pcall('XPENDING', q, 'workers')\n"
    "  local running = type(pend) == 'table' and tonumber(pend[1]) or 0\n"
    "  if redis.call('XLEN', q) - running >= qmax then return {'queue_full'} end\n"
    "end\n"
    "local ik = p..'idem:'..owner..':'..idem\n"
    "if idem ~= '' and not redis.call('SET', ik, id, 'NX') then\n"
    "  local first = redis.call('GET', ik)\n"
    "  if first and redis.call('EXISTS', p..'job:'..first) == 1 then return {'exists', first} end\n"
    "  redis.call('SET', ik, id)\n"
    "end\n"
    "if redis.call('ZCARD', p..'jobs') >= cap then\n"
    "  local old = redis.call('ZRANGE', p..'fin', 0, 0)\n"
    "  if #old == 0 then\n"
    "    if idem ~= '' then redis.call('DEL', ik) end\n"
    "    return {'full'}\n"
    "  end\n"
    "  drop(old[1], 'evicted', tomb)\n"
    "end\n"
    "local seq = redis.call('INCR', p..'seq')\n"
    "local f = {}\n"
    "for i = 10, #ARGV do f[#f + 1] = ARGV[i] end\n"
    "redis.pcall('XGROUP', 'CREATE', q, 'workers', '0', 'MKSTREAM')\n"
    "local qid = redis.call('XADD', q, '*', 'id', id)\n"
    "redis.call('HSET', p..'job:'..id, 'seq', seq, 'qid', qid, unpack(f))\n"
    "redis.call('ZADD', p..'jobs', seq, id)\n"
    "redis.call('ZADD', p..'owner:'..owner, seq, id)\n"
    "if ARGV[7] == '1' then redis.call('SET', p..'in:'..id, ARGV[8]) end\n"
    "return {'ok', tostring(seq)}\n";

/* ARGV: p id */
static const char get_lua[] = "local p = ARGV[1]\n"
                              "local h = redis.call('HGETALL', p..'job:'..ARGV[2])\n"
                              "if #h > 0 then return {'ok', h} end\n"
                              "local g = redis.call('GET', p..'gone:'..ARGV[2])\n"
                              "if g then return {'gone', g} end\n"
                              "return {'none'}\n";

/* ARGV: p id from final ttl_ms tomb_ms finished_at attempt nblobs blobs... fields...
 * attempt > 0: only that run may end the job. */
static const char update_lua[] =
    "local p, id = ARGV[1], ARGV[2]\n" LUA_FINAL "local k = p..'job:'..id\n"
    "local h = redis.call('HMGET', k, 'status', 'attempt')\n"
    "if not h[1] then return 'not_found' end\n"
    "if h[1] ~= ARGV[3] then return 'conflict' end\n"
    "local att = tonumber(ARGV[8])\n"
    "if att > 0 and tonumber(h[2]) ~= att then return 'conflict' end\n"
    "local ttl, nb = tonumber(ARGV[5]), tonumber(ARGV[9])\n"
    "for i = 1, nb do redis.call('SET', p..'res:'..id..':'..(i - 1), ARGV[9 + i], 'PX', ttl) end\n"
    "local f = {}\n"
    "for i = 10 + nb, #ARGV do f[#f + 1] = ARGV[i] end\n"
    "redis.call('HSET', k, unpack(f))\n"
    "if ARGV[4] == '1' then finalize(id, ttl, tonumber(ARGV[6]), ARGV[7]) end\n"
    "return 'ok'\n";

/* ARGV: p id step steps running consumer lease_ms. Renews the lease (a
 * lease held by another consumer means the job was reclaimed: conflict). */
static const char progress_lua[] = "local k = ARGV[1]..'job:'..ARGV[2]\n"
                                   "local st = redis.call('HGET', k, 'status')\n"
                                   "if not st then return {'not_found'} end\n"
                                   "if st ~= ARGV[5] then return {'conflict'} end\n"
                                   "local lk = ARGV[1]..'lease:'..ARGV[2]\n"
                                   "local holder = redis.call('GET', lk)\n"
                                   "if holder and holder ~= ARGV[6] then return {'conflict'} end\n"
                                   "redis.call('SET', lk, ARGV[6], 'PX', ARGV[7])\n"
                                   "redis.call('HSET', k, 'step', ARGV[3], 'steps', ARGV[4])\n"
                                   "return {'ok', redis.call('HGET', k, 'cancel') or '0'}\n";

/* ARGV: p id owner check_owner running */
static const char cancel_lua[] =
    "local k = ARGV[1]..'job:'..ARGV[2]\n"
    "local h = redis.call('HMGET', k, 'status', 'owner')\n"
    "if not h[1] then return 'not_found' end\n"
    "if ARGV[4] == '1' and h[2] ~= ARGV[3] then return 'not_found' end\n"
    "if h[1] ~= ARGV[5] then return 'conflict' end\n"
    "redis.call('HSET', k, 'cancel', '1')\n"
    "return 'ok'\n";

/* ARGV: p zset max limit status ('' = any). Newest first; reply[1] is 1
 * when a match lies past the page. */
static const char list_lua[] =
    "local p, key, max, limit, want = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5]\n"
    "local out, found = {0}, 0\n"
    "while true do\n"
    "  local ids = redis.call('ZREVRANGEBYSCORE', key, max, '-inf', 'WITHSCORES', 'LIMIT', 0, 64)\n"
    "  if #ids == 0 then return out end\n"
    "  for i = 1, #ids, 2 do\n"
    "    local k = p..'job:'..ids[i]\n"
    "    local st = redis.call('HGET', k, 'status')\n"
    "    if st and (want == '' or st == want) then\n"
    "      if found == limit then out[1] = 1; return out end\n"
    "      out[#out + 1] = redis.call('HGETALL', k)\n"
    "      found = found + 1\n"
    "    end\n"
    "    max = '('..ids[i + 1]\n"
    "  end\n"
    "end\n";

/* ARGV: p cutoff tomb_ms */
static const char expire_lua[] =
    LUA_LIB "local ids = redis.call('ZRANGEBYSCORE', p..'fin', '-inf', ARGV[2], 'LIMIT', 0, 1000)\n"
            "for _, id in ipairs(ids) do drop(id, 'expired', ARGV[3]) end\n"
            "return #ids\n";

void redis_eval_begin(cmd *c, const redis_store *r, const char *script) {
    memset(c, 0, sizeof *c);
    arg_str(c, "EVAL");
    arg_str(c, script);
    arg_str(c, "0");
    arg_str(c, r->prefix);
}

/* The reply, or NULL (unreachable, timed out, or a script error: logged). */
redisReply *redis_store_run(redis_store *r, cmd *c) {
    redisReply *rep = c->n < CMD_MAX ? redis_conn_run(r->conn, c->n, c->argv, c->lens) : NULL;
    if (rep && rep->type == REDIS_REPLY_ERROR) {
        fprintf(stderr, "i2i-serve: redis: %s\n", rep->str);
        freeReplyObject(rep);
        rep = NULL;
    }
    return rep;
}

bool redis_is_str(const redisReply *r, const char *s) {
    return r && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS) &&
           strcmp(r->str, s) == 0;
}

/* A status-word reply ('ok', 'not_found', 'conflict') as a store_rc. */
store_rc redis_word_rc(const redisReply *rep) {
    if (redis_is_str(rep, "ok")) return STORE_OK;
    if (redis_is_str(rep, "not_found")) return STORE_NOT_FOUND;
    if (redis_is_str(rep, "conflict")) return STORE_CONFLICT;
    return STORE_UNAVAILABLE;
}

const redisReply *redis_elem(const redisReply *rep, size_t i) {
    return rep && rep->type == REDIS_REPLY_ARRAY && i < rep->elements ? rep->element[i] : NULL;
}

static store_rc put_reply(const redisReply *rep, job_meta *m, char existing_id[37]) {
    const redisReply *word = redis_elem(rep, 0), *val = redis_elem(rep, 1);
    if (redis_is_str(word, "full")) return STORE_FULL;
    if (redis_is_str(word, "queue_full")) return STORE_QUEUE_FULL;
    if (redis_is_str(word, "exists") && val && val->type == REDIS_REPLY_STRING) {
        snprintf(existing_id, 37, "%s", val->str);
        return STORE_EXISTS;
    }
    if (!redis_is_str(word, "ok") || !val || val->type != REDIS_REPLY_STRING)
        return STORE_UNAVAILABLE;
    m->seq = strtoull(val->str, NULL, 10);
    return STORE_OK;
}

static store_rc rs_put(job_store *s, job_meta *m, const store_blob *input, char existing_id[37]) {
    redis_store *r = (redis_store *)s;
    cmd c;
    redis_fields f;
    redis_eval_begin(&c, r, put_lua);
    arg_str(&c, m->id);
    arg_str(&c, m->owner);
    arg_str(&c, m->idempotency_key);
    arg_int(&c, (long long)r->cap);
    arg_int(&c, ms(r->tomb_s));
    arg_str(&c, input && input->len ? "1" : "0");
    arg(&c, input && input->len ? (const char *)input->bytes : "", input ? input->len : 0);
    arg_int(&c, (long long)r->queue_max);
    redis_meta_encode(m, &f);
    for (int i = 0; i < f.n; i++)
        arg(&c, f.argv[i], f.lens[i]);
    redisReply *rep = redis_store_run(r, &c);
    store_rc rc = rep ? put_reply(rep, m, existing_id) : STORE_UNAVAILABLE;
    if (rep) freeReplyObject(rep);
    return rc;
}

/* A tombstone "kind:owner" as seen by owner (NULL = any). */
static store_rc tombstone_rc(const char *g, const char *owner) {
    const char *colon = strchr(g, ':');
    if (!colon || (owner && strcmp(colon + 1, owner) != 0)) return STORE_NOT_FOUND;
    if (strncmp(g, "expired:", 8) == 0) return STORE_EXPIRED;
    return strncmp(g, "evicted:", 8) == 0 ? STORE_EVICTED : STORE_NOT_FOUND;
}

static store_rc get_reply(const redisReply *rep, const char *owner, job_meta *out) {
    const redisReply *word = redis_elem(rep, 0), *val = redis_elem(rep, 1);
    if (redis_is_str(word, "none")) return STORE_NOT_FOUND;
    if (redis_is_str(word, "gone") && val && val->type == REDIS_REPLY_STRING)
        return tombstone_rc(val->str, owner);
    if (!redis_is_str(word, "ok") || !redis_meta_decode(val, out)) {
        job_meta_clear(out);
        return STORE_UNAVAILABLE;
    }
    if (owner && strcmp(out->owner, owner) != 0) {
        job_meta_clear(out);
        return STORE_NOT_FOUND;
    }
    return STORE_OK;
}

static store_rc rs_get(job_store *s, const char *id, const char *owner, job_meta *out) {
    redis_store *r = (redis_store *)s;
    cmd c;
    redis_eval_begin(&c, r, get_lua);
    arg_str(&c, id);
    redisReply *rep = redis_store_run(r, &c);
    store_rc rc = rep ? get_reply(rep, owner, out) : STORE_UNAVAILABLE;
    if (rep) freeReplyObject(rep);
    return rc;
}

/* GET of one key: OK with the value in out (malloc'd), or NOT_FOUND. */
static store_rc get_key(redis_store *r, const char *key, store_blob *out) {
    memset(out, 0, sizeof *out);
    cmd c = {0};
    arg_str(&c, "GET");
    arg_str(&c, key);
    redisReply *rep = redis_store_run(r, &c);
    store_rc rc = !rep                                   ? STORE_UNAVAILABLE
                  : rep->type == REDIS_REPLY_NIL         ? STORE_NOT_FOUND
                  : rep->type != REDIS_REPLY_STRING      ? STORE_UNAVAILABLE
                  : !(out->bytes = malloc(rep->len + 1)) ? STORE_NOMEM
                                                         : STORE_OK;
    if (rc == STORE_OK) {
        memcpy(out->bytes, rep->str, rep->len);
        out->bytes[rep->len] = '\0'; /* ids are read as text */
        out->len = rep->len;
    }
    if (rep) freeReplyObject(rep);
    return rc;
}

static store_rc rs_find_idem(job_store *s, const char *owner, const char *key, char id_out[37]) {
    redis_store *r = (redis_store *)s;
    size_t klen = strlen(r->prefix) + strlen(owner ? owner : "") + strlen(key) + 8;
    char *k = malloc(klen);
    if (!k) return STORE_NOMEM;
    snprintf(k, klen, "%sidem:%s:%s", r->prefix, owner ? owner : "", key);
    store_blob b;
    store_rc rc = get_key(r, k, &b);
    free(k);
    if (rc == STORE_OK) snprintf(id_out, 37, "%s", (const char *)b.bytes);
    store_blob_free(&b);
    return rc;
}

/* The fields a status change writes. */
static void update_fields(const job_update *u, redis_fields *f, char *seeds, size_t seedlen) {
    f->n = 0;
    redis_fields_add_num(f, "status", u->to);
    if (u->to == JOB_RUNNING) {
        redis_fields_add_num(f, "started", u->at);
        redis_fields_add_num(f, "attempt", u->attempt);
        return;
    }
    redis_fields_add_num(f, "finished", u->at);
    const char *code = u->error_code ? u->error_code : "", *msg = u->error_message;
    redis_fields_add(f, "ecode", code, strlen(code));
    redis_fields_add(f, "emsg", msg ? msg : "", msg ? strlen(msg) : 0);
    if (u->to != JOB_SUCCEEDED) return;
    size_t used = 0;
    seeds[0] = '\0';
    for (int i = 0; i < u->result_count && i < JOB_META_MAX_RESULTS; i++)
        used += (size_t)snprintf(seeds + used, seedlen - used, "%s%llu", i ? "," : "",
                                 u->result_seeds ? (unsigned long long)u->result_seeds[i] : 0);
    redis_fields_add_num(f, "rcount", u->result_count);
    const char *type = u->result_type ? u->result_type : "";
    redis_fields_add(f, "rtype", type, strlen(type));
    redis_fields_add_num(f, "rw", u->result_width);
    redis_fields_add_num(f, "rh", u->result_height);
    redis_fields_add(f, "seeds", seeds, used);
}

static store_rc rs_update_status(job_store *s, const char *id, const job_update *u) {
    redis_store *r = (redis_store *)s;
    bool final = job_status_is_final(u->to);
    int nb = u->to == JOB_SUCCEEDED ? u->result_count : 0;
    if (nb < 0 || nb > JOB_META_MAX_RESULTS) return STORE_CONFLICT;
    cmd c;
    redis_fields f;
    char seeds[128];
    redis_eval_begin(&c, r, update_lua);
    arg_str(&c, id);
    arg_int(&c, u->from);
    arg_str(&c, final ? "1" : "0");
    arg_int(&c, ms(r->ttl_s));
    arg_int(&c, ms(r->tomb_s));
    arg_fmt(&c, "%.17g", u->at);
    arg_int(&c, u->from == JOB_RUNNING ? u->attempt : 0);
    arg_int(&c, nb);
    for (int i = 0; i < nb; i++)
        arg(&c, u->results[i].bytes ? (const char *)u->results[i].bytes : "", u->results[i].len);
    update_fields(u, &f, seeds, sizeof seeds);
    for (int i = 0; i < f.n; i++)
        arg(&c, f.argv[i], f.lens[i]);
    redisReply *rep = redis_store_run(r, &c);
    store_rc rc = redis_word_rc(rep);
    if (rep) freeReplyObject(rep);
    return rc;
}

static store_rc rs_update_progress(job_store *s, const char *id, int step, int steps,
                                   bool *cancel_requested) {
    redis_store *r = (redis_store *)s;
    cmd c;
    redis_eval_begin(&c, r, progress_lua);
    arg_str(&c, id);
    arg_int(&c, step);
    arg_int(&c, steps);
    arg_int(&c, JOB_RUNNING);
    arg_str(&c, r->consumer);
    arg_int(&c, ms(r->lease_s));
    redisReply *rep = redis_store_run(r, &c);
    store_rc rc = redis_word_rc(redis_elem(rep, 0));
    if (rc == STORE_OK) *cancel_requested = redis_is_str(redis_elem(rep, 1), "1");
    if (rep) freeReplyObject(rep);
    return rc;
}

static store_rc rs_request_cancel(job_store *s, const char *id, const char *owner) {
    redis_store *r = (redis_store *)s;
    cmd c;
    redis_eval_begin(&c, r, cancel_lua);
    arg_str(&c, id);
    arg_str(&c, owner ? owner : "");
    arg_str(&c, owner ? "1" : "0");
    arg_int(&c, JOB_RUNNING);
    redisReply *rep = redis_store_run(r, &c);
    store_rc rc = redis_word_rc(rep);
    if (rep) freeReplyObject(rep);
    return rc;
}

static store_rc list_reply(const redisReply *rep, job_meta *out, size_t *n, uint64_t *next) {
    if (!rep || rep->type != REDIS_REPLY_ARRAY || rep->elements < 1) return STORE_UNAVAILABLE;
    for (size_t i = 1; i < rep->elements; i++) {
        if (!redis_meta_decode(rep->element[i], &out[*n])) {
            while (*n)
                job_meta_clear(&out[--*n]);
            return STORE_UNAVAILABLE;
        }
        (*n)++;
    }
    bool more = rep->element[0]->type == REDIS_REPLY_INTEGER && rep->element[0]->integer == 1;
    *next = more && *n ? out[*n - 1].seq : 0;
    return STORE_OK;
}

static store_rc rs_list(job_store *s, const store_query *q, job_meta *out, size_t *n,
                        uint64_t *next_before) {
    redis_store *r = (redis_store *)s;
    *n = 0;
    *next_before = 0;
    char key[256], max[32];
    if (q->owner)
        snprintf(key, sizeof key, "%sowner:%s", r->prefix, q->owner);
    else
        snprintf(key, sizeof key, "%sjobs", r->prefix);
    if (q->before_seq)
        snprintf(max, sizeof max, "(%llu", (unsigned long long)q->before_seq);
    else
        snprintf(max, sizeof max, "+inf");
    cmd c;
    redis_eval_begin(&c, r, list_lua);
    arg_str(&c, key);
    arg_str(&c, max);
    arg_int(&c, (long long)q->limit);
    if (q->status >= 0)
        arg_int(&c, q->status);
    else
        arg_str(&c, "");
    redisReply *rep = redis_store_run(r, &c);
    store_rc rc = rep && rep->elements <= q->limit + 1 ? list_reply(rep, out, n, next_before)
                                                       : STORE_UNAVAILABLE;
    if (rep) freeReplyObject(rep);
    return rc;
}

static store_rc rs_get_input(job_store *s, const char *id, store_blob *out) {
    redis_store *r = (redis_store *)s;
    char key[160];
    snprintf(key, sizeof key, "%sin:%s", r->prefix, id);
    return get_key(r, key, out);
}

static store_rc rs_get_result(job_store *s, const char *id, int index, store_blob *out) {
    redis_store *r = (redis_store *)s;
    memset(out, 0, sizeof *out);
    if (index < 0 || index >= JOB_META_MAX_RESULTS) return STORE_NOT_FOUND;
    char key[160];
    snprintf(key, sizeof key, "%sres:%s:%d", r->prefix, id, index);
    return get_key(r, key, out);
}

static size_t rs_expire(job_store *s, double now) {
    redis_store *r = (redis_store *)s;
    cmd c;
    redis_eval_begin(&c, r, expire_lua);
    arg_fmt(&c, "%.17g", now - r->ttl_s);
    arg_int(&c, ms(r->tomb_s));
    redisReply *rep = redis_store_run(r, &c);
    size_t n = rep && rep->type == REDIS_REPLY_INTEGER ? (size_t)rep->integer : 0;
    if (rep) freeReplyObject(rep);
    return n;
}

static store_rc rs_count(job_store *s, size_t *n) {
    redis_store *r = (redis_store *)s;
    char key[128];
    snprintf(key, sizeof key, "%sjobs", r->prefix);
    cmd c = {0};
    arg_str(&c, "ZCARD");
    arg_str(&c, key);
    redisReply *rep = redis_store_run(r, &c);
    store_rc rc = rep && rep->type == REDIS_REPLY_INTEGER ? STORE_OK : STORE_UNAVAILABLE;
    if (rc == STORE_OK) *n = (size_t)rep->integer;
    if (rep) freeReplyObject(rep);
    return rc;
}

static void rs_destroy(job_store *s) {
    redis_store *r = (redis_store *)s;
    if (!r) return;
    redis_conn_free(r->conn);
    free(r);
}

static const job_store_ops redis_ops = {
    .put = rs_put,
    .get = rs_get,
    .find_idempotent = rs_find_idem,
    .update_status = rs_update_status,
    .update_progress = rs_update_progress,
    .request_cancel = rs_request_cancel,
    .list = rs_list,
    .get_input = rs_get_input,
    .get_result = rs_get_result,
    .expire = rs_expire,
    .count = rs_count,
    .destroy = rs_destroy,
    .claim_next = rs_claim_next,
    .reclaim = rs_reclaim,
    .queue_depth = rs_queue_depth,
};

job_store *job_store_redis_create(const char *url, const job_store_config *c, char *err,
                                  size_t errlen) {
    char host[256];
    int port, db;
    if (!redis_url_parse(url, host, sizeof host, &port, &db, err, errlen)) return NULL;
    redis_store *r = calloc(1, sizeof *r);
    if (r) r->conn = redis_conn_create(host, port, db, c->timeout_s > 0 ? c->timeout_s : 2.0);
    if (!r || !r->conn) {
        free(r);
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    r->base.ops = &redis_ops;
    snprintf(r->prefix, sizeof r->prefix, "%s", c->prefix[0] ? c->prefix : "i2i:");
    r->cap = c->cap ? c->cap : 1;
    r->ttl_s = c->ttl_s;
    r->tomb_s = c->tombstone_ttl_s > 0 ? c->tombstone_ttl_s : 86400;
    r->queue_max = c->queue_max;
    r->lease_s = c->lease_s > 0 ? c->lease_s : 30;
    r->max_attempts = c->max_attempts > 0 ? c->max_attempts : 3;
    redis_consumer_name(c->consumer, r->consumer, sizeof r->consumer);
    return &r->base;
}
