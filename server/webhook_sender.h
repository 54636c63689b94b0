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
} webhook_config;

typedef struct webhook_sender webhook_sender;

webhook_sender *webhook_sender_start(const webhook_config *c, metrics *m);
/* Stops taking deliveries; the queue gets up to grace_s more to empty. */
void webhook_sender_stop(webhook_sender *w, double grace_s);

/* Takes body (malloc'd). msg_id is unique per delivery and stays the same
 * across its retries, so receivers can deduplicate. False (body freed,
 * counted as dropped) when the queue is full or stopping. */
bool webhook_sender_enqueue(webhook_sender *w, const char *url, const char *msg_id, char *body,
                            size_t len);

#endif
