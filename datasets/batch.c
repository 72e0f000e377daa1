// batch.c: minibatches for the neural language models (datasets.h "minibatches").
//
// Random sampling and sequential partitioning for the recurrent models, as d2l (Dive into Deep
// Learning, section 9.3) defines them, and uniformly drawn (context, target) examples for the MLP;
// and for a model without state (the GPT) lines: every row one sequence from its own <s>, in the
// windows the scorer reads (nn/lm.h nn_lm_score). Every random choice comes from the batcher's
// LabRng in a fixed order, so a seed fixes every batch, and a saved BatchState continues the same
// sequence of batches. Left out: shuffling without replacement (random offsets are drawn
// independently, with replacement).
#include "datasets/datasets.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

// The stream: every sequence of the corpus after an <s> of its own, so sequence s's <s> is
// stream position start[s] + s and its token ids[p] position p + s + 1. Line data reads
// <s> w1 .. wn </s> <s> v1 .. </s> ...: each line trained from one <s>, as it is scored (the
// recurrent model starts a lane afresh at an input <s>); a stream corpus is one sequence,
// <s> then the whole text. A corpus without a sequence table (nseq 0: ids and n alone, as an
// exercise may build one) is one sequence too.

// sequences in the stream: nseq, or 1 for a corpus without a sequence table
static long long stream_seqs(const Corpus *c)
{
    return c->nseq > 0 ? c->nseq : 1;
}

