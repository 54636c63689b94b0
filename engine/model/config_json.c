#include "config_json.h"

#include <stdio.h>

json_t *config_json_object(const char *text, const char *what, char *err, size_t errlen) {
    json_error_t jerr;
    json_t *root = json_loads(text ? text : "", 0, &jerr);
    if (json_is_object(root)) return root;
    snprintf(err, errlen, "%s config: not a JSON object (%s, line %d)", what,
             root ? "another JSON value" : jerr.text, root ? 1 : jerr.line);
    json_decref(root);
    return NULL;
}
