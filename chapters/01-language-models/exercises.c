// exercises.c: chapter 01, your solutions. Replace each TODO(student) body; the
// specifications are in exercises.h. Check your work with
//
//     make check CH=01
//
// which prints one line per exercise: pass, or what came, what was expected and a hint.
#include "exercises.h"

#include <math.h>

double ex_sentence_logprob(const double *cond, int n)
{
    // TODO(student): return the sum of log(cond[i]) for i = 0 .. n-1.
    // log(0.0) is -INFINITY, and -INFINITY plus anything finite stays -INFINITY, so a plain
    // loop already handles impossible tokens. Do not multiply the probabilities first.
    return 1.0;
}

double ex_mean_loss(const double *p, int n)
{
    // TODO(student): return -(1/n) times the sum of log(p[i]).
    // Mind the sign (the loss is >= 0) and divide by n as a double.
    return -1.0;
}

double ex_perplexity(const double *p, int n)
{
    // TODO(student): return exp of the mean loss of p. You may call ex_mean_loss.
    return 0.0;
}

double ex_bits_per_token(double loss)
{
    // TODO(student): convert nats to bits: divide by ln 2 (log(2.0), or M_LN2).
    return -1.0;
}

double ex_word_perplexity(double total_nats, long long words)
{
    // TODO(student): return exp(total_nats / words), dividing as doubles.
    return 0.0;
}
