/* safetensors files (bundle weights): the input is the whole file (8-byte
 * header length, JSON header, data), put in a memfd and opened by path. Every
 * entry st_open hands out must be consistent and readable. */
#include "safetensors.h"
#include "support.h"

#include <stdlib.h>
#include <string.h>

static volatile uint8_t sink; /* keeps the reads of entry data */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char err[512];
    st_file *f = st_open(fuzz_memfd_path(data, size), err, sizeof err);
    if (!f) return 0;
    size_t total = 0;
    for (int i = 0; i < st_count(f); i++) {
        const st_entry *e = st_entry_at(f, i);
        if (!e || !e->name || e->ndim < 0 || e->ndim > ST_MAX_DIMS) abort();
        int64_t numel = 1;
        for (int d = 0; d < e->ndim; d++)
            numel *= e->shape[d];
        if (numel != e->numel || e->nbytes != (size_t)numel * st_dtype_size(e->dtype)) abort();
        if (st_find(f, e->name) != e) abort();
        if (i > 0 && strcmp(st_entry_at(f, i - 1)->name, e->name) >= 0) abort();
        (void)st_dtype_name(e->dtype);
        if (e->nbytes) {
            const uint8_t *p = e->data;
            sink ^= p[0] ^ p[e->nbytes - 1]; /* inside the mapping */
        }
        total += e->nbytes;
    }
    if (total > size) abort(); /* entries do not overlap and lie in the file */
    for (int i = 0; i < st_metadata_count(f); i++) {
        const char *k, *v;
        if (!st_metadata_at(f, i, &k, &v) || !k || !v || !st_metadata(f, k)) abort();
    }
    if (st_entry_at(f, st_count(f)) || st_entry_at(f, -1)) abort();
    st_close(f);
    return 0;
}
