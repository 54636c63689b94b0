/* Samplers, guidance and rng:
 * - ddim_step against golden ddim_step.safetensors (cases A/B/C, eta 0 and 1)
 *   with the README tolerance |diff| <= 1e-5 + 1e-6*|ref|;
 * - DDIM (eta 0) and DPM-Solver++(2M) on an analytic model (Gaussian data,
 *   exact ε-prediction, exact ODE solution known) converge to the exact x0,
 *   and DPM++ is closer than DDIM at few steps;
 * - cancellation, model failure and bad arguments give their return codes;
 * - seeded runs are bit-reproducible; rng moments and its log are sane;
 * - guidance formulas. */
#include "check.h"
#include "guidance.h"
#include "rng.h"
#include "sampler.h"
#include "schedule.h"

#include <jansson.h>
#include <stdint.h>
#include <string.h>

/* ---- a tiny safetensors reader (F32 only), enough for the fixture ---- */

typedef struct st_file {
    unsigned char *bytes;
    size_t size, data_start;
    json_t *header;
} st_file;

static bool st_load(const char *path, st_file *f) {
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp) return false;
    bool ok = fseek(fp, 0, SEEK_END) == 0;
    long size = ok ? ftell(fp) : -1;
    ok = ok && size >= 8 && fseek(fp, 0, SEEK_SET) == 0;
    if (ok) {
        f->size = (size_t)size;
        f->bytes = malloc(f->size);
        ok = f->bytes && fread(f->bytes, 1, f->size, fp) == f->size;
    }
    fclose(fp);
    uint64_t hlen = 0;
    for (int i = 7; ok && i >= 0; i--)
        hlen = hlen << 8 | f->bytes[i];
    ok = ok && hlen <= f->size - 8;
    if (ok) {
        f->header = json_loadb((const char *)f->bytes + 8, (size_t)hlen, 0, NULL);
        f->data_start = 8 + (size_t)hlen;
    }
    return ok && f->header;
}

/* A copy of tensor `name` as floats, with its element count; NULL if absent. */
static float *st_floats(const st_file *f, const char *name, size_t *count) {
    json_t *t = json_object_get(f->header, name);
    json_t *off = json_object_get(t, "data_offsets");
    const char *dtype = json_string_value(json_object_get(t, "dtype"));
    if (!t || !dtype || strcmp(dtype, "F32") || json_array_size(off) != 2) return NULL;
    size_t b = (size_t)json_integer_value(json_array_get(off, 0));
    size_t e = (size_t)json_integer_value(json_array_get(off, 1));
    if (e < b || (e - b) % 4 || e > f->size - f->data_start) return NULL;
    *count = (e - b) / 4;
    float *out = malloc(e - b + 1);
    if (out) memcpy(out, f->bytes + f->data_start + b, e - b); /* little-endian host */
    return out;
}

static void st_close(st_file *f) {
    json_decref(f->header);
    free(f->bytes);
}

/* ---- ddim_step vs golden ---- */

static double max_excess(const float *got, const float *ref, size_t n, double *worst_abs) {
    double excess = -1.0;
    *worst_abs = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - ref[i]);
        double over = d - (1e-5 + 1e-6 * fabs((double)ref[i]));
        if (d > *worst_abs) *worst_abs = d;
        if (over > excess) excess = over;
    }
    return excess; /* <= 0: within tolerance everywhere */
}

