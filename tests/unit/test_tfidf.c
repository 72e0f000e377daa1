// test_tfidf.c: bag-of-words and TF-IDF, checked by hand computation and against scikit-learn.
//
// The hand-computed collection of most tests is three documents of words (tokenizer \S+):
//   1: a b b      2: b c      3: c c c d
// N = 3; df: a 1, b 2, c 2, d 1. Columns in byte order: a b c d.
// smooth idf ln((1+N)/(1+df)) + 1:  a, d: ln(4/2) + 1 = 1.6931471805599454
//                                   b, c: ln(4/3) + 1 = 1.2876820724517808
// raw tf x smooth idf, then l2:
//   doc 1: a 1 x 1.69315 = 1.69315, b 2 x 1.28768 = 2.57536; length 3.08209
//          -> a 0.5493512310263033, b 0.8355915419449177
//   doc 2: b = c = 1.28768 -> 1/sqrt(2) each
//   doc 3: c 3 x 1.28768 = 3.86305, d 1.69315; length 4.21781
//          -> c 0.9158903319694655, d 0.40142857372745955
// textbook idf ln(N/df): a, d ln 3 = 1.0986122886681098; b, c ln 1.5 = 0.4054651081081644;
//   with raw tf and no norm: doc 1 a 1.09861, b 0.81093; doc 3 c 1.21640, d 1.09861.
//
// tests/fixtures/sklearn/ holds matrices made by scikit-learn 1.2.1 (Debian python3-sklearn)
// with make_tfidf_fixture.py beside them; cases.tsv lists them.
#include "tests/helpers.h"

#include <omp.h>
#include <sys/stat.h>

#include "ngram/tfidf.h"

static const char *ABC = "a b b\nb c\nc c c d\n";

typedef struct {
    TfidfDocs docs;
    Tokenizer tok;
    TfidfModel m;
} Fit;

// Fits text (split by unit) with tokenizer (kind, pattern, lowercase) and params; asserts it
// succeeds.
static void fit_text(Fit *f, const char *text, TfidfUnit unit, TokKind kind, const char *pattern,
                     int lowercase, const TfidfParams *p)
{
    memset(f, 0, sizeof *f);
    tfidf_docs_init(&f->docs);
    tfidf_docs_add(&f->docs, "test", lab_strdup(text), strlen(text), unit);
    cr_assert_eq(tok_init(&f->tok, kind, pattern, lowercase), 0);
    cr_assert_eq(tfidf_fit(&f->m, &f->docs, p, &f->tok), 0, "tfidf_fit failed");
}

static void fit_free(Fit *f)
{
    tfidf_model_free(&f->m);
    tok_free(&f->tok);
    tfidf_docs_free(&f->docs);
}

static int32_t col_of(const Fit *f, const char *term)
{
    return lab_strtab_find(&f->m.vocab, term, strlen(term));
}

// the weight of term in 0-based row d (0 when it is not stored)
static double weight(const Fit *f, long d, const char *term)
{
    int32_t c = col_of(f, term);
    const TfidfCsr *X = &f->m.X;
    for (long long e = X->ptr[d]; e < X->ptr[d + 1]; e++) {
        if (X->col[e] == c) {
            return X->val[e];
        }
    }
    return 0;
}

static long row_len(const Fit *f, long d)
{
    return (long)(f->m.X.ptr[d + 1] - f->m.X.ptr[d]);
}

#define ASSERT_W(f, d, term, want)                                                             \
    do {                                                                                       \
        double got_ = weight(f, d, term);                                                      \
        cr_assert(fabs(got_ - (want)) < 1e-12, "doc %d, '%s': weight %.17g, expected %.17g",   \
                  (int)(d) + 1, term, got_, (double)(want));                                   \
    } while (0)

// --- hand-computed collections ------------------------------------------------------------------

