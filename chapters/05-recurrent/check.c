// check.c: the tests of chapter 05's exercises. Run them with `make check CH=05`.
//
// One test per exercise. Each compares your function with values computed by hand from the
// chapter's equations (and says what you might have missed when a known mistake gives the
// wrong value), then with the lab's own code on random inputs drawn with a fixed seed, so a
// failure repeats exactly: the cells against the lab's layers (nn/recurrent.c, PyTorch's
// equations) run over several steps, your step chained as many times; the batch layout
// against the lab's batcher (datasets/batch.c) over two epochs. Every test runs in its own
// process with a time limit: a crash or an endless loop fails that exercise only.
#include <criterion/criterion.h>
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"
#include "exercises.h"
#include "nn/nn.h"

#define CHECK_TOL 1e-5  // relative tolerance, absolute below 1: floats, gradients near 0
#define CHECK_FLOOR 1.0
#include "chapters/check.h" // agree, EXPECT, Mistake, hint_for, show2, N_OF, uniform_in

#define NRANDOM 200 // random cases per exercise

static double sigm(double x)
{
    return 1.0 / (1.0 + exp(-x));
}

// Fills x (n) with draws from [lo, hi).
static void fill(float *x, size_t n, LabRng *rng, double lo, double hi)
{
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)uniform_in(rng, lo, hi);
    }
}

static float *floats(size_t n)
{
    return lab_calloc(n ? n : 1, sizeof(float));
}

// Fails with the first element of got (n) that differs from want (n), naming `what`.
static void expect_floats(const float *got, const float *want, size_t n, const char *hint,
                          const char *what)
{
    for (size_t i = 0; i < n; i++) {
        EXPECT(got[i], want[i], hint, "%s, element %zu", what, i);
    }
}

// --- 1. one RNN step, backward ------------------------------------------------------------------

