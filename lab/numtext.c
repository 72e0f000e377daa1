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

// The parser's fast path needs the x87 80-bit format (64-bit significand, stored little-endian
// in the first 8 bytes); elsewhere it takes the C library's path.
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

// The shortest c * 10^e by printf, for v outside the exact method's range (below): the first
// precision whose %e text reads back as v.
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

// --- the exact shortest decimal ----------------------------------------------------------------
// For 1e-10 <= v < 1e17, where the numbers of the ARPA writer (log10 values of -99 .. 0 and
// backoff weights of either sign; one nearer 0 than 1e-10 takes printf) and the TF-IDF
// weights lie, the shortest decimal comes from 128-bit integers alone: no estimate, no
// parsing, no printf.
//
// v = m 2^e (53-bit m). The doubles next to v are (m -+ 1) 2^e, so every decimal strictly
// between (m - 1/2) 2^e and (m + 1/2) 2^e reads back as v, and one on either end does when m
// is even (strtod rounds a tie to the even significand); below a power of two (m = 2^52) the
// lower gap is half as wide, its end (m - 1/4) 2^e. Scaled by 10^q, q = 16 - floor(log10 v)
// (so v 10^q has 17 digits before the point), the ends and v are x 5^q 2^(q + e - 2) with
// x = 4m - 2 (or 4m - 1), 4m, 4m + 2. Bound: x < 2^55, and q <= 27 (k, below, starts at most
// one under floor(log10 v) >= -10), so x 5^q < 2^55 5^27 < 2^55 2^63 = 2^118: a 128-bit
// integer holds it exactly; S = 2 - q - e, the bits below the unit, is at most 61 here; where
// it is negative (v above about 1e16) the ends are whole numbers near v 10^q < 10^18 < 2^60.
// The shortest decimal is then the one that cuts the most digits j and still has a multiple of
// 10^j between the ends; of the two multiples around v the nearer, the even one on a tie (as
// printf rounds).

static const uint64_t pow5_u64[28] = {
    1ull, 5ull, 25ull, 125ull, 625ull, 3125ull, 15625ull, 78125ull, 390625ull, 1953125ull,
    9765625ull, 48828125ull, 244140625ull, 1220703125ull, 6103515625ull, 30517578125ull,
    152587890625ull, 762939453125ull, 3814697265625ull, 19073486328125ull, 95367431640625ull,
    476837158203125ull, 2384185791015625ull, 11920928955078125ull, 59604644775390625ull,
    298023223876953125ull, 1490116119384765625ull, 7450580596923828125ull,
};

// The shortest c 10^e (c without trailing zeros) that reads back as v, 1e-10 <= v < 1e17.
static void shortest_exact(double v, uint64_t *c_out, int *e_out)
{
    typedef unsigned __int128 u128;
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int be = (int)(bits >> 52);                                // biased exponent (v normal)
    uint64_t m = (bits & ((1ull << 52) - 1)) | (1ull << 52);
    int e = be - 1075;                                         // v = m 2^e
    int k = (int)floor((be - 1023) * 0.30102999566398120);     // floor(log10 v), or one less
    u128 xlo, xv, xhi;
    int S;
    uint64_t N;
    for (;;) {
        int q = 16 - k; // 0 .. 27
        uint64_t p5 = pow5_u64[q];
        S = 2 - q - e;
        xv = (u128)(4 * m) * p5;
        xlo = (u128)(4 * m - (m == 1ull << 52 ? 1 : 2)) * p5;
        xhi = (u128)(4 * m + 2) * p5;
        if (S < 0) { // whole numbers: no bits below the unit
            xv <<= -S, xlo <<= -S, xhi <<= -S;
            S = 0;
        }
        N = (uint64_t)(xv >> S);
        if (N < lab_pow10_u64[17]) {
            break;
        }
        k++; // v 10^q has 18 digits: one fewer power of ten
    }
    u128 one = (u128)1 << S;
    int even = (m & 1) == 0;
    // the integers within the ends, in units of the 17th digit: [lo_i, hi_i]
    uint64_t lo_i = (uint64_t)(xlo >> S), hi_i = (uint64_t)(xhi >> S);
    if ((xlo & (one - 1)) != 0 || !even) {
        lo_i++; // (an end exactly on an integer counts only when m is even)
    }
    if ((xhi & (one - 1)) == 0 && !even) {
        hi_i--;
    }
    // the most digits cut: while a multiple of 10^(j+1) is still in [lo_i, hi_i] (which holds
    // an integer at j = 0: the ends lie more than 1.1 units apart, 2^e 10^q > 10^16 2^-53)
    int j = 0;
    uint64_t hq = hi_i, lq = lo_i - 1; // floor(hi / 10^j) and floor((lo - 1) / 10^j)
    uint64_t c = N;                    // floor(N / 10^j)
    while (j < 17 && hq / 10 > lq / 10) {
        hq /= 10;
        lq /= 10;
        c /= 10;
        j++;
    }
    // the multiples of 10^j around v: c and c + 1 (times 10^j); the nearer that is inside
    u128 step = (u128)lab_pow10_u64[j] << S;
    u128 below = xv - ((u128)(c * lab_pow10_u64[j]) << S);
    int ok_lo = c > 0 && c * lab_pow10_u64[j] >= lo_i;
    int ok_hi = (c + 1) * lab_pow10_u64[j] <= hi_i;
    int up = ok_hi && (!ok_lo || 2 * below > step || (2 * below == step && (c & 1)));
    c += (uint64_t)up;
    int ex = k - 16 + j;
    while (c % 10 == 0) { // (a carry: 99.. + 1)
        c /= 10;
        ex++;
    }
    *c_out = c;
    *e_out = ex;
}

int lab_shortest_decimal(double v, uint64_t *c, int *e)
{
    if (v >= 1e-10 && v < 1e17) {
        shortest_exact(v, c, e);
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
