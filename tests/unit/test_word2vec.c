// test_word2vec.c: word2vec's pieces checked against finite differences, hand computation and
// textbook formulas, then training on tiny synthetic corpora, the vectors file and the PCA.
//
// Each test takes well under a second: corpora of a few thousand words, a few epochs.
#include "tests/helpers.h"

#include <fcntl.h>

#include "nn/word2vec.h"

// --- helpers ----------------------------------------------------------------------------------

// Runs fn(arg) with stderr sent to a file; returns what was written (caller frees).
static char *capture_stderr(int (*fn)(void *), void *arg, int *rc)
{
    char *dir = test_tmpdir();
    char *log = lab_path_join(dir, "stderr");
    fflush(stderr);
    int saved = dup(2);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(saved >= 0 && fd >= 0, "cannot redirect stderr");
    dup2(fd, 2);
    close(fd);
    *rc = fn(arg);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    char *text;
    size_t n;
    if (lab_read_file(log, &text, &n, 0) != 0) {
        text = lab_strdup("");
    }
    unlink(log);
    rmdir(dir);
    free(log);
    free(dir);
    return text;
}

// Tokenizes text (words split on spaces) into a W2vData with min_count 1.
static void data_from_text(W2vData *d, const char *text)
{
    Tokenizer t;
    cr_assert_eq(tok_init(&t, TOK_WORD, "\\S+", 0), 0);
    Vocab v;
    vocab_init(&v);
    Corpus c;
    cr_assert_eq(corpus_build(&c, &v, &t, UNIT_LINE, text, strlen(text), 1), 0);
    cr_assert_eq(w2v_data_build(d, &c, &v, 1, "test"), 0);
    corpus_free(&c);
    vocab_free(&v);
    tok_free(&t);
}

static int32_t data_find(const W2vData *d, const char *w)
{
    for (int32_t i = 0; i < d->V; i++) {
        if (strcmp(d->str[i], w) == 0) {
            return i;
        }
    }
    cr_assert_fail("'%s' is not in the vocabulary", w);
    return -1;
}

// A corpus in which cat and dog occur in the same contexts (words a0..a4), and car and bus in
// others (b0..b4): "a3 a1 cat a0 a4" or "b2 b0 bus b4 b1", 3000 lines, fixed seed.
static char *synthetic_corpus(void)
{
    LabRng rng;
    lab_rng_seed(&rng, 42);
    size_t cap = 1 << 16, n = 0;
    char *s = lab_malloc(cap);
    const char *mid[2][2] = {{"cat", "dog"}, {"car", "bus"}};
    for (int line = 0; line < 3000; line++) {
        int g = (int)lab_rng_below(&rng, 2);
        char buf[64];
        int k = 0;
        for (int j = 0; j < 5; j++) {
            if (j == 2) {
                k += snprintf(buf + k, sizeof buf - k, "%s ", mid[g][lab_rng_below(&rng, 2)]);
            } else {
                k += snprintf(buf + k, sizeof buf - k, "%c%d ", g ? 'b' : 'a',
                              (int)lab_rng_below(&rng, 5));
            }
        }
        buf[k - 1] = '\n';
        if (n + (size_t)k + 1 > cap) {
            cap *= 2;
            s = lab_realloc(s, cap);
        }
        memcpy(s + n, buf, (size_t)k);
        n += (size_t)k;
    }
    s[n] = '\0';
    return s;
}

static void train_synthetic(W2vModel *m, W2vData *d, int model, int threads, uint64_t seed)
{
    char *text = synthetic_corpus();
    data_from_text(d, text);
    free(text);
    W2vConfig cfg;
    w2v_config_default(&cfg);
    cfg.model = model;
    cfg.dim = 16;
    cfg.window = 2;
    cfg.sample = 0;
    cfg.epochs = 5;
    cfg.alpha = model == W2V_CBOW ? 0.05 : 0.025;
    cfg.threads = threads;
    cfg.seed = seed;
    cfg.sync_words = 1000;
    w2v_model_init(m, d->V, cfg.dim, cfg.seed);
    cr_assert_eq(w2v_train(m, d, &cfg, NULL, NULL), 0);
}

