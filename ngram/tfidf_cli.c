// tfidf_cli.c: `lmlab tfidf matrix | top | similar | search`.
//
//   lmlab tfidf matrix --docs datasets/timemachine/train.txt --lowercase --out runs/tm-tfidf
//   lmlab tfidf top --dataset tangpoems --doc 1 --k 8
//   lmlab tfidf similar --docs notes/ --doc 3
//   lmlab tfidf search --dataset timemachine --lowercase --query 'time machine'
//
// Every verb reads the documents and fits the weights afresh from the same options (a
// hundred thousand short documents take well under a second), so there is no model file to
// keep in step. Documents are numbered from 1, in the order they are read: row d of
// matrix.mtx is document d, and the commands also show where it came from (its line, its
// file). Results go to stdout, notes to stderr.
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

#define TOKENIZER_CHOICES "word|char"

// the choice names by index (lab_choice_name returns one static buffer, too few for a printf)
static const char *const UNIT_NAMES[] = {"auto", "line", "paragraph", "file"};
static const char *const TOKENIZER_NAMES[] = {"word", "char"};
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
    TfidfTerms stop;
    TfidfParams params;
    TfidfModel m;
    double seconds_read, seconds_fit;
} TfidfRun;

static int parse_range(const char *s, int *lo, int *hi)
{
    char *end;
    long a = strtol(s, &end, 10), b = a;
    if (end == s) {
        return -1;
    }
    if (*end == ',') {
        const char *p = end + 1;
        b = strtol(p, &end, 10);
        if (end == p) {
            return -1;
        }
    }
    if (*end || a < 1 || b < a || b > 32) {
        return -1;
    }
    *lo = (int)a;
    *hi = (int)b;
    return 0;
}

static void doc_where(const TfidfRun *r, long d, char *buf, size_t n);

// A note on the documents whose row is zero: how many, and where the first of them are.
static void note_empty(const TfidfRun *r)
{
    const TfidfModel *m = &r->m;
    if (m->empty == 0) {
        return;
    }
    char list[512] = "", where[256];
    size_t w = 0;
    long shown = 0;
    for (long d = 0; d < m->X.rows && shown < 4; d++) {
        if (m->rownorm[d] == 0) {
            doc_where(r, d, where, sizeof where);
            w += (size_t)snprintf(list + w, sizeof list - w, "%s%ld (%.100s)", shown ? ", " : "",
                                  d + 1, where);
            shown++;
        }
    }
    const char *more = m->empty > shown ? ", ..." : "";
    if (m->no_terms == m->empty) {
        lab_note("%ld of %ld documents %s no terms, so %s zero: %s%s", m->empty, m->X.rows,
                 m->empty == 1 ? "has" : "have", m->empty == 1 ? "its row is" : "their rows are",
                 list, more);
    } else {
        lab_note("%ld of %ld documents have a zero row (%ld without any term, the others lost "
                 "theirs to --min-df, --max-df, --max-features or an idf of 0): %s%s",
                 m->empty, m->X.rows, m->no_terms, list, more);
    }
}

