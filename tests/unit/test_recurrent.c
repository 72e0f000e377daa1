// test_recurrent.c: the RNN, LSTM and GRU layers and the recurrent language model.
//
// - Every cell, stacked two deep, against finite differences (nn_gradcheck) of the loss
//   L = sum(dout * out) with respect to the input, the initial states and every weight.
// - The same with lanes starting afresh mid-sequence (reset), and a reset at step t giving
//   the outputs of a fresh sequence that starts at t, from a zero state.
// - Every cell at one and two layers against torch.nn.RNN/LSTM/GRU with the same weights
//   (tests/fixtures/torch/recurrent.inc, made by make_recurrent.py): outputs, final states
//   and all gradients, to 1e-5.
// - The language model: gradient check of every parameter for each cell, the carried state
//   (two halves equal one whole), one-token steps equal a whole forward, an overfit of a tiny
//   batch with Adam, and bitwise-identical parameters for the same seed.
#include "tests/helpers.h"

#include "nn/nn.h"
#include "tests/fixtures/torch/recurrent.inc"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAXL 2

static void fill_normal(float *x, size_t n, double scale, uint64_t seed)
{
    LabRng r;
    lab_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)(scale * lab_rng_normal(&r));
    }
}

static float *floats(size_t n)
{
    return lab_calloc(n ? n : 1, sizeof(float));
}

// --- a stack of layers driven by the layer functions alone ---------------------------------------

typedef struct {
    NnCell cell;
    int L, T, B, C, H;
    float *x, *h0, *c0, *dout; // (T, B, C), (L, B, H) twice, (T, B, H)
    float *w[MAXL][4];         // w_ih, w_hh, b_ih, b_hh per layer
    float *h[MAXL], *cache[MAXL];
    float *dx, *dh0, *dc0, *dw[MAXL][4];
    float *scratch, *dy[MAXL]; // dy[l] (T, B, H): the gradient of layer l's outputs
    const uint8_t *reset;      // (T, B) or NULL: passed to every layer
} Stack;

static size_t wsize(const Stack *s, int l, int k)
{
    size_t gh = (size_t)nn_cell_gates(s->cell) * s->H;
    int in = l == 0 ? s->C : s->H;
    return k == 0 ? gh * in : k == 1 ? gh * s->H : gh;
}

static void stack_init(Stack *s, NnCell cell, int L, int T, int B, int C, int H)
{
    *s = (Stack){.cell = cell, .L = L, .T = T, .B = B, .C = C, .H = H};
    size_t BH = (size_t)B * H, TB = (size_t)T * B;
    s->x = floats(TB * C);
    s->dx = floats(TB * C);
    s->h0 = floats(L * BH);
    s->c0 = floats(L * BH);
    s->dh0 = floats(L * BH);
    s->dc0 = floats(L * BH);
    s->dout = floats(TB * H);
    s->scratch = floats(nn_recurrent_scratch_floats(cell, T, B, H));
    for (int l = 0; l < L; l++) {
        for (int k = 0; k < 4; k++) {
            s->w[l][k] = floats(wsize(s, l, k));
            s->dw[l][k] = floats(wsize(s, l, k));
        }
        s->h[l] = floats((TB + B) * H);
        s->cache[l] = floats(nn_recurrent_cache_floats(cell, T, B, H));
        s->dy[l] = floats(TB * H);
    }
}

static void stack_free(Stack *s)
{
    free(s->x), free(s->dx), free(s->h0), free(s->c0), free(s->dh0), free(s->dc0);
    free(s->dout), free(s->scratch);
    for (int l = 0; l < s->L; l++) {
        for (int k = 0; k < 4; k++) {
            free(s->w[l][k]), free(s->dw[l][k]);
        }
        free(s->h[l]), free(s->cache[l]), free(s->dy[l]);
    }
}

// the LSTM's cache is gates (T, B, 4H), c (T + 1, B, H), tc (T, B, H); the GRU's gates, gh
static float *lstm_c(const Stack *s, int l)
{
    return s->cache[l] + (size_t)4 * s->T * s->B * s->H;
}

