// spill.c: counting a corpus in bounded memory: sorted runs on disk, merged.
//
// lmplz's way, in its smallest form. The text is read in pieces of whole lines, twice: the
// first pass builds the vocabulary (its ids are sorted by count once all the text is seen, so
// no n-gram can be keyed before), the second turns each piece into ids and adds every window
// of orders 1..N to one open-addressing table of fixed size, keyed by the whole n-gram. When
// the table is 3/4 full it is sorted and written out as a run, and emptied. The runs are
// merged k-way (a heap of readers, equal n-grams summed), in several passes when there are
// more runs than readers fit in the limit; the last pass fills the trie that ngram_count
// makes, order by order, in the same tables, with the adjusted counts and suffix links
// derived from the merged n-grams rather than counted on the way.
//
// Every run lives in one of two temporary files, unlinked as soon as it is made: the space
// returns when the process ends, however it ends. The ids of the text go to a third and their
// sequence starts to a fourth, read back a window at a time for scoring (ngram_eval_spilled).
// Left out: the stream unit (one sequence as long as the text), and threads.
#include "ngram.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// --- records ------------------------------------------------------------------------------

// One n-gram and its count: in the table, in the run files, in the merge.
typedef struct {
    uint32_t k;                 // order 1..N; 0 marks an empty slot of the table
    int32_t w[NGRAM_MAX_ORDER]; // the tokens, oldest first; 0 after the k-th
    uint32_t count;             // raw count (0 for the context-only windows of <s>)
} SpillRec;                     // 32 bytes

// the order of the runs: by order, then by tokens (any total order would merge)
static int rec_cmp(const SpillRec *a, const SpillRec *b)
{
    if (a->k != b->k) {
        return a->k < b->k ? -1 : 1;
    }
    for (int i = 0; i < NGRAM_MAX_ORDER; i++) {
        if (a->w[i] != b->w[i]) {
            return a->w[i] < b->w[i] ? -1 : 1;
        }
    }
    return 0;
}

static void rec_swap(SpillRec *a, SpillRec *b)
{
    SpillRec t = *a;
    *a = *b;
    *b = t;
}

// Sorts r[0..n) in place (quicksort, median of three, insertion sort below 16): the C
// library's qsort may take a buffer as large as the table, which the limit has no room for.
static void rec_sort(SpillRec *r, size_t n)
{
    while (n > 16) {
        size_t m = n / 2;
        // median of three into r[m], then Hoare's partition around it
        if (rec_cmp(&r[m], &r[0]) < 0) {
            rec_swap(&r[m], &r[0]);
        }
        if (rec_cmp(&r[n - 1], &r[m]) < 0) {
            rec_swap(&r[n - 1], &r[m]);
            if (rec_cmp(&r[m], &r[0]) < 0) {
                rec_swap(&r[m], &r[0]);
            }
        }
        SpillRec pivot = r[m];
        size_t i = 0, j = n - 1;
        for (;;) {
            while (rec_cmp(&r[i], &pivot) < 0) {
                i++;
            }
            while (rec_cmp(&pivot, &r[j]) < 0) {
                j--;
            }
            if (i >= j) {
                break;
            }
            rec_swap(&r[i], &r[j]);
            i++;
            j--;
        }
        // r[0..j] <= pivot <= r[j+1..n): recurse into the smaller side, loop on the larger,
        // so the stack stays logarithmic
        size_t left = j + 1;
        if (left < n - left) {
            rec_sort(r, left);
            r += left;
            n -= left;
        } else {
            rec_sort(r + left, n - left);
            n = left;
        }
    }
    for (size_t i = 1; i < n; i++) {
        SpillRec x = r[i];
        size_t j = i;
        for (; j > 0 && rec_cmp(&x, &r[j - 1]) < 0; j--) {
            r[j] = r[j - 1];
        }
        r[j] = x;
    }
}

static uint64_t rec_hash(const SpillRec *r)
{
    uint64_t h = r->k;
    for (int i = 0; i < NGRAM_MAX_ORDER; i++) {
        h = (h ^ (uint32_t)r->w[i]) * 0x9E3779B97F4A7C15ull;
        h ^= h >> 29;
    }
    return h;
}