// Parses the options, reads the documents and fits: usage problems exit 2, failures 1.
static void run_load(TfidfRun *r, const TfidfOpts *o, const LabCommand *cmd)
{
    memset(r, 0, sizeof *r);
    r->o = o;
    lab_quiet = o->quiet;
    if (!!o->docs == !!o->dataset) {
        lab_usage_die(cmd, "give exactly one of --docs FILE|DIR and --dataset NAME");
    }
    if (o->docs && lab_args_given(cmd, "split")) {
        lab_usage_die(cmd, "--split names a split of --dataset; --docs reads the file it names");
    }
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    if (parse_range(o->ngram_range, &p.ngram_min, &p.ngram_max) != 0) {
        lab_usage_die(cmd, "--ngram-range takes MIN,MAX with 1 <= MIN <= MAX <= 32, got '%s'",
                      o->ngram_range);
    }
    if (tfidf_df_parse(o->min_df, &p.min_df) != 0) {
        lab_usage_die(cmd, "--min-df takes a count of documents (1, 2, ...) or a proportion "
                           "from 0.0 to 1.0, got '%s'", o->min_df);
    }
    if (tfidf_df_parse(o->max_df, &p.max_df) != 0) {
        lab_usage_die(cmd, "--max-df takes a count of documents (1, 2, ...) or a proportion "
                           "from 0.0 to 1.0, got '%s'", o->max_df);
    }
    if (!p.min_df.proportion && !p.max_df.proportion && p.max_df.value < p.min_df.value) {
        lab_usage_die(cmd, "--min-df %s is above --max-df %s: no term can occur in at least %s "
                           "and at most %s documents", o->min_df, o->max_df, o->min_df,
                      o->max_df);
    }
    p.tf = o->tf;
    p.idf = o->idf;
    p.norm = o->norm;
    p.max_features = o->max_features;
    TokKind kind = o->tokenizer == 0 ? TOK_WORD : TOK_CHAR;
    if (kind == TOK_CHAR && o->pattern) {
        lab_usage_die(cmd, "--pattern is for --tokenizer word");
    }
    if (kind == TOK_CHAR && o->stop_words) {
        lab_usage_die(cmd, "--stop-words is for --tokenizer word (scikit-learn ignores them "
                           "for characters too)");
    }
    if (tok_init(&r->tok, kind, o->pattern ? o->pattern : TFIDF_DEFAULT_PATTERN, o->lowercase) !=
        0) {
        exit(2); // a bad --pattern is a usage error; tok_init said why
    }
    if (o->docs) {
        r->path = lab_strdup(o->docs);
    } else {
        if (strchr(o->dataset, '/')) {
            lab_usage_die(cmd, "--dataset takes a name such as 'timemachine', not a path (got "
                               "'%s'); a path goes to --docs", o->dataset);
        }
        r->path = dataset_resolve(cmd, o->dataset, o->split);
    }
    if (o->stop_words) {
        tfidf_terms_init(&r->stop);
        if (tfidf_stop_words_load(&r->stop, o->stop_words, o->lowercase) != 0) {
            exit(1);
        }
        p.stop = &r->stop;
    }
    struct stat st;
    r->is_dir = stat(r->path, &st) == 0 && S_ISDIR(st.st_mode);
    double t0 = lab_now();
    tfidf_docs_init(&r->docs);
    if (tfidf_docs_read(&r->docs, r->path, (TfidfUnit)o->unit, (Utf8Mode)o->utf8) != 0) {
        exit(1);
    }
    double t1 = lab_now();
    long N = r->docs.n;
    double lo = tfidf_df_docs(p.min_df, N), hi = tfidf_df_docs(p.max_df, N);
    if (hi < lo) {
        lab_usage_die(cmd, "--min-df %s is above --max-df %s for %ld documents (%g > %g "
                           "documents): no term can be kept", o->min_df, o->max_df, N, lo, hi);
    }
    r->params = p;
    if (tfidf_fit(&r->m, &r->docs, &r->params, &r->tok) != 0) {
        exit(1);
    }
    r->seconds_read = t1 - t0;
    r->seconds_fit = lab_now() - t1;
    note_empty(r);
}

static void run_free(TfidfRun *r)
{
    tfidf_model_free(&r->m);
    tfidf_docs_free(&r->docs);
    tfidf_terms_free(&r->stop);
    tok_free(&r->tok);
    free(r->path);
}

// --- showing documents and terms ---------------------------------------------------------------

// Where document d came from: "line 12", or "FILE:12" / "FILE" for a directory.
static void doc_where(const TfidfRun *r, long d, char *buf, size_t n)
{
    const TfidfDocs *ds = &r->docs;
    if (!r->is_dir) {
        snprintf(buf, n, "line %ld", ds->line[d]);
    } else if ((TfidfUnit)r->o->unit == TFIDF_UNIT_FILE || r->o->unit == TFIDF_UNIT_AUTO) {
        snprintf(buf, n, "%s", ds->files[ds->file[d]]);
    } else {
        snprintf(buf, n, "%s:%ld", ds->files[ds->file[d]], ds->line[d]);
    }
}

// The first max code points of s[0..len) on one line: whitespace runs become one space, and
// an ellipsis marks a cut. A new string.
static char *snippet(const char *s, size_t len, int max)
{
    char *out = lab_malloc(4 * (size_t)max + 8);
    size_t o = 0;
    int chars = 0, space = 0;
    size_t i = 0;
    while (i < len && strchr(" \t\r\n\f\v", s[i])) {
        i++;
    }
    for (; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
            space = 1;
            continue;
        }
        if ((c & 0xC0) != 0x80) { // a new code point
            if (chars + space >= max) {
                memcpy(out + o, "\xE2\x80\xA6", 3); // "..." as one character
                o += 3;
                break;
            }
            if (space) {
                out[o++] = ' ';
                chars++;
                space = 0;
            }
            chars++;
        }
        out[o++] = (char)c;
    }
    out[o] = '\0';
    return out;
}

// Term j as a person reads it: escaped like vocab.txt, quoted when it starts or ends with a
// space (a character term, or an n-gram of them). A new string.
static char *term_show(const TfidfTerms *v, int32_t j)
{
    const char *s = tfidf_term(v, j);
    size_t n = tfidf_term_len(v, j);
    char *e = tfidf_escape_term(s, n);
    if (n == 0 || s[0] == ' ' || s[n - 1] == ' ') {
        char *q = lab_asprintf("'%s'", e);
        free(e);
        return q;
    }
    return e;
}

static void json_term(FILE *f, const TfidfTerms *v, int32_t j)
{
    char *t = lab_strndup(tfidf_term(v, j), tfidf_term_len(v, j));
    lab_json_write_string(f, t);
    free(t);
}

// "file" and "line" of document d as JSON members (after a comma)
static void json_where(FILE *f, const TfidfRun *r, long d)
{
    fputs(", \"file\": ", f);
    lab_json_write_string(f, r->docs.files[r->docs.file[d]]);
    fprintf(f, ", \"line\": %ld", r->docs.line[d]);
}

