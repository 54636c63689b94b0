/* Gamma schedule and alphas_cumprod against golden/schedule.json: every
 * sequence of `sequences`, `published` and `table_s1_ip2p` exactly, the
 * float64 column of `precision_sensitive`, alphas_cumprod to 1e-15 relative
 * (the file's betas come from torch's AVX2 linspace kernel, whose fused
 * multiply-adds move about 1 value in 7 by an ulp; we evaluate linspace
 * without FMA, so bit equality would test torch's CPU kernels, not us); plus
 * the N = 1 convention, argument validation and gamma parsing. */
#include "check.h"
#include "schedule.h"

#include <jansson.h>
#include <string.h>

/* Checks one {"gamma","N",<key>:[...]} entry; returns 1 if it matched. */
static int check_entry(const char *list, size_t idx, json_t *e, const char *key) {
    double gamma = json_number_value(json_object_get(e, "gamma"));
    int n = (int)json_integer_value(json_object_get(e, "N"));
    json_t *want = json_object_get(e, key);
    CHECK_MSG(json_is_array(want) && (int)json_array_size(want) == n, "%s[%zu]: bad fixture", list,
              idx);
    if (!json_is_array(want) || (int)json_array_size(want) != n || n < 1) return 0;
    int t[SCHEDULE_MAX_STEPS];
    char err[256] = "";
    int rc = gamma_schedule(n, gamma, t, err, sizeof err);
    CHECK_MSG(rc == 0, "%s[%zu]: %s", list, idx, err);
    if (rc) return 0;
    for (int i = 0; i < n; i++) {
        int w = (int)json_integer_value(json_array_get(want, (size_t)i));
        if (t[i] != w) {
            CHECK_MSG(t[i] == w, "%s[%zu] gamma=%.17g N=%d entry %d: got %d want %d", list, idx,
                      gamma, n, i, t[i], w);
            return 0;
        }
    }
    CHECK(1);
    return 1;
}

static void check_list(json_t *root, const char *list, const char *key, size_t expect_count) {
    json_t *arr = json_object_get(root, list);
    CHECK_MSG(json_is_array(arr) && json_array_size(arr) == expect_count,
              "%s: want %zu entries, have %zu", list, expect_count,
              json_is_array(arr) ? json_array_size(arr) : 0);
    size_t i, ok = 0;
    json_t *e;
    json_array_foreach(arr, i, e) ok += (size_t)check_entry(list, i, e, key);
    printf("%s: %zu/%zu sequences match '%s'\n", list, ok, json_array_size(arr), key);
}

static void check_alphas(json_t *root) {
    json_t *arr = json_object_get(root, "alphas_cumprod");
    CHECK(json_is_array(arr) && json_array_size(arr) == SD_NUM_TRAIN_TIMESTEPS);
    if (!json_is_array(arr) || json_array_size(arr) != SD_NUM_TRAIN_TIMESTEPS) return;
    double ac[SD_NUM_TRAIN_TIMESTEPS];
    sd_alphas_cumprod(ac);
    double worst = 0.0;
    int exact = 0;
    for (int i = 0; i < SD_NUM_TRAIN_TIMESTEPS; i++) {
        double w = json_real_value(json_array_get(arr, (size_t)i));
        double rel = fabs(ac[i] - w) / w;
        if (rel > worst) worst = rel;
        exact += ac[i] == w;
    }
    printf("alphas_cumprod: %d/1000 bit-exact, worst relative diff %.3g\n", exact, worst);
    CHECK_MSG(worst <= 1e-15, "alphas_cumprod relative diff %.3g", worst);
}

/* N = 1 is the first entry of every longer schedule (documented choice). */
static void check_single_step(void) {
    const double gammas[] = {0.25, 1 / 3.11, 0.5, 1.0, 1.42, 1.9, 2.5};
    for (size_t g = 0; g < sizeof gammas / sizeof gammas[0]; g++) {
        int one[1], two[2], twenty[20];
        char err[256];
        CHECK(gamma_schedule(1, gammas[g], one, err, sizeof err) == 0);
        CHECK(gamma_schedule(2, gammas[g], two, err, sizeof err) == 0);
        CHECK(gamma_schedule(20, gammas[g], twenty, err, sizeof err) == 0);
        CHECK_MSG(one[0] == two[0] && one[0] == twenty[0], "gamma %g: N=1 gives %d, N=2 %d",
                  gammas[g], one[0], two[0]);
        if (gammas[g] <= 1.0) CHECK(one[0] == SCHEDULE_T_MAX);
    }
}

static void check_validation(void) {
    int t[SCHEDULE_MAX_STEPS + 1];
    char err[256];
    const int bad_steps[] = {0, -1, SCHEDULE_MAX_STEPS + 1};
    for (size_t i = 0; i < 3; i++) {
        err[0] = '\0';
        CHECK(gamma_schedule(bad_steps[i], 1.0, t, err, sizeof err) == -1);
        CHECK_MSG(strstr(err, "steps") != NULL, "message: '%s'", err);
    }
    const double bad_gamma[] = {0.0, -1.0, NAN, INFINITY};
    for (size_t i = 0; i < 4; i++) {
        err[0] = '\0';
        CHECK(gamma_schedule(10, bad_gamma[i], t, err, sizeof err) == -1);
        CHECK_MSG(strstr(err, "gamma") != NULL, "message: '%s'", err);
    }
    CHECK(gamma_schedule(SCHEDULE_MAX_STEPS, 1.0, t, err, sizeof err) == 0);
    /* Any valid schedule is non-increasing and inside 0..999. */
    int sorted = 1;
    for (int i = 0; i < SCHEDULE_MAX_STEPS; i++) {
        if (t[i] < 0 || t[i] > SCHEDULE_T_MAX) sorted = 0;
        if (i && t[i] > t[i - 1]) sorted = 0;
    }
    CHECK(sorted);
}

static void check_parse(void) {
    double g = 0.0;
    char err[256];
    CHECK(gamma_parse("1/3.11", &g, err, sizeof err) == 0 && g == 1.0 / 3.11);
    CHECK(gamma_parse("1.42", &g, err, sizeof err) == 0 && g == 1.42);
    CHECK(gamma_parse("0.5", &g, err, sizeof err) == 0 && g == 0.5);
    const char *bad[] = {"", "abc", "1/", "1/0", "1/-2", "-1", "0", "1.5x", "nan", "inf", "1/abc"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        CHECK_MSG(gamma_parse(bad[i], &g, err, sizeof err) == -1, "accepted '%s'", bad[i]);
        CHECK(strstr(err, "gamma") != NULL);
    }
    CHECK(gamma_parse(NULL, &g, err, sizeof err) == -1);
}

int main(void) {
    json_error_t jerr;
    json_t *root = json_load_file(golden_path("schedule.json"), 0, &jerr);
    CHECK_MSG(root != NULL, "cannot read %s: %s", golden_path("schedule.json"), jerr.text);
    if (root) {
        check_list(root, "sequences", "t", 70);
        check_list(root, "published", "t", 6);
        check_list(root, "table_s1_ip2p", "t", 12);
        check_list(root, "precision_sensitive", "t_float64", 24);
        check_alphas(root);
        json_decref(root);
    }
    check_single_step();
    check_validation();
    check_parse();
    return CHECK_DONE();
}