// cosine of rows a and b of the model's input vectors
static double model_cos(const W2vModel *m, int32_t a, int32_t b)
{
    const float *x = m->syn0 + (size_t)a * m->stride, *y = m->syn0 + (size_t)b * m->stride;
    double xy = 0, xx = 0, yy = 0;
    for (int i = 0; i < m->D; i++) {
        xy += (double)x[i] * y[i];
        xx += (double)x[i] * x[i];
        yy += (double)y[i] * y[i];
    }
    return xy / sqrt(xx * yy);
}

// --- the loss and its step --------------------------------------------------------------------

Test(word2vec, ns_gradient_matches_finite_differences)
{
    enum { K = 3, D = 5 };
    LabRng rng;
    lab_rng_seed(&rng, 7);
    double h[D], u[(K + 1) * D], dh[D], du[(K + 1) * D];
    for (int i = 0; i < D; i++) {
        h[i] = lab_rng_uniform(&rng) * 2 - 1;
    }
    for (int i = 0; i < (K + 1) * D; i++) {
        u[i] = lab_rng_uniform(&rng) * 2 - 1;
    }
    w2v_ns_loss(dh, du, h, u, K, D);
    const double eps = 1e-6;
    for (int i = 0; i < D; i++) {
        double keep = h[i];
        h[i] = keep + eps;
        double lp = w2v_ns_loss(NULL, NULL, h, u, K, D);
        h[i] = keep - eps;
        double lm = w2v_ns_loss(NULL, NULL, h, u, K, D);
        h[i] = keep;
        double num = (lp - lm) / (2 * eps);
        cr_assert(fabs(num - dh[i]) < 1e-8, "dL/dh[%d] = %.10f, finite differences %.10f", i,
                  dh[i], num);
    }
    for (int i = 0; i < (K + 1) * D; i++) {
        double keep = u[i];
        u[i] = keep + eps;
        double lp = w2v_ns_loss(NULL, NULL, h, u, K, D);
        u[i] = keep - eps;
        double lm = w2v_ns_loss(NULL, NULL, h, u, K, D);
        u[i] = keep;
        double num = (lp - lm) / (2 * eps);
        cr_assert(fabs(num - du[i]) < 1e-8, "dL/du[%d][%d] = %.10f, finite differences %.10f",
                  i / D, i % D, du[i], num);
    }
}

Test(word2vec, ns_loss_by_hand)
{
    // h = (1, 0), u0 = (2, 0), u1 = (0, 1): f0 = 2, f1 = 0
    // L = -log sigmoid(2) - log sigmoid(-0) = log(1 + e^-2) + log 2
    double h[2] = {1, 0}, u[4] = {2, 0, 0, 1};
    double want = log(1 + exp(-2.0)) + log(2.0);
    double got = w2v_ns_loss(NULL, NULL, h, u, 1, 2);
    cr_assert(fabs(got - want) < 1e-12, "L = %.12f, expected %.12f", got, want);
}

Test(word2vec, one_sgd_step_by_hand)
{
    // D = 2, one negative, alpha = 0.1; h = (0.5, -1), u0 = (1, 0.5), u1 = (-0.5, 0.25)
    //   f0 = 0.5 - 0.5 = 0      g0 = 0.1 (1 - sigmoid(0)) = 0.05
    //   f1 = -0.25 - 0.25 = -0.5  g1 = -0.1 sigmoid(-0.5) = -0.0377540668798145
    //   neu1e = g0 u0 + g1 u1 = (0.05 + 0.0188770334399, 0.025 - 0.0094385167200)
    //   u0' = u0 + g0 h = (1.025, 0.45)
    //   u1' = u1 + g1 h = (-0.5 - 0.0188770334399, 0.25 + 0.0377540668798)
    //   L = log 2 + log(1 + e^-0.5) = 0.693147180560 + 0.474076984180
    float h[2] = {0.5f, -1.0f}, u0[2] = {1.0f, 0.5f}, u1[2] = {-0.5f, 0.25f}, neu1e[2] = {0, 0};
    float *u[2] = {u0, u1};
    double loss = w2v_ns_step(neu1e, h, u, 1, 0.1f, 2);
    const double want_neu1e[2] = {0.0688770334399, 0.0155614832800};
    const double want_u0[2] = {1.025, 0.45}, want_u1[2] = {-0.5188770334399, 0.2877540668798};
    for (int i = 0; i < 2; i++) {
        cr_assert(fabs(neu1e[i] - want_neu1e[i]) < 1e-6, "neu1e[%d] = %.9f, expected %.9f", i,
                  neu1e[i], want_neu1e[i]);
        cr_assert(fabs(u0[i] - want_u0[i]) < 1e-6, "u0[%d] = %.9f, expected %.9f", i, u0[i],
                  want_u0[i]);
        cr_assert(fabs(u1[i] - want_u1[i]) < 1e-6, "u1[%d] = %.9f, expected %.9f", i, u1[i],
                  want_u1[i]);
    }
    cr_assert(fabs(h[0] - 0.5f) == 0 && fabs(h[1] + 1.0f) == 0, "the step leaves h alone");
    cr_assert(fabs(loss - 1.16722416474) < 1e-6, "loss %.9f, expected 1.167224165", loss);
}

