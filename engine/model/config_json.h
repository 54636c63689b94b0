/* Shared first step of the network config parsers: text -> JSON object. */
#ifndef I2I_CONFIG_JSON_H
#define I2I_CONFIG_JSON_H

#include <jansson.h>
#include <stddef.h>

/* Parses text (NULL counts as empty) and returns a new reference to the
 * object, or NULL with "<what> config: not a JSON object (...)" in err. */
json_t *config_json_object(const char *text, const char *what, char *err, size_t errlen);

#endif
