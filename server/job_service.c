/* Job lifecycle under one lock. Critical sections are short (no engine or
 * codec work happens while holding it). */
#include "job_service.h"
#include "job_queue.h"
#include "owner_counts.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct job_service {
    pthread_mutex_t mu;
    pthread_cond_t work_cv; /* a job was queued, or shutdown */
    pthread_cond_t done_cv; /* a job reached a final status */
    job_store *store;
    job_queue queue;
    double ttl_s;
    int workers;
    size_t running;
    bool draining, shutting_down;
    double avg_run_s; /* moving average for Retry-After */
    metrics *metrics;
    pthread_t janitor;
    bool janitor_started;
    struct {
        job_event_listener fn;
        void *ctx;
    } listeners[JOB_EVENT_MAX_LISTENERS];
    owner_counts queued_by_owner;
    int max_queued_per_owner; /* 0 = only the queue's own bound */
};

double job_service_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct timespec deadline_after(double seconds) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    double whole = floor(seconds);
    ts.tv_sec += (time_t)whole;
    ts.tv_nsec += (long)((seconds - whole) * 1e9);
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Removes expired jobs once a second, so memory is bounded by the TTL. */
static void *janitor_main(void *arg) {
    job_service *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->shutting_down) {
        struct timespec dl = deadline_after(1.0);
        pthread_cond_timedwait(&s->work_cv, &s->mu, &dl);
        s->store->ops->expire(s->store, job_service_now(), s->ttl_s);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

job_service *job_service_create(job_store *store, int queue_max, double ttl_s, int workers,
                                int max_queued_per_owner, metrics *m) {
    job_service *s = calloc(1, sizeof *s);
    if (!s || !job_queue_init(&s->queue, (size_t)queue_max)) {
        free(s);
        store->ops->destroy(store);
        return NULL;
    }
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->work_cv, &ca);
    pthread_cond_init(&s->done_cv, &ca);
    pthread_condattr_destroy(&ca);
    s->store = store;
    s->ttl_s = ttl_s;
    s->workers = workers > 0 ? workers : 1;
    s->avg_run_s = 5.0;
    s->metrics = m;
    s->max_queued_per_owner = max_queued_per_owner;
    s->janitor_started = pthread_create(&s->janitor, NULL, janitor_main, s) == 0;
    return s;
}

