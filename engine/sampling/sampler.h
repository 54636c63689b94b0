/* Model-agnostic diffusion samplers on flat float arrays (a latent is small:
 * 4*h/8*w/8 floats), with the model behind a callback so they can be tested
 * with an analytic stand-in.
 *
 * Conventions (DESIGN.md §1.2). timesteps t_0 >= t_1 >= ... >= t_{N-1} (0..999)
 * index alphas_cumprod ā. x holds x_{t_0} on entry (the caller draws it, e.g.
 * with i2i_rng_normal). The model is evaluated once per listed t, N times in
 * all; steps i < N-1 move x from t_i to t_{i+1}; after the last listed t the
 * result is the data prediction x̂0 = (x - sqrt(1-ā)·ε)/sqrt(ā) at t_{N-1},
 * which overwrites x.
 *
 * DDIM (eta): x_{t'} = sqrt(ā')·x̂0 + sqrt(1-ā'-σ²)·ε + σ·z with
 *   σ = eta·sqrt((1-ā')/(1-ā)·(1-ā/ā')); z ~ N(0,1) is drawn from the rng only
 *   when σ > 0 (so eta = 0 never touches the rng).
 *
 * DPM-Solver++(2M) (Lu et al. 2022, data prediction, multistep): with
 *   α = sqrt(ā), σ = sqrt(1-ā), λ = log(α/σ), h_i = λ_{i+1} - λ_i, D_i = x̂0 at t_i:
 *   x_{i+1} = (σ_{i+1}/σ_i)·x_i - α_{i+1}·(e^{-h_i} - 1)·D,
 *   D = D_i on the first step (first order), otherwise
 *   D = (1 + 1/(2r))·D_i - 1/(2r)·D_{i-1} with r = h_{i-1}/h_i.
 *   A repeated t (h = 0) leaves x unchanged, and the step after it is first
 *   order again (r would be 0). The final x̂0 is D_{N-1} itself, i.e. a
 *   first-order step to ᾱ = 1; no noise is used.
 *
 * Progress: step_fn(user, i+1, N) runs after every model evaluation and
 * update; returning false stops at once (before the next evaluation). */
#ifndef I2I_SAMPLER_H
#define I2I_SAMPLER_H

#include <stdbool.h>
#include <stddef.h>

#include "i2i_engine.h" /* i2i_sampler */
#include "rng.h"

/* ε-prediction of the (guided) model at x, time t; false on failure. */
typedef bool (*eps_fn)(void *user, const float *x, int t, float *eps_out);
/* Progress after step `step` of `steps` (1-based); false = cancel. */
typedef bool (*step_fn)(void *user, int step, int steps);

typedef struct sampler_opts {
    i2i_sampler kind;
    double eta;                   /* DDIM only: >= 0; 0 = deterministic */
    const double *alphas_cumprod; /* 1000 entries in (0,1), non-increasing; NULL = SD 1.x */
} sampler_opts;

typedef enum sampler_status {
    SAMPLER_OK = 0,
    SAMPLER_CANCELED = 1,     /* step_fn returned false */
    SAMPLER_MODEL_FAILED = 2, /* eps_fn returned false */
    SAMPLER_INVALID = 3,      /* bad options, timesteps or buffers */
    SAMPLER_NO_MEMORY = 4
} sampler_status;

/* Runs the loop above. step_fn may be NULL; rng may be NULL unless DDIM
 * with eta > 0. Returns a sampler_status. */
int sampler_run(const sampler_opts *o, const int *timesteps, int steps, float *x, size_t n,
                eps_fn eps, void *eps_user, step_fn step, void *step_user, i2i_rng *rng);

/* What a sampler_status means, for error messages. */
const char *sampler_status_str(int status);

/* DDIM's σ for one update from ā = a_t to ā' = a_prev (0 if eta = 0 or the
 * variance would be negative, i.e. a_prev < a_t). */
double ddim_sigma(double a_t, double a_prev, double eta);

/* One DDIM update (golden "ddim_step"): writes x̂0 to x0 and x_{t'} to x_prev
 * (either may be NULL; either may alias x_t or eps, every element is read
 * before it is written). z is needed only when σ > 0. Arithmetic is double
 * per element. Returns false for invalid arguments: a_t outside (0,1),
 * a_prev outside (0,1], eta < 0 or not finite, a missing input. */
bool ddim_step(const float *x_t, const float *eps, const float *z, size_t n, double a_t,
               double a_prev, double eta, float *x_prev, float *x0);

#endif
