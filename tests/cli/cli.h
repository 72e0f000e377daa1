// cli.h: running the lmlab program from a test, as a user would.
//
// RUN("ngram", "train", ...) runs the binary named by $LMLAB (make sets it; ./lmlab under
// $LMLAB_ROOT otherwise) in the repository root with its stdout and stderr captured.
#ifndef TESTS_CLI_H
#define TESTS_CLI_H

#include "tests/helpers.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>

typedef struct {
    int status;   // exit status, or 128 + signal
    char *out;    // stdout
    char *err;    // stderr
} Run;

__attribute__((unused)) static char *slurp(const char *path)
{
    char *data;
    size_t n;
    if (lab_read_file(path, &data, &n, 0) != 0) {
        return lab_strdup("");
    }
    return data;
}

// runs lmlab with the arguments (NULL-terminated) inside dir (NULL: the repository root)
__attribute__((unused)) static Run run_in(const char *dir, const char *const *args)
{
    const char *bin = getenv("LMLAB");
    char *root = test_path("");
    char *lmlab = bin && *bin ? lab_strdup(bin) : lab_asprintf("%s/lmlab", root);
    char *tmp = test_tmpdir();
    char *outp = lab_path_join(tmp, "stdout"), *errp = lab_path_join(tmp, "stderr");
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        if (!freopen(outp, "w", stdout) || !freopen(errp, "w", stderr) ||
            chdir(dir ? dir : root) != 0) {
            _exit(99);
        }
        int n = 0;
        while (args[n]) {
            n++;
        }
        char **argv = calloc((size_t)n + 2, sizeof *argv);
        argv[0] = lmlab;
        for (int i = 0; i < n; i++) {
            argv[i + 1] = (char *)args[i];
        }
        execv(lmlab, argv);
        _exit(98);
    }
    int st;
    waitpid(pid, &st, 0);
    Run r = {.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st)};
    r.out = slurp(outp);
    r.err = slurp(errp);
    unlink(outp);
    unlink(errp);
    rmdir(tmp);
    free(outp);
    free(errp);
    free(tmp);
    free(lmlab);
    free(root);
    return r;
}

#define RUN(...) run_in(NULL, (const char *const[]){__VA_ARGS__, NULL})

__attribute__((unused)) static void run_free(Run *r)
{
    free(r->out);
    free(r->err);
}

__attribute__((unused)) static void expect(Run r, int status, const char *in_err)
{
    cr_assert_eq(r.status, status, "exit status %d, expected %d; stderr:\n%s", r.status, status,
                 r.err);
    if (in_err) {
        cr_assert(strstr(r.err, in_err), "stderr lacks '%s':\n%s", in_err, r.err);
    }
    run_free(&r);
}

__attribute__((unused)) static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        return -1;
    }
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        n += e->d_name[0] != '.';
    }
    closedir(d);
    return n;
}

// --- run directories of the neural families ------------------------------------------------

// A fresh directory holding the names corpus of the neural command tests: 32 names as
// train.txt, 4 as valid.txt. *train and *valid get their paths (each may be NULL).
__attribute__((unused)) static char *names_corpus(char **train, char **valid)
{
    static const char names[] = "emma\nolivia\nava\nisabella\nsophia\ncharlotte\nmia\namelia\n"
                                "harper\nevelyn\nabigail\nemily\nella\nelizabeth\ncamila\nluna\n"
                                "sofia\navery\nmila\naria\nscarlett\npenelope\nlayla\nchloe\n"
                                "victoria\nmadison\neleanor\ngrace\nnora\nriley\nzoey\nhannah\n";
    static const char held_out[] = "lily\nanna\nnova\nleah\n";
    char *d = test_tmpdir();
    char *t = test_write(d, "train.txt", names, strlen(names));
    char *v = test_write(d, "valid.txt", held_out, strlen(held_out));
    if (train) {
        *train = t;
    } else {
        free(t);
    }
    if (valid) {
        *valid = v;
    } else {
        free(v);
    }
    return d;
}

// DIR/RUN/NAME, a new string
__attribute__((unused)) static char *file_in(const char *dir, const char *run, const char *name)
{
    return lab_asprintf("%s/%s/%s", dir, run, name);
}

// The bytes of two files are the same.
__attribute__((unused)) static void assert_same_file(const char *a, const char *b)
{
    char *x, *y;
    size_t nx, ny;
    cr_assert_eq(lab_read_file(a, &x, &nx, 0), 0);
    cr_assert_eq(lab_read_file(b, &y, &ny, 0), 0);
    cr_assert(nx == ny && memcmp(x, y, nx) == 0, "'%s' and '%s' differ", a, b);
    free(x);
    free(y);
}

// log.tsv with its timing column (tokens_per_s, the 7th) cut from every row
__attribute__((unused)) static char *log_without_timing(const char *path)
{
    char *data = slurp(path), *out = lab_calloc(strlen(data) + 1, 1), *o = out;
    int col = 1;
    for (const char *s = data; *s; s++) {
        if (*s == '\n') {
            col = 1;
        } else if (*s == '\t') {
            col++;
        }
        if (col != 7) {
            *o++ = *s;
        }
    }
    free(data);
    return out;
}

// Two runs in DIR are the same run: weights, optimizer state and samples byte for byte, and
// log.tsv but for its timing column (a resumed run against one never interrupted).
__attribute__((unused)) static void assert_same_runs(const char *dir, const char *a,
                                                     const char *b)
{
    const char *files[] = {"model.safetensors", "state.safetensors", "samples.txt"};
    for (size_t i = 0; i < 3; i++) {
        char *x = file_in(dir, a, files[i]), *y = file_in(dir, b, files[i]);
        assert_same_file(x, y);
        free(x);
        free(y);
    }
    char *x = file_in(dir, a, "log.tsv"), *y = file_in(dir, b, "log.tsv");
    char *lx = log_without_timing(x), *ly = log_without_timing(y);
    cr_assert_str_eq(lx, ly);
    free(lx);
    free(ly);
    free(x);
    free(y);
}

__attribute__((unused)) static double json_num(const char *json, const char *key)
{
    char *k = lab_asprintf("\"%s\": ", key);
    const char *s = strstr(json, k);
    cr_assert(s, "no %s in %s", key, json);
    double v = strtod(s + strlen(k), NULL);
    free(k);
    return v;
}

#endif
