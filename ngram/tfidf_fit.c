// tfidf_fit.c: fitting TF-IDF weights (tf, df, idf, the sparse document-term matrix and its
// row norms) and transforming a query with a fitted model.
//
// Fitting makes three passes, none of them dense:
//   1. analyze every document into term ids (a hash table gives each new term the next id)
//      and count them into (id, count) entries, one row per document: a term remembers the
//      document it was last seen in and its entry there, so a repeat adds one to that entry;
//   2. count document frequencies from the entries, keep the terms within min/max df (then
//      the max_features most frequent), sort the kept ones by bytes and renumber the columns;
//   3. sort each row by column, weigh every entry tf(count) * idf(df) and divide each row by
//      its norm.
// Passes 1 and 3 run on chunks of consecutive documents in parallel (OpenMP); the result is
// bitwise the same for any number of threads. Documents: tfidf_docs.c; terms: tfidf_terms.c;
// similarity and ranking: tfidf_query.c; files: tfidf_io.c; the commands: tfidf_cli.c.
#include "ngram/tfidf_internal.h"

#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

// --- options and formulas ---------------------------------------------------------------------

int tfidf_df_parse(const char *s, TfidfDf *df)
{
    if (!s || !*s) {
        return -1;
    }
    char *end;
    errno = 0;
    if (strpbrk(s, ".eE")) {
        double v = strtod(s, &end);
        if (*end || errno || !(v >= 0 && v <= 1)) {
            return -1;
        }
        df->value = v;
        df->proportion = 1;
        return 0;
    }
    long long v = strtoll(s, &end, 10);
    if (*end || errno || v < 1) {
        return -1;
    }
    df->value = (double)v;
    df->proportion = 0;
    return 0;
}

double tfidf_df_docs(TfidfDf df, long ndocs)
{
    return df.proportion ? df.value * (double)ndocs : df.value;
}

double tfidf_tf(TfidfTf tf, double count)
{
    switch (tf) {
    case TFIDF_TF_BINARY:
        return count > 0 ? 1.0 : 0.0;
    case TFIDF_TF_SUBLINEAR:
        return count > 0 ? 1.0 + log(count) : 0.0;
    case TFIDF_TF_RAW:
    default:
        return count;
    }
}

double tfidf_idf(TfidfIdf idf, long ndocs, long long df)
{
    // the same operations as scikit-learn (a double division, then log), so the same bits
    switch (idf) {
    case TFIDF_IDF_SMOOTH:
        return log((double)(ndocs + 1) / (double)(df + 1)) + 1.0;
    case TFIDF_IDF_PLAIN:
        return log((double)ndocs / (double)df);
    case TFIDF_IDF_SKLEARN_PLAIN:
        return log((double)ndocs / (double)df) + 1.0;
    case TFIDF_IDF_NONE:
    default:
        return 1.0;
    }
}

// --- sorting ----------------------------------------------------------------------------------

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static void sort_i32(int32_t *a, long n)
{
    if (n > 32) {
        qsort(a, (size_t)n, sizeof *a, cmp_i32);
        return;
    }
    for (long i = 1; i < n; i++) { // insertion sort: most documents are short
        int32_t v = a[i];
        long j = i;
        for (; j > 0 && a[j - 1] > v; j--) {
            a[j] = a[j - 1];
        }
        a[j] = v;
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

// Quicksort without a comparison callback (a row is sorted for every document), insertion
// sort below 24 elements, and glibc's qsort when the recursion gets deeper than it should
// (a pathological order cannot make it quadratic).
static void sort_u64_depth(uint64_t *a, long n, int depth)
{
    while (n > 24) {
        if (depth-- == 0) {
            qsort(a, (size_t)n, sizeof *a, cmp_u64);
            return;
        }
        uint64_t x = a[0], y = a[n / 2], z = a[n - 1]; // median of three as the pivot
        uint64_t pivot = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y);
        long i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot) {
                i++;
            }
            while (a[j] > pivot) {
                j--;
            }
            if (i >= j) {
                break;
            }
            uint64_t t = a[i];
            a[i++] = a[j];
            a[j--] = t;
        }
        // a[0..j] <= pivot <= a[j+1..n): recurse into the smaller part, loop on the larger
        if (j + 1 < n - j - 1) {
            sort_u64_depth(a, j + 1, depth);
            a += j + 1;
            n -= j + 1;
        } else {
            sort_u64_depth(a + j + 1, n - j - 1, depth);
            n = j + 1;
        }
    }
    for (long i = 1; i < n; i++) {
        uint64_t v = a[i];
        long j = i;
        for (; j > 0 && a[j - 1] > v; j--) {
            a[j] = a[j - 1];
        }
        a[j] = v;
    }
}

