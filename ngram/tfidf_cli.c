// tfidf_cli.c: `lmlab tfidf matrix | top | similar | search`: the dispatch, and what every
// verb shares (loading the run, showing documents and terms, the charts).
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

#include "ngram/tfidf_cli.h"

// --- loading a run -----------------------------------------------------------------------------

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
            tfidf_doc_where(r, d, where, sizeof where);
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
void tfidf_run_load(TfidfRun *r, const TfidfOpts *o, const LabCommand *cmd)
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
        lab_usage_die(cmd,
                      "--min-df takes a count of documents (1, 2, ...) or a proportion "
                      "from 0.0 to 1.0, got '%s'",
                      o->min_df);
    }
    if (tfidf_df_parse(o->max_df, &p.max_df) != 0) {
        lab_usage_die(cmd,
                      "--max-df takes a count of documents (1, 2, ...) or a proportion "
                      "from 0.0 to 1.0, got '%s'",
                      o->max_df);
    }
    if (!p.min_df.proportion && !p.max_df.proportion && p.max_df.value < p.min_df.value) {
        lab_usage_die(cmd,
                      "--min-df %s is above --max-df %s: no term can occur in at least %s "
                      "and at most %s documents",
                      o->min_df, o->max_df, o->min_df, o->max_df);
    }
    p.tf = o->tf;
    p.idf = o->idf;
    p.norm = o->norm;
    p.max_features = o->max_features;
    if (o->tokenizer == 2) {
        // a BPE token is a piece of a word: IDF over pieces weighs "ing" and "Ġthe", not terms
        lab_usage_die(cmd, "tfidf weighs words or characters, not BPE pieces: "
                           "--tokenizer bpe is for the language models (ngram, mlp, rnn)");
    }
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
        r->path = dataset_resolve(cmd, o->dataset, o->split, "docs");
    }
    if (o->stop_words) {
        lab_strtab_init(&r->stop);
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
        lab_usage_die(cmd,
                      "--min-df %s is above --max-df %s for %ld documents (%g > %g "
                      "documents): no term can be kept",
                      o->min_df, o->max_df, N, lo, hi);
    }
    r->params = p;
    if (tfidf_fit(&r->m, &r->docs, &r->params, &r->tok) != 0) {
        exit(1);
    }
    r->seconds_read = t1 - t0;
    r->seconds_fit = lab_now() - t1;
    note_empty(r);
}

void tfidf_run_free(TfidfRun *r)
{
    tfidf_model_free(&r->m);
    tfidf_docs_free(&r->docs);
    lab_strtab_free(&r->stop);
    tok_free(&r->tok);
    free(r->path);
}

// --- showing documents and terms ---------------------------------------------------------------

// Where document d came from: "line 12", or "FILE:12" / "FILE" for a directory.
void tfidf_doc_where(const TfidfRun *r, long d, char *buf, size_t n)
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
char *tfidf_snippet(const char *s, size_t len, int max)
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
char *tfidf_term_show(const LabStrTab *v, int32_t j)
{
    const char *s = lab_strtab_key(v, j);
    size_t n = lab_strtab_len(v, j);
    char *e = tfidf_escape_term(s, n);
    if (n == 0 || s[0] == ' ' || s[n - 1] == ' ') {
        char *q = lab_asprintf("'%s'", e);
        free(e);
        return q;
    }
    return e;
}

void tfidf_json_term(FILE *f, const LabStrTab *v, int32_t j)
{
    char *t = lab_strndup(lab_strtab_key(v, j), lab_strtab_len(v, j));
    lab_json_write_string(f, t);
    free(t);
}

// "file" and "line" of document d as JSON members (after a comma)
void tfidf_json_where(FILE *f, const TfidfRun *r, long d)
{
    fputs(", \"file\": ", f);
    lab_json_write_string(f, r->docs.files[r->docs.file[d]]);
    fprintf(f, ", \"line\": %ld", r->docs.line[d]);
}

long tfidf_check_doc(const TfidfRun *r, const LabCommand *cmd, long doc)
{
    if (doc < 1 || doc > r->docs.n) {
        lab_usage_die(cmd, "--doc %ld is out of range: '%s' has %ld documents, numbered from 1",
                      doc, r->path, r->docs.n);
    }
    return doc - 1;
}

// --- charts -------------------------------------------------------------------------------------

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

// Document frequency against rank, log-log: a few terms are in many documents, most in few.
int tfidf_chart_df_rank(const TfidfRun *r, const char *dir, PlotOutput out)
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
int tfidf_chart_similarity(const TfidfRun *r, const long *rows, long n, const char *dir,
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
int tfidf_chart_top_terms(const TfidfRun *r, long d, const long long *entries, long n,
                          const char *dir, PlotOutput out)
{
    double *y = lab_malloc(((size_t)n + 1) * sizeof *y);
    char **labels = lab_malloc(((size_t)n + 1) * sizeof *labels);
    for (long i = 0; i < n; i++) {
        y[i] = r->m.X.val[entries[i]];
        labels[i] = tfidf_term_show(&r->m.vocab, r->m.X.col[entries[i]]);
    }
    char where[512], what[400], title[1000], name[64];
    tfidf_doc_where(r, d, where, sizeof where);
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

// --- dispatch -----------------------------------------------------------------------------------

const LabVerbs tfidf_verbs = {
    .prog = "lmlab tfidf",
    .what = "verb",
    .footer = "'lmlab tfidf <verb> --help' shows the options of a verb; docs/tfidf.md the "
              "formulas.\n",
    .rows = (const LabVerb[]){
        {"matrix", tfidf_cmd_matrix, "fit TF-IDF weights, write the document-term matrix and "
         "vocabulary", 0},
        {"top", tfidf_cmd_top, "the terms of largest TF-IDF weight of each document", 0},
        {"similar", tfidf_cmd_similar, "the documents most similar to a document (cosine)", 0},
        {"search", tfidf_cmd_search, "rank the documents for a free-text query", 0},
        {0},
    },
};
