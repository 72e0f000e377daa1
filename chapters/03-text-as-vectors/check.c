// check.c: the tests of chapter 03's exercises. Run them with `make check CH=03`.
//
// One test per exercise. Each compares your function with values computed by hand (and says
// what you might have missed when a known mistake gives the wrong value), then with what the
// lab computes: the weights of a real tf-idf matrix fitted by the lab on three tiny documents,
// and the lab's own formulas (ngram/tfidf.c, nn/word2vec.c) on random inputs drawn with a
// fixed seed, so a failure repeats exactly. Every test runs in its own process with a time
// limit: a crash or an endless loop fails that exercise only.
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exercises.h"
#include "lab/lab.h"
#include "ngram/tfidf.h"
#include "nn/word2vec.h"

#define CHECK_TOL 1e-9  // relative tolerance, absolute below 1 (a cosine or an idf may be ~0)
#define CHECK_FLOOR 1.0
#include "chapters/check.h" // agree, EXPECT, Mistake, hint_for, show2, N_OF, uniform_in

#define FTOL 1e-4    // the same against the lab's float training step
#define NRANDOM 2000 // random cases per exercise

// --- comparing and reporting ------------------------------------------------------------------


static const char *TF_NAME[] = {"EX_TF_RAW", "EX_TF_BINARY", "EX_TF_SUBLINEAR"};

// --- a real matrix: the three documents "a b b", "b c", "c c c d" ---------------------------
//
// N = 3; df: a 1, b 2, c 2, d 1; columns a b c d. The lab fits it as `lmlab tfidf` would,
// with the tokenizer \S+ (every run of non-space characters is a term).
static const char *ABC = "a b b\nb c\nc c c d\n";

typedef struct {
    TfidfDocs docs;
    Tokenizer tok;
    TfidfModel m;
} Fit;

static void fit_abc(Fit *f, TfidfTf tf, TfidfIdf idf, TfidfNorm norm)
{
    memset(f, 0, sizeof *f);
    TfidfParams p = TFIDF_PARAMS_DEFAULT;
    p.tf = tf;
    p.idf = idf;
    p.norm = norm;
    tfidf_docs_init(&f->docs);
    tfidf_docs_add(&f->docs, "abc", lab_strdup(ABC), strlen(ABC), TFIDF_UNIT_LINE);
    cr_assert_eq(tok_init(&f->tok, TOK_WORD, "\\S+", 0), 0, "lab: cannot make a tokenizer");
    cr_assert_eq(tfidf_fit(&f->m, &f->docs, &p, &f->tok), 0, "lab: tfidf_fit failed");
    cr_assert_eq(f->m.X.rows, 3, "lab: the tiny collection has not 3 documents");
    cr_assert_eq(f->m.X.cols, 4, "lab: the tiny collection has not 4 terms");
}

static void fit_free(Fit *f)
{
    tfidf_model_free(&f->m);
    tok_free(&f->tok);
    tfidf_docs_free(&f->docs);
}

// --- 1. idf --------------------------------------------------------------------------------------

