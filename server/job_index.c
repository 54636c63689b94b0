/* Intrusive chained hash. */
#include "job_index.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

static void **link_of(const job_index *x, const void *j) {
    return (void **)((char *)j + x->link_offset);
}

bool job_index_init(job_index *x, size_t link_offset, size_t expected) {
    size_t n = 16;
    while (n < 2 * expected && n < ((size_t)1 << 30))
        n *= 2;
    x->buckets = calloc(n, sizeof *x->buckets);
    x->mask = n - 1;
    x->link_offset = link_offset;
    return x->buckets != NULL;
}

void job_index_free(job_index *x) {
    free(x->buckets);
    x->buckets = NULL;
}

void job_index_put(job_index *x, uint64_t hash, void *j) {
    void **b = &x->buckets[hash & x->mask];
    *link_of(x, j) = *b;
    *b = j;
}

void job_index_remove(job_index *x, uint64_t hash, void *j) {
    for (void **p = &x->buckets[hash & x->mask]; *p; p = link_of(x, *p))
        if (*p == j) {
            *p = *link_of(x, j);
            *link_of(x, j) = NULL;
            return;
        }
}

void *job_index_chain(const job_index *x, uint64_t hash) {
    return x->buckets[hash & x->mask];
}

void *job_index_next(const job_index *x, const void *j) {
    return *link_of(x, j);
}

static uint64_t seed;
static pthread_once_t seed_once = PTHREAD_ONCE_INIT;

static void make_seed(void) {
    uuid_t u; /* libuuid's random source */
    uuid_generate_random(u);
    memcpy(&seed, u, sizeof seed);
}

static uint64_t fnv1a(uint64_t h, const void *data, size_t n) {
    const unsigned char *p = data;
    for (size_t i = 0; i < n; i++)
        h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

uint64_t job_hash(const void *data, size_t n) {
    pthread_once(&seed_once, make_seed);
    return fnv1a(0xcbf29ce484222325ULL ^ seed, data, n);
}

uint64_t job_hash2(const char *a, const char *b) {
    pthread_once(&seed_once, make_seed);
    uint64_t h = fnv1a(0xcbf29ce484222325ULL ^ seed, a, strlen(a) + 1); /* the NUL separates */
    return fnv1a(h, b, strlen(b));
}
