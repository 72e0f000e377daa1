// test_batch.c: the minibatch schemes (datasets/batch.c). The test corpus numbers its tokens
// by position (token i of the ids is id 3 + i), so in a corpus of one sequence the position of
// every id in the stream (<s>, then the ids) can be read off the id itself, and "the target is
// the token after the input" is an equation. Corpora of several sequences (an <s> before each)
// are checked against the stream the test lays out itself (stream_of).
#include "tests/helpers.h"

#include "datasets/datasets.h"

// A corpus of n tokens, ids 3, 4, ..., 3 + n - 1, cut into sequences of seqlen tokens (the
// last one shorter). Owned by the caller (corpus_free).
static Corpus numbered(long long n, long long seqlen)
{
    Corpus c = {0};
    c.n = n;
    c.ids = lab_calloc((size_t)n, sizeof(int32_t));
    for (long long i = 0; i < n; i++) {
        c.ids[i] = (int32_t)(3 + i);
    }
    c.nseq = (n + seqlen - 1) / seqlen;
    c.start = lab_calloc((size_t)c.nseq + 1, sizeof(long long));
    for (long long s = 0; s <= c.nseq; s++) {
        c.start[s] = s * seqlen < n ? s * seqlen : n;
    }
    return c;
}

// the stream position of an id of the numbered corpus: <s> is 0, id 3 + i is i + 1
static long long pos_of(int32_t id)
{
    return id == TOK_BOS ? 0 : id - 2;
}

// The stream the batchers read, written out: every sequence of c after an <s> (*len tokens)
static int32_t *stream_of(const Corpus *c, long long *len)
{
    int32_t *s = lab_calloc((size_t)(c->n + c->nseq), sizeof *s);
    long long k = 0;
    for (long long q = 0; q < c->nseq; q++) {
        s[k++] = TOK_BOS;
        for (long long p = c->start[q]; p < c->start[q + 1]; p++) {
            s[k++] = c->ids[p];
        }
    }
    *len = k;
    return s;
}

enum { NB = 4, NT = 5 };

// --- random sampling ------------------------------------------------------------------------

Test(batch, random_rows_are_contiguous_and_every_target_is_the_next_token)
{
    Corpus c = numbered(200, 1000);
    SeqBatcher b;
    cr_assert_eq(batch_seq_init(&b, &c, BATCH_RANDOM, NB, NT, 1), 0);
    int32_t in[NB * NT], tg[NB * NT];
    for (int k = 0; k < 50; k++) {
        cr_assert_eq(batch_seq_next(&b, in, tg), 0, "random batches never carry state");
        for (int r = 0; r < NB; r++) {
            for (int t = 0; t < NT; t++) {
                long long p = pos_of(in[r * NT + t]);
                cr_assert_eq(pos_of(tg[r * NT + t]), p + 1, "batch %d row %d step %d", k, r, t);
                if (t > 0) {
                    cr_assert_eq(p, pos_of(in[r * NT + t - 1]) + 1, "row %d is not contiguous", r);
                }
            }
        }
    }
    corpus_free(&c);
}

Test(batch, random_offsets_cover_every_start_uniformly)
{
    // stream of 100 tokens, T = 9: starts 0..90, 91 cells; chi-square with 90 degrees of
    // freedom has mean 90 and standard deviation sqrt(180) = 13.4; 170 is six of them above
    enum { T = 9, CELLS = 91, PER = 200, B = 13 };
    Corpus c = numbered(99, 1000);
    SeqBatcher b;
    cr_assert_eq(batch_seq_init(&b, &c, BATCH_RANDOM, B, T, 42), 0);
    long long seen[CELLS] = {0};
    int32_t in[B * T], tg[B * T];
    for (int k = 0; k < CELLS * PER / B; k++) {
        batch_seq_next(&b, in, tg);
        for (int r = 0; r < B; r++) {
            long long s = pos_of(in[r * T]);
            cr_assert(s >= 0 && s < CELLS, "start %lld out of [0, %d)", s, CELLS);
            seen[s]++;
        }
    }
    double chi2 = 0.0;
    for (int s = 0; s < CELLS; s++) {
        cr_assert_gt(seen[s], 0, "start %d never drawn", s);
        chi2 += (seen[s] - (double)PER) * (seen[s] - PER) / PER;
    }
    cr_assert_lt(chi2, 170.0, "chi-square %.1f over 91 starts: not uniform", chi2);
    corpus_free(&c);
}

