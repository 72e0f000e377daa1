// test_spill.c: counting in bounded memory (ngram_count_bounded) gives ngram_count's trie, and
// scoring the text it leaves on disk (ngram_eval_spilled) gives ngram_eval's loss.
//
// Two references: counts worked out by hand on a text of three lines, and ngram_count itself,
// which counts the same text held whole in memory with a different algorithm (one pass per
// order over the padded text, adjusted counts as it goes). The texts are made larger than the
// limit, so they are counted in many runs, merged in several passes. The loss is checked bit
// for bit against ngram_eval on the ids held whole, with windows of one chunk, of three and
// of every chunk at once.
#include "tests/helpers.h"

#include <dirent.h>
#include <unistd.h>

#include "ngram/ngram.h"

// --- sizes ----------------------------------------------------------------------------------

Test(spill, memory_sizes_parse_with_binary_suffixes)
{
    size_t b = 0;
    cr_assert_eq(ngram_memory_parse("300K", &b), 0);
    cr_assert_eq(b, 300u << 10);
    cr_assert_eq(ngram_memory_parse("100m", &b), 0);
    cr_assert_eq(b, 100u << 20);
    cr_assert_eq(ngram_memory_parse("1G", &b), 0);
    cr_assert_eq(b, 1u << 30);
    cr_assert_eq(ngram_memory_parse("2GB", &b), 0);
    cr_assert_eq(b, (size_t)2 << 30);
    cr_assert_eq(ngram_memory_parse("65536", &b), 0);
    cr_assert_eq(b, 65536u);
    const char *bad[] = {"", "K", "abc", "0", "0K", "-5", "1.5M", "10X", "10 M", "1KK",
                         "99999999999999999999", "2000000T"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        cr_assert_eq(ngram_memory_parse(bad[i], &b), -1, "'%s' is not a size", bad[i]);
    }
}

// --- fixtures -------------------------------------------------------------------------------

typedef struct {
    Vocab v;
    Corpus c; // bounded: the ids read back from sp's files
    NgramSpilledText sp;
    NgramCounts nc;
    Tokenizer t;
} Counted;

static void counted_free(Counted *x)
{
    ngram_counts_free(&x->nc);
    corpus_free(&x->c);
    ngram_spilled_close(&x->sp);
    vocab_free(&x->v);
    tok_free(&x->t);
}

// counts path as `ngram train` does without --memory
static void count_whole(Counted *x, const char *path, const TextOpts *o, int order, NgramPad pad)
{
    memset(x, 0, sizeof *x);
    cr_assert_eq(text_tokenizer(&x->t, o), 0);
    vocab_init(&x->v);
    cr_assert_eq(text_load_corpus(&x->c, &x->v, 1, &x->t, o, path), 0);
    ngram_count(&x->nc, &x->c, x->v.n, order, (TokUnit)o->unit, pad);
}

// ... and with --memory limit, spilling into dir
static int count_bounded(Counted *x, const char *path, const TextOpts *o, int order,
                         NgramPad pad, size_t limit, const char *dir)
{
    memset(x, 0, sizeof *x);
    cr_assert_eq(text_tokenizer(&x->t, o), 0);
    vocab_init(&x->v);
    int rc = ngram_count_bounded(&x->nc, &x->sp, &x->v, &x->t, o, path, order, pad, limit, dir);
    if (rc != 0) {
        return rc;
    }
    // the files as ngram.h lays them out: ids back to back, then nseq + 1 starts
    Corpus *c = &x->c;
    c->n = x->sp.n, c->nseq = x->sp.nseq, c->words = x->sp.words, c->oov = x->sp.oov;
    c->ids = lab_malloc((size_t)(c->n + 1) * sizeof *c->ids);
    c->start = lab_malloc((size_t)(c->nseq + 1) * sizeof *c->start);
    size_t ni = (size_t)c->n * sizeof *c->ids, ns = (size_t)(c->nseq + 1) * sizeof *c->start;
    cr_assert_eq(pread(x->sp.ids_fd, c->ids, ni, 0), (ssize_t)ni, "the ids read back");
    cr_assert_eq(pread(x->sp.starts_fd, c->start, ns, 0), (ssize_t)ns, "the starts read back");
    return 0;
}

