/* Bounded FIFO of queued jobs (no locking: the job service's lock covers
 * it). Capacity is --queue-max; a full queue makes submissions 429. */
#ifndef I2I_SERVER_JOB_QUEUE_H
#define I2I_SERVER_JOB_QUEUE_H

#include "job.h"
#include <stdbool.h>
#include <stddef.h>

typedef struct job_queue {
    job **items; /* ring */
    size_t cap, head, len;
} job_queue;

bool job_queue_init(job_queue *q, size_t cap);
void job_queue_free(job_queue *q);
bool job_queue_push(job_queue *q, job *j);
job *job_queue_pop(job_queue *q);
/* Removes j wherever it is; false when it is not queued. */
bool job_queue_remove(job_queue *q, const job *j);
/* The queued job with this id, or NULL. */
job *job_queue_find(const job_queue *q, const char *id);
/* 0-based position, or -1. */
int job_queue_position(const job_queue *q, const job *j);

#endif
