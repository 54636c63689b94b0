/* The error envelope every failing response carries:
 *   {"error": {"code": "<stable code>", "message": "<human text>"}}
 * Codes are part of the public contract (clients switch on them); each maps
 * to exactly one HTTP status. */
#ifndef I2I_API_ERROR_H
#define I2I_API_ERROR_H

#include <stddef.h>

typedef enum api_error_code {
    API_OK = 0,
    API_ERR_INVALID_REQUEST,        /* 400 malformed JSON / multipart / query */
    API_ERR_INVALID_PARAMETER,      /* 400 a value of the wrong type or form */
    API_ERR_UNKNOWN_FIELD,          /* 400 a field we do not know */
    API_ERR_MISSING_FIELD,          /* 400 a required field is absent */
    API_ERR_INVALID_IMAGE,          /* 400 corrupt or unsupported image */
    API_ERR_UNAUTHORIZED,           /* 401 missing or wrong bearer token */
    API_ERR_NOT_FOUND,              /* 404 unknown route or job id */
    API_ERR_METHOD_NOT_ALLOWED,     /* 405 */
    API_ERR_NOT_FINISHED,           /* 409 result asked for before the job finished */
    API_ERR_IDEMPOTENCY_CONFLICT,   /* 409 same Idempotency-Key, other body */
    API_ERR_NO_RESULT,              /* 409 the job failed or was canceled: no result */
    API_ERR_EXPIRED,                /* 410 job existed but its TTL has passed */
    API_ERR_EVICTED,                /* 410 job was let go early: the store was at --max-jobs */
    API_ERR_PAYLOAD_TOO_LARGE,      /* 413 body over --max-body-bytes */
    API_ERR_UNSUPPORTED_MEDIA_TYPE, /* 415 */
    API_ERR_IMAGE_TOO_LARGE,        /* 422 pixels over --max-pixels */
    API_ERR_OUT_OF_RANGE,           /* 422 a well-formed value outside its (profile's) range */
    API_ERR_UNKNOWN_PROFILE,        /* 422 no profile of that name for the task */
    API_ERR_QUEUE_FULL,             /* 429 */
    API_ERR_QUOTA_EXCEEDED,         /* 429 the API key has its most queued jobs */
    API_ERR_INTERNAL,               /* 500 */
    API_ERR_UNAVAILABLE,            /* 503 loading or draining */
    API_ERR_TASK_UNAVAILABLE,       /* 503 no loaded bundle serves the route's task */
    API_ERR_FORBIDDEN,              /* 403 a signed result URL that is wrong or expired */
    API_ERR_NOT_ACCEPTABLE,         /* 406 Accept excludes the result's format */
    API_ERR_WAIT_TIMEOUT,           /* 504 a synchronous route's job is still running */
    API_ERR_WEBHOOK_NOT_ALLOWED,    /* 422 a webhook URL that is malformed or not allowed */
    API_ERR_COUNT_
} api_error_code;

typedef struct api_error {
    api_error_code code;
    char message[512];
} api_error;

const char *api_error_code_name(api_error_code code);
int api_error_http_status(api_error_code code);

/* Sets e->code and a printf-style message; returns false so validators can
 * `return api_error_set(...)`. */
int api_error_set(api_error *e, api_error_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The envelope as a malloc'd JSON string (NULL only when out of memory). */
char *api_error_json(api_error_code code, const char *message);

#endif
