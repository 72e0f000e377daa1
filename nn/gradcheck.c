// gradcheck.c: the finite-difference gradient check every backward pass is tested with.
//
// Central differences in double around float32 parameters. Why the defaults (h = 1e-3,
// rtol = 1e-2, atol = 1e-3) suit a float32 forward whose loss is summed in double:
// - truncation: the central difference errs by h^2 f''' / 6, about 1e-7 for smooth layers;
// - rounding: each float output carries a relative error near 6e-8, so a loss of size |L|
//   built from them errs by about 6e-8 |L| (more with many terms), and dividing by 2h turns
//   that into 3e-5 |L| in the slope. For losses of order 1-10, atol = 1e-3 sits well above
//   this noise, while a wrong gradient (a missing term, a wrong sign, a factor of 2) misses by
//   a relative 1e-1 or more, far beyond rtol = 1e-2.
// - the step is exact: x +- h is rounded to float, and the difference is divided by the
//   distance between the two rounded points, computed exactly in double.
// Kinks (relu at 0) have no derivative: tests keep inputs at least 2h away from them.
#include "nn/nn.h"

#include <math.h>

int nn_gradcheck(const char *what, NnLossFn f, void *ctx, float *x, const float *grad, size_t n,
                 const NnGradcheckOpts *opts, NnGradcheckReport *report)
{
    NnGradcheckOpts o = opts ? *opts : NN_GRADCHECK_DEFAULTS;
    NnGradcheckReport worst = {0, 0.0, 0.0, -1.0};
    for (size_t i = 0; i < n; i++) {
        float saved = x[i];
        float xp = (float)(saved + o.h), xm = (float)(saved - o.h);
        x[i] = xp;
        double fp = f(x, ctx);
        x[i] = xm;
        double fm = f(x, ctx);
        x[i] = saved;
        double numeric = (fp - fm) / ((double)xp - (double)xm);
        double analytic = grad[i];
        double tol = o.atol + o.rtol * fmax(fabs(analytic), fabs(numeric));
        double excess = fabs(analytic - numeric) / tol;
        if (!(excess <= worst.excess)) { // NaN counts as the worst
            worst = (NnGradcheckReport){i, analytic, numeric, excess};
        }
    }
    if (report) {
        *report = worst;
    }
    if (n > 0 && !(worst.excess <= 1.0)) {
        return lab_error("gradient check '%s' failed at element %zu of %zu: analytic %.6g, "
                         "numeric %.6g (%.3g times the tolerance)",
                         what, worst.worst, n, worst.analytic, worst.numeric, worst.excess);
    }
    return 0;
}
