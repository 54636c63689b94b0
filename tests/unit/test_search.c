/* γ and depth searches on synthetic scores whose optimum is known. */
#include "check.h"
#include "search/depth_search.h"
#include "search/gamma_search.h"

#include <string.h>

typedef struct peak_score {
    gamma_direction dir;
    double p_star; /* the optimum, in p units */
    int calls;
    int fail_at_call; /* 0: never */
} peak_score;

/* Rises linearly up to p* and falls steeply after it: the greedy search
 * can land on p* exactly when p* is a sum of the step sizes. */
static int ramp(void *user, double gamma, double *score, char *err, size_t errlen) {
    peak_score *s = user;
    if (++s->calls == s->fail_at_call) return snprintf(err, errlen, "scorer broke"), -1;
    double p = s->dir == GAMMA_TOWARDS_SMALL ? 1 / gamma : gamma;
    *score = p <= s->p_star ? p : s->p_star - 10 * (p - s->p_star);
    return 0;
}

/* Quadratic peak at p* (a smooth PSNR-like curve). */
static int quadratic(void *user, double gamma, double *score, char *err, size_t errlen) {
    (void)err, (void)errlen;
    peak_score *s = user;
    s->calls++;
    double p = s->dir == GAMMA_TOWARDS_SMALL ? 1 / gamma : gamma;
    *score = 30 - (p - s->p_star) * (p - s->p_star);
    return 0;
}

static void test_official_path(void) {
    char err[256];
    gamma_search_result r;
    peak_score s = {.dir = GAMMA_TOWARDS_SMALL, .p_star = 1.8};
    CHECK(gamma_search_run(GAMMA_TOWARDS_SMALL, quadratic, &s, &r, err, sizeof err) == 0);
    /* the official update rule: +0.2 while it improves, then each smaller
     * step once from the best */
    const double want_p[] = {1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 1.9, 1.85, 1.82, 1.81};
    int n = (int)(sizeof want_p / sizeof want_p[0]);
    CHECK_MSG(r.n_trials == n, "%d trials", r.n_trials);
    for (int i = 0; i < n && i < r.n_trials; i++)
        CHECK_MSG(fabs(r.trials[i].p - want_p[i]) < 1e-9, "trial %d p %f", i, r.trials[i].p);
    CHECK(fabs(r.best_gamma - 1 / 1.8) < 1e-12);
    CHECK(r.uniform_score == 30 - 0.8 * 0.8 && r.best_score > r.uniform_score);
    CHECK(r.n_scored == n && s.calls == n);
}

static void test_exact_optimum(void) {
    char err[256];
    gamma_search_result r;
    peak_score s = {.dir = GAMMA_TOWARDS_SMALL, .p_star = 3.11}; /* IP2P 5 steps: 1/3.11 */
    CHECK(gamma_search_run(GAMMA_TOWARDS_SMALL, ramp, &s, &r, err, sizeof err) == 0);
    CHECK_MSG(fabs(1 / r.best_gamma - 3.11) < 1e-9, "found 1/%f", 1 / r.best_gamma);
    int reused = 0;
    for (int i = 0; i < r.n_trials; i++)
        reused += r.trials[i].reused;
    CHECK_MSG(reused > 0 && r.n_scored == s.calls && r.n_scored + reused == r.n_trials,
              "scored %d reused %d trials %d", r.n_scored, reused, r.n_trials);

    peak_score sr = {.dir = GAMMA_TOWARDS_LARGE, .p_star = 1.42}; /* StableSR 20 steps */
    CHECK(gamma_search_run(GAMMA_TOWARDS_LARGE, ramp, &sr, &r, err, sizeof err) == 0);
    CHECK_MSG(fabs(r.best_gamma - 1.42) < 1e-9, "found %f", r.best_gamma);
    for (int i = 1; i < r.n_trials; i++)
        CHECK(r.trials[i].gamma > 1);
}

static void test_uniform_best(void) {
    char err[256];
    gamma_search_result r;
    peak_score s = {.dir = GAMMA_TOWARDS_SMALL, .p_star = 0.5}; /* best below p = 1 */
    CHECK(gamma_search_run(GAMMA_TOWARDS_SMALL, quadratic, &s, &r, err, sizeof err) == 0);
    CHECK(r.best_gamma == 1.0 && r.best_score == r.uniform_score);
    CHECK_MSG(r.n_trials == 1 + GAMMA_SEARCH_N_STEPS, "%d trials", r.n_trials);
}

static void test_scorer_error(void) {
    char err[256] = "";
    gamma_search_result r;
    peak_score s = {.dir = GAMMA_TOWARDS_SMALL, .p_star = 2, .fail_at_call = 3};
    CHECK(gamma_search_run(GAMMA_TOWARDS_SMALL, ramp, &s, &r, err, sizeof err) == -1);
    CHECK(strstr(err, "scorer broke") != NULL && r.n_trials == 2);
}

typedef struct depth_curve {
    double scores[14]; /* by depth */
    int calls;
} depth_curve;

static int depth_score(void *user, int depth, double *score, char *err, size_t errlen) {
    depth_curve *c = user;
    c->calls++;
    if (depth < 1 || depth > 13) return snprintf(err, errlen, "bad depth %d", depth), -1;
    *score = c->scores[depth];
    return 0;
}

static void test_depth_search(void) {
    char err[256];
    depth_search_result r;
    depth_curve c = {0};
    for (int d = 1; d <= 13; d++)
        c.scores[d] = 10 + 2 * d; /* crosses 27 dB between D8 (26) and D9 (28) */
    CHECK(depth_search_run(1, 13, 27, false, depth_score, &c, &r, err, sizeof err) == 0);
    CHECK(r.found && r.best_depth == 9 && r.best_score == 28);
    CHECK_MSG(r.n_trials == 5 && c.calls == 5, "%d trials", r.n_trials); /* 12, 11, 10, 9, 8 */
    CHECK(r.trials[0].depth == 12 && r.trials[4].depth == 8 && !r.trials[4].pass);

    c.calls = 0;
    CHECK(depth_search_run(1, 13, 27, true, depth_score, &c, &r, err, sizeof err) == 0);
    CHECK(r.best_depth == 9 && r.n_trials == 12 && c.calls == 12);

    /* a pruned depth that passes below a failing one does not count: the
     * quality must stay over the threshold all the way down */
    c.scores[5] = 40;
    c.scores[10] = 20;
    CHECK(depth_search_run(1, 13, 27, true, depth_score, &c, &r, err, sizeof err) == 0);
    CHECK_MSG(r.best_depth == 11, "best %d", r.best_depth);

    c.scores[12] = 0;
    CHECK(depth_search_run(1, 13, 27, false, depth_score, &c, &r, err, sizeof err) == 0);
    CHECK(!r.found && r.best_depth == 13 && r.n_trials == 1);

    CHECK(depth_search_run(1, 20, 27, false, depth_score, &c, &r, err, sizeof err) == -1);
    CHECK(strstr(err, "bad depth 19") != NULL);
    CHECK(depth_search_run(5, 3, 27, false, depth_score, &c, &r, err, sizeof err) == -1);
}

int main(void) {
    test_official_path();
    test_exact_optimum();
    test_uniform_best();
    test_scorer_error();
    test_depth_search();
    return CHECK_DONE();
}
