/* Job record lifetime. */
#include "job.h"
#include "job_service.h"

#include <stdlib.h>
#include <string.h>
#include <uuid/uuid.h>

job *job_new(void) {
    job *j = calloc(1, sizeof *j);
    if (!j) return NULL;
    uuid_t u;
    uuid_generate_random(u);
    uuid_unparse_lower(u, j->id);
    j->refs = 1;
    job_request_init(&j->req);
    return j;
}

void job_ref(job *j) {
    j->refs++;
}

void job_unref(job *j) {
    if (!j || --j->refs > 0) return;
    job_request_free(&j->req);
    free(j->input.rgb);
    for (int i = 0; i < j->n_results; i++)
        free(j->results[i].bytes);
    free(j);
}

void job_fill_view(const job *j, job_view *v) {
    memset(v, 0, sizeof *v);
    v->id = j->id;
    v->task = j->task;
    v->status = j->status;
    v->step = j->step;
    v->steps = j->steps;
    v->queue_position = -1;
    v->created_at = j->created_at;
    v->started_at = j->started_at;
    v->finished_at = j->finished_at;
    v->params = &j->resolved;
    if (j->error_code[0]) {
        v->error_code = j->error_code;
        v->error_message = j->error_message;
    }
    v->result_width = j->out_width;
    v->result_height = j->out_height;
    v->result_type = j->result_type;
    v->result_count = j->n_results;
    for (int i = 0; i < j->n_results; i++)
        v->result_seeds[i] = j->results[i].seed;
    v->input_width = j->input_width;
    v->input_height = j->input_height;
    v->working_width = j->working_width;
    v->working_height = j->working_height;
    v->eta_s = -1;
    if (j->status == JOB_RUNNING && j->step > 0 && j->steps > j->step) {
        /* from the pace so far (the first step also carries the encoders) */
        double elapsed = job_service_now() - j->started_at;
        v->eta_s = elapsed / j->step * (j->steps - j->step);
    }
}
