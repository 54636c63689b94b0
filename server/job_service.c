/* Job lifecycle. The store keeps what clients see and locks on its own;
 * the service's lock covers the queue of live records, the running count
 * and the listeners. Reads (job JSON, results, lists) and the worker's
 * progress and finish go to the store outside the lock; the queue's moves
 * (queued -> running, queued -> canceled) update the store under it, so a
 * job is never seen queued while it is in no queue. */
#include "job_service.h"
#include "job_queue.h"
#include "job_spec.h"
#include "owner_counts.h"

#include <jansson.h>

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
    int workers;
    size_t running;
    job **active; /* the running live records: `workers` slots, NULL = free */
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
    /* The store's queue is the queue (Redis): jobs go there, not into
     * `queue`, and workers claim them from there, whichever replica took
     * the request. */
    bool shared;
};

/* How long an idle worker waits between claims on the shared queue; a
 * submission on this replica wakes it at once. */
#define CLAIM_POLL_S 0.25

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

/* Shared queue: jobs whose replica died (lease lapsed) run again. */
static void reclaim_lost(job_service *s) {
    size_t requeued = 0, failed = 0;
    if (s->store->ops->reclaim(s->store, job_service_now(), &requeued, &failed) != STORE_OK) return;
    if (requeued + failed == 0) return;
    fprintf(stderr, "i2i-serve: reclaimed %zu lost job(s): %zu queued again, %zu failed\n",
            requeued + failed, requeued, failed);
    metrics_jobs_reclaimed(s->metrics, requeued, failed);
}

/* Removes expired jobs once a second, so memory is bounded by the TTL;
 * with a shared queue, also takes back jobs of replicas that died. */
