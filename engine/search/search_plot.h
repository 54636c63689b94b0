/* SVG plots of a search: score against γ or against depth, with the
 * threshold line and, per point, the U-Net parameters and MACs kept. */
#ifndef I2I_SEARCH_PLOT_H
#define I2I_SEARCH_PLOT_H

#include <stdbool.h>
#include <stddef.h>

typedef struct plot_point {
    double x, y;
    bool chosen;   /* the search's answer: drawn larger and labelled */
    char note[64]; /* shown next to the point ("61% params, 1.2 GMAC"); may be "" */
} plot_point;

typedef struct plot_spec {
    const char *title;
    const char *x_label, *y_label;
    const char *footer; /* one line under the plot; may be NULL */
    bool has_threshold;
    double threshold;
} plot_spec;

/* Writes an SVG line plot of the points (drawn in x order). Returns 0 or -1
 * with a message. */
int plot_write_svg(const char *path, const plot_spec *spec, const plot_point *pts, int n, char *err,
                   size_t errlen);

#endif
