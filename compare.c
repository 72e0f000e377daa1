// compare.c: `lmlab compare`, every model family trained on one dataset and tokenizer, then
// one table (loss, perplexity, bits per token, size, time) and one chart.
//
//   lmlab compare --dataset names --budget 60
//   lmlab compare --train a.txt --valid b.txt --test c.txt --steps 500 --json
//
// This file sits at the top of the program, beside lmlab.c, because it is the one place that
// knows every family, and no family may know another (docs/architecture.md). It knows them
// only as commands: for each family it runs `lmlab FAMILY train` with options it builds, then
// `lmlab FAMILY eval --json` on valid and on test, each as a child process of this very
// program (/proc/self/exe), and reads their JSON, the run's config and its log.tsv. So a
// family is one row of the table below, and a student can rerun, examine or resume every run
// with the commands the notes show. A neural family gets its steps from --steps, or from a
// time budget: a short probe run measures the time of a step, and the run takes as many steps
// as fit in the budget at that speed. Left out: tuning (each family runs with its defaults,
// or the measured settings of neural_settings for the dataset, the n-gram model at the order
// a sweep found best), and the families that do not score text (word2vec, tfidf).
#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "compare.h"
#include "datasets/datasets.h"
#include "plots/plots.h"

// --- the families ---------------------------------------------------------------------------

#define MAX_ARGS 48      // words of one child's command line
#define MAX_SHOW 5       // config keys shown as a family's configuration
#define CHILD_OUT_MAX (1 << 20) // what a child may print on stdout: its one JSON line
#define PROBE_STEPS 50   // steps of the probe run that times a neural family's step

// One row a family; each recurrent cell is a row of its own over `lmlab rnn`. A neural row
// trains with its family's defaults (`lmlab FAMILY train --help`), the same for every dataset.
typedef struct {
    const char *name;          // --families name, the run's subdirectory, the table's row
    const char *command;       // the family command: `lmlab COMMAND train|eval`
    const char *train_args[4]; // more train options (NULL-terminated)
    const char *eval_args[4];  // more eval options (NULL-terminated)
    int neural;                // 1: trains by steps (--steps, or the budget through a probe)
    const char *show[MAX_SHOW]; // config keys that make its configuration column
} CompareFamily;

static const CompareFamily families[] = {
    {"ngram", "ngram", {NULL}, {NULL}, 0, {"smoothing", "order"}},
    {"mlp", "mlp", {NULL}, {"--quiet"}, 1, {"context", "embed", "hidden", "steps"}},
    {"rnn", "rnn", {"--cell", "rnn"}, {"--quiet"}, 1, {"cell", "embed", "hidden", "steps"}},
    {"lstm", "rnn", {"--cell", "lstm"}, {"--quiet"}, 1, {"cell", "embed", "hidden", "steps"}},
    {"gru", "rnn", {"--cell", "gru"}, {"--quiet"}, 1, {"cell", "embed", "hidden", "steps"}},
    {"gpt", "gpt", {NULL}, {"--quiet"}, 1, {"layers", "heads", "width", "context", "steps"}},
};
#define NFAMILIES ((int)(sizeof families / sizeof families[0]))

// The n-gram order per dataset and tokenizer: the best Kneser-Ney order on valid among 1..6
// (`lmlab ngram sweep --dataset D [--tokenizer T] --smoothings kn`, docs/cli.md). Anything
// not listed (a --train file, a pairing not measured) takes COMPARE_NGRAM_ORDER.
typedef struct {
    const char *dataset, *tokenizer;
    int order;
} CompareOrder;

static const CompareOrder ngram_orders[] = {
    {"names", "char", 6},           {"timemachine", "char", 6}, {"tinyshakespeare", "char", 6},
    {"tangpoems", "char", 6},       {"timemachine", "word", 4}, {"tinyshakespeare", "word", 6},
};
#define COMPARE_NGRAM_ORDER 6

// A neural family's options per dataset and tokenizer, after its defaults (which are chosen
// for names): measured configurations, each with the figure in docs/benchmarks.md "Quality".
// Anything not listed trains with the family's defaults.
typedef struct {
    const char *family, *dataset, *tokenizer;
    const char *args[20]; // NULL-terminated
} CompareSettings;

