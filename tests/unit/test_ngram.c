// test_ngram.c: counts, smoothing, scoring, sampling, checked by hand computation.
//
// The training text of most tests is three lines of words (tokenizer \S+):
//   a b / a c / b
// Vocabulary: b (2), a (2), c (1), and </s> (3); V = 3 types + </s> + <unk> = 5.
// Bigram counts with one <s> of padding (the default, and NLTK's too for bigrams):
//   <s> a: 2   <s> b: 1   a b: 1   a c: 1   b </s>: 2   c </s>: 1
// Trigram counts with one <s>: <s> a b: 1  <s> a c: 1  <s> b </s>: 1  a b </s>: 1  a c </s>: 1
#include "tests/helpers.h"

#include <omp.h>

#include "ngram/cli_common.h"
#include "ngram/ngram.h"

static const char *TRAIN = "a b\na c\nb\n";

typedef struct {
    Vocab v;
    Corpus c;
    NgramCounts nc;
    NgramModel m;
    Tokenizer t;
} Fix;

static void fix_build(Fix *f, const char *text, TokKind kind, TokUnit unit, int order,
                      NgramParams p)
{
    memset(f, 0, sizeof *f);
    cr_assert_eq(tok_init(&f->t, kind, "\\S+", 0), 0);
    vocab_init(&f->v);
    cr_assert_eq(corpus_build(&f->c, &f->v, &f->t, unit, text, strlen(text), 1), 0);
    ngram_count(&f->nc, &f->c, f->v.n, order, unit, NGRAM_PAD_SENTENCE);
    cr_assert_eq(ngram_model_build(&f->m, &f->nc, &f->v, order, &p), 0);
}

static void fix_free(Fix *f)
{
    ngram_model_free(&f->m);
    ngram_counts_free(&f->nc);
    corpus_free(&f->c);
    vocab_free(&f->v);
    tok_free(&f->t);
}

static int32_t id(const Fix *f, const char *s)
{
    if (strcmp(s, "<s>") == 0) {
        return TOK_BOS;
    }
    if (strcmp(s, "</s>") == 0) {
        return TOK_EOS;
    }
    if (strcmp(s, "<unk>") == 0) {
        return TOK_UNK;
    }
    int32_t i = vocab_find(&f->m.vocab, s, strlen(s));
    cr_assert(i >= 0, "token '%s' not in the vocabulary", s);
    return i;
}

// P(w | h) for a bigram model
static double p2(const Fix *f, const char *h, const char *w)
{
    int32_t ctx = id(f, h);
    return exp(ngram_logprob(&f->m, &ctx, id(f, w)));
}

static NgramParams params(Smoothing s)
{
    NgramParams p = {.smoothing = s, .k = 1.0};
    for (int k = 0; k <= NGRAM_MAX_ORDER; k++) {
        p.eps[k] = 1.0;
    }
    return p;
}

Test(ngram, bigram_counts_by_hand)
{
    Fix f;
    fix_build(&f, TRAIN, TOK_WORD, UNIT_LINE, 2, params(SMOOTH_MLE));
    const NgramLevel *L2 = &f.nc.lev[2];
    struct {
        const char *h, *w;
        uint32_t c;
    } want[] = {{"<s>", "a", 2}, {"<s>", "b", 1}, {"a", "b", 1},
                {"a", "c", 1},   {"b", "</s>", 2}, {"c", "</s>", 1}};
    uint64_t total = 0;
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        uint32_t h = ngram_level_find(&f.nc.lev[1], 0, id(&f, want[i].h));
        uint32_t s = ngram_level_find(L2, h, id(&f, want[i].w));
        cr_assert_neq(s, NGRAM_NONE, "bigram %s %s missing", want[i].h, want[i].w);
        cr_assert_eq(L2->val[NGRAM_COUNT][s], want[i].c, "c(%s %s)", want[i].h, want[i].w);
        total += want[i].c;
    }
    cr_assert_eq(total, (uint64_t)f.c.n, "every predicted token ends exactly one bigram");
    fix_free(&f);
}

Test(ngram, kneser_ney_adjusted_counts_are_distinct_left_neighbours)
{
    // unigram a(w) = number of distinct tokens before w: b follows <s> and a -> 2;
    // </s> follows b and c -> 2; a follows <s> only -> 1; c follows a -> 1
    Fix f;
    fix_build(&f, TRAIN, TOK_WORD, UNIT_LINE, 2, params(SMOOTH_MLE));
    const NgramLevel *L1 = &f.nc.lev[1];
    const char *w[] = {"b", "</s>", "a", "c"};
    uint32_t want[] = {2, 2, 1, 1};
    for (int i = 0; i < 4; i++) {
        uint32_t s = ngram_level_find(L1, 0, id(&f, w[i]));
        cr_assert_eq(L1->val[NGRAM_ADJ][s], want[i], "a(%s) = %u, expected %u", w[i],
                     L1->val[NGRAM_ADJ][s], want[i]);
    }
    fix_free(&f);
}

Test(ngram, laplace_is_count_plus_one_over_context_plus_v)
{
    Fix f;
    fix_build(&f, TRAIN, TOK_WORD, UNIT_LINE, 2, params(SMOOTH_LAPLACE));
    cr_assert_eq(ngram_vocab_size(&f.m), 5);
    cr_assert(test_rel_eq(p2(&f, "a", "b"), 2.0 / 7, 1e-12), "(1+1)/(2+5)");
    cr_assert(test_rel_eq(p2(&f, "<s>", "a"), 3.0 / 8, 1e-12), "(2+1)/(3+5)");
    cr_assert(test_rel_eq(p2(&f, "b", "</s>"), 3.0 / 7, 1e-12), "(2+1)/(2+5)");
    cr_assert(test_rel_eq(p2(&f, "c", "a"), 1.0 / 6, 1e-12), "(0+1)/(1+5)");
    cr_assert(test_rel_eq(p2(&f, "<unk>", "a"), 1.0 / 5, 1e-12), "unseen context: 1/V");
    fix_free(&f);
}

