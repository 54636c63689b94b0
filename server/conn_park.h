/* Connections parked on a job (Prefer: wait). A parked connection is
 * suspended in libmicrohttpd, so a waiting client holds no thread: it is
 * resumed when its job reaches a final status (the job service's final
 * hook) or when its wait runs out (one timer thread for all of them), and
 * MHD then calls the request handler again to answer. */
#ifndef I2I_SERVER_CONN_PARK_H
#define I2I_SERVER_CONN_PARK_H

#include <stdbool.h>
#include <stddef.h>

struct MHD_Connection;
typedef struct conn_park conn_park;

conn_park *conn_park_start(void);
/* Resumes every parked connection first. */
void conn_park_stop(conn_park *p);

/* c must already be suspended by the caller (from its request handler).
 * False when out of memory: the caller resumes c itself. */
bool conn_park_add(conn_park *p, struct MHD_Connection *c, const char *job_id, double seconds);
/* Resumes the connections waiting on job_id. Safe from any thread. */
void conn_park_job_final(conn_park *p, const char *job_id);
/* Resumes everything now and parks nothing more (shutdown). */
void conn_park_release_all(conn_park *p);
size_t conn_park_count(conn_park *p);

#endif
