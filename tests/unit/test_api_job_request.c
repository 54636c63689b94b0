/* Edit request parsing from JSON and multipart, validation messages,
 * resolution over profiles, and the idempotency hash. */
#include "check.h"
#include "api_task.h"
#include "job_request.h"
#include "param_limits.h"
#include "profiles.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* base64 of the 4 bytes "\x89PNG" is "iVBORw==" */
#define IMG_B64 "iVBORw=="
#define EDIT api_task_find("edit")
#define CONTROL api_task_find("control")

static bool parse_json(const char *body, job_request *r, api_error *e) {
    job_request_init(r);
    memset(e, 0, sizeof *e);
    return job_request_from_json(EDIT, body, strlen(body), r, e);
}

static void expect_json_error(const char *body, api_error_code code, const char *needle) {
    job_request r;
    api_error e;
    bool ok = parse_json(body, &r, &e);
    CHECK_MSG(!ok, "accepted %s", body);
    CHECK_MSG(e.code == code, "%s: code %s, want %s (%s)", body, api_error_code_name(e.code),
              api_error_code_name(code), e.message);
    CHECK_MSG(strstr(e.message, needle) != NULL, "%s: message '%s' lacks '%s'", body, e.message,
              needle);
    job_request_free(&r);
}

static void test_json_ok(void) {
    job_request r;
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
    job_request_free(&r);

    /* data URL, null = default, integral real for an integer field */
    CHECK_MSG(parse_json("{\"image\":\"data:image/png;base64," IMG_B64
                         "\",\"prompt\":\"x\",\"seed\":null,\"num_inference_steps\":10.0}",
                         &r, &e),
              "%s", e.message);
    CHECK(r.image_len == 4 && !(r.given & REQ_SEED) && r.steps == 10);
    job_request_free(&r);
}

