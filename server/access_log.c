/* Access log writer; a mutex keeps lines whole across connection threads. */
#include "access_log.h"
#include "job_json.h"
#include "job_service.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static FILE *log_file;
static bool log_owned;
static pthread_mutex_t log_mu = PTHREAD_MUTEX_INITIALIZER;

bool access_log_open(const char *path) {
    if (!path || !*path) return true;
    if (strcmp(path, "-") == 0) {
        log_file = stdout;
        return true;
    }
    log_file = fopen(path, "a");
    log_owned = log_file != NULL;
    return log_file != NULL;
}

void access_log_close(void) {
    pthread_mutex_lock(&log_mu);
    if (log_owned) fclose(log_file);
    log_file = NULL;
    log_owned = false;
    pthread_mutex_unlock(&log_mu);
}

static void emit(json_t *o) {
    char ts[40];
    api_format_time(job_service_now(), ts, sizeof ts);
    json_object_set_new(o, "ts", json_string(ts));
    char *line = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS | JSON_REAL_PRECISION(6));
    json_decref(o);
    if (!line) return;
    pthread_mutex_lock(&log_mu);
    if (log_file) {
        fputs(line, log_file);
        fputc('\n', log_file);
        fflush(log_file);
    }
    pthread_mutex_unlock(&log_mu);
    free(line);
}

void access_log_write(const access_log_entry *e) {
    if (!log_file) return;
    json_t *o = json_pack("{s:s,s:s,s:s,s:i,s:f,s:I,s:I}", "request_id", e->request_id, "method",
                          e->method ? e->method : "", "path", "", "status", e->status,
                          "duration_ms", e->duration_ms, "bytes_in", (json_int_t)e->bytes_in,
                          "bytes_out", (json_int_t)e->bytes_out);
    if (!o) return;
    /* the path is client text: json_stringn_nocheck would emit invalid UTF-8 */
    json_t *path = json_string(e->path ? e->path : "");
    json_object_set_new(o, "path", path ? path : json_string("(not UTF-8)"));
    if (e->job_id && *e->job_id) json_object_set_new(o, "job_id", json_string(e->job_id));
    if (e->error_code) json_object_set_new(o, "error", json_string(e->error_code));
    if (e->remote) json_object_set_new(o, "remote", json_string(e->remote));
    emit(o);
}

void access_log_event(const char *event, const char *detail) {
    if (!log_file) return;
    json_t *o = json_pack("{s:s,s:s}", "event", event, "detail", detail ? detail : "");
    if (o) emit(o);
}
