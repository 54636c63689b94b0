/* Where jobs live, behind an interface so a shared store (e.g. Redis) can
 * replace the in-memory one. Implementations are not thread-safe: the job
 * service calls them under its own lock. */
#ifndef I2I_SERVER_JOB_STORE_H
#define I2I_SERVER_JOB_STORE_H

#include "job.h"
#include <stdbool.h>
#include <stddef.h>

typedef struct job_store job_store;

typedef struct job_store_ops {
    /* Takes over the caller's reference. */
    bool (*insert)(job_store *s, job *j);
    job *(*find)(job_store *s, const char *id);
    /* Whether id belonged to a job that expired (410 rather than 404). */
    bool (*was_expired)(job_store *s, const char *id);
    job *(*find_by_idempotency_key)(job_store *s, const char *key);
    /* Newest first; status_filter < 0 = all. Returns the number written. */
    size_t (*list)(job_store *s, int status_filter, job **out, size_t max);
    /* Removes finished jobs whose finished_at + ttl <= now; returns count. */
    size_t (*expire)(job_store *s, double now, double ttl_s);
    size_t (*count)(job_store *s);
    void (*destroy)(job_store *s);
} job_store_ops;

struct job_store {
    const job_store_ops *ops;
};

/* In-memory store; remembers up to `tombstones` expired ids for 410. */
job_store *job_store_mem_create(size_t tombstones);

#endif