static void test_json_errors(void) {
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"strength\":1,\"foo\":2}",
                      API_ERR_UNKNOWN_FIELD, "strength, foo");
    expect_json_error("{\"prompt\":\"x\"}", API_ERR_MISSING_FIELD, "image");
    expect_json_error("{\"image\":\"" IMG_B64 "\"}", API_ERR_MISSING_FIELD, "prompt");
    expect_json_error("[1,2]", API_ERR_INVALID_REQUEST, "object");
    expect_json_error("{\"image\":", API_ERR_INVALID_REQUEST, "invalid JSON");
    /* depth, steps and gamma are ranged by the profile (test_resolve); here
     * only representability */
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"depth\":2000000}",
                      API_ERR_OUT_OF_RANGE, "depth");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"gamma\":1e9}",
                      API_ERR_OUT_OF_RANGE, "gamma");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"num_inference_steps\":2.5}",
                      API_ERR_INVALID_PARAMETER, "integer");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"depth\":\"9\"}",
                      API_ERR_INVALID_PARAMETER, "integer");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"eta\":1.5}",
                      API_ERR_OUT_OF_RANGE, "[0, 1]");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"guidance_scale\":51}",
                      API_ERR_OUT_OF_RANGE, "guidance_scale");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"seed\":-1}",
                      API_ERR_OUT_OF_RANGE, "seed");
    expect_json_error("{\"image\":\"" IMG_B64 "\",\"prompt\":\"x\",\"seed\":9007199254740992}",
                      API_ERR_OUT_OF_RANGE, "seed");
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
    job_request r;
    api_error e = {0};
    job_request_init(&r);
    CHECK_MSG(job_request_from_multipart(EDIT, &f, &r, &e), "%s", e.message);
    CHECK(r.image_len == 8 && r.steps == 8 && r.guidance_scale == 5.5 && r.seed == 7);
    CHECK(r.sampler == I2I_SAMPLER_DDIM && strcmp(r.prompt, "make it autumn") == 0);
    job_request_free(&r);

    const struct {
        const char *name, *value, *needle;
        api_error_code code;
    } bad[] = {{"num_inference_steps", "ten", "integer", API_ERR_INVALID_PARAMETER},
               {"num_inference_steps", "2.5", "integer", API_ERR_INVALID_PARAMETER},
               {"num_inference_steps", "5000000", "num_inference_steps", API_ERR_OUT_OF_RANGE},
               {"guidance_scale", "7.5x", "number", API_ERR_INVALID_PARAMETER},
               {"seed", "-3", "seed", API_ERR_OUT_OF_RANGE},
               {"eta", "2", "eta", API_ERR_OUT_OF_RANGE},
               {"control_type", "raw", "control_type", API_ERR_UNKNOWN_FIELD},
               {"output_format", "gif", "output_format", API_ERR_INVALID_PARAMETER},
               {"output_quality", "0", "output_quality", API_ERR_OUT_OF_RANGE},
               {"output_quality", "80.5", "integer", API_ERR_INVALID_PARAMETER},
               {"response_format", "xml", "response_format", API_ERR_INVALID_PARAMETER},
               /* what JSON refuses, a form refuses: strtod would read these */
               {"depth", "0x9", "integer", API_ERR_INVALID_PARAMETER},
               {"seed", "0x1p4", "integer", API_ERR_INVALID_PARAMETER},
               {"num_inference_steps", "+5", "integer", API_ERR_INVALID_PARAMETER},
               {"depth", "09", "integer", API_ERR_INVALID_PARAMETER},
               {"guidance_scale", "0x10", "number", API_ERR_INVALID_PARAMETER},
               {"guidance_scale", "inf", "number", API_ERR_INVALID_PARAMETER},
               {"eta", "nan", "number", API_ERR_INVALID_PARAMETER},
               {"eta", ".5", "number", API_ERR_INVALID_PARAMETER},
               {"seed", "99999999999999999999", "seed", API_ERR_OUT_OF_RANGE}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        multipart_part ps[3] = {text_part("image", "x"), text_part("prompt", "p"),
                                text_part(bad[i].name, bad[i].value)};
        multipart_form g = {ps, 3};
        job_request_init(&r);
        bool ok = job_request_from_multipart(EDIT, &g, &r, &e);
        CHECK_MSG(!ok && strstr(e.message, bad[i].needle) && e.code == bad[i].code,
                  "%s=%s: ok=%d %s '%s'", bad[i].name, bad[i].value, ok,
                  api_error_code_name(e.code), e.message);
        job_request_free(&r);
    }
    /* a negative depth is well-formed: its profile refuses it (test_resolve) */
    multipart_part neg[3] = {text_part("image", "x"), text_part("prompt", "p"),
                             text_part("depth", "-1")};
    multipart_form nf = {neg, 3};
    job_request_init(&r);
    CHECK(job_request_from_multipart(EDIT, &nf, &r, &e) && r.depth == -1);
    job_request_free(&r);
    /* a repeated field is refused */
    multipart_part dup[3] = {text_part("image", "x"), text_part("prompt", "p"),
                             text_part("prompt", "q")};
    multipart_form g = {dup, 3};
    job_request_init(&r);
    CHECK(!job_request_from_multipart(EDIT, &g, &r, &e) && e.code == API_ERR_INVALID_REQUEST);
    job_request_free(&r);
    /* invalid UTF-8 in the prompt */
    multipart_part badutf[2] = {text_part("image", "x"), text_part("prompt", "caf\xe9")};
    multipart_form h = {badutf, 2};
    job_request_init(&r);
    CHECK(!job_request_from_multipart(EDIT, &h, &r, &e) && strstr(e.message, "UTF-8"));
    job_request_free(&r);
}

/* Parses body (with the image and prompt added) and resolves it over set. */
static bool resolve(const profile_set *set, const char *fields, job_resolved *res, api_error *e) {
    char body[512];
    snprintf(body, sizeof body, "{\"image\":\"" IMG_B64 "\",\"prompt\":\"p\"%s%s}",
             fields[0] ? "," : "", fields);
    job_request r;
    bool ok = parse_json(body, &r, e);
    CHECK_MSG(ok, "%s: %s", body, e->message);
    ok = ok && job_request_resolve(EDIT, &r, set, 1234, res, e);
    res->params.prompt = NULL; /* it pointed into r */
    job_request_free(&r);
    return ok;
}

