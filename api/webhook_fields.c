#include "webhook_fields.h"

#include <string.h>

static const char *const names[] = {"start", "progress", "completed"};
#define N_NAMES 3

static bool one_event(const char *s, size_t len, unsigned *out, api_error *e) {
    for (unsigned i = 0; i < N_NAMES; i++)
        if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) {
            *out |= 1u << i;
            return true;
        }
    return api_error_set(e, API_ERR_INVALID_PARAMETER,
                         "webhook_events_filter entries must be \"start\", \"progress\" or "
                         "\"completed\"");
}

bool api_webhook_events_parse(const char *list, size_t len, unsigned *out, api_error *e) {
    *out = 0;
    size_t i = 0;
    while (i < len) {
        while (i < len && (list[i] == ',' || list[i] == ' '))
            i++;
        size_t start = i;
        while (i < len && list[i] != ',' && list[i] != ' ')
            i++;
        if (i > start && !one_event(list + start, i - start, out, e)) return false;
    }
    if (*out == 0)
        return api_error_set(e, API_ERR_INVALID_PARAMETER,
                             "webhook_events_filter must name at least one event");
    return true;
}

bool api_webhook_events_from_json(const json_t *v, unsigned *out, api_error *e) {
    if (json_is_string(v))
        return api_webhook_events_parse(json_string_value(v), json_string_length(v), out, e);
    if (!json_is_array(v) || json_array_size(v) == 0)
        return api_error_set(e, API_ERR_INVALID_PARAMETER,
                             "webhook_events_filter must be a non-empty array of event names");
    *out = 0;
    size_t i;
    const json_t *x;
    json_array_foreach(v, i, x) {
        if (!json_is_string(x))
            return api_error_set(e, API_ERR_INVALID_PARAMETER,
                                 "webhook_events_filter entries must be strings");
        if (!one_event(json_string_value(x), json_string_length(x), out, e)) return false;
    }
    return true;
}

json_t *api_webhook_events_json(unsigned events) {
    json_t *a = json_array();
    for (unsigned i = 0; a && i < N_NAMES; i++)
        if (events & (1u << i)) json_array_append_new(a, json_string(names[i]));
    return a;
}
