// train.c: `lmlab ngram train`: count a corpus, smooth, write the run directory.
//
//   lmlab ngram train --dataset names --order 4 --smoothing kn
//
// The run directory (--out, default runs/<dataset>-<smoothing><order>: run.c) receives
// model.arpa, vocab.txt, config, log.tsv (through the lab's run harness), the Zipf chart and
// samples.txt, each written atomically but log.tsv. The command reads as parse, build, write,
// report.
#include "ngram/cli_common.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// --- the Zipf chart -------------------------------------------------------------------------

static int by_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

#define ZIPF_SMALL 4096 // counts below this are sorted by a histogram

// The positive counts of L in descending order, as the counts of ZIPF_SMALL and above (*big,
// *nbig of them, sorted by qsort: the few frequent n-grams) and then a histogram of the smaller
// ones (hist[c]: how many have count c; most n-grams are rare). The caller frees both.
static void counts_desc(const NgramLevel *L, double **big, long *nbig, uint32_t **hist)
{
    *hist = lab_calloc(ZIPF_SMALL, sizeof **hist);
    long n = 0;
    for (uint32_t s = 0; s < L->cap; s++) {
        uint32_t c = L->val[NGRAM_COUNT][s];
        n += L->keys[s] != NGRAM_EMPTY && c >= ZIPF_SMALL;
    }
    *big = lab_malloc((size_t)n * sizeof **big + 1);
    n = 0;
    for (uint32_t s = 0; s < L->cap; s++) {
        uint32_t c = L->val[NGRAM_COUNT][s];
        if (L->keys[s] == NGRAM_EMPTY || c == 0) {
            continue;
        }
        if (c < ZIPF_SMALL) {
            (*hist)[c]++;
        } else {
            (*big)[n++] = c;
        }
    }
    qsort(*big, (size_t)n, sizeof **big, by_desc);
    *nbig = n;
}

int ngram_zipf_chart(const NgramCounts *nc, const char *dir, const char *what, PlotOutput out)
{
    Plot p;
    char *title = lab_asprintf("Zipf's law on %s: frequency against rank", what);
    plot_init(&p, title, "rank", "frequency");
    free(title);
    p.logx = p.logy = 1;
    p.style = PLOT_LINES;
    p.ymin = 0.5; // so the long tail of n-grams seen once stays above the bottom border
    static const char *names[] = {"", "unigrams", "bigrams", "trigrams", "4-grams", "5-grams",
                                  "6-grams"};
    for (int k = 1; k <= nc->order && k <= NGRAM_MAX_ORDER; k++) {
        const NgramLevel *L = &nc->lev[k];
        double *big;
        uint32_t *hist;
        long nbig, n;
        counts_desc(L, &big, &nbig, &hist);
        n = nbig;
        for (uint32_t c = 1; c < ZIPF_SMALL; c++) {
            n += hist[c];
        }
        // every rank up to 1000, then ranks about 1% apart: the log-log curve looks the same.
        // The count at rank r (from 1): big[r - 1], then the histogram's counts from the top,
        // walked with the ranks (c: the count at rank below, from rank below + 1 to below_end).
        size_t most = 1000 + 2 + (size_t)(log((double)n + 1) / log(1.01));
        double *x = lab_malloc(most * sizeof *x);
        double *y = lab_malloc(most * sizeof *y);
        long m = 0, end = nbig; // ranks up to end have counts at or above c
        uint32_t c = ZIPF_SMALL;
        for (long r = 1; r <= n; r = r < 1000 ? r + 1 : (long)(r * 1.01) + 1) {
            while (r > end) {
                end += hist[--c];
            }
            x[m] = (double)r;
            y[m] = r <= nbig ? big[r - 1] : c;
            m++;
        }
        if (m > 0 && x[m - 1] < (double)n) {
            x[m] = (double)n; // the last rank, so the curve ends where the data end
            while (n > end) {
                end += hist[--c];
            }
            y[m] = n <= nbig ? big[n - 1] : c;
            m++;
        }
        assert((size_t)m <= most);
        plot_add_series(&p, names[k], x, y, m);
        free(big);
        free(hist);
        free(x);
        free(y);
    }
    int rc = plot_write(&p, dir, "zipf", out);
    plot_free(&p);
    return rc;
}

