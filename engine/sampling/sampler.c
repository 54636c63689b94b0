/* DDIM and DPM-Solver++(2M) loops over a callback model (see sampler.h for
 * the exact update rules). Scalar coefficients and per-element arithmetic
 * are double; x stays float between steps, as a latent tensor would. */
#include "sampler.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "schedule.h"

double ddim_sigma(double a_t, double a_prev, double eta) {
    if (eta == 0.0) return 0.0;
    double var = (1.0 - a_prev) / (1.0 - a_t) * (1.0 - a_t / a_prev);
    return var > 0.0 ? eta * sqrt(var) : 0.0;
}

bool ddim_step(const float *x_t, const float *eps, const float *z, size_t n, double a_t,
               double a_prev, double eta, float *x_prev, float *x0) {
    if (!x_t || !eps || (!x_prev && !x0)) return false;
    if (!(a_t > 0.0 && a_t < 1.0) || !(a_prev > 0.0 && a_prev <= 1.0)) return false;
    if (!isfinite(eta) || eta < 0.0) return false;
    double sigma = ddim_sigma(a_t, a_prev, eta);
    if (sigma > 0.0 && !z) return false;
    double sq_1m_at = sqrt(1.0 - a_t), sq_at = sqrt(a_t), sq_prev = sqrt(a_prev);
    /* 1 - ā' - σ² is >= 0 in exact arithmetic; rounding may dip below. */
    double dir_var = 1.0 - a_prev - sigma * sigma;
    double dir = dir_var > 0.0 ? sqrt(dir_var) : 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = eps[i];
        double pred = ((double)x_t[i] - sq_1m_at * e) / sq_at;
        if (x_prev) {
            double xp = sq_prev * pred + dir * e;
            if (sigma > 0.0) xp += sigma * (double)z[i];
            x_prev[i] = (float)xp;
        }
        if (x0) x0[i] = (float)pred;
    }
    return true;
}

const char *sampler_status_str(int status) {
    switch (status) {
    case SAMPLER_OK:
        return "ok";
    case SAMPLER_CANCELED:
        return "canceled";
    case SAMPLER_MODEL_FAILED:
        return "model evaluation failed";
    case SAMPLER_INVALID:
        return "invalid sampler arguments";
    case SAMPLER_NO_MEMORY:
        return "out of memory";
    default:
        return "unknown sampler status";
    }
}

/* Timesteps must be valid indices and non-increasing (repeats allowed). */
static bool timesteps_valid(const int *t, int steps) {
    if (!t || steps < 1) return false;
    for (int i = 0; i < steps; i++) {
        if (t[i] < 0 || t[i] >= SD_NUM_TRAIN_TIMESTEPS) return false;
        if (i > 0 && t[i] > t[i - 1]) return false;
    }
    return true;
}

/* ā in (0,1) and non-increasing in t, so that every step moves towards the
 * data (h >= 0 for DPM++, a real σ for DDIM). */
static bool alphas_valid(const double *ac) {
    for (int i = 0; i < SD_NUM_TRAIN_TIMESTEPS; i++) {
        if (!(ac[i] > 0.0 && ac[i] < 1.0)) return false;
        if (i > 0 && ac[i] > ac[i - 1]) return false;
    }
    return true;
}

/* Scratch for one run: ε, a second float buffer (z for DDIM, the previous
 * data prediction for DPM++) and the current data prediction. */
typedef struct scratch {
    float *eps, *aux, *d_cur;
} scratch;

static bool scratch_alloc(scratch *s, size_t n) {
    s->eps = s->aux = s->d_cur = NULL;
    if (n > SIZE_MAX / sizeof(float)) return false;
    s->eps = malloc(n * sizeof(float));
    s->aux = malloc(n * sizeof(float));
    s->d_cur = malloc(n * sizeof(float));
    return s->eps && s->aux && s->d_cur;
}

static void scratch_free(scratch *s) {
    free(s->eps);
    free(s->aux);
    free(s->d_cur);
}

