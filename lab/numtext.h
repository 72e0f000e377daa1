// numtext.h: doubles as decimal text and back, exactly and without printf or strtod in the
// common path.
//
// lab_format_double writes the shortest decimal that reads back as exactly the same double
// (of the shortest ones, the nearest to it); lab_parse_double reads a decimal to the double
// strtod gives, bit for bit. Together: parse(format(v)) == v for every double but nan, and a
// file written, read and written again holds the same bytes.
//
// How (numtext.c): the formatter finds the shortest decimal exactly, with 128-bit integers,
// for 1e-10 <= |v| < 1e17 (where the numbers of model.arpa and matrix.mtx lie); outside
// that range it asks printf ("%.*e", verified with strtod). The parser does its one inexact
// step in the x87 80-bit format, whose 64-bit significand holds any 19-digit decimal
// significand and any power of ten up to 10^27 exactly, so a value of 1 to 19 significant
// digits times 10^-27 .. 10^27 costs one correctly rounded multiply or divide. Rounding that
// to double is the correct rounding of the decimal unless the 80-bit result lies exactly
// halfway between two doubles, which is checked (Clinger's fast path, widened from 53 to 64
// bits). The rest takes strtod: more than 19 significant digits, exponents past the range
// above, halfway cases, hex and inf/nan text, and machines without the 80-bit format. Uses
// libc only; no state, safe from any thread.
#ifndef LAB_NUMTEXT_H
#define LAB_NUMTEXT_H

#include <stdint.h>
#include <string.h>

// 10^0 .. 10^19, every power of ten a uint64_t holds
static const uint64_t lab_pow10_u64[20] = {
    1ull,
    10ull,
    100ull,
    1000ull,
    10000ull,
    100000ull,
    1000000ull,
    10000000ull,
    100000000ull,
    1000000000ull,
    10000000000ull,
    100000000000ull,
    1000000000000ull,
    10000000000000ull,
    100000000000000ull,
    1000000000000000ull,
    10000000000000000ull,
    100000000000000000ull,
    1000000000000000000ull,
    10000000000000000000ull,
};

// How many decimal digits v has (1 for 0): from the bit length (log10 2 ~ 1233 / 4096) and
// one comparison.
static inline int lab_uint_digits(uint64_t v)
{
    int t = ((64 - __builtin_clzll(v | 1)) * 1233) >> 12;
    int n = t + 1 - (v < lab_pow10_u64[t]);
    return n ? n : 1;
}

// The n = lab_uint_digits(v) decimal digits of v at out[0..n), no sign, no NUL: last pair
// first, eight digits at a time split off in 64 bits and written with 32-bit arithmetic, and
// no copy of variable length (a call to memcpy for every number). Inline: the writers of
// large files (matrix.mtx, model.arpa's numbers) call it for every number.
static inline void lab_put_digits(char *out, uint64_t v, int n)
{
    static const char pairs[201] = "00010203040506070809101112131415161718192021222324"
                                   "25262728293031323334353637383940414243444546474849"
                                   "50515253545556575859606162636465666768697071727374"
                                   "75767778798081828384858687888990919293949596979899";
    char *q = out + n;
    while (v >= 100000000) {
        uint32_t lo = (uint32_t)(v % 100000000);
        v /= 100000000;
        for (int i = 0; i < 4; i++) {
            q -= 2;
            memcpy(q, pairs + 2 * (lo % 100), 2);
            lo /= 100;
        }
    }
    uint32_t w = (uint32_t)v;
    while (w >= 100) {
        q -= 2;
        memcpy(q, pairs + 2 * (w % 100), 2);
        w /= 100;
    }
    if (w >= 10) {
        q -= 2;
        memcpy(q, pairs + 2 * w, 2);
    } else {
        *--q = (char)('0' + w);
    }
}

// Bytes lab_format_double may write, its NUL included ("-1.2345678901234567e-308" is 24).
#define LAB_NUMTEXT_MAX 32

// Writes v as the shortest decimal that lab_parse_double and strtod read back as exactly v,
// NUL-terminated, into out (LAB_NUMTEXT_MAX bytes); returns its length (without the NUL).
// Plain notation for 1e-5 <= |v| < 1e17 ("0.30103", "-99", "12345"), otherwise the exponent
// form of printf's %e with no trailing zeros ("1.5e-07", "2e+20"). Zero is "0" or "-0";
// infinities are "inf" and "-inf", every nan is "nan" (the spellings of printf and strtod:
// a caller whose format has none, such as JSON or ARPA, handles them before calling).
int lab_format_double(char *out, double v);

// The two halves of lab_format_double, for a caller that checks the decimal before it
// writes it (ngram/arpa.c). lab_shortest_decimal: v (finite, > 0) as c * 10^e, c the
// shortest significand (no trailing zeros) that reads back as v, of two such the nearer to v
// (on a tie the even one); returns 1 when the exact method found it (1e-10 <= v < 1e17), 0
// when printf did. lab_format_decimal: the
// text of -c * 10^e (neg) or c * 10^e (c > 0) in lab_format_double's notation, NUL-terminated,
// into out (LAB_NUMTEXT_MAX bytes); returns its length.
int lab_shortest_decimal(double v, uint64_t *c, int *e);
int lab_format_decimal(char *out, int neg, uint64_t c, int e);

// Reads the number at the start of s as strtod does (leading white space, a sign, decimal or
// hex digits, an exponent, inf, nan) and stores the double strtod gives, bit for bit, in
// *out; *end (if not NULL) gets the first byte after the number. Returns 0, or -1 when s does
// not start with a number (then *out = 0 and *end = s). Overflow gives +-inf and underflow
// 0 or a subnormal, as strtod does, without touching errno in the common path.
int lab_parse_double(const char *s, const char **end, double *out);

#endif
