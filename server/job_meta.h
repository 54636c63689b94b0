/* A job as the store keeps it: plain, serialisable metadata (no pointers
 * into live state, the parameters as JSON text), so the same record can live
 * in this process's memory or in a Redis hash. The input and the result
 * images are blobs kept apart from it. */
#ifndef I2I_SERVER_JOB_META_H
#define I2I_SERVER_JOB_META_H

#include "job_json.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JOB_META_MAX_RESULTS API_NUM_IMAGES_MAX

typedef struct job_meta {
    char id[37];
    char task[16];
    char owner[64]; /* the API key's name; "" without auth */
    char profile[64];
    job_status status;
    int step, steps;
    double created_at, started_at, finished_at; /* unix seconds; 0 = not yet */
    char *params_json;                          /* owned: the resolved parameters, compact JSON */
    char error_code[32];                        /* "" = none */
    char error_message[256];
    int attempt;               /* runs started (0 while queued) */
    char idempotency_key[256]; /* "" = none; scoped to the owner */
    uint64_t request_hash;
    int input_width, input_height;     /* the decoded (upright) input */
    int working_width, working_height; /* the size it runs at */
    int result_count;                  /* images, once succeeded */
    char result_type[32];              /* their media type; "" until succeeded */
    int result_width, result_height;
    uint64_t result_seeds[JOB_META_MAX_RESULTS];
    uint64_t seq;          /* creation order, set by the store's put: the list cursor */
    bool cancel_requested; /* a client asked a running job to stop */
} job_meta;

/* Bytes the store copies in, or hands out malloc'd (the caller frees). */
typedef struct store_blob {
    uint8_t *bytes;
    size_t len;
} store_blob;

void job_meta_init(job_meta *m);
/* Frees what m owns and re-initialises it. */
void job_meta_clear(job_meta *m);
/* Deep copy; false when out of memory (dst is then cleared). */
bool job_meta_copy(job_meta *dst, const job_meta *src);
/* Replaces m's parameters JSON with a copy of text (NULL = none). */
bool job_meta_set_params(job_meta *m, const char *text);
void store_blob_free(store_blob *b);

#endif
