// counts.c: the n-gram trie and the counting passes.
//
// Counting goes one order at a time over the padded corpus. prev[p] holds the order-(k-1)
// n-gram ending at padded position p; the order-k n-gram ending at p is (prev[p-1], tok[p]),
// and its suffix is prev[p]. Once an order is counted its table never moves again, so its
// slot numbers can serve as the next order's keys.
#include "ngram.h"

#include <math.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>

// --- the hash table of one order ----------------------------------------------------------

static inline uint64_t make_key(uint32_t parent, int32_t tok)
{
    return ((uint64_t)parent << 32) | (uint32_t)tok;
}

// The home slot of key in a table of cap slots, any number of them: Fibonacci hashing (the
// top bits of key * 2^64/phi spread nearby keys apart), the top 32 scaled to the table by a
// multiply and a shift rather than a division.
static inline uint32_t slot_of(uint64_t key, uint32_t cap)
{
    return (uint32_t)(((key * 0x9E3779B97F4A7C15ull) >> 32) * cap >> 32);
}

// the slot after i, the first after the last
static inline uint32_t next_slot(uint32_t i, uint32_t cap)
{
    return i + 1 == cap ? 0 : i + 1;
}

// Tables are probed at random: for large ones, ask for 2 MB pages, so that a probe costs
// one cache miss and not also a TLB miss (a hint; the kernel may decline it). The first touch
// of each page is the kernel's: a fault that clears 2 MB (a third of `ngram train`'s CPU time
// once went there). Large tables are filled on every thread, so those faults are shared out.
void *ngram_table_alloc(size_t bytes, int fill)
{
    void *p;
    const size_t huge = (size_t)2 << 20;
    if (bytes >= 2 * huge && posix_memalign(&p, huge, bytes) == 0) {
        madvise(p, bytes, MADV_HUGEPAGE);
    } else {
        p = lab_malloc(bytes);
    }
    if (fill < 0) {
        return p;
    }
    // the first touch of each page is the kernel's clearing it (and, in a virtual machine,
    // the host's finding it), slower than the memset: large blocks are filled by every
    // thread, a 2 MB piece each at a time
    long long pieces = (long long)((bytes + huge - 1) / huge);
#pragma omp parallel for schedule(dynamic, 1) if (pieces >= 4)
    for (long long i = 0; i < pieces; i++) {
        size_t b = (size_t)i * huge;
        memset((char *)p + b, fill, bytes - b < huge ? bytes - b : huge);
    }
    return p;
}

void ngram_level_init(NgramLevel *L, uint32_t cap, int nval)
{
    uint32_t c = 16;
    while (c < cap) {
        c *= 2;
    }
    ngram_level_init_slots(L, c, nval);
}

void ngram_level_init_slots(NgramLevel *L, uint32_t cap, int nval)
{
    uint32_t c = cap < 16 ? 16 : cap;
    memset(L, 0, sizeof *L);
    L->cap = c;
    L->keys = ngram_table_alloc((size_t)c * sizeof *L->keys, 0xFF);
    L->nval = nval;
    for (int v = 0; v < nval; v++) {
        L->val[v] = ngram_table_alloc((size_t)c * sizeof *L->val[v], 0);
    }
}

void ngram_level_free(NgramLevel *L)
{
    free(L->keys);
    for (int v = 0; v < L->nval; v++) {
        free(L->val[v]);
    }
    memset(L, 0, sizeof *L);
}

uint32_t ngram_level_slot(const NgramLevel *L, uint32_t parent, int32_t tok)
{
    return slot_of(make_key(parent, tok), L->cap);
}

uint32_t ngram_level_find(const NgramLevel *L, uint32_t parent, int32_t tok)
{
    if (!L->keys || parent == NGRAM_NONE) {
        return NGRAM_NONE;
    }
    uint64_t key = make_key(parent, tok);
    for (uint32_t i = slot_of(key, L->cap);; i = next_slot(i, L->cap)) {
        uint64_t k = L->keys[i];
        if (k == key) {
            return i;
        }
        if (k == NGRAM_EMPTY) {
            return NGRAM_NONE;
        }
    }
}

static void resize(NgramLevel *L, uint32_t cap)
{
    NgramLevel old = *L;
    ngram_level_init(L, cap, old.nval);
    for (uint32_t s = 0; s < old.cap; s++) {
        uint64_t key = old.keys[s];
        if (key == NGRAM_EMPTY) {
            continue;
        }
        uint32_t i = slot_of(key, L->cap);
        while (L->keys[i] != NGRAM_EMPTY) {
            i = next_slot(i, L->cap);
        }
        L->keys[i] = key;
        for (int v = 0; v < old.nval; v++) {
            L->val[v][i] = old.val[v][s];
        }
    }
    L->n = old.n;
    ngram_level_free(&old);
}

