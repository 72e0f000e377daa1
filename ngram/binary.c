// binary.c: model.bin, the n-gram model as packed hash tables mapped from a file.
//
// The layout (docs/formats.md has it field by field): a 384-byte header, the vocabulary
// (offsets, then the token bytes), then one section per order. Order 1 is an array of
// (ln P, ln bow) floats indexed by token id. Order k >= 2 is an open-addressing table with
// linear probing of cap = ceil(1.5 n) slots; a slot is a key of key_bytes bytes,
// (parent node << tok_bits) | token id, then ln P as a float and, below the top order, ln bow
// as a float. A node is a token id at order 1 and a slot index above, so the key names the
// n-gram through its context. Keys take as few bytes as the parent's order and the vocabulary
// need (5 for a word 5-gram of millions of n-grams), so a slot is 9 to 16 bytes.
//
// Reading trusts nothing: the header's magic, version and byte order, then every size and
// offset against the file's length and against each other, before anything is read through
// them. A lookup stops at the first resident that sits nearer its home than the key would
// (the Robin Hood order: version 2 on), and after the longest probe the writer saw (max_probe)
// in any case, so even a table whose contents were damaged ends every search. The values are
// not checked (that would read the whole file): a damaged value gives a wrong number, never a
// crash.
//
// Left out: quantised values, a trie layout (smaller, slower), other byte orders.
#include "ngram.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

// --- the header ---------------------------------------------------------------------------

#define BIN_ENDIAN 0x01020304u
#define BIN_ALIGN 64 // every section starts at a multiple of this

typedef struct {
    uint64_t n, cap, off, bytes; // entries, slots, section offset and length in the file
    uint32_t key_bytes, tok_bits, stride, max_probe;
} BinLevelHead;

typedef struct {
    char magic[8];          // NGRAM_BIN_MAGIC, no NUL
    uint32_t version;       // NGRAM_BIN_VERSION
    uint32_t endian;        // BIN_ENDIAN as the writer's machine stores it
    uint32_t order;         // N, 1..NGRAM_MAX_ORDER
    uint32_t vocab_n;       // token ids 0..vocab_n-1, the three reserved ones first
    uint64_t file_bytes;    // the whole file
    uint64_t vocab_off;     // u32 offsets[vocab_n + 1] (into the bytes after them), the bytes
    uint64_t vocab_bytes;
    uint64_t header_sum;    // FNV-1a of the 384 header bytes with this field zero
    BinLevelHead lev[NGRAM_MAX_ORDER]; // order k at [k - 1]; zero above the model's order
    uint32_t flags;         // BIN_CLOSED or 0
    uint8_t reserved[36];   // zero
} BinHeader;

// flags: every stored n-gram's suffix (its last k-1 tokens) is stored too, as in every model
// lmlab or KenLM estimates (a pruned SRILM file may break it)
#define BIN_CLOSED 1u

_Static_assert(sizeof(BinHeader) == NGRAM_BIN_HEADER, "the header is 384 bytes");

// FNV-1a over the header with header_sum taken as zero. Each step (h ^ byte) * odd prime is a
// bijection of h, so any change of one byte changes the sum.
static uint64_t header_sum(const uint8_t *p)
{
    uint64_t h = 0xcbf29ce484222325ull;
    size_t at = offsetof(BinHeader, header_sum);
    for (size_t i = 0; i < NGRAM_BIN_HEADER; i++) {
        h = (h ^ (i >= at && i < at + 8 ? 0 : p[i])) * 0x100000001b3ull;
    }
    return h;
}

void ngram_bin_seal(void *header)
{
    uint64_t h = header_sum(header);
    memcpy((uint8_t *)header + offsetof(BinHeader, header_sum), &h, 8);
}

// bits needed to write every value 0..x
static uint32_t bits_for(uint64_t x)
{
    uint32_t b = 0;
    while (b < 64 && (x >> b) != 0) {
        b++;
    }
    return b;
}

// The key layout of order k >= 2: the parent is a node of order k-1 (a token id at k == 1,
// else a slot), so its field holds every value 0..parent_cap, of which parent_cap itself is
// never a node: a key of all ones is therefore never a stored key and marks an empty slot.
static void key_layout(uint32_t vocab_n, uint64_t parent_cap, uint32_t *tok_bits,
                       uint32_t *key_bytes)
{
    *tok_bits = bits_for(vocab_n - 1);
    *key_bytes = (bits_for(parent_cap) + *tok_bits + 7) / 8;
}

static inline uint64_t load_key(const uint8_t *p)
{
    uint64_t x;
    memcpy(&x, p, 8); // the padding after the last slot keeps this inside the section
    return x;
}

static inline float load_float(const uint8_t *p)
{
    float x;
    memcpy(&x, p, 4);
    return x;
}

static inline uint64_t make_key(const NgramBinLevel *L, uint32_t parent, int32_t w)
{
    return ((uint64_t)parent << L->tok_bits) | (uint32_t)w;
}

// the home slot of a key: a multiply-xorshift mix, then the high bits scaled to cap (no
// division, no power-of-two size)
static inline uint32_t home_of(uint64_t key, uint32_t cap)
{
    uint64_t h = (key ^ (key >> 29)) * 0xbf58476d1ce4e5b9ull;
    h ^= h >> 32;
    h *= 0x9e3779b97f4a7c15ull;
    return (uint32_t)(((unsigned __int128)h * cap) >> 64);
}

// --- lookups ------------------------------------------------------------------------------

static inline int uni_present(const NgramBin *b, int32_t w)
{
    return !isnan(load_float(b->lev[1].slots + (size_t)w * 8));
}