// ngram_eval_spilled on b's files gives ngram_eval on a's corpus, bit for bit, under a
// Kneser-Ney model of a's counts, whatever the size of the windows it reads
static void assert_same_loss(const Counted *a, Counted *b, int order, const char *what)
{
    NgramModel m = {0};
    NgramParams p = {.smoothing = SMOOTH_KN};
    cr_assert_eq(ngram_model_build(&m, &a->nc, &a->v, order, &p), 0, "%s: model", what);
    LabLoss want, got;
    ngram_eval(&m, &a->c, &want);
    cr_assert_gt(want.tokens, 0, "%s: tokens scored", what);
    // one chunk a window (the smallest limit), three, every chunk at once
    const size_t chunk = (size_t)ngram_eval_chunk_tokens() * (sizeof(int32_t) + sizeof(long long));
    const size_t limits[] = {NGRAM_MEMORY_MIN, 2 * 3 * chunk, (size_t)1 << 30};
    size_t counted_in = b->sp.limit;
    for (size_t i = 0; i < sizeof limits / sizeof *limits; i++) {
        b->sp.limit = limits[i];
        cr_assert_eq(ngram_eval_spilled(&m, &b->sp, &got), 0, "%s: scored", what);
        cr_assert(memcmp(&got.nats, &want.nats, sizeof want.nats) == 0,
                  "%s, windows of %zuK: %.17g nats, expected %.17g bit for bit", what,
                  limits[i] >> 10, got.nats, want.nats);
        cr_assert_eq(got.tokens, want.tokens, "%s: tokens %lld, expected %lld", what, got.tokens,
                     want.tokens);
        cr_assert_eq(got.zero, want.zero, "%s: zero-probability tokens", what);
        cr_assert_eq(got.words, want.words, "%s: words", what);
        cr_assert_eq(got.oov, want.oov, "%s: oov", what);
    }
    b->sp.limit = counted_in;
    ngram_model_free(&m);
}

// the tokens of node s at order k, oldest first
static void tokens_of(const NgramCounts *nc, int k, uint32_t s, int32_t *w)
{
    for (int j = k; j >= 1; j--) {
        uint64_t key = nc->lev[j].keys[s];
        w[j - 1] = (int32_t)(uint32_t)key;
        s = (uint32_t)(key >> 32);
    }
}

static uint32_t node_of(const NgramCounts *nc, const int32_t *w, int k)
{
    uint32_t node = 0;
    for (int j = 1; j <= k && node != NGRAM_NONE; j++) {
        node = ngram_level_find(&nc->lev[j], node, w[j - 1]);
    }
    return node;
}

// Every n-gram of a in b with the same count, adjusted count and suffix; the same number of
// n-grams and table sizes at every order; the same vocabulary and corpus.
static void assert_same_counts(const Counted *a, const Counted *b, const char *what)
{
    cr_assert_eq(a->v.n, b->v.n, "%s: vocabulary %d, expected %d", what, b->v.n, a->v.n);
    for (int32_t id = 0; id < a->v.n; id++) {
        cr_assert_eq(a->v.len[id], b->v.len[id], "%s: token %d", what, id);
        cr_assert(memcmp(a->v.str[id], b->v.str[id], a->v.len[id]) == 0, "%s: token %d", what,
                  id);
        cr_assert_eq(a->v.count[id], b->v.count[id], "%s: count of token %d", what, id);
    }
    cr_assert_eq(a->c.n, b->c.n, "%s: tokens", what);
    cr_assert_eq(a->c.nseq, b->c.nseq, "%s: sequences", what);
    cr_assert_eq(a->c.words, b->c.words, "%s: words", what);
    cr_assert_eq(a->c.oov, b->c.oov, "%s: oov", what);
    cr_assert(memcmp(a->c.ids, b->c.ids, (size_t)a->c.n * sizeof *a->c.ids) == 0, "%s: ids",
              what);
    cr_assert(memcmp(a->c.start, b->c.start, (size_t)(a->c.nseq + 1) * sizeof *a->c.start) == 0,
              "%s: sequence starts", what);
    cr_assert_eq(a->nc.tokens, b->nc.tokens, "%s: counted tokens", what);
    for (int k = 1; k <= a->nc.order; k++) {
        const NgramLevel *La = &a->nc.lev[k], *Lb = &b->nc.lev[k];
        cr_assert_eq(La->n, Lb->n, "%s: order %d holds %u n-grams, expected %u", what, k, Lb->n,
                     La->n);
        cr_assert_eq(La->cap, Lb->cap, "%s: order %d table of %u slots, expected %u", what, k,
                     Lb->cap, La->cap);
        for (uint32_t s = 0; s < La->cap; s++) {
            if (La->keys[s] == NGRAM_EMPTY) {
                continue;
            }
            int32_t w[NGRAM_MAX_ORDER];
            tokens_of(&a->nc, k, s, w);
            uint32_t t = node_of(&b->nc, w, k);
            cr_assert_neq(t, NGRAM_NONE, "%s: an order-%d n-gram is missing", what, k);
            for (int v = 0; v < 2; v++) {
                cr_assert_eq(La->val[v][s], Lb->val[v][t], "%s: order %d %s %u, expected %u",
                             what, k, v == NGRAM_COUNT ? "count" : "adjusted count",
                             Lb->val[v][t], La->val[v][s]);
            }
            if (k >= 2) {
                int32_t sw[NGRAM_MAX_ORDER];
                tokens_of(&b->nc, k - 1, Lb->val[NGRAM_SUFFIX][t], sw);
                cr_assert(memcmp(sw, w + 1, (size_t)(k - 1) * sizeof *w) == 0,
                          "%s: order %d suffix link", what, k);
            }
        }
    }
}