static void stack_forward(Stack *s)
{
    int T = s->T, B = s->B, H = s->H;
    size_t BH = (size_t)B * H, TBH = (size_t)T * BH;
    const float *inp = s->x;
    for (int l = 0; l < s->L; l++) {
        int C = l == 0 ? s->C : H;
        float **w = s->w[l], *h = s->h[l], *k = s->cache[l];
        memcpy(h, s->h0 + l * BH, BH * sizeof *h);
        if (s->cell == NN_CELL_RNN) {
            nn_rnn_forward_reset(h, inp, w[0], w[1], w[2], w[3], s->reset, T, B, C, H);
        } else if (s->cell == NN_CELL_LSTM) {
            memcpy(lstm_c(s, l), s->c0 + l * BH, BH * sizeof *h);
            nn_lstm_forward_reset(h, lstm_c(s, l), k, lstm_c(s, l) + TBH + BH, inp, w[0], w[1],
                                  w[2], w[3], s->reset, T, B, C, H);
        } else {
            nn_gru_forward_reset(h, k, k + 3 * TBH, inp, w[0], w[1], w[2], w[3], s->reset, T, B, C,
                                 H);
        }
        inp = h + BH;
    }
}

// backward of the whole stack from dout, after stack_forward; ACCUMULATES like the layers
static void stack_backward(Stack *s)
{
    int T = s->T, B = s->B, H = s->H;
    size_t BH = (size_t)B * H, TBH = (size_t)T * BH;
    memcpy(s->dy[s->L - 1], s->dout, TBH * sizeof(float));
    for (int l = s->L - 1; l >= 0; l--) {
        int C = l == 0 ? s->C : H;
        float *dinp = l == 0 ? s->dx : s->dy[l - 1];
        if (l > 0) {
            memset(dinp, 0, TBH * sizeof *dinp);
        }
        const float *inp = l == 0 ? s->x : s->h[l - 1] + BH;
        float **w = s->w[l], **dw = s->dw[l], *k = s->cache[l];
        if (s->cell == NN_CELL_RNN) {
            nn_rnn_backward_reset(dinp, s->dh0 + l * BH, dw[0], dw[1], dw[2], dw[3], s->scratch,
                                  s->dy[l], s->h[l], inp, w[0], w[1], s->reset, T, B, C, H);
        } else if (s->cell == NN_CELL_LSTM) {
            nn_lstm_backward_reset(dinp, s->dh0 + l * BH, s->dc0 + l * BH, dw[0], dw[1], dw[2],
                                   dw[3], s->scratch, s->dy[l], s->h[l], lstm_c(s, l), k,
                                   lstm_c(s, l) + TBH + BH, inp, w[0], w[1], s->reset, T, B, C, H);
        } else {
            nn_gru_backward_reset(dinp, s->dh0 + l * BH, dw[0], dw[1], dw[2], dw[3], s->scratch,
                                  s->dy[l], s->h[l], k, k + 3 * TBH, inp, w[0], w[1], s->reset, T,
                                  B, C, H);
        }
    }
}

// --- gradient checks of the layers ---------------------------------------------------------------

static double stack_loss(const float *x, void *ctx)
{
    (void)x; // one of the stack's own buffers: forward reads it in place
    Stack *s = ctx;
    stack_forward(s);
    const float *out = s->h[s->L - 1] + (size_t)s->B * s->H;
    double L = 0.0;
    for (size_t i = 0; i < (size_t)s->T * s->B * s->H; i++) {
        L += (double)s->dout[i] * out[i];
    }
    return L;
}

static void check(const char *what, Stack *s, float *x, const float *g, size_t n)
{
    NnGradcheckReport rep;
    int rc = nn_gradcheck(what, stack_loss, s, x, g, n, NULL, &rep);
    cr_assert_eq(rc, 0, "%s: element %zu analytic %g numeric %g", what, rep.worst, rep.analytic,
                 rep.numeric);
}

static void expect_close(const char *what, const float *got, const float *want, size_t n);

// with resets, lane 0 starts afresh at step 2 and lane 1 at steps 1 and 3 (T 4, B 2)
static const uint8_t mid_resets[4 * 2] = {0, 0, 0, 1, 1, 0, 0, 1};

