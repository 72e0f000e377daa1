// test_harness.c: what every family's run shares, end to end: the same log.tsv columns, rows
// that survive a killed run, the same evaluation keys, the command tables, greedy sampling.
#include "tests/cli/cli.h"

#include <signal.h>
#include <time.h>

// the first n tab-separated fields of the first line of s, as a new string
static char *first_fields(const char *s, int n)
{
    size_t i = 0;
    for (int k = 0; s[i] && s[i] != '\n'; i++) {
        if (s[i] == '\t' && ++k == n) {
            break;
        }
    }
    return lab_strndup(s, i);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++) {
        n += *s == '\n';
    }
    return n;
}

Test(harness, ngram_and_word2vec_write_the_same_log_columns, .timeout = 120)
{
    char *dir = test_tmpdir();
    char *ng = lab_path_join(dir, "ng"), *wv = lab_path_join(dir, "wv");
    Run r = RUN("ngram", "train", "--dataset", "names", "--order", "2", "--out", ng, "--plot",
                "none");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN("word2vec", "train", "--dataset", "timemachine", "--epochs", "2", "--dim", "8",
            "--threads", "1", "--out", wv, "--plot", "none");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char *lp = lab_path_join(ng, "log.tsv"), *wp = lab_path_join(wv, "log.tsv");
    char *a = slurp(lp), *b = slurp(wp);
    char *ha = first_fields(a, 7), *hb = first_fields(b, 7);
    cr_assert_str_eq(ha, "step\ttokens\ttrain_loss\tvalid_loss\tvalid_ppl\tlr\ttokens_per_s");
    cr_assert_str_eq(hb, ha, "word2vec's first columns '%s', ngram's '%s'", hb, ha);
    // one row for the counted model, one per epoch; "-" where nothing was measured
    cr_assert_eq(count_lines(a), 2, "%s", a);
    cr_assert_eq(count_lines(b), 3, "%s", b);
    cr_assert(strstr(a, "\t-\t"), "ngram has no learning rate: %s", a);
    cr_assert(strstr(b, "\t-\t-\t"), "word2vec has no valid loss: %s", b);
    free(ha), free(hb), free(a), free(b), free(lp), free(wp), free(ng), free(wv), free(dir);
}

Test(harness, a_killed_run_keeps_the_log_rows_written_before, .timeout = 120)
{
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "killed");
    char *log = lab_path_join(out, "log.tsv");
    const char *bin = getenv("LMLAB");
    char *root = test_path("");
    char *lmlab = bin && *bin ? lab_strdup(bin) : lab_asprintf("%s/lmlab", root);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr) ||
            chdir(root) != 0) {
            _exit(99);
        }
        // far more epochs than the test waits for
        execl(lmlab, lmlab, "word2vec", "train", "--dataset", "timemachine", "--epochs",
              "100000", "--dim", "8", "--threads", "1", "--out", out, "--plot", "none",
              (char *)NULL);
        _exit(98);
    }
    // wait for three epochs' rows, then kill -9 mid-training
    char *text = NULL;
    for (int tries = 0; tries < 2000; tries++) {
        free(text);
        text = slurp(log);
        if (count_lines(text) >= 4) {
            break;
        }
        nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
    }
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL, "the run ended before it was killed");
    free(text);
    text = slurp(log);
    int rows = count_lines(text) - 1;
    cr_assert_geq(rows, 3, "log.tsv after the kill: %s", text);
    // every row is whole: the header's 9 columns, the step counting 1, 2, ..
    char *line = text;
    for (int i = 0; i <= rows; i++) {
        char *nl = strchr(line, '\n');
        cr_assert_not_null(nl);
        int tabs = 0;
        for (char *c = line; c < nl; c++) {
            tabs += *c == '\t';
        }
        cr_assert_eq(tabs, 8, "line %d of log.tsv: %.*s", i + 1, (int)(nl - line), line);
        if (i > 0) {
            cr_assert_eq(atol(line), i, "step of row %d", i);
        }
        line = nl + 1;
    }
    char *cfg = lab_path_join(out, "config");
    cr_assert(test_exists(cfg), "the config is written before training");
    free(cfg), free(text), free(log), free(out), free(dir), free(lmlab), free(root);
}

