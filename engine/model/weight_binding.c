/* Load and list binders shared by every network's layout walk. */
#include "weight_binding.h"

ts_tensor *weight_bind_load(void *user, const char *name, const int64_t *shape, int ndim) {
    if (ts_failed()) return NULL; /* report the first problem only */
    ts_tensor *t = weights_get_shaped(user, name, shape, ndim);
    /* Every 4-D tensor our networks bind is a conv weight: hold it only in
     * the packed form the convs use. The layout oneDNN picks does not
     * depend on stride or padding (measured: stride-2 convs run as fast on
     * a stride-1 packing), so one packing serves every call site. */
    if (t && ndim == 4) ts_weight_prepare_conv(t, 1, (int)(shape[2] / 2));
    return t;
}

ts_tensor *weight_bind_linear(ts_tensor *w) {
    ts_weight_prepare_linear(w);
    return w;
}

ts_tensor *weight_bind_list(void *user, const char *name, const int64_t *shape, int ndim) {
    const weight_lister *l = user;
    l->fn(l->user, name, shape, ndim);
    return NULL;
}
