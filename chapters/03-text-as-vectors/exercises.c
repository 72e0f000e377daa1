// exercises.c: chapter 03, your solutions. Replace each TODO(student) body; the contracts are
// in exercises.h and the formulas in the chapter's README.md, in the section each names.
// Check your work with
//
//     make check CH=03
//
// which prints one line per exercise: pass, or what came, what was expected and a hint.
// Then `make run-student CH=03` runs `lmlab tfidf similar` with your idf and cosine.
#include "exercises.h"

#include <math.h>

double ex_idf(long N, long long df, int smooth)
{
    // TODO(student): the two idfs (section 3, "TF-IDF"). N and df are integers; log() is the
    // natural logarithm.
    return -1.0;
}

double ex_tfidf_weight(int tf, long long count, long N, long long df)
{
    // TODO(student): tf times the smooth idf (section 3, the tf variants; section 5 compares
    // them on a real paragraph). You may call ex_idf.
    return -1.0;
}

double ex_cosine(const double *a, const double *b, int D)
{
    // TODO(student): the cosine similarity (section 6). One loop over the D coordinates is
    // enough. Mind the all-zero vector.
    return 2.0;
}

double ex_ns_step(double *neu1e, const double *h, double *u, int K, double alpha, int D)
{
    // TODO(student): the loss and the SGD step of negative sampling (section 9, "Word
    // embeddings": the loss, its gradient, and the paragraph on one SGD step). Work the
    // example of exercises.h by hand first.
    return -1.0;
}

long ex_open_sphinx_doc(void)
{
    // TODO(student): run `lmlab tfidf search` (exercises.h, exercise 5) and write the number.
    return 0;
}

const char *ex_open_top_term(void)
{
    // TODO(student): run `lmlab tfidf top` and write the term.
    return "";
}
