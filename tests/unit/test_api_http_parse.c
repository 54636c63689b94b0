/* Header and query parsing: Content-Type, Prefer, Accept, bearer tokens,
 * key lists, CORS origins, job ids and strict numbers. */
#include "check.h"
#include "api_keys.h"
#include "http_parse.h"

#include <string.h>

static void test_content_type(void) {
    char b[128];
    CHECK(api_parse_content_type(NULL, b, sizeof b) == API_MEDIA_NONE);
    CHECK(api_parse_content_type("application/json", b, sizeof b) == API_MEDIA_JSON);
    CHECK(api_parse_content_type("Application/JSON; charset=utf-8", b, sizeof b) == API_MEDIA_JSON);
    CHECK(api_parse_content_type("application/jsonx", b, sizeof b) == API_MEDIA_OTHER);
    CHECK(api_parse_content_type("text/plain", b, sizeof b) == API_MEDIA_OTHER);
    CHECK(api_parse_content_type("multipart/form-data; boundary=----abc123", b, sizeof b) ==
          API_MEDIA_MULTIPART);
    CHECK_MSG(strcmp(b, "----abc123") == 0, "boundary '%s'", b);
    CHECK(api_parse_content_type("multipart/form-data; charset=x; boundary=\"q u\"", b, sizeof b) ==
          API_MEDIA_MULTIPART);
    CHECK_MSG(strcmp(b, "q u") == 0, "quoted boundary '%s'", b);
    api_parse_content_type("multipart/form-data", b, sizeof b);
    CHECK(b[0] == '\0');
}

static void test_prefer(void) {
    CHECK(api_parse_prefer_wait(NULL, 60) == -1);
    CHECK(api_parse_prefer_wait("wait=10", 60) == 10);
    CHECK(api_parse_prefer_wait("respond-async, wait=5", 60) == 5);
    CHECK(api_parse_prefer_wait("wait = 7", 60) == 7);
    CHECK(api_parse_prefer_wait("wait=600", 60) == 60);
    CHECK(api_parse_prefer_wait("wait=abc", 60) == -1);
    CHECK(api_parse_prefer_wait("return=minimal", 60) == -1);
    CHECK(api_parse_prefer_wait("wait=-3", 60) == -1);
}

static void test_accept(void) {
    CHECK(!api_accepts_png(NULL));
    CHECK(api_accepts_png("image/png"));
    CHECK(api_accepts_png("application/json, image/png;q=0.5"));
    CHECK(!api_accepts_png("image/png;q=0"));
    CHECK(!api_accepts_png("application/json"));
    CHECK(!api_accepts_png("image/pngx"));
    CHECK(api_accepts_media("image/*", "image/webp", false));
    CHECK(api_accepts_media("text/html, image/jpeg;q=0.8", "image/jpeg", false));
    CHECK(!api_accepts_media("*/*", "image/jpeg", false)); /* curl's default keeps JSON */
    CHECK(api_accepts_media("*/*", "image/jpeg", true));
    CHECK(!api_accepts_media("image/*;q=0", "image/webp", true));
    CHECK(!api_accepts_media("image/png", "image/webp", true));
    CHECK(!api_accepts_media("application/*", "image/webp", true));
}

static void test_auth(void) {
    CHECK(api_bearer_token(NULL) == NULL);
    CHECK(api_bearer_token("Basic abc") == NULL);
    CHECK(api_bearer_token("Bearer") == NULL);
    const char *t = api_bearer_token("Bearer  s3cret");
    CHECK(t && strcmp(t, "s3cret") == 0);
    CHECK(api_key_allowed("a1, s3cret ,zz", "s3cret"));
    CHECK(api_key_allowed("a1,s3cret", "a1"));
    CHECK(!api_key_allowed("a1,s3cret", "s3cre"));
    CHECK(!api_key_allowed("a1,s3cret", "s3crett"));
    CHECK(!api_key_allowed("a1,s3cret", ""));
    CHECK(!api_key_allowed("a1,,s3cret", ""));
    CHECK(!api_key_allowed("a1", NULL));
}

/* Tenants (issue 11): a key's jobs belong to its name (NAME:TOKEN) or to
 * its place in the list; the admin key is its own identity. */
