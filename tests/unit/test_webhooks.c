/* Webhook signing (the Standard Webhooks spec's own test vector) and the
 * destination policy: what counts as public, CIDR allow-lists, URL forms
 * that could smuggle another host. */
#include "check.h"
#include "webhook_dest.h"
#include "webhook_sign.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

static void test_signature_vector(void) {
    webhook_key key;
    CHECK(webhook_key_from_secret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", &key));
    const char *body = "{\"test\": 2432232314}";
    char sig[WEBHOOK_SIGNATURE_MAX];
    CHECK(webhook_sign(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body, strlen(body), sig));
    CHECK_MSG(strcmp(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=") == 0, "%s", sig);
    CHECK(!webhook_key_from_secret("whsec_###", &key));
    CHECK(!webhook_key_from_secret("", &key));
}

static bool allowed(const webhook_policy *p, const char *addr) {
    struct sockaddr_storage ss = {0};
    if (strchr(addr, ':')) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        a->sin6_family = AF_INET6;
        inet_pton(AF_INET6, addr, &a->sin6_addr);
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        a->sin_family = AF_INET;
        inet_pton(AF_INET, addr, &a->sin_addr);
    }
    return webhook_addr_allowed(p, (struct sockaddr *)&ss);
}

static void test_public_policy(void) {
    webhook_policy p;
    char err[200];
    CHECK(webhook_policy_parse("public", &p, err, sizeof err));
    const char *denied[] = {
        "127.0.0.1",  "10.0.0.5",        "172.16.3.4",       "192.168.1.1", "169.254.169.254",
        "100.64.1.1", "0.0.0.0",         "224.0.0.1",        "::1",         "fe80::1",
        "fd00::1",    "::ffff:10.0.0.1", "::ffff:127.0.0.1", "::"};
    for (size_t i = 0; i < sizeof denied / sizeof denied[0]; i++)
        CHECK_MSG(!allowed(&p, denied[i]), "%s must not be public", denied[i]);
    CHECK(allowed(&p, "8.8.8.8"));
    CHECK(allowed(&p, "2606:4700::1111"));
    CHECK(allowed(&p, "::ffff:8.8.8.8"));
}

static void test_ranges(void) {
    webhook_policy p;
    char err[200];
    CHECK(webhook_policy_parse("127.0.0.1/32, 10.0.0.0/8", &p, err, sizeof err));
    CHECK(allowed(&p, "127.0.0.1") && !allowed(&p, "127.0.0.2"));
    CHECK(allowed(&p, "10.200.1.1") && !allowed(&p, "11.0.0.1"));
    CHECK_MSG(!allowed(&p, "8.8.8.8"), "public is not in the list");
    CHECK(!webhook_policy_parse("10.0.0.0/33", &p, err, sizeof err));
    CHECK(!webhook_policy_parse("everything", &p, err, sizeof err));
}

static void test_urls(void) {
    webhook_policy p;
    char err[300];
    webhook_policy_parse("public", &p, err, sizeof err);
    CHECK(webhook_url_acceptable(&p, "https://hooks.example.com/i2i?x=1", err, sizeof err));
    CHECK(webhook_url_acceptable(&p, "http://8.8.8.8:8080/h", err, sizeof err));
    const char *bad[] = {"http://127.0.0.1/h",
                         "http://localhost:9/",
                         "http://[::1]/",
                         "ftp://example.com/",
                         "http://user@example.com/",
                         "http://example.com:0/",
                         "http://example.com:99999/",
                         "http:///path",
                         "http://exa mple.com/",
                         "http://10.0.0.1:80/",
                         "javascript:alert(1)",
                         "http://[fe80::1]/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(!webhook_url_acceptable(&p, bad[i], err, sizeof err), "%s accepted", bad[i]);
    webhook_url u;
    CHECK(webhook_url_parse("https://[2606:4700::1]:8443/x", &u, err, sizeof err));
    CHECK(u.https && u.port == 8443 && strcmp(u.host, "2606:4700::1") == 0 && u.host_is_literal);
}

int main(void) {
    test_signature_vector();
    test_public_policy();
    test_ranges();
    test_urls();
    return CHECK_DONE();
}