Test(ch05, ex01_rnn_step_backward, .timeout = 10)
{
    // pre = 0.5 * 2 + (-1) * 0.5 = 0.5, h = tanh(0.5); dpre = dh (1 - h^2) = 0.78645
    const float w_ih[1] = {0.5f}, w_hh[1] = {-1.0f}, x[1] = {2.0f}, hp[1] = {0.5f};
    const float h[1] = {(float)tanh(0.5)}, dh[1] = {1.0f};
    double dpre = 1 - (double)h[0] * h[0];
    float dx[1] = {0}, dhp[1] = {0}, dwi[1] = {0}, dwh[1] = {0}, db[1] = {0};
    ex_rnn_step_backward(dx, dhp, dwi, dwh, db, dh, h, hp, x, w_ih, w_hh, 1, 1, 1);
    const Mistake m[] = {
        {0.75, "1 - pre^2 is not tanh's derivative at pre: use the output, 1 - h^2"},
        {1.0, "the gradient goes through tanh first: multiply dh by 1 - h^2"},
        {1 - h[0], "tanh's derivative is 1 - h^2, not 1 - h"},
        {0.0, "db is unchanged: the bias gets the gradient of the pre-activation"},
    };
    EXPECT(db[0], dpre, hint_for(db[0], m, N_OF(m), "db = dh (1 - h^2) = 0.78645"),
           "db after ex_rnn_step_backward(w_ih 0.5, w_hh -1, x 2, h_prev 0.5, h tanh(0.5), dh 1)");
    const Mistake mx[] = {{2 * dpre, "dx takes w_ih times dpre, not x times dpre"},
                          {-dpre * 0.5 * 2, "dx takes w_ih, not w_hh"}};
    EXPECT(dx[0], 0.5 * dpre, hint_for(dx[0], mx, N_OF(mx), "dx = w_ih^T dpre = 0.5 * 0.78645"),
           "dx after the same step");
    const Mistake mh[] = {{0.5 * dpre, "dh_prev goes through w_hh, not w_ih"},
                          {dpre * 0.5, "dh_prev takes w_hh^T dpre, not h_prev dpre"}};
    EXPECT(dhp[0], -dpre, hint_for(dhp[0], mh, N_OF(mh), "dh_prev = w_hh^T dpre = -0.78645"),
           "dh_prev after the same step");
    const Mistake mw[] = {{0.5 * dpre, "dw_ih multiplies dpre by the input x, not by w_ih"},
                          {h[0] * dpre, "dw_ih multiplies dpre by the input x, not by h"}};
    EXPECT(dwi[0], 2 * dpre, hint_for(dwi[0], mw, N_OF(mw), "dw_ih = dpre x^T = 0.78645 * 2"),
           "dw_ih after the same step");
    const Mistake mw2[] = {{h[0] * dpre, "dw_hh multiplies dpre by h_prev (what w_hh "
                                         "multiplied), not by the new h"}};
    EXPECT(dwh[0], 0.5 * dpre, hint_for(dwh[0], mw2, N_OF(mw2),
                                        "dw_hh = dpre h_prev^T = 0.78645 * 0.5"),
           "dw_hh after the same step");

    // accumulation: a second call doubles every gradient
    ex_rnn_step_backward(dx, dhp, dwi, dwh, db, dh, h, hp, x, w_ih, w_hh, 1, 1, 1);
    EXPECT(dwh[0], dpre, dwh[0] == (float)(0.5 * dpre)
                             ? "ACCUMULATE (+=): in BPTT every step adds to the same dw_hh"
                             : "two calls add two equal gradients",
           "dw_hh after two calls of the same step");

    LabRng rng;
    lab_rng_seed(&rng, 501);
    for (int c = 0; c < NRANDOM; c++) {
        int B = 1 + (int)lab_rng_below(&rng, 5), C = 1 + (int)lab_rng_below(&rng, 7);
        int H = 1 + (int)lab_rng_below(&rng, 9);
        size_t BH = (size_t)B * H, BC = (size_t)B * C;
        float *wi = floats((size_t)H * C), *wh = floats((size_t)H * H), *bi = floats(H);
        float *bh = floats(H), *in = floats(BC), *hs = floats(2 * BH), *d = floats(BH);
        fill(wi, (size_t)H * C, &rng, -1, 1);
        fill(wh, (size_t)H * H, &rng, -1, 1);
        fill(bi, H, &rng, -0.5, 0.5);
        fill(bh, H, &rng, -0.5, 0.5);
        fill(in, BC, &rng, -1, 1);
        fill(hs, BH, &rng, -1, 1);
        fill(d, BH, &rng, -1, 1);
        nn_rnn_forward(hs, in, wi, wh, bi, bh, 1, B, C, H);
        // gradients start from random values: both must add to them
        size_t sizes[5] = {BC, BH, (size_t)H * C, (size_t)H * H, (size_t)H};
        const char *names[5] = {"dx", "dh_prev", "dw_ih", "dw_hh", "db"};
        float *g[5], *w[5];
        for (int k = 0; k < 5; k++) {
            g[k] = floats(sizes[k]);
            w[k] = floats(sizes[k]);
            fill(g[k], sizes[k], &rng, -1, 1);
            memcpy(w[k], g[k], sizes[k] * sizeof(float));
        }
        float *scratch = floats(nn_recurrent_scratch_floats(NN_CELL_RNN, 1, B, H));
        ex_rnn_step_backward(g[0], g[1], g[2], g[3], g[4], d, hs + BH, hs, in, wi, wh, B, C, H);
        nn_rnn_backward(w[0], w[1], w[2], w[3], w[4], NULL, scratch, d, hs, in, wi, wh, 1, B, C,
                        H);
        for (int k = 0; k < 5; k++) {
            char what[96];
            snprintf(what, sizeof what, "random case %d (B = %d, C = %d, H = %d): %s", c, B, C, H,
                     names[k]);
            expect_floats(g[k], w[k], sizes[k], "the lab's nn_rnn_backward gives the expected "
                          "value", what);
            free(g[k]);
            free(w[k]);
        }
        free(wi), free(wh), free(bi), free(bh), free(in), free(hs), free(d), free(scratch);
    }
}

// --- 2. one LSTM step, forward -------------------------------------------------------------------

