// fastmath.h: exp, tanh, sigmoid and erf in float, for the element-wise loops of the layers
// (layers.c, recurrent.c) and the GPT (transformer/). Private to nn/ and the transformer: not
// part of nn.h's interface.
//
// Each is straight-line float arithmetic (no table, no branch, no libm call), so a loop over
// them compiles to vector code (`#pragma omp simd`) and the vector lanes and the scalar tail
// give the same bits: the result of an element depends on that element alone, never on the
// thread count, the alignment or the vector width. lmlab builds in ISO C mode (-std=c11), where
// GCC does not contract a * b + c into an FMA, so the roundings are the ones written here.
//
// Accuracy against libm in double, over every float with 2^-31 <= |x| <= 20 (checked on a
// sample by tests/unit/test_nn_layers.c): nn_expf within 1 ulp, nn_tanhf within 2 and
// nn_sigmoidf within 3 (docs/nn.md "Fast element-wise functions"); nn_erff within 1e-7 of
// erf's value over every float (tests/unit/test_fastmath.c). libm's float functions are as
// accurate but are calls per element that do not vectorise.
#ifndef NN_FASTMATH_H
#define NN_FASTMATH_H

#include <stdint.h>

// cond ? a : b, chosen by bit masks: GCC keeps a float ?: as a branch under -ftrapping-math
// (its default) when arithmetic follows it, which stops the loop from vectorising
static inline float nn_selectf(int cond, float a, float b)
{
    union {
        float f;
        int32_t i;
    } ua = {.f = a}, ub = {.f = b}, r;
    int32_t m = -(int32_t)(cond != 0);
    r.i = (ua.i & m) | (ub.i & ~m);
    return r.f;
}

// a * b + c rounded once (a fused multiply-add) where the CPU has FMA, twice elsewhere: one
// instruction instead of two in the polynomials below, and a simd loop keeps it a vector FMA
// (not a call). Within one build the vector lanes and the scalar tail round alike.
static inline float nn_fmaf(float a, float b, float c)
{
#ifdef __FMA__
    return __builtin_fmaf(a, b, c);
#else
    return a * b + c;
#endif
}

// exp(x) in float, Cephes' expf: x = n ln 2 + r with |r| <= ln 2 / 2 (n rounded to nearest by
// the 1.5 * 2^23 trick, ln 2 split in two so that n * ln 2 is exact to 32 bits), exp(r) =
// 1 + r + r^2 p(r), p of degree 5 (Cephes' minimax coefficients) evaluated by Estrin's scheme;
// every step a fused multiply-add (nn_fmaf), so that the chain of steps that wait on one
// another is about half Horner's and a loop over it is not held up by latency; times 2^n built
// in the exponent bits. Always inlined, as the functions built on it: a call would keep the
// loops around them scalar. x is clamped to [-88, 89], so n stays in [-127, 128], whose exponent bits make 2^n = 0
// and +inf: the result is 0 below -87.68 (where exp reaches float's subnormals, 1e-38) and +inf
// from 88.38 on (exp overflows at 88.72). exp(-inf) = 0, exp(inf) = inf, NaN gives NaN.
static inline __attribute__((always_inline)) float nn_expf(float x)
{
    float xc = nn_selectf(x > -88.0f, x, -88.0f); // NaN becomes -88 here, NaN again at the end
    xc = nn_selectf(xc < 89.0f, xc, 89.0f);
    const float magic = 12582912.0f; // 1.5 * 2^23: adding it rounds to an integer
    float n = nn_fmaf(xc, 1.44269504088896341f, magic) - magic;
    float r = nn_fmaf(n, -0.693359375f, xc); // ln 2's first 9 bits: n * them is exact
    r = nn_fmaf(n, 2.12194440e-4f, r);       // and the rest of ln 2
    float r2 = r * r, r4 = r2 * r2;
    float p01 = nn_fmaf(1.6666665459e-1f, r, 5.0000001201e-1f);
    float p23 = nn_fmaf(8.3334519073e-3f, r, 4.1665795894e-2f);
    float p45 = nn_fmaf(1.9875691500e-4f, r, 1.3981999507e-3f);
    float p = nn_fmaf(p45, r4, nn_fmaf(p23, r2, p01));
    p = nn_fmaf(p, r2, r); // e^r - 1
    union {
        int32_t i;
        float f;
    } scale = {.i = ((int32_t)n + 127) << 23};
    // (1 + p) 2^n in one rounding: 2^n is exact, so this is (1 + p) rounded, then scaled
    return nn_selectf(x == x, nn_fmaf(p, scale.f, scale.f), x);
}

// 1 / (1 + exp(-x)): sigmoid(-1000) = 1 / inf = 0 and sigmoid(1000) = 1, as PyTorch's; within
// a few ulp, exp's relative error carried through 1 + e (0 from -88.38 down, where the true
// value is below 4e-39).
static inline __attribute__((always_inline)) float nn_sigmoidf(float x)
{
    return 1.0f / (1.0f + nn_expf(-x));
}

