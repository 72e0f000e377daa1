// check.c: the tests of chapter 07's exercises. Run them with `make check CH=07`.
//
// One test per exercise. Each checks the hand-worked examples of the chapter first (and says
// what you might have missed when a known mistake gives the wrong value), then compares your
// function with the lab's own BPE (datasets/bpe.c) on random texts drawn with a fixed seed, so
// a failure repeats exactly: the byte map against the lab's for all 256 bytes, the most
// frequent pair against the first merge the lab's trainer learns, one merge and a whole
// encoding against the lab's encoder. The random texts are runs of letters: GPT-2's
// pre-tokenizer keeps such a run in one chunk, so the lab sees the same sequence you do.
// Every test runs in its own process with a time limit: a crash or an endless loop fails
// that exercise only.
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datasets/datasets.h"
#include "exercises.h"

#define CHECK_TOL 1e-9
#define CHECK_FLOOR 1.0
#include "chapters/check.h" // agree, EXPECT, Mistake, hint_for, show2, N_OF, uniform_in

#define NRANDOM 200 // random cases per exercise

// A random run of n letters from the first k of 'a'..'z' into s (n + 1 bytes).
static void letters(char *s, long n, int k, LabRng *rng)
{
    for (long i = 0; i < n; i++) {
        s[i] = (char)('a' + lab_rng_below(rng, (uint64_t)k));
    }
    s[n] = '\0';
}

// The lab's tokenizer trained on s (one chunk) to at most nmerges merges.
static void lab_bpe(Bpe *b, const char *s, int nmerges)
{
    const char *special[] = {BPE_ENDOFTEXT};
    cr_assert_eq(bpe_init(b, BPE_GPT2, special, 1), 0, "lab: bpe_init failed");
    cr_assert_eq(bpe_train(b, s, strlen(s), 256 + nmerges + 1), 0, "lab: bpe_train failed");
}

// The lab's ids of s (one chunk); *n their count. The caller frees them.
static int32_t *lab_encode(Bpe *b, const char *s, size_t *n)
{
    int32_t *ids;
    cr_assert_eq(bpe_encode(b, s, strlen(s), &ids, n), 0, "lab: bpe_encode failed");
    return ids;
}

static int32_t *bytes_of(const char *s)
{
    size_t n = strlen(s);
    int32_t *ids = lab_malloc((n + 1) * sizeof *ids);
    for (size_t i = 0; i < n; i++) {
        ids[i] = (unsigned char)s[i];
    }
    return ids;
}

// Fails with the first id of got (ngot) that differs from want (nwant), naming `what`.
static void expect_ids(const int32_t *got, long ngot, const int32_t *want, long nwant,
                       const char *hint, const char *what)
{
    if (ngot != nwant) {
        cr_assert_fail("%s: %ld ids, expected %ld\n%s", what, ngot, nwant, hint);
    }
    for (long i = 0; i < ngot; i++) {
        if (got[i] != want[i]) {
            cr_assert_fail("%s: id %ld is %d, expected %d\n%s", what, i, got[i], want[i], hint);
        }
    }
}

// --- 1. GPT-2's byte-to-unicode map -------------------------------------------------------------

Test(ch07, ex01_byte_char, .timeout = 10)
{
    const struct {
        unsigned char b;
        uint32_t want;
        const char *what;
    } hand[] = {
        {'A', 'A', "'A', printable"},
        {0x20, 0x120, "the space: 'Ġ'"},
        {0x0A, 0x10A, "newline: 'Ċ'"},
        {0x00, 0x100, "byte 0: 'Ā'"},
        {0x7F, 0x121, "DEL, rank 33"},
        {0xA0, 0x142, "no-break space, rank 66"},
        {0xAD, 0x143, "soft hyphen, the last of the 68"},
        {0xE4, 0xE4, "0xE4, printable"},
    };
    for (int i = 0; i < N_OF(hand); i++) {
        uint32_t b = hand[i].b, got = ex_byte_char(hand[i].b);
        const Mistake m[] = {
            {b, "this byte is not printable: it is spelled 256 + its rank among the 68 others"},
            {256.0 + b, "k is the rank among the 68 unprintable bytes, not the byte itself"},
            {b == 0x7F ? 0x120 : -1, "DEL comes after the space: rank 33, not 32"},
        };
        EXPECT(got, hand[i].want,
               hint_for(got, m, N_OF(m),
                        "the printable bytes are '!'..'~', 0xA1..0xAC, 0xAE..0xFF (section 3)"),
               "ex_byte_char(0x%02X) (%s)", hand[i].b, hand[i].what);
    }
    for (int b = 0; b < 256; b++) {
        EXPECT(ex_byte_char((unsigned char)b), bpe_byte_char((unsigned char)b),
               "compare your ranges of printable bytes with section 3's table",
               "ex_byte_char(0x%02X), against the lab", b);
    }
}

