/* What a worker needs to run a queued job, as one blob (the store's input
 * blob): the task, the resolved parameters and their texts, the result and
 * webhook settings, and the input at its working size. With a shared queue
 * the replica that runs a job is not the one that took the request, so the
 * live record (job.h) is rebuilt from this blob when a worker claims it.
 * Layout: "I2J1", a 4-byte little-endian length, that many bytes of
 * compact JSON (the parameters), then the raw RGB pixels. */
#ifndef I2I_SERVER_JOB_SPEC_H
#define I2I_SERVER_JOB_SPEC_H

#include "job.h"
#include "job_meta.h"
#include <stdbool.h>

/* The blob of a live record (malloc'd into out); false when out of memory. */
bool job_spec_encode(const job *j, store_blob *out);
/* A live record rebuilt from a claimed job's metadata and its blob, or NULL
 * (malformed blob, unknown task, out of memory). */
job *job_spec_decode(const job_meta *m, const store_blob *blob);

#endif
