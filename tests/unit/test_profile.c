/* Profiles: the shipped files load, resolve requests per their ranges, take
 * γ from Table S1 (interpolated, clamped), reproduce the published
 * schedules, round-trip through profile_save, reject bad files with a
 * message naming the problem, and get their costs from the U-Net accounting. */
#include "check.h"
#include "profile.h"
#include "schedule.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static profile_set *load_shipped(void) {
    char dir[2048], err[512];
    const char *src = getenv("I2I_SOURCE_DIR");
    snprintf(dir, sizeof dir, "%s/profiles", src ? src : "..");
    profile_set *set = malloc(sizeof *set);
    int rc = profile_set_load_dir(set, dir, err, sizeof err);
    CHECK_MSG(rc == 0, "%s", err);
    return set;
}

static bool schedule_is(int steps, double gamma, const int *want) {
    int t[64];
    char err[128];
    if (gamma_schedule(steps, gamma, t, err, sizeof err) != 0) return false;
    for (int i = 0; i < steps; i++)
        if (t[i] != want[i]) return false;
    return true;
}

static profile_resolved resolve(const profile *p, profile_request q, int *rc, char *err) {
    profile_resolved r;
    *rc = profile_resolve(p, &q, &r, err, 512);
    return r;
}

static void test_shipped(const profile_set *set) {
    CHECK(set->count == 8);
    /* "sr" is no task's name: its "default": true makes it upscale's default
     * over sr-fast and sr-full, which sort before it */
    const profile *sr = profile_set_default(set, "upscale");
    CHECK(sr && !strcmp(sr->name, "sr") && sr->is_default && sr->depth == 8 && sr->steps == 20);
    const profile *e = profile_set_default(set, "edit");
    CHECK(e && !strcmp(e->name, "edit") && profile_set_find(set, "edit-fast") &&
          profile_set_find(set, "edit-full"));
    char err[512] = "";
    int rc;
    profile_resolved r = resolve(e, (profile_request){.prompt = "x"}, &rc, err);
    CHECK(rc == 0 && r.params.depth == 9 && r.params.steps == 10);
    CHECK(r.gamma_origin == PROFILE_GAMMA_FROM_TABLE);
    const int ip2p10[] = {999, 937, 872, 802, 728, 646, 556, 452, 324, 124};
    CHECK_MSG(schedule_is(10, r.params.gamma, ip2p10), "gamma %.6f", r.params.gamma);

    profile_request q = {.given = PROFILE_GIVEN_IMAGE_GUIDANCE, .image_guidance_scale = 1.2};
    r = resolve(e, q, &rc, err);
    CHECK(rc == 0 && fabs(r.params.gamma - 0.581) < 1e-12 && r.params.image_guidance_scale == 1.2);
    q.image_guidance_scale = 1.3; /* halfway between Table S1's 1.2 and 1.4 */
    CHECK(fabs(resolve(e, q, &rc, err).params.gamma - (0.581 + 0.617) / 2) < 1e-12);
    q.image_guidance_scale = 2.5; /* beyond the table: clamped */
    CHECK(fabs(resolve(e, q, &rc, err).params.gamma - 0.704) < 1e-12);
    q.image_guidance_scale = 0.5;
    CHECK(fabs(resolve(e, q, &rc, err).params.gamma - 1 / 1.8) < 1e-12);

    q = (profile_request){.given = PROFILE_GIVEN_STEPS, .steps = 5};
    r = resolve(e, q, &rc, err);
    const int ip2p5[] = {999, 916, 814, 674, 403};
    CHECK(rc == 0 && r.params.steps == 5 && schedule_is(5, r.params.gamma, ip2p5));
    q.steps = 7; /* no table row: the profile's own γ */
    r = resolve(e, q, &rc, err);
    CHECK(rc == 0 && r.gamma_origin == PROFILE_GAMMA_FROM_PROFILE && r.params.gamma == e->gamma);
}