Test(ch03, ex01_idf, .timeout = 10)
{
    const Mistake ms[] = {
        {log(4.0 / 3), "that is ln((1 + N) / (1 + df)) without the final + 1: scikit-learn adds "
                       "1 so that a term in every document keeps a weight"},
        {log(3.0 / 2) + 1, "that is ln(N / df) + 1: the smooth idf also adds 1 to N and to df "
                           "(as if one more document held every term)"},
        {log(3.0 / 2), "that is the textbook ln(N / df); this call asks for the smooth idf"},
        {1.0, "1 = ln(1) + 1: did you divide two integers? (1 + N) / (1 + df) = 4 / 3 is 1 "
              "in integer arithmetic; convert to double first"},
        {log10(4.0 / 3) + 1, "use the natural logarithm log(), not log10()"},
    };
    EXPECT(ex_idf(3, 2, 1), log(4.0 / 3) + 1,
           hint_for(ex_idf(3, 2, 1), ms, N_OF(ms), "ln((1 + 3) / (1 + 2)) + 1 = 1.2877"),
           "ex_idf(N = 3, df = 2, smooth = 1)");
    const Mistake mp[] = {
        {0.0, "0 = ln(1): did you divide two integers? N / df = 3 / 2 is 1 in integer "
              "arithmetic; convert to double first"},
        {log(4.0 / 3) + 1, "that is the smooth idf; smooth = 0 asks for the textbook ln(N / df)"},
        {log(1.5) + 1, "the textbook idf has no + 1: ln(N / df)"},
        {log10(1.5), "use the natural logarithm log(), not log10()"},
    };
    EXPECT(ex_idf(3, 2, 0), log(1.5), hint_for(ex_idf(3, 2, 0), mp, N_OF(mp), "ln(3 / 2) = 0.4055"),
           "ex_idf(N = 3, df = 2, smooth = 0)");
    EXPECT(ex_idf(3, 1, 1), log(2.0) + 1, "a term in one document of three: ln(4 / 2) + 1",
           "ex_idf(N = 3, df = 1, smooth = 1)");
    EXPECT(ex_idf(10, 10, 1), 1.0,
           "a term in every document: ln(11 / 11) + 1 = 1, so it keeps a (small) weight",
           "ex_idf(N = 10, df = 10, smooth = 1)");
    EXPECT(ex_idf(10, 10, 0), 0.0,
           "a term in every document: the textbook ln(10 / 10) = 0 wipes it out",
           "ex_idf(N = 10, df = 10, smooth = 0)");
    EXPECT(ex_idf(3000000000L, 1, 0), log(3e9),
           "a large collection: compute in double (or long), never in int",
           "ex_idf(N = 3000000000, df = 1, smooth = 0)");

    // the idf of every column of a matrix the lab fitted on "a b b", "b c", "c c c d"
    static const char *terms[] = {"a", "b", "c", "d"};
    for (int smooth = 0; smooth <= 1; smooth++) {
        Fit f;
        fit_abc(&f, TFIDF_TF_RAW, smooth ? TFIDF_IDF_SMOOTH : TFIDF_IDF_PLAIN, TFIDF_NORM_L2);
        for (int j = 0; j < 4; j++) {
            EXPECT(ex_idf(3, f.m.df[j], smooth), f.m.idf[j],
                   "the lab's tf-idf matrix of the lines \"a b b\", \"b c\", \"c c c d\" has "
                   "this idf for the term",
                   "idf('%s'): ex_idf(N = 3, df = %lld, smooth = %d)", terms[j], f.m.df[j], smooth);
        }
        fit_free(&f);
    }

    LabRng rng;
    lab_rng_seed(&rng, 301);
    for (int c = 0; c < NRANDOM; c++) {
        long N = 1 + (long)lab_rng_below(&rng, c % 2 ? 1000 : 2000000000);
        long long df = 1 + (long long)lab_rng_below(&rng, (uint64_t)N);
        int smooth = c % 3 != 0;
        EXPECT(ex_idf(N, df, smooth), tfidf_idf(smooth ? TFIDF_IDF_SMOOTH : TFIDF_IDF_PLAIN, N, df),
               "the lab's tfidf_idf gives the expected value",
               "random case %d: ex_idf(N = %ld, df = %lld, smooth = %d)", c, N, df, smooth);
    }
}

// --- 2. tf-idf weight ----------------------------------------------------------------------------

