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

bool config_json_int(json_t *o, const char *what, const char *key, int *out, bool required,
                     char *err, size_t errlen) {
    json_t *v = json_object_get(o, key);
    if (!v) {
        if (required) snprintf(err, errlen, "%s config: \"%s\" is required", what, key);
        return !required;
    }
    if (!json_is_integer(v) || json_integer_value(v) < -1 || json_integer_value(v) > (1 << 24)) {
        snprintf(err, errlen, "%s config: \"%s\" must be an integer in -1..%d", what, key, 1 << 24);
        return false;
    }
    *out = (int)json_integer_value(v);
    return true;
}

bool config_json_int_list(json_t *o, const char *what, const char *key, int *out, int max,
                          int *count, char *err, size_t errlen) {
    json_t *v = json_object_get(o, key);
    if (!json_is_array(v) || json_array_size(v) > (size_t)max) {
        snprintf(err, errlen, "%s config: \"%s\" must be a list of at most %d integers", what, key,
                 max);
        return false;
    }
    size_t i;
    json_t *e;
    json_array_foreach(v, i, e) {
        if (!json_is_integer(e) || json_integer_value(e) < 1 || json_integer_value(e) > 64) {
            snprintf(err, errlen, "%s config: \"%s\" entries must be integers in 1..64", what, key);
            return false;
        }
        out[i] = (int)json_integer_value(e);
    }
    *count = (int)json_array_size(v);
    return true;
}
