// rng.c: xoshiro256** (Blackman and Vigna, 2018) seeded by splitmix64.
//
// Integer arithmetic only, so a seed gives the same stream on every machine; normal draws
// add the C library's log, sqrt and cos (see lab.h).
#include "lab.h"

#include <assert.h>
#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void lab_rng_seed(LabRng *rng, uint64_t seed)
{
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) {
        rng->s[i] = splitmix64(&x);
    }
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t lab_rng_u64(LabRng *rng)
{
    uint64_t *s = rng->s;
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

double lab_rng_uniform(LabRng *rng)
{
    return (double)(lab_rng_u64(rng) >> 11) * 0x1.0p-53;
}

uint64_t lab_rng_below(LabRng *rng, uint64_t n)
{
    assert(n > 0);
    // rejection sampling: drop the top partial block so every residue is equally likely
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
        x = lab_rng_u64(rng);
    } while (x >= limit);
    return x % n;
}

double lab_rng_normal(LabRng *rng)
{
    double u1 = 1.0 - lab_rng_uniform(rng); // (0, 1]: log(u1) is finite
    double u2 = lab_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

void lab_rng_jump(LabRng *rng)
{
    // the published polynomial of xoshiro256** for 2^128 steps (xoshiro256starstar.c)
    static const uint64_t JUMP[] = {0x180ec6d33cfd0abaull, 0xd5a61266f0c9392cull,
                                    0xa9582618e03fc9aaull, 0x39abdc4529b1661cull};
    uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (int i = 0; i < 4; i++) {
        for (int b = 0; b < 64; b++) {
            if (JUMP[i] & (uint64_t)1 << b) {
                s0 ^= rng->s[0];
                s1 ^= rng->s[1];
                s2 ^= rng->s[2];
                s3 ^= rng->s[3];
            }
            lab_rng_u64(rng);
        }
    }
    rng->s[0] = s0;
    rng->s[1] = s1;
    rng->s[2] = s2;
    rng->s[3] = s3;
}

void lab_rng_stream(LabRng *out, uint64_t seed, uint64_t stream)
{
    lab_rng_seed(out, seed + stream * 0x9E3779B97F4A7C15ull);
}
