// recurrent.c: the RNN (tanh), LSTM and GRU layers over T steps of a batch, forward and
// backward (BPTT), with PyTorch's equations, gate order and parameter shapes, so weights move
// between lmlab and torch.nn.RNN/LSTM/GRU unchanged. One layer per call: stacking is the
// caller's (rnn_lm.c), feeding one layer's outputs h + B * H to the next. No dropout, no
// bidirectional layers, no projections.
//
// Letters: T time steps, B batch, C input channels, H hidden size, G = gates * H.
// Layout is time-major: inp (T, B, C), h (T + 1, B, H) with h[0] the initial state.
//
// Speed: the input projection of all T steps is one matmul (T * B, C) x (C, G) before the
// loop; each step then adds its recurrent matmul (B, H) x (H, G), w_hh packed once for all
// T steps (nn_sgemm_packed), and applies the gates.
// Backward mirrors it: the loop only carries dh (and dc) back through the steps, and the
// weight gradients and dinp are one matmul each over all T * B rows afterwards. Element-wise
// work is split over the B * H elements with OpenMP (static schedule, each element computed
// alone, so the thread count does not change a bit); its maths runs in float, the sigmoid and
// tanh from fastmath.h, vectorised over the H units of a row.
//
// Resets: reset (T, B), or NULL for none, marks the steps where a lane starts afresh (a line
// of text begins): the state entering step t of lane b is then zero (h, and the LSTM's c), and
// backward sends nothing on into the steps before. Only the steps holding a reset pay for it
// (a copy of h[t] with those rows zeroed for the recurrent product); without one the
// arithmetic is the same as with reset NULL, bit for bit.
#include "nn/nn.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/fastmath.h"

// element-wise loops over B * H items go parallel only when there is enough work
#define PAR_MIN 4096

int nn_cell_gates(NnCell cell)
{
    switch (cell) {
    case NN_CELL_RNN:
        return 1;
    case NN_CELL_LSTM:
        return 4;
    case NN_CELL_GRU:
        return 3;
    }
    assert(0 && "unknown cell");
    return 0;
}

const char *nn_cell_name(NnCell cell)
{
    switch (cell) {
    case NN_CELL_RNN:
        return "rnn";
    case NN_CELL_LSTM:
        return "lstm";
    case NN_CELL_GRU:
        return "gru";
    }
    assert(0 && "unknown cell");
    return "?";
}

int nn_cell_parse(const char *name, NnCell *cell)
{
    static const NnCell all[] = {NN_CELL_RNN, NN_CELL_LSTM, NN_CELL_GRU};
    for (int i = 0; i < 3; i++) {
        if (strcmp(name, nn_cell_name(all[i])) == 0) {
            *cell = all[i];
            return 0;
        }
    }
    return -1;
}

size_t nn_recurrent_cache_floats(NnCell cell, int T, int B, int H)
{
    size_t tbh = (size_t)T * B * H, bh = (size_t)B * H;
    switch (cell) {
    case NN_CELL_RNN:
        return 0;
    case NN_CELL_LSTM: // gates (T, B, 4H), c (T + 1, B, H), tc (T, B, H)
        return 4 * tbh + (tbh + bh) + tbh;
    case NN_CELL_GRU: // gates (T, B, 3H), gh (T, B, 3H)
        return 6 * tbh;
    }
    assert(0 && "unknown cell");
    return 0;
}

// Every cell's scratch ends with STATES_FLOATS: h[0..T) with the reset rows zeroed, what
// w_hh multiplied (the weight gradient reads it when a step holds a reset).
#define STATES_FLOATS(T, B, H) ((size_t)(T) * (B) * (H))