Test(batch, the_same_seed_gives_the_same_batches_and_another_seed_others)
{
    Corpus c = numbered(300, 7);
    for (int scheme = BATCH_RANDOM; scheme <= BATCH_SEQUENTIAL; scheme++) {
        SeqBatcher a, b, d;
        batch_seq_init(&a, &c, scheme, NB, NT, 7);
        batch_seq_init(&b, &c, scheme, NB, NT, 7);
        batch_seq_init(&d, &c, scheme, NB, NT, 8);
        int differ = 0;
        for (int k = 0; k < 40; k++) {
            int32_t ia[NB * NT], ta[NB * NT], ib[NB * NT], tb[NB * NT], id[NB * NT], td[NB * NT];
            batch_seq_next(&a, ia, ta);
            batch_seq_next(&b, ib, tb);
            batch_seq_next(&d, id, td);
            cr_assert_arr_eq(ia, ib, sizeof ia, "scheme %d batch %d differs", scheme, k);
            cr_assert_arr_eq(ta, tb, sizeof ta);
            differ |= memcmp(ia, id, sizeof ia) != 0;
        }
        cr_assert(differ, "scheme %d: seeds 7 and 8 gave the same 40 batches", scheme);
    }
    corpus_free(&c);
}

// --- sequential partitioning --------------------------------------------------------------------

Test(batch, sequential_batches_continue_each_lane_exactly_and_epochs_restart)
{
    // 200 tokens in 23 sequences: a stream of 223, B 4, T 5: an offset in [0, 5], lanes of
    // (222 - offset) / 4; where the stream has an <s>, the target is -1
    Corpus c = numbered(200, 9);
    long long len;
    int32_t *stream = stream_of(&c, &len);
    cr_assert_eq(len, 223);
    SeqBatcher b;
    cr_assert_eq(batch_seq_init(&b, &c, BATCH_SEQUENTIAL, NB, NT, 3), 0);
    int32_t in[NB * NT], tg[NB * NT], prev[NB * NT];
    int epochs = 0;
    long long offsets_seen = 0;
    for (int k = 0; k < 200; k++) {
        int carry = batch_seq_next(&b, in, tg);
        long long per = batch_seq_per_epoch(&b);
        cr_assert_eq(per, b.lane / NT);
        cr_assert_eq(b.lane, (len - b.st.offset - 1) / NB, "lane length");
        if (!carry) {
            epochs++;
            offsets_seen |= 1LL << b.st.offset;
            cr_assert_eq(in[0], stream[b.st.offset], "an epoch starts at its offset");
        }
        for (int r = 0; r < NB; r++) {
            // lane r starts at offset + r * lane; batch i is its positions [i T, (i+1) T)
            long long want = b.st.offset + r * b.lane + (b.st.batch - 1) * NT;
            // the lane never reaches past the stream
            cr_assert_lt(want + NT, len);
            for (int t = 0; t < NT; t++) {
                int32_t next = stream[want + t + 1];
                cr_assert_eq(in[r * NT + t], stream[want + t], "batch %d row %d step %d", k, r, t);
                cr_assert_eq(tg[r * NT + t], next == TOK_BOS ? -1 : next);
            }
            if (carry) { // the row goes on where the same row of the last batch stopped
                cr_assert_eq(prev[r * NT + NT - 1], stream[want - 1],
                             "batch %d row %d does not continue its lane", k, r);
            }
        }
        memcpy(prev, in, sizeof in);
    }
    cr_assert_gt(epochs, 15, "200 batches of 9 or 10 per epoch: %d epochs", epochs);
    cr_assert_gt(__builtin_popcountll(offsets_seen), 3, "epochs drew only %d distinct offsets",
                 __builtin_popcountll(offsets_seen));
    free(stream);
    corpus_free(&c);
}

