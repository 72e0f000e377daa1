// test_clarity.c: what the command line tells a student: per-token scores checked by hand,
// refused options that would be ignored, suggestions for typos, runs that do not overwrite
// each other, notes at a grid's edge and on meaningless numbers, the bigram count chart.
#include "tests/cli/cli.h"

#include <ctype.h>

// --- per-token scoring ----------------------------------------------------------------------

// One row of the --per-token table of a 2-gram model: pos, context (one token), token,
// order, P, -log2 P.
typedef struct {
    char token[16];
    int order;
    double p, bits;
} Row;

static int parse_rows(const char *out, Row *rows, int max)
{
    int n = 0;
    for (const char *line = out; *line && n < max;) {
        const char *end = strchr(line, '\n');
        long pos;
        char ctx[16];
        Row r;
        if (isdigit((unsigned char)line[0]) &&
            sscanf(line, "%ld %15s %15s %d %lf %lf", &pos, ctx, r.token, &r.order, &r.p,
                   &r.bits) == 6) {
            rows[n++] = r;
        }
        line = end ? end + 1 : line + strlen(line);
    }
    return n;
}

Test(clarity, per_token_orders_and_probabilities_match_hand_computation_on_tiny_arpa)
{
    // tests/fixtures/tiny.arpa, by hand (log10 values of the file):
    //   P(hello | <s>)  = 10^-0.2218487 = 0.6          the bigram <s> hello
    //   P(world | hello) = 10^-0.30103  = 0.5          the bigram hello world
    //   P(</s> | world) = 10^-0.154902  = 0.7          the bigram world </s>
    //   P(world | <s>)  = bow(<s>) P(world)   = 10^-0.1760913 * 10^-0.69897  = 2/3 * 0.2
    //   P(hello | world) = bow(world) P(hello) = 10^-0.3679768 * 10^-0.39794 = 3/7 * 0.4
    //   P(</s> | hello) = bow(hello) P(</s>)  = 10^-0.20412   * 10^-0.5228787 = 0.625 * 0.3
    const Row want[6] = {
        {"hello", 2, 0.6, 0}, {"world", 2, 0.5, 0}, {"</s>", 2, 0.7, 0},
        {"world", 1, 2.0 / 15, 0}, {"hello", 1, 6.0 / 35, 0}, {"</s>", 1, 0.1875, 0},
    };
    char *arpa = test_path("tests/fixtures/tiny.arpa");
    Run r = RUN("ngram", "eval", "--arpa", arpa, "--tokenizer", "word", "--text",
                "hello world\nworld hello", "--per-token");
    cr_assert_eq(r.status, 0, "%s", r.err);
    Row got[8];
    int n = parse_rows(r.out, got, 8);
    cr_assert_eq(n, 6, "%d rows, expected 6:\n%s", n, r.out);
    double bits = 0;
    for (int i = 0; i < 6; i++) {
        cr_assert_str_eq(got[i].token, want[i].token, "row %d", i + 1);
        cr_assert_eq(got[i].order, want[i].order, "row %d (%s): order %d, expected %d", i + 1,
                     want[i].token, got[i].order, want[i].order);
        cr_assert(test_rel_eq(got[i].p, want[i].p, 1e-5), "row %d (%s): P = %.9g, expected %.9g",
                  i + 1, want[i].token, got[i].p, want[i].p);
        cr_assert(test_rel_eq(got[i].bits, -log2(want[i].p), 1e-4), "row %d: -log2 P = %g",
                  i + 1, got[i].bits);
        bits += -log2(want[i].p);
    }
    const char *total = strstr(r.out, "total");
    cr_assert_not_null(total, "no total line:\n%s", r.out);
    long long tokens;
    double tbits;
    cr_assert_eq(sscanf(total, "total %lld tokens scored: %lf bits", &tokens, &tbits), 2);
    cr_assert_eq(tokens, 6);
    cr_assert(test_rel_eq(tbits, bits, 1e-6), "total %.9g bits, expected %.9g", tbits, bits);
    run_free(&r);
    free(arpa);
}

// the "loss X" of eval's report, and "loss X nats/token" of the per-token total line
static double loss_of(const char *out, const char *key)
{
    const char *p = strstr(out, key);
    cr_assert_not_null(p, "no '%s' in:\n%s", key, out);
    return strtod(p + strlen(key), NULL);
}