size_t nn_recurrent_scratch_floats(NnCell cell, int T, int B, int H)
{
    size_t tbh = (size_t)T * B * H, bh = (size_t)B * H;
    switch (cell) {
    case NN_CELL_RNN: // dpre (T, B, H), the carried dh (B, H)
        return tbh + bh + STATES_FLOATS(T, B, H);
    case NN_CELL_LSTM: // dgates (T, B, 4H), the carried dh and dc (B, H) each
        return 4 * tbh + 2 * bh + STATES_FLOATS(T, B, H);
    case NN_CELL_GRU: // d of the input and of the recurrent projections (T, B, 3H) each, dh
        return 6 * tbh + bh + STATES_FLOATS(T, B, H);
    }
    assert(0 && "unknown cell");
    return 0;
}

// --- shared pieces --------------------------------------------------------------------------

// x (N, G) += b1 + b2 (either may be NULL), row by row
static void add_bias(float *x, const float *b1, const float *b2, int N, int G)
{
#pragma omp parallel for schedule(static) if ((size_t)N * G >= PAR_MIN)
    for (int n = 0; n < N; n++) {
        float *row = x + (size_t)n * G;
        for (int j = 0; j < G; j++) {
            row[j] += (b1 ? b1[j] : 0.0f) + (b2 ? b2[j] : 0.0f);
        }
    }
}

// db (G) += the column sums of d (N, G), each summed in double over n in order. Columns go
// in blocks of COLS, the block's sums held in registers (COLS / 4 vectors of 4 doubles), so
// rows are read contiguously (a column at a time would stride G floats per add); a full
// block has a constant width, so its inner loop vectorises.
#define COLS 32
static void add_colsum(float *db, const float *d, int N, int G)
{
    if (!db) {
        return;
    }
    int nblocks = (G + COLS - 1) / COLS;
#pragma omp parallel for schedule(static) if ((size_t)N * G >= PAR_MIN)
    for (int blk = 0; blk < nblocks; blk++) {
        int j0 = blk * COLS, nj = G - j0 < COLS ? G - j0 : COLS;
        double acc[COLS] = {0};
        if (nj == COLS) {
            for (int n = 0; n < N; n++) {
                const float *row = d + (size_t)n * G + j0;
#pragma omp simd
                for (int j = 0; j < COLS; j++) {
                    acc[j] += row[j];
                }
            }
        } else {
            for (int n = 0; n < N; n++) {
                const float *row = d + (size_t)n * G + j0;
                for (int j = 0; j < nj; j++) {
                    acc[j] += row[j];
                }
            }
        }
        for (int j = 0; j < nj; j++) {
            db[j0 + j] += (float)acc[j];
        }
    }
}

// After the loop of backward, with dpre (T * B, G) the gradient of every step's
// pre-activations: forward was pre = inp @ w_ih^T + b_ih (+ h[t] @ w_hh^T + b_hh, whose
// gradient dpre_h may differ: the GRU's n gate), so
//   dw_ih += dpre^T @ inp, db_ih += sum of rows, dinp += dpre @ w_ih,
//   dw_hh += dpre_h^T @ h[0..T), db_hh += sum of rows of dpre_h.
static void weight_grads(float *dinp, float *dw_ih, float *dw_hh, float *db_ih, float *db_hh,
                         const float *dpre, const float *dpre_h, const float *h, const float *inp,
                         const float *w_ih, int T, int B, int C, int H, int G)
{
    int N = T * B;
    if (dinp) {
        nn_sgemm(0, 0, N, C, G, 1.0f, dpre, G, w_ih, C, 1.0f, dinp, C);
    }
    if (dw_ih) {
        nn_sgemm(1, 0, G, C, N, 1.0f, dpre, G, inp, C, 1.0f, dw_ih, C);
    }
    if (dw_hh) {
        nn_sgemm(1, 0, G, H, N, 1.0f, dpre_h, G, h, H, 1.0f, dw_hh, H);
    }
    add_colsum(db_ih, dpre, N, G);
    add_colsum(db_hh, dpre_h, N, G);
}

// w_hh packed once (nn_sgemm_pack_b) for the T products of a forward or a backward: a step
// multiplies only B rows by it, so packing it at every step cost as much as the product.
// op(B) is w_hh^T (H, G) for forward (trans 1) and w_hh (G, H) for backward (trans 0). The
// buffer is the thread's, grown on first use and kept, like matmul's packing buffers;
// should the allocation fail, the program exits as lab_malloc does.
static _Thread_local float *packed_raw;
static _Thread_local size_t packed_cap; // floats

