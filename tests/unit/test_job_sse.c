/* Job event rendering (server/job_sse.c): the ids follow from the job's
 * state, so a stream resumed after any id renders exactly the events after
 * it, and a job canceled in the queue ends at id 2. */
#include "check.h"
#include "job_sse.h"

#include <string.h>

static json_t *job(const char *status, int step, int steps, int position, bool started) {
    return json_pack("{s:s, s:s, s:{s:i, s:i, s:f}, s:o, s:o}", "id",
                     "123e4567-e89b-42d3-a456-426614174000", "status", status, "progress", "step",
                     step, "steps", steps, "eta_seconds", 1.5, "queue_position",
                     position >= 0 ? json_integer(position) : json_null(), "started_at",
                     started ? json_string("2026-12-02T03:00:00.000Z") : json_null());
}

/* The ids of the rendered events, in order, as "1,2,3". */
static void ids_of(const char *text, char *out, size_t n) {
    out[0] = '\0';
    for (const char *p = strstr(text, "id: "); p; p = strstr(p + 1, "\nid: ")) {
        const char *num = p[0] == '\n' ? p + 5 : p + 4;
        size_t len = strlen(out);
        snprintf(out + len, n - len, "%s%ld", len ? "," : "", strtol(num, NULL, 10));
    }
}

static void render(json_t *j, job_sse_cursor *c, char *ids, size_t n, bool *complete) {
    text_buf b = {0};
    *complete = job_sse_render(j, c, &b);
    CHECK(!b.failed);
    ids_of(b.s ? b.s : "", ids, n);
    text_buf_free(&b);
    json_decref(j);
}

static void test_whole_life(void) {
    job_sse_cursor c = {.last_id = 0, .last_position = -2};
    char ids[256];
    bool complete;
    render(job("queued", 0, 0, 2, false), &c, ids, sizeof ids, &complete);
    CHECK_MSG(strcmp(ids, "1") == 0 && !complete, "%s", ids);
    render(job("queued", 0, 0, 2, false), &c, ids, sizeof ids, &complete);
    CHECK_MSG(ids[0] == '\0', "same position: nothing new, got %s", ids);
    render(job("queued", 0, 0, 1, false), &c, ids, sizeof ids, &complete);
    CHECK_MSG(strcmp(ids, "1") == 0, "moved up: queued again, got %s", ids);
    render(job("running", 3, 5, -1, true), &c, ids, sizeof ids, &complete);
    CHECK_MSG(strcmp(ids, "2,3,4,5") == 0 && !complete, "started + steps 1..3: %s", ids);
    render(job("succeeded", 5, 5, -1, true), &c, ids, sizeof ids, &complete);
    CHECK_MSG(strcmp(ids, "6,7,8") == 0 && complete, "steps 4, 5 and done: %s", ids);
    render(job("succeeded", 5, 5, -1, true), &c, ids, sizeof ids, &complete);
    CHECK_MSG(ids[0] == '\0' && complete, "after done: nothing, got %s", ids);
}

static void test_resume(void) {
    for (long last = 0; last <= 8; last++) {
        job_sse_cursor c = {.last_id = last, .last_position = -2};
        char ids[256], want[256] = "";
        bool complete;
        render(job("succeeded", 5, 5, -1, true), &c, ids, sizeof ids, &complete);
        for (long i = last + 1; i <= 8; i++) {
            size_t len = strlen(want);
            snprintf(want + len, sizeof want - len, "%s%ld", len ? "," : "", i);
        }
        CHECK_MSG(strcmp(ids, want) == 0 && complete, "after %ld: %s, want %s", last, ids, want);
    }
}

static void test_canceled_in_queue(void) {
    job_sse_cursor c = {.last_id = 1, .last_position = 0};
    char ids[64];
    bool complete;
    render(job("canceled", 0, 0, -1, false), &c, ids, sizeof ids, &complete);
    CHECK_MSG(strcmp(ids, "2") == 0 && complete, "%s", ids);
}

static void test_event_text(void) {
    job_sse_cursor c = {.last_id = 2, .last_position = -2};
    text_buf b = {0};
    json_t *j = job("running", 1, 4, -1, true);
    job_sse_render(j, &c, &b);
    json_decref(j);
    CHECK_MSG(b.s && strstr(b.s, "id: 3\nevent: progress\ndata: {") != NULL, "%s", b.s);
    CHECK_MSG(b.s && strstr(b.s, "\"step\":1") && strstr(b.s, "\"steps\":4") &&
                  strstr(b.s, "\"eta_seconds\":1.5") && strstr(b.s, "}\n\n"),
              "%s", b.s);
    text_buf_free(&b);
}

int main(void) {
    test_whole_life();
    test_resume();
    test_canceled_in_queue();
    test_event_text();
    return CHECK_DONE();
}