// --- size limits --------------------------------------------------------------------------

int ngram_memory_parse(const char *s, size_t *bytes)
{
    if (!s || *s < '0' || *s > '9') {
        return -1;
    }
    unsigned long long x = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (x > (1ull << 50)) {
            return -1;
        }
        x = 10 * x + (unsigned)(*s - '0');
    }
    int shift = 0;
    switch (*s) {
    case 'k':
    case 'K':
        shift = 10;
        s++;
        break;
    case 'm':
    case 'M':
        shift = 20;
        s++;
        break;
    case 'g':
    case 'G':
        shift = 30;
        s++;
        break;
    case 't':
    case 'T':
        shift = 40;
        s++;
        break;
    }
    if (*s == 'b' || *s == 'B') {
        s++; // 100MB reads as 100M
    }
    if (*s != '\0' || x == 0 || x > (1ull << 50) >> shift) {
        return -1;
    }
    *bytes = (size_t)(x << shift);
    return 0;
}

// "64K", "1.5M": a size for messages
static const char *size_str(char *buf, size_t cap, size_t b)
{
    if (b >= (1u << 30)) {
        snprintf(buf, cap, "%.3gG", b / (double)(1u << 30));
    } else if (b >= (1u << 20)) {
        snprintf(buf, cap, "%.3gM", b / (double)(1u << 20));
    } else {
        snprintf(buf, cap, "%.3gK", b / 1024.0);
    }
    return buf;
}

// the peak resident memory of the process so far, in bytes (Linux's VmHWM), or -1
static long long peak_rss(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) {
        return -1;
    }
    char line[256];
    long long kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (sscanf(line, "VmHWM: %lld kB", &kb) == 1) {
            break;
        }
    }
    fclose(f);
    return kb < 0 ? -1 : kb * 1024;
}

// --- temporary files ------------------------------------------------------------------------

// A file made in dir and unlinked at once: only the descriptor names it.
static int tmp_open(const char *dir)
{
    char *path = lab_path_join(dir, ".lmlab-count.XXXXXX");
    int fd = mkstemp(path);
    if (fd < 0) {
        char q[512];
        int e = errno;
        free(path);
        return lab_error_hint("set TMPDIR to a directory where lmlab may write",
                              "cannot make a temporary file in '%s': %s",
                              lab_quote(q, sizeof q, dir, strlen(dir)), strerror(e));
    }
    unlink(path);
    free(path);
    return fd;
}

static int write_error(const char *dir, int e)
{
    char q[512];
    return lab_error_hint("free some space there, or set TMPDIR to a directory with room",
                          "cannot write the counts spilled to '%s': %s",
                          lab_quote(q, sizeof q, dir, strlen(dir)), strerror(e));
}

// A buffered writer appending to a temporary file.
typedef struct {
    int fd;
    const char *dir;
    char *buf;
    size_t cap, len;
    long long off; // bytes written so far (the file's length once flushed)
} Out;

static int out_flush(Out *o)
{
    size_t done = 0;
    while (done < o->len) {
        ssize_t w = write(o->fd, o->buf + done, o->len - done);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return write_error(o->dir, w < 0 ? errno : ENOSPC);
        }
        done += (size_t)w;
    }
    o->len = 0;
    return 0;
}

static int out_put(Out *o, const void *p, size_t n)
{
    const char *s = p;
    while (n > 0) {
        if (o->len == o->cap && out_flush(o) != 0) {
            return -1;
        }
        size_t m = o->cap - o->len < n ? o->cap - o->len : n;
        memcpy(o->buf + o->len, s, m);
        o->len += m, s += m, n -= m, o->off += (long long)m;
    }
    return 0;
}

// reads exactly n bytes at off; -1 with a message when the file is shorter or unreadable
static int read_at(int fd, void *p, size_t n, long long off, const char *dir)
{
    char *s = p;
    while (n > 0) {
        ssize_t r = pread(fd, s, n, (off_t)off);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            char q[512];
            return lab_error("cannot read back the counts spilled to '%s': %s",
                             lab_quote(q, sizeof q, dir, strlen(dir)),
                             r < 0 ? strerror(errno) : "the file is shorter than written");
        }
        s += r, n -= (size_t)r, off += r;
    }
    return 0;
}

