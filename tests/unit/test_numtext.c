// test_numtext.c: lab_format_double and lab_parse_double against the C library: every text
// the formatter writes reads back as the same bits and is no longer than the shortest that
// printf can write, and the parser gives strtod's double bit for bit.
#include "tests/helpers.h"

#include <float.h>
#include <stdint.h>

#include "lab/numtext.h"

static uint64_t bits(double v)
{
    uint64_t b;
    memcpy(&b, &v, sizeof b);
    return b;
}

static double from_bits(uint64_t b)
{
    double v;
    memcpy(&v, &b, sizeof v);
    return v;
}

// splitmix64: the test's own stream of bit patterns
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// The significant digits of a decimal text (sign, point, leading zeros and exponent dropped).
static void sig_digits(const char *s, char *out)
{
    int n = 0, started = 0;
    for (; *s && *s != 'e' && *s != 'E'; s++) {
        if (*s >= '1' && *s <= '9') {
            started = 1;
        }
        if (started && *s >= '0' && *s <= '9') {
            out[n++] = *s;
        }
    }
    while (n > 1 && out[n - 1] == '0') {
        n--;
    }
    out[n] = '\0';
}

// The shortest text printf can give that reads back as v: the first %.*e that strtod takes
// back to v.
static void printf_shortest(double v, char *out, size_t size)
{
    for (int prec = 0; prec <= 16; prec++) {
        snprintf(out, size, "%.*e", prec, v);
        if (strtod(out, NULL) == v) {
            return;
        }
    }
}

// v formatted: reads back (by lab_parse_double and by strtod) as the same bits, and its
// digits are those of printf's shortest, or fewer.
static void check_format(double v)
{
    char got[LAB_NUMTEXT_MAX + 8];
    memset(got, 'x', sizeof got);
    int n = lab_format_double(got, v);
    cr_assert_eq((size_t)n, strlen(got), "length %d returned for '%s'", n, got);
    cr_assert_lt(n, LAB_NUMTEXT_MAX, "'%s' is longer than LAB_NUMTEXT_MAX", got);
    double back;
    const char *end;
    cr_assert_eq(lab_parse_double(got, &end, &back), 0);
    cr_assert_eq(end, got + n, "'%s' was not read to its end", got);
    cr_assert_eq(bits(back), bits(v), "%a written '%s' reads back as %a", v, got, back);
    cr_assert_eq(bits(strtod(got, NULL)), bits(v), "%a written '%s': strtod reads %a", v, got,
                 strtod(got, NULL));
    char ref[64], dg[32], dr[32];
    printf_shortest(v, ref, sizeof ref);
    sig_digits(got, dg);
    sig_digits(ref, dr);
    cr_assert_leq(strlen(dg), strlen(dr), "%a written '%s', printf's shortest is '%s'", v, got,
                  ref);
    if (strlen(dg) == strlen(dr)) {
        cr_assert_str_eq(dg, dr, "%a written '%s', printf's nearest as short is '%s'", v, got,
                         ref);
    }
}

// s parsed: the same double and the same end as strtod.
static void check_parse(const char *s)
{
    char *want_end;
    double want = strtod(s, &want_end);
    const char *end;
    double got;
    int r = lab_parse_double(s, &end, &got);
    cr_assert_eq(bits(got), bits(want), "'%s': parsed %a, strtod gives %a", s, got, want);
    cr_assert_eq(end, want_end, "'%s': stopped after %td bytes, strtod after %td", s, end - s,
                 want_end - s);
    cr_assert_eq(r, want_end == s ? -1 : 0, "'%s': returned %d", s, r);
}

Test(numtext, random_bit_patterns_round_trip_in_the_fewest_digits)
{
    uint64_t seed = 1;
    for (int i = 0; i < 200000; i++) {
        double v = from_bits(next_u64(&seed));
        if (!isfinite(v)) {
            continue;
        }
        check_format(v);
    }
}

