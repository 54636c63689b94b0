/* Seeded generator (see rng.h for why each piece was chosen). */
#include "rng.h"

#include <math.h>

/* a*b+c must round twice on every target: GCC in ISO C mode never contracts,
 * clang does unless told not to. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

static uint64_t splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) {
    return (x << k) | (x >> (64 - k));
}

void i2i_rng_seed(i2i_rng *r, uint64_t seed) {
    /* splitmix64 never yields four zero words, which xoshiro must avoid. */
    uint64_t sm = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&sm);
    r->has_spare = false;
    r->spare = 0.0;
}

uint64_t i2i_rng_next_u64(i2i_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double i2i_rng_uniform(i2i_rng *r) {
    return (double)(i2i_rng_next_u64(r) >> 11) * 0x1.0p-53;
}

double i2i_rng_log(double x) {
    if (!(x > 0.0) || isinf(x)) return x == INFINITY ? x : NAN;
    /* x = m * 2^e with m in [sqrt(1/2), sqrt(2)); frexp and ldexp are exact. */
    int e;
    double m = frexp(x, &e); /* m in [0.5, 1) */
    if (m < 0.70710678118654752440) {
        m *= 2.0;
        e -= 1;
    }
    /* log(m) = 2 atanh(s), s = (m-1)/(m+1), |s| <= 0.1716: the odd series
     * s + s^3/3 + ... reaches double precision within 13 terms. */
    double s = (m - 1.0) / (m + 1.0);
    double s2 = s * s;
    double sum = 0.0;
    for (int k = 25; k >= 3; k -= 2)
        sum = (sum + 1.0 / k) * s2;
    double log_m = 2.0 * (s + s * sum);
    /* ln 2 split into a high part with trailing zero bits (so e*hi is exact)
     * and the remainder. */
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    return (double)e * ln2_hi + (log_m + (double)e * ln2_lo);
}

/* One pair of independent standard normals (Marsaglia polar method). */
static void normal_pair(i2i_rng *r, double *a, double *b) {
    double u, v, s;
    do {
        u = 2.0 * i2i_rng_uniform(r) - 1.0;
        v = 2.0 * i2i_rng_uniform(r) - 1.0;
        s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    double f = sqrt(-2.0 * i2i_rng_log(s) / s);
    *a = u * f;
    *b = v * f;
}

void i2i_rng_normal(i2i_rng *r, float *out, size_t n) {
    for (size_t i = 0; i < n; i++) {
        if (r->has_spare) {
            r->has_spare = false;
            out[i] = (float)r->spare;
            continue;
        }
        double a, b;
        normal_pair(r, &a, &b);
        out[i] = (float)a;
        r->spare = b;
        r->has_spare = true;
    }
}
