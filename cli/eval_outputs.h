/* A list of named result tensors copied out of the shim, written as one F32
 * safetensors file: what the newer `i2i eval` evaluators (stablesr,
 * cfw-decode) hand back. */
#ifndef I2I_CLI_EVAL_OUTPUTS_H
#define I2I_CLI_EVAL_OUTPUTS_H

#include "safetensors.h"
#include "ts.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVAL_MAX_OUTPUTS 64
#define EVAL_NAME_LEN 32

typedef struct eval_outputs {
    int n;
    st_tensor_out t[EVAL_MAX_OUTPUTS];
    int64_t shape[EVAL_MAX_OUTPUTS][TS_MAX_DIMS];
    char name[EVAL_MAX_OUTPUTS][EVAL_NAME_LEN];
} eval_outputs;

/* Copies t's values (so the caller may end its scope) under name. false with
 * the ts error set when t is NULL, the list is full, or the copy fails. */
bool eval_outputs_add(eval_outputs *o, const char *name, ts_tensor *t);
bool eval_outputs_write(const eval_outputs *o, const char *path, char *err, size_t errlen);
void eval_outputs_free(eval_outputs *o);

#endif
