/* Gamma time-step schedule and SD 1.x alphas_cumprod (see schedule.h).
 *
 * Precision notes (golden README, "schedule.json"): s_i must be computed as
 * T*i/(N-1) so that s_{N-1} is exactly T (i*(T/(N-1)) can land below T and
 * give 998), and the rest in double, which matches the canonical float32
 * integers on every fixture and the exact values where they differ. */
#include "schedule.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static double schedule_u(double s, double gamma) {
    const double T = SCHEDULE_T_MAX, c = SCHEDULE_C_SHIFT;
    if (gamma >= 1.0) return s / (T + c * (gamma - 1.0));
    double p = 1.0 / gamma;
    return (s + c * (p - 1.0)) / (T + c * (p - 1.0));
}

static int schedule_t(double s, double gamma) {
    double v = pow(schedule_u(s, gamma), gamma);
    if (v < 0.0) v = 0.0;
    if (v > 1.0) v = 1.0;
    return (int)(SCHEDULE_T_MAX * v); /* v >= 0: the cast truncates like trunc() */
}

int gamma_schedule(int steps, double gamma, int *t_out, char *err, size_t errlen) {
    if (steps < 1 || steps > SCHEDULE_MAX_STEPS) {
        snprintf(err, errlen, "steps must be 1..%d (got %d)", SCHEDULE_MAX_STEPS, steps);
        return -1;
    }
    if (!isfinite(gamma) || gamma <= 0.0) {
        snprintf(err, errlen, "gamma must be a finite number > 0 (got %g)", gamma);
        return -1;
    }
    if (!t_out) {
        snprintf(err, errlen, "gamma_schedule: no output buffer");
        return -1;
    }
    const double T = SCHEDULE_T_MAX;
    if (steps == 1) { /* s = T: the first entry of every longer schedule */
        t_out[0] = schedule_t(T, gamma);
        return 0;
    }
    for (int i = 0; i < steps; i++) {
        double s = T * (double)i / (double)(steps - 1);
        t_out[steps - 1 - i] = schedule_t(s, gamma);
    }
    return 0;
}

/* Parses all of s as a finite double. */
static int parse_double_full(const char *s, double *out) {
    if (!s || !*s) return -1;
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int gamma_parse(const char *s, double *gamma, char *err, size_t errlen) {
    double v;
    int bad;
    if (s && strncmp(s, "1/", 2) == 0) {
        double p;
        bad = parse_double_full(s + 2, &p) != 0 || !(p > 0.0);
        v = bad ? 0.0 : 1.0 / p;
    } else {
        bad = parse_double_full(s, &v) != 0;
    }
    if (bad || !isfinite(v) || !(v > 0.0)) {
        snprintf(err, errlen, "invalid gamma '%s': want a number > 0, e.g. 1.42 or 1/3.11",
                 s ? s : "(null)");
        return -1;
    }
    *gamma = v;
    return 0;
}

void sd_alphas_cumprod(double out[SD_NUM_TRAIN_TIMESTEPS]) {
    const int n = SD_NUM_TRAIN_TIMESTEPS;
    const double start = sqrt(0.00085), end = sqrt(0.012);
    const double step = (end - start) / (double)(n - 1);
    double prod = 1.0;
    for (int i = 0; i < n; i++) {
        /* torch.linspace's order of evaluation: from the start for the first
         * half, from the end for the second, so both endpoints are exact. */
        double r = i < n / 2 ? start + step * (double)i : end - step * (double)(n - 1 - i);
        prod *= 1.0 - r * r;
        out[i] = prod;
    }
}
