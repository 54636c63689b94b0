/* Where jobs live, behind an interface so a shared store (e.g. Redis) can
 * replace the in-memory one. Implementations are not thread-safe: the job
 * service calls them under its own lock. `owner` arguments filter by the
 * job's owner; NULL matches every owner (no auth, or the admin key). */
#ifndef I2I_SERVER_JOB_STORE_H
#define I2I_SERVER_JOB_STORE_H

#include "job.h"
#include "job_tombstones.h"
#include <stdbool.h>
#include <stddef.h>

typedef struct job_store job_store;

typedef struct job_store_ops {
    /* Takes over the caller's reference. At the cap the oldest finished job
     * is evicted first; false (nothing taken) when every stored job is
     * still queued or running. */
    bool (*insert)(job_store *s, job *j);
    job *(*find)(job_store *s, const char *id, const char *owner);
    /* Whether id belonged to a job that expired or was evicted (410). */
    tombstone_kind (*gone)(job_store *s, const char *id, const char *owner);
    job *(*find_by_idempotency_key)(job_store *s, const char *owner, const char *key);
    /* Newest first; status_filter < 0 = all. Returns the number written. */
    size_t (*list)(job_store *s, const char *owner, int status_filter, job **out, size_t max);
    /* j reached a final status: it may now be expired or evicted. */
    void (*finished)(job_store *s, job *j);
    /* Removes finished jobs whose finished_at + ttl <= now; returns count. */
    size_t (*expire)(job_store *s, double now, double ttl_s);
    size_t (*count)(job_store *s);
    void (*destroy)(job_store *s);
} job_store_ops;

struct job_store {
    const job_store_ops *ops;
};

/* In-memory store of at most `cap` jobs; remembers up to `tombstones`
 * expired or evicted ids for 410. */
job_store *job_store_mem_create(size_t cap, size_t tombstones);

#endif
