// exercises.h: chapter 04, from counts to neurons: the functions you write.
//
// Each comment below is the contract its test checks: what to compute, the shapes of its
// inputs and outputs, what is written or accumulated, the edge cases, and the section of the
// chapter (README.md) that derives it. The formulas are in the chapter, not here: read the
// section, then write the function. `make check CH=04` grades exercises.c.
//
// Shapes as in the chapter and nn/nn.h: a comment (N, V) means N rows of V floats, row-major.
//   V  vocabulary size        B  examples in a batch        n  context length
//   E  embedding size         N  rows (examples) of a batch of logits
// Probabilities, logits and gradients are float (as the lab stores them); sums and losses
// are double (as the lab accumulates them).
#ifndef EX04_H
#define EX04_H

#include <stddef.h>
#include <stdint.h>

// --- 1. softmax and cross-entropy, forward (section 3, "Softmax and cross-entropy") ----------
// One row: logits (V) -> probs (V), the softmax of the logits, WRITTEN; returns the
// cross-entropy of the target, the loss in nats that the model pays for it (>= 0, a double).
// 0 <= target < V, V >= 1. Must not overflow for any finite logits: logits {1000, 1000, 0}
// give probs {0.5, 0.5, 0} and loss ln 2, and logits {-1000, 0} with target 0 give a loss of
// 1000 (finite, although probs[0] rounds to 0 in float).
// Example: logits {1, 2, 3}, target 2 gives probs {0.0900, 0.2447, 0.6652} and 0.4076.
double ex_softmax_xent(float *probs, const float *logits, int V, int target);

// --- 2. softmax and cross-entropy, backward (section 6, "Backpropagation by hand") -----------
// The gradient of the MEAN loss over the counted rows with respect to the logits, given what
// the forward wrote: probs (N, V), targets (N) (a target < 0 marks a row that is not counted:
// padding), count = the number of rows whose target is >= 0. ACCUMULATES (+=) into dlogits
// (N, V); rows with a target < 0 get nothing, and count == 0 does nothing.
// Example: probs {0.25, 0.25, 0.5}, target 2, count 1, dlogits {0, 0, 0} becomes
// {0.25, 0.25, -0.5}.
void ex_xent_backward(float *dlogits, const float *probs, const int32_t *targets, int count,
                      int N, int V);

// --- 3. the embedding lookup, backward (section 6, "The embedding table") --------------------
// The forward looked up n tokens per example in the table wte (V, E) and laid them side by
// side: x[b] (n*E) = wte[ctx[b, 0]], ..., wte[ctx[b, n-1]], for ctx (B, n) ids in [0, V).
// Given dx (B, n*E), the gradient of the loss with respect to x, ACCUMULATE (+=) the gradient
// with respect to the table into dwte (V, E). A token that occurs several times (in one
// context or in several) receives the sum of its slices; rows of tokens that do not occur
// are left as they were.
// Example: V = 3, E = 2, B = 2, n = 2, ctx {1, 1, 0, 2}, dx {1, 2, 3, 4, 5, 6, 7, 8} and a
// zero dwte give dwte {5, 6, 4, 6, 7, 8}.
void ex_embed_backward(float *dwte, const float *dx, const int32_t *ctx, int B, int n, int E,
                       int V);

// --- 4. clipping by global norm (section 5, "Exploding steps and clipping") ------------------
// grads (n) are all the gradients of a model, one flat block. Computes their global L2 norm
// (summed in double: squares of large floats overflow a float) and returns it, the norm
// BEFORE clipping. When it exceeds max_norm (>= 0), scales every gradient by the factor the
// chapter gives (PyTorch's clip_grad_norm_, with its small constant), so that the norm comes
// out at max_norm; otherwise leaves grads untouched, bit for bit. n may be 0 (norm 0).
// Example: grads {3, 4}, max_norm 1 returns 5 and leaves grads {0.6, 0.8}.
double ex_clip_grad_norm(float *grads, size_t n, double max_norm);

// --- 5. open: the MLP on names (section 8, "Comparing with the n-grams") ----------------------
// An answer you find by running lmlab, not by writing code: put it in exercises.c as a
// constant. Train the chapter's MLP with the command of section 8 (5000 steps) and give its
// loss on the VALID split of `names` in nats per character (the last valid_loss of log.tsv, or
// `lmlab mlp eval --split valid`). Before you run it, guess: will it beat the 6-gram
// Kneser-Ney model of chapter 02 (valid loss 1.9496)?
double ex_open_mlp_valid_loss(void);

#endif