void job_service_free(job_service *s) {
    if (!s) return;
    job_service_shutdown(s);
    if (s->janitor_started) pthread_join(s->janitor, NULL);
    while (job_queue_pop(&s->queue)) /* the store still owns them */
        ;
    job_queue_free(&s->queue);
    owner_counts_free(&s->queued_by_owner);
    s->store->ops->destroy(s->store);
    pthread_cond_destroy(&s->work_cv);
    pthread_cond_destroy(&s->done_cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static int retry_after_locked(const job_service *s) {
    double backlog = (double)(s->queue.len + s->running) / s->workers;
    double secs = ceil(backlog * s->avg_run_s / (double)s->queue.cap);
    if (secs < 1) secs = 1;
    return secs > 300 ? 300 : (int)secs;
}

static submit_result replay_or_conflict(job *existing, uint64_t hash, char id_out[37]) {
    if (existing->request_hash != hash) return SUBMIT_IDEMPOTENCY_CONFLICT;
    memcpy(id_out, existing->id, 37);
    return SUBMIT_REPLAYED;
}

/* A new job record holding the request; NULL when out of memory. */
static job *make_job(job_request *req, const job_resolved *res, i2i_image *input, const char *owner,
                     const char *idempotency_key, uint64_t request_hash) {
    job *j = job_new();
    if (!j) return NULL;
    snprintf(j->task, sizeof j->task, "%s", res->task->name);
    j->status = JOB_QUEUED;
    j->created_at = job_service_now();
    j->req = *req;
    job_request_init(req);
    j->resolved = *res;
    /* the parameters borrow the texts, which now live in the job */
    if (j->req.prompt) j->resolved.params.prompt = j->req.prompt; /* upscale: none, "" */
    if (j->req.negative_prompt) j->resolved.params.negative_prompt = j->req.negative_prompt;
    j->steps = res->params.steps;
    j->input = *input;
    j->input_width = res->params.output_width;
    j->input_height = res->params.output_height;
    j->working_width = input->width;
    j->working_height = input->height;
    j->timeout_s = res->timeout_s;
    memset(input, 0, sizeof *input);
    j->request_hash = request_hash;
    snprintf(j->owner, sizeof j->owner, "%s", owner ? owner : "");
    if (idempotency_key)
        snprintf(j->idempotency_key, sizeof j->idempotency_key, "%s", idempotency_key);
    return j;
}

/* Hands a job that never reached the store back: the request and input
 * return to the caller, who still owns and frees them. */
static void unmake_job(job *j, job_request *req, i2i_image *input) {
    *req = j->req;
    job_request_init(&j->req);
    *input = j->input;
    memset(&j->input, 0, sizeof j->input);
    job_unref(j);
}

/* Why a new job cannot be queued now, or SUBMIT_CREATED. */
static submit_result admission_locked(job_service *s, const char *owner, int *retry_after_s) {
    if (s->draining) return SUBMIT_DRAINING;
    if (s->queue.len == s->queue.cap) {
        *retry_after_s = retry_after_locked(s);
        return SUBMIT_QUEUE_FULL;
    }
    if (s->max_queued_per_owner > 0 &&
        owner_counts_get(&s->queued_by_owner, owner) >= s->max_queued_per_owner) {
        *retry_after_s = retry_after_locked(s);
        return SUBMIT_QUOTA_EXCEEDED;
    }
    return SUBMIT_CREATED;
}

/* Queues and stores j; SUBMIT_CREATED, or why not (j is then not kept). */
static void emit_locked(job_service *s, job_event_kind kind, job *j) {
    job_event ev = {.kind = kind,
                    .job_id = j ? j->id : "",
                    .step = j ? j->step : 0,
                    .steps = j ? j->steps : 0,
                    .job = j};
    for (int i = 0; i < JOB_EVENT_MAX_LISTENERS; i++)
        if (s->listeners[i].fn) s->listeners[i].fn(s->listeners[i].ctx, &ev);
}

static submit_result enqueue_locked(job_service *s, job *j, int *retry_after_s) {
    if (!owner_counts_add(&s->queued_by_owner, j->owner, 1)) return SUBMIT_NOMEM;
    if (!s->store->ops->insert(s->store, j)) { /* every stored job is unfinished */
        owner_counts_add(&s->queued_by_owner, j->owner, -1);
        *retry_after_s = retry_after_locked(s);
        return SUBMIT_QUEUE_FULL;
    }
    job_queue_push(&s->queue, j);
    pthread_cond_broadcast(&s->work_cv);
    emit_locked(s, JOB_EVENT_QUEUED, j);
    return SUBMIT_CREATED;
}

submit_result job_service_submit(job_service *s, job_request *req, const job_resolved *res,
                                 i2i_image *input, const char *owner, const char *idempotency_key,
                                 uint64_t request_hash, char id_out[37], int *retry_after_s) {
    const char *task = res->task->name;
    const char *who = owner ? owner : "";
    pthread_mutex_lock(&s->mu);
    job *existing = idempotency_key && *idempotency_key
                        ? s->store->ops->find_by_idempotency_key(s->store, who, idempotency_key)
                        : NULL;
    submit_result out = existing ? replay_or_conflict(existing, request_hash, id_out)
                                 : admission_locked(s, who, retry_after_s);
    if (out == SUBMIT_CREATED) {
        job *j = make_job(req, res, input, who, idempotency_key, request_hash);
        out = j ? enqueue_locked(s, j, retry_after_s) : SUBMIT_NOMEM;
        if (out == SUBMIT_CREATED)
            memcpy(id_out, j->id, 37);
        else if (j)
            unmake_job(j, req, input);
    }
    pthread_mutex_unlock(&s->mu);
    if (out == SUBMIT_CREATED)
        metrics_job_submitted(s->metrics, task);
    else if (out == SUBMIT_QUEUE_FULL)
        metrics_job_rejected(s->metrics, task, "queue_full");
    else if (out == SUBMIT_QUOTA_EXCEEDED)
        metrics_job_rejected(s->metrics, task, "quota_exceeded");
    else if (out == SUBMIT_DRAINING)
        metrics_job_rejected(s->metrics, task, "draining");
    return out;
}

bool job_service_listen(job_service *s, job_event_listener fn, void *ctx) {
    bool added = false;
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < JOB_EVENT_MAX_LISTENERS && !added; i++)
        if (!s->listeners[i].fn) {
            s->listeners[i].fn = fn;
            s->listeners[i].ctx = ctx;
            added = true;
        }
    pthread_mutex_unlock(&s->mu);
    return added;
}

void job_service_unlisten(job_service *s, job_event_listener fn, void *ctx) {
    pthread_mutex_lock(&s->mu);
    for (int i = 0; i < JOB_EVENT_MAX_LISTENERS; i++)
        if (s->listeners[i].fn == fn && s->listeners[i].ctx == ctx) s->listeners[i].fn = NULL;
    pthread_mutex_unlock(&s->mu);
}

/* Wakes everything waiting on j: blocked waiters and the listeners. */
static void notify_final_locked(job_service *s, job *j) {
    s->store->ops->finished(s->store, j);
    pthread_cond_broadcast(&s->done_cv);
    emit_locked(s, JOB_EVENT_FINAL, j);
}

/* Another owner's job is not found: tenants cannot tell it exists. */
static job *lookup_locked(job_service *s, const char *id, const char *owner, lookup_result *lr) {
    job *j = s->store->ops->find(s->store, id, owner);
    if (j) {
        *lr = LOOKUP_FOUND;
        return j;
    }
    tombstone_kind gone = s->store->ops->gone(s->store, id, owner);
    *lr = gone == TOMB_EXPIRED   ? LOOKUP_EXPIRED
          : gone == TOMB_EVICTED ? LOOKUP_EVICTED
                                 : LOOKUP_NOT_FOUND;
    return NULL;
}

static json_t *render_locked(job_service *s, const job *j) {
    job_view v;
    job_fill_view(j, &v);
    if (j->status == JOB_QUEUED) v.queue_position = job_queue_position(&s->queue, j);
    return job_view_json(&v);
}

bool job_service_is_settled(job_service *s, const char *id) {
    lookup_result lr;
    pthread_mutex_lock(&s->mu);
    job *j = lookup_locked(s, id, NULL, &lr);
    bool settled = !j || job_status_is_final(j->status);
    pthread_mutex_unlock(&s->mu);
    return settled;
}

json_t *job_service_job_json(job_service *s, const char *id, const char *owner, lookup_result *lr) {
    pthread_mutex_lock(&s->mu);
    job *j = lookup_locked(s, id, owner, lr);
    json_t *o = j ? render_locked(s, j) : NULL;
    pthread_mutex_unlock(&s->mu);
    return o;
}

lookup_result job_service_result(job_service *s, const char *id, const char *owner, int index,
                                 job_status *status, job_result_copy *out) {
    lookup_result lr;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&s->mu);
    job *j = lookup_locked(s, id, owner, &lr);
    if (j) {
        *status = j->status;
        out->count = j->status == JOB_SUCCEEDED ? j->n_results : 0;
        const engine_image *img = index >= 0 && index < out->count ? &j->results[index] : NULL;
        if (img && (out->bytes = malloc(img->len))) {
            memcpy(out->bytes, img->bytes, img->len);
            out->len = img->len;
            out->content_type = j->result_type;
        }
    }
    pthread_mutex_unlock(&s->mu);
    return lr;
}