static void sort_u64(uint64_t *a, long n)
{
    int depth = 2;
    for (long m = n; m > 1; m >>= 1) {
        depth += 2;
    }
    sort_u64_depth(a, n, depth);
}

static const LabStrTab *sort_terms;  // qsort has no context argument
static const long long *sort_totals;

static int term_bytes_cmp(int32_t a, int32_t b)
{
    size_t na = lab_strtab_len(sort_terms, a), nb = lab_strtab_len(sort_terms, b);
    int c = memcmp(lab_strtab_key(sort_terms, a), lab_strtab_key(sort_terms, b), na < nb ? na : nb);
    if (c) {
        return c;
    }
    return (na > nb) - (na < nb);
}

// Byte order of the UTF-8 is code point order (Python's str order). A term's first 8 bytes
// as a big-endian number (zero-padded: terms hold no NUL) make most comparisons of a sort
// by bytes one integer comparison on contiguous memory.
typedef struct {
    uint64_t prefix;
    int32_t id;
} Prefixed;

static int by_prefix_then_bytes(const void *pa, const void *pb)
{
    const Prefixed *a = pa, *b = pb;
    if (a->prefix != b->prefix) {
        return a->prefix < b->prefix ? -1 : 1;
    }
    return term_bytes_cmp(a->id, b->id);
}

// Sorts ids[0..n) of sort_terms into byte order.
static void sort_by_bytes(int32_t *ids, int32_t n)
{
    Prefixed *p = lab_malloc(((size_t)n + 1) * sizeof *p);
    for (int32_t i = 0; i < n; i++) {
        const unsigned char *s = (const unsigned char *)lab_strtab_key(sort_terms, ids[i]);
        size_t len = lab_strtab_len(sort_terms, ids[i]);
        uint64_t x = 0;
        for (size_t j = 0; j < 8; j++) {
            x = (x << 8) | (j < len ? s[j] : 0);
        }
        p[i] = (Prefixed){x, ids[i]};
    }
    qsort(p, (size_t)n, sizeof *p, by_prefix_then_bytes);
    for (int32_t i = 0; i < n; i++) {
        ids[i] = p[i].id;
    }
    free(p);
}

// largest total first, then byte order
static int by_total_then_bytes(const void *pa, const void *pb)
{
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    if (sort_totals[a] != sort_totals[b]) {
        return sort_totals[a] > sort_totals[b] ? -1 : 1;
    }
    return term_bytes_cmp(a, b);
}

// --- fitting ----------------------------------------------------------------------------------

// The CSR being built: the entries of rows 0..r-1, capacity grown by doubling.
typedef struct {
    long long *ptr;
    int32_t *col;
    uint32_t *count;
    long long nnz, cap;
} Builder;

static void builder_push(Builder *b, int32_t col, uint32_t count)
{
    if (b->nnz == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 1 << 12;
        b->col = lab_realloc(b->col, (size_t)b->cap * sizeof *b->col);
        b->count = lab_realloc(b->count, (size_t)b->cap * sizeof *b->count);
    }
    b->col[b->nnz] = col;
    b->count[b->nnz] = count;
    b->nnz++;
}

// sorts ids and appends one (id, count) entry per distinct id
static void merge_row(Builder *b, Ids *ids)
{
    sort_i32(ids->id, ids->n);
    for (long i = 0; i < ids->n;) {
        long j = i + 1;
        while (j < ids->n && ids->id[j] == ids->id[i]) {
            j++;
        }
        builder_push(b, ids->id[i], (uint32_t)(j - i));
        i = j;
    }
}

