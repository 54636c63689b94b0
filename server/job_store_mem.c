/* In-memory job store: a creation-ordered list (for listing), a FIFO of
 * finished jobs in finish order (expiry and eviction take from its head),
 * hashes by id and by (owner, idempotency key) for O(1) lookups, and
 * tombstones so a job let go answers 410. At most `cap` jobs are held. */
#include "job_store.h"
#include "job_index.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct mem_store {
    job_store base;
    job *newest, *oldest;
    job *finished_head, *finished_tail;
    size_t count, cap;
    job_index by_id, by_idem;
    job_tombstones *gone;
} mem_store;

static bool owned(const job *j, const char *owner) {
    return !owner || strcmp(j->owner, owner) == 0;
}

static uint64_t owner_hash(const char *owner) {
    uint64_t h = job_hash(owner, strlen(owner));
    return h ? h : 1; /* 0 means "any owner" to the tombstones */
}

static uint64_t id_hash(const char *id) {
    return job_hash(id, strlen(id));
}

static void unlink_job(mem_store *m, job *j) {
    if (j->newer)
        j->newer->older = j->older;
    else
        m->newest = j->older;
    if (j->older)
        j->older->newer = j->newer;
    else
        m->oldest = j->newer;
    job_index_remove(&m->by_id, id_hash(j->id), j);
    if (j->idempotency_key[0])
        job_index_remove(&m->by_idem, job_hash2(j->owner, j->idempotency_key), j);
    m->count--;
}

/* Lets go of the oldest finished job; false when there is none. */
static bool drop_oldest_finished(mem_store *m, tombstone_kind why) {
    job *j = m->finished_head;
    if (!j) return false;
    m->finished_head = j->finished_next;
    if (!m->finished_head) m->finished_tail = NULL;
    unlink_job(m, j);
    job_tombstones_add(m->gone, j->id, owner_hash(j->owner), why);
    job_unref(j);
    return true;
}

static bool mem_insert(job_store *s, job *j) {
    mem_store *m = (mem_store *)s;
    if (m->count >= m->cap && !drop_oldest_finished(m, TOMB_EVICTED)) return false;
    j->older = m->newest;
    j->newer = NULL;
    if (m->newest) m->newest->newer = j;
    m->newest = j;
    if (!m->oldest) m->oldest = j;
    job_index_put(&m->by_id, id_hash(j->id), j);
    if (j->idempotency_key[0])
        job_index_put(&m->by_idem, job_hash2(j->owner, j->idempotency_key), j);
    m->count++;
    return true;
}

static job *mem_find(job_store *s, const char *id, const char *owner) {
    mem_store *m = (mem_store *)s;
    for (job *j = job_index_chain(&m->by_id, id_hash(id)); j; j = job_index_next(&m->by_id, j))
        if (strcmp(j->id, id) == 0) return owned(j, owner) ? j : NULL;
    return NULL;
}

static tombstone_kind mem_gone(job_store *s, const char *id, const char *owner) {
    mem_store *m = (mem_store *)s;
    return job_tombstones_find(m->gone, id, owner ? owner_hash(owner) : 0);
}

static job *mem_find_idem(job_store *s, const char *owner, const char *key) {
    mem_store *m = (mem_store *)s;
    const char *o = owner ? owner : "";
    for (job *j = job_index_chain(&m->by_idem, job_hash2(o, key)); j;
         j = job_index_next(&m->by_idem, j))
        if (strcmp(j->idempotency_key, key) == 0 && strcmp(j->owner, o) == 0) return j;
    return NULL;
}

static size_t mem_list(job_store *s, const char *owner, int status_filter, job **out, size_t max) {
    mem_store *m = (mem_store *)s;
    size_t n = 0;
    for (job *j = m->newest; j && n < max; j = j->older)
        if (owned(j, owner) && (status_filter < 0 || (int)j->status == status_filter)) out[n++] = j;
    return n;
}

static void mem_finished(job_store *s, job *j) {
    mem_store *m = (mem_store *)s;
    j->finished_next = NULL;
    if (m->finished_tail)
        m->finished_tail->finished_next = j;
    else
        m->finished_head = j;
    m->finished_tail = j;
}

static size_t mem_expire(job_store *s, double now, double ttl_s) {
    mem_store *m = (mem_store *)s;
    size_t n = 0;
    while (m->finished_head && m->finished_head->finished_at + ttl_s <= now &&
           drop_oldest_finished(m, TOMB_EXPIRED))
        n++;
    return n;
}

static size_t mem_count(job_store *s) {
    return ((mem_store *)s)->count;
}

static void mem_destroy(job_store *s) {
    mem_store *m = (mem_store *)s;
    if (!m) return;
    job *j = m->newest;
    while (j) {
        job *next = j->older;
        job_unref(j);
        j = next;
    }
    job_index_free(&m->by_id);
    job_index_free(&m->by_idem);
    job_tombstones_free(m->gone);
    free(m);
}

static const job_store_ops mem_ops = {mem_insert,   mem_find,   mem_gone,  mem_find_idem, mem_list,
                                      mem_finished, mem_expire, mem_count, mem_destroy};

job_store *job_store_mem_create(size_t cap, size_t tombstones) {
    mem_store *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->base.ops = &mem_ops;
    m->cap = cap ? cap : 1;
    m->gone = job_tombstones_create(tombstones);
    if (!job_index_init(&m->by_id, offsetof(job, id_next), m->cap) ||
        !job_index_init(&m->by_idem, offsetof(job, idem_next), m->cap) ||
        (tombstones && !m->gone)) {
        mem_destroy(&m->base);
        return NULL;
    }
    return &m->base;
}
