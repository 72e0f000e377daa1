// exercises.h: chapter 01, language models and perplexity: the functions you write.
//
// Each comment below is the specification its test checks. You complete the bodies in
// exercises.c; `make check CH=01` builds your file against the tests and grades it.
//
// Conventions, as everywhere in lmlab: a probability is a double in [0, 1]; "log" is the
// natural logarithm (log() in <math.h>), so log-probabilities and losses are in nats; a loss is
// a mean over tokens (nats per token). Nothing here allocates or prints.
#ifndef EX01_H
#define EX01_H

// --- 1. the chain rule ----------------------------------------------------------------------
// The log-probability of a whole sequence from its conditional probabilities:
//
//     ln P(w_1 .. w_n) = sum_{i=1..n} ln P(w_i | w_1 .. w_{i-1})
//
// cond[i] (i = 0 .. n-1) is the model's probability of the i-th token given all the tokens
// before it; n >= 1. Returns a number <= 0.
// Add logarithms; do not multiply probabilities and take the log at the end: a sentence of
// a few hundred tokens can have a probability below 5e-324, the smallest positive double,
// and the product would underflow to 0.
// A token of probability 0 makes the whole sequence impossible: the result is -INFINITY.
// Example: cond = {0.5, 0.25} gives ln(0.125) = -2.0794.
double ex_sentence_logprob(const double *cond, int n);

// --- 2. the loss ------------------------------------------------------------------------------
// The loss of a model on n tokens (n >= 1): the mean negative log-likelihood (the
// cross-entropy), in nats per token:
//
//     loss = -(1/n) sum_{i=0..n-1} ln p[i]
//
// where p[i] is the probability the model gave to the token that really came.
// If any p[i] is 0 the loss is +INFINITY: no finite number of nats pays for an event the model
// called impossible. This is why a maximum-likelihood model, which gives 0 to everything it
// did not see in training, has an infinite loss on new text.
// Example: p = {0.5, 0.25, 0.125} gives (ln 2 + 2 ln 2 + 3 ln 2) / 3 = 2 ln 2 = 1.3863.
double ex_mean_loss(const double *p, int n);

// --- 3. perplexity -------------------------------------------------------------------------
// The perplexity of a model on n tokens (n >= 1) from the probabilities it gave them:
//
//     ppl = exp(loss) = exp(-(1/n) sum ln p[i])
//
// that is, 1 / (the geometric mean of the p[i]). It is the effective branching factor: a model
// that spreads its probability evenly over V tokens (every p[i] = 1/V) has perplexity V; a
// model that is always sure and right (every p[i] = 1) has perplexity 1. It is >= 1, and
// +INFINITY if any p[i] is 0.
// Example: p = {0.5, 0.25, 0.125} gives exp(2 ln 2) = 4.
double ex_perplexity(const double *p, int n);

// --- 4. bits per token ---------------------------------------------------------------------
// The same loss in bits instead of nats: bits = loss / ln 2 (one bit is ln 2 = 0.6931 nats).
// For a char tokenizer this is bits per character, the unit of text compression: a model with
// loss L could compress the text to about L / ln 2 bits per character.
// INFINITY stays INFINITY.
// Example: loss = ln 8 = 2.0794 nats gives 3 bits.
double ex_bits_per_token(double loss);

// --- 5. word-level perplexity ---------------------------------------------------------------
// Perplexity per word rather than per token, so that models with different tokenizers can be
// compared on the same text:
//
//     word ppl = exp(total_nats / words)
//
// total_nats is the sum of -ln p over ALL the tokens of the text (not the mean), words the
// number of whitespace-separated words in it (words >= 1). A char model and a word model of
// the same text have the same total_nats for equally good predictions, whatever their token
// counts. INFINITY stays INFINITY.
// Example: total_nats = 10, words = 5 gives exp(2) = 7.3891.
double ex_word_perplexity(double total_nats, long long words);

#endif