// The stored ln P of node s at order k. Its sign bit carries one more fact: set when the
// n-gram extends (it is the context of a longer stored n-gram, or has a backoff weight other
// than 1), clear when it does not; the value is then -|stored|.
static inline float node_stored_p(const NgramBin *b, int k, uint32_t s)
{
    const NgramBinLevel *L = &b->lev[k];
    return load_float(L->slots + (size_t)s * L->stride + (k == 1 ? 0 : L->key_bytes));
}

static inline double node_logp(const NgramBin *b, int k, uint32_t s)
{
    return -fabs((double)node_stored_p(b, k, s));
}

// ln bow of node s at order k < N
static inline double node_logbow(const NgramBin *b, int k, uint32_t s)
{
    const NgramBinLevel *L = &b->lev[k];
    return load_float(L->slots + (size_t)s * L->stride + (k == 1 ? 4 : L->key_bytes + 4));
}

// The slot of (parent, w) at an order k >= 2, NGRAM_NONE when it is not stored. The writer's
// Robin Hood order means that along the probe a key passes only residents farther from their
// home than it is from its own, or as far with a smaller key: at the first resident nearer its
// home (or as near with a larger key) the key would have taken that slot, so it is not stored.
// A miss then ends after about as many probes as a hit, instead of running to an empty slot.
static inline uint32_t level_find(const NgramBinLevel *L, uint32_t parent, int32_t w)
{
    uint64_t key = make_key(L, parent, w);
    uint32_t i = home_of(key, L->cap);
    for (uint32_t p = 0; p <= L->max_probe; p++) {
        uint64_t x = load_key(L->slots + (size_t)i * L->stride) & L->key_mask;
        if (x == key) {
            return i;
        }
        if (x == L->key_mask) {
            return NGRAM_NONE;
        }
        uint32_t rhome = home_of(x, L->cap);
        uint32_t rdist = i >= rhome ? i - rhome : i + (L->cap - rhome); // < cap, no overflow
        if (rdist < p || (rdist == p && x > key)) {
            return NGRAM_NONE;
        }
        if (++i == L->cap) {
            i = 0;
        }
    }
    return NGRAM_NONE;
}

uint32_t ngram_bin_find(const NgramBin *b, int k, uint32_t parent, int32_t w)
{
    if (parent == NGRAM_NONE || w < 0 || (uint32_t)w >= b->lev[1].cap) {
        return NGRAM_NONE;
    }
    if (k == 1) {
        return uni_present(b, w) ? (uint32_t)w : NGRAM_NONE;
    }
    return level_find(&b->lev[k], parent, w);
}

// GCC deletes a loop whose body is only __builtin_prefetch (as a statement without effects), so
// the loop of the scorer's prefetches never ran: the empty asm that takes the address is an
// effect the compiler must keep, and it costs no instruction.
static inline void prefetch(const void *p)
{
    __builtin_prefetch(p);
    __asm__ volatile("" : : "r"(p));
}

static inline void prefetch_home(const NgramBinLevel *L, uint32_t parent, int32_t w)
{
    prefetch(L->slots + (size_t)home_of(make_key(L, parent, w), L->cap) * L->stride);
}

// --- scoring ------------------------------------------------------------------------------
// The scorer's state is ctx[j], the node of the last j tokens (ctx[0] the root), NGRAM_NONE
// when they are not stored. After w, the node of the last j tokens is (ctx[j-1], w) at order j:
// one lookup per stored context, all independent of each other, and no suffix links. The
// probability is the backoff rule of model.c's score(): the longest stored (ctx[j-1], w),
// times the backoff weights of the stored contexts longer than the one it used.

// ln P(w | ctx) and the state after w into next (may be ctx itself)
static double bin_score(const NgramBin *b, const uint32_t *ctx, int32_t w, uint32_t *next)
{
    int N = b->order;
    uint32_t s[NGRAM_MAX_ORDER + 1];
    s[1] = uni_present(b, w) ? (uint32_t)w : NGRAM_NONE;
    int top = s[1] != NGRAM_NONE;
    // in a closed model (j, w) unstored means every longer n-gram ending in w is unstored too:
    // its suffix would be missing
    int stop = b->closed && !top;
    for (int j = 2; j <= N; j++) {
        if (stop || ctx[j - 1] == NGRAM_NONE) {
            s[j] = NGRAM_NONE;
            continue;
        }
        s[j] = level_find(&b->lev[j], ctx[j - 1], w);
        if (s[j] != NGRAM_NONE) {
            top = j;
        } else {
            stop = b->closed;
        }
    }
    double lp = top ? node_logp(b, top, s[top]) : -INFINITY;
    if (top) {
        for (int j = top; j < N; j++) {
            if (ctx[j] != NGRAM_NONE) {
                lp += node_logbow(b, j, ctx[j]);
            }
        }
    }
    if (next) {
        // an n-gram that does not extend is no context worth keeping: every lookup after it
        // would miss, and its backoff weight is 1
        next[0] = 0;
        for (int j = 1; j < N; j++) {
            next[j] = s[j] != NGRAM_NONE && signbit(node_stored_p(b, j, s[j])) ? s[j]
                                                                                : NGRAM_NONE;
        }
    }
    return lp;
}

// the state after the order-1 tokens of hist (oldest first)
static void bin_context(const NgramBin *b, const int32_t *hist, uint32_t *ctx)
{
    int N = b->order;
    ctx[0] = 0;
    for (int j = 1; j < N; j++) {
        uint32_t node = 0;
        for (int i = N - 1 - j; i < N - 1 && node != NGRAM_NONE; i++) {
            node = ngram_bin_find(b, i - (N - 1 - j) + 1, node, hist[i]);
        }
        ctx[j] = node;
    }
}

