// check.h: what every chapter's check.c uses to compare a student's answer and explain it.
//
// A chapter defines CHECK_TOL (the relative tolerance) and CHECK_FLOOR (0: purely relative;
// 1: absolute below 1, for values that may be near 0) before including this file.
#ifndef CHAPTERS_CHECK_H
#define CHAPTERS_CHECK_H

#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lab/lab.h"

#ifndef CHECK_TOL
#error "define CHECK_TOL (and CHECK_FLOOR) before including chapters/check.h"
#endif

// got and want agree to tol: both NaN, the same infinity, or
// |got - want| <= tol max(CHECK_FLOOR, |got|, |want|)
static inline int agree_to(double got, double want, double tol)
{
    if (isnan(want) || isnan(got)) {
        return isnan(want) && isnan(got);
    }
    if (isinf(want) || isinf(got)) {
        return got == want;
    }
    return fabs(got - want) <= tol * fmax(CHECK_FLOOR, fmax(fabs(got), fabs(want)));
}

static inline int agree(double got, double want)
{
    return agree_to(got, want, CHECK_TOL);
}

// got and want printed with just enough digits to tell them apart (at least 5); returns the
// number of significant digits used
static inline int show2(double got, double want, char *g, char *w, size_t size)
{
    int digits = 5;
    for (; digits <= 17; digits++) {
        snprintf(g, size, "%.*g", digits, got);
        snprintf(w, size, "%.*g", digits, want);
        if (strcmp(g, w) != 0) {
            break;
        }
    }
    return digits;
}

// What a near miss tells: empty when got and want differ already in their first 5 digits.
// Otherwise the relative difference and its likely cause: a value that is want rounded to
// float (or within float's precision of it) was computed in float; an integer where want
// has a fraction was cut by an integer division.
static inline const char *near_miss(double got, double want, int digits, char *buf, size_t size)
{
    buf[0] = '\0';
    if (!isfinite(got) || !isfinite(want)) {
        return buf;
    }
    double rel = fabs(got - want) / fmax(fabs(got), fabs(want));
    const char *why = "";
    if (got == (double)(float)want || rel < 1.2e-7) {
        why = "\n(that is float precision, about 7 digits: computed in float instead of "
              "double? keep every variable and constant a double)";
    } else if (got == trunc(got) && want != trunc(want) && fabs(got - want) < 1.0) {
        why = "\n(the fraction is gone: an integer division? convert to double before "
              "dividing)";
    } else if (rel < 1e-4) {
        why = "\n(close but not equal: a constant rounded by hand, such as 0.693 for ln 2, or "
              "a float variable?)";
    }
    if (digits > 5) {
        snprintf(buf, size, "\n(equal in the first %d significant digits; relative difference "
                 "%.2g)%s", digits - 1, rel, why);
    } else if (*why) {
        snprintf(buf, size, "\n(relative difference %.2g)%s", rel, why);
    }
    return buf;
}

// A wrong value that a known mistake produces, and what to say about it.
typedef struct {
    double value;
    const char *hint;
} Mistake;

// The hint of the first mistake whose value got equals, else the general one.
static inline const char *hint_for(double got, const Mistake *m, int nm, const char *general)
{
    for (int i = 0; i < nm; i++) {
        if (agree(got, m[i].value)) {
            return m[i].hint;
        }
    }
    return general;
}

// Fails the test with "CALL = GOT, expected WANT" and a hint on the next line.
#define EXPECT(got, want, hint, ...)                                                               \
    do {                                                                                           \
        double got_ = (got), want_ = (want);                                                       \
        if (!agree(got_, want_)) {                                                                 \
            char call_[512], gs_[40], ws_[40], nm_[400];                                           \
            snprintf(call_, sizeof call_, __VA_ARGS__);                                            \
            int digits_ = show2(got_, want_, gs_, ws_, sizeof gs_);                                \
            cr_assert_fail("%s = %s, expected %s%s\n%s", call_, gs_, ws_,                          \
                           near_miss(got_, want_, digits_, nm_, sizeof nm_), (hint));              \
        }                                                                                          \
    } while (0)

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static inline double uniform_in(LabRng *rng, double lo, double hi)
{
    return lo + (hi - lo) * lab_rng_uniform(rng);
}

#endif
