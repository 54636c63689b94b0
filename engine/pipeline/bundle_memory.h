/* The memory report of a bundle: resident weight bytes per network, in the
 * form the kernels hold them (packed conv weights, bf16 copies), counted
 * over each network's own tensor list right after it is bound. */
#ifndef I2I_BUNDLE_MEMORY_H
#define I2I_BUNDLE_MEMORY_H

#include "i2i_engine.h"
#include "weights.h"

typedef struct bundle_mem_counter {
    const weights *w;
    size_t bytes, bf16_bytes;
} bundle_mem_counter;

/* A param_fn: adds the named tensor's resident bytes (user: the counter). */
void bundle_mem_count(void *user, const char *name, const int64_t *shape, int ndim);
/* Appends the counted network to the bundle's report. */
void bundle_mem_record(i2i_bundle *b, const char *network, const bundle_mem_counter *c);

#endif