static const float *pack_whh(int trans, const float *w_hh, int H, int G)
{
    int N = trans ? G : H, K = trans ? H : G;
    size_t floats = nn_sgemm_packed_b_floats(N, K);
    if (floats > packed_cap) {
        free(packed_raw);
        packed_raw = lab_malloc(floats * sizeof(float));
        packed_cap = floats;
    }
    nn_sgemm_pack_b(packed_raw, trans, N, K, w_hh, H);
    return packed_raw;
}

// dh0 (B, H) += carry, when wanted
static void add_state(float *dh0, const float *carry, int B, int H)
{
    if (dh0) {
        for (size_t i = 0; i < (size_t)B * H; i++) {
            dh0[i] += carry[i];
        }
    }
}

// 1 when some lane starts afresh at step t (reset[t * B + b] != 0), else 0
static int step_resets(const uint8_t *reset, int t, int B)
{
    if (!reset) {
        return 0;
    }
    for (int b = 0; b < B; b++) {
        if (reset[(size_t)t * B + b]) {
            return 1;
        }
    }
    return 0;
}

// rows b of x (B, H) with reset[b] set, zeroed
static void zero_rows(float *x, const uint8_t *reset, int B, int H)
{
    for (int b = 0; b < B; b++) {
        if (reset[b]) {
            memset(x + (size_t)b * H, 0, (size_t)H * sizeof *x);
        }
    }
}

// The state entering step t as w_hh multiplies it: h[t] itself (ht), or, when a lane starts
// afresh at step t, a copy with its rows zeroed, in the thread's buffer (grown on first use
// and kept, like the packing buffer; valid until the next call).
static _Thread_local float *prev_raw;
static _Thread_local size_t prev_cap; // floats

static const float *prev_state(const float *ht, const uint8_t *reset, int t, int B, int H)
{
    if (!step_resets(reset, t, B)) {
        return ht;
    }
    size_t BH = (size_t)B * H;
    if (BH > prev_cap) {
        free(prev_raw);
        prev_raw = lab_malloc(BH * sizeof(float));
        prev_cap = BH;
    }
    memcpy(prev_raw, ht, BH * sizeof(float));
    zero_rows(prev_raw, reset + (size_t)t * B, B, H);
    return prev_raw;
}

// After a backward step t: the gradient carried into the state before step t stops for the
// lanes that started afresh at t (their state was a constant zero).
static void stop_carry(float *carry, const uint8_t *reset, int t, int B, int H)
{
    if (step_resets(reset, t, B)) {
        zero_rows(carry, reset + (size_t)t * B, B, H);
    }
}

// h[0..T) as w_hh multiplied it, for the weight gradient: h itself without resets, else a copy
// in states (T, B, H) with the reset rows zeroed
static const float *used_states(float *states, const float *h, const uint8_t *reset, int T, int B,
                                int H)
{
    int any = 0;
    for (int t = 0; t < T && !any; t++) {
        any = step_resets(reset, t, B);
    }
    if (!any) {
        return h;
    }
    memcpy(states, h, (size_t)T * B * H * sizeof *states);
    for (int t = 0; t < T; t++) {
        zero_rows(states + (size_t)t * B * H, reset + (size_t)t * B, B, H);
    }
    return states;
}

// 1 when lane b carries its state into step t, 0 when it starts afresh there
static inline int keeps(const uint8_t *reset, int t, int B, int b)
{
    return !(reset && reset[(size_t)t * B + b]);
}

// --- rnn --------------------------------------------------------------------------------------