Test(ngram, addk_uses_k_in_numerator_and_kv_in_denominator)
{
    NgramParams p = params(SMOOTH_ADDK);
    p.k = 0.5;
    Fix f;
    fix_build(&f, TRAIN, TOK_WORD, UNIT_LINE, 2, p);
    cr_assert(test_rel_eq(p2(&f, "a", "b"), 1.5 / 4.5, 1e-12), "(1+.5)/(2+2.5)");
    cr_assert(test_rel_eq(p2(&f, "a", "a"), 0.5 / 4.5, 1e-12));
    fix_free(&f);
}

Test(ngram, mle_is_relative_frequency_and_zero_for_unseen)
{
    Fix f;
    fix_build(&f, TRAIN, TOK_WORD, UNIT_LINE, 2, params(SMOOTH_MLE));
    cr_assert(test_rel_eq(p2(&f, "a", "b"), 0.5, 1e-12));
    cr_assert(test_rel_eq(p2(&f, "<s>", "a"), 2.0 / 3, 1e-12));
    cr_assert_eq(p2(&f, "a", "a"), 0.0);
    fix_free(&f);
}

Test(ngram, interpolation_mixes_orders_with_eps)
{
    // eps = 1: p1(w) = (c(w) + 1/V) / (n + 1), n = 8 tokens; p2(w|h) = (c(h,w) + p1(w))/(c(h)+1)
    Fix f;
    fix_build(&f, TRAIN, TOK_WORD, UNIT_LINE, 2, params(SMOOTH_INTERP));
    double p1b = (2 + 0.2) / 9, p1a = (2 + 0.2) / 9, p1unk = 0.2 / 9;
    cr_assert(test_rel_eq(p2(&f, "a", "b"), (1 + p1b) / 3, 1e-12));
    cr_assert(test_rel_eq(p2(&f, "a", "a"), (0 + p1a) / 3, 1e-12));
    cr_assert(test_rel_eq(p2(&f, "b", "<unk>"), p1unk / 3, 1e-12));
    cr_assert(test_rel_eq(p2(&f, "<unk>", "b"), p1b, 1e-12), "unseen context: the unigram");
    fix_free(&f);
}

Test(ngram, kn_discounts_follow_chen_and_goodman)
{
    // t = 10, 5, 3, 2: Y = 10/20 = 0.5; D1 = 1 - 2(0.5)(5/10) = 0.5;
    // D2 = 2 - 3(0.5)(3/5) = 1.1; D3+ = 3 - 4(0.5)(2/3) = 5/3
    uint64_t t[4] = {10, 5, 3, 2};
    double D[3];
    cr_assert_eq(ngram_kn_discounts(t, D), 0);
    cr_assert(test_rel_eq(D[0], 0.5, 1e-12));
    cr_assert(test_rel_eq(D[1], 1.1, 1e-12));
    cr_assert(test_rel_eq(D[2], 5.0 / 3, 1e-12));
}

Test(ngram, kn_falls_back_to_fixed_discounts_when_counts_are_too_few)
{
    uint64_t t[4] = {10, 5, 0, 2};
    double D[3];
    cr_assert_eq(ngram_kn_discounts(t, D), -1);
    cr_assert_eq(D[0], 0.5);
    cr_assert_eq(D[1], 1.0);
    cr_assert_eq(D[2], 1.5);
    // a tiny corpus: every order falls back, and the model still sums to one
    Fix f;
    fix_build(&f, TRAIN, TOK_WORD, UNIT_LINE, 3, params(SMOOTH_KN));
    for (int k = 1; k <= 3; k++) {
        cr_assert_eq(f.m.params.discount_fallback[k], 1);
    }
    fix_free(&f);
}

Test(ngram, kn_bigram_by_hand)
{
    // order 2, fixed discounts 0.5/1/1.5 (too few counts). Unigram level uses adjusted counts
    // a: b 2, </s> 2, a 1, c 1, <unk> 0; S = 6; D(1) = .5, D(2) = 1:
    //   leftover gamma0 = (1 + 1 + .5 + .5)/6 = .5, so p1(b) = (2-1)/6 + .5/5 = 1/6 + .1
    // bigram context a: a(a,b) = 1, a(a,c) = 1 (raw counts at the top order), S = 2,
    //   gamma(a) = (.5 + .5)/2 = .5;  P(b|a) = (1-.5)/2 + .5 p1(b)
    Fix f;
    fix_build(&f, TRAIN, TOK_WORD, UNIT_LINE, 2, params(SMOOTH_KN));
    double p1b = 1.0 / 6 + 0.1, p1a = 0.5 / 6 + 0.1;
    cr_assert(test_rel_eq(p2(&f, "a", "b"), 0.25 + 0.5 * p1b, 1e-12));
    cr_assert(test_rel_eq(p2(&f, "a", "a"), 0.5 * p1a, 1e-12));
    cr_assert(test_rel_eq(p2(&f, "<unk>", "b"), p1b, 1e-12));
    fix_free(&f);
}

// Sums P(w | context) over the predictable vocabulary.
static double row_sum(const NgramModel *m, const int32_t *ctx)
{
    double *probs = lab_malloc((size_t)m->vocab.n * sizeof *probs);
    ngram_distribution(m, ctx, probs);
    double s = 0;
    for (int32_t w = 0; w < m->vocab.n; w++) {
        s += probs[w];
    }
    free(probs);
    return s;
}