static const CompareSettings neural_settings[] = {
    // (names takes the GPT's defaults, which were measured there: the same run as `lmlab gpt
    // train --dataset names` when given its 32000 steps, e.g. --families gpt --steps 32000)
    // nanoGPT's CPU configuration of shakespeare_char (width 128, context 64, batch 12, lr
    // 1e-3 cosine to 1e-4 after 100 warmup steps, beta2 0.99, weight decay 0.1, no dropout):
    // valid 1.8602 after 2000 steps on the stream
    {"gpt", "tinyshakespeare", "char",
     {"--width", "128", "--context", "64", "--batch", "12", "--lr", "1e-3", "--min-lr", "1e-4",
      "--beta2", "0.99", "--weight-decay", "0.1", "--dropout", "0", NULL}},
};

// --- child commands -------------------------------------------------------------------------

// A command line being built: words owned by the array.
typedef struct {
    char *w[MAX_ARGS + 1];
    int n;
} Argv;

static void arg(Argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void arg(Argv *a, const char *fmt, ...)
{
    assert(a->n < MAX_ARGS); // MAX_ARGS is larger than any command built here
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int len = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = lab_malloc((size_t)len + 1);
    vsnprintf(s, (size_t)len + 1, fmt, ap2);
    va_end(ap2);
    a->w[a->n++] = s;
    a->w[a->n] = NULL;
}

static void argv_free(Argv *a)
{
    for (int i = 0; i < a->n; i++) {
        free(a->w[i]);
    }
    a->n = 0;
}

// The command as a student would type it ("lmlab mlp train --dataset names ..."), quoting a
// word with a space or a quote. A new string.
static char *argv_show(const Argv *a)
{
    size_t cap = 16;
    for (int i = 0; i < a->n; i++) {
        cap += 3 + 2 * strlen(a->w[i]);
    }
    char *s = lab_malloc(cap), *p = s;
    p += sprintf(p, "lmlab");
    for (int i = 1; i < a->n; i++) {
        const char *w = a->w[i];
        int quote = !*w || strpbrk(w, " \t\n'\"\\$`") != NULL;
        *p++ = ' ';
        if (quote) {
            *p++ = '\'';
            for (; *w; w++) {
                if (*w == '\'') {
                    p += sprintf(p, "'\\''");
                } else {
                    *p++ = *w;
                }
            }
            *p++ = '\'';
        } else {
            p += sprintf(p, "%s", w);
        }
    }
    *p = 0;
    return s;
}

// Runs this program again with a->w (a->w[0] is "lmlab") as a child process: its stderr is
// ours, its stdout is read into *out (a new string) when out is not NULL. *seconds gets its
// wall time. Returns its exit status (128 + signal when a signal ended it); -1 with a message
// when it could not be started or printed more than CHILD_OUT_MAX bytes.
static int run_child(const Argv *a, char **out, double *seconds)
{
    int fd[2] = {-1, -1};
    if (out && pipe(fd) != 0) {
        return lab_error("cannot start 'lmlab %s': %s", a->w[1], strerror(errno));
    }
    fflush(stdout);
    fflush(stderr);
    double t0 = lab_now();
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        if (out) {
            close(fd[0]);
            close(fd[1]);
        }
        return lab_error("cannot start 'lmlab %s': %s", a->w[1], strerror(e));
    }
    if (pid == 0) {
        if (out) {
            close(fd[0]);
            if (dup2(fd[1], STDOUT_FILENO) < 0) {
                _exit(127);
            }
            close(fd[1]);
        }
        execv("/proc/self/exe", a->w);
        fprintf(stderr, "lmlab: cannot run '/proc/self/exe': %s\n", strerror(errno));
        _exit(127);
    }
    size_t len = 0, cap = 0;
    char *buf = NULL;
    int too_long = 0;
    if (out) {
        close(fd[1]);
        char chunk[4096];
        for (;;) {
            ssize_t n = read(fd[0], chunk, sizeof chunk);
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n <= 0) {
                break;
            }
            if (len + (size_t)n > CHILD_OUT_MAX) {
                too_long = 1; // keep reading, so the child is not stopped by a full pipe
                continue;
            }
            if (len + (size_t)n + 1 > cap) {
                cap = 2 * (len + (size_t)n + 1);
                buf = lab_realloc(buf, cap);
            }
            memcpy(buf + len, chunk, (size_t)n);
            len += (size_t)n;
        }
        close(fd[0]);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0) {
        if (errno != EINTR) {
            free(buf);
            return lab_error("cannot wait for 'lmlab %s': %s", a->w[1], strerror(errno));
        }
    }
    *seconds = lab_now() - t0;
    if (too_long) {
        free(buf);
        return lab_error("'lmlab %s %s' printed more than %d bytes", a->w[1], a->w[2],
                         CHILD_OUT_MAX);
    }
    if (out) {
        *out = buf ? buf : lab_strdup("");
        (*out)[len] = 0;
    }
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

