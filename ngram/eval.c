// eval.c: `lmlab ngram eval`: the perplexity of a model on a text.
//
//   lmlab ngram eval --model runs/names-kn4 --split test
//   lmlab ngram eval --arpa other.arpa --tokenizer word --data test.txt --json
//
// Reports the loss in nats per token, perplexity, bits per token, word-level perplexity,
// the tokens scored and the tokens outside the vocabulary.
#include "ngram/cli_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// --- scoring token by token ----------------------------------------------------------------

// the order of the longest stored n-gram (last j tokens of ctx, w), 0 when none holds w
static int order_used(const NgramModel *m, const int32_t *ctx, int32_t w)
{
    int N = m->order;
    for (int j = N - 1; j >= 0; j--) {
        uint32_t node = 0; // the node of the last j tokens of ctx (which holds N-1)
        for (int i = N - 1 - j; i < N - 1 && node != NGRAM_NONE; i++) {
            node = ngram_model_find(m, i - (N - 1 - j) + 1, node, ctx[i]);
        }
        if (node != NGRAM_NONE && ngram_model_find(m, j + 1, node, w) != NGRAM_NONE) {
            return j + 1;
        }
    }
    return 0;
}

void ngram_score_tokens(const NgramModel *m, const Corpus *c,
                        void (*fn)(const NgramTokenScore *t, void *arg), void *arg)
{
    int N = m->order;
    int has_unk = ngram_model_find(m, 1, 0, TOK_UNK) != NGRAM_NONE;
    for (long long s = 0; s < c->nseq; s++) {
        NgramTokenScore t = {0};
        for (int j = 0; j < N - 1; j++) {
            t.ctx[j] = TOK_BOS;
        }
        for (long long i = c->start[s]; i < c->start[s + 1]; i++) {
            t.pos = i;
            t.w = c->ids[i];
            if (t.w == TOK_UNK && !has_unk) {
                t.order = -1;
                t.logp = NAN;
            } else {
                t.order = order_used(m, t.ctx, t.w);
                t.logp = ngram_logprob(m, t.ctx, t.w);
            }
            fn(&t, arg);
            if (N > 1) {
                memmove(t.ctx, t.ctx + 1, (size_t)(N - 2) * sizeof *t.ctx);
                t.ctx[N - 2] = t.w;
            }
        }
    }
}

typedef struct {
    const NgramModel *m;
    int bos_bos;  // the model stores the bigram "<s> <s>" (NLTK's padding)
    LabLoss loss;
} PerToken;

// "<s> a n": the tokens of a context, escaped, "-" for none
static void print_context(const Vocab *v, const int32_t *ids, int n, int width)
{
    char buf[256];
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < n; i++) {
        int32_t id = ids[i];
        char *e = id < TOK_FIRST ? lab_strdup(v->str[id]) : tok_escape(v->str[id], v->len[id]);
        used += (size_t)snprintf(buf + used, used < sizeof buf ? sizeof buf - used : 0, "%s%s",
                                 i ? " " : "", e);
        free(e);
        if (used >= sizeof buf) {
            used = sizeof buf - 1;
        }
    }
    printf("%-*s", width, n ? buf : "-");
}

static void print_token_row(const NgramTokenScore *t, void *arg)
{
    PerToken *pt = arg;
    const Vocab *v = &pt->m->vocab;
    int N = pt->m->order;
    printf("%-6lld", t->pos + 1);
    // the scorer pads with N-1 <s>; a model that stores no "<s> <s>" (the sentence
    // convention) conditions on one of them, so the context is shown as the model sees it
    int skip = 0;
    if (!pt->bos_bos) {
        while (skip + 1 < N - 1 && t->ctx[skip] == TOK_BOS && t->ctx[skip + 1] == TOK_BOS) {
            skip++;
        }
    }
    print_context(v, t->ctx + skip, N - 1 - skip, 3 * (N > 1 ? N - 1 : 1) + 8);
    char *e = t->w < TOK_FIRST ? lab_strdup(v->str[t->w]) : tok_escape(v->str[t->w], v->len[t->w]);
    printf("  %-8s", e);
    free(e);
    if (t->order < 0) {
        printf("  %5s  %12s  %9s\n", "-", "skipped", "(<unk>)");
        return;
    }
    lab_loss_add(&pt->loss, t->logp);
    printf("  %5d  %12.6g  %9.4f\n", t->order, exp(t->logp), -t->logp / log(2.0));
}

