#include "webhook_sender.h"

#include <curl/curl.h>
#include <netdb.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SENDER_THREADS 2

typedef struct delivery {
    char url[WEBHOOK_URL_MAX + 1];
    char msg_id[80];
    char job_id[37];
    char type[24];
    char *body; /* NULL until the first attempt renders it */
    size_t len;
    int attempts;
    double next_at; /* monotonic seconds */
    struct delivery *next;
} delivery;

struct webhook_sender {
    webhook_config cfg;
    metrics *metrics;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    delivery *queue; /* sorted by next_at */
    int queued;
    bool stopping;
    double stop_deadline;
    pthread_t threads[SENDER_THREADS];
    int n_threads;
};

static double now_mono(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void insert_locked(webhook_sender *w, delivery *d) {
    delivery **p = &w->queue;
    while (*p && (*p)->next_at <= d->next_at)
        p = &(*p)->next;
    d->next = *p;
    *p = d;
    w->queued++;
    pthread_cond_broadcast(&w->cv);
}

/* The next due delivery, waiting for one; NULL once stopped and empty or
 * past the stop deadline. */
static delivery *take(webhook_sender *w) {
    pthread_mutex_lock(&w->mu);
    delivery *d = NULL;
    for (;;) {
        double now = now_mono();
        if (w->stopping && (!w->queue || now >= w->stop_deadline)) break;
        if (w->queue && w->queue->next_at <= now) {
            d = w->queue;
            w->queue = d->next;
            w->queued--;
            break;
        }
        double until = w->queue ? w->queue->next_at : now + 3600;
        if (w->stopping && until > w->stop_deadline) until = w->stop_deadline;
        struct timespec dl;
        clock_gettime(CLOCK_REALTIME, &dl);
        double wait = until - now;
        dl.tv_sec += (time_t)wait;
        dl.tv_nsec += (long)((wait - (double)(time_t)wait) * 1e9);
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->cv, &w->mu, &dl);
    }
    pthread_mutex_unlock(&w->mu);
    return d;
}

/* Resolves the URL's host and returns a curl "host:port:addr" pin for the
 * first address, false when any address is not allowed (a name that also
 * resolves to an internal address is refused as a whole). */
static bool resolve_allowed(const webhook_sender *w, const webhook_url *u, char *pin, size_t n) {
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    char port[8];
    snprintf(port, sizeof port, "%d", u->port);
    if (getaddrinfo(u->host, port, &hints, &res) != 0 || !res) return false;
    bool ok = true;
    for (struct addrinfo *a = res; a; a = a->ai_next)
        if (!webhook_addr_allowed(&w->cfg.policy, a->ai_addr)) ok = false;
    char addr[INET6_ADDRSTRLEN + 2] = "";
    if (ok && getnameinfo(res->ai_addr, res->ai_addrlen, addr + 1, sizeof addr - 2, NULL, 0,
                          NI_NUMERICHOST) == 0) {
        bool v6 = res->ai_family == AF_INET6;
        if (v6) {
            addr[0] = '[';
            strcat(addr, "]");
        }
        snprintf(pin, n, "%s:%d:%s", u->host, u->port, v6 ? addr : addr + 1);
    } else {
        ok = false;
    }
    freeaddrinfo(res);
    return ok;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx) {
    (void)p;
    (void)ctx;
    return size * n;
}

static struct curl_slist *signed_headers(const webhook_sender *w, const delivery *d) {
    char line[200];
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    long long ts = (long long)time(NULL);
    snprintf(line, sizeof line, "webhook-id: %s", d->msg_id);
    h = curl_slist_append(h, line);
    snprintf(line, sizeof line, "webhook-timestamp: %lld", ts);
    h = curl_slist_append(h, line);
    char sig[WEBHOOK_SIGNATURE_MAX];
    if (w->cfg.sign && webhook_sign(&w->cfg.key, d->msg_id, ts, d->body, d->len, sig)) {
        snprintf(line, sizeof line, "webhook-signature: %s", sig);
        h = curl_slist_append(h, line);
    }
    return curl_slist_append(h, "User-Agent: i2i-serve");
}

typedef enum attempt { ATTEMPT_OK, ATTEMPT_RETRY, ATTEMPT_REFUSED } attempt;

