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
    if (!lab_config_get(cfg, "tokenizer") || !lab_config_get(cfg, "unit")) {
        char q[512];
        return lab_error_hint("retrain the model with 'lmlab ngram train'",
                              "'%s': missing 'tokenizer' or 'unit'",
                              lab_quote(q, sizeof q, path, strlen(path)));
    }
    // the command line's own table, so the config is held to the same choices and ranges
    TextOpts t = TEXT_OPTS_DEFAULT;
    const LabOpt opts[] = {
        TEXT_OPTS_TABLE(t),
        TEXT_MIN_COUNT_OPT(t, "rarer token types read as <unk>"),
        {0},
    };
    if (lab_config_apply(cfg, path, opts) != 0) {
        return -1;
    }
    *o = t;
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
        char q[512];
        return lab_error_hint(o->tokenizer == TOK_WORD ? "check --pattern" : NULL,
                              "'%s' has no tokens", lab_quote(q, sizeof q, path, strlen(path)));
    }
    return rc;
}
