// test_robust.c: the program under hostile input: empty lists and paths, devices, escaped
// configs, interrupted runs. Each test names the class of fault it closes.
#include "tests/cli/cli.h"

#include <signal.h>

// --- class: an empty list, or an empty item in a list option, is a usage error ----------------

Test(robust, every_list_option_refuses_empty_lists_and_empty_items)
{
    const char *bad[] = {"", ",", "1,", ",1", "1,,2"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *v = bad[i];
        expect(RUN("ngram", "sweep", "--dataset", "names", "--smoothings",
                   i == 2 ? "kn," : i == 3 ? ",kn" : i == 4 ? "kn,,mle" : v),
               2, "--smoothings");
        expect(RUN("ngram", "sweep", "--dataset", "names", "--orders", v), 2, "--orders");
        expect(RUN("ngram", "sweep", "--dataset", "names", "--ks", v), 2, "--ks");
        expect(RUN("ngram", "sweep", "--dataset", "names", "--eps", v), 2, "--eps");
        expect(RUN("ngram", "train", "--dataset", "names", "--eps", v), 2, "--eps");
        expect(RUN("word2vec", "train", "--dataset", "names", "--words", v), 2, "--words");
        expect(RUN("tfidf", "matrix", "--dataset", "names", "--split", "train", "--ngram-range",
                   v),
               2, "--ngram-range");
    }
    expect(RUN("ngram", "sweep", "--dataset", "names", "--orders", "1,2,3,4,5,6,1"), 2,
           "at most 6");
    expect(RUN("ngram", "sweep", "--dataset", "names", "--ks", "0.1,-1"), 2, "greater than 0");
}

// --- class: an empty path reaches mkdir or open as "" ------------------------------------------

Test(robust, an_empty_out_or_file_option_is_a_usage_error_on_every_command)
{
    expect(RUN("ngram", "train", "--dataset", "names", "--out", ""), 2, "--out needs a directory");
    expect(RUN("ngram", "sweep", "--dataset", "names", "--out", ""), 2, "--out needs a directory");
    expect(RUN("word2vec", "train", "--dataset", "names", "--out", ""), 2, "--out needs");
    expect(RUN("tfidf", "matrix", "--dataset", "names", "--split", "train", "--out", ""), 2,
           "--out needs");
    expect(RUN("tfidf", "top", "--dataset", "names", "--split", "train", "--out=", "--doc", "1"),
           2, "--out needs");
    expect(RUN("tfidf", "similar", "--dataset", "names", "--split", "train", "--out", "",
               "--doc", "1"),
           2, "--out needs");
    expect(RUN("ngram", "train", "--train", ""), 2, "--train needs a file name");
    expect(RUN("ngram", "eval", "--arpa", "", "--split", "valid"), 2, "--arpa needs");
    expect(RUN("ngram", "train", "--dataset", ""), 2, "--dataset needs a name");
    expect(RUN("tokenize", "--file", ""), 2, "--file needs");
}

// --- class: a reader fed a device that never ends grows without limit --------------------------

Test(robust, devices_are_refused_by_every_reader_naming_the_file)
{
    char *valid = test_path("datasets/names/valid.txt");
    expect(RUN("ngram", "train", "--train", "/dev/zero", "--plot", "none"), 1,
           "'/dev/zero' is a character device");
    expect(RUN("ngram", "eval", "--arpa", "/dev/zero", "--data", valid), 1,
           "'/dev/zero' is a character device");
    expect(RUN("ngram", "eval", "--arpa", "/dev/zero", "--data", "/dev/zero"), 1,
           "'/dev/zero' is a character device");
    expect(RUN("word2vec", "similar", "--vectors", "/dev/zero", "king"), 1,
           "'/dev/zero' is a character device");
    expect(RUN("tokenize", "--file", "/dev/urandom"), 1, "'/dev/urandom' is a character device");
    expect(RUN("tfidf", "matrix", "--docs", "/dev/zero", "--plot", "none"), 1,
           "'/dev/zero' is a character device");
    free(valid);
}

// --- class: a run's config could not hold every string, and its bad values were usage errors ---

Test(robust, a_pattern_with_a_newline_trains_and_the_run_loads_again, .timeout = 60)
{
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "run");
    expect(RUN("ngram", "train", "--dataset", "names", "--order", "2", "--tokenizer", "word",
               "--pattern", "[a-z]+|\n|\\\\", "--plot", "none", "--quiet", "--out", out),
           0, NULL);
    Run r = RUN("ngram", "eval", "--model", out, "--split", "valid", "--json");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"ppl\": "), "%s", r.out);
    run_free(&r);
    free(out);
    free(dir);
}

