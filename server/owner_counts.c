/* Linear table of per-owner counts. */
#include "owner_counts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static owner_count *find(const owner_counts *c, const char *owner) {
    for (size_t i = 0; i < c->len; i++)
        if (strcmp(c->v[i].owner, owner) == 0) return &c->v[i];
    return NULL;
}

int owner_counts_get(const owner_counts *c, const char *owner) {
    const owner_count *e = find(c, owner);
    return e ? e->n : 0;
}

bool owner_counts_add(owner_counts *c, const char *owner, int delta) {
    owner_count *e = find(c, owner);
    if (!e) {
        if (c->len == c->cap) {
            size_t cap = c->cap ? 2 * c->cap : 8;
            owner_count *v = realloc(c->v, cap * sizeof *v);
            if (!v) return false;
            c->v = v;
            c->cap = cap;
        }
        e = &c->v[c->len++];
        snprintf(e->owner, sizeof e->owner, "%s", owner);
        e->n = 0;
    }
    e->n += delta;
    if (e->n <= 0) *e = c->v[--c->len]; /* drop owners with nothing queued */
    return true;
}

void owner_counts_free(owner_counts *c) {
    free(c->v);
    memset(c, 0, sizeof *c);
}