Test(numtext, values_of_every_magnitude_round_trip_in_the_fewest_digits)
{
    // a random significand at every binary exponent, subnormals included
    uint64_t seed = 2;
    for (int e = 0; e < 2047; e++) {
        for (int i = 0; i < 40; i++) {
            uint64_t b = ((uint64_t)e << 52) | (next_u64(&seed) >> 12);
            check_format(from_bits(b));
            check_format(-from_bits(b));
        }
    }
}

Test(numtext, log10_probabilities_as_arpa_files_hold_them_round_trip)
{
    uint64_t seed = 3;
    for (int i = 0; i < 100000; i++) {
        double p = (double)(next_u64(&seed) >> 11) / 9007199254740992.0;
        double ln = log(p > 0 ? p : 1e-300);
        check_format(log10(p > 0 ? p : 1e-300));
        check_format(ln / M_LN10);
        check_format(p);
    }
    // short values come out short
    char out[LAB_NUMTEXT_MAX];
    const struct {
        double v;
        const char *text;
    } want[] = {
        {-99, "-99"},      {0.5, "0.5"},          {-0.30103, "-0.30103"}, {0.1, "0.1"},
        {1e-5, "0.00001"}, {1.5e-7, "1.5e-07"},   {1e17, "1e+17"},        {12345, "12345"},
        {0, "0"},          {-0.0, "-0"},          {1e300, "1e+300"},      {1e-300, "1e-300"},
        {INFINITY, "inf"}, {-INFINITY, "-inf"},   {NAN, "nan"},           {2.5e-10, "2.5e-10"},
        {123456789012.5, "123456789012.5"},       {-1.0 / 3, "-0.3333333333333333"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        lab_format_double(out, want[i].v);
        cr_assert_str_eq(out, want[i].text, "%a: wrote '%s', expected '%s'", want[i].v, out,
                         want[i].text);
    }
}

Test(numtext, powers_of_ten_and_the_boundaries_round_trip)
{
    char s[64];
    for (int e = -330; e <= 310; e++) {
        snprintf(s, sizeof s, "1e%d", e);
        check_parse(s);
        double v = strtod(s, NULL);
        if (isfinite(v)) {
            check_format(v);
            check_format(nextafter(v, 0));
            check_format(nextafter(v, INFINITY));
        }
    }
    const double edge[] = {DBL_MIN, DBL_MAX, DBL_EPSILON, DBL_TRUE_MIN, 4.9406564584124654e-324,
                           2.2250738585072009e-308, 1.0, 2.0, 9007199254740992.0, 1e-10, 1e12,
                           0.1, 0.2, 0.3, 5e-324, 1.7976931348623157e308};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        check_format(edge[i]);
        check_format(nextafter(edge[i], 0));
        check_format(nextafter(edge[i], INFINITY));
    }
}

Test(numtext, parser_agrees_with_strtod_on_random_decimals)
{
    uint64_t seed = 4;
    char s[96];
    for (int i = 0; i < 300000; i++) {
        uint64_t r = next_u64(&seed);
        int ndig = 1 + (int)(r % 24), point = (int)((r >> 8) % (uint64_t)(ndig + 1));
        int n = 0;
        if ((r >> 16) & 1) {
            s[n++] = '-';
        }
        for (int d = 0; d < ndig; d++) {
            if (d == point && d > 0) {
                s[n++] = '.';
            }
            uint64_t x = next_u64(&seed);
            s[n++] = (char)('0' + x % 10);
        }
        if ((r >> 17) & 1) {
            n += snprintf(s + n, sizeof s - (size_t)n, "e%d", (int)((r >> 20) % 80) - 40);
        }
        s[n] = '\0';
        check_parse(s);
    }
    // texts printf writes, at every precision
    for (int i = 0; i < 100000; i++) {
        double v = from_bits(next_u64(&seed));
        if (!isfinite(v)) {
            continue;
        }
        snprintf(s, sizeof s, "%.*g", (int)(i % 20) + 1, v);
        check_parse(s);
    }
}

