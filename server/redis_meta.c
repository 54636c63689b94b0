/* The job hash's fields. Numbers are decimal text (doubles with 17
 * significant digits, so they round-trip exactly). */
#include "redis_meta.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { F_STR, F_PARAMS, F_INT, F_U64, F_DBL, F_BOOL, F_SEEDS } field_kind;

typedef struct field {
    const char *name;
    field_kind kind;
    size_t offset, size;
} field;

#define S(n, f)                                                                                    \
    { n, F_STR, offsetof(job_meta, f), sizeof(((job_meta *)0)->f) }
#define N(n, k, f)                                                                                 \
    { n, k, offsetof(job_meta, f), 0 }

static const field fields[] = {
    S("id", id),
    S("task", task),
    S("owner", owner),
    S("profile", profile),
    N("status", F_INT, status),
    N("step", F_INT, step),
    N("steps", F_INT, steps),
    N("created", F_DBL, created_at),
    N("started", F_DBL, started_at),
    N("finished", F_DBL, finished_at),
    N("params", F_PARAMS, params_json),
    S("ecode", error_code),
    S("emsg", error_message),
    N("attempt", F_INT, attempt),
    S("idem", idempotency_key),
    N("hash", F_U64, request_hash),
    N("iw", F_INT, input_width),
    N("ih", F_INT, input_height),
    N("ww", F_INT, working_width),
    N("wh", F_INT, working_height),
    N("rcount", F_INT, result_count),
    S("rtype", result_type),
    N("rw", F_INT, result_width),
    N("rh", F_INT, result_height),
    N("seeds", F_SEEDS, result_seeds),
    N("seq", F_U64, seq),
    N("cancel", F_BOOL, cancel_requested),
};
#define N_FIELDS (sizeof fields / sizeof fields[0])

void redis_fields_add(redis_fields *f, const char *name, const char *value, size_t len) {
    if (f->n + 2 > REDIS_META_MAX_ARGS) return; /* the table fits; see the static check */
    f->argv[f->n] = name;
    f->lens[f->n++] = strlen(name);
    f->argv[f->n] = value;
    f->lens[f->n++] = len;
}

static char *scratch(redis_fields *f) {
    return f->num[f->n / 2 % (REDIS_META_MAX_ARGS / 2)];
}

void redis_fields_add_num(redis_fields *f, const char *name, double v) {
    char *b = scratch(f);
    int len = snprintf(b, sizeof f->num[0], "%.17g", v);
    redis_fields_add(f, name, b, (size_t)len);
}

void redis_fields_add_u64(redis_fields *f, const char *name, unsigned long long v) {
    char *b = scratch(f);
    int len = snprintf(b, sizeof f->num[0], "%llu", v);
    redis_fields_add(f, name, b, (size_t)len);
}

static void add_seeds(redis_fields *f, const char *name, const uint64_t *seeds) {
    char *b = scratch(f);
    size_t used = 0;
    for (int i = 0; i < JOB_META_MAX_RESULTS; i++)
        used += (size_t)snprintf(b + used, sizeof f->num[0] - used, "%s%" PRIu64, i ? "," : "",
                                 seeds[i]);
    redis_fields_add(f, name, b, used);
}

void redis_meta_encode(const job_meta *m, redis_fields *f) {
    f->n = 0;
    for (size_t i = 0; i < N_FIELDS; i++) {
        const field *d = &fields[i];
        const char *p = (const char *)m + d->offset;
        if (d->kind == F_STR) redis_fields_add(f, d->name, p, strlen(p));
        if (d->kind == F_PARAMS) {
            const char *t = m->params_json ? m->params_json : "";
            redis_fields_add(f, d->name, t, strlen(t));
        }
        if (d->kind == F_INT) redis_fields_add_num(f, d->name, *(const int *)p);
        if (d->kind == F_U64 && strcmp(d->name, "seq") != 0)
            redis_fields_add_u64(f, d->name, *(const uint64_t *)p);
        if (d->kind == F_DBL) redis_fields_add_num(f, d->name, *(const double *)p);
        if (d->kind == F_BOOL) redis_fields_add_num(f, d->name, *(const bool *)p);
        if (d->kind == F_SEEDS) add_seeds(f, d->name, (const uint64_t *)p);
    }
}

static void parse_seeds(const char *s, uint64_t *seeds) {
    for (int i = 0; i < JOB_META_MAX_RESULTS && *s; i++) {
        char *end;
        seeds[i] = strtoull(s, &end, 10);
        s = *end == ',' ? end + 1 : end;
    }
}

static bool set_field(job_meta *m, const field *d, const char *v, size_t len) {
    char *p = (char *)m + d->offset;
    switch (d->kind) {
    case F_STR:
        snprintf(p, d->size, "%.*s", (int)len, v);
        return true;
    case F_PARAMS:
        return job_meta_set_params(m, len ? v : NULL);
    case F_INT:
        *(int *)p = (int)strtol(v, NULL, 10);
        return true;
    case F_U64:
        *(uint64_t *)p = strtoull(v, NULL, 10);
        return true;
    case F_DBL:
        *(double *)p = strtod(v, NULL);
        return true;
    case F_BOOL:
        *(bool *)p = strtol(v, NULL, 10) != 0;
        return true;
    case F_SEEDS:
        parse_seeds(v, (uint64_t *)p);
        return true;
    }
    return true;
}

static const field *find_field(const char *name, size_t len) {
    for (size_t i = 0; i < N_FIELDS; i++)
        if (strlen(fields[i].name) == len && memcmp(fields[i].name, name, len) == 0)
            return &fields[i];
    return NULL;
}

bool redis_meta_decode(const redisReply *r, job_meta *m) {
    job_meta_init(m); /* like the memory store's copy, out is written, not read */
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements % 2) return false;
    bool ok = true;
    for (size_t i = 0; ok && i + 1 < r->elements; i += 2) {
        const redisReply *k = r->element[i], *v = r->element[i + 1];
        ok = k->type == REDIS_REPLY_STRING && v->type == REDIS_REPLY_STRING;
        const field *d = ok ? find_field(k->str, k->len) : NULL;
        if (d) ok = set_field(m, d, v->str, v->len);
    }
    if (ok && m->id[0]) return true;
    job_meta_clear(m);
    return false;
}

_Static_assert(2 * (sizeof fields / sizeof fields[0]) <= REDIS_META_MAX_ARGS,
               "redis_fields holds every field");