// --- the bigram counts ----------------------------------------------------------------------

static const Vocab *sort_vocab; // the vocabulary by_token compares in (qsort has no context)

static int by_token(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    size_t n = sort_vocab->len[x] < sort_vocab->len[y] ? sort_vocab->len[x] : sort_vocab->len[y];
    int c = memcmp(sort_vocab->str[x], sort_vocab->str[y], n);
    return c ? c : (sort_vocab->len[x] > sort_vocab->len[y]) - (sort_vocab->len[x] <
                                                                 sort_vocab->len[y]);
}

// "<s>", or the token escaped ("\s" for a space): a new string
static char *token_label(const Vocab *v, int32_t id)
{
    return id < TOK_FIRST ? lab_strdup(v->str[id]) : tok_escape(v->str[id], v->len[id]);
}

// c(a b) of order-2 n-gram (a, b), 0 when it was not counted
static double bigram_count(const NgramCounts *nc, int32_t a, int32_t b)
{
    uint32_t node = ngram_level_find(&nc->lev[1], 0, a);
    if (node == NGRAM_NONE) {
        return 0;
    }
    uint32_t s = ngram_level_find(&nc->lev[2], node, b);
    return s == NGRAM_NONE ? 0 : nc->lev[2].val[NGRAM_COUNT][s];
}

int ngram_bigram_chart(const NgramCounts *nc, const Vocab *v, const char *dir, const char *title,
                       PlotOutput out)
{
    assert(nc->order >= 2);
    // the tokens in byte order, <unk> only when it occurs
    int32_t *tokens = lab_malloc(((size_t)v->n + 1) * sizeof *tokens);
    int nt = 0;
    for (int32_t id = TOK_FIRST; id < v->n; id++) {
        tokens[nt++] = id;
    }
    sort_vocab = v;
    qsort(tokens, (size_t)nt, sizeof *tokens, by_token);
    if (v->count[TOK_UNK] > 0) {
        tokens[nt++] = TOK_UNK;
    }
    // rows: <s> then the tokens; columns: the tokens then </s>
    long rows = nt + 1, cols = nt + 1;
    int32_t *row_id = lab_malloc((size_t)rows * sizeof *row_id);
    int32_t *col_id = lab_malloc((size_t)cols * sizeof *col_id);
    row_id[0] = TOK_BOS;
    for (int i = 0; i < nt; i++) {
        row_id[i + 1] = tokens[i];
        col_id[i] = tokens[i];
    }
    col_id[nt] = TOK_EOS;
    char **row_labels = lab_malloc((size_t)rows * sizeof *row_labels);
    char **col_labels = lab_malloc((size_t)cols * sizeof *col_labels);
    for (long r = 0; r < rows; r++) {
        row_labels[r] = token_label(v, row_id[r]);
    }
    for (long c = 0; c < cols; c++) {
        col_labels[c] = token_label(v, col_id[c]);
    }
    double *counts = lab_malloc((size_t)(rows * cols) * sizeof *counts);
    for (long r = 0; r < rows; r++) {
        for (long c = 0; c < cols; c++) {
            counts[r * cols + c] = bigram_count(nc, row_id[r], col_id[c]);
        }
    }
    // the counts fit in their cells up to about 30 columns of a 1100-pixel-wide chart
    PlotHeatmapStyle style = {
        .xlabel = "next character", .ylabel = "previous character",
        .cell_format = cols <= 30 ? "%.0f" : NULL,
        .width = 1100, .height = 1000,
    };
    int rc = plot_heatmap_write_styled(dir, "bigrams", title, counts, rows, cols, row_labels,
                                       col_labels, &style, out);
    for (long r = 0; r < rows; r++) {
        free(row_labels[r]);
    }
    for (long c = 0; c < cols; c++) {
        free(col_labels[c]);
    }
    free(row_labels);
    free(col_labels);
    free(counts);
    free(row_id);
    free(col_id);
    free(tokens);
    return rc;
}

// --- train ----------------------------------------------------------------------------------