Test(clarity, per_token_total_equals_eval_loss)
{
    char *tmp = test_tmpdir();
    char *run = lab_path_join(tmp, "names3");
    Run t = RUN("ngram", "train", "--dataset", "names", "--order", "3", "--out", run, "--plot",
                "none", "--samples", "0");
    cr_assert_eq(t.status, 0, "%s", t.err);
    run_free(&t);
    const char *text = "ann\nemma\nxqzj\nzoe lee\n";
    Run e = RUN("ngram", "eval", "--model", run, "--text", text);
    Run p = RUN("ngram", "eval", "--model", run, "--text", text, "--per-token");
    cr_assert_eq(e.status, 0, "%s", e.err);
    cr_assert_eq(p.status, 0, "%s", p.err);
    double le = loss_of(e.out, "loss       "), lp = loss_of(p.out, "loss ");
    cr_assert(fabs(le - lp) < 2e-6, "per-token total loss %.6f, eval says %.6f", lp, le);
    // one row per predicted token: 3+1, 4+1, 4+1, 7+1 (the space is <unk>)
    Run j = RUN("ngram", "eval", "--model", run, "--text", text, "--json");
    cr_assert(strstr(j.out, "\"tokens\": 22"), "%s", j.out);
    cr_assert(strstr(p.out, "total  22 tokens scored"), "%s", p.out);
    run_free(&e);
    run_free(&p);
    run_free(&j);
    free(run);
    free(tmp);
}

// --- options that would be ignored, and typos ---------------------------------------------------

Test(clarity, options_that_do_not_apply_are_refused)
{
    expect(RUN("ngram", "train", "--dataset", "names", "--k", "0.5"), 2,
           "--k is the pseudo-count of --smoothing addk, not of kn");
    expect(RUN("ngram", "train", "--dataset", "names", "--smoothing", "laplace", "--eps", "2"), 2,
           "--smoothing interp, not of laplace");
    expect(RUN("ngram", "sweep", "--dataset", "names", "--smoothings", "kn", "--ks", "0.1"), 2,
           "--ks are the values of k of addk");
    expect(RUN("ngram", "sweep", "--dataset", "names", "--smoothings", "addk", "--eps", "3"), 2,
           "values of eps of interp");
    expect(RUN("ngram", "eval", "--model", "runs/x", "--split", "test", "--tokenizer", "word"), 2,
           "--tokenizer is for --arpa");
    expect(RUN("ngram", "eval", "--model", "runs/x", "--text", "a", "--per-token", "--json"), 2,
           "choose one");
    expect(RUN("word2vec", "train", "--dataset", "names", "--hogwild", "--sync", "5"), 2,
           "--hogwild has no merges");
    expect(RUN("tfidf", "matrix", "--docs", "x.txt", "--split", "test"), 2,
           "--split names a split of --dataset");
}

Test(clarity, mistyped_names_get_a_suggestion)
{
    expect(RUN("ngarm"), 2, "did you mean 'lmlab ngram'?");
    expect(RUN("ngram", "trian"), 2, "did you mean 'lmlab ngram train'?");
    expect(RUN("tfidf", "simlar"), 2, "did you mean 'lmlab tfidf similar'?");
    expect(RUN("word2vec", "anology"), 2, "did you mean 'lmlab word2vec analogy'?");
    expect(RUN("ngram", "train", "--dataset", "names", "--oder", "3"), 2,
           "unknown option '--oder' (did you mean '--order'?)");
    expect(RUN("ngram", "train", "--dataset", "name"), 2,
           "no dataset 'name' (did you mean 'names'?)");
    // nothing close: no suggestion, the list instead
    Run r = RUN("ngram", "train", "--dataset", "wikipedia");
    cr_assert_eq(r.status, 2);
    cr_assert_null(strstr(r.err, "did you mean"), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "shipped: names"), "%s", r.err);
    run_free(&r);
}

Test(clarity, closest_is_within_a_third_of_the_word)
{
    const char *const verbs[] = {"train", "eval", "generate", "sweep"};
    cr_assert_str_eq(lab_closest("trian", verbs, 4), "train"); // a swap counts once
    cr_assert_str_eq(lab_closest("evl", verbs, 4), "eval");
    cr_assert_str_eq(lab_closest("generat", verbs, 4), "generate");
    cr_assert_null(lab_closest("plot", verbs, 4));
    cr_assert_null(lab_closest("x", verbs, 4));
}

// --- runs that do not overwrite each other -------------------------------------------------------

