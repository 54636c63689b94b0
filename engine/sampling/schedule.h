/* Noise schedule and time-step selection for SD-family samplers.
 *
 * gamma_schedule() is the control-parameter schedule of DESIGN.md §1.3:
 * T = 999, c = 30, s_i = T*i/(N-1),
 *   gamma >= 1: u_i = s_i / (T + c(gamma-1))
 *   gamma <  1: p = 1/gamma, u_i = (s_i + c(p-1)) / (T + c(p-1))
 *   t_i = trunc(T * clip(u_i^gamma, 0, 1)), listed largest first.
 * Everything is computed in double, which reproduces every published and
 * golden sequence and is the exact answer where float32 torch is off by one.
 *
 * sd_alphas_cumprod() is SD 1.x's "scaled linear" noise schedule in float64. */
#ifndef I2I_SCHEDULE_H
#define I2I_SCHEDULE_H

#include <stddef.h>

#define SCHEDULE_T_MAX 999
#define SCHEDULE_C_SHIFT 30
#define SCHEDULE_MAX_STEPS 1000
#define SD_NUM_TRAIN_TIMESTEPS 1000

/* Fills t_out[0..steps-1] (largest t first). steps must be 1..1000 and gamma
 * finite and > 0. N = 1 (where s_i = 0/0) is defined as the endpoint every
 * N >= 2 sequence starts with (s = T): t = 999 for gamma <= 1 and
 * trunc(T*(T/(T+c(gamma-1)))^gamma) for gamma > 1, so a 1-step schedule is
 * the first step of any longer one. (torch.linspace(0,T,1) = [0] would pick
 * the other end instead: a single step at a nearly clean t, useless for
 * editing from noise.) Returns 0, or -1 with a message in err. */
int gamma_schedule(int steps, double gamma, int *t_out, char *err, size_t errlen);

/* Parses a gamma given as a decimal ("1.42") or a reciprocal ("1/3.11");
 * the whole string must be consumed and the value finite and > 0.
 * Returns 0, or -1 with a message in err. */
int gamma_parse(const char *s, double *gamma, char *err, size_t errlen);

/* alphas_cumprod of SD 1.x: betas = linspace(sqrt(0.00085), sqrt(0.012),
 * 1000)^2, cumulative product of (1 - beta), all in float64. */
void sd_alphas_cumprod(double out[SD_NUM_TRAIN_TIMESTEPS]);

#endif
