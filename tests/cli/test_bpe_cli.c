// test_bpe_cli.c: lmlab tokenize --tokenizer bpe end to end: train, encode, decode, print
// tokens, and the mistakes a user can make.
#include "tests/cli/cli.h"

#include "datasets/datasets.h"

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

// --- --tokenizer bpe in the model families ----------------------------------------------------

// the number after "key": in a --json object, or -1
static double json_or(const char *json, const char *key)
{
    char *k = lab_asprintf("\"%s\": ", key);
    const char *s = strstr(json, k);
    free(k);
    return s ? strtod(s + strlen(key) + 4, NULL) : -1;
}

Test(bpe_cli, ngram_trains_on_bpe_tokens_and_keeps_the_tokenizer_in_the_run)
{
    char *dir = test_tmpdir();
    char *run = lab_path_join(dir, "bpe");
    Run r = RUN("ngram", "train", "--dataset", "timemachine", "--tokenizer", "bpe", "--bpe-vocab",
                "300", "--order", "3", "--out", run, "--plot", "none", "--quiet");
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    run_free(&r);
    char *merges = file_in(dir, "bpe", "bpe/merges.txt");
    cr_assert(test_exists(merges), "the run holds its tokenizer");
    char *cfg_path = file_in(dir, "bpe", "config"), *vocab_path = file_in(dir, "bpe", "vocab.txt");
    char *cfg = slurp(cfg_path);
    cr_assert(strstr(cfg, "tokenizer = bpe\n") && strstr(cfg, "bpe_vocab = 300\n"), "%s", cfg);
    char *vocab = slurp(vocab_path);
    cr_assert(strstr(vocab, "\t\xC4\xA0the\t"), "' the' is spelled Ġthe in vocab.txt");
    cr_assert_eq(text_count_words(vocab, strlen(vocab)), 3 * (3 + 300) + 9,
                 "three fields a line (and the 9 words of the comment), no space in a token");
    // eval and generate read the run's tokenizer back
    Run e = RUN("ngram", "eval", "--model", run, "--split", "test", "--json");
    cr_assert_eq(e.status, 0, "stderr:\n%s", e.err);
    cr_assert_eq(json_or(e.out, "oov"), 0, "byte-level BPE has no unknown token: %s", e.out);
    Run g = RUN("ngram", "generate", "--model", run, "--count", "2", "--prompt", "The Time");
    cr_assert_eq(g.status, 0, "stderr:\n%s", g.err);
    cr_assert(strncmp(g.out, "The Time", 8) == 0, "%s", g.out);
    cr_assert(!strstr(g.out, "\xC4\xA0"), "no Ġ in the text a student reads:\n%s", g.out);
    run_free(&g);
    run_free(&e);
    free(vocab);
    free(cfg);
    free(vocab_path);
    free(cfg_path);
    free(merges);
    free(run);
    free(dir);
}

// words, and so word perplexity's denominator, do not depend on the tokenizer
Test(bpe_cli, char_word_and_bpe_runs_score_the_same_words)
{
    char *dir = test_tmpdir();
    const char *tok[][4] = {{"--tokenizer", "char", "--order", "3"},
                            {"--tokenizer", "word", "--order", "2"},
                            {"--tokenizer", "bpe", "--bpe-vocab", "400"}};
    double words[3];
    for (int i = 0; i < 3; i++) {
        char *run = lab_asprintf("%s/%d", dir, i);
        Run r = RUN("ngram", "train", "--dataset", "timemachine", tok[i][0], tok[i][1], tok[i][2],
                    tok[i][3], "--out", run, "--plot", "none", "--quiet");
        cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
        run_free(&r);
        Run e = RUN("ngram", "eval", "--model", run, "--split", "test", "--json");
        cr_assert_eq(e.status, 0, "stderr:\n%s", e.err);
        words[i] = json_or(e.out, "words");
        cr_assert(json_or(e.out, "word_ppl") > 1, "%s", e.out);
        run_free(&e);
        free(run);
    }
    // `wc -w datasets/timemachine/test.txt`
    cr_assert(words[0] == 1258 && words[1] == 1258 && words[2] == 1258,
              "words: char %g, word %g, bpe %g; expected 1258 each", words[0], words[1],
              words[2]);
    free(dir);
}

