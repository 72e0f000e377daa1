// test_tokenizer_fast.c: the hand-written matchers of tok_split (TokFast) against PCRE2.
//
// The reference is PCRE2 itself: the same Tokenizer with t.fast set to TOK_FAST_NONE runs
// every text through pcre2_jit_match. Every token of the shipped corpora (line by line and
// whole) and of random ASCII and UTF-8 texts must come out the same, in the same order.
#include "tests/helpers.h"

#include "datasets/datasets.h"

// --- tokens collected back to back ----------------------------------------------------------

typedef struct {
    char *buf;      // tokens, each followed by a NUL
    size_t n, cap;
    long ntok;
} Collected;

static void collect(const char *tok, size_t len, void *ctx)
{
    Collected *c = ctx;
    if (c->n + len + 1 > c->cap) {
        c->cap = 2 * (c->n + len + 1) + 256;
        c->buf = lab_realloc(c->buf, c->cap);
    }
    memcpy(c->buf + c->n, tok, len);
    c->n += len;
    c->buf[c->n++] = '\0';
    c->ntok++;
}

// the patterns with a hand-written matcher, and what tok_init must recognise them as
static const struct {
    const char *pattern;
    TokFast fast;
} FAST[] = {
    {TOK_DEFAULT_PATTERN, TOK_FAST_DEFAULT},
    {TOK_WORDS_PATTERN, TOK_FAST_WORDS},
    {"\\b\\w\\w+\\b", TOK_FAST_W2},
};
enum { NFAST = sizeof FAST / sizeof *FAST };

// Splits s[0..n) with the matcher and with PCRE2 and asserts the same tokens; returns how
// many tokens there were. what names the text in a failure.
static long same_tokens(Tokenizer *fast, Tokenizer *pcre, const char *s, size_t n,
                        const char *what)
{
    Collected a = {0}, b = {0};
    cr_assert_eq(tok_split(fast, s, n, collect, &a), 0);
    cr_assert_eq(tok_split(pcre, s, n, collect, &b), 0);
    if (a.ntok != b.ntok || a.n != b.n || (a.n && memcmp(a.buf, b.buf, a.n) != 0)) {
        // the first token that differs, for the message
        size_t i = 0;
        long k = 0;
        while (i < a.n && i < b.n && strcmp(a.buf + i, b.buf + i) == 0) {
            i += strlen(a.buf + i) + 1;
            k++;
        }
        char qa[64], qb[64], qs[200];
        cr_assert_fail("pattern %s, lowercase %d, %s: token %ld is '%s' by hand, '%s' by PCRE2 "
                "(%ld and %ld tokens) in '%s'",
                fast->pattern, fast->lowercase, what, k,
                i < a.n ? lab_quote(qa, sizeof qa, a.buf + i, strlen(a.buf + i)) : "(none)",
                i < b.n ? lab_quote(qb, sizeof qb, b.buf + i, strlen(b.buf + i)) : "(none)",
                a.ntok, b.ntok, lab_quote(qs, sizeof qs, s, n));
    }
    long ntok = a.ntok;
    free(a.buf);
    free(b.buf);
    return ntok;
}

// the pair of tokenizers for FAST[i]: the matcher, and PCRE2 alone
static void pair_init(Tokenizer *fast, Tokenizer *pcre, int i, int lowercase)
{
    cr_assert_eq(tok_init(fast, TOK_WORD, FAST[i].pattern, lowercase), 0);
    cr_assert_eq(tok_init(pcre, TOK_WORD, FAST[i].pattern, lowercase), 0);
    cr_assert_eq(fast->fast, FAST[i].fast, "pattern %s: fast %d, expected %d", FAST[i].pattern,
                 fast->fast, FAST[i].fast);
    pcre->fast = TOK_FAST_NONE;
}

// --- the tests --------------------------------------------------------------------------------

Test(tokenizer_fast, recognises_only_its_patterns_by_their_exact_text)
{
    const char *others[] = {"\\w+", "\\b\\w\\w+\\b|x", "(?:\\b\\w\\w+\\b)", "\\S+", "[a-z]+"};
    for (size_t i = 0; i < sizeof others / sizeof *others; i++) {
        Tokenizer t;
        cr_assert_eq(tok_init(&t, TOK_WORD, others[i], 0), 0);
        cr_assert_eq(t.fast, TOK_FAST_NONE, "pattern %s has no matcher of its own", others[i]);
        tok_free(&t);
    }
    Tokenizer t;
    cr_assert_eq(tok_init(&t, TOK_WORD, NULL, 0), 0); // NULL is the default pattern
    cr_assert_eq(t.fast, TOK_FAST_DEFAULT);
    tok_free(&t);
    cr_assert_eq(tok_init(&t, TOK_CHAR, NULL, 0), 0);
    cr_assert_eq(t.fast, TOK_FAST_NONE);
    tok_free(&t);
}