uint32_t ngram_level_insert(NgramLevel *L, uint32_t parent, int32_t tok, int *is_new)
{
    uint64_t key = make_key(parent, tok);
    uint32_t i = slot_of(key, L->cap);
    for (;; i = next_slot(i, L->cap)) {
        uint64_t k = L->keys[i];
        if (k == key) {
            *is_new = 0;
            return i;
        }
        if (k == NGRAM_EMPTY) {
            break;
        }
    }
    // keep the load at most 3/4 so probes stay short
    if ((uint64_t)(L->n + 1) * 4 > (uint64_t)L->cap * 3) {
        if (L->cap >= (1u << 31)) {
            lab_die("count fewer n-grams: a lower order or a smaller corpus",
                    "too many distinct n-grams for one order (%u)", L->n);
        }
        resize(L, L->cap * 2);
        return ngram_level_insert(L, parent, tok, is_new);
    }
    L->keys[i] = key;
    L->n++;
    *is_new = 1;
    return i;
}

uint32_t ngram_level_insert_shared(NgramLevel *L, uint32_t parent, int32_t tok, int *is_new)
{
    uint64_t key = make_key(parent, tok);
    for (uint32_t i = slot_of(key, L->cap);; i = next_slot(i, L->cap)) {
        uint64_t k = __atomic_load_n(&L->keys[i], __ATOMIC_RELAXED);
        if (k == NGRAM_EMPTY) {
            // the slot is ours unless another thread took it first: then it holds its key,
            // which is looked at as any other resident
            if (__atomic_compare_exchange_n(&L->keys[i], &k, key, 0, __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED)) {
                *is_new = 1;
                return i;
            }
        }
        if (k == key) {
            *is_new = 0;
            return i;
        }
    }
}

// --- counting ------------------------------------------------------------------------------

void ngram_level_init_guess(NgramCounts *nc, int k, long long P)
{
    const NgramLevel *Lp = &nc->lev[k - 1];
    // size guess: each order holds more n-grams than the last, by a ratio that shrinks as the
    // order grows; the square root of the last ratio is a cautious guess. Order 2 has no
    // ratio before it: eight bigrams a type, or half the positions (a few thousand character
    // types make hundreds of thousands of bigrams). No order holds more than P n-grams.
    double guess = k == 2 ? fmax(8.0 * Lp->n, 0.5 * (double)P)
                          : Lp->n * sqrt((double)Lp->n / (double)nc->lev[k - 2].n);
    if (guess > (double)P) {
        guess = (double)P;
    }
    // the table is the power of two at or above the guess, which neither grows nor shrinks
    // (ngram_level_fit) while the n-grams fill it between 3/8 and 3/4. Each move allocates and
    // fills a whole new table: with a 4/3 margin on the guess as well, orders 3..5 of
    // tangpoems each took a table twice too large and then moved to one half its size.
    ngram_level_init(&nc->lev[k], (uint32_t)(guess + 16), 3);
}

void ngram_level_fit(NgramLevel *L)
{
    // a generous first guess: bring the load back to at least 3/8 (the 3/4 bound halved)
    uint32_t fit = L->cap;
    while (fit > 16 && (uint64_t)L->n * 8 < (uint64_t)fit * 3) {
        fit /= 2;
    }
    if (fit != L->cap) {
        resize(L, fit);
    }
}

static void count_add(uint32_t *c, uint32_t i)
{
    if (c[i] == UINT32_MAX) {
        lab_die(NULL, "an n-gram occurs more than %u times: the corpus is too large", UINT32_MAX);
    }
    c[i]++;
}

