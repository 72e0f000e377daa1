// word2vec_cli.c: `lmlab word2vec <verb>`: train word vectors, then ask them for neighbours
// and analogies.
//
//   lmlab word2vec train --dataset tinyshakespeare --model skipgram --epochs 5
//   lmlab word2vec similar --vectors runs/tinyshakespeare-skipgram king
//   lmlab word2vec analogy --vectors runs/tinyshakespeare-skipgram/vectors.txt man king woman
//
// train writes DIR/config and DIR/log.tsv (a row per epoch, as it goes: lab/run.c), then
// DIR/vectors.txt (the word2vec text format) and the chart DIR/pca.{dat,gp,png}: the chosen
// words projected on their first two principal components. Left out: evaluation on analogy test
// sets (bench/bench_word2vec.py does that).
#include "nn/word2vec.h"

#include <ctype.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "plots/plots.h"

// --- the PCA chart ----------------------------------------------------------------------------

typedef struct {
    char **words;      // (n) labels
    double *xy;        // (n, 2) coordinates
    int n;
    double share[2];   // fraction of the variance along each axis
    const char *title;
    double range[4];   // xmin, xmax, ymin, ymax of the axes
    int *place;        // (n) where label i goes: one of LABEL_PLACES, or -1: left out
    int skipped;       // labels left out because every place overlapped another
} PcaChart;

// --- placing the labels without overlaps ----------------------------------------------------
// The PNG is 900x600 at 11 points; the plot area is about 800x500 pixels, a character about
// 7.5 pixels wide (CJK: twice) and 15 high. Each label tries four places around its point,
// right-above first; the first that overlaps no label placed before and no other point wins.
// Words are placed in the order given (the most frequent first), so a crowded corner keeps
// its most frequent words labelled.
#define PCA_PLOT_W 800.0
#define PCA_PLOT_H 500.0
#define PCA_CHAR_W 7.5
#define PCA_CHAR_H 15.0
#define LABEL_PLACES 4
static const double label_dx[LABEL_PLACES] = {0.7, -0.7, 0.7, -0.7}; // in characters
static const double label_dy[LABEL_PLACES] = {0.4, 0.4, -0.8, -0.8};

static double label_width(const char *s)
{
    double w = 0;
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if ((*c & 0xc0) != 0x80) {
            w += *c >= 0xe1 ? 2 : 1; // from U+1000 on, count CJK-wide
        }
    }
    return w * PCA_CHAR_W;
}

typedef struct {
    double x0, y0, x1, y1;
} Box;

