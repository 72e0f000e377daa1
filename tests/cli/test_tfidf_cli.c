// test_tfidf_cli.c: `lmlab tfidf` end to end, as a user runs it.
//
// Each test runs the binary named by $LMLAB (make sets it) with its output captured to files,
// and checks the exit status, the message and the files written. The scikit-learn test runs
// the exact options that tests/fixtures/sklearn/cases.tsv documents for each case and
// compares matrix.mtx and vocab.txt with scikit-learn's.
#include "tests/cli/cli.h"


static void expect_out(Run r, const char *in_out)
{
    cr_assert_eq(r.status, 0, "exit status %d; stderr:\n%s", r.status, r.err);
    cr_assert(strstr(r.out, in_out), "stdout lacks '%s':\n%s", in_out, r.out);
    run_free(&r);
}

static void rm_rf(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        return;
    }
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
            char *p = lab_path_join(dir, e->d_name);
            struct stat st;
            if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode)) {
                rm_rf(p);
            } else {
                unlink(p);
            }
            free(p);
        }
    }
    closedir(d);
    rmdir(dir);
}

// a small collection: 5 documents (lines 1, 2, 4, 5, 6); document 3 (line 4) has no word,
// documents 1 and 4 are the same line
static const char *SMALL = "the cat sat on the mat\n"
                           "a dog sat on a log\n"
                           "\n"
                           "!!! ...\n"
                           "the cat sat on the mat\n"
                           "cats and dogs\n";

// --- usage --------------------------------------------------------------------------------------

Test(tfidf_cli, help_lists_every_variant_with_its_default)
{
    Run r = RUN("tfidf", "matrix", "--help");
    cr_assert_eq(r.status, 0);
    const char *want[] = {"--tf raw|binary|sublinear", "--idf smooth|plain|sklearn-plain|none",
                          "--norm l2|l1|none", "--unit auto|line|paragraph|file", "--min-df X",
                          "--max-df X", "--max-features N", "--stop-words FILE|english",
                          "--ngram-range MIN,MAX", "(default smooth)", "(default 1.0)",
                          "--out DIR"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        cr_assert(strstr(r.out, want[i]), "help lacks '%s':\n%s", want[i], r.out);
    }
    run_free(&r);
    expect(RUN("tfidf"), 2, "usage: lmlab tfidf <verb>");
    expect(RUN("tfidf", "frobnicate"), 2, "unknown verb 'tfidf frobnicate'");
    r = RUN("--help");
    cr_assert(strstr(r.out, "tfidf matrix"), "lmlab --help lists the tfidf verbs");
    run_free(&r);
}

// --- matrix -------------------------------------------------------------------------------------

Test(tfidf_cli, matrix_writes_matrix_market_and_the_vocabulary)
{
    char *dir = test_tmpdir();
    char *docs = test_write(dir, "small.txt", SMALL, strlen(SMALL));
    char *out = lab_path_join(dir, "run");
    Run r = RUN("tfidf", "matrix", "--docs", docs, "--out", out, "--plot", "none");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "documents: 5"), "%s", r.out);
    cr_assert(strstr(r.err, "1 of 5 documents has no terms"), "%s", r.err);
    cr_assert(strstr(r.err, "3 (line 4)"), "the note says where: %s", r.err);
    run_free(&r);
    char *mtx = lab_path_join(out, "matrix.mtx"), *voc = lab_path_join(out, "vocab.txt");
    char *m = slurp(mtx), *v = slurp(voc);
    cr_assert(strncmp(m, "%%MatrixMarket matrix coordinate real general\n%", 47) == 0, "%s", m);
    // terms: a and cat cats dog dogs log mat on sat the: 11 columns; entries 5+5+0+5+3
    cr_assert(strstr(m, "\n5 11 18\n"), "rows cols nnz:\n%s", m);
    cr_assert(strstr(m, "\n1 3 "), "row 1 has 'cat' (column 3)\n%s", m);
    cr_assert_str_eq(v, "a\nand\ncat\ncats\ndog\ndogs\nlog\nmat\non\nsat\nthe\n");
    const char *files[] = {"terms.tsv", "docs.tsv", "config", "df_rank.dat", "df_rank.gp",
                           "similarity.dat", "similarity.gp"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char *p = lab_path_join(out, files[i]);
        cr_assert(test_exists(p), "%s missing", files[i]);
        free(p);
    }
    char *tsv = lab_path_join(out, "docs.tsv");
    char *d = slurp(tsv);
    cr_assert(strstr(d, "doc\tfile\tline\tterms\n1\t"), "%s", d);
    cr_assert(strstr(d, "\n3\t"), "%s", d);
    cr_assert(strstr(d, "\t4\t0\n"), "document 3 is line 4, with 0 terms:\n%s", d);
    free(d);
    free(tsv);
    free(m);
    free(v);
    free(mtx);
    free(voc);
    rm_rf(dir);
    free(docs);
    free(out);
    free(dir);
}

