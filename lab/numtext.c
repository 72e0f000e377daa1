// numtext.c: doubles as shortest exact decimal text and back (the contract is in numtext.h).
//
// Leaves out: locales (the decimal point is always '.'), and digit grouping.
#include "lab/numtext.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The fast paths need the x87 80-bit format (64-bit significand, stored little-endian in the
// first 8 bytes); elsewhere both functions take the C library's path.
#if LDBL_MANT_DIG == 64 && (defined(__x86_64__) || defined(__i386__))
#define NUMTEXT_FAST 1
#else
#define NUMTEXT_FAST 0
#endif

#define MAX_POW 27 // 10^27 = 2^27 * 5^27 and 5^27 < 2^63: exact in a 64-bit significand

static const long double pow10l_exact[MAX_POW + 1] = {
    1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
    1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
    1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L,
};

// --- decimal to double ----------------------------------------------------------------------

// w * 10^e10 as the correctly rounded double in *out, for w < 2^64 (w > 0): returns 1 when the
// fast path decides it, 0 when the caller must ask strtod. One rounding to 64 bits (exact
// operands), then to 53: the two agree with a single rounding to 53 bits unless the 64-bit
// result is itself halfway between two doubles (a value nearer a halfway point than half a
// 64-bit unit rounds onto it), so that case is left to strtod.
static int dec_to_double(uint64_t w, int e10, double *out)
{
#if NUMTEXT_FAST
    if (e10 < -MAX_POW || e10 > MAX_POW) {
        return 0;
    }
    long double x = (long double)w;
    x = e10 >= 0 ? x * pow10l_exact[e10] : x / pow10l_exact[-e10];
    uint64_t mant;
    memcpy(&mant, &x, sizeof mant);
    if ((mant & 0x7ff) == 0x400) {
        return 0;
    }
    // (results lie in 1e-27 .. 2^64 * 1e27, normal doubles, so 53 bits is the right width)
    *out = (double)x;
    return 1;
#else
    (void)w, (void)e10, (void)out;
    return 0;
#endif
}

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

int lab_parse_double(const char *s, const char **end, double *out)
{
    const char *p = s;
    int neg = 0;
    if (*p == '-' || *p == '+') {
        neg = *p == '-';
        p++;
    }
    // hex ("0x..") and anything that is not a digit or a point (space, inf, nan) go to strtod
    if (!(is_digit(*p) || (*p == '.' && is_digit(p[1]))) ||
        (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))) {
        goto slow;
    }
    uint64_t w = 0;
    int sig = 0;     // significant digits in w (leading zeros skipped)
    int e10 = 0;     // w * 10^e10 is the digits' value
    int too_many = 0;
    for (; is_digit(*p); p++) {
        if (sig < 19) {
            w = w * 10 + (uint64_t)(*p - '0');
            sig += w != 0;
        } else {
            too_many = 1;
        }
    }
    if (too_many) {
        goto slow; // (every digit past the 19th counts: strtod rounds them exactly)
    }
    if (*p == '.') {
        p++;
        for (; is_digit(*p); p++) {
            if (sig < 19) {
                w = w * 10 + (uint64_t)(*p - '0');
                sig += w != 0;
                e10--;
            } else {
                too_many = 1;
            }
        }
        if (too_many) {
            goto slow;
        }
    }
    if (*p == 'e' || *p == 'E') {
        const char *q = p + 1;
        int eneg = 0;
        if (*q == '-' || *q == '+') {
            eneg = *q == '-';
            q++;
        }
        if (is_digit(*q)) { // else the 'e' is not part of the number, as for strtod
            int x = 0;
            for (; is_digit(*q); q++) {
                x = x < 100000 ? x * 10 + (*q - '0') : x;
            }
            e10 += eneg ? -x : x;
            p = q;
        }
    }
    double v;
    if (w == 0) {
        v = 0.0;
    } else if (!dec_to_double(w, e10, &v)) {
        goto slow;
    }
    *out = neg ? -v : v;
    if (end) {
        *end = p;
    }
    return 0;
