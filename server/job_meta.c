/* job_meta ownership: only params_json is heap memory. */
#include "job_meta.h"

#include <stdlib.h>
#include <string.h>

void job_meta_init(job_meta *m) {
    memset(m, 0, sizeof *m);
}

void job_meta_clear(job_meta *m) {
    free(m->params_json);
    job_meta_init(m);
}

bool job_meta_set_params(job_meta *m, const char *text) {
    char *copy = text ? strdup(text) : NULL;
    if (text && !copy) return false;
    free(m->params_json);
    m->params_json = copy;
    return true;
}

bool job_meta_copy(job_meta *dst, const job_meta *src) {
    *dst = *src;
    dst->params_json = NULL;
    if (!job_meta_set_params(dst, src->params_json)) {
        job_meta_clear(dst);
        return false;
    }
    return true;
}

void store_blob_free(store_blob *b) {
    free(b->bytes);
    b->bytes = NULL;
    b->len = 0;
}
