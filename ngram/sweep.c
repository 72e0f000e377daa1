// sweep.c: `lmlab ngram sweep`: every order and smoothing on a dataset, the best on valid,
// then its test result.
//
//   lmlab ngram sweep --dataset names --orders 1-6
//
// One count of the train split serves every model (counts of the largest order hold all the
// smaller ones). Writes sweep.tsv (every trial) and the charts into the run directory
// (--out, default runs/sweep-DATASET). The command reads as parse, build (read, count, try
// every model, pick the best), write sweep.tsv, report, write the charts.
#include "ngram/cli_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// "1-6" or "2,3,5" -> orders[]; returns the count. A bad range or list is a usage error.
static int parse_orders(const LabCommand *cmd, const char *s, int *orders)
{
    int n = 0, a, b;
    char extra;
    if (sscanf(s, "%d-%d%c", &a, &b, &extra) == 2) {
        if (a < 1 || b > NGRAM_MAX_ORDER || a > b) {
            lab_usage_die(cmd, "--orders %d-%d is not a range within 1..%d", a, b,
                          NGRAM_MAX_ORDER);
        }
        for (int k = a; k <= b; k++) {
            orders[n++] = k;
        }
        return n;
    }
    double v[NGRAM_MAX_ORDER];
    n = lab_list_numbers(cmd, "orders", s, v, NGRAM_MAX_ORDER, 0);
    for (int i = 0; i < n; i++) {
        if (v[i] != (int)v[i] || v[i] > NGRAM_MAX_ORDER) {
            lab_usage_die(cmd, "--orders takes a range like 1-6 or a list like 2,3,4 within "
                          "1..%d, got '%s'", NGRAM_MAX_ORDER, s);
        }
        orders[i] = (int)v[i];
    }
    return n;
}

typedef struct {
    int smoothing, order;
    double param;      // k for addk, eps for interp
    double valid_loss;
    long long zero;
} SweepResult;

// Where the best value of a grid sits at its edge, a sentence suggesting to widen the grid:
// widen[0] for the order of the best model, widen[1] for k or eps of the best addk or interp
// model (the first one at an edge). Empty strings when no edge can be moved.
static void sweep_edges(const SweepResult *best, SweepResult best_of[5][NGRAM_MAX_ORDER + 1],
                        int have[5][NGRAM_MAX_ORDER + 1], const int *orders, int norders,
                        const double *ks, int nks, const double *epss, int neps,
                        char widen[2][200])
{
    int lo = orders[0], hi = orders[0];
    for (int i = 1; i < norders; i++) {
        lo = orders[i] < lo ? orders[i] : lo;
        hi = orders[i] > hi ? orders[i] : hi;
    }
    if (lo < hi && best->order == hi && hi < NGRAM_MAX_ORDER) {
        snprintf(widen[0], 200, "the best order, %d, is the largest tried: try --orders %d-%d",
                 hi, lo, hi + 1 < NGRAM_MAX_ORDER ? hi + 2 : NGRAM_MAX_ORDER);
    } else if (lo < hi && best->order == lo && lo > 1) {
        snprintf(widen[0], 200, "the best order, %d, is the smallest tried: try --orders 1-%d",
                 lo, hi);
    }
    for (int si = SMOOTH_ADDK; si <= SMOOTH_INTERP; si++) {
        const double *grid = si == SMOOTH_ADDK ? ks : epss;
        int n = si == SMOOTH_ADDK ? nks : neps;
        const SweepResult *b = NULL; // the best model of this smoothing
        for (int o = 1; o <= NGRAM_MAX_ORDER; o++) {
            if (have[si][o] && (!b || best_of[si][o].valid_loss < b->valid_loss)) {
                b = &best_of[si][o];
            }
        }
        if (!b || n < 2 || !isfinite(b->valid_loss)) {
            continue;
        }
        double gmin = grid[0], gmax = grid[0];
        for (int i = 1; i < n; i++) {
            gmin = fmin(gmin, grid[i]);
            gmax = fmax(gmax, grid[i]);
        }
        const char *name = si == SMOOTH_ADDK ? "k" : "eps";
        const char *opt = si == SMOOTH_ADDK ? "--ks" : "--eps";
        const char *sm = lab_choice_name(NGRAM_SMOOTHING_CHOICES, si);
        if (b->param == gmin) {
            snprintf(widen[1], 200, "the best %s of %s, %g, is the smallest tried: add smaller "
                     "values to %s (such as %g)", name, sm, gmin, opt, gmin / 10);
            return;
        }
        if (b->param == gmax) {
            snprintf(widen[1], 200, "the best %s of %s, %g, is the largest tried: add larger "
                     "values to %s (such as %g)", name, sm, gmax, opt, gmax * 10);
            return;
        }
    }
}