void nn_rnn_forward_reset(float *h, const float *inp, const float *w_ih, const float *w_hh,
                          const float *b_ih, const float *b_hh, const uint8_t *reset, int T, int B,
                          int C, int H)
{
    size_t BH = (size_t)B * H;
    // the input projection of every step at once, into the outputs: h[1..T] = inp @ w_ih^T + b
    nn_sgemm(0, 1, T * B, H, C, 1.0f, inp, C, w_ih, C, 0.0f, h + BH, H);
    add_bias(h + BH, b_ih, b_hh, T * B, H);
    const float *whh_t = pack_whh(1, w_hh, H, H);
    for (int t = 0; t < T; t++) {
        float *hn = h + (t + 1) * BH;
        // hn += h[t] @ w_hh^T, then hn = tanh(hn)
        nn_sgemm_packed(0, B, H, H, 1.0f, prev_state(h + t * BH, reset, t, B, H), H, whh_t, 1.0f,
                        hn, H);
        nn_tanh_forward(hn, hn, BH);
    }
}

void nn_rnn_backward_reset(float *dinp, float *dh0, float *dw_ih, float *dw_hh, float *db_ih,
                           float *db_hh, float *scratch, const float *dout, const float *h,
                           const float *inp, const float *w_ih, const float *w_hh,
                           const uint8_t *reset, int T, int B, int C, int H)
{
    size_t BH = (size_t)B * H;
    float *dpre = scratch;           // (T, B, H)
    float *carry = scratch + T * BH; // (B, H): dL/dh[t + 1] through the later steps
    float *states = carry + BH;      // STATES_FLOATS
    memset(carry, 0, BH * sizeof *carry);
    const float *whh = pack_whh(0, w_hh, H, H);
    for (int t = T - 1; t >= 0; t--) {
        const float *hn = h + (t + 1) * BH, *dh_out = dout + t * BH;
        float *dp = dpre + t * BH;
        // forward was: hn = tanh(pre); so dpre = (dout + carry) * (1 - hn^2)
#pragma omp simd
        for (size_t k = 0; k < BH; k++) {
            dp[k] = (dh_out[k] + carry[k]) * (1.0f - hn[k] * hn[k]);
        }
        // forward was: pre += h[t] @ w_hh^T; so dh[t] = dpre @ w_hh
        nn_sgemm_packed(0, B, H, H, 1.0f, dp, H, whh, 0.0f, carry, H);
        stop_carry(carry, reset, t, B, H);
    }
    add_state(dh0, carry, B, H);
    weight_grads(dinp, dw_ih, dw_hh, db_ih, db_hh, dpre, dpre,
                 used_states(states, h, reset, T, B, H), inp, w_ih, T, B, C, H, H);
}

// --- lstm -------------------------------------------------------------------------------------

void nn_lstm_forward_reset(float *h, float *c, float *gates, float *tc, const float *inp,
                           const float *w_ih, const float *w_hh, const float *b_ih,
                           const float *b_hh, const uint8_t *reset, int T, int B, int C, int H)
{
    size_t BH = (size_t)B * H;
    int G = 4 * H;
    // the input projection of every step at once: gates (T * B, 4H) = inp @ w_ih^T + biases
    nn_sgemm(0, 1, T * B, G, C, 1.0f, inp, C, w_ih, C, 0.0f, gates, G);
    add_bias(gates, b_ih, b_hh, T * B, G);
    const float *whh_t = pack_whh(1, w_hh, H, G);
    for (int t = 0; t < T; t++) {
        float *gt = gates + (size_t)t * B * G;
        const float *cp = c + t * BH;
        float *cn = c + (t + 1) * BH, *hn = h + (t + 1) * BH, *tct = tc + t * BH;
        // gates[t] += h[t] @ w_hh^T: the pre-activations of i, f, g, o side by side
        nn_sgemm_packed(0, B, G, H, 1.0f, prev_state(h + t * BH, reset, t, B, H), H, whh_t, 1.0f,
                        gt, G);
#pragma omp parallel for schedule(static) if (BH >= PAR_MIN)
        for (int b = 0; b < B; b++) {
            int kp = keeps(reset, t, B, b); // 0: the cell entering this step is zero
#pragma omp simd
            for (int j = 0; j < H; j++) {
                size_t k = (size_t)b * H + j, at = (size_t)b * G + j;
                float *g = gt + at;              // g[0], g[H], g[2H], g[3H]: this unit's gates
                float i = nn_sigmoidf(g[0]);     // input gate: how much of the candidate to write
                float f = nn_sigmoidf(g[H]);     // forget gate: how much of the old cell to keep
                float gg = nn_tanhf(g[2 * H]);   // candidate cell value, in (-1, 1)
                float o = nn_sigmoidf(g[3 * H]); // output gate: how much of the cell to show
                g[0] = i, g[H] = f, g[2 * H] = gg, g[3 * H] = o;
                cn[k] = f * (kp ? cp[k] : 0.0f) + i * gg;
                tct[k] = nn_tanhf(cn[k]);
                hn[k] = o * tct[k];
            }
        }
    }
}

