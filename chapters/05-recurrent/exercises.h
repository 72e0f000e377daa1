// exercises.h: chapter 05, recurrent networks: the functions you write.
//
// Each comment below is the contract its test checks: what to compute, the shapes of its
// inputs and outputs, what is written or accumulated, the edge cases, and the section of the
// chapter (README.md) that derives it. The equations are in the chapter, not here: read the
// section, then write the function. `make check CH=05` grades exercises.c.
//
// Shapes as in the chapter and nn/nn.h: a comment (B, H) means B rows of H floats, row-major.
//   B  batch (sequences side by side)   C  input size (the embedding)   H  hidden size
// Weights have PyTorch's shapes and gate order: w_ih (G*H, C), w_hh (G*H, H), b_ih (G*H),
// b_hh (G*H), gate blocks of H rows stacked (RNN: one block; LSTM: i, f, g, o; GRU: r, z, n).
// "W x" for a row x of the batch means the vector whose j-th entry is sum_k W[j][k] x[k].
#ifndef EX05_H
#define EX05_H

#include <stdint.h>

// --- 1. one RNN step, backward (section 2, "Backpropagation through time") -------------------
// The forward step was h = tanh(w_ih x + b_ih + w_hh h_prev + b_hh), row by row, with
// x (B, C), h_prev (B, H) and its output h (B, H) (given: the backward needs it). dh (B, H) is
// the whole gradient of the loss with respect to h (from this step's output and from the
// step after). ACCUMULATES (+=) the gradients with respect to x into dx (B, C), h_prev into
// dh_prev (B, H), w_ih into dw_ih (H, C), w_hh into dw_hh (H, H) and the bias into db (H)
// (b_ih and b_hh enter as a sum, so their gradients are equal: db serves for both).
// Example (B = C = H = 1): w_ih 0.5, w_hh -1, x 2, h_prev 0.5, zero biases, h = tanh(0.5),
// dh 1 give dx 0.3932, dh_prev -0.7864, dw_ih 1.5729, dw_hh 0.3932, db 0.7864.
void ex_rnn_step_backward(float *dx, float *dh_prev, float *dw_ih, float *dw_hh, float *db,
                          const float *dh, const float *h, const float *h_prev, const float *x,
                          const float *w_ih, const float *w_hh, int B, int C, int H);

// --- 2. one LSTM step, forward (section 4, "The LSTM") ---------------------------------------
// From x (B, C), the previous hidden state h_prev (B, H) and cell c_prev (B, H), and the
// weights (G = 4, blocks i, f, g, o), WRITES the new cell c (B, H) and hidden state h (B, H).
// Example (B = C = H = 1): w_ih {1, 2, 3, -1}, w_hh {0, 0, 0, 0}, zero biases, x 1,
// h_prev 0, c_prev 0.5 give c 1.1678 and h 0.2215.
void ex_lstm_cell_forward(float *h, float *c, const float *x, const float *h_prev,
                          const float *c_prev, const float *w_ih, const float *w_hh,
                          const float *b_ih, const float *b_hh, int B, int C, int H);

// --- 3. one GRU step, forward (section 4, "The GRU") -----------------------------------------
// From x (B, C) and h_prev (B, H) and the weights (G = 3, blocks r, z, n), WRITES the new
// hidden state h (B, H), as PyTorch's torch.nn.GRU computes it (the reset gate multiplies
// the recurrent part of the candidate AFTER its bias b_hn is added).
// Example (B = C = H = 1): w_ih {1, -1, 0.5}, w_hh {0, 0, 2}, b_ih {0, 0, 0},
// b_hh {0, 0, 1}, x 1, h_prev 0.5 give h 0.8372.
void ex_gru_cell_forward(float *h, const float *x, const float *h_prev, const float *w_ih,
                         const float *w_hh, const float *b_ih, const float *b_hh, int B, int C,
                         int H);

// --- 4. sequential partitioning (section 6, "Two ways to cut a corpus into batches") ---------
// The token stream (len) is cut into B lanes after skipping `offset` tokens; batch i of the
// epoch takes the next T input tokens of every lane, and as targets the tokens one position
// later. Every lane has the same length, (len - offset - 1) / B tokens of inputs (what is
// left over at the end is dropped), and an epoch has as many batches as whole blocks of T
// fit in a lane. WRITES inputs (B, T) and targets (B, T) and returns 0; when the epoch has no
// batch number i (i >= its number of batches), returns -1 and writes nothing.
// 1 <= B, 1 <= T, 0 <= offset <= T, offset + B * T < len, i >= 0.
// Example: stream {0, 1, ..., 24} (len 25), B = 2, T = 3, offset = 1: lanes of 11 tokens,
// 3 batches; batch 1 is inputs {4, 5, 6, 15, 16, 17}, targets {5, 6, 7, 16, 17, 18}.
int ex_seq_batch(int32_t *inputs, int32_t *targets, const int32_t *stream, long long len, int B,
                 int T, long long offset, long long i);

// --- 5. open: random sampling or sequential partitioning (section 7, "Training on the Time
// Machine") -----------------------------------------------------------------------------------
// Answers you find by running lmlab, not by writing code: put them in exercises.c as
// constants. Train the chapter's LSTM twice with the two commands of section 7, which differ
// only in --batching.
//   ex_open_better_scheme     the scheme with the lower valid loss, as the lab names it:
//                             "random" or "sequential"
//   ex_open_lstm_valid_loss   that run's valid loss, in nats per character
// Before you run them, guess: which scheme lets the LSTM use context from before the start
// of its T-step window?
const char *ex_open_better_scheme(void);
double ex_open_lstm_valid_loss(void);

#endif