Test(numtext, halfway_decimals_round_to_even_as_strtod_does)
{
    // 2^53 + 1 lies halfway between two doubles: the 64-bit step lands on the midpoint
    char s[96];
    for (int k = 53; k < 64; k++) {
        long double mid = ldexpl(1.0L, k) + ldexpl(1.0L, k - 53);
        snprintf(s, sizeof s, "%.0Lf", mid);
        check_parse(s);
        snprintf(s, sizeof s, "%.0Lf", mid + ldexpl(1.0L, k - 52));
        check_parse(s);
        snprintf(s, sizeof s, "%.0Lfe-3", mid);
        check_parse(s);
    }
    // exact midpoints between neighbouring doubles near 1, written in full (more than 19 digits)
    uint64_t seed = 5;
    for (int i = 0; i < 2000; i++) {
        double v = 1.0 + (double)(next_u64(&seed) >> 12) / 4503599627370496.0;
        long double mid = ((long double)v + (long double)nextafter(v, 2.0)) / 2;
        snprintf(s, sizeof s, "%.60Lf", mid);
        check_parse(s);
    }
}

Test(numtext, parser_stops_where_strtod_stops)
{
    const char *cases[] = {"12abc", "1e", "1e+", "1e-x", ".5", "5.", "-.5e-3", "+3", "0x1p3",
                           "  12", "inf", "-infinity", "nan", "abc", "", "-", ".", "1.5E+2x",
                           "007", "0.000000000000000000000000000000000001", "1e999999999",
                           "1e-999999999", "123456789012345678901234567890", "-0", "0e5",
                           "99999999999999999999e-20", "4.9406564584124654e-324", "1e-400"};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        check_parse(cases[i]);
    }
}

// --- the shortest decimal against its definition ----------------------------------------------
// lab_shortest_decimal against the C library alone: its decimal reads back as v (strtod); no
// decimal with one digit fewer does (printf's correctly rounded one and its two neighbours
// are the only candidates that near v); and it is printf's shortest ("%.*e" at the first
// precision strtod reads back as v), digit for digit, unless v is a power of two, whose lower
// gap is half as wide: there a decimal above v may read back where printf's nearer one, below
// v, does not, and the shortest has fewer digits than printf's.

// c 10^e as text, for strtod
static double read_back(uint64_t c, int e)
{
    char s[48];
    snprintf(s, sizeof s, "%llue%d", (unsigned long long)c, e);
    return strtod(s, NULL);
}

// printf's v to p significant digits: the digits as an integer, and the exponent of the last
static uint64_t printf_digits(double v, int p, int *e)
{
    char s[48];
    snprintf(s, sizeof s, "%.*e", p - 1, v);
    uint64_t c = 0;
    const char *q = s;
    for (; *q != 'e'; q++) {
        if (*q >= '0' && *q <= '9') {
            c = c * 10 + (uint64_t)(*q - '0');
        }
    }
    *e = atoi(q + 1) - (p - 1);
    return c;
}

static int ndigits(uint64_t c)
{
    int n = 0;
    for (; c; c /= 10) {
        n++;
    }
    return n;
}

static void check_shortest(double v)
{
    uint64_t c;
    int e;
    int exact = lab_shortest_decimal(v, &c, &e);
    cr_assert_eq(exact, v >= 1e-10 && v < 1e17, "%a: exact method %d", v, exact);
    cr_assert(c % 10 != 0, "%a: %llue%d has a trailing zero", v, (unsigned long long)c, e);
    cr_assert_eq(bits(read_back(c, e)), bits(v), "%a: %llue%d reads back as %a", v,
                 (unsigned long long)c, e, read_back(c, e));
    int nd = ndigits(c);
    if (nd > 1) { // nothing shorter reads back
        int es;
        uint64_t r = printf_digits(v, nd - 1, &es);
        for (int d = -1; d <= 1; d++) {
            if (r + (uint64_t)d > 0) {
                cr_assert_neq(bits(read_back(r + (uint64_t)d, es)), bits(v),
                              "%a: %llue%d has %d digits but %llue%d reads back", v,
                              (unsigned long long)c, e, nd, (unsigned long long)(r + d), es);
            }
        }
    }
    int p = 1, ep = 0;
    uint64_t want = 0;
    for (; p <= 17; p++) {
        want = printf_digits(v, p, &ep);
        if (read_back(want, ep) == v) {
            break;
        }
    }
    while (want % 10 == 0) {
        want /= 10;
        ep++;
    }
    uint64_t b = bits(v);
    int pow2 = (b & ((1ull << 52) - 1)) == 0;
    if (nd < ndigits(want)) {
        cr_assert(pow2, "%a: %llue%d is shorter than printf's %llue%d, and v is no power of two",
                  v, (unsigned long long)c, e, (unsigned long long)want, ep);
    } else {
        cr_assert(c == want && e == ep, "%a: %llue%d, printf's shortest is %llue%d", v,
                  (unsigned long long)c, e, (unsigned long long)want, ep);
    }
}