Test(tokenizer_fast, hand_examples_split_as_the_patterns_say)
{
    // worked by hand from the patterns' definitions (docs/tokenizers.md)
    const char *text = "Don't 'tis x''y a_b C++ it's. __ q";
    const char *want[NFAST] = {
        "Don't|'|tis|x|'|'|y|a|_|b|C|+|+|it's|.|_|_|q|",
        "Don't|tis|x|y|a|b|C|it's|q|",
        "Don|tis|a_b|it|__|",
    };
    for (int i = 0; i < NFAST; i++) {
        Tokenizer t;
        cr_assert_eq(tok_init(&t, TOK_WORD, FAST[i].pattern, 0), 0);
        Collected c = {0};
        tok_split(&t, text, strlen(text), collect, &c);
        for (size_t j = 0; j < c.n; j++) {
            c.buf[j] = c.buf[j] ? c.buf[j] : '|';
        }
        collect("", 0, &c); // the closing NUL
        cr_assert_str_eq(c.buf, want[i], "pattern %s", FAST[i].pattern);
        free(c.buf);
        tok_free(&t);
    }
}

Test(tokenizer_fast, lowercases_ascii_tokens_as_the_whole_text_would_be)
{
    Tokenizer t;
    cr_assert_eq(tok_init(&t, TOK_WORD, "\\b\\w\\w+\\b", 1), 0);
    Collected c = {0};
    const char *text = "The QUICK brOwn Fox_42 @ZZ [az]";
    tok_split(&t, text, strlen(text), collect, &c);
    const char *want[] = {"the", "quick", "brown", "fox_42", "zz", "az"};
    cr_assert_eq(c.ntok, 6);
    size_t o = 0;
    for (int k = 0; k < 6; k++) {
        cr_assert_str_eq(c.buf + o, want[k]);
        o += strlen(want[k]) + 1;
    }
    free(c.buf);
    tok_free(&t);
}

// every line of the file, then the whole file as one text
static long corpus_same(const char *rel)
{
    char *path = test_path(rel);
    char *text;
    size_t len;
    cr_assert_eq(text_read(path, UTF8_STRICT, &text, &len), 0, "cannot read %s", path);
    long total = 0;
    for (int i = 0; i < NFAST; i++) {
        for (int low = 0; low <= 1; low++) {
            Tokenizer fast, pcre;
            pair_init(&fast, &pcre, i, low);
            for (size_t a = 0; a < len;) {
                const char *nl = memchr(text + a, '\n', len - a);
                size_t z = nl ? (size_t)(nl - text) : len;
                total += same_tokens(&fast, &pcre, text + a, z - a, rel);
                a = z + 1;
            }
            total += same_tokens(&fast, &pcre, text, len, rel);
            tok_free(&fast);
            tok_free(&pcre);
        }
    }
    free(text);
    free(path);
    return total;
}

Test(tokenizer_fast, every_token_of_the_shipped_corpora_is_the_one_pcre2_finds, .timeout = 600)
{
    const char *files[] = {
        "datasets/timemachine/train.txt",     "datasets/timemachine/valid.txt",
        "datasets/timemachine/test.txt",      "datasets/tinyshakespeare/train.txt",
        "datasets/tinyshakespeare/valid.txt", "datasets/tangpoems/train.txt",
        "datasets/tangpoems/valid.txt",       "datasets/tangpoems/test.txt",
        "datasets/names/train.txt",           "datasets/names/valid.txt",
        "datasets/names/test.txt",
    };
    for (size_t f = 0; f < sizeof files / sizeof *files; f++) {
        cr_assert_gt(corpus_same(files[f]), 0, "%s: no token compared", files[f]);
    }
}

// splitmix64: the test's own random numbers, independent of the lab's RNG
static uint64_t next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