Test(tfidf_cli, matrix_json_reports_sizes_and_timings)
{
    char *dir = test_tmpdir();
    char *docs = test_write(dir, "small.txt", SMALL, strlen(SMALL));
    char *out = lab_path_join(dir, "run");
    Run r = RUN("tfidf", "matrix", "--docs", docs, "--out", out, "--plot", "none", "--json",
                "--quiet");
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *want[] = {"\"family\": \"tfidf\"", "\"documents\": 5", "\"empty_documents\": 1",
                          "\"terms\": 11", "\"nnz\": 18", "\"seconds_fit\": "};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        cr_assert(strstr(r.out, want[i]), "json lacks '%s': %s", want[i], r.out);
    }
    cr_assert_str_eq(r.err, "", "--quiet: no notes");
    run_free(&r);
    rm_rf(dir);
    free(docs);
    free(out);
    free(dir);
}

// Runs every case of tests/fixtures/sklearn/cases.tsv with its lmlab options and compares the
// files with scikit-learn's.
Test(tfidf_cli, matrix_equals_scikit_learn_with_the_documented_options, .timeout = 120)
{
    char *cases_path = test_path("tests/fixtures/sklearn/cases.tsv");
    char *cases = slurp(cases_path);
    char *dir = test_tmpdir();
    int n = 0;
    char *save = NULL;
    strtok_r(cases, "\n", &save); // the header
    for (char *row = strtok_r(NULL, "\n", &save); row; row = strtok_r(NULL, "\n", &save)) {
        char *f[4] = {row, NULL, NULL, NULL};
        for (int i = 1; i < 4; i++) {
            f[i] = strchr(f[i - 1], '\t');
            cr_assert_not_null(f[i], "cases.tsv: a row of four fields");
            *f[i]++ = '\0';
        }
        // one directory for every case: --force lets each replace the one before
        const char *args[64] = {"tfidf", "matrix", "--docs", "tests/fixtures/sklearn/corpus.txt",
                                "--out", dir, "--plot", "none", "--heatmap", "0", "--quiet",
                                "--force"};
        int na = 12;
        char *opts = lab_strdup(f[3]), *s2 = NULL;
        for (char *a = strtok_r(opts, " ", &s2); a; a = strtok_r(NULL, " ", &s2)) {
            args[na++] = a;
        }
        args[na] = NULL;
        Run r = run_in(NULL, args);
        cr_assert_eq(r.status, 0, "%s: %s", f[0], r.err);
        run_free(&r);
        char *mine = lab_path_join(dir, "vocab.txt");
        char *theirs = lab_asprintf("tests/fixtures/sklearn/%s.vocab", f[0]);
        char *tp = test_path(theirs);
        char *a = slurp(mine), *b = slurp(tp);
        cr_assert(strlen(b) > 0 && strcmp(a, b) == 0, "%s: vocab.txt differs from %s", f[0],
                  theirs);
        free(a);
        free(b);
        free(tp);
        free(theirs);
        free(mine);
        // entries in the same order, values within 1e-6
        char *mp = lab_path_join(dir, "matrix.mtx");
        char *sp = lab_asprintf("tests/fixtures/sklearn/%s.mtx", f[0]);
        char *spp = test_path(sp);
        FILE *x = fopen(mp, "r"), *y = fopen(spp, "r");
        cr_assert(x && y, "%s: cannot open the matrices", f[0]);
        char lx[256], ly[256];
        long header = 0;
        while (fgets(lx, sizeof lx, x) && lx[0] == '%') {
        }
        while (fgets(ly, sizeof ly, y) && ly[0] == '%') {
        }
        cr_assert_str_eq(lx, ly, "%s: the size lines differ", f[0]);
        for (;; header++) {
            char *gx = fgets(lx, sizeof lx, x), *gy = fgets(ly, sizeof ly, y);
            cr_assert(!gx == !gy, "%s: the numbers of entries differ", f[0]);
            if (!gx) {
                break;
            }
            long i1, j1, i2, j2;
            double v1, v2;
            cr_assert(sscanf(lx, "%ld %ld %lf", &i1, &j1, &v1) == 3 &&
                      sscanf(ly, "%ld %ld %lf", &i2, &j2, &v2) == 3);
            cr_assert(i1 == i2 && j1 == j2 && fabs(v1 - v2) <= 1e-6,
                      "%s: lmlab '%s' against scikit-learn '%s'", f[0], lx, ly);
        }
        fclose(x);
        fclose(y);
        free(spp);
        free(sp);
        free(mp);
        free(opts);
        n++;
    }
    cr_assert_geq(n, 15, "cases.tsv has the cases");
    rm_rf(dir);
    free(dir);
    free(cases);
    free(cases_path);
}

