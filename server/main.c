/* i2i-serve: configuration, start-up (the HTTP side comes up first so
 * /healthz answers while the bundle loads), signal handling and the drain. */
#include "access_log.h"
#include "app.h"
#include "i2i_engine.h"
#include "config.h"
#include "engine_runner.h"
#include "http_server.h"
#include "job_service.h"
#include "job_store.h"
#include "metrics.h"
#include "profiles.h"
#include "webhook_jobs.h"
#include "worker_pool.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Expired or evicted ids remembered for 410 answers (48 bytes each). */
#define EXPIRED_IDS_REMEMBERED 65536
#define CANCEL_GRACE_S 10.0
/* Answers still being sent after the drain get what is left of the drain
 * timeout, and at least this much. */
#define SEND_GRACE_MIN_S 5.0
/* Webhook deliveries still queued at exit get this long. */
#define WEBHOOK_GRACE_S 5.0

typedef struct loader {
    app *app;
    engine_runner *engine;
    worker_pool *pool;
    profile_set *costed; /* the profiles with their cost on this bundle */
    char error[512];
    pthread_t thread;
} loader;

/* A copy of the profiles with their cost on the loaded bundle, published
 * for GET /v1/profiles. A profile deeper than the model is a configuration
 * error: the load fails rather than jobs failing one by one later. */
static bool cost_profiles(loader *l) {
    l->costed = malloc(sizeof *l->costed);
    if (!l->costed) {
        snprintf(l->error, sizeof l->error, "out of memory");
        return false;
    }
    *l->costed = *atomic_load(&l->app->profiles);
    char err[400];
    if (engine_runner_profile_cost(l->engine, l->costed, err, sizeof err) != 0) {
        snprintf(l->error, sizeof l->error, "profiles do not fit the bundle: %s", err);
        return false;
    }
    atomic_store(&l->app->profiles, l->costed);
    return true;
}

/* Publishes what each bundle serves (readiness per task, /metrics) and
 * logs its memory. */
static void publish_bundles(loader *l) {
    app *a = l->app;
    size_t n = engine_runner_count(l->engine);
    if (n > sizeof a->bundles / sizeof a->bundles[0]) n = sizeof a->bundles / sizeof a->bundles[0];
    for (size_t i = 0; i < n; i++) {
        engine_bundle_info info;
        engine_runner_info(l->engine, i, &info);
        a->bundles[i] = (metrics_bundle){info.task, info.dir,   info.resident_bytes,
                                         info.mem,  info.n_mem, info.dtype};
        char msg[1400];
        int len =
            snprintf(msg, sizeof msg, "%s: task %s, %.1f MiB of weights resident (%s:", info.dir,
                     info.task, info.resident_bytes / (1024.0 * 1024.0), info.dtype);
        for (int k = 0; k < info.n_mem && len > 0 && (size_t)len < sizeof msg; k++)
            len += snprintf(msg + len, sizeof msg - (size_t)len, " %s %.1f MiB",
                            info.mem[k].network, info.mem[k].bytes / (1024.0 * 1024.0));
        if (len > 0 && (size_t)len < sizeof msg) snprintf(msg + len, sizeof msg - (size_t)len, ")");
        access_log_event("bundle", msg);
    }
    atomic_store(&a->engine, l->engine);
    atomic_store(&a->n_bundles, n);
}

static void *load_main(void *arg) {
    loader *l = arg;
    l->engine = engine_runner_load(l->app->cfg->bundle_dirs, l->app->cfg->models_dir, l->error,
                                   sizeof l->error);
    if (!l->engine || !cost_profiles(l)) {
        atomic_store(&l->app->state, APP_FAILED);
        return NULL;
    }
    publish_bundles(l);
    l->pool = worker_pool_start(l->app->jobs, l->engine, l->app->cfg->workers,
                                l->app->cfg->threads_per_worker);
    int expected = APP_LOADING; /* a SIGTERM during loading keeps DRAINING */
    atomic_compare_exchange_strong(&l->app->state, &expected, APP_READY);
    char msg[200];
    snprintf(msg, sizeof msg, "%zu bundle(s), %d workers", engine_runner_count(l->engine),
             l->app->cfg->workers);
    access_log_event("ready", msg);
    return NULL;
}

/* Waits for SIGTERM/SIGINT (blocked in every thread, so only this sigwait
 * sees them) or for the loader to fail. Returns the exit code to use if the
 * loader failed, 0 for a signal. */