double ngram_bin_logprob(const NgramModel *m, const int32_t *context, int32_t w)
{
    uint32_t ctx[NGRAM_MAX_ORDER + 1];
    bin_context(m->bin, context, ctx);
    if (w < 0 || w >= m->vocab.n) {
        return -INFINITY;
    }
    return bin_score(m->bin, ctx, w, NULL);
}

void ngram_bin_distribution(const NgramModel *m, const int32_t *context, double *probs)
{
    uint32_t ctx[NGRAM_MAX_ORDER + 1];
    bin_context(m->bin, context, ctx);
    int32_t first = ngram_first_predictable(m->unit);
    for (int32_t w = 0; w < m->vocab.n; w++) {
        probs[w] = w < first ? 0.0 : exp(bin_score(m->bin, ctx, w, NULL));
    }
}

// Evaluation as model.c's ngram_eval does it: chunks of BIN_CHUNK tokens summed in chunk
// order (the same sum whatever the threads), each walked by BIN_CURSORS cursors in turn. A
// cursor's lookups for its next token are prefetched as soon as it has scored this one, so
// they have the other BIN_CURSORS - 1 cursors' turns to arrive before they are read.
#define BIN_CHUNK (1 << 15)
#define BIN_CURSORS 8

typedef struct {
    long long i, e, s;   // position, end, sequence
    uint32_t ctx[NGRAM_MAX_ORDER + 1];
    float bow[NGRAM_MAX_ORDER + 1]; // ln bow of ctx[j], 0 when it is NGRAM_NONE
    LabLoss l;
} BinCursor;

// At a sequence's start the cursor takes the state after "<s>" (that of start): called
// whenever i moves.
static inline void bin_cursor_seq(const Corpus *c, BinCursor *x, const BinCursor *start)
{
    if (x->i < x->e) {
        while (x->i == c->start[x->s + 1]) {
            x->s++;
            memcpy(x->ctx, start->ctx, sizeof x->ctx);
            memcpy(x->bow, start->bow, sizeof x->bow);
        }
    }
}

// The backoff weights of a state's nodes (after bin_context or a reset).
static void bin_cursor_bows(const NgramBin *b, BinCursor *x)
{
    for (int j = 1; j < b->order; j++) {
        x->bow[j] = x->ctx[j] != NGRAM_NONE ? (float)node_logbow(b, j, x->ctx[j]) : 0.0f;
    }
}

// bin_score for a closed model, on the cursor's state, with the same result to the bit: the
// lookups go up from order 2 and stop at the first context not stored or the first miss (no
// longer n-gram ending in w can be stored then), and the contexts' backoff weights come from
// the state, where they were put when their nodes were found (0 for a context not stored,
// which adds nothing).
static inline double bin_score_closed(const NgramBin *b, BinCursor *x, int32_t w)
{
    int N = b->order;
    const uint8_t *slot[NGRAM_MAX_ORDER + 1]; // ln P of the node found at each order
    uint32_t s[NGRAM_MAX_ORDER + 1];
    slot[1] = b->lev[1].slots + (size_t)w * 8;
    s[1] = (uint32_t)w;
    int top = isnan(load_float(slot[1])) ? 0 : 1;
    for (int j = 2; j <= N && top == j - 1 && x->ctx[j - 1] != NGRAM_NONE; j++) {
        const NgramBinLevel *L = &b->lev[j];
        uint32_t f = level_find(L, x->ctx[j - 1], w);
        if (f != NGRAM_NONE) {
            s[j] = f;
            slot[j] = L->slots + (size_t)f * L->stride + L->key_bytes;
            top = j;
        }
    }
    double lp = -INFINITY;
    if (top) {
        lp = -fabs((double)load_float(slot[top]));
        for (int j = top; j < N; j++) {
            lp += x->bow[j];
        }
    }
    // the state after w: the nodes found that extend (sign bit of ln P set)
    for (int j = 1; j < N; j++) {
        if (j <= top && signbit(load_float(slot[j]))) {
            x->ctx[j] = s[j];
            x->bow[j] = load_float(slot[j] + 4);
        } else {
            x->ctx[j] = NGRAM_NONE;
            x->bow[j] = 0.0f;
        }
    }
    return lp;
}

// Prefetches the slots the cursor's next token will read first: its order-1 entry and the home
// slot of (ctx[j-1], w) for every stored context.
static inline void bin_cursor_prefetch(const NgramBin *b, const Corpus *c, const BinCursor *x)
{
    if (x->i >= x->e) {
        return;
    }
    int32_t w = c->ids[x->i];
    __builtin_prefetch(b->lev[1].slots + (size_t)w * 8);
    for (int j = 2; j <= b->order && x->ctx[j - 1] != NGRAM_NONE; j++) {
        prefetch_home(&b->lev[j], x->ctx[j - 1], w);
    }
}

static void bin_cursor_start(const NgramBin *b, const Corpus *c, BinCursor *cu, long long from,
                             long long e, const BinCursor *start)
{
    int N = b->order;
    long long lo = corpus_seq_of(c, from); // the sequence holding position from
    memset(cu, 0, sizeof *cu);
    cu->i = from, cu->e = e, cu->s = lo;
    int32_t hist[NGRAM_MAX_ORDER];
    for (int j = 0; j < N - 1; j++) {
        long long p = from - (N - 1) + j;
        hist[j] = p >= c->start[lo] ? c->ids[p] : TOK_BOS;
    }
    bin_context(b, hist, cu->ctx);
    bin_cursor_bows(b, cu);
    bin_cursor_seq(c, cu, start);
}

