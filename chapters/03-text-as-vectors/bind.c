// bind.c: chapter 03's exercises in the lab's place. `make run-student CH=03` links this file
// and your exercises.c into build/student/03-text-as-vectors/lmlab, a copy of ./lmlab in which
// the idf and the cosine are yours: every weight that copy's `lmlab tfidf` computes uses
// ex_idf, and the similarity heatmaps it draws (similar_N.png of `lmlab tfidf similar`,
// similarity.png of `lmlab tfidf matrix`) hold ex_cosine of every pair. Nothing here is an
// exercise.
#include "exercises.h"

#include <stdlib.h>

#include "lab/lab.h"
#include "ngram/tfidf.h"

double tfidf_idf(TfidfIdf idf, long ndocs, long long df)
{
    switch (idf) {
    case TFIDF_IDF_SMOOTH:
        return ex_idf(ndocs, df, 1);
    case TFIDF_IDF_PLAIN:
        return ex_idf(ndocs, df, 0);
    case TFIDF_IDF_SKLEARN_PLAIN:
        return ex_idf(ndocs, df, 0) + 1.0;
    case TFIDF_IDF_NONE:
    default:
        return 1.0;
    }
}

// The lab's rows are sparse: (column, value) pairs in increasing column order. ex_cosine takes
// dense vectors, so both rows are spread over the columns up to the larger last one.
double tfidf_cosine(const int32_t *ca, const double *va, long na, const int32_t *cb,
                    const double *vb, long nb)
{
    int D = 1 + (na ? ca[na - 1] : 0);
    if (nb && cb[nb - 1] + 1 > D) {
        D = cb[nb - 1] + 1;
    }
    double *a = lab_calloc((size_t)D, sizeof *a);
    double *b = lab_calloc((size_t)D, sizeof *b);
    for (long i = 0; i < na; i++) {
        a[ca[i]] = va[i];
    }
    for (long i = 0; i < nb; i++) {
        b[cb[i]] = vb[i];
    }
    double c = ex_cosine(a, b, D);
    free(a);
    free(b);
    return c;
}
