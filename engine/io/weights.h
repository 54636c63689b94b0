/* Weight store: named float32 tensors from one or more safetensors files.
 * F32 data is used in place from the mmap (zero-copy); F16/BF16 are converted
 * at load. Tensors returned by the getters belong to the store: never free
 * them; they stay valid until weights_close(). After loading the store is
 * read-only, so many threads may read it at once. */
#ifndef I2I_WEIGHTS_H
#define I2I_WEIGHTS_H

#include "ts.h"
#include <stdbool.h>
#include <stddef.h>

typedef struct weights weights;

weights *weights_open(const char *path, char *err, size_t errlen);
/* Adds every tensor of another file (e.g. a bundle split over files); a name
 * present in both is an error. */
bool weights_add_file(weights *w, const char *path, char *err, size_t errlen);
void weights_close(weights *w);

/* In-memory store (benchmarks, tools): starts empty; weights_add_tensor takes
 * a float32 tensor under a name (the store detaches its own handle, so the
 * caller's handle stays the caller's). A duplicate name is an error. */
weights *weights_new_empty(void);
bool weights_add_tensor(weights *w, const char *name, ts_tensor *t, char *err, size_t errlen);

bool weights_has(const weights *w, const char *name);
/* Missing name -> ts_error_set("missing tensor '<name>'") and NULL. */
ts_tensor *weights_get(const weights *w, const char *name);
/* printf-style name, e.g. weights_getf(w, "%sinput_blocks.%d.0.in_layers.0.weight", pfx, i) */
ts_tensor *weights_getf(const weights *w, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Like weights_get, and the shape must match: ts_error_set names the tensor,
 * the expected and the actual shape otherwise. */
ts_tensor *weights_get_shaped(const weights *w, const char *name, const int64_t *shape, int ndim);

int weights_count(const weights *w);
const char *weights_name_at(const weights *w, int i);
/* Value of __metadata__[key] from the first file that has it, or NULL. */
const char *weights_metadata(const weights *w, const char *key);

/* Bytes of the loaded float32 tensors (mapped or converted), the weights'
 * own footprint; kernel-side copies such as packed conv weights are not
 * included. */
size_t weights_resident_bytes(const weights *w);

#endif
