// test_tfidf_weights.c: weights as text (tfidf_format_weight), the numbers of matrix.mtx.
//
// Two independent checks on every value: the C library (strtod reads the text back as the
// same double, and printf's correctly rounded decimal with one digit fewer does not), and
// lab_format_double, whose text it must repeat byte for byte.
#include "tests/helpers.h"

#include "lab/numtext.h"
#include "ngram/tfidf_internal.h"

#include <float.h>
#include <stdint.h>

// significant digits of a decimal text ("0.00123" has 3, "1.5e-07" 2)
static int digits(const char *s)
{
    int n = 0, lead = 1;
    for (; *s && *s != 'e'; s++) {
        if (*s >= '0' && *s <= '9') {
            lead = lead && *s == '0';
            n += !lead;
        }
    }
    return n;
}

static void check(double v)
{
    char a[LAB_NUMTEXT_MAX], b[LAB_NUMTEXT_MAX];
    int na = tfidf_format_weight(a, v);
    int nb = lab_format_double(b, v);
    cr_assert_eq(na, (int)strlen(a), "%.17g: length %d of '%s'", v, na, a);
    cr_assert_str_eq(a, b, "%.17g (bits %a): '%s', lab_format_double says '%s'", v, v, a, b);
    cr_assert_eq(nb, na);
    cr_assert(strtod(a, NULL) == v, "%.17g: '%s' reads back as %.17g", v, a, strtod(a, NULL));
    int nd = digits(a);
    if (nd > 1) {
        char shorter[64];
        snprintf(shorter, sizeof shorter, "%.*e", nd - 2, v);
        cr_assert(strtod(shorter, NULL) != v, "%.17g: '%s' has %d digits, '%s' has fewer", v, a,
                  nd, shorter);
    }
}

static uint64_t next(uint64_t *s) // splitmix64
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

Test(tfidf_weights, hand_values_are_the_shortest_decimals)
{
    const struct {
        double v;
        const char *text;
    } cases[] = {
        {1.0, "1"},
        {0.5, "0.5"},
        {0.1, "0.1"},
        {0.7071067811865475, "0.7071067811865475"},  // 1/sqrt(2) of the hand example
        {0.5493512310263033, "0.5493512310263033"},
        {0.40142857372745955, "0.40142857372745955"},
        {1e-5, "0.00001"},
        {1.5e-7, "1.5e-07"},
        {1e-10, "1e-10"},
        {0x1p-30, "9.313225746154785e-10"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char out[LAB_NUMTEXT_MAX];
        tfidf_format_weight(out, cases[i].v);
        cr_assert_str_eq(out, cases[i].text);
        check(cases[i].v);
    }
}

Test(tfidf_weights, every_weight_reads_back_and_matches_lab_format_double, .timeout = 600)
{
    uint64_t rng = 20240611;
    // uniform bit patterns over 1e-10 .. 1 (every exponent alike), and the values rows hold:
    // a count times an idf over a norm
    const double lo = 1e-10;
    uint64_t blo, bhi;
    double one = 1.0;
    memcpy(&blo, &lo, 8);
    memcpy(&bhi, &one, 8);
    for (int i = 0; i < 400000; i++) {
        uint64_t b = blo + next(&rng) % (bhi - blo + 1);
        double v;
        memcpy(&v, &b, 8);
        check(v);
        double c = (double)(1 + next(&rng) % 9), idf = 1 + log((double)(1 + next(&rng) % 1000));
        double norm = sqrt(c * c * idf * idf + (double)(next(&rng) % 50));
        check(c * idf / norm);
    }
    // powers of two (a lower gap half as wide), short decimals, the ends of the plain
    // notation, and their neighbours
    double seeds[] = {1e-10, 1e-9, 1e-6, 1e-5, 1e-4, 0.001, 0.01, 0.1, 0.2, 0.25, 0.3,
                      0.5, 0.9, 0.99999, 9.5e-6, 9.999999999999999e-6};
    for (size_t i = 0; i < sizeof seeds / sizeof *seeds; i++) {
        double v = seeds[i];
        for (int k = 0; k < 200; k++) {
            check(v);
            v = nextafter(v, 0);
        }
        v = seeds[i];
        for (int k = 0; k < 200 && v < 1; k++) {
            check(v);
            v = nextafter(v, 2);
        }
    }
    for (int e = 1; e <= 34; e++) {
        double p = ldexp(1.0, -e);
        check(p);
        check(nextafter(p, 0));
        check(nextafter(p, 1));
    }
    for (int d = 1; d <= 17; d++) { // 0.d, 0.dd, ...: every short decimal with its neighbours
        for (int k = 0; k < 2000; k++) {
            uint64_t w = next(&rng) % 100000;
            double v = (double)w / pow(10, 5 + (d % 5));
            if (v >= 1e-10 && v < 1) {
                check(v);
                check(nextafter(v, 0));
                check(nextafter(v, 1));
            }
        }
    }
}

Test(tfidf_weights, values_outside_the_weight_range_take_lab_format_double)
{
    const double vals[] = {0.0, -0.0, 1.5, 123.25, 1e-11, 5e-324, -0.5, DBL_MAX, 1e17};
    for (size_t i = 0; i < sizeof vals / sizeof *vals; i++) {
        char a[LAB_NUMTEXT_MAX], b[LAB_NUMTEXT_MAX];
        tfidf_format_weight(a, vals[i]);
        lab_format_double(b, vals[i]);
        cr_assert_str_eq(a, b);
    }
}
