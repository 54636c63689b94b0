/* Single-depth search (DESIGN §1.4): the shallowest depth D whose quality
 * stays at or above a threshold, i.e. D and every depth between D and the
 * full model pass. Depths are scored from the deepest pruned one
 * (max_depth - 1) downwards, stopping at the first failure; with `all` set
 * every depth in min_depth..max_depth-1 is scored (a complete plot) and the
 * answer is the same. The full depth itself is the reference and is not
 * scored. */
#ifndef I2I_DEPTH_SEARCH_H
#define I2I_DEPTH_SEARCH_H

#include <stdbool.h>
#include <stddef.h>

#define DEPTH_SEARCH_MAX 64

/* Returns 0 with *score set (higher is better), or -1 with a message. */
typedef int (*depth_score_fn)(void *user, int depth, double *score, char *err, size_t errlen);

typedef struct depth_trial {
    int depth;
    double score;
    bool pass; /* score >= threshold */
} depth_trial;

typedef struct depth_search_result {
    int best_depth; /* max_depth when no pruned depth passes */
    double best_score;
    bool found; /* some pruned depth passes */
    depth_trial trials[DEPTH_SEARCH_MAX];
    int n_trials; /* in the order scored */
} depth_search_result;

int depth_search_run(int min_depth, int max_depth, double threshold, bool all, depth_score_fn score,
                     void *user, depth_search_result *out, char *err, size_t errlen);

#endif
