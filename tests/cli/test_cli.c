// test_cli.c: the lmlab program end to end, as a user runs it.
//
// Each test runs the binary named by $LMLAB (make sets it) with its output captured to files,
// and checks the exit status, the message and that no partial output file is left.
#include "tests/cli/cli.h"

// --- usage --------------------------------------------------------------------------------------

Test(cli, no_arguments_prints_usage_and_exits_2)
{
    expect(RUN("--version-not"), 2, "unknown command");
    Run r = run_in(NULL, (const char *const[]){NULL});
    expect(r, 2, "usage: lmlab");
}

Test(cli, help_exits_0_and_lists_every_option_with_its_default)
{
    Run r = RUN("ngram", "train", "--help");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "--order N"));
    cr_assert(strstr(r.out, "(default 3)"));
    cr_assert(strstr(r.out, "--smoothing mle|laplace|addk|interp|kn"));
    run_free(&r);
}

Test(cli, bad_options_are_usage_errors)
{
    expect(RUN("ngram", "train", "--dataset", "names", "--order", "0"), 2, "--order");
    expect(RUN("ngram", "train", "--dataset", "names", "--order", "7"), 2, "between 1 and 6");
    expect(RUN("ngram", "train", "--dataset", "names", "--k", "0", "--smoothing", "addk"), 2,
           "--k must be greater than 0");
    expect(RUN("ngram", "train", "--dataset", "names", "--k", "-1"), 2, "--k");
    expect(RUN("ngram", "train", "--dataset", "names", "--smoothing", "magic"), 2,
           "unknown value 'magic' for --smoothing");
    expect(RUN("ngram", "train", "--dataset", "names", "--tokenizer", "bpe9"), 2,
           "unknown value 'bpe9' for --tokenizer");
    expect(RUN("ngram", "train", "--dataset", "names", "--order", "x3"), 2, "whole number");
    expect(RUN("ngram", "train", "--dataset", "names", "--bogus"), 2, "unknown option '--bogus'");
    expect(RUN("ngram", "train"), 2, "say what to train on");
    expect(RUN("ngram", "train", "--dataset", "names", "--tokenizer", "word", "--pattern", "a(b"),
           2, "at offset 3");
    expect(RUN("ngram", "frobnicate"), 2, "unknown verb");
    expect(RUN("ngram", "eval", "--model", "x"), 2, "--data FILE, --split NAME and --text TEXT");
}

// --- bad input files ----------------------------------------------------------------------------

Test(cli, bad_training_files_fail_with_one_clear_message)
{
    char *dir = test_tmpdir();
    char *empty = test_write(dir, "empty.txt", "", 0);
    char *bin = test_write(dir, "bin.txt", "ab\0\1\2", 5);
    char *bad = test_write(dir, "bad.txt", "abc\n\xC3(x\n", 7);
    char *out = lab_path_join(dir, "run");
    expect(RUN("ngram", "train", "--train", "/nonexistent/x.txt", "--out", out), 1,
           "cannot open '/nonexistent/x.txt'");
    expect(RUN("ngram", "train", "--train", empty, "--out", out), 1, "is empty");
    expect(RUN("ngram", "train", "--train", bin, "--out", out), 1, "looks binary");
    expect(RUN("ngram", "train", "--train", dir, "--out", out), 1, "is a directory");
    expect(RUN("ngram", "train", "--train", bad, "--out", out), 1, "offset 4, line 2");
    cr_assert(!test_exists(out), "a failed run leaves no run directory");
    expect(RUN("ngram", "train", "--train", bad, "--utf8", "replace", "--out", out, "--plot",
               "none"),
           0, NULL);
    free(empty);
    free(bin);
    free(bad);
    free(out);
    free(dir);
}

Test(cli, unwritable_out_fails_and_leaves_no_partial_file)
{
    char *dir = test_tmpdir();
    char *file = test_write(dir, "f", "x", 1);
    char *out = lab_path_join(file, "run"); // a directory under a regular file
    expect(RUN("ngram", "train", "--dataset", "names", "--order", "2", "--out", out), 1,
           "cannot create directory");
    cr_assert_eq(count_entries(dir), 1, "nothing but the file itself");
    free(out);
    free(file);
    free(dir);
}

Test(cli, malformed_arpa_fails_naming_the_file_and_line)
{
    char *arpa = test_path("tests/fixtures/bad_arpa/truncated.arpa");
    char *data = test_path("datasets/names/valid.txt");
    expect(RUN("ngram", "eval", "--arpa", arpa, "--data", data), 1, "truncated.arpa' line");
    free(arpa);
    free(data);
}

// --- train, eval, generate: the student's path ----------------------------------------------------