Test(ngram, every_smoothing_sums_to_one_for_seen_and_unseen_contexts, .timeout = 60)
{
    char *path = test_path("datasets/names/valid.txt");
    char *text;
    size_t len;
    cr_assert_eq(text_read(path, UTF8_STRICT, &text, &len), 0);
    for (int pad = NGRAM_PAD_SENTENCE; pad <= NGRAM_PAD_NLTK; pad++) {
    for (int sm = SMOOTH_MLE; sm <= SMOOTH_KN; sm++) {
        for (int order = 1; order <= 4; order++) {
            NgramParams p = params((Smoothing)sm);
            p.k = 0.3;
            Fix f;
            memset(&f, 0, sizeof f);
            tok_init(&f.t, TOK_CHAR, NULL, 0);
            vocab_init(&f.v);
            corpus_build(&f.c, &f.v, &f.t, UNIT_LINE, text, len, 1);
            ngram_count(&f.nc, &f.c, f.v.n, order, UNIT_LINE, (NgramPad)pad);
            cr_assert_eq(ngram_model_build(&f.m, &f.nc, &f.v, order, &p), 0);
            // seen contexts: those of the first 200 tokens; unseen: <unk> everywhere
            int32_t ctx[NGRAM_MAX_ORDER];
            for (int j = 0; j < order - 1; j++) {
                ctx[j] = TOK_BOS;
            }
            for (int i = 0; i < 200; i++) {
                double s = row_sum(&f.m, ctx);
                cr_assert(fabs(s - 1) < 1e-9, "%s order %d pad %d: a seen context sums to %.15f",
                          lab_choice_name(NGRAM_SMOOTHING_CHOICES, sm), order, pad, s);
                if (order > 1 && f.c.ids[i] == TOK_EOS) {
                    for (int j = 0; j < order - 1; j++) {
                        ctx[j] = TOK_BOS; // a new line starts from <s> again
                    }
                } else if (order > 1) {
                    memmove(ctx, ctx + 1, (size_t)(order - 2) * sizeof *ctx);
                    ctx[order - 2] = f.c.ids[i];
                }
            }
            if (sm != SMOOTH_MLE && order > 1) {
                for (int j = 0; j < order - 1; j++) {
                    ctx[j] = TOK_UNK;
                }
                double s = row_sum(&f.m, ctx);
                cr_assert(fabs(s - 1) < 1e-9, "%s order %d: an unseen context sums to %.15f",
                          lab_choice_name(NGRAM_SMOOTHING_CHOICES, sm), order, s);
            }
            fix_free(&f);
        }
    }
    }
    free(text);
    free(path);
}

Test(ngram, uniform_model_has_perplexity_v)
{
    // a unigram MLE model of a text where three types occur equally often is uniform over
    // them: perplexity 3 on any text of those types
    Fix f;
    fix_build(&f, "x y z z y x\n", TOK_WORD, UNIT_STREAM, 1, params(SMOOTH_MLE));
    Corpus c;
    cr_assert_eq(corpus_encode(&c, &f.m.vocab, &f.t, UNIT_STREAM, "z x x y", 7), 0);
    LabLoss l;
    ngram_eval(&f.m, &c, &l);
    cr_assert(test_rel_eq(lab_ppl(lab_loss_mean(&l)), 3.0, 1e-12), "ppl %.15f",
              lab_ppl(lab_loss_mean(&l)));
    corpus_free(&c);
    fix_free(&f);
    // Laplace on an unseen context gives every token 1/V
    fix_build(&f, TRAIN, TOK_WORD, UNIT_LINE, 2, params(SMOOTH_LAPLACE));
    int32_t ctx = TOK_UNK;
    for (int32_t w = TOK_EOS; w < f.m.vocab.n; w++) {
        cr_assert(test_rel_eq(exp(ngram_logprob(&f.m, &ctx, w)), 1.0 / 5, 1e-12));
    }
    fix_free(&f);
}

Test(ngram, perfect_model_has_perplexity_one)
{
    Fix f;
    fix_build(&f, "a b\na b\n", TOK_WORD, UNIT_LINE, 3, params(SMOOTH_MLE));
    Corpus c;
    cr_assert_eq(corpus_encode(&c, &f.m.vocab, &f.t, UNIT_LINE, "a b\n", 4), 0);
    LabLoss l;
    ngram_eval(&f.m, &c, &l);
    cr_assert_eq(l.tokens, 3);
    cr_assert(fabs(lab_ppl(lab_loss_mean(&l)) - 1.0) < 1e-12);
    corpus_free(&c);
    fix_free(&f);
}

Test(ngram, eval_sums_the_hand_computed_laplace_log_probabilities)
{
    Fix f;
    fix_build(&f, TRAIN, TOK_WORD, UNIT_LINE, 2, params(SMOOTH_LAPLACE));
    Corpus c;
    cr_assert_eq(corpus_encode(&c, &f.m.vocab, &f.t, UNIT_LINE, "a b\n", 4), 0);
    LabLoss l;
    ngram_eval(&f.m, &c, &l);
    double nats = -(log(3.0 / 8) + log(2.0 / 7) + log(3.0 / 7));
    cr_assert_eq(l.tokens, 3);
    cr_assert(test_rel_eq(l.nats, nats, 1e-12));
    cr_assert_eq(l.words, 2);
    corpus_free(&c);
    fix_free(&f);
}