// --- runs and their merge -------------------------------------------------------------------

typedef struct {
    int fd;           // the file holding it
    long long off, n; // first byte in the file, records
} Segment;

// One run being read: a window of its records.
typedef struct {
    long long off, left; // next byte to read, records not yet read into buf
    SpillRec *buf;
    size_t n, i; // records in buf, the current one
} Reader;

static int reader_next(Reader *r, const Segment *seg, size_t cap, const char *dir)
{
    if (++r->i < r->n) {
        return 1;
    }
    if (r->left == 0) {
        return 0;
    }
    size_t m = r->left < (long long)cap ? (size_t)r->left : cap;
    if (read_at(seg->fd, r->buf, m * sizeof *r->buf, r->off, dir) != 0) {
        return -1;
    }
    r->off += (long long)(m * sizeof *r->buf);
    r->left -= (long long)m;
    r->n = m;
    r->i = 0;
    return 1;
}

// Where merged records go: a run of the next pass, or the trie.
typedef int (*SinkFn)(void *ctx, const SpillRec *r);

// heap of reader indices by their current record
static int heap_less(Reader *rd, const int *h, int a, int b)
{
    return rec_cmp(&rd[h[a]].buf[rd[h[a]].i], &rd[h[b]].buf[rd[h[b]].i]) < 0;
}

static void heap_down(Reader *rd, int *h, int n, int i)
{
    for (;;) {
        int l = 2 * i + 1, m = i;
        if (l < n && heap_less(rd, h, l, m)) {
            m = l;
        }
        if (l + 1 < n && heap_less(rd, h, l + 1, m)) {
            m = l + 1;
        }
        if (m == i) {
            return;
        }
        int t = h[i];
        h[i] = h[m];
        h[m] = t;
        i = m;
    }
}

// Merges the runs segs[0..ns) into sink, equal n-grams summed; buf_recs records of buffer
// per reader.
static int merge(const Segment *segs, int ns, size_t buf_recs, const char *dir, SinkFn sink,
                 void *ctx)
{
    Reader *rd = lab_calloc((size_t)ns, sizeof *rd);
    int *h = lab_malloc((size_t)ns * sizeof *h);
    int nh = 0, rc = -1;
    for (int s = 0; s < ns; s++) {
        rd[s] = (Reader){.off = segs[s].off, .left = segs[s].n, .i = 0, .n = 0};
        rd[s].buf = lab_malloc(buf_recs * sizeof *rd[s].buf);
        int got = reader_next(&rd[s], &segs[s], buf_recs, dir);
        if (got < 0) {
            goto done;
        }
        if (got) {
            h[nh++] = s;
        }
    }
    for (int i = nh / 2 - 1; i >= 0; i--) {
        heap_down(rd, h, nh, i);
    }
    SpillRec cur = {0};
    int have = 0;
    while (nh > 0) {
        Reader *top = &rd[h[0]];
        const SpillRec *r = &top->buf[top->i];
        if (have && rec_cmp(&cur, r) == 0) {
            if (cur.count > UINT32_MAX - r->count) {
                lab_error("an n-gram occurs more than %u times: the corpus is too large",
                          UINT32_MAX);
                goto done;
            }
            cur.count += r->count;
        } else {
            if (have && sink(ctx, &cur) != 0) {
                goto done;
            }
            cur = *r;
            have = 1;
        }
        int got = reader_next(top, &segs[h[0]], buf_recs, dir);
        if (got < 0) {
            goto done;
        }
        if (!got) {
            h[0] = h[--nh];
        }
        heap_down(rd, h, nh, 0);
    }
    if (have && sink(ctx, &cur) != 0) {
        goto done;
    }
    rc = 0;
done:
    for (int s = 0; s < ns; s++) {
        free(rd[s].buf);
    }
    free(rd);
    free(h);
    return rc;
}

static int sink_out(void *ctx, const SpillRec *r)
{
    return out_put(ctx, r, sizeof *r);
}

// --- the trie from merged n-grams -----------------------------------------------------------

