// ref_01.c: chapter 01's exercises bound to the lab's own code (lab/loss.c).
//
// `make test-suite` links chapters/01-language-models/check.c with this file and requires
// every exercise test to pass: the tests and the lab agree. These are not solutions to copy:
// they show which lab function each exercise mirrors.
#include "exercises.h"

#include <math.h>

#include "lab/lab.h"

// What an evaluator does: one lab_loss_add per scored token.
static LabLoss score(const double *p, int n)
{
    LabLoss l = {0};
    for (int i = 0; i < n; i++) {
        lab_loss_add(&l, p[i] > 0 ? log(p[i]) : -INFINITY);
    }
    return l;
}

double ex_sentence_logprob(const double *cond, int n)
{
    LabLoss l = score(cond, n);
    return l.zero ? -INFINITY : -l.nats;
}

double ex_mean_loss(const double *p, int n)
{
    LabLoss l = score(p, n);
    return lab_loss_mean(&l);
}

double ex_perplexity(const double *p, int n)
{
    LabLoss l = score(p, n);
    return lab_ppl(lab_loss_mean(&l));
}

double ex_bits_per_token(double loss)
{
    return lab_bits(loss);
}

double ex_word_perplexity(double total_nats, long long words)
{
    LabLoss l = {.nats = total_nats, .words = words};
    if (isinf(total_nats)) {
        l.zero = 1; // the lab keeps an infinite total as a count of impossible tokens
    }
    return lab_word_ppl(&l);
}

// The open answers, as the lab prints them: `lmlab tokenize --dataset names --counts` lists
// 26 letters, </s> and <unk> as the tokens predicted (V = 28, and a uniform model has ppl V);
// `lmlab ngram eval --model runs/names-kn4 --split valid` prints `bits 2.948913 bits/token`.
double ex_open_uniform_ppl(void)
{
    return 28.0;
}

double ex_open_kn4_bits(void)
{
    return 2.949;
}