// --- 2. the most frequent pair ------------------------------------------------------------------

static void expect_pair(const int32_t *ids, long n, long want_count, int32_t wa, int32_t wb,
                        const char *what)
{
    int32_t a = -1, b = -1;
    long c = ex_most_frequent_pair(ids, n, &a, &b);
    const Mistake m[] = {{want_count / 2.0, "overlapping occurrences count: aaa holds aa twice"},
                         {want_count - 1.0, "the last pair (ids[n-2], ids[n-1]) counts too"}};
    EXPECT(c, want_count, hint_for(c, m, N_OF(m), "count every i with i + 1 < n"),
           "ex_most_frequent_pair(%s): the count", what);
    if (a != wa || b != wb) {
        cr_assert_fail("ex_most_frequent_pair(%s) = (%d, %d), expected (%d, %d)\n%s", what, a, b,
                       wa, wb,
                       "on a tie the lowest first id wins, then the lowest second id (not the "
                       "pair seen first)");
    }
}

Test(ch07, ex02_most_frequent_pair, .timeout = 10)
{
    int32_t *w = bytes_of("aaabdaaabac");
    expect_pair(w, 11, 4, 'a', 'a', "\"aaabdaaabac\"");
    free(w);
    int32_t *o = bytes_of("aaaa");
    expect_pair(o, 4, 3, 'a', 'a', "\"aaaa\"");
    free(o);
    // (5, 3) and (2, 1) twice each: the lower first id, 2, wins
    const int32_t tie[] = {5, 3, 5, 3, 2, 1, 2, 1};
    expect_pair(tie, 8, 2, 2, 1, "{5, 3, 5, 3, 2, 1, 2, 1}");
    const int32_t big[] = {300, 7, 300, 7, 9};
    expect_pair(big, 5, 2, 300, 7, "{300, 7, 300, 7, 9}");
    int32_t a = -1, b = -1;
    long c = ex_most_frequent_pair(tie, 1, &a, &b);
    EXPECT(c, 0, "one id has no pair", "ex_most_frequent_pair of one id: the count");
    LabRng rng;
    lab_rng_seed(&rng, 7);
    char s[201];
    for (int r = 0; r < NRANDOM; r++) {
        long n = 2 + (long)lab_rng_below(&rng, 199);
        letters(s, n, 2 + (int)lab_rng_below(&rng, 5), &rng);
        Bpe lab;
        lab_bpe(&lab, s, 1); // the lab's first merge is its most frequent pair
        int32_t la = lab.merges[0].a, lb = lab.merges[0].b;
        long count = 0;
        for (long i = 0; i + 1 < n; i++) {
            count += s[i] == la && s[i + 1] == lb;
        }
        bpe_free(&lab);
        int32_t *ids = bytes_of(s);
        char what[240];
        snprintf(what, sizeof what, "\"%.60s%s\" (%ld letters)", s, n > 60 ? "..." : "", n);
        expect_pair(ids, n, count, la, lb, what);
        free(ids);
    }
}

// --- 3. one merge -------------------------------------------------------------------------------

Test(ch07, ex03_merge_pair, .timeout = 10)
{
    int32_t x[] = {97, 97, 97, 98};
    long n = ex_merge_pair(x, 4, 97, 97, 256);
    const int32_t want[] = {256, 97, 98};
    const char *hint = "scan left to right; after a merge, continue after both tokens";
    const Mistake m[] = {{2, "a a a holds one (a, a) to merge, then a single a is left"}};
    EXPECT(n, 3, hint_for(n, m, N_OF(m), hint), "ex_merge_pair({a, a, a, b}, (a, a) -> 256)");
    expect_ids(x, n, want, 3, hint, "ex_merge_pair({a, a, a, b}, (a, a) -> 256)");
    int32_t y[] = {1, 2, 1, 2, 1};
    n = ex_merge_pair(y, 5, 1, 2, 9);
    const int32_t want_y[] = {9, 9, 1};
    expect_ids(y, n, want_y, 3, hint, "ex_merge_pair({1, 2, 1, 2, 1}, (1, 2) -> 9)");
    int32_t z[] = {4, 4};
    n = ex_merge_pair(z, 2, 4, 5, 9);
    expect_ids(z, n, z, 2, "a sequence without the pair is left as it is",
               "ex_merge_pair({4, 4}, (4, 5) -> 9)");
    LabRng rng;
    lab_rng_seed(&rng, 8);
    char s[201];
    for (int r = 0; r < NRANDOM; r++) {
        long len = 2 + (long)lab_rng_below(&rng, 199);
        letters(s, len, 2 + (int)lab_rng_below(&rng, 5), &rng);
        Bpe lab;
        lab_bpe(&lab, s, 1);
        size_t nw;
        int32_t *w = lab_encode(&lab, s, &nw); // s with the lab's one merge applied
        int32_t *ids = bytes_of(s);
        n = ex_merge_pair(ids, len, lab.merges[0].a, lab.merges[0].b, 256);
        char what[240];
        snprintf(what, sizeof what, "ex_merge_pair(\"%.60s%s\", (%c, %c) -> 256), against the lab",
                 s, len > 60 ? "..." : "", lab.merges[0].a, lab.merges[0].b);
        expect_ids(ids, n, w, (long)nw, hint, what);
        free(ids);
        free(w);
        bpe_free(&lab);
    }
}

