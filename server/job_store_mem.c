/* In-memory job store: records in a creation-ordered list (listing), a
 * FIFO of finished records in finish order (expiry and eviction take from
 * its head), hashes by id and by (owner, idempotency key), and tombstones
 * so a job let go answers 410. One mutex guards it all; every op copies in
 * or out, so no caller holds a pointer into the store. */
#include "job_index.h"
#include "job_store.h"
#include "job_tombstones.h"

#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct rec {
    job_meta m;
    store_blob input;
    store_blob results[JOB_META_MAX_RESULTS];
    struct rec *newer, *older; /* creation order */
    struct rec *finished_next;
    struct rec *id_next, *idem_next;
} rec;

typedef struct mem_store {
    job_store base;
    pthread_mutex_t mu;
    rec *newest, *oldest;
    rec *finished_head, *finished_tail;
    size_t count, cap;
    double ttl_s;
    uint64_t next_seq;
    job_index by_id, by_idem;
    job_tombstones *gone;
} mem_store;

static bool owned(const rec *r, const char *owner) {
    return !owner || strcmp(r->m.owner, owner) == 0;
}

static uint64_t owner_hash(const char *owner) {
    uint64_t h = job_hash(owner, strlen(owner));
    return h ? h : 1; /* 0 means "any owner" to the tombstones */
}

static uint64_t id_hash(const char *id) {
    return job_hash(id, strlen(id));
}

static void rec_free(rec *r) {
    job_meta_clear(&r->m);
    store_blob_free(&r->input);
    for (int i = 0; i < JOB_META_MAX_RESULTS; i++)
        store_blob_free(&r->results[i]);
    free(r);
}

static rec *find_locked(mem_store *m, const char *id) {
    for (rec *r = job_index_chain(&m->by_id, id_hash(id)); r; r = job_index_next(&m->by_id, r))
        if (strcmp(r->m.id, id) == 0) return r;
    return NULL;
}

static rec *find_idem_locked(mem_store *m, const char *owner, const char *key) {
    for (rec *r = job_index_chain(&m->by_idem, job_hash2(owner, key)); r;
         r = job_index_next(&m->by_idem, r))
        if (strcmp(r->m.idempotency_key, key) == 0 && strcmp(r->m.owner, owner) == 0) return r;
    return NULL;
}

static void unlink_rec(mem_store *m, rec *r) {
    if (r->newer)
        r->newer->older = r->older;
    else
        m->newest = r->older;
    if (r->older)
        r->older->newer = r->newer;
    else
        m->oldest = r->newer;
    job_index_remove(&m->by_id, id_hash(r->m.id), r);
    if (r->m.idempotency_key[0])
        job_index_remove(&m->by_idem, job_hash2(r->m.owner, r->m.idempotency_key), r);
    m->count--;
}

/* Lets go of the oldest finished job; false when there is none. */
static bool drop_oldest_finished(mem_store *m, tombstone_kind why) {
    rec *r = m->finished_head;
    if (!r) return false;
    m->finished_head = r->finished_next;
    if (!m->finished_head) m->finished_tail = NULL;
    unlink_rec(m, r);
    job_tombstones_add(m->gone, r->m.id, owner_hash(r->m.owner), why);
    rec_free(r);
    return true;
}

static bool copy_blob(store_blob *dst, const store_blob *src) {
    memset(dst, 0, sizeof *dst);
    if (!src || !src->len) return true;
    if (!(dst->bytes = malloc(src->len))) return false;
    memcpy(dst->bytes, src->bytes, src->len);
    dst->len = src->len;
    return true;
}

static void link_rec_locked(mem_store *m, rec *r) {
    r->older = m->newest;
    if (m->newest) m->newest->newer = r;
    m->newest = r;
    if (!m->oldest) m->oldest = r;
    job_index_put(&m->by_id, id_hash(r->m.id), r);
    if (r->m.idempotency_key[0])
        job_index_put(&m->by_idem, job_hash2(r->m.owner, r->m.idempotency_key), r);
    m->count++;
}

static store_rc mem_put(job_store *s, job_meta *meta, const store_blob *input,
                        char existing_id[37]) {
    mem_store *m = (mem_store *)s;
    rec *r = calloc(1, sizeof *r);
    if (!r || !job_meta_copy(&r->m, meta) || !copy_blob(&r->input, input)) {
        if (r) rec_free(r);
        return STORE_NOMEM;
    }
    store_rc rc = STORE_OK;
    pthread_mutex_lock(&m->mu);
    rec *first =
        meta->idempotency_key[0] ? find_idem_locked(m, meta->owner, meta->idempotency_key) : NULL;
    if (first) {
        memcpy(existing_id, first->m.id, 37);
        rc = STORE_EXISTS;
    } else if (m->count >= m->cap && !drop_oldest_finished(m, TOMB_EVICTED)) {
        rc = STORE_FULL;
    } else {
        meta->seq = r->m.seq = ++m->next_seq;
        link_rec_locked(m, r);
    }
    pthread_mutex_unlock(&m->mu);
    if (rc != STORE_OK) rec_free(r);
    return rc;
}

