/* Event streams: MHD callback responses, suspended while idle. The hub's
 * mutex guards the list and every stream's flags; MHD_suspend_connection
 * is only called from the stream's own content reader (the one place MHD
 * allows it) and MHD_resume_connection only for a stream marked
 * suspended, both under the mutex, so a resume never races a suspend. */
#include "event_streams.h"
#include "job_sse.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct stream {
    event_streams *hub;
    struct MHD_Connection *conn;
    char job_id[37];
    job_sse_cursor cursor;
    text_buf out;        /* rendered, not yet sent */
    bool suspended;      /* parked in MHD until resumed */
    bool dirty;          /* an event arrived since the last render */
    bool keepalive_due;  /* the timer asks for a comment line */
    bool complete;       /* the final event is rendered: end after `out` */
    double last_write;   /* monotonic seconds */
    struct stream *next; /* the hub's list */
} stream;

struct event_streams {
    pthread_mutex_t mu;
    pthread_cond_t stop_cv;
    job_service *jobs;
    event_streams_present present;
    void *present_ctx;
    stream *streams;
    size_t count, max;
    double keepalive_s;
    bool closing, timer_stop;
    pthread_t timer;
};

static double now_mono(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void resume_locked(stream *st) {
    if (!st->suspended) return;
    st->suspended = false;
    MHD_resume_connection(st->conn);
}

/* Once a second: streams idle for keepalive_s get a comment line, which
 * also finds clients that went away while their stream was parked. */
static void *timer_main(void *arg) {
    event_streams *h = arg;
    pthread_mutex_lock(&h->mu);
    while (!h->timer_stop) {
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        dl.tv_sec += 1;
        pthread_cond_timedwait(&h->stop_cv, &h->mu, &dl);
        double now = now_mono();
        for (stream *st = h->streams; st; st = st->next)
            if (st->suspended && now - st->last_write >= h->keepalive_s) {
                st->keepalive_due = true;
                resume_locked(st);
            }
    }
    pthread_mutex_unlock(&h->mu);
    return NULL;
}

event_streams *event_streams_start(job_service *jobs, int max_streams, double keepalive_s,
                                   event_streams_present present, void *present_ctx) {
    event_streams *h = calloc(1, sizeof *h);
    if (!h) return NULL;
    pthread_mutex_init(&h->mu, NULL);
    pthread_cond_init(&h->stop_cv, NULL);
    h->jobs = jobs;
    h->present = present;
    h->present_ctx = present_ctx;
    h->max = max_streams > 0 ? (size_t)max_streams : 0;
    h->keepalive_s = keepalive_s > 0 ? keepalive_s : 15;
    if (pthread_create(&h->timer, NULL, timer_main, h) != 0) {
        pthread_cond_destroy(&h->stop_cv);
        pthread_mutex_destroy(&h->mu);
        free(h);
        return NULL;
    }
    return h;
}

void event_streams_stop(event_streams *h) {
    if (!h) return;
    pthread_mutex_lock(&h->mu);
    h->timer_stop = true;
    pthread_cond_broadcast(&h->stop_cv);
    pthread_mutex_unlock(&h->mu);
    pthread_join(h->timer, NULL);
    pthread_cond_destroy(&h->stop_cv);
    pthread_mutex_destroy(&h->mu);
    free(h);
}

void event_streams_close_all(event_streams *h) {
    pthread_mutex_lock(&h->mu);
    h->closing = true;
    for (stream *st = h->streams; st; st = st->next)
        resume_locked(st);
    pthread_mutex_unlock(&h->mu);
}

size_t event_streams_count(event_streams *h) {
    pthread_mutex_lock(&h->mu);
    size_t n = h->count;
    pthread_mutex_unlock(&h->mu);
    return n;
}

void event_streams_on_job_event(void *ctx, const job_event *ev) {
    event_streams *h = ctx;
    bool all = ev->kind == JOB_EVENT_QUEUE_MOVED;
    pthread_mutex_lock(&h->mu);
    for (stream *st = h->streams; st; st = st->next)
        if (all || strcmp(st->job_id, ev->job_id) == 0) {
            st->dirty = true;
            resume_locked(st);
        }
    pthread_mutex_unlock(&h->mu);
}

/* Renders what the job's state has beyond the cursor (outside the hub's
 * lock: the job service takes its own). */
static void render(stream *st) {
    lookup_result lr;
    json_t *job = job_service_job_json(st->hub->jobs, st->job_id, NULL, &lr);
    if (!job) { /* expired or evicted while streamed */
        text_buf_printf(&st->out,
                        "event: gone\ndata: {\"error\":{\"code\":\"%s\",\"message\":"
                        "\"the job is no longer stored\"}}\n\n",
                        lr == LOOKUP_EVICTED ? "job_evicted" : "job_expired");
        st->complete = true;
        return;
    }
    if (st->hub->present) st->hub->present(st->hub->present_ctx, job);
    if (job_sse_render(job, &st->cursor, &st->out)) st->complete = true;
    json_decref(job);
}

static ssize_t copy_out(stream *st, char *buf, size_t max) {
    size_t n = st->out.len < max ? st->out.len : max;
    memcpy(buf, st->out.s, n);
    text_buf_consume(&st->out, n);
    st->last_write = now_mono();
    return (ssize_t)n;
}

/* Decides, under the hub's lock, between a keep-alive, the end, another
 * render and parking. Returns 1 to render again, 0 when parked or ended. */
static int idle_locked(stream *st, bool *end) {
    event_streams *h = st->hub;
    if (st->dirty) return 1;
    if (h->closing || st->complete) {
        *end = true;
        return 0;
    }
    if (st->keepalive_due) {
        st->keepalive_due = false;
        job_sse_comment(&st->out, "keep-alive");
        return 0;
    }
    st->suspended = true;
    MHD_suspend_connection(st->conn);
    return 0;
}

static ssize_t read_stream(void *cls, uint64_t pos, char *buf, size_t max) {
    (void)pos;
    stream *st = cls;
    for (;;) {
        if (st->out.failed) return MHD_CONTENT_READER_END_WITH_ERROR;
        if (st->out.len) return copy_out(st, buf, max);
        bool end = false;
        pthread_mutex_lock(&st->hub->mu);
        int again = idle_locked(st, &end);
        st->dirty = false;
        pthread_mutex_unlock(&st->hub->mu);
        if (end) return MHD_CONTENT_READER_END_OF_STREAM;
        if (st->out.len) continue; /* the keep-alive line */
        if (!again) return 0;      /* parked: MHD calls again once resumed */
        render(st);
    }
}

static void free_stream(void *cls) {
    stream *st = cls;
    event_streams *h = st->hub;
    pthread_mutex_lock(&h->mu);
    for (stream **p = &h->streams; *p; p = &(*p)->next)
        if (*p == st) {
            *p = st->next;
            break;
        }
    h->count--;
    pthread_mutex_unlock(&h->mu);
    text_buf_free(&st->out);
    free(st);
}

struct MHD_Response *event_streams_open(event_streams *h, struct MHD_Connection *c,
                                        const char *job_id, long last_event_id) {
    stream *st = calloc(1, sizeof *st);
    if (!st) return NULL;
    *st = (stream){.hub = h, .conn = c, .dirty = true, .last_write = now_mono()};
    snprintf(st->job_id, sizeof st->job_id, "%s", job_id);
    st->cursor = (job_sse_cursor){.last_id = last_event_id, .last_position = -2};
    /* a reconnecting browser waits 2 s, not its default 3 */
    text_buf_printf(&st->out, "retry: 2000\n\n");
    pthread_mutex_lock(&h->mu);
    bool room = !h->closing && h->count < h->max && !st->out.failed;
    if (room) {
        st->next = h->streams;
        h->streams = st;
        h->count++;
    }
    pthread_mutex_unlock(&h->mu);
    if (!room) {
        text_buf_free(&st->out);
        free(st);
        return NULL;
    }
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_stream, st, free_stream);
    if (!r) free_stream(st);
    return r;
}