// --- top, similar, search -----------------------------------------------------------------------

Test(tfidf_cli, top_similar_and_search_on_a_small_collection)
{
    char *dir = test_tmpdir();
    char *docs = test_write(dir, "small.txt", SMALL, strlen(SMALL));
    Run r = RUN("tfidf", "top", "--docs", docs, "--k", "2");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "1 (line 1): the "), "%s", r.out);
    cr_assert(strstr(r.out, "3 (line 4): (no terms)"), "%s", r.out);
    cr_assert(strstr(r.out, "5 (line 6): "), "%s", r.out);
    run_free(&r);
    expect_out(RUN("tfidf", "top", "--docs", docs, "--doc", "2"), "document 2 (line 2): a dog");
    r = RUN("tfidf", "top", "--docs", docs, "--doc", "1", "--json");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "{\"doc\": 1, \"file\": "), "%s", r.out);
    cr_assert(strstr(r.out, "\"terms\": [{\"term\": \"the\", \"weight\": "), "%s", r.out);
    run_free(&r);

    // documents 1 and 4 (lines 1 and 5) are the same line: cosine 1
    r = RUN("tfidf", "similar", "--docs", docs, "--doc", "1");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "      4  line 5         1.0000   the cat sat on the mat"), "%s",
              r.out);
    run_free(&r);
    r = RUN("tfidf", "similar", "--docs", docs, "--doc", "1", "--json", "--k", "1");
    cr_assert(strstr(r.out, "\"results\": [{\"rank\": 1, \"doc\": 4"), "%s", r.out);
    cr_assert(strstr(r.out, "\"cosine\": 1}"), "%s", r.out);
    run_free(&r);

    r = RUN("tfidf", "search", "--docs", docs, "--query", "A dog, a LOG and a unicorn",
            "--lowercase");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "query 'A dog, a LOG and a unicorn': 7 terms, 6 in the vocabulary"),
              "%s", r.out);
    cr_assert(strstr(r.out, "   1        2  line 2"), "the dog line first:\n%s", r.out);
    cr_assert(strstr(r.err, "1 of the query's 7 terms is not in the vocabulary (ignored): "
                            "'unicorn'"),
              "%s", r.err);
    run_free(&r);
    rm_rf(dir);
    free(docs);
    free(dir);
}