// The nodes of the last n-gram looked up: the merge gives n-grams in sorted order, so the
// next one mostly shares a beginning with it, and only the rest is looked up.
typedef struct {
    int n; // tokens held
    int32_t w[NGRAM_MAX_ORDER];
    uint32_t node[NGRAM_MAX_ORDER]; // node[j]: the node of w[0..j]
} PathCache;

typedef struct {
    NgramCounts *nc;
    int k;       // the order being filled; orders below it are final
    long long P; // padded tokens (for the size guesses)
    PathCache parent;
} Fill;

// node of w[0..n) in the trie (n >= 1), or NGRAM_NONE; pc remembers the path
static uint32_t node_of(const NgramCounts *nc, PathCache *pc, const int32_t *w, int n)
{
    int j = 0;
    while (j < n && j < pc->n && pc->w[j] == w[j]) {
        j++;
    }
    uint32_t node = j > 0 ? pc->node[j - 1] : 0;
    for (; j < n && node != NGRAM_NONE; j++) {
        node = ngram_level_find(&nc->lev[j + 1], node, w[j]);
        pc->w[j] = w[j];
        pc->node[j] = node;
    }
    pc->n = node == NGRAM_NONE ? 0 : n;
    return node;
}

// order k is complete: its table shrinks to size, and order k+1 begins
static void fill_next_order(Fill *f)
{
    if (f->k >= 2) {
        ngram_level_fit(&f->nc->lev[f->k]);
    }
    f->k++;
    f->parent.n = 0; // the table just fitted may have moved its nodes
    if (f->k <= f->nc->order) {
        ngram_level_init_guess(f->nc, f->k, f->P);
    }
}

static int bad_runs(void)
{
    return lab_error("the counts spilled to disk came back damaged");
}

static int sink_fill(void *ctx, const SpillRec *r)
{
    Fill *f = ctx;
    NgramCounts *nc = f->nc;
    int k = (int)r->k;
    if (k < f->k || k > nc->order) {
        return bad_runs();
    }
    for (int i = 0; i < k; i++) {
        if (r->w[i] < 0 || r->w[i] >= nc->vocab_n) {
            return bad_runs();
        }
    }
    while (f->k < k) {
        fill_next_order(f);
    }
    NgramLevel *L = &nc->lev[k];
    uint32_t g;
    if (k == 1) {
        g = ngram_level_find(L, 0, r->w[0]); // every id has its node already
    } else {
        // the suffix w1 .. w(k-1) is the parent's suffix followed by w(k-1): one lookup
        uint32_t parent = node_of(nc, &f->parent, r->w, k - 1);
        uint32_t suffix = NGRAM_NONE;
        if (parent != NGRAM_NONE) {
            uint32_t up = k == 2 ? 0 : nc->lev[k - 1].val[NGRAM_SUFFIX][parent];
            suffix = ngram_level_find(&nc->lev[k - 1], up, r->w[k - 1]);
        }
        if (parent == NGRAM_NONE || suffix == NGRAM_NONE) {
            return bad_runs();
        }
        int is_new;
        g = ngram_level_insert(L, parent, r->w[k - 1], &is_new);
        if (!is_new) {
            return bad_runs();
        }
        L->val[NGRAM_SUFFIX][g] = suffix;
        // the suffix has one more distinct left neighbour (ngram_count's rule: a predicted
        // token, and a suffix that does not start with <s>, whose count is its raw count)
        if (r->w[k - 1] != TOK_BOS && r->w[1] != TOK_BOS) {
            uint32_t *adj = &nc->lev[k - 1].val[NGRAM_ADJ][suffix];
            if (*adj == UINT32_MAX) {
                return lab_error("an n-gram occurs more than %u times: the corpus is too large",
                                 UINT32_MAX);
            }
            (*adj)++;
        }
    }
    L->val[NGRAM_COUNT][g] = r->count;
    if (r->w[0] == TOK_BOS) {
        L->val[NGRAM_ADJ][g] = r->count; // starts with <s>: the raw count
    }
    return 0;
}

// --- counting -------------------------------------------------------------------------------

