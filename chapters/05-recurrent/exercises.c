// exercises.c: chapter 05, your solutions. Replace each TODO(student) body; the contracts are
// in exercises.h and the equations in the chapter's README.md, in the section each names.
// Check your work with
//
//     make check CH=05
//
// which prints one line per exercise: pass, or what came, what was expected and a hint.
#include "exercises.h"

#include <math.h>

void ex_rnn_step_backward(float *dx, float *dh_prev, float *dw_ih, float *dw_hh, float *db,
                          const float *dh, const float *h, const float *h_prev, const float *x,
                          const float *w_ih, const float *w_hh, int B, int C, int H)
{
    // TODO(student): the backward pass of one tanh step (section 2, "Backpropagation through
    // time": first through tanh, then through the two matrix products). Accumulate.
}

void ex_lstm_cell_forward(float *h, float *c, const float *x, const float *h_prev,
                          const float *c_prev, const float *w_ih, const float *w_hh,
                          const float *b_ih, const float *b_hh, int B, int C, int H)
{
    // TODO(student): the four gates in PyTorch's order, then the new cell and hidden state
    // (section 4, "The LSTM").
}

void ex_gru_cell_forward(float *h, const float *x, const float *h_prev, const float *w_ih,
                         const float *w_hh, const float *b_ih, const float *b_hh, int B, int C,
                         int H)
{
    // TODO(student): the reset and update gates, the candidate, then the mix of the candidate
    // and the old state (section 4, "The GRU", PyTorch's form).
}

int ex_seq_batch(int32_t *inputs, int32_t *targets, const int32_t *stream, long long len, int B,
                 int T, long long offset, long long i)
{
    // TODO(student): the lane length, the number of batches of an epoch, then where row r of
    // batch i starts (section 6, "Two ways to cut a corpus into batches").
    return -2;
}

const char *ex_open_better_scheme(void)
{
    // TODO(student): run the lab (exercises.h, exercise 5) and write the scheme here.
    return "";
}

double ex_open_lstm_valid_loss(void)
{
    // TODO(student): and that run's valid loss.
    return 0.0;
}