// A random text of at most 60 bytes into buf: bytes drawn from pieces that stress the
// patterns (apostrophes, '_', marks, every whitespace byte, control bytes, NUL), and with
// utf8 != 0 some multi-byte characters too (the curly apostrophe, Han, letters that
// lowercase to ASCII: U+0130 and the Kelvin sign). Returns its length.
static size_t random_text(uint64_t *rng, char *buf, int utf8)
{
    static const char *const pieces[] = {
        "a", "Z", "q", "7", "_", "'", "''", " ", "\t", "\n", "\v", "\f", "\r", "-", ".",
        "$", "+", "`", "~", "\\", "@", "\x01", "\x1F", "\x7F", "Ab", "don't", "x_y", "",
    };
    static const char *const wide[] = {"\xE2\x80\x99", "\xE4\xB8\xAD", "\xC4\xB0",
                                       "\xE2\x84\xAA", "\xC3\xA9"};
    size_t npieces = sizeof pieces / sizeof *pieces;
    size_t n = 0, want = next(rng) % 40;
    while (n < want) {
        uint64_t r = next(rng);
        const char *p;
        size_t len;
        if (r % 64 == 0) {
            p = "\0";
            len = 1;
        } else if (utf8 && r % 16 == 1) {
            p = wide[(r >> 8) % 5];
            len = strlen(p);
        } else if (r % 8 == 2) { // any ASCII byte but NUL
            buf[n++] = (char)(1 + (r >> 8) % 127);
            continue;
        } else {
            p = pieces[(r >> 8) % npieces];
            len = strlen(p);
        }
        memcpy(buf + n, p, len);
        n += len;
    }
    return n;
}

Test(tokenizer_fast, random_ascii_and_utf8_texts_split_as_pcre2_splits_them, .timeout = 600)
{
    uint64_t rng = 20240611;
    char buf[64];
    for (int i = 0; i < NFAST; i++) {
        for (int low = 0; low <= 1; low++) {
            Tokenizer fast, pcre;
            pair_init(&fast, &pcre, i, low);
            for (int k = 0; k < 20000; k++) {
                size_t n = random_text(&rng, buf, k % 4 == 3);
                same_tokens(&fast, &pcre, buf, n, "a random text");
            }
            // every pair of ASCII bytes, with a word byte around them
            for (int a = 0; a < 128; a++) {
                for (int b = 0; b < 128; b++) {
                    char s[5] = {'x', (char)a, (char)b, 'y', 'z'};
                    same_tokens(&fast, &pcre, s, sizeof s, "a pair of bytes");
                    same_tokens(&fast, &pcre, s + 1, 2, "a pair of bytes");
                }
            }
            tok_free(&fast);
            tok_free(&pcre);
        }
    }
}

Test(tokenizer_fast, lowercasing_mixed_text_maps_each_character_as_a_table_says)
{
    // each piece with its lowercase (by hand; towlower in C.UTF-8 for the non-ASCII ones):
    // long ASCII runs take the eight-bytes-at-a-time path, the rest one character at a time
    static const char *const pieces[][2] = {
        {"ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz"},
        {"@[`{ ~\x7F\x01_", "@[`{ ~\x7F\x01_"},
        {"Hello World", "hello world"},
        {"\xC3\x89", "\xC3\xA9"},           // É -> é
        {"\xCE\xA3", "\xCF\x83"},           // Σ -> σ
        {"\xC4\xB0", "i"},                  // İ -> i
        {"\xE2\x84\xAA", "k"},              // the Kelvin sign -> k
        {"\xE4\xB8\xAD", "\xE4\xB8\xAD"},   // 中 stays
        {"Z", "z"},
    };
    enum { NP = sizeof pieces / sizeof *pieces };
    uint64_t rng = 7;
    Tokenizer t;
    cr_assert_eq(tok_init(&t, TOK_CHAR, NULL, 1), 0);
    for (int k = 0; k < 5000; k++) {
        char text[512], want[512];
        size_t n = 0, m = 0;
        for (int p = (int)(next(&rng) % 12); p > 0; p--) {
            int i = (int)(next(&rng) % NP);
            size_t a = strlen(pieces[i][0]), b = strlen(pieces[i][1]);
            memcpy(text + n, pieces[i][0], a);
            memcpy(want + m, pieces[i][1], b);
            n += a;
            m += b;
        }
        size_t got_n;
        const char *got = tok_lowercase(&t, text, n, &got_n);
        cr_assert(got_n == m && memcmp(got, want, m) == 0, "lowercase of '%.*s' is '%.*s'",
                  (int)n, text, (int)got_n, got);
    }
    tok_free(&t);
}