Test(batch, every_line_starts_with_bos_and_bos_is_never_a_target)
{
    // two lines "a b </s>" and "c </s>" as ids 5 6 1 | 7 1: the stream is <s> 5 6 </s> <s> 7
    // </s>, 7 tokens; with T 6 the only start is 0, for both schemes
    int32_t ids[] = {5, 6, TOK_EOS, 7, TOK_EOS};
    long long start[] = {0, 3, 5};
    Corpus c = {.ids = ids, .n = 5, .start = start, .nseq = 2};
    int32_t want_in[6] = {TOK_BOS, 5, 6, TOK_EOS, TOK_BOS, 7};
    int32_t want_tg[6] = {5, 6, TOK_EOS, -1, 7, TOK_EOS};
    for (int scheme = BATCH_RANDOM; scheme <= BATCH_SEQUENTIAL; scheme++) {
        SeqBatcher b;
        cr_assert_eq(batch_seq_init(&b, &c, scheme, 1, 6, 3), 0);
        cr_assert_eq(b.len, 7);
        int32_t in[6], tg[6];
        for (int k = 0; k < 3; k++) {
            batch_seq_next(&b, in, tg);
            cr_assert_arr_eq(in, want_in, sizeof in, "scheme %d batch %d inputs", scheme, k);
            cr_assert_arr_eq(tg, want_tg, sizeof tg, "scheme %d batch %d targets", scheme, k);
        }
    }
}

Test(batch, a_corpus_without_a_sequence_table_reads_as_one_sequence)
{
    // ids and n alone (nseq 0, start NULL): the stream <s> 3 4 ... 14, as a stream corpus
    Corpus table = numbered(12, 1000);
    Corpus bare = {.ids = table.ids, .n = table.n};
    for (int scheme = BATCH_RANDOM; scheme <= BATCH_LINES; scheme++) {
        SeqBatcher a, b;
        cr_assert_eq(batch_seq_init(&a, &table, scheme, 2, 3, 4), 0);
        cr_assert_eq(batch_seq_init(&b, &bare, scheme, 2, 3, 4), 0);
        cr_assert_eq(b.len, 13);
        for (int k = 0; k < 10; k++) {
            int32_t ia[6], ta[6], ib[6], tb[6];
            cr_assert_eq(batch_seq_next(&a, ia, ta), batch_seq_next(&b, ib, tb));
            cr_assert_arr_eq(ia, ib, sizeof ia, "scheme %d batch %d", scheme, k);
            cr_assert_arr_eq(ta, tb, sizeof ta, "scheme %d batch %d", scheme, k);
        }
        batch_seq_free(&a);
        batch_seq_free(&b);
    }
    corpus_free(&table);
}

Test(batch, random_rows_starting_mid_line_read_the_next_lines_after_their_bos)
{
    // lines of 3 tokens (ids 3 4 5 | 6 7 8 | ...): the stream <s> 3 4 5 <s> 6 7 8 <s> ...
    Corpus c = numbered(30, 3);
    long long len;
    int32_t *stream = stream_of(&c, &len);
    cr_assert_eq(len, 40);
    SeqBatcher b;
    cr_assert_eq(batch_seq_init(&b, &c, BATCH_RANDOM, NB, NT, 9), 0);
    int32_t in[NB * NT], tg[NB * NT];
    int mid = 0;
    for (int k = 0; k < 50; k++) {
        batch_seq_next(&b, in, tg);
        for (int r = 0; r < NB; r++) {
            // the row is stream[s .. s + T) for the s its first token fixes
            long long s = in[r * NT] == TOK_BOS ? -1 : pos_of(in[r * NT]) + (in[r * NT] - 3) / 3;
            if (s < 0) {
                continue; // a row starting at an <s>: the next tokens pin it as well
            }
            mid++;
            for (int t = 0; t < NT; t++) {
                int32_t next = stream[s + t + 1];
                cr_assert_eq(in[r * NT + t], stream[s + t], "batch %d row %d step %d", k, r, t);
                cr_assert_eq(tg[r * NT + t], next == TOK_BOS ? -1 : next);
            }
        }
    }
    cr_assert_gt(mid, 50, "rows start mid-line most of the time: %d of 200", mid);
    free(stream);
    corpus_free(&c);
}