// The dot files (temporary runs) and others in dir, . and .. aside
static int entries(const char *dir)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    }
    closedir(d);
    return n;
}

// --- by hand --------------------------------------------------------------------------------

// "a b / a c / b" as words, bigrams, one <s>:
//   unigrams  a 2, b 2, c 1, </s> 3, <s> 0
//   bigrams   <s> a 2, <s> b 1, a b 1, a c 1, b </s> 2, c </s> 1
//   adjusted  b: left neighbours {a, <s>} = 2; </s>: {b, c} = 2; a: {<s>} = 1; c: {a} = 1
//             <s> a: 2 and <s> b: 1 (start with <s>: their counts), the others 0
Test(spill, counts_of_a_small_text_are_those_worked_out_by_hand)
{
    char *dir = test_tmpdir();
    char *path = test_write(dir, "t.txt", "a b\na c\nb\n", 10);
    TextOpts o = TEXT_OPTS_DEFAULT;
    o.tokenizer = TOK_WORD;
    o.pattern = "\\S+";
    Counted x;
    lab_quiet = 1;
    cr_assert_eq(count_bounded(&x, path, &o, 2, NGRAM_PAD_SENTENCE, NGRAM_MEMORY_MIN, dir), 0);
    const NgramCounts *nc = &x.nc;
    struct {
        const char *w[2];
        int k;
        uint32_t count, adj;
    } want[] = {
        {{"a"}, 1, 2, 1},           {{"b"}, 1, 2, 2},         {{"c"}, 1, 1, 1},
        {{"</s>"}, 1, 3, 2},        {{"<s>"}, 1, 0, 0},       {{"<s>", "a"}, 2, 2, 2},
        {{"<s>", "b"}, 2, 1, 1},    {{"a", "b"}, 2, 1, 0},    {{"a", "c"}, 2, 1, 0},
        {{"b", "</s>"}, 2, 2, 0},   {{"c", "</s>"}, 2, 1, 0},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        int32_t w[2];
        for (int j = 0; j < want[i].k; j++) {
            const char *s = want[i].w[j];
            w[j] = strcmp(s, "<s>") == 0    ? TOK_BOS
                   : strcmp(s, "</s>") == 0 ? TOK_EOS
                                            : vocab_find(&x.v, s, strlen(s));
        }
        uint32_t s = node_of(nc, w, want[i].k);
        cr_assert_neq(s, NGRAM_NONE, "n-gram %zu is missing", i);
        const NgramLevel *L = &nc->lev[want[i].k];
        cr_assert_eq(L->val[NGRAM_COUNT][s], want[i].count, "n-gram %zu: count %u, expected %u",
                     i, L->val[NGRAM_COUNT][s], want[i].count);
        cr_assert_eq(L->val[NGRAM_ADJ][s], want[i].adj, "n-gram %zu: adjusted %u, expected %u",
                     i, L->val[NGRAM_ADJ][s], want[i].adj);
    }
    cr_assert_eq(nc->lev[2].n, 6, "six bigrams, %u counted", nc->lev[2].n);
    cr_assert_eq(x.c.n, 8, "five words and three </s>");
    counted_free(&x);
    unlink(path);
    cr_assert_eq(entries(dir), 0, "no temporary file left in the spill directory");
    rmdir(dir);
    free(path);
    free(dir);
}

// --- against counting in memory -------------------------------------------------------------

typedef struct {
    const char *dataset;
    int tokenizer, order, lowercase;
    long min_count;
    NgramPad pad;
    size_t limit;
} Case;