static int run_ddim(const sampler_opts *o, const double *ac, const int *ts, int steps, float *x,
                    size_t n, eps_fn eps, void *eps_user, step_fn step, void *step_user,
                    i2i_rng *rng, scratch *s) {
    for (int i = 0; i < steps; i++) {
        if (!eps(eps_user, x, ts[i], s->eps)) return SAMPLER_MODEL_FAILED;
        double a_t = ac[ts[i]];
        if (i == steps - 1) {
            ddim_step(x, s->eps, NULL, n, a_t, a_t, 0.0, NULL, x);
        } else {
            double a_prev = ac[ts[i + 1]];
            const float *z = NULL;
            if (ddim_sigma(a_t, a_prev, o->eta) > 0.0) {
                i2i_rng_normal(rng, s->aux, n);
                z = s->aux;
            }
            ddim_step(x, s->eps, z, n, a_t, a_prev, o->eta, x, NULL);
        }
        if (step && !step(step_user, i + 1, steps)) return SAMPLER_CANCELED;
    }
    return SAMPLER_OK;
}

/* x̂0 = (x - σ ε)/α for every element. */
static void data_prediction(const float *x, const float *e, size_t n, double alpha, double sigma,
                            float *out) {
    for (size_t i = 0; i < n; i++)
        out[i] = (float)(((double)x[i] - sigma * e[i]) / alpha);
}

static double lambda_of(double a) {
    return 0.5 * log(a / (1.0 - a));
}

static int run_dpmpp_2m(const double *ac, const int *ts, int steps, float *x, size_t n, eps_fn eps,
                        void *eps_user, step_fn step, void *step_user, scratch *s) {
    double h_prev = 0.0; /* 0: no usable previous step, take a first-order one */
    for (int i = 0; i < steps; i++) {
        if (!eps(eps_user, x, ts[i], s->eps)) return SAMPLER_MODEL_FAILED;
        double a = ac[ts[i]];
        double alpha = sqrt(a), sigma = sqrt(1.0 - a);
        if (i == steps - 1) {
            data_prediction(x, s->eps, n, alpha, sigma, x);
        } else {
            data_prediction(x, s->eps, n, alpha, sigma, s->d_cur);
            double a_next = ac[ts[i + 1]];
            double alpha_next = sqrt(a_next), sigma_next = sqrt(1.0 - a_next);
            double h = lambda_of(a_next) - lambda_of(a);
            if (h > 0.0) {
                double ratio = sigma_next / sigma, coef = -alpha_next * expm1(-h);
                double w_prev = h_prev > 0.0 ? h / (2.0 * h_prev) : 0.0; /* 1/(2r) */
                for (size_t k = 0; k < n; k++) {
                    double d = (1.0 + w_prev) * s->d_cur[k] - w_prev * s->aux[k];
                    x[k] = (float)(ratio * x[k] + coef * d);
                }
            }
            float *tmp = s->aux; /* D_i becomes D_{i-1} (aux) */
            s->aux = s->d_cur;
            s->d_cur = tmp;
            h_prev = h;
        }
        if (step && !step(step_user, i + 1, steps)) return SAMPLER_CANCELED;
    }
    return SAMPLER_OK;
}

int sampler_run(const sampler_opts *o, const int *timesteps, int steps, float *x, size_t n,
                eps_fn eps, void *eps_user, step_fn step, void *step_user, i2i_rng *rng) {
    if (!o || !x || n == 0 || !eps || !timesteps_valid(timesteps, steps)) return SAMPLER_INVALID;
    if (o->kind != I2I_SAMPLER_DDIM && o->kind != I2I_SAMPLER_DPMPP_2M) return SAMPLER_INVALID;
    if (o->kind == I2I_SAMPLER_DDIM && (!isfinite(o->eta) || o->eta < 0.0 || (o->eta > 0 && !rng)))
        return SAMPLER_INVALID;
    double sd_ac[SD_NUM_TRAIN_TIMESTEPS];
    const double *ac = o->alphas_cumprod;
    if (!ac) {
        sd_alphas_cumprod(sd_ac);
        ac = sd_ac;
    } else if (!alphas_valid(ac)) {
        return SAMPLER_INVALID;
    }
    scratch s;
    int rc = SAMPLER_NO_MEMORY;
    if (scratch_alloc(&s, n)) {
        if (o->kind == I2I_SAMPLER_DDIM)
            rc = run_ddim(o, ac, timesteps, steps, x, n, eps, eps_user, step, step_user, rng, &s);
        else
            rc = run_dpmpp_2m(ac, timesteps, steps, x, n, eps, eps_user, step, step_user, &s);
    }
    scratch_free(&s);
    return rc;
}
