/* Compares a network's parameter enumerator (name + shape of every tensor in
 * the real layout) with the tensors of a weight file, and counts values:
 * pass layout_check_visit as the param_fn with a layout_check as user. */
#ifndef I2I_TEST_LAYOUT_CHECK_H
#define I2I_TEST_LAYOUT_CHECK_H

#include "weights.h"

#include <stdio.h>

typedef struct layout_check {
    const weights *w; /* NULL: only count */
    int n;            /* tensors enumerated */
    int64_t values;   /* their total size */
    int mismatches;   /* enumerated tensors missing from w or of another shape */
} layout_check;

static inline void layout_check_visit(void *user, const char *name, const int64_t *shape,
                                      int ndim) {
    layout_check *ctx = user;
    int64_t numel = 1;
    for (int i = 0; i < ndim; i++)
        numel *= shape[i];
    ctx->n++;
    ctx->values += numel;
    if (!ctx->w) return;
    ts_tensor *t = weights_has(ctx->w, name) ? weights_get(ctx->w, name) : NULL;
    bool same = t && ts_ndim(t) == ndim;
    for (int i = 0; same && i < ndim; i++)
        same = ts_dim(t, i) == shape[i];
    if (!same) {
        fprintf(stderr, "layout: %s missing or of another shape in the file\n", name);
        ctx->mismatches++;
    }
}

#endif