Test(ch03, ex02_tfidf_weight, .timeout = 10)
{
    const double idf = log(4.0 / 3) + 1; // N = 3, df = 2
    const Mistake mr[] = {
        {2 * log(1.5), "that is count * ln(N / df): use the smooth idf of exercise 1"},
        {idf, "that is the idf alone: multiply it by tf = count (raw tf)"},
        {2.0, "that is count * 1: multiply the count by the smooth idf ln(4/3) + 1 (if you call "
              "ex_idf, see its test: an integer division makes it 1)"},
    };
    EXPECT(ex_tfidf_weight(EX_TF_RAW, 2, 3, 2), 2 * idf,
           hint_for(ex_tfidf_weight(EX_TF_RAW, 2, 3, 2), mr, N_OF(mr),
                    "raw tf: 2 * (ln(4/3) + 1) = 2.5754"),
           "ex_tfidf_weight(EX_TF_RAW, count = 2, N = 3, df = 2)");
    EXPECT(ex_tfidf_weight(EX_TF_BINARY, 2, 3, 2), idf,
           "binary tf is 1 for any count > 0: the weight is the idf, 1.2877",
           "ex_tfidf_weight(EX_TF_BINARY, count = 2, N = 3, df = 2)");
    const Mistake ml[] = {
        {log(2.0) * idf, "sublinear tf is 1 + ln(count), not ln(count)"},
        {(1 + log10(2.0)) * idf, "use the natural logarithm log(), not log10()"},
    };
    EXPECT(ex_tfidf_weight(EX_TF_SUBLINEAR, 2, 3, 2), (1 + log(2.0)) * idf,
           hint_for(ex_tfidf_weight(EX_TF_SUBLINEAR, 2, 3, 2), ml, N_OF(ml),
                    "sublinear tf: (1 + ln 2) * 1.2877 = 2.1802"),
           "ex_tfidf_weight(EX_TF_SUBLINEAR, count = 2, N = 3, df = 2)");
    EXPECT(ex_tfidf_weight(EX_TF_SUBLINEAR, 1, 3, 2), idf,
           "a single occurrence: 1 + ln 1 = 1 for sublinear tf",
           "ex_tfidf_weight(EX_TF_SUBLINEAR, count = 1, N = 3, df = 2)");
    for (int tf = EX_TF_RAW; tf <= EX_TF_SUBLINEAR; tf++) {
        EXPECT(ex_tfidf_weight(tf, 0, 3, 2), 0.0,
               tf == EX_TF_SUBLINEAR
                   ? "count 0 has weight 0 under every tf; 1 + ln(0) is -infinity, so test "
                     "count == 0 first"
                   : "count 0: the term is not in the document, its weight is 0",
               "ex_tfidf_weight(%s, count = 0, N = 3, df = 2)", TF_NAME[tf]);
    }

    // every stored weight of the lab's matrix of "a b b", "b c", "c c c d" (smooth idf, no
    // row norm) under each tf
    static const char *terms[] = {"a", "b", "c", "d"};
    for (int tf = EX_TF_RAW; tf <= EX_TF_SUBLINEAR; tf++) {
        static const TfidfTf kind[] = {TFIDF_TF_RAW, TFIDF_TF_BINARY, TFIDF_TF_SUBLINEAR};
        Fit f;
        fit_abc(&f, kind[tf], TFIDF_IDF_SMOOTH, TFIDF_NORM_NONE);
        for (long d = 0; d < f.m.X.rows; d++) {
            for (long long e = f.m.X.ptr[d]; e < f.m.X.ptr[d + 1]; e++) {
                int32_t j = f.m.X.col[e];
                long long cnt = f.m.X.count[e];
                EXPECT(ex_tfidf_weight(tf, cnt, 3, f.m.df[j]), f.m.X.val[e],
                       "the lab's tf-idf matrix of the lines \"a b b\", \"b c\", \"c c c d\" "
                       "(smooth idf, --norm none) has this weight",
                       "document %ld, term '%s': ex_tfidf_weight(%s, count = %lld, N = 3, df = "
                       "%lld)",
                       d + 1, terms[j], TF_NAME[tf], cnt, f.m.df[j]);
            }
        }
        fit_free(&f);
    }

    LabRng rng;
    lab_rng_seed(&rng, 302);
    for (int c = 0; c < NRANDOM; c++) {
        static const TfidfTf kind[] = {TFIDF_TF_RAW, TFIDF_TF_BINARY, TFIDF_TF_SUBLINEAR};
        int tf = c % 3;
        long N = 1 + (long)lab_rng_below(&rng, 1000000);
        long long df = 1 + (long long)lab_rng_below(&rng, (uint64_t)N);
        long long cnt = c % 10 == 0 ? 0 : 1 + (long long)lab_rng_below(&rng, 10000);
        EXPECT(ex_tfidf_weight(tf, cnt, N, df),
               tfidf_tf(kind[tf], (double)cnt) * tfidf_idf(TFIDF_IDF_SMOOTH, N, df),
               "the lab computes tfidf_tf(count) * tfidf_idf(smooth)",
               "random case %d: ex_tfidf_weight(%s, count = %lld, N = %ld, df = %lld)", c,
               TF_NAME[tf], cnt, N, df);
    }
}