Test(clarity, a_run_of_another_configuration_is_kept_without_force)
{
    char *tmp = test_tmpdir();
    char *run = lab_path_join(tmp, "run");
    char *cfg = lab_path_join(run, "config");
    Run a = RUN("ngram", "train", "--dataset", "names", "--order", "2", "--out", run, "--plot",
                "none");
    cr_assert_eq(a.status, 0, "%s", a.err);
    run_free(&a);
    Run b = RUN("ngram", "train", "--dataset", "names", "--order", "3", "--out", run, "--plot",
                "none");
    cr_assert_eq(b.status, 1, "%s", b.err);
    cr_assert_not_null(strstr(b.err, "holds a run of another configuration (order: '2' there, "
                                     "'3' here)"), "%s", b.err);
    cr_assert_not_null(strstr(b.err, "hint: --force replaces it; --out DIR"), "%s", b.err);
    run_free(&b);
    char *text = slurp(cfg);
    cr_assert_not_null(strstr(text, "order = 2"), "the first run was touched:\n%s", text);
    free(text);
    // the same configuration again is a repeat, not a clash
    expect(RUN("ngram", "train", "--dataset", "names", "--order", "2", "--out", run, "--plot",
               "none"), 0, NULL);
    expect(RUN("ngram", "train", "--dataset", "names", "--order", "3", "--out", run, "--plot",
               "none", "--force"), 0, NULL);
    text = slurp(cfg);
    cr_assert_not_null(strstr(text, "order = 3"), "--force did not replace the run:\n%s", text);
    free(text);
    free(cfg);
    free(run);
    free(tmp);
}

Test(clarity, default_run_names_say_what_sets_runs_apart)
{
    char *tmp = test_tmpdir();
    char *poem = test_write(tmp, "poem.txt", "roses are red\nviolets are blue\n", 31);
    expect(run_in(tmp, (const char *const[]){"ngram", "train", "--train", poem, "--plot", "none",
                                             NULL}), 0, NULL);
    expect(run_in(tmp, (const char *const[]){"ngram", "train", "--dataset", "names", "--smoothing",
                                             "addk", "--k", "0.5", "--order", "2", "--plot",
                                             "none", NULL}), 0, NULL);
    expect(run_in(tmp, (const char *const[]){"ngram", "train", "--dataset", "names", "--tokenizer",
                                             "word", "--plot", "none", NULL}), 0, NULL);
    const char *dirs[] = {"runs/poem-kn3", "runs/names-addk2-k0.5", "runs/names-word-kn3"};
    for (int i = 0; i < 3; i++) {
        char *cfg = lab_asprintf("%s/%s/config", tmp, dirs[i]);
        cr_assert(test_exists(cfg), "%s was not written", cfg);
        free(cfg);
    }
    free(poem);
    free(tmp);
}

// --- notes --------------------------------------------------------------------------------------

Test(clarity, sweep_says_when_the_best_value_is_at_the_edge_of_its_grid)
{
    char *tmp = test_tmpdir();
    // names: higher orders keep helping up to 4 or 5, and the best k is well below 1
    Run r = RUN("ngram", "sweep", "--dataset", "names", "--orders", "1-2", "--smoothings",
                "kn,addk", "--ks", "1,2", "--plot", "none", "--out", tmp);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "grid edge:     the best order, 2, is the largest tried"),
                       "%s", r.out);
    cr_assert_not_null(strstr(r.out, "the best k of addk, 1, is the smallest tried"), "%s",
                       r.out);
    cr_assert_not_null(strstr(r.err, "note: the best order, 2"), "%s", r.err);
    run_free(&r);
    free(tmp);
}

Test(clarity, eval_warns_when_most_tokens_are_unk)
{
    char *arpa = test_path("tests/fixtures/tiny.arpa");
    Run r = RUN("ngram", "eval", "--arpa", arpa, "--tokenizer", "char", "--text", "hello world");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.err, "are <unk>"), "%s", r.err);
    cr_assert_not_null(strstr(r.err, "--tokenizer"), "%s", r.err);
    run_free(&r);
    r = RUN("ngram", "eval", "--arpa", arpa, "--tokenizer", "word", "--text", "hello world");
    cr_assert_null(strstr(r.err, "<unk>"), "a matching tokenizer was warned about:\n%s", r.err);
    run_free(&r);
    free(arpa);
}

Test(clarity, word_perplexity_is_na_when_no_line_has_two_words)
{
    char *arpa = test_path("tests/fixtures/tiny.arpa");
    Run r = RUN("ngram", "eval", "--arpa", arpa, "--tokenizer", "word", "--text", "hello\nworld");
    cr_assert_not_null(strstr(r.out, "word ppl   n/a (words are whitespace-separated"), "%s",
                       r.out);
    run_free(&r);
    r = RUN("ngram", "eval", "--arpa", arpa, "--tokenizer", "word", "--text", "hello world");
    cr_assert_null(strstr(r.out, "n/a"), "%s", r.out);
    run_free(&r);
    free(arpa);
}

