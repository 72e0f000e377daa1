// cli_common.h: what the n-gram commands (train.c, eval.c, cli.c) share. Not a public face.
#ifndef NGRAM_CLI_COMMON_H
#define NGRAM_CLI_COMMON_H

#include "ngram/ngram.h"
#include "plots/plots.h"

// Where a command reads its data: --data FILE, or --dataset NAME with --split NAME.
// Returns a new path, or NULL with a usage error when neither is given.
char *ngram_resolve_data(const LabCommand *cmd, const char *file, const char *dataset,
                         const char *split);

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

int ngram_run_load(NgramRun *r, const char *dir);
void ngram_run_free(NgramRun *r);

// Detokenize: char tokens are concatenated, word tokens joined by spaces (but not between
// two CJK characters). Writes to f.
void ngram_print_tokens(FILE *f, const Vocab *v, const int32_t *ids, long n, TokKind kind);

// Draws tokens from the model into f (sampling settings s): line unit models write one
// sequence per line, starting each from <s>; prompt ids (may be NULL) seed the first one.
void ngram_generate(FILE *f, const NgramModel *m, TokKind kind, const int32_t *prompt,
                    long nprompt, long ntokens, const NgramSampling *s, LabRng *rng);

// Zipf chart (rank-frequency of the counted 1-, 2- and 3-grams, log-log) into dir.
int ngram_zipf_chart(const NgramCounts *nc, const char *dir, PlotOutput out);

// Prints the loss report of one evaluation (human-readable, or one JSON object).
// seconds: the scoring time (the JSON object reports it with tokens_per_s).
void ngram_report(const LabLoss *l, const char *model, const char *data, const char *dataset,
                  const char *split, int json, double seconds);

int ngram_cmd_train(int argc, char **argv);
int ngram_cmd_eval(int argc, char **argv);
int ngram_cmd_generate(int argc, char **argv);
int ngram_cmd_sweep(int argc, char **argv);

#endif
