/* An intrusive chained hash of records (the in-memory store's jobs), one
 * per lookup key (id, idempotency key): each index names the record field
 * that links its chain, so one record sits in several. The bucket count is fixed at creation from
 * the store's cap, so chains stay short without rehashing. Not thread-safe. */
#ifndef I2I_SERVER_JOB_INDEX_H
#define I2I_SERVER_JOB_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct job_index {
    void **buckets;
    size_t mask;
    size_t link_offset; /* offsetof(record, <its next pointer>) */
} job_index;

/* Buckets for about `expected` jobs. */
bool job_index_init(job_index *x, size_t link_offset, size_t expected);
void job_index_free(job_index *x);
void job_index_put(job_index *x, uint64_t hash, void *j);
void job_index_remove(job_index *x, uint64_t hash, void *j);
/* The chain for hash (the caller compares keys); NULL-terminated. */
void *job_index_chain(const job_index *x, uint64_t hash);
void *job_index_next(const job_index *x, const void *j);

/* 64-bit FNV-1a from a per-process random seed, so clients cannot aim
 * keys at one bucket without knowing it. */
uint64_t job_hash(const void *data, size_t n);
uint64_t job_hash2(const char *a, const char *b); /* of the pair (a, b) */

#endif
