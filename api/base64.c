/* Base64 decoding for JSON image uploads; encoding for inline results
 * (response_format b64_json) and URL signatures. */
#include "base64.h"

#include <stdint.h>
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

static char *encode_alphabet(const uint8_t *in, size_t len, const char *abc, bool pad) {
    if (len > (SIZE_MAX - 1) / 4 * 3 - 3) return NULL;
    char *out = malloc((len + 2) / 3 * 4 + 1);
    if (!out) return NULL;
    size_t n = 0, i = 0;
    for (; i + 2 < len; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        out[n++] = abc[v >> 18];
        out[n++] = abc[(v >> 12) & 63];
        out[n++] = abc[(v >> 6) & 63];
        out[n++] = abc[v & 63];
    }
    if (i < len) { /* one or two bytes left */
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < len ? (uint32_t)in[i + 1] << 8 : 0);
        out[n++] = abc[v >> 18];
        out[n++] = abc[(v >> 12) & 63];
        if (i + 1 < len) out[n++] = abc[(v >> 6) & 63];
        if (pad) {
            if (i + 1 == len) out[n++] = '=';
            out[n++] = '=';
        }
    }
    out[n] = '\0';
    return out;
}

char *base64_encode(const uint8_t *in, size_t len) {
    return encode_alphabet(
        in, len, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/", true);
}

char *base64url_encode(const uint8_t *in, size_t len) {
    return encode_alphabet(
        in, len, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", false);
}
