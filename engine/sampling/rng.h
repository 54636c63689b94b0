/* Deterministic, platform-independent random numbers for initial latents and
 * DDIM's stochastic noise.
 *
 * Bits: xoshiro256** seeded through splitmix64 (integer arithmetic only).
 * Normals: Marsaglia's polar method in double, rounded to float. Its only
 * non-elementary operations are sqrt (correctly rounded by IEEE 754) and a
 * log that this module computes itself from + - * / on doubles, so the same
 * seed gives the same float bits on any libm, CPU or thread count (given
 * IEEE double arithmetic without x87 extended precision; rng.c turns off
 * fused multiply-add contraction, which would round differently).
 *
 * A generator is plain state: one per job, never shared between threads. The
 * stream does not depend on how a run of draws is split across calls. */
#ifndef I2I_RNG_H
#define I2I_RNG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct i2i_rng {
    uint64_t s[4];
    bool has_spare; /* the polar method makes normals in pairs */
    double spare;
} i2i_rng;

void i2i_rng_seed(i2i_rng *r, uint64_t seed);
uint64_t i2i_rng_next_u64(i2i_rng *r);
/* Uniform on [0, 1) with 53 random bits. */
double i2i_rng_uniform(i2i_rng *r);
/* n independent standard normal samples. */
void i2i_rng_normal(i2i_rng *r, float *out, size_t n);

/* Natural log of a finite x > 0 from basic IEEE operations only (|error| of
 * a few ulp); exported for the tests. Returns NaN for x <= 0 or NaN. */
double i2i_rng_log(double x);

#endif