// an English and Chinese line, memorised by a 6-gram: greedy generation detokenizes it back
// to the exact bytes
Test(bpe_cli, generate_gives_back_the_exact_bytes_of_english_and_chinese)
{
    char *dir = test_tmpdir();
    const char line[] = "The Time Traveller said: 床前明月光，疑是地上霜。 café\n";
    char *train = test_write(dir, "one.txt", line, sizeof line - 1);
    char *run = lab_path_join(dir, "run");
    Run r = RUN("ngram", "train", "--train", train, "--tokenizer", "bpe", "--bpe",
                "tests/fixtures/bpe/tangpoems_384", "--order", "6", "--smoothing", "mle",
                "--out", run, "--plot", "none", "--quiet", "--samples", "0");
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    run_free(&r);
    Run g = RUN("ngram", "generate", "--model", run, "--temperature", "0", "--count", "1");
    cr_assert_eq(g.status, 0, "stderr:\n%s", g.err);
    cr_assert_str_eq(g.out, line);
    run_free(&g);
    // --bpe DIR is copied: the run's tokenizer is the fixture's, merge for merge
    char *ap = file_in(dir, "run", "bpe/merges.txt");
    char *a = slurp(ap);
    char *p = test_path("tests/fixtures/bpe/tangpoems_384/merges.txt");
    char *b = slurp(p);
    cr_assert_str_eq(a, b);
    free(b);
    free(p);
    free(a);
    free(ap);
    free(run);
    free(train);
    free(dir);
}

Test(bpe_cli, mlp_trains_and_evaluates_on_bpe_tokens)
{
    char *dir = test_tmpdir();
    char *run = lab_path_join(dir, "mlp");
    Run r = RUN("mlp", "train", "--dataset", "names", "--tokenizer", "bpe", "--bpe-vocab", "280",
                "--out", run, "--steps", "20", "--batch", "8", "--embed", "4", "--hidden", "16",
                "--eval-every", "10", "--plot", "none", "--quiet", "--samples", "2");
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    run_free(&r);
    char *merges = file_in(dir, "mlp", "bpe/merges.txt");
    cr_assert(test_exists(merges));
    Run e = RUN("mlp", "eval", "--model", run, "--split", "test", "--json");
    cr_assert_eq(e.status, 0, "stderr:\n%s", e.err);
    cr_assert_eq(json_or(e.out, "oov"), 0, "%s", e.out);
    run_free(&e);
    expect(RUN("mlp", "generate", "--model", run, "--count", "2"), 0, NULL);
    free(merges);
    free(run);
    free(dir);
}

Test(bpe_cli, a_run_without_its_tokenizer_is_refused_naming_the_file)
{
    char *dir = test_tmpdir();
    char *run = lab_path_join(dir, "r");
    expect(RUN("ngram", "train", "--dataset", "names", "--tokenizer", "bpe", "--bpe-vocab", "280",
               "--order", "2", "--out", run, "--plot", "none", "--quiet"),
           0, NULL);
    char *merges = file_in(dir, "r", "bpe/merges.txt");
    char *text = slurp(merges);
    unlink(merges);
    expect(RUN("ngram", "eval", "--model", run, "--split", "test"), 1, "bpe/merges.txt'");
    char *bad = lab_strdup(text);
    *strstr(bad, "merges ") = 'M'; // the header line 3
    free(test_write(dir, "r/bpe/merges.txt", bad, strlen(bad)));
    expect(RUN("ngram", "generate", "--model", run), 1, "bpe/merges.txt' line 3");
    free(bad);
    free(text);
    free(merges);
    free(run);
    free(dir);
}

Test(bpe_cli, families_refuse_what_they_cannot_do_with_bpe)
{
    expect(RUN("ngram", "train", "--dataset", "names", "--tokenizer", "bpe"), 2,
           "--tokenizer bpe needs --bpe-vocab N");
    expect(RUN("ngram", "train", "--dataset", "names", "--bpe-vocab", "300"), 2,
           "--bpe-vocab goes with --tokenizer bpe");
    expect(RUN("mlp", "train", "--dataset", "names", "--tokenizer", "bpe", "--bpe-vocab", "300",
               "--bpe", "tests/fixtures/bpe/timemachine_512"),
           2, "not both");
    expect(RUN("rnn", "train", "--dataset", "names", "--tokenizer", "bpe", "--bpe-vocab", "300",
               "--min-count", "2"),
           2, "--min-count does not apply");
    expect(RUN("ngram", "train", "--dataset", "names", "--tokenizer", "bpe", "--bpe",
               "tests/fixtures/nosuch"),
           2, "nosuch/merges.txt");
    expect(RUN("word2vec", "train", "--dataset", "timemachine", "--tokenizer", "bpe"), 2,
           "word2vec learns a vector per word");
    expect(RUN("tfidf", "top", "--dataset", "names", "--tokenizer", "bpe"), 2,
           "tfidf weighs words or characters, not BPE pieces");
    expect(RUN("ngram", "eval", "--arpa", "tests/fixtures/nosuch.arpa", "--tokenizer", "bpe",
               "--bpe-vocab", "300", "--text", "abc"),
           2, "eval trains nothing: give the model's own with --bpe DIR");
}

Test(bpe_cli, tokenize_shows_the_tokens_a_model_sees)
{
    char *dir = test_tmpdir();
    char *f = test_write(dir, "l.txt", "The Time\n", 9);
    Run r = RUN("tokenize", "--file", f, "--tokenizer", "bpe", "--bpe",
                "tests/fixtures/bpe/timemachine_512");
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    cr_assert_str_eq(r.out, "The\n\xC4\xA0Time\n</s>\n");
    run_free(&r);
    free(f);
    free(dir);
}