// Runs a child that prints one JSON object (run_child); exits 1 when it fails, naming the
// command so the student can run it alone. A new string.
static char *run_json(const Argv *a, double *seconds)
{
    char *out = NULL;
    double s = 0;
    int rc = run_child(a, &out, &s);
    if (rc != 0) {
        char *shown = argv_show(a);
        if (rc > 0) {
            lab_error_hint("its own message is above", "'%s' failed (exit status %d)", shown,
                           rc);
        }
        free(shown);
        free(out);
        exit(1);
    }
    if (seconds) {
        *seconds = s;
    }
    return out;
}

// The number of "key" in the flat JSON object obj that a child printed: 0, or -1 when the
// key is missing or its value is not a number (null reads as NAN). A string value cannot
// fake a key: its quotes are escaped.
static int json_number(const char *obj, const char *key, double *val)
{
    char *pat = lab_asprintf("\"%s\":", key);
    const char *p = strstr(obj, pat);
    size_t plen = strlen(pat);
    free(pat);
    if (!p) {
        return -1;
    }
    p += plen;
    p += strspn(p, " ");
    if (strncmp(p, "null", 4) == 0) {
        *val = NAN;
        return 0;
    }
    char *end;
    errno = 0;
    *val = strtod(p, &end);
    return end == p || errno == ERANGE ? -1 : 0;
}

// json_number, or exit 1 naming the command whose output lacked it (a bug of that command).
static double need_number(const char *obj, const char *key, const Argv *a)
{
    double v;
    if (json_number(obj, key, &v) != 0) {
        char *shown = argv_show(a);
        lab_die(NULL, "'%s' printed no number \"%s\"", shown, key);
    }
    return v;
}

// --- one family's results -------------------------------------------------------------------

// The shared evaluation report's numbers (lab_eval_report) of one split.
typedef struct {
    double tokens, loss, ppl, bits, words, word_ppl, oov, zero;
} Score;

typedef struct {
    const CompareFamily *fam;
    char *dir;              // the run directory
    char *config;           // "smoothing kn, order 6"
    double params;          // numbers the model learns (see params_of)
    double seconds;         // wall time of the train command
    long steps;             // neural: the steps trained; 0 for the n-gram model
    Score valid, test;
    double *curve_t, *curve_loss; // valid loss against training time (from log.tsv)
    long curve_n;
} Result;

static Score read_score(const char *obj, const Argv *a)
{
    Score s;
    s.tokens = need_number(obj, "tokens", a);
    s.loss = need_number(obj, "loss", a);
    s.ppl = need_number(obj, "ppl", a);
    s.bits = need_number(obj, "bits_per_token", a);
    s.words = need_number(obj, "words", a);
    s.word_ppl = need_number(obj, "word_ppl", a);
    s.oov = need_number(obj, "oov", a);
    s.zero = need_number(obj, "zero_prob", a);
    return s;
}

// What the model learns, from train's JSON: a neural model's "params"; for an n-gram model
// the numbers its ARPA file stores, a probability for every n-gram and a backoff weight for
// every one below the top order.
static double params_of(const CompareFamily *f, const char *obj, const Argv *a)
{
    if (f->neural) {
        return need_number(obj, "params", a);
    }
    long order = (long)need_number(obj, "order", a);
    double n = 0;
    for (long k = 1; k <= order; k++) {
        char key[32];
        snprintf(key, sizeof key, "ngrams_%ld", k);
        n += (k < order ? 2 : 1) * need_number(obj, key, a);
    }
    return n;
}

// "smoothing kn, order 6" from the run's config: the keys of f->show.
static char *config_of(const CompareFamily *f, const char *dir)
{
    LabConfig c = {0};
    if (lab_run_read_config(&c, dir, f->command, "a run") != 0) {
        exit(1);
    }
    char *s = lab_strdup("");
    for (int i = 0; i < MAX_SHOW && f->show[i]; i++) {
        const char *v = lab_config_get(&c, f->show[i]);
        char *t = lab_asprintf("%s%s%s %s", s, *s ? ", " : "", f->show[i], v ? v : "?");
        free(s);
        s = t;
    }
    lab_config_free(&c);
    return s;
}