Test(word2vec, sgd_step_is_minus_alpha_times_the_gradient)
{
    enum { K = 4, D = 7 };
    const float alpha = 0.05f;
    LabRng rng;
    lab_rng_seed(&rng, 3);
    double h[D], u[(K + 1) * D], dh[D], du[(K + 1) * D];
    float hf[D], uf[(K + 1) * D], neu1e[D] = {0};
    float *rows[K + 1];
    for (int i = 0; i < D; i++) {
        hf[i] = (float)(lab_rng_uniform(&rng) - 0.5);
        h[i] = hf[i];
    }
    for (int i = 0; i < (K + 1) * D; i++) {
        uf[i] = (float)(lab_rng_uniform(&rng) - 0.5);
        u[i] = uf[i];
    }
    for (int j = 0; j <= K; j++) {
        rows[j] = uf + j * D;
    }
    double want_loss = w2v_ns_loss(dh, du, h, u, K, D);
    double loss = w2v_ns_step(neu1e, hf, rows, K, alpha, D);
    cr_assert(fabs(loss - want_loss) < 1e-5, "loss %.8f, expected %.8f", loss, want_loss);
    for (int i = 0; i < D; i++) {
        cr_assert(fabs(neu1e[i] + alpha * dh[i]) < 1e-6, "neu1e[%d] = %g, -alpha dL/dh = %g", i,
                  neu1e[i], -alpha * dh[i]);
    }
    for (int i = 0; i < (K + 1) * D; i++) {
        double step = uf[i] - u[i];
        cr_assert(fabs(step + alpha * du[i]) < 1e-6, "u[%d][%d] moved %g, -alpha dL/du = %g",
                  i / D, i % D, step, -alpha * du[i]);
    }
}

// --- subsampling and negatives ----------------------------------------------------------------

Test(word2vec, keep_probability_is_word2vecs_formula)
{
    // s T = 1e-3 * 1e6 = 1000; p = (sqrt(c / 1000) + 1) * 1000 / c
    cr_assert_float_eq(w2v_keep_prob(1000, 1000000, 1e-3), 1.0, 1e-12, "(1 + 1) * 1 -> capped");
    cr_assert_float_eq(w2v_keep_prob(10000, 1000000, 1e-3), (sqrt(10.0) + 1) * 0.1, 1e-12);
    cr_assert_float_eq(w2v_keep_prob(100000, 1000000, 1e-3), 0.11, 1e-12, "(10 + 1) * 0.01");
    cr_assert_float_eq(w2v_keep_prob(100000, 1000000, 0), 1.0, 0, "sample 0 keeps every word");
    // the threshold where p reaches 1: c = (phi^2) s T with phi the golden ratio, 2618 here
    cr_assert(w2v_keep_prob(2617, 1000000, 1e-3) == 1.0);
    cr_assert(w2v_keep_prob(2619, 1000000, 1e-3) < 1.0);
}

