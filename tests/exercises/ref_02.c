// ref_02.c: chapter 02's exercises bound to the lab's own code (ngram/model.c).
//
// `make test-suite` links chapters/02-ngrams/check.c with this file and requires every
// exercise test to pass: the tests and the lab agree. These are the very functions the model
// builder calls for every estimate, so a student who passes computes what `lmlab ngram train`
// computes.
#include "exercises.h"

#include "ngram/ngram.h"

double ex_laplace_prob(long long c_hw, long long c_h, long long V)
{
    return ngram_addk_prob((double)c_hw, (double)c_h, 1.0, (double)V);
}

double ex_addk_prob(long long c_hw, long long c_h, double k, long long V)
{
    return ngram_addk_prob((double)c_hw, (double)c_h, k, (double)V);
}

double ex_interp_prob(long long c_hw, long long c_h, double eps, double p_lower)
{
    return ngram_interp_prob((double)c_hw, (double)c_h, eps, p_lower);
}

int ex_kn_discounts(const uint64_t t[4], double D[3])
{
    return ngram_kn_discounts(t, D);
}

double ex_kn_prob(long long a, long long S, const double D[3], const long long n[3], double p_lower)
{
    const double nd[3] = {(double)n[0], (double)n[1], (double)n[2]};
    return ngram_kn_prob((double)a, (double)S, D, nd, p_lower);
}

// The open answers, from `lmlab ngram sweep --dataset tangpoems` (valid perplexity):
//     order          laplace            addk          interp              kn
//     4             3655.304  1798.452 k=0.001   179.738 e=100         137.888
//     5             4014.553  2647.709 k=0.001   178.177 e=100         136.301
//     6             4066.842  2884.562 k=0.001   177.210 e=100         136.111
//     best on valid: 6-gram kn, valid loss 4.9135, ppl 136.1113
int ex_open_tang_order(void)
{
    return 6;
}

const char *ex_open_tang_smoothing(void)
{
    return "kn";
}

double ex_open_tang_ppl(void)
{
    return 136.11;
}
