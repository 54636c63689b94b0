/* The server's profile set: directory choice and fallbacks, the built-in
 * copy against the shipped files, and the GET /v1/profiles listing with
 * costs. */
#include "check.h"
#include "profiles.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char shipped_dir[1024];
static char tmp_dir[256];

static void write_file(const char *dir, const char *name, const char *text) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    CHECK_MSG(f != NULL, "cannot write %s", path);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* The profile without what may differ between a file and its built-in copy. */
static json_t *values_of(const profile *p) {
    json_t *o = profile_to_json(p);
    json_object_del(o, "description");
    json_object_del(o, "source");
    json_object_del(json_object_get(o, "gamma_table"), "source");
    return o;
}

static void test_builtin_matches_files(void) {
    profile_set files, builtin;
    char err[512];
    CHECK_MSG(profile_set_load_dir(&files, shipped_dir, err, sizeof err) == 0, "%s", err);
    CHECK_MSG(api_profiles_builtin(&builtin, err, sizeof err) == 0, "%s", err);
    CHECK(builtin.count == 5);
    for (int i = 0; i < builtin.count; i++) {
        const profile *b = &builtin.items[i];
        const profile *f = profile_set_find(&files, b->name);
        CHECK_MSG(f != NULL, "built-in %s has no file in %s", b->name, shipped_dir);
        if (!f) continue;
        json_t *jb = values_of(b), *jf = values_of(f);
        char *sb = json_dumps(jb, JSON_SORT_KEYS), *sf = json_dumps(jf, JSON_SORT_KEYS);
        CHECK_MSG(json_equal(jb, jf), "%s differs:\n built-in %s\n file     %s", b->name, sb, sf);
        free(sb);
        free(sf);
        json_decref(jb);
        json_decref(jf);
    }
}

static void test_load_choice(void) {
    profile_set set;
    char from[1024], err[512];
    /* the explicit directory */
    CHECK_MSG(
        api_profiles_load(&set, shipped_dir, NULL, "edit", from, sizeof from, err, sizeof err) == 0,
        "%s", err);
    CHECK(strcmp(from, shipped_dir) == 0 && profile_set_find(&set, "edit-fast"));
    /* an explicit directory that does not exist is an error, not a fallback */
    CHECK(api_profiles_load(&set, "/nonexistent/profiles", NULL, NULL, from, sizeof from, err,
                            sizeof err) != 0);
    CHECK_MSG(strstr(err, "/nonexistent/profiles") != NULL, "%s", err);
    /* fallbacks: the first that exists */
    const char *fallbacks[] = {"/nonexistent/a", shipped_dir, NULL};
    CHECK(api_profiles_load(&set, "", fallbacks, "edit", from, sizeof from, err, sizeof err) == 0);
    CHECK(strcmp(from, shipped_dir) == 0);
    /* none exists: the built-ins */
    const char *missing[] = {"/nonexistent/a", NULL};
    CHECK(api_profiles_load(&set, NULL, missing, "edit", from, sizeof from, err, sizeof err) == 0);
    CHECK(strcmp(from, API_PROFILES_BUILTIN) == 0 && set.count == 5);
}

static void test_load_errors(void) {
    profile_set set;
    char from[1024], err[512];
    /* a directory whose profiles are all of another task */
    write_file(tmp_dir, "sr.json",
               "{\"format\":\"i2i-profile/1\",\"name\":\"sr\",\"task\":\"upscale\",\"depth\":13,"
               "\"steps\":20,\"gamma\":1,\"eta\":0,\"guidance_scale\":1,"
               "\"image_guidance_scale\":1,\"source\":\"test\"}");
    CHECK(api_profiles_load(&set, tmp_dir, NULL, "edit", from, sizeof from, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "no profile of task 'edit'") != NULL, "%s", err);
    CHECK(api_profiles_load(&set, tmp_dir, NULL, NULL, from, sizeof from, err, sizeof err) == 0);
    /* a broken file in a fallback directory is an error too, naming the file */
    write_file(tmp_dir, "broken.json", "{\"format\":\"i2i-profile/1\",\"name\":\"b\"");
    const char *fallbacks[] = {tmp_dir, NULL};
    CHECK(api_profiles_load(&set, NULL, fallbacks, NULL, from, sizeof from, err, sizeof err) != 0);
    CHECK_MSG(strstr(err, "broken.json") != NULL, "%s", err);
    char path[512];
    snprintf(path, sizeof path, "%s/broken.json", tmp_dir);
    remove(path);
    snprintf(path, sizeof path, "%s/sr.json", tmp_dir);
    remove(path);
}