Test(harness, eval_json_keeps_every_key)
{
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "m");
    Run r = RUN("ngram", "train", "--dataset", "names", "--order", "2", "--out", out, "--plot",
                "none", "--quiet");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN("ngram", "eval", "--model", out, "--split", "valid", "--json");
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *keys[] = {"family", "model", "data", "dataset", "split", "tokens", "loss", "ppl",
                          "bits_per_token", "words", "word_ppl", "oov", "zero_prob", "seconds",
                          "tokens_per_s"};
    const char *at = r.out;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        char *k = lab_asprintf("\"%s\": ", keys[i]);
        const char *p = strstr(at, k);
        cr_assert_not_null(p, "key %s missing or out of order: %s", keys[i], r.out);
        at = p;
        free(k);
    }
    cr_assert(strstr(r.out, "\"family\": \"ngram\", "), "%s", r.out);
    run_free(&r);
    free(out), free(dir);
}

Test(harness, command_tables_list_and_suggest)
{
    Run r = RUN("--help");
    cr_assert_eq(r.status, 0);
    // the top level lists every family's verbs from the families' own tables
    const char *rows[] = {"  ngram sweep       ", "  tfidf search      ", "  word2vec analogy  ",
                          "  tokenize          "};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        cr_assert(strstr(r.out, rows[i]), "'%s' missing from %s", rows[i], r.out);
    }
    cr_assert(strstr(r.out, "names, tinyshakespeare, timemachine, tangpoems"), "%s", r.out);
    run_free(&r);
    r = RUN("word2vec", "trian");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "unknown verb 'word2vec trian'\n  hint: did you mean "
                            "'lmlab word2vec train'?"), "%s", r.err);
    run_free(&r);
    r = RUN("tfidf", "help");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "usage: lmlab tfidf <verb> [options]"), "%s", r.out);
    run_free(&r);
}

Test(harness, every_command_refuses_a_dataset_path_alike)
{
    const char *const cmds[][3] = {{"ngram", "train", "train"}, {"word2vec", "train", "train"},
                                   {"tfidf", "matrix", "docs"}, {"tokenize", NULL, "file"}};
    for (size_t i = 0; i < sizeof cmds / sizeof *cmds; i++) {
        Run r = cmds[i][1] ? RUN(cmds[i][0], cmds[i][1], "--dataset", "..")
                           : RUN(cmds[i][0], "--dataset", "..");
        cr_assert_eq(r.status, 2, "%s: %s", cmds[i][0], r.err);
        char *want = lab_asprintf("--dataset takes a name such as 'names', not a path (got "
                                  "'..'); a path goes to --%s", cmds[i][2]);
        cr_assert(strstr(r.err, want), "%s: %s", cmds[i][0], r.err);
        free(want);
        run_free(&r);
    }
}

Test(harness, temperature_zero_draws_the_most_likely_token, .timeout = 60)
{
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "m");
    // "a b" twice, "a c" once: after <s> "a" always, after "a" "b" is the most likely
    char *train = test_write(dir, "t.txt", "a b\na b\na c\n", 12);
    Run r = RUN("ngram", "train", "--train", train, "--tokenizer", "word", "--order", "2",
                "--smoothing", "mle", "--out", out, "--plot", "none", "--quiet");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN("ngram", "generate", "--model", out, "--temperature", "0", "--count", "3");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert_str_eq(r.out, "a b\na b\na b\n");
    run_free(&r);
    r = RUN("ngram", "generate", "--model", out, "--temperature", "0.001");
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "--temperature is 0 (greedy) or between 0.01 and 100"), "%s", r.err);
    run_free(&r);
    free(train), free(out), free(dir);
}

// The text drawn before the sampler moved to lab/sample.c (printed by the program as it was
// then): the same model, settings and seed must draw it still.
Test(harness, generate_draws_what_it_drew_before_the_shared_sampler, .timeout = 60)
{
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "names-kn5");
    Run r = RUN("ngram", "train", "--dataset", "names", "--order", "5", "--smoothing", "kn",
                "--out", out, "--plot", "none", "--quiet");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    r = RUN("ngram", "generate", "--model", out, "--count", "10", "--temperature", "0.8",
            "--seed", "42");
    cr_assert_str_eq(r.out, "arracy\nney\nmikiyanna\nkamarion\njoeeyah\nskyler\nadina\n"
                            "mayleen\nly\nkingston\n");
    run_free(&r);
    r = RUN("ngram", "generate", "--model", out, "--count", "5", "--top-k", "3", "--seed", "1");
    cr_assert_str_eq(r.out, "kaylen\narishitha\nkailey\naleian\nmaryana\n");
    run_free(&r);
    r = RUN("ngram", "generate", "--model", out, "--count", "5", "--top-p", "0.5", "--seed", "3");
    cr_assert_str_eq(r.out, "jaylen\njaymir\njayliana\nadiah\nmakenley\n");
    run_free(&r);
    free(out), free(dir);
}
