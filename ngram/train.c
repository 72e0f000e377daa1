// train.c: `lmlab ngram train`: count a corpus, smooth, write the run directory.
//
//   lmlab ngram train --dataset names --order 4 --smoothing kn
//
// The run directory (--out, default runs/<dataset>-<smoothing><order>) receives model.arpa,
// vocab.txt, config, log.tsv, the Zipf chart and samples.txt, each written atomically.
#include "ngram/cli_common.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

char *ngram_resolve_data(const LabCommand *cmd, const char *file, const char *dataset,
                         const char *split)
{
    if (file && dataset && split) {
        lab_usage_die(cmd, "give --data FILE or --split NAME, not both");
    }
    if (file) {
        return lab_strdup(file);
    }
    if (!dataset || !split) {
        return NULL;
    }
    if (strchr(dataset, '/') || strcmp(dataset, "..") == 0 || strcmp(dataset, ".") == 0) {
        lab_usage_die(cmd, "--dataset takes a name such as 'names', not a path (got '%s')",
                      dataset);
    }
    return dataset_resolve(cmd, dataset, split);
}

void ngram_parse_eps(const LabCommand *cmd, const char *s, double eps[NGRAM_MAX_ORDER + 1])
{
    int n = lab_list_numbers(cmd, "eps", s, eps + 1, NGRAM_MAX_ORDER, 0);
    for (int k = n + 1; k <= NGRAM_MAX_ORDER; k++) {
        eps[k] = eps[n];
    }
}

// --- the run's name ------------------------------------------------------------------------

// The last path component of path without its extension ("data/poem.txt" -> "poem"), made
// safe as a directory name (anything but letters, digits, '.', '_' and '-' becomes '_').
static char *file_stem(const char *path)
{
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char *stem = lab_strdup(*name ? name : "custom");
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem) {
        *dot = '\0';
    }
    for (char *s = stem; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-')) {
            *s = '_';
        }
    }
    return stem;
}

char *ngram_run_name(const char *dataset, const char *train_path, const TextOpts *text,
                     const char *smoothing, long order, const double *k, const char *eps)
{
    char *base = dataset ? lab_strdup(dataset) : file_stem(train_path);
    char extra[96] = "";
    if (k) {
        snprintf(extra, sizeof extra, "-k%g", *k);
    } else if (eps && strcmp(eps, "1") != 0) {
        snprintf(extra, sizeof extra, "-eps%.80s", eps);
    }
    char *name = lab_asprintf("runs/%s%s-%s%ld%s", base,
                              text->tokenizer == TOK_WORD ? "-word" : "", smoothing, order,
                              extra);
    free(base);
    return name;
}

// --- the Zipf chart -------------------------------------------------------------------------

static int by_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
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
        double *freq = lab_malloc((size_t)L->n * sizeof *freq + 1);
        long n = 0;
        for (uint32_t s = 0; s < L->cap; s++) {
            if (L->keys[s] != NGRAM_EMPTY && L->val[NGRAM_COUNT][s] > 0) {
                freq[n++] = L->val[NGRAM_COUNT][s];
            }
        }
        qsort(freq, (size_t)n, sizeof *freq, by_desc);
        // every rank up to 1000, then ranks about 1% apart: the log-log curve looks the same
        double *x = lab_malloc(((size_t)n + 1) * sizeof *x);
        double *y = lab_malloc(((size_t)n + 1) * sizeof *y);
        long m = 0;
        for (long r = 1; r <= n; r = r < 1000 ? r + 1 : (long)(r * 1.01) + 1) {
            x[m] = (double)r;
            y[m] = freq[r - 1];
            m++;
        }
        if (m > 0 && x[m - 1] < (double)n) {
            x[m] = (double)n; // the last rank, so the curve ends where the data end
            y[m] = freq[n - 1];
            m++;
        }
        plot_add_series(&p, names[k], x, y, m);
        free(freq);
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

