/* JSON-lines access log: one object per request with its request id and,
 * where one was involved, the job id. */
#ifndef I2I_SERVER_ACCESS_LOG_H
#define I2I_SERVER_ACCESS_LOG_H

#include <stdbool.h>
#include <stddef.h>

typedef struct access_log_entry {
    const char *request_id;
    const char *method;
    const char *path;
    int status;
    double duration_ms;
    size_t bytes_in;
    size_t bytes_out;
    const char *job_id;     /* NULL/empty when none */
    const char *error_code; /* NULL when the request succeeded */
    const char *remote;
} access_log_entry;

/* path: "-" = stdout, "" = disabled. False when the file cannot be opened. */
bool access_log_open(const char *path);
void access_log_write(const access_log_entry *e);
void access_log_close(void);

/* Also used for one-line server events (start, drain, exit). */
void access_log_event(const char *event, const char *detail);

#endif
