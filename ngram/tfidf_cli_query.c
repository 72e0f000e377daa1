// tfidf_cli_query.c: the verbs that ask a fitted model: `lmlab tfidf top`, `similar` and
// `search`.
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ngram/tfidf_cli.h"

// --- top ----------------------------------------------------------------------------------------

int tfidf_cmd_top(int argc, char **argv)
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
        {"out", LAB_OPT_STRING, &out, "DIR", "with --doc: draw its top terms as bars in DIR", NULL,
         0, 0},
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
    tfidf_run_load(&r, &o, &cmd);
    const TfidfModel *m = &r.m;
    long first = 0, last = r.docs.n;
    if (doc) {
        first = tfidf_check_doc(&r, &cmd, doc);
        last = first + 1;
    }
    long long *entries = lab_malloc((size_t)k * sizeof *entries);
    char where[512];
    for (long d = first; d < last; d++) {
        long n = tfidf_top_terms(m, d, k, entries);
        tfidf_doc_where(&r, d, where, sizeof where);
        if (json) {
            printf("{\"doc\": %ld", d + 1);
            tfidf_json_where(stdout, &r, d);
            fputs(", \"terms\": [", stdout);
            for (long i = 0; i < n; i++) {
                fputs(i ? ", {\"term\": " : "{\"term\": ", stdout);
                tfidf_json_term(stdout, &m->vocab, m->X.col[entries[i]]);
                printf(", \"weight\": %.17g, \"count\": %u}", m->X.val[entries[i]],
                       m->X.count[entries[i]]);
            }
            fputs("]}\n", stdout);
        } else if (doc) {
            char *text = tfidf_snippet(r.docs.doc[d], r.docs.len[d], 70);
            printf("document %ld (%s): %s\n", d + 1, where, text);
            free(text);
            if (n == 0) {
                printf("  (no term has a weight above 0)\n");
            } else {
                printf("%4s  %-10s %6s  %s\n", "rank", "weight", "count", "term");
            }
            for (long i = 0; i < n; i++) {
                char *t = tfidf_term_show(&m->vocab, m->X.col[entries[i]]);
                printf("%4ld  %-10.4f %6u  %s\n", i + 1, m->X.val[entries[i]],
                       m->X.count[entries[i]], t);
                free(t);
            }
        } else {
            printf("%ld (%s):", d + 1, where);
            for (long i = 0; i < n; i++) {
                char *t = tfidf_term_show(&m->vocab, m->X.col[entries[i]]);
                printf("%s %s %.3f", i ? "," : "", t, m->X.val[entries[i]]);
                free(t);
            }
            printf(n ? "\n" : " (no terms)\n");
        }
    }
    int rc = 0;
    if (out) {
        long n = tfidf_top_terms(m, first, k, entries);
        rc = tfidf_chart_top_terms(&r, first, entries, n, out, (PlotOutput)plot);
        if (rc == 0 && !json && plot != PLOT_DUMB) {
            printf("wrote %s/top_terms_%ld\n", out, first + 1);
        }
    }
    free(entries);
    tfidf_run_free(&r);
    return rc == 0 ? 0 : 1;
}

// --- similar and search -------------------------------------------------------------------------

static void print_hits(const TfidfRun *r, const TfidfHit *hits, long n)
{
    char where[512];
    printf("%4s  %7s  %-14s %-7s  %s\n", "rank", "doc", "where", "cosine", "text");
    for (long i = 0; i < n; i++) {
        long d = hits[i].doc;
        tfidf_doc_where(r, d, where, sizeof where);
        char *text = tfidf_snippet(r->docs.doc[d], r->docs.len[d], 60);
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
        tfidf_json_where(stdout, r, d);
        printf(", \"cosine\": %.17g}", hits[i].score);
    }
    fputs("]}\n", stdout);
}

int tfidf_cmd_similar(int argc, char **argv)
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
         "draw the cosines of the document and those found (49 at most) as a heatmap in DIR", NULL,
         0, 0},
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
    tfidf_run_load(&r, &o, &cmd);
    long d = tfidf_check_doc(&r, &cmd, doc);
    const TfidfCsr *X = &r.m.X;
    char where[512];
    tfidf_doc_where(&r, d, where, sizeof where);
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
        tfidf_json_where(stdout, &r, d);
        json_hits(&r, hits, n);
    } else {
        char *text = tfidf_snippet(r.docs.doc[d], r.docs.len[d], 70);
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
        rc = tfidf_chart_similarity(&r, rows, nc + 1, out, name, title, (PlotOutput)plot);
        free(rows);
        if (rc == 0 && !json && plot != PLOT_DUMB) {
            printf("wrote %s/%s\n", out, name);
        }
    }
    free(hits);
    tfidf_run_free(&r);
    return rc == 0 ? 0 : 1;
}

int tfidf_cmd_search(int argc, char **argv)
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
    tfidf_run_load(&r, &o, &cmd);
    TfidfVec q;
    LabStrTab unknown;
    lab_strtab_init(&unknown);
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
            char *t = tfidf_term_show(&unknown, j);
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
    lab_strtab_free(&unknown);
    tfidf_run_free(&r);
    return 0;
}