void ngram_count(NgramCounts *nc, const Corpus *c, int32_t vocab_n, int order, TokUnit unit,
                 NgramPad padding)
{
    memset(nc, 0, sizeof *nc);
    nc->order = order;
    nc->unit = unit;
    nc->pad = padding;
    nc->vocab_n = vocab_n;
    const int pad = padding == NGRAM_PAD_NLTK ? order - 1 : 1;
    // the padded corpus: each sequence gets pad <s> in front (with one <s>, a window that
    // reaches before it crosses the sequence's start and is not counted: the first token's
    // longest context is <s> alone)
    long long P = c->n + c->nseq * pad;
    int32_t *tok = lab_malloc((size_t)(P ? P : 1) * sizeof *tok);
    // depth[p]: padded tokens of the sequence up to p, capped at NGRAM_MAX_ORDER, so an
    // order-k window ending at p stays inside its sequence when depth[p] >= k
    uint8_t *depth = lab_malloc((size_t)(P ? P : 1));
    long long p = 0;
    for (long long s = 0; s < c->nseq; s++) {
        for (int i = 0; i < pad; i++, p++) {
            tok[p] = TOK_BOS;
            depth[p] = (uint8_t)(i + 1);
        }
        for (long long i = c->start[s]; i < c->start[s + 1]; i++, p++) {
            tok[p] = c->ids[i];
            long long d = pad + (i - c->start[s]) + 1;
            depth[p] = (uint8_t)(d > NGRAM_MAX_ORDER ? NGRAM_MAX_ORDER : d);
        }
    }
    nc->tokens = c->n;
    // prev[p]: the order-(k-1) node ending at p; cur[p]: the order-k node ending at p
    uint32_t *prev = lab_malloc((size_t)(P ? P : 1) * sizeof *prev);
    uint32_t *cur = lab_malloc((size_t)(P ? P : 1) * sizeof *cur);
    LabProgress prog;
    lab_progress_start(&prog, "count", order);

    // order 1: every vocabulary id gets a node, then the counts
    NgramLevel *L1 = &nc->lev[1];
    ngram_level_init(L1, (uint32_t)vocab_n * 2, 3);
    for (int32_t id = 0; id < vocab_n; id++) {
        int is_new;
        ngram_level_insert(L1, 0, id, &is_new);
    }
    for (p = 0; p < P; p++) {
        prev[p] = ngram_level_find(L1, 0, tok[p]);
        if (tok[p] != TOK_BOS) {
            count_add(L1->val[NGRAM_COUNT], prev[p]);
        }
    }
    lab_progress_update(&prog, 1, -1, P);

    for (int k = 2; k <= order; k++) {
        NgramLevel *L = &nc->lev[k];
        NgramLevel *Lp = &nc->lev[k - 1];
        ngram_level_init_guess(nc, k, P);
        uint32_t cap_before = L->cap;
        for (p = 0; p < P; p++) {
            // the keys of this pass are known in advance: fetch the slot 16 positions ahead
            long long q = p + 16;
            if (q < P && depth[q] >= k) {
                uint32_t home = ngram_level_slot(L, prev[q - 1], tok[q]);
                __builtin_prefetch(&L->keys[home]);
                __builtin_prefetch(&L->val[NGRAM_COUNT][home], 1);
                __builtin_prefetch(&Lp->val[NGRAM_ADJ][prev[q]], 1); // the suffix's count
            }
            if (depth[p] < k) {
                cur[p] = NGRAM_NONE; // the window would cross the sequence's start
                continue;
            }
            uint32_t prefix = prev[p - 1], suffix = prev[p];
            int is_new;
            uint32_t g = ngram_level_insert(L, prefix, tok[p], &is_new);
            if (is_new) {
                L->val[NGRAM_SUFFIX][g] = suffix;
            }
            if (tok[p] != TOK_BOS) {
                count_add(L->val[NGRAM_COUNT], g);
                if (tok[p - k + 1] == TOK_BOS) {
                    count_add(L->val[NGRAM_ADJ], g); // starts with <s>: the raw count
                }
                if (is_new && tok[p - k + 2] != TOK_BOS) {
                    count_add(Lp->val[NGRAM_ADJ], suffix); // one more distinct left neighbour
                }
            }
            cur[p] = g;
        }
        ngram_level_fit(L);
        if (L->cap != cap_before) {
            // the table was resized and its slots moved: look the nodes up again
            for (p = 0; p < P; p++) {
                if (cur[p] != NGRAM_NONE) {
                    cur[p] = ngram_level_find(L, prev[p - 1], tok[p]);
                }
            }
        }
        uint32_t *t = prev;
        prev = cur;
        cur = t;
        lab_progress_update(&prog, k, -1, P * k);
    }
    lab_progress_end(&prog);
    // order-1 n-grams other than <s> itself never start with <s>: their adjusted count is
    // the number of distinct left neighbours, counted above; for an order-1 model it is unused
    free(tok);
    free(depth);
    free(prev);
    free(cur);
}

void ngram_counts_free(NgramCounts *nc)
{
    for (int k = 1; k <= NGRAM_MAX_ORDER; k++) {
        if (nc->keys_lent >> k & 1) {
            nc->lev[k].keys = NULL; // (the model's to free)
        }
        ngram_level_free(&nc->lev[k]);
    }
    memset(nc, 0, sizeof *nc);
}