// --- 3. cosine -----------------------------------------------------------------------------------

Test(ch03, ex03_cosine, .timeout = 10)
{
    const double a[] = {1, 2, 0}, b[] = {2, 1, 1};
    const Mistake m[] = {
        {4.0, "that is the dot product a . b alone: divide it by |a| |b|"},
        {4.0 / 30, "divide by the lengths |a| = sqrt(a . a), not by a . a itself"},
        {4.0 / 5, "divide by both lengths, |a| |b|, not by |a|^2"},
    };
    EXPECT(ex_cosine(a, b, 3), 4 / sqrt(30.0),
           hint_for(ex_cosine(a, b, 3), m, N_OF(m),
                    "a . b = 4, |a| = sqrt 5, |b| = sqrt 6: 4 / sqrt 30 = 0.7303"),
           "ex_cosine(a = {1, 2, 0}, b = {2, 1, 1}, D = 3)");
    const double a3[] = {3, 6, 0};
    EXPECT(ex_cosine(a, a3, 3), 1.0,
           "b = 3a points the same way as a: the cosine ignores length, so it is 1",
           "ex_cosine(a = {1, 2, 0}, b = {3, 6, 0}, D = 3)");
    const double x[] = {1, 0, 0, 2}, y[] = {0, 5, 1, 0};
    EXPECT(ex_cosine(x, y, 4), 0.0, "no coordinate is non-zero in both: a . b = 0, cosine 0",
           "ex_cosine(a = {1, 0, 0, 2}, b = {0, 5, 1, 0}, D = 4)");
    const double na[] = {-1, -2, 0};
    EXPECT(ex_cosine(a, na, 3), -1.0, "opposite directions give -1",
           "ex_cosine(a = {1, 2, 0}, b = {-1, -2, 0}, D = 3)");
    const double z[] = {0, 0, 0};
    EXPECT(ex_cosine(a, z, 3), 0.0,
           "b is all zeros: the cosine is 0 / 0; return 0 (check for a zero length before "
           "dividing)",
           "ex_cosine(a = {1, 2, 0}, b = {0, 0, 0}, D = 3)");
    EXPECT(ex_cosine(z, z, 3), 0.0, "both all zeros: return 0",
           "ex_cosine(a = {0, 0, 0}, b = {0, 0, 0}, D = 3)");
    const double one[] = {-2.5}, two[] = {4};
    EXPECT(ex_cosine(one, two, 1), -1.0, "D = 1: two numbers of opposite sign",
           "ex_cosine(a = {-2.5}, b = {4}, D = 1)");

    // the lab's rows of "a b b", "b c", "c c c d" (smooth idf, l2), made dense: the cosines
    // `lmlab tfidf similar` would print
    Fit f;
    fit_abc(&f, TFIDF_TF_RAW, TFIDF_IDF_SMOOTH, TFIDF_NORM_L2);
    double dense[3][4] = {{0}};
    for (long d = 0; d < 3; d++) {
        for (long long e = f.m.X.ptr[d]; e < f.m.X.ptr[d + 1]; e++) {
            dense[d][f.m.X.col[e]] = f.m.X.val[e];
        }
    }
    for (long d1 = 0; d1 < 3; d1++) {
        for (long d2 = 0; d2 < 3; d2++) {
            const TfidfCsr *X = &f.m.X;
            double want = tfidf_cosine(X->col + X->ptr[d1], X->val + X->ptr[d1],
                                       (long)(X->ptr[d1 + 1] - X->ptr[d1]), X->col + X->ptr[d2],
                                       X->val + X->ptr[d2], (long)(X->ptr[d2 + 1] - X->ptr[d2]));
            EXPECT(ex_cosine(dense[d1], dense[d2], 4), want,
                   "the lab's cosine of these two rows of the tf-idf matrix of \"a b b\", "
                   "\"b c\", \"c c c d\" (a document with itself gives 1)",
                   "documents %ld and %ld: ex_cosine({%.4f, %.4f, %.4f, %.4f}, {%.4f, %.4f, "
                   "%.4f, %.4f}, D = 4)",
                   d1 + 1, d2 + 1, dense[d1][0], dense[d1][1], dense[d1][2], dense[d1][3],
                   dense[d2][0], dense[d2][1], dense[d2][2], dense[d2][3]);
        }
    }
    fit_free(&f);

    LabRng rng;
    lab_rng_seed(&rng, 303);
    enum { DMAX = 64 };
    int32_t col[DMAX];
    for (int i = 0; i < DMAX; i++) {
        col[i] = i;
    }
    for (int c = 0; c < NRANDOM; c++) {
        int D = 1 + (int)lab_rng_below(&rng, DMAX);
        double u[DMAX], v[DMAX];
        for (int i = 0; i < D; i++) {
            // sparse and non-negative like tf-idf rows half the time, dense and signed else
            int sparse = c % 2 == 0;
            u[i] = sparse && lab_rng_uniform(&rng) < 0.6 ? 0 : uniform_in(&rng, sparse ? 0 : -3, 3);
            v[i] = sparse && lab_rng_uniform(&rng) < 0.6 ? 0 : uniform_in(&rng, sparse ? 0 : -3, 3);
        }
        if (c % 50 == 7) {
            memset(v, 0, sizeof v);
        }
        EXPECT(ex_cosine(u, v, D), tfidf_cosine(col, u, D, col, v, D),
               "the lab's tfidf_cosine gives the expected value (0 when a vector is all zeros)",
               "random case %d: ex_cosine(a = {%.4g, ...}, b = {%.4g, ...}, D = %d)", c, u[0], v[0],
               D);
    }
}

