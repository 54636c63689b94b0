/* The γ search of the paper's official code (DESIGN §1.4), written against
 * a scorer callback so it can be tested with a synthetic score.
 *
 * The search moves p, where p = γ for γ >= 1 and p = 1/γ for γ < 1, in one
 * direction per task (towards γ < 1 for edit and control, γ > 1 for SR),
 * starting at γ = 1 with step sizes 0.2, 0.1, 0.05, 0.02, 0.01: a candidate
 * p + step is kept when its score beats the best so far (and the search
 * goes on from it with the same step); on a failure the next smaller step
 * is tried from the best; the search stops when the smallest step fails.
 *
 * One deliberate difference from the official script: it starts its best
 * score at 0, so its first candidate is always kept even when uniform steps
 * (γ = 1) score better; here the best starts at γ = 1's own score, so the
 * result never scores below uniform. Scores of a γ already tried are reused
 * (the official script recomputes them; the scorer is deterministic). */
#ifndef I2I_GAMMA_SEARCH_H
#define I2I_GAMMA_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#define GAMMA_SEARCH_N_STEPS 5
#define GAMMA_SEARCH_MAX_TRIALS 512

/* Returns 0 with *score set (higher is better), or -1 with a message. */
typedef int (*search_score_fn)(void *user, double gamma, double *score, char *err, size_t errlen);

typedef enum gamma_direction {
    GAMMA_TOWARDS_SMALL = 0, /* γ < 1: steps packed near t = T (edit, control) */
    GAMMA_TOWARDS_LARGE = 1  /* γ > 1: steps packed near t = 0 (restoration) */
} gamma_direction;

typedef struct gamma_trial {
    double gamma;
    double p;    /* the moved parameter: 1/γ or γ */
    double step; /* step size that produced it; 0 for the start */
    double score;
    bool kept;   /* became the new best */
    bool reused; /* the score came from an earlier trial of the same γ */
} gamma_trial;

typedef struct gamma_search_result {
    double best_gamma;
    double best_score;
    double uniform_score; /* the score at γ = 1 */
    gamma_trial trials[GAMMA_SEARCH_MAX_TRIALS];
    int n_trials; /* trials[0] is γ = 1 */
    int n_scored; /* trials that called the scorer */
} gamma_search_result;

/* The official step sizes, largest first. */
extern const double GAMMA_SEARCH_STEPS[GAMMA_SEARCH_N_STEPS];

/* γ from p in a direction: 1/p towards small, p towards large. */
double gamma_from_p(gamma_direction dir, double p);

/* Runs the search. Returns 0, or -1 with the scorer's message (or a note
 * that the trial limit was hit) in err; *out then holds the trials so far. */
int gamma_search_run(gamma_direction dir, search_score_fn score, void *user,
                     gamma_search_result *out, char *err, size_t errlen);

#endif
