// test_ngram_binary.c: model.bin, the binary n-gram format (ngram/binary.c).
//
// A model written as model.bin and mapped back scores as the model itself did, within the
// rounding of its values to float: every ln P and ln bow is stored as the float nearest to it,
// a relative error of at most 2^-24 each, so a token's ln P, a sum of at most order such
// values, is within 2^-24 (|ln p| + sum |ln bow|) of the double model's; the tests allow 1e-6
// relative (docs/formats.md). Files from other toolkits are checked against the independent
// scorer's fixture (tests/fixtures/toolkit_expected.tsv). Damaged files: every truncation and
// every flipped header byte is refused with a message naming the file, and tables filled with
// noise load and score without a crash.
#include "tests/helpers.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>

#include "ngram/ngram.h"

// --- helpers -------------------------------------------------------------------------------

// Runs load(path) with stderr sent to a file; returns its status and what it printed.
static int load_capture(NgramModel *m, const char *path, char **err)
{
    char *dir = test_tmpdir();
    char *log = lab_path_join(dir, "stderr");
    fflush(stderr);
    int saved = dup(2);
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(fd >= 0 && saved >= 0);
    dup2(fd, 2);
    close(fd);
    int status = ngram_bin_load(m, path, UNIT_LINE);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    size_t n;
    cr_assert_eq(lab_read_file(log, err, &n, 0), 0);
    free(log);
    free(dir);
    return status;
}

typedef struct {
    Vocab v;
    Tokenizer t;
    NgramCounts nc;
    NgramModel m;
    Corpus train, test;
} Trained;

// a model of dataset's train split, and its test split encoded with the model's vocabulary
static void train(Trained *tr, const char *dataset, TokKind kind, int order, Smoothing sm)
{
    memset(tr, 0, sizeof *tr);
    TextOpts o = TEXT_OPTS_DEFAULT;
    o.tokenizer = kind;
    cr_assert_eq(text_tokenizer(&tr->t, &o), 0);
    vocab_init(&tr->v);
    char rel[128];
    snprintf(rel, sizeof rel, "datasets/%s/train.txt", dataset);
    char *path = test_path(rel);
    cr_assert_eq(text_load_corpus(&tr->train, &tr->v, 1, &tr->t, &o, path), 0);
    free(path);
    ngram_count(&tr->nc, &tr->train, tr->v.n, order, UNIT_LINE, NGRAM_PAD_SENTENCE);
    NgramParams p = {.smoothing = sm, .k = 0.1};
    for (int k = 0; k <= NGRAM_MAX_ORDER; k++) {
        p.eps[k] = 0.5;
    }
    cr_assert_eq(ngram_model_build(&tr->m, &tr->nc, &tr->v, order, &p), 0);
    snprintf(rel, sizeof rel, "datasets/%s/test.txt", dataset);
    path = test_path(rel);
    cr_assert_eq(text_load_corpus(&tr->test, &tr->m.vocab, 0, &tr->t, &o, path), 0);
    free(path);
}

static void trained_free(Trained *tr)
{
    ngram_model_free(&tr->m);
    ngram_counts_free(&tr->nc);
    corpus_free(&tr->train);
    corpus_free(&tr->test);
    vocab_free(&tr->v);
    tok_free(&tr->t);
}

// writes m as dir/name and maps it back into b
static char *write_and_load(const NgramModel *m, const char *name, NgramModel *b)
{
    char *dir = test_tmpdir();
    char *path = lab_path_join(dir, name);
    free(dir);
    cr_assert_eq(ngram_bin_write(m, path), 0);
    cr_assert_eq(ngram_bin_load(b, path, m->unit), 0, "'%s' does not load back", path);
    return path;
}

// the float rounding bound of one score (see the file's comment), with room
static int close_enough(double a, double b)
{
    if (isinf(a) || isinf(b)) {
        return a == b;
    }
    return fabs(a - b) <= 1e-6 * (1.0 + fabs(a));
}

