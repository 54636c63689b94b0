/* Header, path and query values (api/http_parse.h, api/api_keys.h): the
 * input's first line is the value every parser reads; the rest is the
 * second operand where there is one (an origin list, an API key list). */
#include "api_keys.h"
#include "api_task.h"
#include "http_parse.h"
#include "support.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    const uint8_t *rest;
    size_t rest_len;
    char *s = fuzz_split_line(data, size, &rest, &rest_len);
    char *other = fuzz_strndup(rest, rest_len);

    char boundary[128];
    if (api_parse_content_type(s, boundary, sizeof boundary) == API_MEDIA_MULTIPART &&
        strlen(boundary) >= sizeof boundary)
        abort();
    char tiny[1];
    (void)api_parse_content_type(s, tiny, sizeof tiny);
    int wait = api_parse_prefer_wait(s, 30);
    if (wait < -1 || wait > 30) abort();
    (void)api_accepts_png(s);
    const char *token = api_bearer_token(s);
    if (token && (token < s || token > s + strlen(s))) abort();
    (void)api_origin_allowed(other, s);
    api_identity who;
    (void)api_key_identify(other, "admin-key", token ? token : s, &who);
    if (api_is_job_id(s) && strlen(s) != 36) abort();

    long long v;
    if (api_parse_int(s, -1000, 1000, &v) && (v < -1000 || v > 1000)) abort();
    double d;
    if (api_parse_double(s, &d) && !isfinite(d)) abort();
    if (api_parse_json_number(s, &d) && !isfinite(d)) abort();
    (void)api_is_json_integer(s);
    uint64_t cl;
    (void)api_parse_content_length(s, &cl);

    /* Unescaping never grows the string and leaves no NUL inside it. */
    size_t len = strlen(s);
    size_t n = api_url_unescape(s);
    if (n > len || strlen(s) != n) abort();
    (void)api_task_by_route(s);

    free(other);
    free(s);
    return 0;
}
