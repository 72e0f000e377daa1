// bind.c: chapter 02's exercises in the lab's place. `make run-student CH=02` links this file
// and your exercises.c into build/student/02-ngrams/lmlab, a copy of ./lmlab in which the
// smoothing formulas below are yours: every probability that copy's `lmlab ngram train`
// writes into model.arpa (add-k and Laplace, interpolation, the Kneser-Ney discounts and
// probabilities), and so every perplexity it reports, comes from your functions. Nothing here
// is an exercise.
#include "exercises.h"

#include <math.h>

#include "ngram/ngram.h"

// The lab passes counts as doubles; they are whole numbers, as the exercises take them.
double ngram_addk_prob(double c_hw, double c_h, double k, double V)
{
    return ex_addk_prob((long long)c_hw, (long long)c_h, k, (long long)V);
}

double ngram_interp_prob(double c_hw, double c_h, double eps, double p_lower)
{
    return ex_interp_prob((long long)c_hw, (long long)c_h, eps, p_lower);
}

int ngram_kn_discounts(const uint64_t t[4], double D[3])
{
    return ex_kn_discounts(t, D);
}

double ngram_kn_prob(double a, double S, const double D[3], const double n[3], double p_lower)
{
    const long long nn[3] = {(long long)n[0], (long long)n[1], (long long)n[2]};
    return ex_kn_prob((long long)a, (long long)S, D, nn, p_lower);
}
