// exercises.h: chapter 01, language models and perplexity: the functions you write.
//
// Each comment below is the contract its test checks: what to compute, its inputs and
// outputs, the edge cases, and where in the chapter (README.md) the idea is taught. The
// formulas are in the chapter, not here: read the section, then write the function.
// `make check CH=01` grades exercises.c; `make run-student CH=01` runs the lab with your
// functions in its place.
//
// Conventions, as everywhere in lmlab: a probability is a double in [0, 1]; "log" is the
// natural logarithm, so log-probabilities and losses are in nats; a loss is a mean over tokens
// (nats per token). Nothing here allocates or prints.
#ifndef EX01_H
#define EX01_H

// --- 1. the chain rule (section 1, "What a language model is") ----------------------------------
// The natural log of the probability of a whole sequence of n >= 1 tokens, given cond[i], the
// model's probability of token i given every token before it. The result is <= 0.
// The test scores a sentence whose probability is far below the smallest positive double
// (about 5e-324): your result must stay finite and exact for it.
// A token of probability 0 makes the sequence impossible: return -INFINITY.
// Example: cond = {0.5, 0.25} gives -2.0794.
double ex_sentence_logprob(const double *cond, int n);

// --- 2. the loss (section 3, "Loss and perplexity") ----------------------------------------------
// The loss of a model on n >= 1 tokens, in nats per token, from p[i], the probability the model
// gave to the token that really came. It is >= 0, 0 for a model sure and right about every
// token, and +INFINITY when any p[i] is 0.
// Example: p = {0.5, 0.25, 0.125} gives 1.3863.
double ex_mean_loss(const double *p, int n);

// --- 3. perplexity (section 3) -------------------------------------------------------------------
// The perplexity of the same n >= 1 probabilities. It is >= 1; a model that gives every token
// 1/V has perplexity V; +INFINITY when any p[i] is 0. You may call ex_mean_loss.
// Example: p = {0.5, 0.25, 0.125} gives 4.
double ex_perplexity(const double *p, int n);

// --- 4. bits per token (section 3) ---------------------------------------------------------------
// A loss given in nats per token (>= 0), expressed in bits per token. INFINITY stays INFINITY.
// Example: loss = 2.0794 nats (ln 8) gives 3 bits.
double ex_bits_per_token(double loss);

// --- 5. word-level perplexity (section 3) --------------------------------------------------------
// The perplexity per whitespace-separated word of a text whose tokens cost total_nats in all
// (the sum over every token, not a mean) and which has words >= 1 words. INFINITY stays
// INFINITY.
// Example: total_nats = 10, words = 5 gives 7.3891.
double ex_word_perplexity(double total_nats, long long words);

// --- 6. open: read the answers off the lab (sections 2 and 3) --------------------------------------
// These return numbers you find by running lmlab, not by writing code: put them in
// exercises.c as constants.
//
// ex_open_uniform_ppl: the perplexity, on any text of `names`, of a model that gives the same
// probability to every token it can predict. Find what it depends on with `lmlab tokenize`
// (section 2 says which tokens count); the test wants the exact value.
//
// ex_open_kn4_bits: the bits per character, on the valid split, of the model
//     ./lmlab ngram train --dataset names --order 4 --smoothing kn
// read off `lmlab ngram eval` (section 3 shows how to call it). The test accepts the value
// to about two decimals.
double ex_open_uniform_ppl(void);
double ex_open_kn4_bits(void);

#endif