int ngram_cmd_train(int argc, char **argv)
{
    const char *dataset = NULL, *train = NULL, *out = NULL, *eps_s = "1";
    long order = 3, seed = 1337, samples = 20;
    int smoothing = SMOOTH_KN, plot = PLOT_PNG, quiet = 0, json = 0, pad = NGRAM_PAD_SENTENCE;
    int force = 0;
    double k = 0.1;
    TextOpts text = TEXT_OPTS_DEFAULT;
    const LabOpt opts[] = {
        {"dataset", LAB_OPT_STRING, &dataset, "NAME", "a shipped corpus: datasets/NAME/", 0, 0, 0},
        {"train", LAB_OPT_STRING, &train, "FILE", "train on this file instead of a dataset", 0, 0,
         0},
        NGRAM_MODEL_OPTS(order, smoothing, k, eps_s, pad),
        TEXT_OPTS_TABLE(text),
        TEXT_MIN_COUNT_OPT(text, "rarer token types read as <unk>"),
        {"out", LAB_OPT_STRING, &out, "DIR", "run directory (default runs/NAME-SMOOTHINGN: "
         "see docs/cli.md)", 0, 0, 0},
        {"force", LAB_OPT_FLAG, &force, NULL, "replace a run of another configuration in the "
         "run directory", 0, 0, 0},
        {"plot", LAB_OPT_CHOICE, &plot, NULL, "charts as PNG, in the terminal, or not at all",
         PLOT_OUTPUT_CHOICES, 0, 0},
        {"samples", LAB_OPT_INT, &samples, "N", "sequences to sample into samples.txt", 0, 0, 1e6},
        {"seed", LAB_OPT_INT, &seed, "S", "random seed of the samples", 0, 0, 0},
        {"quiet", LAB_OPT_FLAG, &quiet, NULL, "no notes and no progress bar", 0, 0, 0},
        {"json", LAB_OPT_FLAG, &json, NULL,
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
    if (json && plot == PLOT_DUMB) {
        lab_usage_die(&cmd, "--plot dumb draws on stdout, which --json keeps for the object");
    }
    if (lab_args_given(&cmd, "k") && smoothing != SMOOTH_ADDK) {
        lab_usage_die(&cmd, "--k is the pseudo-count of --smoothing addk, not of %s",
                      lab_choice_name(NGRAM_SMOOTHING_CHOICES, smoothing));
    }
    if (lab_args_given(&cmd, "eps") && smoothing != SMOOTH_INTERP) {
        lab_usage_die(&cmd, "--eps weighs the lower orders of --smoothing interp, not of %s",
                      lab_choice_name(NGRAM_SMOOTHING_CHOICES, smoothing));
    }
    if (lab_args_given(&cmd, "pattern") && text.tokenizer != TOK_WORD) {
        lab_usage_die(&cmd, "--pattern is for --tokenizer word");
    }
    if (!(k > 0)) {
        lab_usage_die(&cmd, "--k must be greater than 0 (got %g)", k);
    }
    NgramParams params = {.smoothing = (Smoothing)smoothing, .k = k};
    ngram_parse_eps(&cmd, eps_s, params.eps);
    if (train && dataset) {
        lab_usage_die(&cmd, "give --dataset or --train, not both");
    }
    char *train_path = train ? lab_strdup(train) : ngram_resolve_data(&cmd, NULL, dataset, "train");
    if (!train_path) {
        lab_usage_die(&cmd, "say what to train on: --dataset NAME or --train FILE");
    }
    lab_quiet = quiet;
    const char *sm_name = lab_choice_name(NGRAM_SMOOTHING_CHOICES, smoothing);
    char *run_dir = out ? lab_strdup(out)
                        : ngram_run_name(dataset, train_path, &text, sm_name, order,
                                         smoothing == SMOOTH_ADDK ? &k : NULL,
                                         smoothing == SMOOTH_INTERP ? eps_s : NULL);
    // the config first: an earlier run of another configuration is not silently replaced
    LabConfig cfg = {0};
    lab_config_set(&cfg, "family", "ngram");
    lab_config_set(&cfg, "dataset", "%s", dataset ? dataset : "");
    lab_config_set(&cfg, "train", "%s", train_path);
    lab_config_set(&cfg, "order", "%ld", order);
    lab_config_set(&cfg, "smoothing", "%s", sm_name);
    lab_config_set(&cfg, "pad", "%s", pad == NGRAM_PAD_NLTK ? "nltk" : "sentence");
    if (smoothing == SMOOTH_ADDK) {
        lab_config_set(&cfg, "k", "%.17g", k);
    }
    if (smoothing == SMOOTH_INTERP) {
        lab_config_set(&cfg, "eps", "%s", eps_s);
    }
    text_opts_save(&text, &cfg);
    lab_config_set(&cfg, "seed", "%ld", seed);
    if (lab_config_check_run(run_dir, &cfg, force) != 0) {
        exit(1);
    }

    Tokenizer tok;
    if (text_tokenizer(&tok, &text) != 0) {
        exit(2); // a bad --pattern is a usage error
    }
    Vocab vocab;
    vocab_init(&vocab);
    Corpus corpus;
    double t0 = lab_now();
    if (text_load_corpus(&corpus, &vocab, 1, &tok, &text, train_path) != 0) {
        exit(1);
    }
    double t1 = lab_now();
    NgramCounts counts;
    ngram_count(&counts, &corpus, vocab.n, (int)order, (TokUnit)text.unit, (NgramPad)pad);
    double t2 = lab_now();
    NgramModel model;
    if (ngram_model_build(&model, &counts, &vocab, (int)order, &params) != 0) {
        exit(2);
    }
    double t3 = lab_now();

    if (lab_run_dir(run_dir) != 0) {
        exit(1);
    }
    char *arpa = lab_path_join(run_dir, "model.arpa");
    char *vocab_path = lab_path_join(run_dir, "vocab.txt");
    char *cfg_path = lab_path_join(run_dir, "config");
    if (ngram_arpa_write(&model, arpa) != 0 || vocab_save(&vocab, vocab_path) != 0 ||
        lab_config_write(&cfg, cfg_path) != 0) {
        exit(1);
    }

    // how well it fits: train split, and valid when the dataset has one
    LabLoss train_loss, valid_loss = {0};
    ngram_eval(&model, &corpus, &train_loss);
    int have_valid = 0;
    if (dataset) {
        char *vp = dataset_path(dataset, "valid");
        Corpus vc;
        FILE *probe = fopen(vp, "rb");
        if (probe) {
            fclose(probe);
            if (text_load_corpus(&vc, &model.vocab, 0, &tok, &text, vp) == 0) {
                ngram_eval(&model, &vc, &valid_loss);
                corpus_free(&vc);
                have_valid = 1;
            }
        }
        free(vp);
    }
    char *log_path = lab_path_join(run_dir, "log.tsv");
    LabAtomic la;
    if (lab_atomic_open(&la, log_path) != 0) {
        exit(1);
    }
    fprintf(la.f, "step\ttokens\ttrain_loss\tvalid_loss\tvalid_ppl\tlr\ttokens_per_s\n");
    double vl = have_valid ? lab_loss_mean(&valid_loss) : NAN;
    fprintf(la.f, "1\t%lld\t%.9g\t%.9g\t%.9g\t-\t%.0f\n", corpus.n, lab_loss_mean(&train_loss), vl,
            lab_ppl(vl), (double)corpus.n / (t2 - t1));
    if (lab_atomic_commit(&la) != 0) {
        exit(1);
    }

    // samples
    char *samples_path = lab_path_join(run_dir, "samples.txt");
    LabAtomic sa;
    if (lab_atomic_open(&sa, samples_path) != 0) {
        exit(1);
    }
    // drawn from the model as saved (read back), so that 'lmlab ngram generate --seed S'
    // on the run directory draws exactly these
    NgramModel saved = {0};
    if (samples > 0 && ngram_arpa_read(&saved, arpa, (TokUnit)text.unit) != 0) {
        exit(1);
    }
    LabRng rng;
    lab_rng_seed(&rng, (uint64_t)seed);
    NgramSampling sampling = {.temperature = 1.0, .top_k = 0, .top_p = 1.0};
    if (text.unit == UNIT_LINE) {
        for (long i = 0; i < samples; i++) {
            ngram_generate(sa.f, &saved, (TokKind)text.tokenizer, NULL, 0, 200, &sampling, &rng);
        }
    } else if (samples > 0) {
        ngram_generate(sa.f, &saved, (TokKind)text.tokenizer, NULL, 0, 200, &sampling, &rng);
    }
    ngram_model_free(&saved);
    if (lab_atomic_commit(&sa) != 0) {
        exit(1);
    }
    // the charts name the data and the model: "names, 4-gram kn"
    char *what = lab_asprintf("%s, %ld-gram %s", dataset ? dataset : train_path, order, sm_name);
    if (ngram_zipf_chart(&counts, run_dir, what, (PlotOutput)plot) != 0) {
        exit(1);
    }
    // a small character vocabulary: the bigram counts as a table of coloured cells
    int bigrams = text.tokenizer == TOK_CHAR && order >= 2 &&
                  ngram_vocab_size(&model) <= NGRAM_BIGRAM_CHART_MAX;
    if (bigrams) {
        char *title = lab_asprintf("%s: bigram counts c(previous, next)",
                                   dataset ? dataset : train_path);
        int rc = ngram_bigram_chart(&counts, &vocab, run_dir, title, (PlotOutput)plot);
        free(title);
        if (rc != 0) {
            exit(1);
        }
    }
    free(what);

    // report
    if (json) {
        report_json(&counts, &model, &corpus, &train_loss, have_valid ? &valid_loss : NULL,
                    train_path, dataset, t1 - t0, t2 - t1, t3 - t2);
    } else {
        printf("trained %ld-gram %s on '%s': %lld tokens in %lld sequences, vocabulary %d\n", order,
               sm_name, train_path, corpus.n, corpus.nseq, ngram_vocab_size(&model));
        printf("  n-grams stored:");
        for (int j = 1; j <= order; j++) {
            printf(" %d=%u", j, ngram_model_entries(&model, j));
        }
        printf("\n");
        if (smoothing == SMOOTH_KN) {
            for (int j = 1; j <= order; j++) {
                printf("  order %d discounts D1 %.4f  D2 %.4f  D3+ %.4f%s\n", j,
                       model.params.discount[j][0], model.params.discount[j][1],
                       model.params.discount[j][2],
                       model.params.discount_fallback[j]
                           ? "  (fixed: too few counts to estimate them)"
                           : "");
            }
        }
        printf("  train  loss %.4f nats/token  ppl %.4f\n", lab_loss_mean(&train_loss),
               lab_ppl(lab_loss_mean(&train_loss)));
        if (have_valid) {
            printf("  valid  loss %.4f nats/token  ppl %.4f%s\n", vl, lab_ppl(vl),
                   valid_loss.zero ? "  (some tokens have probability 0)" : "");
            if (valid_loss.zero) {
                printf("         %lld of %lld valid tokens have probability zero under %s\n",
                       valid_loss.zero, valid_loss.tokens, sm_name);
            }
        }
        printf("  tokenize %.2fs, count %.2fs, smooth %.2fs\n", t1 - t0, t2 - t1, t3 - t2);
        printf("wrote %s/ (model.arpa vocab.txt config log.tsv samples.txt zipf%s)\n", run_dir,
               bigrams ? " bigrams" : "");
    }
    if (smoothing == SMOOTH_KN && json) {
        // the human report says so on stdout; with --json, a note on stderr does
        for (int j = 1; j <= order; j++) {
            if (model.params.discount_fallback[j]) {
                lab_note("order %d: too few n-grams seen once..four times to estimate Kneser-Ney "
                         "discounts; used fixed 0.5, 1.0, 1.5",
                         j);
            }
        }
    }

    lab_config_free(&cfg);
    free(arpa);
    free(vocab_path);
    free(cfg_path);
    free(log_path);
    free(samples_path);
    ngram_model_free(&model);
    ngram_counts_free(&counts);
    corpus_free(&corpus);
    vocab_free(&vocab);
    tok_free(&tok);
    free(train_path);
    free(run_dir);
    return 0;
}
