// test_readers.c: the readers of outside data (ARPA, word2vec vectors, vocab.txt) on broken
// and hostile input: each refuses it with a message naming the file, the line and the defect,
// and the quoting helper keeps what they quote printable. The inputs the fuzzer found are
// replayed here too (tests/fuzz/regressions/), so the suite keeps them fixed without a fuzzer.
#include "tests/helpers.h"

#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <omp.h>

#include "datasets/datasets.h"
#include "ngram/ngram.h"
#include "nn/word2vec.h"

// Runs fn(path) with stderr sent to a file; returns fn's status and what it printed.
typedef int (*ReadFn)(const char *path);

static int run_capture(ReadFn fn, const char *path, char **err)
{
    char *dir = test_tmpdir();
    char *log = lab_path_join(dir, "stderr");
    fflush(stderr);
    int saved = dup(2);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(fd >= 0 && saved >= 0);
    dup2(fd, 2);
    close(fd);
    int status = fn(path);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t n;
    cr_assert_eq(lab_read_file(log, err, &n, 0), 0);
    free(log);
    free(dir);
    return status;
}

static int read_arpa(const char *path)
{
    NgramModel m;
    int s = ngram_arpa_read(&m, path, UNIT_LINE);
    if (s == 0) {
        ngram_model_free(&m);
    }
    return s;
}

static int read_vectors(const char *path)
{
    W2vVectors v;
    int s = w2v_vectors_read(&v, path);
    if (s == 0) {
        w2v_vectors_free(&v);
    }
    return s;
}

static int read_vocab(const char *path)
{
    Vocab v;
    int s = vocab_load(&v, path);
    if (s == 0) {
        vocab_free(&v);
    }
    return s;
}

static void expect_refused(ReadFn fn, const char *path, const char *needle)
{
    char *err;
    int s = run_capture(fn, path, &err);
    cr_assert_eq(s, -1, "'%s' was accepted", path);
    cr_assert(strstr(err, needle), "'%s': expected a message with \"%s\", got: %s", path, needle,
              err);
    free(err);
}

// --- quoting ----------------------------------------------------------------------------------

Test(readers, quote_escapes_control_bytes_and_invalid_utf8_and_keeps_valid_utf8)
{
    char buf[64];
    const char s[] = "a\x1b[31m\tb\\\xff\xc3\xa9\x7f\xc2\x85";
    cr_assert_str_eq(lab_quote(buf, sizeof buf, s, sizeof s - 1),
                     "a\\x1b[31m\\x09b\\\\xff\xc3\xa9\\x7f\\xc2\\x85");
    const char nul[] = {'x', '\0', 'y'};
    cr_assert_str_eq(lab_quote(buf, sizeof buf, nul, 3), "x\\x00y");
}

Test(readers, quote_cuts_a_long_text_with_an_ellipsis_inside_the_buffer)
{
    char buf[10];
    cr_assert_str_eq(lab_quote(buf, sizeof buf, "abcdefghij", 10), "abcdef...");
    cr_assert_str_eq(lab_quote(buf, sizeof buf, "abcdefghi", 9), "abcdefghi"); // fits exactly
    cr_assert_str_eq(lab_quote(buf, sizeof buf, "abcde\x01xyz", 9), "abcde...");
}

// --- ARPA -------------------------------------------------------------------------------------

