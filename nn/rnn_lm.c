// rnn_lm.c: the recurrent language model: embedding -> L stacked RNN, LSTM or GRU layers ->
// linear head -> softmax cross-entropy, with the hidden state carried between batches.
// What it leaves out: dropout between layers, tied embeddings, the trainer (lab/run.c drives
// it), sampling (lab/sample.c).
//
// Letters: B batch, T time steps, V vocabulary, E embedding size, H hidden size, L layers.
// Inputs and targets arrive batch-major (B, T) as the batchers write them; forward copies
// them time-major (T, B), so every layer reads contiguous (B, C) blocks per step and the
// logits are (T * B, V). The mean loss does not depend on the row order.
//
// The model allocates everything in rnn_lm_init: a step of training is forward, zero_grad,
// backward and an optimizer over the flat params/grads block, with no allocation.
#include "nn/nn.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"

// one recurrent layer's tensors: 4 per layer, plus embed.weight, head.weight, head.bias
#define PER_LAYER 4

static float *alloc_floats(size_t n)
{
    return lab_calloc(n ? n : 1, sizeof(float));
}

int rnn_lm_init(RnnLm *m, const RnnLmConfig *cfg, int B, int T)
{
    memset(m, 0, sizeof *m);
    if (cfg->V <= 0 || cfg->E <= 0 || cfg->H <= 0 || cfg->L <= 0 || B <= 0 || T <= 0) {
        return lab_error("recurrent model sizes must be positive: V %d, E %d, H %d, L %d, "
                         "B %d, T %d",
                         cfg->V, cfg->E, cfg->H, cfg->L, B, T);
    }
    if (cfg->L > 64 || (double)cfg->H * 4 * (cfg->H > cfg->E ? cfg->H : cfg->E) > 1e9 ||
        (double)B * T * 4 * cfg->H > 1e9 || (double)B * T * cfg->V > 1e9) {
        return lab_error("recurrent model too large: V %d, E %d, H %d, L %d, B %d, T %d", cfg->V,
                         cfg->E, cfg->H, cfg->L, B, T);
    }
    m->cfg = *cfg;
    m->B = B;
    m->T = T;
    int V = cfg->V, E = cfg->E, H = cfg->H, L = cfg->L, GH = nn_cell_gates(cfg->cell) * H;

    // the tensor table, in the order of PyTorch's state_dict
    int n = 0;
    m->spec = lab_calloc((size_t)PER_LAYER * L + 3, sizeof *m->spec);
    m->spec[n++] = (NnTensorSpec){"embed.weight", 2, {V, E}, 1, NN_INIT_KAIMING_NORMAL, 2, 0};
    for (int l = 0; l < L; l++) {
        int in = l == 0 ? E : H;
        // nn.RNN/LSTM/GRU initialise every weight and bias U(-1/sqrt(H), 1/sqrt(H))
        m->spec[n++] = (NnTensorSpec){
            lab_asprintf("rnn.weight_ih_l%d", l), 2, {GH, in}, 1, NN_INIT_TORCH_LINEAR, H, 0};
        m->spec[n++] = (NnTensorSpec){
            lab_asprintf("rnn.weight_hh_l%d", l), 2, {GH, H}, 1, NN_INIT_TORCH_LINEAR, H, 0};
        m->spec[n++] = (NnTensorSpec){
            lab_asprintf("rnn.bias_ih_l%d", l), 1, {GH}, 0, NN_INIT_TORCH_LINEAR, H, 0};
        m->spec[n++] = (NnTensorSpec){
            lab_asprintf("rnn.bias_hh_l%d", l), 1, {GH}, 0, NN_INIT_TORCH_LINEAR, H, 0};
    }
    m->spec[n++] = (NnTensorSpec){"head.weight", 2, {V, H}, 1, NN_INIT_TORCH_LINEAR, H, 0};
    m->spec[n++] = (NnTensorSpec){"head.bias", 1, {V}, 0, NN_INIT_TORCH_LINEAR, H, 0};
    if (nn_params_layout(&m->layout, m->spec, n) < 0) {
        rnn_lm_free(m);
        return -1;
    }
    m->params = alloc_floats(m->layout.total);
    m->grads = alloc_floats(m->layout.total);
    m->wte = nn_params_view(&m->layout, m->params, "embed.weight");
    m->head_w = nn_params_view(&m->layout, m->params, "head.weight");
    m->head_b = nn_params_view(&m->layout, m->params, "head.bias");
    m->w_ih = lab_calloc((size_t)L, sizeof *m->w_ih);
    m->w_hh = lab_calloc((size_t)L, sizeof *m->w_hh);
    m->b_ih = lab_calloc((size_t)L, sizeof *m->b_ih);
    m->b_hh = lab_calloc((size_t)L, sizeof *m->b_hh);
    for (int l = 0; l < L; l++) {
        // the table lists each layer's four tensors in this order after embed.weight
        const size_t *off = m->layout.offset + 1 + PER_LAYER * l;
        m->w_ih[l] = m->params + off[0];
        m->w_hh[l] = m->params + off[1];
        m->b_ih[l] = m->params + off[2];
        m->b_hh[l] = m->params + off[3];
    }

    size_t TB = (size_t)T * B, BH = (size_t)B * H;
    m->state_h = alloc_floats(L * BH);
    m->state_c = alloc_floats(L * BH);
    m->ids = lab_calloc(TB, sizeof *m->ids);
    m->targets = lab_calloc(TB, sizeof *m->targets);
    m->reset = lab_calloc(TB, sizeof *m->reset);
    m->x = alloc_floats(TB * E);
    m->h = lab_calloc((size_t)L, sizeof *m->h);
    m->cache = lab_calloc((size_t)L, sizeof *m->cache);
    for (int l = 0; l < L; l++) {
        m->h[l] = alloc_floats((TB + B) * H);
        m->cache[l] = alloc_floats(nn_recurrent_cache_floats(cfg->cell, T, B, H));
    }
    m->logits = alloc_floats(TB * V);
    m->probs = alloc_floats(TB * V);
    m->dlogits = alloc_floats(TB * V);
    m->dh = alloc_floats(TB * H);
    m->dh_next = alloc_floats(TB * H);
    m->dx = alloc_floats(TB * E);
    m->scratch = alloc_floats(nn_recurrent_scratch_floats(cfg->cell, T, B, H));
    return 0;
}

