// exercises.c: chapter 01, your solutions. Replace each TODO(student) body; the contracts are
// in exercises.h and the ideas in the chapter's README.md, in the section each names. Check
// your work with
//
//     make check CH=01
//
// which prints one line per exercise: pass, or what came, what was expected and a hint.
// Then `make run-student CH=01` runs `lmlab ngram sweep` with your bits and word perplexity.
#include "exercises.h"

#include <math.h>

double ex_sentence_logprob(const double *cond, int n)
{
    // TODO(student): the log-probability of the whole sequence (section 1, "What a language
    // model is": the chain rule, then why the lab works with logarithms). It must not
    // underflow for 1000 tokens of probability 0.001, and a 0 makes it -INFINITY.
    return 1.0;
}

double ex_mean_loss(const double *p, int n)
{
    // TODO(student): the loss in nats per token (section 3, "Loss and perplexity"). Its sign:
    // >= 0. Its unit: nats, so the natural logarithm. A mean: mind C's integer division.
    return -1.0;
}

double ex_perplexity(const double *p, int n)
{
    // TODO(student): the perplexity (section 3). A uniform model over V tokens must give V.
    return 0.0;
}

double ex_bits_per_token(double loss)
{
    // TODO(student): the loss in bits (section 3, the paragraph on bits per token). One bit is
    // how many nats?
    return -1.0;
}

double ex_word_perplexity(double total_nats, long long words)
{
    // TODO(student): word-level perplexity (section 3, the end). words is an integer.
    return 0.0;
}

double ex_open_uniform_ppl(void)
{
    // TODO(student): run the lab (exercises.h, exercise 6) and write the number here.
    return 0.0;
}

double ex_open_kn4_bits(void)
{
    // TODO(student): train the model, evaluate it on valid, and write its bits here.
    return 0.0;
}