Test(readers, arpa_defects_are_refused_naming_the_file_line_and_defect)
{
    const char *cases[][2] = {
        {"positive_logprob", "positive_logprob.arpa' line 7: the log10 probability 0.30103 of "
                             "'hello' is above 0"},
        {"nan_logprob", "nan_logprob.arpa' line 7: the log10 probability 'nan' is neither"},
        {"overflow_logprob", "line 7: the log10 probability '1e400' is neither a finite number"},
        {"inf_backoff", "inf_backoff.arpa' line 7: the log10 backoff weight 'inf' is not a "
                        "finite number"},
        {"bom", "bom.arpa' starts with a UTF-8 byte-order mark (EF BB BF)"},
        {"huge_total", "huge_total.arpa' line 4: 'ngram 3=4' declares more entries than the file "
                       "has lines (12 in all, 8 lines left)"},
        {"huge_count", "huge_count.arpa' line 2: 'ngram 1=4000000000' declares more entries"},
        {"duplicate", "duplicate.arpa' line 7: a 1-gram ending in '</s>' is listed twice"},
        {"count_mismatch", "count_mismatch.arpa' line 10: the 1-grams section ends after 4 of "
                           "the 5 entries"},
        {"control_bytes", "control_bytes.arpa' line 2: expected 'ngram K=COUNT', got "
                          "'ngram\\x1b[2J 1=3'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char rel[96];
        snprintf(rel, sizeof rel, "tests/fixtures/bad_arpa/%s.arpa", cases[i][0]);
        char *path = test_path(rel);
        expect_refused(read_arpa, path, cases[i][1]);
        free(path);
    }
}

// A top-order n-gram that ends in <s> is no entry of any model (nothing is predicted after
// it, and no longer n-gram can use it as a context): accepted, it left a model whose file
// declared 'ngram 3=0', which the reader refuses (found by fuzz_arpa).
Test(readers, arpa_top_order_ngram_ending_in_bos_is_refused_at_its_line)
{
    static const char text[] = "\\data\\\n"
                               "ngram 1=4\nngram 2=2\nngram 3=1\n\n"
                               "\\1-grams:\n-0.5\t</s>\n-99\t<s>\t-0.2\n"
                               "-0.3\thello\t-0.1\n-0.7\tworld\t-0.4\n\n"
                               "\\2-grams:\n-0.2\t<s> hello\n-0.15\tworld </s>\n\n"
                               "\\3-grams:\n-0.05\thello world <s>\n\n"
                               "\\end\\\n";
    char *dir = test_tmpdir();
    char *path = test_write(dir, "bos_top.arpa", text, sizeof text - 1);
    expect_refused(read_arpa, path, "bos_top.arpa' line 17: a 3-gram ending in '<s>' at the "
                                    "top order");
    free(path);
    free(dir);
}

Test(readers, arpa_declared_counts_past_the_bytes_left_are_refused_before_reading)
{
    // 11 lines are left after \\data\\, enough for 11 entries, but 9 trigrams take 72 bytes at
    // least ("p<TAB>a a a" and a newline) and only 67 are left
    char *dir = test_tmpdir();
    const char text[] = "\\data\\\nngram 1=1\nngram 2=1\nngram 3=9\n\n\\1-grams:\n-1\ta\n"
                        "\\2-grams:\n-1\ta a\n\\3-grams:\n-1\ta a a\n-1\ta a a\n\\end\\\n";
    char *path = test_write(dir, "short.arpa", text, sizeof text - 1);
    expect_refused(read_arpa, path, "line 4: 'ngram 3=9' declares entries that need at least");
    free(path);
    free(dir);
}

// A large section is read a batch of lines at a time (parsed ahead, then inserted): a fault
// is still reported at its own line, and of two faults the one on the earlier line, whether
// they fall in the first batch, a later one, or on both sides of a batch's end.
static char *arpa_with_unigrams(const char *dir, const char *name, int n, int dup_at,
                                int bad_at)
{
    size_t cap = 64 + (size_t)n * 32, len = 0;
    char *text = lab_malloc(cap);
    len += (size_t)snprintf(text + len, cap - len, "\\data\\\nngram 1=%d\n\n\\1-grams:\n", n);
    for (int i = 0; i < n; i++) { // line 5 + i
        if (i == bad_at) {
            len += (size_t)snprintf(text + len, cap - len, "-1.5x\tw%d\n", i);
        } else {
            len += (size_t)snprintf(text + len, cap - len, "-1.5\tw%d\n", i == dup_at ? 0 : i);
        }
    }
    len += (size_t)snprintf(text + len, cap - len, "\n\\end\\\n");
    char *path = test_write(dir, name, text, len);
    free(text);
    return path;
}

Test(readers, arpa_faults_far_into_a_section_are_reported_at_their_own_line_in_order)
{
    char *dir = test_tmpdir();
    const struct {
        int dup_at, bad_at;
        const char *want;
    } cases[] = {
        {-1, 9000, "line 9005: the log10 probability '-1.5x' is neither"},
        {9000, -1, "line 9005: a 1-gram ending in 'w0' is listed twice"},
        {9000, 9001, "line 9005: a 1-gram ending in 'w0' is listed twice"},
        {9001, 9000, "line 9005: the log10 probability '-1.5x' is neither"},
        {4095, 4096, "line 4100: a 1-gram ending in 'w0' is listed twice"},
        {2047, 2048, "line 2052: a 1-gram ending in 'w0' is listed twice"},
        {6000, 2048 * 3 + 5, "line 6005: a 1-gram ending in 'w0' is listed twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char name[32];
        snprintf(name, sizeof name, "faults%zu.arpa", i);
        char *path = arpa_with_unigrams(dir, name, 12000, cases[i].dup_at, cases[i].bad_at);
        expect_refused(read_arpa, path, cases[i].want);
        free(path);
    }
    free(dir);
}

Test(readers, arpa_accepts_minus_inf_and_minus_99_as_probability_zero)
{
    char *dir = test_tmpdir();
    const char text[] = "\\data\\\nngram 1=3\n\n\\1-grams:\n-inf\t</s>\n-99\t<s>\n0\thello\n"
                        "\n\\end\\\n";
    char *path = test_write(dir, "zero.arpa", text, sizeof text - 1);
    NgramModel m;
    cr_assert_eq(ngram_arpa_read(&m, path, UNIT_LINE), 0);
    int32_t hello = vocab_find(&m.vocab, "hello", 5);
    cr_assert_eq(ngram_logprob(&m, NULL, TOK_EOS), -INFINITY);
    cr_assert_eq(ngram_logprob(&m, NULL, hello), 0.0, "log10 0 is probability 1");
    ngram_model_free(&m);
    free(path);
    free(dir);
}

// tests/fixtures/missing_context.arpa lists the trigram "hello world </s>" but not its context
// "hello world". By the back-off rule, by hand (log10):
//   P(world | hello)             = bow(hello) + P(world) = -0.1 + -0.7 = -0.8
//   P(world | <s> hello)         = bow(<s> hello) [not listed: 0] + P(world | hello) = -0.8
//   P(</s> | hello world)        = -0.05, the trigram, reachable only through the added context
//   P(</s> | <s> world)          = bow(<s> world) [0] + P(</s> | world) = -0.15
Test(readers, arpa_adds_an_unlisted_context_with_its_backed_off_probability)
{
    char *path = test_path("tests/fixtures/missing_context.arpa");
    NgramModel m;
    cr_assert_eq(ngram_arpa_read(&m, path, UNIT_LINE), 0);
    int32_t hello = vocab_find(&m.vocab, "hello", 5), world = vocab_find(&m.vocab, "world", 5);
    int32_t c1[2] = {TOK_BOS, hello}, c2[2] = {hello, world}, c3[2] = {TOK_BOS, world};
    struct {
        const int32_t *ctx;
        int32_t w;
        double log10p;
    } want[] = {{c1, world, -0.8}, {c2, TOK_EOS, -0.05}, {c3, TOK_EOS, -0.15}};
    for (int i = 0; i < 3; i++) {
        double got = ngram_logprob(&m, want[i].ctx, want[i].w) / M_LN10;
        cr_assert(fabs(got - want[i].log10p) < 1e-12, "case %d: log10 P = %.15g, expected %g", i,
                  got, want[i].log10p);
    }
    // and the model, written, reads back the same (the added context is now listed)
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "back.arpa");
    cr_assert_eq(ngram_arpa_write(&m, out), 0);
    NgramModel r;
    cr_assert_eq(ngram_arpa_read(&r, out, UNIT_LINE), 0);
    int32_t rc2[2] = {vocab_find(&r.vocab, "hello", 5), vocab_find(&r.vocab, "world", 5)};
    cr_assert(fabs(ngram_logprob(&r, rc2, TOK_EOS) / M_LN10 + 0.05) < 1e-12);
    ngram_model_free(&r);
    ngram_model_free(&m);
    free(out);
    free(dir);
    free(path);
}

// --- word2vec vectors -------------------------------------------------------------------------

// A model file as other toolkits or hands write them, large enough that each section above
// the first is read by two threads at once: CRLF and LF line ends, fields separated by
// spaces, tabs or both, trailing blanks, escaped tokens, -99 and -inf, and n-grams in no
// particular order. Read in parallel and one line after another, it must give the same
// model: the same ids, and the same file written back, byte for byte (the writer lists every
// entry in a fixed order with its value exactly).
// xorshift64: a value in [0, 1) with 17 digits of every kind
static double next_unit(uint64_t *x)
{
    *x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
    return (double)(*x >> 11) / 9007199254740992.0;
}

static char *messy_arpa(const char *dir)
{
    enum { V = 150, C = 40, W = 20 }; // word types; 3-grams: C x C contexts, W words each
    size_t cap = (size_t)64 << 20, len = 0;
    char *t = lab_malloc(cap);
    uint64_t x = 88172645463325252ull;
#define PUT(...) (len += (size_t)snprintf(t + len, cap - len, __VA_ARGS__))
    static const char *sep[] = {"\t", " ", " \t ", "\t\t"}, *eol[] = {"\n", "\r\n", " \t\n"};
    PUT("comment lines before \\data\\ are free\n\\data\\\nngram 1=%d\nngram 2=%d\nngram 3=%d\n\n",
        V + 4, V * V, C * C * W);
    PUT("\\1-grams:\n-inf\t</s>\n-99\t<s>\t-0.25\n-2.5\ta\\sb\t-0.5\r\n-3.25 x\\ty -99\n");
    for (int i = 0; i < V; i++) {
        double p = -7 * next_unit(&x), bow = -next_unit(&x);
        PUT("%.17g%sw%d%s%.17g%s", p, sep[i % 4], i, sep[(i / 4) % 4], bow, eol[i % 3]);
    }
    PUT("\n\\2-grams:\n");
    for (int j = 0; j < V; j++) { // (the last token outer: contexts change every line)
        for (int i = 0; i < V; i++) {
            double p = -7 * next_unit(&x), bow = -next_unit(&x);
            PUT("%.17g%sw%d w%d%s%.17g%s", p, sep[(i + j) % 4], i, j, sep[i % 4], bow,
                eol[(i * j) % 3]);
        }
    }
    PUT("\n\\3-grams:\n");
    for (int l = 0; l < W; l++) {
        for (int i = 0; i < C; i++) {
            for (int j = 0; j < C; j++) {
                PUT("%.17g%sw%d%sw%d w%d%s", -7 * next_unit(&x), sep[(i + l) % 4], i, sep[j % 2],
                    j, l, eol[(i + j + l) % 3]);
            }
        }
    }
    PUT("\n\\end\\\n");
#undef PUT
    char *path = test_write(dir, "messy.arpa", t, len);
    free(t);
    return path;
}

Test(readers, arpa_read_in_parallel_gives_the_model_of_reading_line_after_line, .timeout = 60)
{
    char *dir = test_tmpdir();
    char *path = messy_arpa(dir);
    omp_set_num_threads(2);
    NgramModel par, ser;
    cr_assert_eq(ngram_arpa_read(&par, path, UNIT_LINE), 0);
    cr_assert_eq(ngram_arpa_read_serial(&ser, path, UNIT_LINE), 0);
    cr_assert_eq(par.vocab.n, ser.vocab.n);
    for (int32_t id = 0; id < ser.vocab.n; id++) {
        cr_assert(par.vocab.len[id] == ser.vocab.len[id] &&
                  memcmp(par.vocab.str[id], ser.vocab.str[id], ser.vocab.len[id]) == 0,
                  "token %d differs", id);
    }
    cr_assert_geq(vocab_find(&ser.vocab, "a b", 3), 0, "the escaped space is unescaped");
    for (int k = 1; k <= 3; k++) {
        cr_assert_eq(ngram_model_entries(&par, k), ngram_model_entries(&ser, k));
    }
    char *a = lab_path_join(dir, "par.arpa"), *b = lab_path_join(dir, "ser.arpa");
    cr_assert_eq(ngram_arpa_write(&par, a), 0);
    cr_assert_eq(ngram_arpa_write(&ser, b), 0);
    char *ta, *tb;
    size_t na, nb;
    cr_assert_eq(lab_read_file(a, &ta, &na, 0), 0);
    cr_assert_eq(lab_read_file(b, &tb, &nb, 0), 0);
    cr_assert(na == nb && memcmp(ta, tb, na) == 0, "written back: %zu and %zu bytes", na, nb);
    // and a value by hand: the line "p<sep>w3<sep>w5 w7" is the 3-gram (w3, w5, w7)
    int32_t w3 = vocab_find(&ser.vocab, "w3", 2), w5 = vocab_find(&ser.vocab, "w5", 2),
            w7 = vocab_find(&ser.vocab, "w7", 2);
    int32_t ctx[2] = {w3, w5};
    cr_assert_eq(ngram_logprob(&par, ctx, w7), ngram_logprob(&ser, ctx, w7));
    free(ta), free(tb), free(a), free(b);
    ngram_model_free(&par);
    ngram_model_free(&ser);
    free(path);
    free(dir);
}

// The tables are first made for the declared counts: 12 2-grams fill a table of 16 slots to
// its 3/4, with no room for the contexts of the 3-grams, which are not listed. The file is
// then read again with room for them, and each 3-gram is reachable after its context.
Test(readers, arpa_unlisted_contexts_past_the_room_of_the_declared_counts_are_still_added)
{
    static const char text[] =
        "\\data\\\nngram 1=5\nngram 2=12\nngram 3=3\n\n"
        "\\1-grams:\n-1\t</s>\n-99\t<s>\t-0.5\n-1\ta\t-0.5\n-1\tb\t-0.5\n-1\tc\t-0.5\n\n"
        "\\2-grams:\n"
        "-0.5\t<s> a\t-0.1\n-0.5\t<s> b\t-0.1\n-0.5\t<s> c\t-0.1\n-0.5\t<s> </s>\n"
        "-0.5\ta a\t-0.1\n-0.5\ta b\t-0.1\n-0.5\ta c\t-0.1\n-0.5\ta </s>\n"
        "-0.5\tb a\t-0.1\n-0.5\tb b\t-0.1\n-0.5\tb c\t-0.1\n-0.5\tb </s>\n\n"
        "\\3-grams:\n-0.25\tc a b\n-0.125\tc b a\n-0.0625\tc c </s>\n\n\\end\\\n";
    char *dir = test_tmpdir();
    char *path = test_write(dir, "room.arpa", text, sizeof text - 1);
    NgramModel m;
    cr_assert_eq(ngram_arpa_read(&m, path, UNIT_LINE), 0);
    int32_t a = vocab_find(&m.vocab, "a", 1), b = vocab_find(&m.vocab, "b", 1),
            c = vocab_find(&m.vocab, "c", 1);
    struct {
        int32_t ctx[2], w;
        double log10p;
    } want[] = {{{c, a}, b, -0.25}, {{c, b}, a, -0.125}, {{c, c}, TOK_EOS, -0.0625}};
    for (int i = 0; i < 3; i++) {
        double got = ngram_logprob(&m, want[i].ctx, want[i].w) / M_LN10;
        cr_assert(fabs(got - want[i].log10p) < 1e-12, "case %d: log10 P = %.15g, expected %g",
                  i, got, want[i].log10p);
    }
    cr_assert_eq(ngram_model_entries(&m, 2), 15, "the 12 listed 2-grams and 3 contexts");
    ngram_model_free(&m);
    free(path);
    free(dir);
}

Test(readers, vectors_defects_are_refused_naming_the_file_line_and_defect)
{
    const char *cases[][3] = {
        {"bom.txt", "\xEF\xBB\xBF" "2 2\na 1 2\nb 1 2\n",
         "bom.txt' starts with a UTF-8 byte-order mark (EF BB BF)"},
        {"nan.txt", "2 2\na 1 2\nb 1 nan\n",
         "line 3: value 2 of 'b' is not a finite number: 'nan'"},
        {"overflow.txt", "1 2\na 1 1e99\n", "value 2 of 'a' is not a finite number: '1e99'"},
        {"twice.txt", "2 2\na 1 2\na 1 3\n", "line 3: 'a' appears twice (first on line 2)"},
        {"short.txt", "2 3\na 1 2 3\nb 1.5 2.5\n", "line 3: 'b' has 2 values, the header says 3"},
        {"promise.txt", "1000000 300\na 1\n", "more than the remaining 4 bytes of the file"},
        {"escape.txt", "1 1\n\x1b[2Jword 1x\n", "value 1 of '\\x1b[2Jword' is not a finite"},
        {"header.txt", "2\x07 2\n", "line 1: expected a header 'WORDS DIMENSIONS', got '2\\x07 2'"},
    };
    char *dir = test_tmpdir();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *path = test_write(dir, cases[i][0], cases[i][1], strlen(cases[i][1]));
        expect_refused(read_vectors, path, cases[i][2]);
        free(path);
    }
    free(dir);
}

