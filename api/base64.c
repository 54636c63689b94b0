/* Base64 decoding for JSON image uploads. */
#include "base64.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int sextet(unsigned char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') /* '-' and '_': the URL-safe alphabet */
        return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

static bool is_space(unsigned char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

bool base64_decode(const char *in, size_t in_len, uint8_t **out, size_t *out_len) {
    *out = NULL;
    *out_len = 0;
    uint8_t *buf = malloc(in_len / 4 * 3 + 3);
    if (!buf) return false;
    size_t n = 0;
    uint32_t acc = 0;
    int bits = 0, pad = 0;
    for (size_t i = 0; i < in_len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (is_space(c)) continue;
        if (c == '=') {
            pad++;
            continue;
        }
        int v = sextet(c);
        if (v < 0 || pad) { /* bad character, or data after padding */
            free(buf);
            return false;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            buf[n++] = (uint8_t)(acc >> bits);
        }
    }
    /* leftover bits must be < 6 (one sextet alone encodes no byte) and zero-free
     * padding must not exceed what the length implies */
    if (bits >= 6 || pad > 2) {
        free(buf);
        return false;
    }
    *out = buf;
    *out_len = n;
    return true;
}

const char *base64_strip_data_url(const char *in) {
    if (strncasecmp(in, "data:", 5) != 0) return in;
    const char *comma = strchr(in, ',');
    if (!comma) return NULL;
    size_t meta = (size_t)(comma - in);
    if (meta < 7 || strncasecmp(comma - 7, ";base64", 7) != 0) return NULL;
    return comma + 1;
}