static void bin_eval_chunk(const NgramBin *b, const Corpus *c, long long from, long long e,
                           int has_unk, LabLoss *out)
{
    int N = b->order;
    BinCursor start;
    int32_t bos[NGRAM_MAX_ORDER];
    for (int j = 0; j < NGRAM_MAX_ORDER; j++) {
        bos[j] = TOK_BOS;
    }
    memset(&start, 0, sizeof start);
    bin_context(b, bos, start.ctx);
    bin_cursor_bows(b, &start);
    BinCursor cu[BIN_CURSORS];
    long long span = (e - from + BIN_CURSORS - 1) / BIN_CURSORS;
    for (int g = 0; g < BIN_CURSORS; g++) {
        long long gb = from + g * span < e ? from + g * span : e;
        bin_cursor_start(b, c, &cu[g], gb, gb + span < e ? gb + span : e, &start);
        bin_cursor_prefetch(b, c, &cu[g]);
    }
    for (int active = 1; active;) {
        active = 0;
        for (int g = 0; g < BIN_CURSORS; g++) {
            BinCursor *x = &cu[g];
            if (x->i >= x->e) {
                continue;
            }
            active = 1;
            int32_t w = c->ids[x->i++];
            if (w == TOK_UNK && !has_unk) {
                // the model cannot score an unknown token: skip it and forget the context
                x->ctx[0] = 0;
                for (int j = 1; j < N; j++) {
                    x->ctx[j] = NGRAM_NONE;
                    x->bow[j] = 0.0f;
                }
            } else if (b->closed) {
                lab_loss_add(&x->l, bin_score_closed(b, x, w));
            } else {
                lab_loss_add(&x->l, bin_score(b, x->ctx, w, x->ctx));
            }
            bin_cursor_seq(c, x, &start);
            bin_cursor_prefetch(b, c, x);
        }
    }
    memset(out, 0, sizeof *out);
    for (int g = 0; g < BIN_CURSORS; g++) { // in cursor order: the same sum every time
        out->nats += cu[g].l.nats;
        out->tokens += cu[g].l.tokens;
        out->zero += cu[g].l.zero;
    }
}

void ngram_bin_eval(const NgramModel *m, const Corpus *c, LabLoss *loss)
{
    const NgramBin *b = m->bin;
    memset(loss, 0, sizeof *loss);
    loss->words = c->words;
    loss->oov = c->oov;
    int has_unk = uni_present(b, TOK_UNK);
    long long nchunks = (c->n + BIN_CHUNK - 1) / BIN_CHUNK;
    LabLoss *parts = lab_calloc((size_t)(nchunks ? nchunks : 1), sizeof *parts);
#pragma omp parallel for schedule(dynamic, 1) if (nchunks >= 16)
    for (long long k = 0; k < nchunks; k++) {
        long long from = k * BIN_CHUNK, e = from + BIN_CHUNK < c->n ? from + BIN_CHUNK : c->n;
        bin_eval_chunk(b, c, from, e, has_unk, &parts[k]);
    }
    for (long long k = 0; k < nchunks; k++) {
        loss->nats += parts[k].nats;
        loss->tokens += parts[k].tokens;
        loss->zero += parts[k].zero;
    }
    free(parts);
}

// --- writing ------------------------------------------------------------------------------

static uint64_t align_up(uint64_t x)
{
    return (x + BIN_ALIGN - 1) / BIN_ALIGN * BIN_ALIGN;
}

// Whether a node of the model is one of its n-grams: as the ARPA writer counts them, a
// context-only n-gram ending in <s> at the top order is not (nothing can follow it there).
static int is_entry(const NgramModel *m, int k, uint64_t key)
{
    return key != NGRAM_EMPTY && !(k == m->order && k > 1 && (int32_t)(uint32_t)key == TOK_BOS);
}


static void store_float(uint8_t *p, double v)
{
    float f = (float)v;
    memcpy(p, &f, 4);
}

// Clears the sign bit of ln P of every order-k node (k < N) without a child and with ln bow
// 0 (k == 1: every token id, absent ones aside).
static void mark_extensions(const BinHeader *h, uint8_t *buf, int k, const uint8_t *has_child)
{
    const BinLevelHead *H = &h->lev[k - 1];
    uint8_t *slots = buf + H->off;
    uint64_t mask = H->key_bytes == 8 ? UINT64_MAX : (1ull << (8 * H->key_bytes)) - 1;
    for (uint64_t s = 0; s < H->cap; s++) {
        uint8_t *slot = slots + s * H->stride;
        if (k > 1 && (load_key(slot) & mask) == mask) {
            continue; // empty
        }
        uint8_t *p = slot + H->key_bytes;
        float lp = load_float(p), lb = load_float(p + 4);
        if (!isnan(lp) && !has_child[s] && lb == 0.0f) {
            store_float(p, fabs((double)lp));
        }
    }
}

// One entry of an order being laid out: its key, its home slot (then its slot), its model
// node, and its ln P and ln bow as stored (read here in the model's order, not at random later).
typedef struct {
    uint64_t key;
    uint32_t home;
    uint32_t who;
    float lp, lb;
} BinPlace;