slow:;
    char *e;
    *out = strtod(s, &e);
    if (end) {
        *end = e;
    }
    return e == s ? -1 : 0;
}

// --- double to decimal ----------------------------------------------------------------------

// The digits of w into out, no NUL; returns how many.
static int put_uint(char *out, uint64_t w)
{
    int n = lab_uint_digits(w);
    lab_put_digits(out, w, n);
    return n;
}

// Whether c * 10^e reads back as v (through the fast path, else strtod on its text).
static int reads_as(uint64_t c, int e, double v)
{
    double got;
    if (dec_to_double(c, e, &got)) {
        return got == v;
    }
    char buf[48];
    int n = put_uint(buf, c);
    n += snprintf(buf + n, sizeof buf - (size_t)n, "e%d", e);
    return strtod(buf, NULL) == v;
}

// The significand of v correctly rounded to p digits, by printf (exact in glibc).
static uint64_t rounded_by_printf(double v, int p)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.*e", p - 1, v);
    uint64_t c = 0;
    for (const char *q = buf; *q && *q != 'e'; q++) {
        if (is_digit(*q)) {
            c = c * 10 + (uint64_t)(*q - '0');
        }
    }
    return c;
}

// The sign of v - (2 lo + 1) 10^e / 2 (v > 0 finite, lo < 2^62, e in -27 .. -1): where v lies
// against the midpoint of lo 10^e and (lo + 1) 10^e, in exact integer arithmetic. With
// v = M 2^q, both sides times 5^-e 2^(1 - e - q) are A 2^s and B: A = M 5^-e < 2^116,
// B = 2 lo + 1 < 2^63.
static int side_of_midpoint(double v, uint64_t lo, int e)
{
    typedef unsigned __int128 u128;
    int e2;
    double f = frexp(v, &e2);
    uint64_t M = (uint64_t)ldexp(f, 53); // v = M 2^q exactly
    int q = e2 - 53;
    uint64_t five = 1;
    for (int i = 0; i < -e; i++) {
        five *= 5;
    }
    u128 A = (u128)M * five, B = 2 * (u128)lo + 1;
    int s = q - e + 1;
    if (s >= 0) {
        if (s >= 64 || A >> 64) {
            return 1; // A 2^s >= 2^64 > B
        }
        A <<= s;
        return A > B ? 1 : A < B ? -1 : 0;
    }
    int t = -s; // A vs B 2^t
    if (t <= 64) {
        B <<= t;
        return A > B ? 1 : A < B ? -1 : 0;
    }
    if (t >= 128) {
        return -1; // A < 2^116 <= B 2^t
    }
    u128 hi = A >> t;
    if (hi != B) {
        return hi > B ? 1 : -1;
    }
    return (A & (((u128)1 << t) - 1)) != 0;
}

// Of lo 10^e and (lo + 1) 10^e, the one printf's "%.*e" with p digits gives (the nearer to
// v; on a tie the even one; and lo when lo + 1 is 10^p, whose text printf spells with one
// digit fewer, so that the caller's search keeps lo, as it always has).
static uint64_t nearer_of(double v, uint64_t lo, int e, int p)
{
    uint64_t top = lab_pow10_u64[p]; // p <= 17
    if (lo + 1 == top || e >= 0) {
        return rounded_by_printf(v, p) == lo + 1 ? lo + 1 : lo; // (e >= 0: v >= 1e16, rare)
    }
    int side = side_of_midpoint(v, lo, e);
    return side > 0 || (side == 0 && (lo + 1) % 2 == 0) ? lo + 1 : lo;
}

// Whether c * 10^e, at distance d (units of v's 17th digit, error below 2^-6) from v, reads
// back as v, whose half-gap to the neighbouring double on that side is h units: clear-cut
// answers from the distance alone, the rest by parsing.
static int inside(uint64_t c, int e, double d, double h, double v)
{
    if (c == 0 || d > h + 0.02) {
        return 0;
    }
    return d < h - 0.02 || reads_as(c, e, v);
}

