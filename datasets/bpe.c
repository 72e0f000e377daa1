// bpe.c: byte-level BPE, GPT-2's tokenizer as minbpe trains it: pre-tokenize, count the
// distinct chunks, merge the most frequent pair, again and again; encode by the learned
// merges in order; decode by concatenating bytes. docs/tokenizers.md describes the algorithm,
// the tie rule and the byte fallback; docs/formats.md the files.
//
// Training is the incremental algorithm of fast BPE trainers: pair counts in a hash table, a
// max-heap of (count, pair) with stale entries dropped when they come up, and for each pair
// the list of chunks it occurs in, so a merge rewrites only the chunks that hold its pair.
// Left out: regularisation (BPE dropout), and a vocabulary shared with datasets/vocab.c.
//
// One file, over the usual 800 lines, because its four parts share the chunk split and the
// merge table: the pre-tokenizer with its byte fallback, the trainer, the encoder and the
// reader/writer of merges.txt (whose checks mirror what the trainer guarantees).
#define PCRE2_CODE_UNIT_WIDTH 8
#include "datasets.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#define EMPTY_KEY UINT64_MAX

static uint64_t pair_key(int32_t a, int32_t b)
{
    return (uint64_t)(uint32_t)a << 32 | (uint32_t)b;
}

static uint32_t key_hash(uint64_t k)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdull;
    k ^= k >> 33;
    return (uint32_t)k;
}

// --- the vocabulary's bytes ---------------------------------------------------------------

// Rebuilds b->bytes and b->off from the merges and specials.
static void build_bytes(Bpe *b)
{
    b->n = 256 + b->nmerges + b->nspecial;
    free(b->off);
    free(b->bytes);
    b->off = lab_malloc(((size_t)b->n + 1) * sizeof *b->off);
    size_t total = 256;
    // lengths first (merges reference only earlier ids), then the bytes
    uint32_t *len = lab_malloc((size_t)b->n * sizeof *len);
    for (int32_t id = 0; id < 256; id++) {
        len[id] = 1;
    }
    for (int32_t i = 0; i < b->nmerges; i++) {
        // at most BPE_CHUNK_MAX bytes: no merge crosses a chunk (bpe_load checks it)
        len[256 + i] = len[b->merges[i].a] + len[b->merges[i].b];
        total += len[256 + i];
    }
    for (int32_t i = 0; i < b->nspecial; i++) {
        len[256 + b->nmerges + i] = (uint32_t)strlen(b->special[i]);
        total += len[256 + b->nmerges + i];
    }
    b->bytes = lab_malloc(total ? total : 1);
    size_t o = 0;
    for (int32_t id = 0; id < b->n; id++) {
        b->off[id] = (uint32_t)o;
        if (id < 256) {
            b->bytes[o] = (char)id;
        } else if (id < 256 + b->nmerges) {
            BpePair p = b->merges[id - 256];
            memcpy(b->bytes + o, b->bytes + b->off[p.a], len[p.a]);
            memcpy(b->bytes + o + len[p.a], b->bytes + b->off[p.b], len[p.b]);
        } else {
            memcpy(b->bytes + o, b->special[id - 256 - b->nmerges], len[id]);
        }
        o += len[id];
    }
    b->off[b->n] = (uint32_t)o;
    free(len);
}

// Rebuilds the merge lookup (a, b) -> merge index, and empties the chunk cache.
static void build_lookup(Bpe *b)
{
    free(b->mkey);
    free(b->mval);
    b->mcap = 16;
    while (b->mcap < 2 * (uint32_t)b->nmerges + 2) {
        b->mcap *= 2;
    }
    b->mkey = lab_malloc(b->mcap * sizeof *b->mkey);
    b->mval = lab_malloc(b->mcap * sizeof *b->mval);
    for (uint32_t k = 0; k < b->mcap; k++) {
        b->mkey[k] = EMPTY_KEY;
    }
    for (int32_t i = 0; i < b->nmerges; i++) {
        uint64_t key = pair_key(b->merges[i].a, b->merges[i].b);
        uint32_t k = key_hash(key) & (b->mcap - 1);
        while (b->mkey[k] != EMPTY_KEY && b->mkey[k] != key) {
            k = (k + 1) & (b->mcap - 1);
        }
        if (b->mkey[k] == EMPTY_KEY) { // a duplicate merge keeps its first rank
            b->mkey[k] = key;
            b->mval[k] = i;
        }
    }
    lab_strtab_free(&b->cache);
    b->cache.nslots = 0;
    free(b->cache_off);
    b->cache_off = lab_malloc(sizeof *b->cache_off);
    b->cache_off[0] = 0;
    b->cache_cap = 1;
}

