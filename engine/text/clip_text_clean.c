/* Text cleanup before CLIP's pattern: strict UTF-8 decoding, white-space
 * runs collapsed and stripped, Python's str.lower() (final sigma included),
 * and UTF-8 encoding with per-code-point offsets. */
#include "clip_text_clean.h"

#include "unicode_tables.h"

#include <stdio.h>
#include <string.h>

/* Strict UTF-8 decoding (no overlong forms, surrogates or values above U+10FFFF). Returns the
 * number of code points, or -1 with err naming the offending byte offset. */
long text_decode_utf8(const unsigned char *s, size_t len, uint32_t *out, char *err, size_t errlen) {
    long n = 0;
    size_t i = 0;
    while (i < len) {
        unsigned c = s[i];
        int extra = c < 0x80             ? 0
                    : (c & 0xE0) == 0xC0 ? 1
                    : (c & 0xF0) == 0xE0 ? 2
                    : (c & 0xF8) == 0xF0 ? 3
                                         : -1;
        uint32_t cp = extra == 0 ? c : extra == 1 ? c & 0x1F : extra == 2 ? c & 0x0F : c & 0x07;
        bool bad = extra < 0 || i + (size_t)extra >= len;
        for (int k = 1; !bad && k <= extra; k++) {
            if ((s[i + k] & 0xC0) != 0x80) bad = true;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        static const uint32_t min_cp[4] = {0, 0x80, 0x800, 0x10000};
        if (!bad && (cp < min_cp[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)))
            bad = true;
        if (bad) {
            snprintf(err, errlen, "invalid UTF-8 at byte %zu of the prompt", i);
            return -1;
        }
        out[n++] = cp;
        i += (size_t)extra + 1;
    }
    return n;
}

/* regex \s+ -> " ", then str.strip(); in place, returns the new length. */
size_t text_collapse_whitespace(uint32_t *cp, size_t n) {
    size_t m = 0;
    bool in_run = false;
    for (size_t i = 0; i < n; i++) {
        if (uni_is_regex_space(cp[i])) {
            if (!in_run) cp[m++] = ' ';
            in_run = true;
        } else {
            cp[m++] = cp[i];
            in_run = false;
        }
    }
    size_t lo = 0;
    while (lo < m && uni_is_py_space(cp[lo]))
        lo++;
    while (m > lo && uni_is_py_space(cp[m - 1]))
        m--;
    memmove(cp, cp + lo, (m - lo) * sizeof *cp);
    return m - lo;
}

/* CPython's Final_Sigma test for the U+03A3 at index i: a cased letter before it and none
 * after it, skipping case-ignorable characters both ways. */
static bool is_final_sigma(const uint32_t *cp, size_t n, size_t i) {
    size_t j = i;
    while (j > 0 && uni_is_case_ignorable(cp[j - 1]))
        j--;
    if (j == 0 || !uni_is_sigma_cased(cp[j - 1])) return false;
    j = i + 1;
    while (j < n && uni_is_case_ignorable(cp[j]))
        j++;
    return j == n || !uni_is_sigma_cased(cp[j]);
}

/* str.lower() of cp[0..n) into out (room for 3n); returns the new length. */
size_t text_python_lower(const uint32_t *cp, size_t n, uint32_t *out) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (cp[i] == 0x3A3) {
            out[m++] = is_final_sigma(cp, n, i) ? 0x3C2 : 0x3C3;
            continue;
        }
        m += (size_t)uni_lower(cp[i], out + m);
    }
    return m;
}

/* UTF-8 of cp[0..n) into out; off[i] is where code point i starts, off[n] the total. */
void text_encode_utf8(const uint32_t *cp, size_t n, unsigned char *out, size_t *off) {
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        off[i] = m;
        uint32_t c = cp[i];
        if (c < 0x80) {
            out[m++] = (unsigned char)c;
        } else if (c < 0x800) {
            out[m++] = (unsigned char)(0xC0 | (c >> 6));
            out[m++] = (unsigned char)(0x80 | (c & 0x3F));
        } else if (c < 0x10000) {
            out[m++] = (unsigned char)(0xE0 | (c >> 12));
            out[m++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            out[m++] = (unsigned char)(0x80 | (c & 0x3F));
        } else {
            out[m++] = (unsigned char)(0xF0 | (c >> 18));
            out[m++] = (unsigned char)(0x80 | ((c >> 12) & 0x3F));
            out[m++] = (unsigned char)(0x80 | ((c >> 6) & 0x3F));
            out[m++] = (unsigned char)(0x80 | (c & 0x3F));
        }
    }
    off[n] = m;
}