static void expect_resolve_error(const profile_set *set, const char *fields, api_error_code code,
                                 const char *needle) {
    job_resolved res;
    api_error e = {0};
    bool ok = resolve(set, fields, &res, &e);
    CHECK_MSG(!ok && e.code == code && strstr(e.message, needle), "%s: ok=%d %s '%s' (want '%s')",
              fields, ok, api_error_code_name(e.code), e.message, needle);
}

static void test_resolve_defaults(const profile_set *set) {
    const profile *def = profile_set_default(set, "edit");
    CHECK(def != NULL && strcmp(def->name, "edit") == 0);
    if (!def) return;
    job_resolved res;
    api_error e;
    CHECK(resolve(set, "\"guidance_scale\":3", &res, &e));
    CHECK(strcmp(res.profile, "edit") == 0);
    CHECK(res.params.steps == def->steps && res.params.depth == def->depth);
    CHECK(res.params.eta == def->eta && res.params.sampler == def->sampler);
    CHECK(res.params.image_guidance_scale == def->image_guidance_scale);
    CHECK(res.params.guidance_scale == 3.0 && res.params.seed == 1234);
    /* 10 steps at s_I 1.0: Table S1's published 1/1.8 */
    CHECK(res.gamma_origin == PROFILE_GAMMA_FROM_TABLE && fabs(res.params.gamma - 1 / 1.8) < 1e-12);
    json_t *j = job_resolved_json(&res);
    CHECK(j && json_integer_value(json_object_get(j, "seed")) == 1234);
    CHECK(j && strcmp(json_string_value(json_object_get(j, "scheduler")), "ddim") == 0);
    CHECK(j && strcmp(json_string_value(json_object_get(j, "gamma_source")), "gamma_table") == 0);
    json_decref(j);
    CHECK(resolve(set, "\"seed\":5", &res, &e) && res.params.seed == 5);
}

static void test_resolve_gamma(const profile_set *set) {
    job_resolved res;
    api_error e;
    /* Table S1, 10 steps: 0.581 at s_I 1.2; halfway to 0.617 at 1.3 */
    CHECK(resolve(set, "\"image_guidance_scale\":1.2", &res, &e));
    CHECK_MSG(fabs(res.params.gamma - 0.581) < 1e-9, "gamma %g", res.params.gamma);
    CHECK(res.gamma_origin == PROFILE_GAMMA_FROM_TABLE && res.params.image_guidance_scale == 1.2);
    CHECK(resolve(set, "\"image_guidance_scale\":1.3", &res, &e));
    CHECK_MSG(fabs(res.params.gamma - 0.599) < 1e-9, "gamma %g", res.params.gamma);
    /* edit-fast runs 5 steps: that row */
    CHECK(resolve(set, "\"profile\":\"edit-fast\",\"image_guidance_scale\":1.4", &res, &e));
    CHECK(res.params.steps == 5 && fabs(res.params.gamma - 0.377) < 1e-9);
    /* a step count without a row: the profile's γ */
    CHECK(resolve(set, "\"num_inference_steps\":7,\"image_guidance_scale\":1.2", &res, &e));
    CHECK(res.gamma_origin == PROFILE_GAMMA_FROM_PROFILE &&
          fabs(res.params.gamma - 1 / 1.8) < 1e-12);
    /* the request's γ wins */
    CHECK(resolve(set, "\"gamma\":0.7,\"image_guidance_scale\":1.2", &res, &e));
    CHECK(res.gamma_origin == PROFILE_GAMMA_FROM_REQUEST && res.params.gamma == 0.7);
}