static void test_overrides(const profile_set *set) {
    const profile *e = profile_set_find(set, "edit"), *full = profile_set_find(set, "edit-full");
    char err[512] = "";
    int rc;
    profile_request q = {
        .given = PROFILE_GIVEN_GAMMA | PROFILE_GIVEN_DEPTH, .gamma = 0.5, .depth = 6};
    profile_resolved r = resolve(e, q, &rc, err);
    CHECK(rc == 0 && r.params.gamma == 0.5 && r.params.depth == 6);
    CHECK(r.gamma_origin == PROFILE_GAMMA_FROM_REQUEST);
    q.gamma = 20;
    resolve(e, q, &rc, err);
    CHECK_MSG(rc == -1 && strstr(err, "gamma 20") && strstr(err, "[0.1, 10]"), "%s", err);
    q = (profile_request){.given = PROFILE_GIVEN_DEPTH, .depth = 14};
    resolve(e, q, &rc, err);
    CHECK_MSG(rc == -1 && strstr(err, "1..13") && strstr(err, "'edit'"), "%s", err);
    q = (profile_request){.given = PROFILE_GIVEN_STEPS, .steps = 51};
    resolve(e, q, &rc, err);
    CHECK_MSG(rc == -1 && strstr(err, "steps 51 is outside 1..50"), "%s", err);
    q = (profile_request){.given = PROFILE_GIVEN_DEPTH, .depth = 9};
    resolve(full, q, &rc, err);
    CHECK_MSG(rc == -1 && strstr(err, "fixes depth at 13"), "%s", err);
    q.depth = 13;
    CHECK(resolve(full, q, &rc, err).params.depth == 13 && rc == 0);
    q = (profile_request){
        .given = PROFILE_GIVEN_SEED | PROFILE_GIVEN_GUIDANCE, .seed = 42, .guidance_scale = 5};
    r = resolve(full, q, &rc, err);
    CHECK(rc == 0 && r.params.seed == 42 && r.params.guidance_scale == 5 && r.params.gamma == 1);
}

static void test_roundtrip(const profile_set *set) {
    char path[] = "/tmp/i2i_test_profile_XXXXXX", err[512];
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    const profile *e = profile_set_find(set, "edit");
    CHECK_MSG(profile_save(e, path, err, sizeof err) == 0, "%s", err);
    profile back;
    CHECK_MSG(profile_load_file(path, &back, err, sizeof err) == 0, "%s", err);
    CHECK(!strcmp(back.name, e->name) && back.depth == e->depth && back.steps == e->steps);
    CHECK(back.gamma == e->gamma && back.has_gamma_table);
    CHECK(back.gamma_table.n_rows == 3 && back.gamma_table.rows[1].gamma[2] == 0.617);
    CHECK(back.depth_range.overridable && back.depth_range.max == 13);
    CHECK(back.gamma_range.min == 0.1 && !strcmp(back.source, e->source));
    unlink(path);
}

static void expect_bad(const char *json, const char *want) {
    profile p;
    char err[512] = "";
    int rc = profile_parse(json, strlen(json), "t.json", &p, err, sizeof err);
    CHECK_MSG(rc == -1 && strstr(err, want) && strstr(err, "t.json"), "want '%s', got '%s'", want,
              err);
}

#define HEAD "{\"format\":\"i2i-profile/1\",\"name\":\"x\",\"task\":\"edit\",\"source\":\"t\","
#define GOOD_REST                                                                                  \
    "\"sampler\":\"ddim\",\"eta\":0,\"guidance_scale\":7.5,\"image_guidance_scale\":1}"

static void test_bad_files(void) {
    expect_bad("{", "invalid JSON");
    expect_bad("{\"format\":\"i2i-profile/2\"}", "\"format\"");
    expect_bad(HEAD "\"steps\":10,\"gamma\":1," GOOD_REST, "\"depth\" is required");
    expect_bad(HEAD "\"depth\":14,\"steps\":10,\"gamma\":1," GOOD_REST, "1..13");
    expect_bad(HEAD "\"depth\":9,\"steps\":10,\"gamma\":\"1/0\"," GOOD_REST, "\"gamma\"");
    expect_bad(HEAD "\"depth\":9,\"steps\":10,\"gamma\":1,\"sampler\":\"euler\",\"eta\":0,"
                    "\"guidance_scale\":7.5,\"image_guidance_scale\":1}",
               "sampler");
    expect_bad(HEAD
               "\"depth\":9,\"steps\":10,\"gamma\":1,\"overrides\":{\"depth\":[10,13]}," GOOD_REST,
               "outside its own override range");
    expect_bad(HEAD
               "\"depth\":9,\"steps\":10,\"gamma\":1,\"gamma_table\":{\"image_guidance_scale\":"
               "[1.2,1.0],\"rows\":[{\"steps\":10,\"gamma\":[0.5,0.6]}]}," GOOD_REST,
               "increase strictly");
    expect_bad(HEAD
               "\"depth\":9,\"steps\":10,\"gamma\":1,\"gamma_table\":{\"image_guidance_scale\":"
               "[1.0,1.2],\"rows\":[{\"steps\":10,\"gamma\":[0.5]}]}," GOOD_REST,
               "one gamma per");
    profile p;
    char err[512];
    const char *ok = HEAD "\"depth\":9,\"steps\":10,\"gamma\":\"1/2\"," GOOD_REST;
    CHECK_MSG(profile_parse(ok, strlen(ok), "t.json", &p, err, sizeof err) == 0, "%s", err);
    CHECK(p.gamma == 0.5 && !p.depth_range.overridable && !strcmp(p.baseline, "edit-full"));
}