void nn_lstm_backward_reset(float *dinp, float *dh0, float *dc0, float *dw_ih, float *dw_hh,
                            float *db_ih, float *db_hh, float *scratch, const float *dout,
                            const float *h, const float *c, const float *gates, const float *tc,
                            const float *inp, const float *w_ih, const float *w_hh,
                            const uint8_t *reset, int T, int B, int C, int H)
{
    size_t BH = (size_t)B * H;
    int G = 4 * H;
    float *dgates = scratch;                  // (T, B, 4H) d of the pre-activations
    float *dhc = scratch + (size_t)T * B * G; // (B, H) dL/dh[t + 1] through the later steps
    float *dcc = dhc + BH;                    // (B, H) dL/dc[t + 1] through the later steps
    float *states = dcc + BH;                 // STATES_FLOATS
    memset(dhc, 0, 2 * BH * sizeof *dhc);
    const float *whh = pack_whh(0, w_hh, H, G);
    for (int t = T - 1; t >= 0; t--) {
        const float *gt = gates + (size_t)t * B * G, *cp = c + t * BH, *tct = tc + t * BH;
        const float *dh_out = dout + t * BH;
        float *dgt = dgates + (size_t)t * B * G;
#pragma omp parallel for schedule(static) if (BH >= PAR_MIN)
        for (int b = 0; b < B; b++) {
            int kp = keeps(reset, t, B, b); // 0: the cell entering this step was zero
#pragma omp simd
            for (int j = 0; j < H; j++) {
                size_t k = (size_t)b * H + j, at = (size_t)b * G + j;
                float i = gt[at], f = gt[at + H], g = gt[at + 2 * H], o = gt[at + 3 * H];
                float y = tct[k];
                float dh = dh_out[k] + dhc[k];
                // forward was: hn = o * tanh(cn); so do = dh * tanh(cn), dcn += dh * o * (1 - tc^2)
                float d_o = dh * y;
                float dc = dcc[k] + dh * o * (1.0f - y * y);
                // forward was: cn = f * c + i * g; so df = dc * c, di = dc * g, dg = dc * i, and
                // the previous cell receives dc * f
                float df = dc * (kp ? cp[k] : 0.0f), di = dc * g, dg = dc * i;
                dcc[k] = dc * f;
                // through the nonlinearities: sigmoid' = s (1 - s), tanh' = 1 - t^2
                dgt[at] = di * (i * (1.0f - i));
                dgt[at + H] = df * (f * (1.0f - f));
                dgt[at + 2 * H] = dg * (1.0f - g * g);
                dgt[at + 3 * H] = d_o * (o * (1.0f - o));
            }
        }
        // forward was: gates[t] += h[t] @ w_hh^T; so dh[t] = dgates[t] @ w_hh
        nn_sgemm_packed(0, B, H, G, 1.0f, dgt, G, whh, 0.0f, dhc, H);
        stop_carry(dhc, reset, t, B, H);
        stop_carry(dcc, reset, t, B, H);
    }
    add_state(dh0, dhc, B, H);
    add_state(dc0, dcc, B, H);
    weight_grads(dinp, dw_ih, dw_hh, db_ih, db_hh, dgates, dgates,
                 used_states(states, h, reset, T, B, H), inp, w_ih, T, B, C, H, G);
}

// --- gru --------------------------------------------------------------------------------------