static int boxes_overlap(Box a, Box b)
{
    return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

// the pixel box of label i at place k (y grows upwards)
static Box label_box(const PcaChart *c, int i, int k)
{
    double px = (c->xy[2 * i] - c->range[0]) / (c->range[1] - c->range[0]) * PCA_PLOT_W;
    double py = (c->xy[2 * i + 1] - c->range[2]) / (c->range[3] - c->range[2]) * PCA_PLOT_H;
    double w = label_width(c->words[i]);
    double x = px + label_dx[k] * PCA_CHAR_W;
    double y = py + label_dy[k] * PCA_CHAR_H;
    Box b = {label_dx[k] > 0 ? x : x - w, y - PCA_CHAR_H / 2, label_dx[k] > 0 ? x + w : x,
             y + PCA_CHAR_H / 2};
    return b;
}

static void place_labels(PcaChart *c)
{
    double lo[2] = {INFINITY, INFINITY}, hi[2] = {-INFINITY, -INFINITY};
    for (int i = 0; i < c->n; i++) {
        for (int a = 0; a < 2; a++) {
            lo[a] = fmin(lo[a], c->xy[2 * i + a]);
            hi[a] = fmax(hi[a], c->xy[2 * i + a]);
        }
    }
    for (int a = 0; a < 2; a++) {
        double span = hi[a] > lo[a] ? hi[a] - lo[a] : 1;
        // room for the labels: more on the right, where they extend by default
        c->range[2 * a] = lo[a] - (a == 0 ? 0.10 : 0.06) * span;
        c->range[2 * a + 1] = hi[a] + (a == 0 ? 0.15 : 0.08) * span;
    }
    Box *placed = lab_malloc(((size_t)c->n + 1) * sizeof *placed);
    int np = 0;
    for (int i = 0; i < c->n; i++) {
        c->place[i] = -1;
        for (int k = 0; k < LABEL_PLACES && c->place[i] < 0; k++) {
            Box b = label_box(c, i, k);
            int clash = b.x0 < 0 || b.x1 > PCA_PLOT_W || b.y0 < 0 || b.y1 > PCA_PLOT_H;
            for (int j = 0; j < np && !clash; j++) {
                clash = boxes_overlap(b, placed[j]);
            }
            for (int j = 0; j < c->n && !clash; j++) { // the other points, 8 pixels across
                Box pt = label_box(c, j, 0);
                double px = pt.x0 - label_dx[0] * PCA_CHAR_W;
                double py = pt.y0 + PCA_CHAR_H / 2 - label_dy[0] * PCA_CHAR_H;
                Box dot = {px - 4, py - 4, px + 4, py + 4};
                clash = j != i && boxes_overlap(b, dot);
            }
            if (!clash) {
                c->place[i] = k;
                placed[np++] = b;
            }
        }
        c->skipped += c->place[i] < 0;
    }
    free(placed);
}

static void pca_write_dat(FILE *f, const void *ctx)
{
    const PcaChart *c = ctx;
    fprintf(f, "# %s\n# pc1 pc2 word (the .gp labels the points from its own list of words)\n",
            c->title);
    for (int i = 0; i < c->n; i++) {
        fprintf(f, "%.17g\t%.17g\t", c->xy[2 * i], c->xy[2 * i + 1]);
        plot_comment_text(f, c->words[i]);
        fputc('\n', f);
    }
}

static void pca_write_gp(FILE *f, const void *ctx)
{
    const PcaChart *c = ctx;
    plot_gp_header(f, "pca", c->title);
    fprintf(f, "set xlabel 'first principal component (%.1f%% of the variance)'\n",
            100 * c->share[0]);
    fprintf(f, "set ylabel 'second principal component (%.1f%% of the variance)'\n",
            100 * c->share[1]);
    fprintf(f, "set key off\n"
               "set xrange [%.17g:%.17g]\n"
               "set yrange [%.17g:%.17g]\n",
            c->range[0], c->range[1], c->range[2], c->range[3]);
    fprintf(f, "# one label per word, placed by lmlab beside its point where it overlaps no other\n"
               "# label (%d of %d words are left unlabelled: every place was taken)\n",
            c->skipped, c->n);
    for (int i = 0; i < c->n; i++) {
        if (c->place[i] < 0) {
            continue;
        }
        int k = c->place[i];
        fputs("set label ", f);
        plot_gp_string(f, c->words[i]);
        fprintf(f, " at %.17g, %.17g %s offset char %.1f, %.1f tc rgb '#333333'\n",
                c->xy[2 * i], c->xy[2 * i + 1], label_dx[k] > 0 ? "left" : "right",
                label_dx[k], label_dy[k]);
    }
    fputs("\ndatafile = here.'pca.dat'\n"
          "plot datafile using 1:2 with points lt 1 pt 7 ps 1.2\n",
          f);
}

// Projects the unit-length vectors of the n words (rows ids of m) on their first two
// principal components and writes the chart pca into dir.
static int pca_chart(const W2vModel *m, char *const *str, const int32_t *ids, int n,
                     const char *dir, const char *title, PlotOutput out)
{
    double *x = lab_malloc((size_t)n * m->D * sizeof *x);
    for (int i = 0; i < n; i++) {
        const float *row = m->syn0 + (size_t)ids[i] * m->stride;
        double ss = 0;
        for (int j = 0; j < m->D; j++) {
            ss += (double)row[j] * row[j];
        }
        double inv = ss > 0 ? 1 / sqrt(ss) : 0;
        for (int j = 0; j < m->D; j++) {
            x[(size_t)i * m->D + j] = row[j] * inv;
        }
    }
    PcaChart c = {.n = n, .title = title};
    c.xy = lab_malloc((size_t)n * 2 * sizeof *c.xy);
    c.words = lab_malloc((size_t)n * sizeof *c.words);
    for (int i = 0; i < n; i++) {
        c.words[i] = str[ids[i]];
    }
    double var[2];
    w2v_pca(c.xy, NULL, var, x, n, m->D, 2);
    // the total variance: the mean squared distance to the centroid
    double total = 0;
    for (int j = 0; j < m->D; j++) {
        double mean = 0, sq = 0;
        for (int i = 0; i < n; i++) {
            mean += x[(size_t)i * m->D + j];
        }
        mean /= n;
        for (int i = 0; i < n; i++) {
            double dv = x[(size_t)i * m->D + j] - mean;
            sq += dv * dv;
        }
        total += sq / n;
    }
    c.share[0] = total > 0 ? var[0] / total : 0;
    c.share[1] = total > 0 ? var[1] / total : 0;
    c.place = lab_malloc((size_t)n * sizeof *c.place);
    place_labels(&c);
    if (c.skipped > 0) {
        lab_note("the PCA chart labels %d of its %d words: the other labels would overlap",
                 n - c.skipped, n);
    }
    int rc = plot_write_files(dir, "pca", pca_write_dat, pca_write_gp, &c);
    if (rc == 0) {
        rc = plot_render(dir, "pca", out);
    }
    free(x);
    free(c.xy);
    free(c.words);
    free(c.place);
    return rc;
}

// The rows of the words list[0..nlist) (from --words); unknown words are noted and skipped.
// Without a list (nlist 0): the 30 most frequent words that hold a letter or digit. Returns
// the count.
static int choose_words(int32_t *ids, int max, char **list, int nlist, const W2vData *d)
{
    int n = 0;
    if (nlist == 0) {
        for (int32_t w = 0; w < d->V && n < max; w++) {
            int wordish = 0;
            for (const unsigned char *c = (const unsigned char *)d->str[w]; *c; c++) {
                wordish |= isalnum(*c) || *c >= 0x80;
            }
            if (wordish) {
                ids[n++] = w;
            }
        }
        return n;
    }
    int k = 0;
    for (; k < nlist && n < max; k++) {
        int32_t found = -1;
        for (int32_t w = 0; w < d->V; w++) {
            if (strcmp(d->str[w], list[k]) == 0) {
                found = w;
                break;
            }
        }
        if (found < 0) {
            char q[128];
            lab_note("--words: '%s' is not in the vocabulary (seen fewer than --min-count "
                     "times?); the chart leaves it out",
                     lab_quote(q, sizeof q, list[k], strlen(list[k])));
        } else {
            int dup = 0;
            for (int i = 0; i < n; i++) {
                dup |= ids[i] == found;
            }
            if (!dup) {
                ids[n++] = found;
            }
        }
    }
    if (k < nlist) {
        lab_note("--words: the chart takes the first %d known words; the rest are left out", max);
    }
    return n;
}

// --- train ------------------------------------------------------------------------------------

// The default run directory: runs/<dataset, or the stem of --train FILE>, "-char" when the
// tokenizer is not word (word2vec's default), then "-<model>". A new string.
static char *run_name(const char *dataset, const char *train_path, const TextOpts *text,
                      const char *model)
{
    char *base = dataset ? lab_strdup(dataset) : lab_run_stem(train_path);
    char *dir = lab_asprintf("runs/%s%s-%s", base, text->tokenizer == TOK_WORD ? "" : "-char",
                             model);
    free(base);
    return dir;
}

// One `word2vec train`: what was asked, the data and model, the run it writes.
typedef struct {
    // parse
    const char *dataset;
    char *train_path, *run_dir;
    const char *mname;
    long dim, window, negative, epochs, seed, sync, sync_updates, threads;
    int model, plot, hogwild, json, force;
    double sample, alpha;
    TextOpts text;
    char **word_list; // --words, or NULL
    int nwords;
    // build
    Tokenizer tok;
    Vocab vocab;
    W2vData data;
    int32_t chart_ids[256];
    int nchart;
    W2vConfig cfg;
    LabConfig lc;
    W2vModel m;
    // train: log.tsv as it goes, the report that ended each epoch
    LabRun run;
    LabProgress bar;
    W2vReport *ends;   // (epochs) the report that ended each epoch
    int nepochs;
    int log_failed;
    double seconds;
} W2vTrain;

// words/s over epoch e (from the reports that ended it and the one before)
static double epoch_rate(const W2vTrain *t, int e)
{
    double s0 = e > 0 ? t->ends[e - 1].seconds : 0;
    long long w0 = e > 0 ? t->ends[e - 1].words : 0;
    double dt = t->ends[e].seconds - s0;
    return dt > 0 ? (double)(t->ends[e].words - w0) / dt : 0;
}

// Called by w2v_train on its thread: the progress bar, and a row of log.tsv per epoch.
static void on_report(const W2vReport *r, void *ctx)
{
    W2vTrain *t = ctx;
    lab_progress_update(&t->bar, r->words, r->loss, r->words);
    if (!r->epoch_done) {
        return;
    }
    int e = t->nepochs++;
    t->ends[e] = *r;
    LabLogRow row = {
        .step = e + 1,
        .tokens = r->words,
        .train_loss = r->loss,
        .valid_loss = NAN, // word2vec has no held-out loss
        .lr = r->alpha,
        .tokens_per_s = epoch_rate(t, e),
    };
    double extra[2] = {r->epoch, (double)r->pairs};
    if (!t->log_failed && lab_run_log(&t->run, &row, extra) != 0) {
        t->log_failed = 1; // said once; the run fails when training ends
    }
}

// The options into t, every mistake a usage error (exit 2).
static void train_parse(W2vTrain *t, int argc, char **argv)
{
    const char *train = NULL, *out = NULL, *alpha_s = NULL, *words = NULL;
    int keep_case = 0, quiet = 0;
    t->dim = 100;
    t->window = 5;
    t->negative = 5;
    t->epochs = 5;
    t->seed = 1;
    t->sync = 10000;
    t->sync_updates = 2000;
    t->threads = omp_get_num_procs();
    t->model = W2V_SKIPGRAM;
    t->plot = PLOT_PNG;
    t->sample = 1e-3;
    t->text = (TextOpts)TEXT_OPTS_DEFAULT;
    t->text.tokenizer = TOK_WORD;
    t->text.lowercase = 1;
    t->text.min_count = 5;
    const LabOpt opts[] = {
        {"dataset", LAB_OPT_STRING, &t->dataset, "NAME", "a shipped corpus: its train split", 0,
         0, 0},
        {"train", LAB_OPT_STRING, &train, "FILE", "train on this file instead (one sentence a "
         "line)", 0, 0, 0},
        {"model", LAB_OPT_CHOICE, &t->model, NULL,
         "skip-gram: a word predicts its context; cbow: the context predicts the word",
         W2V_MODEL_CHOICES, 0, 0},
        {"dim", LAB_OPT_INT, &t->dim, "D", "size of a word vector", 0, 1, 10000},
        {"window", LAB_OPT_INT, &t->window, "N", "context: up to N words either side (a random "
         "1..N each time)", 0, 1, 1000},
        {"negative", LAB_OPT_INT, &t->negative, "K", "negative samples per pair, drawn from "
         "unigram^0.75", 0, 1, 1000},
        {"sample", LAB_OPT_DOUBLE, &t->sample, "S", "subsampling threshold of frequent words "
         "(0: off)", 0, 0, 1},
        TEXT_MIN_COUNT_OPT(t->text, "rarer words are dropped"),
        {"epochs", LAB_OPT_INT, &t->epochs, "N", "passes over the corpus", 0, 1, 100000},
        {"alpha", LAB_OPT_STRING, &alpha_s, "A", "learning rate at the start, falling linearly "
         "to A/10000 (default 0.025 skipgram, 0.05 cbow)", 0, 0, 0},
        {"threads", LAB_OPT_INT, &t->threads, "N", "workers, one per core unless told; part of "
         "what makes a run repeatable", 0, 1, 1024},
        {"seed", LAB_OPT_INT, &t->seed, "S", "random seed: the same seed and --threads give the "
         "same vectors", 0, 0, 0},
        {"sync", LAB_OPT_INT, &t->sync, "N", "a thread's round: at most N words between merges",
         0, 1, 1e9},
        {"sync-updates", LAB_OPT_INT, &t->sync_updates, "N", "..and no row updated more than "
         "N/(threads-1)^1.5 times (0: unbounded)", 0, 0, 1e9},
        {"hogwild", LAB_OPT_FLAG, &t->hogwild, NULL, "workers share one model without locks, as "
         "word2vec.c does: faster, NOT repeatable with more than one thread", 0, 0, 0},
        TEXT_OPTS_TABLE(t->text),
        {"keep-case", LAB_OPT_FLAG, &keep_case, NULL, "do not fold case (word2vec folds it: "
         "--lowercase is on)", 0, 0, 0},
        {"out", LAB_OPT_STRING, &out, "DIR", "run directory (default runs/NAME-MODEL: see "
         "docs/cli.md)", 0, 0, 0},
        {"force", LAB_OPT_FLAG, &t->force, NULL, "replace a run of another configuration in the "
         "run directory", 0, 0, 0},
        {"plot", LAB_OPT_CHOICE, &t->plot, NULL, "the PCA chart as PNG, in the terminal, or not "
         "at all", PLOT_OUTPUT_CHOICES, 0, 0},
        {"words", LAB_OPT_STRING, &words, "W1,W2,..", "words of the PCA chart (default: the 30 "
         "most frequent)", 0, 0, 0},
        {"quiet", LAB_OPT_FLAG, &quiet, NULL, "print only the result lines", 0, 0, 0},
        {"json", LAB_OPT_FLAG, &t->json, NULL, "print one JSON object: sizes, timings, losses",
         0, 0, 0},
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab word2vec train (--dataset NAME | --train FILE) [options]",
        .summary = "Train word vectors (skip-gram or CBOW with negative sampling) and write "
                   "DIR/vectors.txt\nin the word2vec text format, config, log.tsv and a PCA "
                   "chart of some words.",
        .opts = opts,
        .epilog = "examples:\n"
                  "  lmlab word2vec train --dataset tinyshakespeare\n"
                  "  lmlab word2vec train --dataset timemachine --model cbow --epochs 20 "
                  "--words time,machine,traveller,future\n"
                  "  lmlab word2vec similar --vectors runs/tinyshakespeare-skipgram king\n",
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    t->word_list = words ? lab_list_split(&cmd, "words", words, 1 << 20, &t->nwords) : NULL;
    if (train && t->dataset) {
        lab_usage_die(&cmd, "give --dataset or --train, not both");
    }
    if (!train && !t->dataset) {
        lab_usage_die(&cmd, "say what to train on: --dataset NAME or --train FILE");
    }
    if (t->hogwild && (lab_args_given(&cmd, "sync") || lab_args_given(&cmd, "sync-updates"))) {
        lab_usage_die(&cmd, "--sync and --sync-updates pace the merges of the default mode; "
                      "--hogwild has no merges");
    }
    if (keep_case && lab_args_given(&cmd, "lowercase")) {
        lab_usage_die(&cmd, "--keep-case and --lowercase contradict each other");
    }
    if (lab_args_given(&cmd, "pattern") && t->text.tokenizer != TOK_WORD) {
        lab_usage_die(&cmd, "--pattern is for --tokenizer word");
    }
    if (t->text.tokenizer == TOK_BPE) {
        // similar and analogy take words; a BPE vocabulary holds pieces such as "Ġthe", "ing"
        lab_usage_die(&cmd, "word2vec learns a vector per word (or character), and 'similar' "
                            "and 'analogy' look words up: --tokenizer bpe is for the language "
                            "models (ngram, mlp, rnn)");
    }
    t->alpha = t->model == W2V_CBOW ? 0.05 : 0.025;
    if (alpha_s) {
        char *end;
        t->alpha = strtod(alpha_s, &end);
        if (end == alpha_s || *end || !(t->alpha > 0) || !isfinite(t->alpha) || t->alpha > 10) {
            lab_usage_die(&cmd, "--alpha expects a learning rate in (0, 10], got '%s'", alpha_s);
        }
    }
    if (keep_case) {
        t->text.lowercase = 0;
    }
    lab_quiet = quiet;
    t->train_path = train ? lab_strdup(train)
                          : dataset_resolve(&cmd, t->dataset, "train", "train");
    t->mname = lab_choice_name(W2V_MODEL_CHOICES, t->model);
    t->run_dir = out ? lab_strdup(out) : run_name(t->dataset, t->train_path, &t->text, t->mname);
}

// Reads the corpus into the training data, chooses the chart's words, and sets the config.
static void train_build(W2vTrain *t)
{
    if (text_tokenizer(&t->tok, &t->text) != 0) {
        exit(2); // a bad --pattern is a usage error
    }
    vocab_init(&t->vocab);
    Corpus corpus;
    if (text_load_corpus(&corpus, &t->vocab, 1, &t->tok, &t->text, t->train_path) != 0) {
        exit(1);
    }
    if (w2v_data_build(&t->data, &corpus, &t->vocab, t->text.min_count, t->train_path) != 0) {
        exit(1);
    }
    corpus_free(&corpus);
    t->nchart = choose_words(t->chart_ids, t->word_list ? 256 : 30, t->word_list, t->nwords,
                             &t->data);
    free(t->word_list);
    t->word_list = NULL;

    W2vConfig *c = &t->cfg;
    w2v_config_default(c);
    c->model = t->model;
    c->dim = (int)t->dim;
    c->window = (int)t->window;
    c->negative = (int)t->negative;
    c->sample = t->sample;
    c->epochs = (int)t->epochs;
    c->alpha = t->alpha;
    c->threads = (int)t->threads;
    c->seed = (uint64_t)t->seed;
    c->hogwild = t->hogwild;
    c->sync_words = t->sync;
    c->sync_updates = t->sync_updates;
    if (t->hogwild && t->threads > 1) {
        lab_note("--hogwild with %ld threads: the vectors differ from run to run", t->threads);
    }
    LabConfig *lc = &t->lc;
    lab_config_set(lc, "family", "word2vec");
    lab_config_set(lc, "dataset", "%s", t->dataset ? t->dataset : "");
    lab_config_set(lc, "train", "%s", t->train_path);
    lab_config_set(lc, "model", "%s", t->mname);
    lab_config_set(lc, "dim", "%ld", t->dim);
    lab_config_set(lc, "window", "%ld", t->window);
    lab_config_set(lc, "negative", "%ld", t->negative);
    lab_config_set(lc, "sample", "%.17g", t->sample);
    lab_config_set(lc, "epochs", "%ld", t->epochs);
    lab_config_set(lc, "alpha", "%.17g", t->alpha);
    lab_config_set(lc, "threads", "%ld", t->threads);
    lab_config_set(lc, "seed", "%ld", t->seed);
    lab_config_set(lc, "sync", "%ld", t->sync);
    lab_config_set(lc, "sync_updates", "%ld", t->sync_updates);
    lab_config_set(lc, "hogwild", "%d", t->hogwild);
    text_opts_save(&t->text, lc);
    lab_config_set(lc, "vocab", "%d", t->data.V);
    lab_config_set(lc, "words", "%lld", t->data.n);
}

// Opens the run (a run of another configuration is not replaced without --force, and that is
// best said before the minutes of training), writes config and log.tsv's header, trains
// with a row of log.tsv per epoch. A failed training removes what it wrote and exits 1.
static void train_run(W2vTrain *t)
{
    if (lab_run_open(&t->run, t->run_dir, "word2vec", &t->lc, t->force) != 0 ||
        lab_run_write_config(&t->run, &t->lc) != 0 ||
        lab_run_log_open(&t->run, "epoch\tpairs") != 0) {
        lab_run_discard(&t->run);
        exit(1);
    }
    w2v_model_init(&t->m, t->data.V, t->cfg.dim, t->cfg.seed);
    t->ends = lab_calloc((size_t)t->cfg.epochs, sizeof *t->ends);
    lab_progress_start(&t->bar, "word2vec", t->data.n * t->cfg.epochs);
    if (w2v_train(&t->m, &t->data, &t->cfg, on_report, t) != 0) {
        lab_run_discard(&t->run);
        exit(1);
    }
    lab_progress_end(&t->bar);
    if (t->log_failed || lab_run_close(&t->run) != 0) {
        exit(1);
    }
    t->seconds = t->ends[t->nepochs - 1].seconds;
}

// vectors.txt and the PCA chart; returns the chart's status.
static int train_write(W2vTrain *t)
{
    char *vec_path = lab_path_join(t->run_dir, "vectors.txt");
    const W2vModel *m = &t->m;
    if (w2v_save_text(vec_path, t->data.str, m->syn0, m->V, m->D, m->stride) != 0) {
        exit(1);
    }
    free(vec_path);
    if (t->nchart < 2) {
        lab_note("the PCA chart needs at least two known words; none drawn");
        return 0;
    }
    char *title = lab_asprintf("%s, %s (dim %ld, window %ld, %ld epoch%s): %d words on two "
                               "principal components", t->dataset ? t->dataset : t->train_path,
                               t->mname, t->dim, t->window, t->epochs, t->epochs == 1 ? "" : "s",
                               t->nchart);
    int rc = pca_chart(m, t->data.str, t->chart_ids, t->nchart, t->run_dir, title,
                       (PlotOutput)t->plot);
    free(title);
    return rc;
}

// What was trained, per epoch, on stdout (or one JSON object).
static void train_report(const W2vTrain *t)
{
    double rate = t->seconds > 0 ? (double)t->data.n * t->epochs / t->seconds : 0;
    if (t->json) {
        LabJson j;
        lab_json_begin(&j, stdout);
        lab_json_str(&j, "family", "word2vec");
        lab_json_str(&j, "model", t->mname);
        lab_json_str(&j, "train", t->train_path);
        lab_json_str(&j, "dataset", t->dataset ? t->dataset : "");
        lab_json_int(&j, "words", t->data.n);
        lab_json_int(&j, "sentences", t->data.nsent);
        lab_json_int(&j, "vocab", t->data.V);
        lab_json_int(&j, "dim", t->dim);
        lab_json_int(&j, "epochs", t->epochs);
        lab_json_int(&j, "threads", t->threads);
        lab_json_int(&j, "hogwild", t->hogwild);
        lab_json_num(&j, "seconds_train", t->seconds);
        lab_json_num(&j, "words_per_s", rate);
        lab_json_num(&j, "loss", t->ends[t->nepochs - 1].loss);
        lab_json_str(&j, "out", t->run_dir);
        lab_json_end(&j);
        return;
    }
    printf("trained %s on '%s': %lld words a pass, %d words seen %ld+ times, %ld dimensions\n",
           t->model == W2V_CBOW ? "CBOW" : "skip-gram", t->train_path, t->data.n, t->data.V,
           t->text.min_count, t->dim);
    printf("  window %ld, %ld negatives, sample %g, alpha %g, %ld threads%s, seed %ld\n",
           t->window, t->negative, t->sample, t->alpha, t->threads,
           t->hogwild ? " (hogwild)" : "", t->seed);
    for (int e = 0; e < t->nepochs; e++) {
        printf("  epoch %d  loss %.4f  alpha %.6f  %.0f words/s\n", t->ends[e].epoch,
               t->ends[e].loss, t->ends[e].alpha, epoch_rate(t, e));
    }
    printf("  %.2fs, %.0f words/s (training words read, before subsampling)\n", t->seconds,
           rate);
    printf("wrote %s/ (vectors.txt config log.tsv%s)\n", t->run_dir,
           t->nchart >= 2 ? " pca" : "");
}

static void train_free(W2vTrain *t)
{
    lab_config_free(&t->lc);
    free(t->ends);
    w2v_model_free(&t->m);
    w2v_data_free(&t->data);
    vocab_free(&t->vocab);
    tok_free(&t->tok);
    free(t->train_path);
    free(t->run_dir);
}

static int cmd_train(int argc, char **argv)
{
    W2vTrain t = {0};
    train_parse(&t, argc, argv);
    train_build(&t);
    train_run(&t);
    int chart_rc = train_write(&t);
    train_report(&t);
    train_free(&t);
    return chart_rc == 0 ? 0 : 1;
}

// --- similar and analogy ----------------------------------------------------------------------

// Reads --vectors (a file, or a run directory holding vectors.txt) and normalises it.
static void load_vectors(W2vVectors *v, const char *arg, char **path)
{
    struct stat st;
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode)) {
        *path = lab_path_join(arg, "vectors.txt");
    } else {
        *path = lab_strdup(arg);
    }
    if (w2v_vectors_read(v, *path) != 0) {
        exit(1);
    }
    w2v_vectors_normalize(v);
}