// The counting table: open addressing over whole records.
typedef struct {
    SpillRec *slot;
    uint32_t cap, n; // cap a power of two; spilled when 3/4 full
    int fd;          // the run file
    Out out;
    Segment *seg;
    int nseg, segcap;
} Table;

static int table_spill(Table *t)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < t->cap; i++) {
        if (t->slot[i].k) {
            t->slot[n++] = t->slot[i];
        }
    }
    rec_sort(t->slot, n);
    if (t->nseg == t->segcap) {
        t->segcap = t->segcap ? 2 * t->segcap : 64;
        t->seg = lab_realloc(t->seg, (size_t)t->segcap * sizeof *t->seg);
    }
    t->seg[t->nseg++] = (Segment){t->fd, t->out.off, n};
    if (out_put(&t->out, t->slot, (size_t)n * sizeof *t->slot) != 0) {
        return -1;
    }
    memset(t->slot, 0, (size_t)t->cap * sizeof *t->slot);
    t->n = 0;
    return 0;
}

static int table_add(Table *t, const SpillRec *r, uint32_t inc)
{
    uint32_t mask = t->cap - 1;
    uint32_t i = (uint32_t)(rec_hash(r) >> 32) & mask;
    for (;; i = (i + 1) & mask) {
        SpillRec *s = &t->slot[i];
        if (!s->k) {
            break;
        }
        if (rec_cmp(s, r) == 0) {
            if (s->count > UINT32_MAX - inc) {
                return lab_error("an n-gram occurs more than %u times: the corpus is too large",
                                 UINT32_MAX);
            }
            s->count += inc;
            return 0;
        }
    }
    if ((uint64_t)(t->n + 1) * 4 > (uint64_t)t->cap * 3) {
        if (table_spill(t) != 0) {
            return -1;
        }
        return table_add(t, r, inc);
    }
    t->slot[i] = *r;
    t->slot[i].count = inc;
    t->n++;
    return 0;
}

// every window of orders 1..N of the piece's sequences, padded as ngram_count pads them
static int table_count_piece(Table *t, const Corpus *pc, int order, int pad)
{
    int32_t *seq = NULL;
    size_t seq_cap = 0;
    for (long long s = 0; s < pc->nseq; s++) {
        long long len = pc->start[s + 1] - pc->start[s];
        size_t plen = (size_t)(pad + len);
        if (plen > seq_cap) {
            seq_cap = 2 * plen;
            seq = lab_realloc(seq, seq_cap * sizeof *seq);
        }
        for (int i = 0; i < pad; i++) {
            seq[i] = TOK_BOS;
        }
        memcpy(seq + pad, pc->ids + pc->start[s], (size_t)len * sizeof *seq);
        for (size_t j = 0; j < plen; j++) {
            uint32_t inc = seq[j] != TOK_BOS; // <s> is never predicted: a context only
            for (int k = 1; k <= order && (size_t)k <= j + 1; k++) {
                SpillRec r = {.k = (uint32_t)k};
                memcpy(r.w, seq + j + 1 - k, (size_t)k * sizeof *seq);
                if (table_add(t, &r, inc) != 0) {
                    free(seq);
                    return -1;
                }
            }
        }
    }
    free(seq);
    return 0;
}

// --- the command's pass ---------------------------------------------------------------------

