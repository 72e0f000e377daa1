// test_run.c: the run harness (lab/run.c) and the shared sampler (lab/sample.c), by hand.
#include "tests/helpers.h"

#include <sys/stat.h>

static char *slurp_file(const char *path)
{
    char *data;
    size_t n;
    cr_assert_eq(lab_read_file(path, &data, &n, 0), 0, "cannot read %s", path);
    return data;
}

Test(run, log_rows_are_flushed_as_written_and_missing_values_are_a_dash)
{
    char *dir = test_tmpdir();
    char *run_dir = lab_path_join(dir, "r");
    LabConfig cfg = {0};
    lab_config_set(&cfg, "family", "toy");
    LabRun r;
    cr_assert_eq(lab_run_open(&r, run_dir, "toy", &cfg, 0), 0);
    cr_assert_eq(lab_run_write_config(&r, &cfg), 0);
    cr_assert_eq(lab_run_log_open(&r, "epoch\tpairs"), 0);
    LabLogRow row = {.step = 1, .tokens = 100, .train_loss = log(4.0), .valid_loss = NAN,
                     .lr = 0.5, .tokens_per_s = 1234.4};
    double extra[2] = {1, 70};
    cr_assert_eq(lab_run_log(&r, &row, extra), 0);
    // read while still open: the row is already on disk
    char *log_path = lab_path_join(run_dir, "log.tsv");
    char *text = slurp_file(log_path);
    cr_assert_str_eq(text, "step\ttokens\ttrain_loss\tvalid_loss\tvalid_ppl\tlr\ttokens_per_s"
                           "\tepoch\tpairs\n1\t100\t1.38629436\t-\t-\t0.5\t1234\t1\t70\n");
    free(text);
    // ln 2 nats: ppl exactly 2; an infinite loss is written inf
    LabLogRow row2 = {.step = 2, .tokens = 200, .train_loss = INFINITY, .valid_loss = log(2.0),
                      .lr = NAN, .tokens_per_s = 0};
    cr_assert_eq(lab_run_log(&r, &row2, extra), 0);
    text = slurp_file(log_path);
    cr_assert(strstr(text, "\n2\t200\tinf\t0.693147181\t2\t-\t0\t1\t70\n"), "%s", text);
    free(text);
    cr_assert_eq(lab_run_close(&r), 0);
    lab_config_free(&cfg);
    free(log_path), free(run_dir), free(dir);
}

Test(run, open_refuses_a_run_of_another_family)
{
    char *dir = test_tmpdir();
    LabConfig a = {0}, b = {0};
    lab_config_set(&a, "family", "ngram");
    lab_config_set(&b, "family", "word2vec");
    LabRun r;
    cr_assert_eq(lab_run_open(&r, dir, "ngram", &a, 0), 0);
    cr_assert_eq(lab_run_write_config(&r, &a), 0);
    lab_run_close(&r);
    cr_redirect_stderr();
    cr_assert_eq(lab_run_open(&r, dir, "word2vec", &b, 0), -1);
    cr_assert_null(r.dir, "a refused open leaves r zeroed");
    cr_assert_eq(lab_run_open(&r, dir, "word2vec", &b, 1), 0, "--force replaces it");
    lab_run_close(&r);
    LabConfig c;
    cr_assert_eq(lab_run_read_config(&c, dir, "ngram", "an n-gram model"), 0);
    cr_assert_str_eq(lab_config_get(&c, "family"), "ngram");
    lab_config_free(&c);
    cr_assert_eq(lab_run_read_config(&c, dir, "word2vec", "word vectors"), -1);
    lab_config_free(&a), lab_config_free(&b);
    free(dir);
}

Test(run, discard_removes_a_directory_it_made)
{
    char *dir = test_tmpdir();
    char *run_dir = lab_path_join(dir, "new");
    LabConfig cfg = {0};
    lab_config_set(&cfg, "family", "toy");
    LabRun r;
    cr_assert_eq(lab_run_open(&r, run_dir, "toy", &cfg, 0), 0);
    cr_assert_eq(lab_run_write_config(&r, &cfg), 0);
    cr_assert_eq(lab_run_log_open(&r, NULL), 0);
    lab_run_discard(&r);
    cr_assert(!test_exists(run_dir), "a failed new run leaves nothing");
    lab_config_free(&cfg);
    free(run_dir), free(dir);
}

