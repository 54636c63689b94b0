/* What a finished search writes: the JSON report (settings, every trial,
 * the answer, the search's own cost in U-Net evaluations and wall time, and
 * the U-Net parameters / MACs kept), the SVG plot, and a profile file. */
#ifndef I2I_SEARCH_REPORT_H
#define I2I_SEARCH_REPORT_H

#include "search/depth_search.h"
#include "search/edit_scorer.h"
#include "search/gamma_search.h"
#include <jansson.h>

typedef struct search_context {
    const char *bundle_dir, *images_dir;
    const char *prompts; /* the prompts file, or the one prompt */
    gamma_direction direction;
    double threshold; /* depth search */
    int min_depth;
    bool all_depths;
    const char *cache_dir; /* may be NULL */
    double wall_seconds;   /* the whole search, references included */
    double ref_seconds;    /* preparing the references */
} search_context;

json_t *search_report_gamma(const search_context *c, const edit_scorer *s,
                            const gamma_search_result *r, char *err, size_t errlen);
json_t *search_report_depth(const search_context *c, const edit_scorer *s,
                            const depth_search_result *r, char *err, size_t errlen);
int search_report_save(json_t *report, const char *path, char *err, size_t errlen);

int search_plot_gamma(const char *path, const edit_scorer *s, const gamma_search_result *r,
                      char *err, size_t errlen);
int search_plot_depth(const char *path, const search_context *c, const edit_scorer *s,
                      const depth_search_result *r, char *err, size_t errlen);

/* A profile of the edit task from the scorer's base settings with the
 * searched depth / steps / γ; source names the report. */
int search_write_profile(const char *path, const char *name, const edit_scorer *s, int depth,
                         double gamma, const char *report_path, char *err, size_t errlen);

#endif
