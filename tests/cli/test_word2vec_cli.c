// test_word2vec_cli.c: `lmlab word2vec` end to end, as a user runs it.
//
// Each test runs the binary named by $LMLAB (make sets it) with its output captured to files,
// and checks the exit status, the messages and the files of the run directory.
#include "tests/cli/cli.h"


// unit vectors of man, woman, king, queen and apple, as in the unit tests
static const char *HAND_VECTORS = "5 3\n"
                                  "man 1 0 0\n"
                                  "woman 0 1 0\n"
                                  "king 1 0 1\n"
                                  "queen 0 1 1\n"
                                  "apple 0.2 0.2 -1\n";

// --- usage ------------------------------------------------------------------------------------

Test(word2vec_cli, help_lists_every_option_with_its_default)
{
    Run r = RUN("word2vec", "train", "--help");
    cr_assert_eq(r.status, 0);
    const char *want[] = {"--model skipgram|cbow", "--dim D", "(default 100)", "--window N",
                          "--negative K", "--sample S", "(default 0.001)", "--min-count N",
                          "--epochs N", "--alpha A", "--threads N", "--seed S", "--hogwild",
                          "--words", "--plot png|dumb|none", "--out DIR"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        cr_assert(strstr(r.out, want[i]), "--help lacks '%s':\n%s", want[i], r.out);
    }
    run_free(&r);
    r = RUN("word2vec", "--help");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "similar") && strstr(r.out, "analogy"));
    run_free(&r);
    r = RUN("--help");
    cr_assert(strstr(r.out, "word2vec train"), "lmlab --help lists word2vec:\n%s", r.out);
    run_free(&r);
}

Test(word2vec_cli, bad_options_are_usage_errors)
{
    expect(RUN("word2vec"), 2, "usage: lmlab word2vec");
    expect(RUN("word2vec", "frobnicate"), 2, "unknown verb 'word2vec frobnicate'");
    expect(RUN("word2vec", "train"), 2, "say what to train on");
    expect(RUN("word2vec", "train", "--dataset", "timemachine", "--train", "x"), 2,
           "not both");
    expect(RUN("word2vec", "train", "--dataset", "nosuch"), 2, "no dataset 'nosuch'");
    expect(RUN("word2vec", "train", "--dataset", "../x"), 2, "not a path");
    expect(RUN("word2vec", "train", "--dataset", "timemachine", "--dim", "0"), 2, "--dim");
    expect(RUN("word2vec", "train", "--dataset", "timemachine", "--window", "0"), 2,
           "--window");
    expect(RUN("word2vec", "train", "--dataset", "timemachine", "--negative", "x"), 2,
           "whole number");
    expect(RUN("word2vec", "train", "--dataset", "timemachine", "--sample", "2"), 2,
           "--sample");
    expect(RUN("word2vec", "train", "--dataset", "timemachine", "--model", "glove"), 2,
           "unknown value 'glove' for --model");
    expect(RUN("word2vec", "train", "--dataset", "timemachine", "--alpha", "-1"), 2,
           "--alpha expects a learning rate");
    expect(RUN("word2vec", "train", "--dataset", "timemachine", "--alpha", "fast"), 2,
           "--alpha expects a learning rate");
    expect(RUN("word2vec", "train", "--dataset", "timemachine", "--threads", "0"), 2,
           "--threads");
    expect(RUN("word2vec", "similar", "king"), 2, "--vectors FILE is required");
    expect(RUN("word2vec", "similar", "--vectors", "v.txt"), 2, "missing argument");
    expect(RUN("word2vec", "similar", "--vectors", "v.txt", "a", "b"), 2, NULL);
    expect(RUN("word2vec", "similar", "--vectors", "v.txt", "--k", "0", "a"), 2, "--k");
    expect(RUN("word2vec", "analogy", "--vectors", "v.txt", "a", "b"), 2, "missing argument");
}

// --- training ---------------------------------------------------------------------------------

static char *train_small(const char *dir, const char *name, const char *seed)
{
    char *out = lab_path_join(dir, name);
    Run r = RUN("word2vec", "train", "--dataset", "timemachine", "--dim", "20", "--epochs", "2",
                "--threads", "2", "--seed", seed, "--out", out, "--plot", "none", "--words",
                "time,traveller,nosuchword,machine,the");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "trained skip-gram on"), "%s", r.out);
    cr_assert(strstr(r.out, "epoch 2  loss"), "%s", r.out);
    cr_assert(strstr(r.err, "'nosuchword' is not in the vocabulary"), "%s", r.err);
    run_free(&r);
    return out;
}

