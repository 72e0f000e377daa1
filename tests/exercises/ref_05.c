// ref_05.c: chapter 05's exercises bound to the lab's own code (nn/recurrent.c,
// datasets/batch.c).
//
// `make test-suite` links chapters/05-recurrent/check.c with this file and requires every
// exercise test to pass: the tests and the lab agree. Each cell exercise is the lab's layer
// run for one step (T = 1) on buffers laid out as the layer wants them; the batch exercise is
// the lab's batcher restored to the given epoch offset and batch.
#include "exercises.h"

#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"
#include "lab/lab.h"
#include "nn/nn.h"

void ex_rnn_step_backward(float *dx, float *dh_prev, float *dw_ih, float *dw_hh, float *db,
                          const float *dh, const float *h, const float *h_prev, const float *x,
                          const float *w_ih, const float *w_hh, int B, int C, int H)
{
    size_t BH = (size_t)B * H;
    float *hs = lab_malloc(2 * BH * sizeof(float)); // (T + 1, B, H): h[0] = h_prev, h[1] = h
    float *scratch = lab_malloc(nn_recurrent_scratch_floats(NN_CELL_RNN, 1, B, H) * sizeof(float));
    memcpy(hs, h_prev, BH * sizeof(float));
    memcpy(hs + BH, h, BH * sizeof(float));
    // b_ih's gradient into db; b_hh's (the same) not needed
    nn_rnn_backward(dx, dh_prev, dw_ih, dw_hh, db, NULL, scratch, dh, hs, x, w_ih, w_hh, 1, B, C,
                    H);
    free(hs);
    free(scratch);
}

void ex_lstm_cell_forward(float *h, float *c, const float *x, const float *h_prev,
                          const float *c_prev, const float *w_ih, const float *w_hh,
                          const float *b_ih, const float *b_hh, int B, int C, int H)
{
    size_t BH = (size_t)B * H;
    float *hs = lab_malloc(2 * BH * sizeof(float)), *cs = lab_malloc(2 * BH * sizeof(float));
    float *gates = lab_malloc(4 * BH * sizeof(float)), *tc = lab_malloc(BH * sizeof(float));
    memcpy(hs, h_prev, BH * sizeof(float));
    memcpy(cs, c_prev, BH * sizeof(float));
    nn_lstm_forward(hs, cs, gates, tc, x, w_ih, w_hh, b_ih, b_hh, 1, B, C, H);
    memcpy(h, hs + BH, BH * sizeof(float));
    memcpy(c, cs + BH, BH * sizeof(float));
    free(hs);
    free(cs);
    free(gates);
    free(tc);
}

void ex_gru_cell_forward(float *h, const float *x, const float *h_prev, const float *w_ih,
                         const float *w_hh, const float *b_ih, const float *b_hh, int B, int C,
                         int H)
{
    size_t BH = (size_t)B * H;
    float *hs = lab_malloc(2 * BH * sizeof(float));
    float *gates = lab_malloc(3 * BH * sizeof(float)), *gh = lab_malloc(3 * BH * sizeof(float));
    memcpy(hs, h_prev, BH * sizeof(float));
    nn_gru_forward(hs, gates, gh, x, w_ih, w_hh, b_ih, b_hh, 1, B, C, H);
    memcpy(h, hs + BH, BH * sizeof(float));
    free(hs);
    free(gates);
    free(gh);
}

// The lab's stream is <s> followed by the corpus ids, so the corpus is stream + 1; the lab
// writes <s> for position 0, which is what stream[0] holds in every test.
int ex_seq_batch(int32_t *inputs, int32_t *targets, const int32_t *stream, long long len, int B,
                 int T, long long offset, long long i)
{
    Corpus c = {.ids = (int32_t *)stream + 1, .n = len - 1};
    SeqBatcher b;
    if (batch_seq_init(&b, &c, BATCH_SEQUENTIAL, B, T, 1) < 0) {
        return -1;
    }
    BatchState st = b.st;
    st.epoch = 1;
    st.offset = offset;
    st.batch = i;
    if (i > (len - offset - 1) / B / T || batch_seq_restore(&b, &st) < 0 ||
        i >= batch_seq_per_epoch(&b)) {
        return -1;
    }
    batch_seq_next(&b, inputs, targets);
    return 0;
}

// The open answers, measured with the two 1000-step commands of section 7 (seed 1): valid loss
// 1.7093 with --batching sequential, 1.7368 with --batching random (the best valid_loss in each
// run's log.tsv, at step 1000).
const char *ex_open_better_scheme(void)
{
    return "sequential";
}

double ex_open_lstm_valid_loss(void)
{
    return 1.7093;
}