// --- 4. negative-sampling step -------------------------------------------------------------------

// The step as the lab defines it: the loss and gradient of w2v_ns_loss at the point before
// the step, then neu1e -= alpha dL/dh and u -= alpha dL/du (docs/word2vec.md).
static double lab_step(double *neu1e, const double *h, double *u, int K, double alpha, int D)
{
    double *dh = lab_malloc((size_t)D * sizeof *dh);
    double *du = lab_malloc((size_t)(K + 1) * D * sizeof *du);
    double L = w2v_ns_loss(dh, du, h, u, K, D);
    for (int i = 0; i < D; i++) {
        neu1e[i] -= alpha * dh[i];
    }
    for (long i = 0; i < (long)(K + 1) * D; i++) {
        u[i] -= alpha * du[i];
    }
    free(dh);
    free(du);
    return L;
}

// Runs ex_ns_step on copies of (neu1e, h, u) and compares the loss, neu1e, u and h with
// want_L, want_neu1e, want_u (h must not change) to tol. what names the case.
static void expect_step(const double *neu1e0, const double *h, const double *u0, int K,
                        double alpha, int D, double want_L, const double *want_neu1e,
                        const double *want_u, double tol, const char *what, const char *hint)
{
    size_t nu = (size_t)(K + 1) * D;
    double *neu1e = lab_malloc((size_t)D * sizeof *neu1e);
    double *hh = lab_malloc((size_t)D * sizeof *hh);
    double *u = lab_malloc(nu * sizeof *u);
    memcpy(neu1e, neu1e0, (size_t)D * sizeof *neu1e);
    memcpy(hh, h, (size_t)D * sizeof *hh);
    memcpy(u, u0, nu * sizeof *u);
    double L = ex_ns_step(neu1e, hh, u, K, alpha, D);
    char gs[40], ws[40];
    if (!agree_to(L, want_L, tol)) {
        show2(L, want_L, gs, ws, sizeof gs);
        cr_assert_fail("%s: returned the loss %s, expected %s\n%s", what, gs, ws, hint);
    }
    for (int i = 0; i < D; i++) {
        if (hh[i] != h[i]) {
            cr_assert_fail("%s: h[%d] changed from %.6g to %.6g\nh is read only: the caller "
                           "adds neu1e to it after the step",
                           what, i, h[i], hh[i]);
        }
    }
    for (int i = 0; i < D; i++) {
        if (!agree_to(neu1e[i], want_neu1e[i], tol)) {
            show2(neu1e[i], want_neu1e[i], gs, ws, sizeof gs);
            cr_assert_fail("%s: neu1e[%d] = %s after the step, expected %s\n%s", what, i, gs, ws,
                           hint);
        }
    }
    for (size_t k = 0; k < nu; k++) {
        if (!agree_to(u[k], want_u[k], tol)) {
            show2(u[k], want_u[k], gs, ws, sizeof gs);
            cr_assert_fail("%s: u_%zu[%zu] = %s after the step, expected %s\n%s", what,
                           k / (size_t)D, k % (size_t)D, gs, ws, hint);
        }
    }
    free(neu1e);
    free(hh);
    free(u);
}