static void write_file(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (f) fputs(text, f), fclose(f);
}

static void test_bad_dir(void) {
    char dir[] = "/tmp/i2i_test_profiles_XXXXXX", a[600], b[600], err[512];
    CHECK(mkdtemp(dir) != NULL);
    profile_set *set = malloc(sizeof *set);
    CHECK(profile_set_load_dir(set, dir, err, sizeof err) == -1 && strstr(err, "no *.json"));
    const char *ok = HEAD "\"depth\":9,\"steps\":10,\"gamma\":1," GOOD_REST;
    snprintf(a, sizeof a, "%s/a.json", dir);
    snprintf(b, sizeof b, "%s/b.json", dir);
    write_file(a, ok);
    write_file(b, ok);
    CHECK_MSG(profile_set_load_dir(set, dir, err, sizeof err) == -1 && strstr(err, "both define"),
              "%s", err);
    unlink(b);
    CHECK(profile_set_load_dir(set, dir, err, sizeof err) == 0 && set->count == 1);
    CHECK(profile_set_load_dir(set, "/nonexistent/dir", err, sizeof err) == -1);
    unlink(a);
    rmdir(dir);
    free(set);
}

static void test_cost(profile_set *set) {
    unet_config cfg;
    char err[512] = "";
    CHECK(unet_config_preset("ip2p", &cfg));
    CHECK_MSG(profile_set_compute_cost(set, &cfg, 64, 64, err, sizeof err) == 0, "%s", err);
    const profile *e = profile_set_find(set, "edit"), *fast = profile_set_find(set, "edit-fast"),
                  *full = profile_set_find(set, "edit-full");
    CHECK(e->cost.known && full->cost.known);
    CHECK(full->cost.params_kept == full->cost.params_total);
    double kept = (double)e->cost.params_kept / (double)e->cost.params_total;
    CHECK_MSG(fabs(kept - 0.608) < 0.01, "D9 keeps %.4f", kept); /* DESIGN §1.1: 60.8 % */
    CHECK(e->cost.unet_evals_per_job == 30 && full->cost.unet_evals_per_job == 150);
    CHECK(fabs(full->cost.speedup_vs_baseline - 1) < 1e-12);
    CHECK(e->cost.macs_per_unet_call < full->cost.macs_per_unet_call);
    double want = full->cost.macs_per_job / e->cost.macs_per_job;
    CHECK(fabs(e->cost.speedup_vs_baseline - want) < 1e-9 && want > 5);
    CHECK(fast->cost.speedup_vs_baseline > 2 * e->cost.speedup_vs_baseline - 1e-9);
    json_t *j = profile_to_json(e);
    CHECK(json_object_get(json_object_get(j, "cost"), "expected_speedup_vs_baseline") != NULL);
    json_decref(j);
    CHECK(profile_set_compute_cost(set, &cfg, 63, 64, err, sizeof err) == -1);
}

/* On a real bundle (the tiny one `i2i mkmodel` writes): the latent size
 * follows the pipelines' padding and every shipped profile gets a cost. */
static void test_cost_for_bundle(profile_set *set) {
    const char *bin = getenv("I2I_BIN");
    if (!bin) return;
    char dir[] = "/tmp/i2i_test_profile_bundle_XXXXXX", cmd[4096], err[512] = "";
    CHECK(mkdtemp(dir) != NULL);
    snprintf(cmd, sizeof cmd, "'%s' mkmodel edit --size tiny --out '%s/b' >/dev/null", bin, dir);
    CHECK(system(cmd) == 0);
    snprintf(cmd, sizeof cmd, "%s/b", dir);
    i2i_bundle *b = i2i_bundle_load(cmd, err, sizeof err);
    CHECK_MSG(b != NULL, "%s", err);
    if (b) {
        CHECK_MSG(profile_set_compute_cost_for_bundle(set, b, 500, 300, err, sizeof err) == 0, "%s",
                  err);
        const profile *e = profile_set_find(set, "edit");
        /* tiny U-Net: 4 levels, so sides pad to multiples of 64 px */
        CHECK(e->cost.known && e->cost.latent_width == 64 && e->cost.latent_height == 40);
        CHECK(e->cost.params_kept < e->cost.params_total && e->cost.speedup_vs_baseline > 5);
        i2i_bundle_free(b);
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

int main(void) {
    profile_set *set = load_shipped();
    if (set->count) {
        test_shipped(set);
        test_overrides(set);
        test_roundtrip(set);
        test_cost(set);
        test_cost_for_bundle(set);
    }
    test_bad_files();
    test_bad_dir();
    free(set);
    return CHECK_DONE();
}