// The column of log.tsv's header named name, or -1.
static int column_of(char *header, const char *name)
{
    int col = 0;
    for (char *p = header; p;) {
        char *tab = strchr(p, '\t');
        size_t n = tab ? (size_t)(tab - p) : strlen(p);
        if (n == strlen(name) && strncmp(p, name, n) == 0) {
            return col;
        }
        col++;
        p = tab ? tab + 1 : NULL;
    }
    return -1;
}

// Field col of a tab-separated line as a number; NAN for LAB_LOG_MISSING or a bad field.
static double field(const char *line, int col)
{
    for (int i = 0; i < col && line; i++) {
        line = strchr(line, '\t');
        line = line ? line + 1 : NULL;
    }
    if (!line || strncmp(line, LAB_LOG_MISSING, strlen(LAB_LOG_MISSING)) == 0) {
        return NAN;
    }
    char *end;
    double v = strtod(line, &end);
    return end == line || (*end && *end != '\t') ? NAN : v;
}

// Valid loss against training time from DIR/log.tsv: the time of a row is the sum, over the
// rows so far, of the tokens each trained divided by its tokens per second, so evaluations
// and checkpoints are left out. A log that cannot be read or lacks a column gives no curve
// and a note; the chart is a picture of the run, never a reason to fail.
static void read_curve(Result *r)
{
    char *path = lab_path_join(r->dir, "log.tsv"), *data = NULL;
    size_t len;
    if (lab_read_file(path, &data, &len, 64 << 20) != 0) {
        free(path);
        return;
    }
    char *cur = data, *header = lab_next_line(&cur);
    int ct = header ? column_of(header, "tokens") : -1;
    int cv = header ? column_of(header, "valid_loss") : -1;
    int cs = header ? column_of(header, "tokens_per_s") : -1;
    if (ct < 0 || cv < 0 || cs < 0) {
        lab_note("'%s' lacks the columns tokens, valid_loss, tokens_per_s: no curve", path);
    } else {
        double t = 0, prev = 0;
        long cap = 0;
        for (char *line; (line = lab_next_line(&cur));) {
            double tok = field(line, ct), loss = field(line, cv), speed = field(line, cs);
            if (isfinite(tok) && isfinite(speed) && speed > 0 && tok >= prev) {
                t += (tok - prev) / speed;
                prev = tok;
            }
            if (!isfinite(loss) || t <= 0) {
                continue;
            }
            if (r->curve_n == cap) {
                cap = cap ? 2 * cap : 16;
                r->curve_t = lab_realloc(r->curve_t, (size_t)cap * sizeof *r->curve_t);
                r->curve_loss = lab_realloc(r->curve_loss, (size_t)cap * sizeof *r->curve_loss);
            }
            r->curve_t[r->curve_n] = t;
            r->curve_loss[r->curve_n++] = loss;
        }
    }
    free(data);
    free(path);
}

// --- the comparison -------------------------------------------------------------------------

typedef struct {
    const char *dataset, *train, *valid, *test; // a dataset, or three files
    const char *tokenizer;                      // "char", "word" or "bpe"
    long bpe_vocab;                             // bpe: tokens each child's BPE learns
    const char *out;
    double budget;                              // seconds of training per neural family
    long steps;                                 // > 0: the neural families train this many
    long seed;
    int plot;                                   // PlotOutput
    int quiet;
} CompareOpts;

// The options every child gets: the data, the tokenizer, the run directory.
static void data_args(Argv *a, const CompareOpts *o, const char *dir)
{
    if (o->dataset) {
        arg(a, "--dataset");
        arg(a, "%s", o->dataset);
    } else {
        arg(a, "--train");
        arg(a, "%s", o->train);
    }
    arg(a, "--tokenizer");
    arg(a, "%s", o->tokenizer);
    if (strcmp(o->tokenizer, "bpe") == 0) { // each child learns the same merges from the text
        arg(a, "--bpe-vocab");
        arg(a, "%ld", o->bpe_vocab);
    }
    arg(a, "--out");
    arg(a, "%s", dir);
}