Test(ch05, ex02_lstm_cell_forward, .timeout = 10)
{
    // pre-activations {1, 2, 3, -1} in the order i, f, g, o; c_prev 0.5
    const float w_ih[4] = {1, 2, 3, -1}, zero4[4] = {0, 0, 0, 0};
    const float x[1] = {1}, hp[1] = {0}, cp[1] = {0.5f};
    double c = sigm(2) * 0.5 + sigm(1) * tanh(3), hh = sigm(-1) * tanh(c);
    float h[1] = {NAN}, cn[1] = {NAN};
    ex_lstm_cell_forward(h, cn, x, hp, cp, w_ih, zero4, zero4, zero4, 1, 1, 1);
    const Mistake mc[] = {
        {sigm(1) * 0.5 + sigm(2) * tanh(3), "i and f are swapped: PyTorch's blocks are i, f, g, "
                                            "o, so f is rows H..2H"},
        {sigm(2) * 0.5 + sigm(1) * sigm(3), "the candidate g goes through tanh, not sigmoid"},
        {sigm(2) * 0.5 + tanh(1) * tanh(3) , "the input gate i is a sigmoid"},
        {sigm(2) * 0.5 + sigm(1) * tanh(-1), "g is the THIRD block (rows 2H..3H), o the fourth"},
    };
    EXPECT(cn[0], c, hint_for(cn[0], mc, N_OF(mc),
                              "c = f c_prev + i g = sigmoid(2) 0.5 + sigmoid(1) tanh(3)"),
           "c after ex_lstm_cell_forward(w_ih {1, 2, 3, -1}, w_hh 0, biases 0, x 1, h_prev 0, "
           "c_prev 0.5)");
    const Mistake mh[] = {
        {sigm(-1) * c, "h = o tanh(c): the cell goes through tanh before the output gate"},
        {tanh(c), "h = o tanh(c): multiply by the output gate"},
    };
    EXPECT(h[0], hh, hint_for(h[0], mh, N_OF(mh), "h = o tanh(c) = sigmoid(-1) tanh(1.1678)"),
           "h after the same step");

    // biases: both b_ih and b_hh enter every gate; w_hh multiplies h_prev
    const float wh4[4] = {0.5f, 0, 0, 0}, bi[4] = {0, 0, 0, 1}, bh[4] = {0, 0, 0, -0.5f};
    const float hp2[1] = {2};
    ex_lstm_cell_forward(h, cn, x, hp2, cp, w_ih, wh4, bi, bh, 1, 1, 1);
    c = sigm(2) * 0.5 + sigm(2) * tanh(3);
    EXPECT(cn[0], c, "i = sigmoid(w_ii x + b_ii + w_hi h_prev + b_hi) = sigmoid(1 + 0.5 * 2)",
           "c after ex_lstm_cell_forward(w_ih {1, 2, 3, -1}, w_hh {0.5, 0, 0, 0}, b_ih {0, 0, 0, "
           "1}, b_hh {0, 0, 0, -0.5}, x 1, h_prev 2, c_prev 0.5)");
    EXPECT(h[0], sigm(-0.5) * tanh(c), "o = sigmoid(-1 + 1 - 0.5): add both biases",
           "h after the same step");

    // the lab's LSTM over T steps, your cell chained T times
    LabRng rng;
    lab_rng_seed(&rng, 502);
    for (int k = 0; k < NRANDOM; k++) {
        int T = 1 + (int)lab_rng_below(&rng, 4), B = 1 + (int)lab_rng_below(&rng, 4);
        int C = 1 + (int)lab_rng_below(&rng, 6), H = 1 + (int)lab_rng_below(&rng, 8);
        size_t BH = (size_t)B * H, G = 4 * (size_t)H;
        float *wi = floats(G * C), *wh = floats(G * H), *b1 = floats(G), *b2 = floats(G);
        float *in = floats((size_t)T * B * C), *hs = floats((T + 1) * BH);
        float *cs = floats((T + 1) * BH), *gates = floats(T * B * G), *tc = floats(T * BH);
        fill(wi, G * C, &rng, -1, 1);
        fill(wh, G * H, &rng, -1, 1);
        fill(b1, G, &rng, -1, 1);
        fill(b2, G, &rng, -1, 1);
        fill(in, (size_t)T * B * C, &rng, -2, 2);
        fill(hs, BH, &rng, -1, 1);
        fill(cs, BH, &rng, -2, 2);
        float *h0 = floats(BH), *c0 = floats(BH), *ht = floats(BH), *ct = floats(BH);
        memcpy(h0, hs, BH * sizeof(float));
        memcpy(c0, cs, BH * sizeof(float));
        nn_lstm_forward(hs, cs, gates, tc, in, wi, wh, b1, b2, T, B, C, H);
        for (int t = 0; t < T; t++) {
            ex_lstm_cell_forward(ht, ct, in + (size_t)t * B * C, h0, c0, wi, wh, b1, b2, B, C, H);
            char what[128];
            snprintf(what, sizeof what, "random case %d (B = %d, C = %d, H = %d), step %d of %d: "
                     "c", k, B, C, H, t + 1, T);
            expect_floats(ct, cs + (t + 1) * BH, BH, "the lab's nn_lstm_forward gives the "
                          "expected value", what);
            what[strlen(what) - 1] = 'h';
            expect_floats(ht, hs + (t + 1) * BH, BH, "the lab's nn_lstm_forward gives the "
                          "expected value", what);
            memcpy(h0, ht, BH * sizeof(float));
            memcpy(c0, ct, BH * sizeof(float));
        }
        free(wi), free(wh), free(b1), free(b2), free(in), free(hs), free(cs), free(gates);
        free(tc), free(h0), free(c0), free(ht), free(ct);
    }
}

