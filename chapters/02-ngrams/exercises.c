// exercises.c: chapter 02, your solutions. Replace each TODO(student) body; the
// specifications are in exercises.h. Check your work with
//
//     make check CH=02
//
// which prints one line per exercise: pass, or what came, what was expected and a hint.
#include "exercises.h"

#include <math.h>

double ex_laplace_prob(long long c_hw, long long c_h, long long V)
{
    // TODO(student): return (c(h,w) + 1) / (c(h) + V), computed in double (the arguments are
    // integers: convert before dividing).
    return -1.0;
}

double ex_addk_prob(long long c_hw, long long c_h, double k, long long V)
{
    // TODO(student): return (c(h,w) + k) / (c(h) + k V).
    return -1.0;
}

double ex_interp_prob(long long c_hw, long long c_h, double eps, double p_lower)
{
    // TODO(student): return (c(h,w) + eps p_lower) / (c(h) + eps).
    return -1.0;
}

int ex_kn_discounts(const uint64_t t[4], double D[3])
{
    // TODO(student): if any t[j] is 0, write the fallback {0.5, 1.0, 1.5} into D and return
    // -1. Otherwise compute Y, then D_j = j - (j+1) Y t_{j+1} / t_j for j = 1, 2, 3 (in
    // double: t holds integers). If some D_j is not strictly between 0 and j, write the
    // fallback into all of D and return -1; else return 0.
    return 1;
}

double ex_kn_prob(long long a, long long S, const double D[3], const long long n[3], double p_lower)
{
    // TODO(student): if S == 0 return p_lower. Otherwise pick D(a) (0, D[0], D[1] or D[2] for
    // a == 0, 1, 2, >= 3), compute gamma = (D[0] n[0] + D[1] n[1] + D[2] n[2]) / S and return
    // fmax(a - D(a), 0) / S + gamma * p_lower.
    return -1.0;
}