int ngram_count_bounded(NgramCounts *nc, NgramSpilledText *c, Vocab *vocab, Tokenizer *t,
                        const TextOpts *o, const char *path, int order, NgramPad padding,
                        size_t limit, const char *tmpdir)
{
    memset(nc, 0, sizeof *nc);
    *c = (NgramSpilledText){.ids_fd = -1, .starts_fd = -1};
    char sz[32], q[512];
    lab_quote(q, sizeof q, path, strlen(path));
    if (limit < NGRAM_MEMORY_MIN) {
        return lab_error_hint("give --memory 64K or more",
                              "--memory %s is too small: counting "
                              "needs 64K at least",
                              size_str(sz, sizeof sz, limit));
    }
    if (o->unit != UNIT_LINE) {
        return lab_error("counting in bounded memory reads the text a line at a time: it needs "
                         "--unit line");
    }
    if (t->kind == TOK_BPE && t->bpe_pending) {
        return lab_error_hint("train and save one with 'lmlab tokenize', then give --bpe DIR",
                              "counting in bounded memory needs a BPE tokenizer already trained");
    }
    // the limit, shared: 1/32 for the raw piece (its text, ids and scratch take about 8 times
    // that), 1/2 for the counting table; then the merge buffers take 1/2
    const size_t piece = limit / 32;
    uint32_t cap = 1;
    while ((size_t)cap * 2 * sizeof(SpillRec) <= limit / 2 && cap < (1u << 30)) {
        cap *= 2;
    }
    const int pad = padding == NGRAM_PAD_NLTK ? order - 1 : 1;
    TextPieces tp = {.fd = -1};
    Table tab = {.fd = -1};
    int ids_fd = -1, fd2 = -1, rc = -1;
    Out ids = {.fd = -1}, starts_out = {.fd = -1};
    int starts_fd = -1;
    const char *text;
    size_t len;
    int got;

    // pass 1: the vocabulary, sorted once every count is in (corpus_build's rule)
    long long ntok = 0, nseq = 0;
    if (text_pieces_open(&tp, path, (Utf8Mode)o->utf8, piece) != 0) {
        goto fail;
    }
    tp.hint = "a line must fit in 1/32 of --memory: give more";
    while ((got = text_pieces_next(&tp, &text, &len)) == 1) {
        Corpus pc;
        if (corpus_build(&pc, vocab, t, UNIT_LINE, text, len, 0) != 0) {
            goto fail;
        }
        ntok += pc.n;
        nseq += pc.nseq;
        corpus_free(&pc);
    }
    if (got < 0) {
        goto fail;
    }
    text_pieces_close(&tp);
    free(vocab_prune_sort_map(vocab, t->kind == TOK_BPE ? 0 : o->min_count));
    if (ntok == nseq) {
        lab_error_hint(o->tokenizer == TOK_WORD ? "check --pattern" : NULL, "'%s' has no tokens",
                       q);
        goto fail;
    }

    // pass 2: the ids of each piece to a file, its windows into the table
    tab.cap = cap;
    tab.slot = lab_calloc(cap, sizeof *tab.slot);
    if ((tab.fd = tmp_open(tmpdir)) < 0 || (ids_fd = tmp_open(tmpdir)) < 0 ||
        (starts_fd = tmp_open(tmpdir)) < 0) {
        goto fail;
    }
    const size_t obuf = 64 << 10 < limit / 32 ? 64 << 10 : limit / 32;
    tab.out = (Out){.fd = tab.fd, .dir = tmpdir, .buf = lab_malloc(obuf), .cap = obuf};
    ids = (Out){.fd = ids_fd, .dir = tmpdir, .buf = lab_malloc(obuf), .cap = obuf};
    starts_out = (Out){.fd = starts_fd, .dir = tmpdir, .buf = lab_malloc(obuf), .cap = obuf};
    if (text_pieces_open(&tp, path, (Utf8Mode)o->utf8, piece) != 0) {
        goto fail;
    }
    long long at = 0, zero = 0;
    if (out_put(&starts_out, &zero, sizeof zero) != 0) {
        goto fail;
    }
    while ((got = text_pieces_next(&tp, &text, &len)) == 1) {
        Corpus pc;
        if (corpus_encode(&pc, vocab, t, UNIT_LINE, text, len) != 0) {
            goto fail;
        }
        pc.oov = 0; // as corpus_build counts it: every <unk> in the text
        for (long long i = 0; i < pc.n; i++) {
            pc.oov += pc.ids[i] == TOK_UNK;
        }
        c->words += pc.words;
        c->oov += pc.oov;
        int bad = out_put(&ids, pc.ids, (size_t)pc.n * sizeof *pc.ids) != 0;
        for (long long s = 1; s <= pc.nseq && !bad; s++) {
            long long e = at + pc.start[s];
            bad = out_put(&starts_out, &e, sizeof e) != 0;
        }
        at += pc.n;
        bad = bad || table_count_piece(&tab, &pc, order, pad) != 0;
        corpus_free(&pc);
        if (bad) {
            goto fail;
        }
    }
    if (got < 0) {
        goto fail;
    }
    text_pieces_close(&tp);
    if (at != ntok || table_spill(&tab) != 0 || out_flush(&tab.out) != 0 || out_flush(&ids) != 0 ||
        out_flush(&starts_out) != 0) {
        if (at != ntok) {
            lab_error("'%s' changed while it was read", q);
        }
        goto fail;
    }
    free(tab.slot);
    tab.slot = NULL;
    int runs = tab.nseg;
    long long spilled = tab.out.off;
    long long counting_peak = peak_rss(); // reading and counting: what the limit bounds

    // the merge: at most `fan` runs at a time, each reading through limit/2/fan bytes. With
    // more runs than that, the first ones are merged into one run of a second file, just
    // enough of them (at most fan) that the last merge, into the trie, can take all the rest.
    int fan = (int)(limit / 2 / 8192);
    fan = fan > 1024 ? 1024 : fan;
    size_t buf_recs = limit / 2 / (size_t)fan / sizeof(SpillRec);
    int steps = 1;
    long long merged_off = 0;
    while (tab.nseg > fan) {
        if (fd2 < 0 && (fd2 = tmp_open(tmpdir)) < 0) {
            goto fail;
        }
        int g = tab.nseg - fan + 1 < fan ? tab.nseg - fan + 1 : fan;
        Out next = {.fd = fd2, .dir = tmpdir, .buf = tab.out.buf, .cap = obuf, .off = merged_off};
        if (merge(tab.seg, g, buf_recs, tmpdir, sink_out, &next) != 0 || out_flush(&next) != 0) {
            goto fail;
        }
        Segment m = {fd2, merged_off, (next.off - merged_off) / (long long)sizeof(SpillRec)};
        merged_off = next.off;
        tab.nseg -= g;
        memmove(tab.seg, tab.seg + g, (size_t)tab.nseg * sizeof *tab.seg);
        tab.seg[tab.nseg++] = m;
        steps++;
    }

    // the trie: order 1 holds every id, as ngram_count makes it; the merge fills the rest
    nc->order = order;
    nc->unit = (TokUnit)o->unit;
    nc->pad = padding;
    nc->vocab_n = vocab->n;
    nc->tokens = ntok;
    ngram_level_init(&nc->lev[1], (uint32_t)vocab->n * 2, 3);
    for (int32_t id = 0; id < vocab->n; id++) {
        int is_new;
        ngram_level_insert(&nc->lev[1], 0, id, &is_new);
    }
    Fill f = {.nc = nc, .k = 1, .P = ntok + nseq * pad};
    if (merge(tab.seg, tab.nseg, buf_recs, tmpdir, sink_fill, &f) != 0) {
        goto fail;
    }
    while (f.k <= order) {
        fill_next_order(&f);
    }

    // the text's ids stay on disk, for scoring
    c->n = ntok;
    c->nseq = nseq;
    c->ids_fd = ids_fd;
    c->starts_fd = starts_fd;
    c->dir = lab_strdup(tmpdir);
    c->limit = limit;
    ids_fd = starts_fd = -1;
    char peak[64] = "";
    if (counting_peak > 0) {
        snprintf(peak, sizeof peak, "; %.1f MB resident at most while counting",
                 counting_peak / 1e6);
    }
    lab_note("counted %lld tokens within --memory %s: %d sorted run%s (%.1f MB in '%s'), "
             "merged in %d step%s%s",
             ntok, size_str(sz, sizeof sz, limit), runs, runs == 1 ? "" : "s", spilled / 1e6,
             tmpdir, steps, steps == 1 ? "" : "s", peak);
    rc = 0;
fail:
    text_pieces_close(&tp);
    free(tab.slot);
    free(tab.seg);
    free(tab.out.buf);
    free(ids.buf);
    free(starts_out.buf);
    int fds[] = {tab.fd, ids_fd, starts_fd, fd2};
    for (int i = 0; i < 4; i++) {
        if (fds[i] >= 0) {
            close(fds[i]);
        }
    }
    if (rc != 0) {
        ngram_counts_free(nc);
        ngram_spilled_close(c);
    }
    return rc;
}