// --- the command ---------------------------------------------------------------------------

#define SWEEP_GRID_MAX 32 // values of k or eps at most
#define NSMOOTH 5         // the smoothings of NGRAM_SMOOTHING_CHOICES

typedef struct {
    // what was asked
    const char *dataset, *out;
    int plot, json, pad;
    TextOpts text;
    int orders[NGRAM_MAX_ORDER], norders, maxorder;
    double ks[SWEEP_GRID_MAX], epss[SWEEP_GRID_MAX];
    int nks, neps;
    int use[NSMOOTH]; // the smoothings to try
    // the data
    char *run_dir, *train_path, *valid_path, *test_path;
    Tokenizer tok;
    Vocab vocab;
    Corpus train, valid, test;
    int have_test;
    NgramCounts counts;
    // the results
    SweepResult *res;
    int nres;
    SweepResult best_of[NSMOOTH][NGRAM_MAX_ORDER + 1];
    int have[NSMOOTH][NGRAM_MAX_ORDER + 1];
    SweepResult best;
    char best_desc[96];
    char widen[2][200];
    LabLoss test_loss;
} Sweep;

// the values of k or eps tried for smoothing si (one NAN for the others)
static int sweep_nparam(const Sweep *w, int si)
{
    return si == SMOOTH_ADDK ? w->nks : si == SMOOTH_INTERP ? w->neps : 1;
}

static const char *sweep_unit(const Sweep *w)
{
    return text_tokenizer_name(w->text.tokenizer);
}

