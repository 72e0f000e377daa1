// sample.c: the one sampler of every family: temperature, top-k, top-p and greedy over a
// probability vector, then one draw.
//
// The model gives the probabilities; this file only filters and draws, so two families with
// the same distribution and seed draw the same token. See lab.h for the order of operations.
#include "lab/lab.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int by_prob_desc(const void *pa, const void *pb, void *ctx)
{
    const double *probs = ctx;
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    if (probs[a] != probs[b]) {
        return probs[a] > probs[b] ? -1 : 1;
    }
    return (a > b) - (a < b); // ties by id, so the order is the same everywhere
}

static void radix_by_prob_desc(int32_t *ids, int32_t n, const double *probs);

static int by_double_desc(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a < b) - (a > b);
}

// ids[0..n) (ascending) sorted by probs descending, ties left in id order, when the values
// are few: an n-gram model gives every token it backs off to for the same reason the same
// double, and a word model's 15k probabilities hold a few hundred values. Each distinct value
// (by its bits: positive doubles are equal exactly when their bits are) gets a group through a
// hash table; the values are sorted, and the ids go to their group's place in the order they
// come, so ascending within a group. Returns 0, leaving ids as they were, once more than n/8
// distinct values turn up (then the radix sort is the cheaper).
static int group_by_prob_desc(int32_t *ids, int32_t n, const double *probs)
{
    int32_t most = n / 8;
    uint32_t cap = 16;
    while (cap < 2 * (uint32_t)most + 2) {
        cap *= 2;
    }
    uint64_t *slot_bits = lab_malloc((size_t)cap * sizeof *slot_bits);
    int32_t *slot_group = lab_malloc((size_t)cap * sizeof *slot_group);
    double *value = lab_malloc(((size_t)most + 1) * sizeof *value);
    int32_t *count = lab_malloc(((size_t)most + 1) * sizeof *count);
    int32_t *group = lab_malloc((size_t)n * sizeof *group);
    for (uint32_t i = 0; i < cap; i++) {
        slot_group[i] = -1;
    }
    int32_t d = 0, ok = 1;
    for (int32_t i = 0; i < n && ok; i++) {
        uint64_t bits;
        memcpy(&bits, &probs[ids[i]], sizeof bits);
        uint32_t h = (uint32_t)((bits * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
        while (slot_group[h] >= 0 && slot_bits[h] != bits) {
            h = (h + 1) & (cap - 1);
        }
        if (slot_group[h] < 0) {
            if (d == most) {
                ok = 0;
                break;
            }
            slot_bits[h] = bits;
            slot_group[h] = d;
            value[d] = probs[ids[i]];
            count[d++] = 0;
        }
        group[i] = slot_group[h];
        count[group[i]]++;
    }
    if (ok) {
        // the groups' places: by value, largest first
        double *sorted = lab_malloc(((size_t)d + 1) * sizeof *sorted);
        memcpy(sorted, value, (size_t)d * sizeof *sorted);
        qsort(sorted, (size_t)d, sizeof *sorted, by_double_desc);
        int32_t at = 0;
        for (int32_t r = 0; r < d; r++) {
            uint64_t bits;
            memcpy(&bits, &sorted[r], sizeof bits);
            uint32_t h = (uint32_t)((bits * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
            while (slot_bits[h] != bits) {
                h = (h + 1) & (cap - 1);
            }
            int32_t g = slot_group[h], c = count[g];
            count[g] = at; // now the group's next place
            at += c;
        }
        free(sorted);
        int32_t *out = lab_malloc((size_t)n * sizeof *out);
        for (int32_t i = 0; i < n; i++) {
            out[count[group[i]]++] = ids[i];
        }
        memcpy(ids, out, (size_t)n * sizeof *ids);
        free(out);
    }
    free(slot_bits);
    free(slot_group);
    free(value);
    free(count);
    free(group);
    return ok;
}

// ids[0..n) (ascending, probs >= 0) sorted by probs descending, ties left in id order: what
// qsort_r with by_prob_desc gives, by whichever way is cheaper for the values.
static void sort_by_prob_desc(int32_t *ids, int32_t n, const double *probs)
{
    if (n < 64) {
        qsort_r(ids, (size_t)n, sizeof *ids, by_prob_desc, (void *)probs);
        return;
    }
    if (!group_by_prob_desc(ids, n, probs)) {
        radix_by_prob_desc(ids, n, probs);
    }
}

// The same order by a least-significant-digit radix sort: non-negative doubles order as their
// bit patterns, so the complemented patterns are sorted 11 bits a pass, each pass stable
// (passes where every key has the same digit are skipped): a few sweeps of the ids instead of
// V log V calls of a comparison, which over a 15k-word vocabulary was most of the time of
// drawing a token.
static void radix_by_prob_desc(int32_t *ids, int32_t n, const double *probs)
{
    enum { BITS = 11, RADIX = 1 << BITS };
    uint64_t *key = lab_malloc(2 * (size_t)n * sizeof *key);
    int32_t *id2 = lab_malloc((size_t)n * sizeof *id2);
    uint64_t *ksrc = key, *kdst = key + n;
    int32_t *isrc = ids, *idst = id2;
    for (int32_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &probs[ids[i]], sizeof bits);
        ksrc[i] = ~bits; // (probs >= 0: the largest first)
    }
    uint32_t count[RADIX];
    for (int shift = 0; shift < 64; shift += BITS) {
        memset(count, 0, sizeof count);
        for (int32_t i = 0; i < n; i++) {
            count[(ksrc[i] >> shift) & (RADIX - 1)]++;
        }
        if (count[(ksrc[0] >> shift) & (RADIX - 1)] == (uint32_t)n) {
            continue; // one digit for all: the order stays
        }
        uint32_t at = 0;
        for (int d = 0; d < RADIX; d++) {
            uint32_t c = count[d];
            count[d] = at;
            at += c;
        }
        for (int32_t i = 0; i < n; i++) {
            uint32_t j = count[(ksrc[i] >> shift) & (RADIX - 1)]++;
            kdst[j] = ksrc[i];
            idst[j] = isrc[i];
        }
        uint64_t *kt = ksrc;
        ksrc = kdst, kdst = kt;
        int32_t *it = isrc;
        isrc = idst, idst = it;
    }
    if (isrc != ids) {
        memcpy(ids, isrc, (size_t)n * sizeof *ids);
    }
    free(key);
    free(id2);
}

int32_t lab_sample_filter(double *probs, int32_t V, const LabSampling *s, int32_t *order_buf)
{
    double pmax = 0;
    for (int32_t w = 0; w < V; w++) {
        pmax = probs[w] > pmax ? probs[w] : pmax; // fmax's value (a NaN is passed over), inline
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
    sort_by_prob_desc(order_buf, n, probs);
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
