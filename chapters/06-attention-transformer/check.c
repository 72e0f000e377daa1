// check.c: the tests of chapter 06's exercises. Run them with `make check CH=06`.
//
// One test per exercise. Each compares your function with values computed by hand from the
// chapter's equations (and says what you might have missed when a known mistake gives the
// wrong value), then on random inputs drawn with a fixed seed, so a failure repeats exactly:
// the causal softmax against the formula computed here in double, the attention head against
// the lab's gpt_attention_forward (transformer/attention.c), layernorm against the lab's
// nn_layernorm_forward (checked against PyTorch in the lab's own tests), the encoding against
// the formula and the table the lab's model adds. Every test runs in its own process with a
// time limit: a crash or an endless loop fails that exercise only.
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercises.h"
#include "nn/nn.h"
#include "transformer/gpt.h"

#define CHECK_TOL 1e-5  // relative tolerance, absolute below 1: weights and values near 0
#define CHECK_FLOOR 1.0
#include "chapters/check.h" // agree, EXPECT, Mistake, hint_for, show2, N_OF, uniform_in

#define NRANDOM 200 // random cases per exercise

static float *floats(size_t n)
{
    return lab_calloc(n ? n : 1, sizeof(float));
}

// Fills x (n) with draws from [lo, hi).
static void fill(float *x, size_t n, LabRng *rng, double lo, double hi)
{
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)uniform_in(rng, lo, hi);
    }
}

// Sets x (n) to NaN: an output left unwritten shows as NaN.
static void poison(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        x[i] = NAN;
    }
}

// hint, or for NaN the word that the output was never written (outputs start as NaN)
static const char *unwritten(float got, const char *hint)
{
    return isnan(got) ? "NaN is what the output held before the call: was it written?" : hint;
}

// want (T, T) = the causal softmax of the scores s (T, T), in double
static void causal_softmax_double(double *want, const float *s, int T)
{
    for (int t = 0; t < T; t++) {
        double mx = -INFINITY, sum = 0.0;
        for (int j = 0; j <= t; j++) {
            mx = fmax(mx, s[t * T + j]);
        }
        for (int j = 0; j < T; j++) {
            want[t * T + j] = j <= t ? exp(s[t * T + j] - mx) : 0.0;
            sum += want[t * T + j];
        }
        for (int j = 0; j < T; j++) {
            want[t * T + j] /= sum;
        }
    }
}

// --- 1. the causal softmax -----------------------------------------------------------------------

Test(ch06, ex01_causal_softmax, .timeout = 10)
{
    // row 0 sees key 0 only: weight 1; row 1: softmax(0, ln 3) = {1/4, 3/4}
    float att[4] = {5.0f, 9.0f, 0.0f, (float)log(3.0)};
    ex_causal_softmax(att, 2);
    const Mistake m0[] = {
        {1.0 / (1.0 + exp(4.0)), "query 0 may only see key 0 (the mask): its weight is 1"},
        {5.0, "the scores are unchanged: the function works IN PLACE on att"},
    };
    EXPECT(att[0], 1.0, hint_for(att[0], m0, N_OF(m0), "row 0 has one key it may see"),
           "att[0][0] after ex_causal_softmax({5, 9, 0, ln 3}, T = 2)");
    const Mistake m1[] = {
        {9.0, "the future key of query 0 must become exactly 0, whatever its score"},
        {exp(4.0) / (1.0 + exp(4.0)), "query 0 may not see key 1: set its weight to 0"},
    };
    EXPECT(att[1], 0.0, hint_for(att[1], m1, N_OF(m1), "above the diagonal every weight is 0"),
           "att[0][1] after the same call");
    EXPECT(att[2], 0.25, "softmax: exp(score) divided by the sum of exp over the row's keys",
           "att[1][0] after the same call");
    EXPECT(att[3], 0.75, "softmax: exp(ln 3) / (exp(0) + exp(ln 3)) = 3/4",
           "att[1][1] after the same call");

    // large scores: exp(1000) overflows a float (and a double)
    float big[9] = {1000, 7, 7, 1000, 1001, 7, 1000, 1000, 1000};
    ex_causal_softmax(big, 3);
    const char *hover = isnan(big[3]) || isinf(big[3])
                            ? "exp(1000) is infinite: subtract the row's largest score (among the "
                              "keys it sees) before exp, which leaves the softmax unchanged"
                            : "the softmax of {1000, 1001} is that of {0, 1}";
    EXPECT(big[3], 1.0 / (1.0 + exp(1.0)), hover, "att[1][0] after ex_causal_softmax of scores "
           "{1000, 7, 7, 1000, 1001, 7, 1000, 1000, 1000}, T = 3");
    EXPECT(big[4], exp(1.0) / (1.0 + exp(1.0)), hover, "att[1][1] of the same call");
    EXPECT(big[8], 1.0 / 3.0, hover, "att[2][2] of the same call");
    EXPECT(big[5], 0.0, "query 1 may not see key 2", "att[1][2] of the same call");

    LabRng rng;
    lab_rng_seed(&rng, 601);
    for (int c = 0; c < NRANDOM; c++) {
        int T = 1 + (int)lab_rng_below(&rng, 12);
        size_t TT = (size_t)T * T;
        float *s = floats(TT), *got = floats(TT);
        double *want = lab_malloc(TT * sizeof *want);
        fill(s, TT, &rng, -6, 6);
        memcpy(got, s, TT * sizeof *got);
        causal_softmax_double(want, s, T);
        ex_causal_softmax(got, T);
        for (size_t i = 0; i < TT; i++) {
            EXPECT(got[i], want[i], "compare with the hand examples above",
                   "random case %d (T = %d): att[%zu][%zu]", c, T, i / T, i % T);
        }
        free(s), free(got), free(want);
    }
}

