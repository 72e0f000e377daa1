// test_fixtures.c: the n-gram code against independent implementations.
//
// tests/fixtures/make_fixtures.py wrote these files with NLTK (Debian python3-nltk 3.8) and a
// from-the-formula Python implementation; tests/fixtures/README.md describes every column.
#include "tests/helpers.h"

#include <omp.h>

#include "ngram/ngram.h"

// --- a tiny TSV reader ------------------------------------------------------------------------

typedef struct {
    char *data;
    char **line;   // rows after the header
    int nlines;
} Tsv;

static Tsv tsv_read(const char *rel)
{
    char *path = test_path(rel);
    Tsv t = {0};
    size_t len;
    cr_assert_eq(lab_read_file(path, &t.data, &len, 0), 0, "cannot read %s", path);
    free(path);
    int cap = 64;
    t.line = lab_malloc((size_t)cap * sizeof *t.line);
    char *save = NULL;
    int first = 1;
    for (char *l = strtok_r(t.data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (first) {
            first = 0; // the header
            continue;
        }
        if (t.nlines == cap) {
            cap *= 2;
            t.line = lab_realloc(t.line, (size_t)cap * sizeof *t.line);
        }
        t.line[t.nlines++] = l;
    }
    return t;
}

// splits a row in place on tabs (empty fields kept); returns the field count
static int fields(char *line, char **f, int max)
{
    int n = 0;
    f[n++] = line;
    for (char *p = line; *p && n < max; p++) {
        if (*p == '\t') {
            *p = '\0';
            f[n++] = p + 1;
        }
    }
    return n;
}

static void tsv_free(Tsv *t)
{
    free(t->data);
    free(t->line);
}

// --- training with the options of a fixture row ---------------------------------------------

typedef struct {
    Vocab v;
    Tokenizer t;
    NgramCounts nc;
    NgramModel m;
    Corpus train;
} Trained;

static void train(Trained *tr, const char *train_rel, TokKind kind, const char *pattern,
                  int lower, long long min_count, int order, NgramParams p, NgramPad pad)
{
    memset(tr, 0, sizeof *tr);
    char *path = test_path(train_rel);
    TextOpts o = TEXT_OPTS_DEFAULT;
    o.tokenizer = kind;
    o.pattern = pattern;
    o.lowercase = lower;
    o.min_count = min_count;
    cr_assert_eq(text_tokenizer(&tr->t, &o), 0);
    vocab_init(&tr->v);
    cr_assert_eq(text_load_corpus(&tr->train, &tr->v, 1, &tr->t, &o, path), 0);
    ngram_count(&tr->nc, &tr->train, tr->v.n, order, UNIT_LINE, pad);
    cr_assert_eq(ngram_model_build(&tr->m, &tr->nc, &tr->v, order, &p), 0);
    free(path);
}

static void score(Trained *tr, const char *rel, LabLoss *l, Corpus *keep)
{
    char *path = test_path(rel);
    TextOpts o = TEXT_OPTS_DEFAULT;
    Corpus c;
    cr_assert_eq(text_load_corpus(&c, &tr->m.vocab, 0, &tr->t, &o, path), 0);
    ngram_eval(&tr->m, &c, l);
    if (keep) {
        *keep = c;
    } else {
        corpus_free(&c);
    }
    free(path);
}

static void trained_free(Trained *tr)
{
    ngram_model_free(&tr->m);
    ngram_counts_free(&tr->nc);
    corpus_free(&tr->train);
    vocab_free(&tr->v);
    tok_free(&tr->t);
}

static NgramParams params_named(const char *name)
{
    NgramParams p = {.k = 0.1};
    for (int k = 0; k <= NGRAM_MAX_ORDER; k++) {
        p.eps[k] = 0.5;
    }
    for (int s = 0; s <= SMOOTH_KN; s++) {
        if (strcmp(name, lab_choice_name(NGRAM_SMOOTHING_CHOICES, s)) == 0) {
            p.smoothing = (Smoothing)s;
            return p;
        }
    }
    cr_assert_fail("unknown smoothing '%s' in a fixture", name);
    return p;
}

// --- the tests ----------------------------------------------------------------------------------

Test(fixtures, laplace_matches_nltk_on_real_splits, .timeout = 120)
{
    Tsv t = tsv_read("tests/fixtures/nltk_laplace.tsv");
    cr_assert(t.nlines >= 7);
    for (int i = 0; i < t.nlines; i++) {
        char *f[16];
        cr_assert_eq(fields(t.line[i], f, 16), 13);
        const char *dataset = f[0], *split = f[1];
        TokKind kind = strcmp(f[2], "char") == 0 ? TOK_CHAR : TOK_WORD;
        int order = atoi(f[7]);
        char train_rel[128], eval_rel[128];
        snprintf(train_rel, sizeof train_rel, "datasets/%s/train.txt", dataset);
        snprintf(eval_rel, sizeof eval_rel, "datasets/%s/%s.txt", dataset, split);
        Trained tr;
        train(&tr, train_rel, kind, kind == TOK_WORD ? f[3] : NULL, atoi(f[4]), atoll(f[6]),
              order, params_named("laplace"), NGRAM_PAD_NLTK);
        LabLoss l;
        TextOpts o = TEXT_OPTS_DEFAULT;
        o.tokenizer = kind;
        char *path = test_path(eval_rel);
        Corpus c;
        cr_assert_eq(text_load_corpus(&c, &tr.m.vocab, 0, &tr.t, &o, path), 0);
        ngram_eval(&tr.m, &c, &l);
        double nats = strtod(f[11], NULL);
        cr_assert_eq(l.tokens, atoll(f[8]), "%s order %d: tokens", dataset, order);
        cr_assert_eq(l.words, atoll(f[9]), "%s order %d: words", dataset, order);
        cr_assert_eq(l.oov, atoll(f[10]), "%s order %d: oov", dataset, order);
        cr_assert(test_rel_eq(l.nats, nats, 1e-9),
                  "%s order %d: %.12f nats, NLTK says %.12f (ppl %.9f vs %s)", dataset, order,
                  l.nats, nats, lab_ppl(lab_loss_mean(&l)), f[12]);
        corpus_free(&c);
        free(path);
        trained_free(&tr);
    }
    tsv_free(&t);
}

static void check_token_by_token(const char *rel, NgramPad pad)
{
    Tsv t = tsv_read(rel);
    int i = 0, checked = 0;
    while (i < t.nlines) {
        char *f[8];
        char *row = lab_strdup(t.line[i]);
        fields(row, f, 8);
        NgramParams p = params_named(f[0]);
        int order = atoi(f[1]);
        Trained tr;
        train(&tr, "tests/fixtures/smoothing_train.txt", TOK_WORD, "\\S+", 0, 1, order, p, pad);
        Corpus c;
        LabLoss l;
        score(&tr, "tests/fixtures/smoothing_test.txt", &l, &c);
        // walk the rows of this (smoothing, order) against the corpus, token by token
        for (long long s = 0; s < c.nseq; s++) {
            int32_t ctx[NGRAM_MAX_ORDER];
            for (int j = 0; j < order - 1; j++) {
                ctx[j] = TOK_BOS;
            }
            for (long long k = c.start[s]; k < c.start[s + 1]; k++, i++) {
                char *g[8];
                cr_assert(i < t.nlines);
                fields(t.line[i], g, 8);
                cr_assert_eq(atoll(g[2]), s);
                cr_assert_eq(atoll(g[3]), k - c.start[s]);
                double want = strtod(g[6], NULL);
                double got = ngram_logprob(&tr.m, ctx, c.ids[k]);
                cr_assert((isinf(want) && isinf(got)) || fabs(got - want) <= 1e-12 + 1e-10 *
                          fabs(want),
                          "%s order %d, line %lld token %lld ('%s' after '%s'): ln P = %.15f, "
                          "reference %.15f",
                          g[0], order, s, k - c.start[s], g[5], g[4], got, want);
                checked++;
                if (order > 1) {
                    memmove(ctx, ctx + 1, (size_t)(order - 2) * sizeof *ctx);
                    ctx[order - 2] = c.ids[k];
                }
            }
        }
        corpus_free(&c);
        trained_free(&tr);
        free(row);
    }
    cr_assert_eq(checked, t.nlines);
    tsv_free(&t);
}

Test(fixtures, every_smoothing_matches_the_reference_token_by_token_with_nltk_padding,
     .timeout = 60)
{
    check_token_by_token("tests/fixtures/smoothing_ref.tsv", NGRAM_PAD_NLTK);
}

Test(fixtures, every_smoothing_matches_the_reference_token_by_token_with_one_bos, .timeout = 60)
{
    check_token_by_token("tests/fixtures/smoothing_ref_sentence.tsv", NGRAM_PAD_SENTENCE);
}

static void check_totals(const char *rel, NgramPad pad)
{
    Tsv t = tsv_read(rel);
    for (int i = 0; i < t.nlines; i++) {
        char *f[8];
        fields(t.line[i], f, 8);
        int order = atoi(f[1]);
        Trained tr;
        train(&tr, "tests/fixtures/smoothing_train.txt", TOK_WORD, "\\S+", 0, 1, order,
              params_named(f[0]), pad);
        LabLoss l;
        score(&tr, "tests/fixtures/smoothing_test.txt", &l, NULL);
        cr_assert_eq(l.tokens, atoll(f[2]));
        cr_assert_eq(l.zero, atoll(f[5]), "%s order %d: zero-probability tokens", f[0], order);
        if (l.zero == 0) {
            cr_assert(test_rel_eq(l.nats, strtod(f[3], NULL), 1e-11), "%s order %d: nats", f[0],
                      order);
        } else {
            cr_assert(isinf(lab_loss_mean(&l)));
        }
        trained_free(&tr);
    }
    tsv_free(&t);
}

Test(fixtures, smoothing_totals_and_zero_counts_match_with_nltk_padding, .timeout = 60)
{
    check_totals("tests/fixtures/smoothing_summary.tsv", NGRAM_PAD_NLTK);
}

Test(fixtures, smoothing_totals_and_zero_counts_match_with_one_bos, .timeout = 60)
{
    check_totals("tests/fixtures/smoothing_summary_sentence.tsv", NGRAM_PAD_SENTENCE);
}

static void check_discounts(const char *rel, NgramPad pad)
{
    Tsv t = tsv_read(rel);
    for (int i = 0; i < t.nlines; i++) {
        char *f[8];
        fields(t.line[i], f, 8);
        int order = atoi(f[0]), k = atoi(f[1]);
        Trained tr;
        train(&tr, "tests/fixtures/smoothing_train.txt", TOK_WORD, "\\S+", 0, 1, order,
              params_named("kn"), pad);
        for (int j = 0; j < 3; j++) {
            double want = strtod(f[2 + j], NULL);
            cr_assert(test_rel_eq(tr.m.params.discount[k][j], want, 1e-12),
                      "model order %d, order %d, D%d = %.15f, reference %.15f", order, k, j + 1,
                      tr.m.params.discount[k][j], want);
        }
        cr_assert_eq(tr.m.params.discount_fallback[k], atoi(f[5]));
        trained_free(&tr);
    }
    tsv_free(&t);
}

Test(fixtures, kn_discounts_match_per_model_order_with_nltk_padding)
{
    check_discounts("tests/fixtures/kn_discounts.tsv", NGRAM_PAD_NLTK);
}

Test(fixtures, kn_discounts_match_per_model_order_with_one_bos)
{
    check_discounts("tests/fixtures/kn_discounts_sentence.tsv", NGRAM_PAD_SENTENCE);
}

static void check_names(const char *rel, NgramPad pad)
{
    Tsv t = tsv_read(rel);
    for (int i = 0; i < t.nlines; i++) {
        char *f[8];
        fields(t.line[i], f, 8);
        int order = atoi(f[1]);
        Trained tr;
        train(&tr, "datasets/names/train.txt", TOK_CHAR, NULL, 0, 1, order, params_named(f[0]),
              pad);
        LabLoss l;
        TextOpts o = TEXT_OPTS_DEFAULT;
        char *path = test_path("datasets/names/valid.txt");
        Corpus c;
        cr_assert_eq(text_load_corpus(&c, &tr.m.vocab, 0, &tr.t, &o, path), 0);
        ngram_eval(&tr.m, &c, &l);
        cr_assert_eq(l.tokens, atoll(f[2]));
        cr_assert(test_rel_eq(l.nats, strtod(f[3], NULL), 1e-9),
                  "%s order %d on names valid: %.12f nats, reference %s", f[0], order, l.nats,
                  f[3]);
        corpus_free(&c);
        free(path);
        trained_free(&tr);
    }
    tsv_free(&t);
}

Test(fixtures, kn_and_interp_match_the_reference_on_names_valid_with_nltk_padding, .timeout = 120)
{
    check_names("tests/fixtures/smoothing_names_summary.tsv", NGRAM_PAD_NLTK);
}

Test(fixtures, kn_and_interp_match_the_reference_on_names_valid_with_one_bos, .timeout = 120)
{
    check_names("tests/fixtures/smoothing_names_summary_sentence.tsv", NGRAM_PAD_SENTENCE);
}

Test(fixtures, arpa_from_another_toolkit_scores_by_the_backoff_rule)
{
    char *arpa = test_path("tests/fixtures/toolkit.arpa");
    NgramModel m;
    cr_assert_eq(ngram_arpa_read(&m, arpa, UNIT_LINE), 0);
    cr_assert_eq(m.order, 3);
    Tokenizer tok;
    tok_init(&tok, TOK_WORD, "\\S+", 0);
    char *test = test_path("tests/fixtures/toolkit_test.txt");
    char *text;
    size_t len;
    cr_assert_eq(text_read(test, UTF8_STRICT, &text, &len), 0);
    Corpus c;
    cr_assert_eq(corpus_encode(&c, &m.vocab, &tok, UNIT_LINE, text, len), 0);
    Tsv t = tsv_read("tests/fixtures/toolkit_expected.tsv");
    cr_assert_eq(t.nlines, c.n, "one expected row per scored token");
    int32_t ctx[2] = {TOK_BOS, TOK_BOS};
    int row = 0;
    for (long long s = 0; s < c.nseq; s++) {
        ctx[0] = ctx[1] = TOK_BOS;
        for (long long k = c.start[s]; k < c.start[s + 1]; k++, row++) {
            char *f[4];
            fields(t.line[row], f, 4);
            double want = strtod(f[2], NULL);
            double got = ngram_logprob(&m, ctx, c.ids[k]) / M_LN10;
            cr_assert(fabs(got - want) < 1e-9, "sentence %s, '%s': log10 P = %.10f, expected %.10f",
                      f[0], f[1], got, want);
            ctx[0] = ctx[1];
            ctx[1] = c.ids[k];
        }
    }
    LabLoss l;
    ngram_eval(&m, &c, &l);
    cr_assert_eq(l.tokens, c.n);
    tsv_free(&t);
    corpus_free(&c);
    free(text);
    free(test);
    tok_free(&tok);
    ngram_model_free(&m);
    free(arpa);
}

// The last row of an arpa_score.py output: total TOKENS LOG10 NATS LOSS PPL.
static void arpa_score_total(const char *rel, long long *tokens, double *nats)
{
    Tsv t = tsv_read(rel);
    cr_assert(t.nlines >= 2);
    char *f[8];
    cr_assert_eq(fields(t.line[t.nlines - 1], f, 8), 6, "%s: no total row", rel);
    cr_assert_str_eq(f[0], "total");
    *tokens = atoll(f[1]);
    *nats = strtod(f[3], NULL);
    tsv_free(&t);
}

// Trains as make_arpa_scores.sh does, writes the ARPA file, reads it back and scores the test
// split: both models must give the total of the independent scorer.
static void check_arpa_score(const char *fixture, const char *dataset, TokKind kind, int lower,
                             int order, const char *smoothing)
{
    char rel[128];
    snprintf(rel, sizeof rel, "datasets/%s/train.txt", dataset);
    Trained tr;
    train(&tr, rel, kind, NULL, lower, 1, order, params_named(smoothing), NGRAM_PAD_SENTENCE);
    long long want_tokens;
    double want_nats;
    arpa_score_total(fixture, &want_tokens, &want_nats);
    char *dir = test_tmpdir();
    char *arpa = lab_path_join(dir, "model.arpa");
    omp_set_num_threads(2);
    cr_assert_eq(ngram_arpa_write(&tr.m, arpa), 0);
    NgramModel back;
    cr_assert_eq(ngram_arpa_read(&back, arpa, UNIT_LINE), 0);
    snprintf(rel, sizeof rel, "datasets/%s/test.txt", dataset);
    LabLoss l, lb;
    Corpus c;
    score(&tr, rel, &l, &c);
    ngram_eval(&back, &c, &lb);
    cr_assert_eq(l.tokens, want_tokens, "%s: %lld tokens scored, arpa_score.py scored %lld",
                 fixture, l.tokens, want_tokens);
    cr_assert(test_rel_eq(l.nats, want_nats, 1e-9),
              "%s: the counted model gives %.12f nats, arpa_score.py %.12f", fixture, l.nats,
              want_nats);
    cr_assert(test_rel_eq(lb.nats, want_nats, 1e-9),
              "%s: the model read back gives %.12f nats, arpa_score.py %.12f", fixture, lb.nats,
              want_nats);
    corpus_free(&c);
    ngram_model_free(&back);
    free(arpa);
    free(dir);
    trained_free(&tr);
}

Test(fixtures, arpa_of_names_kn5_scores_as_an_independent_backoff_scorer_says, .timeout = 60)
{
    check_arpa_score("tests/fixtures/arpa_scores/names-kn5.tsv", "names", TOK_CHAR, 0, 5, "kn");
}

Test(fixtures, arpa_of_names_laplace3_scores_as_an_independent_backoff_scorer_says,
     .timeout = 60)
{
    check_arpa_score("tests/fixtures/arpa_scores/names-laplace3.tsv", "names", TOK_CHAR, 0, 3,
                     "laplace");
}

Test(fixtures, arpa_of_timemachine_word_kn3_scores_as_an_independent_backoff_scorer_says,
     .timeout = 60)
{
    check_arpa_score("tests/fixtures/arpa_scores/timemachine-word-kn3.tsv", "timemachine",
                     TOK_WORD, 1, 3, "kn");
}

Test(fixtures, malformed_arpa_files_fail_with_a_message)
{
    const char *bad[] = {"truncated", "missing_data", "count_mismatch", "bad_number", "no_end",
                         "wrong_order", "empty", "binary", "huge_count"};
    cr_redirect_stderr();
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char rel[96];
        snprintf(rel, sizeof rel, "tests/fixtures/bad_arpa/%s.arpa", bad[i]);
        char *path = test_path(rel);
        NgramModel m;
        cr_assert_eq(ngram_arpa_read(&m, path, UNIT_LINE), -1, "%s was accepted", bad[i]);
        free(path);
    }
    char *good = test_path("tests/fixtures/tiny.arpa");
    NgramModel m;
    cr_assert_eq(ngram_arpa_read(&m, good, UNIT_LINE), 0, "the valid original reads");
    ngram_model_free(&m);
    free(good);
}