Test(ngram, arpa_round_trip_keeps_every_probability)
{
    char *dir = test_tmpdir();
    char *path = lab_path_join(dir, "m.arpa");
    for (int sm = SMOOTH_MLE; sm <= SMOOTH_KN; sm++) {
        Fix f;
        fix_build(&f, "a b c\na c\nb b a c\n \\x y\n", TOK_WORD, UNIT_LINE, 3,
                  params((Smoothing)sm));
        cr_assert_eq(ngram_arpa_write(&f.m, path), 0);
        NgramModel r;
        cr_assert_eq(ngram_arpa_read(&r, path, UNIT_LINE), 0);
        cr_assert_eq(r.order, 3);
        cr_assert_eq(r.vocab.n, f.m.vocab.n);
        // every context of the training text and an unseen one, every token
        const char *ctxs[][2] = {{"<s>", "<s>"}, {"<s>", "a"}, {"a", "b"}, {"b", "b"},
                                 {"c", "a"},     {"<unk>", "<unk>"}, {"\\x", "y"}};
        for (size_t i = 0; i < sizeof ctxs / sizeof *ctxs; i++) {
            int32_t c1[2] = {id(&f, ctxs[i][0]), id(&f, ctxs[i][1])};
            int32_t c2[2];
            for (int j = 0; j < 2; j++) {
                const char *s = ctxs[i][j];
                c2[j] = c1[j] < TOK_FIRST ? c1[j] : vocab_find(&r.vocab, s, strlen(s));
                cr_assert(c2[j] >= 0);
            }
            for (int32_t w = TOK_EOS; w < f.m.vocab.n; w++) {
                int32_t w2 = w < TOK_FIRST ? w
                                           : vocab_find(&r.vocab, f.m.vocab.str[w],
                                                        f.m.vocab.len[w]);
                double a = ngram_logprob(&f.m, c1, w), b = ngram_logprob(&r, c2, w2);
                cr_assert((isinf(a) && isinf(b)) || fabs(a - b) < 1e-10,
                          "%s: ln P differs after the round trip: %.12f vs %.12f",
                          lab_choice_name(NGRAM_SMOOTHING_CHOICES, sm), a, b);
            }
        }
        ngram_model_free(&r);
        fix_free(&f);
    }
    free(path);
    free(dir);
}

Test(ngram, sampling_is_reproducible_and_top_k_one_is_greedy)
{
    Fix f;
    fix_build(&f, "a b\na b\na c\n", TOK_WORD, UNIT_LINE, 2, params(SMOOTH_LAPLACE));
    int32_t V = f.m.vocab.n;
    double *probs = lab_malloc((size_t)V * sizeof *probs);
    int32_t *buf = lab_malloc((size_t)V * sizeof *buf);
    int32_t ctx = id(&f, "a");
    LabSampling s = {.temperature = 1.0, .top_k = 0, .top_p = 1.0};
    LabRng r1, r2;
    lab_rng_seed(&r1, 5);
    lab_rng_seed(&r2, 5);
    for (int i = 0; i < 50; i++) {
        cr_assert_eq(ngram_sample_next(&f.m, &ctx, &s, &r1, probs, buf),
                     ngram_sample_next(&f.m, &ctx, &s, &r2, probs, buf));
    }
    // the most likely token after a is b (2 of 3)
    LabSampling greedy = {.temperature = 1.0, .top_k = 1, .top_p = 1.0};
    LabSampling nucleus = {.temperature = 1.0, .top_k = 0, .top_p = 0.01};
    LabSampling cold = {.temperature = 0.01, .top_k = 0, .top_p = 1.0};
    for (int i = 0; i < 50; i++) {
        cr_assert_eq(ngram_sample_next(&f.m, &ctx, &greedy, &r1, probs, buf), id(&f, "b"));
        cr_assert_eq(ngram_sample_next(&f.m, &ctx, &nucleus, &r1, probs, buf), id(&f, "b"));
        cr_assert_eq(ngram_sample_next(&f.m, &ctx, &cold, &r1, probs, buf), id(&f, "b"));
    }
    // never <unk>, and the frequencies follow the model
    int hits[16] = {0};
    for (int i = 0; i < 20000; i++) {
        int32_t w = ngram_sample_next(&f.m, &ctx, &s, &r1, probs, buf);
        cr_assert_neq(w, TOK_UNK);
        hits[w]++;
    }
    // P(b|a) = 3/8 under Laplace (c = 2, c(a) = 3, V = 5); without <unk>: (3/8)/(1 - 1/8)
    double want = (3.0 / 8) / (7.0 / 8);
    cr_assert(fabs(hits[id(&f, "b")] / 20000.0 - want) < 0.015, "b drawn %d times",
              hits[id(&f, "b")]);
    free(probs);
    free(buf);
    fix_free(&f);
}

