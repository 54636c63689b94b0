/* Edit request parsing from JSON and multipart, validation messages,
 * resolution over profiles, and the idempotency hash. */
#include "check.h"
#include "edit_request.h"
#include "param_limits.h"

#include <string.h>

/* base64 of the 4 bytes "\x89PNG" is "iVBORw==" */
#define IMG_B64 "iVBORw=="

static bool parse_json(const char *body, edit_request *r, api_error *e) {
    edit_request_init(r);
    memset(e, 0, sizeof *e);
    return edit_request_from_json(body, strlen(body), r, e);
}

static void expect_json_error(const char *body, api_error_code code, const char *needle) {
    edit_request r;
    api_error e;
    bool ok = parse_json(body, &r, &e);
    CHECK_MSG(!ok, "accepted %s", body);
    CHECK_MSG(e.code == code, "%s: code %s, want %s (%s)", body, api_error_code_name(e.code),
              api_error_code_name(code), e.message);
    CHECK_MSG(strstr(e.message, needle) != NULL, "%s: message '%s' lacks '%s'", body, e.message,
              needle);
    edit_request_free(&r);
}

static void test_json_ok(void) {
    edit_request r;
    api_error e;
    const char *body = "{\"image\":\"" IMG_B64 "\",\"prompt\":\"make it autumn\","
                       "\"num_inference_steps\":12,\"guidance_scale\":6.5,"
                       "\"image_guidance_scale\":1.25,\"seed\":42,\"scheduler\":\"dpmpp_2m\","
                       "\"eta\":0.5,\"depth\":9,\"gamma\":0.6,\"profile\":\"edit-fast\"}";
    CHECK_MSG(parse_json(body, &r, &e), "%s", e.message);
    CHECK(r.image_len == 4 && memcmp(r.image, "\x89PNG", 4) == 0);
    CHECK(r.prompt && strcmp(r.prompt, "make it autumn") == 0);
    CHECK(r.steps == 12 && r.guidance_scale == 6.5 && r.image_guidance_scale == 1.25);
    CHECK(r.seed == 42 && r.sampler == I2I_SAMPLER_DPMPP_2M && r.eta == 0.5);
    CHECK(r.depth == 9 && r.gamma == 0.6 && strcmp(r.profile, "edit-fast") == 0);
    edit_request_free(&r);

    /* data URL, null = default, integral real for an integer field */
    CHECK_MSG(parse_json("{\"image\":\"data:image/png;base64," IMG_B64
                         "\",\"prompt\":\"x\",\"seed\":null,\"num_inference_steps\":10.0}",
                         &r, &e),
              "%s", e.message);
    CHECK(r.image_len == 4 && !(r.given & EDIT_GIVEN_SEED) && r.steps == 10);
    edit_request_free(&r);
}

static void test_json_errors(void) {
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"strength\":1,\"foo\":2}",
                      API_ERR_UNKNOWN_FIELD, "strength, foo");
    expect_json_error("{\"prompt\":\"x\"}", API_ERR_MISSING_FIELD, "image");
    expect_json_error("{\"image\":\"" IMG_B64 "\"}", API_ERR_MISSING_FIELD, "prompt");
    expect_json_error("[1,2]", API_ERR_INVALID_REQUEST, "object");
    expect_json_error("{\"image\":", API_ERR_INVALID_REQUEST, "invalid JSON");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"num_inference_steps\":0}",
                      API_ERR_INVALID_PARAMETER, "num_inference_steps");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"num_inference_steps\":2.5}",
                      API_ERR_INVALID_PARAMETER, "integer");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"depth\":14}",
                      API_ERR_INVALID_PARAMETER, "depth");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"eta\":1.5}",
                      API_ERR_INVALID_PARAMETER, "eta");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"gamma\":0}",
                      API_ERR_INVALID_PARAMETER, "gamma");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"seed\":-1}",
                      API_ERR_INVALID_PARAMETER, "seed");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"seed\":9007199254740992}",
                      API_ERR_INVALID_PARAMETER, "seed");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"guidance_scale\":\"7\"}",
                      API_ERR_INVALID_PARAMETER, "number");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"scheduler\":\"euler\"}",
                      API_ERR_INVALID_PARAMETER, "ddim");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"\"}", API_ERR_INVALID_PARAMETER,
                      "prompt");
    expect_json_error("{\"image\":\"not base64!\",\"prompt\":\"x\"}", API_ERR_INVALID_IMAGE,
                      "base64");
    expect_json_error("{\"image\":\"data:image/png,abc\",\"prompt\":\"x\"}", API_ERR_INVALID_IMAGE,
                      "base64");
    expect_json_error("{\"image\":7,\"prompt\":\"x\"}", API_ERR_INVALID_PARAMETER, "image");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"prompt\":\"y\"}",
                      API_ERR_INVALID_REQUEST, "JSON");
}

static multipart_part text_part(const char *name, const char *value) {
    multipart_part p;
    memset(&p, 0, sizeof p);
    snprintf(p.name, sizeof p.name, "%s", name);
    p.data = (const uint8_t *)value;
    p.len = strlen(value);
    return p;
}