// a[0..n) sorted by home, then by key, into a or tmp (which holds n): returns which. A stable
// least-significant-digit radix sort of the homes, 11 bits a pass (homes < cap), then
// insertion sort of the rare runs of equal homes by key.
static BinPlace *place_sort(BinPlace *a, BinPlace *tmp, uint32_t n, uint32_t cap)
{
    enum { BITS = 11, RADIX = 1 << BITS };
    uint32_t count[RADIX];
    for (uint32_t shift = 0; shift < 32 && ((uint64_t)cap - 1) >> shift; shift += BITS) {
        memset(count, 0, sizeof count);
        for (uint32_t i = 0; i < n; i++) {
            count[(a[i].home >> shift) & (RADIX - 1)]++;
        }
        uint32_t at = 0;
        for (uint32_t d = 0; d < RADIX; d++) {
            uint32_t c = count[d];
            count[d] = at;
            at += c;
        }
        for (uint32_t i = 0; i < n; i++) {
            tmp[count[(a[i].home >> shift) & (RADIX - 1)]++] = a[i];
        }
        BinPlace *t = a;
        a = tmp, tmp = t;
    }
    for (uint32_t i = 1; i < n; i++) {
        if (a[i].home == a[i - 1].home && a[i].key < a[i - 1].key) {
            BinPlace x = a[i];
            uint32_t j = i;
            for (; j > 0 && a[j - 1].home == x.home && a[j - 1].key > x.key; j--) {
                a[j] = a[j - 1];
            }
            a[j] = x;
        }
    }
    return a;
}

// The slots of n < cap entries sorted by home then key (place_sort), written over their homes;
// returns the largest distance of an entry from its home. This is the table that Robin Hood
// insertion makes, whatever the order of the inserts: an entry passes a resident nearer its
// own home, or as near with a larger key, so along the table the entries lie by home and then
// key, each at its home or just after the one before, and those pushed past the last slot go on
// at slot 0, ahead of every entry whose home is there. Laid out in one pass (a second when
// some wrap: the first entries then start after the wrapped ones, which may push more past the
// end; each pass starts no earlier than the one before, so this ends).
static uint32_t place(BinPlace *a, uint32_t n, uint32_t cap)
{
    uint64_t wrapped = 0; // slots 0..wrapped-1 taken by entries from the end of the table
    for (;;) {
        uint64_t next = wrapped; // the first free slot after those placed
        uint64_t first_wrap = n; // rank of the first entry pushed past the end
        for (uint32_t r = 0; r < n; r++) {
            uint64_t at = a[r].home > next ? a[r].home : next;
            if (at >= cap && first_wrap == n) {
                first_wrap = r;
            }
            next = at + 1;
        }
        uint64_t w = n - first_wrap;
        if (w == wrapped) {
            break;
        }
        wrapped = w;
    }
    uint64_t next = wrapped;
    uint32_t max_probe = 0;
    for (uint32_t r = 0; r < n; r++) {
        uint64_t home = a[r].home, at = home > next ? home : next;
        next = at + 1;
        max_probe = at - home > max_probe ? (uint32_t)(at - home) : max_probe;
        a[r].home = (uint32_t)(at >= cap ? at - cap : at);
    }
    return max_probe;
}