Test(tfidf_cli, shipped_datasets_work_in_english_and_chinese, .timeout = 60)
{
    expect_out(RUN("tfidf", "search", "--dataset", "timemachine", "--lowercase", "--query",
                   "time traveller", "--k", "3", "--stop-words", "english"),
               "   1  ");
    char *dir = test_tmpdir();
    Run r = RUN("tfidf", "top", "--dataset", "tangpoems", "--doc", "1", "--k", "5", "--out", dir,
                "--plot", "none");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "document 1 (line 1): 寒随穷律变，春逐鸟声开。"), "%s", r.out);
    run_free(&r);
    char *dat = lab_path_join(dir, "top_terms_1.gp");
    char *gp = slurp(dat);
    cr_assert(strstr(gp, "'寒'") || strstr(gp, "'随'"), "Chinese terms label the bars:\n%s", gp);
    free(gp);
    free(dat);
    rm_rf(dir);
    free(dir);
}

Test(tfidf_cli, paragraphs_and_directories_show_where_a_document_came_from)
{
    char *dir = test_tmpdir();
    char *sub = lab_path_join(dir, "notes");
    mkdir(sub, 0777);
    char *a = test_write(sub, "a.txt", "alpha beta\n\ngamma delta\n", 24);
    char *b = test_write(sub, "b.txt", "beta beta gamma\n", 16);
    char *c = test_write(sub, "c.bin", "x\0y", 3);
    expect_out(RUN("tfidf", "top", "--docs", sub), "/notes/b.txt): beta");
    Run r = RUN("tfidf", "top", "--docs", sub, "--unit", "paragraph");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "2 (") && strstr(r.out, "/notes/a.txt:3): "), "%s", r.out);
    cr_assert(strstr(r.err, "c.bin': binary (a NUL byte at offset 1)"), "%s", r.err);
    run_free(&r);
    rm_rf(dir);
    free(a);
    free(b);
    free(c);
    free(sub);
    free(dir);
}

Test(tfidf_cli, charts_of_top_terms_similarity_and_document_frequency)
{
    char *dir = test_tmpdir();
    char *docs = test_write(dir, "small.txt", SMALL, strlen(SMALL));
    char *out = lab_path_join(dir, "charts");
    expect(RUN("tfidf", "top", "--docs", docs, "--doc", "2", "--out", out, "--plot", "none"), 0,
           NULL);
    expect(RUN("tfidf", "similar", "--docs", docs, "--doc", "1", "--out", out, "--plot", "none"),
           0, NULL);
    const char *files[] = {"top_terms_2.dat", "top_terms_2.gp", "similar_1.dat", "similar_1.gp"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char *p = lab_path_join(out, files[i]);
        cr_assert(test_exists(p), "%s missing", files[i]);
        free(p);
    }
    rm_rf(dir);
    free(docs);
    free(out);
    free(dir);
}

// --- bad input ----------------------------------------------------------------------------------