static long check_doc(const TfidfRun *r, const LabCommand *cmd, long doc)
{
    if (doc < 1 || doc > r->docs.n) {
        lab_usage_die(cmd, "--doc %ld is out of range: '%s' has %ld documents, numbered from 1",
                      doc, r->path, r->docs.n);
    }
    return doc - 1;
}

// --- charts -------------------------------------------------------------------------------------

// Document frequency against rank, log-log: a few terms are in many documents, most in few.
// What a chart title names: the documents and the weighting, "timemachine, tf-idf (tf raw,
// idf smooth, norm l2)"
static void chart_what(const TfidfRun *r, char *buf, size_t n)
{
    const char *name = r->o->dataset;
    char *copy = NULL;
    if (!name) {
        copy = lab_strdup(r->path);
        size_t len = strlen(copy);
        while (len > 1 && copy[len - 1] == '/') {
            copy[--len] = '\0';
        }
        name = strrchr(copy, '/') ? strrchr(copy, '/') + 1 : copy;
    }
    snprintf(buf, n, "%s, tf-idf (tf %s, idf %s, norm %s)", name, TF_NAMES[r->o->tf],
             IDF_NAMES[r->o->idf], NORM_NAMES[r->o->norm]);
    free(copy);
}

static int chart_df_rank(const TfidfRun *r, const char *dir, PlotOutput out)
{
    const TfidfModel *m = &r->m;
    long V = m->X.cols;
    double *df = lab_malloc(((size_t)V + 1) * sizeof *df);
    for (long j = 0; j < V; j++) {
        df[j] = (double)m->df[j];
    }
    // descending
    for (long gap = V / 2; gap > 0; gap /= 2) { // Shell sort: no comparison callback needed
        for (long i = gap; i < V; i++) {
            double v = df[i];
            long j = i;
            for (; j >= gap && df[j - gap] < v; j -= gap) {
                df[j] = df[j - gap];
            }
            df[j] = v;
        }
    }
    // every rank up to 1000, then ranks about 1% apart: the log-log curve looks the same
    double *x = lab_malloc(((size_t)V + 1) * sizeof *x);
    double *y = lab_malloc(((size_t)V + 1) * sizeof *y);
    long n = 0;
    for (long rank = 1; rank <= V; rank = rank < 1000 ? rank + 1 : (long)(rank * 1.01) + 1) {
        x[n] = (double)rank;
        y[n] = df[rank - 1];
        n++;
    }
    Plot p;
    char what[400], title[480];
    chart_what(r, what, sizeof what);
    snprintf(title, sizeof title, "%s: document frequency against rank", what);
    plot_init(&p, title, "rank of the term", "documents containing the term (df)");
    p.logx = p.logy = 1;
    plot_add_series(&p, "df", x, y, n);
    int rc = plot_write(&p, dir, "df_rank", out);
    plot_free(&p);
    free(df);
    free(x);
    free(y);
    return rc;
}

// Cosine similarity of every pair of the documents rows[0..n) (0-based), as a heatmap.
static int chart_similarity(const TfidfRun *r, const long *rows, long n, const char *dir,
                            const char *name, const char *title, PlotOutput out)
{
    const TfidfCsr *X = &r->m.X;
    double *v = lab_malloc(((size_t)n * (size_t)n + 1) * sizeof *v);
    char **labels = lab_malloc(((size_t)n + 1) * sizeof *labels);
    for (long i = 0; i < n; i++) {
        labels[i] = lab_asprintf("%ld", rows[i] + 1);
        for (long j = 0; j < n; j++) {
            long a = rows[i], b = rows[j];
            v[i * n + j] = tfidf_cosine(X->col + X->ptr[a], X->val + X->ptr[a],
                                        (long)(X->ptr[a + 1] - X->ptr[a]), X->col + X->ptr[b],
                                        X->val + X->ptr[b], (long)(X->ptr[b + 1] - X->ptr[b]));
        }
    }
    char what[400], full[800];
    chart_what(r, what, sizeof what);
    snprintf(full, sizeof full, "%s: %s", what, title);
    PlotHeatmapStyle style = {.xlabel = "document", .ylabel = "document"};
    int rc = plot_heatmap_write_styled(dir, name, full, v, n, n, labels, labels, &style, out);
    for (long i = 0; i < n; i++) {
        free(labels[i]);
    }
    free(labels);
    free(v);
    return rc;
}

