/* Job JSON rendering. */
#include "job_json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static const char *const status_names[JOB_STATUS_COUNT_] = {"queued", "running", "succeeded",
                                                            "failed", "canceled"};

const char *job_status_name(job_status s) {
    return ((int)s >= 0 && s < JOB_STATUS_COUNT_) ? status_names[s] : "unknown";
}

bool job_status_parse(const char *name, job_status *out) {
    for (int i = 0; name && i < JOB_STATUS_COUNT_; i++) {
        if (strcmp(status_names[i], name) == 0) {
            *out = (job_status)i;
            return true;
        }
    }
    return false;
}

bool job_status_is_final(job_status s) {
    return s == JOB_SUCCEEDED || s == JOB_FAILED || s == JOB_CANCELED;
}

void api_format_time(double t, char *out, size_t outlen) {
    time_t secs = (time_t)floor(t);
    int ms = (int)((t - (double)secs) * 1000.0);
    /* clamped so the compiler can see the field is three digits */
    unsigned msu = ms < 0 ? 0u : ms > 999 ? 999u : (unsigned)ms;
    struct tm tm;
    gmtime_r(&secs, &tm);
    char base[24];
    if (strftime(base, sizeof base, "%Y-%m-%dT%H:%M:%S", &tm) == 0) base[0] = '\0';
    snprintf(out, outlen, "%.19s.%03uZ", base, msu % 1000u);
}

/* A timestamp field, or JSON null when the moment has not come yet. */
static json_t *time_or_null(double t) {
    if (t <= 0) return json_null();
    char buf[40];
    api_format_time(t, buf, sizeof buf);
    return json_string(buf);
}

static json_t *links_json(const job_view *v) {
    char self[64], result[80];
    snprintf(self, sizeof self, "/v1/jobs/%s", v->id);
    snprintf(result, sizeof result, "/v1/jobs/%s/result", v->id);
    return json_pack("{s:s,s:s}", "self", self, "result", result);
}

/* {"content_type", "width", "height", "images": [{"index", "seed"}, ...]}:
 * every image of the job (num_images_per_prompt) with the seed it ran with. */
static json_t *result_json(const job_view *v) {
    json_t *images = json_array();
    for (int i = 0; images && i < v->result_count; i++)
        json_array_append_new(
            images, json_pack("{s:i,s:I}", "index", i, "seed", (json_int_t)v->result_seeds[i]));
    return json_pack("{s:s,s:i,s:i,s:o*}", "content_type",
                     v->result_type ? v->result_type : "image/png", "width", v->result_width,
                     "height", v->result_height, "images", images);
}

json_t *job_view_json(const job_view *v) {
    json_t *o = json_object();
    if (!o) return NULL;
    json_object_set_new(o, "id", json_string(v->id));
    json_object_set_new(o, "task", json_string(v->task));
    json_object_set_new(o, "status", json_string(job_status_name(v->status)));
    json_object_set_new(o, "progress",
                        json_pack("{s:i,s:i,s:o}", "step", v->step, "steps", v->steps,
                                  "eta_seconds",
                                  v->eta_s >= 0 ? json_real(v->eta_s) : json_null()));
    json_object_set_new(o, "queue_position",
                        v->queue_position >= 0 ? json_integer(v->queue_position) : json_null());
    json_object_set_new(o, "created_at", time_or_null(v->created_at));
    json_object_set_new(o, "started_at", time_or_null(v->started_at));
    json_object_set_new(o, "finished_at", time_or_null(v->finished_at));
    if (v->params) {
        json_object_set_new(o, "profile", json_string(v->params->profile));
        json_object_set_new(o, "parameters", job_resolved_json(v->params));
    } else if (v->params_json) {
        json_object_set_new(o, "profile", json_string(v->profile ? v->profile : ""));
        json_object_set_new(o, "parameters", json_loads(v->params_json, 0, NULL));
    }
    json_object_set_new(o, "error",
                        v->error_code ? json_pack("{s:s,s:s}", "code", v->error_code, "message",
                                                  v->error_message ? v->error_message : "")
                                      : json_null());
    json_object_set_new(o, "result", v->status == JOB_SUCCEEDED ? result_json(v) : json_null());
    json_object_set_new(o, "sizes",
                        json_pack("{s:{s:i,s:i},s:{s:i,s:i}}", "input", "width", v->input_width,
                                  "height", v->input_height, "working", "width", v->working_width,
                                  "height", v->working_height));
    json_object_set_new(o, "links", links_json(v));
    return o;
}