// Every entry of a and b (same vocabulary order) holds the same doubles, bit for bit.
static void assert_same_entries(const NgramModel *a, const NgramModel *b, const char *what)
{
    cr_assert_eq(a->order, b->order);
    cr_assert_eq(a->vocab.n, b->vocab.n, "%s: %d tokens, %d read back", what, a->vocab.n,
                 b->vocab.n);
    for (int k = 1; k <= a->order; k++) {
        const NgramLevel *L = &a->lev[k];
        uint32_t checked = 0;
        for (uint32_t s = 0; s < L->cap; s++) {
            if (L->keys[s] == NGRAM_EMPTY ||
                (k == a->order && k > 1 && (int32_t)(uint32_t)L->keys[s] == TOK_BOS)) {
                continue;
            }
            // the tokens of s, oldest first, then the same path in b
            int32_t toks[NGRAM_MAX_ORDER];
            uint32_t node = s;
            for (int j = k; j >= 1; j--) {
                uint64_t key = a->lev[j].keys[node];
                toks[j - 1] = (int32_t)(uint32_t)key;
                node = (uint32_t)(key >> 32);
            }
            uint32_t nb = 0;
            for (int j = 0; j < k; j++) {
                nb = ngram_level_find(&b->lev[j + 1], nb, toks[j]);
                cr_assert_neq(nb, NGRAM_NONE, "%s: a %d-gram is missing after reading", what, k);
            }
            cr_assert_eq(memcmp(&a->logp[k][s], &b->logp[k][nb], sizeof(double)), 0,
                         "%s: order %d: ln p %a written, %a read back", what, k, a->logp[k][s],
                         b->logp[k][nb]);
            if (k < a->order) {
                cr_assert_eq(memcmp(&a->logbow[k][s], &b->logbow[k][nb], sizeof(double)), 0,
                             "%s: order %d: ln backoff %a written, %a read back", what, k,
                             a->logbow[k][s], b->logbow[k][nb]);
            }
            checked++;
        }
        cr_assert_eq(checked, ngram_model_entries(b, k));
    }
}