void rnn_lm_free(RnnLm *m)
{
    if (m->spec) {
        for (int i = 1; i < PER_LAYER * m->cfg.L + 1; i++) {
            free((char *)m->spec[i].name); // the layer names were formatted by init
        }
    }
    for (int l = 0; m->h && l < m->cfg.L; l++) {
        free(m->h[l]);
        free(m->cache[l]);
    }
    free(m->spec);
    nn_params_free(&m->layout);
    free(m->params);
    free(m->grads);
    free(m->w_ih);
    free(m->w_hh);
    free(m->b_ih);
    free(m->b_hh);
    free(m->state_h);
    free(m->state_c);
    free(m->ids);
    free(m->targets);
    free(m->reset);
    free(m->x);
    free(m->h);
    free(m->cache);
    free(m->logits);
    free(m->probs);
    free(m->dlogits);
    free(m->dh);
    free(m->dh_next);
    free(m->dx);
    free(m->scratch);
    memset(m, 0, sizeof *m);
}

void rnn_lm_init_params(RnnLm *m, LabRng *rng)
{
    // embed.weight: N(0, 1) like nn.Embedding, written as Kaiming normal N(0, 2 / fan_in)
    // with fan_in = 2 in the table
    nn_params_init(&m->layout, m->params, rng);
}

void rnn_lm_reset_state(RnnLm *m)
{
    size_t n = (size_t)m->cfg.L * m->B * m->cfg.H;
    memset(m->state_h, 0, n * sizeof *m->state_h);
    memset(m->state_c, 0, n * sizeof *m->state_c);
}

