/* The `webhook` and `webhook_events_filter` request fields (every job
 * route). The filter names the events a job's webhook gets: start,
 * progress, completed (default: all three), as a JSON array of strings or
 * a comma-separated string (what a multipart form can send). Where the URL
 * may point is the server's policy (server/webhook_dest.h), checked after
 * parsing; here only its form. */
#ifndef I2I_API_WEBHOOK_FIELDS_H
#define I2I_API_WEBHOOK_FIELDS_H

#include "api_error.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define API_WEBHOOK_URL_MAX 2048

enum {
    API_WEBHOOK_START = 1u << 0,
    API_WEBHOOK_PROGRESS = 1u << 1,
    API_WEBHOOK_COMPLETED = 1u << 2,
    API_WEBHOOK_ALL = (1u << 3) - 1
};

bool api_webhook_events_parse(const char *list, size_t len, unsigned *out, api_error *e);
/* A JSON array of event names, or a string as above. */
bool api_webhook_events_from_json(const json_t *v, unsigned *out, api_error *e);
/* ["start", "progress", "completed"] for the bits set. */
json_t *api_webhook_events_json(unsigned events);

#endif