static void edit_config(const char *run, const char *key, const char *val)
{
    char *path = lab_path_join(run, "config");
    LabConfig c;
    cr_assert_eq(lab_config_read(&c, path), 0);
    lab_config_set(&c, key, "%s", val);
    cr_assert_eq(lab_config_write(&c, path), 0);
    lab_config_free(&c);
    free(path);
}

Test(robust, bad_config_values_are_data_errors_naming_the_file_and_line, .timeout = 60)
{
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "run");
    expect(RUN("ngram", "train", "--dataset", "names", "--order", "2", "--plot", "none",
               "--quiet", "--out", out),
           0, NULL);
    char *cfg = lab_path_join(out, "config");
    char *want = lab_asprintf("'%s' line 5: order must be between 1 and 6, got 99999999999", cfg);
    const char *bad[][3] = {
        {"order", "99999999999", want},
        {"order", "3", NULL},
        {"min_count", "-5", "min_count must be between 1 and 1000000000, got -5"},
        {"min_count", "1", NULL},
        {"utf8", "whatever", "unknown value 'whatever' for utf8"},
        {"utf8", "strict", NULL},
        {"lowercase", "yes", "lowercase is 0 or 1"},
        {"lowercase", "0", NULL},
        {"smoothing", "magic", "unknown value 'magic' for smoothing"},
        {"smoothing", "kn", NULL},
        {"dataset", "../../etc", "dataset is a name such as 'names'"},
        {"dataset", "nosuch", "names dataset 'nosuch', which has no valid split"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        edit_config(out, bad[i][0], bad[i][1]);
        if (bad[i][2]) {
            expect(RUN("ngram", "eval", "--model", out, "--split", "valid"), 1, bad[i][2]);
            if (strcmp(bad[i][1], "nosuch") != 0) { // generate reads no dataset
                expect(RUN("ngram", "generate", "--model", out), 1, bad[i][2]);
            }
        }
    }
    free(want);
    free(cfg);
    free(out);
    free(dir);
}

// --- class: a pattern that matches single bytes split UTF-8 characters into invalid tokens ------

Test(robust, a_pattern_with_backslash_c_is_refused_so_tokens_stay_utf8)
{
    expect(RUN("ngram", "train", "--dataset", "tangpoems", "--tokenizer", "word", "--pattern",
               "\\C", "--plot", "none"),
           2, "using \\C is disabled");
    expect(RUN("tokenize", "--dataset", "tangpoems", "--split", "valid", "--tokenizer", "word",
               "--pattern", "[a-z]|\\C+"),
           2, "\\C matches single bytes");
    // a control byte in a bad pattern is shown escaped, never raw
    Run r = RUN("ngram", "train", "--dataset", "names", "--tokenizer", "word", "--pattern",
                "\x1b[31m(");
    cr_assert_eq(r.status, 2);
    cr_assert(strstr(r.err, "'\\x1b[31m('"), "%s", r.err);
    cr_assert_null(strchr(r.err, '\x1b'), "raw ESC in: %s", r.err);
    run_free(&r);
}

// --- class: word2vec reported "loss nan" and exit 0 when it had nothing (or too much) to learn --

Test(robust, word2vec_refuses_a_corpus_without_pairs_and_stops_on_a_non_finite_loss,
     .timeout = 120)
{
    char *dir = test_tmpdir();
    char *one = test_write(dir, "one.txt", "hello\nworld\nhello\n", 18);
    char *two = test_write(dir, "two.txt", "hello world\n", 12);
    char *out = lab_path_join(dir, "run");
    // every line has one word: no (word, context) pair exists
    expect(RUN("word2vec", "train", "--train", one, "--min-count", "1", "--out", out, "--plot",
               "none"),
           1, "has no line with two words");
    // two words make up half the text each: subsampling at 1e-3 drops them both
    expect(RUN("word2vec", "train", "--train", two, "--min-count", "1", "--out", out, "--plot",
               "none"),
           1, "trained no (word, context) pair");
    // the largest learning rate allowed overflows the vectors: the NaN guard stops it
    Run r = RUN("word2vec", "train", "--dataset", "names", "--tokenizer", "char", "--min-count",
                "1", "--alpha", "10", "--epochs", "2", "--out", out, "--plot", "none");
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "training diverged"), "%s", r.err);
    cr_assert_null(strstr(r.out, "nan"), "%s", r.out);
    run_free(&r);
    cr_assert(!test_exists(out), "a failed run leaves no run directory");
    // with subsampling off, the two words train, and every reported loss is a number
    r = RUN("word2vec", "train", "--train", two, "--min-count", "1", "--sample", "0", "--out", out,
            "--plot", "none", "--epochs", "2");
    cr_assert_eq(r.status, 0, "%s", r.err);
    char *log = lab_path_join(out, "log.tsv");
    char *text = slurp(log);
    cr_assert_null(strstr(text, "nan"), "%s", text);
    free(text);
    free(log);
    run_free(&r);
    free(one);
    free(two);
    free(out);
    free(dir);
}