static int wait_for_stop(app *a) {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    struct timespec poll = {0, 200 * 1000 * 1000};
    for (;;) {
        int sig = sigtimedwait(&set, NULL, &poll);
        if (sig == SIGTERM || sig == SIGINT) {
            access_log_event("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT");
            return 0;
        }
        if (atomic_load(&a->state) == APP_FAILED) return 1;
    }
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Returns the seconds left for answers in flight. */
static double drain(app *a, double timeout_s) {
    double t0 = now_s();
    atomic_store(&a->state, APP_DRAINING);
    job_service_begin_drain(a->jobs);
    access_log_event("drain",
                     job_service_shared_queue(a->jobs)
                         ? "readiness 503; queued jobs stay in the shared queue; waiting "
                           "for running jobs"
                         : "readiness 503; queued jobs canceled; waiting for running jobs");
    if (!job_service_wait_idle(a->jobs, timeout_s)) {
        access_log_event("drain", "timeout: canceling running jobs");
        job_service_cancel_running(a->jobs);
        job_service_wait_idle(a->jobs, CANCEL_GRACE_S);
    }
    double left = timeout_s - (now_s() - t0);
    return left > SEND_GRACE_MIN_S ? left : SEND_GRACE_MIN_S;
}

/* --profiles / I2I_PROFILES, else ./profiles, else the source tree's
 * profiles/ (when the build defines I2I_PROFILES_DIR), else built-in. */
static profile_set *load_profiles(const server_config *cfg) {
    static const char *const fallback_dirs[] = {"profiles",
#ifdef I2I_PROFILES_DIR
                                                I2I_PROFILES_DIR,
#endif
                                                NULL};
    profile_set *set = malloc(sizeof *set);
    char from[1100], err[600];
    if (!set) {
        fprintf(stderr, "i2i-serve: out of memory\n");
        return NULL;
    }
    if (api_profiles_load(set, cfg->profiles_dir, fallback_dirs, NULL, from, sizeof from, err,
                          sizeof err) != 0) {
        fprintf(stderr, "i2i-serve: %s\n", err);
        free(set);
        return NULL;
    }
    char names[600], msg[1800];
    api_profiles_names(set, NULL, names, sizeof names);
    snprintf(msg, sizeof msg, "%s: %s", from, names);
    access_log_event("profiles", msg);
    return set;
}

static job_store *open_store(const server_config *cfg, char *err, size_t errlen) {
    job_store_config sc;
    job_store_config_defaults(&sc);
    sc.cap = (size_t)cfg->max_jobs;
    sc.ttl_s = cfg->job_ttl_s;
    sc.tombstones = EXPIRED_IDS_REMEMBERED;
    snprintf(sc.prefix, sizeof sc.prefix, "%s", cfg->store_prefix);
    sc.queue_max = (size_t)cfg->queue_max; /* Redis: the bound is the cluster's */
    sc.lease_s = cfg->lease_s;
    sc.max_attempts = cfg->max_attempts;
    return job_store_open(cfg->store, &sc, err, errlen);
}

static int run(server_config *cfg) {
    static result_urls urls; /* checked before anything starts: a bad URL is configuration */
    char uerr[300];
    if (!result_urls_init(&urls, cfg->public_url, cfg->url_secret, cfg->result_url_ttl_s,
                          cfg->api_keys[0] || cfg->admin_key[0], uerr, sizeof uerr)) {
        fprintf(stderr, "i2i-serve: %s\n", uerr);
        return 2;
    }
    if (!access_log_open(cfg->access_log)) {
        fprintf(stderr, "i2i-serve: cannot open access log %s\n", cfg->access_log);
        return 2;
    }
    profile_set *profiles = load_profiles(cfg);
    if (!profiles) {
        access_log_close();
        return 2;
    }
    metrics *m = metrics_create();
    char serr[300] = "out of memory";
    job_store *store = open_store(cfg, serr, sizeof serr);
    job_service *jobs = store && m ? job_service_create(store, cfg->queue_max, cfg->workers,
                                                        cfg->max_queued_per_key, m)
                                   : NULL;
    if (!jobs) {
        fprintf(stderr, "i2i-serve: %s\n", store ? "out of memory" : serr);
        if (store && !m) store->ops->destroy(store); /* else job_service_create took it */
        metrics_free(m);
        access_log_close();
        free(profiles);
        return store ? 1 : 2;
    }
    static app a; /* holds the bundle table; static keeps it off the stack */
    a = (app){.cfg = cfg, .jobs = jobs, .metrics = m, .urls = urls};
    if (job_service_shared_queue(jobs) && cfg->max_queued_per_key > 0) /* STORE.md: not built */
        access_log_event("config", "--max-queued-per-key is not applied with the shared queue");
    atomic_init(&a.n_bundles, 0);
    atomic_init(&a.engine, NULL);
    atomic_init(&a.profiles, profiles);
    atomic_init(&a.state, APP_LOADING);
    char err[512];
    a.webhooks = webhook_jobs_start(&a, err, sizeof err);
    http_server *http = a.webhooks ? http_server_start(&a, err, sizeof err) : NULL;
    if (!http) {
        fprintf(stderr, "i2i-serve: %s\n", err);
        webhook_jobs_stop(a.webhooks, 0);
        job_service_free(jobs);
        metrics_free(m);
        free(profiles);
        return 1;
    }
    char where[300];
    snprintf(where, sizeof where, "%s:%d", cfg->host, http_server_port(http));
    access_log_event("listening", where);

    loader l = {.app = &a};
    pthread_create(&l.thread, NULL, load_main, &l);
    int code = wait_for_stop(&a);
    if (code != 0) fprintf(stderr, "i2i-serve: cannot load bundle: %s\n", l.error);
    pthread_join(l.thread, NULL); /* a load in progress finishes first */
    double send_grace = code == 0 ? drain(&a, cfg->drain_timeout_s) : 0;
    http_server_stop(http, send_grace);
    job_service_shutdown(jobs);
    worker_pool_join(l.pool);
    webhook_jobs_stop(a.webhooks, WEBHOOK_GRACE_S); /* the last completed events go out */
    engine_runner_free(l.engine);
    job_service_free(jobs);
    metrics_free(m);
    free(l.costed);
    free(profiles);
    access_log_event("exit", code == 0 ? "drained" : "bundle load failed");
    access_log_close();
    return code;
}

int main(int argc, char **argv) {
    static server_config cfg; /* large: keep it off the stack */
    i2i_runtime_init();
    config_defaults(&cfg);
    char err[512];
    switch (config_load(&cfg, argc, argv, stdout, err, sizeof err)) {
    case CONFIG_EXIT_HELP:
        return 0;
    case CONFIG_ERROR:
        fprintf(stderr, "i2i-serve: %s\n", err);
        return 2;
    default:
        break;
    }
    /* Block the stop signals before any thread exists: every thread
     * inherits the mask and only wait_for_stop() receives them. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    return run(&cfg);
}