// Every token of c in its context: the binary model b against the model m, token by token
// (ngram_logprob) and as a whole (ngram_eval).
static void check_same_scores(const NgramModel *m, const NgramModel *b, const Corpus *c)
{
    int N = m->order;
    cr_assert_eq(b->order, N);
    cr_assert_eq(b->vocab.n, m->vocab.n);
    for (int32_t id = 0; id < m->vocab.n; id++) {
        cr_assert_eq(b->vocab.len[id], m->vocab.len[id]);
        cr_assert(memcmp(b->vocab.str[id], m->vocab.str[id], m->vocab.len[id]) == 0,
                  "token %d differs", id);
    }
    int32_t ctx[NGRAM_MAX_ORDER];
    for (long long s = 0; s < c->nseq; s++) {
        for (int j = 0; j < N - 1; j++) {
            ctx[j] = TOK_BOS;
        }
        for (long long i = c->start[s]; i < c->start[s + 1]; i++) {
            double want = ngram_logprob(m, ctx, c->ids[i]);
            double got = ngram_logprob(b, ctx, c->ids[i]);
            cr_assert(close_enough(want, got), "token %lld: ln P %.9g from model.bin, %.9g from "
                      "the model", i, got, want);
            if (N > 1) {
                memmove(ctx, ctx + 1, (size_t)(N - 2) * sizeof *ctx);
                ctx[N - 2] = c->ids[i];
            }
        }
    }
    LabLoss lm, lb;
    ngram_eval(m, c, &lm);
    ngram_eval(b, c, &lb);
    cr_assert_eq(lb.tokens, lm.tokens);
    cr_assert_eq(lb.zero, lm.zero);
    cr_assert(test_rel_eq(lab_loss_mean(&lb), lab_loss_mean(&lm), 1e-6),
              "loss %.12g from model.bin, %.12g from the model", lab_loss_mean(&lb),
              lab_loss_mean(&lm));
}

// --- scores --------------------------------------------------------------------------------

Test(ngram_binary, kn_word_model_scores_as_the_model_does, .timeout = 120)
{
    Trained tr;
    train(&tr, "timemachine", TOK_WORD, 4, SMOOTH_KN);
    NgramModel b;
    char *path = write_and_load(&tr.m, "model.bin", &b);
    check_same_scores(&tr.m, &b, &tr.test);
    free(path);
    ngram_model_free(&b);
    trained_free(&tr);
}

// The evaluator's own walk (cursors, a closed model's state with its carried backoff weights)
// against the binary model's token-by-token scores, which find every context afresh: both read
// the same floats and add them in the same order, so only the order of the final sum differs.
Test(ngram_binary, eval_walk_sums_the_token_by_token_scores, .timeout = 120)
{
    Trained tr;
    train(&tr, "timemachine", TOK_WORD, 5, SMOOTH_KN);
    NgramModel b;
    char *path = write_and_load(&tr.m, "model.bin", &b);
    cr_assert(b.bin->closed, "a trained model has every suffix");
    const Corpus *c = &tr.test;
    int N = b.order;
    double nats = 0;
    long long tokens = 0;
    long long unk = 0;
    int32_t ctx[NGRAM_MAX_ORDER];
    for (long long s = 0; s < c->nseq; s++) {
        for (int j = 0; j < N - 1; j++) {
            ctx[j] = TOK_BOS;
        }
        for (long long i = c->start[s]; i < c->start[s + 1]; i++) {
            unk += c->ids[i] == TOK_UNK;
            nats -= ngram_logprob(&b, ctx, c->ids[i]);
            tokens++;
            memmove(ctx, ctx + 1, (size_t)(N - 2) * sizeof *ctx);
            ctx[N - 2] = c->ids[i];
        }
    }
    // the model scores <unk> (an unscored one would reset the walk's context, which a list of
    // token ids cannot say), and the test split has some, so that path is walked too
    cr_assert(ngram_model_find(&b, 1, 0, TOK_UNK) != NGRAM_NONE);
    cr_assert_gt(unk, 0);
    LabLoss l;
    ngram_eval(&b, c, &l);
    cr_assert_eq(l.tokens, tokens);
    cr_assert(test_rel_eq(l.nats, nats, 1e-12), "eval's walk sums %.15g nats, the tokens one "
              "by one %.15g", l.nats, nats);
    free(path);
    ngram_model_free(&b);
    trained_free(&tr);
}

Test(ngram_binary, every_smoothing_and_order_scores_as_the_model_does, .timeout = 120)
{
    for (int sm = SMOOTH_MLE; sm <= SMOOTH_KN; sm++) {
        for (int order = 1; order <= NGRAM_MAX_ORDER; order++) {
            Trained tr;
            train(&tr, "names", TOK_CHAR, order, (Smoothing)sm);
            NgramModel b;
            char *path = write_and_load(&tr.m, "model.bin", &b);
            check_same_scores(&tr.m, &b, &tr.test);
            free(path);
            ngram_model_free(&b);
            trained_free(&tr);
        }
    }
}