// --- vocabulary -------------------------------------------------------------------------------

Test(readers, vocab_defects_are_refused_naming_the_file_line_and_defect)
{
    const char *cases[][3] = {
        {"bom.txt", "\xEF\xBB\xBF# lmlab vocab 1\n0\t<s>\t0\n",
         "bom.txt' starts with a UTF-8 byte-order mark (EF BB BF)"},
        {"junk.txt", "0\t<s>\t0\n1\t</s>\t5x\n", "line 2: expected 'id<TAB>token<TAB>count', got "
                                               "'1\\x09</s>\\x095x'"},
        {"huge.txt", "0\t<s>\t99999999999999999999\n", "line 1: expected 'id<TAB>token"},
        {"order.txt", "0\t<s>\t0\n7\ta\t1\n", "line 2: id 7 out of order (expected 3)"},
        {"twice.txt", "3\ta\t1\n4\ta\t1\n", "line 2: empty or repeated token 'a'"},
        {"reserved.txt", "1\t<unk>\t1\n", "line 1: id 1 must be '</s>'"},
        {"nul.txt", "3\ta\0\t1\n", "nul.txt' is not a vocabulary file (it holds NUL bytes)"},
    };
    char *dir = test_tmpdir();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t n = strlen(cases[i][1]);
        if (strcmp(cases[i][0], "nul.txt") == 0) {
            n = 7; // "3\ta\0\t1\n": strlen stops at the NUL
        }
        char *path = test_write(dir, cases[i][0], cases[i][1], n);
        expect_refused(read_vocab, path, cases[i][2]);
        free(path);
    }
    free(dir);
}