// The merge index of pair (x, y), or -1.
static int32_t merge_rank(const Bpe *b, int32_t x, int32_t y)
{
    uint64_t key = pair_key(x, y);
    uint32_t k = key_hash(key) & (b->mcap - 1);
    while (b->mkey[k] != EMPTY_KEY) {
        if (b->mkey[k] == key) {
            return b->mval[k];
        }
        k = (k + 1) & (b->mcap - 1);
    }
    return -1;
}

static int compile_split(Bpe *b)
{
    const char *pat = b->split == BPE_GPT4 ? BPE_GPT4_PATTERN : BPE_GPT2_PATTERN;
    int err;
    PCRE2_SIZE off;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)pat, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C, &err, &off,
                                   NULL);
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        return lab_error("the BPE split pattern does not compile: %s at offset %zu",
                         (char *)msg, (size_t)off);
    }
    b->jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
    b->re = re;
    b->md = pcre2_match_data_create_from_pattern(re, NULL);
    return 0;
}

int bpe_init(Bpe *b, BpeSplit split, const char *const *special, int nspecial)
{
    memset(b, 0, sizeof *b);
    b->split = split;
    if (nspecial < 0 || nspecial > BPE_MAX_SPECIAL) {
        return lab_error("%d special tokens: at most %d", nspecial, BPE_MAX_SPECIAL);
    }
    b->special = lab_calloc((size_t)nspecial + 1, sizeof *b->special);
    for (int i = 0; i < nspecial; i++) {
        size_t len = strlen(special[i]);
        int dup = 0;
        for (int j = 0; j < i; j++) {
            dup |= strcmp(special[i], special[j]) == 0;
        }
        if (len == 0 || len > 255 || dup) {
            char q[128];
            lab_error("special token '%s' is %s", lab_quote(q, sizeof q, special[i], len),
                      len == 0 ? "empty" : len > 255 ? "longer than 255 bytes" : "repeated");
            bpe_free(b);
            return -1;
        }
        b->special[i] = lab_strdup(special[i]);
        b->nspecial++;
    }
    b->scratch = lab_malloc(BPE_CHUNK_MAX * sizeof *b->scratch);
    build_bytes(b);
    build_lookup(b);
    if (compile_split(b) != 0) {
        bpe_free(b);
        return -1;
    }
    return 0;
}

void bpe_free(Bpe *b)
{
    free(b->merges);
    for (int32_t i = 0; b->special && i < b->nspecial; i++) {
        free(b->special[i]);
    }
    free(b->special);
    free(b->bytes);
    free(b->off);
    free(b->mkey);
    free(b->mval);
    if (b->md) {
        pcre2_match_data_free(b->md);
    }
    if (b->re) {
        pcre2_code_free(b->re);
    }
    lab_strtab_free(&b->cache);
    free(b->cache_off);
    free(b->cache_ids);
    free(b->scratch);
    memset(b, 0, sizeof *b);
}

// --- pre-tokenizer ------------------------------------------------------------------------

// Emits s[0..n), cut into pieces of at most BPE_CHUNK_MAX bytes that end on a character.
static void emit(const char *s, size_t n, TokFn fn, void *ctx)
{
    while (n > BPE_CHUNK_MAX) {
        size_t k = BPE_CHUNK_MAX;
        while (k > 1 && ((unsigned char)s[k] & 0xC0) == 0x80) {
            k--; // s[k] continues a character: cut before the character's first byte
        }
        fn(s, k, ctx);
        s += k;
        n -= k;
    }
    fn(s, n, ctx);
}

