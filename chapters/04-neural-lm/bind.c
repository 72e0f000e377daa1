// bind.c: chapter 04's exercises in the lab's place. `make run-student CH=04 ARGS='mlp train
// ...'` links this file and your exercises.c into build/student/04-neural-lm/lmlab, a copy of
// ./lmlab in which the softmax, the cross-entropy, its gradient and the clipping are yours:
// every loss that copy's `lmlab mlp train` (or `rnn train`) logs comes from ex_softmax_xent,
// every step it takes from ex_xent_backward's gradient, clipped by ex_clip_grad_norm. Nothing
// here is an exercise.
#include "exercises.h"

#include <assert.h>

#include "nn/nn.h"

double nn_softmax_xent_forward(float *probs, int *count, const float *logits,
                               const int32_t *targets, int N, int V)
{
    double loss = 0.0;
    int counted = 0;
    for (int n = 0; n < N; n++) {
        // an ignored row still gets its probabilities; its loss is not counted
        int t = targets[n] >= 0 ? targets[n] : 0;
        double l = ex_softmax_xent(probs + (size_t)n * V, logits + (size_t)n * V, V, t);
        if (targets[n] >= 0) {
            loss += l;
            counted++;
        }
    }
    if (count) {
        *count = counted;
    }
    return loss;
}

void nn_softmax_xent_backward(float *dlogits, const float *probs, const int32_t *targets,
                              float dloss, int count, int N, int V)
{
    // every model of the lab differentiates its mean loss itself: dloss is 1
    assert(dloss == 1.0f);
    ex_xent_backward(dlogits, probs, targets, count, N, V);
}

double nn_clip_grad_norm(float *grads, size_t n, double max_norm)
{
    return ex_clip_grad_norm(grads, n, max_norm);
}
