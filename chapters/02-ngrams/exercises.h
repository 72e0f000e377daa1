// exercises.h: chapter 02, n-grams and smoothing: the functions you write.
//
// Each comment below is the specification its test checks. You complete the bodies in
// exercises.c; `make check CH=02` builds your file against the tests and grades it.
//
// Notation (as in the chapter): h is a context (the n-1 tokens before), w the next token.
//   c(h,w)  how many times the n-gram "h w" was counted in training
//   c(h)    sum over every w of c(h,w): how many times h was followed by a predicted token
//   V       the vocabulary the model predicts: the training types + </s> + <unk>
// Counts are integers (long long); a probability is a double. Watch for integer division:
// in C, 1 / 3 is 0 when both sides are integers.
#ifndef EX02_H
#define EX02_H

#include <stdint.h>

// --- 1. Laplace (add-one) smoothing ----------------------------------------------------------
// Pretend every one of the V tokens was seen once more after h than it was:
//
//     P(w | h) = (c(h,w) + 1) / (c(h) + V)
//
// 0 <= c_hw <= c_h, V >= 1. An unseen context (c_h == 0) gives 1/V. For a fixed h the V
// probabilities sum to 1.
// Example: c_hw = 1, c_h = 2, V = 5 gives 2/7 = 0.2857.
double ex_laplace_prob(long long c_hw, long long c_h, long long V);

// --- 2. add-k smoothing -----------------------------------------------------------------------
// Laplace with a pseudo-count k > 0 in place of 1 (k is usually well below 1):
//
//     P(w | h) = (c(h,w) + k) / (c(h) + k V)
//
// k = 1 is Laplace; as k -> 0 it tends to the maximum-likelihood c(h,w)/c(h).
// Example: c_hw = 1, c_h = 2, k = 0.5, V = 5 gives 1.5 / 4.5 = 0.3333.
double ex_addk_prob(long long c_hw, long long c_h, double k, long long V);

// --- 3. interpolation -----------------------------------------------------------------------
// Mix the counts of this order with the next lower order's probability p_lower (the same w
// after the context h shortened by its oldest token), weighted by eps > 0:
//
//     P(w | h) = (c(h,w) + eps * p_lower) / (c(h) + eps)
//
// At order 1 the context is empty, c(h) is the number of training tokens and p_lower is the
// uniform 1/V. An unseen context (c_h == 0) gives p_lower. If p_lower sums to 1 over the V
// tokens, so does P(. | h).
// Example: c_hw = 2, c_h = 4, eps = 1, p_lower = 0.25 gives 2.25 / 5 = 0.45.
double ex_interp_prob(long long c_hw, long long c_h, double eps, double p_lower);

// --- 4. modified Kneser-Ney discounts ---------------------------------------------------------
// The three discounts of modified Kneser-Ney (Chen and Goodman 1998) from the counts of
// counts of one order: t[j-1] = t_j = the number of n-grams seen exactly j times, j = 1..4.
//
//     Y   = t1 / (t1 + 2 t2)
//     D1  = 1 - 2 Y t2 / t1
//     D2  = 2 - 3 Y t3 / t2
//     D3+ = 3 - 4 Y t4 / t3
//
// Writes D[0] = D1, D[1] = D2, D[2] = D3+ and returns 0.
// When the counts cannot give them, that is when any t_j is 0 or any D_j falls outside the
// open interval (0, j), writes the fixed fallback D = {0.5, 1.0, 1.5} (all three, even if only
// one estimate was bad) and returns -1.
// Example: t = {10, 5, 3, 2}: Y = 0.5, D = {0.5, 1.1, 1.6667}, returns 0.
int ex_kn_discounts(const uint64_t t[4], double D[3]);

// --- 5. interpolated Kneser-Ney ---------------------------------------------------------------
// The probability of w after h, given:
//   a        the count of "h w" (a Kneser-Ney adjusted count below the top order)
//   S        the sum of a over every w after h
//   D        the discounts D1, D2, D3+ of this order
//   n        n[0], n[1], n[2]: how many distinct w follow h with a == 1, a == 2, a >= 3
//   p_lower  the Kneser-Ney probability of w at the next lower order
//
//     P(w | h) = max(a - D(a), 0) / S + gamma(h) * p_lower
//     D(a)     = 0 if a == 0, D1 if a == 1, D2 if a == 2, D3+ if a >= 3
//     gamma(h) = (D1 n1 + D2 n2 + D3+ n3+) / S
//
// gamma(h) is exactly the mass the discounts took from the seen tokens, handed to the lower
// order. An unseen context (S == 0) gives p_lower.
// Example: a = 1, S = 2, D = {0.5, 1.0, 1.5}, n = {2, 0, 0}, p_lower = 0.2:
//   gamma = (0.5 * 2) / 2 = 0.5, P = (1 - 0.5) / 2 + 0.5 * 0.2 = 0.35.
double ex_kn_prob(long long a, long long S, const double D[3], const long long n[3],
                  double p_lower);

#endif
