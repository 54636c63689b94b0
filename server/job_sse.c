#include "job_sse.h"

#include <stdlib.h>
#include <string.h>

static void event(text_buf *out, long id, const char *name, json_t *data) {
    char *s = data ? json_dumps(data, JSON_COMPACT) : NULL;
    if (!s) {
        out->failed = true;
    } else {
        text_buf_printf(out, "id: %ld\nevent: %s\ndata: %s\n\n", id, name, s);
    }
    free(s);
    json_decref(data);
}

static int int_field(const json_t *o, const char *key, int fallback) {
    const json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int)json_integer_value(v) : fallback;
}

static void render_queued(const json_t *job, const char *id, job_sse_cursor *cur, text_buf *out) {
    int pos = int_field(job, "queue_position", -1);
    bool queued = strcmp(json_string_value(json_object_get(job, "status")), "queued") == 0;
    if (cur->last_id >= 1 && !(queued && pos != cur->last_position)) return;
    event(out, 1, "queued",
          json_pack("{s:s, s:s, s:o}", "id", id, "status", "queued", "queue_position",
                    pos >= 0 ? json_integer(pos) : json_null()));
    cur->last_position = pos;
    if (cur->last_id < 1) cur->last_id = 1;
}

static void render_progress(const json_t *job, const char *id, job_sse_cursor *cur, text_buf *out) {
    const json_t *progress = json_object_get(job, "progress");
    int step = int_field(progress, "step", 0), steps = int_field(progress, "steps", 0);
    if (cur->last_id < 2) {
        event(out, 2, "started",
              json_pack("{s:s, s:s, s:O}", "id", id, "status", "running", "started_at",
                        json_object_get(job, "started_at")));
        cur->last_id = 2;
    }
    for (long k = cur->last_id - 1; k <= step; k++) {
        json_t *eta = k == step ? json_incref(json_object_get(progress, "eta_seconds")) : NULL;
        event(out, 2 + k, "progress",
              json_pack("{s:s, s:I, s:i, s:o}", "id", id, "step", (json_int_t)k, "steps", steps,
                        "eta_seconds", eta ? eta : json_null()));
        cur->last_id = 2 + k;
    }
}

bool job_sse_render(const json_t *job, job_sse_cursor *cur, text_buf *out) {
    const char *id = json_string_value(json_object_get(job, "id"));
    const char *status = json_string_value(json_object_get(job, "status"));
    if (!id || !status) return true;
    bool started = !json_is_null(json_object_get(job, "started_at"));
    bool final = strcmp(status, "queued") != 0 && strcmp(status, "running") != 0;
    render_queued(job, id, cur, out);
    if (started) render_progress(job, id, cur, out);
    if (!final) return false;
    long done_id = started ? 3 + int_field(json_object_get(job, "progress"), "step", 0) : 2;
    if (cur->last_id < done_id) {
        event(out, done_id, "done", json_deep_copy(job));
        cur->last_id = done_id;
    }
    return true;
}

void job_sse_comment(text_buf *out, const char *text) {
    text_buf_printf(out, ": %s\n\n", text);
}
