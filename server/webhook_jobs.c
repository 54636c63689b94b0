#include "webhook_jobs.h"
#include "job.h"
#include "job_present.h"
#include "webhook_fields.h"
#include "webhook_sender.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define PROGRESS_EVERY_S 0.5

struct webhook_jobs {
    app *app;
    webhook_config cfg;
    webhook_sender *sender;
};

static void iso_now(char out[32]) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    struct tm tm;
    gmtime_r(&t.tv_sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", t.tv_nsec / 1000000);
}

static char *render(void *ctx, const char *job_id, const char *type, size_t *len) {
    webhook_jobs *w = ctx;
    lookup_result lr;
    json_t *job = job_service_job_json(w->app->jobs, job_id, NULL, &lr);
    if (!job) return NULL;
    job_present(w->app, job, true);
    char ts[32];
    iso_now(ts);
    json_t *o = json_pack("{s:s, s:s, s:o}", "type", type, "timestamp", ts, "data", job);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    *len = s ? strlen(s) : 0;
    return s;
}

/* Which filter bit and type an event is, or false for the ones webhooks
 * do not carry (queued, queue moves). */
static bool event_type(const job_event *ev, unsigned *bit, const char **type) {
    switch (ev->kind) {
    case JOB_EVENT_STARTED:
        *bit = API_WEBHOOK_START, *type = "job.start";
        return true;
    case JOB_EVENT_PROGRESS:
        *bit = API_WEBHOOK_PROGRESS, *type = "job.progress";
        return true;
    case JOB_EVENT_FINAL:
        *bit = API_WEBHOOK_COMPLETED, *type = "job.completed";
        return true;
    default:
        return false;
    }
}

/* Under the job service's lock: decide and queue, nothing more. */
static void on_job_event(void *ctx, const job_event *ev) {
    webhook_jobs *w = ctx;
    job *j = ev->job;
    unsigned bit;
    const char *type;
    if (!j || !j->resolved.webhook || !event_type(ev, &bit, &type)) return;
    if (!(j->resolved.webhook_events & bit)) return;
    if (ev->kind == JOB_EVENT_PROGRESS) {
        double now = job_service_now();
        if (now - j->webhook_progress_at < PROGRESS_EVERY_S && ev->step < ev->steps) return;
        j->webhook_progress_at = now;
    }
    char msg_id[80];
    snprintf(msg_id, sizeof msg_id, "msg_%s_%s_%d", j->id, type + 4, ev->step);
    webhook_sender_enqueue(w->sender, j->resolved.webhook, msg_id, j->id, type);
}

static bool configure(webhook_jobs *w, const server_config *c, char *err, size_t errlen) {
    if (!webhook_policy_parse(c->webhook_allow, &w->cfg.policy, err, errlen)) return false;
    w->cfg.sign = c->webhook_secret[0] != '\0';
    if (w->cfg.sign && !webhook_key_from_secret(c->webhook_secret, &w->cfg.key)) {
        snprintf(err, errlen, "--webhook-secret must be whsec_<base64> or 1..%d bytes",
                 WEBHOOK_KEY_MAX);
        return false;
    }
    w->cfg.max_queue = c->webhook_queue;
    w->cfg.max_attempts = c->webhook_attempts;
    w->cfg.timeout_s = c->webhook_timeout_s;
    w->cfg.backoff_s = c->webhook_backoff_s;
    w->cfg.render = render;
    w->cfg.render_ctx = w;
    return true;
}

webhook_jobs *webhook_jobs_start(app *a, char *err, size_t errlen) {
    webhook_jobs *w = calloc(1, sizeof *w);
    if (!w) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    w->app = a;
    if (!configure(w, a->cfg, err, errlen)) {
        free(w);
        return NULL;
    }
    if (!(w->sender = webhook_sender_start(&w->cfg, a->metrics)) ||
        !job_service_listen(a->jobs, on_job_event, w)) {
        snprintf(err, errlen, "cannot start the webhook sender");
        webhook_sender_stop(w->sender, 0);
        free(w);
        return NULL;
    }
    return w;
}

void webhook_jobs_stop(webhook_jobs *w, double grace_s) {
    if (!w) return;
    job_service_unlisten(w->app->jobs, on_job_event, w);
    webhook_sender_stop(w->sender, grace_s);
    free(w);
}

const webhook_policy *webhook_jobs_policy(const webhook_jobs *w) {
    return &w->cfg.policy;
}