// The shortest c * 10^e (c without trailing zeros) that reads back as v > 0, finite; 0 when
// the fast path cannot say (then the caller asks printf).
//
// N = v * 10^(16 - k), v's 17-digit significand, comes from one 64-bit rounding: it is within
// 2^-7 of the truth. At each length (17 - j digits) the two decimals around v are
// lo * 10^j and (lo + 1) * 10^j with lo = floor(N / 10^j) (or one off it when N sits within
// 2^-7 of a multiple of 10^j; the decimal at that multiple is then within 2^-7 units of v and
// is found all the same). A decimal reads back as v when it lies within half the gap to the
// next double (half the lower gap below a power of two): the distances decide that, and
// parsing decides the close calls. A length that has a decimal reading back as v has one at
// every greater length, so the search walks down from 17 and stops at the first length with
// none. Of two that both read back, the nearer is kept (printf decides near their midpoint).
static int shortest_fast(double v, uint64_t *c_out, int *e_out)
{
#if NUMTEXT_FAST
    if (!(v >= 1e-10 && v < 1e12)) { // (k in -11 .. 11, every power below in the table)
        return 0;
    }
    // v = f 2^e2 with f in [1/2, 1), from the bits (v is normal here): frexp's answer
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int e2 = (int)(bits >> 52) - 1022;
    int f_half = (bits & ((1ull << 52) - 1)) == 0; // f == 1/2: v a power of two
    // k or k - 1 of floor(log10(v)): floor((e2 - 1) log10(2)) by the integer form, exact for
    // |e2| < 1650
    int k = (int)(((int64_t)(e2 - 1) * 78913) >> 18);
    long double N, scale;
    for (;;) {
        int s = 16 - k;
        scale = s >= 0 ? pow10l_exact[s] : 1 / pow10l_exact[-s];
        N = s >= 0 ? (long double)v * pow10l_exact[s] : (long double)v / pow10l_exact[-s];
        if (N < 1e17L) {
            break;
        }
        k++;
    }
    // half the gaps to the neighbouring doubles, in units of the 17th digit
    double half_ulp; // 2^(e2 - 54), a normal double here
    uint64_t hb = (uint64_t)(e2 - 54 + 1023) << 52;
    memcpy(&half_ulp, &hb, sizeof half_ulp);
    double h_up = (double)((long double)half_ulp * scale);
    double h_down = f_half ? h_up / 2 : h_up;
    // N = R + delta with R an integer, read from the significand of N + 2^63 (whose unit is
    // 1), so no conversion instruction is needed; delta in [-1/2, 1/2] is exact
    long double t = N + 0x1p63L;
    uint64_t R;
    memcpy(&R, &t, sizeof R);
    R -= 1ull << 63;
    double delta = (double)(N - (t - 0x1p63L));
    uint64_t best = 0;
    int best_e = 0;
    // j: digits cut from the 17 (candidates c * 10^(k - 16 + j))
    for (int j = 0; j <= 16; j++) {
        int e = k - 16 + j;
        uint64_t lo = j == 0 ? R : R / lab_pow10_u64[j], m = j == 0 ? 0 : R % lab_pow10_u64[j];
        // distances from N down to lo 10^j and up to (lo + 1) 10^j (exact integers, then
        // delta; large ones lose low bits but are far outside any half-gap)
        double d_lo = (double)m + delta, d_hi = (double)(lab_pow10_u64[j] - m) - delta;
        if (d_lo < 0) {
            lo--;
            d_hi = -d_lo;
            d_lo = (double)lab_pow10_u64[j] + d_lo;
        }
        int ok_lo = inside(lo, e, d_lo, h_down, v), ok_hi = inside(lo + 1, e, d_hi, h_up, v);
        uint64_t found = ok_lo && ok_hi ? (d_lo <= d_hi ? lo : lo + 1) : ok_lo ? lo
                                         : ok_hi                       ? lo + 1
                                                                       : 0;
        if (ok_lo && ok_hi && fabs(d_lo - d_hi) < 0.04) {
            found = nearer_of(v, lo, e, 17 - j);
        }
        if (!found) {
            break;
        }
        while (found % 10 == 0) { // fewer digits already: skip the lengths between
            found /= 10;
            e++;
            j++;
        }
        best = found, best_e = e;
    }
    if (!best) {
        return 0;
    }
    *c_out = best;
    *e_out = best_e;
    return 1;
#else
    (void)v, (void)c_out, (void)e_out;
    return 0;
#endif
}