// --- 3. one GRU step, forward --------------------------------------------------------------------

Test(ch05, ex03_gru_cell_forward, .timeout = 10)
{
    const float w_ih[3] = {1, -1, 0.5f}, w_hh[3] = {0, 0, 2}, b_ih[3] = {0, 0, 0};
    const float b_hh[3] = {0, 0, 1}, x[1] = {1}, hp[1] = {0.5f};
    double r = sigm(1), z = sigm(-1), n = tanh(0.5 + r * (2 * 0.5 + 1));
    double want = (1 - z) * n + z * 0.5;
    float h[1] = {NAN};
    ex_gru_cell_forward(h, x, hp, w_ih, w_hh, b_ih, b_hh, 1, 1, 1);
    const Mistake m[] = {
        {z * n + (1 - z) * 0.5, "z keeps the OLD state in PyTorch's form: h = (1 - z) n + z "
                                "h_prev"},
        {(1 - z) * tanh(0.5 + 2 * r * 0.5 + 1) + z * 0.5,
         "r multiplies (W_hn h_prev + b_hn), bias included: PyTorch resets after the product"},
        {(1 - z) * tanh(0.5 + r * 2 * 0.5) + z * 0.5,
         "b_hn is inside the reset: r (W_hn h + b_hn)"},
        {(1 - z) * tanh(0.5 + 2 * 0.5 + 1) + z * 0.5, "the reset gate r must multiply the "
                                                      "recurrent part of the candidate"},
        {(1 - r) * tanh(0.5 + z * 2) + r * 0.5, "r and z are swapped: PyTorch's blocks are r, z, "
                                               "n"},
    };
    EXPECT(h[0], want,
           hint_for(h[0], m, N_OF(m), "r = sigmoid(1), z = sigmoid(-1), n = tanh(0.5 + r (2 * "
                                      "0.5 + 1)), h = (1 - z) n + z 0.5"),
           "h after ex_gru_cell_forward(w_ih {1, -1, 0.5}, w_hh {0, 0, 2}, b_ih 0, b_hh {0, 0, 1}, "
           "x 1, h_prev 0.5)");

    LabRng rng;
    lab_rng_seed(&rng, 503);
    for (int k = 0; k < NRANDOM; k++) {
        int T = 1 + (int)lab_rng_below(&rng, 4), B = 1 + (int)lab_rng_below(&rng, 4);
        int C = 1 + (int)lab_rng_below(&rng, 6), H = 1 + (int)lab_rng_below(&rng, 8);
        size_t BH = (size_t)B * H, G = 3 * (size_t)H;
        float *wi = floats(G * C), *wh = floats(G * H), *b1 = floats(G), *b2 = floats(G);
        float *in = floats((size_t)T * B * C), *hs = floats((T + 1) * BH);
        float *gates = floats(T * B * G), *gh = floats(T * B * G);
        fill(wi, G * C, &rng, -1, 1);
        fill(wh, G * H, &rng, -1, 1);
        fill(b1, G, &rng, -1, 1);
        fill(b2, G, &rng, -1, 1);
        fill(in, (size_t)T * B * C, &rng, -2, 2);
        fill(hs, BH, &rng, -1, 1);
        float *h0 = floats(BH), *ht = floats(BH);
        memcpy(h0, hs, BH * sizeof(float));
        nn_gru_forward(hs, gates, gh, in, wi, wh, b1, b2, T, B, C, H);
        for (int t = 0; t < T; t++) {
            ex_gru_cell_forward(ht, in + (size_t)t * B * C, h0, wi, wh, b1, b2, B, C, H);
            char what[128];
            snprintf(what, sizeof what, "random case %d (B = %d, C = %d, H = %d), step %d of %d: "
                     "h", k, B, C, H, t + 1, T);
            expect_floats(ht, hs + (t + 1) * BH, BH, "the lab's nn_gru_forward gives the "
                          "expected value", what);
            memcpy(h0, ht, BH * sizeof(float));
        }
        free(wi), free(wh), free(b1), free(b2), free(in), free(hs), free(gates), free(gh);
        free(h0), free(ht);
    }
}

