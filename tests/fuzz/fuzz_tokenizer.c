// fuzz_tokenizer.c: the word tokenizer's hand-written matchers against PCRE2. The first input
// byte chooses one of the three patterns with a matcher (TokFast) and whether to lowercase;
// the rest is the text, used when it is valid UTF-8 (tok_split's precondition: text_read
// checks it). The matcher and PCRE2 alone (t.fast = TOK_FAST_NONE) must yield the same
// tokens in the same order.
#include "tests/fuzz/fuzz.h"

#include <assert.h>

#include "datasets/datasets.h"

static Tokenizer fast[6], pcre[6];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *patterns[3] = {TOK_DEFAULT_PATTERN, TOK_WORDS_PATTERN, "\\b\\w\\w+\\b"};
    for (int i = 0; i < 6; i++) {
        if (tok_init(&fast[i], TOK_WORD, patterns[i / 2], i % 2) != 0 ||
            tok_init(&pcre[i], TOK_WORD, patterns[i / 2], i % 2) != 0 ||
            fast[i].fast == TOK_FAST_NONE) {
            abort();
        }
        pcre[i].fast = TOK_FAST_NONE;
    }
    return 0;
}

// tokens back to back, each followed by a NUL byte and its length in 4 bytes
typedef struct {
    uint8_t *buf;
    size_t n, cap;
} Out;

static void collect(const char *tok, size_t len, void *ctx)
{
    Out *o = ctx;
    if (o->n + len + 5 > o->cap) {
        o->cap = 2 * (o->n + len + 5);
        o->buf = lab_realloc(o->buf, o->cap);
    }
    memcpy(o->buf + o->n, tok, len);
    o->buf[o->n + len] = 0;
    uint32_t l = (uint32_t)len;
    memcpy(o->buf + o->n + len + 1, &l, 4);
    o->n += len + 5;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    int which = data[0] % 6;
    const char *text = (const char *)data + 1;
    size_t n = size - 1;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int k = utf8_decode(data + 1 + i, n - i, &cp);
        if (k < 0) {
            return 0;
        }
        i += (size_t)k;
    }
    Out a = {0}, b = {0};
    assert(tok_split(&fast[which], text, n, collect, &a) == 0);
    assert(tok_split(&pcre[which], text, n, collect, &b) == 0);
    assert(a.n == b.n && (a.n == 0 || memcmp(a.buf, b.buf, a.n) == 0));
    free(a.buf);
    free(b.buf);
    return 0;
}