static void check_ddim_case(const st_file *f, json_t *c, const double *ac) {
    const char *name = json_string_value(json_object_get(c, "name"));
    int t = (int)json_integer_value(json_object_get(c, "t"));
    int tp = (int)json_integer_value(json_object_get(c, "t_prev"));
    double a_t = json_number_value(json_object_get(c, "a_t"));
    double a_p = json_number_value(json_object_get(c, "a_prev"));
    double sig1 = json_number_value(json_object_get(c, "sigma_eta1"));
    CHECK_MSG(fabs(ac[t] - a_t) <= 1e-15 * a_t && fabs(ac[tp] - a_p) <= 1e-15 * a_p,
              "case %s: alphas_cumprod[%d], [%d] differ from the fixture", name, t, tp);
    CHECK_MSG(fabs(ddim_sigma(ac[t], ac[tp], 1.0) - sig1) <= 1e-12 * sig1, "case %s sigma", name);
    CHECK(ddim_sigma(ac[t], ac[tp], 0.0) == 0.0);

    const char *keys[] = {"x_t", "eps", "z", "x0", "x_prev_eta0", "x_prev_eta1"};
    float *v[6] = {0};
    size_t n = 0, cnt = 0;
    bool ok = true;
    for (int k = 0; k < 6; k++) {
        char key[64];
        snprintf(key, sizeof key, "%s_%s", name, keys[k]);
        v[k] = st_floats(f, key, &cnt);
        ok = ok && v[k] && (k == 0 || cnt == n);
        if (k == 0) n = cnt;
    }
    CHECK_MSG(ok && n == 256, "case %s: tensors missing or of the wrong size", name);
    float *x0 = malloc(n * sizeof(float)), *xp = malloc(n * sizeof(float));
    for (int eta = 0; ok && eta <= 1; eta++) {
        double worst;
        CHECK(ddim_step(v[0], v[1], v[2], n, ac[t], ac[tp], eta, xp, x0));
        double ex = max_excess(xp, v[4 + eta], n, &worst);
        printf("ddim case %s eta %d: x_prev max |diff| %.2e\n", name, eta, worst);
        CHECK_MSG(ex <= 0.0, "case %s eta %d: x_prev off by %.3g over tolerance", name, eta, ex);
        ex = max_excess(x0, v[3], n, &worst);
        CHECK_MSG(ex <= 0.0, "case %s: x0 off by %.3g over tolerance", name, ex);
        /* In place (x_prev aliasing x_t) gives the same bits. */
        memcpy(x0, v[0], n * sizeof(float));
        CHECK(ddim_step(x0, v[1], v[2], n, ac[t], ac[tp], eta, x0, NULL));
        CHECK(memcmp(x0, xp, n * sizeof(float)) == 0);
    }
    if (ok) { /* eta > 0 needs z; invalid alphas and eta are refused */
        CHECK(!ddim_step(v[0], v[1], NULL, n, ac[t], ac[tp], 1.0, xp, NULL));
        CHECK(ddim_step(v[0], v[1], NULL, n, ac[t], ac[tp], 0.0, xp, NULL));
        CHECK(!ddim_step(v[0], v[1], v[2], n, 0.0, ac[tp], 0.0, xp, NULL));
        CHECK(!ddim_step(v[0], v[1], v[2], n, 1.0, ac[tp], 0.0, xp, NULL));
        CHECK(!ddim_step(v[0], v[1], v[2], n, ac[t], 1.5, 0.0, xp, NULL));
        CHECK(!ddim_step(v[0], v[1], v[2], n, ac[t], ac[tp], -1.0, xp, NULL));
        CHECK(!ddim_step(v[0], v[1], v[2], n, ac[t], ac[tp], NAN, xp, NULL));
        CHECK(!ddim_step(v[0], v[1], v[2], n, ac[t], ac[tp], 0.0, NULL, NULL));
    }
    free(x0);
    free(xp);
    for (int k = 0; k < 6; k++)
        free(v[k]);
}

static void check_ddim_golden(void) {
    st_file f;
    bool loaded = st_load(golden_path("ddim_step.safetensors"), &f);
    CHECK_MSG(loaded, "cannot read %s", golden_path("ddim_step.safetensors"));
    json_t *cases = json_load_file(golden_path("ddim_step.json"), 0, NULL);
    json_t *list = json_object_get(cases, "cases");
    CHECK_MSG(json_array_size(list) == 3, "ddim_step.json: want 3 cases");
    double ac[SD_NUM_TRAIN_TIMESTEPS];
    sd_alphas_cumprod(ac);
    size_t i;
    json_t *c;
    if (loaded) json_array_foreach(list, i, c) check_ddim_case(&f, c, ac);
    json_decref(cases);
    if (loaded) st_close(&f);
}

