// test_fastmath.c: nn_erff (nn/fastmath.h) against libm's erf in double, and the exact GELU
// built on it against the definition x Phi(x) with libm's erf.
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "nn/fastmath.h"
#include "nn/nn.h"

static float from_bits(uint32_t b)
{
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

Test(fastmath, erf_is_within_1e_7_relative_of_libm_erf_over_every_magnitude)
{
    // every 257th float of either sign from 2^-60 to 8: the polynomial near 0, the switch at
    // 1, the exponential tail and the saturation at 3.92
    double worst = 0.0;
    float at = 0.0f;
    for (uint32_t sign = 0; sign < 2; sign++) {
        for (uint32_t bits = 0x21800000u; bits <= 0x41000000u; bits += 257) {
            float x = from_bits(bits | sign << 31);
            double want = erf((double)x);
            double err = fabs(nn_erff(x) - want) / fabs(want);
            if (err > worst) {
                worst = err, at = x;
            }
        }
    }
    cr_assert(worst <= 1e-7, "nn_erff: relative error %.3g at %.9g, expected <= 1e-7", worst,
              (double)at);
}

Test(fastmath, erf_is_odd_saturates_and_keeps_nan)
{
    cr_assert(nn_erff(0.0f) == 0.0f);
    cr_assert(nn_erff(4.0f) == 1.0f && nn_erff(1e30f) == 1.0f && nn_erff(INFINITY) == 1.0f);
    cr_assert(nn_erff(-INFINITY) == -1.0f);
    cr_assert(isnan(nn_erff(NAN)));
    for (float x = 0.01f; x < 5.0f; x *= 1.37f) {
        cr_assert(nn_erff(-x) == -nn_erff(x), "erf(-%g) = %.9g, erf(%g) = %.9g", (double)x,
                  (double)nn_erff(-x), (double)x, (double)nn_erff(x));
    }
    // erf(1e-20) = 2 / sqrt(pi) 1e-20: the small-x form keeps relative accuracy
    cr_assert(fabs(nn_erff(1e-20f) / (1.1283791670955126 * 1e-20f) - 1.0) < 1e-7);
}

Test(fastmath, gelu_matches_x_phi_x_with_libm_erf)
{
    // forward x/2 (1 + erf(x / sqrt 2)) and backward Phi(x) + x phi(x), in double with libm
    enum { N = 4001 };
    static float x[N], y[N], dx[N], ones[N];
    for (int i = 0; i < N; i++) {
        x[i] = -10.0f + 20.0f * i / (N - 1);
        ones[i] = 1.0f;
        dx[i] = 0.0f;
    }
    nn_gelu_forward(y, x, N);
    nn_gelu_backward(dx, ones, x, N);
    for (int i = 0; i < N; i++) {
        double v = x[i];
        double cdf = 0.5 * (1.0 + erf(v / sqrt(2.0)));
        double want = v * cdf, dwant = cdf + v * exp(-0.5 * v * v) / sqrt(2.0 * M_PI);
        // absolute 1e-7 in the left tail, where 1 + erf cancels in float as in PyTorch's
        cr_assert(fabs(y[i] - want) <= 2e-7 * fabs(want) + 1e-7 * fabs(v),
                  "gelu(%g) = %.9g, expected %.9g", v, (double)y[i], want);
        cr_assert(fabs(dx[i] - dwant) <= 4e-7 * fabs(dwant) + 1e-7 * (1 + fabs(v)),
                  "gelu'(%g) = %.9g, expected %.9g", v, (double)dx[i], dwant);
    }
}

Test(fastmath, gelu_forward_grad_gives_the_forward_bits_and_the_derivative)
{
    // the one-pass form: out bit for bit nn_gelu_forward's, grad = Phi(x) + x phi(x) with libm,
    // also written over its own input; NaN stays NaN, 0 and 1e-30 have slope 1/2
    enum { N = 4007 };
    static float x[N], y[N], y1[N], g[N], g2[N];
    for (int i = 0; i < N; i++) {
        x[i] = -12.0f + 24.0f * i / (N - 1);
        g2[i] = x[i];
    }
    x[0] = NAN, x[1] = 0.0f, x[2] = 1e-30f, x[3] = -3e-8f;
    g2[0] = x[0], g2[1] = x[1], g2[2] = x[2], g2[3] = x[3];
    nn_gelu_forward(y, x, N);
    nn_gelu_forward_grad(y1, g, x, NULL, N);
    nn_gelu_forward_grad(y1, g2, g2, NULL, N); // in place over the input
    cr_assert(memcmp(y, y1, sizeof y) == 0, "out differs from nn_gelu_forward");
    cr_assert(memcmp(g, g2, sizeof g) == 0, "in place differs");
    // with a bias: the GELU of inp + bias, as if the bias had been added first
    static float half[N], bias[N], yb[N], gb[N];
    for (int i = 0; i < N; i++) {
        bias[i] = 0.25f * (float)(i % 7) - 0.75f;
        half[i] = x[i] - bias[i];
        g2[i] = half[i] + bias[i];
    }
    nn_gelu_forward_grad(y1, g, g2, NULL, N);
    nn_gelu_forward_grad(yb, gb, half, bias, N);
    cr_assert(memcmp(y1, yb, sizeof yb) == 0 && memcmp(g, gb, sizeof gb) == 0,
              "the bias is not added as a linear layer adds it");
    nn_gelu_forward_grad(y1, g, x, NULL, N);
    cr_assert(isnan(g[0]) && isnan(y[0]));
    cr_assert(g[1] == 0.5f && g[2] == 0.5f);
    for (int i = 1; i < N; i++) {
        double v = x[i];
        double cdf = 0.5 * (1.0 + erf(v / sqrt(2.0)));
        double dwant = cdf + v * exp(-0.5 * v * v) / sqrt(2.0 * M_PI);
        cr_assert(fabs(g[i] - dwant) <= 4e-7 * fabs(dwant) + 1e-7 * (1 + fabs(v)),
                  "gelu'(%g) = %.9g, expected %.9g", v, (double)g[i], dwant);
    }
}