// The sequence whose part of the stream (its <s> and its tokens) holds position i (0 <= i <
// len): the last s with start[s] + s <= i.
static long long stream_seq(const Corpus *c, long long i)
{
    long long lo = 0, hi = c->nseq - 1;
    while (lo < hi) {
        long long mid = lo + (hi - lo + 1) / 2;
        if (c->start[mid] + mid <= i) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return lo;
}

// Copies stream[from .. from + T) to out (T). As targets (targets != 0), an <s> becomes -1:
// the token before a line's start predicts nothing (<s> is never predicted).
static void stream_copy(int32_t *out, const Corpus *c, long long from, int T, int targets)
{
    if (c->nseq == 0) { // one sequence: <s> at 0, then ids
        for (int t = 0; t < T; t++) {
            out[t] = from + t > 0 ? c->ids[from + t - 1] : targets ? -1 : TOK_BOS;
        }
        return;
    }
    long long s = stream_seq(c, from);
    for (int t = 0; t < T; t++) {
        long long pos = from + t;
        while (s + 1 < c->nseq && pos >= c->start[s + 1] + s + 1) {
            s++; // past the end of sequence s: into the next one's <s> (or beyond, if empty)
        }
        long long p = pos - s - 1; // the corpus index, or start[s] - 1 for sequence s's <s>
        out[t] = p >= c->start[s] ? c->ids[p] : targets ? -1 : TOK_BOS;
    }
}

// --- lines: every row one sequence from its <s> ---------------------------------------------

// Sequence s of c (0 <= s < stream_seqs(c)): its first id (*s0) and its length in ids (*n,
// its </s> included for line data).
static void seq_span(const Corpus *c, long long s, long long *s0, long long *n)
{
    *s0 = c->nseq > 0 ? c->start[s] : 0;
    *n = c->nseq > 0 ? c->start[s + 1] - c->start[s] : c->n;
}

// The windows nn_lm_score reads a sequence of n ids in, at a stride of S: x = <s> then the
// ids (n + 1 tokens, n predictions); window w reads the inputs x[w S .. w S + T), and they go
// on while the last one ends before the sequence does: 1 for n <= T, else 1 + ceil((n - T) /
// S). An empty sequence (n 0) predicts nothing: no window.
static long long line_windows(long long n, int T, int S)
{
    if (n == 0) {
        return 0;
    }
    return n <= T ? 1 : 1 + (n - T + S - 1) / S;
}

static int lines_init(SeqBatcher *b)
{
    const Corpus *c = b->corpus;
    long long nseq = stream_seqs(c);
    int S = b->T / 2 > 0 ? b->T / 2 : 1;
    b->windows = lab_malloc((size_t)(nseq + 1) * sizeof *b->windows);
    b->windows[0] = 0;
    for (long long s = 0; s < nseq; s++) {
        long long s0, n;
        seq_span(c, s, &s0, &n);
        b->windows[s + 1] = b->windows[s] + line_windows(n, b->T, S);
    }
    if (b->windows[nseq] == 0) {
        free(b->windows);
        b->windows = NULL;
        return lab_error_hint("check the text file: is it blank?",
                              "the corpus has no tokens to train on");
    }
    return 0;
}

// Row out_in, out_tg (T each): window w of sequence s. Window w starts at x[w S]; the first
// counts its predictions from position 0, a later one only its last S (the earlier ones are
// the previous window's), up to the sequence's end: elsewhere the target is -1, and an input
// past the end is <s> (never attended to by a counted position: the attention is causal).
static void lines_row(int32_t *out_in, int32_t *out_tg, const Corpus *c, long long s,
                      long long w, int T)
{
    int S = T / 2 > 0 ? T / 2 : 1;
    long long s0, n;
    seq_span(c, s, &s0, &n);
    long long at = w * S;
    int from = w == 0 ? 0 : T - S;
    for (int t = 0; t < T; t++) {
        long long j = at + t; // x[j] is <s> for j == 0, else ids[s0 + j - 1]; x[j + 1] its target
        out_in[t] = j == 0 || j > n ? TOK_BOS : c->ids[s0 + j - 1];
        out_tg[t] = t >= from && j + 1 <= n ? c->ids[s0 + j] : -1;
    }
}

static void lines_next(SeqBatcher *b, int32_t *inputs, int32_t *targets)
{
    long long nseq = stream_seqs(b->corpus);
    for (int r = 0; r < b->B; r++) {
        // window k of all, uniformly: it is window k - windows[s] of the last s with
        // windows[s] <= k
        long long k = (long long)lab_rng_below(&b->st.rng, (uint64_t)b->windows[nseq]);
        long long lo = 0, hi = nseq - 1;
        while (lo < hi) {
            long long mid = lo + (hi - lo + 1) / 2;
            if (b->windows[mid] <= k) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lines_row(inputs + (size_t)r * b->T, targets + (size_t)r * b->T, b->corpus, lo,
                  k - b->windows[lo], b->T);
    }
    b->st.batch++;
}

// --- the recurrent schemes -----------------------------------------------------------------

// The largest start offset of a sequential epoch: at most T (d2l draws it from [0, T]), and
// no more than leaves the B lanes one batch of T pairs each.
static long long max_offset(const SeqBatcher *b)
{
    long long room = b->len - 1 - (long long)b->B * b->T;
    return room < b->T ? room : b->T;
}

int batch_seq_init(SeqBatcher *b, const Corpus *c, BatchScheme scheme, int B, int T, uint64_t seed)
{
    memset(b, 0, sizeof *b);
    assert(B >= 1 && T >= 1);
    b->corpus = c;
    b->scheme = scheme;
    b->B = B;
    b->T = T;
    b->len = c->n + stream_seqs(c); // an <s> per sequence
    if (scheme == BATCH_RANDOM && b->len < (long long)T + 1) {
        return lab_error_hint("use a shorter sequence length or a longer corpus",
                              "the corpus has %lld tokens: too short for sequences of %d steps "
                              "(random sampling needs at least %d)",
                              c->n, T, T);
    }
    if (scheme == BATCH_SEQUENTIAL && b->len < (long long)B * T + 1) {
        return lab_error_hint("use a smaller batch, a shorter sequence length or a longer corpus",
                              "the corpus has %lld tokens: too short for %d lanes of %d steps "
                              "(sequential partitioning needs at least %lld)",
                              c->n, B, T, (long long)B * T);
    }
    if (scheme == BATCH_LINES && lines_init(b) != 0) {
        return -1;
    }
    lab_rng_seed(&b->st.rng, seed);
    return 0;
}

void batch_seq_free(SeqBatcher *b)
{
    free(b->windows);
    b->windows = NULL;
}

long long batch_seq_per_epoch(const SeqBatcher *b)
{
    return b->scheme == BATCH_SEQUENTIAL ? b->lane / b->T : 0;
}

// Tokens per lane when an epoch starts at offset: the B lanes share the len - offset - 1
// pairs after it, the remainder (fewer than B) dropped.
static long long lane_length(const SeqBatcher *b, long long offset)
{
    return (b->len - offset - 1) / b->B;
}

int batch_seq_next(SeqBatcher *b, int32_t *inputs, int32_t *targets)
{
    const Corpus *c = b->corpus;
    int B = b->B, T = b->T;
    if (b->scheme == BATCH_LINES) {
        lines_next(b, inputs, targets);
        return 0;
    }
    if (b->scheme == BATCH_RANDOM) {
        // a start in [0, len - T - 1]: the row reads stream[start .. start + T]
        for (int r = 0; r < B; r++) {
            long long start = (long long)lab_rng_below(&b->st.rng, (uint64_t)(b->len - T));
            stream_copy(inputs + (size_t)r * T, c, start, T, 0);
            stream_copy(targets + (size_t)r * T, c, start + 1, T, 1);
        }
        b->st.batch++;
        return 0;
    }
    if (b->st.epoch == 0 || b->st.batch >= batch_seq_per_epoch(b)) {
        // a new epoch: a fresh offset, so the lanes do not always cut the text at one place
        b->st.epoch++;
        b->st.batch = 0;
        b->st.offset = (long long)lab_rng_below(&b->st.rng, (uint64_t)max_offset(b) + 1);
        b->lane = lane_length(b, b->st.offset);
    }
    for (int r = 0; r < B; r++) {
        long long from = b->st.offset + r * b->lane + b->st.batch * T;
        stream_copy(inputs + (size_t)r * T, c, from, T, 0);
        stream_copy(targets + (size_t)r * T, c, from + 1, T, 1);
    }
    return b->st.batch++ > 0;
}

int batch_seq_restore(SeqBatcher *b, const BatchState *st)
{
    if (st->epoch < 0 || st->batch < 0 || st->offset < 0) {
        return lab_error("batcher state: negative epoch, batch or offset (%lld, %lld, %lld)",
                         st->epoch, st->batch, st->offset);
    }
    if (b->scheme == BATCH_RANDOM || b->scheme == BATCH_LINES) {
        if (st->epoch != 0 || st->offset != 0) {
            return lab_error("batcher state: %s has no epoch or offset (got %lld, %lld)",
                             b->scheme == BATCH_LINES ? "line batching" : "random sampling",
                             st->epoch, st->offset);
        }
        b->st = *st;
        return 0;
    }
    if (st->epoch == 0 && (st->batch != 0 || st->offset != 0)) {
        return lab_error("batcher state: no epoch begun, yet batch %lld and offset %lld", st->batch,
                         st->offset);
    }
    if (st->offset > max_offset(b)) {
        return lab_error("batcher state: offset %lld out of range [0, %lld] for this corpus",
                         st->offset, max_offset(b));
    }
    long long per_epoch = lane_length(b, st->offset) / b->T;
    if (st->batch > per_epoch) {
        return lab_error("batcher state: batch %lld beyond the %lld of an epoch", st->batch,
                         per_epoch);
    }
    b->st = *st;
    b->lane = lane_length(b, st->offset);
    return 0;
}

// --- MLP examples --------------------------------------------------------------------------

void batch_context(const Corpus *c, long long pos, int n, int32_t *ctx)
{
    assert(pos >= 0 && pos < c->n && c->nseq >= 1);
    long long first = c->start[corpus_seq_of(c, pos)];
    for (int j = 0; j < n; j++) {
        long long p = pos - n + j;
        ctx[j] = p < first ? TOK_BOS : c->ids[p];
    }
}

int batch_mlp_init(MlpBatcher *b, const Corpus *c, int B, int n, uint64_t seed)
{
    memset(b, 0, sizeof *b);
    assert(B >= 1 && n >= 1);
    if (c->n < 1 || c->nseq < 1) {
        return lab_error_hint("check the text file: is it blank?",
                              "the corpus has no tokens to draw examples from");
    }
    b->corpus = c;
    b->B = B;
    b->n = n;
    lab_rng_seed(&b->st.rng, seed);
    return 0;
}

void batch_mlp_next(MlpBatcher *b, int32_t *ctx, int32_t *targets)
{
    const Corpus *c = b->corpus;
    for (int r = 0; r < b->B; r++) {
        long long pos = (long long)lab_rng_below(&b->st.rng, (uint64_t)c->n);
        batch_context(c, pos, b->n, ctx + (size_t)r * b->n);
        targets[r] = c->ids[pos];
    }
    b->st.batch++;
}

int batch_mlp_restore(MlpBatcher *b, const BatchState *st)
{
    if (st->epoch != 0 || st->offset != 0 || st->batch < 0) {
        return lab_error("batcher state: MLP examples have no epoch or offset and a batch count "
                         ">= 0 (got %lld, %lld, %lld)",
                         st->epoch, st->offset, st->batch);
    }
    b->st = *st;
    return 0;
}