Test(ngram_binary, distribution_sums_to_one)
{
    Trained tr;
    train(&tr, "names", TOK_CHAR, 5, SMOOTH_KN);
    NgramModel b;
    char *path = write_and_load(&tr.m, "model.bin", &b);
    double *p = lab_malloc((size_t)b.vocab.n * sizeof *p);
    int32_t ctx[4] = {TOK_BOS, TOK_BOS, TOK_BOS, TOK_BOS};
    for (int t = 0; t < 40; t++) {
        ngram_distribution(&b, ctx, p);
        double sum = 0;
        for (int32_t w = 0; w < b.vocab.n; w++) {
            sum += p[w];
        }
        cr_assert(fabs(sum - 1.0) < 1e-5, "step %d: the distribution sums to %.9f", t, sum);
        int32_t next = tr.test.ids[t];
        memmove(ctx, ctx + 1, 3 * sizeof *ctx);
        ctx[3] = next;
    }
    free(p);
    free(path);
    ngram_model_free(&b);
    trained_free(&tr);
}

Test(ngram_binary, arpa_from_another_toolkit_scores_by_the_backoff_rule)
{
    char *arpa = test_path("tests/fixtures/toolkit.arpa");
    NgramModel a, b;
    cr_assert_eq(ngram_arpa_read(&a, arpa, UNIT_LINE), 0);
    char *path = write_and_load(&a, "toolkit.bin", &b);
    cr_assert_eq(b.bin->closed, 1, "every suffix is listed, yet the file is not marked closed");
    cr_assert(ngram_bin_is(path));
    cr_assert(!ngram_bin_is(arpa));
    Tokenizer tok;
    tok_init(&tok, TOK_WORD, "\\S+", 0);
    char *test = test_path("tests/fixtures/toolkit_test.txt");
    char *text;
    size_t len;
    cr_assert_eq(text_read(test, UTF8_STRICT, &text, &len), 0);
    Corpus c;
    cr_assert_eq(corpus_encode(&c, &b.vocab, &tok, UNIT_LINE, text, len), 0);
    // the independent scorer's log10 P of each token, in order (tests/fixtures/README.md)
    char *exp_path = test_path("tests/fixtures/toolkit_expected.tsv");
    char *data;
    cr_assert_eq(lab_read_file(exp_path, &data, &len, 0), 0);
    char *line = strchr(data, '\n') + 1; // past the header
    int32_t ctx[2];
    for (long long s = 0; s < c.nseq; s++) {
        ctx[0] = ctx[1] = TOK_BOS;
        for (long long k = c.start[s]; k < c.start[s + 1]; k++) {
            char *tab = strrchr(strtok(line, "\n"), '\t');
            line += strlen(line) + 1;
            double want = strtod(tab + 1, NULL);
            double got = ngram_logprob(&b, ctx, c.ids[k]) / M_LN10;
            cr_assert(fabs(got - want) < 1e-6, "token %lld: log10 P %.9f, expected %.9f", k, got,
                      want);
            ctx[0] = ctx[1];
            ctx[1] = c.ids[k];
        }
    }
    check_same_scores(&a, &b, &c);
    free(data);
    free(exp_path);
    corpus_free(&c);
    free(text);
    free(test);
    tok_free(&tok);
    ngram_model_free(&a);
    ngram_model_free(&b);
    free(path);
    free(arpa);
}

// A pruned file: "<s> hello world" is listed, its suffix "hello world" is not, and the context
// "world </s>" of no trigram; "world hello" is the context of no trigram but has a backoff
// weight, so the scorer must keep it as a context. Every token in every two-token context
// scores as from the ARPA model, which follows the backoff rule past the missing suffix.
Test(ngram_binary, pruned_arpa_scores_as_read_from_arpa)
{
    static const char text[] = "\\data\\\nngram 1=4\nngram 2=4\nngram 3=1\n\n"
                               "\\1-grams:\n-0.5\t</s>\n-99\t<s>\t-0.2\n-0.3\thello\t-0.1\n"
                               "-0.7\tworld\t-0.4\n\n"
                               "\\2-grams:\n-0.2\t<s> hello\t-0.3\n-0.15\tworld </s>\n"
                               "-0.4\thello </s>\n-0.6\tworld hello\t-0.5\n\n"
                               "\\3-grams:\n-0.05\t<s> hello world\n\n\\end\\\n";
    char *dir = test_tmpdir();
    char *arpa = test_write(dir, "pruned.arpa", text, sizeof text - 1);
    NgramModel a, b;
    cr_assert_eq(ngram_arpa_read(&a, arpa, UNIT_LINE), 0);
    char *path = write_and_load(&a, "pruned.bin", &b);
    cr_assert_eq(b.bin->closed, 0, "a file with a missing suffix is marked closed");
    for (int32_t x = 0; x < a.vocab.n; x++) {
        for (int32_t y = 0; y < a.vocab.n; y++) {
            for (int32_t w = 1; w < a.vocab.n; w++) {
                int32_t ctx[2] = {x, y};
                double want = ngram_logprob(&a, ctx, w), got = ngram_logprob(&b, ctx, w);
                cr_assert(close_enough(want, got), "P(%d | %d %d): %.9g from model.bin, %.9g "
                          "from the ARPA file", w, x, y, got, want);
            }
        }
    }
    // and in sequence, through the scorer's state: long enough that each of ngram_eval's
    // cursors walks several tokens (a cursor's first token is scored from its history)
    Tokenizer tok;
    tok_init(&tok, TOK_WORD, "\\S+", 0);
    static const char line[] = "hello world\nworld hello world hello hello world\nhello hello\n";
    char q[50 * sizeof line];
    q[0] = '\0';
    for (int i = 0; i < 50; i++) {
        strcat(q, line);
    }
    Corpus c;
    cr_assert_eq(corpus_encode(&c, &b.vocab, &tok, UNIT_LINE, q, strlen(q)), 0);
    check_same_scores(&a, &b, &c);
    corpus_free(&c);
    tok_free(&tok);
    ngram_model_free(&a);
    ngram_model_free(&b);
    free(path);
    free(arpa);
    free(dir);
}