static void gradcheck_stack(NnCell cell, int resets)
{
    Stack s;
    enum { L = 2, T = 4, B = 2, C = 3, H = 4 };
    stack_init(&s, cell, L, T, B, C, H);
    s.reset = resets ? mid_resets : NULL;
    uint64_t seed = 10;
    fill_normal(s.x, (size_t)T * B * C, 1.0, seed++);
    fill_normal(s.h0, (size_t)L * B * H, 0.5, seed++);
    fill_normal(s.c0, (size_t)L * B * H, 0.5, seed++);
    fill_normal(s.dout, (size_t)T * B * H, 1.0, seed++);
    for (int l = 0; l < L; l++) {
        for (int k = 0; k < 4; k++) {
            fill_normal(s.w[l][k], wsize(&s, l, k), 0.5, seed++);
        }
    }
    stack_forward(&s);
    stack_backward(&s);
    char name[32], what[64];
    snprintf(name, sizeof name, "%s%s", nn_cell_name(cell), resets ? " (resets)" : "");
    snprintf(what, sizeof what, "%s dinp", name);
    check(what, &s, s.x, s.dx, (size_t)T * B * C);
    snprintf(what, sizeof what, "%s dh0", name);
    check(what, &s, s.h0, s.dh0, (size_t)L * B * H);
    if (cell == NN_CELL_LSTM) {
        snprintf(what, sizeof what, "%s dc0", name);
        check(what, &s, s.c0, s.dc0, (size_t)L * B * H);
    }
    static const char *wname[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
    for (int l = 0; l < L; l++) {
        for (int k = 0; k < 4; k++) {
            snprintf(what, sizeof what, "%s d%s_l%d", name, wname[k], l);
            check(what, &s, s.w[l][k], s.dw[l][k], wsize(&s, l, k));
        }
    }
    stack_free(&s);
}

Test(recurrent, rnn_backward_matches_finite_differences_through_two_layers_and_h0)
{
    gradcheck_stack(NN_CELL_RNN, 0);
}

Test(recurrent, lstm_backward_matches_finite_differences_through_two_layers_h0_and_c0)
{
    gradcheck_stack(NN_CELL_LSTM, 0);
}

Test(recurrent, gru_backward_matches_finite_differences_through_two_layers_and_h0)
{
    gradcheck_stack(NN_CELL_GRU, 0);
}

Test(recurrent, rnn_backward_matches_finite_differences_with_lanes_reset_mid_sequence)
{
    gradcheck_stack(NN_CELL_RNN, 1);
}

Test(recurrent, lstm_backward_matches_finite_differences_with_lanes_reset_mid_sequence)
{
    gradcheck_stack(NN_CELL_LSTM, 1);
}

Test(recurrent, gru_backward_matches_finite_differences_with_lanes_reset_mid_sequence)
{
    gradcheck_stack(NN_CELL_GRU, 1);
}

// A stack of T0 steps from random states, lane 0 reset at step t0 (lane 1 not), against a
// stack of T0 - t0 steps of the same inputs from a zero state: from t0 on, lane 0's outputs
// (every layer) and its final state (and cell) must be the fresh sequence's; lane 1, not reset,
// must differ from them. With a reset mask of zeros, every output is the one without a mask,
// bit for bit.
static void reset_starts_a_fresh_sequence(NnCell cell)
{
    enum { L = 2, T0 = 5, t0 = 2, T1 = T0 - t0, B = 2, C = 3, H = 4 };
    Stack a, fresh, plain;
    stack_init(&a, cell, L, T0, B, C, H);
    stack_init(&fresh, cell, L, T1, B, C, H);
    stack_init(&plain, cell, L, T0, B, C, H);
    uint64_t seed = 40;
    fill_normal(a.x, (size_t)T0 * B * C, 1.0, seed++);
    fill_normal(a.h0, (size_t)L * B * H, 0.5, seed++);
    fill_normal(a.c0, (size_t)L * B * H, 0.5, seed++);
    for (int l = 0; l < L; l++) {
        for (int k = 0; k < 4; k++) {
            fill_normal(a.w[l][k], wsize(&a, l, k), 0.5, seed++);
            memcpy(fresh.w[l][k], a.w[l][k], wsize(&a, l, k) * sizeof(float));
            memcpy(plain.w[l][k], a.w[l][k], wsize(&a, l, k) * sizeof(float));
        }
    }
    // both lanes of fresh see lane 0's inputs from t0 on
    for (int t = 0; t < T1; t++) {
        for (int b = 0; b < B; b++) {
            memcpy(fresh.x + ((size_t)t * B + b) * C, a.x + (size_t)(t + t0) * B * C,
                   C * sizeof(float));
        }
    }
    memcpy(plain.x, a.x, (size_t)T0 * B * C * sizeof(float));
    memcpy(plain.h0, a.h0, (size_t)L * B * H * sizeof(float));
    memcpy(plain.c0, a.c0, (size_t)L * B * H * sizeof(float));
    uint8_t reset[T0 * B] = {0};
    reset[t0 * B + 0] = 1;
    a.reset = reset;
    stack_forward(&a);
    stack_forward(&fresh);
    char what[64];
    size_t BH = (size_t)B * H;
    for (int l = 0; l < L; l++) {
        for (int t = 0; t < T1; t++) {
            const float *got = a.h[l] + (size_t)(t0 + t + 1) * BH,
                        *want = fresh.h[l] + (t + 1) * BH;
            snprintf(what, sizeof what, "%s layer %d step %d lane 0", nn_cell_name(cell), l,
                     t0 + t);
            expect_close(what, got, want, H);
            double diff = 0.0;
            for (int j = 0; j < H; j++) {
                diff += fabs((double)got[H + j] - want[H + j]);
            }
            cr_expect_gt(diff, 1e-3, "%s: lane 1 was not reset, yet has the fresh outputs", what);
        }
        if (cell == NN_CELL_LSTM) {
            snprintf(what, sizeof what, "lstm layer %d final cell lane 0", l);
            expect_close(what, lstm_c(&a, l) + (size_t)T0 * BH, lstm_c(&fresh, l) + T1 * BH, H);
        }
    }
    // a mask of zeros is no mask
    memset(reset, 0, sizeof reset);
    stack_forward(&a);
    stack_forward(&plain);
    for (int l = 0; l < L; l++) {
        cr_expect(memcmp(a.h[l], plain.h[l], (T0 + 1) * BH * sizeof(float)) == 0,
                  "%s layer %d: a mask of zeros changed the outputs", nn_cell_name(cell), l);
    }
    stack_free(&a);
    stack_free(&fresh);
    stack_free(&plain);
}

Test(recurrent, rnn_reset_at_step_t_gives_the_outputs_of_a_fresh_sequence_from_t)
{
    reset_starts_a_fresh_sequence(NN_CELL_RNN);
}

Test(recurrent, lstm_reset_at_step_t_gives_the_outputs_of_a_fresh_sequence_from_t)
{
    reset_starts_a_fresh_sequence(NN_CELL_LSTM);
}

Test(recurrent, gru_reset_at_step_t_gives_the_outputs_of_a_fresh_sequence_from_t)
{
    reset_starts_a_fresh_sequence(NN_CELL_GRU);
}

// --- against PyTorch ---------------------------------------------------------------------------

// |got - want| <= 1e-5 * max(1, |want|) for every element, naming the first that is not
static void expect_close(const char *what, const float *got, const float *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double tol = 1e-5 * fmax(1.0, fabs(want[i]));
        cr_assert(fabs((double)got[i] - want[i]) <= tol, "%s[%zu] = %.9g, PyTorch gives %.9g", what,
                  i, got[i], want[i]);
    }
}

