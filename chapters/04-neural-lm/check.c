// check.c: the tests of chapter 04's exercises. Run them with `make check CH=04`.
//
// One test per exercise. Each compares your function with values computed by hand (and says
// what you might have missed when a known mistake gives the wrong value), then with the lab's
// own code (nn/layers.c, nn/optim.c: what the MLP calls at every training step) on random
// inputs drawn with a fixed seed, so a failure repeats exactly. Every test runs in its own
// process with a time limit: a crash or an endless loop fails that exercise only.
#include <criterion/criterion.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercises.h"
#include "nn/nn.h"

#define CHECK_TOL 1e-5  // relative tolerance, absolute below 1: floats, gradients near 0
#define CHECK_FLOOR 1.0
#include "chapters/check.h" // agree, EXPECT, Mistake, hint_for, show2, N_OF, uniform_in

#define NRANDOM 300 // random cases per exercise

// Fills x (n) with draws from [lo, hi).
static void fill(float *x, size_t n, LabRng *rng, double lo, double hi)
{
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)uniform_in(rng, lo, hi);
    }
}

// Fails with the first element of got (n) that differs from want (n), naming `what`.
static void expect_floats(const float *got, const float *want, size_t n, const char *hint,
                          const char *what)
{
    for (size_t i = 0; i < n; i++) {
        EXPECT(got[i], want[i], hint, "%s, element %zu", what, i);
    }
}

// --- 1. softmax and cross-entropy, forward -----------------------------------------------------

Test(ch04, ex01_softmax_xent, .timeout = 10)
{
    // logits {1, 2, 3}: sum = e + e^2 + e^3; loss = ln(sum) - 3 = ln(1 + e^-1 + e^-2)
    const float l3[3] = {1, 2, 3};
    double s = exp(1.0) + exp(2.0) + exp(3.0);
    const double p3[3] = {exp(1.0) / s, exp(2.0) / s, exp(3.0) / s};
    double want = log(1 + exp(-1.0) + exp(-2.0));
    float probs[4] = {NAN, NAN, NAN, NAN};
    double got = ex_softmax_xent(probs, l3, 3, 2);
    const Mistake m[] = {
        {-want, "the loss is MINUS the log-probability of the target: it is >= 0"},
        {want / log(2.0), "that is in bits: the lab's losses are in nats (natural log)"},
        {p3[2], "that is the target's probability; the loss is -ln of it"},
        {1 - p3[2], "the loss is -ln p(target), not 1 - p(target)"},
    };
    EXPECT(got, want, hint_for(got, m, N_OF(m), "-ln(e^3 / (e + e^2 + e^3)) = 0.40761"),
           "ex_softmax_xent(logits = {1, 2, 3}, V = 3, target = 2)");
    for (int v = 0; v < 3; v++) {
        EXPECT(probs[v], p3[v], "probs[v] = e^logits[v] / (e^1 + e^2 + e^3)",
               "probs[%d] after ex_softmax_xent(logits = {1, 2, 3}, V = 3, target = 2)", v);
    }

    const float l0[4] = {0, 0, 0, 0};
    EXPECT(ex_softmax_xent(probs, l0, 4, 1), log(4.0),
           "equal logits give the uniform distribution, 1/4 each: the loss is ln 4",
           "ex_softmax_xent(logits = {0, 0, 0, 0}, V = 4, target = 1)");

    const float big[3] = {1000, 1000, 0};
    for (int v = 0; v < 3; v++) {
        probs[v] = NAN;
    }
    got = ex_softmax_xent(probs, big, 3, 0);
    const char *of = "e^1000 overflows a double to inf, and inf / inf is NaN: subtract the row's "
                     "largest logit from every logit first (section 3, \"Computing it without "
                     "overflow\"); the softmax does not change";
    EXPECT(got, log(2.0), isfinite(got) ? "two equal large logits share the mass: ln 2" : of,
           "ex_softmax_xent(logits = {1000, 1000, 0}, V = 3, target = 0)");
    EXPECT(probs[0], 0.5, of, "probs[0] after ex_softmax_xent(logits = {1000, 1000, 0}, ...)");
    EXPECT(probs[2], 0.0, of, "probs[2] after ex_softmax_xent(logits = {1000, 1000, 0}, ...)");

    const float low[2] = {-1000, 0};
    got = ex_softmax_xent(probs, low, 2, 0);
    EXPECT(got, 1000.0,
           isinf(got) ? "-ln of a probability that rounded to 0 is inf: take the loss from the "
                        "logits (ln of the sum, minus the target's shifted logit), not from probs"
                      : "the log-probability of the target is -1000 - ln(1 + e^-1000) = -1000",
           "ex_softmax_xent(logits = {-1000, 0}, V = 2, target = 0)");

    LabRng rng;
    lab_rng_seed(&rng, 401);
    float *lg = lab_malloc(200 * sizeof(float)), *pg = lab_malloc(200 * sizeof(float));
    float *pw = lab_malloc(200 * sizeof(float));
    for (int c = 0; c < NRANDOM; c++) {
        int V = 1 + (int)lab_rng_below(&rng, 200);
        double scale = c % 3 == 0 ? 50.0 : 5.0;
        fill(lg, (size_t)V, &rng, -scale, scale);
        int32_t t = (int32_t)lab_rng_below(&rng, (uint64_t)V);
        double lw = nn_softmax_xent_forward(pw, NULL, lg, &t, 1, V);
        char what[96];
        snprintf(what, sizeof what, "random case %d (V = %d, target = %d)", c, V, t);
        EXPECT(ex_softmax_xent(pg, lg, V, t), lw,
               "the lab's nn_softmax_xent_forward gives the expected loss", "%s: the loss", what);
        expect_floats(pg, pw, (size_t)V, "the lab's nn_softmax_xent_forward gives these probs",
                      what);
    }
    free(lg);
    free(pg);
    free(pw);
}

