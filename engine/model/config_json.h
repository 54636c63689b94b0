/* Shared first step of the network config parsers: text -> JSON object. */
#ifndef I2I_CONFIG_JSON_H
#define I2I_CONFIG_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Parses text (NULL counts as empty) and returns a new reference to the
 * object, or NULL with "<what> config: not a JSON object (...)" in err. */
json_t *config_json_object(const char *text, const char *what, char *err, size_t errlen);

/* An integer key in -1..2^24 (-1 is LDM's "unused"; the bound keeps a huge
 * value from wrapping into a plausible int, each parser judges the real
 * range). Absent: false with "<what> config: "key" is required" when
 * required, else true with *out untouched. */
bool config_json_int(json_t *o, const char *what, const char *key, int *out, bool required,
                     char *err, size_t errlen);
/* A list of at most max integers in 1..64 (channel multipliers, attention
 * resolutions) into out[0..*count-1]. */
bool config_json_int_list(json_t *o, const char *what, const char *key, int *out, int max,
                          int *count, char *err, size_t errlen);

#endif