Test(batch, a_stream_of_exactly_one_batch_is_used_whole)
{
    // B T = 20 tokens: the only offset is 0, one batch per epoch, <s> the first input
    Corpus c = numbered(NB * NT, 1000);
    SeqBatcher b;
    cr_assert_eq(batch_seq_init(&b, &c, BATCH_SEQUENTIAL, NB, NT, 5), 0);
    int32_t in[NB * NT], tg[NB * NT];
    for (int k = 0; k < 3; k++) {
        cr_assert_eq(batch_seq_next(&b, in, tg), 0);
        cr_assert_eq(in[0], TOK_BOS);
        cr_assert_eq(tg[0], 3, "the first corpus token is predicted from <s>");
        cr_assert_eq(tg[NB * NT - 1], 3 + NB * NT - 1, "the last corpus token is a target");
    }
    corpus_free(&c);
}

// --- lines: every row one line from its <s> ---------------------------------------------------

// Two lines, 3 4 5 and 6 .. 12 (ids 3 + i numbered by position), with T 4, so S 2. Worked by
// hand from nn_lm_score's windows: the first line (3 tokens) is one window from <s>, padded
// after its end; the second (7 tokens, x = <s> 6 7 8 9 10 11 12) is the windows at x[0],
// x[2], x[4], the later ones counting only their last S predictions that the line still has:
// 6 7 8 9 | 10 11 | 12, each prediction once.
Test(batch, lines_rows_are_the_scorers_windows_each_prediction_counted_once)
{
    Corpus c = numbered(10, 3);
    c.nseq = 2;
    c.start[1] = 3;
    c.start[2] = 10;
    enum { W = 4, T = 4 };
    const int32_t want_in[W][T] = {
        {TOK_BOS, 3, 4, 5}, {TOK_BOS, 6, 7, 8}, {7, 8, 9, 10}, {9, 10, 11, 12}};
    const int32_t want_tg[W][T] = {{3, 4, 5, -1}, {6, 7, 8, 9}, {-1, -1, 10, 11}, {-1, -1, 12, -1}};
    SeqBatcher b;
    cr_assert_eq(batch_seq_init(&b, &c, BATCH_LINES, 1, T, 5), 0);
    int seen[W] = {0};
    for (int k = 0; k < 4000; k++) {
        int32_t in[T], tg[T];
        cr_assert_eq(batch_seq_next(&b, in, tg), 0, "line rows never carry state");
        int w = 0;
        while (w < W && memcmp(in, want_in[w], sizeof in) != 0) {
            w++;
        }
        cr_assert_lt(w, W, "batch %d: inputs %d %d %d %d are none of the windows", k, in[0],
                     in[1], in[2], in[3]);
        cr_assert_arr_eq(tg, want_tg[w], sizeof tg, "batch %d: targets of window %d", k, w);
        seen[w]++;
    }
    // the 4 windows drawn uniformly: 1000 each expected, sd about 27
    for (int w = 0; w < W; w++) {
        cr_assert(seen[w] > 850 && seen[w] < 1150, "window %d drawn %d times of 4000", w,
                  seen[w]);
    }
    cr_assert_eq(b.st.batch, 4000);
    batch_seq_free(&b);
    corpus_free(&c);
}