static char *generated(const NgramModel *m, TokKind kind)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    LabRng rng;
    lab_rng_seed(&rng, 1337);
    LabSampling s = {.temperature = 1.0, .top_k = 0, .top_p = 1.0};
    for (int i = 0; i < 20; i++) {
        ngram_generate(f, m, kind, NULL, 0, 200, &s, &rng);
    }
    fclose(f);
    return buf;
}

// Trains, writes the ARPA file and reads it back (on two threads): the same doubles in every
// entry, the same test loss bit for bit, the same samples for a seed, and the same bytes when
// written again, on one thread (the writer formats chunks of lines on every thread).
static void check_exact_round_trip(const char *dataset, TokKind kind, int order,
                                   const char *smoothing)
{
    char rel[128];
    snprintf(rel, sizeof rel, "datasets/%s/train.txt", dataset);
    Trained tr;
    train(&tr, rel, kind, NULL, 0, 1, order, params_named(smoothing), NGRAM_PAD_SENTENCE);
    char *dir = test_tmpdir();
    char *arpa = lab_path_join(dir, "model.arpa"), *again = lab_path_join(dir, "again.arpa");
    omp_set_num_threads(2);
    cr_assert_eq(ngram_arpa_write(&tr.m, arpa), 0);
    NgramModel back;
    cr_assert_eq(ngram_arpa_read(&back, arpa, UNIT_LINE), 0);
    assert_same_entries(&tr.m, &back, dataset);
    snprintf(rel, sizeof rel, "datasets/%s/test.txt", dataset);
    LabLoss l, lb;
    Corpus c;
    score(&tr, rel, &l, &c);
    ngram_eval(&back, &c, &lb);
    cr_assert_eq(l.tokens, lb.tokens);
    cr_assert_eq(memcmp(&l.nats, &lb.nats, sizeof l.nats), 0,
                 "%s: %.17g nats in memory, %.17g from the file", dataset, l.nats, lb.nats);
    char *s1 = generated(&tr.m, kind), *s2 = generated(&back, kind);
    cr_assert_str_eq(s1, s2, "%s: the samples of the model and of its file differ", dataset);
    omp_set_num_threads(1);
    cr_assert_eq(ngram_arpa_write(&back, again), 0);
    char *b1, *b2;
    size_t n1, n2;
    cr_assert_eq(lab_read_file(arpa, &b1, &n1, 0), 0);
    cr_assert_eq(lab_read_file(again, &b2, &n2, 0), 0);
    cr_assert(n1 == n2 && memcmp(b1, b2, n1) == 0,
              "%s: written again, the file differs (%zu and %zu bytes)", dataset, n1, n2);
    free(b1), free(b2), free(s1), free(s2);
    corpus_free(&c);
    ngram_model_free(&back);
    free(arpa), free(again), free(dir);
    trained_free(&tr);
}

Test(fixtures, arpa_of_names_kn5_reads_back_to_the_same_doubles_loss_and_samples,
     .timeout = 60)
{
    check_exact_round_trip("names", TOK_CHAR, 5, "kn");
}

Test(fixtures, arpa_of_timemachine_word_kn3_reads_back_to_the_same_doubles_loss_and_samples,
     .timeout = 120)
{
    check_exact_round_trip("timemachine", TOK_WORD, 3, "kn");
}

Test(fixtures, arpa_of_names_interp4_reads_back_to_the_same_doubles_loss_and_samples,
     .timeout = 60)
{
    check_exact_round_trip("names", TOK_CHAR, 4, "interp");
}
