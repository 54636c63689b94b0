/* In-memory job store: a creation-ordered list (jobs are few: the TTL
 * bounds them) plus a ring of expired ids so an expired id answers 410. */
#include "job_store.h"

#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

typedef struct mem_store {
    job_store base;
    job *newest, *oldest;
    size_t count;
    uuid_t *expired; /* ring of binary ids */
    size_t expired_cap, expired_next, expired_len;
} mem_store;

static bool mem_insert(job_store *s, job *j) {
    mem_store *m = (mem_store *)s;
    j->older = m->newest;
    j->newer = NULL;
    if (m->newest) m->newest->newer = j;
    m->newest = j;
    if (!m->oldest) m->oldest = j;
    m->count++;
    return true;
}

static job *mem_find(job_store *s, const char *id) {
    mem_store *m = (mem_store *)s;
    for (job *j = m->newest; j; j = j->older)
        if (strcmp(j->id, id) == 0) return j;
    return NULL;
}

static bool mem_was_expired(job_store *s, const char *id) {
    mem_store *m = (mem_store *)s;
    uuid_t u;
    if (uuid_parse(id, u) != 0) return false;
    for (size_t i = 0; i < m->expired_len; i++)
        if (memcmp(m->expired[i], u, sizeof u) == 0) return true;
    return false;
}

static job *mem_find_idem(job_store *s, const char *key) {
    mem_store *m = (mem_store *)s;
    for (job *j = m->newest; j; j = j->older)
        if (j->idempotency_key[0] && strcmp(j->idempotency_key, key) == 0) return j;
    return NULL;
}

static size_t mem_list(job_store *s, int status_filter, job **out, size_t max) {
    mem_store *m = (mem_store *)s;
    size_t n = 0;
    for (job *j = m->newest; j && n < max; j = j->older)
        if (status_filter < 0 || (int)j->status == status_filter) out[n++] = j;
    return n;
}

static void remember_expired(mem_store *m, const char *id) {
    if (!m->expired_cap || uuid_parse(id, m->expired[m->expired_next]) != 0) return;
    m->expired_next = (m->expired_next + 1) % m->expired_cap;
    if (m->expired_len < m->expired_cap) m->expired_len++;
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
    m->count--;
}

static size_t mem_expire(job_store *s, double now, double ttl_s) {
    mem_store *m = (mem_store *)s;
    size_t n = 0;
    job *j = m->oldest;
    while (j) {
        job *next = j->newer;
        if (job_status_is_final(j->status) && j->finished_at + ttl_s <= now) {
            unlink_job(m, j);
            remember_expired(m, j->id);
            job_unref(j);
            n++;
        }
        j = next;
    }
    return n;
}

static size_t mem_count(job_store *s) {
    return ((mem_store *)s)->count;
}

static void mem_destroy(job_store *s) {
    mem_store *m = (mem_store *)s;
    job *j = m->newest;
    while (j) {
        job *next = j->older;
        job_unref(j);
        j = next;
    }
    free(m->expired);
    free(m);
}

static const job_store_ops mem_ops = {mem_insert, mem_find,   mem_was_expired, mem_find_idem,
                                      mem_list,   mem_expire, mem_count,       mem_destroy};

job_store *job_store_mem_create(size_t tombstones) {
    mem_store *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->base.ops = &mem_ops;
    if (tombstones) {
        m->expired = calloc(tombstones, sizeof *m->expired);
        if (!m->expired) {
            free(m);
            return NULL;
        }
        m->expired_cap = tombstones;
    }
    return &m->base;
}