Test(ngram, chunked_eval_equals_token_by_token_scoring_for_any_thread_count, .timeout = 60)
{
    // a stream of many evaluation chunks (enough to run in parallel), so chunks start in
    // mid-sequence
    char *path = test_path("datasets/tinyshakespeare/train.txt");
    char *text;
    size_t len;
    cr_assert_eq(text_read(path, UTF8_STRICT, &text, &len), 0);
    Fix f;
    memset(&f, 0, sizeof f);
    tok_init(&f.t, TOK_CHAR, NULL, 0);
    vocab_init(&f.v);
    cr_assert_eq(corpus_build(&f.c, &f.v, &f.t, UNIT_STREAM, text, len / 8, 1), 0);
    ngram_count(&f.nc, &f.c, f.v.n, 4, UNIT_STREAM, NGRAM_PAD_SENTENCE);
    NgramParams p = params(SMOOTH_KN);
    cr_assert_eq(ngram_model_build(&f.m, &f.nc, &f.v, 4, &p), 0);
    Corpus c;
    cr_assert_eq(corpus_encode(&c, &f.m.vocab, &f.t, UNIT_STREAM, text, len), 0);
    cr_assert(c.n > 16 * 32768, "at least 16 chunks, so that two threads share them");
    double nats = 0;
    int32_t ctx[3] = {TOK_BOS, TOK_BOS, TOK_BOS};
    for (long long i = 0; i < c.n; i++) {
        nats -= ngram_logprob(&f.m, ctx, c.ids[i]);
        ctx[0] = ctx[1], ctx[1] = ctx[2], ctx[2] = c.ids[i];
    }
    LabLoss one, two;
    omp_set_num_threads(1);
    ngram_eval(&f.m, &c, &one);
    omp_set_num_threads(2);
    ngram_eval(&f.m, &c, &two);
    cr_assert_eq(one.tokens, c.n);
    cr_assert(test_rel_eq(one.nats, nats, 1e-12), "chunked %.15f, token by token %.15f",
              one.nats, nats);
    cr_assert(memcmp(&one.nats, &two.nats, sizeof(double)) == 0,
              "1 and 2 threads must agree bit for bit: %.17g vs %.17g", one.nats, two.nats);
    corpus_free(&c);
    fix_free(&f);
    free(text);
    free(path);
}

Test(ngram, a_literal_unk_in_any_case_survives_the_arpa_round_trip)
{
    char *dir = test_tmpdir();
    char *path = lab_path_join(dir, "m.arpa");
    Fix f;
    fix_build(&f, "a <UNK> b\na b <unk>\n", TOK_WORD, UNIT_LINE, 2, params(SMOOTH_KN));
    cr_assert_eq(ngram_arpa_write(&f.m, path), 0);
    NgramModel r;
    cr_assert_eq(ngram_arpa_read(&r, path, UNIT_LINE), 0, "a text token '<UNK>' must not "
                 "collide with the reserved <unk>");
    cr_assert_eq(r.vocab.n, f.m.vocab.n);
    ngram_model_free(&r);
    fix_free(&f);
    free(path);
    free(dir);
}

Test(ngram, arpa_of_a_low_order_model_lists_no_context_only_top_ngrams)
{
    // counting for order 3 with NLTK's padding makes the node "<s> <s>"; a bigram model must
    // not list it
    Fix f;
    memset(&f, 0, sizeof f);
    tok_init(&f.t, TOK_WORD, "\\S+", 0);
    vocab_init(&f.v);
    corpus_build(&f.c, &f.v, &f.t, UNIT_LINE, TRAIN, strlen(TRAIN), 1);
    ngram_count(&f.nc, &f.c, f.v.n, 3, UNIT_LINE, NGRAM_PAD_NLTK);
    NgramParams p = params(SMOOTH_KN);
    cr_assert_eq(ngram_model_build(&f.m, &f.nc, &f.v, 2, &p), 0);
    cr_assert_eq(ngram_model_entries(&f.m, 2), 6, "the six bigrams of the text");
    char *dir = test_tmpdir();
    char *path = lab_path_join(dir, "m.arpa");
    cr_assert_eq(ngram_arpa_write(&f.m, path), 0);
    char *data;
    size_t n;
    cr_assert_eq(lab_read_file(path, &data, &n, 0), 0);
    cr_assert_null(strstr(data, "<s> <s>"));
    cr_assert_not_null(strstr(data, "ngram 2=6\n"));
    free(data);
    free(path);
    free(dir);
    fix_free(&f);
}

Test(ngram, sampling_filter_applies_temperature_top_k_and_top_p_by_hand)
{
    int32_t order[3];
    LabSampling plain = {.temperature = 1.0, .top_k = 0, .top_p = 1.0};
    double p[3] = {0.2, 0.5, 0.3};
    cr_assert_eq(lab_sample_filter(p, 3, &plain, order), 3);
    cr_assert(order[0] == 1 && order[1] == 2 && order[2] == 0, "most likely first");
    cr_assert(test_rel_eq(p[1], 0.5, 1e-12) && test_rel_eq(p[0], 0.2, 1e-12));

    LabSampling k2 = {.temperature = 1.0, .top_k = 2, .top_p = 1.0};
    double q[3] = {0.2, 0.5, 0.3};
    cr_assert_eq(lab_sample_filter(q, 3, &k2, order), 2);
    cr_assert(test_rel_eq(q[1], 0.625, 1e-12) && test_rel_eq(q[2], 0.375, 1e-12) && q[0] == 0,
              "top-2 of .5 .3 .2 renormalised: .625 .375 0");

    LabSampling p7 = {.temperature = 1.0, .top_k = 0, .top_p = 0.7};
    double r[3] = {0.2, 0.5, 0.3};
    cr_assert_eq(lab_sample_filter(r, 3, &p7, order), 2, "0.5 < 0.7 <= 0.5 + 0.3");

    LabSampling cold = {.temperature = 0.5, .top_k = 0, .top_p = 1.0};
    double t[3] = {0.2, 0.5, 0.3};
    cr_assert_eq(lab_sample_filter(t, 3, &cold, order), 3);
    cr_assert(test_rel_eq(t[1], 0.25 / 0.38, 1e-12), "p^(1/T) = p^2: .25 .09 .04 over .38");

    double z[2] = {0, 0};
    cr_assert_eq(lab_sample_filter(z, 2, &plain, order), 0);
}