// `lmlab FAMILY train ...` into dir: every child a fresh run (--force, since the directory
// is compare's own), quiet unless the student wants the notes, charts as PNG or not at all.
static void train_args(Argv *a, const CompareFamily *f, const CompareOpts *o, const char *dir)
{
    arg(a, "lmlab");
    arg(a, "%s", f->command);
    arg(a, "train");
    data_args(a, o, dir);
    if (f->neural && !o->dataset) {
        arg(a, "--valid");
        arg(a, "%s", o->valid);
    }
    for (int i = 0; f->train_args[i]; i++) {
        arg(a, "%s", f->train_args[i]);
    }
    for (size_t k = 0; o->dataset && k < sizeof neural_settings / sizeof *neural_settings; k++) {
        const CompareSettings *c = &neural_settings[k];
        if (strcmp(c->family, f->name) == 0 && strcmp(c->dataset, o->dataset) == 0 &&
            strcmp(c->tokenizer, o->tokenizer) == 0) {
            for (int i = 0; c->args[i]; i++) {
                arg(a, "%s", c->args[i]);
            }
        }
    }
    arg(a, "--seed");
    arg(a, "%ld", o->seed);
    arg(a, "--plot");
    arg(a, "%s", o->plot == PLOT_PNG ? "png" : "none");
    arg(a, "--force");
    arg(a, "--json");
    if (o->quiet) {
        arg(a, "--quiet");
    }
}

static int ngram_order(const CompareOpts *o)
{
    for (size_t i = 0; o->dataset && i < sizeof ngram_orders / sizeof ngram_orders[0]; i++) {
        if (strcmp(ngram_orders[i].dataset, o->dataset) == 0 &&
            strcmp(ngram_orders[i].tokenizer, o->tokenizer) == 0) {
            return ngram_orders[i].order;
        }
    }
    return COMPARE_NGRAM_ORDER;
}

// The steps of a neural family: --steps, or as many as fit in the budget at the speed of a
// probe run of PROBE_STEPS steps in OUT/NAME-probe (its whole wall time, loading and the
// final evaluation included, counts as training, so the estimate errs on the short side).
static long neural_steps(const CompareFamily *f, const CompareOpts *o)
{
    if (o->steps > 0) {
        return o->steps;
    }
    char *dir = lab_asprintf("%s/%s-probe", o->out, f->name);
    Argv a = {0};
    train_args(&a, f, o, dir);
    arg(&a, "--steps");
    arg(&a, "%d", PROBE_STEPS);
    arg(&a, "--eval-every");
    arg(&a, "%d", PROBE_STEPS);
    arg(&a, "--samples");
    arg(&a, "0");
    char *shown = argv_show(&a);
    lab_note("%s: timing %d steps: %s", f->name, PROBE_STEPS, shown);
    double seconds = 0;
    free(run_json(&a, &seconds));
    double per_step = seconds / PROBE_STEPS;
    double n = floor(o->budget / per_step);
    long steps = n < 1 ? 1 : n > 1e9 ? 1000000000L : (long)n;
    lab_note("%s: %.3f s a step: %ld steps fill %g s", f->name, per_step, steps, o->budget);
    free(shown);
    argv_free(&a);
    free(dir);
    return steps;
}

// `lmlab FAMILY eval --model DIR (--split S | --data FILE) --json`, read back.
static Score eval_split(const CompareFamily *f, const CompareOpts *o, const char *dir,
                        const char *split)
{
    Argv a = {0};
    arg(&a, "lmlab");
    arg(&a, "%s", f->command);
    arg(&a, "eval");
    arg(&a, "--model");
    arg(&a, "%s", dir);
    if (o->dataset) {
        arg(&a, "--split");
        arg(&a, "%s", split);
    } else {
        arg(&a, "--data");
        arg(&a, "%s", strcmp(split, "valid") == 0 ? o->valid : o->test);
    }
    arg(&a, "--json");
    for (int i = 0; f->eval_args[i]; i++) {
        arg(&a, "%s", f->eval_args[i]);
    }
    char *obj = run_json(&a, NULL);
    Score s = read_score(obj, &a);
    free(obj);
    argv_free(&a);
    return s;
}

// Trains family f into OUT/NAME and scores it on valid and test.
static void run_family(Result *r, const CompareFamily *f, const CompareOpts *o)
{
    r->fam = f;
    r->dir = lab_asprintf("%s/%s", o->out, f->name);
    Argv a = {0};
    train_args(&a, f, o, r->dir);
    if (f->neural) {
        r->steps = neural_steps(f, o);
        arg(&a, "--steps");
        arg(&a, "%ld", r->steps);
        // five points of the valid curve, and the best of them kept (nn/train.c)
        arg(&a, "--eval-every");
        arg(&a, "%ld", r->steps >= 5 ? r->steps / 5 : 1);
        arg(&a, "--log-every");
        arg(&a, "%ld", r->steps >= 20 ? r->steps / 20 : 1);
    } else {
        arg(&a, "--smoothing");
        arg(&a, "kn");
        arg(&a, "--order");
        arg(&a, "%d", ngram_order(o));
    }
    char *shown = argv_show(&a);
    lab_note("%s: %s", f->name, shown);
    free(shown);
    char *obj = run_json(&a, &r->seconds);
    r->params = params_of(f, obj, &a);
    free(obj);
    argv_free(&a);
    r->config = config_of(f, r->dir);
    r->valid = eval_split(f, o, r->dir, "valid");
    r->test = eval_split(f, o, r->dir, "test");
    read_curve(r);
}