void rnn_lm_zero_grad(RnnLm *m)
{
    nn_zero(m->grads, m->layout.total);
}

// the cache of layer l split into the buffers its cell names
typedef struct {
    float *c, *gates, *aux; // LSTM: c, gates, tc; GRU: gates, gh (c unused); RNN: none
} Cache;

static Cache split_cache(const RnnLm *m, int l)
{
    // sized for m->T; a shorter run (a generation step) uses the front of each part
    size_t TBH = (size_t)m->T * m->B * m->cfg.H, BH = (size_t)m->B * m->cfg.H;
    float *base = m->cache[l];
    Cache k = {0};
    if (m->cfg.cell == NN_CELL_LSTM) {
        k.gates = base;
        k.c = base + 4 * TBH;
        k.aux = k.c + TBH + BH;
    } else if (m->cfg.cell == NN_CELL_GRU) {
        k.gates = base;
        k.aux = base + 3 * TBH;
    }
    return k;
}

// m->reset[i] = 1 where m->ids[i] is <s>, for the first n (T * B) positions: a line starts
static void mark_resets(RnnLm *m, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        m->reset[i] = m->ids[i] == TOK_BOS;
    }
}

// the stack over T steps (T <= m->T) of the embeddings in m->x, every layer resetting the
// lanes m->reset marks; leaves the final state in m->state_h/c and returns the top layer's
// outputs (T, B, H)
static const float *run_layers(RnnLm *m, int T)
{
    int B = m->B, E = m->cfg.E, H = m->cfg.H;
    size_t BH = (size_t)B * H;
    const float *inp = m->x;
    for (int l = 0; l < m->cfg.L; l++) {
        int C = l == 0 ? E : H;
        float *h = m->h[l];
        Cache k = split_cache(m, l);
        memcpy(h, m->state_h + l * BH, BH * sizeof *h); // h[0]: the carried state
        switch (m->cfg.cell) {
        case NN_CELL_RNN:
            nn_rnn_forward_reset(h, inp, m->w_ih[l], m->w_hh[l], m->b_ih[l], m->b_hh[l], m->reset,
                                 T, B, C, H);
            break;
        case NN_CELL_LSTM:
            memcpy(k.c, m->state_c + l * BH, BH * sizeof *k.c);
            nn_lstm_forward_reset(h, k.c, k.gates, k.aux, inp, m->w_ih[l], m->w_hh[l], m->b_ih[l],
                                  m->b_hh[l], m->reset, T, B, C, H);
            memcpy(m->state_c + l * BH, k.c + T * BH, BH * sizeof *k.c);
            break;
        case NN_CELL_GRU:
            nn_gru_forward_reset(h, k.gates, k.aux, inp, m->w_ih[l], m->w_hh[l], m->b_ih[l],
                                 m->b_hh[l], m->reset, T, B, C, H);
            break;
        }
        // the final state becomes the next call's initial state (detached: a copy)
        memcpy(m->state_h + l * BH, h + T * BH, BH * sizeof *h);
        inp = h + BH;
    }
    return inp;
}

double rnn_lm_forward(RnnLm *m, const int32_t *inputs, const int32_t *targets)
{
    int B = m->B, T = m->T, V = m->cfg.V, E = m->cfg.E, H = m->cfg.H;
    // (B, T) -> (T, B)
    for (int b = 0; b < B; b++) {
        for (int t = 0; t < T; t++) {
            m->ids[(size_t)t * B + b] = inputs[(size_t)b * T + t];
            m->targets[(size_t)t * B + b] = targets ? targets[(size_t)b * T + t] : -1;
        }
    }
    mark_resets(m, (size_t)T * B);
    nn_embedding_forward(m->x, m->ids, m->wte, T * B, V, E);
    const float *top = run_layers(m, T);
    nn_linear_forward(m->logits, top, m->head_w, m->head_b, T * B, H, V);
    double sum = nn_softmax_xent_forward(m->probs, &m->count, m->logits, m->targets, T * B, V);
    return m->count > 0 ? sum / m->count : 0.0;
}