Test(ch03, ex04_ns_step, .timeout = 10)
{
    // the example of exercises.h: h = {1, 0}, u_0 = {ln 3, 0}, u_1 = {0, 1}, alpha = 1
    const double h[] = {1, 0}, u0[] = {log(3.0), 0, 0, 1}, zero[] = {0, 0};
    {
        double neu1e[2] = {0, 0}, hh[2] = {1, 0}, u[4];
        memcpy(u, u0, sizeof u);
        double L = ex_ns_step(neu1e, hh, u, 1, 1.0, 2);
        const Mistake m[] = {
            {-log(0.75), "that is only the positive term -ln s(u_0 . h): add -ln s(-u_k . h) "
                         "for every negative"},
            {-log(8.0 / 3), "the loss is MINUS the log-sigmoids: -ln s(u_0 . h) - sum_k "
                            "ln s(-u_k . h) is never negative"},
        };
        EXPECT(L, log(8.0 / 3),
               hint_for(L, m, N_OF(m),
                        "f_0 = ln 3, s(f_0) = 3/4; f_1 = 0, s(-f_1) = 1/2: "
                        "L = -ln(3/4) - ln(1/2) = ln(8/3)"),
               "ex_ns_step(neu1e = {0, 0}, h = {1, 0}, u = {{ln 3, 0}, {0, 1}}, K = 1, alpha = 1, "
               "D = 2) returned the loss");
        const Mistake mn[] = {
            {0.25 * (log(3.0) + 0.25) + 0.25,
             "neu1e takes u_j as it was BEFORE its update: add g u_j to neu1e, then update u_j"},
            {-0.25 * log(3.0), "g = alpha (t - s(f)), label minus sigmoid: the sign is flipped"},
        };
        EXPECT(neu1e[0], 0.25 * log(3.0),
               hint_for(neu1e[0], mn, N_OF(mn), "neu1e = 1/4 u_0 - 1/2 u_1 = {ln(3)/4, -1/2}"),
               "the example of exercises.h: neu1e[0] after the step");
        EXPECT(neu1e[1], -0.5,
               "the negative u_1 = {0, 1} has f = 0, s = 1/2, g = -1/2: neu1e[1] = -1/2",
               "the example of exercises.h: neu1e[1] after the step");
        EXPECT(u[0], log(3.0) + 0.25, "u_0 += g_0 h with g_0 = 1 - 3/4 = 1/4",
               "the example of exercises.h: u_0[0] after the step");
        EXPECT(u[2], -0.5, "u_1 += g_1 h with g_1 = 0 - 1/2: u_1[0] = 0 - 1/2",
               "the example of exercises.h: u_1[0] after the step");
        EXPECT(u[3], 1.0, "h[1] = 0, so u_1[1] does not move",
               "the example of exercises.h: u_1[1] after the step");
        cr_expect(hh[0] == 1 && hh[1] == 0, "h is read only");
    }
    {
        // neu1e accumulates: start it at {1, 1}
        const double start[] = {1, 1}, want_n[] = {1 + 0.25 * log(3.0), 0.5},
                     want_u[] = {log(3.0) + 0.25, 0, -0.5, 1};
        expect_step(start, h, u0, 1, 1.0, 2, log(8.0 / 3), want_n, want_u, CHECK_TOL,
                    "ex_ns_step(neu1e = {1, 1}, h = {1, 0}, u = {{ln 3, 0}, {0, 1}}, K = 1, "
                    "alpha = 1, D = 2)",
                    "neu1e ACCUMULATES: add g u_j to what it holds ({1, 1} here), do not "
                    "overwrite it");
    }
    {
        // the very first step of training: the output vectors start at zero (word2vec.c), so
        // every f is 0, every s is 1/2, neu1e does not move and u_j moves by +-alpha/2 h
        const double hf[] = {1, 2}, uz[] = {0, 0, 0, 0, 0, 0},
                     want_u[] = {0.05, 0.1, -0.05, -0.1, -0.05, -0.1};
        expect_step(zero, hf, uz, 2, 0.1, 2, 3 * log(2.0), zero, want_u, CHECK_TOL,
                    "ex_ns_step(neu1e = {0, 0}, h = {1, 2}, u = three zero rows, K = 2, "
                    "alpha = 0.1, D = 2)",
                    "all scores are 0, so s = 1/2 for each term: L = 3 ln 2, g = +0.05 for the "
                    "positive and -0.05 for each negative; neu1e stays 0 (u_j was 0)");
    }

    LabRng rng;
    lab_rng_seed(&rng, 304);
    enum { DMAX = 48, KMAX = 10 };
    for (int c = 0; c < NRANDOM; c++) {
        int D = 1 + (int)lab_rng_below(&rng, DMAX);
        int K = 1 + (int)lab_rng_below(&rng, KMAX);
        double alpha = exp(uniform_in(&rng, log(1e-3), log(1.0)));
        double scale = c % 4 == 0 ? 2.0 : 0.5; // sometimes large scores: f up to ~10
        double hv[DMAX], u[(KMAX + 1) * DMAX], neu1e[DMAX];
        for (int i = 0; i < D; i++) {
            hv[i] = uniform_in(&rng, -scale, scale) / sqrt((double)D);
            neu1e[i] = uniform_in(&rng, -0.1, 0.1);
        }
        for (int i = 0; i < (K + 1) * D; i++) {
            u[i] = uniform_in(&rng, -scale, scale) / sqrt((double)D) * 3;
        }
        double want_n[DMAX], want_u[(KMAX + 1) * DMAX];
        memcpy(want_n, neu1e, sizeof want_n);
        memcpy(want_u, u, sizeof want_u);
        double want_L = lab_step(want_n, hv, want_u, K, alpha, D);
        char what[160];
        snprintf(what, sizeof what, "random case %d: ex_ns_step(D = %d, K = %d, alpha = %.6g)", c,
                 D, K, alpha);
        expect_step(neu1e, hv, u, K, alpha, D, want_L, want_n, want_u, CHECK_TOL, what,
                    "the lab's w2v_ns_loss gradient, one step of -alpha times it, gives the "
                    "expected value");

        // and the float step `lmlab word2vec train` takes, to float precision
        if (c % 10 == 0) {
            float fn[DMAX], fh[DMAX], fu[(KMAX + 1) * DMAX], *rows[KMAX + 1];
            for (int i = 0; i < D; i++) {
                fn[i] = (float)neu1e[i];
                fh[i] = (float)hv[i];
            }
            for (int i = 0; i < (K + 1) * D; i++) {
                fu[i] = (float)u[i];
            }
            for (int j = 0; j <= K; j++) {
                rows[j] = fu + (size_t)j * D;
            }
            // the lab's step on the float-rounded inputs; yours on the same inputs in double
            double fL = w2v_ns_step(fn, fh, rows, K, (float)alpha, D);
            double dn[DMAX], dh[DMAX], du[(KMAX + 1) * DMAX], wn[DMAX], wu[(KMAX + 1) * DMAX];
            for (int i = 0; i < D; i++) {
                dn[i] = (double)(float)neu1e[i];
                dh[i] = fh[i];
                wn[i] = fn[i];
            }
            for (int i = 0; i < (K + 1) * D; i++) {
                du[i] = (double)(float)u[i];
                wu[i] = fu[i];
            }
            snprintf(what, sizeof what,
                     "random case %d, against training's float step: ex_ns_step(D = %d, K = %d, "
                     "alpha = %.6g)",
                     c, D, K, (double)(float)alpha);
            expect_step(dn, dh, du, K, (double)(float)alpha, D, fL, wn, wu, FTOL, what,
                        "the step `lmlab word2vec train` takes (w2v_ns_step, in float) gives "
                        "the expected value");
        }
    }
}