static void test_identities(void) {
    api_identity who;
    const char *keys = "alice:tok-a, tok-b ,bob:tok-c,x:y:z";
    CHECK(api_key_identify(keys, "", "tok-a", &who) && strcmp(who.owner, "alice") == 0);
    CHECK(!who.admin);
    CHECK(api_key_identify(keys, "", "tok-b", &who) && strcmp(who.owner, "key#2") == 0);
    CHECK(api_key_identify(keys, "", "tok-c", &who) && strcmp(who.owner, "bob") == 0);
    CHECK(api_key_identify(keys, "", "y:z", &who) && strcmp(who.owner, "x") == 0);
    CHECK(!api_key_identify(keys, "", "alice", &who));       /* a name is not a token */
    CHECK(!api_key_identify(keys, "", "alice:tok-a", &who)); /* nor is the entry */
    CHECK(!api_key_identify(keys, "", "tok-", &who));
    CHECK(api_key_identify(keys, "root-tok", "root-tok", &who) && who.admin);
    CHECK(strcmp(who.owner, "#admin") == 0);
    CHECK(!api_key_identify(keys, "", "", &who) && !api_key_identify(keys, "", NULL, &who));
    /* a token with ':' whose head is not a name stays one bare token */
    CHECK(api_key_identify("a b:c", "", "a b:c", &who) && strcmp(who.owner, "key#1") == 0);
    CHECK(api_key_identify("", "adm", "adm", &who) && who.admin);
    CHECK(!api_key_identify("", "", "adm", &who));
}

static void test_origins(void) {
    CHECK(api_origin_allowed("https://a.example, http://localhost:3000", "http://localhost:3000"));
    CHECK(!api_origin_allowed("https://a.example", "https://a.example.evil"));
    CHECK(!api_origin_allowed("https://a.example", "https://A.example"));
    CHECK(!api_origin_allowed("", "https://a.example"));
    CHECK(!api_origin_allowed("https://a.example", NULL));
    CHECK(api_origin_allowed("*", "https://anything"));
}

static void test_ids_and_numbers(void) {
    CHECK(api_is_job_id("123e4567-e89b-42d3-a456-426614174000"));
    CHECK(!api_is_job_id("123E4567-e89b-42d3-a456-426614174000"));
    CHECK(!api_is_job_id("123e4567-e89b-42d3-a456-42661417400"));
    CHECK(!api_is_job_id("123e4567xe89b-42d3-a456-426614174000"));
    long long v;
    CHECK(api_parse_int("42", 1, 100, &v) && v == 42);
    CHECK(!api_parse_int("42x", 1, 100, &v));
    CHECK(!api_parse_int("101", 1, 100, &v));
    CHECK(!api_parse_int("", 1, 100, &v));
    double d;
    CHECK(api_parse_double("7.5", &d) && d == 7.5);
    CHECK(!api_parse_double("nan", &d));
    CHECK(!api_parse_double("1e999", &d));
    CHECK(!api_parse_double("1.5.2", &d));
}

/* Form fields read numbers as JSON does (issue 11: strtod took 0x9, 0x1p4). */
static void test_json_numbers(void) {
    double d;
    CHECK(api_parse_json_number(" 9 ", &d) && d == 9);
    CHECK(api_parse_json_number("-0.5e1", &d) && d == -5);
    CHECK(api_parse_json_number("0", &d) && d == 0);
    const char *bad[] = {"0x9", "0x1p4", "+5", "09", ".5", "5.", "1e", "inf", "nan", "", "1 2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        CHECK_MSG(!api_parse_json_number(bad[i], &d), "'%s' accepted", bad[i]);
    CHECK(api_is_json_integer("-12") && api_is_json_integer(" 7 "));
    CHECK(!api_is_json_integer("7.0") && !api_is_json_integer("1e3") && !api_is_json_integer("x"));
}

/* A length over 2^62 is still a length over the limit (it skipped the
 * early 413 and got 100 Continue). */
static void test_content_length(void) {
    uint64_t n;
    CHECK(api_parse_content_length("1024", &n) && n == 1024);
    CHECK(api_parse_content_length("4611686018427387905", &n) && n == 4611686018427387905ULL);
    CHECK(api_parse_content_length("99999999999999999999999", &n) && n == UINT64_MAX);
    CHECK(!api_parse_content_length("-1", &n) && !api_parse_content_length("12x", &n));
    CHECK(!api_parse_content_length("", &n) && !api_parse_content_length(NULL, &n));
}

/* %00 must not cut a path short: /healthz%00junk routed as /healthz. */
static void test_url_unescape(void) {
    char a[] = "/healthz%00junk", b[] = "/v1/jobs%2Fx%41%4", c[] = "%zz%";
    CHECK(api_url_unescape(a) == strlen("/healthz%00junk") && strcmp(a, "/healthz%00junk") == 0);
    CHECK(api_url_unescape(b) == strlen("/v1/jobs/xA%4") && strcmp(b, "/v1/jobs/xA%4") == 0);
    CHECK(api_url_unescape(c) == 4 && strcmp(c, "%zz%") == 0);
}

int main(void) {
    test_content_type();
    test_prefer();
    test_accept();
    test_auth();
    test_identities();
    test_origins();
    test_ids_and_numbers();
    test_json_numbers();
    test_content_length();
    test_url_unescape();
    return CHECK_DONE();
}
