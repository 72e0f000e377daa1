// tfidf_cli.h: what the tfidf commands (tfidf_cli.c, tfidf_cli_matrix.c, tfidf_cli_query.c)
// share: their options, the run every verb loads, and the helpers that show documents and
// terms and draw the charts. Not a public face (that is tfidf.h).
#ifndef NGRAM_TFIDF_CLI_H
#define NGRAM_TFIDF_CLI_H

#include "ngram/tfidf.h"
#include "plots/plots.h"

// --- the options every verb shares -------------------------------------------------------------

typedef struct {
    const char *docs, *dataset, *split;
    int unit;              // TfidfUnit
    int tokenizer;         // 0 word, 1 char (the order of TOKENIZER_CHOICES)
    const char *pattern;   // NULL: TFIDF_DEFAULT_PATTERN
    int lowercase, utf8;
    const char *ngram_range;
    int tf, idf, norm;
    const char *min_df, *max_df;
    long max_features;
    const char *stop_words;
    int quiet;
} TfidfOpts;

#define TOKENIZER_CHOICES "word|char|bpe" // bpe: refused with a reason (tfidf_cli.c)

// the choice names by index (lab_choice_name returns one static buffer, too few for a printf)
static const char *const UNIT_NAMES[] = {"auto", "line", "paragraph", "file"};
static const char *const TOKENIZER_NAMES[] = {"word", "char", "bpe"};
static const char *const TF_NAMES[] = {"raw", "binary", "sublinear"};
static const char *const IDF_NAMES[] = {"smooth", "plain", "sklearn-plain", "none"};
static const char *const NORM_NAMES[] = {"l2", "l1", "none"};

#define TFIDF_OPTS_DEFAULT                                                                     \
    {NULL, NULL, "train", TFIDF_UNIT_AUTO, 0, NULL, 0, UTF8_STRICT, "1,1", TFIDF_TF_RAW,        \
     TFIDF_IDF_SMOOTH, TFIDF_NORM_L2, "1", "1.0", 0, NULL, 0}

#define TFIDF_OPTS_TABLE(o)                                                                    \
    {"docs", LAB_OPT_STRING, &(o).docs, "FILE|DIR",                                            \
     "the documents: a UTF-8 text file, or a directory of them", NULL, 0, 0},                  \
    {"dataset", LAB_OPT_STRING, &(o).dataset, "NAME", "or a shipped corpus (with --split)",    \
     NULL, 0, 0},                                                                              \
    {"split", LAB_OPT_STRING, &(o).split, "NAME", "--dataset: train, valid or test", NULL, 0,  \
     0},                                                                                       \
    {"unit", LAB_OPT_CHOICE, &(o).unit, NULL,                                                  \
     "a document is a non-blank line, a paragraph (blank lines between), or a whole file; "   \
     "auto: lines of a file, files of a directory",                                            \
     TFIDF_UNIT_CHOICES, 0, 0},                                                                \
    {"tokenizer", LAB_OPT_CHOICE, &(o).tokenizer, NULL,                                        \
     "terms are words (matches of --pattern) or characters", TOKENIZER_CHOICES, 0, 0},        \
    {"pattern", LAB_OPT_STRING, &(o).pattern, "REGEX",                                         \
     "a PCRE2 pattern for one word (default: words and Han characters, no punctuation)", NULL, \
     0, 0},                                                                                    \
    {"lowercase", LAB_OPT_FLAG, &(o).lowercase, NULL,                                          \
     "fold case first (scikit-learn's default is to)", NULL, 0, 0},                           \
    {"utf8", LAB_OPT_CHOICE, &(o).utf8, NULL, "invalid UTF-8 is an error or becomes U+FFFD",   \
     "strict|replace", 0, 0},                                                                  \
    {"ngram-range", LAB_OPT_STRING, &(o).ngram_range, "MIN,MAX",                               \
     "terms are runs of MIN to MAX words (joined by a space) or characters", NULL, 0, 0},      \
    {"tf", LAB_OPT_CHOICE, &(o).tf, NULL,                                                      \
     "term frequency: the count c, 1 if c > 0, or 1 + ln c", TFIDF_TF_CHOICES, 0, 0},          \
    {"idf", LAB_OPT_CHOICE, &(o).idf, NULL,                                                    \
     "ln((1+N)/(1+df)) + 1, ln(N/df), ln(N/df) + 1, or 1", TFIDF_IDF_CHOICES, 0, 0},           \
    {"norm", LAB_OPT_CHOICE, &(o).norm, NULL,                                                  \
     "divide each row by its Euclidean length, by its sum, or not", TFIDF_NORM_CHOICES, 0, 0}, \
    {"min-df", LAB_OPT_STRING, &(o).min_df, "X",                                               \
     "keep terms in at least X documents (a count, or a proportion such as 0.01)", NULL, 0,    \
     0},                                                                                       \
    {"max-df", LAB_OPT_STRING, &(o).max_df, "X",                                               \
     "and in at most X documents (a count, or a proportion such as 0.5)", NULL, 0, 0},         \
    {"max-features", LAB_OPT_INT, &(o).max_features, "N",                                      \
     "then keep only the N terms of largest total count (0: all)", NULL, 0, 2e9},              \
    {"stop-words", LAB_OPT_STRING, &(o).stop_words, "FILE|english",                            \
     "drop these words before n-grams: a file of one word a line, or lmlab's English list",    \
     NULL, 0, 0},                                                                              \
    {"quiet", LAB_OPT_FLAG, &(o).quiet, NULL, "no notes on stderr", NULL, 0, 0}

