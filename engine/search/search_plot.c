/* A small self-contained SVG line plot; see search_plot.h. */
#include "search/search_plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define W 720
#define H 440
#define LEFT 70
#define RIGHT 30
#define TOP 50
#define BOTTOM 80
#define N_TICKS 5

typedef struct frame {
    double x0, x1, y0, y1;
} frame;

static double px(const frame *f, double x) {
    return LEFT + (x - f->x0) / (f->x1 - f->x0) * (W - LEFT - RIGHT);
}

static double py(const frame *f, double y) {
    return H - BOTTOM - (y - f->y0) / (f->y1 - f->y0) * (H - TOP - BOTTOM);
}

static frame fit(const plot_spec *s, const plot_point *p, int n) {
    frame f = {INFINITY, -INFINITY, INFINITY, -INFINITY};
    for (int i = 0; i < n; i++) {
        f.x0 = fmin(f.x0, p[i].x), f.x1 = fmax(f.x1, p[i].x);
        f.y0 = fmin(f.y0, p[i].y), f.y1 = fmax(f.y1, p[i].y);
    }
    if (s->has_threshold) f.y0 = fmin(f.y0, s->threshold), f.y1 = fmax(f.y1, s->threshold);
    double dx = f.x1 - f.x0, dy = f.y1 - f.y0;
    if (dx <= 0) dx = fabs(f.x0) > 0 ? fabs(f.x0) * 0.1 : 1;
    if (dy <= 0) dy = fabs(f.y0) > 0 ? fabs(f.y0) * 0.1 : 1;
    f.x0 -= 0.05 * dx, f.x1 += 0.05 * dx, f.y0 -= 0.1 * dy, f.y1 += 0.1 * dy;
    return f;
}

static void xml_text(FILE *o, const char *s) {
    for (; s && *s; s++) {
        if (*s == '<')
            fputs("&lt;", o);
        else if (*s == '>')
            fputs("&gt;", o);
        else if (*s == '&')
            fputs("&amp;", o);
        else
            fputc(*s, o);
    }
}

static void draw_axes(FILE *o, const frame *f, const plot_spec *s) {
    fprintf(o, "<rect x='%d' y='%d' width='%d' height='%d' fill='none' stroke='#444'/>\n", LEFT,
            TOP, W - LEFT - RIGHT, H - TOP - BOTTOM);
    for (int i = 0; i <= N_TICKS; i++) {
        double x = f->x0 + (f->x1 - f->x0) * i / N_TICKS, y = f->y0 + (f->y1 - f->y0) * i / N_TICKS;
        fprintf(o, "<text x='%.1f' y='%d' font-size='11' text-anchor='middle'>%.3g</text>\n",
                px(f, x), H - BOTTOM + 16, x);
        fprintf(o, "<text x='%d' y='%.1f' font-size='11' text-anchor='end'>%.3g</text>\n", LEFT - 6,
                py(f, y) + 4, y);
    }
    fprintf(o, "<text x='%d' y='26' font-size='15' text-anchor='middle'>", W / 2);
    xml_text(o, s->title);
    fprintf(o, "</text>\n<text x='%d' y='%d' font-size='12' text-anchor='middle'>", W / 2,
            H - BOTTOM + 36);
    xml_text(o, s->x_label);
    fprintf(o,
            "</text>\n<text x='16' y='%d' font-size='12' text-anchor='middle' "
            "transform='rotate(-90 16 %d)'>",
            H / 2, H / 2);
    xml_text(o, s->y_label);
    fprintf(o, "</text>\n<text x='%d' y='%d' font-size='11' text-anchor='middle'>", W / 2, H - 14);
    xml_text(o, s->footer);
    fputs("</text>\n", o);
}

static int cmp_x(const void *a, const void *b) {
    double d = ((const plot_point *)a)->x - ((const plot_point *)b)->x;
    return (d > 0) - (d < 0);
}

static void draw_points(FILE *o, const frame *f, const plot_point *p, int n) {
    fputs("<polyline fill='none' stroke='#1f77b4' stroke-width='1.5' points='", o);
    for (int i = 0; i < n; i++)
        fprintf(o, "%.1f,%.1f ", px(f, p[i].x), py(f, p[i].y));
    fputs("'/>\n", o);
    for (int i = 0; i < n; i++) {
        fprintf(o, "<circle cx='%.1f' cy='%.1f' r='%d' fill='%s'/>\n", px(f, p[i].x), py(f, p[i].y),
                p[i].chosen ? 6 : 3, p[i].chosen ? "#d62728" : "#1f77b4");
        if (!p[i].note[0]) continue;
        fprintf(o,
                "<text x='%.1f' y='%.1f' font-size='9' fill='#555' "
                "transform='rotate(-35 %.1f %.1f)'>",
                px(f, p[i].x) + 6, py(f, p[i].y) - 6, px(f, p[i].x) + 6, py(f, p[i].y) - 6);
        xml_text(o, p[i].note);
        fputs("</text>\n", o);
    }
}

int plot_write_svg(const char *path, const plot_spec *spec, const plot_point *pts, int n, char *err,
                   size_t errlen) {
    if (n < 1) return snprintf(err, errlen, "plot: no points"), -1;
    plot_point *sorted = malloc(sizeof *sorted * (size_t)n);
    FILE *o = sorted ? fopen(path, "w") : NULL;
    if (!o) {
        free(sorted);
        return snprintf(err, errlen, "cannot write %s", path), -1;
    }
    memcpy(sorted, pts, sizeof *sorted * (size_t)n);
    qsort(sorted, (size_t)n, sizeof *sorted, cmp_x);
    frame f = fit(spec, sorted, n);
    fprintf(o,
            "<svg xmlns='http://www.w3.org/2000/svg' width='%d' height='%d' "
            "font-family='sans-serif'>\n<rect width='100%%' height='100%%' fill='white'/>\n",
            W, H);
    draw_axes(o, &f, spec);
    if (spec->has_threshold)
        fprintf(o,
                "<line x1='%d' x2='%d' y1='%.1f' y2='%.1f' stroke='#d62728' "
                "stroke-dasharray='6,4'/>\n<text x='%d' y='%.1f' font-size='11' fill='#d62728' "
                "text-anchor='end'>threshold %.3g</text>\n",
                LEFT, W - RIGHT, py(&f, spec->threshold), py(&f, spec->threshold), W - RIGHT - 4,
                py(&f, spec->threshold) - 4, spec->threshold);
    draw_points(o, &f, sorted, n);
    fputs("</svg>\n", o);
    free(sorted);
    if (fclose(o) != 0) return snprintf(err, errlen, "cannot write %s", path), -1;
    return 0;
}
