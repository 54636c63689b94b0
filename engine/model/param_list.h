/* Parameter enumeration: a model's layout (tensor names and shapes) is
 * listed through a callback, so the same list can write random bundles
 * (`i2i mkmodel`), check a checkpoint, or count parameters. */
#ifndef I2I_PARAM_LIST_H
#define I2I_PARAM_LIST_H

#include <stdint.h>

typedef void (*param_fn)(void *user, const char *name, const int64_t *shape, int ndim);

#endif
