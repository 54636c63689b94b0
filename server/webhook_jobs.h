/* Job webhooks: a job event listener that queues a delivery for each
 * event a job's `webhook_events_filter` asks for (start, progress at most
 * every 0.5 s and always for the last step, completed), and the renderer
 * of their bodies in the Standard Webhooks shape:
 *   {"type": "job.start" | "job.progress" | "job.completed",
 *    "timestamp": "<ISO 8601>", "data": <the job JSON>} */
#ifndef I2I_SERVER_WEBHOOK_JOBS_H
#define I2I_SERVER_WEBHOOK_JOBS_H

#include "app.h"
#include "webhook_dest.h"

typedef struct webhook_jobs webhook_jobs;

/* From a->cfg (--webhook-*); NULL with a message for a bad setting. */
webhook_jobs *webhook_jobs_start(app *a, char *err, size_t errlen);
/* Deliveries still queued get up to grace_s. */
void webhook_jobs_stop(webhook_jobs *w, double grace_s);
const webhook_policy *webhook_jobs_policy(const webhook_jobs *w);

#endif