/* Marks a job that never reaches (or never finished) the engine as final. */
static void finish_unrun_locked(job_service *s, job *j, const char *code, const char *msg) {
    j->status = JOB_CANCELED;
    j->finished_at = job_service_now();
    snprintf(j->error_code, sizeof j->error_code, "%s", code);
    snprintf(j->error_message, sizeof j->error_message, "%s", msg);
    free(j->input.rgb);
    memset(&j->input, 0, sizeof j->input);
    notify_final_locked(s, j);
}

json_t *job_service_cancel(job_service *s, const char *id, const char *owner, lookup_result *lr,
                           bool *was_running) {
    bool canceled_queued = false;
    char task[16] = "";
    pthread_mutex_lock(&s->mu);
    job *j = lookup_locked(s, id, owner, lr);
    *was_running = false;
    if (j && j->status == JOB_QUEUED) {
        job_queue_remove(&s->queue, j);
        owner_counts_add(&s->queued_by_owner, j->owner, -1);
        finish_unrun_locked(s, j, "canceled", "canceled by the client before it ran");
        emit_locked(s, JOB_EVENT_QUEUE_MOVED, NULL);
        canceled_queued = true;
        snprintf(task, sizeof task, "%s", j->task);
    } else if (j && j->status == JOB_RUNNING) {
        if (j->stop == JOB_STOP_NONE) j->stop = JOB_STOP_CLIENT;
        *was_running = true;
    }
    json_t *o = j ? render_locked(s, j) : NULL;
    pthread_mutex_unlock(&s->mu);
    if (canceled_queued) metrics_job_finished(s->metrics, task, JOB_CANCELED, -1);
    return o;
}