static store_rc gone_rc(mem_store *m, const char *id, const char *owner) {
    tombstone_kind k = job_tombstones_find(m->gone, id, owner ? owner_hash(owner) : 0);
    return k == TOMB_EXPIRED ? STORE_EXPIRED : k == TOMB_EVICTED ? STORE_EVICTED : STORE_NOT_FOUND;
}

static store_rc mem_get(job_store *s, const char *id, const char *owner, job_meta *out) {
    mem_store *m = (mem_store *)s;
    pthread_mutex_lock(&m->mu);
    rec *r = find_locked(m, id);
    store_rc rc = !r                          ? gone_rc(m, id, owner)
                  : !owned(r, owner)          ? STORE_NOT_FOUND
                  : job_meta_copy(out, &r->m) ? STORE_OK
                                              : STORE_NOMEM;
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static store_rc mem_find_idem(job_store *s, const char *owner, const char *key, char id_out[37]) {
    mem_store *m = (mem_store *)s;
    pthread_mutex_lock(&m->mu);
    rec *r = find_idem_locked(m, owner ? owner : "", key);
    if (r) memcpy(id_out, r->m.id, 37);
    pthread_mutex_unlock(&m->mu);
    return r ? STORE_OK : STORE_NOT_FOUND;
}

/* The results move in before the status says succeeded. */
static bool take_results(rec *r, const job_update *u) {
    store_blob got[JOB_META_MAX_RESULTS] = {{0}};
    int n = u->result_count < JOB_META_MAX_RESULTS ? u->result_count : JOB_META_MAX_RESULTS;
    for (int i = 0; i < n; i++)
        if (!copy_blob(&got[i], &u->results[i])) {
            while (i-- > 0)
                store_blob_free(&got[i]);
            return false;
        }
    memcpy(r->results, got, sizeof got);
    r->m.result_count = n;
    snprintf(r->m.result_type, sizeof r->m.result_type, "%s", u->result_type ? u->result_type : "");
    r->m.result_width = u->result_width;
    r->m.result_height = u->result_height;
    for (int i = 0; i < n; i++)
        r->m.result_seeds[i] = u->result_seeds ? u->result_seeds[i] : 0;
    return true;
}

static void finish_locked(mem_store *m, rec *r, const job_update *u) {
    r->m.finished_at = u->at;
    snprintf(r->m.error_code, sizeof r->m.error_code, "%s", u->error_code ? u->error_code : "");
    snprintf(r->m.error_message, sizeof r->m.error_message, "%s",
             u->error_message ? u->error_message : "");
    store_blob_free(&r->input);
    r->finished_next = NULL;
    if (m->finished_tail)
        m->finished_tail->finished_next = r;
    else
        m->finished_head = r;
    m->finished_tail = r;
}

static store_rc apply_update_locked(mem_store *m, rec *r, const job_update *u) {
    if (r->m.status != u->from) return STORE_CONFLICT;
    if (u->to == JOB_SUCCEEDED && !take_results(r, u)) return STORE_NOMEM;
    r->m.status = u->to;
    if (u->to == JOB_RUNNING) {
        r->m.started_at = u->at;
        r->m.attempt = u->attempt;
    } else if (job_status_is_final(u->to)) {
        finish_locked(m, r, u);
    }
    return STORE_OK;
}

static store_rc mem_update_status(job_store *s, const char *id, const job_update *u) {
    mem_store *m = (mem_store *)s;
    pthread_mutex_lock(&m->mu);
    rec *r = find_locked(m, id);
    store_rc rc = r ? apply_update_locked(m, r, u) : STORE_NOT_FOUND;
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static store_rc mem_update_progress(job_store *s, const char *id, int step, int steps,
                                    bool *cancel_requested) {
    mem_store *m = (mem_store *)s;
    store_rc rc = STORE_NOT_FOUND;
    pthread_mutex_lock(&m->mu);
    rec *r = find_locked(m, id);
    if (r && r->m.status != JOB_RUNNING) rc = STORE_CONFLICT;
    if (r && r->m.status == JOB_RUNNING) {
        r->m.step = step;
        r->m.steps = steps;
        *cancel_requested = r->m.cancel_requested;
        rc = STORE_OK;
    }
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static store_rc mem_request_cancel(job_store *s, const char *id, const char *owner) {
    mem_store *m = (mem_store *)s;
    pthread_mutex_lock(&m->mu);
    rec *r = find_locked(m, id);
    store_rc rc = !r || !owned(r, owner)       ? STORE_NOT_FOUND
                  : r->m.status != JOB_RUNNING ? STORE_CONFLICT
                                               : STORE_OK;
    if (rc == STORE_OK) r->m.cancel_requested = true;
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static bool matches(const rec *r, const store_query *q) {
    return owned(r, q->owner) && (q->status < 0 || (int)r->m.status == q->status) &&
           (!q->before_seq || r->m.seq < q->before_seq);
}

static store_rc mem_list(job_store *s, const store_query *q, job_meta *out, size_t *n,
                         uint64_t *next_before) {
    mem_store *m = (mem_store *)s;
    store_rc rc = STORE_OK;
    *n = 0;
    *next_before = 0;
    pthread_mutex_lock(&m->mu);
    rec *r = m->newest;
    for (; r && *n < q->limit && rc == STORE_OK; r = r->older)
        if (matches(r, q)) rc = job_meta_copy(&out[(*n)++], &r->m) ? STORE_OK : STORE_NOMEM;
    while (r && !matches(r, q)) /* a next page only when there is one */
        r = r->older;
    if (r && *n) *next_before = out[*n - 1].seq;
    pthread_mutex_unlock(&m->mu);
    if (rc != STORE_OK)
        while (*n)
            job_meta_clear(&out[--*n]);
    return rc;
}

static store_rc blob_out(const store_blob *b, store_blob *out) {
    return copy_blob(out, b) ? STORE_OK : STORE_NOMEM;
}

static store_rc mem_get_input(job_store *s, const char *id, store_blob *out) {
    mem_store *m = (mem_store *)s;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&m->mu);
    rec *r = find_locked(m, id);
    store_rc rc = r && r->input.len ? blob_out(&r->input, out) : STORE_NOT_FOUND;
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static store_rc mem_get_result(job_store *s, const char *id, int index, store_blob *out) {
    mem_store *m = (mem_store *)s;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&m->mu);
    rec *r = find_locked(m, id);
    bool have = r && r->m.status == JOB_SUCCEEDED && index >= 0 && index < r->m.result_count;
    store_rc rc = have ? blob_out(&r->results[index], out) : STORE_NOT_FOUND;
    pthread_mutex_unlock(&m->mu);
    return rc;
}

static size_t mem_expire(job_store *s, double now) {
    mem_store *m = (mem_store *)s;
    size_t n = 0;
    pthread_mutex_lock(&m->mu);
    while (m->finished_head && m->finished_head->m.finished_at + m->ttl_s <= now &&
           drop_oldest_finished(m, TOMB_EXPIRED))
        n++;
    pthread_mutex_unlock(&m->mu);
    return n;
}

static store_rc mem_count(job_store *s, size_t *n) {
    mem_store *m = (mem_store *)s;
    pthread_mutex_lock(&m->mu);
    *n = m->count;
    pthread_mutex_unlock(&m->mu);
    return STORE_OK;
}

static void mem_destroy(job_store *s) {
    mem_store *m = (mem_store *)s;
    if (!m) return;
    rec *r = m->newest;
    while (r) {
        rec *next = r->older;
        rec_free(r);
        r = next;
    }
    job_index_free(&m->by_id);
    job_index_free(&m->by_idem);
    job_tombstones_free(m->gone);
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static const job_store_ops mem_ops = {
    .put = mem_put,
    .get = mem_get,
    .find_idempotent = mem_find_idem,
    .update_status = mem_update_status,
    .update_progress = mem_update_progress,
    .request_cancel = mem_request_cancel,
    .list = mem_list,
    .get_input = mem_get_input,
    .get_result = mem_get_result,
    .expire = mem_expire,
    .count = mem_count,
    .destroy = mem_destroy,
};

job_store *job_store_mem_create(const job_store_config *c) {
    mem_store *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->base.ops = &mem_ops;
    pthread_mutex_init(&m->mu, NULL);
    m->cap = c->cap ? c->cap : 1;
    m->ttl_s = c->ttl_s;
    m->gone = job_tombstones_create(c->tombstones);
    if (!job_index_init(&m->by_id, offsetof(rec, id_next), m->cap) ||
        !job_index_init(&m->by_idem, offsetof(rec, idem_next), m->cap) ||
        (c->tombstones && !m->gone)) {
        mem_destroy(&m->base);
        return NULL;
    }
    return &m->base;
}
