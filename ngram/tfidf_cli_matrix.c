// tfidf_cli_matrix.c: `lmlab tfidf matrix`: fit the weights and write the document-term matrix,
// the vocabulary, the terms and documents tables, the config and the charts.
#include <stdlib.h>
#include <string.h>

#include "ngram/tfidf_cli.h"

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

// Writes the files of the run (and its config cfg) into dir (made if missing), then the charts
// (heatmap: the first that many documents). Exits 1 on a failure (its message printed). Returns the
// seconds the files took and sets *nh to the documents of the heatmap (0: none).
static double matrix_write(const TfidfRun *r, const char *dir, const LabConfig *cfg,
                           long heatmap, PlotOutput plot, long *nh)
{
    const TfidfOpts o = *r->o;
    double t0 = lab_now();
    if (lab_run_dir(dir) != 0) {
        exit(1);
    }
    char comment[512];
    snprintf(comment, sizeof comment,
             "lmlab tfidf: rows are documents (docs.tsv), columns are terms (vocab.txt); "
             "tf %s, idf %s, norm %s",
             TF_NAMES[o.tf], IDF_NAMES[o.idf], NORM_NAMES[o.norm]);
    const char *names[] = {"matrix.mtx", "vocab.txt", "terms.tsv", "docs.tsv", "config"};
    char *paths[5];
    for (int i = 0; i < 5; i++) {
        paths[i] = lab_path_join(dir, names[i]);
    }
    if (tfidf_write_files(&r->docs, &r->m, (const char *const *)paths, comment) != 0 ||
        lab_config_write(cfg, paths[4]) != 0) {
        exit(1);
    }
    double t1 = lab_now();
    if (tfidf_chart_df_rank(r, dir, plot) != 0) {
        exit(1);
    }
    *nh = heatmap < r->docs.n ? heatmap : r->docs.n;
    if (*nh > 0) {
        long *rows = lab_malloc((size_t)*nh * sizeof *rows);
        for (long i = 0; i < *nh; i++) {
            rows[i] = i;
        }
        char title[128];
        snprintf(title, sizeof title, "cosine similarity of documents 1-%ld", *nh);
        int rc = tfidf_chart_similarity(r, rows, *nh, dir, "similarity", title, plot);
        free(rows);
        if (rc != 0) {
            exit(1);
        }
    }
    for (int i = 0; i < 5; i++) {
        free(paths[i]);
    }
    return t1 - t0;
}

// What matrix did, on stdout: one JSON object or a few lines for a person.
static void matrix_report(const TfidfRun *r, const char *dir, int json, double seconds_write,
                          long nh)
{
    const TfidfOpts o = *r->o;
    const TfidfModel *m = &r->m;
    long long stored = 0;
    for (long long e = 0; e < m->X.nnz; e++) {
        stored += m->X.val[e] != 0;
    }
    if (json) {
        LabJson j;
        lab_json_begin(&j, stdout);
        lab_json_str(&j, "family", "tfidf");
        lab_json_str(&j, "docs", r->path);
        lab_json_int(&j, "documents", m->X.rows);
        lab_json_int(&j, "empty_documents", m->empty);
        lab_json_int(&j, "terms", m->X.cols);
        lab_json_int(&j, "terms_seen", m->terms_seen);
        lab_json_int(&j, "terms_counted", m->terms_counted);
        lab_json_int(&j, "nnz", stored);
        lab_json_str(&j, "tf", TF_NAMES[o.tf]);
        lab_json_str(&j, "idf", IDF_NAMES[o.idf]);
        lab_json_str(&j, "norm", NORM_NAMES[o.norm]);
        lab_json_num(&j, "seconds_read", r->seconds_read);
        lab_json_num(&j, "seconds_fit", r->seconds_fit);
        lab_json_num(&j, "seconds_write", seconds_write);
        lab_json_str(&j, "out", dir);
        lab_json_end(&j);
    } else {
        const char *unit = r->is_dir && o.unit == TFIDF_UNIT_AUTO ? "file"
                           : o.unit == TFIDF_UNIT_AUTO            ? "line"
                                                                  : UNIT_NAMES[o.unit];
        printf("documents: %ld (a document is a %s of '%s'), %ld with a zero row\n", m->X.rows,
               unit, r->path, m->empty);
        printf("terms:     %ld columns, of %d distinct terms seen (%lld counted)\n", m->X.cols,
               m->terms_seen, m->terms_counted);
        printf("matrix:    %ld x %ld, %lld stored entries (%.3g%% of the cells)\n", m->X.rows,
               m->X.cols, stored, 100.0 * (double)stored / ((double)m->X.rows * (double)m->X.cols));
        printf("weights:   tf %s, idf %s, norm %s\n", TF_NAMES[o.tf], IDF_NAMES[o.idf],
               NORM_NAMES[o.norm]);
        printf("time:      read %.3fs, fit %.3fs, write %.3fs\n", r->seconds_read, r->seconds_fit,
               seconds_write);
        printf("wrote %s/ (matrix.mtx vocab.txt terms.tsv docs.tsv config df_rank%s)\n", dir,
               nh > 0 ? " similarity" : "");
    }
}

// Parses, loads and fits (tfidf_run_load), writes, reports.
int tfidf_cmd_matrix(int argc, char **argv)
{
    TfidfOpts o = TFIDF_OPTS_DEFAULT;
    const char *out = NULL;
    int plot = PLOT_PNG, json = 0, force = 0;
    long heatmap = 20;
    const LabOpt opts[] = {
        TFIDF_OPTS_TABLE(o),
        {"out", LAB_OPT_STRING, &out, "DIR",
         "where the files go (default runs/tfidf-NAME, NAME from --docs or --dataset)", NULL, 0, 0},
        {"force", LAB_OPT_FLAG, &force, NULL,
         "replace a matrix of another configuration in the directory", NULL, 0, 0},
        {"heatmap", LAB_OPT_INT, &heatmap, "N",
         "chart the cosine similarity of the first N documents (0: no chart)", NULL, 0, 200},
        {"plot", LAB_OPT_CHOICE, &plot, NULL, "charts as PNG, in the terminal, or not at all",
         PLOT_OUTPUT_CHOICES, 0, 0},
        {"json", LAB_OPT_FLAG, &json, NULL, "print one JSON object: sizes and timings", NULL, 0, 0},
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
    tfidf_run_load(&r, &o, &cmd);
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
    long nh;
    double seconds_write = matrix_write(&r, dir, &cfg, heatmap, (PlotOutput)plot, &nh);
    matrix_report(&r, dir, json, seconds_write, nh);
    lab_config_free(&cfg);
    free(dir);
    tfidf_run_free(&r);
    return 0;
}