// --- 2. one head of causal self-attention --------------------------------------------------------

Test(ch06, ex02_attention_head, .timeout = 10)
{
    const float q[2] = {1, 2}, k[2] = {0, (float)log(3.0)}, v[2] = {10, 20};
    float att[4], out[2];
    poison(att, 4);
    poison(out, 2);
    ex_attention_head(out, att, q, k, v, 2, 1);
    EXPECT(att[2], 0.1,
           unwritten(att[2], "the weights of query 1: softmax(0, 2 ln 3) = {0.1, 0.9}"),
           "att[1][0] after ex_attention_head(q {1, 2}, k {0, ln 3}, v {10, 20}, T = 2, hs = 1)");
    EXPECT(att[1], 0.0, "query 0 may not see key 1 (the causal mask)", "att[0][1] of that call");
    const Mistake mo[] = {{15.0, "out is the weighted sum with the weights, not the plain mean"},
                          {2.0, "out sums the values v, weighted; not the keys"}};
    EXPECT(out[1], 19.0, hint_for(out[1], mo, N_OF(mo), "out[1] = 0.1 * 10 + 0.9 * 20"),
           "out[1] of that call");
    EXPECT(out[0], 10.0, "query 0 sees only itself: out[0] = v[0]", "out[0] of that call");

    // hs = 4: the dot product of query 1 and key 1 is 4 ln 3; scaled by 1/sqrt(4), 2 ln 3
    const double l3 = log(3.0);
    const float q4[8] = {0, 0, 0, 0, 1, 1, 1, 1};
    const float k4[8] = {0, 0, 0, 0, (float)l3, (float)l3, (float)l3, (float)l3};
    const float v4[8] = {10, 10, 10, 10, 20, 20, 20, 20};
    float att4[4], out4[8];
    poison(att4, 4);
    poison(out4, 8);
    ex_attention_head(out4, att4, q4, k4, v4, 2, 4);
    const Mistake ms[] = {
        {81.0 / 82.0, "the scores are divided by sqrt(hs): without it they grow with hs"},
        {0.75, "divide by sqrt(hs) = 2, not by hs = 4"},
    };
    EXPECT(att4[3], 0.9, hint_for(att4[3], ms, N_OF(ms), "score (4 ln 3) / sqrt(4) = 2 ln 3"),
           "att[1][1] with hs = 4, q[1] = (1, 1, 1, 1), k[1] = (ln 3, ln 3, ln 3, ln 3)");
    EXPECT(out4[7], 19.0, "every channel of out[1] is 0.1 * 10 + 0.9 * 20",
           "out[1][3] of that call");

    LabRng rng;
    lab_rng_seed(&rng, 602);
    for (int c = 0; c < NRANDOM; c++) {
        int T = 1 + (int)lab_rng_below(&rng, 10), hs = 1 + (int)lab_rng_below(&rng, 8);
        size_t Th = (size_t)T * hs, TT = (size_t)T * T;
        float *qq = floats(Th), *kk = floats(Th), *vv = floats(Th), *qkv = floats(3 * Th);
        float *o = floats(Th), *a = floats(TT), *wo = floats(Th), *wa = floats(TT);
        float *scratch = floats(gpt_attention_scratch_floats(T, 1));
        fill(qq, Th, &rng, -2, 2);
        fill(kk, Th, &rng, -2, 2);
        fill(vv, Th, &rng, -2, 2);
        for (int t = 0; t < T; t++) {
            memcpy(qkv + (size_t)t * 3 * hs, qq + (size_t)t * hs, (size_t)hs * sizeof(float));
            memcpy(qkv + (size_t)t * 3 * hs + hs, kk + (size_t)t * hs, (size_t)hs * sizeof(float));
            memcpy(qkv + (size_t)t * 3 * hs + 2 * hs, vv + (size_t)t * hs,
                   (size_t)hs * sizeof(float));
        }
        gpt_attention_forward(wo, wa, qkv, NULL, scratch, 1, 1, T, hs, 1);
        poison(o, Th);
        poison(a, TT);
        ex_attention_head(o, a, qq, kk, vv, T, hs);
        for (size_t i = 0; i < TT; i++) {
            EXPECT(a[i], wa[i], "the lab's gpt_attention_forward gives the expected value",
                   "random case %d (T = %d, hs = %d): att[%zu][%zu]", c, T, hs, i / T, i % T);
        }
        for (size_t i = 0; i < Th; i++) {
            EXPECT(o[i], wo[i], "the lab's gpt_attention_forward gives the expected value",
                   "random case %d (T = %d, hs = %d): out[%zu][%zu]", c, T, hs, i / hs, i % hs);
        }
        free(qq), free(kk), free(vv), free(qkv), free(o), free(a), free(wo), free(wa);
        free(scratch);
    }
}