typedef struct {
    NnCell cell;
    int L;
    const float *x, *h0, *c0, *out, *hn, *cn, *dout, *dx, *dh0, *dc0;
    const float *w[MAXL][4], *dw[MAXL][4];
} TorchCase;

#define W1(K)                                                                                      \
    {                                                                                              \
        K##_WEIGHT_IH_L0, K##_WEIGHT_HH_L0, K##_BIAS_IH_L0, K##_BIAS_HH_L0                         \
    }
#define DW1(K)                                                                                     \
    {                                                                                              \
        K##_DWEIGHT_IH_L0, K##_DWEIGHT_HH_L0, K##_DBIAS_IH_L0, K##_DBIAS_HH_L0                     \
    }
#define W2(K)                                                                                      \
    {                                                                                              \
        K##_WEIGHT_IH_L1, K##_WEIGHT_HH_L1, K##_BIAS_IH_L1, K##_BIAS_HH_L1                         \
    }
#define DW2(K)                                                                                     \
    {                                                                                              \
        K##_DWEIGHT_IH_L1, K##_DWEIGHT_HH_L1, K##_DBIAS_IH_L1, K##_DBIAS_HH_L1                     \
    }

static void match_torch(const TorchCase *tc)
{
    // the fixture's sizes (make_recurrent.py)
    enum { T = 5, B = 2, C = 3, H = 4 };
    Stack s;
    stack_init(&s, tc->cell, tc->L, T, B, C, H);
    size_t BH = (size_t)B * H, TBH = (size_t)T * BH;
    memcpy(s.x, tc->x, (size_t)T * B * C * sizeof(float));
    memcpy(s.h0, tc->h0, tc->L * BH * sizeof(float));
    if (tc->c0) {
        memcpy(s.c0, tc->c0, tc->L * BH * sizeof(float));
    }
    memcpy(s.dout, tc->dout, TBH * sizeof(float));
    for (int l = 0; l < tc->L; l++) {
        for (int k = 0; k < 4; k++) {
            memcpy(s.w[l][k], tc->w[l][k], wsize(&s, l, k) * sizeof(float));
        }
    }
    stack_forward(&s);
    stack_backward(&s);
    const char *name = nn_cell_name(tc->cell);
    char what[64];
    snprintf(what, sizeof what, "%s%d out", name, tc->L);
    expect_close(what, s.h[tc->L - 1] + BH, tc->out, TBH);
    for (int l = 0; l < tc->L; l++) {
        snprintf(what, sizeof what, "%s%d h_n[%d]", name, tc->L, l);
        expect_close(what, s.h[l] + TBH, tc->hn + l * BH, BH);
        if (tc->cn) {
            snprintf(what, sizeof what, "%s%d c_n[%d]", name, tc->L, l);
            expect_close(what, lstm_c(&s, l) + TBH, tc->cn + l * BH, BH);
        }
    }
    snprintf(what, sizeof what, "%s%d dx", name, tc->L);
    expect_close(what, s.dx, tc->dx, (size_t)T * B * C);
    snprintf(what, sizeof what, "%s%d dh0", name, tc->L);
    expect_close(what, s.dh0, tc->dh0, tc->L * BH);
    if (tc->dc0) {
        snprintf(what, sizeof what, "%s%d dc0", name, tc->L);
        expect_close(what, s.dc0, tc->dc0, tc->L * BH);
    }
    static const char *wname[4] = {"weight_ih", "weight_hh", "bias_ih", "bias_hh"};
    for (int l = 0; l < tc->L; l++) {
        for (int k = 0; k < 4; k++) {
            snprintf(what, sizeof what, "%s%d d%s_l%d", name, tc->L, wname[k], l);
            expect_close(what, s.dw[l][k], tc->dw[l][k], wsize(&s, l, k));
        }
    }
    stack_free(&s);
}