Test(word2vec_cli, train_writes_the_run_directory_and_repeats_exactly, .timeout = 120)
{
    char *dir = test_tmpdir();
    char *a = train_small(dir, "a", "7");
    const char *files[] = {"vectors.txt", "config", "log.tsv", "pca.dat", "pca.gp"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char *p = lab_path_join(a, files[i]);
        cr_assert(test_exists(p), "%s missing", files[i]);
        free(p);
    }
    char *vp = lab_path_join(a, "vectors.txt");
    char *va = slurp(vp);
    long V = 0, D = 0;
    cr_assert_eq(sscanf(va, "%ld %ld", &V, &D), 2);
    cr_assert(V > 500 && D == 20, "header '%ld %ld'", V, D);
    cr_assert(strstr(va, "\nthe "), "the word 'the' has a vector");

    char *lp = lab_path_join(a, "log.tsv");
    char *log = slurp(lp);
    const char *head = "step\ttokens\ttrain_loss\tvalid_loss\tvalid_ppl\tlr\ttokens_per_s\tepoch"
                       "\tpairs\n1\t";
    cr_assert(strncmp(log, head, strlen(head)) == 0, "%s", log);
    free(log);
    free(lp);
    char *cp = lab_path_join(a, "config");
    char *cfg = slurp(cp);
    cr_assert(strstr(cfg, "model = skipgram") && strstr(cfg, "seed = 7") &&
                  strstr(cfg, "threads = 2") && strstr(cfg, "lowercase = 1"),
              "%s", cfg);
    free(cfg);
    free(cp);
    char *gp = lab_path_join(a, "pca.gp");
    char *gps = slurp(gp);
    // four words, four labels: they are far apart in a chart of four points
    const char *words[] = {"time", "traveller", "machine", "the"};
    for (int i = 0; i < 4; i++) {
        char *want = lab_asprintf("set label '%s' at ", words[i]);
        cr_assert(strstr(gps, want), "no label for '%s':\n%s", words[i], gps);
        free(want);
    }
    cr_assert(strstr(gps, "(0 of 4 words are left unlabelled"), "%s", gps);
    free(gps);
    free(gp);

    // the same seed and threads: the same bytes; another seed: other vectors
    char *b = train_small(dir, "b", "7");
    char *c = train_small(dir, "c", "8");
    char *vbp = lab_path_join(b, "vectors.txt"), *vcp = lab_path_join(c, "vectors.txt");
    char *vb = slurp(vbp), *vc = slurp(vcp);
    cr_assert(strcmp(va, vb) == 0, "seed 7 twice: identical vectors.txt");
    cr_assert(strcmp(va, vc) != 0, "seed 8: different vectors.txt");
    free(va);
    free(vb);
    free(vc);
    free(vp);
    free(vbp);
    free(vcp);
    free(a);
    free(b);
    free(c);
    free(dir);
}

Test(word2vec_cli, cbow_trains_and_draws_the_chart, .timeout = 120)
{
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "cbow");
    Run r = RUN("word2vec", "train", "--dataset", "timemachine", "--model", "cbow", "--dim", "16",
                "--epochs", "1", "--threads", "1", "--out", out);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "trained CBOW"), "%s", r.out);
    cr_assert(strstr(r.out, "alpha 0.05"), "CBOW's default rate is 0.05:\n%s", r.out);
    run_free(&r);
    char *dat = lab_path_join(out, "pca.dat");
    char *d = slurp(dat);
    int lines = 0;
    for (char *p = d; *p; p++) {
        lines += *p == '\n';
    }
    cr_assert_eq(lines, 32, "two comment lines and the 30 most frequent words:\n%s", d);
    free(d);
    char *png = lab_path_join(out, "pca.png");
    char *probe = lab_strdup("command -v gnuplot >/dev/null 2>&1");
    if (system(probe) == 0) {
        cr_assert(test_exists(png), "gnuplot is installed: pca.png is drawn");
    }
    free(probe);
    free(png);
    free(dat);
    free(out);
    free(dir);
}