void nn_gru_forward_reset(float *h, float *gates, float *gh, const float *inp, const float *w_ih,
                          const float *w_hh, const float *b_ih, const float *b_hh,
                          const uint8_t *reset, int T, int B, int C, int H)
{
    size_t BH = (size_t)B * H;
    int G = 3 * H;
    // the input projection of every step at once: gates (T * B, 3H) = inp @ w_ih^T + b_ih
    // (b_hh stays with the recurrent part: r multiplies the n block of w_hh h + b_hh)
    nn_sgemm(0, 1, T * B, G, C, 1.0f, inp, C, w_ih, C, 0.0f, gates, G);
    add_bias(gates, b_ih, NULL, T * B, G);
    const float *whh_t = pack_whh(1, w_hh, H, G);
    for (int t = 0; t < T; t++) {
        float *gt = gates + (size_t)t * B * G, *ght = gh + (size_t)t * B * G;
        const float *hp = h + t * BH;
        float *hn = h + (t + 1) * BH;
        // gh[t] = h[t] @ w_hh^T + b_hh
        nn_sgemm_packed(0, B, G, H, 1.0f, prev_state(hp, reset, t, B, H), H, whh_t, 0.0f, ght, G);
        add_bias(ght, b_hh, NULL, B, G);
#pragma omp parallel for schedule(static) if (BH >= PAR_MIN)
        for (int b = 0; b < B; b++) {
            int kp = keeps(reset, t, B, b); // 0: the state entering this step is zero
#pragma omp simd
            for (int j = 0; j < H; j++) {
                size_t k = (size_t)b * H + j, at = (size_t)b * G + j;
                float *g = gt + at;
                const float *r_h = ght + at;
                float r = nn_sigmoidf(g[0] + r_h[0]);          // reset gate: how much of h feeds n
                float z = nn_sigmoidf(g[H] + r_h[H]);          // update gate: how much of h to keep
                float n = nn_tanhf(g[2 * H] + r * r_h[2 * H]); // the candidate state
                g[0] = r, g[H] = z, g[2 * H] = n;
                hn[k] = (1.0f - z) * n + z * (kp ? hp[k] : 0.0f);
            }
        }
    }
}

void nn_gru_backward_reset(float *dinp, float *dh0, float *dw_ih, float *dw_hh, float *db_ih,
                           float *db_hh, float *scratch, const float *dout, const float *h,
                           const float *gates, const float *gh, const float *inp, const float *w_ih,
                           const float *w_hh, const uint8_t *reset, int T, int B, int C, int H)
{
    size_t BH = (size_t)B * H, TBG = (size_t)T * B * 3 * H;
    int G = 3 * H;
    float *dgi = scratch;       // (T, B, 3H) d of the input projection w_ih x + b_ih
    float *dgh = scratch + TBG; // (T, B, 3H) d of the recurrent projection w_hh h + b_hh
    float *carry = dgh + TBG;   // (B, H) dL/dh[t + 1] through the later steps
    float *states = carry + BH; // STATES_FLOATS
    memset(carry, 0, BH * sizeof *carry);
    const float *whh = pack_whh(0, w_hh, H, G);
    for (int t = T - 1; t >= 0; t--) {
        const float *gt = gates + (size_t)t * B * G, *ght = gh + (size_t)t * B * G;
        const float *hp = h + t * BH, *dh_out = dout + t * BH;
        float *dgit = dgi + (size_t)t * B * G, *dght = dgh + (size_t)t * B * G;
#pragma omp parallel for schedule(static) if (BH >= PAR_MIN)
        for (int b = 0; b < B; b++) {
            int kp = keeps(reset, t, B, b); // 0: the state entering this step was zero
#pragma omp simd
            for (int j = 0; j < H; j++) {
                size_t k = (size_t)b * H + j, at = (size_t)b * G + j;
                float r = gt[at], z = gt[at + H], n = gt[at + 2 * H], ghn = ght[at + 2 * H];
                float dh = dh_out[k] + carry[k];
                // forward was: hn = (1 - z) * n + z * h; so dn = dh (1 - z), dz = dh (h - n),
                // and h receives dh * z directly (the rest through w_hh below)
                float dn = dh * (1.0f - z), dz = dh * ((kp ? hp[k] : 0.0f) - n);
                carry[k] = dh * z;
                // forward was: n = tanh(gi_n + r * ghn); so dan = dn (1 - n^2), dr = dan * ghn,
                // and the recurrent n block receives dan * r
                float dan = dn * (1.0f - n * n);
                float dar = dan * ghn * (r * (1.0f - r)), daz = dz * (z * (1.0f - z));
                dgit[at] = dght[at] = dar;
                dgit[at + H] = dght[at + H] = daz;
                dgit[at + 2 * H] = dan;
                dght[at + 2 * H] = dan * r;
            }
        }
        // forward was: gh[t] = h[t] @ w_hh^T + b_hh; so dh[t] += dgh[t] @ w_hh
        nn_sgemm_packed(0, B, H, G, 1.0f, dght, G, whh, 1.0f, carry, H);
        stop_carry(carry, reset, t, B, H);
    }
    add_state(dh0, carry, B, H);
    weight_grads(dinp, dw_ih, dw_hh, db_ih, db_hh, dgi, dgh, used_states(states, h, reset, T, B, H),
                 inp, w_ih, T, B, C, H, G);
}

