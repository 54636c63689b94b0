/* job_meta <-> the field/value pairs of its Redis hash. Table-driven, so
 * one row per field keeps the two directions from drifting apart. */
#ifndef I2I_SERVER_REDIS_META_H
#define I2I_SERVER_REDIS_META_H

#include "job_meta.h"
#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

#define REDIS_META_MAX_ARGS 64

/* Field/value strings; the values point into m or into num (so m must
 * outlive them). */
typedef struct redis_fields {
    const char *argv[REDIS_META_MAX_ARGS];
    size_t lens[REDIS_META_MAX_ARGS];
    int n;
    char num[REDIS_META_MAX_ARGS / 2][96];
} redis_fields;

/* Every field of m (seq excepted: the store assigns it). */
void redis_meta_encode(const job_meta *m, redis_fields *f);
/* The fields a status change writes. */
void redis_fields_add(redis_fields *f, const char *name, const char *value, size_t len);
void redis_fields_add_num(redis_fields *f, const char *name, double v);
void redis_fields_add_u64(redis_fields *f, const char *name, unsigned long long v);
/* From an HGETALL array reply into m (written, not read: the caller clears
 * it later); false (m left empty) when it is not one, or out of memory. */
bool redis_meta_decode(const redisReply *r, job_meta *m);

#endif