// --- 2. softmax and cross-entropy, backward ----------------------------------------------------

Test(ch04, ex02_xent_backward, .timeout = 10)
{
    const float p[3] = {0.25f, 0.25f, 0.5f};
    const int32_t t2[1] = {2};
    float d[3] = {0, 0, 0};
    ex_xent_backward(d, p, t2, 1, 1, 3);
    const Mistake m[] = {
        {0.5, "subtract 1 at the target only: dlogits[v] = probs[v] - [v == target]"},
        {-0.5, "the other entries keep probs[v]: only the target's entry has 1 subtracted"},
        {0.75, "the gradient is probs - onehot, not onehot - probs"},
        {0.0, "dlogits is unchanged: add probs - onehot(target), divided by count, to each "
              "counted row"},
    };
    EXPECT(d[2], -0.5, hint_for(d[2], m, N_OF(m), "probs[2] - 1 = -0.5"),
           "dlogits[2] after ex_xent_backward(probs = {0.25, 0.25, 0.5}, target = 2, count = 1)");
    EXPECT(d[0], 0.25, hint_for(d[0], m, N_OF(m), "probs[0] - 0 = 0.25"),
           "dlogits[0] after ex_xent_backward(probs = {0.25, 0.25, 0.5}, target = 2, count = 1)");

    // accumulation: dlogits starts at 1
    float d1[3] = {1, 1, 1};
    ex_xent_backward(d1, p, t2, 1, 1, 3);
    EXPECT(d1[2], 0.5,
           d1[2] == -0.5f ? "ACCUMULATE (+=) into dlogits: do not overwrite what it holds"
                          : "1 + (0.5 - 1) = 0.5",
           "dlogits[2] after ex_xent_backward on dlogits = {1, 1, 1} (probs = {0.25, 0.25, 0.5}, "
           "target = 2, count = 1)");

    // two rows, the second ignored, and two counted rows of a mean
    const float p2[6] = {0.1f, 0.9f, 0.0f, 0.3f, 0.3f, 0.4f};
    const int32_t tt[2] = {1, -1};
    float d2[6] = {0, 0, 0, 7, 7, 7};
    ex_xent_backward(d2, p2, tt, 1, 2, 3);
    EXPECT(d2[1], 0.9 - 1, "row 0 is counted: probs - onehot, over count = 1",
           "dlogits[0][1] (targets = {1, -1}, count = 1)");
    for (int v = 0; v < 3; v++) {
        EXPECT(d2[3 + v], 7.0,
               "a row whose target is < 0 is padding: it gets no gradient (and -1 is no index)",
               "dlogits[1][%d] (targets = {1, -1}, count = 1; row 1 held 7)", v);
    }
    const int32_t tb[2] = {1, 2};
    float d3[6] = {0, 0, 0, 0, 0, 0};
    ex_xent_backward(d3, p2, tb, 2, 2, 3);
    const Mistake m3[] = {{0.4 - 1, "the loss is the MEAN over count rows: divide by count"}};
    EXPECT(d3[5], (0.4 - 1) / 2, hint_for(d3[5], m3, N_OF(m3), "(0.4 - 1) / 2 = -0.3"),
           "dlogits[1][2] (targets = {1, 2}, count = 2)");
    float d4[3] = {0, 0, 0};
    const int32_t none[1] = {-1};
    ex_xent_backward(d4, p, none, 0, 1, 3);
    EXPECT(d4[0], 0.0, "count = 0: nothing is counted, nothing changes (and no division by 0)",
           "dlogits[0] (targets = {-1}, count = 0)");

    LabRng rng;
    lab_rng_seed(&rng, 402);
    const int maxn = 16, maxv = 64;
    const size_t cells = (size_t)maxn * maxv;
    float *pr = lab_malloc(cells * sizeof(float)), *lg = lab_malloc(cells * sizeof(float));
    float *dg = lab_malloc(cells * sizeof(float)), *dw = lab_malloc(cells * sizeof(float));
    int32_t tg[16];
    for (int c = 0; c < NRANDOM; c++) {
        int N = 1 + (int)lab_rng_below(&rng, maxn), V = 1 + (int)lab_rng_below(&rng, maxv);
        size_t nv = (size_t)N * V;
        fill(lg, nv, &rng, -4, 4);
        for (int r = 0; r < N; r++) {
            tg[r] = lab_rng_below(&rng, 5) == 0 ? -1 : (int32_t)lab_rng_below(&rng, (uint64_t)V);
        }
        int count;
        nn_softmax_xent_forward(pr, &count, lg, tg, N, V);
        fill(dg, nv, &rng, -1, 1);
        memcpy(dw, dg, nv * sizeof(float));
        ex_xent_backward(dg, pr, tg, count, N, V);
        nn_softmax_xent_backward(dw, pr, tg, 1.0f, count, N, V);
        char what[96];
        snprintf(what, sizeof what, "random case %d (N = %d, V = %d, count = %d): dlogits", c, N,
                 V, count);
        expect_floats(dg, dw, nv, "the lab's nn_softmax_xent_backward gives the expected value",
                      what);
    }
    free(pr);
    free(lg);
    free(dg);
    free(dw);
}