// tf * idf of every entry of a row, divided by the row's norm; returns the row's Euclidean
// length afterwards
static double weigh_row(const TfidfParams *p, const double *idf, const int32_t *col,
                        const uint32_t *count, double *val, long n)
{
    double sq = 0, abs_sum = 0;
    if (p->tf == TFIDF_TF_RAW) { // the default: tf is the count, no call or switch an entry
        for (long e = 0; e < n; e++) {
            val[e] = (double)count[e] * idf[col[e]];
            sq += val[e] * val[e];
            abs_sum += fabs(val[e]);
        }
    } else {
        for (long e = 0; e < n; e++) {
            val[e] = tfidf_tf((TfidfTf)p->tf, (double)count[e]) * idf[col[e]];
            sq += val[e] * val[e];
            abs_sum += fabs(val[e]);
        }
    }
    double div = p->norm == TFIDF_NORM_L2 ? sqrt(sq) : p->norm == TFIDF_NORM_L1 ? abs_sum : 1.0;
    if (div > 0 && div != 1.0) { // a zero row stays zero, as scikit-learn leaves it
        sq = 0;
        for (long e = 0; e < n; e++) {
            val[e] /= div;
            sq += val[e] * val[e];
        }
    }
    return sqrt(sq);
}

// Pass 1 runs on chunks of consecutive documents, one thread each, every chunk with its own
// tokenizer and its own term ids (in the order it met them); the chunks' terms are merged
// afterwards. Columns are renumbered by bytes in pass 2 anyway, so the result is the same
// whatever the number of threads.
typedef struct {
    long first, last;      // documents first .. last-1
    LabStrTab terms;      // the chunk's terms, ids in first-seen order
    Builder b;             // its rows: b.ptr[i] is the start of document first + i
    int32_t *map;          // (nterms) chunk term id -> id of the merged table, then column
    int32_t nterms;        // terms.n, kept when terms is freed
    long long *df, *tot;   // (nterms) while pass 2 adds them up: the chunk's df and totals
    long long counted;     // terms counted
    long long stopped;     // words dropped as stop words
    long no_terms;         // documents without a term
    int failed;            // the tokenizer failed (its message is printed)
} Chunk;

static void count_chunk(Chunk *c, const TfidfDocs *docs, const TfidfParams *p,
                        const Tokenizer *proto)
{
    Tokenizer t;
    if (tok_init(&t, proto->kind, proto->pattern, proto->lowercase) != 0) {
        c->failed = 1; // cannot happen: proto compiled the same pattern
        return;
    }
    Tokens k;
    tfidf_tokens_init(&k, proto->kind, p->stop);
    // the table and the rows are built in locals and stored at the end: chunks lie side by
    // side in memory, and threads writing counters on one cache line would slow each other
    LabStrTab terms;
    lab_strtab_init(&terms);
    Sink sink = {.terms = &terms, .add = 1};
    tfidf_sink_memo(&sink);
    Ids ids; // sink.ids after each document
    Builder b = {0};
    b.ptr = lab_malloc((size_t)(c->last - c->first + 1) * sizeof *b.ptr);
    b.ptr[0] = 0;
    long long counted = 0;
    long no_terms = 0;
    // the last document each term was seen in, and its entry there: a repeat adds one to
    // that entry, so a row is built without sorting (pass 3 puts it in column order)
    struct {
        long doc;
        long long entry;
    } *seen = NULL;
    int32_t cap = 0;
    for (long d = c->first; d < c->last; d++) {
        if (tfidf_analyze(&k, &t, p, &sink, docs->doc[d], docs->len[d]) != 0) {
            c->failed = 1;
            break;
        }
        ids = sink.ids;
        if (terms.n > cap) {
            int32_t old = cap;
            cap = 2 * terms.n;
            seen = lab_realloc(seen, (size_t)cap * sizeof *seen);
            for (int32_t j = old; j < cap; j++) {
                seen[j].doc = -1;
            }
        }
        for (long i = 0; i < ids.n; i++) {
            int32_t id = ids.id[i];
            if (seen[id].doc == d) {
                b.count[seen[id].entry]++;
            } else {
                seen[id].doc = d;
                seen[id].entry = b.nnz;
                builder_push(&b, id, 1);
            }
        }
        counted += ids.n;
        no_terms += ids.n == 0;
        b.ptr[d - c->first + 1] = b.nnz;
    }
    c->terms = terms;
    c->b = b;
    c->counted = counted;
    c->stopped = k.stopped;
    c->no_terms = no_terms;
    free(seen);
    free(sink.ids.id);
    free(sink.memo);
    tfidf_tokens_free(&k);
    tok_free(&t);
}