// --- 4. sequential partitioning ----------------------------------------------------------------

// Fails unless ex_seq_batch writes want_in and want_tg (B, T) and returns 0.
static void expect_batch(const int32_t *stream, long long len, int B, int T, long long offset,
                         long long i, const int32_t *want_in, const int32_t *want_tg,
                         const char *hint, const char *what)
{
    int32_t in[64], tg[64];
    assert(B * T <= 64);
    for (int k = 0; k < B * T; k++) {
        in[k] = tg[k] = -7;
    }
    int rc = ex_seq_batch(in, tg, stream, len, B, T, offset, i);
    if (rc != 0) {
        cr_assert_fail("%sex_seq_batch(len = %lld, B = %d, T = %d, offset = %lld, i = %lld) "
                       "returned %d, expected 0\nbatch %lld exists in this epoch: write it and "
                       "return 0", what, len, B, T, offset, i, rc, i);
    }
    for (int k = 0; k < B * T; k++) {
        if (in[k] != want_in[k] || tg[k] != want_tg[k]) {
            cr_assert_fail("%sex_seq_batch(len = %lld, B = %d, T = %d, offset = %lld, i = %lld): "
                           "row %d, step %d holds input %d and target %d, expected %d and %d\n%s",
                           what, len, B, T, offset, i, k / T, k % T, in[k], tg[k], want_in[k],
                           want_tg[k], hint);
        }
    }
}

