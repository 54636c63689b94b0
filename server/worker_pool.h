/* N worker threads sharing one read-only engine bundle; each pulls jobs
 * from the job service and runs them with its own progress callback. */
#ifndef I2I_SERVER_WORKER_POOL_H
#define I2I_SERVER_WORKER_POOL_H

#include "engine_runner.h"
#include "job_service.h"

typedef struct worker_pool worker_pool;

worker_pool *worker_pool_start(job_service *svc, const engine_runner *engine, int workers,
                               int threads_per_worker);
/* Joins the workers; call after job_service_shutdown(). */
void worker_pool_join(worker_pool *p);

#endif
