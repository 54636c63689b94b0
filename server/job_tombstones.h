/* Ids of jobs the store has let go (expired past the TTL, or evicted by the
 * cap), so they answer 410 rather than 404 — to their owner only. A ring of
 * fixed size with a hash over it: O(1) to add and to look up, and the oldest
 * are forgotten first. Not thread-safe. */
#ifndef I2I_SERVER_JOB_TOMBSTONES_H
#define I2I_SERVER_JOB_TOMBSTONES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum tombstone_kind { TOMB_NONE = 0, TOMB_EXPIRED, TOMB_EVICTED } tombstone_kind;

typedef struct job_tombstones job_tombstones;

/* NULL when cap is 0 (nothing remembered) or out of memory. */
job_tombstones *job_tombstones_create(size_t cap);
void job_tombstones_free(job_tombstones *t);
void job_tombstones_add(job_tombstones *t, const char *id, uint64_t owner_hash,
                        tombstone_kind kind);
/* What became of id; TOMB_NONE when unknown. owner_hash 0 = any owner. */
tombstone_kind job_tombstones_find(const job_tombstones *t, const char *id, uint64_t owner_hash);

#endif