static void check_case(const Case *cs)
{
    char *dir = test_tmpdir();
    char *rel = lab_asprintf("datasets/%s/train.txt", cs->dataset);
    char *path = test_path(rel);
    TextOpts o = TEXT_OPTS_DEFAULT;
    o.tokenizer = cs->tokenizer;
    o.lowercase = cs->lowercase;
    o.min_count = cs->min_count;
    char what[128];
    snprintf(what, sizeof what, "%s %s order %d pad %s min-count %ld in %zuK", cs->dataset,
             cs->tokenizer == TOK_WORD ? "word" : "char", cs->order,
             cs->pad == NGRAM_PAD_NLTK ? "nltk" : "sentence", cs->min_count, cs->limit >> 10);
    Counted a, b;
    count_whole(&a, path, &o, cs->order, cs->pad);
    lab_quiet = 1;
    cr_assert_eq(count_bounded(&b, path, &o, cs->order, cs->pad, cs->limit, dir), 0, "%s",
                 what);
    assert_same_counts(&a, &b, what);
    assert_same_loss(&a, &b, cs->order, what);
    counted_free(&a);
    counted_free(&b);
    cr_assert_eq(entries(dir), 0, "%s: no temporary file left", what);
    rmdir(dir);
    free(path);
    free(rel);
    free(dir);
}

// names is 1.2 MB of counting state at order 6: at 64K it makes hundreds of runs, merged
// four at a time over several passes
Test(spill, char_counts_of_names_in_64k_equal_counting_in_memory, .timeout = 120)
{
    for (int order = 1; order <= NGRAM_MAX_ORDER; order++) {
        for (int pad = 0; pad < 2; pad++) {
            Case c = {"names", TOK_CHAR, order, 0, 1, (NgramPad)pad, NGRAM_MEMORY_MIN};
            check_case(&c);
        }
    }
}

Test(spill, word_counts_of_tinyshakespeare_equal_counting_in_memory, .timeout = 120)
{
    Case cases[] = {
        {"tinyshakespeare", TOK_WORD, 3, 1, 2, NGRAM_PAD_SENTENCE, 300 << 10},
        {"tinyshakespeare", TOK_WORD, 4, 0, 1, NGRAM_PAD_NLTK, 500 << 10},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        check_case(&cases[i]);
    }
}

Test(spill, char_counts_of_tangpoems_equal_counting_in_memory, .timeout = 120)
{
    Case c = {"tangpoems", TOK_CHAR, 5, 0, 1, NGRAM_PAD_SENTENCE, 400 << 10};
    check_case(&c);
}

// --- failures -------------------------------------------------------------------------------

Test(spill, a_limit_too_small_or_a_line_too_long_fails_with_a_message, .init = cr_redirect_stderr)
{
    char *dir = test_tmpdir();
    char line[4000];
    memset(line, 'x', sizeof line - 1);
    line[sizeof line - 1] = '\n';
    char *path = test_write(dir, "long.txt", line, sizeof line);
    TextOpts o = TEXT_OPTS_DEFAULT;
    Counted x;
    cr_assert_eq(count_bounded(&x, path, &o, 3, NGRAM_PAD_SENTENCE, 1024, dir), -1);
    counted_free(&x);
    // 64K reads 2K at a time: a line of 4000 bytes does not fit
    cr_assert_eq(count_bounded(&x, path, &o, 3, NGRAM_PAD_SENTENCE, NGRAM_MEMORY_MIN, dir), -1);
    counted_free(&x);
    // 128K reads 4K: it does
    cr_assert_eq(count_bounded(&x, path, &o, 3, NGRAM_PAD_SENTENCE, 128 << 10, dir), 0);
    cr_assert_eq(x.c.n, 4000, "3999 characters and </s>");
    cr_assert_eq(x.nc.lev[1].val[NGRAM_COUNT][ngram_level_find(&x.nc.lev[1], 0, TOK_FIRST)],
                 3999);
    counted_free(&x);
    unlink(path);
    cr_assert_eq(entries(dir), 0, "no temporary file left");
    rmdir(dir);
    free(path);
    free(dir);
    fflush(stderr);
    char buf[4096] = {0};
    FILE *f = cr_get_redirected_stderr();
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    cr_assert(strstr(buf, "--memory 1K is too small"), "message: %s", buf);
    cr_assert(strstr(buf, "line 1 is longer than the 2048 bytes read at once"), "message: %s",
              buf);
}