// The options into w; every mistake is a usage error (exit 2).
static void sweep_parse(Sweep *w, int argc, char **argv)
{
    const char *orders_s = "1-6", *smooth_s = "laplace,addk,interp,kn";
    const char *ks_s = "0.001,0.003,0.01,0.03,0.1,0.3,1";
    const char *eps_s = "0.1,0.3,1,3,10,30,100";
    w->plot = PLOT_PNG;
    w->pad = NGRAM_PAD_SENTENCE;
    w->text = (TextOpts)TEXT_OPTS_DEFAULT;
    const LabOpt opts[] = {
        {"dataset", LAB_OPT_STRING, &w->dataset, "NAME", "a shipped corpus with train/valid/test",
         0, 0, 0},
        {"orders", LAB_OPT_STRING, &orders_s, "LIST", "orders to try: 1-6 or 2,3,4", 0, 0, 0},
        {"smoothings", LAB_OPT_STRING, &smooth_s, "LIST", "smoothings to try", 0, 0, 0},
        {"ks", LAB_OPT_STRING, &ks_s, "LIST", "addk: values of k to try", 0, 0, 0},
        {"eps", LAB_OPT_STRING, &eps_s, "LIST", "interp: values of eps to try", 0, 0, 0},
        {"pad", LAB_OPT_CHOICE, &w->pad, NULL, NGRAM_PAD_HELP, NGRAM_PAD_CHOICES, 0, 0},
        TEXT_OPTS_TABLE(w->text),
        TEXT_MIN_COUNT_OPT(w->text, "rarer token types read as <unk>"),
        {"out", LAB_OPT_STRING, &w->out, "DIR", "where the charts and sweep.tsv go "
         "(default runs/sweep-DATASET)", 0, 0, 0},
        {"plot", LAB_OPT_CHOICE, &w->plot, NULL, "charts as PNG, in the terminal, or not at all",
         PLOT_OUTPUT_CHOICES, 0, 0},
        {"json", LAB_OPT_FLAG, &w->json, NULL,
         "print one JSON object: the chosen model, its valid and test results", 0, 0, 0},
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab ngram sweep --dataset NAME [options]",
        .summary = "Train every order and smoothing, pick the best on valid, report it on test.",
        .opts = opts,
        .epilog = "example:\n  lmlab ngram sweep --dataset names --orders 1-6\n",
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    if (!w->dataset) {
        lab_usage_die(&cmd, "--dataset NAME is required");
    }
    if (w->json && w->plot == PLOT_DUMB) {
        lab_usage_die(&cmd, "--plot dumb draws on stdout, which --json keeps for the object");
    }
    w->norders = parse_orders(&cmd, orders_s, w->orders);
    w->nks = lab_list_numbers(&cmd, "ks", ks_s, w->ks, SWEEP_GRID_MAX, 0);
    w->neps = lab_list_numbers(&cmd, "eps", eps_s, w->epss, SWEEP_GRID_MAX, 0);
    int n;
    char **names = lab_list_split(&cmd, "smoothings", smooth_s, 32, &n);
    for (int k = 0; k < n; k++) {
        int found = -1;
        for (int i = 0; i < NSMOOTH; i++) {
            if (strcmp(names[k], lab_choice_name(NGRAM_SMOOTHING_CHOICES, i)) == 0) {
                found = i;
            }
        }
        if (found < 0) {
            lab_usage_die(&cmd, "unknown smoothing '%s' (choose from %s)", names[k],
                          NGRAM_SMOOTHING_CHOICES);
        }
        w->use[found] = 1;
    }
    free(names);
    if (lab_args_given(&cmd, "ks") && !w->use[SMOOTH_ADDK]) {
        lab_usage_die(&cmd, "--ks are the values of k of addk, which --smoothings leaves out");
    }
    if (lab_args_given(&cmd, "eps") && !w->use[SMOOTH_INTERP]) {
        lab_usage_die(&cmd, "--eps are the values of eps of interp, which --smoothings leaves out");
    }
    if (lab_args_given(&cmd, "pattern") && w->text.tokenizer != TOK_WORD) {
        lab_usage_die(&cmd, "--pattern is for --tokenizer word");
    }
    w->maxorder = 1;
    for (int i = 0; i < w->norders; i++) {
        w->maxorder = w->orders[i] > w->maxorder ? w->orders[i] : w->maxorder;
    }
    w->run_dir = w->out ? lab_strdup(w->out) : lab_asprintf("runs/sweep-%s", w->dataset);
    // the dataset last: a bad option is reported before a missing dataset
    w->train_path = dataset_resolve(&cmd, w->dataset, "train", NULL);
    w->valid_path = dataset_resolve(&cmd, w->dataset, "valid", NULL);
    w->test_path = dataset_path(w->dataset, "test");
}

// The model of smoothing si, order and parameter param (k or eps; NAN for the others).
static void sweep_model(const Sweep *w, NgramModel *m, int si, int order, double param)
{
    NgramParams p = {.smoothing = (Smoothing)si};
    p.k = si == SMOOTH_ADDK ? param : 1.0;
    for (int k = 0; k <= NGRAM_MAX_ORDER; k++) {
        p.eps[k] = si == SMOOTH_INTERP ? param : 1.0;
    }
    ngram_model_build(m, &w->counts, &w->vocab, order, &p);
}

// Counts the train split once, scores every (smoothing, order, parameter) on valid, picks the
// best of each (smoothing, order) and the best overall, and scores that one on test.
static void sweep_build(Sweep *w)
{
    if (text_tokenizer(&w->tok, &w->text) != 0) {
        exit(2);
    }
    vocab_init(&w->vocab);
    if (text_load_corpus(&w->train, &w->vocab, 1, &w->tok, &w->text, w->train_path) != 0 ||
        text_load_corpus(&w->valid, &w->vocab, 0, &w->tok, &w->text, w->valid_path) != 0) {
        exit(1);
    }
    FILE *probe = fopen(w->test_path, "rb"); // tinyshakespeare has no test split
    if (probe) {
        fclose(probe);
        if (text_load_corpus(&w->test, &w->vocab, 0, &w->tok, &w->text, w->test_path) != 0) {
            exit(1);
        }
        w->have_test = 1;
    }
    ngram_count(&w->counts, &w->train, w->vocab.n, w->maxorder, (TokUnit)w->text.unit,
                (NgramPad)w->pad);
    if (lab_run_dir(w->run_dir) != 0) {
        exit(1);
    }
    w->res = lab_malloc((size_t)NSMOOTH * NGRAM_MAX_ORDER * SWEEP_GRID_MAX * sizeof *w->res);
    long long trials = 0;
    for (int si = 0; si < NSMOOTH; si++) {
        trials += w->use[si] ? (long long)w->norders * sweep_nparam(w, si) : 0;
    }
    LabProgress prog;
    lab_progress_start(&prog, "sweep", trials);
    for (int si = 0; si < NSMOOTH; si++) {
        if (!w->use[si]) {
            continue;
        }
        for (int oi = 0; oi < w->norders; oi++) {
            for (int pi = 0; pi < sweep_nparam(w, si); pi++) {
                double param = si == SMOOTH_ADDK     ? w->ks[pi]
                               : si == SMOOTH_INTERP ? w->epss[pi]
                                                     : NAN;
                NgramModel m;
                sweep_model(w, &m, si, w->orders[oi], param);
                LabLoss l;
                ngram_eval(&m, &w->valid, &l);
                w->res[w->nres++] =
                    (SweepResult){si, w->orders[oi], param, lab_loss_mean(&l), l.zero};
                ngram_model_free(&m);
                lab_progress_update(&prog, w->nres, -1, 0);
            }
        }
    }
    lab_progress_end(&prog);

    // the best parameter per (smoothing, order), and the best overall
    w->best = (SweepResult){.valid_loss = INFINITY, .smoothing = -1};
    for (int i = 0; i < w->nres; i++) {
        SweepResult *r = &w->res[i];
        if (!w->have[r->smoothing][r->order] ||
            r->valid_loss < w->best_of[r->smoothing][r->order].valid_loss) {
            w->best_of[r->smoothing][r->order] = *r;
            w->have[r->smoothing][r->order] = 1;
        }
        if (w->best.smoothing < 0 || r->valid_loss < w->best.valid_loss) {
            w->best = *r;
        }
    }
    sweep_edges(&w->best, w->best_of, w->have, w->orders, w->norders, w->ks, w->nks, w->epss,
                w->neps, w->widen);
    const SweepResult *b = &w->best;
    const char *name = lab_choice_name(NGRAM_SMOOTHING_CHOICES, b->smoothing);
    if (b->smoothing == SMOOTH_ADDK || b->smoothing == SMOOTH_INTERP) {
        snprintf(w->best_desc, sizeof w->best_desc, "%d-gram %s (%s=%g)", b->order, name,
                 b->smoothing == SMOOTH_ADDK ? "k" : "eps", b->param);
    } else {
        snprintf(w->best_desc, sizeof w->best_desc, "%d-gram %s", b->order, name);
    }
    if (w->have_test) {
        // as built for the table, but k and eps both take the parameter (NAN for the others,
        // which do not read them)
        NgramParams p = {.smoothing = (Smoothing)b->smoothing, .k = b->param};
        for (int k = 0; k <= NGRAM_MAX_ORDER; k++) {
            p.eps[k] = b->param;
        }
        NgramModel m;
        ngram_model_build(&m, &w->counts, &w->vocab, b->order, &p);
        ngram_eval(&m, &w->test, &w->test_loss);
        ngram_model_free(&m);
    }
}

// sweep.tsv: every trial, atomically. Exits 1 on a failed write.
static void sweep_write_tsv(const Sweep *w)
{
    LabAtomic a;
    char *tsv = lab_path_join(w->run_dir, "sweep.tsv");
    if (lab_atomic_open(&a, tsv) != 0) {
        exit(1);
    }
    fprintf(a.f, "smoothing\torder\tparam\tvalid_loss\tvalid_ppl\tzero_prob\n");
    for (int i = 0; i < w->nres; i++) {
        const SweepResult *r = &w->res[i];
        fprintf(a.f, "%s\t%d\t%.6g\t%.9g\t%.9g\t%lld\n",
                lab_choice_name(NGRAM_SMOOTHING_CHOICES, r->smoothing), r->order, r->param,
                r->valid_loss, lab_ppl(r->valid_loss), r->zero);
    }
    if (lab_atomic_commit(&a) != 0) {
        exit(1);
    }
    free(tsv);
}

// The table of valid perplexity by order (rows) and smoothing (columns).
static void sweep_report_table(const Sweep *w)
{
    printf("valid perplexity of '%s' (%s tokens; best k / eps chosen on valid)\n", w->dataset,
           sweep_unit(w));
    printf("%-6s", "order");
    for (int si = 0; si < NSMOOTH; si++) {
        if (w->use[si]) {
            printf("  %14s", lab_choice_name(NGRAM_SMOOTHING_CHOICES, si));
        }
    }
    printf("\n");
    for (int oi = 0; oi < w->norders; oi++) {
        int o = w->orders[oi];
        printf("%-6d", o);
        for (int si = 0; si < NSMOOTH; si++) {
            if (!w->use[si]) {
                continue;
            }
            const SweepResult *r = &w->best_of[si][o];
            char cell[64];
            if (!isfinite(r->valid_loss)) {
                snprintf(cell, sizeof cell, "inf");
            } else if (si == SMOOTH_ADDK) {
                snprintf(cell, sizeof cell, "%.3f k=%g", lab_ppl(r->valid_loss), r->param);
            } else if (si == SMOOTH_INTERP) {
                snprintf(cell, sizeof cell, "%.3f e=%g", lab_ppl(r->valid_loss), r->param);
            } else {
                snprintf(cell, sizeof cell, "%.3f", lab_ppl(r->valid_loss));
            }
            printf("  %14s", cell);
        }
        printf("\n");
    }
}

// The notes on the grid's edges, then the table and the best model with its test result, or
// one JSON object.
static void sweep_report(const Sweep *w)
{
    for (int i = 0; i < 2; i++) {
        if (w->widen[i][0]) {
            lab_note("%s", w->widen[i]);
        }
    }
    const SweepResult *b = &w->best;
    const LabLoss *tl = &w->test_loss;
    double loss = lab_loss_mean(tl);
    if (w->json) {
        LabJson j;
        lab_json_begin(&j, stdout);
        lab_json_str(&j, "family", "ngram");
        lab_json_str(&j, "dataset", w->dataset);
        lab_json_str(&j, "model", w->best_desc);
        lab_json_str(&j, "smoothing", lab_choice_name(NGRAM_SMOOTHING_CHOICES, b->smoothing));
        lab_json_int(&j, "order", b->order);
        lab_json_num(&j, "param", b->param);
        lab_json_num(&j, "valid_loss", b->valid_loss);
        lab_json_num(&j, "valid_ppl", lab_ppl(b->valid_loss));
        lab_json_str(&j, "grid_edge",
                     w->widen[0][0] ? w->widen[0] : w->widen[1][0] ? w->widen[1] : NULL);
        if (w->have_test) {
            lab_json_str(&j, "split", "test");
            lab_json_int(&j, "tokens", tl->tokens);
            lab_json_num(&j, "loss", loss);
            lab_json_num(&j, "ppl", lab_ppl(loss));
            lab_json_num(&j, "bits_per_token", lab_bits(loss));
            lab_json_num(&j, "word_ppl", lab_word_ppl(tl));
        }
        lab_json_end(&j);
        return;
    }
    sweep_report_table(w);
    printf("best on valid: %s, valid loss %.4f, ppl %.4f\n", w->best_desc, b->valid_loss,
           lab_ppl(b->valid_loss));
    for (int i = 0; i < 2; i++) {
        if (w->widen[i][0]) {
            printf("grid edge:     %s\n", w->widen[i]);
        }
    }
    if (w->have_test) {
        printf("test:          loss %.4f nats/token, ppl %.4f, %.4f bits/token, ", loss,
               lab_ppl(loss), lab_bits(loss));
        if (lab_word_ppl_meaningful(tl->words, w->test.nseq)) {
            printf("word ppl %.6g\n", lab_word_ppl(tl));
        } else {
            printf("word ppl n/a (no line has two whitespace-separated words)\n");
        }
    }
}

// The charts: valid perplexity against order per smoothing, and against k for add-k per
// order. The titles name the data; the y axes are logarithmic, as perplexities of one sweep
// span orders of magnitude (an unsmoothed model of a high order on a big vocabulary).
static int sweep_write_charts(const Sweep *w)
{
    Plot po;
    char *title = lab_asprintf("%s (%s tokens): best valid perplexity of each smoothing against "
                               "order", w->dataset, sweep_unit(w));
    plot_init(&po, title, "order", "valid perplexity (log scale)");
    free(title);
    po.style = PLOT_LINESPOINTS;
    po.logy = 1;
    po.key = "outside right top"; // clear of every curve
    for (int si = 0; si < NSMOOTH; si++) {
        if (!w->use[si]) {
            continue;
        }
        double x[NGRAM_MAX_ORDER], y[NGRAM_MAX_ORDER];
        for (int oi = 0; oi < w->norders; oi++) {
            x[oi] = w->orders[oi];
            y[oi] = lab_ppl(w->best_of[si][w->orders[oi]].valid_loss);
        }
        plot_add_series(&po, lab_choice_name(NGRAM_SMOOTHING_CHOICES, si), x, y, w->norders);
    }
    char *tics[NGRAM_MAX_ORDER]; // whole orders only, under the points
    for (int oi = 0; oi < w->norders; oi++) {
        tics[oi] = lab_asprintf("%d", w->orders[oi]);
    }
    plot_set_xtics(&po, tics, w->norders);
    for (int oi = 0; oi < w->norders; oi++) {
        free(tics[oi]);
    }
    int rc = plot_write(&po, w->run_dir, "ppl_vs_order", (PlotOutput)w->plot);
    plot_free(&po);
    if (!w->use[SMOOTH_ADDK] || rc != 0) {
        return rc;
    }
    Plot pk;
    title = lab_asprintf("%s (%s tokens), addk: valid perplexity against k", w->dataset,
                         sweep_unit(w));
    plot_init(&pk, title, "k", "valid perplexity (log scale)");
    free(title);
    pk.logx = 1;
    pk.logy = 1;
    pk.style = PLOT_LINESPOINTS;
    pk.key = "outside right top"; // one curve per order: clear of all of them
    for (int oi = 0; oi < w->norders; oi++) {
        double x[SWEEP_GRID_MAX], y[SWEEP_GRID_MAX];
        int n = 0;
        for (int i = 0; i < w->nres; i++) {
            if (w->res[i].smoothing == SMOOTH_ADDK && w->res[i].order == w->orders[oi]) {
                x[n] = w->res[i].param;
                y[n] = lab_ppl(w->res[i].valid_loss);
                n++;
            }
        }
        char name[32];
        snprintf(name, sizeof name, "order %d", w->orders[oi]);
        plot_add_series(&pk, name, x, y, n);
    }
    rc = plot_write(&pk, w->run_dir, "ppl_vs_k", (PlotOutput)w->plot);
    plot_free(&pk);
    return rc;
}

static void sweep_free(Sweep *w)
{
    free(w->res);
    ngram_counts_free(&w->counts);
    corpus_free(&w->train);
    corpus_free(&w->valid);
    if (w->have_test) {
        corpus_free(&w->test);
    }
    vocab_free(&w->vocab);
    tok_free(&w->tok);
    free(w->run_dir);
    free(w->train_path);
    free(w->valid_path);
    free(w->test_path);
}

int ngram_cmd_sweep(int argc, char **argv)
{
    Sweep w = {0};
    sweep_parse(&w, argc, argv);
    sweep_build(&w);
    sweep_write_tsv(&w);
    sweep_report(&w);
    int rc = sweep_write_charts(&w);
    if (!w.json) {
        printf("wrote %s/ (sweep.tsv, ppl_vs_order%s)\n", w.run_dir,
               w.use[SMOOTH_ADDK] ? ", ppl_vs_k" : "");
    }
    sweep_free(&w);
    return rc == 0 ? 0 : 1;
}