/* ---- an analytic model: data x0 ~ N(mu_i, s_i^2) independently per element ----
 * With ā = a: x_t ~ N(sqrt(a) mu, a s^2 + 1 - a) and the exact ε-prediction is
 * E[ε | x_t] = sqrt(1-a) (x_t - sqrt(a) mu) / (a s^2 + 1 - a). The probability-flow
 * ODE keeps z = (x_t - sqrt(a) mu)/sqrt(a s^2 + 1 - a) constant, so the exact
 * sampler output (x̂0 at the last listed t) is known in closed form. */

#define GAUSS_N 64

typedef struct gauss_model {
    const double *ac;
    double mu[GAUSS_N], s[GAUSS_N];
    int calls, fail_at; /* fail_at: the call that returns false (0 = never) */
} gauss_model;

static double gauss_eps1(const gauss_model *m, int i, double x, double a) {
    return sqrt(1.0 - a) * (x - sqrt(a) * m->mu[i]) / (a * m->s[i] * m->s[i] + 1.0 - a);
}

static bool gauss_eps(void *user, const float *x, int t, float *eps_out) {
    gauss_model *m = user;
    if (++m->calls == m->fail_at) return false;
    for (int i = 0; i < GAUSS_N; i++)
        eps_out[i] = (float)gauss_eps1(m, i, x[i], m->ac[t]);
    return true;
}

static void gauss_init(gauss_model *m, const double *ac) {
    memset(m, 0, sizeof *m);
    m->ac = ac;
    for (int i = 0; i < GAUSS_N; i++) { /* spread of means and widths, some narrow */
        m->mu[i] = -1.0 + 2.0 * i / (GAUSS_N - 1);
        m->s[i] = 0.25 + 0.6 * ((i * 37) % GAUSS_N) / (double)GAUSS_N;
    }
}

/* Exact x̂0 at t_last from x_T at t_first along the probability-flow ODE. */
static void gauss_exact(const gauss_model *m, const float *x_T, int t_first, int t_last,
                        double *out) {
    double aT = m->ac[t_first], aL = m->ac[t_last];
    for (int i = 0; i < GAUSS_N; i++) {
        double s2 = m->s[i] * m->s[i];
        double z = (x_T[i] - sqrt(aT) * m->mu[i]) / sqrt(aT * s2 + 1.0 - aT);
        double xl = sqrt(aL) * m->mu[i] + sqrt(aL * s2 + 1.0 - aL) * z;
        out[i] = (xl - sqrt(1.0 - aL) * gauss_eps1(m, i, xl, aL)) / sqrt(aL);
    }
}

/* Max |sampler x0 - exact x0| for `steps` steps evenly spaced from t = 999 to
 * t = 99. (Schedules that end at t = 0 are a poor convergence test: the grid
 * cannot get finer than Δt = 1 there, while λ jumps by 0.5·log(Δt+1), so the
 * error near t = 0 shrinks only like log N for any solver.) */
static double gauss_error(i2i_sampler kind, int steps, const double *ac) {
    gauss_model m;
    gauss_init(&m, ac);
    int t[SCHEDULE_MAX_STEPS];
    float x[GAUSS_N], x_T[GAUSS_N];
    double exact[GAUSS_N];
    for (int i = 0; i < steps; i++)
        t[i] = 999 - 900 * i / (steps - 1);
    i2i_rng r;
    i2i_rng_seed(&r, 7);
    i2i_rng_normal(&r, x_T, GAUSS_N);
    memcpy(x, x_T, sizeof x);
    sampler_opts o = {.kind = kind, .eta = 0.0, .alphas_cumprod = NULL};
    int rc = sampler_run(&o, t, steps, x, GAUSS_N, gauss_eps, &m, NULL, NULL, NULL);
    CHECK_MSG(rc == SAMPLER_OK && m.calls == steps, "rc %d after %d calls", rc, m.calls);
    gauss_exact(&m, x_T, t[0], t[steps - 1], exact);
    double worst = 0.0;
    for (int i = 0; i < GAUSS_N; i++)
        worst = fmax(worst, fabs(x[i] - exact[i]));
    return worst;
}