Test(ch05, ex04_seq_batch, .timeout = 10)
{
    int32_t stream[25];
    for (int k = 0; k < 25; k++) {
        stream[k] = k;
    }
    // lanes of (25 - 1 - 1) / 2 = 11 tokens: lane 0 starts at 1, lane 1 at 12; 3 batches
    const int32_t in0[6] = {1, 2, 3, 12, 13, 14}, tg0[6] = {2, 3, 4, 13, 14, 15};
    const int32_t in1[6] = {4, 5, 6, 15, 16, 17}, tg1[6] = {5, 6, 7, 16, 17, 18};
    const int32_t in2[6] = {7, 8, 9, 18, 19, 20}, tg2[6] = {8, 9, 10, 19, 20, 21};
    const char *lane = "lane length (25 - 1 - 1) / 2 = 11: row r starts at offset + r * 11, and "
                       "batch i takes the next T tokens from offset + r * 11 + i * T; targets "
                       "are one position further";
    expect_batch(stream, 25, 2, 3, 1, 0, in0, tg0, lane, "");
    expect_batch(stream, 25, 2, 3, 1, 1, in1, tg1,
                 "batch 1 continues where batch 0 stopped, in every lane: row r of batch i "
                 "follows row r of batch i - 1 (that is what lets the state be carried)",
                 "");
    expect_batch(stream, 25, 2, 3, 1, 2, in2, tg2, lane, "");
    int32_t in[6] = {-7, -7, -7, -7, -7, -7}, tg[6];
    int rc = ex_seq_batch(in, tg, stream, 25, 2, 3, 1, 3);
    if (rc != -1 || in[0] != -7) {
        cr_assert_fail("ex_seq_batch(len = 25, B = 2, T = 3, offset = 1, i = 3) returned %d%s, "
                       "expected -1 and nothing written\na lane of 11 tokens holds 3 whole "
                       "batches of 3: there is no batch 3",
                       rc, in[0] != -7 ? " and wrote inputs" : "");
    }
    // offset 0, B = 3, T = 2, len 25: lanes of 8, 4 batches; batch 3 = positions 6, 7
    const int32_t in3[6] = {6, 7, 14, 15, 22, 23}, tg3[6] = {7, 8, 15, 16, 23, 24};
    expect_batch(stream, 25, 3, 2, 0, 3, in3, tg3,
                 "lane length (25 - 0 - 1) / 3 = 8: the last batch of lane 2 ends at the last "
                 "target, stream[24]",
                 "");

    // the lab's batcher over two epochs of a random corpus: it draws each epoch's offset, and
    // your function must give the same batches from that offset
    LabRng rng;
    lab_rng_seed(&rng, 504);
    for (int k = 0; k < NRANDOM; k++) {
        int B = 1 + (int)lab_rng_below(&rng, 4), T = 1 + (int)lab_rng_below(&rng, 8);
        long long n = (long long)B * T + (long long)lab_rng_below(&rng, 60);
        int32_t *ids = lab_malloc((size_t)n * sizeof(int32_t));
        int32_t *strm = lab_malloc((size_t)(n + 1) * sizeof(int32_t));
        strm[0] = TOK_BOS;
        for (long long j = 0; j < n; j++) {
            ids[j] = strm[j + 1] = TOK_FIRST + (int32_t)lab_rng_below(&rng, 50);
        }
        Corpus c = {.ids = ids, .n = n};
        SeqBatcher sb;
        cr_assert_eq(batch_seq_init(&sb, &c, BATCH_SEQUENTIAL, B, T, 1000 + k), 0);
        int32_t *li = lab_malloc((size_t)B * T * sizeof(int32_t));
        int32_t *lt = lab_malloc((size_t)B * T * sizeof(int32_t));
        long long draws = 2 * (n / ((long long)B * T)) + 1;
        for (long long d = 0; d < draws; d++) {
            batch_seq_next(&sb, li, lt);
            long long i = sb.st.batch - 1;
            char what[160];
            snprintf(what, sizeof what, "random case %d (the lab's batcher, epoch %lld): ", k,
                     sb.st.epoch);
            expect_batch(strm, n + 1, B, T, sb.st.offset, i, li, lt,
                         "the lab's batcher (datasets/batch.c) gives the expected batch", what);
            if (sb.st.batch == batch_seq_per_epoch(&sb)) {
                int32_t x[64], y[64];
                x[0] = -7;
                int r2 = ex_seq_batch(x, y, strm, n + 1, B, T, sb.st.offset, sb.st.batch);
                if (r2 != -1 || x[0] != -7) {
                    cr_assert_fail("%sex_seq_batch(len = %lld, B = %d, T = %d, offset = %lld, "
                                   "i = %lld) returned %d, expected -1 and nothing written\nthe "
                                   "epoch has %lld batches", what, n + 1, B, T, sb.st.offset,
                                   sb.st.batch, r2, batch_seq_per_epoch(&sb));
                }
            }
        }
        free(ids), free(strm), free(li), free(lt);
    }
}

// --- 5. open: random sampling or sequential partitioning -----------------------------------------

// The accepted answers come from the two commands of section 7; see tests/exercises/ref_05.c
// for how they were obtained. The loss is checked against a range.
Test(ch05, ex05_open_better_scheme, .timeout = 10)
{
    const char *s = ex_open_better_scheme();
    if (s == NULL || strcmp(s, "sequential") != 0) {
        cr_assert_fail("ex_open_better_scheme() = \"%s\", which is not the scheme with the lower "
                       "valid loss\n%s", s ? s : "(NULL)",
                       s && strcmp(s, "random") == 0
                           ? "compare the last valid_loss of the two runs' log.tsv again"
                           : "run both commands of section 7 and compare the last valid_loss "
                             "of their log.tsv; name the scheme as --batching does");
    }
    double loss = ex_open_lstm_valid_loss();
    // measured: 1.7093 (sequential) and 1.7368 (random) with the commands of section 7
    if (!(loss >= 1.66 && loss <= 1.76)) {
        cr_assert_fail("ex_open_lstm_valid_loss() = %g, expected 1.66 to 1.76\n%s", loss,
                       loss > 5.0 && loss < 7.0 ? "that looks like a perplexity: give the loss"
                                                : "read valid_loss in the last line of the "
                                                  "sequential run's log.tsv");
    }
}