Test(recurrent, rnn_matches_torch_nn_rnn_one_and_two_layers)
{
    TorchCase one = {NN_CELL_RNN, 1,         RNN1_X,  RNN1_H0,  NULL, RNN1_OUT,   RNN1_HN,
                     NULL,        RNN1_DOUT, RNN1_DX, RNN1_DH0, NULL, {W1(RNN1)}, {DW1(RNN1)}};
    TorchCase two = {NN_CELL_RNN,
                     2,
                     RNN2_X,
                     RNN2_H0,
                     NULL,
                     RNN2_OUT,
                     RNN2_HN,
                     NULL,
                     RNN2_DOUT,
                     RNN2_DX,
                     RNN2_DH0,
                     NULL,
                     {W1(RNN2), W2(RNN2)},
                     {DW1(RNN2), DW2(RNN2)}};
    match_torch(&one);
    match_torch(&two);
}

Test(recurrent, lstm_matches_torch_nn_lstm_one_and_two_layers)
{
    TorchCase one = {NN_CELL_LSTM, 1,         LSTM1_X,     LSTM1_H0,    LSTM1_C0,
                     LSTM1_OUT,    LSTM1_HN,  LSTM1_CN,    LSTM1_DOUT,  LSTM1_DX,
                     LSTM1_DH0,    LSTM1_DC0, {W1(LSTM1)}, {DW1(LSTM1)}};
    TorchCase two = {NN_CELL_LSTM,
                     2,
                     LSTM2_X,
                     LSTM2_H0,
                     LSTM2_C0,
                     LSTM2_OUT,
                     LSTM2_HN,
                     LSTM2_CN,
                     LSTM2_DOUT,
                     LSTM2_DX,
                     LSTM2_DH0,
                     LSTM2_DC0,
                     {W1(LSTM2), W2(LSTM2)},
                     {DW1(LSTM2), DW2(LSTM2)}};
    match_torch(&one);
    match_torch(&two);
}

