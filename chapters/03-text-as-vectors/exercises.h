// exercises.h: chapter 03, text as vectors: the functions you write.
//
// Each comment below is the contract its test checks: what to compute, its inputs and
// outputs, the edge cases, and the section of the chapter (README.md) that teaches the
// formula. The formulas are in the chapter, not here: read the section, then write the
// function. `make check CH=03` grades exercises.c; `make run-student CH=03` runs
// `lmlab tfidf` with your idf and cosine in the lab's place.
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

// --- 1. inverse document frequency (section 3, "TF-IDF") --------------------------------------------
// The idf of a term found in df of the N documents (1 <= df <= N): the smooth idf
// (scikit-learn's default) when smooth != 0, the textbook idf when smooth == 0. A term in
// every document has smooth idf 1 and textbook idf 0.
// Example: N = 3, df = 2 gives 1.2877 (smooth) and 0.4055 (textbook).
double ex_idf(long N, long long df, int smooth);

// --- 2. the tf-idf weight of one term (section 3) -----------------------------------------------------
// The weight of a term that occurs count times in a document and in df of the N documents,
// before the row is normalised: its tf times its SMOOTH idf (exercise 1), with the tf variant
// chosen by the argument tf (EX_TF_RAW, EX_TF_BINARY, EX_TF_SUBLINEAR: the chapter's
// `--tf raw|binary|sublinear`). A term absent from the document (count == 0) has weight 0
// whatever the variant: mind the variant whose formula is not 0 at count 0.
// 0 <= count, 1 <= df <= N.
// Example: count = 2, N = 3, df = 2 gives 2.5754 (raw), 1.2877 (binary), 2.1802 (sublinear).
enum { EX_TF_RAW, EX_TF_BINARY, EX_TF_SUBLINEAR };
double ex_tfidf_weight(int tf, long long count, long N, long long df);

// --- 3. cosine similarity (section 6, "Cosine similarity and `lmlab tfidf similar`") ------------------
// The cosine similarity of two vectors a and b of D >= 1 numbers. It lies in [-1, 1], is 1 for
// vectors pointing the same way and 0 for vectors with no common non-zero coordinate. When a or
// b is all zeros it is undefined: return 0, as the lab does for a document without terms.
// Example: a = {1, 2, 0}, b = {2, 1, 1} gives 0.7303.
double ex_cosine(const double *a, const double *b, int D);

// --- 4. one negative-sampling SGD step (section 9, "Word embeddings") -----------------------------------
// The input vector h (D) of a word, its positive output vector u_0 and K negative output
// vectors u_1 .. u_K: the rows of u (1 + K, D), row j at u + j * D, all different rows.
// Return the negative-sampling loss L of section 9, computed BEFORE the step, and take the
// one SGD step section 9 describes, with learning rate alpha: visit j = 0, 1, .., K in this
// order; for each, add its contribution to neu1e using u_j as it was BEFORE u_j is updated,
// then update u_j.
// neu1e (D) ACCUMULATES: add to it, do not overwrite it (training adds it to h afterwards).
// h is read only.
// Example: D = 2, K = 1, h = {1, 0}, u_0 = {ln 3, 0}, u_1 = {0, 1}, alpha = 1, neu1e = {0, 0}:
//   returns L = 0.9808; afterwards neu1e = {0.2747, -0.5}, u_0 = {1.3486, 0}, u_1 = {-0.5, 1}.
double ex_ns_step(double *neu1e, const double *h, double *u, int K, double alpha, int D);

// --- 5. open: read the answers off `lmlab tfidf` (sections 5 and 7) ------------------------------------
// These return answers you find by running lmlab, not by writing code: put them in
// exercises.c as constants. Both use the paragraphs of The Time Machine with the options of
// sections 5 to 7: --dataset timemachine --unit paragraph --lowercase --stop-words english.
//   ex_open_sphinx_doc   the number of the document (paragraph) that `lmlab tfidf search`
//                        ranks first for the query 'white sphinx'
//   ex_open_top_term     the term of largest tf-idf weight in document 100
// Then look at the document: does its top term say what it is about? Why or why not?
long ex_open_sphinx_doc(void);
const char *ex_open_top_term(void);

#endif
