// tfidf_internal.h: what the pieces of TF-IDF share and nothing outside ngram/tfidf*.c sees.
//
// tfidf.h is the public face. Here: a byte buffer (stop words, the matrix writer) and the
// analyzer, which turns a document into term ids for fitting (tfidf_fit.c) and for a query
// (tfidf_transform), written in tfidf_terms.c.
#ifndef NGRAM_TFIDF_INTERNAL_H
#define NGRAM_TFIDF_INTERNAL_H

#include "ngram/tfidf.h"

#include <string.h>

// --- a growing byte buffer -------------------------------------------------------------------
typedef struct {
    char *buf;   // (n) bytes, then a NUL; NULL while empty
    size_t n, cap;
} ByteBuf;

// Appends s[0..n) and keeps the contents NUL-terminated.
static inline void tfidf_buf_append(ByteBuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = 2 * (b->n + n + 1) + 64;
        b->buf = lab_realloc(b->buf, b->cap);
    }
    memcpy(b->buf + b->n, s, n);
    b->n += n;
    b->buf[b->n] = '\0';
}

// --- weights as text -------------------------------------------------------------------------
// Writes weight v as lab_format_double does (the shortest decimal that reads back as v,
// NUL-terminated, LAB_NUMTEXT_MAX bytes of room; exact with 128-bit integers where normalised
// weights lie). Returns the length.
int tfidf_format_weight(char *out, double v);

// --- the analyzer -----------------------------------------------------------------------------
// The tokens of one document, back to back in one buffer, each followed by one space (words)
// or by nothing (characters). So the n-gram of tokens i..i+n-1 is the bytes from the start of
// token i to the start of token i+n, less the final space for words: word n-grams come out
// joined by one space, character n-grams as the characters in a row, without copying.


// Where the terms of a document go: their ids in a term set, added to it (fitting) or looked
// up in it (a query: absent terms are counted, and kept in unknown_set when it is not NULL).
typedef struct {
    int32_t *id;
    long n, cap;
} Ids;

// A direct-mapped memo in front of the term table when fitting: a slot holds a term of at
// most 8 bytes (its bytes as a number, zero-padded, and its length) and its id. Most tokens
// are a few hundred short common words: their ids come from here, without hashing and
// probing the table. It only ever returns the id the table gave, so ids are the same.
// 4096 slots (64 KB) measured fastest on the 1M-document bench (1024: 15% more fit time;
// 16384 and 16-byte keys no better).
typedef struct {
    uint64_t bytes;
    int32_t len;             // -1: empty
    int32_t id;
} MemoSlot;
enum { SINK_MEMO_BITS = 12 };

typedef struct {
    LabStrTab *terms;
    int add;
    MemoSlot *memo;          // add: (1 << SINK_MEMO_BITS) slots, or NULL (tfidf_sink_memo)
    Ids ids;                 // the document's term ids, in the order of the terms
    long long unknown;
    LabStrTab *unknown_set;
} Sink;

typedef struct {
    char *buf;             // (n) token bytes
    size_t n, cap;
    size_t *off;           // (ntok + 1) token i starts at buf[off[i]]
    long ntok, captok;
    int chars;             // character tokens
    int last_space;        // chars: the last token is whitespace
    const LabStrTab *stop;
    long long stopped;     // words dropped as stop words
    Sink *direct;          // words, unigrams only: each token goes straight to this sink
} Tokens;

// Gives an adding sink its memo (freed by the caller with free(sink->memo)).
void tfidf_sink_memo(Sink *sink);

// A tokens buffer for documents tokenized by kind; stop (may be NULL) is kept as a pointer
// and only used for word tokens. tfidf_tokens_free is safe on a zeroed struct.
void tfidf_tokens_init(Tokens *k, TokKind kind, const LabStrTab *stop);
void tfidf_tokens_free(Tokens *k);

// Every term of text[0..len) into sink (its id list restarted): n-grams of every length
// ngram_min .. ngram_max, the shortest first, as scikit-learn lists them. -1 when the
// tokenizer fails (its message printed).
int tfidf_analyze(Tokens *k, Tokenizer *t, const TfidfParams *p, Sink *sink, const char *text,
                  size_t len);

#endif
