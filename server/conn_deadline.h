/* An absolute deadline for reading each request (headers and body).
 * libmicrohttpd's connection timeout restarts on every byte, so a client
 * that sends one byte every few seconds would hold its connection forever;
 * here a request's reading starts a clock that activity does not reset, and
 * a reaper thread shuts the socket of any request still being read when
 * the clock runs out (MHD then closes the connection on its own thread). */
#ifndef I2I_SERVER_CONN_DEADLINE_H
#define I2I_SERVER_CONN_DEADLINE_H

#include <stdbool.h>
#include <stddef.h>

typedef struct conn_deadline conn_deadline;
typedef struct conn_slot conn_slot;

/* seconds <= 0: no deadline (the registry still works, nothing is reaped). */
conn_deadline *conn_deadline_start(double seconds);
void conn_deadline_stop(conn_deadline *d);

/* A new connection on socket fd: its first request's reading starts now.
 * NULL when out of memory (the connection then has no deadline). */
conn_slot *conn_deadline_open(conn_deadline *d, int fd);
/* Before the socket is closed (MHD's "connection closed" notice). */
void conn_deadline_close(conn_deadline *d, conn_slot *s);
/* The request has been read in full: no deadline while it is handled and
 * answered. */
void conn_deadline_read_done(conn_deadline *d, conn_slot *s);
/* An answer went out: reading the next request (keep-alive) starts now. */
void conn_deadline_next_request(conn_deadline *d, conn_slot *s);
/* Whether this connection's reading ran past the deadline. */
bool conn_deadline_passed(conn_deadline *d, conn_slot *s);
/* Connections reaped so far (for tests and logs). */
size_t conn_deadline_reaped(conn_deadline *d);

#endif
