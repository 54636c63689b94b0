/* Ring-buffer FIFO. */
#include "job_queue.h"

#include <stdlib.h>
#include <string.h>

bool job_queue_init(job_queue *q, size_t cap) {
    q->items = calloc(cap, sizeof *q->items);
    q->cap = q->items ? cap : 0;
    q->head = q->len = 0;
    return q->items != NULL;
}

void job_queue_free(job_queue *q) {
    free(q->items);
    q->items = NULL;
    q->cap = q->len = 0;
}

static size_t slot(const job_queue *q, size_t i) {
    return (q->head + i) % q->cap;
}

bool job_queue_push(job_queue *q, job *j) {
    if (q->len == q->cap) return false;
    q->items[slot(q, q->len++)] = j;
    return true;
}

job *job_queue_pop(job_queue *q) {
    if (q->len == 0) return NULL;
    job *j = q->items[q->head];
    q->head = (q->head + 1) % q->cap;
    q->len--;
    return j;
}

job *job_queue_find(const job_queue *q, const char *id) {
    for (size_t i = 0; i < q->len; i++)
        if (strcmp(q->items[slot(q, i)]->id, id) == 0) return q->items[slot(q, i)];
    return NULL;
}

int job_queue_position(const job_queue *q, const job *j) {
    for (size_t i = 0; i < q->len; i++)
        if (q->items[slot(q, i)] == j) return (int)i;
    return -1;
}

bool job_queue_remove(job_queue *q, const job *j) {
    int pos = job_queue_position(q, j);
    if (pos < 0) return false;
    for (size_t i = (size_t)pos; i + 1 < q->len; i++)
        q->items[slot(q, i)] = q->items[slot(q, i + 1)];
    q->len--;
    return true;
}
