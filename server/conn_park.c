/* Parked connections: an unsorted list (at most the connection limit long)
 * under one lock; job completions are rare next to the scan's cost. */
#include "conn_park.h"

#include <microhttpd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct parked {
    struct MHD_Connection *conn;
    char job_id[37];
    struct timespec deadline; /* CLOCK_MONOTONIC */
    struct parked *next;
} parked;

struct conn_park {
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a new deadline, or stop */
    parked *head;
    size_t count;
    bool closed;
    pthread_t timer;
    bool timer_started;
};

static struct timespec after(double seconds) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    long long ns = (long long)(seconds * 1e9) + ts.tv_nsec;
    ts.tv_sec += (time_t)(ns / 1000000000LL);
    ts.tv_nsec = (long)(ns % 1000000000LL);
    return ts;
}

static bool before(const struct timespec *a, const struct timespec *b) {
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Resumes and frees the entries `match` selects; under the lock. MHD's
 * resume only raises a flag and wakes the connection's thread. */
static void resume_where(conn_park *p, bool (*match)(const parked *, const void *),
                         const void *arg) {
    parked **pp = &p->head;
    while (*pp) {
        parked *e = *pp;
        if (!match(e, arg)) {
            pp = &e->next;
            continue;
        }
        *pp = e->next;
        MHD_resume_connection(e->conn);
        free(e);
        p->count--;
    }
}

static bool is_job(const parked *e, const void *id) {
    return strcmp(e->job_id, id) == 0;
}

static bool is_due(const parked *e, const void *now) {
    return !before(now, &e->deadline);
}

static bool any(const parked *e, const void *arg) {
    (void)e;
    (void)arg;
    return true;
}

static void *timer_main(void *arg) {
    conn_park *p = arg;
    pthread_mutex_lock(&p->mu);
    while (!p->closed) {
        struct timespec next = after(1.0);
        for (parked *e = p->head; e; e = e->next)
            if (before(&e->deadline, &next)) next = e->deadline;
        pthread_cond_timedwait(&p->cv, &p->mu, &next);
        struct timespec now = after(0);
        resume_where(p, is_due, &now);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

conn_park *conn_park_start(void) {
    conn_park *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    p->timer_started = pthread_create(&p->timer, NULL, timer_main, p) == 0;
    if (!p->timer_started) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        free(p);
        return NULL;
    }
    return p;
}

void conn_park_release_all(conn_park *p) {
    pthread_mutex_lock(&p->mu);
    p->closed = true;
    resume_where(p, any, NULL);
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

void conn_park_stop(conn_park *p) {
    if (!p) return;
    conn_park_release_all(p);
    pthread_join(p->timer, NULL);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    free(p);
}

bool conn_park_add(conn_park *p, struct MHD_Connection *c, const char *job_id, double seconds) {
    parked *e = calloc(1, sizeof *e);
    if (!e) return false;
    e->conn = c;
    snprintf(e->job_id, sizeof e->job_id, "%s", job_id);
    e->deadline = after(seconds);
    pthread_mutex_lock(&p->mu);
    bool ok = !p->closed;
    if (ok) {
        e->next = p->head;
        p->head = e;
        p->count++;
        pthread_cond_broadcast(&p->cv); /* the timer may need to wake sooner */
    }
    pthread_mutex_unlock(&p->mu);
    if (!ok) free(e);
    return ok;
}

void conn_park_job_final(conn_park *p, const char *job_id) {
    pthread_mutex_lock(&p->mu);
    resume_where(p, is_job, job_id);
    pthread_mutex_unlock(&p->mu);
}

size_t conn_park_count(conn_park *p) {
    pthread_mutex_lock(&p->mu);
    size_t n = p->count;
    pthread_mutex_unlock(&p->mu);
    return n;
}
