/* multipart/form-data parsing, including binary file data that contains
 * CR LF and dashes, and malformed bodies. */
#include "check.h"
#include "multipart.h"

#include <string.h>

static size_t build(uint8_t *out, const char *boundary, const uint8_t *bin, size_t binlen) {
    size_t n = 0;
    n += (size_t)sprintf((char *)out + n,
                         "--%s\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\n"
                         "make it autumn\r\n",
                         boundary);
    n += (size_t)sprintf((char *)out + n,
                         "--%s\r\nContent-Disposition: form-data; name=\"image\"; "
                         "filename=\"x.png\"\r\nContent-Type: image/png\r\n\r\n",
                         boundary);
    memcpy(out + n, bin, binlen);
    n += binlen;
    n += (size_t)sprintf((char *)out + n, "\r\n--%s--\r\n", boundary);
    return n;
}

static void test_binary_part(void) {
    /* file bytes that look like line ends, a NUL, and a near-miss boundary */
    const uint8_t bin[] = {0x89, 'P',  'N', 'G', '\r', '\n', 0x00, '-',  '-',  'X', 'Y',
                           '\r', '\n', '-', '-', 'b',  'n',  'd',  0xff, '\r', '\n'};
    uint8_t body[1024];
    size_t n = build(body, "bnd0", bin, sizeof bin);
    multipart_form f;
    char err[256];
    CHECK_MSG(multipart_parse(body, n, "bnd0", &f, err, sizeof err), "%s", err);
    CHECK(f.count == 2);
    if (f.count == 2) {
        CHECK(strcmp(f.parts[0].name, "prompt") == 0);
        CHECK(f.parts[0].len == 14 && memcmp(f.parts[0].data, "make it autumn", 14) == 0);
        CHECK(!f.parts[0].has_filename);
        CHECK(strcmp(f.parts[1].name, "image") == 0);
        CHECK(f.parts[1].has_filename && strcmp(f.parts[1].filename, "x.png") == 0);
        CHECK(strcmp(f.parts[1].content_type, "image/png") == 0);
        CHECK_MSG(f.parts[1].len == sizeof bin, "binary part length %zu", f.parts[1].len);
        CHECK(memcmp(f.parts[1].data, bin, sizeof bin) == 0);
    }
    multipart_form_free(&f);
}

static void expect_fail(const char *body, const char *boundary, const char *why) {
    multipart_form f;
    char err[256] = "";
    bool ok = multipart_parse((const uint8_t *)body, strlen(body), boundary, &f, err, sizeof err);
    CHECK_MSG(!ok, "accepted: %s", why);
    CHECK_MSG(err[0] != '\0', "no message for: %s", why);
    CHECK(f.count == 0);
}

static void test_malformed(void) {
    expect_fail("no boundary here", "b", "missing boundary");
    expect_fail("--b\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nvalue", "b",
                "no closing delimiter");
    expect_fail("--b\r\nContent-Type: text/plain\r\n\r\nv\r\n--b--", "b", "no Content-Disposition");
    expect_fail("--b\r\nContent-Disposition: form-data\r\n\r\nv\r\n--b--", "b", "no name");
    expect_fail("--b\r\n", "", "empty boundary");
    expect_fail("--bXjunk", "b", "delimiter without CRLF");
}

static void test_preamble_and_empty(void) {
    const char *body = "preamble text\r\n--b\r\nContent-Disposition: form-data; name=a\r\n\r\n"
                       "\r\n--b--\r\n";
    multipart_form f;
    char err[256];
    CHECK_MSG(multipart_parse((const uint8_t *)body, strlen(body), "b", &f, err, sizeof err), "%s",
              err);
    CHECK(f.count == 1 && strcmp(f.parts[0].name, "a") == 0 && f.parts[0].len == 0);
    multipart_form_free(&f);
}

static void test_too_many_parts(void) {
    static char body[64 * 200];
    size_t n = 0;
    for (int i = 0; i < MULTIPART_MAX_PARTS + 1; i++)
        n += (size_t)sprintf(body + n,
                             "--b\r\nContent-Disposition: form-data; name=f%d\r\n\r\nx\r\n", i);
    sprintf(body + n, "--b--\r\n");
    multipart_form f;
    char err[256];
    CHECK(!multipart_parse((const uint8_t *)body, strlen(body), "b", &f, err, sizeof err));
    CHECK(strstr(err, "too many") != NULL);
}

int main(void) {
    test_binary_part();
    test_malformed();
    test_preamble_and_empty();
    test_too_many_parts();
    return CHECK_DONE();
}