static void result_free(Result *r)
{
    free(r->dir);
    free(r->config);
    free(r->curve_t);
    free(r->curve_loss);
}

// --- reports --------------------------------------------------------------------------------

// "24.6K", "1.23M": a count in four columns or so.
static void human_count(char *buf, size_t cap, double n)
{
    if (n < 1e4) {
        snprintf(buf, cap, "%.0f", n);
    } else if (n < 1e6) {
        snprintf(buf, cap, "%.1fK", n / 1e3);
    } else {
        snprintf(buf, cap, "%.2fM", n / 1e6);
    }
}

static void print_table(const Result *rs, int n, const CompareOpts *o)
{
    int wc = (int)strlen("configuration");
    for (int i = 0; i < n; i++) {
        int l = (int)strlen(rs[i].config);
        wc = l > wc ? l : wc;
    }
    printf("compare on '%s' (%s tokens): loss in nats/token, bits per token on test\n",
           o->dataset ? o->dataset : o->train, o->tokenizer);
    printf("%-8s %-*s %8s %8s %10s %9s %9s %9s %6s\n", "family", wc, "configuration", "params",
           "train s", "valid loss", "valid ppl", "test loss", "test ppl", "bits");
    for (int i = 0; i < n; i++) {
        const Result *r = &rs[i];
        char p[32];
        human_count(p, sizeof p, r->params);
        printf("%-8s %-*s %8s %8.1f %10.4f %9.3f %9.4f %9.3f %6.3f\n", r->fam->name, wc,
               r->config, p, r->seconds, r->valid.loss, r->valid.ppl, r->test.loss, r->test.ppl,
               r->test.bits);
    }
    printf("runs in %s/ (each: lmlab FAMILY eval --model DIR --split test)\n", o->out);
}

static void json_score(LabJson *j, const char *split, const Score *s)
{
    char key[48];
#define KEY(name) (snprintf(key, sizeof key, "%s_%s", split, name), key)
    lab_json_int(j, KEY("tokens"), (long long)s->tokens);
    lab_json_num(j, KEY("loss"), s->loss);
    lab_json_num(j, KEY("ppl"), s->ppl);
    lab_json_num(j, KEY("bits_per_token"), s->bits);
    lab_json_int(j, KEY("words"), (long long)s->words);
    lab_json_num(j, KEY("word_ppl"), s->word_ppl);
    lab_json_int(j, KEY("oov"), (long long)s->oov);
    lab_json_int(j, KEY("zero_prob"), (long long)s->zero);
#undef KEY
}

// One object a family, one a line: the run, its configuration and the shared report's keys
// of each split with the split before them (valid_loss, test_ppl, ...).
static void print_json(const Result *rs, int n, const CompareOpts *o)
{
    for (int i = 0; i < n; i++) {
        const Result *r = &rs[i];
        LabJson j;
        lab_json_begin(&j, stdout);
        lab_json_str(&j, "family", r->fam->name);
        lab_json_str(&j, "run", r->dir);
        lab_json_str(&j, "dataset", o->dataset);
        lab_json_str(&j, "tokenizer", o->tokenizer);
        lab_json_str(&j, "config", r->config);
        lab_json_int(&j, "params", (long long)r->params);
        if (r->fam->neural) {
            lab_json_int(&j, "steps", r->steps);
        } else {
            lab_json_num(&j, "steps", NAN);
        }
        lab_json_num(&j, "train_seconds", r->seconds);
        json_score(&j, "valid", &r->valid);
        json_score(&j, "test", &r->test);
        lab_json_end(&j);
    }
}

