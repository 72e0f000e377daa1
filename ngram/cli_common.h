// cli_common.h: what the n-gram commands share (run.c, train.c, eval.c, sweep.c, cli.c).
// Not a public face. The commands call down into these pieces and the model (ngram.h), never
// into each other.
#ifndef NGRAM_CLI_COMMON_H
#define NGRAM_CLI_COMMON_H

#include "ngram/ngram.h"
#include "plots/plots.h"

// The default run directory of `ngram train`: runs/<dataset, or the stem of --train FILE>
// then "-word" for the word tokenizer (every dataset's default is char), "-<smoothing><order>",
// and "-k<K>" for addk or "-eps<E>" for interp with an eps other than 1 (k and eps may be
// NULL). A new string.
char *ngram_run_name(const char *dataset, const char *train_path, const TextOpts *text,
                     const char *smoothing, long order, const double *k, const char *eps);

// The option-table entries of the model's own options, shared by 'ngram train' and the loading
// of a run's config (ngram_run_load), so both hold the values to the same ranges.
#define NGRAM_MODEL_OPTS(order, smoothing, k, eps_s, pad)                                      \
    {"order", LAB_OPT_INT, &(order), "N", "n-gram order, 1..6", 0, 1, NGRAM_MAX_ORDER},         \
    {"smoothing", LAB_OPT_CHOICE, &(smoothing), NULL, "how unseen events get probability",     \
     NGRAM_SMOOTHING_CHOICES, 0, 0},                                                           \
    {"k", LAB_OPT_DOUBLE, &(k), "K", "addk: the pseudo-count, > 0", 0, 0, 0},                  \
    {"eps", LAB_OPT_STRING, &(eps_s), "E[,E..]", "interp: weight of the lower order, per order", \
     0, 0, 0},                                                                                  \
    {"pad", LAB_OPT_CHOICE, &(pad), NULL, NGRAM_PAD_HELP, NGRAM_PAD_CHOICES, 0, 0}

// Parses "--eps 0.5" or "--eps 1,0.5,0.1" (order 1 first; the last value repeats) into
// eps[1..NGRAM_MAX_ORDER]. An empty list or item, a value <= 0 or more than NGRAM_MAX_ORDER
// values is a usage error of cmd (exit 2).
void ngram_parse_eps(const LabCommand *cmd, const char *s, double eps[NGRAM_MAX_ORDER + 1]);

// A trained run: its config, model, tokenizer options.
typedef struct {
    LabConfig cfg;
    NgramModel model;
    TextOpts text;
    Tokenizer tok;
    char *dir;
} NgramRun;

// Loads the run in dir (run.c): its config (checked as 'ngram train' checks its options: a bad
// value is a data error naming the line), the tokenizer it names, model.bin or model.arpa
// (ngram_model_load_dir). -1 with a message; r is then zeroed.
int ngram_run_load(NgramRun *r, const char *dir);
void ngram_run_free(NgramRun *r);

// Zipf chart (rank-frequency of the counted n-grams of every order, log-log) into dir; the
// title names `what` ("names, 4-gram kn").
int ngram_zipf_chart(const NgramCounts *nc, const char *dir, const char *what, PlotOutput out);

// `ngram train` draws the bigram chart for character models of at most this many tokens
#define NGRAM_BIGRAM_CHART_MAX 40

// The bigram counts c(a b) (nc->order >= 2) as a heatmap DIR/bigrams.{dat,gp,png}: rows are
// the previous token (<s> first), columns the next one (</s> last), tokens in byte order and
// <unk> only when it occurs; the counts are printed in the cells when there are at most 30
// columns. Fails as plot_heatmap_write does.
int ngram_bigram_chart(const NgramCounts *nc, const Vocab *v, const char *dir, const char *title,
                       PlotOutput out);

// One token as ngram_eval scores it.
typedef struct {
    long long pos;                 // its position in the corpus (0-based)
    int32_t w;                     // the token predicted
    int32_t ctx[NGRAM_MAX_ORDER];  // the order-1 tokens before it, oldest first (<s> before
                                   // the sequence)
    int order;                     // order of the n-gram the probability came from after
                                   // backoff: its context is the last order-1 tokens of ctx;
                                   // 0 when no n-gram holds w (probability 0), -1 when w is
                                   // <unk> and the model has none (skipped, as ngram_eval does)
    double logp;                   // ln P(w | ctx) from ngram_logprob (NAN when skipped)
} NgramTokenScore;

// Calls fn for every predicted token of c, in order, with what ngram_eval adds for it: the
// sum of the scored logp equals ngram_eval's nats (up to the order of summation).
void ngram_score_tokens(const NgramModel *m, const Corpus *c,
                        void (*fn)(const NgramTokenScore *t, void *arg), void *arg);

int ngram_cmd_train(int argc, char **argv);
int ngram_cmd_eval(int argc, char **argv);
int ngram_cmd_generate(int argc, char **argv);
int ngram_cmd_sweep(int argc, char **argv);
int ngram_cmd_binary(int argc, char **argv);

#endif
