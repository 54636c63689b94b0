/* Buffers for weights that model binding may replace by their kernel form
 * (packed conv weights, bf16 copies). A large one gets its own anonymous
 * mapping, so releasing it hands the memory back to the system at once: the
 * heap (tuned by ts_runtime_init to keep big blocks) would keep the hole,
 * and a packed copy allocated next to it could not reuse it, so a load would
 * peak at two copies of the conv weights. Small ones come from malloc. */
#ifndef I2I_BIG_BUFFER_H
#define I2I_BIG_BUFFER_H

#include <stddef.h>

/* nbytes (0 allowed) of 64-byte aligned memory, or NULL. */
void *big_buffer_alloc(size_t nbytes);
/* Frees a big_buffer_alloc result (NULL is fine); usable as a release callback. */
void big_buffer_free(void *p);

#endif
