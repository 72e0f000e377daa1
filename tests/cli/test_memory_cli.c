// test_memory_cli.c: `lmlab ngram train --memory SIZE` end to end.
//
// The reference is the same command without --memory: every file of the run directory and
// every reported number are the same, only the timings differ. The texts are larger than the
// limits given, so counting spills many runs and merges them.
#include "tests/cli/cli.h"

#include <signal.h>
#include <time.h>

// s without the lines that hold timings (the human report's "tokenize ..s, count ..s" line)
static char *drop_timing_lines(const char *s)
{
    char *out = lab_strdup(s);
    char *o = out;
    for (const char *p = s; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) + 1 : strlen(p);
        if (!memmem(p, n, "tokenize ", 9)) {
            memcpy(o, p, n);
            o += n;
        }
        p += n;
    }
    *o = '\0';
    return out;
}

// the JSON object without its timing keys
static char *drop_timing_keys(const char *s)
{
    char *out = lab_strdup(s);
    const char *keys[] = {"\"seconds_tokenize\"", "\"seconds_count\"", "\"seconds_smooth\"",
                          "\"count_tokens_per_s\""};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        char *k = strstr(out, keys[i]);
        cr_assert_not_null(k, "the JSON has %s", keys[i]);
        char *e = strchr(k, ',');
        cr_assert_not_null(e);
        memmove(k, e + 2, strlen(e + 2) + 1); // the key, its value and ", "
    }
    return out;
}

// log.tsv's row without its last column (tokens/s)
static char *drop_last_column(const char *s)
{
    char *out = lab_strdup(s);
    for (char *line = out; *line;) {
        char *nl = strchr(line, '\n');
        char *end = nl ? nl : line + strlen(line);
        char *tab = NULL;
        for (char *p = line; p < end; p++) {
            tab = *p == '\t' ? p : tab;
        }
        if (tab) {
            memmove(tab, end, strlen(end) + 1);
            end = tab;
        }
        line = *end ? end + 1 : end;
    }
    return out;
}

static void assert_same_output(const char *a_dir, const char *b_dir, const char *name,
                             char *(*filter)(const char *))
{
    char *pa = lab_path_join(a_dir, name), *pb = lab_path_join(b_dir, name);
    cr_assert(test_exists(pa) && test_exists(pb), "both runs wrote %s", name);
    char *a = slurp(pa), *b = slurp(pb);
    if (filter) {
        char *fa = filter(a), *fb = filter(b);
        free(a);
        free(b);
        a = fa, b = fb;
    }
    cr_assert_str_eq(b, a, "%s differs with --memory", name);
    free(a);
    free(b);
    free(pa);
    free(pb);
}

// trains with the options twice, in memory and within limit, and compares everything
static void check_same_run(const char *limit, const char *const *opts, int nopts, int json)
{
    char *dir = test_tmpdir();
    char *a_dir = lab_path_join(dir, "a"), *b_dir = lab_path_join(dir, "b");
    const char *args[32] = {"ngram", "train", "--plot", "none"};
    int n = 4;
    for (int i = 0; i < nopts; i++) {
        args[n++] = opts[i];
    }
    if (json) {
        args[n++] = "--json";
    }
    args[n++] = "--out";
    args[n++] = a_dir;
    args[n] = NULL;
    Run a = run_in(NULL, args);
    cr_assert_eq(a.status, 0, "%s", a.err);
    args[n - 1] = b_dir;
    args[n++] = "--memory";
    args[n++] = limit;
    args[n] = NULL;
    Run b = run_in(NULL, args);
    cr_assert_eq(b.status, 0, "%s", b.err);
    cr_assert(strstr(b.err, "sorted run"), "a note tells how counting went: %s", b.err);
    char *(*filter)(const char *) = json ? drop_timing_keys : drop_timing_lines;
    char *oa = filter(a.out), *ob = filter(b.out);
    // the human report names the run directory: the same name in both
    char *at = strstr(ob, b_dir);
    if (at) {
        memcpy(at, a_dir, strlen(a_dir));
    }
    cr_assert_str_eq(ob, oa, "the report differs with --memory %s", limit);
    free(oa);
    free(ob);
    const char *files[] = {"model.arpa", "vocab.txt", "samples.txt", "config"};
    char *bin_a = lab_path_join(a_dir, "model.bin"), *bin_b = lab_path_join(b_dir, "model.bin");
    assert_same_file(bin_a, bin_b); // Robin Hood placement: the same n-grams, the same table
    free(bin_a);
    free(bin_b);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        assert_same_output(a_dir, b_dir, files[i], NULL);
    }
    assert_same_output(a_dir, b_dir, "log.tsv", drop_last_column);
    run_free(&a);
    run_free(&b);
    free(a_dir);
    free(b_dir);
    free(dir);
}