int bpe_chunks(Bpe *b, const char *s, size_t n, TokFn fn, void *ctx)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        // the longest stretch of valid UTF-8 from i: the regex runs on it without UTF checks
        size_t j = i;
        while (j < n) {
            if (u[j] < 0x80) {
                j++;
                continue;
            }
            int k = lab_utf8_seq(u + j, n - j);
            if (k == 0) {
                break;
            }
            j += (size_t)k;
        }
        PCRE2_SIZE start = 0, len = j - i;
        while (start < len) {
            int rc = b->jit ? pcre2_jit_match(b->re, (PCRE2_SPTR)(s + i), len, start, 0, b->md,
                                              NULL)
                            : pcre2_match(b->re, (PCRE2_SPTR)(s + i), len, start,
                                          PCRE2_NO_UTF_CHECK, b->md, NULL);
            if (rc < 0) {
                // the pattern ends in \s+ after alternatives covering every other character,
                // so it always matches; a failure is the engine's (a resource limit)
                PCRE2_UCHAR msg[256];
                pcre2_get_error_message(rc, msg, sizeof msg);
                return lab_error("the BPE split pattern failed at byte %zu: %s",
                                 i + (size_t)start, (char *)msg);
            }
            PCRE2_SIZE *ov = pcre2_get_ovector_pointer(b->md);
            if (ov[1] <= ov[0] || ov[0] != start) {
                return lab_error("the BPE split pattern skipped or matched nothing at byte %zu",
                                 i + (size_t)start);
            }
            emit(s + i + ov[0], ov[1] - ov[0], fn, ctx);
            start = ov[1];
        }
        if (j < n) {
            fn(s + j, 1, ctx); // a byte that is not UTF-8 here: a chunk of its own
            j++;
        }
        i = j;
    }
    return 0;
}

// --- training -----------------------------------------------------------------------------
// The distinct chunks live in one pool of token ids, each rewritten in place as merges
// shorten it. A pair records its count (over the chunks, weighted) and the chunks it has
// occurred in; the list may hold chunks that no longer have the pair, which a merge skips.

typedef struct {
    int32_t a, b;
    int64_t count;
    int32_t *occ; // chunks holding the pair (some perhaps no longer), in the order seen
    int32_t nocc, capocc;
    int32_t touched; // the merge that last created this pair in a chunk (+1)
} TrainPair;

typedef struct {
    int64_t count;
    int32_t a, b, pair;
} HeapItem;

typedef struct {
    // distinct chunks
    LabStrTab tab;
    int64_t *weight; // (nchunk) occurrences of each chunk in the text
    int64_t capw;
    int32_t *sym;    // the chunks' tokens back to back
    int64_t *start;  // (nchunk) chunk c is sym[start[c] .. start[c] + len[c])
    int32_t *len;
    int32_t *stamp;  // the merge that last rewrote chunk c (+1)
    // pairs
    TrainPair *pairs;
    int32_t npairs, cappairs;
    uint64_t *hkey;  // (hcap) open addressing: pair key -> index in pairs
    int32_t *hval;
    uint32_t hcap;
    HeapItem *heap;
    int64_t nheap, capheap;
} Trainer;

static void count_chunk(const char *tok, size_t len, void *ctx)
{
    Trainer *t = ctx;
    int32_t before = t->tab.n;
    int32_t id = lab_strtab_add(&t->tab, tok, len);
    if (id >= t->capw) {
        t->capw = t->capw ? 2 * t->capw : 1 << 14;
        t->weight = lab_realloc(t->weight, (size_t)t->capw * sizeof *t->weight);
    }
    if (id == before) {
        t->weight[id] = 0; // a chunk not seen before
    }
    t->weight[id]++;
}

static int32_t pair_find_or_add(Trainer *t, int32_t a, int32_t b)
{
    if (2 * ((uint32_t)t->npairs + 1) > t->hcap) {
        uint32_t ncap = t->hcap ? 2 * t->hcap : 1 << 16;
        uint64_t *nk = lab_malloc(ncap * sizeof *nk);
        int32_t *nv = lab_malloc(ncap * sizeof *nv);
        for (uint32_t k = 0; k < ncap; k++) {
            nk[k] = EMPTY_KEY;
        }
        for (uint32_t k = 0; k < t->hcap; k++) {
            if (t->hkey[k] != EMPTY_KEY) {
                uint32_t j = key_hash(t->hkey[k]) & (ncap - 1);
                while (nk[j] != EMPTY_KEY) {
                    j = (j + 1) & (ncap - 1);
                }
                nk[j] = t->hkey[k];
                nv[j] = t->hval[k];
            }
        }
        free(t->hkey);
        free(t->hval);
        t->hkey = nk;
        t->hval = nv;
        t->hcap = ncap;
    }
    uint64_t key = pair_key(a, b);
    uint32_t k = key_hash(key) & (t->hcap - 1);
    while (t->hkey[k] != EMPTY_KEY) {
        if (t->hkey[k] == key) {
            return t->hval[k];
        }
        k = (k + 1) & (t->hcap - 1);
    }
    if (t->npairs == t->cappairs) {
        t->cappairs = t->cappairs ? 2 * t->cappairs : 1 << 14;
        t->pairs = lab_realloc(t->pairs, (size_t)t->cappairs * sizeof *t->pairs);
    }
    t->pairs[t->npairs] = (TrainPair){.a = a, .b = b};
    t->hkey[k] = key;
    t->hval[k] = t->npairs;
    return t->npairs++;
}

