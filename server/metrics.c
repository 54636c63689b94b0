/* Counters behind one mutex; rendering builds the text in a growing buffer. */
#include "metrics.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TASKS API_MAX_TASKS
#define MAX_REASONS 4
#define N_QWAIT_BUCKETS 13
#define N_RUN_BUCKETS 13

static const double qwait_bounds[N_QWAIT_BUCKETS] = {0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1,
                                                     2.5,   5,    10,   30,  60,   300};
static const double run_bounds[N_RUN_BUCKETS] = {0.05, 0.1, 0.25, 0.5, 1,   2.5, 5,
                                                 10,   20,  30,   60,  120, 300};

typedef struct histogram {
    const double *bounds;
    int n;
    unsigned long long counts[16]; /* per bucket, not cumulative; last = +Inf */
    double sum;
    unsigned long long total;
} histogram;

static const char *const webhook_results[] = {"delivered", "retried", "failed", "refused",
                                              "dropped"};
#define N_WEBHOOK_RESULTS 5

struct metrics {
    pthread_mutex_t mu;
    unsigned long long http[ROUTE_COUNT_][600];
    char tasks[MAX_TASKS][16];
    unsigned long long submitted[MAX_TASKS];
    unsigned long long finished[MAX_TASKS][JOB_STATUS_COUNT_];
    char reasons[MAX_REASONS][24];
    unsigned long long rejected[MAX_TASKS][MAX_REASONS];
    unsigned long long webhooks[N_WEBHOOK_RESULTS];
    unsigned long long reclaimed_requeued, reclaimed_failed;
    histogram qwait, run;
};

static const char *const route_labels[ROUTE_TASK_FIRST] = {"/v1/jobs/{id}",
                                                           "/v1/jobs/{id}/result",
                                                           "/v1/jobs/{id}/cancel",
                                                           "/v1/jobs/{id}/events",
                                                           "/v1/jobs",
                                                           "/v1/profiles",
                                                           "/healthz",
                                                           "/readyz",
                                                           "/metrics",
                                                           "/ (web page)",
                                                           "/v1/images/edits",
                                                           "other"};

const char *metrics_route_label(metrics_route r) {
    if ((int)r >= 0 && r < ROUTE_TASK_FIRST) return route_labels[r];
    const api_task *t = r >= ROUTE_TASK_FIRST ? api_task_at((size_t)(r - ROUTE_TASK_FIRST)) : NULL;
    return t ? t->route : "other";
}

metrics *metrics_create(void) {
    metrics *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    pthread_mutex_init(&m->mu, NULL);
    m->qwait.bounds = qwait_bounds;
    m->qwait.n = N_QWAIT_BUCKETS;
    m->run.bounds = run_bounds;
    m->run.n = N_RUN_BUCKETS;
    return m;
}

void metrics_free(metrics *m) {
    if (!m) return;
    pthread_mutex_destroy(&m->mu);
    free(m);
}

static void observe(histogram *h, double v) {
    int i = 0;
    while (i < h->n && v > h->bounds[i])
        i++;
    h->counts[i]++;
    h->sum += v;
    h->total++;
}

/* Index of a label in a small fixed table, adding it if there is room;
 * the last slot absorbs overflow. Caller holds the lock. */
static int label_index(char (*table)[sizeof(((metrics *)0)->tasks[0])], int n, const char *s) {
    for (int i = 0; i < n; i++) {
        if (!table[i][0]) snprintf(table[i], sizeof table[i], "%s", s);
        if (strcmp(table[i], s) == 0) return i;
    }
    return n - 1;
}

static int reason_index(metrics *m, const char *s) {
    for (int i = 0; i < MAX_REASONS; i++) {
        if (!m->reasons[i][0]) snprintf(m->reasons[i], sizeof m->reasons[i], "%s", s);
        if (strcmp(m->reasons[i], s) == 0) return i;
    }
    return MAX_REASONS - 1;
}

void metrics_http_request(metrics *m, metrics_route r, int status) {
    if ((int)r < 0 || r >= ROUTE_COUNT_ || status < 0 || status >= 600) return;
    pthread_mutex_lock(&m->mu);
    m->http[r][status]++;
    pthread_mutex_unlock(&m->mu);
}

void metrics_job_submitted(metrics *m, const char *task) {
    pthread_mutex_lock(&m->mu);
    m->submitted[label_index(m->tasks, MAX_TASKS, task)]++;
    pthread_mutex_unlock(&m->mu);
}

void metrics_job_rejected(metrics *m, const char *task, const char *reason) {
    pthread_mutex_lock(&m->mu);
    m->rejected[label_index(m->tasks, MAX_TASKS, task)][reason_index(m, reason)]++;
    pthread_mutex_unlock(&m->mu);
}

void metrics_job_started(metrics *m, double queue_wait_s) {
    pthread_mutex_lock(&m->mu);
    observe(&m->qwait, queue_wait_s);
    pthread_mutex_unlock(&m->mu);
}