// --- class: --json objects carried raw invalid UTF-8 from a file name ---------------------------

Test(robust, eval_json_is_valid_utf8_for_a_latin1_file_name, .timeout = 60)
{
    char *dir = test_tmpdir();
    char *data = test_write(dir, "caf\xe9.txt", "abc\nbca\n", 8);
    char *out = lab_path_join(dir, "run");
    expect(RUN("ngram", "train", "--dataset", "names", "--order", "2", "--plot", "none",
               "--quiet", "--out", out),
           0, NULL);
    Run r = RUN("ngram", "eval", "--model", out, "--data", data, "--json");
    cr_assert_eq(r.status, 0, "%s", r.err);
    size_t len = strlen(r.out);
    for (size_t i = 0; i < len;) {
        int n = lab_utf8_seq((const unsigned char *)r.out + i, len - i);
        cr_assert(n > 0, "byte 0x%02x at %zu is not UTF-8: %s", (unsigned char)r.out[i], i,
                  r.out);
        i += (size_t)n;
    }
    cr_assert(strstr(r.out, "caf\\ufffd.txt"), "%s", r.out);
    run_free(&r);
    free(data);
    free(out);
    free(dir);
}

// --- class: gnuplot exits 0 after a failed write, and a cut PNG was renamed into place ----------

#include "plots/plots.h"

#include <sys/mount.h>

// a PNG made by gnuplot (the independent writer), then cut or damaged in every way
Test(robust, png_check_accepts_gnuplots_png_and_refuses_every_truncation, .timeout = 60)
{
    if (!plot_gnuplot_available()) {
        cr_skip_test("gnuplot is not on PATH");
    }
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "run");
    expect(RUN("ngram", "train", "--dataset", "names", "--order", "1", "--quiet", "--out", out),
           0, NULL);
    char *png = lab_path_join(out, "zipf.png");
    cr_assert_eq(plot_png_check(png), 0, "gnuplot's own PNG is complete");
    char *data;
    size_t len;
    cr_assert_eq(lab_read_file(png, &data, &len, 0), 0);
    cr_redirect_stderr(); // the messages of the refused files
    // every cut: inside the signature, a chunk header, chunk data, a CRC, just before IEND
    for (size_t cut = 0; cut < len; cut += cut < 64 ? 1 : 997) {
        char *p = test_write(dir, "cut.png", data, cut);
        cr_assert_eq(plot_png_check(p), -1, "a PNG cut at %zu of %zu bytes is refused", cut, len);
        free(p);
    }
    char *p = test_write(dir, "cut.png", data, len - 1);
    cr_assert_eq(plot_png_check(p), -1, "a PNG without its last byte is refused");
    free(p);
    data[len / 2] ^= 0x55; // a damaged byte in the middle: its chunk's CRC no longer matches
    p = test_write(dir, "bad.png", data, len);
    cr_assert_eq(plot_png_check(p), -1, "a damaged PNG is refused");
    free(p);
    free(data);
    free(png);
    free(out);
    free(dir);
}

// needs root to mount a 40 KiB tmpfs: the seven small files of an order-1 run fit (a page
// each), the 20 KB Zipf PNG does not
Test(robust, a_full_disk_fails_the_run_and_leaves_no_png, .timeout = 60)
{
    if (geteuid() != 0 || !plot_gnuplot_available()) {
        cr_skip_test("needs root (to mount a tiny tmpfs) and gnuplot");
    }
    char *dir = test_tmpdir();
    if (mount("tmpfs", dir, "tmpfs", 0, "size=40k") != 0) {
        free(dir);
        cr_skip_test("cannot mount a tmpfs here");
    }
    char *out = lab_path_join(dir, "run");
    Run r = RUN("ngram", "train", "--dataset", "names", "--order", "1", "--quiet", "--out", out);
    char *png = lab_path_join(out, "zipf.png");
    int status = r.status, has_png = test_exists(png);
    char *err = lab_strdup(r.err);
    run_free(&r);
    int leftovers = 0;
    DIR *d = opendir(out);
    for (struct dirent *e; d && (e = readdir(d));) {
        leftovers += strstr(e->d_name, ".tmp.") != NULL;
    }
    if (d) {
        closedir(d);
    }
    umount(dir);
    rmdir(dir);
    cr_assert_eq(status, 1, "exit status %d; stderr:\n%s", status, err);
    cr_assert(strstr(err, "zipf.png' is not a complete PNG"), "%s", err);
    cr_assert(!has_png, "no cut PNG renamed into place");
    cr_assert_eq(leftovers, 0, "no temporary file left");
    free(err);
    free(png);
    free(out);
    free(dir);
}

