/* Result format names and media types. */
#include "result_format.h"

#include <string.h>

static const struct {
    const char *name;
    const char *content_type;
} FORMATS[] = {
    [RESULT_PNG] = {"png", "image/png"},
    [RESULT_JPEG] = {"jpeg", "image/jpeg"},
    [RESULT_WEBP] = {"webp", "image/webp"},
};
#define N_FORMATS (sizeof FORMATS / sizeof FORMATS[0])

const char *result_format_name(result_format f) {
    return (unsigned)f < N_FORMATS ? FORMATS[f].name : "png";
}

const char *result_format_content_type(result_format f) {
    return (unsigned)f < N_FORMATS ? FORMATS[f].content_type : "image/png";
}

bool result_format_parse(const char *name, result_format *out) {
    if (name && strcmp(name, "jpg") == 0) return *out = RESULT_JPEG, true; /* a common spelling */
    for (unsigned i = 0; name && i < N_FORMATS; i++)
        if (strcmp(name, FORMATS[i].name) == 0) return *out = (result_format)i, true;
    return false;
}

bool result_format_from_content_type(const char *type, result_format *out) {
    for (unsigned i = 0; type && i < N_FORMATS; i++)
        if (strcmp(type, FORMATS[i].content_type) == 0) return *out = (result_format)i, true;
    return false;
}