static void *janitor_main(void *arg) {
    job_service *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->shutting_down) {
        struct timespec dl = deadline_after(1.0);
        pthread_cond_timedwait(&s->work_cv, &s->mu, &dl);
        pthread_mutex_unlock(&s->mu); /* the store locks on its own */
        s->store->ops->expire(s->store, job_service_now());
        if (s->shared) reclaim_lost(s);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

job_service *job_service_create(job_store *store, int queue_max, int workers,
                                int max_queued_per_owner, metrics *m) {
    job_service *s = calloc(1, sizeof *s);
    int slots = workers > 0 ? workers : 1;
    if (s) s->active = calloc((size_t)slots, sizeof *s->active);
    if (!s || !s->active || !job_queue_init(&s->queue, (size_t)queue_max)) {
        if (s) free(s->active);
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
    s->workers = slots;
    s->avg_run_s = 5.0;
    s->metrics = m;
    s->max_queued_per_owner = max_queued_per_owner;
    s->shared = store->ops->claim_next != NULL;
    s->janitor_started = pthread_create(&s->janitor, NULL, janitor_main, s) == 0;
    return s;
}

void job_service_free(job_service *s) {
    if (!s) return;
    job_service_shutdown(s);
    if (s->janitor_started) pthread_join(s->janitor, NULL);
    job *j;
    while ((j = job_queue_pop(&s->queue)) != NULL) /* the queue held the last reference */
        job_unref(j);
    job_queue_free(&s->queue);
    owner_counts_free(&s->queued_by_owner);
    s->store->ops->destroy(s->store);
    free(s->active);
    pthread_cond_destroy(&s->work_cv);
    pthread_cond_destroy(&s->done_cv);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static int retry_after_locked(const job_service *s) {
    /* shared: the queue that is full is the cluster's, not held here */
    size_t queued = s->shared ? s->queue.cap : s->queue.len;
    double backlog = (double)(queued + s->running) / s->workers;
    double secs = ceil(backlog * s->avg_run_s / (double)s->queue.cap);
    if (secs < 1) secs = 1;
    return secs > 300 ? 300 : (int)secs;
}

static submit_result store_failure(store_rc rc) {
    return rc == STORE_NOMEM ? SUBMIT_NOMEM : SUBMIT_STORE_UNAVAILABLE;
}

/* The earlier job of an Idempotency-Key: the same request replays it, any
 * other conflicts. A job since let go no longer holds the key. */
static submit_result replay_or_conflict(job_service *s, const char *id, uint64_t hash,
                                        char id_out[37]) {
    job_meta m;
    job_meta_init(&m);
    store_rc rc = s->store->ops->get(s->store, id, NULL, &m);
    submit_result out = SUBMIT_CREATED;
    if (rc == STORE_OK)
        out = m.request_hash != hash ? SUBMIT_IDEMPOTENCY_CONFLICT : SUBMIT_REPLAYED;
    else if (rc != STORE_NOT_FOUND && rc != STORE_EXPIRED && rc != STORE_EVICTED)
        out = store_failure(rc);
    if (out == SUBMIT_REPLAYED) memcpy(id_out, m.id, 37);
    job_meta_clear(&m);
    return out;
}

/* A new live record holding the request; NULL when out of memory. */
static job *make_job(job_request *req, const job_resolved *res, i2i_image *input,
                     const char *owner) {
    job *j = job_new();
    if (!j) return NULL;
    snprintf(j->task, sizeof j->task, "%s", res->task->name);
    snprintf(j->owner, sizeof j->owner, "%s", owner);
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
    j->timeout_s = res->timeout_s;
    memset(input, 0, sizeof *input);
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

/* The stored record of a new job; false when out of memory. */
static bool make_meta(const job *j, const job_resolved *res, const char *idempotency_key,
                      uint64_t request_hash, job_meta *m) {
    job_meta_init(m);
    memcpy(m->id, j->id, sizeof m->id);
    memcpy(m->task, j->task, sizeof m->task);
    memcpy(m->owner, j->owner, sizeof m->owner);
    snprintf(m->profile, sizeof m->profile, "%s", res->profile);
    m->status = JOB_QUEUED;
    m->steps = j->steps;
    m->created_at = j->created_at;
    m->request_hash = request_hash;
    if (idempotency_key)
        snprintf(m->idempotency_key, sizeof m->idempotency_key, "%s", idempotency_key);
    m->input_width = res->params.output_width;
    m->input_height = res->params.output_height;
    m->working_width = j->input.width;
    m->working_height = j->input.height;
    json_t *params = job_resolved_json(&j->resolved); /* its texts are the job's now */
    m->params_json = params ? json_dumps(params, JSON_COMPACT) : NULL;
    json_decref(params);
    return m->params_json != NULL;
}

/* Why a new job cannot be queued now, or SUBMIT_CREATED. */
static submit_result admission_locked(job_service *s, const char *owner, int *retry_after_s) {
    if (s->draining) return SUBMIT_DRAINING;
    if (s->shared) return SUBMIT_CREATED; /* the store's put bounds the shared queue */
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

static void emit_locked(job_service *s, job_event_kind kind, job *j) {
    job_event ev = {.kind = kind,
                    .job_id = j ? j->id : "",
                    .step = j ? j->step : 0,
                    .steps = j ? j->steps : 0,
                    .job = j};
    for (int i = 0; i < JOB_EVENT_MAX_LISTENERS; i++)
        if (s->listeners[i].fn) s->listeners[i].fn(s->listeners[i].ctx, &ev);
}

/* Shared queue: the store holds the job and its run spec; the live record
 * is rebuilt by whichever replica claims it, so this one is let go. */
static submit_result enqueue_shared_locked(job_service *s, job *j, job_meta *m, uint64_t hash,
                                           char id_out[37], int *retry_after_s) {
    char first[37] = "";
    store_blob spec;
    if (!job_spec_encode(j, &spec)) return SUBMIT_NOMEM;
    store_rc rc = s->store->ops->put(s->store, m, &spec, first);
    store_blob_free(&spec);
    if (rc == STORE_EXISTS) return replay_or_conflict(s, first, hash, id_out);
    if (rc == STORE_QUEUE_FULL || rc == STORE_FULL) {
        *retry_after_s = retry_after_locked(s);
        return SUBMIT_QUEUE_FULL;
    }
    if (rc != STORE_OK) return store_failure(rc);
    pthread_cond_broadcast(&s->work_cv); /* an idle worker here claims it now */
    emit_locked(s, JOB_EVENT_QUEUED, j);
    memcpy(id_out, j->id, 37);
    job_unref(j);
    return SUBMIT_CREATED;
}

/* Stores and queues j; SUBMIT_CREATED (the queue holds j now), or why not. */
static submit_result enqueue_locked(job_service *s, job *j, job_meta *m, uint64_t hash,
                                    char id_out[37], int *retry_after_s) {
    char first[37] = "";
    if (s->shared) return enqueue_shared_locked(s, j, m, hash, id_out, retry_after_s);
    if (!owner_counts_add(&s->queued_by_owner, j->owner, 1)) return SUBMIT_NOMEM;
    store_rc rc = s->store->ops->put(s->store, m, NULL, first);
    if (rc != STORE_OK) {
        owner_counts_add(&s->queued_by_owner, j->owner, -1);
        if (rc == STORE_EXISTS) return replay_or_conflict(s, first, hash, id_out);
        if (rc != STORE_FULL) return store_failure(rc);
        *retry_after_s = retry_after_locked(s); /* every stored job is unfinished */
        return SUBMIT_QUEUE_FULL;
    }
    job_queue_push(&s->queue, j);
    pthread_cond_broadcast(&s->work_cv);
    emit_locked(s, JOB_EVENT_QUEUED, j);
    memcpy(id_out, j->id, 37);
    return SUBMIT_CREATED;
}

static submit_result create_locked(job_service *s, job_request *req, const job_resolved *res,
                                   i2i_image *input, const char *owner, const char *key,
                                   uint64_t hash, char id_out[37], int *retry_after_s) {
    job *j = make_job(req, res, input, owner);
    if (!j) return SUBMIT_NOMEM;
    job_meta m;
    submit_result out = make_meta(j, res, key, hash, &m)
                            ? enqueue_locked(s, j, &m, hash, id_out, retry_after_s)
                            : SUBMIT_NOMEM;
    job_meta_clear(&m);
    if (out != SUBMIT_CREATED) unmake_job(j, req, input);
    return out;
}

static void count_submission(job_service *s, const char *task, submit_result out) {
    if (out == SUBMIT_CREATED)
        metrics_job_submitted(s->metrics, task);
    else if (out == SUBMIT_QUEUE_FULL)
        metrics_job_rejected(s->metrics, task, "queue_full");
    else if (out == SUBMIT_QUOTA_EXCEEDED)
        metrics_job_rejected(s->metrics, task, "quota_exceeded");
    else if (out == SUBMIT_DRAINING)
        metrics_job_rejected(s->metrics, task, "draining");
}

/* The lock spans the key's lookup, admission and the store's put, so two
 * submissions of one key cannot both create (the put's own check backs
 * this up for stores shared between replicas). */
submit_result job_service_submit(job_service *s, job_request *req, const job_resolved *res,
                                 i2i_image *input, const char *owner, const char *idempotency_key,
                                 uint64_t request_hash, char id_out[37], int *retry_after_s) {
    const char *who = owner ? owner : "";
    const char *key = idempotency_key && *idempotency_key ? idempotency_key : NULL;
    char first[37] = "";
    pthread_mutex_lock(&s->mu);
    store_rc rc = key ? s->store->ops->find_idempotent(s->store, who, key, first) : STORE_NOT_FOUND;
    submit_result out = rc == STORE_OK          ? replay_or_conflict(s, first, request_hash, id_out)
                        : rc == STORE_NOT_FOUND ? SUBMIT_CREATED
                                                : store_failure(rc);
    if (out == SUBMIT_CREATED) out = admission_locked(s, who, retry_after_s);
    if (out == SUBMIT_CREATED)
        out = create_locked(s, req, res, input, who, key, request_hash, id_out, retry_after_s);
    pthread_mutex_unlock(&s->mu);
    count_submission(s, res->task->name, out);
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

/* Wakes everything waiting on j (its final status is in the store now):
 * blocked waiters and the listeners. */
static void notify_final_locked(job_service *s, job *j) {
    pthread_cond_broadcast(&s->done_cv);
    emit_locked(s, JOB_EVENT_FINAL, j);
}

/* A copy of the stored job, or why not. Another owner's job is not found:
 * tenants cannot tell it exists. */
static lookup_result lookup(job_service *s, const char *id, const char *owner, job_meta *m) {
    job_meta_init(m);
    switch (s->store->ops->get(s->store, id, owner, m)) {
    case STORE_OK:
        return LOOKUP_FOUND;
    case STORE_EXPIRED:
        return LOOKUP_EXPIRED;
    case STORE_EVICTED:
        return LOOKUP_EVICTED;
    case STORE_NOT_FOUND:
        return LOOKUP_NOT_FOUND;
    default:
        return LOOKUP_UNAVAILABLE;
    }
}

static int queue_position_locked(job_service *s, const job_meta *m) {
    if (m->status != JOB_QUEUED) return -1;
    const job *j = job_queue_find(&s->queue, m->id);
    return j ? job_queue_position(&s->queue, j) : -1;
}

static json_t *render(job_service *s, const job_meta *m) {
    job_view v;
    job_meta_fill_view(m, &v);
    if (m->status == JOB_QUEUED) {
        pthread_mutex_lock(&s->mu);
        v.queue_position = queue_position_locked(s, m);
        pthread_mutex_unlock(&s->mu);
    }
    return job_view_json(&v);
}

bool job_service_is_settled(job_service *s, const char *id) {
    job_meta m;
    bool settled = lookup(s, id, NULL, &m) != LOOKUP_FOUND || job_status_is_final(m.status);
    job_meta_clear(&m);
    return settled;
}

json_t *job_service_job_json(job_service *s, const char *id, const char *owner, lookup_result *lr) {
    job_meta m;
    *lr = lookup(s, id, owner, &m);
    json_t *o = *lr == LOOKUP_FOUND ? render(s, &m) : NULL;
    job_meta_clear(&m);
    return o;
}

/* The stored type is a copy; callers get the static name it spells. */
static const char *static_type(const char *t) {
    static const char *const known[] = {"image/png", "image/jpeg", "image/webp"};
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (strcmp(t, known[i]) == 0) return known[i];
    return "application/octet-stream";
}

lookup_result job_service_result(job_service *s, const char *id, const char *owner, int index,
                                 job_status *status, job_result_copy *out) {
    job_meta m;
    memset(out, 0, sizeof *out);
    lookup_result lr = lookup(s, id, owner, &m);
    if (lr == LOOKUP_FOUND) {
        *status = m.status;
        out->count = m.status == JOB_SUCCEEDED ? m.result_count : 0;
        store_blob b = {0};
        if (index >= 0 && index < out->count &&
            s->store->ops->get_result(s->store, id, index, &b) == STORE_OK) {
            out->bytes = b.bytes;
            out->len = b.len;
            out->content_type = static_type(m.result_type);
        }
    }
    job_meta_clear(&m);
    return lr;
}

/* Marks a queued job that never reaches the engine as final. */
static void finish_unrun_locked(job_service *s, job *j, const char *code, const char *msg) {
    job_update u = {.from = JOB_QUEUED,
                    .to = JOB_CANCELED,
                    .at = job_service_now(),
                    .error_code = code,
                    .error_message = msg};
    store_rc rc = s->store->ops->update_status(s->store, j->id, &u);
    if (rc != STORE_OK) fprintf(stderr, "i2i-serve: job %s: store: %s\n", j->id, store_rc_name(rc));
    owner_counts_add(&s->queued_by_owner, j->owner, -1);
    notify_final_locked(s, j);
    metrics_job_finished(s->metrics, j->task, JOB_CANCELED, -1); /* metrics never takes s->mu */
    job_unref(j);                                                /* the queue's reference */
}

/* Shared queue: a queued job is canceled in the store (compare-and-set: a
 * worker that claimed it first wins, and then gets the flag instead). */
static bool cancel_shared(job_service *s, const job_meta *m, const char *owner) {
    if (m->status == JOB_QUEUED) {
        job_update u = {.from = JOB_QUEUED,
                        .to = JOB_CANCELED,
                        .at = job_service_now(),
                        .error_code = "canceled",
                        .error_message = "canceled by the client before it ran"};
        if (s->store->ops->update_status(s->store, m->id, &u) == STORE_OK) {
            pthread_mutex_lock(&s->mu);
            pthread_cond_broadcast(&s->done_cv);
            job_event ev = {.kind = JOB_EVENT_FINAL, .job_id = m->id};
            for (int i = 0; i < JOB_EVENT_MAX_LISTENERS; i++)
                if (s->listeners[i].fn) s->listeners[i].fn(s->listeners[i].ctx, &ev);
            pthread_mutex_unlock(&s->mu);
            metrics_job_finished(s->metrics, m->task, JOB_CANCELED, -1);
            return false;
        }
    }
    return s->store->ops->request_cancel(s->store, m->id, owner) == STORE_OK;
}

/* Cancels a queued job here, or asks a running one to stop at its next
 * step (the flag is the store's, so the worker sees it wherever it runs). */
static bool cancel_stored(job_service *s, const job_meta *m, const char *owner) {
    if (s->shared) return cancel_shared(s, m, owner);
    pthread_mutex_lock(&s->mu);
    job *j = m->status == JOB_QUEUED ? job_queue_find(&s->queue, m->id) : NULL;
    if (j) {
        job_queue_remove(&s->queue, j);
        finish_unrun_locked(s, j, "canceled", "canceled by the client before it ran");
        emit_locked(s, JOB_EVENT_QUEUE_MOVED, NULL);
    }
    pthread_mutex_unlock(&s->mu);
    /* not queued here (any more): running, or it just started */
    return !j && !job_status_is_final(m->status) &&
           s->store->ops->request_cancel(s->store, m->id, owner) == STORE_OK;
}

json_t *job_service_cancel(job_service *s, const char *id, const char *owner, lookup_result *lr,
                           bool *was_running) {
    job_meta m;
    *was_running = false;
    *lr = lookup(s, id, owner, &m);
    if (*lr == LOOKUP_FOUND && !job_status_is_final(m.status)) {
        *was_running = cancel_stored(s, &m, owner);
        job_meta_clear(&m);
        *lr = lookup(s, id, owner, &m); /* render what the cancel left */
    }
    json_t *o = *lr == LOOKUP_FOUND ? render(s, &m) : NULL;
    job_meta_clear(&m);
    return o;
}

json_t *job_service_list(job_service *s, const char *owner, int status_filter, size_t limit) {
    size_t cap = limit ? limit : 1, n = 0;
    job_meta *found = calloc(cap, sizeof *found);
    json_t *arr = json_array();
    store_query q = {.owner = owner, .status = status_filter, .limit = limit};
    uint64_t next = 0;
    store_rc rc = found && arr ? s->store->ops->list(s->store, &q, found, &n, &next) : STORE_NOMEM;
    for (size_t i = 0; i < n; i++) {
        json_array_append_new(arr, render(s, &found[i]));
        job_meta_clear(&found[i]);
    }
    free(found);
    if (rc != STORE_OK) {
        json_decref(arr);
        return NULL;
    }
    return json_pack("{s:o}", "jobs", arr);
}

void job_service_gauges(job_service *s, metrics_gauges *g) {
    size_t stored = 0;
    s->store->ops->count(s->store, &stored);
    size_t shared_depth = 0;
    bool depth_ok = s->shared && s->store->ops->queue_depth(s->store, &shared_depth) == STORE_OK;
    pthread_mutex_lock(&s->mu);
    g->shared_queue = s->shared;
    g->shared_queue_depth = depth_ok ? shared_depth : 0;
    g->queue_depth = s->queue.len;
    g->in_flight = s->running;
    g->stored_jobs = stored;
    g->workers = s->workers;
    pthread_mutex_unlock(&s->mu);
}

bool job_service_shared_queue(job_service *s) {
    return s->shared;
}

/* Shared queue: nothing is queued here (the local queue stays empty), so
 * the queued jobs stay in the store for the other replicas; workers stop
 * claiming once draining is set. */
void job_service_begin_drain(job_service *s) {
    pthread_mutex_lock(&s->mu);
    s->draining = true;
    job *j;
    while ((j = job_queue_pop(&s->queue)) != NULL)
        finish_unrun_locked(s, j, "shutdown", "the server shut down before the job ran");
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
    for (int i = 0; i < s->workers; i++)
        if (s->active[i] && s->active[i]->stop == JOB_STOP_NONE)
            s->active[i]->stop = JOB_STOP_SHUTDOWN;
    pthread_mutex_unlock(&s->mu);
}

void job_service_shutdown(job_service *s) {
    pthread_mutex_lock(&s->mu);
    s->shutting_down = true;
    pthread_cond_broadcast(&s->work_cv);
    pthread_cond_broadcast(&s->done_cv);
    pthread_mutex_unlock(&s->mu);
}

static void set_active_locked(job_service *s, job *from, job *to) {
    for (int i = 0; i < s->workers; i++)
        if (s->active[i] == from) {
            s->active[i] = to;
            return;
        }
}

/* Queued -> running in the store; false (the job is dropped) when the store
 * refused, e.g. it was let go or canceled by another replica. */
static bool start_locked(job_service *s, job *j) {
    owner_counts_add(&s->queued_by_owner, j->owner, -1);
    j->status = JOB_RUNNING;
    j->started_at = job_service_now();
    j->attempt = 1;
    job_update u = {.from = JOB_QUEUED, .to = JOB_RUNNING, .at = j->started_at, .attempt = 1};
    store_rc rc = s->store->ops->update_status(s->store, j->id, &u);
    if (rc == STORE_OK) return true;
    fprintf(stderr, "i2i-serve: job %s not started: store: %s\n", j->id, store_rc_name(rc));
    job_unref(j);
    return false;
}

/* The claimed job's live record, rebuilt from its stored spec; NULL when
 * nothing was claimed. A spec that cannot be read fails the job (another
 * replica could not read it either). */
static job *claim_shared(job_service *s) {
    job_meta m;
    store_blob spec;
    store_rc rc = s->store->ops->claim_next(s->store, job_service_now(), &m, &spec);
    if (rc != STORE_OK) return NULL;
    job *j = job_spec_decode(&m, &spec);
    if (!j) {
        fprintf(stderr, "i2i-serve: job %s: unreadable run spec\n", m.id);
        job_update u = {.from = JOB_RUNNING,
                        .to = JOB_FAILED,
                        .at = job_service_now(),
                        .attempt = m.attempt,
                        .error_code = "internal",
                        .error_message = "the job's stored input could not be read"};
        s->store->ops->update_status(s->store, m.id, &u);
    }
    job_meta_clear(&m);
    store_blob_free(&spec);
    return j;
}

/* Waits for and claims a job from the shared queue (the lock is dropped
 * around the store's round trip). */
static job *next_shared_locked(job_service *s) {
    job *j = NULL;
    while (!s->shutting_down && !j) {
        if (!s->draining) {
            pthread_mutex_unlock(&s->mu);
            j = claim_shared(s);
            pthread_mutex_lock(&s->mu);
        }
        if (j && s->shutting_down) { /* not run: its lease lapses, another replica takes it */
            job_unref(j);
            return NULL;
        }
        if (!j) {
            struct timespec dl = deadline_after(CLAIM_POLL_S);
            pthread_cond_timedwait(&s->work_cv, &s->mu, &dl);
        }
    }
    return j;
}

/* The queue's reference becomes the worker's. */
job *job_service_next(job_service *s) {
    pthread_mutex_lock(&s->mu);
    job *j = s->shared ? next_shared_locked(s) : NULL;
    while (!s->shared && !s->shutting_down && !j) {
        j = job_queue_pop(&s->queue);
        if (!j)
            pthread_cond_wait(&s->work_cv, &s->mu);
        else if (!start_locked(s, j))
            j = NULL;
    }
    double wait_s = 0;
    if (j) {
        wait_s = j->started_at - j->created_at;
        s->running++;
        set_active_locked(s, NULL, j);
        emit_locked(s, JOB_EVENT_STARTED, j);
        emit_locked(s, JOB_EVENT_QUEUE_MOVED, NULL);
    }
    pthread_mutex_unlock(&s->mu);
    if (j) metrics_job_started(s->metrics, wait_s);
    return j;
}

bool job_service_progress(job_service *s, job *j, int step, int steps) {
    bool cancel = false;
    store_rc rc = s->store->ops->update_progress(s->store, j->id, step, steps, &cancel);
    pthread_mutex_lock(&s->mu);
    j->step = step;
    j->steps = steps;
    emit_locked(s, JOB_EVENT_PROGRESS, j);
    if (j->stop == JOB_STOP_NONE && rc == STORE_OK && cancel) j->stop = JOB_STOP_CLIENT;
    if (j->stop == JOB_STOP_NONE && s->shared && (rc == STORE_CONFLICT || rc == STORE_NOT_FOUND))
        j->stop = JOB_STOP_LOST; /* reclaimed (or let go): this run's work is no one's now */
    if (j->stop == JOB_STOP_NONE && j->timeout_s > 0 &&
        job_service_now() - j->started_at > j->timeout_s)
        j->stop = JOB_STOP_TIMEOUT;
    bool go_on = j->stop == JOB_STOP_NONE;
    pthread_mutex_unlock(&s->mu);
    return go_on;
}

/* A job the engine stopped at a step: say who stopped it. */
static void record_stop(const job *j, job_update *u, char *msg, size_t msglen) {
    u->to = JOB_CANCELED;
    u->error_code = "canceled";
    snprintf(msg, msglen, "canceled by the client while running");
    if (j->stop == JOB_STOP_SHUTDOWN) {
        u->error_code = "shutdown";
        snprintf(msg, msglen, "the server shut down while the job ran");
    } else if (j->stop == JOB_STOP_TIMEOUT) {
        u->to = JOB_FAILED;
        u->error_code = "timeout";
        snprintf(msg, msglen, "the job ran over its time budget of %g s", j->timeout_s);
    }
    u->error_message = msg;
}

/* The store's final record of what the engine answered. */
static store_rc store_final(job_service *s, job *j, const engine_result *r, double at,
                            job_status *final) {
    store_blob blobs[ENGINE_RUNNER_MAX_IMAGES] = {{0}};
    uint64_t seeds[ENGINE_RUNNER_MAX_IMAGES] = {0};
    char msg[256];
    job_update u = {.from = JOB_RUNNING, .to = JOB_FAILED, .at = at, .attempt = j->attempt};
    if (r->ok) {
        for (int i = 0; i < r->n_images; i++) {
            blobs[i] = (store_blob){r->images[i].bytes, r->images[i].len};
            seeds[i] = r->images[i].seed;
        }
        u = (job_update){.from = JOB_RUNNING,
                         .to = JOB_SUCCEEDED,
                         .at = at,
                         .attempt = j->attempt,
                         .result_count = r->n_images,
                         .result_type = r->content_type,
                         .result_width = r->width,
                         .result_height = r->height,
                         .result_seeds = seeds,
                         .results = blobs};
    } else if (r->canceled) {
        record_stop(j, &u, msg, sizeof msg);
    } else {
        u.error_code = r->error_code ? r->error_code : "internal";
        u.error_message = r->error_message;
    }
    *final = u.to;
    return s->store->ops->update_status(s->store, j->id, &u);
}

void job_service_finish(job_service *s, job *j, engine_result *r) {
    double at = job_service_now();
    double run_s = at - j->started_at;
    job_status final = JOB_CANCELED;
    bool lost = j->stop == JOB_STOP_LOST;
    store_rc rc = lost ? STORE_OK : store_final(s, j, r, at, &final);
    if (lost) fprintf(stderr, "i2i-serve: job %s: lease lost, run abandoned\n", j->id);
    if (rc != STORE_OK) {
        fprintf(stderr, "i2i-serve: job %s: result not stored: %s\n", j->id, store_rc_name(rc));
        if (rc == STORE_NOMEM) { /* say so rather than leave it running */
            job_update u = {.from = JOB_RUNNING,
                            .to = JOB_FAILED,
                            .at = at,
                            .error_code = "internal",
                            .error_message = "out of memory"};
            if (s->store->ops->update_status(s->store, j->id, &u) == STORE_OK) final = JOB_FAILED;
        }
    }
    free(j->input.rgb);
    memset(&j->input, 0, sizeof j->input);
    pthread_mutex_lock(&s->mu);
    if (final == JOB_SUCCEEDED) s->avg_run_s = 0.8 * s->avg_run_s + 0.2 * run_s;
    s->running--;
    set_active_locked(s, j, NULL);
    if (!lost) notify_final_locked(s, j);
    pthread_mutex_unlock(&s->mu);
    if (!lost) metrics_job_finished(s->metrics, j->task, final, run_s);
    job_unref(j);
}
