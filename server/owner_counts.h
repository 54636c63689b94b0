/* Queued jobs per owner, for the per-API-key quota. Owners are the
 * configured API keys' names, so the table is a short array; owners at zero
 * are dropped. Not thread-safe (the job service's lock covers it). */
#ifndef I2I_SERVER_OWNER_COUNTS_H
#define I2I_SERVER_OWNER_COUNTS_H

#include <stdbool.h>
#include <stddef.h>

typedef struct owner_count {
    char owner[64];
    int n;
} owner_count;

typedef struct owner_counts {
    owner_count *v;
    size_t len, cap;
} owner_counts;

int owner_counts_get(const owner_counts *c, const char *owner);
/* False when out of memory (nothing changed). */
bool owner_counts_add(owner_counts *c, const char *owner, int delta);
void owner_counts_free(owner_counts *c);

#endif