// --- damaged files -------------------------------------------------------------------------

static char *small_model(char **dir_out, size_t *len, char **bytes)
{
    char *arpa = test_path("tests/fixtures/toolkit.arpa");
    NgramModel a;
    cr_assert_eq(ngram_arpa_read(&a, arpa, UNIT_LINE), 0);
    char *dir = test_tmpdir();
    char *path = lab_path_join(dir, "model.bin");
    cr_assert_eq(ngram_bin_write(&a, path), 0);
    cr_assert_eq(lab_read_file(path, bytes, len, 0), 0);
    ngram_model_free(&a);
    free(arpa);
    *dir_out = dir;
    return path;
}

Test(ngram_binary, every_truncation_is_refused_naming_the_file, .timeout = 120)
{
    char *dir, *bytes;
    size_t len;
    char *full = small_model(&dir, &len, &bytes);
    cr_assert(len > NGRAM_BIN_HEADER);
    for (size_t n = 0; n < len; n++) {
        char *p = test_write(dir, "cut.bin", bytes, n);
        NgramModel m;
        char *err;
        cr_assert_eq(load_capture(&m, p, &err), -1, "a file cut to %zu of %zu bytes loads", n,
                     len);
        cr_assert(strstr(err, "cut.bin'") && strstr(err, "hint:"),
                  "cut to %zu bytes: the message does not name the file: %s", n, err);
        cr_assert(n >= NGRAM_BIN_HEADER ? strstr(err, "truncated") != NULL : 1,
                  "cut to %zu bytes: %s", n, err);
        free(err);
        free(p);
    }
    free(bytes);
    free(full);
    free(dir);
}

Test(ngram_binary, every_flipped_header_byte_is_refused, .timeout = 120)
{
    char *dir, *bytes;
    size_t len;
    char *full = small_model(&dir, &len, &bytes);
    for (size_t i = 0; i < NGRAM_BIN_HEADER; i++) {
        for (int bit = 0; bit < 8; bit += 7) { // the lowest and the highest bit
            bytes[i] ^= (char)(1 << bit);
            char *p = test_write(dir, "flip.bin", bytes, len);
            bytes[i] ^= (char)(1 << bit);
            NgramModel m;
            char *err;
            cr_assert_eq(load_capture(&m, p, &err), -1, "byte %zu bit %d flipped: it loads", i,
                         bit);
            cr_assert(strstr(err, "flip.bin'"), "byte %zu: %s", i, err);
            free(err);
            free(p);
        }
    }
    free(bytes);
    free(full);
    free(dir);
}

// sets a u32 of the header and seals it again, as a writer of another kind would
static void set_u32(char *bytes, size_t at, uint32_t v)
{
    memcpy(bytes + at, &v, 4);
    ngram_bin_seal(bytes);
}

