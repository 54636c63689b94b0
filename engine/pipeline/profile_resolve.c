/* A request over its profile: override ranges and the γ table. */
#include "profile.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Linear interpolation of one table row over the image-guidance scale,
 * clamped to the first and last column (the paper measured 1.0..1.6 only). */
static double interpolate_row(const profile_gamma_table *t, const profile_gamma_row *row,
                              double s) {
    const double *x = t->image_guidance_scale;
    int n = t->n_cols;
    if (n == 1 || s <= x[0]) return row->gamma[0];
    if (s >= x[n - 1]) return row->gamma[n - 1];
    int i = 1;
    while (x[i] < s)
        i++;
    double w = (s - x[i - 1]) / (x[i] - x[i - 1]);
    return row->gamma[i - 1] + w * (row->gamma[i] - row->gamma[i - 1]);
}

double profile_gamma_for(const profile *p, int steps, double s_image,
                         profile_gamma_origin *origin) {
    if (p->has_gamma_table)
        for (int r = 0; r < p->gamma_table.n_rows; r++)
            if (p->gamma_table.rows[r].steps == steps) {
                if (origin) *origin = PROFILE_GAMMA_FROM_TABLE;
                return interpolate_row(&p->gamma_table, &p->gamma_table.rows[r], s_image);
            }
    if (origin) *origin = PROFILE_GAMMA_FROM_PROFILE;
    return p->gamma;
}

const char *profile_gamma_origin_name(profile_gamma_origin o) {
    switch (o) {
    case PROFILE_GAMMA_FROM_REQUEST:
        return "request";
    case PROFILE_GAMMA_FROM_TABLE:
        return "gamma_table";
    default:
        return "profile";
    }
}

static int check_range(const profile *p, const char *what, const profile_range *r, double v,
                       bool integer, char *err, size_t errlen) {
    if (r->overridable && v >= r->min && v <= r->max) return 0;
    if (!r->overridable && v == r->min) return 0;
    if (!r->overridable)
        snprintf(err, errlen, "%s %g: profile '%s' fixes %s at %g", what, v, p->name, what, r->min);
    else if (integer)
        snprintf(err, errlen, "%s %g is outside %g..%g, the range profile '%s' allows", what, v,
                 r->min, r->max, p->name);
    else
        snprintf(err, errlen, "%s %g is outside [%g, %g], the range profile '%s' allows", what, v,
                 r->min, r->max, p->name);
    return -1;
}

static void apply_plain_overrides(const profile_request *q, i2i_params *e) {
    if (q->given & PROFILE_GIVEN_SAMPLER) e->sampler = q->sampler;
    if (q->given & PROFILE_GIVEN_ETA) e->eta = q->eta;
    if (q->given & PROFILE_GIVEN_GUIDANCE) e->guidance_scale = q->guidance_scale;
    if (q->given & PROFILE_GIVEN_IMAGE_GUIDANCE) e->image_guidance_scale = q->image_guidance_scale;
    if (q->given & PROFILE_GIVEN_SEED) e->seed = q->seed;
}

int profile_resolve(const profile *p, const profile_request *q, profile_resolved *out, char *err,
                    size_t errlen) {
    memset(out, 0, sizeof *out);
    i2i_params *e = &out->params;
    i2i_params_default(p->task, e);
    e->prompt = q->prompt;
    e->depth = p->depth;
    e->steps = p->steps;
    e->sampler = p->sampler;
    e->eta = p->eta;
    e->guidance_scale = p->guidance_scale;
    e->image_guidance_scale = p->image_guidance_scale;
    if (p->resolution > 0) e->resolution = p->resolution;
    apply_plain_overrides(q, e);
    if (q->given & PROFILE_GIVEN_DEPTH) {
        if (check_range(p, "depth", &p->depth_range, q->depth, true, err, errlen)) return -1;
        e->depth = q->depth;
    }
    if (q->given & PROFILE_GIVEN_STEPS) {
        if (check_range(p, "steps", &p->steps_range, q->steps, true, err, errlen)) return -1;
        e->steps = q->steps;
    }
    if (q->given & PROFILE_GIVEN_GAMMA) {
        if (!isfinite(q->gamma) ||
            check_range(p, "gamma", &p->gamma_range, q->gamma, false, err, errlen)) {
            if (!isfinite(q->gamma)) snprintf(err, errlen, "gamma must be a finite number");
            return -1;
        }
        e->gamma = q->gamma;
        out->gamma_origin = PROFILE_GAMMA_FROM_REQUEST;
    } else {
        e->gamma = profile_gamma_for(p, e->steps, e->image_guidance_scale, &out->gamma_origin);
    }
    return 0;
}