json_t *job_service_list(job_service *s, const char *owner, int status_filter, size_t limit) {
    job **found = malloc((limit ? limit : 1) * sizeof *found);
    json_t *arr = json_array();
    if (!found || !arr) {
        free(found);
        json_decref(arr);
        return NULL;
    }
    pthread_mutex_lock(&s->mu);
    size_t n = s->store->ops->list(s->store, owner, status_filter, found, limit);
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, render_locked(s, found[i]));
    pthread_mutex_unlock(&s->mu);
    free(found);
    return json_pack("{s:o}", "jobs", arr);
}

void job_service_gauges(job_service *s, metrics_gauges *g) {
    pthread_mutex_lock(&s->mu);
    g->queue_depth = s->queue.len;
    g->in_flight = s->running;
    g->stored_jobs = s->store->ops->count(s->store);
    g->workers = s->workers;
    pthread_mutex_unlock(&s->mu);
}

void job_service_begin_drain(job_service *s) {
    pthread_mutex_lock(&s->mu);
    s->draining = true;
    job *j;
    while ((j = job_queue_pop(&s->queue)) != NULL) {
        owner_counts_add(&s->queued_by_owner, j->owner, -1);
        finish_unrun_locked(s, j, "shutdown", "the server shut down before the job ran");
        /* counted per job, under its own task (metrics never takes s->mu) */
        metrics_job_finished(s->metrics, j->task, JOB_CANCELED, -1);
    }
    pthread_mutex_unlock(&s->mu);
}

bool job_service_wait_idle(job_service *s, double timeout_s) {
    struct timespec dl = deadline_after(timeout_s);
    pthread_mutex_lock(&s->mu);
    while (s->running > 0)
        if (pthread_cond_timedwait(&s->done_cv, &s->mu, &dl) == ETIMEDOUT) break;
    bool idle = s->running == 0;
    pthread_mutex_unlock(&s->mu);
    return idle;
}

void job_service_cancel_running(job_service *s) {
    pthread_mutex_lock(&s->mu);
    /* running jobs number at most the workers (<= 256, see config) */
    job *all[256];
    size_t n = s->store->ops->list(s->store, NULL, JOB_RUNNING, all, 256);
    for (size_t i = 0; i < n; i++)
        if (all[i]->stop == JOB_STOP_NONE) all[i]->stop = JOB_STOP_SHUTDOWN;
    pthread_mutex_unlock(&s->mu);
}