// The row of word, or exit 1 with a message (and a hint when another case of it is known).
static int32_t find_or_die(const W2vVectors *v, const char *word, const char *path)
{
    int32_t id = w2v_vectors_find(v, word);
    if (id >= 0) {
        return id;
    }
    char *lower = lab_strdup(word);
    for (char *c = lower; *c; c++) {
        *c = (char)tolower((unsigned char)*c);
    }
    if (strcmp(lower, word) != 0 && w2v_vectors_find(v, lower) >= 0) {
        char *hint = lab_asprintf("the vectors were trained on lowercased text: try '%s'", lower);
        lab_die(hint, "'%s' is not in the vocabulary of '%s' (%d words)", word, path, v->V);
    }
    lab_die("a word is left out when it was seen fewer than --min-count times in training",
            "'%s' is not in the vocabulary of '%s' (%d words)", word, path, v->V);
}

static void print_hits(const W2vVectors *v, const W2vHit *hits, int n)
{
    for (int i = 0; i < n; i++) {
        printf("%4d  %-20s %8.4f\n", i + 1, v->word[hits[i].id], hits[i].cos);
    }
}

static int cmd_similar(int argc, char **argv)
{
    const char *vectors = NULL;
    long k = 10;
    const LabOpt opts[] = {
        {"vectors", LAB_OPT_STRING, &vectors, "FILE", "a vectors file in the word2vec text "
         "format, or a run directory", 0, 0, 0},
        {"k", LAB_OPT_INT, &k, "K", "how many neighbours", 0, 1, 100000},
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab word2vec similar --vectors FILE [options] WORD",
        .summary = "The words nearest to WORD by cosine similarity.",
        .opts = opts,
        .epilog = "examples:\n"
                  "  lmlab word2vec similar --vectors runs/tinyshakespeare-skipgram king\n"
                  "  lmlab word2vec similar --vectors gensim-vectors.txt --k 5 time\n",
        .min_pos = 1,
        .max_pos = 1,
    };
    char *pos[1];
    int npos;
    lab_args_parse(&cmd, argc, argv, pos, &npos);
    if (!vectors) {
        lab_usage_die(&cmd, "--vectors FILE is required");
    }
    W2vVectors v;
    char *path;
    load_vectors(&v, vectors, &path);
    int32_t id = find_or_die(&v, pos[0], path);
    W2vHit *hits = lab_malloc((size_t)k * sizeof *hits);
    int n = w2v_nearest(hits, (int)k, &v, v.vec + (size_t)id * v.D, &id, 1);
    printf("nearest to '%s' by cosine, of %d words in %s:\n", pos[0], v.V, path);
    print_hits(&v, hits, n);
    free(hits);
    free(path);
    w2v_vectors_free(&v);
    return 0;
}

