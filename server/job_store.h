/* Where job state lives, behind an interface that the in-memory default
 * and the shared Redis store both implement (server/STORE.md has the
 * design). Records go in and come out as copies (job_meta, store_blob):
 * nothing hands out pointers into the store, and every implementation
 * does its own locking, so the job service calls these outside its lock.
 * Each op is one or a few round trips on Redis; conditional changes are
 * compare-and-set on the job's status, so two callers (a cancel and a
 * worker, or two replicas) cannot both win. `owner` arguments: NULL sees
 * every owner's jobs (no auth, or the admin key); another owner's job is
 * STORE_NOT_FOUND, so tenants cannot tell it exists. */
#ifndef I2I_SERVER_JOB_STORE_H
#define I2I_SERVER_JOB_STORE_H

#include "job_meta.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum store_rc {
    STORE_OK = 0,
    STORE_NOT_FOUND,   /* unknown id, or another owner's */
    STORE_EXPIRED,     /* let go past its TTL: 410 */
    STORE_EVICTED,     /* let go early by the cap: 410 */
    STORE_EXISTS,      /* put: the idempotency key names an earlier job */
    STORE_FULL,        /* put: at the cap and nothing finished to evict */
    STORE_CONFLICT,    /* the job is not in the status the change needs */
    STORE_NOMEM,       /* out of memory */
    STORE_UNAVAILABLE, /* the backend did not answer (down, timed out, bad reply) */
    STORE_QUEUE_FULL   /* put: the shared queue holds queue_max jobs */
} store_rc;

const char *store_rc_name(store_rc rc);

/* A status change. Only from -> to moves are made (compare-and-set). */
typedef struct job_update {
    job_status from, to;
    double at;   /* started_at when to is RUNNING, finished_at when final */
    int attempt; /* to RUNNING: the attempt it starts; from RUNNING: the run
                  * that ends (0 = any), so a run whose job was reclaimed
                  * and started again elsewhere cannot overwrite it */
    const char *error_code, *error_message; /* final; NULL = none */
    /* to SUCCEEDED: the results, copied into the store */
    int result_count;
    const char *result_type;
    int result_width, result_height;
    const uint64_t *result_seeds;
    const store_blob *results;
} job_update;

/* Newest first. before_seq is the cursor: only jobs older than it
 * (0 = from the newest). */
typedef struct store_query {
    const char *owner;
    int status; /* < 0 = any */
    uint64_t before_seq;
    size_t limit;
} store_query;

typedef struct job_store job_store;

typedef struct job_store_ops {
    /* Stores a new queued job (m->seq is set). An idempotency key already
     * taken by the owner: STORE_EXISTS and its job's id in existing_id.
     * At the cap the oldest finished job is evicted first (then 410). */
    store_rc (*put)(job_store *s, job_meta *m, const store_blob *input, char existing_id[37]);
    /* A copy of the job (the caller clears it), or why not: NOT_FOUND,
     * EXPIRED, EVICTED (tombstones), UNAVAILABLE. */
    store_rc (*get)(job_store *s, const char *id, const char *owner, job_meta *out);
    /* The job that (owner, key) names; owner NULL means "". */
    store_rc (*find_idempotent)(job_store *s, const char *owner, const char *key, char id_out[37]);
    /* A final status makes the job eligible for expiry and eviction, drops
     * its input and stores its results. */
    store_rc (*update_status)(job_store *s, const char *id, const job_update *u);
    /* Progress of a running job; *cancel_requested tells the worker a client
     * asked it to stop (the flag rides the same round trip). */
    store_rc (*update_progress)(job_store *s, const char *id, int step, int steps,
                                bool *cancel_requested);
    /* Raises a running job's cancel flag; CONFLICT when it is not running. */
    store_rc (*request_cancel)(job_store *s, const char *id, const char *owner);
    /* Up to q->limit copies into out; *next_before is the cursor of the
     * next page, 0 when there is none. */
    store_rc (*list)(job_store *s, const store_query *q, job_meta *out, size_t *n,
                     uint64_t *next_before);
    store_rc (*get_input)(job_store *s, const char *id, store_blob *out);
    /* Result `index` of a succeeded job; NOT_FOUND past its count. */
    store_rc (*get_result)(job_store *s, const char *id, int index, store_blob *out);
    /* Lets go of finished jobs whose finished_at + ttl <= now (tombstoned
     * EXPIRED); returns how many. */
    size_t (*expire)(job_store *s, double now);
    store_rc (*count)(job_store *s, size_t *n);
    void (*destroy)(job_store *s);

    /* The shared queue (Redis; NULL in the memory store, whose jobs stay
     * in the process's own queue). put() enqueues as well. */
    /* The oldest queued job, now running as this store's consumer with
     * attempt + 1 and a lease of lease_s; its input blob in *input.
     * NOT_FOUND when nothing is queued. */
    store_rc (*claim_next)(job_store *s, double now, job_meta *out, store_blob *input);
    /* Running jobs whose lease lapsed (their replica died): queued again
     * while attempt < max_attempts, else failed with worker_lost. */
    store_rc (*reclaim)(job_store *s, double now, size_t *requeued, size_t *failed);
    /* Jobs waiting in the shared queue (not yet claimed). */
    store_rc (*queue_depth)(job_store *s, size_t *n);
} job_store_ops;

struct job_store {
    const job_store_ops *ops;
};

typedef struct job_store_config {
    size_t cap;             /* jobs held; the oldest finished is evicted at the cap */
    double ttl_s;           /* how long a finished job stays */
    size_t tombstones;      /* memory: let-go ids remembered for 410 */
    double tombstone_ttl_s; /* redis: how long a let-go id answers 410 */
    char prefix[64];        /* redis: every key starts with it ("i2i:") */
    double timeout_s;       /* redis: per command; and the connect timeout */
    size_t queue_max;       /* redis: queued jobs cluster-wide before STORE_QUEUE_FULL; 0 = none */
    double lease_s;         /* redis: a claimed job's lease, renewed at every progress */
    int max_attempts;       /* redis: runs of a job before a lost one fails (worker_lost) */
    char consumer[96];      /* redis: this replica's name in the consumer group */
} job_store_config;

void job_store_config_defaults(job_store_config *c);

job_store *job_store_mem_create(const job_store_config *c);
/* url: redis://host:port/db. NULL with a reason in err when the URL is
 * bad or hiredis is not compiled in; an unreachable server is not an
 * error here (ops answer UNAVAILABLE and it reconnects with backoff). */
job_store *job_store_redis_create(const char *url, const job_store_config *c, char *err,
                                  size_t errlen);
/* "" or "memory": the in-memory store; redis://...: Redis. */
job_store *job_store_open(const char *spec, const job_store_config *c, char *err, size_t errlen);

#endif