// The top terms of one document as bars (Chinese terms need a CJK font: docs/plots.md).
static int chart_top_terms(const TfidfRun *r, long d, const long long *entries, long n,
                           const char *dir, PlotOutput out)
{
    double *y = lab_malloc(((size_t)n + 1) * sizeof *y);
    char **labels = lab_malloc(((size_t)n + 1) * sizeof *labels);
    for (long i = 0; i < n; i++) {
        y[i] = r->m.X.val[entries[i]];
        labels[i] = term_show(&r->m.vocab, r->m.X.col[entries[i]]);
    }
    char where[512], what[400], title[1000], name[64];
    doc_where(r, d, where, sizeof where);
    chart_what(r, what, sizeof what);
    snprintf(title, sizeof title, "%s: top terms of document %ld (%s)", what, d + 1, where);
    snprintf(name, sizeof name, "top_terms_%ld", d + 1);
    Plot p;
    plot_init(&p, title, "term", "tf-idf weight");
    p.style = PLOT_BARS;
    plot_add_series(&p, "weight", NULL, y, n);
    plot_set_xtics(&p, labels, n);
    int rc = plot_write(&p, dir, name, out);
    plot_free(&p);
    for (long i = 0; i < n; i++) {
        free(labels[i]);
    }
    free(labels);
    free(y);
    return rc;
}

// --- matrix -------------------------------------------------------------------------------------

static int write_docs_tsv(const TfidfRun *r, const char *path)
{
    LabAtomic a;
    if (lab_atomic_open(&a, path) != 0) {
        return -1;
    }
    fputs("doc\tfile\tline\tterms\n", a.f);
    for (long d = 0; d < r->docs.n; d++) {
        char *f = tfidf_escape_term(r->docs.files[r->docs.file[d]],
                                    strlen(r->docs.files[r->docs.file[d]]));
        fprintf(a.f, "%ld\t%s\t%ld\t%lld\n", d + 1, f, r->docs.line[d],
                r->m.X.ptr[d + 1] - r->m.X.ptr[d]);
        free(f);
    }
    return lab_atomic_commit(&a);
}

// The run's config c: every option that shapes the matrix.
static void make_config(const TfidfRun *r, LabConfig *cfg)
{
    const TfidfOpts *o = r->o;
    LabConfig c = {0};
    lab_config_set(&c, "family", "tfidf");
    lab_config_set(&c, "docs", "%s", r->path);
    lab_config_set(&c, "unit", "%s", UNIT_NAMES[o->unit]);
    lab_config_set(&c, "tokenizer", "%s", TOKENIZER_NAMES[o->tokenizer]);
    if (o->tokenizer == 0) {
        lab_config_set(&c, "pattern", "%s", o->pattern ? o->pattern : TFIDF_DEFAULT_PATTERN);
    }
    lab_config_set(&c, "lowercase", "%d", o->lowercase);
    lab_config_set(&c, "utf8", "%s", o->utf8 == UTF8_STRICT ? "strict" : "replace");
    lab_config_set(&c, "ngram_range", "%d,%d", r->params.ngram_min, r->params.ngram_max);
    lab_config_set(&c, "tf", "%s", TF_NAMES[o->tf]);
    lab_config_set(&c, "idf", "%s", IDF_NAMES[o->idf]);
    lab_config_set(&c, "norm", "%s", NORM_NAMES[o->norm]);
    lab_config_set(&c, "min_df", "%s", o->min_df);
    lab_config_set(&c, "max_df", "%s", o->max_df);
    lab_config_set(&c, "max_features", "%ld", o->max_features);
    lab_config_set(&c, "stop_words", "%s", o->stop_words ? o->stop_words : "");
    *cfg = c;
}

// runs/tfidf-NAME: NAME is the last part of the path without its extension ("notes/" names
// "notes", "datasets/timemachine/train.txt" names "train")
static char *default_out(const char *path)
{
    char *copy = lab_strdup(path);
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/') {
        copy[--n] = '\0';
    }
    char *name = strrchr(copy, '/') ? strrchr(copy, '/') + 1 : copy;
    char *dot = strrchr(name, '.');
    if (dot && dot != name) {
        *dot = '\0';
    }
    char *dir = lab_asprintf("runs/tfidf-%s", *name ? name : "docs");
    free(copy);
    return dir;
}

