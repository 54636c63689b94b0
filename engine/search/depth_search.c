/* Single-depth search; see depth_search.h. */
#include "search/depth_search.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

int depth_search_run(int min_depth, int max_depth, double threshold, bool all, depth_score_fn score,
                     void *user, depth_search_result *out, char *err, size_t errlen) {
    memset(out, 0, sizeof *out);
    out->best_depth = max_depth;
    if (min_depth < 1 || max_depth < min_depth || max_depth - min_depth >= DEPTH_SEARCH_MAX) {
        snprintf(err, errlen, "depth search: bad depth range %d..%d", min_depth, max_depth);
        return -1;
    }
    if (!isfinite(threshold)) {
        snprintf(err, errlen, "depth search: threshold must be a finite number");
        return -1;
    }
    bool chain_intact = true; /* every depth scored so far passed */
    for (int d = max_depth - 1; d >= min_depth; d--) {
        depth_trial t = {.depth = d};
        if (score(user, d, &t.score, err, errlen) != 0) return -1;
        t.pass = t.score >= threshold;
        out->trials[out->n_trials++] = t;
        if (t.pass && chain_intact) {
            out->best_depth = d;
            out->best_score = t.score;
            out->found = true;
        }
        if (!t.pass) {
            chain_intact = false;
            if (!all) break;
        }
    }
    return 0;
}