// heap order: the larger count first; on a tie the lower a, then the lower b
static int heap_before(const HeapItem *x, const HeapItem *y)
{
    if (x->count != y->count) {
        return x->count > y->count;
    }
    if (x->a != y->a) {
        return x->a < y->a;
    }
    return x->b < y->b;
}

static void heap_push(Trainer *t, int32_t pair)
{
    if (t->nheap == t->capheap) {
        t->capheap = t->capheap ? 2 * t->capheap : 1 << 14;
        t->heap = lab_realloc(t->heap, (size_t)t->capheap * sizeof *t->heap);
    }
    TrainPair *p = &t->pairs[pair];
    HeapItem it = {p->count, p->a, p->b, pair};
    int64_t i = t->nheap++;
    while (i > 0 && heap_before(&it, &t->heap[(i - 1) / 2])) {
        t->heap[i] = t->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    t->heap[i] = it;
}

static HeapItem heap_pop(Trainer *t)
{
    HeapItem top = t->heap[0], last = t->heap[--t->nheap];
    int64_t i = 0;
    for (;;) {
        int64_t c = 2 * i + 1;
        if (c >= t->nheap) {
            break;
        }
        if (c + 1 < t->nheap && heap_before(&t->heap[c + 1], &t->heap[c])) {
            c++;
        }
        if (!heap_before(&t->heap[c], &last)) {
            break;
        }
        t->heap[i] = t->heap[c];
        i = c;
    }
    if (t->nheap > 0) {
        t->heap[i] = last;
    }
    return top;
}

static void occ_add(TrainPair *p, int32_t chunk)
{
    if (p->nocc > 0 && p->occ[p->nocc - 1] == chunk) {
        return;
    }
    if (p->nocc == p->capocc) {
        p->capocc = p->capocc ? 2 * p->capocc : 4;
        p->occ = lab_realloc(p->occ, (size_t)p->capocc * sizeof *p->occ);
    }
    p->occ[p->nocc++] = chunk;
}

// Adds sign * weight to every adjacent pair of chunk c. With sign > 0 the chunk joins the
// occurrence lists: of every pair when record_all, else of the pairs holding token x only
// (the pairs a merge creates), each of which goes on the touched list once per merge.
static void add_pairs(Trainer *t, int32_t c, int sign, int record_all, int32_t x,
                      int32_t merge, int32_t **touched, int32_t *ntouched, int32_t *cap)
{
    const int32_t *s = t->sym + t->start[c];
    for (int32_t k = 0; k + 1 < t->len[c]; k++) {
        int32_t id = pair_find_or_add(t, s[k], s[k + 1]);
        TrainPair *p = &t->pairs[id];
        p->count += sign * t->weight[c];
        if (sign > 0 && (record_all || s[k] == x || s[k + 1] == x)) {
            occ_add(p, c);
            if (!record_all && p->touched != merge + 1) {
                p->touched = merge + 1;
                if (*ntouched == *cap) {
                    *cap = *cap ? 2 * *cap : 256;
                    *touched = lab_realloc(*touched, (size_t)*cap * sizeof **touched);
                }
                (*touched)[(*ntouched)++] = id;
            }
        }
    }
}

static void trainer_free(Trainer *t)
{
    lab_strtab_free(&t->tab);
    free(t->weight);
    free(t->sym);
    free(t->start);
    free(t->len);
    free(t->stamp);
    for (int32_t i = 0; i < t->npairs; i++) {
        free(t->pairs[i].occ);
    }
    free(t->pairs);
    free(t->hkey);
    free(t->hval);
    free(t->heap);
}

int bpe_train(Bpe *b, const char *text, size_t n, int32_t vocab_size)
{
    if (vocab_size < 256 + b->nspecial || vocab_size > BPE_MAX_VOCAB) {
        return lab_error("a vocabulary of %d tokens: it must hold the 256 bytes and %d special "
                         "token%s, and at most %d",
                         vocab_size, b->nspecial, b->nspecial == 1 ? "" : "s", BPE_MAX_VOCAB);
    }
    int32_t want = vocab_size - 256 - b->nspecial;
    Trainer t = {0};
    if (bpe_chunks(b, text, n, count_chunk, &t) != 0) {
        trainer_free(&t);
        return -1;
    }
    int32_t nchunk = t.tab.n;
    t.start = lab_malloc(((size_t)nchunk + 1) * sizeof *t.start);
    t.len = lab_malloc(((size_t)nchunk + 1) * sizeof *t.len);
    t.stamp = lab_calloc((size_t)nchunk + 1, sizeof *t.stamp);
    t.sym = lab_malloc((t.tab.nbytes + 1) * sizeof *t.sym);
    int64_t o = 0;
    for (int32_t c = 0; c < nchunk; c++) {
        const unsigned char *key = (const unsigned char *)lab_strtab_key(&t.tab, c);
        t.start[c] = o;
        t.len[c] = (int32_t)lab_strtab_len(&t.tab, c);
        for (int32_t k = 0; k < t.len[c]; k++) {
            t.sym[o++] = key[k];
        }
    }
    for (int32_t c = 0; c < nchunk; c++) {
        add_pairs(&t, c, +1, 1, -1, -1, NULL, NULL, NULL);
    }
    for (int32_t i = 0; i < t.npairs; i++) {
        heap_push(&t, i);
    }
    b->merges = lab_realloc(b->merges, ((size_t)want + 1) * sizeof *b->merges);
    int32_t *touched = NULL, ntouched = 0, captouched = 0;
    int32_t m = 0;
    for (; m < want; m++) {
        // the most frequent pair: an entry whose count is stale (counts only fall, except of
        // pairs a merge creates, which get fresh entries) goes back with its current count
        int32_t best = -1;
        while (t.nheap > 0) {
            HeapItem it = heap_pop(&t);
            TrainPair *p = &t.pairs[it.pair];
            if (p->count != it.count) {
                if (p->count > 0) {
                    heap_push(&t, it.pair);
                }
                continue;
            }
            if (p->count > 0) {
                best = it.pair;
            }
            break;
        }
        if (best < 0) {
            break; // every chunk is one token
        }
        int32_t a = t.pairs[best].a, bb = t.pairs[best].b, x = 256 + m;
        b->merges[m] = (BpePair){a, bb};
        // the pair's list is read while add_pairs may grow t.pairs (moving the structs, never
        // this array: no new pair is (a, bb), as x is new)
        int32_t *occ = t.pairs[best].occ, nocc = t.pairs[best].nocc;
        ntouched = 0;
        for (int32_t k = 0; k < nocc; k++) {
            int32_t c = occ[k];
            if (t.stamp[c] == m + 1) {
                continue;
            }
            t.stamp[c] = m + 1;
            int32_t *s = t.sym + t.start[c], len = t.len[c], found = 0;
            for (int32_t j = 0; j + 1 < len && !found; j++) {
                found = s[j] == a && s[j + 1] == bb;
            }
            if (!found) {
                continue;
            }
            add_pairs(&t, c, -1, 0, x, m, NULL, NULL, NULL);
            int32_t w = 0;
            for (int32_t j = 0; j < len; j++) {
                if (j + 1 < len && s[j] == a && s[j + 1] == bb) {
                    s[w++] = x; // leftmost first, as minbpe's merge scans
                    j++;
                } else {
                    s[w++] = s[j];
                }
            }
            t.len[c] = w;
            add_pairs(&t, c, +1, 0, x, m, &touched, &ntouched, &captouched);
        }
        assert(t.pairs[best].count == 0);
        free(t.pairs[best].occ);
        t.pairs[best].occ = NULL;
        t.pairs[best].nocc = t.pairs[best].capocc = 0;
        for (int32_t k = 0; k < ntouched; k++) {
            if (t.pairs[touched[k]].count > 0) {
                heap_push(&t, touched[k]);
            }
        }
    }
    free(touched);
    trainer_free(&t);
    b->nmerges = m;
    build_bytes(b);
    build_lookup(b);
    return 0;
}

// --- encoding and decoding ----------------------------------------------------------------

// Encodes one chunk (at most BPE_CHUNK_MAX bytes) into b->scratch; returns the count. The
// merge of lowest rank among adjacent pairs is applied at every place it occurs, leftmost
// first, until no adjacent pair is a merge: the order training learned them in.
static int32_t encode_chunk(Bpe *b, const char *s, size_t n)
{
    int32_t *t = b->scratch, len = (int32_t)n;
    for (int32_t i = 0; i < len; i++) {
        t[i] = (unsigned char)s[i];
    }
    while (len > 1) {
        int32_t best = INT32_MAX;
        for (int32_t i = 0; i + 1 < len; i++) {
            int32_t r = merge_rank(b, t[i], t[i + 1]);
            if (r >= 0 && r < best) {
                best = r;
            }
        }
        if (best == INT32_MAX) {
            break;
        }
        BpePair p = b->merges[best];
        int32_t w = 0;
        for (int32_t i = 0; i < len; i++) {
            if (i + 1 < len && t[i] == p.a && t[i + 1] == p.b) {
                t[w++] = 256 + best;
                i++;
            } else {
                t[w++] = t[i];
            }
        }
        len = w;
    }
    return len;
}

typedef struct {
    Bpe *b;
    int32_t *ids;
    size_t n, cap;
} EncodeSink;

static void push_ids(EncodeSink *k, const int32_t *ids, size_t n)
{
    if (k->n + n > k->cap) {
        k->cap = 2 * (k->n + n) + 1024;
        k->ids = lab_realloc(k->ids, k->cap * sizeof *k->ids);
    }
    memcpy(k->ids + k->n, ids, n * sizeof *ids);
    k->n += n;
}

static void on_chunk(const char *s, size_t n, void *ctx)
{
    EncodeSink *k = ctx;
    Bpe *b = k->b;
    if (n == 1) { // a byte is its own token: no merge starts from one token
        int32_t id = (unsigned char)s[0];
        push_ids(k, &id, 1);
        return;
    }
    int32_t c = lab_strtab_find(&b->cache, s, n);
    if (c >= 0) {
        push_ids(k, b->cache_ids + b->cache_off[c], (size_t)(b->cache_off[c + 1] -
                                                             b->cache_off[c]));
        return;
    }
    int32_t len = encode_chunk(b, s, n);
    push_ids(k, b->scratch, (size_t)len);
    if (b->cache.n >= BPE_CACHE_MAX) {
        return; // the cache is full: later chunks are encoded every time
    }
    c = lab_strtab_add(&b->cache, s, n);
    if (c + 2 > b->cache_cap) {
        b->cache_cap = 2 * b->cache_cap + 1024;
        b->cache_off = lab_realloc(b->cache_off, (size_t)b->cache_cap * sizeof *b->cache_off);
    }
    int64_t o = b->cache_off[c];
    if (o + len > b->cache_ids_cap) {
        b->cache_ids_cap = 2 * (o + len) + 4096;
        b->cache_ids = lab_realloc(b->cache_ids, (size_t)b->cache_ids_cap * sizeof *b->cache_ids);
    }
    memcpy(b->cache_ids + o, b->scratch, (size_t)len * sizeof *b->scratch);
    b->cache_off[c + 1] = o + len;
}

int bpe_encode(Bpe *b, const char *s, size_t n, int32_t **ids, size_t *nids)
{
    EncodeSink k = {.b = b};
    size_t i = 0;
    while (i <= n) {
        // the next special token: the earliest, and the longest of those starting there
        size_t at = n, slen = 0;
        int32_t sid = -1;
        for (int32_t j = 0; j < b->nspecial; j++) {
            size_t l = strlen(b->special[j]);
            const char *p = memmem(s + i, n - i, b->special[j], l);
            if (p && ((size_t)(p - s) < at || ((size_t)(p - s) == at && l > slen))) {
                at = (size_t)(p - s);
                slen = l;
                sid = 256 + b->nmerges + j;
            }
        }
        if (bpe_chunks(b, s + i, at - i, on_chunk, &k) != 0) {
            free(k.ids);
            return -1;
        }
        if (sid < 0) {
            break;
        }
        push_ids(&k, &sid, 1);
        i = at + slen;
    }
    *ids = k.ids ? k.ids : lab_malloc(sizeof **ids);
    *nids = k.n;
    return 0;
}

int bpe_decode(const Bpe *b, const int32_t *ids, size_t n, char **out, size_t *len,
               size_t *cap)
{
    for (size_t i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= b->n) {
            return lab_error("token id %d is out of range: the vocabulary has ids 0 to %d",
                             ids[i], b->n - 1);
        }
        size_t l = b->off[ids[i] + 1] - b->off[ids[i]];
        if (*len + l + 1 > *cap) {
            *cap = 2 * (*len + l) + 1024;
            *out = lab_realloc(*out, *cap);
        }
        memcpy(*out + *len, b->bytes + b->off[ids[i]], l);
        *len += l;
        (*out)[*len] = '\0';
    }
    return 0;
}

