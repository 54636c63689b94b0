/* Job record lifetime, and the view of a stored job. */
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

void job_unref(job *j) {
    if (!j || --j->refs > 0) return;
    job_request_free(&j->req);
    free(j->input.rgb);
    free(j);
}

void job_meta_fill_view(const job_meta *m, job_view *v) {
    memset(v, 0, sizeof *v);
    v->id = m->id;
    v->task = m->task;
    v->status = m->status;
    v->step = m->step;
    v->steps = m->steps;
    v->queue_position = -1;
    v->created_at = m->created_at;
    v->started_at = m->started_at;
    v->finished_at = m->finished_at;
    v->profile = m->profile;
    v->params_json = m->params_json;
    if (m->error_code[0]) {
        v->error_code = m->error_code;
        v->error_message = m->error_message;
    }
    v->result_width = m->result_width;
    v->result_height = m->result_height;
    v->result_type = m->result_type[0] ? m->result_type : NULL;
    v->result_count = m->result_count;
    memcpy(v->result_seeds, m->result_seeds, sizeof v->result_seeds);
    v->input_width = m->input_width;
    v->input_height = m->input_height;
    v->working_width = m->working_width;
    v->working_height = m->working_height;
    v->eta_s = -1;
    if (m->status == JOB_RUNNING && m->step > 0 && m->steps > m->step) {
        /* from the pace so far (the first step also carries the encoders) */
        double elapsed = job_service_now() - m->started_at;
        v->eta_s = elapsed / m->step * (m->steps - m->step);
    }
}
