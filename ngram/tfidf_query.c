// tfidf_query.c: what a fitted model answers: cosine similarity, the documents nearest a
// vector, the top terms of a document.
#include "ngram/tfidf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// --- similarity and ranking -------------------------------------------------------------------

double tfidf_cosine(const int32_t *ca, const double *va, long na, const int32_t *cb,
                    const double *vb, long nb)
{
    double dot = 0, aa = 0, bb = 0;
    for (long i = 0; i < na; i++) {
        aa += va[i] * va[i];
    }
    for (long j = 0; j < nb; j++) {
        bb += vb[j] * vb[j];
    }
    for (long i = 0, j = 0; i < na && j < nb;) {
        if (ca[i] < cb[j]) {
            i++;
        } else if (ca[i] > cb[j]) {
            j++;
        } else {
            dot += va[i++] * vb[j++];
        }
    }
    if (aa == 0 || bb == 0) {
        return 0;
    }
    return dot / (sqrt(aa) * sqrt(bb));
}

// a is worse than b: a lower score, or the same score and a later document
static int hit_worse(TfidfHit a, TfidfHit b)
{
    return a.score < b.score || (a.score == b.score && a.doc > b.doc);
}

// A min-heap of the k best hits so far: the worst of them at the root, replaced when a
// better one comes.
static void heap_sift_down(TfidfHit *h, long n, long i)
{
    for (;;) {
        long l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && hit_worse(h[l], h[w])) {
            w = l;
        }
        if (r < n && hit_worse(h[r], h[w])) {
            w = r;
        }
        if (w == i) {
            return;
        }
        TfidfHit tmp = h[i];
        h[i] = h[w];
        h[w] = tmp;
        i = w;
    }
}

static void heap_push(TfidfHit *h, long *n, long k, TfidfHit x)
{
    if (*n < k) {
        long i = (*n)++;
        h[i] = x;
        while (i > 0 && hit_worse(h[i], h[(i - 1) / 2])) {
            TfidfHit tmp = h[i];
            h[i] = h[(i - 1) / 2];
            h[(i - 1) / 2] = tmp;
            i = (i - 1) / 2;
        }
    } else if (hit_worse(h[0], x)) {
        h[0] = x;
        heap_sift_down(h, *n, 0);
    }
}

long tfidf_rank(const TfidfModel *m, const int32_t *col, const double *val, long n,
                long exclude, long k, TfidfHit *hits)
{
    double qq = 0;
    for (long i = 0; i < n; i++) {
        qq += val[i] * val[i];
    }
    if (qq == 0 || k <= 0) {
        return 0;
    }
    double qnorm = sqrt(qq);
    // the query scattered into a dense vector of V: each row's dot product is then one pass
    // over its stored entries
    double *q = lab_calloc((size_t)m->X.cols, sizeof *q);
    for (long i = 0; i < n; i++) {
        q[col[i]] = val[i];
    }
    long nh = 0;
    for (long d = 0; d < m->X.rows; d++) {
        if (d == exclude || m->rownorm[d] == 0) {
            continue;
        }
        double dot = 0;
        for (long long e = m->X.ptr[d]; e < m->X.ptr[d + 1]; e++) {
            dot += m->X.val[e] * q[m->X.col[e]];
        }
        if (dot > 0) {
            double s = dot / (m->rownorm[d] * qnorm);
            heap_push(hits, &nh, k, (TfidfHit){d, s > 1 ? 1 : s}); // 1 + rounding is 1
        }
    }
    free(q);
    // pop the worst first into the back: best first
    for (long i = nh - 1; i > 0; i--) {
        TfidfHit worst = hits[0];
        hits[0] = hits[i];
        heap_sift_down(hits, i, 0);
        hits[i] = worst;
    }
    return nh;
}

static const double *sort_vals; // qsort has no context argument

static int by_weight_desc(const void *pa, const void *pb)
{
    long long a = *(const long long *)pa, b = *(const long long *)pb;
    if (sort_vals[a] != sort_vals[b]) {
        return sort_vals[a] > sort_vals[b] ? -1 : 1;
    }
    return (a > b) - (a < b); // entries of a row are in column order
}

long tfidf_top_terms(const TfidfModel *m, long doc, long k, long long *entries)
{
    long long a = m->X.ptr[doc], z = m->X.ptr[doc + 1];
    long long *all = lab_malloc(((size_t)(z - a) + 1) * sizeof *all);
    long n = 0;
    for (long long e = a; e < z; e++) {
        if (m->X.val[e] > 0) {
            all[n++] = e;
        }
    }
    sort_vals = m->X.val;
    qsort(all, (size_t)n, sizeof *all, by_weight_desc);
    n = n < k ? n : k;
    memcpy(entries, all, (size_t)n * sizeof *entries);
    free(all);
    return n;
}