static int cmd_analogy(int argc, char **argv)
{
    const char *vectors = NULL;
    long k = 5;
    const LabOpt opts[] = {
        {"vectors", LAB_OPT_STRING, &vectors, "FILE", "a vectors file in the word2vec text "
         "format, or a run directory", 0, 0, 0},
        {"k", LAB_OPT_INT, &k, "K", "how many answers", 0, 1, 100000},
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab word2vec analogy --vectors FILE [options] A B C",
        .summary = "A is to B as C is to ?: the words nearest to B - A + C by cosine (of unit "
                   "vectors;\nA, B and C themselves are left out, as in word2vec's analogy "
                   "tool).",
        .opts = opts,
        .epilog = "examples:\n"
                  "  lmlab word2vec analogy --vectors runs/tinyshakespeare-skipgram he his she\n",
        .min_pos = 3,
        .max_pos = 3,
    };
    char *pos[3];
    int npos;
    lab_args_parse(&cmd, argc, argv, pos, &npos);
    if (!vectors) {
        lab_usage_die(&cmd, "--vectors FILE is required");
    }
    W2vVectors v;
    char *path;
    load_vectors(&v, vectors, &path);
    int32_t a = find_or_die(&v, pos[0], path);
    int32_t b = find_or_die(&v, pos[1], path);
    int32_t c = find_or_die(&v, pos[2], path);
    W2vHit *hits = lab_malloc((size_t)k * sizeof *hits);
    int n = w2v_analogy(hits, (int)k, &v, a, b, c);
    printf("'%s' is to '%s' as '%s' is to (cosine to %s - %s + %s):\n", pos[0], pos[1], pos[2],
           pos[1], pos[0], pos[2]);
    print_hits(&v, hits, n);
    free(hits);
    free(path);
    w2v_vectors_free(&v);
    return 0;
}

// --- dispatch ---------------------------------------------------------------------------------

const LabVerbs word2vec_verbs = {
    .prog = "lmlab word2vec",
    .what = "verb",
    .footer = "'lmlab word2vec <verb> --help' shows the options of a verb.\n",
    .rows = (const LabVerb[]){
        {"train", cmd_train, "learn word vectors (skip-gram or CBOW with negative sampling)", 0},
        {"similar", cmd_similar, "the nearest words to a word, by cosine", 0},
        {"analogy", cmd_analogy, "a is to b as c is to ? (b - a + c)", 0},
        {0},
    },
};