Test(ngram_binary, magic_version_and_byte_order_are_named)
{
    char *dir, *bytes;
    size_t len;
    char *full = small_model(&dir, &len, &bytes);
    struct {
        size_t at;
        uint32_t v;
        const char *says;
    } cases[] = {
        {0, 0x4150524c, "is not an lmlab binary model"}, // "LRPA" over the magic
        {8, 1, "version 1; this lmlab reads version 2"}, // a file from before Robin Hood lookups
        {12, 0x04030201, "other byte order"},
        {16, 7, "order 7 is outside 1..6"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *copy = lab_malloc(len);
        memcpy(copy, bytes, len);
        set_u32(copy, cases[i].at, cases[i].v);
        char *p = test_write(dir, "other.bin", copy, len);
        NgramModel m;
        char *err;
        cr_assert_eq(load_capture(&m, p, &err), -1);
        cr_assert(strstr(err, cases[i].says), "expected '%s' in: %s", cases[i].says, err);
        free(err);
        free(p);
        free(copy);
    }
    free(bytes);
    free(full);
    free(dir);
}

// Tables of noise under a sound header: every lookup ends (max_probe), every node stays inside
// its table, so scoring finishes; the numbers are noise.
Test(ngram_binary, noise_in_the_tables_never_crashes, .timeout = 120)
{
    char *dir, *bytes;
    size_t len;
    char *full = small_model(&dir, &len, &bytes);
    LabRng rng;
    lab_rng_seed(&rng, 7);
    for (int round = 0; round < 200; round++) {
        char *copy = lab_malloc(len);
        memcpy(copy, bytes, len);
        // past the header and the vocabulary: some bytes (or, one round in four, all of them)
        size_t from = len / 3;
        for (size_t i = from; i < len; i++) {
            if (round % 4 == 0 || lab_rng_u64(&rng) % 16 == 0) {
                copy[i] = (char)(round % 8 == 0 ? 0xff : lab_rng_u64(&rng));
            }
        }
        char *p = test_write(dir, "noise.bin", copy, len);
        NgramModel m;
        char *err;
        if (load_capture(&m, p, &err) == 0) {
            int32_t ctx[2] = {TOK_BOS, TOK_BOS};
            double *probs = lab_malloc((size_t)m.vocab.n * sizeof *probs);
            for (int32_t w = 0; w < m.vocab.n; w++) {
                ngram_logprob(&m, ctx, w);
                ctx[0] = ctx[1], ctx[1] = w;
            }
            ngram_distribution(&m, ctx, probs);
            free(probs);
            ngram_model_free(&m);
        }
        free(err);
        free(p);
        free(copy);
    }
    free(bytes);
    free(full);
    free(dir);
}

Test(ngram_binary, loading_a_run_prefers_a_newer_model_bin)
{
    char *arpa = test_path("tests/fixtures/toolkit.arpa");
    NgramModel a, b;
    cr_assert_eq(ngram_arpa_read(&a, arpa, UNIT_LINE), 0);
    char *dir = test_tmpdir();
    char *copy = lab_path_join(dir, "model.arpa");
    cr_assert_eq(ngram_arpa_write(&a, copy), 0);
    char *bin = lab_path_join(dir, "model.bin");
    cr_assert_eq(ngram_bin_write(&a, bin), 0);
    cr_assert_eq(ngram_model_load_dir(&b, dir, UNIT_LINE), 0);
    cr_assert_not_null(b.bin, "model.bin, newer than model.arpa, was not the one read");
    ngram_model_free(&b);
    // an ARPA file edited after the binary was made: the ARPA file is read
    struct timespec later[2] = {{.tv_sec = 0, .tv_nsec = UTIME_OMIT},
                                {.tv_sec = time(NULL) + 10, .tv_nsec = 0}};
    cr_assert_eq(utimensat(AT_FDCWD, copy, later, 0), 0);
    cr_assert_eq(ngram_model_load_dir(&b, dir, UNIT_LINE), 0);
    cr_assert_null(b.bin);
    ngram_model_free(&b);
    // a newer model.bin of another version (a run from another lmlab): the ARPA file is read
    cr_assert_eq(ngram_bin_write(&a, bin), 0);
    size_t len;
    char *bytes;
    cr_assert_eq(lab_read_file(bin, &bytes, &len, 0), 0);
    set_u32(bytes, 8, NGRAM_BIN_VERSION - 1);
    free(test_write(dir, "model.bin", bytes, len));
    free(bytes);
    cr_assert_eq(utimensat(AT_FDCWD, bin, later, 0), 0);
    cr_assert_eq(utimensat(AT_FDCWD, copy, (struct timespec[2]){{0, UTIME_OMIT}, {0, 0}}, 0), 0);
    cr_assert_eq(ngram_model_load_dir(&b, dir, UNIT_LINE), 0);
    cr_assert_null(b.bin, "a model.bin of version %u was read", NGRAM_BIN_VERSION - 1);
    ngram_model_free(&b);
    unlink(bin);
    cr_assert_eq(ngram_model_load_dir(&b, dir, UNIT_LINE), 0);
    cr_assert_null(b.bin);
    ngram_model_free(&b);
    ngram_model_free(&a);
    free(bin);
    free(copy);
    free(dir);
    free(arpa);
}
