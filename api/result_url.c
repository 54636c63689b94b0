/* Public and signed result URLs. */
#include "result_url.h"
#include "base64.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool set_base(result_urls *u, const char *url, char *err, size_t errlen) {
    size_t n = strlen(url);
    while (n && url[n - 1] == '/') /* "https://x/" and "https://x" are one base */
        n--;
    bool scheme = !strncmp(url, "http://", 7) || !strncmp(url, "https://", 8);
    if (n && (!scheme || strpbrk(url, "?# \t\r\n\"") || n > RESULT_URL_BASE_MAX))
        return snprintf(err, errlen,
                        "public URL '%.100s' must be http(s)://host[:port][/path], at most %d "
                        "characters, without query or fragment",
                        url, RESULT_URL_BASE_MAX),
               false;
    memcpy(u->base, url, n);
    u->base[n] = '\0';
    return true;
}

bool result_urls_init(result_urls *u, const char *public_url, const char *secret, int ttl_s,
                      bool sign, char *err, size_t errlen) {
    memset(u, 0, sizeof *u);
    u->ttl_s = ttl_s;
    u->sign = sign;
    if (!set_base(u, public_url ? public_url : "", err, errlen)) return false;
    size_t n = secret ? strlen(secret) : 0;
    if (n == 0) { /* per process: signed URLs end with it */
        u->secret_len = 32;
        if (RAND_bytes(u->secret, (int)u->secret_len) != 1)
            return snprintf(err, errlen, "no random bytes for the URL secret"), false;
        return true;
    }
    if (n < RESULT_URL_SECRET_MIN || n > sizeof u->secret)
        return snprintf(err, errlen, "URL secret must be %d to %zu bytes, not %zu",
                        RESULT_URL_SECRET_MIN, sizeof u->secret, n),
               false;
    memcpy(u->secret, secret, n);
    u->secret_len = n;
    return true;
}

void result_urls_absolute(const result_urls *u, const char *path, char *out, size_t outlen) {
    snprintf(out, outlen, "%s%s", u->base, path);
}

/* base64url(HMAC-SHA256(secret, "<id>\n<exp>")), malloc'd. */
static char *signature(const result_urls *u, const char *id, long long exp) {
    char msg[80];
    int len = snprintf(msg, sizeof msg, "%s\n%lld", id, exp);
    uint8_t mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    if (!HMAC(EVP_sha256(), u->secret, (int)u->secret_len, (const uint8_t *)msg, (size_t)len, mac,
              &mac_len))
        return NULL;
    return base64url_encode(mac, mac_len);
}

bool result_urls_result(const result_urls *u, const char *id, int index, double now, char *out,
                        size_t outlen) {
    char path[80], idx[24] = "";
    snprintf(path, sizeof path, "/v1/jobs/%s/result", id);
    if (index > 0) snprintf(idx, sizeof idx, "index=%d", index);
    if (!u->sign) {
        snprintf(out, outlen, "%s%s%s%s", u->base, path, idx[0] ? "?" : "", idx);
        return true;
    }
    long long exp = (long long)now + u->ttl_s;
    char *sig = signature(u, id, exp);
    if (!sig) return false;
    snprintf(out, outlen, "%s%s?%s%sexp=%lld&sig=%s", u->base, path, idx, idx[0] ? "&" : "", exp,
             sig);
    free(sig);
    return true;
}

/* A Unix time of 1..12 digits, nothing else. */
static bool parse_exp(const char *s, long long *out) {
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 12 || strspn(s, "0123456789") != n) return false;
    *out = strtoll(s, NULL, 10);
    return true;
}

result_sig result_urls_verify(const result_urls *u, const char *id, const char *exp,
                              const char *sig, double now) {
    long long e;
    if (!sig || !parse_exp(exp, &e)) return RESULT_SIG_BAD;
    char *want = signature(u, id, e);
    bool same = want && strlen(sig) == strlen(want) && CRYPTO_memcmp(sig, want, strlen(want)) == 0;
    free(want);
    if (!same) return RESULT_SIG_BAD;
    return (double)e < now ? RESULT_SIG_EXPIRED : RESULT_SIG_VALID;
}
