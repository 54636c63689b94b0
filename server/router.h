/* Path + method -> handler. Paths with a job id match only a canonical
 * UUID; anything else under /v1/jobs/ is a 404. */
#ifndef I2I_SERVER_ROUTER_H
#define I2I_SERVER_ROUTER_H

#include "app.h"
#include "metrics.h"
#include <stdbool.h>

typedef struct route_match {
    metrics_route route;
    const char *allow;     /* the Allow header for this path */
    route_handler handler; /* NULL when the method is not allowed */
    bool reads_body;
    bool needs_auth;
    char id[37];
} route_match;

/* False when no route has this path (404). */
bool router_match(const char *path, const char *method, route_match *out);

#endif
