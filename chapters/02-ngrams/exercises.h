// exercises.h: chapter 02, n-grams and smoothing: the functions you write.
//
// Each comment below is the contract its test checks: what to compute, its inputs and
// outputs, the edge cases, and the section of the chapter (README.md) that teaches the
// formula. The formulas are in the chapter, not here: read the section, then write the
// function. `make check CH=02` grades exercises.c; `make run-student CH=02` trains a model
// with your functions in the lab's place.
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

// --- 1. Laplace (add-one) smoothing (section 4, "Laplace and add-k") ------------------------------
// P(w | h) under Laplace smoothing, from c_hw = c(h,w), c_h = c(h) and V.
// 0 <= c_hw <= c_h, V >= 1. An unseen context (c_h == 0) gives 1/V. For a fixed h the V
// probabilities sum to 1, seen or unseen.
// Example: c_hw = 1, c_h = 2, V = 5 gives 0.2857.
double ex_laplace_prob(long long c_hw, long long c_h, long long V);

// --- 2. add-k smoothing (section 4) ----------------------------------------------------------------
// P(w | h) under add-k smoothing with pseudo-count k > 0 (usually well below 1). k = 1 must
// give Laplace; as k -> 0 it must tend to the maximum-likelihood estimate of section 3.
// Example: c_hw = 1, c_h = 2, k = 0.5, V = 5 gives 0.3333.
double ex_addk_prob(long long c_hw, long long c_h, double k, long long V);

// --- 3. interpolation (section 5, "Interpolation") ------------------------------------------------
// One order of interpolation: P(w | h) from this order's counts c_hw and c_h, the weight
// eps > 0 (the chapter's e) and p_lower, the next lower order's probability of the same w.
// An unseen context (c_h == 0) gives p_lower exactly; if p_lower sums to 1 over the V tokens,
// so does the result.
// Example: c_hw = 2, c_h = 4, eps = 1, p_lower = 0.25 gives 0.45.
double ex_interp_prob(long long c_hw, long long c_h, double eps, double p_lower);

// --- 4. modified Kneser-Ney discounts (section 6, "Kneser-Ney", "Three discounts") ----------------
// The three discounts D1, D2, D3+ of one order, from its counts of counts:
// t[j-1] = t_j = the number of n-grams seen exactly j times, j = 1..4.
// Writes D[0] = D1, D[1] = D2, D[2] = D3+ and returns 0.
// When the counts cannot give them, that is when any t_j is 0 or any D_j falls outside the
// open interval (0, j), writes the fixed fallback D = {0.5, 1.0, 1.5} (all three, even if only
// one estimate was bad) and returns -1.
// Example: t = {10, 5, 3, 2} gives D = {0.5, 1.1, 1.6667} and returns 0.
int ex_kn_discounts(const uint64_t t[4], double D[3]);

// --- 5. interpolated Kneser-Ney (section 6) --------------------------------------------------------
// One order of interpolated Kneser-Ney: P(w | h), given
//   a        the count of "h w" (a(h, w) in the chapter)
//   S        the sum of a over every w after h (S(h))
//   D        the discounts D1, D2, D3+ of this order (exercise 4)
//   n        n[0], n[1], n[2]: how many distinct w follow h with a == 1, a == 2, a >= 3
//   p_lower  the Kneser-Ney probability of w at the next lower order
// A count is never discounted below 0. An unseen context (S == 0) gives p_lower. For a fixed
// h the probabilities sum to 1 over the V tokens (section 7 says why).
// Example: a = 1, S = 2, D = {0.5, 1.0, 1.5}, n = {2, 0, 0}, p_lower = 0.2 gives 0.35.
double ex_kn_prob(long long a, long long S, const double D[3], const long long n[3],
                  double p_lower);

// --- 6. open: the best model of the Tang poems (section 9, "Choosing the order and the
// smoothing", and section 12) -------------------------------------------------------------------
// These return answers you find by running lmlab, not by writing code: put them in
// exercises.c as constants. Of every order 1..6 and every smoothing of this chapter (each with
// its best k or e), which model has the lowest perplexity on the VALID split of `tangpoems`
// (char tokens, one line a sequence)?
//   ex_open_tang_order      its order
//   ex_open_tang_smoothing  its smoothing, as the lab names it: "laplace", "addk", "interp"
//                           or "kn"
//   ex_open_tang_ppl        its valid perplexity (the test accepts it to within 5%)
// Before you run it, guess: is the best order for 5,248 Chinese characters longer or shorter
// than the best order for the 28 tokens of `names`? Why?
int ex_open_tang_order(void);
const char *ex_open_tang_smoothing(void);
double ex_open_tang_ppl(void);

#endif