Test(memory_cli, names_char_runs_are_the_same_with_300k, .timeout = 120)
{
    const char *kn[] = {"--dataset", "names", "--order", "5", "--smoothing", "kn"};
    check_same_run("300K", kn, 6, 0);
    const char *addk[] = {"--dataset", "names", "--order", "3", "--smoothing", "addk", "--k",
                          "0.25", "--pad", "nltk"};
    check_same_run("300K", addk, 10, 1);
    const char *mle[] = {"--dataset", "names", "--order", "2", "--smoothing", "mle"};
    check_same_run("64K", mle, 6, 0);
}

Test(memory_cli, tinyshakespeare_word_runs_are_the_same_with_400k, .timeout = 120)
{
    // a few samples: drawing from a vocabulary of 13k words is the slow part of the command
    const char *interp[] = {"--dataset", "tinyshakespeare", "--tokenizer", "word", "--lowercase",
                            "--min-count", "2", "--order", "3", "--smoothing", "interp",
                            "--pad", "nltk", "--samples", "2"};
    check_same_run("400K", interp, 15, 1);
    const char *laplace[] = {"--dataset", "tinyshakespeare", "--tokenizer", "word", "--order",
                             "2", "--smoothing", "laplace", "--samples", "2"};
    check_same_run("400K", laplace, 10, 0);
}

Test(memory_cli, tangpoems_char_kn4_run_is_the_same_with_300k, .timeout = 180)
{
    const char *kn[] = {"--dataset", "tangpoems", "--order", "4", "--smoothing", "kn",
                        "--samples", "2"};
    check_same_run("300K", kn, 8, 1);
}

// --- mistakes -------------------------------------------------------------------------------

Test(memory_cli, nonsense_sizes_are_usage_errors_and_too_small_ones_fail)
{
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "run");
    const char *bad[] = {"abc", "0", "-1", "1.5M", "12Q", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        expect(RUN("ngram", "train", "--dataset", "names", "--out", out, "--memory", bad[i]), 2,
               "--memory takes a size such as 300K, 100M or 1G");
    }
    expect(RUN("ngram", "train", "--dataset", "names", "--out", out, "--memory", "1M", "--unit",
               "stream"),
           2, "--memory reads the text a line at a time");
    expect(RUN("ngram", "train", "--dataset", "names", "--out", out, "--memory", "1M",
               "--tokenizer", "bpe", "--bpe-vocab", "300"),
           2, "--memory needs a trained BPE tokenizer");
    expect(RUN("ngram", "train", "--dataset", "names", "--out", out, "--memory", "1K"), 1,
           "--memory 1K is too small: counting needs 64K at least");
    char *line = lab_malloc(5001);
    memset(line, 'x', 5000);
    line[5000] = '\n';
    char *path = test_write(dir, "long.txt", line, 5001);
    expect(RUN("ngram", "train", "--train", path, "--out", out, "--memory", "64K"), 1,
           "line 1 is longer than the 2048 bytes read at once");
    cr_assert(!test_exists(out), "a failed run leaves no run directory");
    cr_assert_eq(count_entries(dir), 1, "nothing but the text");
    free(line);
    free(path);
    free(out);
    free(dir);
}

// --- Ctrl-C ---------------------------------------------------------------------------------

// A run interrupted while it counts leaves no spilled run behind (the files are unlinked as
// soon as they are made) and no model.
Test(memory_cli, an_interrupted_count_leaves_no_temporary_file, .timeout = 120)
{
    char *dir = test_tmpdir();
    char *tmp = lab_path_join(dir, "tmp");
    char *out = lab_path_join(dir, "run");
    cr_assert_eq(lab_mkdir_p(tmp), 0);
    setenv("TMPDIR", tmp, 1);
    char *root = test_path("");
    const char *bin = getenv("LMLAB");
    char *lmlab = bin && *bin ? lab_strdup(bin) : lab_asprintf("%s/lmlab", root);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stderr) || !freopen("/dev/null", "w", stdout) ||
            chdir(root) != 0) {
            _exit(99);
        }
        execl(lmlab, lmlab, "ngram", "train", "--dataset", "tangpoems", "--order", "6",
              "--memory", "64K", "--plot", "none", "--out", out, (char *)NULL);
        _exit(98);
    }
    nanosleep(&(struct timespec){0, 700 * 1000 * 1000}, NULL);
    kill(pid, SIGINT);
    int st;
    waitpid(pid, &st, 0);
    cr_assert(WIFSIGNALED(st) || WIFEXITED(st), "the program ended");
    cr_assert(!WIFEXITED(st) || WEXITSTATUS(st) == 0 || WEXITSTATUS(st) == 130,
              "an interrupted run ends by the signal (status %d)", WEXITSTATUS(st));
    DIR *d = opendir(tmp);
    cr_assert_not_null(d);
    for (struct dirent *e; (e = readdir(d));) {
        cr_assert(strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0,
                  "'%s' left in TMPDIR", e->d_name);
    }
    closedir(d);
    if (WIFSIGNALED(st)) {
        char *model = lab_path_join(out, "model.arpa");
        cr_assert(!test_exists(model), "no model from an interrupted run");
        free(model);
    }
    free(lmlab);
    free(root);
    free(out);
    free(tmp);
    free(dir);
}