char *bpe_escape(const char *s, size_t n)
{
    char *out = lab_malloc(4 * n + 1);
    size_t o = 0;
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        unsigned char c = u[i];
        int k = c < 0x80 ? 1 : lab_utf8_seq(u + i, n - i);
        if (k > 1) {
            memcpy(out + o, s + i, (size_t)k);
            o += (size_t)k;
            i += (size_t)k;
            continue;
        }
        i++;
        switch (c) {
        case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
        case ' ': out[o++] = '\\'; out[o++] = 's'; break;
        case '\t': out[o++] = '\\'; out[o++] = 't'; break;
        case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
        case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
        default:
            if (c < 0x20 || c >= 0x7F) { // controls, and bytes outside valid UTF-8 (k == 0)
                o += (size_t)snprintf(out + o, 5, "\\x%02X", c);
            } else {
                out[o++] = (char)c;
            }
        }
    }
    out[o] = '\0';
    return out;
}

// --- files --------------------------------------------------------------------------------

#define BPE_MAGIC "lmlab bpe v1"

static const char *split_name(int split)
{
    return split == BPE_GPT4 ? "gpt4" : "gpt2";
}

int bpe_save(const Bpe *b, const char *dir)
{
    if (lab_mkdir_p(dir) != 0) {
        return -1;
    }
    char *path = lab_path_join(dir, "merges.txt");
    LabAtomic a;
    if (lab_atomic_open(&a, path) != 0) {
        free(path);
        return -1;
    }
    fprintf(a.f, "%s\nsplit %s\nmerges %d\nspecial %d\n", BPE_MAGIC, split_name(b->split),
            b->nmerges, b->nspecial);
    for (int32_t i = 0; i < b->nmerges; i++) {
        fprintf(a.f, "%d %d %d\n", b->merges[i].a, b->merges[i].b, 256 + i);
    }
    for (int32_t i = 0; i < b->nspecial; i++) {
        char *e = bpe_escape(b->special[i], strlen(b->special[i]));
        fprintf(a.f, "%d %s\n", 256 + b->nmerges + i, e);
        free(e);
    }
    int rc = lab_atomic_commit(&a);
    free(path);
    if (rc != 0) {
        return -1;
    }
    path = lab_path_join(dir, "vocab.txt");
    if (lab_atomic_open(&a, path) != 0) {
        free(path);
        return -1;
    }
    fprintf(a.f, "# lmlab bpe vocab 1: id, token bytes (escaped); for people, lmlab reads "
                 "merges.txt\n");
    for (int32_t id = 0; id < b->n; id++) {
        char *e = bpe_escape(b->bytes + b->off[id], b->off[id + 1] - b->off[id]);
        fprintf(a.f, "%d\t%s\n", id, e);
        free(e);
    }
    rc = lab_atomic_commit(&a);
    free(path);
    return rc;
}

