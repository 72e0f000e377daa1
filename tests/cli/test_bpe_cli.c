// test_bpe_cli.c: lmlab tokenize --tokenizer bpe end to end: train, encode, decode, print
// tokens, and the mistakes a user can make.
#include "tests/cli/cli.h"

Test(bpe_cli, trains_saves_and_reports_the_compression)
{
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "tok");
    Run r = RUN("tokenize", "--tokenizer", "bpe", "--train-vocab", "300", "--dataset",
                "timemachine", "--out", out);
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    cr_assert(strstr(r.out, "vocabulary: 300 tokens = 256 bytes + 43 merges + 1 special"),
              "%s", r.out);
    cr_assert(strstr(r.out, "bytes/token"), "%s", r.out);
    cr_assert_eq(count_entries(out), 2, "merges.txt and vocab.txt, no temporary left");
    char *m = lab_path_join(out, "merges.txt");
    char *s = slurp(m);
    cr_assert(strncmp(s, "lmlab bpe v1\nsplit gpt2\nmerges 43\nspecial 1\n", 44) == 0, "%s", s);
    free(s);
    free(m);
    run_free(&r);
    free(out);
    free(dir);
}

Test(bpe_cli, encode_then_decode_gives_the_bytes_back)
{
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "tok");
    expect(RUN("tokenize", "--tokenizer", "bpe", "--train-vocab", "400", "--train",
               "tests/fixtures/bpe/timemachine_512/input.txt", "--out", out),
           0, NULL);
    const char text[] = "The Time Traveller\r\n\xFF\xFEodd bytes\t\xE6\x98 and 春\n\nend";
    char *in = test_write(dir, "in.txt", text, sizeof text - 1);
    Run e = RUN("tokenize", "--tokenizer", "bpe", "--vocab", out, "--encode", in);
    cr_assert_eq(e.status, 0, "stderr:\n%s", e.err);
    cr_assert(strchr(e.out, '\n') < e.out + strlen(e.out) - 1, "a line break after '\\n'");
    char *ids = test_write(dir, "ids.txt", e.out, strlen(e.out));
    Run d = RUN("tokenize", "--tokenizer", "bpe", "--vocab", out, "--decode", ids);
    cr_assert_eq(d.status, 0, "stderr:\n%s", d.err);
    cr_assert_str_eq(d.out, text);
    run_free(&d);
    run_free(&e);
    free(ids);
    free(in);
    free(out);
    free(dir);
}

Test(bpe_cli, file_prints_one_escaped_token_a_line)
{
    Run r = RUN("tokenize", "--tokenizer", "bpe", "--vocab", "tests/fixtures/bpe/timemachine_512",
                "--file", "tests/fixtures/bpe/timemachine_512/input.txt");
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    // minbpe's ids of the first chunks are 390 317 327 434: The, " Time", " M", achine
    const char *want = "The\n\\sTime\n\\sM\nachine\n";
    cr_assert(strncmp(r.out, want, strlen(want)) == 0, "%.80s", r.out);
    run_free(&r);
}

Test(bpe_cli, options_that_do_not_go_together_are_usage_errors)
{
    const char *v = "tests/fixtures/bpe/timemachine_512";
    const char *f = "tests/fixtures/bpe/timemachine_512/input.txt";
    expect(RUN("tokenize", "--tokenizer", "bpe", "--file", f), 2, "needs --vocab DIR");
    expect(RUN("tokenize", "--tokenizer", "bpe", "--vocab", v, "--file", f, "--lowercase"), 2,
           "--lowercase does not apply to --tokenizer bpe");
    expect(RUN("tokenize", "--file", f, "--encode", f), 2, "--encode goes with --tokenizer bpe");
    expect(RUN("tokenize", "--tokenizer", "bpe", "--vocab", v, "--encode", f, "--decode", f), 2,
           "exactly one of");
    expect(RUN("tokenize", "--tokenizer", "bpe", "--train-vocab", "100", "--train", f, "--out",
               "x"),
           2, "--train-vocab");
    expect(RUN("tokenize", "--tokenizer", "bpe", "--train-vocab", "300", "--train", f), 2,
           "--out DIR");
    expect(RUN("tokenize", "--tokenizer", "bpe", "--vocab", v, "--out", "x", "--file", f), 2,
           "go with --train-vocab");
}

Test(bpe_cli, bad_inputs_fail_with_the_file_and_line)
{
    char *dir = test_tmpdir();
    const char *v = "tests/fixtures/bpe/timemachine_512";
    char *ids = test_write(dir, "ids.txt", "1 2 3\n4 99999 5\n", 16);
    expect(RUN("tokenize", "--tokenizer", "bpe", "--vocab", v, "--decode", ids), 1,
           "line 2: '99999' is not a token id of this vocabulary (0 to 511)");
    char *junk = test_write(dir, "junk.txt", "12 x3\n", 6);
    expect(RUN("tokenize", "--tokenizer", "bpe", "--vocab", v, "--decode", junk), 1,
           "line 1: 'x3'");
    expect(RUN("tokenize", "--tokenizer", "bpe", "--vocab", dir, "--encode", ids), 1,
           "merges.txt");
    char *bad = lab_path_join(dir, "bad");
    mkdir(bad, 0755);
    const char *bm = "lmlab bpe v1\nsplit gpt2\nmerges 1\nspecial 0\n97 256 256\n";
    char *m = test_write(bad, "merges.txt", bm, strlen(bm));
    expect(RUN("tokenize", "--tokenizer", "bpe", "--vocab", bad, "--encode", ids), 1,
           "line 5: '97 256 256' is not a merge");
    char *empty = test_write(dir, "empty.txt", "", 0);
    char *out = lab_path_join(dir, "tok");
    expect(RUN("tokenize", "--tokenizer", "bpe", "--train-vocab", "300", "--train", empty,
               "--out", out),
           1, "is empty");
    cr_assert(!test_exists(out), "nothing written after a failure");
    free(out);
    free(empty);
    free(m);
    free(bad);
    free(junk);
    free(ids);
    free(dir);
}