void job_service_shutdown(job_service *s) {
    pthread_mutex_lock(&s->mu);
    s->shutting_down = true;
    pthread_cond_broadcast(&s->work_cv);
    pthread_cond_broadcast(&s->done_cv);
    pthread_mutex_unlock(&s->mu);
}

job *job_service_next(job_service *s) {
    pthread_mutex_lock(&s->mu);
    job *j = NULL;
    while (!s->shutting_down && !(j = job_queue_pop(&s->queue)))
        pthread_cond_wait(&s->work_cv, &s->mu);
    double wait_s = 0;
    if (j) {
        owner_counts_add(&s->queued_by_owner, j->owner, -1);
        j->status = JOB_RUNNING;
        j->started_at = job_service_now();
        wait_s = j->started_at - j->created_at;
        s->running++;
        job_ref(j);
        emit_locked(s, JOB_EVENT_STARTED, j);
        emit_locked(s, JOB_EVENT_QUEUE_MOVED, NULL);
    }
    pthread_mutex_unlock(&s->mu);
    if (j) metrics_job_started(s->metrics, wait_s);
    return j;
}

bool job_service_progress(job_service *s, job *j, int step, int steps) {
    pthread_mutex_lock(&s->mu);
    j->step = step;
    j->steps = steps;
    emit_locked(s, JOB_EVENT_PROGRESS, j);
    if (j->stop == JOB_STOP_NONE && j->timeout_s > 0 &&
        job_service_now() - j->started_at > j->timeout_s)
        j->stop = JOB_STOP_TIMEOUT;
    bool go_on = j->stop == JOB_STOP_NONE;
    pthread_mutex_unlock(&s->mu);
    return go_on;
}

/* A job the engine stopped at a step: say who stopped it. */
static void record_stop(job *j) {
    const char *code = "canceled", *msg = "canceled by the client while running";
    j->status = JOB_CANCELED;
    if (j->stop == JOB_STOP_SHUTDOWN) {
        code = "shutdown";
        msg = "the server shut down while the job ran";
    } else if (j->stop == JOB_STOP_TIMEOUT) {
        j->status = JOB_FAILED;
        code = "timeout";
        msg = "the job ran over its time budget";
    }
    snprintf(j->error_code, sizeof j->error_code, "%s", code);
    if (j->stop == JOB_STOP_TIMEOUT)
        snprintf(j->error_message, sizeof j->error_message, "%s of %g s", msg, j->timeout_s);
    else
        snprintf(j->error_message, sizeof j->error_message, "%s", msg);
}

void job_service_finish(job_service *s, job *j, engine_result *r) {
    pthread_mutex_lock(&s->mu);
    j->finished_at = job_service_now();
    double run_s = j->finished_at - j->started_at;
    if (r->ok) {
        j->status = JOB_SUCCEEDED;
        memcpy(j->results, r->images, sizeof j->results);
        j->n_results = r->n_images;
        j->result_type = r->content_type;
        j->out_width = r->width;
        j->out_height = r->height;
        memset(r->images, 0, sizeof r->images); /* the job owns them now */
        r->n_images = 0;
        s->avg_run_s = 0.8 * s->avg_run_s + 0.2 * run_s;
    } else if (r->canceled) {
        record_stop(j);
    } else {
        j->status = JOB_FAILED;
        snprintf(j->error_code, sizeof j->error_code, "%s",
                 r->error_code ? r->error_code : "internal");
        snprintf(j->error_message, sizeof j->error_message, "%s", r->error_message);
    }
    free(j->input.rgb);
    memset(&j->input, 0, sizeof j->input);
    s->running--;
    job_status final = j->status;
    char task[16];
    snprintf(task, sizeof task, "%s", j->task);
    notify_final_locked(s, j);
    job_unref(j);
    pthread_mutex_unlock(&s->mu);
    metrics_job_finished(s->metrics, task, final, run_s);
}
