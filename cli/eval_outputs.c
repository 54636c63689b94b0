/* Collects result tensors on the host and writes them in one file. */
#include "eval_outputs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool eval_outputs_add(eval_outputs *o, const char *name, ts_tensor *t) {
    if (!t) return false; /* the failed op set the error */
    if (o->n >= EVAL_MAX_OUTPUTS || strlen(name) >= EVAL_NAME_LEN)
        return ts_error_set("eval: too many outputs or name too long ('%s')", name), false;
    const int64_t numel = ts_numel(t);
    float *data = malloc(sizeof *data * (size_t)(numel > 0 ? numel : 1));
    if (!data) return ts_error_set("eval: out of memory copying '%s'", name), false;
    if (!ts_to_floats(t, data, numel)) {
        free(data);
        return false;
    }
    const int k = o->n++;
    for (int d = 0; d < ts_ndim(t); d++)
        o->shape[k][d] = ts_dim(t, d);
    snprintf(o->name[k], EVAL_NAME_LEN, "%s", name);
    o->t[k] = (st_tensor_out){o->name[k], o->shape[k], ts_ndim(t), data};
    return true;
}

bool eval_outputs_write(const eval_outputs *o, const char *path, char *err, size_t errlen) {
    return st_write(path, o->t, o->n, NULL, err, errlen);
}

void eval_outputs_free(eval_outputs *o) {
    for (int k = 0; k < o->n; k++)
        free((float *)o->t[k].data);
    o->n = 0;
}
