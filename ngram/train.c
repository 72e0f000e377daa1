// train.c: `lmlab ngram train`: count a corpus, smooth, write the run directory.
//
//   lmlab ngram train --dataset names --order 4 --smoothing kn
//
// The run directory (--out, default runs/<dataset>-<smoothing><order>) receives model.arpa,
// vocab.txt, config, log.tsv, the Zipf chart and samples.txt, each written atomically.
#include "ngram/cli_common.h"

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

// --- the Zipf chart -------------------------------------------------------------------------

static int by_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

int ngram_zipf_chart(const NgramCounts *nc, const char *dir, PlotOutput out)
{
    Plot p;
    plot_init(&p, "Zipf's law: frequency against rank", "rank", "frequency");
    p.logx = p.logy = 1;
    p.style = PLOT_LINES;
    p.ymin = 0.5; // so the long tail of n-grams seen once stays above the bottom border
    static const char *names[] = {"", "unigrams", "bigrams", "trigrams"};
    int maxk = nc->order < 3 ? nc->order : 3;
    for (int k = 1; k <= maxk; k++) {
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
    double k = 0.1;
    TextOpts text = TEXT_OPTS_DEFAULT;
    const LabOpt opts[] = {
        {"dataset", LAB_OPT_STRING, &dataset, "NAME", "a shipped corpus: datasets/NAME/", 0, 0, 0},
        {"train", LAB_OPT_STRING, &train, "FILE", "train on this file instead of a dataset", 0, 0,
         0},
        NGRAM_MODEL_OPTS(order, smoothing, k, eps_s, pad),
        TEXT_OPTS_TABLE(text),
        TEXT_MIN_COUNT_OPT(text, "rarer token types read as <unk>"),
        {"out", LAB_OPT_STRING, &out, "DIR", "run directory (default runs/DATASET-SMOOTHINGN)", 0,
         0, 0},
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
    char *run_dir;
    if (out) {
        run_dir = lab_strdup(out);
    } else {
        const char *base = dataset ? dataset : "custom";
        run_dir = lab_asprintf("runs/%s-%s%ld", base, sm_name, order);
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
    int count_order = order < 3 ? 3 : (int)order; // the Zipf chart wants trigrams
    ngram_count(&counts, &corpus, vocab.n, count_order, (TokUnit)text.unit, (NgramPad)pad);
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
    if (ngram_zipf_chart(&counts, run_dir, (PlotOutput)plot) != 0) {
        exit(1);
    }

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
                printf("         %lld of %lld valid tokens have probability zero under mle\n",
                       valid_loss.zero, valid_loss.tokens);
            }
        }
        printf("  tokenize %.2fs, count %.2fs, smooth %.2fs\n", t1 - t0, t2 - t1, t3 - t2);
        printf("wrote %s/ (model.arpa vocab.txt config log.tsv samples.txt zipf)\n", run_dir);
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
