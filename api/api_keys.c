/* Key list parsing and constant-time token comparison. */
#include "api_keys.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

/* Compares all of a's bytes whatever the position of the first difference,
 * so response timing does not reveal how much of a key was right. */
static bool equal_const_time(const char *a, size_t alen, const char *b, size_t blen) {
    unsigned char diff = (unsigned char)(alen != blen);
    for (size_t i = 0; i < alen; i++)
        diff |= (unsigned char)a[i] ^ (unsigned char)(i < blen ? b[i] : 0);
    return diff == 0;
}

static bool name_char(char c) {
    return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

/* Length of the NAME in "NAME:TOKEN" at p (entry length n), or 0. */
static size_t name_len(const char *p, size_t n) {
    size_t i = 0;
    while (i < n && i < 64 && name_char(p[i]))
        i++;
    return i > 0 && i < 64 && i < n && p[i] == ':' ? i : 0;
}

static const char *skip_blank(const char *p) {
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

bool api_key_identify(const char *key_list, const char *admin_key, const char *token,
                      api_identity *who) {
    if (!token || !*token) return false;
    size_t tlen = strlen(token);
    bool found = false;
    memset(who, 0, sizeof *who);
    if (admin_key && *admin_key && equal_const_time(token, tlen, admin_key, strlen(admin_key))) {
        snprintf(who->owner, sizeof who->owner, "#admin");
        who->admin = found = true;
    }
    const char *p = key_list ? key_list : "";
    for (int index = 1; *p; index++) {
        p = skip_blank(p);
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
            n--;
        size_t nl = name_len(p, n);
        const char *key = nl ? p + nl + 1 : p;
        size_t klen = nl ? n - nl - 1 : n;
        /* no early exit: every key is compared */
        if (klen > 0 && equal_const_time(token, tlen, key, klen) && !found) {
            if (nl)
                snprintf(who->owner, sizeof who->owner, "%.*s", (int)nl, p);
            else
                snprintf(who->owner, sizeof who->owner, "key#%d", index);
            found = true;
        }
        if (!end) break;
        p = end + 1;
    }
    return found;
}

bool api_key_allowed(const char *key_list, const char *token) {
    api_identity who;
    return api_key_identify(key_list, NULL, token, &who);
}