// bytes held by the tables of orders 1..n: keys, plus elem bytes per slot (elem_top at n)
static double table_bytes(const NgramLevel *lev, int n, double elem, double elem_top)
{
    double b = 0;
    for (int k = 1; k <= n; k++) {
        b += (double)lev[k].cap * (sizeof(uint64_t) + (k < n ? elem : elem_top));
    }
    return b;
}

static void report_json(const NgramCounts *nc, const NgramModel *m, const Corpus *c,
                        const LabLoss *train, const LabLoss *valid, const char *path,
                        const char *dataset, double t_tok, double t_count, double t_smooth)
{
    LabJson j;
    lab_json_begin(&j, stdout);
    lab_json_str(&j, "family", "ngram");
    lab_json_str(&j, "train", path);
    lab_json_str(&j, "dataset", dataset);
    lab_json_int(&j, "order", m->order);
    lab_json_str(&j, "smoothing", lab_choice_name(NGRAM_SMOOTHING_CHOICES, m->params.smoothing));
    lab_json_int(&j, "tokens", c->n);
    lab_json_int(&j, "vocab", ngram_vocab_size(m));
    long long stored = 0;
    for (int k = 1; k <= m->order; k++) {
        char key[32];
        snprintf(key, sizeof key, "ngrams_%d", k);
        lab_json_int(&j, key, ngram_model_entries(m, k));
        stored += ngram_model_entries(m, k);
    }
    lab_json_int(&j, "ngrams", stored);
    // counting keeps a key and three 32-bit values per slot; the model a key, a log
    // probability, a suffix link and (below the top order) a log backoff weight
    double count_bytes = table_bytes(nc->lev, m->order, 3 * sizeof(uint32_t),
                                     3 * sizeof(uint32_t));
    double model_bytes = table_bytes(m->lev, m->order, 2 * sizeof(double) + sizeof(uint32_t),
                                     sizeof(double) + sizeof(uint32_t)) -
                         (double)m->lev[1].cap * sizeof(uint32_t); // order 1 has no suffix link
    lab_json_num(&j, "count_bytes_per_ngram", count_bytes / (double)stored);
    lab_json_num(&j, "model_bytes_per_ngram", model_bytes / (double)stored);
    lab_json_num(&j, "seconds_tokenize", t_tok);
    lab_json_num(&j, "seconds_count", t_count);
    lab_json_num(&j, "seconds_smooth", t_smooth);
    lab_json_num(&j, "count_tokens_per_s", (double)c->n / t_count);
    lab_json_num(&j, "train_loss", lab_loss_mean(train));
    lab_json_num(&j, "valid_loss", valid ? lab_loss_mean(valid) : NAN);
    lab_json_num(&j, "valid_ppl", valid ? lab_ppl(lab_loss_mean(valid)) : NAN);
    lab_json_end(&j);
}

// --- the command ---------------------------------------------------------------------------

// One `ngram train`: what was asked, what was built, where it goes.
typedef struct {
    // parse
    const char *dataset;
    char *train_path, *run_dir;
    long order, seed, samples;
    int smoothing, plot, json, pad;
    size_t memory; // --memory: bytes counting may use (ngram_count_bounded), or 0: no limit
    NgramParams params;
    TextOpts text;
    LabConfig cfg;
    // build
    Tokenizer tok;
    Vocab vocab;
    Corpus corpus;          // the text's ids; with --memory, only its sizes (ids NULL)
    NgramSpilledText spilled; // with --memory: the text's ids, on disk
    NgramCounts counts;
    NgramModel model;
    double t_tok, t_count, t_smooth; // seconds
    // write
    LabRun run;
    LabLoss train_loss, valid_loss;
    int have_valid, bigrams;
} Train;