// --- class: an interrupted run left NAME.tmp.PID files forever -----------------------------------

static int count_temporaries(const char *dir)
{
    int n = 0;
    DIR *d = opendir(dir);
    for (struct dirent *e; d && (e = readdir(d));) {
        n += strstr(e->d_name, ".tmp.") != NULL;
    }
    if (d) {
        closedir(d);
    }
    return n;
}

// SIGTERM or SIGINT while a file is being committed: the handler removes the temporary and the
// process still dies of the signal
static void interrupt_while_committing(int sig)
{
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "run");
    char *root = test_path("");
    const char *bin = getenv("LMLAB");
    char *lmlab = bin && *bin ? lab_strdup(bin) : lab_asprintf("%s/lmlab", root);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        // every atomic commit waits 30 s with its temporary on disk
        setenv("LMLAB_TEST_COMMIT_PAUSE", "30", 1);
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr) ||
            chdir(root) != 0) {
            _exit(99);
        }
        execl(lmlab, lmlab, "ngram", "train", "--dataset", "names", "--order", "2", "--plot",
              "none", "--out", out, (char *)NULL);
        _exit(98);
    }
    int seen = 0;
    for (int i = 0; i < 600 && !seen; i++) { // up to 30 s for the first temporary to appear
        seen = count_temporaries(out) > 0;
        if (!seen) {
            usleep(50000);
        }
    }
    kill(pid, sig);
    int st;
    waitpid(pid, &st, 0);
    cr_assert(seen, "a temporary appeared while committing");
    cr_assert(WIFSIGNALED(st) && WTERMSIG(st) == sig, "the process dies of signal %d", sig);
    cr_assert_eq(count_temporaries(out), 0, "the temporary was removed");
    free(lmlab);
    free(root);
    free(out);
    free(dir);
}

Test(robust, sigterm_during_training_leaves_no_temporary, .timeout = 60)
{
    interrupt_while_committing(SIGTERM);
}

Test(robust, sigint_during_training_leaves_no_temporary, .timeout = 60)
{
    interrupt_while_committing(SIGINT);
}

// SIGKILL cannot be caught: the next run in the directory removes what a dead process left
Test(robust, the_next_run_removes_temporaries_of_dead_processes_only, .timeout = 60)
{
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "run");
    cr_assert_eq(lab_mkdir_p(out), 0);
    // a pid above the kernel's largest (pid_max is at most 2^22) is never a live process
    char *stale = test_write(out, "model.arpa.tmp.99999999", "half", 4);
    char *live = test_write(out, "zipf.png.tmp.1", "x", 1); // pid 1 is always alive
    char *other = test_write(out, "notes.tmp.txt", "x", 1); // not a temporary of the lab
    Run r = RUN("ngram", "train", "--dataset", "names", "--order", "2", "--plot", "none",
                "--out", out);
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.err, "model.arpa.tmp.99999999', left by process 99999999"), "%s", r.err);
    run_free(&r);
    cr_assert(!test_exists(stale), "the dead process's temporary is removed");
    cr_assert(test_exists(live), "a live process's temporary is kept");
    cr_assert(test_exists(other), "a file that is no temporary is kept");
    free(stale);
    free(live);
    free(other);
    free(out);
    free(dir);
}

// --- class: messages printed raw control bytes from file names and file content --------------

Test(robust, messages_show_control_bytes_in_file_names_and_configs_escaped, .timeout = 60)
{
    char *dir = test_tmpdir();
    char *empty = test_write(dir, "a\x1b[2Jb\x07.txt", "", 0);
    Run r = RUN("ngram", "train", "--train", empty, "--plot", "none");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "a\\x1b[2Jb\\x07.txt' is empty"), "%s", r.err);
    cr_assert_null(strchr(r.err, '\x1b'), "raw ESC in: %s", r.err);
    cr_assert_null(strchr(r.err, '\x07'), "raw BEL in: %s", r.err);
    run_free(&r);
    char *run = lab_path_join(dir, "run");
    cr_assert_eq(lab_mkdir_p(run), 0);
    char *cfg = test_write(run, "config", "family = ngram\nbad\x1b[31m line\n", 29);
    r = RUN("ngram", "eval", "--model", run, "--split", "valid");
    cr_assert_eq(r.status, 1);
    cr_assert(strstr(r.err, "line 2: expected 'key = value', got 'bad\\x1b[31m line'"), "%s",
              r.err);
    cr_assert_null(strchr(r.err, '\x1b'), "raw ESC in: %s", r.err);
    run_free(&r);
    free(cfg);
    free(run);
    free(empty);
    free(dir);
}
