/* Result URLs: absolute under a public base, signatures that verify for
 * their job and expiry only, and the base64 encoders they and b64_json use. */
#include "check.h"
#include "base64.h"
#include "result_url.h"

#include <stdlib.h>
#include <string.h>

#define ID "123e4567-e89b-42d3-a456-426614174000"
#define OTHER "123e4567-e89b-42d3-a456-426614174001"

static void test_base64(void) {
    char *s = base64_encode((const uint8_t *)"fo", 2);
    CHECK(s && strcmp(s, "Zm8=") == 0);
    free(s);
    s = base64_encode((const uint8_t *)"foobar", 6);
    CHECK(s && strcmp(s, "Zm9vYmFy") == 0);
    free(s);
    s = base64url_encode((const uint8_t *)"\xfb\xff", 2); /* '+' '/' become '-' '_', no '=' */
    CHECK(s && strcmp(s, "-_8") == 0);
    free(s);
    uint8_t *back;
    size_t n;
    s = base64_encode((const uint8_t *)"\0\1\2\3\4", 5);
    CHECK(base64_decode(s, strlen(s), &back, &n) && n == 5 && memcmp(back, "\0\1\2\3\4", 5) == 0);
    free(back);
    free(s);
}

static void test_config(void) {
    result_urls u;
    char err[300];
    CHECK(result_urls_init(&u, "https://x.example/i2i//", "", 60, true, err, sizeof err));
    CHECK(strcmp(u.base, "https://x.example/i2i") == 0 && u.secret_len == 32);
    CHECK(!result_urls_init(&u, "ftp://x", "", 60, true, err, sizeof err));
    CHECK(!result_urls_init(&u, "https://x/?a=1", "", 60, true, err, sizeof err));
    CHECK(!result_urls_init(&u, "", "short", 60, true, err, sizeof err));
    CHECK(result_urls_init(&u, "", "", 60, false, err, sizeof err) && u.base[0] == '\0');
    char out[RESULT_URL_MAX];
    CHECK(result_urls_result(&u, ID, 0, 1000, out, sizeof out));
    CHECK(strcmp(out, "/v1/jobs/" ID "/result") == 0); /* no auth: plain and relative */
    CHECK(result_urls_result(&u, ID, 2, 1000, out, sizeof out));
    CHECK(strcmp(out, "/v1/jobs/" ID "/result?index=2") == 0);
}

static void test_signing(void) {
    result_urls u;
    char err[300], url[RESULT_URL_MAX];
    CHECK(result_urls_init(&u, "http://h:1", "0123456789abcdef", 60, true, err, sizeof err));
    CHECK(result_urls_result(&u, ID, 0, 1000.5, url, sizeof url));
    const char *q = strstr(url, "?exp=1060&sig=");
    CHECK(q && strncmp(url, "http://h:1/v1/jobs/" ID "/result", q - url) == 0);
    const char *sig = strstr(url, "sig=") + 4;
    CHECK(strlen(sig) == 43); /* 32 bytes, unpadded base64url */
    CHECK(result_urls_verify(&u, ID, "1060", sig, 1059) == RESULT_SIG_VALID);
    CHECK(result_urls_verify(&u, ID, "1060", sig, 1061) == RESULT_SIG_EXPIRED);
    CHECK(result_urls_verify(&u, OTHER, "1060", sig, 1000) == RESULT_SIG_BAD);
    CHECK(result_urls_verify(&u, ID, "1061", sig, 1000) == RESULT_SIG_BAD);
    CHECK(result_urls_verify(&u, ID, NULL, sig, 1000) == RESULT_SIG_BAD);
    CHECK(result_urls_verify(&u, ID, "1060", NULL, 1000) == RESULT_SIG_BAD);
    CHECK(result_urls_verify(&u, ID, "-5", sig, 1000) == RESULT_SIG_BAD);
    result_urls other;
    CHECK(result_urls_init(&other, "", "fedcba9876543210", 60, true, err, sizeof err));
    CHECK(result_urls_verify(&other, ID, "1060", sig, 1000) == RESULT_SIG_BAD);
    /* a later image of the same job: the same job-bound signature after ?index= */
    char second[RESULT_URL_MAX];
    CHECK(result_urls_result(&u, ID, 3, 1000.5, second, sizeof second));
    CHECK(strstr(second, "/result?index=3&exp=1060&sig=") &&
          !strcmp(strstr(second, "sig=") + 4, sig));
}

int main(void) {
    test_base64();
    test_config();
    test_signing();
    return CHECK_DONE();
}
