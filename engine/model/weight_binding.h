/* The two ways a network's layout walk binds its tensors, shared by every
 * network (U-Net, ControlNet, StableSR encoder, VAE, CLIP): load each one
 * from a weight store, checked by name and shape, or report each one to a
 * param_fn (listing, counting, writing random bundles). Each walk calls its
 * bind callback with this signature; the walk itself is the only place
 * that knows a network's names and shapes. */
#ifndef I2I_WEIGHT_BINDING_H
#define I2I_WEIGHT_BINDING_H

#include "param_list.h"
#include "ts.h"
#include "weights.h"

/* user: the const weights *. After the first failure it binds nothing, so
 * the ts error names the first missing or mis-shaped tensor. Conv weights
 * (4-D) are put into their kernel form (ts_weight_prepare_conv): binding is
 * load time, the only moment a store's tensors may change form. */
ts_tensor *weight_bind_load(void *user, const char *name, const int64_t *shape, int ndim);
/* Marks a bound tensor (or NULL) as a linear/matmul weight: in bf16 mode it
 * is converted once and its fp32 original dropped (ts_weight_prepare_linear).
 * Embedding tables and norms are not linear weights and stay fp32. */
ts_tensor *weight_bind_linear(ts_tensor *w);

typedef struct weight_lister {
    param_fn fn;
    void *user;
} weight_lister;

/* user: a weight_lister *; reports the tensor and binds nothing (NULL). */
ts_tensor *weight_bind_list(void *user, const char *name, const int64_t *shape, int ndim);

#endif
