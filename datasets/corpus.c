// corpus.c: a text split into sequences of token ids.
//
// UNIT_LINE: each non-blank line is a sequence ending in </s> (a trailing "\r" is dropped,
// so CRLF files read like LF files). UNIT_STREAM: the whole text is one sequence, newlines
// included for the char tokenizer, and no </s>.
#include "datasets.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    Corpus *c;
    Vocab *build;        // counting mode: add types and count them
    const Vocab *fixed;  // encoding mode: look types up
    long long cap;
} Sink;

static void push_id(Sink *k, int32_t id)
{
    Corpus *c = k->c;
    if (c->n == k->cap) {
        k->cap = k->cap ? 2 * k->cap : 1 << 16;
        c->ids = lab_realloc(c->ids, (size_t)k->cap * sizeof *c->ids);
    }
    c->ids[c->n++] = id;
}

static void on_token(const char *tok, size_t len, void *ctx)
{
    Sink *k = ctx;
    int32_t id;
    if (k->build) {
        id = vocab_add(k->build, tok, len);
        k->build->count[id]++;
    } else {
        id = vocab_find(k->fixed, tok, len);
        if (id < 0) {
            id = TOK_UNK;
            k->c->oov++;
        }
    }
    push_id(k, id);
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v') {
            return 0;
        }
    }
    return 1;
}

static int tokenize(Corpus *c, Sink *k, Tokenizer *t, TokUnit unit, const char *text,
                    size_t len)
{
    memset(c, 0, sizeof *c);
    long long seq_cap = 1024;
    c->start = lab_malloc((size_t)seq_cap * sizeof *c->start);
    c->start[0] = 0;
    if (unit == UNIT_STREAM) {
        if (tok_split(t, text, len, on_token, k) != 0) {
            return -1;
        }
        c->words = text_count_words(text, len);
        c->nseq = 1;
        c->start[1] = c->n;
        return 0;
    }
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t n = end - i;
        if (n > 0 && text[i + n - 1] == '\r') {
            n--;
        }
        if (!is_blank(text + i, n)) {
            if (tok_split(t, text + i, n, on_token, k) != 0) {
                return -1;
            }
            if (k->build) {
                k->build->count[TOK_EOS]++;
            }
            push_id(k, TOK_EOS);
            c->words += text_count_words(text + i, n);
            if (c->nseq + 2 > seq_cap) {
                seq_cap *= 2;
                c->start = lab_realloc(c->start, (size_t)seq_cap * sizeof *c->start);
            }
            c->start[++c->nseq] = c->n;
        }
        i = end + 1;
    }
    return 0;
}

int corpus_build(Corpus *c, Vocab *vocab, Tokenizer *t, TokUnit unit, const char *text,
                 size_t len, long long min_count)
{
    Sink k = {.c = c, .build = vocab};
    if (t->kind == TOK_BPE) {
        // every BPE token, seen in this text or not: byte-level BPE can spell any text, so
        // the model it trains must be able to score any token
        for (int32_t id = 0; id < t->bpe->n; id++) {
            size_t n;
            const char *s = tok_bpe_token(t, id, &n);
            vocab_add(vocab, s, n);
        }
        min_count = 0;
    }
    if (tokenize(c, &k, t, unit, text, len) != 0) {
        corpus_free(c);
        return -1;
    }
    int32_t *map = vocab_prune_sort_map(vocab, min_count);
    vocab->bpe = t->kind == TOK_BPE ? t->bpe : NULL;
    for (long long i = 0; i < c->n; i++) {
        c->ids[i] = map[c->ids[i]];
        c->oov += c->ids[i] == TOK_UNK;
    }
    free(map);
    return 0;
}

int corpus_encode(Corpus *c, const Vocab *vocab, Tokenizer *t, TokUnit unit, const char *text,
                  size_t len)
{
    Sink k = {.c = c, .fixed = vocab};
    if (tokenize(c, &k, t, unit, text, len) != 0) {
        corpus_free(c);
        return -1;
    }
    return 0;
}

void corpus_free(Corpus *c)
{
    free(c->ids);
    free(c->start);
    memset(c, 0, sizeof *c);
}

long long corpus_seq_of(const Corpus *c, long long pos)
{
    long long lo = 0, hi = c->nseq - 1;
    while (lo < hi) {
        long long mid = lo + (hi - lo + 1) / 2;
        if (c->start[mid] <= pos) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    return lo;
}