int ngram_bin_write(const NgramModel *m, const char *path)
{
    if (m->bin) {
        return lab_error("cannot write '%s': the model is already a binary model", path);
    }
    const Vocab *v = &m->vocab;
    int N = m->order;
    BinHeader h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, NGRAM_BIN_MAGIC, 8);
    h.version = NGRAM_BIN_VERSION;
    h.endian = BIN_ENDIAN;
    h.order = (uint32_t)N;
    h.vocab_n = (uint32_t)v->n;
    uint64_t text = 0;
    for (int32_t id = 0; id < v->n; id++) {
        text += v->len[id];
    }
    h.vocab_off = align_up(sizeof h);
    h.vocab_bytes = 4 * ((uint64_t)v->n + 1) + text;
    uint64_t at = align_up(h.vocab_off + h.vocab_bytes);
    for (int k = 1; k <= N; k++) {
        BinLevelHead *H = &h.lev[k - 1];
        if (k == 1) {
            H->n = 0;
            for (uint32_t s = 0; s < m->lev[1].cap; s++) {
                H->n += m->lev[1].keys[s] != NGRAM_EMPTY;
            }
            H->cap = (uint64_t)v->n;
            H->stride = 8;
            H->bytes = H->cap * 8;
        } else {
            for (uint32_t s = 0; s < m->lev[k].cap; s++) {
                H->n += is_entry(m, k, m->lev[k].keys[s]);
            }
            H->cap = (uint64_t)ceil((double)H->n * NGRAM_BIN_SPACE) + 1;
            if (H->cap >= UINT32_MAX) {
                return lab_error("cannot write '%s': order %d holds %llu n-grams, more than a "
                                 "binary model's table can", path, k, (unsigned long long)H->n);
            }
            key_layout(h.vocab_n, h.lev[k - 2].cap, &H->tok_bits, &H->key_bytes);
            H->stride = H->key_bytes + 4 + (k < N ? 4 : 0);
            H->bytes = H->cap * H->stride + 8;
        }
        H->off = at;
        at = align_up(at + H->bytes);
    }
    h.file_bytes = at;
    h.flags = BIN_CLOSED;
    for (int k = 2; k <= N; k++) {
        for (uint32_t s = 0; s < m->lev[k].cap && h.flags; s++) {
            if (is_entry(m, k, m->lev[k].keys[s]) &&
                (!m->suffix[k] || m->suffix[k][s] == NGRAM_NONE)) {
                h.flags = 0;
            }
        }
    }
    uint8_t *buf = calloc(1, h.file_bytes);
    if (!buf) {
        return lab_error("cannot write '%s': no memory for its %llu bytes", path,
                         (unsigned long long)h.file_bytes);
    }
    // the vocabulary
    uint32_t *offs = (uint32_t *)(buf + h.vocab_off);
    uint8_t *bytes = buf + h.vocab_off + 4 * ((uint64_t)v->n + 1);
    uint32_t o = 0;
    for (int32_t id = 0; id < v->n; id++) {
        offs[id] = o;
        memcpy(bytes + o, v->str[id], v->len[id]);
        o += v->len[id];
    }
    offs[v->n] = o;
    // order 1: by token id; the model's order-1 nodes map to ids
    uint32_t *map_prev = lab_malloc((size_t)m->lev[1].cap * sizeof *map_prev);
    uint8_t *uni = buf + h.lev[0].off;
    for (int32_t id = 0; id < v->n; id++) {
        store_float(uni + (size_t)id * 8, NAN);
        store_float(uni + (size_t)id * 8 + 4, 0.0);
    }
    for (uint32_t s = 0; s < m->lev[1].cap; s++) {
        uint64_t key = m->lev[1].keys[s];
        map_prev[s] = NGRAM_NONE;
        if (key == NGRAM_EMPTY) {
            continue;
        }
        uint32_t id = (uint32_t)key;
        map_prev[s] = id;
        store_float(uni + (size_t)id * 8, -fabs(m->logp[1][s])); // sign set: extends (for now)
        store_float(uni + (size_t)id * 8 + 4, N > 1 ? m->logbow[1][s] : 0.0);
    }
    // the entries of one order and the sort's second copy, for the largest order (one block:
    // a new one each order would cost its page faults again)
    uint64_t most = 0;
    for (int k = 2; k <= N; k++) {
        most = h.lev[k - 1].n > most ? h.lev[k - 1].n : most;
    }
    BinPlace *e = lab_malloc(2 * ((size_t)most + 1) * sizeof *e);
    for (int k = 2; k <= N; k++) {
        const NgramLevel *L = &m->lev[k];
        BinLevelHead *H = &h.lev[k - 1];
        NgramBinLevel T = {
            .slots = buf + H->off, .cap = (uint32_t)H->cap, .stride = H->stride,
            .key_bytes = H->key_bytes, .tok_bits = H->tok_bits,
            .key_mask = H->key_bytes == 8 ? UINT64_MAX : (1ull << (8 * H->key_bytes)) - 1,
        };
        uint8_t *slots = buf + H->off;
        memset(slots, 0xff, H->cap * H->stride); // every key all ones: empty
        uint32_t *map = lab_malloc((size_t)L->cap * sizeof *map);
        uint8_t *has_child = lab_calloc(h.lev[k - 2].cap, 1); // per node of order k-1
        // the entries with their keys and home slots, in the model's order
        uint32_t n = (uint32_t)H->n;
        uint32_t j = 0;
        for (uint32_t s = 0; s < L->cap; s++) {
            if (s + 32 < L->cap && L->keys[s + 32] != NGRAM_EMPTY) {
                __builtin_prefetch(&map_prev[(uint32_t)(L->keys[s + 32] >> 32)]);
            }
            uint64_t key = L->keys[s];
            map[s] = NGRAM_NONE;
            if (!is_entry(m, k, key)) {
                continue;
            }
            uint32_t parent = map_prev[(uint32_t)(key >> 32)];
            assert(parent != NGRAM_NONE); // every node below the top order is an entry
            has_child[parent] = 1;
            uint64_t bkey = make_key(&T, parent, (int32_t)(uint32_t)key);
            e[j++] = (BinPlace){.key = bkey, .home = home_of(bkey, T.cap), .who = s,
                                .lp = (float)-fabs(m->logp[k][s]),
                                .lb = k < N ? (float)m->logbow[k][s] : 0.0f};
        }
        assert(j == n);
        BinPlace *sorted = place_sort(e, e + most + 1, n, T.cap);
        uint32_t max_probe = place(sorted, n, T.cap);
        for (uint32_t r = 0; r < n; r++) {
            const BinPlace *x = &sorted[r];
            uint8_t *slot = slots + (size_t)x->home * T.stride; // (now the slot: see place)
            for (uint32_t b = 0; b < T.key_bytes; b++) {
                slot[b] = (uint8_t)(x->key >> (8 * b));
            }
            memcpy(slot + T.key_bytes, &x->lp, 4); // (as store_float: the double rounded)
            if (k < N) {
                memcpy(slot + T.key_bytes + 4, &x->lb, 4);
            }
            map[x->who] = x->home;
        }
        H->max_probe = max_probe;
        // the order below: an n-gram that is nobody's context and has a backoff weight of 1
        // does not extend (ln P stored with its sign bit clear)
        mark_extensions(&h, buf, k - 1, has_child);
        free(has_child);
        free(map_prev);
        map_prev = map;
    }
    free(e);
    free(map_prev);
    memcpy(buf, &h, sizeof h);
    ngram_bin_seal(buf);
    LabAtomic a;
    int rc = -1;
    if (lab_atomic_open(&a, path) == 0) {
        if (fwrite(buf, 1, h.file_bytes, a.f) != h.file_bytes) {
            lab_error("cannot write '%s': %s", path, strerror(errno));
            lab_atomic_abort(&a);
        } else {
            rc = lab_atomic_commit(&a);
        }
    }
    free(buf);
    return rc;
}

// --- reading ------------------------------------------------------------------------------

int ngram_bin_is(const char *path)
{
    char magic[8];
    FILE *f = fopen(path, "rb");
    if (!f) {
        return 0;
    }
    int is = fread(magic, 1, 8, f) == 8 && memcmp(magic, NGRAM_BIN_MAGIC, 8) == 0;
    fclose(f);
    return is;
}

void ngram_bin_close(NgramBin *b)
{
    if (b && b->map) {
        munmap(b->map, b->map_bytes);
    }
    free(b);
}

// a section [off, off + bytes) inside a file of len bytes, without overflow
static int inside(uint64_t off, uint64_t bytes, uint64_t len)
{
    return off <= len && bytes <= len - off;
}

