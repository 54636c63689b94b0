/* safetensors reader and writer (plain C + jansson; no tensor library).
 *
 * Layout: 8 bytes N (header length, u64 little-endian), N bytes of JSON
 * {name: {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
 * then the raw little-endian data; offsets count from the first data byte.
 *
 * The reader maps the file read-only and validates the whole header before it
 * hands anything out, so every entry's data lies inside the file and no two
 * entries overlap. All failures come back as NULL/false plus a message that
 * names the file and the problem. */
#ifndef I2I_SAFETENSORS_H
#define I2I_SAFETENSORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ST_MAX_DIMS 8

typedef enum st_dtype {
    ST_F32,
    ST_F16,
    ST_BF16,
    ST_F64,
    ST_I64,
    ST_I32,
    ST_U8,
    ST_BOOL,
} st_dtype;

typedef struct st_entry {
    const char *name;
    st_dtype dtype;
    int ndim;
    int64_t shape[ST_MAX_DIMS];
    int64_t numel;
    /* Points into the read-only mapping; valid until st_close(). Only as
     * aligned as the file made it (8 + N + begin): check before casting. */
    const void *data;
    size_t nbytes;
} st_entry;

typedef struct st_file st_file;

st_file *st_open(const char *path, char *err, size_t errlen);
void st_close(st_file *f); /* NULL is fine */

const char *st_path(const st_file *f);
/* Entries are in sorted name order (strcmp). */
int st_count(const st_file *f);
const st_entry *st_entry_at(const st_file *f, int i);        /* NULL when i is out of range */
const st_entry *st_find(const st_file *f, const char *name); /* NULL when absent */

/* __metadata__ in file order. */
const char *st_metadata(const st_file *f, const char *key); /* NULL when absent */
int st_metadata_count(const st_file *f);
bool st_metadata_at(const st_file *f, int i, const char **key, const char **value);

const char *st_dtype_name(st_dtype d); /* "F32", ... */
size_t st_dtype_size(st_dtype d);      /* bytes per element */

/* ---- writer ---- */
typedef struct st_tensor_out {
    const char *name;
    const int64_t *shape;
    int ndim;
    const float *data; /* numel floats, C order */
} st_tensor_out;

/* Writes F32 tensors packed in sorted name order, then "__metadata__" (when
 * meta_kv has any pair), compact JSON padded with spaces so that 8 + N is a
 * multiple of 8 -- the layout of the golden files. meta_kv is key, value,
 * key, value, ..., NULL (or NULL for none). The file appears atomically: it
 * is written to a temporary file in the same directory and renamed. */
bool st_write(const char *path, const st_tensor_out *tensors, int n, const char *const *meta_kv,
              char *err, size_t errlen);

#endif