static attempt post_once(const webhook_sender *w, const delivery *d) {
    webhook_url u;
    char err[200], pin[400];
    if (!webhook_url_parse(d->url, &u, err, sizeof err) || !resolve_allowed(w, &u, pin, sizeof pin))
        return ATTEMPT_REFUSED;
    CURL *c = curl_easy_init();
    if (!c) return ATTEMPT_RETRY;
    struct curl_slist *pins = curl_slist_append(NULL, pin);
    struct curl_slist *hdrs = signed_headers(w, d);
    curl_easy_setopt(c, CURLOPT_URL, d->url);
    curl_easy_setopt(c, CURLOPT_RESOLVE, pins);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, d->body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)d->len);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)(w->cfg.timeout_s * 1000));
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
    long code = 0;
    CURLcode rc = curl_easy_perform(c);
    if (rc == CURLE_OK) curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hdrs);
    curl_slist_free_all(pins);
    curl_easy_cleanup(c);
    return code >= 200 && code < 300 ? ATTEMPT_OK : ATTEMPT_RETRY;
}

static void settle(webhook_sender *w, delivery *d, attempt a) {
    if (a == ATTEMPT_RETRY && d->attempts < w->cfg.max_attempts) {
        double wait = w->cfg.backoff_s;
        for (int i = 1; i < d->attempts; i++)
            wait *= 2;
        d->next_at = now_mono() + wait;
        metrics_webhook(w->metrics, "retried");
        pthread_mutex_lock(&w->mu);
        insert_locked(w, d);
        pthread_mutex_unlock(&w->mu);
        return;
    }
    metrics_webhook(w->metrics, a == ATTEMPT_OK        ? "delivered"
                                : a == ATTEMPT_REFUSED ? "refused"
                                                       : "failed");
    free(d->body);
    free(d);
}

static void *sender_main(void *arg) {
    webhook_sender *w = arg;
    delivery *d;
    while ((d = take(w)) != NULL) {
        if (!d->body) d->body = w->cfg.render(w->cfg.render_ctx, d->job_id, d->type, &d->len);
        if (!d->body) { /* the job is gone */
            metrics_webhook(w->metrics, "dropped");
            free(d);
            continue;
        }
        d->attempts++;
        settle(w, d, post_once(w, d));
    }
    return NULL;
}

static void curl_init_once(void) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
}

webhook_sender *webhook_sender_start(const webhook_config *c, metrics *m) {
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, curl_init_once);
    webhook_sender *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->cfg = *c;
    w->metrics = m;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    for (; w->n_threads < SENDER_THREADS; w->n_threads++)
        if (pthread_create(&w->threads[w->n_threads], NULL, sender_main, w) != 0) break;
    if (w->n_threads == 0) {
        free(w);
        return NULL;
    }
    return w;
}

void webhook_sender_stop(webhook_sender *w, double grace_s) {
    if (!w) return;
    pthread_mutex_lock(&w->mu);
    w->stopping = true;
    w->stop_deadline = now_mono() + grace_s;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    for (int i = 0; i < w->n_threads; i++)
        pthread_join(w->threads[i], NULL);
    while (w->queue) {
        delivery *d = w->queue;
        w->queue = d->next;
        metrics_webhook(w->metrics, "dropped");
        free(d->body);
        free(d);
    }
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
    free(w);
}

bool webhook_sender_enqueue(webhook_sender *w, const char *url, const char *msg_id,
                            const char *job_id, const char *type) {
    delivery *d = calloc(1, sizeof *d);
    pthread_mutex_lock(&w->mu);
    bool room = d && !w->stopping && w->queued < w->cfg.max_queue;
    if (room) {
        snprintf(d->url, sizeof d->url, "%s", url);
        snprintf(d->msg_id, sizeof d->msg_id, "%s", msg_id);
        snprintf(d->job_id, sizeof d->job_id, "%s", job_id);
        snprintf(d->type, sizeof d->type, "%s", type);
        d->next_at = now_mono();
        insert_locked(w, d);
    }
    pthread_mutex_unlock(&w->mu);
    if (!room) {
        metrics_webhook(w->metrics, "dropped");
        free(d);
    }
    return room;
}