Test(run, stem_is_a_safe_directory_name)
{
    const char *cases[][2] = {{"data/poem.txt", "poem"}, {"a b/c d.tar.gz", "c_d.tar"},
                              {"", "custom"}, {"dir/", "custom"}, {".hidden", ".hidden"}};
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *s = lab_run_stem(cases[i][0]);
        cr_assert_str_eq(s, cases[i][1], "stem of '%s'", cases[i][0]);
        free(s);
    }
}

Test(run, word_ppl_is_meaningful_only_when_a_line_has_two_words)
{
    cr_assert_not(lab_word_ppl_meaningful(10, 10));
    cr_assert(lab_word_ppl_meaningful(11, 10));
}

// probabilities 0.5, 0.3, 0.2 (ids 2, 0, 1), worked by hand
Test(sample, filter_by_hand_and_greedy_draws_nothing)
{
    int32_t order[3];
    double p[3] = {0.3, 0.2, 0.5};
    LabSampling greedy = {.temperature = 0, .top_k = 0, .top_p = 1};
    cr_assert_eq(lab_sample_filter(p, 3, &greedy, order), 1);
    cr_assert_eq(order[0], 2);
    cr_assert_float_eq(p[2], 1.0, 1e-12);
    cr_assert_float_eq(p[0] + p[1], 0.0, 1e-12);
    LabRng a, b;
    lab_rng_seed(&a, 5);
    lab_rng_seed(&b, 5);
    cr_assert_eq(lab_sample_draw(p, order, 1, &greedy, &a), 2);
    cr_assert_eq(lab_rng_u64(&a), lab_rng_u64(&b), "greedy leaves the stream as it was");

    // temperature 0.5 squares the probabilities: 0.25, 0.09, 0.04 over 0.38
    double q[3] = {0.3, 0.2, 0.5};
    LabSampling cold = {.temperature = 0.5, .top_k = 0, .top_p = 1};
    cr_assert_eq(lab_sample_filter(q, 3, &cold, order), 3);
    cr_assert_float_eq(q[2], 0.25 / 0.38, 1e-12);
    cr_assert_float_eq(q[0], 0.09 / 0.38, 1e-12);
    cr_assert_float_eq(q[1], 0.04 / 0.38, 1e-12);

    // a uniform draw u picks the first id whose cumulative probability passes u: with
    // p = (0.5, 0.3, 0.2) in that order, the ids come out in about those shares
    double r[3] = {0.3, 0.2, 0.5};
    LabSampling plain = {.temperature = 1, .top_k = 0, .top_p = 1};
    cr_assert_eq(lab_sample_filter(r, 3, &plain, order), 3);
    int hits[3] = {0};
    for (int i = 0; i < 100000; i++) {
        hits[lab_sample_draw(r, order, 3, &plain, &a)]++;
    }
    cr_assert(fabs(hits[2] / 1e5 - 0.5) < 0.01 && fabs(hits[0] / 1e5 - 0.3) < 0.01 &&
                  fabs(hits[1] / 1e5 - 0.2) < 0.01,
              "shares %d %d %d", hits[0], hits[1], hits[2]);
}

static const double *cmp_probs;
static int by_prob_then_id(const void *pa, const void *pb)
{
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    if (cmp_probs[a] != cmp_probs[b]) {
        return cmp_probs[a] > cmp_probs[b] ? -1 : 1;
    }
    return (a > b) - (a < b);
}