Test(tfidf_cli, bad_input_fails_with_one_clear_message)
{
    char *dir = test_tmpdir();
    char *docs = test_write(dir, "small.txt", SMALL, strlen(SMALL));
    char *empty = test_write(dir, "empty.txt", "", 0);
    char *blank = test_write(dir, "blank.txt", "\n  \n\t\n", 6);
    char *bin = test_write(dir, "bin.txt", "ab\0cd", 5);
    char *bad = test_write(dir, "bad.txt", "abc\n\xFFx\n", 7);
    char *punct = test_write(dir, "punct.txt", "!!!\n...\n", 8);
    char *nodir = lab_path_join(dir, "nothing");
    mkdir(nodir, 0777);
    char *out = lab_path_join(dir, "out");
    expect(RUN("tfidf", "matrix", "--docs", empty, "--out", out), 1, "is empty");
    expect(RUN("tfidf", "matrix", "--docs", blank, "--out", out), 1,
           "has no documents: every line is blank");
    expect(RUN("tfidf", "matrix", "--docs", bin, "--out", out), 1, "looks binary");
    expect(RUN("tfidf", "matrix", "--docs", bad, "--out", out), 1, "is not valid UTF-8");
    expect(RUN("tfidf", "matrix", "--docs", "/nonexistent/x.txt", "--out", out), 1,
           "cannot open '/nonexistent/x.txt'");
    expect(RUN("tfidf", "matrix", "--docs", nodir, "--out", out), 1, "has no readable text file");
    expect(RUN("tfidf", "matrix", "--docs", punct, "--out", out), 1, "no document has a term");
    expect(RUN("tfidf", "matrix", "--docs", docs, "--out", out, "--min-df", "3", "--max-df", "2"),
           2, "--min-df 3 is above --max-df 2");
    expect(RUN("tfidf", "matrix", "--docs", docs, "--out", out, "--min-df", "0.9", "--max-df",
               "0.1"),
           2, "--min-df 0.9 is above --max-df 0.1 for 5 documents");
    expect(RUN("tfidf", "matrix", "--docs", docs, "--out", out, "--min-df", "4"), 1,
           "no term is left");
    cr_assert(!test_exists(out), "a failed run leaves no output directory");
    expect(RUN("tfidf", "top", "--docs", docs, "--min-df", "many"), 2,
           "--min-df takes a count of documents");
    expect(RUN("tfidf", "top", "--docs", docs, "--max-df", "1.5"), 2, "got '1.5'");
    expect(RUN("tfidf", "top", "--docs", docs, "--min-df", "0"), 2, "got '0'");
    expect(RUN("tfidf", "top", "--docs", docs, "--ngram-range", "2,1"), 2, "--ngram-range");
    expect(RUN("tfidf", "top", "--docs", docs, "--pattern", "a("), 2, "at offset 2");
    expect(RUN("tfidf", "top", "--docs", docs, "--idf", "magic"), 2,
           "unknown value 'magic' for --idf");
    expect(RUN("tfidf", "top", "--docs", docs, "--tokenizer", "char", "--stop-words", "english"),
           2, "--stop-words is for --tokenizer word");
    expect(RUN("tfidf", "top", "--docs", docs, "--stop-words", "/nonexistent/stop.txt"), 1,
           "cannot open '/nonexistent/stop.txt'");
    expect(RUN("tfidf", "top", "--docs", docs, "--out", out), 2, "give --doc N");
    expect(RUN("tfidf", "top"), 2, "give exactly one of --docs");
    expect(RUN("tfidf", "top", "--dataset", "nosuchset"), 2, NULL);
    expect(RUN("tfidf", "similar", "--docs", docs), 2, "--doc N is required");
    expect(RUN("tfidf", "similar", "--docs", docs, "--doc", "9"), 2,
           "--doc 9 is out of range: '");
    expect(RUN("tfidf", "similar", "--docs", docs, "--doc", "3"), 1,
           "document 3 (line 4) has no terms, so its row is zero");
    expect(RUN("tfidf", "search", "--docs", docs), 2, "--query TEXT is required");
    expect(RUN("tfidf", "search", "--docs", docs, "--query", "xyzzy plugh"), 1,
           "no term of the query 'xyzzy plugh' is in the vocabulary");
    expect(RUN("tfidf", "search", "--docs", docs, "--query", "?!"), 1, "has no terms");
    expect(RUN("tfidf", "search", "--docs", docs, "--query", "on", "--idf", "plain", "--max-df",
               "2"),
           1, "no term of the query 'on'");
    rm_rf(dir);
    free(docs);
    free(empty);
    free(blank);
    free(bin);
    free(bad);
    free(punct);
    free(nodir);
    free(out);
    free(dir);
}

Test(tfidf_cli, a_query_term_in_every_document_has_textbook_idf_zero)
{
    char *dir = test_tmpdir();
    char *docs = test_write(dir, "d.txt", "x a\nx b\nx c\n", 12);
    expect(RUN("tfidf", "search", "--docs", docs, "--query", "x", "--idf", "plain"), 1,
           "every known term of the query has idf 0");
    expect_out(RUN("tfidf", "search", "--docs", docs, "--query", "x"), "   1        1  line 1");
    rm_rf(dir);
    free(docs);
    free(dir);
}