Test(word2vec_cli, training_on_nothing_fails_clearly)
{
    char *dir = test_tmpdir();
    char *empty = test_write(dir, "empty.txt", "", 0);
    char *rare = test_write(dir, "rare.txt", "one two three\n", 14);
    char *out = lab_path_join(dir, "run");
    expect(RUN("word2vec", "train", "--train", empty, "--out", out), 1, "is empty");
    expect(RUN("word2vec", "train", "--train", rare, "--out", out), 1,
           "has no word seen --min-count 5 times");
    expect(RUN("word2vec", "train", "--train", "/nonexistent/x.txt", "--out", out), 1,
           "cannot open '/nonexistent/x.txt'");
    cr_assert(!test_exists(out), "a failed run leaves no run directory");
    free(empty);
    free(rare);
    free(out);
    free(dir);
}

// --- similar and analogy ----------------------------------------------------------------------

Test(word2vec_cli, similar_and_analogy_answer_by_cosine)
{
    char *dir = test_tmpdir();
    char *v = test_write(dir, "vectors.txt", HAND_VECTORS, strlen(HAND_VECTORS));
    Run r = RUN("word2vec", "similar", "--vectors", v, "--k", "3", "king");
    cr_assert_eq(r.status, 0, "%s", r.err);
    // cos(king, man) = 0.7071, cos(king, queen) = 0.5, cos(king, woman) = 0
    const char *want = "   1  man                    0.7071\n"
                       "   2  queen                  0.5000\n"
                       "   3  woman                  0.0000\n";
    cr_assert(strstr(r.out, want), "expected\n%s\ngot\n%s", want, r.out);
    run_free(&r);
    // a run directory works as well as the file
    r = RUN("word2vec", "analogy", "--vectors", dir, "man", "king", "woman");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "   1  queen "), "%s", r.out);
    const char *list = strchr(r.out, '\n'); // the answers, after the heading
    cr_assert(list && !strstr(list, " king ") && !strstr(list, " man ") &&
                  !strstr(list, " woman "),
              "a, b, c left out:\n%s", r.out);
    run_free(&r);
    free(v);
    free(dir);
}

Test(word2vec_cli, unknown_words_fail_with_a_hint)
{
    char *dir = test_tmpdir();
    char *v = test_write(dir, "vectors.txt", HAND_VECTORS, strlen(HAND_VECTORS));
    Run r = RUN("word2vec", "similar", "--vectors", v, "King");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "'King' is not in the vocabulary of"), "%s", r.err);
    cr_assert(strstr(r.err, "try 'king'"), "%s", r.err);
    run_free(&r);
    expect(RUN("word2vec", "analogy", "--vectors", v, "man", "king", "duchess"), 1,
           "'duchess' is not in the vocabulary");
    expect(RUN("word2vec", "similar", "--vectors", "/nonexistent.txt", "king"), 1,
           "cannot open '/nonexistent.txt'");
    free(v);
    free(dir);
}

Test(word2vec_cli, malformed_vectors_files_fail_without_crashing)
{
    const char *bad[][2] = {
        {"", "is empty"},
        {"5 3\nman 1 0 0\n", "header promises 5 vectors"},
        {"2 3\nman 1 0 0\nwoman 1 0\n", "line 3: 'woman' has 2 values"},
        {"2 3\nman 1 0 0\nman 0 1 0\n", "line 3: 'man' appears twice"},
        {"2 3\nman 1 0 0\nwoman 1 zero 0\n", "line 3: value 2 of 'woman' is not a finite"},
        {"a b c\n", "line 1: expected a header"},
    };
    char *dir = test_tmpdir();
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char *v = test_write(dir, "v.txt", bad[i][0], strlen(bad[i][0]));
        Run r = RUN("word2vec", "similar", "--vectors", v, "man");
        cr_assert_eq(r.status, 1, "case %zu: status %d\n%s", i, r.status, r.err);
        cr_assert(strstr(r.err, "v.txt'"), "case %zu names the file:\n%s", i, r.err);
        cr_assert(strstr(r.err, bad[i][1]), "case %zu: expected '%s' in\n%s", i, bad[i][1],
                  r.err);
        cr_assert(strlen(r.out) == 0, "case %zu: nothing on stdout", i);
        run_free(&r);
        free(v);
    }
    free(dir);
}