Test(clarity, tfidf_blames_the_stop_list_when_it_removed_every_word)
{
    char *tmp = test_tmpdir();
    char *docs = test_write(tmp, "docs.txt", "the and of\nit is a\n", 19);
    char *out = lab_path_join(tmp, "m");
    expect(RUN("tfidf", "matrix", "--docs", docs, "--stop-words", "english", "--out", out), 1,
           "hint: --stop-words removed every word");
    free(out);
    free(docs);
    free(tmp);
}

// --- charts -------------------------------------------------------------------------------------

// counts of lines of path starting (first != 0) or ending with the character c
static long count_lines(const char *path, char c, int first)
{
    char *text = slurp(path);
    long n = 0;
    for (char *line = text; *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len > 0 && (first ? line[0] : line[len - 1]) == c) {
            n++;
        }
        line = end ? end + 1 : line + len;
    }
    free(text);
    return n;
}

Test(clarity, bigram_chart_counts_match_a_count_of_the_training_file)
{
    char *tmp = test_tmpdir();
    char *run = lab_path_join(tmp, "b");
    Run r = RUN("ngram", "train", "--dataset", "names", "--order", "2", "--out", run, "--plot",
                "none", "--samples", "0");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_not_null(strstr(r.out, "zipf bigrams)"), "%s", r.out);
    run_free(&r);
    char *dat_path = lab_path_join(run, "bigrams.dat");
    char *dat = slurp(dat_path);
    cr_assert_not_null(strstr(dat, "# row 0: <s>\n"), "%s", dat);
    cr_assert_not_null(strstr(dat, "# row 1: a\n"), "%s", dat);
    cr_assert_not_null(strstr(dat, "# col 0: a\n"), "%s", dat);
    cr_assert_not_null(strstr(dat, "# col 26: </s>\n"), "%s", dat);
    // rows 0 (<s>) and 1 (a): the first two lines of numbers
    double cells[2][27];
    int row = 0;
    for (char *line = dat; *line && row < 2;) {
        char *end = strchr(line, '\n');
        if (line[0] != '#') {
            char *p = line;
            for (int c = 0; c < 27; c++) {
                cells[row][c] = strtod(p, &p);
            }
            row++;
        }
        line = end ? end + 1 : line + strlen(line);
    }
    char *train = test_path("datasets/names/train.txt");
    long starts_a = count_lines(train, 'a', 1), ends_a = count_lines(train, 'a', 0);
    cr_assert_eq((long)cells[0][0], starts_a, "c(<s> a) = %g, but %ld names start with a",
                 cells[0][0], starts_a);
    cr_assert_eq((long)cells[1][26], ends_a, "c(a </s>) = %g, but %ld names end with a",
                 cells[1][26], ends_a);
    char *gp_path = lab_path_join(run, "bigrams.gp");
    char *gp = slurp(gp_path);
    cr_assert_not_null(strstr(gp, "'previous character'"), "%s", gp);
    cr_assert_not_null(strstr(gp, "'next character'"), "%s", gp);
    cr_assert_not_null(strstr(gp, "names: bigram counts"), "%s", gp);
    free(gp);
    free(gp_path);
    free(train);
    free(dat);
    free(dat_path);
    free(run);
    free(tmp);
}

Test(clarity, zipf_draws_every_order_the_model_has)
{
    char *tmp = test_tmpdir();
    char *run = lab_path_join(tmp, "z");
    expect(RUN("ngram", "train", "--dataset", "names", "--order", "5", "--out", run, "--plot",
               "none", "--samples", "0"), 0, NULL);
    char *dat_path = lab_path_join(run, "zipf.dat");
    char *dat = slurp(dat_path);
    cr_assert_not_null(strstr(dat, "# series: 5-grams"), "%s", dat);
    free(dat);
    expect(RUN("ngram", "train", "--dataset", "names", "--order", "1", "--out", run, "--plot",
               "none", "--samples", "0", "--force"), 0, NULL);
    dat = slurp(dat_path);
    cr_assert_not_null(strstr(dat, "# series: unigrams"), "%s", dat);
    cr_assert_null(strstr(dat, "bigrams"), "a unigram model drew bigrams:\n%s", dat);
    free(dat);
    free(dat_path);
    free(run);
    free(tmp);
}

Test(clarity, generate_refuses_count_for_a_stream_model)
{
    char *tmp = test_tmpdir();
    char *run = lab_path_join(tmp, "s");
    expect(RUN("ngram", "train", "--dataset", "names", "--unit", "stream", "--order", "2",
               "--out", run, "--plot", "none", "--samples", "0"), 0, NULL);
    expect(RUN("ngram", "generate", "--model", run, "--count", "3"), 2,
           "--count draws sequences of a line model");
    expect(RUN("ngram", "generate", "--model", run, "--tokens", "5"), 0, NULL);
    free(run);
    free(tmp);
}