// --- 3. layer normalisation, forward -------------------------------------------------------------

Test(ch06, ex03_layernorm_forward, .timeout = 10)
{
    const float x[3] = {1, 2, 3}, w[3] = {1, 1, 2}, b[3] = {0, 0, 1};
    float out[3], mean[1], rstd[1];
    poison(out, 3);
    poison(mean, 1);
    poison(rstd, 1);
    ex_layernorm_forward(out, mean, rstd, x, w, b, 1, 3);
    const double r = 1.0 / sqrt(2.0 / 3.0 + 1e-5);
    EXPECT(mean[0], 2.0, unwritten(mean[0], "the mean of the row's C values"),
           "mean after ex_layernorm_forward(x {1, 2, 3}, w {1, 1, 2}, b {0, 0, 1})");
    const Mistake mr[] = {
        {1.0 / sqrt(1.0 + 1e-5), "the variance divides by C (PyTorch's biased variance), "
                                 "not C - 1"},
        {sqrt(2.0 / 3.0 + 1e-5), "rstd is 1 / sqrt(variance + eps), the reciprocal"},
        {1.0 / (2.0 / 3.0 + 1e-5), "rstd takes the square root of the variance"},
    };
    EXPECT(rstd[0], r, hint_for(rstd[0], mr, N_OF(mr), "variance 2/3, rstd 1/sqrt(2/3 + 1e-5)"),
           "rstd of that call");
    const Mistake mo[] = {{r, "then times the weight w and plus the bias b"},
                          {2 * r, "plus the bias b"}};
    EXPECT(out[2], 2 * r + 1, hint_for(out[2], mo, N_OF(mo), "(3 - 2) * rstd * 2 + 1"),
           "out[2] of that call");
    EXPECT(out[0], -r, "(1 - 2) * rstd * 1 + 0", "out[0] of that call");

    LabRng rng;
    lab_rng_seed(&rng, 603);
    for (int c = 0; c < NRANDOM; c++) {
        int N = 1 + (int)lab_rng_below(&rng, 6), C = 1 + (int)lab_rng_below(&rng, 40);
        size_t NC = (size_t)N * C;
        float *xx = floats(NC), *ww = floats(C), *bb = floats(C), *o = floats(NC);
        float *mu = floats(N), *rs = floats(N), *wo = floats(NC), *wmu = floats(N);
        float *wrs = floats(N);
        fill(xx, NC, &rng, -3, 5);
        fill(ww, C, &rng, -2, 2);
        fill(bb, C, &rng, -1, 1);
        poison(o, NC);
        poison(mu, N);
        poison(rs, N);
        ex_layernorm_forward(o, mu, rs, xx, ww, bb, N, C);
        nn_layernorm_forward(wo, wmu, wrs, xx, ww, bb, N, C, 1e-5f);
        for (int i = 0; i < N; i++) {
            EXPECT(mu[i], wmu[i], "the lab's nn_layernorm_forward gives the expected value",
                   "random case %d (N = %d, C = %d): mean[%d]", c, N, C, i);
            EXPECT(rs[i], wrs[i], "the lab's nn_layernorm_forward gives the expected value",
                   "random case %d (N = %d, C = %d): rstd[%d]", c, N, C, i);
        }
        for (size_t i = 0; i < NC; i++) {
            EXPECT(o[i], wo[i], "the lab's nn_layernorm_forward gives the expected value",
                   "random case %d (N = %d, C = %d): out[%zu][%zu]", c, N, C, i / C, i % C);
        }
        free(xx), free(ww), free(bb), free(o), free(mu), free(rs), free(wo), free(wmu), free(wrs);
    }
}

