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

// got and want printed with just enough digits to tell them apart
static inline void show2(double got, double want, char *g, char *w, size_t size)
{
    for (int digits = 5; digits <= 17; digits++) {
        snprintf(g, size, "%.*g", digits, got);
        snprintf(w, size, "%.*g", digits, want);
        if (strcmp(g, w) != 0) {
            break;
        }
    }
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
            char call_[512], gs_[40], ws_[40];                                                     \
            snprintf(call_, sizeof call_, __VA_ARGS__);                                            \
            show2(got_, want_, gs_, ws_, sizeof gs_);                                              \
            cr_assert_fail("%s = %s, expected %s\n%s", call_, gs_, ws_, (hint));                   \
        }                                                                                          \
    } while (0)

#define N_OF(a) ((int)(sizeof(a) / sizeof((a)[0])))

static inline double uniform_in(LabRng *rng, double lo, double hi)
{
    return lo + (hi - lo) * lab_rng_uniform(rng);
}

#endif