static void chunk_free(Chunk *c)
{
    lab_strtab_free(&c->terms);
    free(c->b.ptr);
    free(c->b.col);
    free(c->b.count);
    free(c->map);
    free(c->df);
    free(c->tot);
    memset(c, 0, sizeof *c);
}

static void count_token(const char *tok, size_t len, void *ctx)
{
    (*(long long *)ctx)++;
}

// Splits the documents into n chunks of about the same number of bytes.
static Chunk *make_chunks(const TfidfDocs *docs, int *n)
{
    double total = 0;
    for (long d = 0; d < docs->n; d++) {
        total += (double)docs->len[d] + 1;
    }
    int want = omp_get_max_threads() * 4;
    if (docs->n < 1024 || total < (1 << 18)) {
        want = 1; // under 256 KB a thread costs more than it saves
    }
    Chunk *c = lab_calloc((size_t)want, sizeof *c);
    int k = 0;
    double acc = 0;
    c[0].first = 0;
    for (long d = 0; d < docs->n; d++) {
        acc += (double)docs->len[d] + 1;
        if (k + 1 < want && acc >= total * (k + 1) / want) {
            c[k].last = d + 1;
            c[++k].first = d + 1;
        }
    }
    c[k].last = docs->n;
    *n = k + 1;
    return c;
}