static void check_convergence(void) {
    double ac[SD_NUM_TRAIN_TIMESTEPS];
    sd_alphas_cumprod(ac);
    const int steps[] = {5, 10, 20, 50, 200};
    double e_ddim[5], e_dpm[5];
    for (int k = 0; k < 5; k++) {
        e_ddim[k] = gauss_error(I2I_SAMPLER_DDIM, steps[k], ac);
        e_dpm[k] = gauss_error(I2I_SAMPLER_DPMPP_2M, steps[k], ac);
        printf("gaussian model, %3d steps: max |x0 - exact| DDIM %.3e  DPM++2M %.3e\n", steps[k],
               e_ddim[k], e_dpm[k]);
    }
    for (int k = 1; k < 5; k++) {
        CHECK_MSG(e_ddim[k] < e_ddim[k - 1], "DDIM error does not shrink at %d steps", steps[k]);
        CHECK_MSG(e_dpm[k] < e_dpm[k - 1], "DPM++ error does not shrink at %d steps", steps[k]);
        CHECK_MSG(e_dpm[k] < 0.5 * e_ddim[k], "DPM++ not clearly better at %d steps", steps[k]);
    }
    CHECK(e_dpm[0] < e_ddim[0]);
    /* Orders: 4x the steps cuts a first-order error ~4x, a second-order ~16x. */
    double r_ddim = e_ddim[3] / e_ddim[4], r_dpm = e_dpm[3] / e_dpm[4];
    printf("error ratio 50 -> 200 steps: DDIM %.1f, DPM++2M %.1f\n", r_ddim, r_dpm);
    CHECK(r_ddim > 3.0 && r_ddim < 6.0);
    CHECK(r_dpm > 10.0);
    CHECK(e_ddim[4] < 1e-2 && e_dpm[4] < 1e-4);
}

/* ---- control flow: cancel, model failure, bad arguments ---- */

typedef struct progress {
    int calls, cancel_at, last_step, last_steps;
} progress;

static bool on_step(void *user, int step, int steps) {
    progress *p = user;
    p->calls++;
    p->last_step = step;
    p->last_steps = steps;
    return step != p->cancel_at;
}

static const int T10[10] = {999, 937, 872, 802, 728, 646, 556, 452, 324, 124};

static void check_cancel_and_failure(void) {
    double ac[SD_NUM_TRAIN_TIMESTEPS];
    sd_alphas_cumprod(ac);
    const i2i_sampler kinds[] = {I2I_SAMPLER_DDIM, I2I_SAMPLER_DPMPP_2M};
    for (int k = 0; k < 2; k++) {
        sampler_opts o = {.kind = kinds[k], .eta = 0.0, .alphas_cumprod = ac};
        float x[GAUSS_N] = {0};
        gauss_model m;
        gauss_init(&m, ac);
        progress p = {.cancel_at = 3};
        int rc = sampler_run(&o, T10, 10, x, GAUSS_N, gauss_eps, &m, on_step, &p, NULL);
        CHECK_MSG(rc == SAMPLER_CANCELED && m.calls == 3 && p.calls == 3,
                  "kind %d: rc %d, %d evaluations after cancel at step 3", k, rc, m.calls);
        /* Cancel from the very first step. */
        gauss_init(&m, ac);
        p = (progress){.cancel_at = 1};
        rc = sampler_run(&o, T10, 10, x, GAUSS_N, gauss_eps, &m, on_step, &p, NULL);
        CHECK(rc == SAMPLER_CANCELED && m.calls == 1);
        /* No cancel: every step reported, 1..N of N. */
        gauss_init(&m, ac);
        p = (progress){.cancel_at = 0};
        rc = sampler_run(&o, T10, 10, x, GAUSS_N, gauss_eps, &m, on_step, &p, NULL);
        CHECK(rc == SAMPLER_OK && p.calls == 10 && p.last_step == 10 && p.last_steps == 10);
        /* The model fails at its 4th evaluation: nothing more is evaluated. */
        gauss_init(&m, ac);
        m.fail_at = 4;
        p = (progress){.cancel_at = 0};
        rc = sampler_run(&o, T10, 10, x, GAUSS_N, gauss_eps, &m, on_step, &p, NULL);
        CHECK(rc == SAMPLER_MODEL_FAILED && m.calls == 4 && p.calls == 3);
    }
    CHECK(strcmp(sampler_status_str(SAMPLER_CANCELED), "canceled") == 0);
}