static void test_multipart(void) {
    multipart_part parts[6] = {
        text_part("image", "\x89PNG\r\n\x1a\n"), text_part("prompt", "make it autumn"),
        text_part("num_inference_steps", "8"),   text_part("guidance_scale", " 5.5 "),
        text_part("scheduler", "ddim"),          text_part("seed", "7")};
    multipart_form f = {parts, 6};
    edit_request r;
    api_error e = {0};
    edit_request_init(&r);
    CHECK_MSG(edit_request_from_multipart(&f, &r, &e), "%s", e.message);
    CHECK(r.image_len == 8 && r.steps == 8 && r.guidance_scale == 5.5 && r.seed == 7);
    CHECK(r.sampler == I2I_SAMPLER_DDIM && strcmp(r.prompt, "make it autumn") == 0);
    edit_request_free(&r);

    const char *bad[][3] = {{"num_inference_steps", "ten", "integer"},
                            {"num_inference_steps", "500", "num_inference_steps"},
                            {"guidance_scale", "7.5x", "number"},
                            {"depth", "-1", "depth"},
                            {"negative_prompt", "x", "negative_prompt"}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        multipart_part ps[3] = {text_part("image", "x"), text_part("prompt", "p"),
                                text_part(bad[i][0], bad[i][1])};
        multipart_form g = {ps, 3};
        edit_request_init(&r);
        bool ok = edit_request_from_multipart(&g, &r, &e);
        CHECK_MSG(!ok && strstr(e.message, bad[i][2]), "%s=%s: ok=%d '%s'", bad[i][0], bad[i][1],
                  ok, e.message);
        edit_request_free(&r);
    }
    /* a repeated field is refused */
    multipart_part dup[3] = {text_part("image", "x"), text_part("prompt", "p"),
                             text_part("prompt", "q")};
    multipart_form g = {dup, 3};
    edit_request_init(&r);
    CHECK(!edit_request_from_multipart(&g, &r, &e) && e.code == API_ERR_INVALID_REQUEST);
    edit_request_free(&r);
    /* invalid UTF-8 in the prompt */
    multipart_part badutf[2] = {text_part("image", "x"), text_part("prompt", "caf\xe9")};
    multipart_form h = {badutf, 2};
    edit_request_init(&r);
    CHECK(!edit_request_from_multipart(&h, &r, &e) && strstr(e.message, "UTF-8"));
    edit_request_free(&r);
}

static void test_resolve(void) {
    api_profile_set set;
    api_profiles_builtin(&set);
    const api_profile *def = api_profiles_default(&set, "edit");
    CHECK(def != NULL);
    edit_request r;
    api_error e;
    CHECK(parse_json("{\"image\":\"" IMG_B64 "\",\"prompt\":\"p\",\"guidance_scale\":3}", &r, &e));
    edit_resolved res;
    CHECK_MSG(edit_request_resolve(&r, &set, 1234, &res, &e), "%s", e.message);
    if (def) {
        CHECK(strcmp(res.profile, def->name) == 0);
        CHECK(res.params.steps == def->steps && res.params.depth == def->depth);
        CHECK(res.params.gamma == def->gamma && res.params.eta == def->eta);
        CHECK(res.params.image_guidance_scale == def->image_guidance_scale);
    }
    CHECK(res.params.guidance_scale == 3.0);
    CHECK(res.params.seed == 1234);
    CHECK(strcmp(res.params.prompt, "p") == 0);
    json_t *j = edit_resolved_json(&res);
    CHECK(j && json_integer_value(json_object_get(j, "seed")) == 1234);
    CHECK(j && strcmp(json_string_value(json_object_get(j, "scheduler")), "ddim") == 0);
    json_decref(j);
    edit_request_free(&r);

    CHECK(parse_json("{\"image\":\"" IMG_B64 "\",\"prompt\":\"p\",\"profile\":\"nope\"}", &r, &e));
    CHECK(!edit_request_resolve(&r, &set, 1, &res, &e) && strstr(e.message, "nope"));
    edit_request_free(&r);
    CHECK(parse_json("{\"image\":\"" IMG_B64 "\",\"prompt\":\"p\",\"profile\":\"edit-full\"}", &r,
                     &e));
    CHECK(edit_request_resolve(&r, &set, 1, &res, &e) && res.params.depth == 13);
    edit_request_free(&r);

    api_profile bad = *def;
    snprintf(bad.name, sizeof bad.name, "broken");
    bad.depth = 20;
    char err[128];
    CHECK(!api_profiles_add(&set, &bad, err, sizeof err) && strstr(err, "depth"));
}

static void test_hash(void) {
    edit_request a, b;
    api_error e;
    CHECK(parse_json("{\"image\":\"" IMG_B64 "\",\"prompt\":\"p\",\"seed\":1}", &a, &e));
    CHECK(parse_json("{\"seed\":1,\"prompt\":\"p\",\"image\":\"" IMG_B64 "\"}", &b, &e));
    CHECK(edit_request_hash(&a) == edit_request_hash(&b));
    edit_request_free(&b);
    CHECK(parse_json("{\"image\":\"" IMG_B64 "\",\"prompt\":\"p\",\"seed\":2}", &b, &e));
    CHECK(edit_request_hash(&a) != edit_request_hash(&b));
    edit_request_free(&a);
    edit_request_free(&b);
}

int main(void) {
    test_json_ok();
    test_json_errors();
    test_multipart();
    test_resolve();
    test_hash();
    return CHECK_DONE();
}
