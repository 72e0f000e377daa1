// ref_03.c: chapter 03's exercises bound to the lab's own code (ngram/tfidf.c, nn/word2vec.c).
//
// `make test-suite` links chapters/03-text-as-vectors/check.c with this file and requires
// every exercise test to pass: the tests and the lab agree. tfidf_idf and tfidf_tf are the
// formulas `lmlab tfidf` weighs every entry with, tfidf_cosine the one `similar` and the
// tests of `search` rank by, and w2v_ns_loss the negative-sampling loss and gradient that
// `lmlab word2vec train` steps along (its float step w2v_ns_step is checked against it in
// tests/unit/test_word2vec.c).
#include "exercises.h"

#include <stdlib.h>

#include "lab/lab.h"
#include "ngram/tfidf.h"
#include "nn/word2vec.h"

double ex_idf(long N, long long df, int smooth)
{
    return tfidf_idf(smooth ? TFIDF_IDF_SMOOTH : TFIDF_IDF_PLAIN, N, df);
}

double ex_tfidf_weight(int tf, long long count, long N, long long df)
{
    static const TfidfTf kind[] = {TFIDF_TF_RAW, TFIDF_TF_BINARY, TFIDF_TF_SUBLINEAR};
    return tfidf_tf(kind[tf], (double)count) * tfidf_idf(TFIDF_IDF_SMOOTH, N, df);
}

double ex_cosine(const double *a, const double *b, int D)
{
    // a dense vector is a sparse row that stores every column
    int32_t *col = lab_malloc((size_t)D * sizeof *col);
    for (int i = 0; i < D; i++) {
        col[i] = i;
    }
    double c = tfidf_cosine(col, a, D, col, b, D);
    free(col);
    return c;
}

double ex_ns_step(double *neu1e, const double *h, double *u, int K, double alpha, int D)
{
    // with distinct rows, the sequential step is exactly -alpha times the gradient at the
    // point before the step (docs/word2vec.md)
    double *dh = lab_malloc((size_t)D * sizeof *dh);
    double *du = lab_malloc((size_t)(K + 1) * D * sizeof *du);
    double L = w2v_ns_loss(dh, du, h, u, K, D);
    for (int i = 0; i < D; i++) {
        neu1e[i] -= alpha * dh[i];
    }
    for (long i = 0; i < (long)(K + 1) * D; i++) {
        u[i] -= alpha * du[i];
    }
    free(dh);
    free(du);
    return L;
}

// The open answers, as `lmlab tfidf` prints them (--dataset timemachine --unit paragraph
// --lowercase --stop-words english):
//   search --query 'white sphinx' --k 1   ->  1  156  line 1166  0.3146  'But it _was_ the lawn...
//   top --doc 100 --k 1                   ->  1  0.2374  3  silent
long ex_open_sphinx_doc(void)
{
    return 156;
}

const char *ex_open_top_term(void)
{
    return "silent";
}