Test(recurrent, gru_matches_torch_nn_gru_one_and_two_layers)
{
    TorchCase one = {NN_CELL_GRU, 1,         GRU1_X,  GRU1_H0,  NULL, GRU1_OUT,   GRU1_HN,
                     NULL,        GRU1_DOUT, GRU1_DX, GRU1_DH0, NULL, {W1(GRU1)}, {DW1(GRU1)}};
    TorchCase two = {NN_CELL_GRU,
                     2,
                     GRU2_X,
                     GRU2_H0,
                     NULL,
                     GRU2_OUT,
                     GRU2_HN,
                     NULL,
                     GRU2_DOUT,
                     GRU2_DX,
                     GRU2_DH0,
                     NULL,
                     {W1(GRU2), W2(GRU2)},
                     {DW1(GRU2), DW2(GRU2)}};
    match_torch(&one);
    match_torch(&two);
}

// --- the language model --------------------------------------------------------------------------

static void random_ids(int32_t *ids, size_t n, int V, uint64_t seed)
{
    LabRng r;
    lab_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        ids[i] = (int32_t)lab_rng_below(&r, (uint64_t)V);
    }
}

static void lm_init(RnnLm *m, NnCell cell, int V, int E, int H, int L, int B, int T, uint64_t seed)
{
    RnnLmConfig cfg = {cell, V, E, H, L};
    cr_assert_eq(rnn_lm_init(m, &cfg, B, T), 0);
    LabRng r;
    lab_rng_seed(&r, seed);
    rnn_lm_init_params(m, &r);
}

typedef struct {
    RnnLm *m;
    const int32_t *inputs, *targets;
    const float *h0, *c0; // (L, B, H) the state every forward starts from
} LmProbe;

static double lm_loss(const float *x, void *ctx)
{
    (void)x;
    LmProbe *p = ctx;
    size_t n = (size_t)p->m->cfg.L * p->m->B * p->m->cfg.H;
    memcpy(p->m->state_h, p->h0, n * sizeof(float));
    memcpy(p->m->state_c, p->c0, n * sizeof(float));
    return rnn_lm_forward(p->m, p->inputs, p->targets);
}

static void gradcheck_lm(NnCell cell)
{
    enum { V = 5, E = 3, H = 4, L = 2, B = 2, T = 4 };
    RnnLm m;
    lm_init(&m, cell, V, E, H, L, B, T, 7);
    int32_t inputs[B * T], targets[B * T];
    random_ids(inputs, B * T, V, 1);
    random_ids(targets, B * T, V, 2);
    targets[3] = -1; // an ignored target
    float h0[L * B * H], c0[L * B * H];
    fill_normal(h0, LEN(h0), 0.5, 3);
    fill_normal(c0, LEN(c0), 0.5, 4);
    LmProbe p = {&m, inputs, targets, h0, c0};
    lm_loss(NULL, &p);
    rnn_lm_zero_grad(&m);
    rnn_lm_backward(&m);
    NnGradcheckReport rep;
    for (int i = 0; i < m.layout.n; i++) {
        size_t o = m.layout.offset[i], n = m.layout.offset[i + 1] - o;
        int rc =
            nn_gradcheck(m.spec[i].name, lm_loss, &p, m.params + o, m.grads + o, n, NULL, &rep);
        cr_assert_eq(rc, 0, "%s %s: element %zu analytic %g numeric %g", nn_cell_name(cell),
                     m.spec[i].name, rep.worst, rep.analytic, rep.numeric);
    }
    rnn_lm_free(&m);
}

Test(rnn_lm, rnn_gradients_match_finite_differences_for_every_parameter)
{
    gradcheck_lm(NN_CELL_RNN);
}

Test(rnn_lm, lstm_gradients_match_finite_differences_for_every_parameter)
{
    gradcheck_lm(NN_CELL_LSTM);
}

Test(rnn_lm, gru_gradients_match_finite_differences_for_every_parameter)
{
    gradcheck_lm(NN_CELL_GRU);
}