static void check_invalid_args(void) {
    float x[GAUSS_N] = {0};
    gauss_model m;
    double ac[SD_NUM_TRAIN_TIMESTEPS];
    sd_alphas_cumprod(ac);
    gauss_init(&m, ac);
    i2i_rng r;
    i2i_rng_seed(&r, 1);
    sampler_opts o = {.kind = I2I_SAMPLER_DDIM, .eta = 0.0, .alphas_cumprod = NULL};
    const int rising[3] = {500, 600, 100}, too_big[2] = {1000, 0}, negative[2] = {5, -1};
    CHECK(sampler_run(&o, rising, 3, x, GAUSS_N, gauss_eps, &m, NULL, NULL, NULL) == 3);
    CHECK(sampler_run(&o, too_big, 2, x, GAUSS_N, gauss_eps, &m, NULL, NULL, NULL) == 3);
    CHECK(sampler_run(&o, negative, 2, x, GAUSS_N, gauss_eps, &m, NULL, NULL, NULL) == 3);
    CHECK(sampler_run(&o, T10, 0, x, GAUSS_N, gauss_eps, &m, NULL, NULL, NULL) == 3);
    CHECK(sampler_run(&o, NULL, 10, x, GAUSS_N, gauss_eps, &m, NULL, NULL, NULL) == 3);
    CHECK(sampler_run(&o, T10, 10, x, 0, gauss_eps, &m, NULL, NULL, NULL) == 3);
    CHECK(sampler_run(&o, T10, 10, NULL, GAUSS_N, gauss_eps, &m, NULL, NULL, NULL) == 3);
    CHECK(sampler_run(&o, T10, 10, x, GAUSS_N, NULL, &m, NULL, NULL, NULL) == 3);
    CHECK(sampler_run(NULL, T10, 10, x, GAUSS_N, gauss_eps, &m, NULL, NULL, NULL) == 3);
    o.eta = 1.0; /* stochastic DDIM without an rng */
    CHECK(sampler_run(&o, T10, 10, x, GAUSS_N, gauss_eps, &m, NULL, NULL, NULL) == 3);
    o.eta = -0.5;
    CHECK(sampler_run(&o, T10, 10, x, GAUSS_N, gauss_eps, &m, NULL, NULL, &r) == 3);
    o.eta = NAN;
    CHECK(sampler_run(&o, T10, 10, x, GAUSS_N, gauss_eps, &m, NULL, NULL, &r) == 3);
    o.eta = 0.0;
    o.kind = (i2i_sampler)7;
    CHECK(sampler_run(&o, T10, 10, x, GAUSS_N, gauss_eps, &m, NULL, NULL, &r) == 3);
    double bad_ac[SD_NUM_TRAIN_TIMESTEPS];
    memcpy(bad_ac, ac, sizeof bad_ac);
    bad_ac[500] = 1.0;
    o = (sampler_opts){.kind = I2I_SAMPLER_DPMPP_2M, .alphas_cumprod = bad_ac};
    CHECK(sampler_run(&o, T10, 10, x, GAUSS_N, gauss_eps, &m, NULL, NULL, &r) == 3);
    memcpy(bad_ac, ac, sizeof bad_ac);
    bad_ac[300] = bad_ac[200]; /* rising with t */
    CHECK(sampler_run(&o, T10, 10, x, GAUSS_N, gauss_eps, &m, NULL, NULL, &r) == 3);
    CHECK(m.calls == 0); /* nothing ran for any invalid call */
    /* Repeated time steps are allowed (large gamma gives several t = 0). */
    const int repeats[5] = {800, 400, 400, 0, 0};
    for (int k = 0; k < 2; k++) {
        o = (sampler_opts){.kind = k ? I2I_SAMPLER_DPMPP_2M : I2I_SAMPLER_DDIM, .eta = 1.0};
        for (int i = 0; i < GAUSS_N; i++)
            x[i] = 1.0f;
        int rc = sampler_run(&o, repeats, 5, x, GAUSS_N, gauss_eps, &m, NULL, NULL, &r);
        bool finite = true;
        for (int i = 0; i < GAUSS_N; i++)
            finite = finite && isfinite(x[i]);
        CHECK_MSG(rc == SAMPLER_OK && finite, "kind %d with repeated t: rc %d", k, rc);
    }
}