Test(word2vec, alias_table_follows_unigram_to_the_three_quarters)
{
    const long long count[] = {1000, 100, 10, 1, 50, 7, 300};
    const int V = 7;
    W2vAlias a;
    w2v_alias_init(&a, count, V, 0.75);
    double z = 0, want[7];
    for (int i = 0; i < V; i++) {
        z += pow((double)count[i], 0.75);
    }
    for (int i = 0; i < V; i++) {
        want[i] = pow((double)count[i], 0.75) / z;
        double got = w2v_alias_prob(&a, i);
        cr_assert(fabs(got - want[i]) < 1e-9, "P(%d) = %.10f in the table, expected %.10f", i,
                  got, want[i]);
    }
    // and the draws: each frequency within 5 standard deviations of its probability
    LabRng rng;
    lab_rng_seed(&rng, 11);
    long hits[7] = {0};
    const long N = 1000000;
    for (long t = 0; t < N; t++) {
        int32_t w = w2v_alias_draw(&a, &rng);
        cr_assert(w >= 0 && w < V);
        hits[w]++;
    }
    for (int i = 0; i < V; i++) {
        double freq = (double)hits[i] / N, sd = sqrt(want[i] * (1 - want[i]) / N);
        cr_assert(fabs(freq - want[i]) < 5 * sd, "word %d drawn %.5f of the time, expected %.5f",
                  i, freq, want[i]);
    }
    w2v_alias_free(&a);
}

// --- the training data ------------------------------------------------------------------------

Test(word2vec, data_drops_rare_words_and_cuts_long_lines)
{
    // min_count 2: c (once) becomes <unk> and is dropped; </s> is never a word
    Tokenizer t;
    cr_assert_eq(tok_init(&t, TOK_WORD, "\\S+", 0), 0);
    Vocab v;
    vocab_init(&v);
    Corpus c;
    const char *text = "a b c\nb a\n\na\n";
    cr_assert_eq(corpus_build(&c, &v, &t, UNIT_LINE, text, strlen(text), 2), 0);
    W2vData d;
    cr_assert_eq(w2v_data_build(&d, &c, &v, 2, "test"), 0);
    cr_assert_eq(d.V, 2);
    cr_assert_str_eq(d.str[0], "a"); // 3 times
    cr_assert_str_eq(d.str[1], "b");
    cr_assert_eq(d.count[0], 3);
    cr_assert_eq(d.count[1], 2);
    cr_assert_eq(d.n, 5);
    cr_assert_eq(d.nsent, 3);
    const long long starts[] = {0, 2, 4, 5};
    for (int s = 0; s <= 3; s++) {
        cr_assert_eq(d.start[s], starts[s], "sentence %d starts at %lld", s, d.start[s]);
    }
    w2v_data_free(&d);
    corpus_free(&c);

    // 2500 words on one line: sentences of 1000, 1000, 500
    char *big = lab_malloc(2500 * 2 + 2);
    for (int i = 0; i < 2500; i++) {
        big[2 * i] = 'a';
        big[2 * i + 1] = i == 2499 ? '\n' : ' ';
    }
    big[5000] = '\0';
    Vocab v2;
    vocab_init(&v2);
    cr_assert_eq(corpus_build(&c, &v2, &t, UNIT_LINE, big, strlen(big), 1), 0);
    cr_assert_eq(w2v_data_build(&d, &c, &v2, 1, "test"), 0);
    cr_assert_eq(d.nsent, 3);
    cr_assert_eq(d.start[1], 1000);
    cr_assert_eq(d.start[3], 2500);
    w2v_data_free(&d);
    corpus_free(&c);
    vocab_free(&v2);
    vocab_free(&v);
    tok_free(&t);
    free(big);
}

static int build_rare(void *arg)
{
    W2vData *d = arg;
    Tokenizer t;
    tok_init(&t, TOK_WORD, "\\S+", 0);
    Vocab v;
    vocab_init(&v);
    Corpus c;
    const char *text = "a b c\n";
    corpus_build(&c, &v, &t, UNIT_LINE, text, strlen(text), 5);
    int rc = w2v_data_build(d, &c, &v, 5, "tiny.txt");
    corpus_free(&c);
    vocab_free(&v);
    tok_free(&t);
    return rc;
}

Test(word2vec, no_word_above_min_count_is_an_error)
{
    W2vData d;
    int rc;
    char *err = capture_stderr(build_rare, &d, &rc);
    cr_assert_eq(rc, -1);
    cr_assert(strstr(err, "'tiny.txt' has no word seen --min-count 5 times"), "%s", err);
    cr_assert(strstr(err, "hint: lower --min-count"), "%s", err);
    free(err);
}

// --- training ---------------------------------------------------------------------------------