// Filters p (V) with s and checks the kept ids' order against a comparison sort of the same
// values as filtered (most likely first, ties by id; renormalised ratios keep the order): as
// many kept as positive, each in its place. what names the case in a failure.
static void expect_comparison_order(double *p, int32_t V, const LabSampling *s, const char *what)
{
    double *want = lab_malloc((size_t)V * sizeof *want);
    int32_t *order = lab_malloc((size_t)V * sizeof *order);
    int32_t *ref = lab_malloc((size_t)V * sizeof *ref);
    memcpy(want, p, (size_t)V * sizeof *p);
    int32_t n = lab_sample_filter(p, V, s, order);
    int32_t m = 0;
    double pmax = 0;
    for (int32_t w = 0; w < V; w++) {
        if (want[w] > 0) {
            ref[m++] = w;
        }
        pmax = fmax(pmax, want[w]);
    }
    cr_assert_eq(n, m, "%s: kept %d of %d positive probabilities", what, n, m);
    for (int32_t w = 0; w < V; w++) {
        want[w] = want[w] > 0 ? (s->temperature == 1.0
                                     ? want[w] / pmax
                                     : exp(log(want[w] / pmax) / s->temperature))
                              : 0;
    }
    cmp_probs = want;
    qsort(ref, (size_t)m, sizeof *ref, by_prob_then_id);
    for (int32_t i = 0; i < m; i++) {
        cr_assert_eq(order[i], ref[i], "%s, place %d of %d: id %d, expected %d", what, i, m,
                     order[i], ref[i]);
    }
    free(want), free(order), free(ref);
}

// The same with few distinct values, as an n-gram model gives (every token it backs off to
// for one reason shares one double): from 2 values to about an eighth of the tokens, either
// side of where the filter stops grouping equal values and sorts them all.
Test(sample, filter_order_with_few_distinct_values_is_most_likely_first_ties_by_id)
{
    LabRng rng;
    lab_rng_seed(&rng, 11);
    for (int round = 0; round < 40; round++) {
        int32_t V = 64 + (int32_t)(lab_rng_u64(&rng) % 20000);
        int32_t nv = 2 + (int32_t)(lab_rng_u64(&rng) % (uint64_t)(V / 6));
        double *vals = lab_malloc((size_t)nv * sizeof *vals);
        for (int32_t i = 0; i < nv; i++) {
            vals[i] = lab_rng_uniform(&rng) * exp(-(double)(lab_rng_u64(&rng) % 30));
        }
        double *p = lab_malloc((size_t)V * sizeof *p);
        for (int32_t w = 0; w < V; w++) {
            uint64_t r = lab_rng_u64(&rng);
            p[w] = r % 9 == 0 ? 0.0 : vals[r % (uint64_t)nv];
        }
        LabSampling s = {.temperature = round % 2 ? 1.0 : 0.3, .top_k = 0, .top_p = 1};
        char what[64];
        snprintf(what, sizeof what, "round %d (%d values)", round, nv);
        expect_comparison_order(p, V, &s, what);
        free(vals), free(p);
    }
}

// The order the filter gives is the comparison sort's (most likely first, ties by id) on
// large vectors too: many ties, magnitudes from subnormal to 1, zeros (ids never kept) and
// values that a temperature below 1 takes to zero.
Test(sample, filter_order_of_a_large_vector_is_most_likely_first_ties_by_id)
{
    LabRng rng;
    lab_rng_seed(&rng, 7);
    for (int round = 0; round < 40; round++) {
        int32_t V = 50 + (int32_t)(lab_rng_u64(&rng) % 20000);
        double *p = lab_malloc((size_t)V * sizeof *p);
        for (int32_t w = 0; w < V; w++) {
            uint64_t r = lab_rng_u64(&rng);
            switch (r % 5) {
            case 0: p[w] = 0.0; break;                               // never kept
            case 1: p[w] = (double)(r % 7) / 64; break;               // ties
            case 2: p[w] = ldexp(lab_rng_uniform(&rng), -1070); break; // subnormal
            default: p[w] = lab_rng_uniform(&rng) * exp(-(double)(r % 40)); break;
            }
        }
        LabSampling s = {.temperature = round % 2 ? 1.0 : 0.3, .top_k = 0, .top_p = 1};
        char what[64];
        snprintf(what, sizeof what, "round %d", round);
        expect_comparison_order(p, V, &s, what);
        free(p);
    }
}