// The same by printf: the first precision whose %e text reads back as v.
static void shortest_printf(double v, uint64_t *c_out, int *e_out)
{
    char buf[40];
    for (int prec = 0; prec <= 16; prec++) {
        snprintf(buf, sizeof buf, "%.*e", prec, v);
        if (strtod(buf, NULL) == v || prec == 16) {
            break;
        }
    }
    // buf is "d.ddde[+-]xx": the digits, then the exponent of the first one
    uint64_t c = 0;
    int nd = 0;
    const char *p = buf;
    for (; *p != 'e'; p++) {
        if (is_digit(*p)) {
            c = c * 10 + (uint64_t)(*p - '0');
            nd++;
        }
    }
    int e = atoi(p + 1) - (nd - 1);
    while (c % 10 == 0 && c) {
        c /= 10;
        e++;
    }
    *c_out = c;
    *e_out = e;
}

int lab_shortest_decimal(double v, uint64_t *c, int *e)
{
    if (shortest_fast(v, c, e)) {
        return 1;
    }
    shortest_printf(v, c, e);
    return 0;
}

int lab_format_decimal(char *out, int neg, uint64_t c, int e)
{
    int n = 0;
    if (neg) {
        out[n++] = '-';
    }
    char dig[20];
    int nd = put_uint(dig, c);
    int k = e + nd - 1; // the exponent of the first digit
    if (k >= 0 && k < 17) {
        if (nd <= k + 1) { // a whole number: the digits, then zeros
            memcpy(out + n, dig, (size_t)nd);
            n += nd;
            memset(out + n, '0', (size_t)(k + 1 - nd));
            n += k + 1 - nd;
        } else {
            memcpy(out + n, dig, (size_t)k + 1);
            n += k + 1;
            out[n++] = '.';
            memcpy(out + n, dig + k + 1, (size_t)(nd - k - 1));
            n += nd - k - 1;
        }
    } else if (k < 0 && k >= -5) {
        out[n++] = '0';
        out[n++] = '.';
        memset(out + n, '0', (size_t)(-k - 1));
        n += -k - 1;
        memcpy(out + n, dig, (size_t)nd);
        n += nd;
    } else {
        out[n++] = dig[0];
        if (nd > 1) {
            out[n++] = '.';
            memcpy(out + n, dig + 1, (size_t)nd - 1);
            n += nd - 1;
        }
        out[n++] = 'e';
        out[n++] = k < 0 ? '-' : '+';
        int a = k < 0 ? -k : k;
        if (a >= 100) {
            out[n++] = (char)('0' + a / 100);
        }
        out[n++] = (char)('0' + a / 10 % 10);
        out[n++] = (char)('0' + a % 10);
    }
    out[n] = '\0';
    return n;
}

int lab_format_double(char *out, double v)
{
    if (isnan(v)) {
        memcpy(out, "nan", 4);
        return 3;
    }
    int neg = signbit(v) != 0;
    v = fabs(v);
    if (isinf(v)) {
        memcpy(out + neg, "inf", 4);
        out[0] = neg ? '-' : out[0];
        return neg + 3;
    }
    if (v == 0) {
        memcpy(out + neg, "0", 2);
        out[0] = neg ? '-' : out[0];
        return neg + 1;
    }
    uint64_t c;
    int e;
    lab_shortest_decimal(v, &c, &e);
    return lab_format_decimal(out, neg, c, e);
}