// The per-token table of c under m, then a total line computed as ngram_eval's loss is.
// "order" is the n-gram the probability came from: below the model's order, P is that
// n-gram's probability times the backoff weights of the longer contexts.
static void report_per_token(const NgramModel *m, const Corpus *c)
{
    int N = m->order;
    printf("%-6s", "pos");
    printf("%-*s", 3 * (N > 1 ? N - 1 : 1) + 8, "context");
    printf("  %-8s  %5s  %12s  %9s\n", "token", "order", "P", "-log2 P");
    uint32_t bos = ngram_model_find(m, 1, 0, TOK_BOS);
    PerToken pt = {.m = m,
                   .bos_bos = N > 1 && bos != NGRAM_NONE &&
                              ngram_model_find(m, 2, bos, TOK_BOS) != NGRAM_NONE};
    ngram_score_tokens(m, c, print_token_row, &pt);
    double loss = lab_loss_mean(&pt.loss);
    printf("total  %lld tokens scored: %.6f bits, loss %.6f nats/token, ppl %.6f\n",
           pt.loss.tokens, pt.loss.nats / log(2.0), loss, lab_ppl(loss));
}

int ngram_cmd_eval(int argc, char **argv)
{
    const char *model_dir = NULL, *arpa = NULL, *data = NULL, *split = NULL, *text_arg = NULL;
    int json = 0, per_token = 0;
    TextOpts text = TEXT_OPTS_DEFAULT;
    text.tokenizer = TOK_WORD;
    const LabOpt opts[] = {
        {"model", LAB_OPT_STRING, &model_dir, "DIR", "a run directory from 'lmlab ngram train'", 0,
         0, 0},
        {"data", LAB_OPT_STRING, &data, "FILE", "the text to score", 0, 0, 0},
        {"text", LAB_OPT_STRING, &text_arg, "TEXT", "or score this text (one line per line)", 0,
         0, 0},
        {"split", LAB_OPT_STRING, &split, "NAME",
         "a split of the model's dataset: train, valid or test",
         0, 0, 0},
        {"json", LAB_OPT_FLAG, &json, NULL, "print one JSON object", 0, 0, 0},
        {"per-token", LAB_OPT_FLAG, &per_token, NULL, "a table of every token: its context, "
         "the order used after backoff, P and -log2 P", 0, 0, 0},
        {"arpa", LAB_OPT_STRING, &arpa, "FILE",
         "an ARPA file from any toolkit, or its 'ngram binary' form (text options below)", 0,
         0, 0},
        TEXT_OPTS_TABLE(text),
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab ngram eval (--model DIR | --arpa FILE) (--data FILE | --split NAME | "
                 "--text TEXT) [options]",
        .summary = "Score a text with an n-gram model: loss, perplexity, bits per token.",
        .opts = opts,
        .epilog = "examples:\n"
                  "  lmlab ngram eval --model runs/names-kn4 --split test\n"
                  "  lmlab ngram eval --arpa lm.arpa --tokenizer word --data test.txt --json\n"
                  "  lmlab ngram eval --model runs/names-kn4 --text ann --per-token\n"
                  "The text options apply to --arpa; a run directory keeps its own.\n",
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    if (!!model_dir == !!arpa) {
        lab_usage_die(&cmd, "give exactly one of --model DIR and --arpa FILE");
    }
    if (!!data + !!split + !!text_arg != 1) {
        lab_usage_die(&cmd, "give exactly one of --data FILE, --split NAME and --text TEXT");
    }
    if (json && per_token) {
        lab_usage_die(&cmd, "--per-token prints a table, --json one object: choose one");
    }
    if (model_dir) {
        static const char *const text_opts[] = {"tokenizer", "pattern", "lowercase", "unit",
                                                "utf8", "bpe", "bpe-vocab", "bpe-split"};
        for (int i = 0; i < 8; i++) {
            if (lab_args_given(&cmd, text_opts[i])) {
                lab_usage_die(&cmd, "--%s is for --arpa: a run directory keeps the text options "
                              "it was trained with (see its config)", text_opts[i]);
            }
        }
    } else if (lab_args_given(&cmd, "pattern") && text.tokenizer != TOK_WORD) {
        lab_usage_die(&cmd, "--pattern is for --tokenizer word");
    } else if (lab_args_given(&cmd, "bpe-vocab") || lab_args_given(&cmd, "bpe-split")) {
        lab_usage_die(&cmd, "--bpe-vocab trains a tokenizer, and eval trains nothing: give the "
                            "model's own with --bpe DIR");
    }
    if (text_arg) {
        const unsigned char *s = (const unsigned char *)text_arg;
        size_t n = strlen(text_arg);
        for (size_t i = 0; i < n;) {
            uint32_t cp;
            int len = utf8_decode(s + i, n - i, &cp);
            if (len <= 0) {
                lab_usage_die(&cmd, "--text is not valid UTF-8 (at byte %zu)", i);
            }
            i += (size_t)len;
        }
    }
    if (split && strcmp(split, "train") && strcmp(split, "valid") && strcmp(split, "test")) {
        lab_usage_die(&cmd, "--split is train, valid or test (got '%s')", split);
    }
    NgramRun run;
    const char *dataset = NULL;
    if (model_dir) {
        if (ngram_run_load(&run, model_dir) != 0) {
            exit(1);
        }
        dataset = lab_config_get(&run.cfg, "dataset");
        if (dataset && !*dataset) {
            dataset = NULL;
        }
        if (split && !dataset) {
            lab_error_hint("use --data FILE", "'%s' was not trained on a dataset, so --split has "
                           "nothing to name", model_dir);
            exit(1);
        }
    } else {
        if (split) {
            lab_usage_die(&cmd, "--split needs --model (an ARPA file has no dataset): use --data");
        }
        memset(&run, 0, sizeof run);
        run.text = text;
        if (text_tokenizer(&run.tok, &run.text) != 0) {
            exit(2);
        }
        // an ARPA file, or its binary form from 'lmlab ngram binary' (told by its magic)
        if ((ngram_bin_is(arpa) ? ngram_bin_load(&run.model, arpa, (TokUnit)text.unit)
                                : ngram_arpa_read(&run.model, arpa, (TokUnit)text.unit)) != 0) {
            exit(1);
        }
    }
    // --split reads the dataset the run's config names: a missing one is data, not usage
    char *path = split      ? dataset_path(dataset, split)
                 : text_arg ? lab_strdup("--text")
                            : lab_strdup(data);
    if (split && access(path, F_OK) != 0) {
        char q[96];
        lab_die("give the text with --data FILE",
                "'%s/config' names dataset '%s', which has no %s split here", model_dir,
                lab_quote(q, sizeof q, dataset, strlen(dataset)), split);
    }
    Corpus c;
    if (text_arg) {
        if (corpus_encode(&c, &run.model.vocab, &run.tok, (TokUnit)run.text.unit, text_arg,
                          strlen(text_arg)) != 0) {
            exit(1);
        }
        if (c.n == (run.text.unit == UNIT_LINE ? c.nseq : 0)) {
            lab_error("--text has no tokens");
            exit(1);
        }
    } else if (text_load_corpus(&c, &run.model.vocab, 0, &run.tok, &run.text, path) != 0) {
        exit(1);
    }
    // an ARPA file read with other text options than it was made with: mostly <unk>
    long long predicted = c.n - (run.text.unit == UNIT_LINE ? c.nseq : 0); // without </s>
    if (arpa && predicted > 0 && 2 * c.oov >= predicted) {
        lab_note("%lld of the %lld tokens of '%s' (%.0f%%) are <unk>, not in the model's "
                 "vocabulary: the text is likely tokenized otherwise than the model was trained, "
                 "and the scores say little",
                 c.oov, predicted, path, 100.0 * (double)c.oov / (double)predicted);
        fprintf(stderr, "  hint: the text was read with --tokenizer %s; give the model's own "
                "--tokenizer (and --lowercase or --pattern if it used them)\n",
                text_tokenizer_name(run.text.tokenizer));
    }
    if (per_token) {
        report_per_token(&run.model, &c);
        corpus_free(&c);
        free(path);
        ngram_run_free(&run);
        return 0;
    }
    LabLoss loss;
    double t0 = lab_now();
    ngram_eval(&run.model, &c, &loss);
    double t1 = lab_now();
    // the dataset is named only for one of its splits, not for an arbitrary --data file
    LabEvalReport rep = {
        .family = "ngram", .model = model_dir ? model_dir : arpa, .data = path,
        .dataset = split ? dataset : NULL, .split = split,
        .zero_hint = "an unsmoothed model cannot score what it never saw: try --smoothing "
                     "laplace or kn",
        .loss = loss, .lines = c.nseq, .seconds = t1 - t0,
    };
    lab_eval_report(&rep, json);
    if (!json && !lab_quiet) {
        fflush(stdout);
        fprintf(stderr, "lmlab: scored %lld tokens in %.3fs (%.3gM tokens/s)\n",
                loss.tokens, t1 - t0, (double)loss.tokens / fmax(t1 - t0, 1e-9) / 1e6);
    }
    corpus_free(&c);
    free(path);
    ngram_run_free(&run);
    return 0;
}