// The options into t, every mistake a usage error (exit 2), and the run's config.
static void train_parse(Train *t, int argc, char **argv)
{
    const char *train = NULL, *out = NULL, *eps_s = "1";
    int quiet = 0;
    double k = 0.1;
    t->order = 3;
    t->seed = 1337;
    t->samples = 20;
    t->smoothing = SMOOTH_KN;
    t->plot = PLOT_PNG;
    t->pad = NGRAM_PAD_SENTENCE;
    t->text = (TextOpts)TEXT_OPTS_DEFAULT;
    int force = 0;
    const char *memory = NULL;
    const LabOpt opts[] = {
        {"dataset", LAB_OPT_STRING, &t->dataset, "NAME", "a shipped corpus: datasets/NAME/", 0, 0,
         0},
        {"train", LAB_OPT_STRING, &train, "FILE", "train on this file instead of a dataset", 0, 0,
         0},
        NGRAM_MODEL_OPTS(t->order, t->smoothing, k, eps_s, t->pad),
        TEXT_OPTS_TABLE(t->text),
        TEXT_MIN_COUNT_OPT(t->text, "rarer token types read as <unk>"),
        {"memory", LAB_OPT_STRING, &memory, "SIZE", "count in about this much memory (300K, "
         "100M, 1G), spilling sorted runs to disk", 0, 0, 0},
        {"out", LAB_OPT_STRING, &out, "DIR", "run directory (default runs/NAME-SMOOTHINGN: "
         "see docs/cli.md)", 0, 0, 0},
        {"force", LAB_OPT_FLAG, &force, NULL, "replace a run of another configuration in the "
         "run directory", 0, 0, 0},
        {"plot", LAB_OPT_CHOICE, &t->plot, NULL, "charts as PNG, in the terminal, or not at all",
         PLOT_OUTPUT_CHOICES, 0, 0},
        {"samples", LAB_OPT_INT, &t->samples, "N", "sequences to sample into samples.txt", 0, 0,
         1e6},
        {"seed", LAB_OPT_INT, &t->seed, "S", "random seed of the samples", 0, 0, 0},
        {"quiet", LAB_OPT_FLAG, &quiet, NULL, "no notes and no progress bar", 0, 0, 0},
        {"json", LAB_OPT_FLAG, &t->json, NULL,
         "print one JSON object: sizes, memory, timings, losses", 0, 0, 0},
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab ngram train (--dataset NAME | --train FILE) [options]",
        .summary = "Count n-grams, smooth them into a language model, and write a run directory.",
        .opts = opts,
        .epilog = "examples:\n"
                  "  lmlab ngram train --dataset names --order 4 --smoothing kn\n"
                  "  lmlab ngram train --dataset timemachine --tokenizer word --lowercase "
                  "--order 2 --smoothing laplace\n",
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    const char *sm_name = lab_choice_name(NGRAM_SMOOTHING_CHOICES, t->smoothing);
    if (t->json && t->plot == PLOT_DUMB) {
        lab_usage_die(&cmd, "--plot dumb draws on stdout, which --json keeps for the object");
    }
    if (lab_args_given(&cmd, "k") && t->smoothing != SMOOTH_ADDK) {
        lab_usage_die(&cmd, "--k is the pseudo-count of --smoothing addk, not of %s", sm_name);
    }
    if (lab_args_given(&cmd, "eps") && t->smoothing != SMOOTH_INTERP) {
        lab_usage_die(&cmd, "--eps weighs the lower orders of --smoothing interp, not of %s",
                      sm_name);
    }
    if (lab_args_given(&cmd, "pattern") && t->text.tokenizer != TOK_WORD) {
        lab_usage_die(&cmd, "--pattern is for --tokenizer word");
    }
    if (memory && ngram_memory_parse(memory, &t->memory) != 0) {
        lab_usage_die(&cmd, "--memory takes a size such as 300K, 100M or 1G (got '%s')",
                      memory);
    }
    if (memory && t->text.unit != UNIT_LINE) {
        lab_usage_die(&cmd, "--memory reads the text a line at a time: it needs --unit line");
    }
    if (memory && t->text.tokenizer == TOK_BPE && !t->text.bpe) {
        lab_usage_die(&cmd, "--memory needs a trained BPE tokenizer: --bpe DIR");
    }
    if (!(k > 0)) {
        lab_usage_die(&cmd, "--k must be greater than 0 (got %g)", k);
    }
    t->params = (NgramParams){.smoothing = (Smoothing)t->smoothing, .k = k};
    ngram_parse_eps(&cmd, eps_s, t->params.eps);
    if (train && t->dataset) {
        lab_usage_die(&cmd, "give --dataset or --train, not both");
    }
    if (!train && !t->dataset) {
        lab_usage_die(&cmd, "say what to train on: --dataset NAME or --train FILE");
    }
    t->train_path = train ? lab_strdup(train)
                          : dataset_resolve(&cmd, t->dataset, "train", "train");
    lab_quiet = quiet;
    t->run_dir = out ? lab_strdup(out)
                     : ngram_run_name(t->dataset, t->train_path, &t->text, sm_name, t->order,
                                      t->smoothing == SMOOTH_ADDK ? &k : NULL,
                                      t->smoothing == SMOOTH_INTERP ? eps_s : NULL);
    LabConfig *c = &t->cfg;
    lab_config_set(c, "family", "ngram");
    lab_config_set(c, "dataset", "%s", t->dataset ? t->dataset : "");
    lab_config_set(c, "train", "%s", t->train_path);
    lab_config_set(c, "order", "%ld", t->order);
    lab_config_set(c, "smoothing", "%s", sm_name);
    lab_config_set(c, "pad", "%s", t->pad == NGRAM_PAD_NLTK ? "nltk" : "sentence");
    if (t->smoothing == SMOOTH_ADDK) {
        lab_config_set(c, "k", "%.17g", k);
    }
    if (t->smoothing == SMOOTH_INTERP) {
        lab_config_set(c, "eps", "%s", eps_s);
    }
    text_opts_save(&t->text, c);
    lab_config_set(c, "seed", "%ld", t->seed);
    // before any work: an earlier run of another configuration is not silently replaced
    if (lab_run_open(&t->run, t->run_dir, "ngram", c, force) != 0) {
        exit(1);
    }
}

// Leaves the run directory as it was found, then exits with status.
__attribute__((noreturn)) static void train_fail(Train *t, int status)
{
    lab_run_discard(&t->run);
    exit(status);
}

// Reads the training text, counts and smooths.
static void train_build(Train *t)
{
    if (text_tokenizer(&t->tok, &t->text) != 0) {
        train_fail(t, 2); // a bad --pattern is a usage error
    }
    vocab_init(&t->vocab);
    double t0 = lab_now(), t1, t2;
    if (t->memory) {
        // reading and counting in one bounded pass: the time is all counting's
        const char *tmp = getenv("TMPDIR");
        NgramSpilledText *sp = &t->spilled;
        if (ngram_count_bounded(&t->counts, sp, &t->vocab, &t->tok, &t->text, t->train_path,
                                (int)t->order, (NgramPad)t->pad, t->memory,
                                tmp && *tmp ? tmp : t->run_dir) != 0) {
            train_fail(t, 1);
        }
        t->corpus = (Corpus){.n = sp->n, .nseq = sp->nseq, .words = sp->words, .oov = sp->oov};
        t1 = t0;
        t2 = lab_now();
    } else {
        if (text_load_corpus(&t->corpus, &t->vocab, 1, &t->tok, &t->text, t->train_path) !=
            0) {
            train_fail(t, 1);
        }
        t1 = lab_now();
        ngram_count(&t->counts, &t->corpus, t->vocab.n, (int)t->order, (TokUnit)t->text.unit,
                    (NgramPad)t->pad);
        t2 = lab_now();
    }
    if (ngram_model_build_from(&t->model, &t->counts, &t->vocab, (int)t->order,
                               &t->params) != 0) {
        train_fail(t, 2);
    }
    t->t_tok = t1 - t0;
    t->t_count = t2 - t1;
    t->t_smooth = lab_now() - t2;
}

// The loss on the training text, and on the dataset's valid split when it has one. -1 (with
// a message) when the spilled text cannot be read back.
static int train_evaluate(Train *t)
{
    if (!t->memory) {
        ngram_eval(&t->model, &t->corpus, &t->train_loss);
    } else if (ngram_eval_spilled(&t->model, &t->spilled, &t->train_loss) != 0) {
        return -1;
    }
    if (!t->dataset) {
        return 0;
    }
    char *vp = dataset_path(t->dataset, "valid");
    FILE *probe = fopen(vp, "rb");
    if (probe) {
        fclose(probe);
        Corpus vc;
        if (text_load_corpus(&vc, &t->model.vocab, 0, &t->tok, &t->text, vp) == 0) {
            ngram_eval(&t->model, &vc, &t->valid_loss);
            corpus_free(&vc);
            t->have_valid = 1;
        }
    }
    free(vp);
    return 0;
}

// samples.txt's text, drawn from the model in memory into *text (*len bytes; the caller
// frees it). The ARPA file holds the same doubles (the writer checks every value's round
// trip, arpa.c) and lists the unigrams in id order, so 'lmlab ngram generate --seed S' on the
// run directory, which reads it, draws exactly these. The model must be indexed
// (ngram_model_index_children) when samples are asked for; it is only read here.
static void train_draw_samples(const Train *t, char **text, size_t *len)
{
    *text = NULL;
    *len = 0;
    FILE *f = open_memstream(text, len);
    if (!f) {
        lab_die(NULL, "out of memory for the samples");
    }
    LabRng rng;
    lab_rng_seed(&rng, (uint64_t)t->seed);
    LabSampling sampling = {.temperature = 1.0, .top_k = 0, .top_p = 1.0};
    long n = t->text.unit == UNIT_LINE ? t->samples : t->samples > 0;
    for (long i = 0; i < n; i++) {
        ngram_generate(f, &t->model, (TokKind)t->text.tokenizer, NULL, 0, 200, &sampling, &rng);
    }
    if (fclose(f) != 0) {
        lab_die(NULL, "out of memory for the samples");
    }
}

static int train_write_samples(const Train *t, const char *text, size_t len)
{
    char *path = lab_path_join(t->run_dir, "samples.txt");
    LabAtomic sa;
    int rc = lab_atomic_open(&sa, path);
    free(path);
    if (rc != 0) {
        return -1;
    }
    fwrite(text, 1, len, sa.f); // (a failed write leaves the stream's error flag set)
    return lab_atomic_commit(&sa);
}

// The run directory: model.arpa, model.bin, vocab.txt, config, log.tsv, samples.txt and the charts.
static void train_write(Train *t)
{
    char *arpa = lab_path_join(t->run_dir, "model.arpa");
    char *vocab_path = lab_path_join(t->run_dir, "vocab.txt");
    char *bin = lab_path_join(t->run_dir, "model.bin"); // after the ARPA file: newer than it
    if (ngram_arpa_write(&t->model, arpa) != 0) {
        exit(1);
    }
    // Three jobs that read the model and share nothing else, side by side: the files after
    // the ARPA file (model.bin after it, so newer than it), the losses, and the samples,
    // drawn into memory (only one job writes files: temporaries are registered one at a
    // time). Each job's result is the same whatever the threads.
    if (t->samples > 0) {
        ngram_model_index_children(&t->model); // the same draws, without a lookup per type
    }
    int files_failed = 0, eval_failed = 0;
    char *samples = NULL;
    size_t samples_len = 0;
#pragma omp parallel sections
    {
#pragma omp section
        files_failed = ngram_bin_write(&t->model, bin) != 0 ||
                       vocab_save(&t->vocab, vocab_path) != 0 ||
                       lab_run_write_config(&t->run, &t->cfg) != 0;
#pragma omp section
        eval_failed = train_evaluate(t) != 0;
#pragma omp section
        train_draw_samples(t, &samples, &samples_len);
    }
    if (files_failed || eval_failed) {
        exit(1);
    }
    free(vocab_path);
    free(bin);
    // one step: the model is made by counting, so one row
    LabLogRow row = {
        .step = 1,
        .tokens = t->corpus.n,
        .train_loss = lab_loss_mean(&t->train_loss),
        .valid_loss = t->have_valid ? lab_loss_mean(&t->valid_loss) : NAN,
        .lr = NAN,
        .tokens_per_s = (double)t->corpus.n / t->t_count,
    };
    if (lab_run_log_open(&t->run, NULL) != 0 || lab_run_log(&t->run, &row, NULL) != 0 ||
        lab_run_close(&t->run) != 0) {
        exit(1);
    }
    if (train_write_samples(t, samples, samples_len) != 0) {
        exit(1);
    }
    free(samples);
    free(arpa);
    // the charts name the data and the model: "names, 4-gram kn"
    const char *data = t->dataset ? t->dataset : t->train_path;
    char *what = lab_asprintf("%s, %ld-gram %s", data, t->order,
                              lab_choice_name(NGRAM_SMOOTHING_CHOICES, t->smoothing));
    if (ngram_zipf_chart(&t->counts, t->run_dir, what, (PlotOutput)t->plot) != 0) {
        exit(1);
    }
    free(what);
    // a small character vocabulary: the bigram counts as a table of coloured cells
    t->bigrams = t->text.tokenizer == TOK_CHAR && t->order >= 2 &&
                 ngram_vocab_size(&t->model) <= NGRAM_BIGRAM_CHART_MAX;
    if (t->bigrams) {
        char *title = lab_asprintf("%s: bigram counts c(previous, next)", data);
        int rc = ngram_bigram_chart(&t->counts, &t->vocab, t->run_dir, title,
                                    (PlotOutput)t->plot);
        free(title);
        if (rc != 0) {
            exit(1);
        }
    }
}

// What was trained and how well it fits, on stdout (or one JSON object).
static void train_report(const Train *t)
{
    const NgramModel *m = &t->model;
    const char *sm_name = lab_choice_name(NGRAM_SMOOTHING_CHOICES, t->smoothing);
    if (t->json) {
        report_json(&t->counts, m, &t->corpus, &t->train_loss,
                    t->have_valid ? &t->valid_loss : NULL, t->train_path, t->dataset, t->t_tok,
                    t->t_count, t->t_smooth);
        if (t->smoothing == SMOOTH_KN) {
            // the human report says so on stdout; with --json, a note on stderr does
            for (int j = 1; j <= t->order; j++) {
                if (m->params.discount_fallback[j]) {
                    lab_note("order %d: too few n-grams seen once..four times to estimate "
                             "Kneser-Ney discounts; used fixed 0.5, 1.0, 1.5",
                             j);
                }
            }
        }
        return;
    }
    printf("trained %ld-gram %s on '%s': %lld tokens in %lld sequences, vocabulary %d\n",
           t->order, sm_name, t->train_path, t->corpus.n, t->corpus.nseq, ngram_vocab_size(m));
    printf("  n-grams stored:");
    for (int j = 1; j <= t->order; j++) {
        printf(" %d=%u", j, ngram_model_entries(m, j));
    }
    printf("\n");
    if (t->smoothing == SMOOTH_KN) {
        for (int j = 1; j <= t->order; j++) {
            printf("  order %d discounts D1 %.4f  D2 %.4f  D3+ %.4f%s\n", j,
                   m->params.discount[j][0], m->params.discount[j][1], m->params.discount[j][2],
                   m->params.discount_fallback[j] ? "  (fixed: too few counts to estimate them)"
                                                  : "");
        }
    }
    printf("  train  loss %.4f nats/token  ppl %.4f\n", lab_loss_mean(&t->train_loss),
           lab_ppl(lab_loss_mean(&t->train_loss)));
    if (t->have_valid) {
        double vl = lab_loss_mean(&t->valid_loss);
        printf("  valid  loss %.4f nats/token  ppl %.4f%s\n", vl, lab_ppl(vl),
               t->valid_loss.zero ? "  (some tokens have probability 0)" : "");
        if (t->valid_loss.zero) {
            printf("         %lld of %lld valid tokens have probability zero under %s\n",
                   t->valid_loss.zero, t->valid_loss.tokens,
                   lab_choice_name(NGRAM_SMOOTHING_CHOICES, t->smoothing));
        }
    }
    printf("  tokenize %.2fs, count %.2fs, smooth %.2fs\n", t->t_tok, t->t_count, t->t_smooth);
    printf("wrote %s/ (model.arpa model.bin vocab.txt config log.tsv samples.txt zipf%s)\n",
           t->run_dir, t->bigrams ? " bigrams" : "");
}

static void train_free(Train *t)
{
    lab_config_free(&t->cfg);
    ngram_model_free(&t->model);
    ngram_counts_free(&t->counts);
    corpus_free(&t->corpus);
    ngram_spilled_close(&t->spilled);
    vocab_free(&t->vocab);
    tok_free(&t->tok);
    free(t->train_path);
    free(t->run_dir);
}

int ngram_cmd_train(int argc, char **argv)
{
    Train t = {0};
    train_parse(&t, argc, argv);
    train_build(&t);
    train_write(&t);
    train_report(&t);
    train_free(&t);
    return 0;
}