static int cmd_matrix(int argc, char **argv)
{
    TfidfOpts o = TFIDF_OPTS_DEFAULT;
    const char *out = NULL;
    int plot = PLOT_PNG, json = 0, force = 0;
    long heatmap = 20;
    const LabOpt opts[] = {
        TFIDF_OPTS_TABLE(o),
        {"out", LAB_OPT_STRING, &out, "DIR",
         "where the files go (default runs/tfidf-NAME, NAME from --docs or --dataset)", NULL, 0,
         0},
        {"force", LAB_OPT_FLAG, &force, NULL,
         "replace a matrix of another configuration in the directory", NULL, 0, 0},
        {"heatmap", LAB_OPT_INT, &heatmap, "N",
         "chart the cosine similarity of the first N documents (0: no chart)", NULL, 0, 200},
        {"plot", LAB_OPT_CHOICE, &plot, NULL, "charts as PNG, in the terminal, or not at all",
         PLOT_OUTPUT_CHOICES, 0, 0},
        {"json", LAB_OPT_FLAG, &json, NULL, "print one JSON object: sizes and timings", NULL, 0,
         0},
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab tfidf matrix (--docs FILE|DIR | --dataset NAME) [options]",
        .summary = "Fit TF-IDF weights and write the document-term matrix: DIR/matrix.mtx\n"
                   "(Matrix Market, rows = documents, columns = terms), DIR/vocab.txt (one term "
                   "a line,\nin column order), terms.tsv, docs.tsv, config and the charts "
                   "df_rank and similarity.",
        .opts = opts,
        .epilog = "examples:\n"
                  "  lmlab tfidf matrix --dataset timemachine --lowercase --out runs/tm-tfidf\n"
                  "  lmlab tfidf matrix --docs notes/ --ngram-range 1,2 --min-df 2\n"
                  "scikit-learn's TfidfVectorizer() defaults are:\n"
                  "  --pattern '" TFIDF_SKLEARN_PATTERN "' --lowercase (docs/tfidf.md maps "
                  "every option)\n",
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    TfidfRun r;
    run_load(&r, &o, &cmd);
    char *dir;
    if (out) {
        dir = lab_strdup(out);
    } else if (o.dataset && strcmp(o.split, "train") != 0) {
        char *name = lab_asprintf("%s-%s", o.dataset, o.split); // runs/tfidf-timemachine-test
        dir = default_out(name);
        free(name);
    } else {
        dir = default_out(o.dataset ? o.dataset : r.path);
    }
    LabConfig cfg;
    make_config(&r, &cfg);
    if (lab_config_check_run(dir, &cfg, force) != 0) {
        exit(1);
    }
    double t0 = lab_now();
    if (lab_mkdir_p(dir) != 0) {
        exit(1);
    }
    char comment[512];
    snprintf(comment, sizeof comment,
             "lmlab tfidf: rows are documents (docs.tsv), columns are terms (vocab.txt); "
             "tf %s, idf %s, norm %s",
             TF_NAMES[o.tf], IDF_NAMES[o.idf],
             NORM_NAMES[o.norm]);
    const char *names[] = {"matrix.mtx", "vocab.txt", "terms.tsv", "docs.tsv", "config"};
    char *paths[5];
    for (int i = 0; i < 5; i++) {
        paths[i] = lab_path_join(dir, names[i]);
    }
    if (tfidf_write_mtx(&r.m, paths[0], comment) != 0 || tfidf_write_vocab(&r.m, paths[1]) != 0 ||
        tfidf_write_terms(&r.m, paths[2]) != 0 || write_docs_tsv(&r, paths[3]) != 0 ||
        lab_config_write(&cfg, paths[4]) != 0) {
        exit(1);
    }
    double t1 = lab_now();
    if (chart_df_rank(&r, dir, (PlotOutput)plot) != 0) {
        exit(1);
    }
    long nh = heatmap < r.docs.n ? heatmap : r.docs.n;
    if (nh > 0) {
        long *rows = lab_malloc((size_t)nh * sizeof *rows);
        for (long i = 0; i < nh; i++) {
            rows[i] = i;
        }
        char title[128];
        snprintf(title, sizeof title, "cosine similarity of documents 1-%ld", nh);
        int rc = chart_similarity(&r, rows, nh, dir, "similarity", title, (PlotOutput)plot);
        free(rows);
        if (rc != 0) {
            exit(1);
        }
    }
    const TfidfModel *m = &r.m;
    long long stored = 0;
    for (long long e = 0; e < m->X.nnz; e++) {
        stored += m->X.val[e] != 0;
    }
    if (json) {
        LabJson j;
        lab_json_begin(&j, stdout);
        lab_json_str(&j, "family", "tfidf");
        lab_json_str(&j, "docs", r.path);
        lab_json_int(&j, "documents", m->X.rows);
        lab_json_int(&j, "empty_documents", m->empty);
        lab_json_int(&j, "terms", m->X.cols);
        lab_json_int(&j, "terms_seen", m->terms_seen);
        lab_json_int(&j, "terms_counted", m->terms_counted);
        lab_json_int(&j, "nnz", stored);
        lab_json_str(&j, "tf", TF_NAMES[o.tf]);
        lab_json_str(&j, "idf", IDF_NAMES[o.idf]);
        lab_json_str(&j, "norm", NORM_NAMES[o.norm]);
        lab_json_num(&j, "seconds_read", r.seconds_read);
        lab_json_num(&j, "seconds_fit", r.seconds_fit);
        lab_json_num(&j, "seconds_write", t1 - t0);
        lab_json_str(&j, "out", dir);
        lab_json_end(&j);
    } else {
        const char *unit = r.is_dir && o.unit == TFIDF_UNIT_AUTO ? "file"
                           : o.unit == TFIDF_UNIT_AUTO ? "line"
                                                       : UNIT_NAMES[o.unit];
        printf("documents: %ld (a document is a %s of '%s'), %ld with a zero row\n", m->X.rows,
               unit, r.path, m->empty);
        printf("terms:     %ld columns, of %d distinct terms seen (%lld counted)\n", m->X.cols,
               m->terms_seen, m->terms_counted);
        printf("matrix:    %ld x %ld, %lld stored entries (%.3g%% of the cells)\n", m->X.rows,
               m->X.cols, stored, 100.0 * (double)stored / ((double)m->X.rows * (double)m->X.cols));
        printf("weights:   tf %s, idf %s, norm %s\n", TF_NAMES[o.tf],
               IDF_NAMES[o.idf],
               NORM_NAMES[o.norm]);
        printf("time:      read %.3fs, fit %.3fs, write %.3fs\n", r.seconds_read, r.seconds_fit,
               t1 - t0);
        printf("wrote %s/ (matrix.mtx vocab.txt terms.tsv docs.tsv config df_rank%s)\n", dir,
               nh > 0 ? " similarity" : "");
    }
    for (int i = 0; i < 5; i++) {
        free(paths[i]);
    }
    lab_config_free(&cfg);
    free(dir);
    run_free(&r);
    return 0;
}

// --- top ----------------------------------------------------------------------------------------

static int cmd_top(int argc, char **argv)
{
    TfidfOpts o = TFIDF_OPTS_DEFAULT;
    long doc = 0, k = 10;
    const char *out = NULL;
    int plot = PLOT_PNG, json = 0;
    const LabOpt opts[] = {
        TFIDF_OPTS_TABLE(o),
        {"doc", LAB_OPT_INT, &doc, "N", "only document N (numbered from 1; 0: every document)",
         NULL, 0, 0},
        {"k", LAB_OPT_INT, &k, "K", "terms per document", NULL, 1, 1e6},
        {"out", LAB_OPT_STRING, &out, "DIR", "with --doc: draw its top terms as bars in DIR",
         NULL, 0, 0},
        {"plot", LAB_OPT_CHOICE, &plot, NULL, "the chart as PNG, in the terminal, or not at all",
         PLOT_OUTPUT_CHOICES, 0, 0},
        {"json", LAB_OPT_FLAG, &json, NULL, "one JSON object per document", NULL, 0, 0},
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab tfidf top (--docs FILE|DIR | --dataset NAME) [options]",
        .summary = "The terms of largest TF-IDF weight of every document, or of one.",
        .opts = opts,
        .epilog = "examples:\n"
                  "  lmlab tfidf top --dataset timemachine --lowercase --stop-words english | "
                  "head\n"
                  "  lmlab tfidf top --dataset tangpoems --doc 1 --k 8 --out runs/poem "
                  "--plot dumb\n",
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    if (out && doc == 0) {
        lab_usage_die(&cmd, "--out draws the chart of one document: give --doc N");
    }
    if (doc < 0) {
        lab_usage_die(&cmd, "--doc counts from 1 (0: every document), got %ld", doc);
    }
    TfidfRun r;
    run_load(&r, &o, &cmd);
    const TfidfModel *m = &r.m;
    long first = 0, last = r.docs.n;
    if (doc) {
        first = check_doc(&r, &cmd, doc);
        last = first + 1;
    }
    long long *entries = lab_malloc((size_t)k * sizeof *entries);
    char where[512];
    for (long d = first; d < last; d++) {
        long n = tfidf_top_terms(m, d, k, entries);
        doc_where(&r, d, where, sizeof where);
        if (json) {
            printf("{\"doc\": %ld", d + 1);
            json_where(stdout, &r, d);
            fputs(", \"terms\": [", stdout);
            for (long i = 0; i < n; i++) {
                fputs(i ? ", {\"term\": " : "{\"term\": ", stdout);
                json_term(stdout, &m->vocab, m->X.col[entries[i]]);
                printf(", \"weight\": %.17g, \"count\": %u}", m->X.val[entries[i]],
                       m->X.count[entries[i]]);
            }
            fputs("]}\n", stdout);
        } else if (doc) {
            char *text = snippet(r.docs.doc[d], r.docs.len[d], 70);
            printf("document %ld (%s): %s\n", d + 1, where, text);
            free(text);
            if (n == 0) {
                printf("  (no term has a weight above 0)\n");
            } else {
                printf("%4s  %-10s %6s  %s\n", "rank", "weight", "count", "term");
            }
            for (long i = 0; i < n; i++) {
                char *t = term_show(&m->vocab, m->X.col[entries[i]]);
                printf("%4ld  %-10.4f %6u  %s\n", i + 1, m->X.val[entries[i]],
                       m->X.count[entries[i]], t);
                free(t);
            }
        } else {
            printf("%ld (%s):", d + 1, where);
            for (long i = 0; i < n; i++) {
                char *t = term_show(&m->vocab, m->X.col[entries[i]]);
                printf("%s %s %.3f", i ? "," : "", t, m->X.val[entries[i]]);
                free(t);
            }
            printf(n ? "\n" : " (no terms)\n");
        }
    }
    int rc = 0;
    if (out) {
        long n = tfidf_top_terms(m, first, k, entries);
        rc = chart_top_terms(&r, first, entries, n, out, (PlotOutput)plot);
        if (rc == 0 && !json && plot != PLOT_DUMB) {
            printf("wrote %s/top_terms_%ld\n", out, first + 1);
        }
    }
    free(entries);
    run_free(&r);
    return rc == 0 ? 0 : 1;
}

// --- similar and search -------------------------------------------------------------------------

static void print_hits(const TfidfRun *r, const TfidfHit *hits, long n)
{
    char where[512];
    printf("%4s  %7s  %-14s %-7s  %s\n", "rank", "doc", "where", "cosine", "text");
    for (long i = 0; i < n; i++) {
        long d = hits[i].doc;
        doc_where(r, d, where, sizeof where);
        char *text = snippet(r->docs.doc[d], r->docs.len[d], 60);
        printf("%4ld  %7ld  %-14s %.4f   %s\n", i + 1, d + 1, where, hits[i].score, text);
        free(text);
    }
}

static void json_hits(const TfidfRun *r, const TfidfHit *hits, long n)
{
    fputs(", \"results\": [", stdout);
    for (long i = 0; i < n; i++) {
        long d = hits[i].doc;
        printf("%s{\"rank\": %ld, \"doc\": %ld", i ? ", " : "", i + 1, d + 1);
        json_where(stdout, r, d);
        printf(", \"cosine\": %.17g}", hits[i].score);
    }
    fputs("]}\n", stdout);
}

static int cmd_similar(int argc, char **argv)
{
    TfidfOpts o = TFIDF_OPTS_DEFAULT;
    long doc = 0, k = 10;
    const char *out = NULL;
    int plot = PLOT_PNG, json = 0;
    const LabOpt opts[] = {
        TFIDF_OPTS_TABLE(o),
        {"doc", LAB_OPT_INT, &doc, "N", "the document to compare (numbered from 1)", NULL, 0, 0},
        {"k", LAB_OPT_INT, &k, "K", "how many documents to list", NULL, 1, 1e6},
        {"out", LAB_OPT_STRING, &out, "DIR",
         "draw the cosines of the document and those found (49 at most) as a heatmap in DIR",
         NULL, 0, 0},
        {"plot", LAB_OPT_CHOICE, &plot, NULL, "the chart as PNG, in the terminal, or not at all",
         PLOT_OUTPUT_CHOICES, 0, 0},
        {"json", LAB_OPT_FLAG, &json, NULL, "print one JSON object", NULL, 0, 0},
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab tfidf similar (--docs FILE|DIR | --dataset NAME) --doc N [options]",
        .summary = "The documents most similar to document N: the cosine of their TF-IDF rows.",
        .opts = opts,
        .epilog = "example:\n"
                  "  lmlab tfidf similar --dataset timemachine --lowercase --doc 5 --k 5\n",
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    if (doc == 0) {
        lab_usage_die(&cmd, "--doc N is required (documents are numbered from 1)");
    }
    TfidfRun r;
    run_load(&r, &o, &cmd);
    long d = check_doc(&r, &cmd, doc);
    const TfidfCsr *X = &r.m.X;
    char where[512];
    doc_where(&r, d, where, sizeof where);
    if (r.m.rownorm[d] == 0) {
        lab_die("a document needs a term of weight above 0 to be compared: see 'lmlab tfidf "
                "top --doc N'",
                "document %ld (%s) has no terms, so its row is zero and nothing is similar to it",
                doc, where);
    }
    TfidfHit *hits = lab_malloc((size_t)k * sizeof *hits);
    long n = tfidf_rank(&r.m, X->col + X->ptr[d], X->val + X->ptr[d],
                        (long)(X->ptr[d + 1] - X->ptr[d]), d, k, hits);
    if (json) {
        printf("{\"doc\": %ld", d + 1);
        json_where(stdout, &r, d);
        json_hits(&r, hits, n);
    } else {
        char *text = snippet(r.docs.doc[d], r.docs.len[d], 70);
        printf("documents most similar to document %ld (%s): %s\n", d + 1, where, text);
        free(text);
        if (n == 0) {
            printf("  (no other document shares a term of weight above 0 with it)\n");
        } else {
            print_hits(&r, hits, n);
        }
    }
    int rc = 0;
    if (out) {
        long nc = n < 49 ? n : 49; // a heatmap of 50 x 50 cells is still readable
        long *rows = lab_malloc(((size_t)nc + 1) * sizeof *rows);
        rows[0] = d;
        for (long i = 0; i < nc; i++) {
            rows[i + 1] = hits[i].doc;
        }
        char title[128], name[64];
        snprintf(title, sizeof title, "cosine similarity: document %ld and the %ld most like it",
                 d + 1, nc);
        snprintf(name, sizeof name, "similar_%ld", d + 1);
        rc = chart_similarity(&r, rows, nc + 1, out, name, title, (PlotOutput)plot);
        free(rows);
        if (rc == 0 && !json && plot != PLOT_DUMB) {
            printf("wrote %s/%s\n", out, name);
        }
    }
    free(hits);
    run_free(&r);
    return rc == 0 ? 0 : 1;
}

static int cmd_search(int argc, char **argv)
{
    TfidfOpts o = TFIDF_OPTS_DEFAULT;
    const char *query = NULL;
    long k = 10;
    int json = 0;
    const LabOpt opts[] = {
        TFIDF_OPTS_TABLE(o),
        {"query", LAB_OPT_STRING, &query, "TEXT", "what to look for, in free text", NULL, 0, 0},
        {"k", LAB_OPT_INT, &k, "K", "how many documents to list", NULL, 1, 1e6},
        {"json", LAB_OPT_FLAG, &json, NULL, "print one JSON object", NULL, 0, 0},
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab tfidf search (--docs FILE|DIR | --dataset NAME) --query TEXT [options]",
        .summary = "Rank the documents by the cosine of their TF-IDF rows with the query's\n"
                   "(the query is weighed with the collection's vocabulary and idf).",
        .opts = opts,
        .epilog = "example:\n"
                  "  lmlab tfidf search --dataset timemachine --lowercase --query 'the time "
                  "machine'\n",
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    if (!query) {
        lab_usage_die(&cmd, "--query TEXT is required");
    }
    TfidfRun r;
    run_load(&r, &o, &cmd);
    TfidfVec q;
    TfidfTerms unknown;
    tfidf_terms_init(&unknown);
    if (tfidf_transform(&r.m, &r.tok, query, strlen(query), &q, &unknown) != 0) {
        exit(1);
    }
    if (q.terms == 0) {
        lab_die(o.tokenizer == 0 ? "the word pattern (--pattern) finds no word in it" : NULL,
                "the query '%s' has no terms", query);
    }
    if (q.n == 0) {
        lab_die("a query is matched through the terms of the documents: 'lmlab tfidf matrix' "
                "writes them to vocab.txt (--min-df, --max-df, --max-features and --stop-words "
                "remove some)",
                "no term of the query '%s' is in the vocabulary of '%s'", query, r.path);
    }
    if (unknown.n > 0) {
        char list[512] = "";
        size_t w = 0;
        for (int32_t j = 0; j < unknown.n && j < 8 && w < sizeof list - 64; j++) {
            char *t = term_show(&unknown, j);
            w += (size_t)snprintf(list + w, sizeof list - w, "%s'%.40s'", j ? ", " : "", t);
            free(t);
        }
        lab_note("%lld of the query's %lld terms %s not in the vocabulary (ignored): %s%s",
                 q.unknown, q.terms, q.unknown == 1 ? "is" : "are", list,
                 unknown.n > 8 ? ", ..." : "");
    }
    double qq = 0;
    for (long i = 0; i < q.n; i++) {
        qq += q.val[i] * q.val[i];
    }
    if (qq == 0) {
        lab_die("--idf smooth never gives 0",
                "every known term of the query has idf 0 (it occurs in every document, and "
                "--idf %s gives ln(N/N) = 0), so nothing can be ranked",
                IDF_NAMES[o.idf]);
    }
    TfidfHit *hits = lab_malloc((size_t)k * sizeof *hits);
    long n = tfidf_rank(&r.m, q.col, q.val, q.n, -1, k, hits);
    if (json) {
        fputs("{\"query\": ", stdout);
        lab_json_write_string(stdout, query);
        printf(", \"terms\": %lld, \"unknown\": %lld", q.terms, q.unknown);
        json_hits(&r, hits, n);
    } else {
        printf("query '%s': %lld terms, %lld in the vocabulary\n", query, q.terms,
               q.terms - q.unknown);
        print_hits(&r, hits, n);
    }
    free(hits);
    tfidf_vec_free(&q);
    tfidf_terms_free(&unknown);
    run_free(&r);
    return 0;
}

// --- dispatch -----------------------------------------------------------------------------------

int tfidf_main(int argc, char **argv)
{
    static const char *usage =
        "usage: lmlab tfidf <verb> [options]\n"
        "\n"
        "verbs:\n"
        "  matrix     fit TF-IDF weights, write the document-term matrix (Matrix Market) and "
        "vocabulary\n"
        "  top        the terms of largest weight of every document, or of one\n"
        "  similar    the documents most similar to a document (cosine)\n"
        "  search     the documents that best match a free-text query (cosine)\n"
        "\n"
        "'lmlab tfidf <verb> --help' shows the options of a verb; docs/tfidf.md the formulas.\n";
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *verb = argv[1];
    if (strcmp(verb, "matrix") == 0) {
        return cmd_matrix(argc - 1, argv + 1);
    }
    if (strcmp(verb, "top") == 0) {
        return cmd_top(argc - 1, argv + 1);
    }
    if (strcmp(verb, "similar") == 0) {
        return cmd_similar(argc - 1, argv + 1);
    }
    if (strcmp(verb, "search") == 0) {
        return cmd_search(argc - 1, argv + 1);
    }
    static const char *const verbs[] = {"matrix", "top", "similar", "search"};
    const char *near = lab_closest(verb, verbs, (int)(sizeof verbs / sizeof *verbs));
    fprintf(stderr, "lmlab: unknown verb 'tfidf %s'\n", verb);
    if (near) {
        fprintf(stderr, "  hint: did you mean 'lmlab tfidf %s'?\n", near);
    }
    fputs(usage, stderr);
    return 2;
}