Test(cli, train_eval_generate_on_names, .timeout = 60)
{
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "run");
    Run r = RUN("ngram", "train", "--dataset", "names", "--order", "3", "--smoothing", "kn",
                "--out", out, "--plot", "none");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "valid  loss"));
    run_free(&r);
    const char *files[] = {"model.arpa", "vocab.txt", "config", "log.tsv", "samples.txt",
                           "zipf.dat", "zipf.gp"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char *p = lab_path_join(out, files[i]);
        cr_assert(test_exists(p), "%s missing", files[i]);
        free(p);
    }
    r = RUN("ngram", "eval", "--model", out, "--split", "test", "--json");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"family\": \"ngram\""));
    cr_assert(strstr(r.out, "\"split\": \"test\""));
    cr_assert(strstr(r.out, "\"tokens\": 7170"), "%s", r.out);
    double ppl = atof(strstr(r.out, "\"ppl\": ") + 7);
    cr_assert(ppl > 5 && ppl < 12, "a 3-gram KN model of names has ppl near 9, got %f", ppl);
    run_free(&r);
    // same seed, same text; another seed, other text
    Run a = RUN("ngram", "generate", "--model", out, "--seed", "7", "--count", "5");
    Run b = RUN("ngram", "generate", "--model", out, "--seed", "7", "--count", "5");
    Run c = RUN("ngram", "generate", "--model", out, "--seed", "8", "--count", "5");
    cr_assert_eq(a.status, 0, "%s", a.err);
    cr_assert_str_eq(a.out, b.out);
    cr_assert_str_neq(a.out, c.out);
    run_free(&a);
    run_free(&b);
    run_free(&c);
    free(out);
    free(dir);
}

Test(cli, mle_reports_infinite_perplexity_and_the_zero_count)
{
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "run");
    Run r = RUN("ngram", "train", "--dataset", "names", "--order", "5", "--smoothing", "mle",
                "--out", out, "--plot", "none");
    cr_assert_eq(r.status, 0, "%s", r.err);
    // the line names the smoothing that was used (the count is chapter 1's table, order 5)
    cr_assert(strstr(r.out, "887 of 7179 valid tokens have probability zero under mle\n"), "%s",
              r.out);
    run_free(&r);
    r = RUN("ngram", "eval", "--model", out, "--split", "test");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "ppl        inf"), "%s", r.out);
    cr_assert(strstr(r.out, "tokens have probability 0"));
    run_free(&r);
    r = RUN("ngram", "eval", "--model", out, "--split", "test", "--json");
    cr_assert(strstr(r.out, "\"ppl\": null"), "%s", r.out);
    run_free(&r);
    free(out);
    free(dir);
}

Test(cli, tokenize_prints_what_the_model_sees)
{
    char *dir = test_tmpdir();
    char *f = test_write(dir, "t.txt", "Hi, 春天!\n\nab c\n", strlen("Hi, 春天!\n\nab c\n"));
    Run r = RUN("tokenize", "--file", f, "--tokenizer", "word", "--lowercase");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "hi\n,\n春\n天\n!\n</s>\nab\nc\n</s>\n");
    run_free(&r);
    r = RUN("tokenize", "--file", f, "--unit", "stream");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "H\ni\n,\n\\s\n春\n"), "%s", r.out);
    run_free(&r);
    free(f);
    free(dir);
}

Test(cli, sweep_picks_the_best_on_valid_and_reports_test, .timeout = 120)
{
    char *dir = test_tmpdir();
    Run r = RUN("ngram", "sweep", "--dataset", "names", "--orders", "1-3", "--smoothings",
                "laplace,kn", "--out", dir, "--plot", "none");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "best on valid: 3-gram kn"), "%s", r.out);
    cr_assert(strstr(r.out, "test:"));
    run_free(&r);
    char *tsv = lab_path_join(dir, "sweep.tsv");
    cr_assert(test_exists(tsv));
    free(tsv);
    free(dir);
}

Test(cli, samples_written_at_training_are_what_generate_draws_with_the_seed, .timeout = 60)
{
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "run");
    Run r = RUN("ngram", "train", "--dataset", "timemachine", "--tokenizer", "word", "--order",
                "2", "--smoothing", "laplace", "--out", out, "--plot", "none", "--samples", "10",
                "--seed", "99");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN("ngram", "generate", "--model", out, "--seed", "99", "--count", "10");
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *samples_path = lab_path_join(out, "samples.txt");
    char *samples = slurp(samples_path);
    cr_assert_str_eq(r.out, samples, "samples.txt must be reproducible with generate --seed");
    free(samples);
    free(samples_path);
    run_free(&r);
    free(out);
    free(dir);
}

Test(cli, a_pattern_that_matches_nothing_is_an_error_in_line_unit_too)
{
    char *dir = test_tmpdir();
    char *f = test_write(dir, "abc.txt", "abc\ndef\n", 8);
    char *out = lab_path_join(dir, "run");
    expect(RUN("ngram", "train", "--train", f, "--tokenizer", "word", "--pattern", "[0-9]+",
               "--out", out),
           1, "has no tokens");
    cr_assert(!test_exists(out));
    free(out);
    free(f);
    free(dir);
}

Test(cli, sweep_json_is_one_object, .timeout = 60)
{
    char *dir = test_tmpdir();
    Run r = RUN("ngram", "sweep", "--dataset", "names", "--orders", "2", "--smoothings", "kn",
                "--json", "--out", dir, "--plot", "none");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_eq(r.out[0], '{', "stdout must start with the object: %s", r.out);
    cr_assert_not_null(strstr(r.out, "\"order\": 2"));
    cr_assert_eq(strchr(r.out, '\n') - r.out + 1, (long)strlen(r.out), "one line only");
    run_free(&r);
    free(dir);
}