/* ---- determinism ---- */

static void run_seeded(i2i_sampler kind, double eta, uint64_t seed, float *x, i2i_rng *r) {
    double ac[SD_NUM_TRAIN_TIMESTEPS];
    sd_alphas_cumprod(ac);
    gauss_model m;
    gauss_init(&m, ac);
    i2i_rng_seed(r, seed);
    i2i_rng_normal(r, x, GAUSS_N);
    sampler_opts o = {.kind = kind, .eta = eta};
    CHECK(sampler_run(&o, T10, 10, x, GAUSS_N, gauss_eps, &m, NULL, NULL, r) == SAMPLER_OK);
}

static bool same_rng_state(const i2i_rng *a, const i2i_rng *b) {
    return memcmp(a->s, b->s, sizeof a->s) == 0 && a->has_spare == b->has_spare &&
           a->spare == b->spare;
}

static void check_determinism(void) {
    float a[GAUSS_N], b[GAUSS_N], c[GAUSS_N];
    i2i_rng ra, rb, rc;
    run_seeded(I2I_SAMPLER_DDIM, 1.0, 42, a, &ra);
    run_seeded(I2I_SAMPLER_DDIM, 1.0, 42, b, &rb);
    run_seeded(I2I_SAMPLER_DDIM, 1.0, 43, c, &rc);
    CHECK(memcmp(a, b, sizeof a) == 0);
    CHECK(memcmp(a, c, sizeof a) != 0);
    /* eta = 1 draws noise; eta = 0 and DPM++ never touch the rng after x_T. */
    run_seeded(I2I_SAMPLER_DDIM, 0.0, 42, b, &rb);
    CHECK(memcmp(a, b, sizeof a) != 0);
    i2i_rng fresh;
    i2i_rng_seed(&fresh, 42);
    i2i_rng_normal(&fresh, c, GAUSS_N);
    CHECK(same_rng_state(&fresh, &rb));
    run_seeded(I2I_SAMPLER_DPMPP_2M, 0.0, 42, b, &rb);
    CHECK(same_rng_state(&fresh, &rb));
    CHECK(!same_rng_state(&fresh, &ra));
}

/* ---- rng ---- */

