/* One Redis connection shared by threads (a mutex serialises commands),
 * made lazily and re-made after any failure, with a backoff between
 * attempts so a Redis that is down costs callers a fast error, never a
 * hang: connect and every command are bounded by the timeout. */
#ifndef I2I_SERVER_REDIS_CONN_H
#define I2I_SERVER_REDIS_CONN_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct redis_conn redis_conn;

/* Parses redis://HOST[:PORT][/DB]; false with a reason in err. */
bool redis_url_parse(const char *url, char *host, size_t hostlen, int *port, int *db, char *err,
                     size_t errlen);

redis_conn *redis_conn_create(const char *host, int port, int db, double timeout_s);
void redis_conn_free(redis_conn *c);

/* Runs one command; the reply (free it with freeReplyObject), or NULL when
 * Redis could not be reached, timed out or broke the connection (which is
 * then dropped and re-made on a later call). An error reply is a reply. */
redisReply *redis_conn_run(redis_conn *c, int argc, const char **argv, const size_t *lens);

#endif