// The first token's draw as the sampler makes it: P(. | one <s>) without <unk>, renormalised,
// most likely first (ties by id), the first whose running sum exceeds u. Returns 1 if w is a
// token the draw may give for u (within 1e-12 of a boundary either side will do).
static int first_draw_allows(const NgramModel *m, const int32_t *ctx, double u, int32_t w)
{
    int32_t V = m->vocab.n;
    double *q = lab_calloc((size_t)V, sizeof *q);
    int32_t *ids = lab_malloc((size_t)V * sizeof *ids);
    double total = 0;
    int32_t n = 0;
    for (int32_t x = ngram_first_predictable(m->unit); x < V; x++) {
        if (x != TOK_UNK) {
            q[x] = exp(ngram_logprob(m, ctx, x));
            total += q[x];
        }
        if (q[x] > 0) {
            ids[n++] = x;
        }
    }
    for (int32_t i = 1; i < n; i++) { // insertion sort: most likely first, ties by id
        int32_t x = ids[i], j = i;
        for (; j > 0 && (q[ids[j - 1]] < q[x] || (q[ids[j - 1]] == q[x] && ids[j - 1] > x));
             j--) {
            ids[j] = ids[j - 1];
        }
        ids[j] = x;
    }
    double cum = 0;
    int ok = 0;
    for (int32_t i = 0; i < n; i++) {
        double lo = cum;
        cum += q[ids[i]] / total;
        if (ids[i] == w) {
            ok = u >= lo - 1e-12 && (u < cum + 1e-12 || i == n - 1);
        }
    }
    free(q);
    free(ids);
    return ok;
}

Test(ngram, sampling_never_draws_bos_or_unk_and_starts_each_line_after_one_bos,
     .timeout = 120)
{
    // timemachine words seen once are <unk> (min count 2), so <unk> has real probability
    char *path = test_path("datasets/timemachine/valid.txt");
    char *text;
    size_t len;
    cr_assert_eq(text_read(path, UTF8_STRICT, &text, &len), 0);
    int N = 3;
    LabSampling s = {.temperature = 1.0, .top_k = 0, .top_p = 1.0};
    for (int pad = NGRAM_PAD_SENTENCE; pad <= NGRAM_PAD_NLTK; pad++) {
        for (int sm = SMOOTH_MLE; sm <= SMOOTH_KN; sm++) {
            const char *what = lab_choice_name(NGRAM_SMOOTHING_CHOICES, sm);
            NgramParams p = params((Smoothing)sm);
            p.k = 0.3;
            Fix f;
            memset(&f, 0, sizeof f);
            tok_init(&f.t, TOK_WORD, NULL, 1);
            vocab_init(&f.v);
            cr_assert_eq(corpus_build(&f.c, &f.v, &f.t, UNIT_LINE, text, len, 2), 0);
            ngram_count(&f.nc, &f.c, f.v.n, N, UNIT_LINE, (NgramPad)pad);
            cr_assert_eq(ngram_model_build(&f.m, &f.nc, &f.v, N, &p), 0);
            cr_assert(f.nc.lev[1].val[NGRAM_COUNT][ngram_level_find(&f.nc.lev[1], 0, TOK_UNK)]
                      > 0, "the text has <unk> tokens");
            int32_t V = f.m.vocab.n;
            // one <s>: the context a line after </s> has, where nothing longer is stored
            int32_t one_bos[2] = {TOK_EOS, TOK_BOS}, nltk_bos[2] = {TOK_BOS, TOK_BOS};
            const int32_t *first_ctx = pad == NGRAM_PAD_SENTENCE ? one_bos : nltk_bos;
            // the distribution the sampler starts from is the one after the padding's <s>
            double *probs = lab_malloc((size_t)V * sizeof *probs);
            ngram_distribution(&f.m, nltk_bos, probs);
            int differs = 0;
            for (int32_t w = ngram_first_predictable(UNIT_LINE); w < V; w++) {
                double want = exp(ngram_logprob(&f.m, first_ctx, w));
                cr_assert(fabs(probs[w] - want) <= 1e-12 * want, "%s pad %d: P(%d | start)",
                          what, pad, w);
                differs |= fabs(exp(ngram_logprob(&f.m, one_bos, w)) - want) > 1e-9 * want;
            }
            cr_assert_eq(probs[TOK_BOS], 0.0);
            // NLTK's first token has the context <s> <s>, a distribution of its own under kn
            if (pad == NGRAM_PAD_NLTK && sm == SMOOTH_KN) {
                cr_assert(differs, "kn with --pad nltk: P(. | <s> <s>) is not P(. | <s>)");
            }
            // add-k and mle after one <s>: the top-order formula over the first tokens
            if (pad == NGRAM_PAD_SENTENCE && sm <= SMOOTH_ADDK) {
                double *c1 = lab_calloc((size_t)V, sizeof *c1);
                for (long long q = 0; q < f.c.nseq; q++) {
                    c1[f.c.ids[f.c.start[q]]] += 1;
                }
                double k = sm == SMOOTH_MLE ? 0 : sm == SMOOTH_LAPLACE ? 1 : p.k;
                double Vp = ngram_vocab_size(&f.m);
                for (int32_t w = ngram_first_predictable(UNIT_LINE); w < V; w++) {
                    double want = (c1[w] + k) / ((double)f.c.nseq + k * Vp);
                    double got = exp(ngram_logprob(&f.m, one_bos, w));
                    cr_assert(fabs(got - want) <= 1e-12 * want, "%s: P(%d | <s>) = %.17g, "
                              "(c(<s> w) + k) / (c(<s>) + kV) = %.17g", what, w, got, want);
                }
                free(c1);
            }
            free(probs);
            // many lines from many seeds: never <s> or <unk>; the first token is the draw
            // from the distribution after the padding's <s> with the seed's first number
            for (uint64_t seed = 1; seed <= 300; seed++) {
                LabRng rng, copy;
                lab_rng_seed(&rng, seed);
                copy = rng;
                char *out = NULL;
                size_t outlen = 0;
                FILE *mem = open_memstream(&out, &outlen);
                ngram_generate(mem, &f.m, TOK_WORD, NULL, 0, 40, &s, &rng);
                fclose(mem);
                double u = lab_rng_uniform(&copy);
                char *save = NULL;
                int i = 0;
                for (char *tok = strtok_r(out, " \n", &save); tok;
                     tok = strtok_r(NULL, " \n", &save), i++) {
                    // the word pattern splits '<' off, so only a special prints as <s>, <unk>
                    int32_t w = strcmp(tok, "<s>") == 0     ? TOK_BOS
                                : strcmp(tok, "<unk>") == 0 ? TOK_UNK
                                                            : vocab_find(&f.m.vocab, tok,
                                                                         strlen(tok));
                    cr_assert(w >= 0, "%s pad %d seed %d: '%s' is not a token", what, pad,
                              (int)seed, tok);
                    cr_assert(w != TOK_BOS && w != TOK_UNK, "%s pad %d seed %d drew %s", what,
                              pad, (int)seed, tok);
                    if (i == 0) {
                        cr_assert(first_draw_allows(&f.m, first_ctx, u, w),
                                  "%s pad %d seed %d: '%s' is not the draw for u = %.17g", what,
                                  pad, (int)seed, tok, u);
                    }
                }
                free(out);
            }
            fix_free(&f);
        }
    }
    free(text);
    free(path);
}

