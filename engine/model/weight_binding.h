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
 * the ts error names the first missing or mis-shaped tensor. */
ts_tensor *weight_bind_load(void *user, const char *name, const int64_t *shape, int ndim);

typedef struct weight_lister {
    param_fn fn;
    void *user;
} weight_lister;

/* user: a weight_lister *; reports the tensor and binds nothing (NULL). */
ts_tensor *weight_bind_list(void *user, const char *name, const int64_t *shape, int ndim);

#endif