static void test_listing(void) {
    profile_set set;
    char err[512];
    CHECK(api_profiles_builtin(&set, err, sizeof err) == 0);
    /* before the bundle loads: no cost */
    json_t *o = api_profiles_json(&set);
    json_t *arr = json_object_get(o, "profiles");
    CHECK(json_is_array(arr) && (int)json_array_size(arr) == set.count);
    json_t *first = json_array_get(arr, 0);
    CHECK(json_object_get(first, "cost") == NULL);
    json_decref(o);

    unet_config cfg;
    CHECK(unet_config_preset("ip2p", &cfg));
    CHECK_MSG(profile_set_compute_cost(&set, &cfg, 64, 64, err, sizeof err) == 0, "%s", err);
    o = api_profiles_json(&set);
    arr = json_object_get(o, "profiles");
    int defaults = 0;
    double speedup_edit = 0, speedup_full = 0;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *p = json_array_get(arr, i), *cost = json_object_get(p, "cost");
        const char *name = json_string_value(json_object_get(p, "name"));
        CHECK_MSG(json_is_object(cost), "%s has no cost", name);
        CHECK(json_integer_value(json_object_get(cost, "unet_params_kept")) > 0);
        CHECK(json_real_value(json_object_get(cost, "macs_per_job")) > 0);
        double s = json_real_value(json_object_get(cost, "expected_speedup_vs_baseline"));
        if (!strcmp(name, "edit")) speedup_edit = s;
        if (!strcmp(name, "edit-full")) speedup_full = s;
        if (json_is_true(json_object_get(p, "default"))) {
            defaults++;
            CHECK_MSG(!strcmp(name, "edit") || !strcmp(name, "control"), "default %s", name);
        }
    }
    CHECK(defaults == 2); /* one per task */
    /* 10 steps at depth 9 against 50 at 13: more than 5x fewer MACs */
    CHECK_MSG(speedup_edit > 5.0, "edit speed-up %g", speedup_edit);
    CHECK_MSG(speedup_full > 0.999 && speedup_full < 1.001, "edit-full speed-up %g", speedup_full);
    json_decref(o);
}

static void test_names(void) {
    profile_set set;
    char err[256], names[64], tiny[12];
    CHECK(api_profiles_builtin(&set, err, sizeof err) == 0);
    api_profiles_names(&set, "edit", names, sizeof names);
    CHECK(strcmp(names, "edit, edit-fast, edit-full") == 0);
    api_profiles_names(&set, "upscale", names, sizeof names);
    CHECK(names[0] == '\0');
    api_profiles_names(&set, NULL, tiny, sizeof tiny); /* truncated, still terminated */
    CHECK(strlen(tiny) < sizeof tiny);
    i2i_sampler s;
    CHECK(api_sampler_parse("dpmpp_2m", &s) && s == I2I_SAMPLER_DPMPP_2M);
    CHECK(!api_sampler_parse("euler", &s));
}

int main(void) {
    const char *src = getenv("I2I_SOURCE_DIR");
    snprintf(shipped_dir, sizeof shipped_dir, "%s/profiles", src ? src : ".");
    snprintf(tmp_dir, sizeof tmp_dir, "%s/i2i-profiles-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp_dir)) {
        fprintf(stderr, "cannot make a temporary directory\n");
        return 1;
    }
    test_builtin_matches_files();
    test_load_choice();
    test_load_errors();
    test_listing();
    test_names();
    rmdir(tmp_dir);
    return CHECK_DONE();
}