// Five lines drawn from m with seed 42.
static char *draw_lines(const NgramModel *m, const LabSampling *s)
{
    char *out = NULL;
    size_t outlen = 0;
    LabRng rng;
    lab_rng_seed(&rng, 42);
    FILE *mem = open_memstream(&out, &outlen);
    for (int line = 0; line < 5; line++) {
        ngram_generate(mem, m, TOK_CHAR, NULL, 0, 40, s, &rng);
    }
    fclose(mem);
    return out;
}

// The index of continuations is a shortcut: the distribution it gives must be the one the
// lookup per type gives, bit for bit, for every smoothing, padding and order, in every
// context of a text (and contexts it never saw), for a counted model and one read back
// from its ARPA file; and the lines drawn from the two are the same.
Test(ngram, indexed_distribution_is_the_lookup_distribution_bit_for_bit, .timeout = 60)
{
    char *path = test_path("datasets/names/valid.txt");
    char *text;
    size_t len;
    cr_assert_eq(text_read(path, UTF8_STRICT, &text, &len), 0);
    char *dir = test_tmpdir();
    char *arpa = lab_path_join(dir, "m.arpa");
    LabSampling s = {.temperature = 1.0, .top_k = 0, .top_p = 1.0};
    for (int pad = NGRAM_PAD_SENTENCE; pad <= NGRAM_PAD_NLTK; pad++) {
        for (int sm = SMOOTH_MLE; sm <= SMOOTH_KN; sm++) {
            for (int N = 1; N <= 5; N += 2) {
                Fix f;
                memset(&f, 0, sizeof f);
                tok_init(&f.t, TOK_CHAR, NULL, 0);
                vocab_init(&f.v);
                cr_assert_eq(corpus_build(&f.c, &f.v, &f.t, UNIT_LINE, text, len / 4, 2), 0);
                ngram_count(&f.nc, &f.c, f.v.n, N, UNIT_LINE, (NgramPad)pad);
                NgramParams p = params((Smoothing)sm);
                cr_assert_eq(ngram_model_build(&f.m, &f.nc, &f.v, N, &p), 0);
                NgramModel r;
                cr_assert_eq(ngram_arpa_write(&f.m, arpa), 0);
                cr_assert_eq(ngram_arpa_read(&r, arpa, UNIT_LINE), 0);
                cr_assert_eq(r.vocab.n, f.m.vocab.n);
                int32_t V = f.m.vocab.n;
                enum { NCTX = 600 };
                double *want = lab_malloc((size_t)NCTX * (size_t)V * sizeof *want);
                double *got = lab_malloc((size_t)V * sizeof *got);
                NgramModel *models[2] = {&f.m, &r};
                for (int which = 0; which < 2; which++) {
                    NgramModel *m = models[which];
                    // contexts: every position of the first lines, then shifted ids (unseen)
                    int32_t ctx[NCTX][NGRAM_MAX_ORDER];
                    for (long long i = 0; i < NCTX; i++) {
                        for (int j = 0; j < N - 1; j++) {
                            long long q = i - (N - 1) + j;
                            int32_t w = q < 0 ? TOK_BOS : f.c.ids[q];
                            ctx[i][j] = i >= NCTX / 2 ? (w * 7 + j) % V : w;
                        }
                        ngram_distribution(m, ctx[i], want + i * V);
                    }
                    ngram_model_index_children(m);
                    for (long long i = 0; i < NCTX; i++) {
                        ngram_distribution(m, ctx[i], got);
                        cr_assert_eq(memcmp(want + i * V, got, (size_t)V * sizeof *got), 0,
                                     "%s pad %d order %d (%s), context %lld: the indexed "
                                     "distribution differs",
                                     lab_choice_name(NGRAM_SMOOTHING_CHOICES, sm), pad, N,
                                     which ? "read back" : "counted", i);
                    }
                }
                // the same lines from the same seed: the counted model rebuilt, by lookups,
                // then both models indexed (r holds the same doubles: the ARPA round trip)
                char *indexed = draw_lines(&f.m, &s), *read_back = draw_lines(&r, &s);
                ngram_model_free(&f.m);
                cr_assert_eq(ngram_model_build(&f.m, &f.nc, &f.v, N, &p), 0);
                cr_assert_null(f.m.children);
                char *plain = draw_lines(&f.m, &s);
                cr_assert_str_eq(indexed, plain);
                cr_assert_str_eq(read_back, plain);
                free(plain), free(indexed), free(read_back);
                free(want);
                free(got);
                ngram_model_free(&r);
                fix_free(&f);
            }
        }
    }
    free(arpa);
    free(dir);
    free(text);
    free(path);
}

