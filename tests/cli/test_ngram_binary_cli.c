// test_ngram_binary_cli.c: model.bin as a student meets it: written by `ngram train`, read by
// `ngram eval` and `ngram generate` before model.arpa, made from any ARPA file by `ngram binary`,
// and refused with a message naming the file when it is damaged.
#include "tests/cli/cli.h"

// a char 3-gram of the names corpus in dir/run
static char *train_run(char **dir_out)
{
    char *train;
    char *dir = names_corpus(&train, NULL);
    char *run = lab_path_join(dir, "run");
    Run r = RUN("ngram", "train", "--train", train, "--order", "3", "--smoothing", "kn",
                "--plot", "none", "--out", run);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "model.bin"), "the summary does not name model.bin:\n%s", r.out);
    run_free(&r);
    free(train);
    *dir_out = dir;
    return run;
}

Test(ngram_binary_cli, eval_reports_the_same_loss_from_model_bin_and_model_arpa)
{
    char *dir;
    char *run = train_run(&dir);
    char *bin = lab_path_join(run, "model.bin");
    char *valid = names_corpus(NULL, NULL);
    char *data = lab_path_join(valid, "valid.txt");
    cr_assert(test_exists(bin));
    Run a = RUN("ngram", "eval", "--model", run, "--data", data, "--json");
    cr_assert_eq(a.status, 0, "%s", a.err);
    char *moved = lab_asprintf("%s.away", bin);
    cr_assert_eq(rename(bin, moved), 0);
    Run b = RUN("ngram", "eval", "--model", run, "--data", data, "--json");
    cr_assert_eq(b.status, 0, "%s", b.err);
    // the floats of model.bin: 1e-6 relative (docs/formats.md)
    cr_assert(test_rel_eq(json_num(a.out, "loss"), json_num(b.out, "loss"), 1e-6),
              "loss %.12g from model.bin, %.12g from model.arpa", json_num(a.out, "loss"),
              json_num(b.out, "loss"));
    cr_assert_eq(json_num(a.out, "tokens"), json_num(b.out, "tokens"));
    cr_assert_eq(json_num(a.out, "zero_prob"), json_num(b.out, "zero_prob"));
    // the converter makes the same file from the ARPA file as training did
    char *arpa = lab_path_join(run, "model.arpa");
    Run c = RUN("ngram", "binary", "--arpa", arpa, "--out", bin);
    cr_assert_eq(c.status, 0, "%s", c.err);
    cr_assert(strstr(c.out, "bytes per n-gram"), "%s", c.out);
    run_free(&c);
    Run d = RUN("ngram", "eval", "--model", run, "--data", data, "--json");
    cr_assert_eq(d.status, 0, "%s", d.err);
    cr_assert_eq(json_num(d.out, "loss"), json_num(a.out, "loss"));
    // and eval --arpa takes the binary file too
    Run e = RUN("ngram", "eval", "--arpa", bin, "--tokenizer", "char", "--data", data, "--json");
    cr_assert_eq(e.status, 0, "%s", e.err);
    cr_assert_eq(json_num(e.out, "loss"), json_num(a.out, "loss"));
    run_free(&a);
    run_free(&b);
    run_free(&d);
    run_free(&e);
    free(arpa);
    free(moved);
    free(data);
    free(valid);
    free(bin);
    free(run);
    free(dir);
}

Test(ngram_binary_cli, generate_draws_the_same_text_from_either_file)
{
    char *dir;
    char *run = train_run(&dir);
    char *bin = lab_path_join(run, "model.bin");
    Run a = RUN("ngram", "generate", "--model", run, "--count", "5", "--seed", "3");
    cr_assert_eq(a.status, 0, "%s", a.err);
    cr_assert_eq(unlink(bin), 0);
    Run b = RUN("ngram", "generate", "--model", run, "--count", "5", "--seed", "3");
    cr_assert_eq(b.status, 0, "%s", b.err);
    cr_assert_str_eq(a.out, b.out);
    run_free(&a);
    run_free(&b);
    free(bin);
    free(run);
    free(dir);
}

Test(ngram_binary_cli, damaged_model_bin_is_refused_naming_the_file)
{
    char *dir;
    char *run = train_run(&dir);
    char *bin = lab_path_join(run, "model.bin");
    cr_assert_eq(truncate(bin, 1000), 0);
    expect(RUN("ngram", "eval", "--model", run, "--text", "anna"), 1, "model.bin' is 1000 bytes");
    expect(RUN("ngram", "generate", "--model", run), 1, "truncated");
    FILE *f = fopen(bin, "r+b");
    cr_assert_not_null(f);
    fputc('X', f);
    fclose(f);
    expect(RUN("ngram", "eval", "--model", run, "--text", "anna"), 1,
           "is not an lmlab binary model");
    free(bin);
    free(run);
    free(dir);
}

Test(ngram_binary_cli, binary_verb_usage_and_bad_input)
{
    expect(RUN("ngram", "binary"), 2, "give --arpa FILE and --out FILE");
    expect(RUN("ngram", "binary", "--arpa", "tests/fixtures/tiny.arpa"), 2, "--out");
    expect(RUN("ngram", "binary", "--arpa", "no/such.arpa", "--out", "x.bin"), 1,
           "cannot open 'no/such.arpa'");
    char *d = test_tmpdir();
    char *out = lab_path_join(d, "bad.bin");
    expect(RUN("ngram", "binary", "--arpa", "tests/fixtures/bad_arpa/duplicate.arpa", "--out",
               out),
           1, "duplicate.arpa");
    cr_assert(!test_exists(out), "a refused ARPA file left an output");
    char *tiny = lab_path_join(d, "tiny.bin");
    Run r = RUN("ngram", "binary", "--arpa", "tests/fixtures/tiny.arpa", "--out", tiny);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    expect(RUN("ngram", "binary", "--arpa", tiny, "--out", out), 2, "is a binary model already");
    free(tiny);
    free(out);
    free(d);
}