// --- 5. open: answers read off `lmlab tfidf` --------------------------------------------------------

// The accepted answers come from running the lab with the options of sections 5 to 7
// (--dataset timemachine --unit paragraph --lowercase --stop-words english):
//   search --query 'white sphinx' --k 2
//     1      156  line 1166      0.3146   'But it _was_ the lawn. For the white leprous face...
//     2      265  line 2711      0.2285   'I awoke a little before sunsetting. I now felt safe...
//   top --doc 100 --k 3
//     1  0.2374          3  silent
//     2  0.2228          4  traveller
//     3  0.2090          4  man
Test(ch03, ex05_open_answers_read_off_tfidf, .timeout = 10)
{
    long doc = ex_open_sphinx_doc();
    if (doc != 156) {
        cr_assert_fail("ex_open_sphinx_doc() = %ld, which is not the first document of the "
                       "search\n%s", doc,
                       doc == 1166 ? "1166 is its line in the file: the document number is the "
                                     "column `doc`"
                       : doc == 265 ? "that one is second: the first has the larger cosine"
                       : "run `./lmlab tfidf search --dataset timemachine --unit paragraph "
                         "--lowercase --stop-words english --query 'white sphinx'`");
    }
    const char *t = ex_open_top_term();
    if (t == NULL || strcmp(t, "silent") != 0) {
        cr_assert_fail("ex_open_top_term() = \"%s\", which is not the top term of document "
                       "100\n%s", t ? t : "(NULL)",
                       t && (strcmp(t, "traveller") == 0 || strcmp(t, "man") == 0)
                           ? "it occurs more often, but in many paragraphs: tf-idf ranks by "
                             "weight, not count"
                           : "run `./lmlab tfidf top` with --doc 100 and the options of "
                             "section 5; the term comes in lowercase");
    }
}