static void check_neighbours(int model, int threads)
{
    W2vModel m;
    W2vData d;
    train_synthetic(&m, &d, model, threads, 5);
    int32_t cat = data_find(&d, "cat"), dog = data_find(&d, "dog");
    int32_t car = data_find(&d, "car"), bus = data_find(&d, "bus");
    // the nearest word to cat is dog, and to car is bus
    const int32_t q[2] = {cat, car}, want[2] = {dog, bus};
    for (int k = 0; k < 2; k++) {
        int32_t best = -1;
        double bc = -2;
        for (int32_t w = 0; w < d.V; w++) {
            double c = w == q[k] ? -2 : model_cos(&m, q[k], w);
            if (c > bc) {
                bc = c;
                best = w;
            }
        }
        cr_assert_eq(best, want[k], "%s (%d threads): nearest to '%s' is '%s' (%.3f), expected "
                     "'%s' (%.3f)",
                     model == W2V_CBOW ? "cbow" : "skip-gram", threads, d.str[q[k]], d.str[best],
                     bc, d.str[want[k]], model_cos(&m, q[k], want[k]));
    }
    cr_assert(model_cos(&m, cat, dog) > model_cos(&m, cat, car) + 0.3,
              "cat is closer to dog (%.3f) than to car (%.3f)", model_cos(&m, cat, dog),
              model_cos(&m, cat, car));
    w2v_model_free(&m);
    w2v_data_free(&d);
}

Test(word2vec, skipgram_words_sharing_contexts_become_neighbours)
{
    check_neighbours(W2V_SKIPGRAM, 1);
}

Test(word2vec, cbow_words_sharing_contexts_become_neighbours)
{
    check_neighbours(W2V_CBOW, 1);
}

Test(word2vec, two_workers_learn_the_same_neighbours)
{
    check_neighbours(W2V_SKIPGRAM, 2);
    check_neighbours(W2V_CBOW, 2);
}

Test(word2vec, same_seed_and_threads_give_identical_vectors)
{
    W2vModel a, b, c;
    W2vData da, db, dc;
    train_synthetic(&a, &da, W2V_SKIPGRAM, 3, 9);
    train_synthetic(&b, &db, W2V_SKIPGRAM, 3, 9);
    train_synthetic(&c, &dc, W2V_SKIPGRAM, 3, 10);
    size_t bytes = (size_t)a.V * a.stride * sizeof(float);
    cr_assert(memcmp(a.syn0, b.syn0, bytes) == 0, "seed 9, 3 threads, twice: same syn0");
    cr_assert(memcmp(a.syn1neg, b.syn1neg, bytes) == 0, "and the same syn1neg");
    cr_assert(memcmp(a.syn0, c.syn0, bytes) != 0, "seed 10 gives other vectors");
    w2v_model_free(&a);
    w2v_model_free(&b);
    w2v_model_free(&c);
    w2v_data_free(&da);
    w2v_data_free(&db);
    w2v_data_free(&dc);
}

Test(word2vec, model_starts_as_word2vec_does)
{
    W2vModel m;
    w2v_model_init(&m, 50, 10, 1);
    cr_assert_eq(m.stride, 16);
    double sum = 0;
    for (int32_t r = 0; r < m.V; r++) {
        for (int i = 0; i < m.stride; i++) {
            float x = m.syn0[(size_t)r * m.stride + i];
            if (i < m.D) {
                cr_assert(x >= -0.05f && x < 0.05f, "syn0 in [-0.5/D, 0.5/D), got %g", x);
                sum += fabs(x);
            } else {
                cr_assert(x == 0, "the padding is zero");
            }
            cr_assert(m.syn1neg[(size_t)r * m.stride + i] == 0, "syn1neg starts at zero");
        }
    }
    cr_assert(sum / (m.V * m.D) > 0.02, "uniform: the mean |x| is near 0.025");
    w2v_model_free(&m);
}

// --- vectors files ----------------------------------------------------------------------------

