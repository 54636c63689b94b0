/* The job store contract against Redis: starts its own redis-server on a
 * free loopback port in a temporary directory (no persistence) and stops
 * it at the end. Exits 77 (skipped) when redis-server is not installed or
 * the build has no Redis store (hiredis missing). Also checks that a Redis
 * that is down gives errors promptly, and that the store reconnects. */
#define _GNU_SOURCE /* mkdtemp */
#include "store_contract.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct redis_server {
    pid_t pid;
    int port;
    char dir[64];
} redis_server;

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool find_in_path(const char *name, char *out, size_t outlen) {
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s:/usr/bin:/usr/sbin", path ? path : "");
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(out, outlen, "%s/%s", d, name);
        if (access(out, X_OK) == 0) return true;
    }
    return false;
}

static int free_port(void) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    int port = -1;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0) close(fd);
    return port;
}

static bool server_start(redis_server *r, const char *bin) {
    char port[16];
    snprintf(port, sizeof port, "%d", r->port);
    r->pid = fork();
    if (r->pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* no redis-server outlives a crashed test */
        execl(bin, bin, "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
              "--dir", r->dir, "--loglevel", "warning", (char *)NULL);
        _exit(127);
    }
    return r->pid > 0;
}

static void server_stop(redis_server *r) {
    if (r->pid <= 0) return;
    kill(r->pid, SIGTERM);
    waitpid(r->pid, NULL, 0);
    r->pid = 0;
}

/* Waits until s answers (the server is up and the store reconnected). */
static bool store_answers(job_store *s, double within_s) {
    size_t n;
    for (double end = now_s() + within_s; now_s() < end; usleep(50 * 1000))
        if (s->ops->count(s, &n) == STORE_OK) return true;
    return false;
}

typedef struct redis_ctx {
    char url[64];
    int serial;
} redis_ctx;

static job_store *make_redis(const job_store_config *c, void *ctx) {
    redis_ctx *x = ctx;
    job_store_config mine = *c;
    snprintf(mine.prefix, sizeof mine.prefix, "t%d:%d:", (int)getpid(), ++x->serial);
    char err[200];
    job_store *s = job_store_redis_create(x->url, &mine, err, sizeof err);
    if (!s) fprintf(stderr, "%s\n", err);
    return s;
}

static void check_urls(void) {
    job_store_config c;
    job_store_config_defaults(&c);
    char err[200];
    const char *bad[] = {"redis://", "redis://h:0/0", "redis://h:70000", "redis://h:1/x",
                         "http://h:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CHECK_MSG(job_store_redis_create(bad[i], &c, err, sizeof err) == NULL && err[0], "%s",
                  bad[i]);
    }
    job_store *s = job_store_redis_create("redis://localhost", &c, err, sizeof err);
    CHECK(s != NULL); /* port 6379, db 0; nothing connects until an op */
    if (s) s->ops->destroy(s);
}

/* Two replicas on one prefix, with a short lease (real time: leases and
 * idle times are the server's clock). The lease is 1 s and renewed every
 * 0.1 s, so only a stall of 0.9 s on a loaded machine would lose it. */
static job_store *make_replica(redis_ctx *x, const char *prefix, const char *consumer,
                               int max_attempts) {
    job_store_config c;
    job_store_config_defaults(&c);
    snprintf(c.prefix, sizeof c.prefix, "%s", prefix);
    snprintf(c.consumer, sizeof c.consumer, "%s", consumer);
    c.lease_s = 1.0;
    c.max_attempts = max_attempts;
    char err[200];
    job_store *s = job_store_redis_create(x->url, &c, err, sizeof err);
    CHECK_MSG(s != NULL, "%s", err);
    return s;
}

static void put_one(job_store *s, job_meta *m, int serial) {
    contract k = {.serial = serial};
    char first[37];
    store_blob in = {(uint8_t *)"spec", 4};
    contract_meta(&k, m, "a");
    CHECK(s->ops->put(s, m, &in, first) == STORE_OK);
}

static int claim_attempt(job_store *s, const char *id) {
    job_meta got;
    store_blob in;
    int attempt = -1;
    if (s->ops->claim_next(s, 10.0, &got, &in) == STORE_OK && strcmp(got.id, id) == 0)
        attempt = got.attempt;
    if (attempt > 0) CHECK(contract_blob_is(&in, "spec", 4)); /* the input comes with it */
    job_meta_clear(&got);
    store_blob_free(&in);
    return attempt;
}

/* Reclaims until something comes back, within `within_s`. */
static bool reclaimed(job_store *s, size_t *requeued, size_t *failed, double within_s) {
    for (double end = now_s() + within_s; now_s() < end; usleep(50 * 1000))
        if (s->ops->reclaim(s, 20.0, requeued, failed) == STORE_OK && *requeued + *failed > 0)
            return true;
    return false;
}

/* A renewed lease keeps the job; a lapsed one sends it back to the queue,
 * attempt by attempt, then fails it with worker_lost. */
