// cli.c: `lmlab ngram <verb>`: the dispatcher, `generate` and `sweep`.
//
//   lmlab ngram generate --model runs/names-kn4 --tokens 200 --temperature 0.8
//   lmlab ngram sweep --dataset names --orders 1-6
#include "ngram/cli_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// --- printing tokens --------------------------------------------------------------------------

static int is_cjk(const char *s, uint32_t len)
{
    uint32_t cp;
    if (utf8_decode((const unsigned char *)s, len, &cp) != (int)len) {
        return 0;
    }
    return (cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFF00 && cp <= 0xFFEF) || (cp >= 0x20000 && cp <= 0x2FFFF);
}

void ngram_print_tokens(FILE *f, const Vocab *v, const int32_t *ids, long n, TokKind kind)
{
    for (long i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (kind == TOK_WORD && i > 0) {
            int32_t prev = ids[i - 1];
            int glue = is_cjk(v->str[prev], v->len[prev]) && is_cjk(v->str[id], v->len[id]);
            if (!glue) {
                fputc(' ', f);
            }
        }
        fwrite(v->str[id], 1, v->len[id], f);
    }
}

void ngram_generate(FILE *f, const NgramModel *m, TokKind kind, const int32_t *prompt,
                    long nprompt, long ntokens, const NgramSampling *s, LabRng *rng)
{
    int N = m->order;
    int32_t V = m->vocab.n;
    double *probs = lab_malloc((size_t)V * sizeof *probs);
    int32_t *order_buf = lab_malloc((size_t)V * sizeof *order_buf);
    int32_t *line = lab_malloc((size_t)(nprompt + ntokens + 1) * sizeof *line);
    int32_t ctx[NGRAM_MAX_ORDER];
    for (int j = 0; j < N - 1; j++) {
        ctx[j] = TOK_BOS;
    }
    long n = 0;
    for (long i = 0; i < nprompt; i++) {
        line[n++] = prompt[i];
        if (N > 1) {
            memmove(ctx, ctx + 1, (size_t)(N - 2) * sizeof *ctx);
            ctx[N - 2] = prompt[i];
        }
    }
    for (long t = 0; t < ntokens; t++) {
        int32_t w = ngram_sample_next(m, ctx, s, rng, probs, order_buf);
        if (w == TOK_EOS) {
            break; // the end of the sequence
        }
        line[n++] = w;
        if (N > 1) {
            memmove(ctx, ctx + 1, (size_t)(N - 2) * sizeof *ctx);
            ctx[N - 2] = w;
        }
    }
    ngram_print_tokens(f, &m->vocab, line, n, kind);
    fputc('\n', f);
    free(probs);
    free(order_buf);
    free(line);
}

typedef struct {
    const Vocab *v;
    int32_t *ids;
    long n, cap;
    long unknown;
} IdList;

static void collect_id(const char *tok, size_t len, void *ctx)
{
    IdList *l = ctx;
    int32_t id = vocab_find(l->v, tok, len);
    if (id < 0) {
        id = TOK_UNK;
        l->unknown++;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->ids = lab_realloc(l->ids, (size_t)l->cap * sizeof *l->ids);
    }
    l->ids[l->n++] = id;
}

