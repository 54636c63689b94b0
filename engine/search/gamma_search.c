/* Greedy γ search (official code's update rule; see gamma_search.h). */
#include "search/gamma_search.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const double GAMMA_SEARCH_STEPS[GAMMA_SEARCH_N_STEPS] = {0.2, 0.1, 0.05, 0.02, 0.01};

/* Two p values reached by different sums of steps (0.2+0.1 vs 0.1+0.2) may
 * differ in the last bits; they are the same schedule. */
#define P_SAME_EPS 1e-9

double gamma_from_p(gamma_direction dir, double p) {
    return dir == GAMMA_TOWARDS_SMALL ? 1.0 / p : p;
}

static const gamma_trial *find_trial(const gamma_search_result *r, double p) {
    for (int i = 0; i < r->n_trials; i++)
        if (fabs(r->trials[i].p - p) < P_SAME_EPS) return &r->trials[i];
    return NULL;
}

/* Scores p (or reuses an earlier score) and appends the trial. */
static int try_p(gamma_direction dir, double p, double step, search_score_fn score, void *user,
                 gamma_search_result *r, char *err, size_t errlen) {
    if (r->n_trials == GAMMA_SEARCH_MAX_TRIALS) {
        snprintf(err, errlen, "gamma search: more than %d trials", GAMMA_SEARCH_MAX_TRIALS);
        return -1;
    }
    gamma_trial t = {.gamma = gamma_from_p(dir, p), .p = p, .step = step};
    const gamma_trial *seen = find_trial(r, p);
    if (seen) {
        t.score = seen->score;
        t.reused = true;
    } else {
        if (score(user, t.gamma, &t.score, err, errlen) != 0) return -1;
        if (!isfinite(t.score)) {
            snprintf(err, errlen, "gamma search: score at gamma %.4f is not finite", t.gamma);
            return -1;
        }
        r->n_scored++;
    }
    r->trials[r->n_trials++] = t;
    return 0;
}

int gamma_search_run(gamma_direction dir, search_score_fn score, void *user,
                     gamma_search_result *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    if (try_p(dir, 1.0, 0, score, user, out, err, errlen) != 0) return -1;
    out->trials[0].kept = true;
    double best_p = 1.0;
    out->best_gamma = 1.0;
    out->best_score = out->uniform_score = out->trials[0].score;
    int k = 0;
    while (k < GAMMA_SEARCH_N_STEPS) {
        double p = best_p + GAMMA_SEARCH_STEPS[k];
        if (try_p(dir, p, GAMMA_SEARCH_STEPS[k], score, user, out, err, errlen) != 0) return -1;
        gamma_trial *t = &out->trials[out->n_trials - 1];
        if (t->score > out->best_score) {
            t->kept = true;
            best_p = p;
            out->best_score = t->score;
            out->best_gamma = t->gamma;
        } else {
            k++; /* the official code pops the next smaller step */
        }
    }
    return 0;
}
