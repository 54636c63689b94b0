/* A strict, bounded multipart/form-data parser. We parse after the body is
 * complete (its size is already capped by the server), which keeps this
 * code free of HTTP-library calls and easy to test with crafted bodies. */
#include "multipart.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const uint8_t *find(const uint8_t *hay, size_t hay_len, const char *needle,
                           size_t needle_len) {
    /* memmem is a GNU extension; memchr on the first byte keeps this fast */
    const uint8_t *end = hay + hay_len;
    const uint8_t *p = hay;
    while (needle_len <= (size_t)(end - p)) {
        p = memchr(p, needle[0], (size_t)(end - p) - needle_len + 1);
        if (!p) return NULL;
        if (memcmp(p, needle, needle_len) == 0) return p;
        p++;
    }
    return NULL;
}

/* Copies the value of `key=` from a Content-Disposition parameter list;
 * quoted or bare token. Returns false when the key is absent. */
static bool disposition_param(const char *line, const char *key, char *out, size_t outlen) {
    size_t klen = strlen(key);
    const char *p = line;
    while ((p = strchr(p, ';')) != NULL) {
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncasecmp(p, key, klen) != 0 || p[klen] != '=') continue;
        p += klen + 1;
        size_t n = 0;
        if (*p == '"') {
            p++;
            while (*p && *p != '"' && n + 1 < outlen)
                out[n++] = *p++;
        } else {
            while (*p && *p != ';' && !isspace((unsigned char)*p) && n + 1 < outlen)
                out[n++] = *p++;
        }
        out[n] = '\0';
        return true;
    }
    return false;
}

static bool parse_part_headers(const char *hdrs, multipart_part *part, char *err, size_t errlen) {
    bool have_disposition = false;
    const char *line = hdrs;
    while (*line) {
        const char *eol = strstr(line, "\r\n");
        size_t n = eol ? (size_t)(eol - line) : strlen(line);
        char buf[1024];
        if (n >= sizeof buf) {
            snprintf(err, errlen, "multipart part header line too long");
            return false;
        }
        memcpy(buf, line, n);
        buf[n] = '\0';
        if (strncasecmp(buf, "content-disposition:", 20) == 0) {
            have_disposition = true;
            if (!disposition_param(buf, "name", part->name, sizeof part->name)) {
                snprintf(err, errlen, "multipart part without a name");
                return false;
            }
            part->has_filename =
                disposition_param(buf, "filename", part->filename, sizeof part->filename);
        } else if (strncasecmp(buf, "content-type:", 13) == 0) {
            const char *v = buf + 13;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t vlen = strnlen(v, sizeof part->content_type - 1); /* truncate long types */
            memcpy(part->content_type, v, vlen);
            part->content_type[vlen] = '\0';
        }
        line += n + (eol ? 2 : 0);
    }
    if (!have_disposition) {
        snprintf(err, errlen, "multipart part without Content-Disposition");
        return false;
    }
    return true;
}

static bool fail(multipart_form *out, char *err, size_t errlen, const char *msg) {
    snprintf(err, errlen, "%s", msg);
    multipart_form_free(out);
    return false;
}

bool multipart_parse(const uint8_t *body, size_t len, const char *boundary, multipart_form *out,
                     char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    size_t blen = boundary ? strlen(boundary) : 0;
    if (blen == 0 || blen > 70)
        return fail(out, err, errlen, "multipart boundary missing or longer than 70 characters");
    char delim[80]; /* "\r\n--" + boundary */
    snprintf(delim, sizeof delim, "\r\n--%s", boundary);
    size_t dlen = blen + 4;
    out->parts = calloc(MULTIPART_MAX_PARTS, sizeof *out->parts);
    if (!out->parts) return fail(out, err, errlen, "out of memory");

    /* The first delimiter may come without the leading CRLF. */
    const uint8_t *p;
    if (len >= dlen - 2 && memcmp(body, delim + 2, dlen - 2) == 0)
        p = body + dlen - 2;
    else {
        p = find(body, len, delim, dlen);
        if (!p) return fail(out, err, errlen, "multipart body does not contain its boundary");
        p += dlen;
    }
    const uint8_t *end = body + len;
    for (;;) {
        if (end - p >= 2 && p[0] == '-' && p[1] == '-') return true; /* closing delimiter */
        while (p < end && (*p == ' ' || *p == '\t'))
            p++;
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n')
            return fail(out, err, errlen, "multipart delimiter not followed by CRLF");
        p += 2;
        const uint8_t *hdr_end = find(p, (size_t)(end - p), "\r\n\r\n", 4);
        const uint8_t *data = hdr_end ? hdr_end + 4 : NULL;
        if (!hdr_end && end - p >= 2 && p[0] == '\r' && p[1] == '\n')
            hdr_end = p, data = p + 2; /* a part with no headers at all */
        if (!hdr_end || hdr_end - p > 8192)
            return fail(out, err, errlen, "multipart part headers missing or too long");
        if (out->count == MULTIPART_MAX_PARTS)
            return fail(out, err, errlen, "too many multipart parts");
        multipart_part *part = &out->parts[out->count];
        char hdrs[8200];
        memcpy(hdrs, p, (size_t)(hdr_end - p));
        hdrs[hdr_end - p] = '\0';
        if (strlen(hdrs) != (size_t)(hdr_end - p))
            return fail(out, err, errlen, "NUL byte in multipart part headers");
        if (!parse_part_headers(hdrs, part, err, errlen)) {
            multipart_form_free(out);
            return false;
        }
        const uint8_t *next = find(data, (size_t)(end - data), delim, dlen);
        if (!next)
            return fail(out, err, errlen, "multipart body is truncated (no closing boundary)");
        part->data = data;
        part->len = (size_t)(next - data);
        out->count++;
        p = next + dlen;
    }
}

void multipart_form_free(multipart_form *f) {
    free(f->parts);
    f->parts = NULL;
    f->count = 0;
}