int ngram_cmd_generate(int argc, char **argv)
{
    const char *model_dir = NULL, *prompt = NULL;
    long tokens = 200, seed = 1337, count = 10, top_k = 0;
    double temperature = 1.0, top_p = 1.0;
    const LabOpt opts[] = {
        {"model", LAB_OPT_STRING, &model_dir, "DIR", "a run directory from 'lmlab ngram train'", 0,
         0, 0},
        {"prompt", LAB_OPT_STRING, &prompt, "TEXT", "start from this text", 0, 0, 0},
        {"tokens", LAB_OPT_INT, &tokens, "N", "at most N tokens per sequence", 0, 1, 1e7},
        {"count", LAB_OPT_INT, &count, "N", "sequences to draw (line models)", 0, 1, 1e6},
        {"temperature", LAB_OPT_DOUBLE, &temperature, "T",
         "below 1 sharpens, above 1 flattens the distribution", 0, 0.01, 100},
        {"top-k", LAB_OPT_INT, &top_k, "K", "draw from the K most likely tokens (0: all)", 0, 0,
         1e9},
        {"top-p", LAB_OPT_DOUBLE, &top_p, "P",
         "draw from the fewest tokens whose probability reaches P (1: all)", 0, 0.001, 1},
        {"seed", LAB_OPT_INT, &seed, "S", "random seed: the same seed draws the same text", 0, 0,
         0},
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab ngram generate --model DIR [options]",
        .summary = "Sample text from an n-gram model.",
        .opts = opts,
        .epilog = "examples:\n"
                  "  lmlab ngram generate --model runs/names-kn4 --count 10\n"
                  "  lmlab ngram generate --model runs/names-kn4 --prompt 'ja' --temperature 0.7\n",
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    if (!model_dir) {
        lab_usage_die(&cmd, "--model DIR is required");
    }
    NgramRun run;
    if (ngram_run_load(&run, model_dir) != 0) {
        exit(1);
    }
    if (run.text.unit != UNIT_LINE && lab_args_given(&cmd, "count")) {
        lab_usage_die(&cmd, "--count draws sequences of a line model; '%s' was trained with "
                      "--unit stream, so it draws one text of --tokens tokens", model_dir);
    }
    IdList pl = {.v = &run.model.vocab};
    if (prompt) {
        if (tok_split(&run.tok, prompt, strlen(prompt), collect_id, &pl) != 0) {
            exit(1);
        }
        if (pl.unknown) {
            lab_note("%ld prompt token%s not in the model's vocabulary (read as <unk>)",
                     pl.unknown, pl.unknown == 1 ? " is" : "s are");
        }
    }
    LabRng rng;
    lab_rng_seed(&rng, (uint64_t)seed);
    NgramSampling s = {.temperature = temperature, .top_k = top_k, .top_p = top_p};
    TokKind kind = (TokKind)run.text.tokenizer;
    long n = run.text.unit == UNIT_LINE ? count : 1;
    for (long i = 0; i < n; i++) {
        ngram_generate(stdout, &run.model, kind, i == 0 ? pl.ids : NULL, i == 0 ? pl.n : 0,
                       tokens, &s, &rng);
    }
    free(pl.ids);
    ngram_run_free(&run);
    return 0;
}

// --- sweep ------------------------------------------------------------------------------------

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

int ngram_cmd_sweep(int argc, char **argv)
{
    const char *dataset = NULL, *orders_s = "1-6", *smooth_s = "laplace,addk,interp,kn";
    const char *ks_s = "0.001,0.003,0.01,0.03,0.1,0.3,1";
    const char *eps_s = "0.1,0.3,1,3,10,30,100";
    const char *out = NULL;
    int plot = PLOT_PNG, json = 0, pad = NGRAM_PAD_SENTENCE;
    TextOpts text = TEXT_OPTS_DEFAULT;
    const LabOpt opts[] = {
        {"dataset", LAB_OPT_STRING, &dataset, "NAME", "a shipped corpus with train/valid/test", 0,
         0, 0},
        {"orders", LAB_OPT_STRING, &orders_s, "LIST", "orders to try: 1-6 or 2,3,4", 0, 0, 0},
        {"smoothings", LAB_OPT_STRING, &smooth_s, "LIST", "smoothings to try", 0, 0, 0},
        {"ks", LAB_OPT_STRING, &ks_s, "LIST", "addk: values of k to try", 0, 0, 0},
        {"eps", LAB_OPT_STRING, &eps_s, "LIST", "interp: values of eps to try", 0, 0, 0},
        {"pad", LAB_OPT_CHOICE, &pad, NULL, NGRAM_PAD_HELP, NGRAM_PAD_CHOICES, 0, 0},
        TEXT_OPTS_TABLE(text),
        TEXT_MIN_COUNT_OPT(text, "rarer token types read as <unk>"),
        {"out", LAB_OPT_STRING, &out, "DIR", "where the charts and sweep.tsv go "
         "(default runs/sweep-DATASET)", 0, 0, 0},
        {"plot", LAB_OPT_CHOICE, &plot, NULL, "charts as PNG, in the terminal, or not at all",
         PLOT_OUTPUT_CHOICES, 0, 0},
        {"json", LAB_OPT_FLAG, &json, NULL,
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
    if (!dataset) {
        lab_usage_die(&cmd, "--dataset NAME is required");
    }
    if (json && plot == PLOT_DUMB) {
        lab_usage_die(&cmd, "--plot dumb draws on stdout, which --json keeps for the object");
    }
    int orders[NGRAM_MAX_ORDER];
    int norders = parse_orders(&cmd, orders_s, orders);
    double ks[32], epss[32];
    int nks = lab_list_numbers(&cmd, "ks", ks_s, ks, 32, 0);
    int neps = lab_list_numbers(&cmd, "eps", eps_s, epss, 32, 0);
    int use[5] = {0};
    {
        int n;
        char **names = lab_list_split(&cmd, "smoothings", smooth_s, 32, &n);
        for (int k = 0; k < n; k++) {
            int found = -1;
            for (int i = 0; i < 5; i++) {
                if (strcmp(names[k], lab_choice_name(NGRAM_SMOOTHING_CHOICES, i)) == 0) {
                    found = i;
                }
            }
            if (found < 0) {
                lab_usage_die(&cmd, "unknown smoothing '%s' (choose from %s)", names[k],
                              NGRAM_SMOOTHING_CHOICES);
            }
            use[found] = 1;
        }
        free(names);
    }
    if (lab_args_given(&cmd, "ks") && !use[SMOOTH_ADDK]) {
        lab_usage_die(&cmd, "--ks are the values of k of addk, which --smoothings leaves out");
    }
    if (lab_args_given(&cmd, "eps") && !use[SMOOTH_INTERP]) {
        lab_usage_die(&cmd, "--eps are the values of eps of interp, which --smoothings leaves out");
    }
    if (lab_args_given(&cmd, "pattern") && text.tokenizer != TOK_WORD) {
        lab_usage_die(&cmd, "--pattern is for --tokenizer word");
    }
    int maxorder = 1;
    for (int i = 0; i < norders; i++) {
        maxorder = orders[i] > maxorder ? orders[i] : maxorder;
    }
    char *run_dir = out ? lab_strdup(out) : lab_asprintf("runs/sweep-%s", dataset);
    char *train_path = ngram_resolve_data(&cmd, NULL, dataset, "train");
    char *valid_path = dataset_resolve(&cmd, dataset, "valid");
    char *test_path = dataset_path(dataset, "test");

    Tokenizer tok;
    if (text_tokenizer(&tok, &text) != 0) {
        exit(2);
    }
    Vocab vocab;
    vocab_init(&vocab);
    Corpus train, valid, test;
    if (text_load_corpus(&train, &vocab, 1, &tok, &text, train_path) != 0 ||
        text_load_corpus(&valid, &vocab, 0, &tok, &text, valid_path) != 0) {
        exit(1);
    }
    int have_test = 0;
    {
        FILE *probe = fopen(test_path, "rb");
        if (probe) {
            fclose(probe);
            if (text_load_corpus(&test, &vocab, 0, &tok, &text, test_path) != 0) {
                exit(1);
            }
            have_test = 1;
        }
    }
    NgramCounts counts;
    ngram_count(&counts, &train, vocab.n, maxorder, (TokUnit)text.unit, (NgramPad)pad);
    if (lab_run_dir(run_dir) != 0) {
        exit(1);
    }

    // every (smoothing, order, parameter) on valid
    int cap = 5 * NGRAM_MAX_ORDER * 32, nres = 0;
    SweepResult *res = lab_malloc((size_t)cap * sizeof *res);
    long long trials = 0;
    for (int si = 0; si < 5; si++) {
        trials += use[si] ? (long long)norders * (si == SMOOTH_ADDK ? nks
                                                   : si == SMOOTH_INTERP ? neps : 1)
                          : 0;
    }
    LabProgress prog;
    lab_progress_start(&prog, "sweep", trials);
    for (int si = 0; si < 5; si++) {
        if (!use[si]) {
            continue;
        }
        int nparam = si == SMOOTH_ADDK ? nks : si == SMOOTH_INTERP ? neps : 1;
        for (int oi = 0; oi < norders; oi++) {
            for (int pi = 0; pi < nparam; pi++) {
                NgramParams p = {.smoothing = (Smoothing)si};
                double param = si == SMOOTH_ADDK ? ks[pi] : si == SMOOTH_INTERP ? epss[pi] : NAN;
                p.k = si == SMOOTH_ADDK ? param : 1.0;
                for (int k = 0; k <= NGRAM_MAX_ORDER; k++) {
                    p.eps[k] = si == SMOOTH_INTERP ? param : 1.0;
                }
                NgramModel m;
                ngram_model_build(&m, &counts, &vocab, orders[oi], &p);
                LabLoss l;
                ngram_eval(&m, &valid, &l);
                res[nres++] = (SweepResult){si, orders[oi], param, lab_loss_mean(&l), l.zero};
                ngram_model_free(&m);
                lab_progress_update(&prog, nres, -1, 0);
            }
        }
    }
    lab_progress_end(&prog);

    // the best parameter per (smoothing, order), and the best overall
    LabAtomic a;
    char *tsv = lab_path_join(run_dir, "sweep.tsv");
    if (lab_atomic_open(&a, tsv) != 0) {
        exit(1);
    }
    fprintf(a.f, "smoothing\torder\tparam\tvalid_loss\tvalid_ppl\tzero_prob\n");
    for (int i = 0; i < nres; i++) {
        fprintf(a.f, "%s\t%d\t%.6g\t%.9g\t%.9g\t%lld\n",
                lab_choice_name(NGRAM_SMOOTHING_CHOICES, res[i].smoothing), res[i].order,
                res[i].param, res[i].valid_loss, lab_ppl(res[i].valid_loss), res[i].zero);
    }
    if (lab_atomic_commit(&a) != 0) {
        exit(1);
    }
    SweepResult best_of[5][NGRAM_MAX_ORDER + 1];
    int have[5][NGRAM_MAX_ORDER + 1] = {{0}};
    SweepResult best = {.valid_loss = INFINITY, .smoothing = -1};
    for (int i = 0; i < nres; i++) {
        SweepResult *r = &res[i];
        if (!have[r->smoothing][r->order] ||
            r->valid_loss < best_of[r->smoothing][r->order].valid_loss) {
            best_of[r->smoothing][r->order] = *r;
            have[r->smoothing][r->order] = 1;
        }
        if (best.smoothing < 0 || r->valid_loss < best.valid_loss) {
            best = *r;
        }
    }

    char widen[2][200] = {"", ""};
    sweep_edges(&best, best_of, have, orders, norders, ks, nks, epss, neps, widen);
    for (int i = 0; i < 2; i++) {
        if (widen[i][0]) {
            lab_note("%s", widen[i]);
        }
    }

    // the table: valid perplexity by order (rows) and smoothing (columns)
    if (!json) {
        printf("valid perplexity of '%s' (%s tokens; best k / eps chosen on valid)\n", dataset,
               text.tokenizer == TOK_CHAR ? "char" : "word");
        printf("%-6s", "order");
        for (int si = 0; si < 5; si++) {
            if (use[si]) {
                printf("  %14s", lab_choice_name(NGRAM_SMOOTHING_CHOICES, si));
            }
        }
        printf("\n");
        for (int oi = 0; oi < norders; oi++) {
            int o = orders[oi];
            printf("%-6d", o);
            for (int si = 0; si < 5; si++) {
                if (!use[si]) {
                    continue;
                }
                SweepResult *r = &best_of[si][o];
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
    const char *best_name = lab_choice_name(NGRAM_SMOOTHING_CHOICES, best.smoothing);
    char best_desc[96];
    if (best.smoothing == SMOOTH_ADDK || best.smoothing == SMOOTH_INTERP) {
        snprintf(best_desc, sizeof best_desc, "%d-gram %s (%s=%g)", best.order, best_name,
                 best.smoothing == SMOOTH_ADDK ? "k" : "eps", best.param);
    } else {
        snprintf(best_desc, sizeof best_desc, "%d-gram %s", best.order, best_name);
    }
    LabLoss tl = {0};
    if (have_test) {
        NgramParams p = {.smoothing = (Smoothing)best.smoothing, .k = best.param};
        for (int k = 0; k <= NGRAM_MAX_ORDER; k++) {
            p.eps[k] = best.param;
        }
        NgramModel m;
        ngram_model_build(&m, &counts, &vocab, best.order, &p);
        ngram_eval(&m, &test, &tl);
        ngram_model_free(&m);
    }
    if (json) {
        LabJson j;
        lab_json_begin(&j, stdout);
        lab_json_str(&j, "family", "ngram");
        lab_json_str(&j, "dataset", dataset);
        lab_json_str(&j, "model", best_desc);
        lab_json_str(&j, "smoothing", best_name);
        lab_json_int(&j, "order", best.order);
        lab_json_num(&j, "param", best.param);
        lab_json_num(&j, "valid_loss", best.valid_loss);
        lab_json_num(&j, "valid_ppl", lab_ppl(best.valid_loss));
        lab_json_str(&j, "grid_edge", widen[0][0] ? widen[0] : widen[1][0] ? widen[1] : NULL);
        if (have_test) {
            double loss = lab_loss_mean(&tl);
            lab_json_str(&j, "split", "test");
            lab_json_int(&j, "tokens", tl.tokens);
            lab_json_num(&j, "loss", loss);
            lab_json_num(&j, "ppl", lab_ppl(loss));
            lab_json_num(&j, "bits_per_token", lab_bits(loss));
            lab_json_num(&j, "word_ppl", lab_word_ppl(&tl));
        }
        lab_json_end(&j);
    } else {
        printf("best on valid: %s, valid loss %.4f, ppl %.4f\n", best_desc, best.valid_loss,
               lab_ppl(best.valid_loss));
        for (int i = 0; i < 2; i++) {
            if (widen[i][0]) {
                printf("grid edge:     %s\n", widen[i]);
            }
        }
        if (have_test) {
            double loss = lab_loss_mean(&tl);
            printf("test:          loss %.4f nats/token, ppl %.4f, %.4f bits/token, ", loss,
                   lab_ppl(loss), lab_bits(loss));
            if (ngram_word_ppl_meaningful(tl.words, test.nseq)) {
                printf("word ppl %.6g\n", lab_word_ppl(&tl));
            } else {
                printf("word ppl n/a (no line has two whitespace-separated words)\n");
            }
        }
    }

    // charts: ppl against order per smoothing; ppl against k for add-k per order
    // the titles name the data; the y axes are logarithmic, as perplexities of one sweep span
    // orders of magnitude (an unsmoothed model of a high order on a big vocabulary)
    Plot po;
    char *title = lab_asprintf("%s (%s tokens): best valid perplexity of each smoothing against "
                               "order", dataset, text.tokenizer == TOK_CHAR ? "char" : "word");
    plot_init(&po, title, "order", "valid perplexity (log scale)");
    free(title);
    po.style = PLOT_LINESPOINTS;
    po.logy = 1;
    po.key = "outside right top"; // clear of every curve
    for (int si = 0; si < 5; si++) {
        if (!use[si]) {
            continue;
        }
        double x[NGRAM_MAX_ORDER], y[NGRAM_MAX_ORDER];
        int n = 0;
        for (int oi = 0; oi < norders; oi++) {
            x[n] = orders[oi];
            y[n] = lab_ppl(best_of[si][orders[oi]].valid_loss);
            n++;
        }
        plot_add_series(&po, lab_choice_name(NGRAM_SMOOTHING_CHOICES, si), x, y, n);
    }
    {
        char *tics[NGRAM_MAX_ORDER]; // whole orders only, under the points
        for (int oi = 0; oi < norders; oi++) {
            tics[oi] = lab_asprintf("%d", orders[oi]);
        }
        plot_set_xtics(&po, tics, norders);
        for (int oi = 0; oi < norders; oi++) {
            free(tics[oi]);
        }
    }
    int rc = plot_write(&po, run_dir, "ppl_vs_order", (PlotOutput)plot);
    plot_free(&po);
    if (use[SMOOTH_ADDK] && rc == 0) {
        Plot pk;
        title = lab_asprintf("%s (%s tokens), addk: valid perplexity against k", dataset,
                             text.tokenizer == TOK_CHAR ? "char" : "word");
        plot_init(&pk, title, "k", "valid perplexity (log scale)");
        free(title);
        pk.logx = 1;
        pk.logy = 1;
        pk.style = PLOT_LINESPOINTS;
        pk.key = "outside right top"; // one curve per order: clear of all of them
        for (int oi = 0; oi < norders; oi++) {
            double x[32], y[32];
            int n = 0;
            for (int i = 0; i < nres; i++) {
                if (res[i].smoothing == SMOOTH_ADDK && res[i].order == orders[oi]) {
                    x[n] = res[i].param;
                    y[n] = lab_ppl(res[i].valid_loss);
                    n++;
                }
            }
            char name[32];
            snprintf(name, sizeof name, "order %d", orders[oi]);
            plot_add_series(&pk, name, x, y, n);
        }
        rc = plot_write(&pk, run_dir, "ppl_vs_k", (PlotOutput)plot);
        plot_free(&pk);
    }
    if (!json) {
        printf("wrote %s/ (sweep.tsv, ppl_vs_order%s)\n", run_dir,
               use[SMOOTH_ADDK] ? ", ppl_vs_k" : "");
    }

    free(res);
    free(tsv);
    ngram_counts_free(&counts);
    corpus_free(&train);
    corpus_free(&valid);
    if (have_test) {
        corpus_free(&test);
    }
    vocab_free(&vocab);
    tok_free(&tok);
    free(train_path);
    free(valid_path);
    free(test_path);
    free(run_dir);
    return rc == 0 ? 0 : 1;
}

// --- dispatch -----------------------------------------------------------------------------------

int ngram_main(int argc, char **argv)
{
    static const char *usage =
        "usage: lmlab ngram <verb> [options]\n"
        "\n"
        "verbs:\n"
        "  train      count a corpus and smooth the counts into a model\n"
        "  eval       loss, perplexity and bits per token of a model on a text\n"
        "  generate   sample text from a model\n"
        "  sweep      every order and smoothing on a dataset: the best on valid, then test\n"
        "\n"
        "'lmlab ngram <verb> --help' shows the options of a verb.\n";
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *verb = argv[1];
    if (strcmp(verb, "train") == 0) {
        return ngram_cmd_train(argc - 1, argv + 1);
    }
    if (strcmp(verb, "eval") == 0) {
        return ngram_cmd_eval(argc - 1, argv + 1);
    }
    if (strcmp(verb, "generate") == 0) {
        return ngram_cmd_generate(argc - 1, argv + 1);
    }
    if (strcmp(verb, "sweep") == 0) {
        return ngram_cmd_sweep(argc - 1, argv + 1);
    }
    static const char *const verbs[] = {"train", "eval", "generate", "sweep"};
    const char *near = lab_closest(verb, verbs, (int)(sizeof verbs / sizeof *verbs));
    fprintf(stderr, "lmlab: unknown verb 'ngram %s'\n", verb);
    if (near) {
        fprintf(stderr, "  hint: did you mean 'lmlab ngram %s'?\n", near);
    }
    fputs(usage, stderr);
    return 2;
}