Test(tfidf, smooth_idf_raw_tf_l2_by_hand)
{
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    Fit f;
    fit_text(&f, ABC, TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    cr_assert_eq(f.m.X.rows, 3);
    cr_assert_eq(f.m.X.cols, 4);
    cr_assert_eq(f.m.X.nnz, 6);
    const char *terms[] = {"a", "b", "c", "d"};
    long long df[] = {1, 2, 2, 1};
    for (int j = 0; j < 4; j++) {
        cr_assert_eq(col_of(&f, terms[j]), j, "column of '%s'", terms[j]);
        cr_assert_eq(f.m.df[j], df[j], "df('%s')", terms[j]);
    }
    cr_assert(fabs(f.m.idf[0] - 1.6931471805599454) < 1e-15, "idf(a) = ln 2 + 1");
    cr_assert(fabs(f.m.idf[1] - 1.2876820724517808) < 1e-15, "idf(b) = ln(4/3) + 1");
    ASSERT_W(&f, 0, "a", 0.5493512310263033);
    ASSERT_W(&f, 0, "b", 0.8355915419449177);
    ASSERT_W(&f, 1, "b", 1 / sqrt(2));
    ASSERT_W(&f, 1, "c", 1 / sqrt(2));
    ASSERT_W(&f, 2, "c", 0.9158903319694655);
    ASSERT_W(&f, 2, "d", 0.40142857372745955);
    cr_assert_eq(f.m.X.count[f.m.X.ptr[2]], 3, "c occurs 3 times in document 3");
    fit_free(&f);
}

Test(tfidf, textbook_idf_without_norm_by_hand)
{
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    p.idf = TFIDF_IDF_PLAIN;
    p.norm = TFIDF_NORM_NONE;
    Fit f;
    fit_text(&f, ABC, TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    ASSERT_W(&f, 0, "a", 1.0986122886681098);
    ASSERT_W(&f, 0, "b", 2 * 0.4054651081081644);
    ASSERT_W(&f, 1, "c", 0.4054651081081644);
    ASSERT_W(&f, 2, "c", 3 * 0.4054651081081644);
    ASSERT_W(&f, 2, "d", 1.0986122886681098);
    fit_free(&f);
}

Test(tfidf, a_term_in_every_document_has_textbook_idf_zero)
{
    // "x" is in all 3 documents: ln(3/3) = 0, so it weighs nothing; scikit-learn's
    // sklearn-plain adds 1 and keeps it
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    p.idf = TFIDF_IDF_PLAIN;
    Fit f;
    fit_text(&f, "x a\nx b\nx\n", TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    ASSERT_W(&f, 0, "x", 0);
    ASSERT_W(&f, 0, "a", 1);
    cr_assert_eq(f.m.empty, 1, "document 3 holds only x: its row is zero");
    cr_assert_eq(f.m.no_terms, 0, "but it has a term");
    fit_free(&f);
    p.idf = TFIDF_IDF_SKLEARN_PLAIN;
    fit_text(&f, "x a\nx b\nx\n", TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    ASSERT_W(&f, 2, "x", 1);
    fit_free(&f);
}

Test(tfidf, tf_and_idf_formulas)
{
    cr_assert_eq(tfidf_tf(TFIDF_TF_RAW, 3), 3);
    cr_assert_eq(tfidf_tf(TFIDF_TF_BINARY, 3), 1);
    cr_assert(fabs(tfidf_tf(TFIDF_TF_SUBLINEAR, 3) - (1 + log(3))) < 1e-15);
    cr_assert_eq(tfidf_tf(TFIDF_TF_SUBLINEAR, 1), 1, "1 + ln 1 = 1");
    cr_assert(fabs(tfidf_idf(TFIDF_IDF_SMOOTH, 9, 4) - (log(10.0 / 5) + 1)) < 1e-15);
    cr_assert(fabs(tfidf_idf(TFIDF_IDF_PLAIN, 9, 3) - log(3)) < 1e-15);
    cr_assert(fabs(tfidf_idf(TFIDF_IDF_SKLEARN_PLAIN, 9, 3) - (log(3) + 1)) < 1e-15);
    cr_assert_eq(tfidf_idf(TFIDF_IDF_NONE, 9, 3), 1);
    cr_assert_eq(tfidf_idf(TFIDF_IDF_SMOOTH, 5, 5), 1, "a term in every document: ln 1 + 1");
}

Test(tfidf, sublinear_and_binary_tf_in_a_fit)
{
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    p.tf = TFIDF_TF_SUBLINEAR;
    p.idf = TFIDF_IDF_NONE;
    p.norm = TFIDF_NORM_NONE;
    Fit f;
    fit_text(&f, ABC, TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    ASSERT_W(&f, 2, "c", 1 + log(3));
    ASSERT_W(&f, 0, "b", 1 + log(2));
    ASSERT_W(&f, 0, "a", 1);
    fit_free(&f);
    p.tf = TFIDF_TF_BINARY;
    fit_text(&f, ABC, TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    ASSERT_W(&f, 2, "c", 1);
    cr_assert_eq(f.m.total[col_of(&f, "c")], 2, "binary: the total of c is its df");
    fit_free(&f);
}

// --- norms and cosines --------------------------------------------------------------------------

static char *read_dataset(const char *rel)
{
    char *path = test_path(rel), *text;
    size_t len;
    cr_assert_eq(text_read(path, UTF8_STRICT, &text, &len), 0);
    free(path);
    return text;
}

Test(tfidf, l1_rows_sum_to_one_and_l2_rows_have_length_one)
{
    char *text = read_dataset("datasets/timemachine/train.txt");
    for (int norm = TFIDF_NORM_L2; norm <= TFIDF_NORM_L1; norm++) {
        TfidfParams p = TFIDF_PARAMS_DEFAULT;
        p.norm = norm;
        p.tf = TFIDF_TF_SUBLINEAR;
        Fit f;
        fit_text(&f, text, TFIDF_UNIT_LINE, TOK_WORD, NULL, 1, &p);
        long nonzero = 0;
        for (long d = 0; d < f.m.X.rows; d++) {
            double s = 0;
            for (long long e = f.m.X.ptr[d]; e < f.m.X.ptr[d + 1]; e++) {
                s += norm == TFIDF_NORM_L1 ? fabs(f.m.X.val[e]) : f.m.X.val[e] * f.m.X.val[e];
            }
            if (row_len(&f, d) > 0) {
                cr_assert(fabs(s - 1) < 1e-12, "norm %d, row %ld: %.17g, expected 1", norm, d + 1,
                          s);
                nonzero++;
            }
        }
        cr_assert_gt(nonzero, 2000);
        fit_free(&f);
    }
    free(text);
}

Test(tfidf, cosine_of_identical_documents_is_one)
{
    const char *text = "the time machine\nsomething else entirely\nthe time machine\n"
                       "time the machine the\n";
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    for (int norm = TFIDF_NORM_L2; norm <= TFIDF_NORM_NONE; norm++) {
        p.norm = norm;
        Fit f;
        fit_text(&f, text, TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
        const TfidfCsr *X = &f.m.X;
        double c = tfidf_cosine(X->col + X->ptr[0], X->val + X->ptr[0], row_len(&f, 0),
                                X->col + X->ptr[2], X->val + X->ptr[2], row_len(&f, 2));
        cr_assert(fabs(c - 1) < 1e-12, "norm %d: cosine(doc 1, doc 3) = %.17g, expected 1",
                  norm, c);
        double self = tfidf_cosine(X->col + X->ptr[1], X->val + X->ptr[1], row_len(&f, 1),
                                   X->col + X->ptr[1], X->val + X->ptr[1], row_len(&f, 1));
        cr_assert(fabs(self - 1) < 1e-12, "cosine(doc, doc) = %.17g", self);
        double none = tfidf_cosine(X->col + X->ptr[0], X->val + X->ptr[0], row_len(&f, 0),
                                   X->col + X->ptr[1], X->val + X->ptr[1], row_len(&f, 1));
        cr_assert_eq(none, 0, "no shared term: cosine 0");
        TfidfHit hits[3];
        long n = tfidf_rank(&f.m, X->col + X->ptr[0], X->val + X->ptr[0], row_len(&f, 0), 0, 3,
                            hits);
        cr_assert_eq(n, 2, "documents 3 and 4 share terms with document 1");
        cr_assert_eq(hits[0].doc, 2, "the identical document first");
        cr_assert(fabs(hits[0].score - 1) < 1e-12);
        cr_assert_eq(hits[1].doc, 3);
        cr_assert(hits[1].score < 1 && hits[1].score > 0.5, "same words, other counts: %g",
                  hits[1].score);
        fit_free(&f);
    }
}

Test(tfidf, ranking_breaks_ties_by_the_lower_document_and_keeps_k)
{
    // documents 2, 3, 4 are identical: the same score, listed in document order
    const char *text = "x y\nx\nx\nx\ny z\n";
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    Fit f;
    fit_text(&f, text, TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    TfidfVec q;
    cr_assert_eq(tfidf_transform(&f.m, &f.tok, "x", 1, &q, NULL), 0);
    TfidfHit hits[2];
    long n = tfidf_rank(&f.m, q.col, q.val, q.n, -1, 2, hits);
    cr_assert_eq(n, 2);
    cr_assert_eq(hits[0].doc, 1);
    cr_assert_eq(hits[1].doc, 2);
    cr_assert(fabs(hits[0].score - 1) < 1e-12, "query x against document x");
    TfidfHit all[10];
    n = tfidf_rank(&f.m, q.col, q.val, q.n, -1, 10, all);
    cr_assert_eq(n, 4, "document 5 shares no term with the query");
    cr_assert_eq(all[3].doc, 0, "x y comes last");
    tfidf_vec_free(&q);
    fit_free(&f);
}

Test(tfidf, top_terms_are_by_weight_then_column)
{
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    Fit f;
    fit_text(&f, "b a c c\nc\n", TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    long long e[3];
    long n = tfidf_top_terms(&f.m, 0, 3, e);
    cr_assert_eq(n, 3);
    // c: 2 x (ln(3/3) + 1) = 2; a, b: ln(3/2) + 1 = 1.405 each: a before b
    cr_assert_eq(f.m.X.col[e[0]], col_of(&f, "c"));
    cr_assert_eq(f.m.X.col[e[1]], col_of(&f, "a"));
    cr_assert_eq(f.m.X.col[e[2]], col_of(&f, "b"));
    cr_assert_eq(tfidf_top_terms(&f.m, 0, 1, e), 1, "k limits the count");
    fit_free(&f);
}

// --- terms --------------------------------------------------------------------------------------

static void assert_vocab(const Fit *f, const char *const *want, int n)
{
    cr_assert_eq(f->m.vocab.n, n, "%d terms, expected %d", f->m.vocab.n, n);
    for (int j = 0; j < n; j++) {
        size_t len = lab_strtab_len(&f->m.vocab, j);
        cr_assert(len == strlen(want[j]) &&
                      memcmp(lab_strtab_key(&f->m.vocab, j), want[j], len) == 0,
                  "column %d is '%.*s', expected '%s'", j, (int)len, lab_strtab_key(&f->m.vocab, j),
                  want[j]);
    }
}

Test(tfidf, columns_are_in_code_point_order)
{
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    Fit f;
    fit_text(&f, "zebra é 春 apple Zoo ab a\n", TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    const char *want[] = {"Zoo", "a", "ab", "apple", "zebra", "é", "春"};
    assert_vocab(&f, want, 7);
    fit_free(&f);
}

Test(tfidf, word_ngrams_join_with_a_space_after_stop_words_go)
{
    LabStrTab stop;
    lab_strtab_init(&stop);
    lab_strtab_add(&stop, "the", 3);
    lab_strtab_add(&stop, "and", 3);
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    p.stop = &stop;
    Fit f;
    fit_text(&f, "the cat and the hat\nthe\n", TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    const char *want1[] = {"cat", "hat"};
    assert_vocab(&f, want1, 2);
    cr_assert_eq(f.m.no_terms, 1, "a document of stop words has no terms");
    fit_free(&f);
    p.ngram_max = 2;
    fit_text(&f, "the cat and the hat\n", TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    const char *want[] = {"cat", "cat hat", "hat"};
    assert_vocab(&f, want, 3);
    fit_free(&f);
    p.ngram_min = p.ngram_max = 3; // trigrams only; a document shorter than 3 has none
    fit_text(&f, "a b c d\nx y\n", TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    const char *want3[] = {"a b c", "b c d"};
    assert_vocab(&f, want3, 2);
    cr_assert_eq(f.m.no_terms, 1, "x y has no trigram");
    fit_free(&f);
    lab_strtab_free(&stop);
}

Test(tfidf, char_ngrams_fold_whitespace_runs_like_sklearn)
{
    // scikit-learn replaces runs of two or more whitespace characters by one space; a single
    // tab stays a tab
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    Fit f;
    fit_text(&f, "a  b\tc \t d\n", TFIDF_UNIT_LINE, TOK_CHAR, NULL, 0, &p);
    const char *want[] = {"\t", " ", "a", "b", "c", "d"};
    assert_vocab(&f, want, 6);
    cr_assert_eq(f.m.X.count[f.m.X.ptr[0] + 1], 2, "two spaces: one from '  ', one from ' \\t '");
    fit_free(&f);
    p.ngram_min = p.ngram_max = 2;
    fit_text(&f, "a  b\tc\n", TFIDF_UNIT_LINE, TOK_CHAR, NULL, 0, &p);
    const char *want2[] = {"\tc", " b", "a ", "b\t"};
    assert_vocab(&f, want2, 4);
    fit_free(&f);
}

Test(tfidf, lowercase_folds_unicode_before_counting)
{
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    Fit f;
    fit_text(&f, "Café CAFÉ café Ελληνικά ΕΛΛΗΝΙΚΆ\n", TFIDF_UNIT_LINE, TOK_WORD, NULL, 1, &p);
    const char *want[] = {"café", "ελληνικά"};
    assert_vocab(&f, want, 2);
    cr_assert_eq(f.m.X.count[f.m.X.ptr[0]], 3);
    fit_free(&f);
}

Test(tfidf, default_pattern_drops_punctuation_and_splits_han)
{
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    Fit f;
    fit_text(&f, "Don't stop, 春天!\n", TFIDF_UNIT_LINE, TOK_WORD, TFIDF_DEFAULT_PATTERN, 1, &p);
    const char *want[] = {"don't", "stop", "天", "春"};
    assert_vocab(&f, want, 4);
    fit_free(&f);
}

// --- pruning ------------------------------------------------------------------------------------

Test(tfidf, df_options_read_counts_and_proportions)
{
    TfidfDf d;
    cr_assert_eq(tfidf_df_parse("2", &d), 0);
    cr_assert(d.value == 2 && !d.proportion);
    cr_assert_eq(tfidf_df_parse("0.5", &d), 0);
    cr_assert(d.value == 0.5 && d.proportion);
    cr_assert_eq(tfidf_df_parse("1.0", &d), 0, "1.0 is every document, 1 is one document");
    cr_assert(d.proportion);
    cr_assert_eq(tfidf_df_parse("1e-2", &d), 0);
    cr_assert(d.proportion && d.value == 0.01);
    cr_assert_eq(tfidf_df_docs(d, 300), 3);
    const char *bad[] = {"", "0", "-1", "1.5", "-0.1", "x", "2x", "0.5.", "nan", "inf", "1 "};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_eq(tfidf_df_parse(bad[i], &d), -1, "'%s' is no df", bad[i]);
    }
}

Test(tfidf, min_df_and_max_df_keep_the_terms_between)
{
    // df: a 3, b 2, c 1, d 1 in 4 documents
    const char *text = "a b c\na b\na d\nz\n";
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    tfidf_df_parse("2", &p.min_df);
    Fit f;
    fit_text(&f, text, TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    const char *w1[] = {"a", "b"};
    assert_vocab(&f, w1, 2);
    cr_assert_eq(f.m.empty, 1, "z was pruned: its document has a zero row");
    cr_assert_eq(f.m.no_terms, 0);
    fit_free(&f);
    tfidf_df_parse("0.5", &p.max_df); // at most 2 of 4 documents
    fit_text(&f, text, TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    const char *w2[] = {"b"};
    assert_vocab(&f, w2, 1);
    fit_free(&f);
}

Test(tfidf, max_features_keeps_the_largest_totals_ties_in_byte_order)
{
    // totals: b 3, c 2, d 1, a 1
    const char *text = "b b d c\nc a b\n";
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    p.max_features = 2;
    Fit f;
    fit_text(&f, text, TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    const char *w2[] = {"b", "c"};
    assert_vocab(&f, w2, 2);
    fit_free(&f);
    p.max_features = 3; // a and d tie at 1: a comes first in byte order
    fit_text(&f, text, TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    const char *w3[] = {"a", "b", "c"};
    assert_vocab(&f, w3, 3);
    fit_free(&f);
}

static int fit_fails(const char *text, const TfidfParams *p)
{
    TfidfDocs docs;
    tfidf_docs_init(&docs);
    tfidf_docs_add(&docs, "t", lab_strdup(text), strlen(text), TFIDF_UNIT_LINE);
    Tokenizer t;
    cr_assert_eq(tok_init(&t, TOK_WORD, TFIDF_DEFAULT_PATTERN, 0), 0);
    TfidfModel m;
    int rc = tfidf_fit(&m, &docs, p, &t);
    tok_free(&t);
    tfidf_docs_free(&docs);
    return rc;
}

Test(tfidf, impossible_pruning_and_termless_collections_fail_with_a_message)
{
    cr_redirect_stderr();
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    tfidf_df_parse("3", &p.min_df);
    tfidf_df_parse("2", &p.max_df);
    cr_assert_eq(fit_fails("a\nb\n", &p), -1, "min_df 3 above max_df 2");
    p = (TfidfParams)TFIDF_PARAMS_DEFAULT;
    tfidf_df_parse("2", &p.min_df);
    cr_assert_eq(fit_fails("a\nb\n", &p), -1, "no term occurs in 2 documents");
    p = (TfidfParams)TFIDF_PARAMS_DEFAULT;
    cr_assert_eq(fit_fails("!!!\n...\n", &p), -1, "no document has a term");
    fflush(stderr);
    char buf[4096] = "";
    FILE *f = cr_get_redirected_stderr();
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    cr_assert(strstr(buf, "fewer than the 3 of --min-df"), "%s", buf);
    cr_assert(strstr(buf, "no term is left"), "%s", buf);
    cr_assert(strstr(buf, "no document has a term"), "%s", buf);
}

Test(tfidf, documents_without_terms_are_zero_rows)
{
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    Fit f;
    fit_text(&f, "!!!\nsome words\n...\n", TFIDF_UNIT_LINE, TOK_WORD, TFIDF_DEFAULT_PATTERN, 0,
             &p);
    cr_assert_eq(f.m.X.rows, 3);
    cr_assert_eq(f.m.empty, 2);
    cr_assert_eq(f.m.no_terms, 2);
    cr_assert_eq(row_len(&f, 0), 0);
    cr_assert_eq(f.m.rownorm[0], 0);
    cr_assert(fabs(f.m.rownorm[1] - 1) < 1e-12);
    long long e[4];
    cr_assert_eq(tfidf_top_terms(&f.m, 0, 4, e), 0);
    fit_free(&f);
}

// --- queries ------------------------------------------------------------------------------------

Test(tfidf, a_query_is_weighed_with_the_fitted_idf)
{
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    Fit f;
    fit_text(&f, ABC, TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    TfidfVec v;
    LabStrTab unknown;
    lab_strtab_init(&unknown);
    cr_assert_eq(tfidf_transform(&f.m, &f.tok, "b a b zz", 8, &v, &unknown), 0);
    cr_assert_eq(v.terms, 4);
    cr_assert_eq(v.unknown, 1);
    cr_assert_eq(unknown.n, 1);
    cr_assert_eq(v.n, 2);
    // the same words as document 1: the same weights
    cr_assert(fabs(v.val[0] - 0.5493512310263033) < 1e-12);
    cr_assert(fabs(v.val[1] - 0.8355915419449177) < 1e-12);
    tfidf_vec_free(&v);
    cr_assert_eq(tfidf_transform(&f.m, &f.tok, "xyzzy plugh", 11, &v, NULL), 0);
    cr_assert_eq(v.n, 0, "a query of unknown words has no known term");
    cr_assert_eq(v.unknown, 2);
    TfidfHit hits[3];
    cr_assert_eq(tfidf_rank(&f.m, v.col, v.val, v.n, -1, 3, hits), 0, "and ranks nothing");
    tfidf_vec_free(&v);
    lab_strtab_free(&unknown);
    fit_free(&f);
}

// --- documents ----------------------------------------------------------------------------------

Test(tfidf, lines_and_paragraphs_split_the_lab_way)
{
    const char *text = "a\r\n\n  \nb c\nd\n\n\t\ne";
    TfidfDocs d;
    tfidf_docs_init(&d);
    tfidf_docs_add(&d, "t", lab_strdup(text), strlen(text), TFIDF_UNIT_LINE);
    cr_assert_eq(d.n, 4);
    const char *lines[] = {"a", "b c", "d", "e"};
    long at[] = {1, 4, 5, 8};
    for (int i = 0; i < 4; i++) {
        cr_assert(d.len[i] == strlen(lines[i]) && memcmp(d.doc[i], lines[i], d.len[i]) == 0,
                  "line document %d is '%.*s'", i + 1, (int)d.len[i], d.doc[i]);
        cr_assert_eq(d.line[i], at[i]);
    }
    tfidf_docs_add(&d, "t", lab_strdup(text), strlen(text), TFIDF_UNIT_PARAGRAPH);
    cr_assert_eq(d.n, 7);
    const char *pars[] = {"a", "b c\nd", "e"};
    long pat[] = {1, 4, 8};
    for (int i = 0; i < 3; i++) {
        long k = 4 + i;
        cr_assert(d.len[k] == strlen(pars[i]) && memcmp(d.doc[k], pars[i], d.len[k]) == 0,
                  "paragraph %d is '%.*s'", i + 1, (int)d.len[k], d.doc[k]);
        cr_assert_eq(d.line[k], pat[i]);
        cr_assert_eq(d.file[k], 1);
    }
    tfidf_docs_add(&d, "w", lab_strdup("  \n"), 3, TFIDF_UNIT_FILE);
    cr_assert_eq(d.n, 8, "a whole file is a document even when blank");
    tfidf_docs_free(&d);
}

Test(tfidf, a_directory_is_read_by_name_and_bad_files_are_skipped)
{
    char *dir = test_tmpdir();
    char *files[] = {
        test_write(dir, "b.txt", "beta text\n", 10),
        test_write(dir, "a.txt", "alpha\n\nmore alpha\n", 18),
        test_write(dir, "c.bin", "x\0y", 3),
        test_write(dir, "d.txt", "caf\xE9\n", 5),
        test_write(dir, "e.txt", "", 0),
        test_write(dir, ".hidden", "secret\n", 7),
    };
    char *sub = lab_path_join(dir, "sub");
    mkdir(sub, 0777);
    cr_redirect_stderr();
    TfidfDocs d;
    tfidf_docs_init(&d);
    cr_assert_eq(tfidf_docs_read(&d, dir, TFIDF_UNIT_AUTO, UTF8_STRICT), 0);
    cr_assert_eq(d.n, 2, "a.txt and b.txt");
    cr_assert_eq(d.skipped, 3);
    cr_assert(strstr(d.files[0], "/a.txt") && strstr(d.files[1], "/b.txt"), "sorted by name");
    cr_assert_eq(d.len[0], 18, "a whole file");
    tfidf_docs_free(&d);
    tfidf_docs_init(&d);
    cr_assert_eq(tfidf_docs_read(&d, dir, TFIDF_UNIT_PARAGRAPH, UTF8_REPLACE), 0);
    cr_assert_eq(d.n, 4, "a.txt: 2 paragraphs, b.txt: 1, d.txt read with U+FFFD: 1");
    cr_assert_eq(d.skipped, 2);
    tfidf_docs_free(&d);
    fflush(stderr);
    char buf[4096] = "";
    size_t n = fread(buf, 1, sizeof buf - 1, cr_get_redirected_stderr());
    buf[n] = '\0';
    cr_assert(strstr(buf, "c.bin': binary (a NUL byte at offset 1)"), "%s", buf);
    cr_assert(strstr(buf, "d.txt': not valid UTF-8 (byte 0xE9 at offset 3)"), "%s", buf);
    cr_assert(strstr(buf, "e.txt': empty"), "%s", buf);
    cr_assert(strstr(buf, "left out 1 entry"), "%s", buf);
    for (int i = 0; i < 6; i++) {
        unlink(files[i]);
        free(files[i]);
    }
    rmdir(sub);
    rmdir(dir);
    free(sub);
    free(dir);
}

Test(tfidf, stop_words_come_from_a_file_or_the_english_list)
{
    LabStrTab s;
    lab_strtab_init(&s);
    cr_assert_eq(tfidf_stop_words_load(&s, "english", 0), 0);
    cr_assert(lab_strtab_find(&s, "the", 3) >= 0 && lab_strtab_find(&s, "thou", 4) >= 0);
    cr_assert(lab_strtab_find(&s, "machine", 7) < 0);
    lab_strtab_free(&s);
    char *dir = test_tmpdir();
    char *f = test_write(dir, "stop.txt", "# a comment\n  The \n\nÜBER\r\n", 26);
    lab_strtab_init(&s);
    cr_assert_eq(tfidf_stop_words_load(&s, f, 1), 0);
    cr_assert_eq(s.n, 2);
    cr_assert(lab_strtab_find(&s, "the", 3) >= 0, "trimmed and lowercased");
    cr_assert(lab_strtab_find(&s, "über", strlen("über")) >= 0);
    lab_strtab_free(&s);
    char *g = test_write(dir, "none.txt", "# only a comment\n", 17);
    lab_strtab_init(&s);
    cr_redirect_stderr();
    cr_assert_eq(tfidf_stop_words_load(&s, g, 0), -1, "a list without a word");
    lab_strtab_free(&s);
    unlink(f);
    unlink(g);
    rmdir(dir);
    free(f);
    free(g);
    free(dir);
}

Test(tfidf, terms_are_escaped_for_one_a_line)
{
    char *e = tfidf_escape_term("a b\\c\td\ne\r", 10);
    cr_assert_str_eq(e, "a b\\\\c\\td\\ne\\r");
    free(e);
}

// --- files --------------------------------------------------------------------------------------

Test(tfidf, matrix_market_and_vocab_files_read_back_exactly)
{
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    Fit f;
    fit_text(&f, "x y y\n!!\nz x\n", TFIDF_UNIT_LINE, TOK_WORD, TFIDF_DEFAULT_PATTERN, 0, &p);
    char *dir = test_tmpdir();
    char *mtx = lab_path_join(dir, "m.mtx"), *voc = lab_path_join(dir, "v.txt");
    cr_assert_eq(tfidf_write_mtx(&f.m, mtx, "a comment\nwith a newline"), 0);
    cr_assert_eq(tfidf_write_vocab(&f.m, voc), 0);
    char *data;
    size_t len;
    cr_assert_eq(lab_read_file(mtx, &data, &len, 0), 0);
    char *save = NULL, *line = strtok_r(data, "\n", &save);
    cr_assert_str_eq(line, "%%MatrixMarket matrix coordinate real general");
    line = strtok_r(NULL, "\n", &save);
    cr_assert_str_eq(line, "% a comment with a newline");
    line = strtok_r(NULL, "\n", &save);
    cr_assert_str_eq(line, "3 3 4", "rows cols nnz");
    for (long d = 0; d < 3; d++) {
        for (long long e = f.m.X.ptr[d]; e < f.m.X.ptr[d + 1]; e++) {
            line = strtok_r(NULL, "\n", &save);
            long i, j;
            double v;
            cr_assert_eq(sscanf(line, "%ld %ld %lf", &i, &j, &v), 3);
            cr_assert(i == d + 1 && j == f.m.X.col[e] + 1, "1-based, row order: '%s'", line);
            cr_assert_eq(v, f.m.X.val[e], "the shortest exact text reads back exactly");
        }
    }
    cr_assert_null(strtok_r(NULL, "\n", &save));
    free(data);
    cr_assert_eq(lab_read_file(voc, &data, &len, 0), 0);
    cr_assert_str_eq(data, "x\ny\nz\n");
    free(data);
    unlink(mtx);
    unlink(voc);
    rmdir(dir);
    free(mtx);
    free(voc);
    free(dir);
    fit_free(&f);
}

// The entries of a Matrix Market file after its size line, read with the C library's strtod
// (not lmlab's reader): each must equal X's stored non-zero weight bit for bit, in row order.
static void assert_mtx_reads_back(const char *data, const TfidfCsr *X)
{
    const char *p = strchr(data, '\n');
    while (p && p[1] == '%') {
        p = strchr(p + 1, '\n');
    }
    cr_assert_not_null(p);
    p = strchr(p + 1, '\n'); // the size line
    cr_assert_not_null(p);
    p++;
    long long lines = 0;
    for (long d = 0; d < X->rows; d++) {
        for (long long e = X->ptr[d]; e < X->ptr[d + 1]; e++) {
            if (X->val[e] == 0) {
                continue;
            }
            char *end;
            long i = strtol(p, &end, 10), j = strtol(end, &end, 10);
            double v = strtod(end, &end);
            cr_assert(i == d + 1 && j == X->col[e] + 1 && *end == '\n',
                      "entry %lld: expected row %ld column %d, the file has '%.40s'", e + 1,
                      d + 1, X->col[e] + 1, p);
            cr_assert(memcmp(&v, &X->val[e], sizeof v) == 0,
                      "(%ld, %ld): the file's '%.*s' reads as %a, the weight is %a", i, j,
                      (int)(end - p), p, v, X->val[e]);
            p = end + 1;
            lines++;
        }
    }
    cr_assert_eq(*p, '\0', "nothing after the %lld entries", lines);
}

Test(tfidf, matrix_market_bytes_and_exact_weights_for_any_thread_count, .timeout = 120)
{
    // 12,000 documents of 8 words drawn (fixed LCG) from 3,000 made-up words: about 95,000
    // entries, several blocks of the writer; weights of every norm
    enum { NDOCS = 12000, WORDS = 8, TYPES = 3000 };
    size_t n = 0;
    char *text = lab_malloc((size_t)NDOCS * WORDS * 8 + 1);
    uint64_t x = 777;
    for (int d = 0; d < NDOCS; d++) {
        for (int w = 0; w < WORDS; w++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            n += (size_t)sprintf(text + n, "%sw%u", w ? " " : "", (unsigned)((x >> 33) % TYPES));
        }
        text[n++] = '\n';
    }
    text[n] = '\0';
    char *dir = test_tmpdir();
    char *one = lab_path_join(dir, "one.mtx"), *two = lab_path_join(dir, "two.mtx");
    const int norms[] = {TFIDF_NORM_L2, TFIDF_NORM_L1, TFIDF_NORM_NONE};
    for (int k = 0; k < 3; k++) {
        TfidfParams p = TFIDF_PARAMS_DEFAULT;
        p.norm = norms[k];
        p.tf = k == 2 ? TFIDF_TF_SUBLINEAR : TFIDF_TF_RAW;
        Fit f;
        fit_text(&f, text, TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
        omp_set_num_threads(1);
        cr_assert_eq(tfidf_write_mtx(&f.m, one, NULL), 0);
        omp_set_num_threads(2);
        cr_assert_eq(tfidf_write_mtx(&f.m, two, NULL), 0);
        char *a, *b;
        size_t na, nb;
        cr_assert_eq(lab_read_file(one, &a, &na, 0), 0);
        cr_assert_eq(lab_read_file(two, &b, &nb, 0), 0);
        cr_assert(na == nb && memcmp(a, b, na) == 0,
                  "norm %d: 1 and 2 threads wrote different files (%zu and %zu bytes)", norms[k],
                  na, nb);
        assert_mtx_reads_back(a, &f.m.X);
        free(a);
        free(b);
        fit_free(&f);
    }
    // one row of 70,000 entries between two short ones: it spans three blocks of the writer
    enum { LONG = 70000 };
    char *wide = lab_malloc((size_t)LONG * 8 + 64);
    n = (size_t)sprintf(wide, "w1 w2\n");
    for (int w = 0; w < LONG; w++) {
        n += (size_t)sprintf(wide + n, "%sw%d", w ? " " : "", w);
    }
    n += (size_t)sprintf(wide + n, "\nw2 w3\n");
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    Fit f;
    fit_text(&f, wide, TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    cr_assert_eq(f.m.X.ptr[2] - f.m.X.ptr[1], LONG);
    omp_set_num_threads(1);
    cr_assert_eq(tfidf_write_mtx(&f.m, one, NULL), 0);
    omp_set_num_threads(2);
    cr_assert_eq(tfidf_write_mtx(&f.m, two, NULL), 0);
    char *a, *b;
    size_t na, nb;
    cr_assert_eq(lab_read_file(one, &a, &na, 0), 0);
    cr_assert_eq(lab_read_file(two, &b, &nb, 0), 0);
    cr_assert(na == nb && memcmp(a, b, na) == 0, "a long row: 1 and 2 threads differ");
    assert_mtx_reads_back(a, &f.m.X);
    free(a);
    free(b);
    fit_free(&f);
    free(wide);
    unlink(one);
    unlink(two);
    rmdir(dir);
    free(one);
    free(two);
    free(dir);
    free(text);
}

Test(tfidf, terms_and_docs_tables_hold_the_hand_computed_values)
{
    // the collection of the hand computation, from two files whose names need escaping
    TfidfDocs docs;
    tfidf_docs_init(&docs);
    tfidf_docs_add(&docs, "one\tfile.txt", lab_strdup("a b b\nb c\n"), 10, TFIDF_UNIT_LINE);
    tfidf_docs_add(&docs, "two\\file.txt", lab_strdup("\nc c c d\n"), 9, TFIDF_UNIT_LINE);
    Tokenizer tok;
    cr_assert_eq(tok_init(&tok, TOK_WORD, "\\S+", 0), 0);
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    TfidfModel m;
    cr_assert_eq(tfidf_fit(&m, &docs, &p, &tok), 0);
    char *dir = test_tmpdir();
    char *terms = lab_path_join(dir, "terms.tsv"), *dpath = lab_path_join(dir, "docs.tsv");
    cr_assert_eq(tfidf_write_terms(&m, terms), 0);
    cr_assert_eq(tfidf_write_docs(&docs, &m, dpath), 0);
    char *data;
    size_t len;
    cr_assert_eq(lab_read_file(terms, &data, &len, 0), 0);
    // idf: ln(4/2) + 1 and ln(4/3) + 1, as Python's repr writes them (the shortest exact text)
    cr_assert_str_eq(data, "column\tterm\tdf\tidf\ttotal\n"
                           "1\ta\t1\t1.6931471805599454\t1\n"
                           "2\tb\t2\t1.2876820724517808\t3\n"
                           "3\tc\t2\t1.2876820724517808\t4\n"
                           "4\td\t1\t1.6931471805599454\t1\n");
    free(data);
    cr_assert_eq(lab_read_file(dpath, &data, &len, 0), 0);
    cr_assert_str_eq(data, "doc\tfile\tline\tterms\n"
                           "1\tone\\tfile.txt\t1\t2\n"
                           "2\tone\\tfile.txt\t2\t2\n"
                           "3\ttwo\\\\file.txt\t2\t2\n");
    free(data);
    unlink(terms);
    unlink(dpath);
    rmdir(dir);
    free(terms);
    free(dpath);
    free(dir);
    tfidf_model_free(&m);
    tok_free(&tok);
    tfidf_docs_free(&docs);
}

Test(tfidf, write_files_makes_the_four_files_of_the_single_writers_or_fails_clearly)
{
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    Fit f;
    fit_text(&f, ABC, TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    char *dir = test_tmpdir();
    const char *names[] = {"matrix.mtx", "vocab.txt", "terms.tsv", "docs.tsv"};
    char *all[4], *one[4];
    for (int i = 0; i < 4; i++) {
        all[i] = lab_asprintf("%s/all-%s", dir, names[i]);
        one[i] = lab_asprintf("%s/one-%s", dir, names[i]);
    }
    cr_assert_eq(tfidf_write_mtx(&f.m, one[0], "c"), 0);
    cr_assert_eq(tfidf_write_vocab(&f.m, one[1]), 0);
    cr_assert_eq(tfidf_write_terms(&f.m, one[2]), 0);
    cr_assert_eq(tfidf_write_docs(&f.docs, &f.m, one[3]), 0);
    for (int threads = 1; threads <= 2; threads++) {
        omp_set_num_threads(threads);
        cr_assert_eq(tfidf_write_files(&f.docs, &f.m, (const char *const *)all, "c"), 0);
        for (int i = 0; i < 4; i++) {
            char *a, *b;
            size_t na, nb;
            cr_assert_eq(lab_read_file(all[i], &a, &na, 0), 0);
            cr_assert_eq(lab_read_file(one[i], &b, &nb, 0), 0);
            cr_assert(na == nb && memcmp(a, b, na) == 0, "%s differs (%d threads)", names[i],
                      threads);
            free(a);
            free(b);
        }
    }
    // docs.tsv cannot be written: -1, with the file named
    char *bad = lab_asprintf("%s/no/such/dir/docs.tsv", dir);
    const char *paths[4] = {all[0], all[1], all[2], bad};
    cr_redirect_stderr();
    cr_assert_eq(tfidf_write_files(&f.docs, &f.m, paths, NULL), -1);
    fflush(stderr);
    for (int i = 0; i < 4; i++) {
        unlink(all[i]);
        unlink(one[i]);
        free(all[i]);
        free(one[i]);
    }
    free(bad);
    rmdir(dir);
    free(dir);
    fit_free(&f);
}

Test(tfidf, every_row_counts_its_own_words_whatever_the_memo_holds)
{
    // 2,000 lines of 12 words drawn from 5,000 short words (up to 8 bytes, so every one goes
    // through the fit's memo, and many share a slot of it): each row must hold exactly the
    // words of its line, with their counts, read back through the vocabulary
    enum { LINES = 2000, WORDS = 12, TYPES = 5000 };
    char *text = lab_malloc((size_t)LINES * WORDS * 9 + 1);
    size_t n = 0;
    uint64_t x = 99;
    for (int l = 0; l < LINES; l++) {
        for (int w = 0; w < WORDS; w++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            unsigned id = (unsigned)((x >> 33) % TYPES);
            n += (size_t)sprintf(text + n, "%s%s%u", w ? " " : "", id % 2 ? "t" : "tt", id);
        }
        text[n++] = '\n';
    }
    text[n] = '\0';
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    Fit f;
    fit_text(&f, text, TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    const TfidfCsr *X = &f.m.X;
    for (long d = 0; d < LINES; d++) {
        const char *line = f.docs.doc[d];
        long total = 0;
        for (long long e = X->ptr[d]; e < X->ptr[d + 1]; e++) {
            const char *term = lab_strtab_key(&f.m.vocab, X->col[e]);
            size_t len = lab_strtab_len(&f.m.vocab, X->col[e]);
            long count = 0; // occurrences of term as a whole word of the line
            for (const char *q = line; q < line + f.docs.len[d];) {
                const char *sp = memchr(q, ' ', (size_t)(line + f.docs.len[d] - q));
                const char *end = sp ? sp : line + f.docs.len[d];
                count += (size_t)(end - q) == len && memcmp(q, term, len) == 0;
                q = end + 1;
            }
            cr_assert_eq(count, (long)X->count[e], "row %ld, '%s': counted %u, the line has %ld",
                         d + 1, term, X->count[e], count);
            total += count;
        }
        cr_assert_eq(total, WORDS, "row %ld holds every word of its line", d + 1);
    }
    fit_free(&f);
    free(text);
}

// --- scale and determinism ----------------------------------------------------------------------

Test(tfidf, a_hundred_thousand_documents_fit_sparse, .timeout = 120)
{
    // 100,000 documents of 8 words drawn (fixed LCG) from 50,000 made-up words
    enum { NDOCS = 100000, WORDS = 8, TYPES = 50000 };
    size_t cap = (size_t)NDOCS * WORDS * 8 + 1, n = 0;
    char *text = lab_malloc(cap);
    uint64_t x = 12345;
    for (int d = 0; d < NDOCS; d++) {
        for (int w = 0; w < WORDS; w++) {
            x = x * 6364136223846793005ull + 1442695040888963407ull;
            unsigned id = (unsigned)((x >> 33) % TYPES);
            n += (size_t)sprintf(text + n, "%sw%u", w ? " " : "", id);
        }
        text[n++] = '\n';
    }
    text[n] = '\0';
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    Fit f;
    fit_text(&f, text, TFIDF_UNIT_LINE, TOK_WORD, "\\S+", 0, &p);
    cr_assert_eq(f.m.X.rows, NDOCS);
    cr_assert_gt(f.m.X.cols, 49000, "almost every word occurs");
    cr_assert_leq(f.m.X.nnz, (long long)NDOCS * WORDS);
    cr_assert_gt(f.m.X.nnz, (long long)NDOCS * WORDS * 99 / 100, "few repeats in a document");
    cr_assert_eq(f.m.terms_counted, (long long)NDOCS * WORDS);
    TfidfHit hits[5];
    const TfidfCsr *X = &f.m.X;
    long k = tfidf_rank(&f.m, X->col, X->val, row_len(&f, 0), -1, 5, hits);
    cr_assert_gt(k, 0);
    cr_assert_eq(hits[0].doc, 0, "a document is most similar to itself");
    fit_free(&f);
    free(text);
}

Test(tfidf, results_do_not_depend_on_the_thread_count, .timeout = 120)
{
    char *text = read_dataset("datasets/tinyshakespeare/train.txt");
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    p.ngram_max = 2;
    Fit a, b;
    omp_set_num_threads(1);
    fit_text(&a, text, TFIDF_UNIT_LINE, TOK_WORD, NULL, 1, &p);
    omp_set_num_threads(3);
    fit_text(&b, text, TFIDF_UNIT_LINE, TOK_WORD, NULL, 1, &p);
    cr_assert_eq(a.m.X.nnz, b.m.X.nnz);
    cr_assert_eq(a.m.vocab.nbytes, b.m.vocab.nbytes);
    cr_assert(memcmp(a.m.vocab.bytes, b.m.vocab.bytes, a.m.vocab.nbytes) == 0);
    cr_assert(memcmp(a.m.X.ptr, b.m.X.ptr, (size_t)(a.m.X.rows + 1) * sizeof *a.m.X.ptr) == 0);
    cr_assert(memcmp(a.m.X.col, b.m.X.col, (size_t)a.m.X.nnz * sizeof *a.m.X.col) == 0);
    cr_assert(memcmp(a.m.X.val, b.m.X.val, (size_t)a.m.X.nnz * sizeof *a.m.X.val) == 0,
              "bitwise the same weights");
    fit_free(&a);
    fit_free(&b);
    free(text);
}

// --- scikit-learn -------------------------------------------------------------------------------
// Each case of tests/fixtures/sklearn/cases.tsv, with the lmlab options of its last column.

typedef struct {
    const char *name;
    TfidfUnit unit;
    TokKind kind;
    int lowercase;
    int ngram_min, ngram_max;
    int tf, idf, norm;
    const char *min_df, *max_df;
    long max_features;
    int stop; // tests/fixtures/sklearn/stop.txt
} SkCase;

// short names for the table: units, tf, idf, norms
#define LINE TFIDF_UNIT_LINE
#define PARA TFIDF_UNIT_PARAGRAPH
#define RAW TFIDF_TF_RAW
#define SUBLIN TFIDF_TF_SUBLINEAR
#define BIN TFIDF_TF_BINARY
#define SMOOTH TFIDF_IDF_SMOOTH
#define PLAIN TFIDF_IDF_PLAIN
#define SKPLAIN TFIDF_IDF_SKLEARN_PLAIN
#define NOIDF TFIDF_IDF_NONE
#define L2 TFIDF_NORM_L2
#define L1 TFIDF_NORM_L1
#define NONORM TFIDF_NORM_NONE
static const SkCase SK_CASES[] = {
    // name             unit  tokens  lower ngrams  tf  idf  norm  min_df max_df max_f stop
    {"default",         LINE, TOK_WORD, 1, 1, 1, RAW, SMOOTH, L2, "1", "1.0", 0, 0},
    {"sublinear",       LINE, TOK_WORD, 1, 1, 1, SUBLIN, SMOOTH, L2, "1", "1.0", 0, 0},
    {"binary",          LINE, TOK_WORD, 1, 1, 1, BIN, SMOOTH, L2, "1", "1.0", 0, 0},
    {"l1",              LINE, TOK_WORD, 1, 1, 1, RAW, SMOOTH, L1, "1", "1.0", 0, 0},
    {"nonorm",          LINE, TOK_WORD, 1, 1, 1, RAW, SMOOTH, NONORM, "1", "1.0", 0, 0},
    {"noidf",           LINE, TOK_WORD, 1, 1, 1, RAW, NOIDF, L2, "1", "1.0", 0, 0},
    {"unsmoothed",      LINE, TOK_WORD, 1, 1, 1, RAW, SKPLAIN, L2, "1", "1.0", 0, 0},
    {"bigrams",         LINE, TOK_WORD, 1, 1, 2, RAW, SMOOTH, L2, "1", "1.0", 0, 0},
    {"df_counts",       LINE, TOK_WORD, 1, 1, 1, RAW, SMOOTH, L2, "2", "0.5", 0, 0},
    {"df_proportions",  LINE, TOK_WORD, 1, 1, 1, RAW, SMOOTH, L2, "0.02", "12", 0, 0},
    {"max_features",    LINE, TOK_WORD, 1, 1, 1, RAW, SMOOTH, L2, "1", "1.0", 59, 0},
    {"char_1_3",        LINE, TOK_CHAR, 1, 1, 3, RAW, SMOOTH, L2, "1", "0.05", 0, 0},
    {"stop_bigrams",    LINE, TOK_WORD, 1, 1, 2, RAW, SMOOTH, L2, "1", "1.0", 0, 1},
    {"cased",           LINE, TOK_WORD, 0, 1, 1, RAW, SMOOTH, L2, "1", "1.0", 0, 0},
    {"paragraph",       PARA, TOK_WORD, 1, 1, 1, RAW, SMOOTH, L2, "1", "1.0", 0, 0},
    {"combo",           PARA, TOK_WORD, 1, 1, 3, SUBLIN, SKPLAIN, L1, "2", "1.0", 0, 0},
    {"textbook",        LINE, TOK_WORD, 1, 1, 1, RAW, PLAIN, L2, "1", "1.0", 0, 0},
};

// the file's lines, unescaped as vocab.txt is written (lmlab's own reader would not be
// independent)
static char **read_vocab(const char *path, int *n)
{
    char *data;
    size_t len;
    cr_assert_eq(lab_read_file(path, &data, &len, 0), 0, "cannot read %s", path);
    char **terms = lab_malloc((len + 1) * sizeof *terms);
    *n = 0;
    char *save = NULL;
    for (char *l = strtok_r(data, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        char *o = l;
        for (char *p = l; *p; p++) {
            if (*p == '\\' && p[1]) {
                p++;
                *o++ = *p == 'n' ? '\n' : *p == 'r' ? '\r' : *p == 't' ? '\t' : *p;
            } else {
                *o++ = *p;
            }
        }
        *o = '\0';
        terms[(*n)++] = lab_strdup(l);
    }
    free(data);
    return terms;
}

// Fits case sc on the corpus with the library (docs, tok, stop and m are the caller's to free).
static void fit_case(const SkCase *sc, const char *corpus, const char *stop_path, TfidfDocs *d,
                     Tokenizer *t, LabStrTab *s, TfidfModel *m)
{
    tfidf_docs_init(d);
    cr_assert_eq(tfidf_docs_read(d, corpus, sc->unit, UTF8_STRICT), 0);
    cr_assert_eq(tok_init(t, sc->kind, sc->kind == TOK_WORD ? TFIDF_SKLEARN_PATTERN : NULL,
                          sc->lowercase),
                 0);
    lab_strtab_init(s);
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    p.ngram_min = sc->ngram_min;
    p.ngram_max = sc->ngram_max;
    p.tf = sc->tf;
    p.idf = sc->idf;
    p.norm = sc->norm;
    cr_assert_eq(tfidf_df_parse(sc->min_df, &p.min_df), 0);
    cr_assert_eq(tfidf_df_parse(sc->max_df, &p.max_df), 0);
    p.max_features = sc->max_features;
    if (sc->stop) {
        cr_assert_eq(tfidf_stop_words_load(s, stop_path, 1), 0);
        p.stop = s;
    }
    cr_assert_eq(tfidf_fit(m, d, &p, t), 0, "%s: fit failed", sc->name);
}

Test(tfidf, equals_scikit_learn_tfidfvectorizer_to_1e_6, .timeout = 60)
{
    char *corpus = test_path("tests/fixtures/sklearn/corpus.txt");
    char *stop_path = test_path("tests/fixtures/sklearn/stop.txt");
    char *cases_path = test_path("tests/fixtures/sklearn/cases.tsv");
    char *cases;
    size_t clen;
    cr_assert_eq(lab_read_file(cases_path, &cases, &clen, 0), 0);
    int ncases = sizeof SK_CASES / sizeof *SK_CASES;
    for (int c = 0; c < ncases; c++) {
        const SkCase *sc = &SK_CASES[c];
        char *row = lab_asprintf("\n%s\t", sc->name);
        cr_assert(strstr(cases, row), "case '%s' is not in cases.tsv", sc->name);
        free(row);
        TfidfDocs docs;
        Tokenizer tok;
        LabStrTab stop;
        TfidfModel m;
        fit_case(sc, corpus, stop_path, &docs, &tok, &stop, &m);

        // the vocabulary, term by term
        char *vpath = lab_asprintf("%s/tests/fixtures/sklearn/%s.vocab",
                                   getenv("LMLAB_ROOT") ? getenv("LMLAB_ROOT") : ".", sc->name);
        int nv;
        char **want = read_vocab(vpath, &nv);
        cr_assert_eq(m.vocab.n, nv, "%s: %d terms, scikit-learn has %d", sc->name, m.vocab.n, nv);
        for (int j = 0; j < nv; j++) {
            size_t len = lab_strtab_len(&m.vocab, j);
            cr_assert(len == strlen(want[j]) &&
                          memcmp(lab_strtab_key(&m.vocab, j), want[j], len) == 0,
                      "%s: column %d is '%.*s', scikit-learn's is '%s'", sc->name, j + 1, (int)len,
                      lab_strtab_key(&m.vocab, j), want[j]);
            free(want[j]);
        }
        free(want);
        free(vpath);

        // the matrix, entry by entry in row and column order
        char *mpath = lab_asprintf("%s/tests/fixtures/sklearn/%s.mtx",
                                   getenv("LMLAB_ROOT") ? getenv("LMLAB_ROOT") : ".", sc->name);
        FILE *f = fopen(mpath, "r");
        cr_assert_not_null(f, "cannot open %s", mpath);
        char line[256];
        long rows = -1, cols = -1, nnz = -1;
        while (fgets(line, sizeof line, f)) {
            if (line[0] != '%') {
                cr_assert_eq(sscanf(line, "%ld %ld %ld", &rows, &cols, &nnz), 3);
                break;
            }
        }
        cr_assert_eq(rows, m.X.rows, "%s: %ld documents, scikit-learn has %ld", sc->name,
                     m.X.rows, rows);
        cr_assert_eq(cols, m.X.cols);
        long long e = 0;
        long d = 0;
        double worst = 0;
        for (long k = 0; k < nnz; k++) {
            long i, j;
            double v;
            cr_assert_eq(fscanf(f, "%ld %ld %lf", &i, &j, &v), 3);
            while (e < m.X.nnz && m.X.val[e] == 0) {
                e++; // an explicit zero is no entry of the file
            }
            while (d < m.X.rows && m.X.ptr[d + 1] <= e) {
                d++;
            }
            cr_assert(e < m.X.nnz, "%s: lmlab has fewer entries than scikit-learn", sc->name);
            cr_assert(d + 1 == i && m.X.col[e] + 1 == j,
                      "%s: lmlab's entry %lld is (%ld, %d), scikit-learn's (%ld, %ld)", sc->name,
                      e + 1, d + 1, m.X.col[e] + 1, i, j);
            cr_assert(fabs(m.X.val[e] - v) <= 1e-6, "%s: (%ld, %ld) = %.17g, scikit-learn %.17g",
                      sc->name, i, j, m.X.val[e], v);
            worst = fmax(worst, fabs(m.X.val[e] - v));
            e++;
        }
        while (e < m.X.nnz && m.X.val[e] == 0) {
            e++;
        }
        cr_assert_eq(e, m.X.nnz, "%s: lmlab has more entries than scikit-learn", sc->name);
        cr_assert(worst < 1e-12, "%s: the largest difference is %g (rounding is about 1e-16)",
                  sc->name, worst);
        fclose(f);
        free(mpath);
        tfidf_model_free(&m);
        lab_strtab_free(&stop);
        tok_free(&tok);
        tfidf_docs_free(&docs);
    }
    int rows_in_file = 0;
    for (char *s = cases; (s = strchr(s, '\n')); s++) {
        rows_in_file++;
    }
    cr_assert_eq(rows_in_file - 1, ncases, "every case of cases.tsv is tested");
    free(cases);
    free(cases_path);
    free(stop_path);
    free(corpus);
}

// tests/fixtures/sklearn/lmlab_NAME.mtx is what `lmlab tfidf matrix` wrote for case NAME, and
// lmlab_NAME.mmread what scipy.io.mmread read from it, each double as float.hex()
// (make_mmread_fixture.py). The library's writer must still make those lines, and scipy's
// doubles must be the fitted weights bit for bit.
Test(tfidf, scipy_mmread_reads_the_matrix_market_file_to_the_same_doubles, .timeout = 60)
{
    char *corpus = test_path("tests/fixtures/sklearn/corpus.txt");
    char *stop_path = test_path("tests/fixtures/sklearn/stop.txt");
    const char *names[] = {"default", "nonorm", "combo"};
    char *dir = test_tmpdir();
    char *ours = lab_path_join(dir, "m.mtx");
    for (size_t c = 0; c < sizeof names / sizeof *names; c++) {
        const SkCase *sc = NULL;
        for (size_t k = 0; k < sizeof SK_CASES / sizeof *SK_CASES; k++) {
            sc = strcmp(SK_CASES[k].name, names[c]) == 0 ? &SK_CASES[k] : sc;
        }
        cr_assert_not_null(sc);
        TfidfDocs docs;
        Tokenizer tok;
        LabStrTab stop;
        TfidfModel m;
        fit_case(sc, corpus, stop_path, &docs, &tok, &stop, &m);
        cr_assert_eq(tfidf_write_mtx(&m, ours, NULL), 0);
        char *rel = lab_asprintf("tests/fixtures/sklearn/lmlab_%s.mtx", sc->name);
        char *path = test_path(rel);
        char *want, *got;
        size_t nwant, ngot;
        cr_assert_eq(lab_read_file(path, &want, &nwant, 0), 0);
        cr_assert_eq(lab_read_file(ours, &got, &ngot, 0), 0);
        // from the size line on (the command adds a comment line after the banner)
        const char *w = strchr(want, '\n'), *g = strchr(got, '\n');
        while (w[1] == '%') {
            w = strchr(w + 1, '\n');
        }
        cr_assert_str_eq(g, w, "%s: the writer no longer makes the lines scipy read", sc->name);
        free(want);
        free(got);
        free(path);
        free(rel);
        rel = lab_asprintf("tests/fixtures/sklearn/lmlab_%s.mmread", sc->name);
        path = test_path(rel);
        FILE *f = fopen(path, "r");
        cr_assert_not_null(f, "cannot open %s", path);
        const TfidfCsr *X = &m.X;
        long long seen = 0;
        for (long d = 0; d < X->rows; d++) {
            for (long long e = X->ptr[d]; e < X->ptr[d + 1]; e++) {
                if (X->val[e] == 0) {
                    continue;
                }
                long i, j;
                char hex[64];
                cr_assert_eq(fscanf(f, "%ld %ld %63s", &i, &j, hex), 3, "%s: entry %lld",
                             sc->name, seen + 1);
                double v = strtod(hex, NULL); // hexadecimal: exact
                cr_assert(i == d + 1 && j == X->col[e] + 1, "%s: scipy's entry %lld is (%ld, %ld)",
                          sc->name, seen + 1, i, j);
                cr_assert(memcmp(&v, &X->val[e], sizeof v) == 0,
                          "%s: (%ld, %ld): scipy read %a, the weight is %a", sc->name, i, j, v,
                          X->val[e]);
                seen++;
            }
        }
        long i;
        cr_assert_eq(fscanf(f, "%ld", &i), EOF, "%s: scipy read more entries", sc->name);
        cr_assert_gt(seen, 100);
        fclose(f);
        free(path);
        free(rel);
        tfidf_model_free(&m);
        lab_strtab_free(&stop);
        tok_free(&tok);
        tfidf_docs_free(&docs);
    }
    unlink(ours);
    rmdir(dir);
    free(ours);
    free(dir);
    free(stop_path);
    free(corpus);
}
