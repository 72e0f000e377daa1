// exercises.c: chapter 02, your solutions. Replace each TODO(student) body; the contracts are
// in exercises.h and the formulas in the chapter's README.md, in the section each names.
// Check your work with
//
//     make check CH=02
//
// which prints one line per exercise: pass, or what came, what was expected and a hint.
// Then `make run-student CH=02` trains a 4-gram Kneser-Ney model of `names` with your
// functions and shows it beside the lab's own.
#include "exercises.h"

#include <math.h>

double ex_laplace_prob(long long c_hw, long long c_h, long long V)
{
    // TODO(student): Laplace smoothing (section 4, "Laplace and add-k"). The counts are
    // integers and the result is not.
    return -1.0;
}

double ex_addk_prob(long long c_hw, long long c_h, double k, long long V)
{
    // TODO(student): add-k smoothing (section 4). Check your formula with k = 1 against
    // exercise 1, and with k near 0 against section 3.
    return -1.0;
}

double ex_interp_prob(long long c_hw, long long c_h, double eps, double p_lower)
{
    // TODO(student): one order of interpolation (section 5, "Interpolation"): the chapter
    // writes it for the unigram and the bigram; the general order has the same shape.
    return -1.0;
}

int ex_kn_discounts(const uint64_t t[4], double D[3])
{
    // TODO(student): the three discounts (section 6, "Three discounts"), with the fallback
    // of exercises.h when a t_j is 0 or an estimate leaves its range. t holds integers.
    return 1;
}

double ex_kn_prob(long long a, long long S, const double D[3], const long long n[3], double p_lower)
{
    // TODO(student): one order of interpolated Kneser-Ney (section 6, the formula that puts
    // discounting and gamma(h) together). Section 7 shows why it sums to one: your result
    // must too.
    return -1.0;
}

int ex_open_tang_order(void)
{
    // TODO(student): run the lab (exercises.h, exercise 6) and write the order here.
    return 0;
}

const char *ex_open_tang_smoothing(void)
{
    // TODO(student): and the smoothing, as the lab names it.
    return "";
}

double ex_open_tang_ppl(void)
{
    // TODO(student): and its valid perplexity.
    return 0.0;
}
