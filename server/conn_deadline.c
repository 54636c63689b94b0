/* Read deadlines: a locked list of open connections, scanned by a reaper
 * thread a few times a second. The lock is also taken when MHD reports a
 * connection closed, which it does before closing the socket, so the reaper
 * never shuts down a descriptor that has been reused. */
#include "conn_deadline.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#define REAP_INTERVAL_NS (250 * 1000 * 1000L)

struct conn_slot {
    int fd;
    double read_start; /* monotonic seconds; < 0 while not reading */
    bool reaped;
    conn_slot *prev, *next;
};

struct conn_deadline {
    pthread_mutex_t mu;
    pthread_cond_t stop_cv;
    conn_slot *head;
    double seconds;
    size_t reaped;
    bool stopping;
    pthread_t reaper;
    bool reaper_started;
};

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static bool overdue(const conn_deadline *d, const conn_slot *s, double now) {
    return d->seconds > 0 && s->read_start >= 0 && now - s->read_start > d->seconds;
}

/* shutdown(), not close(): MHD still owns the descriptor and sees EOF. */
static void reap_locked(conn_deadline *d) {
    double now = now_s();
    for (conn_slot *s = d->head; s; s = s->next)
        if (!s->reaped && overdue(d, s, now)) {
            shutdown(s->fd, SHUT_RDWR);
            s->reaped = true;
            d->reaped++;
        }
}

static void *reaper_main(void *arg) {
    conn_deadline *d = arg;
    pthread_mutex_lock(&d->mu);
    while (!d->stopping) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += REAP_INTERVAL_NS;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&d->stop_cv, &d->mu, &ts);
        reap_locked(d);
    }
    pthread_mutex_unlock(&d->mu);
    return NULL;
}

conn_deadline *conn_deadline_start(double seconds) {
    conn_deadline *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    pthread_mutex_init(&d->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&d->stop_cv, &ca);
    pthread_condattr_destroy(&ca);
    d->seconds = seconds;
    if (seconds > 0) d->reaper_started = pthread_create(&d->reaper, NULL, reaper_main, d) == 0;
    return d;
}

void conn_deadline_stop(conn_deadline *d) {
    if (!d) return;
    pthread_mutex_lock(&d->mu);
    d->stopping = true;
    pthread_cond_broadcast(&d->stop_cv);
    pthread_mutex_unlock(&d->mu);
    if (d->reaper_started) pthread_join(d->reaper, NULL);
    while (d->head) { /* connections MHD never reported closed */
        conn_slot *next = d->head->next;
        free(d->head);
        d->head = next;
    }
    pthread_cond_destroy(&d->stop_cv);
    pthread_mutex_destroy(&d->mu);
    free(d);
}

conn_slot *conn_deadline_open(conn_deadline *d, int fd) {
    conn_slot *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->fd = fd;
    s->read_start = now_s();
    pthread_mutex_lock(&d->mu);
    s->next = d->head;
    if (d->head) d->head->prev = s;
    d->head = s;
    pthread_mutex_unlock(&d->mu);
    return s;
}

void conn_deadline_close(conn_deadline *d, conn_slot *s) {
    if (!s) return;
    pthread_mutex_lock(&d->mu);
    if (s->prev)
        s->prev->next = s->next;
    else
        d->head = s->next;
    if (s->next) s->next->prev = s->prev;
    pthread_mutex_unlock(&d->mu);
    free(s);
}

static void set_read_start(conn_deadline *d, conn_slot *s, double t) {
    if (!s) return;
    pthread_mutex_lock(&d->mu);
    s->read_start = t;
    pthread_mutex_unlock(&d->mu);
}

void conn_deadline_read_done(conn_deadline *d, conn_slot *s) {
    set_read_start(d, s, -1);
}

void conn_deadline_next_request(conn_deadline *d, conn_slot *s) {
    set_read_start(d, s, now_s());
}

bool conn_deadline_passed(conn_deadline *d, conn_slot *s) {
    if (!s) return false;
    pthread_mutex_lock(&d->mu);
    bool passed = s->reaped || overdue(d, s, now_s());
    pthread_mutex_unlock(&d->mu);
    return passed;
}

size_t conn_deadline_reaped(conn_deadline *d) {
    pthread_mutex_lock(&d->mu);
    size_t n = d->reaped;
    pthread_mutex_unlock(&d->mu);
    return n;
}