Test(batch, lines_skip_empty_sequences_and_refuse_a_corpus_with_no_token,
     .init = cr_redirect_stderr)
{
    // sequences 3 4 | (empty) | 5: the empty one has no window
    Corpus c = numbered(3, 2);
    long long start[4] = {0, 2, 2, 3};
    Corpus gaps = {.ids = c.ids, .n = 3, .start = start, .nseq = 3};
    SeqBatcher b;
    cr_assert_eq(batch_seq_init(&b, &gaps, BATCH_LINES, 3, 2, 1), 0);
    cr_assert_eq(b.windows[3], 2);
    for (int k = 0; k < 50; k++) {
        int32_t in[6], tg[6];
        batch_seq_next(&b, in, tg);
        for (int r = 0; r < 3; r++) {
            cr_assert_eq(in[2 * r], TOK_BOS, "every row starts at its line's <s>");
            cr_assert(tg[2 * r] == 3 || tg[2 * r] == 5);
        }
    }
    batch_seq_free(&b);
    long long none[3] = {0, 0, 0};
    Corpus empty = {.ids = c.ids, .n = 0, .start = none, .nseq = 2};
    cr_assert_eq(batch_seq_init(&b, &empty, BATCH_LINES, 1, 4, 1), -1);
    cr_assert_null(b.windows);
    batch_seq_free(&b);
    corpus_free(&c);
}

// --- save and restore --------------------------------------------------------------------------

Test(batch, a_restored_state_gives_the_same_next_batches)
{
    Corpus c = numbered(150, 11);
    for (int scheme = BATCH_RANDOM; scheme <= BATCH_LINES; scheme++) {
        SeqBatcher a, b;
        batch_seq_init(&a, &c, scheme, NB, NT, 99);
        int32_t ia[NB * NT], ta[NB * NT], ib[NB * NT], tb[NB * NT];
        for (int k = 0; k < 13; k++) { // past an epoch's end (8 batches) for sequential
            batch_seq_next(&a, ia, ta);
        }
        BatchState saved = a.st;
        batch_seq_init(&b, &c, scheme, NB, NT, 12345); // another seed: the state must override
        cr_assert_eq(batch_seq_restore(&b, &saved), 0);
        for (int k = 0; k < 20; k++) {
            int ca = batch_seq_next(&a, ia, ta), cb = batch_seq_next(&b, ib, tb);
            cr_assert_eq(ca, cb);
            cr_assert_arr_eq(ia, ib, sizeof ia, "scheme %d: batch %d after restore", scheme, k);
            cr_assert_arr_eq(ta, tb, sizeof ta);
        }
        batch_seq_free(&a);
        batch_seq_free(&b);
    }
    corpus_free(&c);
}

Test(batch, a_state_that_cannot_belong_to_the_batcher_is_refused, .init = cr_redirect_stderr)
{
    Corpus c = numbered(150, 11);
    SeqBatcher b;
    batch_seq_init(&b, &c, BATCH_SEQUENTIAL, NB, NT, 1);
    BatchState st = b.st;
    st.epoch = 1;
    st.offset = 6; // beyond T
    cr_assert_eq(batch_seq_restore(&b, &st), -1);
    st.offset = 0;
    st.batch = 9; // 150 tokens in 14 lines: a stream of 164, lanes of 163 / 4 = 40, 8 batches
    cr_assert_eq(batch_seq_restore(&b, &st), -1);
    st.batch = -1;
    cr_assert_eq(batch_seq_restore(&b, &st), -1);
    st.batch = 8;
    cr_assert_eq(batch_seq_restore(&b, &st), 0, "the end of an epoch is a valid state");
    corpus_free(&c);
}

// --- corpora too short ---------------------------------------------------------------------------