// Reads a decimal id in [0, below) that ends at a space or the end of the line; advances *p.
static int read_id(char **p, int32_t below, int32_t *out)
{
    char *s = *p, *end;
    if (*s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || v < 0 || v >= below || (*end != ' ' && *end != '\0')) {
        return -1;
    }
    *out = (int32_t)v;
    *p = *end == ' ' ? end + 1 : end;
    return 0;
}

// "KEY N" with N in [0, max]; -1 when the line is not that
static int read_header(const char *line, const char *key, long max, long *out)
{
    size_t k = strlen(key);
    if (strncmp(line, key, k) != 0 || line[k] != ' ' || line[k + 1] < '0' || line[k + 1] > '9') {
        return -1;
    }
    char *end;
    errno = 0;
    long v = strtol(line + k + 1, &end, 10);
    if (errno || *end != '\0' || v < 0 || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

int bpe_load(Bpe *b, const char *dir)
{
    memset(b, 0, sizeof *b);
    char *path = lab_path_join(dir, "merges.txt");
    char q[512];
    lab_quote(q, sizeof q, path, strlen(path));
    const char *hint = "train one with 'lmlab tokenize --tokenizer bpe --train-vocab N --train "
                       "FILE --out DIR'";
    char *data = NULL, *cur;
    size_t size;
    BpePair *merges = NULL;
    char **special = NULL;
    uint32_t *len = NULL;
    long nm = 0, ns = 0, ln = 0;
    int split = BPE_GPT2;
    if (lab_read_file(path, &data, &size, 64u << 20) != 0) {
        lab_note("'%s' holds a BPE tokenizer only if it has merges.txt", dir);
        goto fail;
    }
    long lines = 0;
    for (size_t i = 0; i < size; i++) {
        lines += data[i] == '\n';
    }
    char none[1] = ""; // what a line the file ran out before reads as
    lines += size > 0 && data[size - 1] != '\n';
    cur = data;
    char *line = lab_next_line(&cur);
    ln = 1;
    if (!line || strcmp(line, BPE_MAGIC) != 0) {
        char got[64];
        lab_quote(got, sizeof got, line ? line : "", line ? strlen(line) : 0);
        lab_error_hint(hint, "'%s' line 1: '%s' where '%s' was expected", q, got, BPE_MAGIC);
        goto fail;
    }
    line = lab_next_line(&cur), ln++;
    if (line && strcmp(line, "split gpt2") == 0) {
        split = BPE_GPT2;
    } else if (line && strcmp(line, "split gpt4") == 0) {
        split = BPE_GPT4;
    } else {
        lab_error_hint(hint, "'%s' line 2: expected 'split gpt2' or 'split gpt4'", q);
        goto fail;
    }
    line = lab_next_line(&cur), ln++;
    if (!line || read_header(line, "merges", BPE_MAX_VOCAB - 256, &nm) != 0) {
        lab_error_hint(hint, "'%s' line 3: expected 'merges N' with N from 0 to %d", q,
                       BPE_MAX_VOCAB - 256);
        goto fail;
    }
    line = lab_next_line(&cur), ln++;
    if (!line || read_header(line, "special", BPE_MAX_SPECIAL, &ns) != 0 ||
        256 + nm + ns > BPE_MAX_VOCAB) {
        lab_error_hint(hint, "'%s' line 4: expected 'special N' with N from 0 to %d (and at "
                       "most %d tokens in all)", q, BPE_MAX_SPECIAL, BPE_MAX_VOCAB);
        goto fail;
    }
    // the declared counts against the lines there are, before anything is allocated
    if (lines != 4 + nm + ns) {
        lab_error_hint(hint, "'%s' declares %ld merges and %ld special tokens but has %ld "
                       "lines after its header (expected %ld)", q, nm, ns, lines - 4, nm + ns);
        goto fail;
    }
    merges = lab_malloc(((size_t)nm + 1) * sizeof *merges);
    len = lab_malloc(((size_t)nm + 256) * sizeof *len);
    for (int32_t id = 0; id < 256; id++) {
        len[id] = 1;
    }
    for (long i = 0; i < nm; i++) {
        line = lab_next_line(&cur), ln++;
        int32_t id = 256 + (int32_t)i, x, y, z;
        char *p = line ? line : none;
        if (read_id(&p, id, &x) != 0 || read_id(&p, id, &y) != 0 ||
            read_id(&p, id + 1, &z) != 0 || *p != '\0' || z != id) {
            char got[96];
            lab_error_hint(hint, "'%s' line %ld: '%s' is not a merge 'A B %d' with A and B "
                           "below %d", q, ln, lab_quote(got, sizeof got, line ? line : "",
                           line ? strlen(line) : 0), id, id);
            goto fail;
        }
        len[id] = len[x] + len[y];
        if (len[id] > BPE_CHUNK_MAX) {
            lab_error_hint(hint, "'%s' line %ld: merge %d would make a token of %u bytes, "
                           "longer than a chunk (%d)", q, ln, id, len[id], BPE_CHUNK_MAX);
            goto fail;
        }
        merges[i] = (BpePair){x, y};
    }
    special = lab_calloc((size_t)ns + 1, sizeof *special);
    for (long i = 0; i < ns; i++) {
        line = lab_next_line(&cur), ln++;
        char *p = line ? line : none;
        int32_t id = 256 + (int32_t)nm + (int32_t)i, z;
        if (read_id(&p, id + 1, &z) != 0 || z != id || *p == '\0') {
            char got[96];
            lab_error_hint(hint, "'%s' line %ld: '%s' is not a special token '%d TOKEN'", q,
                           ln, lab_quote(got, sizeof got, line ? line : "",
                                         line ? strlen(line) : 0), id);
            goto fail;
        }
        size_t l = tok_unescape(p);
        if (l == 0 || l > 255 || memchr(p, '\0', l)) {
            lab_error_hint(hint, "'%s' line %ld: special token %d is empty, longer than 255 "
                           "bytes or holds a NUL byte", q, ln, id);
            goto fail;
        }
        special[i] = p;
    }
    if (bpe_init(b, (BpeSplit)split, (const char *const *)special, (int)ns) != 0) {
        lab_error_hint(hint, "'%s': its special tokens are refused", q);
        goto fail;
    }
    free(b->merges);
    b->merges = merges;
    b->nmerges = (int32_t)nm;
    merges = NULL;
    build_bytes(b);
    build_lookup(b);
    free(special);
    free(len);
    free(data);
    free(path);
    return 0;
fail:
    free(special);
    free(merges);
    free(len);
    free(data);
    free(path);
    bpe_free(b);
    return -1;
}