void ngram_spilled_close(NgramSpilledText *text)
{
    if (text->dir) { // set once the files are the text's
        close(text->ids_fd);
        close(text->starts_fd);
        free(text->dir);
    }
    memset(text, 0, sizeof *text);
    text->ids_fd = text->starts_fd = -1;
}

// --- scoring the text on disk ---------------------------------------------------------------

// Batches of chunks, each scored from one window: the batch's tokens, the order-1 tokens
// before it, and the sequence starts of those positions (the one at or before the window's
// first position made 0, then every one inside, then the window's end). A chunk scored in
// such a window sees what it sees in the whole corpus: the same tokens at the same distance
// from the starts of their sequences.
int ngram_eval_spilled(const NgramModel *m, const NgramSpilledText *text, LabLoss *loss)
{
    memset(loss, 0, sizeof *loss);
    loss->words = text->words;
    loss->oov = text->oov;
    const long long T = ngram_eval_chunk_tokens(), n = text->n;
    const long long per_chunk = T * (long long)(sizeof(int32_t) + sizeof(long long));
    long long batch = (long long)(text->limit / 2) / per_chunk;
    batch = batch < 1 ? 1 : batch > 64 ? 64 : batch;
    const long long look = m->order - 1;
    const long long wcap = batch * T + look; // tokens of a window at most
    Corpus w = {0};
    w.ids = lab_malloc((size_t)wcap * sizeof *w.ids);
    w.start = lab_malloc((size_t)(wcap + 2) * sizeof *w.start);
    LabLoss *parts = lab_calloc((size_t)batch, sizeof *parts);
    long long si = 0; // the first sequence start read for the next window
    int rc = -1;
    for (long long b0 = 0; b0 < n; b0 += batch * T) {
        long long b1 = b0 + batch * T < n ? b0 + batch * T : n;
        long long w0 = b0 - look > 0 ? b0 - look : 0;
        if (read_at(text->ids_fd, w.ids, (size_t)(b1 - w0) * sizeof *w.ids,
                    w0 * (long long)sizeof *w.ids, text->dir) != 0) {
            goto fail;
        }
        // starts from si (at or before w0) up to the first one at or after b1: at most
        // b1 - w0 + 1 of them, as sequences are never empty (each ends with </s>)
        long long ns = 0, next_si = si;
        for (;;) {
            long long room = wcap + 2 - ns, left = text->nseq + 1 - (si + ns);
            long long get = room < left ? room : left;
            get = get < 4096 ? get : 4096;
            if (get <= 0) {
                lab_error("the ids of the text in '%s' are inconsistent", text->dir);
                goto fail;
            }
            if (read_at(text->starts_fd, w.start + ns, (size_t)get * sizeof *w.start,
                        (si + ns) * (long long)sizeof *w.start, text->dir) != 0) {
                goto fail;
            }
            long long j = ns, end = ns + get;
            for (; j < end && w.start[j] < b1; j++) {
                if (j > 0 && w.start[j] <= w.start[j - 1]) {
                    lab_error("the ids of the text in '%s' are inconsistent", text->dir);
                    goto fail;
                }
                if (w.start[j] <= b1 - look) {
                    next_si = si + j;
                }
            }
            ns = j;
            if (j < end) {
                break; // w.start[j] >= b1: the window's end
            }
        }
        w.start[0] = 0;
        for (long long j = 1; j < ns; j++) {
            w.start[j] -= w0;
        }
        w.start[ns] = b1 - w0;
        w.n = b1 - w0;
        w.nseq = ns;
        long long nb = (b1 - b0 + T - 1) / T;
#pragma omp parallel for schedule(dynamic, 1) if (nb >= 4)
        for (long long k = 0; k < nb; k++) {
            long long b = b0 + k * T, e = b + T < b1 ? b + T : b1;
            ngram_eval_range(m, &w, b - w0, e - w0, &parts[k]);
        }
        for (long long k = 0; k < nb; k++) { // in chunk order, as ngram_eval adds them
            loss->nats += parts[k].nats;
            loss->tokens += parts[k].tokens;
            loss->zero += parts[k].zero;
        }
        si = next_si;
    }
    rc = 0;
fail:
    free(parts);
    free(w.ids);
    free(w.start);
    return rc;
}