Test(word2vec, vectors_file_round_trip)
{
    char *dir = test_tmpdir();
    char *path = lab_path_join(dir, "v.txt");
    char *words[3] = {"alpha", "b c", "\xe6\x98\xa5"}; // a space is written as \x20
    float rows[3 * 16] = {0};
    const float vals[3][3] = {{0.25f, -1.5f, 3e-7f}, {1234567.0f, 0, -0.1f}, {1, 2, 3}};
    for (int r = 0; r < 3; r++) {
        for (int i = 0; i < 3; i++) {
            rows[r * 16 + i] = vals[r][i];
        }
    }
    cr_assert_eq(w2v_save_text(path, words, rows, 3, 3, 16), 0);
    char *text;
    size_t n;
    cr_assert_eq(lab_read_file(path, &text, &n, 0), 0);
    cr_assert(strncmp(text, "3 3\nalpha 0.25 -1.5 3e-07\nb\\x20c ", 33) == 0, "%s", text);
    free(text);
    W2vVectors v;
    cr_assert_eq(w2v_vectors_read(&v, path), 0);
    cr_assert_eq(v.V, 3);
    cr_assert_eq(v.D, 3);
    cr_assert_eq(w2v_vectors_find(&v, "alpha"), 0);
    cr_assert_eq(w2v_vectors_find(&v, "b\\x20c"), 1);
    cr_assert_eq(w2v_vectors_find(&v, "\xe6\x98\xa5"), 2);
    cr_assert_eq(w2v_vectors_find(&v, "beta"), -1);
    for (int r = 0; r < 3; r++) {
        for (int i = 0; i < 3; i++) {
            cr_assert(test_rel_eq(v.vec[r * 3 + i], vals[r][i], 5e-6), "row %d value %d: %g",
                      r, i, v.vec[r * 3 + i]);
        }
    }
    w2v_vectors_free(&v);
    // gensim's layout: no trailing space; word2vec.c's: a trailing space; CRLF line ends
    const char *other = "2 2\r\nx 1 2 \r\ny\t3 4\r\n";
    char *p2 = test_write(dir, "w.txt", other, strlen(other));
    cr_assert_eq(w2v_vectors_read(&v, p2), 0);
    cr_assert_eq(v.vec[3], 4.0f);
    w2v_vectors_free(&v);
    unlink(path);
    unlink(p2);
    rmdir(dir);
    free(p2);
    free(path);
    free(dir);
}

typedef struct {
    const char *path;
} ReadArg;

static int read_vectors(void *arg)
{
    W2vVectors v;
    int rc = w2v_vectors_read(&v, ((ReadArg *)arg)->path);
    if (rc == 0) {
        w2v_vectors_free(&v);
    }
    return rc;
}

Test(word2vec, malformed_vectors_files_fail_naming_file_and_line)
{
    struct {
        const char *data;
        size_t len; // 0: strlen
        const char *msg;
    } cases[] = {
        {"", 0, "is empty"},
        {"3\n", 0, "line 1: expected a header 'WORDS DIMENSIONS'"},
        {"x 2\na 1 2\n", 0, "line 1: expected a header"},
        {"2 2 2\na 1 2\n", 0, "line 1: expected a header"},
        {"0 5\n", 0, "both must be at least 1"},
        {"2000000000 300\na 1 2\n", 0, "line 1: the header promises 2000000000 vectors of 300"},
        {"99999999999999 3\n", 0, "line 1: expected a header"},
        {"2 3\na 1 2 3\nb 1.5 2.5\n", 0, "line 3: 'b' has 2 values, the header says 3"},
        {"2 3\na 1 2 3 4\nb 1 2 3\n", 0, "line 2: 'a' has more than the 3 values"},
        {"2 3\na 1 2 3\nb 1 x 3\n", 0, "line 3: value 2 of 'b' is not a finite number: 'x'"},
        {"2 3\na 1 2 3\nb 1 nan 3\n", 0, "value 2 of 'b' is not a finite number: 'nan'"},
        {"2 3\na 1 2 3\nb 1 1e99 3\n", 0, "value 2 of 'b' is not a finite number: '1e99'"},
        {"2 3\na 1 2 3\nb 1 2.5.1 3\n", 0, "is not a finite number: '2.5.1'"},
        {"3 1\na 1\nb 2\na 3\n", 0, "line 4: 'a' appears twice (first on line 2)"},
        {"3 1\na 1\nb 2\n     \n", 0, "line 4"},
        {"3 2\na 1.0000 2.0000\nb 2.0000 3.0000\n", 0,
         "line 4: the file ends after 2 of the 3 vectors"},
        {"1 2\na 1 2\nb 2 3\n", 0, "line 3: more vectors than the 1 of the header"},
        {"2 2\na 1 2\n\nb 2 3\n", 0, "line 3: a blank line where a vector was expected"},
        {"2 1\na 1\n b 2\n", 0, "line 3: a line must begin with its word"},
        {"1 2\nab\0\x01\x02\x03\x04\x05\x06\x07\n", 15, "holds NUL bytes"},
    };
    char *dir = test_tmpdir();
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].data);
        char *path = test_write(dir, "bad.txt", cases[i].data, len);
        ReadArg arg = {path};
        int rc;
        char *err = capture_stderr(read_vectors, &arg, &rc);
        cr_assert_eq(rc, -1, "case %zu was accepted: %s", i, cases[i].data);
        cr_assert(strstr(err, "bad.txt'"), "case %zu: the message names the file:\n%s", i, err);
        cr_assert(strstr(err, cases[i].msg), "case %zu: expected '%s' in:\n%s", i, cases[i].msg,
                  err);
        cr_assert(strstr(err, "hint: "), "case %zu: a hint:\n%s", i, err);
        free(err);
        unlink(path);
        free(path);
    }
    rmdir(dir);
    free(dir);
}