// The header against the file's length: -1 with a message naming path.
static int check_header(const BinHeader *h, uint64_t len, const char *path)
{
    const char *hint = "make it again: lmlab ngram binary --arpa MODEL.arpa --out FILE";
    if (h->version != NGRAM_BIN_VERSION) {
        return lab_error_hint(hint, "'%s' is a binary model of version %u; this lmlab reads "
                              "version %u", path, h->version, NGRAM_BIN_VERSION);
    }
    if (h->endian != BIN_ENDIAN) {
        return lab_error_hint(hint, "'%s' was written on a machine of the other byte order "
                              "(byte-order mark %08x, expected %08x)", path, h->endian,
                              BIN_ENDIAN);
    }
    if (h->header_sum != header_sum((const uint8_t *)h)) {
        return lab_error_hint(hint, "'%s': the header's checksum is %016llx, its bytes sum to "
                              "%016llx: the header is damaged", path,
                              (unsigned long long)h->header_sum,
                              (unsigned long long)header_sum((const uint8_t *)h));
    }
    if (h->flags & ~BIN_CLOSED) {
        return lab_error_hint(hint, "'%s': unknown flags %08x in the header", path, h->flags);
    }
    for (size_t i = 0; i < sizeof h->reserved; i++) {
        if (h->reserved[i]) {
            return lab_error_hint(hint, "'%s': reserved header byte %zu is %u, not 0", path,
                                  offsetof(BinHeader, reserved) + i, h->reserved[i]);
        }
    }
    if (h->file_bytes != len) {
        return lab_error_hint(hint, "'%s' is %llu bytes, but its header says %llu: the file "
                              "is truncated or damaged", path, (unsigned long long)len,
                              (unsigned long long)h->file_bytes);
    }
    if (h->order < 1 || h->order > NGRAM_MAX_ORDER) {
        return lab_error_hint(hint, "'%s': order %u is outside 1..%d", path, h->order,
                              NGRAM_MAX_ORDER);
    }
    if (h->vocab_n < TOK_FIRST || h->vocab_n > INT32_MAX / 2) {
        return lab_error_hint(hint, "'%s': a vocabulary of %u tokens is out of range", path,
                              h->vocab_n);
    }
    uint64_t table = 4 * ((uint64_t)h->vocab_n + 1);
    if (h->vocab_off % 4 || !inside(h->vocab_off, h->vocab_bytes, len) ||
        h->vocab_bytes < table) {
        return lab_error_hint(hint, "'%s': the vocabulary section (%llu bytes at %llu) does not "
                              "fit the file", path, (unsigned long long)h->vocab_bytes,
                              (unsigned long long)h->vocab_off);
    }
    for (uint32_t k = 1; k <= NGRAM_MAX_ORDER; k++) {
        const BinLevelHead *H = &h->lev[k - 1];
        if (k > h->order) {
            if (H->n || H->cap || H->off || H->bytes) {
                return lab_error_hint(hint, "'%s': order %u is described, but the model is of "
                                      "order %u", path, k, h->order);
            }
            continue;
        }
        uint32_t want_stride, want_kb = 0, want_tb = 0;
        uint64_t want_bytes;
        if (k == 1) {
            want_stride = 8;
            if (H->cap != h->vocab_n || H->n > H->cap) {
                return lab_error_hint(hint, "'%s': order 1 has %llu slots for %u tokens", path,
                                      (unsigned long long)H->cap, h->vocab_n);
            }
            want_bytes = H->cap * 8;
        } else {
            key_layout(h->vocab_n, h->lev[k - 2].cap, &want_tb, &want_kb);
            want_stride = want_kb + 4 + (k < h->order ? 4 : 0);
            if (H->cap < 1 || H->cap >= UINT32_MAX || H->n >= H->cap) {
                return lab_error_hint(hint, "'%s': order %u has %llu n-grams in %llu slots", path,
                                      k, (unsigned long long)H->n, (unsigned long long)H->cap);
            }
            if (H->max_probe >= H->cap) {
                return lab_error_hint(hint, "'%s': order %u: a probe of %u slots in a table of "
                                      "%llu", path, k, H->max_probe, (unsigned long long)H->cap);
            }
            want_bytes = H->cap * want_stride + 8;
        }
        if (H->key_bytes != want_kb || H->tok_bits != want_tb || H->stride != want_stride) {
            return lab_error_hint(hint, "'%s': order %u: slots of %u bytes with %u-byte keys, "
                                  "expected %u and %u", path, k, H->stride, H->key_bytes,
                                  want_stride, want_kb);
        }
        if (H->off % 4 || H->bytes != want_bytes || !inside(H->off, H->bytes, len)) {
            return lab_error_hint(hint, "'%s': order %u: its table (%llu bytes at %llu) does not "
                                  "fit the file of %llu bytes", path, k,
                                  (unsigned long long)H->bytes, (unsigned long long)H->off,
                                  (unsigned long long)len);
        }
    }
    return 0;
}

