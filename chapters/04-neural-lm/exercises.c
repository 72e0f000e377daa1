// exercises.c: chapter 04, your solutions. Replace each TODO(student) body; the contracts are
// in exercises.h and the derivations in the chapter's README.md, in the section each names.
// Check your work with
//
//     make check CH=04
//
// which prints one line per exercise: pass, or what came, what was expected and a hint.
// Then `make run-student CH=04 ARGS='mlp train ...'` trains the MLP with your softmax,
// cross-entropy and clipping in the lab's place and shows it beside the lab's own.
#include "exercises.h"

#include <math.h>

double ex_softmax_xent(float *probs, const float *logits, int V, int target)
{
    // TODO(student): the softmax of one row and the cross-entropy of its target (section 3,
    // "Softmax and cross-entropy", and "Computing it without overflow"). Work in double.
    return -1.0;
}

void ex_xent_backward(float *dlogits, const float *probs, const int32_t *targets, int count,
                      int N, int V)
{
    // TODO(student): the gradient of the mean cross-entropy with respect to the logits
    // (section 6, "Backpropagation by hand", the first equation). Accumulate; skip rows with
    // a negative target.
}

void ex_embed_backward(float *dwte, const float *dx, const int32_t *ctx, int B, int n, int E,
                       int V)
{
    // TODO(student): send each E-wide slice of dx back to the table row it was looked up
    // from (section 6, "The embedding table"). Accumulate.
}

double ex_clip_grad_norm(float *grads, size_t n, double max_norm)
{
    // TODO(student): the global norm, and the scaling when it is too large (section 5,
    // "Exploding steps and clipping").
    return -1.0;
}

double ex_open_mlp_valid_loss(void)
{
    // TODO(student): run the lab (exercises.h, exercise 5) and write the valid loss here.
    return 0.0;
}