// Everything a verb works on: the options, the documents, the fitted matrix.
typedef struct {
    const TfidfOpts *o;
    char *path;           // what was read: --docs, or the dataset's file
    int is_dir;
    TfidfDocs docs;
    Tokenizer tok;
    LabStrTab stop;
    TfidfParams params;
    TfidfModel m;
    double seconds_read, seconds_fit;
} TfidfRun;

// --- run loading, showing, charts (tfidf_cli.c) -------------------------------------------------

// Parses the options, reads the documents and fits: usage problems exit 2, failures 1.
void tfidf_run_load(TfidfRun *r, const TfidfOpts *o, const LabCommand *cmd);

void tfidf_run_free(TfidfRun *r);

// Where document d came from: "line 12", or "FILE:12" / "FILE" for a directory.
void tfidf_doc_where(const TfidfRun *r, long d, char *buf, size_t n);

// The first max code points of s[0..len) on one line: whitespace runs become one space, and
// an ellipsis marks a cut. A new string.
char *tfidf_snippet(const char *s, size_t len, int max);

// Term j as a person reads it: escaped like vocab.txt, quoted when it starts or ends with a
// space (a character term, or an n-gram of them). A new string.
char *tfidf_term_show(const LabStrTab *v, int32_t j);

// Term j as a JSON string (unescaped bytes).
void tfidf_json_term(FILE *f, const LabStrTab *v, int32_t j);

// "file" and "line" of document d as JSON members (after a comma)
void tfidf_json_where(FILE *f, const TfidfRun *r, long d);

// The 0-based row of --doc (numbered from 1); out of range is a usage error (exit 2).
long tfidf_check_doc(const TfidfRun *r, const LabCommand *cmd, long doc);

// Document frequency against rank, log-log: a few terms are in many documents, most in few.
int tfidf_chart_df_rank(const TfidfRun *r, const char *dir, PlotOutput out);

// Cosine similarity of every pair of the documents rows[0..n) (0-based), as a heatmap.
int tfidf_chart_similarity(const TfidfRun *r, const long *rows, long n, const char *dir,
                           const char *name, const char *title, PlotOutput out);

// The top terms of one document as bars (Chinese terms need a CJK font: docs/plots.md).
int tfidf_chart_top_terms(const TfidfRun *r, long d, const long long *entries, long n,
                          const char *dir, PlotOutput out);

// --- the verbs --------------------------------------------------------------------------------
int tfidf_cmd_matrix(int argc, char **argv);  // tfidf_cli_matrix.c
int tfidf_cmd_top(int argc, char **argv);     // tfidf_cli_query.c
int tfidf_cmd_similar(int argc, char **argv);
int tfidf_cmd_search(int argc, char **argv);

#endif
