// mlp_lm.c: the MLP language model of Bengio et al. (2003), as makemore's MLP writes it.
//
// Letters (docs/nn.md "the MLP language model" derives every gradient):
//   B  rows of a batch (one example each: a context and the token after it)
//   n  context length (tokens seen)          E  embedding size per token
//   H  hidden units of the tanh layer         V  vocabulary size
//
//   ctx (B, n) --wte--> x (B, n*E) --fc1, tanh--> h (B, H) --head--> logits (B, V) --> loss
//                        \------------- direct (optional) ----------/
//
// The model owns one block of parameters and one of gradients (the tensor table in nn.h),
// and its activations for B rows, all allocated by mlp_lm_init; forward and backward only
// call the layers of nn.h on them. Left out here: batching and context padding (the batchers
// of datasets/batch.c), training loops, sampling.
#include "nn/nn.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// --- setup ----------------------------------------------------------------------------------

// One tensor of the table. fan_in 0 takes the fans from the shape (nn.h).
static NnTensorSpec tensor(const char *name, int ndim, int d0, int d1, int decay, NnInit init,
                           int fan_in)
{
    NnTensorSpec t = {name, ndim, {d0, d1, 0, 0}, decay, init, fan_in, 0};
    return t;
}

int mlp_lm_init(MlpLm *m, const MlpLmConfig *cfg, int B)
{
    memset(m, 0, sizeof *m);
    const MlpLmConfig *c = cfg;
    if (c->V < 3 || c->n < 1 || c->E < 1 || c->H < 1 || B < 1) {
        return lab_error("mlp: a model needs V >= 3, n, E, H and B >= 1 (got V %d, n %d, E %d, "
                         "H %d, B %d)",
                         c->V, c->n, c->E, c->H, B);
    }
    // every tensor and every activation buffer must index with int rows times int columns
    const double lim = 2147483647.0, nE = (double)c->n * c->E;
    double biggest[] = {(double)c->V * c->E, c->H * nE,         (double)c->V * c->H,
                        c->V * nE,           (double)B * nE,    (double)B * c->V,
                        (double)B * c->H,    (double)B * c->n};
    for (size_t i = 0; i < sizeof biggest / sizeof biggest[0]; i++) {
        if (biggest[i] > lim) {
            return lab_error("mlp: the model is too large (V %d, n %d, E %d, H %d, B %d: a "
                             "tensor of %.0f floats; the limit is 2^31 - 1)",
                             c->V, c->n, c->E, c->H, B, biggest[i]);
        }
    }
    m->cfg = *c;
    m->B = B;
    int NE = c->n * c->E, k = 0;
    // nn.Embedding draws N(0, 1); KAIMING_NORMAL is N(0, 2 / fan_in), so fan_in 2 is exactly it
    m->spec[k++] = tensor("wte.weight", 2, c->V, c->E, 1, NN_INIT_KAIMING_NORMAL, 2);
    m->spec[k++] = tensor("fc1.weight", 2, c->H, NE, 1, NN_INIT_TORCH_LINEAR, 0);
    // nn.Linear draws its bias with the weight's bound 1 / sqrt(fan_in)
    m->spec[k++] = tensor("fc1.bias", 1, c->H, 0, 0, NN_INIT_TORCH_LINEAR, NE);
    m->spec[k++] = tensor("head.weight", 2, c->V, c->H, 1, NN_INIT_TORCH_LINEAR, 0);
    m->spec[k++] = tensor("head.bias", 1, c->V, 0, 0, NN_INIT_TORCH_LINEAR, c->H);
    if (c->direct) {
        m->spec[k++] = tensor("direct.weight", 2, c->V, NE, 1, NN_INIT_TORCH_LINEAR, 0);
    }
    if (nn_params_layout(&m->params, m->spec, k) < 0) {
        return -1;
    }
    size_t total = m->params.total;
    m->param = lab_calloc(total, sizeof(float));
    m->grad = lab_calloc(total, sizeof(float));
#define VIEW(field, name)                                                                         \
    m->field = nn_params_view(&m->params, m->param, name);                                       \
    m->d##field = nn_params_view(&m->params, m->grad, name)
    VIEW(wte, "wte.weight");
    VIEW(fc1_weight, "fc1.weight");
    VIEW(fc1_bias, "fc1.bias");
    VIEW(head_weight, "head.weight");
    VIEW(head_bias, "head.bias");
    VIEW(direct_weight, "direct.weight"); // NULL without direct connections
#undef VIEW
    size_t rows = (size_t)B;
    m->ctx = lab_calloc(rows * c->n, sizeof(int32_t));
    m->targets = lab_calloc(rows, sizeof(int32_t));
    m->x = lab_calloc(rows * NE, sizeof(float));
    m->h = lab_calloc(rows * c->H, sizeof(float));
    m->logits = lab_calloc(rows * c->V, sizeof(float));
    m->probs = lab_calloc(rows * c->V, sizeof(float));
    m->dx = lab_calloc(rows * NE, sizeof(float));
    m->dh = lab_calloc(rows * c->H, sizeof(float));
    m->dpre = lab_calloc(rows * c->H, sizeof(float));
    m->dlogits = lab_calloc(rows * c->V, sizeof(float));
    return 0;
}

