#include "text_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool reserve(text_buf *b, size_t extra) {
    if (b->failed) return false;
    if (b->len + extra < b->cap) return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap <= b->len + extra)
        cap *= 2;
    char *ns = realloc(b->s, cap);
    if (!ns) {
        b->failed = true;
        return false;
    }
    b->s = ns;
    b->cap = cap;
    return true;
}

void text_buf_printf(text_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if (!reserve(b, (size_t)n)) return;
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void text_buf_append(text_buf *b, const char *s, size_t n) {
    if (!reserve(b, n)) return;
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void text_buf_consume(text_buf *b, size_t n) {
    if (b->failed) return;
    if (n > b->len) n = b->len;
    memmove(b->s, b->s + n, b->len - n);
    b->len -= n;
    b->s[b->len] = '\0';
}

void text_buf_free(text_buf *b) {
    free(b->s);
    *b = (text_buf){0};
}