Test(rnn_lm, tensor_names_and_shapes_are_pytorchs_state_dict)
{
    RnnLm m;
    lm_init(&m, NN_CELL_LSTM, 7, 5, 6, 2, 1, 1, 1);
    static const char *names[] = {"embed.weight",     "rnn.weight_ih_l0", "rnn.weight_hh_l0",
                                  "rnn.bias_ih_l0",   "rnn.bias_hh_l0",   "rnn.weight_ih_l1",
                                  "rnn.weight_hh_l1", "rnn.bias_ih_l1",   "rnn.bias_hh_l1",
                                  "head.weight",      "head.bias"};
    // torch.nn.LSTM(5, 6, num_layers=2): weight_ih_l0 (24, 5), weight_ih_l1 (24, 6)
    static const size_t numel[] = {7 * 5, 24 * 5, 24 * 6, 24, 24, 24 * 6, 24 * 6, 24, 24, 7 * 6, 7};
    cr_assert_eq(m.layout.n, (int)LEN(names));
    for (int i = 0; i < m.layout.n; i++) {
        cr_assert_str_eq(m.spec[i].name, names[i]);
        cr_assert_eq(nn_tensor_numel(&m.spec[i]), numel[i], "%s", names[i]);
    }
    // the recurrent weights lie in U(-1/sqrt(H), 1/sqrt(H)), the embedding has variance ~1
    float *w = nn_params_view(&m.layout, m.params, "rnn.weight_hh_l1");
    for (int i = 0; i < 24 * 6; i++) {
        cr_assert(fabsf(w[i]) <= 1 / sqrtf(6.0f), "weight_hh_l1[%d] = %g", i, w[i]);
    }
    rnn_lm_free(&m);
}

Test(rnn_lm, a_carried_state_makes_two_halves_equal_one_whole_sequence)
{
    // sequential partitioning: batch 2 continues batch 1, so the logits of its steps equal
    // those of the same steps in one forward over both halves
    enum { V = 6, E = 4, H = 5, L = 2, B = 3, T = 4 };
    for (int cell = NN_CELL_RNN; cell <= NN_CELL_GRU; cell++) {
        RnnLm whole, half;
        lm_init(&whole, (NnCell)cell, V, E, H, L, B, 2 * T, 9);
        lm_init(&half, (NnCell)cell, V, E, H, L, B, T, 9);
        int32_t seq[B * 2 * T], first[B * T], second[B * T];
        random_ids(seq, LEN(seq), V, 5);
        for (int b = 0; b < B; b++) {
            memcpy(first + b * T, seq + b * 2 * T, T * sizeof *seq);
            memcpy(second + b * T, seq + b * 2 * T + T, T * sizeof *seq);
        }
        rnn_lm_forward(&whole, seq, NULL);
        rnn_lm_forward(&half, first, NULL);
        rnn_lm_forward(&half, second, NULL);
        // time-major logits: step t of lane b is row t * B + b
        for (int t = 0; t < T; t++) {
            for (int b = 0; b < B; b++) {
                const float *a = whole.logits + ((size_t)(T + t) * B + b) * V;
                const float *c = half.logits + ((size_t)t * B + b) * V;
                for (int v = 0; v < V; v++) {
                    cr_assert(fabsf(a[v] - c[v]) <= 1e-5f, "%s step %d lane %d: %g vs %g",
                              nn_cell_name((NnCell)cell), t, b, a[v], c[v]);
                }
            }
        }
        // a reset state starts over: the first half again gives its first logits
        float once[T * B * V];
        rnn_lm_reset_state(&half);
        rnn_lm_forward(&half, first, NULL);
        memcpy(once, half.logits, sizeof once);
        rnn_lm_reset_state(&half);
        rnn_lm_forward(&half, first, NULL);
        cr_assert(memcmp(once, half.logits, sizeof once) == 0);
        rnn_lm_free(&whole);
        rnn_lm_free(&half);
    }
}

Test(rnn_lm, one_token_steps_give_the_logits_of_a_whole_forward)
{
    enum { V = 7, E = 4, H = 6, L = 2, T = 5 };
    for (int cell = NN_CELL_RNN; cell <= NN_CELL_GRU; cell++) {
        RnnLm whole, step;
        lm_init(&whole, (NnCell)cell, V, E, H, L, 1, T, 11);
        lm_init(&step, (NnCell)cell, V, E, H, L, 1, 1, 11);
        int32_t seq[T];
        random_ids(seq, T, V, 6);
        rnn_lm_forward(&whole, seq, NULL);
        for (int t = 0; t < T; t++) {
            const float *logits = rnn_lm_step_logits(&step, &seq[t]);
            for (int v = 0; v < V; v++) {
                float want = whole.logits[(size_t)t * V + v];
                cr_assert(fabsf(logits[v] - want) <= 1e-5f, "%s step %d: %g vs %g",
                          nn_cell_name((NnCell)cell), t, logits[v], want);
            }
        }
        rnn_lm_free(&whole);
        rnn_lm_free(&step);
    }
}

