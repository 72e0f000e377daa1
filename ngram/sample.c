// sample.c: drawing tokens from an n-gram model with temperature, top-k and top-p.
//
// The order of operations follows common practice (as in llama2.c and Hugging Face): scale
// the log-probabilities by 1/temperature, keep the k most likely tokens, keep the smallest
// set whose probability reaches p, renormalise, draw by the inverse cumulative distribution.
#include "ngram.h"

#include <math.h>
#include <stdlib.h>

static int by_prob_desc(const void *pa, const void *pb, void *ctx)
{
    const double *probs = ctx;
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    if (probs[a] != probs[b]) {
        return probs[a] > probs[b] ? -1 : 1;
    }
    return (a > b) - (a < b); // ties by id, so the order is the same everywhere
}

int32_t ngram_sampling_filter(double *probs, int32_t V, const NgramSampling *s,
                              int32_t *order_buf)
{
    double pmax = 0;
    for (int32_t w = 0; w < V; w++) {
        pmax = fmax(pmax, probs[w]);
    }
    if (pmax <= 0) {
        return 0;
    }
    // temperature: p^(1/T), computed relative to the largest p to avoid underflow
    int32_t n = 0;
    for (int32_t w = 0; w < V; w++) {
        if (probs[w] > 0) {
            probs[w] = s->temperature == 1.0 ? probs[w] / pmax
                                             : exp(log(probs[w] / pmax) / s->temperature);
            order_buf[n++] = w;
        }
    }
    qsort_r(order_buf, (size_t)n, sizeof *order_buf, by_prob_desc, probs);
    int32_t all = n;
    if (s->top_k > 0 && s->top_k < n) {
        n = (int32_t)s->top_k;
    }
    double total = 0;
    for (int32_t i = 0; i < n; i++) {
        total += probs[order_buf[i]];
    }
    if (s->top_p < 1.0) {
        // the fewest most likely tokens whose mass reaches top_p
        double cum = 0;
        for (int32_t i = 0; i < n; i++) {
            cum += probs[order_buf[i]];
            if (cum >= s->top_p * total) {
                n = i + 1;
                break;
            }
        }
        total = 0;
        for (int32_t i = 0; i < n; i++) {
            total += probs[order_buf[i]];
        }
    }
    // renormalise what is kept; what is cut gets probability zero
    for (int32_t i = 0; i < n; i++) {
        probs[order_buf[i]] /= total;
    }
    for (int32_t i = n; i < all; i++) {
        probs[order_buf[i]] = 0.0;
    }
    return n;
}

int32_t ngram_sample_next(const NgramModel *m, const int32_t *context, const NgramSampling *s,
                          LabRng *rng, double *probs, int32_t *order_buf)
{
    ngram_distribution(m, context, probs);
    probs[TOK_UNK] = 0.0; // a sample that says "<unk>" teaches nothing
    int32_t n = ngram_sampling_filter(probs, m->vocab.n, s, order_buf);
    if (n == 0) {
        return TOK_EOS; // nothing can follow: end the sequence
    }
    // inverse cumulative distribution, most likely tokens first
    double u = lab_rng_uniform(rng), cum = 0;
    for (int32_t i = 0; i < n; i++) {
        cum += probs[order_buf[i]];
        if (u < cum) {
            return order_buf[i];
        }
    }
    return order_buf[n - 1]; // u within rounding of 1
}