int ngram_bin_load(NgramModel *m, const char *path, TokUnit unit)
{
    memset(m, 0, sizeof *m);
    const char *hint = "make it again: lmlab ngram binary --arpa MODEL.arpa --out FILE";
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return lab_error("cannot open '%s': %s", path, strerror(errno));
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return lab_error("cannot read '%s': not a regular file", path);
    }
    uint64_t len = (uint64_t)st.st_size;
    BinHeader h;
    if (len < sizeof h) {
        close(fd);
        return lab_error_hint(hint, "'%s' is %llu bytes, shorter than a binary model's header "
                              "(%zu): truncated, or not a binary model", path,
                              (unsigned long long)len, sizeof h);
    }
    void *map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (map == MAP_FAILED) {
        return lab_error("cannot map '%s': %s", path, strerror(errno));
    }
    memcpy(&h, map, sizeof h);
    NgramBin *b = NULL;
    if (memcmp(h.magic, NGRAM_BIN_MAGIC, 8) != 0) {
        char q[48];
        lab_error_hint(hint, "'%s' is not an lmlab binary model: it starts with '%s', not '%s'",
                       path, lab_quote(q, sizeof q, h.magic, 8), NGRAM_BIN_MAGIC);
        goto fail;
    }
    if (check_header(&h, len, path) != 0) {
        goto fail;
    }
    // the vocabulary: offsets that grow, within the section, the reserved tokens first and
    // no token twice
    const uint8_t *vb = (const uint8_t *)map + h.vocab_off;
    uint64_t text = h.vocab_bytes - 4 * ((uint64_t)h.vocab_n + 1);
    const char *chars = (const char *)vb + 4 * ((uint64_t)h.vocab_n + 1);
    vocab_init(&m->vocab);
    for (uint32_t id = 0; id < h.vocab_n; id++) {
        uint32_t o0, o1;
        memcpy(&o0, vb + 4 * (uint64_t)id, 4);
        memcpy(&o1, vb + 4 * ((uint64_t)id + 1), 4);
        if (o0 > o1 || o1 > text || (id == 0 && o0 != 0)) {
            lab_error_hint(hint, "'%s': the vocabulary's offsets are damaged (token %u)", path,
                           id);
            goto fail;
        }
        const char *s = chars + o0;
        size_t n = o1 - o0;
        if (memchr(s, '\0', n)) {
            lab_error_hint(hint, "'%s': token %u holds a NUL byte", path, id);
            goto fail;
        }
        if (id < TOK_FIRST) {
            const char *want = m->vocab.str[id];
            if (n != strlen(want) || memcmp(s, want, n) != 0) {
                lab_error_hint(hint, "'%s': token %u should be %s", path, id, want);
                goto fail;
            }
        } else if (vocab_find(&m->vocab, s, n) >= 0 || vocab_add(&m->vocab, s, n) != (int32_t)id) {
            char q[48];
            lab_error_hint(hint, "'%s': token '%s' is listed twice", path,
                           lab_quote(q, sizeof q, s, n));
            goto fail;
        }
    }
    b = lab_calloc(1, sizeof *b);
    b->map = map;
    b->map_bytes = len;
    b->order = (int)h.order;
    b->closed = (h.flags & BIN_CLOSED) != 0;
    for (int k = 1; k <= b->order; k++) {
        const BinLevelHead *H = &h.lev[k - 1];
        NgramBinLevel *L = &b->lev[k];
        L->slots = (const uint8_t *)map + H->off;
        L->cap = (uint32_t)H->cap;
        L->n = (uint32_t)H->n;
        L->stride = H->stride;
        L->key_bytes = H->key_bytes;
        L->tok_bits = H->tok_bits;
        L->max_probe = H->max_probe;
        L->key_mask = H->key_bytes >= 8 ? UINT64_MAX : (1ull << (8 * H->key_bytes)) - 1;
    }
    m->order = b->order;
    m->unit = unit;
    m->from_arpa = 1;
    m->bin = b;
    return 0;
fail:
    munmap(map, len);
    free(b);
    vocab_free(&m->vocab);
    memset(m, 0, sizeof *m);
    return -1;
}

// --- a run directory ----------------------------------------------------------------------

// 1 with the version of the binary model at path when its magic is right, 0 otherwise
static int bin_version(const char *path, uint32_t *version)
{
    uint8_t head[12];
    FILE *f = fopen(path, "rb");
    if (!f) {
        return 0;
    }
    int ok = fread(head, 1, sizeof head, f) == sizeof head &&
             memcmp(head, NGRAM_BIN_MAGIC, 8) == 0;
    fclose(f);
    if (ok) {
        memcpy(version, head + offsetof(BinHeader, version), 4);
    }
    return ok;
}

int ngram_model_load_dir(NgramModel *m, const char *dir, TokUnit unit)
{
    char *bin = lab_path_join(dir, "model.bin");
    char *arpa = lab_path_join(dir, "model.arpa");
    struct stat sb, sa;
    int has_bin = stat(bin, &sb) == 0, has_arpa = stat(arpa, &sa) == 0;
    int use_bin = has_bin;
    if (has_bin && has_arpa &&
        (sb.st_mtim.tv_sec < sa.st_mtim.tv_sec ||
         (sb.st_mtim.tv_sec == sa.st_mtim.tv_sec && sb.st_mtim.tv_nsec < sa.st_mtim.tv_nsec))) {
        lab_note("'%s' is older than '%s': reading the ARPA file (make the binary again with "
                 "lmlab ngram binary --arpa %s --out %s)", bin, arpa, arpa, bin);
        use_bin = 0;
    }
    uint32_t version = 0;
    if (use_bin && has_arpa && bin_version(bin, &version) && version != NGRAM_BIN_VERSION) {
        // a run trained by another lmlab: its ARPA file still reads
        lab_note("'%s' is a binary model of version %u, this lmlab reads version %u: reading the "
                 "ARPA file (make the binary again with lmlab ngram binary --arpa %s --out %s)",
                 bin, version, NGRAM_BIN_VERSION, arpa, bin);
        use_bin = 0;
    }
    int rc = use_bin ? ngram_bin_load(m, bin, unit) : ngram_arpa_read(m, arpa, unit);
    free(bin);
    free(arpa);
    return rc;
}
