/* Webhook delivery off the worker threads: a bounded queue, two sender
 * threads with libcurl, retries with exponential backoff, destinations
 * checked against the policy on every attempt (the connection is pinned
 * to the address that was checked, and redirects are not followed), and
 * each request signed as Standard Webhooks says (webhook-id,
 * webhook-timestamp, webhook-signature) when a secret is configured. */
#ifndef I2I_SERVER_WEBHOOK_SENDER_H
#define I2I_SERVER_WEBHOOK_SENDER_H

#include "metrics.h"
#include "webhook_dest.h"
#include "webhook_sign.h"

typedef struct webhook_config {
    webhook_policy policy;
    webhook_key key;
    bool sign;        /* a secret is configured */
    int max_queue;    /* deliveries waiting, then new ones are dropped */
    int max_attempts; /* per delivery */
    double timeout_s; /* per attempt */
    double backoff_s; /* before the 2nd attempt; doubles each time */
    /* Renders a delivery's body on its first attempt, outside every lock
     * (NULL: the job is gone; the delivery is dropped). */
    char *(*render)(void *ctx, const char *job_id, const char *type, size_t *len);
    void *render_ctx;
} webhook_config;

typedef struct webhook_sender webhook_sender;

webhook_sender *webhook_sender_start(const webhook_config *c, metrics *m);
/* Stops taking deliveries; the queue gets up to grace_s more to empty. */
void webhook_sender_stop(webhook_sender *w, double grace_s);

/* A delivery of event `type` with job_id's current JSON (rendered at its first attempt and
 * kept for its retries). msg_id is unique per delivery and stays the same
 * across its retries, so receivers can deduplicate. False (counted as
 * dropped) when the queue is full or stopping. Safe under other locks. */
bool webhook_sender_enqueue(webhook_sender *w, const char *url, const char *msg_id,
                            const char *job_id, const char *type);

#endif
