/* Tombstone ring: entries chain by slot index within their bucket. */
#include "job_tombstones.h"
#include "job_index.h"

#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

#define NO_SLOT UINT32_MAX

typedef struct tomb {
    uuid_t id;
    uint64_t hash, owner_hash;
    uint32_t next; /* next slot in the same bucket */
    uint8_t kind;
} tomb;

struct job_tombstones {
    tomb *ring;
    uint32_t cap, next_slot, used;
    uint32_t *buckets;
    size_t mask;
};

job_tombstones *job_tombstones_create(size_t cap) {
    if (cap == 0 || cap >= NO_SLOT) return NULL;
    job_tombstones *t = calloc(1, sizeof *t);
    size_t n = 16;
    while (n < 2 * cap)
        n *= 2;
    if (t) {
        t->ring = calloc(cap, sizeof *t->ring);
        t->buckets = malloc(n * sizeof *t->buckets);
    }
    if (!t || !t->ring || !t->buckets) {
        job_tombstones_free(t);
        return NULL;
    }
    memset(t->buckets, 0xff, n * sizeof *t->buckets); /* NO_SLOT everywhere */
    t->cap = (uint32_t)cap;
    t->mask = n - 1;
    return t;
}

void job_tombstones_free(job_tombstones *t) {
    if (!t) return;
    free(t->ring);
    free(t->buckets);
    free(t);
}

static void unlink_slot(job_tombstones *t, uint32_t slot) {
    for (uint32_t *p = &t->buckets[t->ring[slot].hash & t->mask]; *p != NO_SLOT;
         p = &t->ring[*p].next)
        if (*p == slot) {
            *p = t->ring[slot].next;
            return;
        }
}

void job_tombstones_add(job_tombstones *t, const char *id, uint64_t owner_hash,
                        tombstone_kind kind) {
    uuid_t u;
    if (!t || uuid_parse(id, u) != 0) return;
    uint32_t slot = t->next_slot;
    if (t->used == t->cap)
        unlink_slot(t, slot); /* forget the oldest */
    else
        t->used++;
    t->next_slot = (slot + 1) % t->cap;
    tomb *e = &t->ring[slot];
    memcpy(e->id, u, sizeof u);
    e->hash = job_hash(u, sizeof u);
    e->owner_hash = owner_hash;
    e->kind = (uint8_t)kind;
    uint32_t *b = &t->buckets[e->hash & t->mask];
    e->next = *b;
    *b = slot;
}

tombstone_kind job_tombstones_find(const job_tombstones *t, const char *id, uint64_t owner_hash) {
    uuid_t u;
    if (!t || uuid_parse(id, u) != 0) return TOMB_NONE;
    uint64_t h = job_hash(u, sizeof u);
    for (uint32_t s = t->buckets[h & t->mask]; s != NO_SLOT; s = t->ring[s].next) {
        const tomb *e = &t->ring[s];
        if (e->hash == h && memcmp(e->id, u, sizeof u) == 0)
            return owner_hash == 0 || e->owner_hash == owner_hash ? (tombstone_kind)e->kind
                                                                  : TOMB_NONE;
    }
    return TOMB_NONE;
}
