/* How a job's result is delivered: the image format it is encoded in once,
 * when the job finishes (output_format, output_quality), and whether the
 * finished job JSON carries it inline (response_format). */
#ifndef I2I_API_RESULT_FORMAT_H
#define I2I_API_RESULT_FORMAT_H

#include <stdbool.h>

typedef enum result_format { RESULT_PNG = 0, RESULT_JPEG, RESULT_WEBP } result_format;

/* The default quality of the lossy formats (png is lossless: no quality). */
#define RESULT_QUALITY_DEFAULT 90
#define RESULT_QUALITY_MIN 1
#define RESULT_QUALITY_MAX 100

typedef struct result_spec {
    result_format format;
    int quality;     /* 1..100 for jpeg and webp; 0 for png */
    bool inline_b64; /* response_format b64_json: the image in the job JSON */
} result_spec;

const char *result_format_name(result_format f);         /* "png" */
const char *result_format_content_type(result_format f); /* "image/png" */
/* The format of a name ("png", "jpeg" or "jpg", "webp"); false otherwise. */
bool result_format_parse(const char *name, result_format *out);
/* The format whose content type is `type` ("image/jpeg"); false otherwise. */
bool result_format_from_content_type(const char *type, result_format *out);

#endif