// --- 4. encoding a chunk ------------------------------------------------------------------------

Test(ch07, ex04_encode_chunk, .timeout = 10)
{
    // Wikipedia's example, trained in section 2: aa, ab, (aa)(ab), ac
    const int32_t merges[] = {'a', 'a', 'a', 'b', 256, 257, 'a', 'c'};
    const char *s = "aaabdaaabac";
    int32_t ids[256];
    long n = ex_encode_chunk(ids, (const unsigned char *)s, 11, merges, 4);
    const int32_t want[] = {258, 'd', 258, 259};
    const char *hint = "apply the merge learned first among the pairs present, everywhere, and "
                       "repeat until no pair is a merge";
    expect_ids(ids, n, want, 4, hint, "ex_encode_chunk(\"aaabdaaabac\", Wikipedia's 4 merges)");
    // (b, c) was learned before (a, b): "abc" is a, bc, not ab, c
    const int32_t order[] = {'b', 'c', 'a', 'b'};
    n = ex_encode_chunk(ids, (const unsigned char *)"abc", 3, order, 2);
    const int32_t want_o[] = {'a', 256};
    expect_ids(ids, n, want_o, 2,
               "the earliest merge wins, not the leftmost pair: merge order is learning order",
               "ex_encode_chunk(\"abc\", merges (b, c), (a, b))");
    n = ex_encode_chunk(ids, (const unsigned char *)"xyz", 3, merges, 0);
    const int32_t want_b[] = {'x', 'y', 'z'};
    expect_ids(ids, n, want_b, 3, "without merges the ids are the bytes",
               "ex_encode_chunk(\"xyz\", no merges)");
    LabRng rng;
    lab_rng_seed(&rng, 9);
    char train[201], text[201];
    for (int r = 0; r < NRANDOM; r++) {
        int k = 2 + (int)lab_rng_below(&rng, 5);
        letters(train, 20 + (long)lab_rng_below(&rng, 181), k, &rng);
        long len = 1 + (long)lab_rng_below(&rng, 200);
        letters(text, len, k, &rng);
        Bpe lab;
        lab_bpe(&lab, train, 1 + (int)lab_rng_below(&rng, 30));
        int32_t *m = lab_malloc(2 * ((size_t)lab.nmerges + 1) * sizeof *m);
        for (int i = 0; i < lab.nmerges; i++) {
            m[2 * i] = lab.merges[i].a;
            m[2 * i + 1] = lab.merges[i].b;
        }
        size_t nw;
        int32_t *w = lab_encode(&lab, text, &nw);
        n = ex_encode_chunk(ids, (const unsigned char *)text, len, m, lab.nmerges);
        char what[240];
        snprintf(what, sizeof what,
                 "ex_encode_chunk(\"%.60s%s\", %d merges learned from "
                 "\"%.30s...\"), against the lab",
                 text, len > 60 ? "..." : "", lab.nmerges, train);
        expect_ids(ids, n, w, (long)nw, hint, what);
        free(w);
        free(m);
        bpe_free(&lab);
    }
}

// --- 5. open: how large a vocabulary ------------------------------------------------------------

Test(ch07, ex05_open_best_bpe_vocab, .timeout = 10)
{
    long v = ex_open_best_bpe_vocab();
    // measured with the commands of section 5: word perplexity on valid 2312.1 (512), 2483.0
    // (1024), 2803.0 (2048)
    if (v != 512) {
        cr_assert_fail("ex_open_best_bpe_vocab() = %ld, which is not the --bpe-vocab of the "
                       "lowest word perplexity\n%s",
                       v,
                       v == 1024 || v == 2048
                           ? "compare the 'word ppl' lines of the three evaluations again"
                           : "run the three BPE lines of section 5's table and compare their "
                             "'word ppl' on valid");
    }
    double t = ex_open_tokens_per_word();
    // measured: 1663 tokens and 641 words on valid with --bpe-vocab 512: 2.594
    if (!(t >= 2.57 && t <= 2.62)) {
        cr_assert_fail("ex_open_tokens_per_word() = %g, expected 2.57 to 2.62\n%s", t,
                       t > 0.37 && t < 0.40 ? "that is words per token: divide the other way"
                       : t > 1.7 && t < 2.1 ? "that is the 1024 or the 2048 run's"
                                            : "divide 'tokens ... scored' by the words of "
                                              "'word ppl', both from the eval of that run");
    }
}
