// sample.c: the one sampler of every family: temperature, top-k, top-p and greedy over a
// probability vector, then one draw.
//
// The model gives the probabilities; this file only filters and draws, so two families with
// the same distribution and seed draw the same token. See lab.h for the order of operations.
#include "lab/lab.h"

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

int32_t lab_sample_filter(double *probs, int32_t V, const LabSampling *s, int32_t *order_buf)
{
    double pmax = 0;
    for (int32_t w = 0; w < V; w++) {
        pmax = fmax(pmax, probs[w]);
    }
    if (pmax <= 0) {
        return 0;
    }
    // temperature: p^(1/T), computed relative to the largest p to avoid underflow; greedy
    // keeps the order of p and cuts all but the first below
    int32_t n = 0;
    for (int32_t w = 0; w < V; w++) {
        if (probs[w] > 0) {
            probs[w] = s->temperature == 1.0 || s->temperature == 0.0
                           ? probs[w] / pmax
                           : exp(log(probs[w] / pmax) / s->temperature);
            order_buf[n++] = w;
        }
    }
    qsort_r(order_buf, (size_t)n, sizeof *order_buf, by_prob_desc, probs);
    int32_t all = n;
    if (s->temperature == 0.0) {
        n = 1;
    } else if (s->top_k > 0 && s->top_k < n) {
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

int32_t lab_sample_draw(const double *probs, const int32_t *order, int32_t n,
                        const LabSampling *s, LabRng *rng)
{
    if (s->temperature == 0.0) {
        return order[0]; // greedy: no draw, so the stream is left as it was
    }
    // inverse cumulative distribution, most likely tokens first
    double u = lab_rng_uniform(rng), cum = 0;
    for (int32_t i = 0; i < n; i++) {
        cum += probs[order[i]];
        if (u < cum) {
            return order[i];
        }
    }
    return order[n - 1]; // u within rounding of 1
}

void lab_sampling_check(const LabCommand *cmd, const LabSampling *s)
{
    if (s->temperature > 0 && s->temperature < 0.01) {
        lab_usage_die(cmd, "--temperature is 0 (greedy) or between 0.01 and 100, got %g",
                      s->temperature);
    }
}