void metrics_job_finished(metrics *m, const char *task, job_status final, double run_s) {
    pthread_mutex_lock(&m->mu);
    m->finished[label_index(m->tasks, MAX_TASKS, task)][final]++;
    if (run_s >= 0) observe(&m->run, run_s);
    pthread_mutex_unlock(&m->mu);
}

typedef struct textbuf {
    char *s;
    size_t len, cap;
    int failed;
} textbuf;

static void tb_printf(textbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void tb_printf(textbuf *b, const char *fmt, ...) {
    if (b->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
        va_end(ap);
        if (n < 0) {
            b->failed = 1;
            return;
        }
        if ((size_t)n < b->cap - b->len) {
            b->len += (size_t)n;
            return;
        }
        size_t cap = b->cap * 2 + (size_t)n;
        char *ns = realloc(b->s, cap);
        if (!ns) {
            b->failed = 1;
            return;
        }
        b->s = ns;
        b->cap = cap;
    }
}

static void render_histogram(textbuf *b, const char *name, const char *help, const histogram *h) {
    tb_printf(b, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    unsigned long long cum = 0;
    for (int i = 0; i < h->n; i++) {
        cum += h->counts[i];
        tb_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, h->bounds[i], cum);
    }
    tb_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name, h->total, name,
              h->sum, name, h->total);
}

static void render_http(textbuf *b, const metrics *m) {
    tb_printf(b, "# HELP i2i_http_requests_total HTTP requests by route and status code.\n"
                 "# TYPE i2i_http_requests_total counter\n");
    for (int r = 0; r < ROUTE_COUNT_; r++)
        for (int c = 0; c < 600; c++)
            if (m->http[r][c])
                tb_printf(b, "i2i_http_requests_total{route=\"%s\",code=\"%d\"} %llu\n",
                          metrics_route_label((metrics_route)r), c, m->http[r][c]);
}

static void render_jobs(textbuf *b, const metrics *m) {
    tb_printf(b, "# HELP i2i_jobs_submitted_total Jobs accepted into the queue.\n"
                 "# TYPE i2i_jobs_submitted_total counter\n");
    for (int t = 0; t < MAX_TASKS && m->tasks[t][0]; t++)
        tb_printf(b, "i2i_jobs_submitted_total{task=\"%s\"} %llu\n", m->tasks[t], m->submitted[t]);
    tb_printf(b, "# HELP i2i_jobs_total Jobs by task and final status.\n"
                 "# TYPE i2i_jobs_total counter\n");
    for (int t = 0; t < MAX_TASKS && m->tasks[t][0]; t++)
        for (int s = JOB_SUCCEEDED; s < JOB_STATUS_COUNT_; s++)
            tb_printf(b, "i2i_jobs_total{task=\"%s\",status=\"%s\"} %llu\n", m->tasks[t],
                      job_status_name((job_status)s), m->finished[t][s]);
    tb_printf(b, "# HELP i2i_jobs_rejected_total Submissions refused before queueing.\n"
                 "# TYPE i2i_jobs_rejected_total counter\n");
    for (int t = 0; t < MAX_TASKS && m->tasks[t][0]; t++)
        for (int r = 0; r < MAX_REASONS && m->reasons[r][0]; r++)
            tb_printf(b, "i2i_jobs_rejected_total{task=\"%s\",reason=\"%s\"} %llu\n", m->tasks[t],
                      m->reasons[r], m->rejected[t][r]);
}

void metrics_webhook(metrics *m, const char *result) {
    for (int i = 0; i < N_WEBHOOK_RESULTS; i++)
        if (strcmp(webhook_results[i], result) == 0) {
            pthread_mutex_lock(&m->mu);
            m->webhooks[i]++;
            pthread_mutex_unlock(&m->mu);
        }
}

void metrics_jobs_reclaimed(metrics *m, size_t requeued, size_t failed) {
    pthread_mutex_lock(&m->mu);
    m->reclaimed_requeued += requeued;
    m->reclaimed_failed += failed;
    pthread_mutex_unlock(&m->mu);
}

/* Shared queue only: what a memory-store process would print is noise. */
static void render_shared_queue(textbuf *b, const metrics *m, const metrics_gauges *g) {
    if (!g->shared_queue) return;
    tb_printf(b,
              "# HELP i2i_shared_queue_depth Jobs waiting in the shared queue, all replicas.\n"
              "# TYPE i2i_shared_queue_depth gauge\ni2i_shared_queue_depth %zu\n"
              "# HELP i2i_jobs_reclaimed_total Lost jobs (their replica died) this replica took "
              "back: queued again, or failed with worker_lost.\n"
              "# TYPE i2i_jobs_reclaimed_total counter\n"
              "i2i_jobs_reclaimed_total{result=\"requeued\"} %llu\n"
              "i2i_jobs_reclaimed_total{result=\"failed\"} %llu\n",
              g->shared_queue_depth, m->reclaimed_requeued, m->reclaimed_failed);
}