static void check_lease_and_reclaim(redis_ctx *x) {
    char prefix[64];
    snprintf(prefix, sizeof prefix, "t%d:lease:", (int)getpid());
    job_store *a = make_replica(x, prefix, "replica-a", 2),
              *b = make_replica(x, prefix, "replica-b", 2);
    job_meta m, got;
    size_t requeued = 0, failed = 0;
    bool cancel;
    put_one(a, &m, 7000);
    CHECK(claim_attempt(a, m.id) == 1);
    for (int i = 0; i < 20; i++) { /* 2 s of steps, past the 1 s lease: renewed */
        usleep(100 * 1000);
        CHECK(a->ops->update_progress(a, m.id, i + 1, 20, &cancel) == STORE_OK);
        CHECK(b->ops->reclaim(b, 20.0, &requeued, &failed) == STORE_OK);
        CHECK(requeued == 0 && failed == 0);
    }
    CHECK(b->ops->update_progress(b, m.id, 9, 20, &cancel) == STORE_CONFLICT); /* a's lease */
    /* a dies: no more steps; b takes the job back and runs it again */
    CHECK(reclaimed(b, &requeued, &failed, 20.0) && requeued == 1 && failed == 0);
    job_meta_init(&got);
    CHECK(b->ops->get(b, m.id, NULL, &got) == STORE_OK && got.status == JOB_QUEUED);
    CHECK(got.step == 0 && got.attempt == 1);
    job_meta_clear(&got);
    CHECK(a->ops->update_progress(a, m.id, 10, 20, &cancel) == STORE_CONFLICT); /* a stops */
    CHECK(claim_attempt(b, m.id) == 2);
    job_update stale = {.from = JOB_RUNNING, .to = JOB_SUCCEEDED, .at = 11.0, .attempt = 1};
    CHECK(a->ops->update_status(a, m.id, &stale) == STORE_CONFLICT); /* a's run is not b's */
    /* b dies too: the last attempt is spent, the job fails */
    CHECK(reclaimed(a, &requeued, &failed, 20.0) && requeued == 0 && failed == 1);
    CHECK(a->ops->get(a, m.id, NULL, &got) == STORE_OK && got.status == JOB_FAILED);
    CHECK(strcmp(got.error_code, "worker_lost") == 0 && got.finished_at == 20.0);
    job_meta_clear(&got);
    store_blob in;
    CHECK(a->ops->get_input(a, m.id, &in) == STORE_NOT_FOUND); /* final: input dropped */
    size_t depth = 9;
    CHECK(a->ops->queue_depth(a, &depth) == STORE_OK && depth == 0);
    CHECK(a->ops->claim_next(a, 30.0, &got, &in) == STORE_NOT_FOUND);
    job_meta_clear(&m);
    a->ops->destroy(a);
    b->ops->destroy(b);
}

/* Down: errors, promptly; back: the same store works again. */
static void check_outage(redis_server *srv, const char *bin, redis_ctx *x) {
    job_store_config c;
    job_store_config_defaults(&c);
    c.timeout_s = 0.5;
    job_store *s = make_redis(&c, x);
    CHECK(s && store_answers(s, 5));
    server_stop(srv);
    job_meta m;
    contract k = {.serial = 5000};
    contract_meta(&k, &m, "a");
    double t0 = now_s();
    CHECK(contract_put(s, &m) == STORE_UNAVAILABLE);
    job_meta got;
    job_meta_init(&got);
    CHECK(s->ops->get(s, m.id, NULL, &got) == STORE_UNAVAILABLE);
    CHECK_MSG(now_s() - t0 < 3.0, "errors took %.1f s", now_s() - t0);
    CHECK(server_start(srv, bin));
    CHECK(store_answers(s, 15));
    CHECK(contract_put(s, &m) == STORE_OK);
    CHECK(s->ops->get(s, m.id, "a", &got) == STORE_OK && got.status == JOB_QUEUED);
    job_meta_clear(&got);
    job_meta_clear(&m);
    s->ops->destroy(s);
}

int main(void) {
    char bin[4096], err[200];
    job_store_config c;
    job_store_config_defaults(&c);
    job_store *probe = job_store_redis_create("redis://127.0.0.1:1/0", &c, err, sizeof err);
    if (!probe || !find_in_path("redis-server", bin, sizeof bin)) {
        printf("skipped: %s\n", probe ? "redis-server is not installed" : err);
        if (probe) probe->ops->destroy(probe);
        return 77;
    }
    probe->ops->destroy(probe);
    redis_server srv = {.port = free_port()};
    snprintf(srv.dir, sizeof srv.dir, "/tmp/i2i-redis-XXXXXX");
    if (srv.port < 0 || !mkdtemp(srv.dir) || !server_start(&srv, bin)) {
        fprintf(stderr, "cannot start redis-server\n");
        return 1;
    }
    redis_ctx x = {.serial = 0};
    snprintf(x.url, sizeof x.url, "redis://127.0.0.1:%d/3", srv.port);
    job_store *first = make_redis(&c, &x);
    bool up = first && store_answers(first, 10);
    if (first) first->ops->destroy(first);
    CHECK_MSG(up, "redis-server on port %d did not answer", srv.port);
    if (up) {
        contract k = {.make = make_redis, .ctx = &x};
        store_contract_run(&k);
        check_urls();
        check_lease_and_reclaim(&x);
        check_outage(&srv, bin, &x);
    }
    server_stop(&srv);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", srv.dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", srv.dir);
    return CHECK_DONE();
}