// tanh(x). For |x| >= 0.4: sign(x) (1 - 2 / (exp(2 |x|) + 1)), whose subtraction loses at
// most a bit and a half there; below 0.4, where that subtraction would cancel, the Taylor
// series to x^15 (its next term is under 3e-10 of x). |x| is clamped to 10: tanh(10) rounds to 1.
static inline __attribute__((always_inline)) float nn_tanhf(float x)
{
    float a = nn_selectf(x < 0.0f, -x, x);
    a = nn_selectf(a > 10.0f, 10.0f, a);
    float big = 1.0f - 2.0f / (nn_expf(2.0f * a) + 1.0f);
    float a2 = a * a;
    float s = -929569.0f / 638512875.0f; // tanh x = x - x^3/3 + 2x^5/15 - 17x^7/315 + ...
    s = s * a2 + 21844.0f / 6081075.0f;
    s = s * a2 + -1382.0f / 155925.0f;
    s = s * a2 + 62.0f / 2835.0f;
    s = s * a2 + -17.0f / 315.0f;
    s = s * a2 + 2.0f / 15.0f;
    s = s * a2 + -1.0f / 3.0f;
    float small = a + a * a2 * s;
    float y = nn_selectf(a < 0.4f, small, big);
    return nn_selectf(x < 0.0f, -y, y);
}

// The two pieces of nn_erff for a = |x| and s = a * a (see nn_erff below). Each polynomial is
// evaluated by Estrin's scheme (pairs of coefficients, then pairs of pairs): the same
// polynomial as Horner's rule in fewer steps that wait on one another, so that the loops over
// them (nn_gelu_forward, the GPT's GELU) are not held up by the latency of a chain of 10 FMAs.
//   erf(a) for a < 1:  a + a q(s), q(s) = erf(a) / a - 1, degree 6 in s
static inline __attribute__((always_inline)) float nn_erf_small(float a, float s)
{
    float s2 = s * s, s4 = s2 * s2;
    float q01 = nn_fmaf(-3.761262596e-01f, s, 1.283791661e-01f);
    float q23 = nn_fmaf(-2.685421146e-02f, s, 1.128359437e-01f);
    float q45 = nn_fmaf(-8.016864303e-04f, s, 5.189087242e-03f);
    float q = nn_fmaf(nn_fmaf(7.875874871e-05f, s2, q45), s4, nn_fmaf(q23, s2, q01));
    return a + a * q;
}

//   erfc(a) e^(a^2) = erfcx(t) for t = min(max(a, 1), 4): degree 10 in u = (t - 2.5) / 1.5;
//   times e = exp(-t^2) it is erfc(t), and 1 - that is erf(a) for 1 <= a (rounding to 1 from
//   a = 3.92 on); the caller passes e, which nn_erff computes and the GELU shares with phi
static inline __attribute__((always_inline)) float nn_erfcx_clamped(float a)
{
    float t = nn_selectf(a < 4.0f, a, 4.0f);
    t = nn_selectf(t > 1.0f, t, 1.0f); // NaN becomes 1 here
    float u = (t - 2.5f) * (1.0f / 1.5f);
    float u2 = u * u, u4 = u2 * u2, u8 = u4 * u4;
    float p01 = nn_fmaf(-1.115213931e-01f, u, 2.108063698e-01f);
    float p23 = nn_fmaf(-2.699793689e-02f, u, 5.611062795e-02f);
    float p45 = nn_fmaf(-5.611233413e-03f, u, 1.248669997e-02f);
    float p67 = nn_fmaf(-9.162725764e-04f, u, 2.418384189e-03f);
    float p89 = nn_fmaf(-2.451864420e-04f, u, 3.764772846e-04f);
    float p03 = nn_fmaf(p23, u2, p01);
    float p47 = nn_fmaf(p67, u2, p45);
    float p8a = nn_fmaf(9.294974006e-05f, u2, p89);
    return nn_fmaf(p8a, u8, nn_fmaf(p47, u4, p03));
}

// erf(x) in float, within 1e-7 of the exact value relative to it (1.5 ulp) for every float x:
//   |x| < 1:      erf(x) = x + x q(x^2), q(s) = erf(x) / x - 1 as a degree-6 polynomial in s;
//                 the x + x q form rounds once at the end, so small x keep their relative accuracy
//   1 <= |x|:     erf(|x|) = 1 - exp(-x^2) erfcx(t), t = min(|x|, 4), erfcx(t) = exp(t^2) erfc(t)
//                 (an entire function) as a degree-10 polynomial in u = (t - 2.5) / 1.5; from
//                 |x| = 3.92 on, erf rounds to 1 in float, which the clamp at 4 gives exactly
// with the sign of x. The coefficients are Chebyshev interpolants in double, made by
// tests/fixtures/fastmath/fit_erff.py. Both branches are computed and one selected, so a loop
// over nn_erff vectorises (always inlined: at this size GCC would call it, and a call keeps the
// loop scalar); erf(+-inf) = +-1, NaN gives NaN.
static inline __attribute__((always_inline)) float nn_erff(float x)
{
    float a = nn_selectf(x < 0.0f, -x, x);
    float t = nn_selectf(a < 4.0f, a, 4.0f);
    float big = 1.0f - nn_expf(-(t * t)) * nn_erfcx_clamped(a);
    float y = nn_selectf(a < 1.0f, nn_erf_small(a, a * a), big);
    y = nn_selectf(x < 0.0f, -y, y);
    return nn_selectf(x == x, y, x);
}

#endif
