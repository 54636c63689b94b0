/* Load and list binders shared by every network's layout walk. */
#include "weight_binding.h"

ts_tensor *weight_bind_load(void *user, const char *name, const int64_t *shape, int ndim) {
    if (ts_failed()) return NULL; /* report the first problem only */
    return weights_get_shaped(user, name, shape, ndim);
}

ts_tensor *weight_bind_list(void *user, const char *name, const int64_t *shape, int ndim) {
    const weight_lister *l = user;
    l->fn(l->user, name, shape, ndim);
    return NULL;
}
