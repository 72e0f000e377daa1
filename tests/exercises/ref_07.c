// ref_07.c: chapter 07's exercises, solved: the byte map bound to the lab's own
// (datasets/bpe_text.c), the BPE steps written out plainly.
//
// `make test-suite` links chapters/07-tokenization/check.c with this file and requires every
// exercise test to pass. The tests compare a solution with the lab's trainer and encoder
// (datasets/bpe.c) on random texts, so this plain code passing them says both agree.
#include "exercises.h"

#include <stdlib.h>

#include "datasets/datasets.h"

uint32_t ex_byte_char(unsigned char b)
{
    return bpe_byte_char(b);
}

long ex_most_frequent_pair(const int32_t *ids, long n, int32_t *a, int32_t *b)
{
    if (n < 2) {
        return 0;
    }
    // a count for every pair seen, in a table indexed by its position of first sight
    int32_t *pa = malloc((size_t)n * sizeof *pa), *pb = malloc((size_t)n * sizeof *pb);
    long *cnt = calloc((size_t)n, sizeof *cnt), np = 0;
    for (long i = 0; i + 1 < n; i++) {
        long k = 0;
        while (k < np && !(pa[k] == ids[i] && pb[k] == ids[i + 1])) {
            k++;
        }
        if (k == np) {
            pa[np] = ids[i], pb[np] = ids[i + 1], np++;
        }
        cnt[k]++;
    }
    long best = 0;
    for (long k = 1; k < np; k++) {
        if (cnt[k] > cnt[best] || (cnt[k] == cnt[best] &&
                                   (pa[k] < pa[best] || (pa[k] == pa[best] && pb[k] < pb[best])))) {
            best = k;
        }
    }
    long c = cnt[best];
    *a = pa[best];
    *b = pb[best];
    free(pa);
    free(pb);
    free(cnt);
    return c;
}

long ex_merge_pair(int32_t *ids, long n, int32_t a, int32_t b, int32_t new_id)
{
    long o = 0;
    for (long i = 0; i < n;) {
        if (i + 1 < n && ids[i] == a && ids[i + 1] == b) {
            ids[o++] = new_id;
            i += 2;
        } else {
            ids[o++] = ids[i++];
        }
    }
    return o;
}

long ex_encode_chunk(int32_t *ids, const unsigned char *s, long n, const int32_t *merges,
                     int nmerges)
{
    for (long i = 0; i < n; i++) {
        ids[i] = s[i];
    }
    for (;;) {
        int best = -1; // the earliest merge among the adjacent pairs
        for (long i = 0; i + 1 < n; i++) {
            for (int m = 0; m < nmerges && (best < 0 || m < best); m++) {
                if (merges[2 * m] == ids[i] && merges[2 * m + 1] == ids[i + 1]) {
                    best = m;
                }
            }
        }
        if (best < 0) {
            return n;
        }
        n = ex_merge_pair(ids, n, merges[2 * best], merges[2 * best + 1], 256 + best);
    }
}

long ex_open_best_bpe_vocab(void)
{
    return 512;
}

double ex_open_tokens_per_word(void)
{
    return 1663.0 / 641.0; // 1663 tokens, 641 words on valid
}
