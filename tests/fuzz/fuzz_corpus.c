// fuzz_corpus.c: corpus text from reading to ids. The first input byte chooses the UTF-8 mode
// (strict or replace), the tokenizer (char, the default word pattern, or lowercased words)
// and the unit (line or stream); the rest is the text file. Accepted text is counted into a
// vocabulary (corpus_build) and encoded again with it (corpus_encode): both must give the
// same number of tokens, and every id must be in the vocabulary.
#include "tests/fuzz/fuzz.h"

#include <assert.h>

#include "datasets/datasets.h"

static Tokenizer toks[3];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    // made once: the compiled patterns live as long as the process
    if (tok_init(&toks[0], TOK_CHAR, NULL, 0) != 0 || tok_init(&toks[1], TOK_WORD, NULL, 0) != 0 ||
        tok_init(&toks[2], TOK_WORD, NULL, 1) != 0) {
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }
    uint8_t how = data[0];
    Utf8Mode mode = how & 1 ? UTF8_REPLACE : UTF8_STRICT;
    Tokenizer *t = &toks[(how >> 1) % 3];
    TokUnit unit = how & 8 ? UNIT_STREAM : UNIT_LINE;
    char *text;
    size_t len;
    if (text_read(fuzz_file(data + 1, size - 1), mode, &text, &len) != 0) {
        return 0;
    }
    Vocab v;
    vocab_init(&v);
    Corpus c, e;
    if (corpus_build(&c, &v, t, unit, text, len, 1) == 0) {
        for (long long i = 0; i < c.n; i++) {
            assert(c.ids[i] >= 0 && c.ids[i] < v.n);
        }
        assert(corpus_encode(&e, &v, t, unit, text, len) == 0);
        assert(e.n == c.n && e.nseq == c.nseq);
        corpus_free(&e);
        corpus_free(&c);
    }
    vocab_free(&v);
    free(text);
    return 0;
}