void mlp_lm_free(MlpLm *m)
{
    nn_params_free(&m->params);
    free(m->param);
    free(m->grad);
    free(m->ctx);
    free(m->targets);
    free(m->x);
    free(m->h);
    free(m->logits);
    free(m->probs);
    free(m->dx);
    free(m->dh);
    free(m->dpre);
    free(m->dlogits);
    memset(m, 0, sizeof *m);
}

void mlp_lm_init_weights(MlpLm *m, LabRng *rng)
{
    nn_params_init(&m->params, m->param, rng);
}

// --- forward --------------------------------------------------------------------------------

// ctx_ids (rows, n) -> m->x, m->h, m->logits for rows rows; the context is copied to m->ctx.
static void logits_forward(MlpLm *m, const int32_t *ctx_ids, int rows)
{
    assert(rows >= 1 && rows <= m->B);
    const MlpLmConfig *c = &m->cfg;
    int NE = c->n * c->E;
    memcpy(m->ctx, ctx_ids, (size_t)rows * c->n * sizeof(int32_t));
    // x (rows, n*E): the rows*n looked-up embeddings back to back are the concatenations,
    // since row r's n ids are contiguous in ctx
    nn_embedding_forward(m->x, m->ctx, m->wte, rows * c->n, c->V, c->E);
    // h = tanh(x @ fc1.weight^T + fc1.bias), tanh in place (its backward needs only h)
    nn_linear_forward(m->h, m->x, m->fc1_weight, m->fc1_bias, rows, NE, c->H);
    nn_tanh_forward(m->h, m->h, (size_t)rows * c->H);
    // logits = h @ head.weight^T + head.bias (+ x @ direct.weight^T)
    nn_linear_forward(m->logits, m->h, m->head_weight, m->head_bias, rows, c->H, c->V);
    if (m->direct_weight) {
        nn_sgemm(0, 1, rows, c->V, NE, 1.0f, m->x, NE, m->direct_weight, NE, 1.0f, m->logits,
                 c->V);
    }
}

double mlp_lm_forward(MlpLm *m, const int32_t *ctx_ids, const int32_t *targets, int rows)
{
    logits_forward(m, ctx_ids, rows);
    memcpy(m->targets, targets, (size_t)rows * sizeof(int32_t));
    m->rows = rows;
    m->loss_sum =
        nn_softmax_xent_forward(m->probs, &m->count, m->logits, m->targets, rows, m->cfg.V);
    return m->count > 0 ? m->loss_sum / m->count : 0.0;
}

const float *mlp_lm_logits(MlpLm *m, const int32_t *ctx_ids, int rows)
{
    logits_forward(m, ctx_ids, rows);
    m->rows = 0; // what backward would need is gone: probs belong to an earlier forward
    m->count = 0;
    return m->logits;
}

// --- backward -------------------------------------------------------------------------------

void mlp_lm_zero_grad(MlpLm *m)
{
    nn_zero(m->grad, m->params.total);
}

void mlp_lm_backward(MlpLm *m)
{
    const MlpLmConfig *c = &m->cfg;
    int rows = m->rows, NE = c->n * c->E;
    assert(rows >= 1 && "mlp_lm_backward needs an mlp_lm_forward first");
    // the activation gradients are scratch: the layers accumulate, so they start at zero
    nn_zero(m->dlogits, (size_t)rows * c->V);
    nn_zero(m->dh, (size_t)rows * c->H);
    nn_zero(m->dpre, (size_t)rows * c->H);
    nn_zero(m->dx, (size_t)rows * NE);
    // forward was: loss = mean over counted rows of -ln softmax(logits)[target];
    // so dlogits = (probs - onehot(target)) / count
    nn_softmax_xent_backward(m->dlogits, m->probs, m->targets, 1.0f, m->count, rows, c->V);
    // forward was: logits = h @ head.weight^T + head.bias;
    // so dh += dlogits @ head.weight, dhead.weight += dlogits^T @ h, dhead.bias += sum dlogits
    nn_linear_backward(m->dh, m->dhead_weight, m->dhead_bias, m->dlogits, m->h, m->head_weight,
                       rows, c->H, c->V);
    if (m->direct_weight) {
        // forward was: logits += x @ direct.weight^T; so dx += dlogits @ direct.weight and
        // ddirect.weight += dlogits^T @ x (a linear layer without bias)
        nn_linear_backward(m->dx, m->ddirect_weight, NULL, m->dlogits, m->x, m->direct_weight,
                           rows, NE, c->V);
    }
    // forward was: h = tanh(pre); so dpre = dh * (1 - h^2)
    nn_tanh_backward(m->dpre, m->dh, m->h, (size_t)rows * c->H);
    // forward was: pre = x @ fc1.weight^T + fc1.bias;
    // so dx += dpre @ fc1.weight, dfc1.weight += dpre^T @ x, dfc1.bias += sum dpre
    nn_linear_backward(m->dx, m->dfc1_weight, m->dfc1_bias, m->dpre, m->x, m->fc1_weight, rows,
                       NE, c->H);
    // forward was: x[r, j*E .. (j+1)*E) = wte[ctx[r, j]]; so each slice of dx goes back to the
    // row of its token, summed when a token appears twice (rows*n slices, in order)
    nn_embedding_backward(m->dwte, m->dx, m->ctx, rows * c->n, c->V, c->E);
}