// --- neighbours and analogies -----------------------------------------------------------------

Test(word2vec, nearest_and_analogy_on_hand_made_vectors)
{
    // unit vectors: man (1,0,0), woman (0,1,0), king (1,0,1)/r2, queen (0,1,1)/r2 (r2 = sqrt 2)
    W2vVectors v = {0};
    const char *words[] = {"man", "woman", "king", "queen", "apple"};
    const float vec[5][3] = {{1, 0, 0}, {0, 1, 0}, {1, 0, 1}, {0, 1, 1}, {0.2f, 0.2f, -1}};
    v.V = 5;
    v.D = 3;
    v.word = lab_malloc(5 * sizeof *v.word);
    v.vec = lab_malloc(15 * sizeof *v.vec);
    for (int i = 0; i < 5; i++) {
        v.word[i] = lab_strdup(words[i]);
        memcpy(v.vec + 3 * i, vec[i], sizeof vec[i]);
    }
    w2v_vectors_normalize(&v);
    W2vHit hits[5];
    // man : king = woman : ?  q = king - man + woman = (1/r2 - 1, 1, 1/r2)
    // cos(q, queen) = (1/r2 + 1/2) / |q| with |q|^2 = (1/r2 - 1)^2 + 1 + 1/2
    int n = w2v_analogy(hits, 5, &v, 0, 2, 1);
    cr_assert_eq(n, 2, "a, b and c are left out");
    cr_assert_str_eq(v.word[hits[0].id], "queen");
    double r2 = sqrt(2.0), q2 = (1 / r2 - 1) * (1 / r2 - 1) + 1.5;
    double want = (1 / r2 + 0.5) / sqrt(q2);
    cr_assert(fabs(hits[0].cos - want) < 1e-6, "cos %.9f, expected %.9f", hits[0].cos, want);
    cr_assert_str_eq(v.word[hits[1].id], "apple");
    // nearest to king: man (1/r2), queen (1/2), woman (0); apple is negative
    int32_t king = 2;
    n = w2v_nearest(hits, 3, &v, v.vec + 3 * king, &king, 1);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(v.word[hits[0].id], "man");
    cr_assert(fabs(hits[0].cos - 1 / r2) < 1e-6);
    cr_assert_str_eq(v.word[hits[1].id], "queen");
    cr_assert(fabs(hits[1].cos - 0.5) < 1e-6);
    cr_assert_str_eq(v.word[hits[2].id], "woman");
    cr_assert(fabs(hits[2].cos) < 1e-6);
    // a tie goes to the lower row: man and woman are equally far from (1, 1, 0)
    float q[3] = {(float)(1 / r2), (float)(1 / r2), 0};
    n = w2v_nearest(hits, 2, &v, q, NULL, 0);
    cr_assert_str_eq(v.word[hits[0].id], "man");
    cr_assert_str_eq(v.word[hits[1].id], "woman");
    for (int i = 0; i < 5; i++) {
        free(v.word[i]);
    }
    free(v.word);
    free(v.vec);
}

// --- PCA --------------------------------------------------------------------------------------