// --- without resets -----------------------------------------------------------------------------

void nn_rnn_forward(float *h, const float *inp, const float *w_ih, const float *w_hh,
                    const float *b_ih, const float *b_hh, int T, int B, int C, int H)
{
    nn_rnn_forward_reset(h, inp, w_ih, w_hh, b_ih, b_hh, NULL, T, B, C, H);
}

void nn_rnn_backward(float *dinp, float *dh0, float *dw_ih, float *dw_hh, float *db_ih,
                     float *db_hh, float *scratch, const float *dout, const float *h,
                     const float *inp, const float *w_ih, const float *w_hh, int T, int B, int C,
                     int H)
{
    nn_rnn_backward_reset(dinp, dh0, dw_ih, dw_hh, db_ih, db_hh, scratch, dout, h, inp, w_ih, w_hh,
                          NULL, T, B, C, H);
}

void nn_lstm_forward(float *h, float *c, float *gates, float *tc, const float *inp,
                     const float *w_ih, const float *w_hh, const float *b_ih, const float *b_hh,
                     int T, int B, int C, int H)
{
    nn_lstm_forward_reset(h, c, gates, tc, inp, w_ih, w_hh, b_ih, b_hh, NULL, T, B, C, H);
}

void nn_lstm_backward(float *dinp, float *dh0, float *dc0, float *dw_ih, float *dw_hh, float *db_ih,
                      float *db_hh, float *scratch, const float *dout, const float *h,
                      const float *c, const float *gates, const float *tc, const float *inp,
                      const float *w_ih, const float *w_hh, int T, int B, int C, int H)
{
    nn_lstm_backward_reset(dinp, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, scratch, dout, h, c, gates,
                           tc, inp, w_ih, w_hh, NULL, T, B, C, H);
}

void nn_gru_forward(float *h, float *gates, float *gh, const float *inp, const float *w_ih,
                    const float *w_hh, const float *b_ih, const float *b_hh, int T, int B, int C,
                    int H)
{
    nn_gru_forward_reset(h, gates, gh, inp, w_ih, w_hh, b_ih, b_hh, NULL, T, B, C, H);
}

void nn_gru_backward(float *dinp, float *dh0, float *dw_ih, float *dw_hh, float *db_ih,
                     float *db_hh, float *scratch, const float *dout, const float *h,
                     const float *gates, const float *gh, const float *inp, const float *w_ih,
                     const float *w_hh, int T, int B, int C, int H)
{
    nn_gru_backward_reset(dinp, dh0, dw_ih, dw_hh, db_ih, db_hh, scratch, dout, h, gates, gh, inp,
                          w_ih, w_hh, NULL, T, B, C, H);
}
