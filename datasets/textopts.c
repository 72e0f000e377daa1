// textopts.c: the text options every command shares, and loading a corpus with them.
#include "datasets.h"

#include <stdlib.h>
#include <string.h>

void text_opts_save(const TextOpts *o, LabConfig *cfg)
{
    lab_config_set(cfg, "tokenizer", "%s", o->tokenizer == TOK_CHAR ? "char" : "word");
    if (o->tokenizer == TOK_WORD) {
        lab_config_set(cfg, "pattern", "%s", o->pattern ? o->pattern : TOK_DEFAULT_PATTERN);
    }
    lab_config_set(cfg, "lowercase", "%d", o->lowercase);
    lab_config_set(cfg, "unit", "%s", o->unit == UNIT_LINE ? "line" : "stream");
    lab_config_set(cfg, "utf8", "%s", o->utf8 == UTF8_STRICT ? "strict" : "replace");
    lab_config_set(cfg, "min_count", "%ld", o->min_count);
}

int text_opts_load(TextOpts *o, const LabConfig *cfg, const char *path)
{
    const char *tok = lab_config_get(cfg, "tokenizer");
    const char *unit = lab_config_get(cfg, "unit");
    const char *lower = lab_config_get(cfg, "lowercase");
    const char *utf8 = lab_config_get(cfg, "utf8");
    if (!tok || !unit || (strcmp(tok, "char") && strcmp(tok, "word")) ||
        (strcmp(unit, "line") && strcmp(unit, "stream"))) {
        return lab_error_hint("retrain the model with 'lmlab ngram train'",
                              "'%s': missing or bad 'tokenizer' or 'unit'", path);
    }
    o->tokenizer = strcmp(tok, "char") == 0 ? TOK_CHAR : TOK_WORD;
    o->unit = strcmp(unit, "line") == 0 ? UNIT_LINE : UNIT_STREAM;
    o->pattern = lab_config_get(cfg, "pattern");
    o->lowercase = lower && strcmp(lower, "1") == 0;
    o->utf8 = utf8 && strcmp(utf8, "replace") == 0 ? UTF8_REPLACE : UTF8_STRICT;
    const char *mc = lab_config_get(cfg, "min_count");
    o->min_count = mc ? atol(mc) : 1;
    return 0;
}

int text_tokenizer(Tokenizer *t, const TextOpts *o)
{
    return tok_init(t, (TokKind)o->tokenizer, o->pattern, o->lowercase);
}

int text_load_corpus(Corpus *c, Vocab *vocab, int build, Tokenizer *t, const TextOpts *o,
                     const char *path)
{
    char *text;
    size_t len;
    if (text_read(path, (Utf8Mode)o->utf8, &text, &len) != 0) {
        return -1;
    }
    int rc = build ? corpus_build(c, vocab, t, (TokUnit)o->unit, text, len, o->min_count)
                   : corpus_encode(c, vocab, t, (TokUnit)o->unit, text, len);
    free(text);
    if (rc == 0 && c->n == (o->unit == UNIT_LINE ? c->nseq : 0)) {
        // nothing but the </s> of each line: the pattern matched nothing
        corpus_free(c);
        return lab_error_hint(o->tokenizer == TOK_WORD ? "check --pattern" : NULL,
                              "'%s' has no tokens", path);
    }
    return rc;
}