void rnn_lm_backward(RnnLm *m)
{
    int B = m->B, T = m->T, V = m->cfg.V, E = m->cfg.E, H = m->cfg.H, L = m->cfg.L;
    size_t TB = (size_t)T * B, BH = (size_t)B * H;
    float *g = m->grads;
    const size_t *off = m->layout.offset;
    if (m->count == 0) {
        return; // no target counted: the loss is constant
    }
    // forward was: loss = mean xent(softmax(logits)); logits = top @ head_w^T + head_b
    memset(m->dlogits, 0, TB * V * sizeof *m->dlogits);
    nn_softmax_xent_backward(m->dlogits, m->probs, m->targets, 1.0f, m->count, T * B, V);
    memset(m->dh, 0, TB * H * sizeof *m->dh);
    size_t head = off[1 + PER_LAYER * L];
    nn_linear_backward(m->dh, g + head, g + head + (size_t)V * H, m->dlogits, m->h[L - 1] + BH,
                       m->head_w, T * B, H, V);
    for (int l = L - 1; l >= 0; l--) {
        // the gradient of this layer's input: the layer below's outputs, or the embeddings
        int C = l == 0 ? E : H;
        float *dinp = l == 0 ? m->dx : m->dh_next;
        memset(dinp, 0, TB * C * sizeof *dinp);
        const float *inp = l == 0 ? m->x : m->h[l - 1] + BH;
        const size_t *lo = off + 1 + PER_LAYER * l;
        Cache k = split_cache(m, l);
        // dh0 and dc0 NULL: BPTT stops at this batch's initial state
        switch (m->cfg.cell) {
        case NN_CELL_RNN:
            nn_rnn_backward_reset(dinp, NULL, g + lo[0], g + lo[1], g + lo[2], g + lo[3],
                                  m->scratch, m->dh, m->h[l], inp, m->w_ih[l], m->w_hh[l], m->reset,
                                  T, B, C, H);
            break;
        case NN_CELL_LSTM:
            nn_lstm_backward_reset(dinp, NULL, NULL, g + lo[0], g + lo[1], g + lo[2], g + lo[3],
                                   m->scratch, m->dh, m->h[l], k.c, k.gates, k.aux, inp, m->w_ih[l],
                                   m->w_hh[l], m->reset, T, B, C, H);
            break;
        case NN_CELL_GRU:
            nn_gru_backward_reset(dinp, NULL, g + lo[0], g + lo[1], g + lo[2], g + lo[3],
                                  m->scratch, m->dh, m->h[l], k.gates, k.aux, inp, m->w_ih[l],
                                  m->w_hh[l], m->reset, T, B, C, H);
            break;
        }
        if (l > 0) { // this layer's dinp is the gradient of the outputs of the one below
            float *tmp = m->dh;
            m->dh = m->dh_next;
            m->dh_next = tmp;
        }
    }
    // forward was: x = embed.weight[ids]
    nn_embedding_backward(g + off[0], m->dx, m->ids, T * B, V, E);
}

const float *rnn_lm_run_logits(RnnLm *m, const int32_t *ids, int T)
{
    int B = m->B, V = m->cfg.V, E = m->cfg.E, H = m->cfg.H;
    assert(T >= 1 && T <= m->T);
    for (size_t i = 0; i < (size_t)T * B; i++) {
        assert(ids[i] >= 0 && ids[i] < V);
        m->ids[i] = ids[i];
    }
    mark_resets(m, (size_t)T * B);
    nn_embedding_forward(m->x, m->ids, m->wte, T * B, V, E);
    const float *top = run_layers(m, T);
    nn_linear_forward(m->logits, top, m->head_w, m->head_b, T * B, H, V);
    return m->logits;
}

const float *rnn_lm_step_logits(RnnLm *m, const int32_t *tokens)
{
    return rnn_lm_run_logits(m, tokens, 1);
}
