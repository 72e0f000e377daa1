// exercises.c: chapter 03, your solutions. Replace each TODO(student) body; the
// specifications are in exercises.h. Check your work with
//
//     make check CH=03
//
// which prints one line per exercise: pass, or what came, what was expected and a hint.
#include "exercises.h"

#include <math.h>

double ex_idf(long N, long long df, int smooth)
{
    // TODO(student): return ln((1 + N) / (1 + df)) + 1 when smooth, else ln(N / df), computed
    // in double (N and df are integers: convert before dividing). log() is the natural log.
    return -1.0;
}

double ex_tfidf_weight(int tf, long long count, long N, long long df)
{
    // TODO(student): return 0 when count == 0. Otherwise compute tf from count (count,
    // 1, or 1 + ln(count) for EX_TF_RAW, EX_TF_BINARY, EX_TF_SUBLINEAR) and multiply it by
    // the smooth idf (you may call ex_idf).
    return -1.0;
}

double ex_cosine(const double *a, const double *b, int D)
{
    // TODO(student): accumulate a . b, a . a and b . b in one loop over the D coordinates;
    // return 0 if a . a or b . b is 0, else (a . b) / (sqrt(a . a) sqrt(b . b)).
    return 2.0;
}

double ex_ns_step(double *neu1e, const double *h, double *u, int K, double alpha, int D)
{
    // TODO(student): for j = 0..K: f = u_j . h (u_j = u + j * D); add the loss term
    // (-ln s(f) for j = 0, -ln s(-f) for the negatives); g = alpha (t - s(f)) with t = 1 for
    // j = 0, else 0; then neu1e += g u_j, and only after that u_j += g h. Return the loss.
    return -1.0;
}