// OUT/compare_ppl: valid and test perplexity, a pair of bars a family; OUT/compare_time: valid
// loss against training time, a line a family (log x: counting takes a second, training a
// network minutes).
static int write_charts(const Result *rs, int n, const CompareOpts *o)
{
    const char *what = o->dataset ? o->dataset : o->train;
    double *v = lab_malloc((size_t)n * sizeof *v), *t = lab_malloc((size_t)n * sizeof *t);
    char **names = lab_malloc((size_t)n * sizeof *names);
    for (int i = 0; i < n; i++) {
        v[i] = rs[i].valid.ppl;
        t[i] = rs[i].test.ppl;
        names[i] = (char *)rs[i].fam->name;
    }
    char *title = lab_asprintf("perplexity per family on %s (%s tokens)", what, o->tokenizer);
    Plot p;
    plot_init(&p, title, "family", "perplexity");
    p.style = PLOT_BARS;
    plot_add_series(&p, "valid", NULL, v, n);
    plot_add_series(&p, "test", NULL, t, n);
    plot_set_xtics(&p, names, n);
    int rc = plot_write(&p, o->out, "compare_ppl", (PlotOutput)o->plot);
    plot_free(&p);
    free(title);

    title = lab_asprintf("valid loss against training time on %s (%s tokens)", what,
                         o->tokenizer);
    plot_init(&p, title, "training time (s)", "valid loss (nats/token)");
    p.style = PLOT_LINESPOINTS;
    p.logx = 1;
    for (int i = 0; i < n; i++) {
        plot_add_series(&p, rs[i].fam->name, rs[i].curve_t, rs[i].curve_loss, rs[i].curve_n);
    }
    if (rc == 0) {
        rc = plot_write(&p, o->out, "compare_time", (PlotOutput)o->plot);
    }
    plot_free(&p);
    free(title);
    free(v);
    free(t);
    free(names);
    return rc;
}

// --- the command ----------------------------------------------------------------------------

// Which families --families names, in the order of the table, into use[]; a name that is no
// family is a usage error with the nearest one.
static void parse_families(const LabCommand *cmd, const char *list, int use[NFAMILIES])
{
    const char *names[NFAMILIES];
    for (int i = 0; i < NFAMILIES; i++) {
        names[i] = families[i].name;
    }
    int n;
    char **items = lab_list_split(cmd, "families", list, 2 * NFAMILIES, &n);
    for (int k = 0; k < n; k++) {
        int found = 0;
        for (int i = 0; i < NFAMILIES; i++) {
            if (strcmp(items[k], names[i]) == 0) {
                use[i] = found = 1;
            }
        }
        if (!found) {
            const char *near = lab_closest(items[k], names, NFAMILIES);
            char *all = lab_strdup("");
            for (int i = 0; i < NFAMILIES; i++) {
                char *s = lab_asprintf("%s%s%s", all, i ? ", " : "", names[i]);
                free(all);
                all = s;
            }
            if (near) {
                lab_usage_die(cmd, "--families: no family '%s' (did you mean '%s'? families: %s)",
                              items[k], near, all);
            }
            lab_usage_die(cmd, "--families: no family '%s' (families: %s)", items[k], all);
        }
    }
    free(items);
}