// Every value the ARPA writer prints reads back as the model's double, whatever the double:
// random ln values over the range (most need the 17 to 19 digit search, as the values of a
// real model do), values near powers of ten in log10, and small ones down to 1e-10 in log10
// (below, the reader's exact path ends: docs/formats.md); and the file read back writes the
// same bytes.
Test(ngram, arpa_writer_round_trips_random_doubles_bit_for_bit, .timeout = 60)
{
    char *dir = test_tmpdir();
    char *a1 = lab_path_join(dir, "a.arpa"), *a2 = lab_path_join(dir, "b.arpa");
    char *path = test_path("datasets/names/valid.txt");
    char *text;
    size_t len;
    cr_assert_eq(text_read(path, UTF8_STRICT, &text, &len), 0);
    Fix f;
    memset(&f, 0, sizeof f);
    tok_init(&f.t, TOK_CHAR, NULL, 0);
    vocab_init(&f.v);
    cr_assert_eq(corpus_build(&f.c, &f.v, &f.t, UNIT_LINE, text, len, 1), 0);
    ngram_count(&f.nc, &f.c, f.v.n, 3, UNIT_LINE, NGRAM_PAD_SENTENCE);
    NgramParams p = params(SMOOTH_KN);
    cr_assert_eq(ngram_model_build(&f.m, &f.nc, &f.v, 3, &p), 0);
    LabRng rng;
    lab_rng_seed(&rng, 99);
    long long set = 0;
    for (int k = 1; k <= 3; k++) {
        for (uint32_t s = 0; s < f.m.lev[k].cap; s++) {
            if (f.m.lev[k].keys[s] == NGRAM_EMPTY || isinf(f.m.logp[k][s])) {
                continue;
            }
            uint64_t r = lab_rng_u64(&rng);
            double u = lab_rng_uniform(&rng);
            double v = r % 4 == 0   ? -u * 98 * M_LN10 // anywhere above -99 (zero)
                       : r % 4 == 1 ? -M_LN10 * pow(10, (double)(r % 6) - 4) * (1 + u * 1e-13)
                       : r % 4 == 2 ? -ldexp(u + 0.5, -(int)(r % 30)) // near zero
                                    : -(u + 1e-6) * 1e-3;
            f.m.logp[k][s] = v;
            if (k < 3) {
                f.m.logbow[k][s] = r % 3 == 0 ? 0.0 : (u - 0.5) * 20; // weights above 1 too
            }
            set++;
        }
    }
    cr_assert(set > 1000);
    cr_assert_eq(ngram_arpa_write(&f.m, a1), 0);
    NgramModel r;
    cr_assert_eq(ngram_arpa_read(&r, a1, UNIT_LINE), 0);
    for (int k = 1; k <= 3; k++) {
        for (uint32_t s = 0; s < f.m.lev[k].cap; s++) {
            uint64_t key = f.m.lev[k].keys[s];
            if (key == NGRAM_EMPTY || isinf(f.m.logp[k][s]) ||
                (k == 3 && (int32_t)(uint32_t)key == TOK_BOS)) {
                continue;
            }
            // the same n-gram in the model read back: its tokens from the trie, looked up
            int32_t toks[3];
            uint32_t node = s;
            for (int j = k; j >= 1; j--) {
                uint64_t kk = f.m.lev[j].keys[node];
                toks[j - 1] = (int32_t)(uint32_t)kk;
                node = (uint32_t)(kk >> 32);
            }
            uint32_t rn = 0;
            for (int j = 0; j < k; j++) {
                const char *str = f.m.vocab.str[toks[j]];
                int32_t id = toks[j] < TOK_FIRST ? toks[j]
                                                 : vocab_find(&r.vocab, str, strlen(str));
                rn = ngram_model_find(&r, j + 1, rn, id);
                cr_assert_neq(rn, NGRAM_NONE);
            }
            cr_assert(r.logp[k][rn] == f.m.logp[k][s], "order %d: ln P %.17g read back as %.17g",
                      k, f.m.logp[k][s], r.logp[k][rn]);
            if (k < 3) {
                cr_assert(r.logbow[k][rn] == f.m.logbow[k][s],
                          "order %d: ln bow %.17g read back as %.17g", k, f.m.logbow[k][s],
                          r.logbow[k][rn]);
            }
        }
    }
    cr_assert_eq(ngram_arpa_write(&r, a2), 0);
    char *b1, *b2;
    size_t n1, n2;
    cr_assert_eq(lab_read_file(a1, &b1, &n1, 0), 0);
    cr_assert_eq(lab_read_file(a2, &b2, &n2, 0), 0);
    cr_assert(n1 == n2 && memcmp(b1, b2, n1) == 0, "written again, the file differs");
    free(b1), free(b2);
    ngram_model_free(&r);
    fix_free(&f);
    free(text), free(path), free(a1), free(a2), free(dir);
}
