/* Weight store: named float32 tensors from one or more safetensors files.
 * F32 data is used in place from the mmap (zero-copy); F16/BF16 are converted
 * at load. Model binding may then replace a tensor by its kernel form
 * (ts_weight_prepare_*); a replaced mapped tensor's pages are dropped. Tensors returned by the
 * getters belong to the store: never free them; they stay valid until weights_close(). After
 * loading the store is read-only, so many threads may read it at once. */
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

/* Bytes the store's tensors keep alive, in the form the kernels use: mapped
 * or converted values, or (after model binding) the packed conv weights and
 * bf16 copies that replaced them, plus any cached kernel forms. */
size_t weights_resident_bytes(const weights *w);
/* The same over the tensors whose names start with prefix ("" = all);
 * bf16_bytes (may be NULL) gets the part held as bf16. */
size_t weights_resident_bytes_prefix(const weights *w, const char *prefix, size_t *bf16_bytes);

#endif