int compare_cmd(int argc, char **argv)
{
    CompareOpts o = {.tokenizer = "char", .bpe_vocab = 512, .budget = 60, .seed = 1337,
                     .plot = PLOT_PNG};
    const char *list = NULL, *out = NULL;
    int tokenizer = 0, json = 0;
    char *all = lab_strdup("");
    for (int i = 0; i < NFAMILIES; i++) {
        char *s = lab_asprintf("%s%s%s", all, i ? "," : "", families[i].name);
        free(all);
        all = s;
    }
    list = all;
    char *families_help = lab_asprintf("families to train, in this order: %s", all);
    const LabOpt opts[] = {
        {"dataset", LAB_OPT_STRING, &o.dataset, "NAME", "a shipped corpus: datasets/NAME/", 0, 0,
         0},
        {"train", LAB_OPT_STRING, &o.train, "FILE", "or train on this file (with --valid, --test)",
         0, 0, 0},
        {"valid", LAB_OPT_STRING, &o.valid, "FILE", "with --train: the validation text", 0, 0, 0},
        {"test", LAB_OPT_STRING, &o.test, "FILE", "with --train: the test text", 0, 0, 0},
        {"tokenizer", LAB_OPT_CHOICE, &tokenizer, NULL, "tokens are characters, words or "
         "byte-level BPE pieces", "char|word|bpe", 0, 0},
        {"bpe-vocab", LAB_OPT_INT, &o.bpe_vocab, "N", "with --tokenizer bpe: the vocabulary "
         "every family's BPE learns from the training text", 0, 257, 1 << 20},
        {"families", LAB_OPT_STRING, &list, "LIST", families_help, 0, 0, 0},
        {"budget", LAB_OPT_DOUBLE, &o.budget, "SECONDS",
         "training time of each neural family (the steps come from a timed probe run)", 0, 0.01,
         1e6},
        {"steps", LAB_OPT_INT, &o.steps, "N",
         "or train each neural family exactly N steps (reproducible; 0: from --budget)", 0, 0,
         1e9},
        {"seed", LAB_OPT_INT, &o.seed, "S", "random seed of every run", 0, 0, 0},
        {"out", LAB_OPT_STRING, &out, "DIR",
         "where the runs and charts go (default runs/compare-NAME)", 0, 0, 0},
        {"plot", LAB_OPT_CHOICE, &o.plot, NULL, "charts as PNG, in the terminal, or not at all",
         PLOT_OUTPUT_CHOICES, 0, 0},
        {"json", LAB_OPT_FLAG, &json, NULL, "print one JSON object a family, one a line", 0, 0,
         0},
        {"quiet", LAB_OPT_FLAG, &o.quiet, NULL, "no notes (the commands run are not shown)", 0, 0,
         0},
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab compare (--dataset NAME | --train FILE --valid FILE --test FILE) "
                 "[options]",
        .summary = "Train every model family on one dataset and tokenizer, each as its own run, "
                   "and print\nloss, perplexity and bits per token of each side by side, with "
                   "a chart.",
        .opts = opts,
        .epilog = "Each family runs as 'lmlab FAMILY train' into DIR/FAMILY, then 'lmlab FAMILY "
                  "eval --json'\non valid and test; the notes show every command. The n-gram "
                  "model is Kneser-Ney at\nthe best order for the dataset; a neural family "
                  "trains with its own defaults.\n"
                  "examples:\n"
                  "  lmlab compare --dataset names --budget 60\n"
                  "  lmlab compare --dataset timemachine --tokenizer word --families ngram,mlp\n"
                  "  lmlab compare --dataset timemachine --tokenizer bpe --bpe-vocab 512\n"
                  "  lmlab compare --dataset names --steps 2000 --json\n",
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    o.tokenizer = lab_choice_name("char|word|bpe", tokenizer);
    if (lab_args_given(&cmd, "bpe-vocab") && strcmp(o.tokenizer, "bpe") != 0) {
        lab_usage_die(&cmd, "--bpe-vocab applies to --tokenizer bpe");
    }
    if (o.dataset && (o.train || o.valid || o.test)) {
        lab_usage_die(&cmd, "give --dataset NAME or --train, --valid and --test, not both");
    }
    if (!o.dataset && !(o.train && o.valid && o.test)) {
        lab_usage_die(&cmd, "give --dataset NAME, or all three of --train, --valid and --test");
    }
    if (lab_args_given(&cmd, "budget") && lab_args_given(&cmd, "steps")) {
        lab_usage_die(&cmd, "give --budget SECONDS or --steps N, not both");
    }
    int use[NFAMILIES] = {0};
    parse_families(&cmd, list, use);
    if (o.dataset) {
        free(dataset_resolve(&cmd, o.dataset, "train", "train"));
    } else {
        // before any training: a missing file is found now, not after minutes of it
        const char *files[] = {o.train, o.valid, o.test};
        for (int i = 0; i < 3; i++) {
            FILE *f = fopen(files[i], "r");
            if (!f) {
                lab_die("--train, --valid and --test each name a text file",
                        "cannot open '%s': %s", files[i], strerror(errno));
            }
            fclose(f);
        }
    }
    lab_quiet = lab_quiet || o.quiet;
    char *stem = o.dataset ? lab_strdup(o.dataset) : lab_run_stem(o.train);
    char *outdir = out ? lab_strdup(out) : lab_asprintf("runs/compare-%s", stem);
    o.out = outdir;
    if (lab_run_dir(o.out) != 0) {
        exit(1);
    }

    Result rs[NFAMILIES] = {0};
    int n = 0;
    for (int i = 0; i < NFAMILIES; i++) {
        if (use[i]) {
            run_family(&rs[n++], &families[i], &o);
        }
    }
    if (json) {
        print_json(rs, n, &o);
    } else {
        print_table(rs, n, &o);
    }
    int rc = write_charts(rs, n, &o) == 0 ? 0 : 1;
    for (int i = 0; i < n; i++) {
        result_free(&rs[i]);
    }
    free(outdir);
    free(stem);
    free(families_help);
    free(all);
    return rc;
}
