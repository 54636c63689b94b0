/* libmicrohttpd front end: a pool of epoll event loops (--http-threads),
 * connections capped in all and per client address, an absolute deadline
 * for reading each request, Prefer: wait answered from a suspended
 * connection (no thread held), early refusals (404/405/401/415/413) before
 * the body is read, bodies capped while streaming, CORS, access log,
 * metrics. */
#ifndef I2I_SERVER_HTTP_SERVER_H
#define I2I_SERVER_HTTP_SERVER_H

#include "app.h"
#include <stddef.h>

typedef struct http_server http_server;

http_server *http_server_start(app *a, char *err, size_t errlen);
/* The bound port (useful with --listen HOST:0). */
int http_server_port(const http_server *s);
/* Stops accepting, lets requests in flight finish (at most grace_s
 * seconds), then closes every connection. */
void http_server_stop(http_server *s, double grace_s);

#endif