int tfidf_fit(TfidfModel *m, const TfidfDocs *docs, const TfidfParams *p, Tokenizer *t)
{
    memset(m, 0, sizeof *m);
    m->params = *p;
    m->kind = t->kind;
    if (p->ngram_min < 1 || p->ngram_max < p->ngram_min) {
        return lab_error("n-gram range %d,%d: expected 1 <= min <= max", p->ngram_min,
                         p->ngram_max);
    }
    long N = docs->n;
    int nchunks;
    Chunk *chunks = make_chunks(docs, &nchunks);
    LabStrTab seen;
    lab_strtab_init(&seen);
    long long *df0 = NULL, *tot0 = NULL;
    long long stopped = 0;
    int32_t *keep = NULL, *map = NULL;

    // 1. counts: one row per document, in the chunk's term ids. One split on this thread
    // first: the tokenizer sets up its lowercasing locale once, not in every thread at once
    // (on a non-ASCII letter: ASCII text is lowercased without the locale).
    if (t->lowercase) {
        long long ignored = 0;
        tok_split(t, "\xC3\x80", 2, count_token, &ignored);
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < nchunks; c++) {
        count_chunk(&chunks[c], docs, p, t);
    }
    for (int c = 0; c < nchunks; c++) {
        if (chunks[c].failed) {
            goto fail;
        }
        m->terms_counted += chunks[c].counted;
        stopped += chunks[c].stopped;
        m->no_terms += chunks[c].no_terms;
        // the chunk's ids -> ids of one table of every term seen
        Chunk *ch = &chunks[c];
        ch->nterms = ch->terms.n;
        ch->map = lab_malloc(((size_t)ch->terms.n + 1) * sizeof *ch->map);
        if (nchunks == 1) { // the chunk's table is the table
            lab_strtab_free(&seen);
            seen = ch->terms;
            memset(&ch->terms, 0, sizeof ch->terms);
            for (int32_t j = 0; j < seen.n; j++) {
                ch->map[j] = j;
            }
            break;
        }
        uint32_t *h = lab_strtab_hashes(&ch->terms);
        for (int32_t j = 0; j < ch->terms.n; j++) {
            ch->map[j] = lab_strtab_add_hashed(&seen, lab_strtab_key(&ch->terms, j),
                                          lab_strtab_len(&ch->terms, j), h[j]);
        }
        free(h);
        lab_strtab_free(&ch->terms);
    }
    int32_t V0 = m->terms_seen = seen.n;
    if (V0 == 0 && stopped > 0) {
        // the pattern found words: the stop list removed them all
        lab_error_hint("--stop-words removed every word; try without it, or with a shorter list",
                       "no document has a term (%ld documents): all %lld words are stop words",
                       N, stopped);
        goto fail;
    }
    if (V0 == 0) {
        lab_error_hint(t->kind == TOK_WORD ? "check --pattern: it finds no word in the documents"
                                           : NULL,
                       "no document has a term (%ld documents)", N);
        goto fail;
    }

    // 2. document frequencies (each chunk counts its own terms in parallel, then the counts
    // are added up by merged id), pruning, byte order
    df0 = lab_calloc((size_t)V0, sizeof *df0);
    tot0 = lab_calloc((size_t)V0, sizeof *tot0);
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < nchunks; c++) {
        Chunk *ch = &chunks[c];
        ch->df = lab_calloc((size_t)ch->nterms + 1, sizeof *ch->df);
        ch->tot = lab_calloc((size_t)ch->nterms + 1, sizeof *ch->tot);
        for (long long e = 0; e < ch->b.nnz; e++) {
            int32_t j = ch->b.col[e];
            ch->df[j]++;
            ch->tot[j] += p->tf == TFIDF_TF_BINARY ? 1 : ch->b.count[e];
        }
    }
    for (int c = 0; c < nchunks; c++) {
        Chunk *ch = &chunks[c];
        for (int32_t j = 0; j < ch->nterms; j++) {
            df0[ch->map[j]] += ch->df[j];
            tot0[ch->map[j]] += ch->tot[j];
        }
        free(ch->df);
        free(ch->tot);
        ch->df = ch->tot = NULL;
    }
    double lo = tfidf_df_docs(p->min_df, N), hi = tfidf_df_docs(p->max_df, N);
    if (hi < lo) {
        lab_error_hint("lower --min-df or raise --max-df",
                       "--max-df stands for %g documents, fewer than the %g of --min-df "
                       "(%ld documents)",
                       hi, lo, N);
        goto fail;
    }
    keep = lab_malloc((size_t)V0 * sizeof *keep);
    int32_t V = 0;
    for (int32_t j = 0; j < V0; j++) {
        if ((double)df0[j] >= lo && (double)df0[j] <= hi) {
            keep[V++] = j;
        }
    }
    sort_terms = &seen;
    if (p->max_features > 0 && V > p->max_features) {
        // scikit-learn ranks by total count too; its tie order is numpy's unstable argsort,
        // lmlab keeps the term that comes first in byte order
        sort_totals = tot0;
        qsort(keep, (size_t)V, sizeof *keep, by_total_then_bytes);
        V = (int32_t)p->max_features;
    }
    if (V == 0) {
        lab_error_hint("lower --min-df, raise --max-df",
                       "no term is left: each of the %d terms occurs in fewer than %g "
                       "(--min-df) or more than %g (--max-df) of the %ld documents",
                       V0, lo, hi, N);
        goto fail;
    }
    sort_by_bytes(keep, V);
    map = lab_malloc((size_t)V0 * sizeof *map);
    memset(map, 0xFF, (size_t)V0 * sizeof *map);
    lab_strtab_init(&m->vocab);
    m->df = lab_malloc((size_t)V * sizeof *m->df);
    m->total = lab_malloc((size_t)V * sizeof *m->total);
    m->idf = lab_malloc((size_t)V * sizeof *m->idf);
    uint32_t *seen_hash = lab_strtab_hashes(&seen);
    lab_strtab_reserve(&m->vocab, V, seen.nbytes);
    for (int32_t j = 0; j < V; j++) {
        int32_t o = keep[j];
        map[o] = j;
        lab_strtab_add_hashed(&m->vocab, lab_strtab_key(&seen, o), lab_strtab_len(&seen, o),
                              seen_hash[o]);
        m->df[j] = df0[o];
        m->total[j] = tot0[o];
        m->idf[j] = tfidf_idf((TfidfIdf)p->idf, N, df0[o]);
    }
    free(seen_hash);
    lab_strtab_free(&seen);
    // chunk ids -> columns (-1: pruned); then the kept entries of every row, column order
    TfidfCsr *X = &m->X;
    X->rows = N;
    X->cols = V;
    X->ptr = lab_malloc((size_t)(N + 1) * sizeof *X->ptr);
    X->ptr[0] = 0;
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < nchunks; c++) {
        Chunk *ch = &chunks[c];
        for (int32_t j = 0; j < ch->nterms; j++) { // chunk id -> column, one lookup
            ch->map[j] = map[ch->map[j]];
        }
        for (long long e = 0; e < ch->b.nnz; e++) {
            ch->b.col[e] = ch->map[ch->b.col[e]];
        }
        for (long d = ch->first; d < ch->last; d++) { // the row's kept entries, summed below
            long long kept = 0;
            for (long long e = ch->b.ptr[d - ch->first]; e < ch->b.ptr[d - ch->first + 1]; e++) {
                kept += ch->b.col[e] >= 0;
            }
            X->ptr[d + 1] = kept;
        }
    }
    for (long d = 0; d < N; d++) {
        X->ptr[d + 1] += X->ptr[d];
    }
    X->nnz = X->ptr[N];
    X->col = lab_malloc(((size_t)X->nnz + 1) * sizeof *X->col);
    X->count = lab_malloc(((size_t)X->nnz + 1) * sizeof *X->count);
    X->val = lab_malloc(((size_t)X->nnz + 1) * sizeof *X->val);
    m->rownorm = lab_malloc((size_t)N * sizeof *m->rownorm);

    // 3. weights, by chunk of rows in parallel (rows are independent)
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < nchunks; c++) {
        Chunk *ch = &chunks[c];
        long widest = 0;
        for (long i = 0; i < ch->last - ch->first; i++) {
            long n = (long)(ch->b.ptr[i + 1] - ch->b.ptr[i]);
            widest = n > widest ? n : widest;
        }
        uint64_t *pairs = lab_malloc(((size_t)widest + 1) * sizeof *pairs);
        for (long d = ch->first; d < ch->last; d++) {
            long n = 0;
            for (long long e = ch->b.ptr[d - ch->first]; e < ch->b.ptr[d - ch->first + 1]; e++) {
                if (ch->b.col[e] >= 0) {
                    pairs[n++] = (uint64_t)ch->b.col[e] << 32 | ch->b.count[e];
                }
            }
            sort_u64(pairs, n);
            long long a = X->ptr[d];
            for (long i = 0; i < n; i++) {
                X->col[a + i] = (int32_t)(pairs[i] >> 32);
                X->count[a + i] = (uint32_t)pairs[i];
            }
            m->rownorm[d] = weigh_row(p, m->idf, X->col + a, X->count + a, X->val + a, n);
        }
        free(pairs);
        free(ch->b.col); // done with the chunk's entries
        free(ch->b.count);
        ch->b.col = NULL;
        ch->b.count = NULL;
    }
    for (long d = 0; d < N; d++) {
        m->empty += m->rownorm[d] == 0;
    }
    for (int c = 0; c < nchunks; c++) {
        chunk_free(&chunks[c]);
    }
    free(chunks);
    free(map);
    free(keep);
    free(df0);
    free(tot0);
    return 0;