// n steps of Adam (or AdamW) on one batch from a zero state; returns the last loss
static double train(RnnLm *m, const int32_t *inputs, const int32_t *targets, int steps, float lr,
                    float wd)
{
    float *mom = floats(m->layout.total), *var = floats(m->layout.total);
    uint8_t *mask = lab_malloc(m->layout.total);
    nn_params_decay_mask(&m->layout, mask);
    double loss = 0;
    for (int s = 1; s <= steps; s++) {
        rnn_lm_reset_state(m);
        loss = rnn_lm_forward(m, inputs, targets);
        rnn_lm_zero_grad(m);
        rnn_lm_backward(m);
        nn_clip_grad_norm(m->grads, m->layout.total, 5.0);
        nn_adamw_step(m->params, m->grads, mom, var, mask, m->layout.total, s, lr, 0.9f, 0.999f,
                      1e-8f, wd);
    }
    free(mom), free(var), free(mask);
    return loss;
}

Test(rnn_lm, a_tiny_batch_is_learned_to_near_zero_loss_by_every_cell)
{
    // four lanes of 8 random tokens, distinct first tokens, so every target is determined by
    // the prefix: a model that memorises the batch reaches loss 0 (from ln 8 = 2.08). No <s>
    // (id 0) after the first: an input <s> would start its lane afresh, forgetting the prefix
    enum { V = 8, B = 4, T = 8 };
    int32_t seq[B * (T + 1)], inputs[B * T], targets[B * T];
    random_ids(seq, LEN(seq), V - 1, 12);
    for (size_t i = 0; i < LEN(seq); i++) {
        seq[i] += 1;
    }
    for (int b = 0; b < B; b++) {
        seq[b * (T + 1)] = b;
        for (int t = 0; t < T; t++) {
            inputs[b * T + t] = seq[b * (T + 1) + t];
            targets[b * T + t] = seq[b * (T + 1) + t + 1];
        }
    }
    for (int cell = NN_CELL_RNN; cell <= NN_CELL_GRU; cell++) {
        RnnLm m;
        lm_init(&m, (NnCell)cell, V, 8, 32, 1, B, T, 13);
        double first = rnn_lm_forward(&m, inputs, targets);
        double last = train(&m, inputs, targets, 300, 1e-2f, 0.0f);
        cr_assert(first > 1.5, "%s: initial loss %g, expected about ln 8", nn_cell_name(cell),
                  first);
        cr_assert(last < 0.02, "%s: loss %g after 300 Adam steps, expected < 0.02",
                  nn_cell_name((NnCell)cell), last);
        rnn_lm_free(&m);
    }
}

Test(rnn_lm, the_same_seed_gives_bitwise_identical_parameters_after_training)
{
    enum { V = 11, B = 3, T = 6 };
    int32_t inputs[B * T], targets[B * T];
    random_ids(inputs, LEN(inputs), V, 14);
    random_ids(targets, LEN(targets), V, 15);
    RnnLm a, b;
    lm_init(&a, NN_CELL_LSTM, V, 8, 16, 2, B, T, 21);
    lm_init(&b, NN_CELL_LSTM, V, 8, 16, 2, B, T, 21);
    train(&a, inputs, targets, 20, 3e-3f, 0.1f);
    train(&b, inputs, targets, 20, 3e-3f, 0.1f);
    cr_assert(memcmp(a.params, b.params, a.layout.total * sizeof(float)) == 0,
              "two runs from seed 21 differ");
    rnn_lm_free(&a);
    rnn_lm_free(&b);
}

Test(rnn_lm, init_refuses_a_size_that_is_not_positive)
{
    RnnLm m;
    RnnLmConfig cfg = {NN_CELL_GRU, 10, 4, 0, 1};
    cr_redirect_stderr();
    cr_assert_eq(rnn_lm_init(&m, &cfg, 2, 3), -1);
    rnn_lm_free(&m);
}