static void test_resolve_ranges(const profile_set *set) {
    job_resolved res;
    api_error e;
    CHECK(resolve(set, "\"depth\":13,\"num_inference_steps\":50", &res, &e));
    CHECK(res.params.depth == 13 && res.params.steps == 50);
    expect_resolve_error(set, "\"depth\":14", API_ERR_OUT_OF_RANGE, "1..13");
    expect_resolve_error(set, "\"depth\":0", API_ERR_OUT_OF_RANGE, "'edit'");
    expect_resolve_error(set, "\"num_inference_steps\":51", API_ERR_OUT_OF_RANGE, "1..50");
    expect_resolve_error(set, "\"num_inference_steps\":0", API_ERR_OUT_OF_RANGE, "steps");
    expect_resolve_error(set, "\"gamma\":0", API_ERR_OUT_OF_RANGE, "[0.1, 10]");
    /* edit-full fixes depth and γ, allows 1..100 steps */
    CHECK(resolve(set, "\"profile\":\"edit-full\"", &res, &e));
    CHECK(res.params.depth == 13 && res.params.steps == 50 && res.params.gamma == 1.0);
    CHECK(res.gamma_origin == PROFILE_GAMMA_FROM_PROFILE);
    CHECK(resolve(set, "\"profile\":\"edit-full\",\"num_inference_steps\":100", &res, &e));
    CHECK(resolve(set, "\"profile\":\"edit-full\",\"depth\":13", &res, &e));
    expect_resolve_error(set, "\"profile\":\"edit-full\",\"depth\":9", API_ERR_OUT_OF_RANGE,
                         "fixes depth at 13");
    expect_resolve_error(set, "\"profile\":\"edit-full\",\"gamma\":0.5", API_ERR_OUT_OF_RANGE,
                         "fixes gamma");
}

static void test_resolve_profiles(profile_set *set) {
    expect_resolve_error(set, "\"profile\":\"nope\"", API_ERR_UNKNOWN_PROFILE,
                         "'nope'; edit profiles: edit, edit-fast, edit-full");
    /* a profile of another task is not an edit profile */
    static const char up[] =
        "{\"format\":\"i2i-profile/1\",\"name\":\"sr\",\"task\":\"upscale\",\"depth\":13,"
        "\"steps\":20,\"gamma\":1,\"eta\":0,\"guidance_scale\":1,\"image_guidance_scale\":1,"
        "\"source\":\"test\"}";
    char err[256];
    CHECK_MSG(profile_parse(up, strlen(up), "test", &set->items[set->count], err, sizeof err) == 0,
              "%s", err);
    set->count++;
    expect_resolve_error(set, "\"profile\":\"sr\"", API_ERR_UNKNOWN_PROFILE, "task upscale");
    set->count--;
    /* a set without edit profiles */
    profile_set none = {.count = 0};
    expect_resolve_error(&none, "", API_ERR_UNKNOWN_PROFILE, "no edit profile");
}

static void test_resolve(void) {
    profile_set set;
    char err[256];
    CHECK_MSG(api_profiles_builtin(&set, err, sizeof err) == 0, "%s", err);
    test_resolve_defaults(&set);
    test_resolve_gamma(&set);
    test_resolve_ranges(&set);
    test_resolve_profiles(&set);
}

static void test_hash(void) {
    job_request a, b;
    api_error e;
    CHECK(parse_json("{\"image\":\"" IMG_B64 "\",\"prompt\":\"p\",\"seed\":1}", &a, &e));
    CHECK(parse_json("{\"seed\":1,\"prompt\":\"p\",\"image\":\"" IMG_B64 "\"}", &b, &e));
    CHECK(job_request_hash(EDIT, &a) == job_request_hash(EDIT, &b));
    job_request_free(&b);
    CHECK(parse_json("{\"image\":\"" IMG_B64 "\",\"prompt\":\"p\",\"seed\":2}", &b, &e));
    CHECK(job_request_hash(EDIT, &a) != job_request_hash(EDIT, &b));
    job_request_free(&a);
    job_request_free(&b);
}

int main(void) {
    test_json_ok();
    test_json_errors();
    test_multipart();
    test_resolve();
    test_hash();
    return CHECK_DONE();
}