// --- 3. the embedding lookup, backward ---------------------------------------------------------

Test(ch04, ex03_embed_backward, .timeout = 10)
{
    const int32_t ctx[4] = {1, 1, 0, 2};
    const float dx[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    float dw[6] = {0, 0, 0, 0, 0, 0};
    ex_embed_backward(dw, dx, ctx, 2, 2, 2, 3);
    const double want[6] = {5, 6, 4, 6, 7, 8};
    const Mistake m[] = {
        {3, "token 1 occurs twice in the first context: ADD both slices, do not overwrite"},
        {1, "token 1 occurs twice in the first context: add both slices (1 + 3 for column 0)"},
    };
    for (int i = 0; i < 6; i++) {
        EXPECT(dw[i], want[i],
               i == 2 ? hint_for(dw[i], m, N_OF(m), "row 1 gets slices 0 and 1: {1+3, 2+4}")
                      : "slice j of example b goes to row ctx[b, j] of dwte",
               "dwte[%d][%d] after ex_embed_backward(ctx = {1, 1, 0, 2}, dx = {1, ..., 8}, B = 2, "
               "n = 2, E = 2, V = 3)",
               i / 2, i % 2);
    }
    float acc[6] = {1, 1, 1, 1, 1, 1};
    ex_embed_backward(acc, dx, ctx, 2, 2, 2, 3);
    EXPECT(acc[0], 6.0,
           acc[0] == 5.0f ? "ACCUMULATE (+=) into dwte: it may already hold gradient"
                          : "1 + 5 = 6",
           "dwte[0][0] after ex_embed_backward on a dwte of ones");

    LabRng rng;
    lab_rng_seed(&rng, 403);
    int32_t ids[16 * 8];
    float *d = lab_malloc(16 * 8 * 24 * sizeof(float));
    float *g = lab_malloc(40 * 24 * sizeof(float)), *w = lab_malloc(40 * 24 * sizeof(float));
    for (int c = 0; c < NRANDOM; c++) {
        int B = 1 + (int)lab_rng_below(&rng, 16), n = 1 + (int)lab_rng_below(&rng, 8);
        int E = 1 + (int)lab_rng_below(&rng, 24), V = 1 + (int)lab_rng_below(&rng, 40);
        for (int i = 0; i < B * n; i++) {
            ids[i] = (int32_t)lab_rng_below(&rng, (uint64_t)V);
        }
        fill(d, (size_t)B * n * E, &rng, -1, 1);
        fill(g, (size_t)V * E, &rng, -1, 1);
        memcpy(w, g, (size_t)V * E * sizeof(float));
        ex_embed_backward(g, d, ids, B, n, E, V);
        nn_embedding_backward(w, d, ids, B * n, V, E);
        char what[96];
        snprintf(what, sizeof what, "random case %d (B = %d, n = %d, E = %d, V = %d): dwte", c, B,
                 n, E, V);
        expect_floats(g, w, (size_t)V * E, "the lab's nn_embedding_backward gives the expected "
                      "value", what);
    }
    free(d);
    free(g);
    free(w);
}

// --- 4. clipping by global norm ----------------------------------------------------------------

Test(ch04, ex04_clip_grad_norm, .timeout = 10)
{
    float g[2] = {3, 4};
    double norm = ex_clip_grad_norm(g, 2, 1.0);
    const Mistake m[] = {
        {25, "that is the squared norm: take its square root"},
        {7, "that is the sum of absolute values (L1); the norm is the L2 norm"},
        {1, "return the norm BEFORE clipping: it tells how large the step would have been"},
    };
    EXPECT(norm, 5.0, hint_for(norm, m, N_OF(m), "sqrt(3^2 + 4^2) = 5"),
           "ex_clip_grad_norm(grads = {3, 4}, max_norm = 1)");
    EXPECT(g[0], 0.6,
           g[0] == 3.0f ? "the norm 5 exceeds max_norm 1: scale every gradient by about 1/5"
                        : "3 * 1 / 5 = 0.6 (the chapter's small constant moves only the 7th digit)",
           "grads[0] after ex_clip_grad_norm(grads = {3, 4}, max_norm = 1)");
    EXPECT(g[1], 0.8, "4 * 1 / 5 = 0.8: the direction is kept, the length becomes max_norm",
           "grads[1] after ex_clip_grad_norm(grads = {3, 4}, max_norm = 1)");

    float u[2] = {3, 4};
    EXPECT(ex_clip_grad_norm(u, 2, 10.0), 5.0, "sqrt(3^2 + 4^2) = 5",
           "ex_clip_grad_norm(grads = {3, 4}, max_norm = 10)");
    if (u[0] != 3.0f || u[1] != 4.0f) {
        cr_assert_fail("ex_clip_grad_norm(grads = {3, 4}, max_norm = 10) changed grads to "
                       "{%g, %g}\na norm of 5 is within max_norm 10: leave the gradients "
                       "untouched", u[0], u[1]);
    }

    float huge[2] = {1e20f, 1e20f};
    norm = ex_clip_grad_norm(huge, 2, 1.0);
    EXPECT(norm, sqrt(2.0) * 1e20f,
           isinf(norm) ? "(1e20)^2 = 1e40 overflows a float (largest 3.4e38): sum the squares "
                         "in a double"
                       : "sqrt(2) * 1e20",
           "ex_clip_grad_norm(grads = {1e20, 1e20}, max_norm = 1)");
    EXPECT(huge[0], 1 / sqrt(2.0), "clipped to norm 1: each becomes 1/sqrt(2)",
           "grads[0] after ex_clip_grad_norm(grads = {1e20, 1e20}, max_norm = 1)");
    EXPECT(ex_clip_grad_norm(huge, 0, 1.0), 0.0, "no gradients: the norm is 0",
           "ex_clip_grad_norm(grads, n = 0, max_norm = 1)");

    LabRng rng;
    lab_rng_seed(&rng, 404);
    const size_t maxn = 5000;
    float *a = lab_malloc(maxn * sizeof(float)), *b = lab_malloc(maxn * sizeof(float));
    for (int c = 0; c < NRANDOM; c++) {
        size_t n = 1 + lab_rng_below(&rng, maxn);
        double sc = exp(uniform_in(&rng, log(1e-4), log(10.0)));
        fill(a, n, &rng, -sc, sc);
        memcpy(b, a, n * sizeof(float));
        double mx = c % 4 == 0 ? 1e9 : exp(uniform_in(&rng, log(1e-3), log(100.0)));
        double got = ex_clip_grad_norm(a, n, mx), want = nn_clip_grad_norm(b, n, mx);
        char what[128];
        snprintf(what, sizeof what, "random case %d (n = %zu, max_norm = %.6g)", c, n, mx);
        EXPECT(got, want, "the lab's nn_clip_grad_norm gives the expected norm", "%s: the norm",
               what);
        expect_floats(a, b, n, "the lab's nn_clip_grad_norm leaves these gradients", what);
    }
    free(a);
    free(b);
}

// --- 5. open: the MLP on names -------------------------------------------------------------------

// The accepted range is centred on the valid loss that the MLP of section 8 reaches on
// `names`; see tests/exercises/ref_04.c for how the value was obtained.
Test(ch04, ex05_open_mlp_valid_loss, .timeout = 10)
{
    double loss = ex_open_mlp_valid_loss();
    if (!(loss >= 2.04 && loss <= 2.19)) {
        cr_assert_fail("ex_open_mlp_valid_loss() = %g, expected about 2.11 (2.04 to 2.19)\n%s",
                       loss,
                       loss > 6 && loss < 11 ? "that looks like a perplexity: give the loss, "
                                               "ln of it"
                       : loss > 2.7 && loss < 3.4 ? "that looks like bits per character, or an "
                                                    "untrained model (ln 28 = 3.33 is uniform)"
                       : loss > 2.19 && loss < 2.7 ? "that looks like a shorter run: the command "
                                                     "of section 8 trains 5000 steps"
                       : "run the command of section 8 and read valid_loss in the last line of "
                         "its log.tsv");
    }
}