Test(batch, a_corpus_shorter_than_one_sequence_is_a_clear_error, .init = cr_redirect_stderr)
{
    Corpus c = numbered(4, 1000);
    SeqBatcher b;
    cr_assert_eq(batch_seq_init(&b, &c, BATCH_RANDOM, 2, 5, 1), -1);
    cr_assert_eq(batch_seq_init(&b, &c, BATCH_RANDOM, 2, 4, 1), 0, "4 tokens make one row of 4");
    cr_assert_eq(batch_seq_init(&b, &c, BATCH_SEQUENTIAL, 2, 3, 1), -1);
    cr_assert_eq(batch_seq_init(&b, &c, BATCH_SEQUENTIAL, 2, 2, 1), 0);
    Corpus empty = {0};
    long long zero = 0;
    empty.start = &zero;
    MlpBatcher m;
    cr_assert_eq(batch_mlp_init(&m, &empty, 2, 3, 1), -1);
    fflush(stderr);
    cr_assert_stderr_eq_str(
        "lmlab: the corpus has 4 tokens: too short for sequences of 5 steps (random sampling "
        "needs at least 5)\n"
        "  hint: use a shorter sequence length or a longer corpus\n"
        "lmlab: the corpus has 4 tokens: too short for 2 lanes of 3 steps (sequential "
        "partitioning needs at least 6)\n"
        "  hint: use a smaller batch, a shorter sequence length or a longer corpus\n"
        "lmlab: the corpus has no tokens to draw examples from\n"
        "  hint: check the text file: is it blank?\n");
    corpus_free(&c);
}

// --- MLP examples -----------------------------------------------------------------------------

Test(batch, contexts_reaching_before_a_sentence_start_are_padded_with_bos)
{
    // two lines "a b </s>" and "c </s>" as ids 5 6 1 | 7 1
    int32_t ids[] = {5, 6, TOK_EOS, 7, TOK_EOS};
    long long start[] = {0, 3, 5};
    Corpus c = {.ids = ids, .n = 5, .start = start, .nseq = 2};
    int32_t ctx[3];
    int32_t want[5][3] = {
        {TOK_BOS, TOK_BOS, TOK_BOS}, // predicts a
        {TOK_BOS, TOK_BOS, 5},       // predicts b
        {TOK_BOS, 5, 6},             // predicts </s>
        {TOK_BOS, TOK_BOS, TOK_BOS}, // predicts c: the second line does not see the first
        {TOK_BOS, TOK_BOS, 7},       // predicts </s>
    };
    for (int p = 0; p < 5; p++) {
        batch_context(&c, p, 3, ctx);
        cr_assert_arr_eq(ctx, want[p], sizeof ctx, "context of position %d", p);
    }
}

Test(batch, mlp_examples_are_a_position_and_its_context_drawn_uniformly)
{
    enum { N = 50, B = 10, n = 4, PER = 400 };
    Corpus c = numbered(N, 6);
    MlpBatcher m;
    cr_assert_eq(batch_mlp_init(&m, &c, B, n, 11), 0);
    long long seen[N] = {0};
    int32_t ctx[B * n], tg[B], want[n];
    for (int k = 0; k < N * PER / B; k++) {
        batch_mlp_next(&m, ctx, tg);
        for (int r = 0; r < B; r++) {
            long long p = tg[r] - 3;
            cr_assert(p >= 0 && p < N);
            seen[p]++;
            batch_context(&c, p, n, want);
            cr_assert_arr_eq(ctx + r * n, want, sizeof want);
        }
    }
    double chi2 = 0.0; // 49 degrees of freedom: mean 49, sd 9.9
    for (int p = 0; p < N; p++) {
        chi2 += (seen[p] - (double)PER) * (seen[p] - PER) / PER;
    }
    cr_assert_lt(chi2, 49 + 6 * 9.9, "chi-square %.1f over %d positions", chi2, N);
    // restore continues the same draws
    MlpBatcher r;
    batch_mlp_init(&r, &c, B, n, 0);
    cr_assert_eq(batch_mlp_restore(&r, &m.st), 0);
    int32_t ctx2[B * n], tg2[B];
    batch_mlp_next(&m, ctx, tg);
    batch_mlp_next(&r, ctx2, tg2);
    cr_assert_arr_eq(ctx, ctx2, sizeof ctx);
    cr_assert_arr_eq(tg, tg2, sizeof tg);
    corpus_free(&c);
}