Test(readers, vocab_written_by_the_lab_reads_back_with_its_counts)
{
    Vocab v;
    vocab_init(&v);
    int32_t a = vocab_add(&v, "a b", 3), tab = vocab_add(&v, "\t", 1);
    v.count[a] = 7, v.count[tab] = 9223372036854775807LL;
    char *dir = test_tmpdir();
    char *path = lab_path_join(dir, "vocab.txt");
    cr_assert_eq(vocab_save(&v, path), 0);
    Vocab r;
    cr_assert_eq(vocab_load(&r, path), 0);
    cr_assert_eq(r.n, v.n);
    cr_assert_eq(vocab_find(&r, "a b", 3), a);
    cr_assert_eq(r.count[tab], 9223372036854775807LL);
    vocab_free(&r);
    vocab_free(&v);
    free(path);
    free(dir);
}

// --- what the fuzzer found --------------------------------------------------------------------

// fuzz_arpa, 2026-12-07: a context added for "hello world </s>" took log10 P = bow(hello) +
// P(world) = 20.1 - 0.7 = 19.4, above 0, so the model written back was refused by the reader
// that wrote it. The added context's probability is now capped at 1.
Test(readers, an_added_context_stays_a_probability_so_the_model_reads_back)
{
    char *path = test_path("tests/fuzz/regressions/arpa_added_context_above_one.arpa");
    NgramModel m;
    cr_assert_eq(ngram_arpa_read(&m, path, UNIT_LINE), 0);
    int32_t hello = vocab_find(&m.vocab, "hello", 5), world = vocab_find(&m.vocab, "world", 5);
    uint32_t h = ngram_level_find(&m.lev[1], 0, hello);
    uint32_t hw = ngram_level_find(&m.lev[2], h, world);
    cr_assert_neq(hw, NGRAM_NONE, "the context 'hello world' is added");
    cr_assert_eq(m.logp[2][hw], 0.0, "its log10 probability 19.4 is capped at 0");
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "back.arpa");
    cr_assert_eq(ngram_arpa_write(&m, out), 0);
    NgramModel r;
    cr_assert_eq(ngram_arpa_read(&r, out, UNIT_LINE), 0, "what the lab writes, the lab reads");
    ngram_model_free(&r);
    ngram_model_free(&m);
    free(out);
    free(dir);
    free(path);
}