fail:
    for (int c = 0; c < nchunks; c++) {
        chunk_free(&chunks[c]);
    }
    free(chunks);
    free(map);
    free(keep);
    free(df0);
    free(tot0);
    lab_strtab_free(&seen);
    tfidf_model_free(m);
    return -1;
}

void tfidf_model_free(TfidfModel *m)
{
    lab_strtab_free(&m->vocab);
    free(m->df);
    free(m->total);
    free(m->idf);
    free(m->rownorm);
    free(m->X.ptr);
    free(m->X.col);
    free(m->X.count);
    free(m->X.val);
    memset(m, 0, sizeof *m);
}

// --- transforming a query ---------------------------------------------------------------------

int tfidf_transform(const TfidfModel *m, Tokenizer *t, const char *text, size_t len,
                    TfidfVec *v, LabStrTab *unknown_set)
{
    memset(v, 0, sizeof *v);
    Tokens k;
    tfidf_tokens_init(&k, m->kind, m->params.stop);
    // a lookup does not change the set: the cast only lets Sink serve both uses
    Sink sink = {.terms = (LabStrTab *)&m->vocab, .add = 0, .unknown_set = unknown_set};
    if (tfidf_analyze(&k, t, &m->params, &sink, text, len) != 0) {
        tfidf_tokens_free(&k);
        free(sink.ids.id);
        return -1;
    }
    Ids ids = sink.ids;
    v->unknown = sink.unknown;
    v->terms = ids.n + v->unknown;
    Builder b = {0};
    merge_row(&b, &ids);
    v->n = (long)b.nnz;
    v->col = b.col;
    v->count = b.count;
    v->val = lab_malloc(((size_t)v->n + 1) * sizeof *v->val);
    weigh_row(&m->params, m->idf, v->col, v->count, v->val, v->n);
    free(ids.id);
    tfidf_tokens_free(&k);
    return 0;
}

void tfidf_vec_free(TfidfVec *v)
{
    free(v->col);
    free(v->count);
    free(v->val);
    memset(v, 0, sizeof *v);
}