// --- 4. the sinusoidal position encoding ---------------------------------------------------------

Test(ch06, ex04_sinusoidal_encoding, .timeout = 10)
{
    float pe[8];
    poison(pe, 8);
    ex_sinusoidal_encoding(pe, 2, 4);
    EXPECT(pe[0], 0.0, pe[0] == 1.0f ? "the even channel is the sine, the odd one the cosine"
                                     : unwritten(pe[0], "position 0: every angle is 0, sin 0 = 0"),
           "pe[0][0] after ex_sinusoidal_encoding(T = 2, C = 4)");
    EXPECT(pe[1], 1.0, "position 0: cos 0 = 1", "pe[0][1] of that call");
    EXPECT(pe[4], sin(1.0), "channel 0 turns at frequency 1: sin(1) at position 1",
           "pe[1][0] of that call");
    const Mistake m2[] = {
        {sin(1.0 / pow(10000.0, 1.0 / 4.0)), "the exponent is i / C with i the even channel "
                                             "(2 for the second pair), not the pair's number"},
        {sin(pow(10000.0, 2.0 / 4.0)), "divide the position by 10000^(i / C); do not multiply"},
    };
    EXPECT(pe[6], sin(0.01), hint_for(pe[6], m2, N_OF(m2), "channels 2, 3: angle 1 / 10000^(2/4)"),
           "pe[1][2] of that call");
    EXPECT(pe[7], cos(0.01), "the cosine of the same angle as channel 2", "pe[1][3] of that call");

    // the table the lab's model adds with --pos sinusoidal, and the formula in double
    LabRng rng;
    lab_rng_seed(&rng, 604);
    for (int c = 0; c < 40; c++) {
        int T = 1 + (int)lab_rng_below(&rng, 40), C = 2 * (1 + (int)lab_rng_below(&rng, 32));
        float *got = floats((size_t)T * C);
        poison(got, (size_t)T * C);
        ex_sinusoidal_encoding(got, T, C);
        GptConfig cfg = {1, T, 1, 1, C, 0.0f, 0, GPT_POS_SINUSOIDAL, GPT_GELU_EXACT};
        Gpt m;
        cr_assert_eq(gpt_init(&m, &cfg, 1, 1), 0);
        for (int t = 0; t < T; t++) {
            for (int i = 0; i < C; i++) {
                double a = t / pow(10000.0, (double)(i - i % 2) / C);
                double want = i % 2 ? cos(a) : sin(a);
                EXPECT(got[t * C + i], want, "the formula of section 4",
                       "random case %d (T = %d, C = %d): pe[%d][%d]", c, T, C, t, i);
                EXPECT(got[t * C + i], m.sinusoid[t * C + i], "the lab's model adds this value",
                       "random case %d (T = %d, C = %d): pe[%d][%d]", c, T, C, t, i);
            }
        }
        gpt_free(&m);
        free(got);
    }
}

// --- 5. open: reading the lab --------------------------------------------------------------------

// The answers follow from the chapter's commands: the prompt 'emma' after <s> is n = 5 tokens,
// and a map has n (n - 1) / 2 cells above its diagonal; the learned position table of the
// section 4 models is (context, width) = (16, 64) floats, which the sinusoidal model does not
// have.
Test(ch06, ex05_open_reading_the_lab, .timeout = 10)
{
    const int n = 5;
    int cells = ex_open_masked_cells();
    if (cells != n * (n - 1) / 2) {
        const char *hint = cells == n * (n + 1) / 2
                               ? "the diagonal is not masked: a query sees itself"
                           : cells == 6 ? "the map has a row and a column for <s> too"
                           : cells == n * n ? "count only the cells the mask sets to 0"
                                            : "count the dark cells above the diagonal of one "
                                              "head's map";
        cr_assert_fail("ex_open_masked_cells() = %d, which is not the number of masked cells of "
                       "a map of '<s>emma'\n%s", cells, hint);
    }
    long d = ex_open_pos_param_difference();
    const long want = 16L * 64L;
    if (d != want) {
        const char *hint = d == -want ? "learned minus sinusoidal: the learned model has more"
                           : d == 0   ? "the two runs differ in --pos: train both commands of "
                                        "section 4"
                                      : "subtract the parameter counts the two train commands "
                                        "print";
        cr_assert_fail("ex_open_pos_param_difference() = %ld, which is not the difference of the "
                       "parameter counts\n%s", d, hint);
    }
}
