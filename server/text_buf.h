/* A growing text buffer for rendered output (metrics, event streams).
 * Out of memory sets `failed` and later appends do nothing, so callers
 * check once at the end. */
#ifndef I2I_SERVER_TEXT_BUF_H
#define I2I_SERVER_TEXT_BUF_H

#include <stdbool.h>
#include <stddef.h>

typedef struct text_buf {
    char *s; /* NUL-terminated while !failed */
    size_t len, cap;
    bool failed;
} text_buf;

void text_buf_printf(text_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void text_buf_append(text_buf *b, const char *s, size_t n);
/* Drops the first n bytes (what was sent). */
void text_buf_consume(text_buf *b, size_t n);
void text_buf_free(text_buf *b);

#endif