Test(word2vec, pca_recovers_the_direction_of_points_on_a_line)
{
    // six points c + t d in 3-D (more points than dimensions: the covariance route)
    const double c[3] = {1, -2, 0.5}, d[3] = {2, -1, 2}; // |d| = 3
    const double t[6] = {-1, 0.5, 2, 3, -2.5, 1};
    double x[6 * 3], proj[6 * 2], axes[2 * 3], var[2];
    for (int i = 0; i < 6; i++) {
        for (int j = 0; j < 3; j++) {
            x[i * 3 + j] = c[j] + t[i] * d[j];
        }
    }
    w2v_pca(proj, axes, var, x, 6, 3, 2);
    // the axis is d / |d| with its largest entry positive: (2, -1, 2) / 3 (first of the ties)
    for (int j = 0; j < 3; j++) {
        cr_assert(fabs(axes[j] - d[j] / 3) < 1e-9, "axis[%d] = %.12f, expected %.12f", j,
                  axes[j], d[j] / 3);
    }
    double tmean = 0;
    for (int i = 0; i < 6; i++) {
        tmean += t[i] / 6;
    }
    double vt = 0;
    for (int i = 0; i < 6; i++) {
        cr_assert(fabs(proj[i * 2] - 3 * (t[i] - tmean)) < 1e-9, "point %d at %.12f", i,
                  proj[i * 2]);
        cr_assert(fabs(proj[i * 2 + 1]) < 1e-9, "nothing off the line");
        vt += 9 * (t[i] - tmean) * (t[i] - tmean) / 6;
    }
    cr_assert(fabs(var[0] - vt) < 1e-9, "variance %.12f, expected %.12f", var[0], vt);
    cr_assert(fabs(var[1]) < 1e-9);

    // three points on a line in 10-D (fewer points than dimensions: the Gram route)
    double y[3 * 10], p3[3 * 2], ax3[2 * 10];
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < 10; j++) {
            y[i * 10 + j] = 0.1 * j + (i - 1) * (j == 4 ? -2.0 : 0.0);
        }
    }
    w2v_pca(p3, ax3, NULL, y, 3, 10, 2);
    for (int j = 0; j < 10; j++) {
        double want = j == 4 ? 1.0 : 0.0;
        cr_assert(fabs(ax3[j] - want) < 1e-9, "axis[%d] = %.12f, expected %.1f", j, ax3[j],
                  want);
    }
    cr_assert(fabs(p3[0] - 2) < 1e-9 && fabs(p3[2]) < 1e-9 && fabs(p3[4] + 2) < 1e-9,
              "projections -2 t: %g %g %g", p3[0], p3[2], p3[4]);
}

Test(word2vec, pca_of_a_known_ellipse)
{
    // points (+-3, 0) and (0, +-1) rotated by 30 degrees: axes (cos, sin) and (-sin, cos),
    // variances 9/2 and 1/2 (four points: 2 * 9 / 4 and 2 * 1 / 4)
    double a = M_PI / 6, cs = cos(a), sn = sin(a);
    const double p[4][2] = {{3, 0}, {-3, 0}, {0, 1}, {0, -1}};
    double x[8], proj[8], axes[4], var[2];
    for (int i = 0; i < 4; i++) {
        x[2 * i] = cs * p[i][0] - sn * p[i][1];
        x[2 * i + 1] = sn * p[i][0] + cs * p[i][1];
    }
    w2v_pca(proj, axes, var, x, 4, 2, 2);
    cr_assert(fabs(var[0] - 4.5) < 1e-9 && fabs(var[1] - 0.5) < 1e-9, "variances %g %g", var[0],
              var[1]);
    cr_assert(fabs(axes[0] - cs) < 1e-9 && fabs(axes[1] - sn) < 1e-9, "first axis (%g, %g)",
              axes[0], axes[1]);
    // second axis +-(-sin, cos): its largest entry (cos) positive
    cr_assert(fabs(axes[2] + sn) < 1e-9 && fabs(axes[3] - cs) < 1e-9, "second axis (%g, %g)",
              axes[2], axes[3]);
    cr_assert(fabs(proj[0] - 3) < 1e-9 && fabs(proj[1]) < 1e-9);
    cr_assert(fabs(proj[4]) < 1e-9 && fabs(proj[5] - 1) < 1e-9);
}