Test(numtext, shortest_decimal_is_printf_shortest_for_arpa_log10_values, .timeout = 600)
{
    // what the ARPA writer formats: log10 of probabilities and backoff weights, ln / ln 10
    uint64_t seed = 6;
    for (int i = 0; i < 1000000; i++) {
        uint64_t r = next_u64(&seed);
        double u = (double)(r >> 11) / 9007199254740992.0; // [0, 1)
        double ln = i % 2 ? log(u > 0 ? u : 1e-300) : -u * 1e3 * pow(10, -(double)(r % 13));
        double x = fabs(ln / M_LN10);
        if (x >= 1e-10 && x < 1e17) {
            check_shortest(x);
        }
    }
}

Test(numtext, shortest_decimal_is_printf_shortest_over_the_exact_range, .timeout = 600)
{
    // bit patterns uniform over 1e-10 .. 1e17: every binary exponent there alike
    const double lo = 1e-10, hi = 1e17;
    uint64_t blo = bits(lo), bhi = bits(hi), seed = 7;
    for (int i = 0; i < 1000000; i++) {
        check_shortest(from_bits(blo + next_u64(&seed) % (bhi - blo)));
    }
}

// v and its two neighbours on either side, those that are positive and finite
static void check_shortest_around(double v)
{
    double w = nextafter(nextafter(v, 0), 0);
    for (int k = 0; k < 5; k++, w = nextafter(w, INFINITY)) {
        if (w > 0 && isfinite(w)) {
            check_shortest(w);
        }
    }
}

Test(numtext, shortest_decimal_at_powers_ends_and_midpoints)
{
    // powers of ten, the ends of the exact range among them, and of two (a lower gap half as
    // wide), each with its neighbours
    char s[64];
    for (int e = -12; e <= 18; e++) {
        snprintf(s, sizeof s, "1e%d", e);
        check_shortest_around(strtod(s, NULL));
    }
    for (int e = -40; e <= 60; e++) {
        check_shortest_around(ldexp(1.0, e));
    }
    const double edge[] = {0.1, 0.2, 0.3, 0.5, 0.7071067811865475, 99, 1e-5, 9.5e-6,
                           9.999999999999999e-6, 123456789012.5, 9007199254740992.0,
                           99999999999999990.0, 1e16 - 2, M_LN10, 1 / M_LN10, 4.342944819032518};
    for (size_t i = 0; i < sizeof edge / sizeof edge[0]; i++) {
        check_shortest_around(edge[i]);
    }
    // the doubles nearest the midpoints of neighbouring 16- and 17-digit decimals (c + 1/2)
    // 10^e, where the choice between c and c + 1 is closest, and their neighbours
    uint64_t seed = 8;
    for (int i = 0; i < 20000; i++) {
        uint64_t r = next_u64(&seed);
        int nd = 16 + (int)(r & 1);
        uint64_t c = lab_pow10_u64[nd - 1] + next_u64(&seed) % (9 * lab_pow10_u64[nd - 1]);
        int e = (int)((r >> 8) % 27) - 10 - nd; // the first digit's exponent in -10 .. 16
        snprintf(s, sizeof s, "%llu5e%d", (unsigned long long)c, e - 1);
        double v = strtod(s, NULL);
        if (v >= 1e-10 && v < 1e17) {
            check_shortest_around(v);
        }
    }
}
