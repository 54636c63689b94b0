/* Per-network resident weight bytes of a bundle (see bundle_memory.h). */
#include "bundle_memory.h"

#include "bundle.h"

#include <stdio.h>

void bundle_mem_count(void *user, const char *name, const int64_t *shape, int ndim) {
    (void)shape;
    (void)ndim;
    bundle_mem_counter *c = user;
    if (!weights_has(c->w, name)) return;
    ts_tensor *t = weights_get(c->w, name);
    if (!t) {
        ts_error_clear(); /* a dtype the store skips: nothing resident */
        return;
    }
    const size_t bytes = ts_resident_bytes(t);
    c->bytes += bytes;
    if (ts_is_bf16(t)) c->bf16_bytes += bytes;
}

void bundle_mem_record(i2i_bundle *b, const char *network, const bundle_mem_counter *c) {
    if (b->n_mem >= I2I_MAX_NETWORKS) return;
    i2i_network_memory *m = &b->mem[b->n_mem++];
    snprintf(m->network, sizeof m->network, "%s", network);
    m->bytes = c->bytes;
    m->bf16_bytes = c->bf16_bytes;
}

const i2i_network_memory *i2i_bundle_memory(const i2i_bundle *b, int *n) {
    *n = b ? b->n_mem : 0;
    return b ? b->mem : NULL;
}

const char *i2i_bundle_weight_dtype(const i2i_bundle *b) {
    for (int i = 0; b && i < b->n_mem; i++)
        if (b->mem[i].bf16_bytes) return "bf16";
    return "fp32";
}