static void render_webhooks(textbuf *b, const metrics *m) {
    tb_printf(b, "# HELP i2i_webhook_deliveries_total Webhook delivery outcomes.\n"
                 "# TYPE i2i_webhook_deliveries_total counter\n");
    for (int i = 0; i < N_WEBHOOK_RESULTS; i++)
        tb_printf(b, "i2i_webhook_deliveries_total{result=\"%s\"} %llu\n", webhook_results[i],
                  m->webhooks[i]);
}

static void render_gauges(textbuf *b, const metrics_gauges *g) {
    tb_printf(b,
              "# HELP i2i_queue_depth Jobs waiting in the queue.\n# TYPE i2i_queue_depth gauge\n"
              "i2i_queue_depth %zu\n"
              "# HELP i2i_jobs_in_flight Jobs running now.\n# TYPE i2i_jobs_in_flight gauge\n"
              "i2i_jobs_in_flight %zu\n"
              "# HELP i2i_jobs_stored Jobs held in the job store.\n"
              "# TYPE i2i_jobs_stored gauge\ni2i_jobs_stored %zu\n"
              "# HELP i2i_workers Worker threads.\n# TYPE i2i_workers gauge\ni2i_workers %d\n"
              "# HELP i2i_ready 1 when the service accepts jobs.\n# TYPE i2i_ready gauge\n"
              "i2i_ready %d\n",
              g->queue_depth, g->in_flight, g->stored_jobs, g->workers, g->ready);
}

/* A label value as the exposition format quotes it (\\, \", \n escaped). */
static void label_value(const char *v, char *out, size_t cap) {
    size_t n = 0;
    for (; *v && n + 3 < cap; v++) {
        if (*v == '\\' || *v == '"' || *v == '\n') out[n++] = '\\';
        out[n++] = *v == '\n' ? 'n' : *v;
    }
    out[n] = '\0';
}

/* Per task: served (a bundle loaded) and the bundle's weight bytes. */
static void render_bundles(textbuf *b, const metrics_gauges *g) {
    tb_printf(b, "# HELP i2i_task_ready 1 when a loaded bundle serves the task.\n"
                 "# TYPE i2i_task_ready gauge\n");
    for (size_t i = 0; i < api_task_count(); i++) {
        const char *task = api_task_at(i)->name;
        int served = 0;
        for (size_t k = 0; k < g->n_bundles; k++)
            served |= !strcmp(g->bundles[k].task, task);
        tb_printf(b, "i2i_task_ready{task=\"%s\"} %d\n", task, served && g->ready);
    }
    tb_printf(b, "# HELP i2i_bundle_resident_bytes Weight bytes a loaded bundle holds.\n"
                 "# TYPE i2i_bundle_resident_bytes gauge\n");
    for (size_t k = 0; k < g->n_bundles; k++) {
        char dir[600];
        label_value(g->bundles[k].dir, dir, sizeof dir);
        tb_printf(b, "i2i_bundle_resident_bytes{task=\"%s\",bundle=\"%s\"} %zu\n",
                  g->bundles[k].task, dir, g->bundles[k].resident_bytes);
    }
    tb_printf(b, "# HELP i2i_model_resident_bytes Weight bytes a network holds in its kernel "
                 "form.\n# TYPE i2i_model_resident_bytes gauge\n");
    for (size_t k = 0; k < g->n_bundles; k++)
        for (int i = 0; i < g->bundles[k].n_mem; i++)
            tb_printf(b, "i2i_model_resident_bytes{task=\"%s\",network=\"%s\",dtype=\"%s\"} %zu\n",
                      g->bundles[k].task, g->bundles[k].mem[i].network, g->bundles[k].dtype,
                      g->bundles[k].mem[i].bytes);
}

#ifndef I2I_VERSION
#define I2I_VERSION "0.1.0"
#endif

char *metrics_render(metrics *m, const metrics_gauges *g) {
    textbuf b = {.s = malloc(8192), .cap = 8192};
    if (!b.s) return NULL;
    b.s[0] = '\0';
    tb_printf(&b,
              "# HELP i2i_build_info Build information.\n# TYPE i2i_build_info gauge\n"
              "i2i_build_info{version=\"%s\",compiler=\"%s\"} 1\n",
              I2I_VERSION, __VERSION__);
    render_gauges(&b, g);
    render_bundles(&b, g);
    pthread_mutex_lock(&m->mu);
    render_jobs(&b, m);
    render_webhooks(&b, m);
    render_shared_queue(&b, m, g);
    render_histogram(&b, "i2i_job_queue_wait_seconds", "Time jobs spent queued before running.",
                     &m->qwait);
    render_histogram(&b, "i2i_job_run_seconds", "Time jobs spent running.", &m->run);
    render_http(&b, m);
    pthread_mutex_unlock(&m->mu);
    if (b.failed) {
        free(b.s);
        return NULL;
    }
    return b.s;
}
