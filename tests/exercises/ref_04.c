// ref_04.c: chapter 04's exercises bound to the lab's own code (nn/layers.c, nn/optim.c).
//
// `make test-suite` links chapters/04-neural-lm/check.c with this file and requires every
// exercise test to pass: the tests and the lab agree. These are the functions the MLP
// (nn/mlp_lm.c) and its trainer call at every step, so a student who passes computes what
// `lmlab mlp train` computes.
#include "exercises.h"

#include <string.h>

#include "nn/nn.h"

double ex_softmax_xent(float *probs, const float *logits, int V, int target)
{
    const int32_t t = target;
    return nn_softmax_xent_forward(probs, NULL, logits, &t, 1, V);
}

void ex_xent_backward(float *dlogits, const float *probs, const int32_t *targets, int count,
                      int N, int V)
{
    // the gradient of the mean loss itself: dloss = 1
    nn_softmax_xent_backward(dlogits, probs, targets, 1.0f, count, N, V);
}

void ex_embed_backward(float *dwte, const float *dx, const int32_t *ctx, int B, int n, int E,
                       int V)
{
    // the B * n slices of dx are the rows of an (B * n, E) embedding output (nn/mlp_lm.c)
    nn_embedding_backward(dwte, dx, ctx, B * n, V, E);
}

double ex_clip_grad_norm(float *grads, size_t n, double max_norm)
{
    return nn_clip_grad_norm(grads, n, max_norm);
}

// The open answer, measured with the command of the chapter's section 8:
//   ./lmlab mlp train --dataset names --context 5 --embed 16 --hidden 200 --seed 1
//       --steps 5000 --out runs/mlp-names       (one line)
// which ended with "valid  loss 2.1134 nats/token  ppl 8.2760 (best, step 5000)" (and
// `lmlab mlp eval --model runs/mlp-names --split valid`: loss 2.113363). check.c accepts
// 2.04 to 2.19: other thread counts, a longer run of the same model, small changes to the lab.
double ex_open_mlp_valid_loss(void)
{
    return 2.113363;
}