static void check_rng(void) {
    enum { N = 1 << 20 };
    float *v = malloc(N * sizeof(float)), *w = malloc(N * sizeof(float));
    i2i_rng r, q;
    i2i_rng_seed(&r, 12345);
    i2i_rng_normal(&r, v, N);
    double sum = 0.0, sq = 0.0, quart = 0.0;
    for (size_t i = 0; i < N; i++) {
        sum += v[i];
        sq += (double)v[i] * v[i];
        quart += (double)v[i] * v[i] * v[i] * v[i];
    }
    double mean = sum / N, var = sq / N - mean * mean, kurt = quart / N;
    printf("rng: mean %.5f var %.5f E[x^4] %.4f over %d samples\n", mean, var, kurt, N);
    CHECK(fabs(mean) < 5e-3);       /* sd of the mean: 1e-3 */
    CHECK(fabs(var - 1.0) < 1e-2);  /* sd: 1.4e-3 */
    CHECK(fabs(kurt - 3.0) < 5e-2); /* Gaussian tails, sd ~ 1e-2 */
    /* The stream does not depend on how draws are split into calls. */
    i2i_rng_seed(&q, 12345);
    i2i_rng_normal(&q, w, 3);
    i2i_rng_normal(&q, w + 3, 1000);
    i2i_rng_normal(&q, w + 1003, N - 1003);
    CHECK(memcmp(v, w, N * sizeof(float)) == 0);
    /* Neighbouring seeds give unrelated streams. */
    i2i_rng_seed(&q, 12346);
    i2i_rng_normal(&q, w, 1000);
    int same = 0;
    for (int i = 0; i < 1000; i++)
        same += v[i] == w[i];
    CHECK(same < 5);
    /* Uniforms stay in [0, 1). */
    double lo = 1.0, hi = 0.0;
    for (int i = 0; i < 100000; i++) {
        double u = i2i_rng_uniform(&r);
        lo = fmin(lo, u);
        hi = fmax(hi, u);
    }
    CHECK(lo >= 0.0 && hi < 1.0 && lo < 1e-3 && hi > 0.999);
    /* The portable log agrees with libm to a few ulp. */
    double worst = 0.0;
    for (int i = 0; i < 200000; i++) {
        double x = i2i_rng_uniform(&r) * pow(2.0, (i % 80) - 60) + 1e-300;
        double ref = log(x), got = i2i_rng_log(x);
        double ulps = fabs(got - ref) / (nextafter(fabs(ref), INFINITY) - fabs(ref));
        worst = fmax(worst, ulps);
    }
    printf("rng log: worst %.2f ulp vs libm\n", worst);
    CHECK(worst <= 4.0);
    CHECK(i2i_rng_log(1.0) == 0.0);
    CHECK(isnan(i2i_rng_log(0.0)) && isnan(i2i_rng_log(-1.0)) && isnan(i2i_rng_log(NAN)));
    free(v);
    free(w);
}

/* ---- guidance ---- */

static void check_guidance(void) {
    enum { N = 257 };
    float u[N], im[N], full[N], out[N];
    i2i_rng r;
    i2i_rng_seed(&r, 99);
    i2i_rng_normal(&r, u, N);
    i2i_rng_normal(&r, im, N);
    i2i_rng_normal(&r, full, N);
    double worst = 0.0;
    ip2p_guidance(u, im, full, N, 7.5f, 1.5f, out);
    for (int i = 0; i < N; i++) {
        double want = (double)u[i] + 7.5 * ((double)full[i] - im[i]) + 1.5 * ((double)im[i] - u[i]);
        worst = fmax(worst, fabs(out[i] - want) / (1.0 + fabs(want)));
    }
    CHECK(worst < 1e-6);
    ip2p_guidance(u, im, full, N, 1.0f, 1.0f, out); /* no guidance: the full prediction */
    for (int i = 0; i < N; i++)
        worst = fmax(worst, fabs(out[i] - full[i]));
    ip2p_guidance(u, im, full, N, 0.0f, 0.0f, out); /* zero scales: unconditional */
    for (int i = 0; i < N; i++)
        worst = fmax(worst, fabs(out[i] - u[i]));
    ip2p_guidance(u, im, full, N, 0.0f, 1.0f, out); /* image only */
    for (int i = 0; i < N; i++)
        worst = fmax(worst, fabs(out[i] - im[i]));
    cfg_guidance(u, full, N, 1.0f, out);
    for (int i = 0; i < N; i++)
        worst = fmax(worst, fabs(out[i] - full[i]));
    CHECK_MSG(worst < 1e-6, "guidance identities off by %.3g", worst);
    cfg_guidance(u, full, N, 9.0f, out);
    worst = 0.0;
    for (int i = 0; i < N; i++) {
        double want = (double)u[i] + 9.0 * ((double)full[i] - u[i]);
        worst = fmax(worst, fabs(out[i] - want) / (1.0 + fabs(want)));
    }
    CHECK(worst < 1e-6);
    /* In place: out aliasing an input. */
    memcpy(out, u, sizeof out);
    ip2p_guidance(out, im, full, N, 7.5f, 1.5f, out);
    float ref[N];
    ip2p_guidance(u, im, full, N, 7.5f, 1.5f, ref);
    CHECK(memcmp(out, ref, sizeof ref) == 0);
}

int main(void) {
    check_ddim_golden();
    check_convergence();
    check_cancel_and_failure();
    check_invalid_args();
    check_determinism();
    check_rng();
    check_guidance();
    return CHECK_DONE();
}
