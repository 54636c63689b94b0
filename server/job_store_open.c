/* Picking a store from --store, and what every backend shares. */
#include "job_store.h"

#include <stdio.h>
#include <string.h>

const char *store_rc_name(store_rc rc) {
    static const char *const names[] = {"ok",          "not_found", "expired",  "evicted",
                                        "exists",      "full",      "conflict", "nomem",
                                        "unavailable", "queue_full"};
    return (unsigned)rc < sizeof names / sizeof names[0] ? names[rc] : "unknown";
}

void job_store_config_defaults(job_store_config *c) {
    memset(c, 0, sizeof *c);
    c->cap = 1000;
    c->ttl_s = 3600;
    c->tombstones = 100000;
    c->tombstone_ttl_s = 86400;
    snprintf(c->prefix, sizeof c->prefix, "i2i:");
    c->timeout_s = 2.0;
    c->lease_s = 30;
    c->max_attempts = 3;
}

#ifndef I2I_HAVE_HIREDIS
job_store *job_store_redis_create(const char *url, const job_store_config *c, char *err,
                                  size_t errlen) {
    (void)c;
    snprintf(err, errlen, "%s: this build has no Redis store (hiredis was not found)", url);
    return NULL;
}
#endif

job_store *job_store_open(const char *spec, const job_store_config *c, char *err, size_t errlen) {
    if (!spec || !*spec || strcmp(spec, "memory") == 0) {
        job_store *s = job_store_mem_create(c);
        if (!s) snprintf(err, errlen, "out of memory");
        return s;
    }
    if (strncmp(spec, "redis://", 8) == 0) return job_store_redis_create(spec, c, err, errlen);
    snprintf(err, errlen, "--store: expected memory or redis://host:port/db, got %s", spec);
    return NULL;
}
