// exercises.h: chapter 03, text as vectors: the functions you write.
//
// Each comment below is the specification its test checks. You complete the bodies in
// exercises.c; `make check CH=03` builds your file against the tests and grades it.
//
// Notation (as in the chapter):
//   N       the number of documents of the collection
//   df      the document frequency of a term: how many of the N documents contain it
//   c       the count of a term in one document
//   ln      the natural logarithm, log() in C (not log10)
// Counts are integers (long, long long); a weight is a double. Watch for integer division:
// in C, 4 / 3 is 1 when both sides are integers.
#ifndef EX03_H
#define EX03_H

// --- 1. inverse document frequency -------------------------------------------------------------
// The idf of a term found in df of the N documents (1 <= df <= N):
//
//     smooth != 0:  idf = ln((1 + N) / (1 + df)) + 1     (scikit-learn's default)
//     smooth == 0:  idf = ln(N / df)                     (the textbook idf)
//
// The smooth idf counts one extra document that holds every term (the 1 + N and 1 + df) and
// adds 1 so that a term in every document keeps a weight: its smooth idf is 1, its textbook
// idf 0.
// Example: N = 3, df = 2 gives ln(4/3) + 1 = 1.2877 (smooth) and ln(1.5) = 0.4055 (textbook).
double ex_idf(long N, long long df, int smooth);

// --- 2. the tf-idf weight of one term ------------------------------------------------------------
// The weight of a term that occurs count times in a document and in df of the N documents,
// before the row is normalised:
//
//     w = tf(count) * idf,   idf the SMOOTH idf of exercise 1
//
// with tf chosen by the argument tf:
//     EX_TF_RAW        tf = count
//     EX_TF_BINARY     tf = 1 if count > 0
//     EX_TF_SUBLINEAR  tf = 1 + ln(count)
// and tf = 0 when count == 0, whatever the variant (a term absent from the document has no
// weight there; note that 1 + ln(0) is not 0). 0 <= count, 1 <= df <= N.
// Example: count = 2, N = 3, df = 2: raw 2 * 1.2877 = 2.5754, binary 1.2877, sublinear
// (1 + ln 2) * 1.2877 = 2.1802.
enum { EX_TF_RAW, EX_TF_BINARY, EX_TF_SUBLINEAR };
double ex_tfidf_weight(int tf, long long count, long N, long long df);

// --- 3. cosine similarity ------------------------------------------------------------------------
// The cosine of the angle between two vectors a and b of D numbers (D >= 1):
//
//     cos(a, b) = (a . b) / (|a| |b|),   a . b = sum_i a[i] b[i],   |a| = sqrt(a . a)
//
// It lies in [-1, 1] (in [0, 1] for tf-idf rows, which have no negative entry), is 1 for
// vectors pointing the same way (one a positive multiple of the other) and 0 for vectors
// with no common non-zero coordinate. When a or b is all zeros the cosine is undefined
// (0 / 0): return 0, as the lab does for a document without terms.
// Example: a = {1, 2, 0}, b = {2, 1, 1}: 4 / (sqrt 5 sqrt 6) = 0.7303.
double ex_cosine(const double *a, const double *b, int D);

// --- 4. one negative-sampling SGD step -----------------------------------------------------------
// The input vector h (D) of a word, its positive output vector u_0 and K negative output
// vectors u_1 .. u_K: the rows of u (1 + K, D), row j at u + j * D, all different rows. With
// s(x) = 1 / (1 + e^-x), the loss is
//
//     L = -ln s(u_0 . h) - sum_{k=1..K} ln s(-u_k . h)
//
// Return L, computed BEFORE the step, and take one SGD step with learning rate alpha: for
// j = 0, 1, .., K in this order, with label t = 1 for j = 0 and t = 0 for the negatives,
//
//     f     = u_j . h
//     g     = alpha * (t - s(f))          (= -alpha dL/df)
//     neu1e = neu1e + g * u_j             (with u_j as it was BEFORE this update)
//     u_j   = u_j + g * h
//
// neu1e (D) ACCUMULATES: add to it, do not overwrite it (training adds it to h afterwards).
// h is read only.
// Example: D = 2, K = 1, h = {1, 0}, u_0 = {ln 3, 0}, u_1 = {0, 1}, alpha = 1, neu1e = {0, 0}:
//   f_0 = ln 3, s = 3/4, g_0 = 1/4;  f_1 = 0, s = 1/2, g_1 = -1/2
//   L = -ln(3/4) - ln(1/2) = ln(8/3) = 0.9808
//   neu1e = 1/4 {ln 3, 0} - 1/2 {0, 1} = {0.2747, -0.5}
//   u_0 = {ln 3 + 1/4, 0} = {1.3486, 0},   u_1 = {0 - 1/2, 1} = {-0.5, 1}
double ex_ns_step(double *neu1e, const double *h, double *u, int K, double alpha, int D);

#endif
