/* Header value parsing: small, strict and allocation-free. */
#include "http_parse.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* Length of the media type before ';' or whitespace. */
static size_t media_len(const char *ct) {
    size_t n = 0;
    while (ct[n] && ct[n] != ';' && ct[n] != ' ' && ct[n] != '\t')
        n++;
    return n;
}

static bool media_is(const char *ct, const char *type) {
    size_t n = media_len(ct);
    return n == strlen(type) && strncasecmp(ct, type, n) == 0;
}

static void copy_boundary(const char *ct, char *out, size_t outlen) {
    out[0] = '\0';
    const char *p = ct;
    while ((p = strchr(p, ';')) != NULL) {
        p = skip_ws(p + 1);
        if (strncasecmp(p, "boundary=", 9) != 0) continue;
        p += 9;
        size_t n = 0;
        if (*p == '"') {
            p++;
            while (*p && *p != '"' && n + 1 < outlen)
                out[n++] = *p++;
        } else {
            while (*p && *p != ';' && *p != ' ' && n + 1 < outlen)
                out[n++] = *p++;
        }
        out[n] = '\0';
        return;
    }
}

api_media_type api_parse_content_type(const char *ct, char *boundary, size_t boundary_len) {
    if (boundary && boundary_len) boundary[0] = '\0';
    if (!ct || !*ct) return API_MEDIA_NONE;
    ct = skip_ws(ct);
    if (media_is(ct, "application/json")) return API_MEDIA_JSON;
    if (media_is(ct, "multipart/form-data")) {
        if (boundary && boundary_len) copy_boundary(ct, boundary, boundary_len);
        return API_MEDIA_MULTIPART;
    }
    return API_MEDIA_OTHER;
}

int api_parse_prefer_wait(const char *prefer, int max_wait) {
    if (!prefer) return -1;
    const char *p = prefer;
    while (*p) {
        p = skip_ws(p);
        if (strncasecmp(p, "wait", 4) == 0) {
            const char *q = skip_ws(p + 4);
            if (*q == '=') {
                q = skip_ws(q + 1);
                if (*q == '"') q++;
                char *end;
                errno = 0;
                long v = strtol(q, &end, 10);
                if (end != q && errno == 0 && v >= 0) return v > max_wait ? max_wait : (int)v;
            }
        }
        const char *next = strpbrk(p, ",;");
        if (!next) break;
        p = next + 1;
    }
    return -1;
}

/* Reads "q=<num>" among ';' parameters starting at p; 1 when absent. */
static double quality(const char *p, const char *end) {
    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        if (!semi) break;
        p = skip_ws(semi + 1);
        if ((p[0] == 'q' || p[0] == 'Q') && p[1] == '=') return atof(p + 2);
    }
    return 1.0;
}

/* Whether the media range [p, p + n) covers `type` ("image/jpeg"). */
static bool range_covers(const char *p, size_t n, const char *type, bool any_type) {
    size_t tlen = strlen(type);
    const char *slash = strchr(type, '/');
    size_t major = slash ? (size_t)(slash - type) : tlen;
    if (n == tlen && strncasecmp(p, type, n) == 0) return true;
    if (n == major + 2 && strncasecmp(p, type, major) == 0 && p[major] == '/' &&
        p[major + 1] == '*')
        return true;
    return any_type && n == 3 && strncmp(p, "*/*", 3) == 0;
}

bool api_accepts_media(const char *accept, const char *type, bool any_type) {
    if (!accept || !type) return false;
    const char *p = accept;
    while (*p) {
        p = skip_ws(p);
        const char *end = strchr(p, ',');
        if (!end) end = p + strlen(p);
        size_t n = media_len(p);
        if (p + n > end) n = (size_t)(end - p);
        if (range_covers(p, n, type, any_type) && quality(p, end) > 0) return true;
        if (!*end) break;
        p = end + 1;
    }
    return false;
}

bool api_accepts_png(const char *accept) {
    return api_accepts_media(accept, "image/png", false);
}

const char *api_bearer_token(const char *authorization) {
    if (!authorization) return NULL;
    const char *p = skip_ws(authorization);
    if (strncasecmp(p, "Bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t')) return NULL;
    p = skip_ws(p + 6);
    return *p ? p : NULL;
}

bool api_origin_allowed(const char *origin_list, const char *origin) {
    if (!origin_list || !origin || !*origin) return false;
    size_t olen = strlen(origin);
    const char *p = origin_list;
    for (;;) {
        p = skip_ws(p);
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        if ((n == 1 && p[0] == '*') || (n == olen && strncmp(p, origin, n) == 0)) return true;
        if (!end) return false;
        p = end + 1;
    }
}

bool api_is_job_id(const char *s) {
    if (!s || strlen(s) != 36) return false;
    for (int i = 0; i < 36; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s[i] != '-' : !(isdigit((unsigned char)s[i]) || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    }
    return true;
}

bool api_parse_int(const char *s, long long min, long long max, long long *out) {
    if (!s) return false;
    s = skip_ws(s);
    if (!*s) return false;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    end = (char *)skip_ws(end);
    if (errno || *end || v < min || v > max) return false;
    *out = v;
    return true;
}

bool api_parse_double(const char *s, double *out) {
    if (!s) return false;
    s = skip_ws(s);
    if (!*s) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    end = (char *)skip_ws(end);
    if (errno || *end || !isfinite(v)) return false;
    *out = v;
    return true;
}

/* Skips the digits at p; returns how many there were. */
static size_t skip_digits(const char **p) {
    size_t n = 0;
    while (isdigit((unsigned char)**p)) {
        (*p)++;
        n++;
    }
    return n;
}

/* The end of a JSON number starting at p (RFC 8259 grammar), or NULL. */
static const char *json_number_end(const char *p) {
    if (*p == '-') p++;
    if (*p == '0')
        p++;
    else if (!skip_digits(&p))
        return NULL;
    if (*p == '.') {
        p++;
        if (!skip_digits(&p)) return NULL;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-') p++;
        if (!skip_digits(&p)) return NULL;
    }
    return p;
}

bool api_parse_json_number(const char *s, double *out) {
    if (!s) return false;
    s = skip_ws(s);
    const char *end = json_number_end(s);
    if (!end || *skip_ws(end)) return false;
    return api_parse_double(s, out);
}

bool api_is_json_integer(const char *s) {
    if (!s) return false;
    s = skip_ws(s);
    const char *end = json_number_end(s);
    if (!end || *skip_ws(end)) return false;
    return strcspn(s, ".eE") >= (size_t)(end - s);
}

bool api_parse_content_length(const char *s, uint64_t *out) {
    if (!s) return false;
    s = skip_ws(s);
    if (!isdigit((unsigned char)*s)) return false;
    uint64_t v = 0;
    for (; isdigit((unsigned char)*s); s++) {
        unsigned d = (unsigned)(*s - '0');
        v = v > (UINT64_MAX - d) / 10 ? UINT64_MAX : v * 10 + d;
    }
    if (*skip_ws(s)) return false;
    *out = v;
    return true;
}

static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

size_t api_url_unescape(char *s) {
    char *w = s;
    for (const char *r = s; *r;) {
        int hi = r[0] == '%' ? hex_value(r[1]) : -1;
        int lo = hi >= 0 ? hex_value(r[2]) : -1;
        if (lo < 0 || (hi == 0 && lo == 0)) {
            *w++ = *r++; /* not an escape, or %00: kept as written */
            continue;
        }
        *w++ = (char)(hi * 16 + lo);
        r += 3;
    }
    *w = '\0';
    return (size_t)(w - s);
}
