/* Worker threads. */
#define _GNU_SOURCE /* sched_getaffinity */
#include "worker_pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* CPUs this process may run on: a container's cpuset or `taskset` limits
 * them below the machine's online count, and oversubscribing them with
 * intra-op threads costs more than it gains. */
static long usable_cores(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0) return CPU_COUNT(&set);
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    return online > 0 ? online : 1;
}

struct worker_pool {
    job_service *svc;
    const engine_runner *engine;
    int threads_per_worker;
    int count;
    pthread_t *threads;
};

typedef struct progress_ctx {
    job_service *svc;
    job *job;
} progress_ctx;

/* The engine calls this after each denoising step; returning false stops
 * the job before its next U-Net evaluation. */
static bool on_progress(void *user, int step, int steps) {
    progress_ctx *c = user;
    return job_service_progress(c->svc, c->job, step, steps);
}

static void *worker_main(void *arg) {
    worker_pool *p = arg;
    engine_runner_set_threads(p->threads_per_worker);
    job *j;
    while ((j = job_service_next(p->svc)) != NULL) {
        progress_ctx ctx = {p->svc, j};
        engine_result r;
        /* input and params stay unchanged while the job runs: no lock needed */
        /* the input was resampled to its working size at submit */
        i2i_params run = j->resolved.params;
        run.resolution = 0;
        engine_runner_run(p->engine, j->task, &j->input, &run, j->resolved.num_images,
                          &j->resolved.result, on_progress, &ctx, &r);
        job_service_finish(p->svc, j, &r);
        engine_result_free(&r);
    }
    return NULL;
}

worker_pool *worker_pool_start(job_service *svc, const engine_runner *engine, int workers,
                               int threads_per_worker) {
    worker_pool *p = calloc(1, sizeof *p);
    if (!p) return NULL;
    p->threads = calloc((size_t)workers, sizeof *p->threads);
    if (!p->threads) {
        free(p);
        return NULL;
    }
    p->svc = svc;
    p->engine = engine;
    if (threads_per_worker <= 0) {
        long cores = usable_cores();
        threads_per_worker = cores > workers ? (int)(cores / workers) : 1;
    }
    p->threads_per_worker = threads_per_worker;
    for (int i = 0; i < workers; i++) {
        if (pthread_create(&p->threads[i], NULL, worker_main, p) != 0) {
            fprintf(stderr, "i2i-serve: could only start %d of %d workers\n", i, workers);
            break;
        }
        p->count++;
    }
    return p;
}

void worker_pool_join(worker_pool *p) {
    if (!p) return;
    for (int i = 0; i < p->count; i++)
        pthread_join(p->threads[i], NULL);
    free(p->threads);
    free(p);
}
