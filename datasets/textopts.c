// textopts.c: the text options every command shares, and loading a corpus with them.
#include "datasets.h"

#include <stdlib.h>
#include <string.h>

static const char *const TOK_NAMES[] = {"char", "word", "bpe"};

const char *text_tokenizer_name(int kind)
{
    return kind >= 0 && kind <= TOK_BPE ? TOK_NAMES[kind] : "?";
}

void text_opts_save(const TextOpts *o, LabConfig *cfg)
{
    lab_config_set(cfg, "tokenizer", "%s", TOK_NAMES[o->tokenizer]);
    if (o->tokenizer == TOK_WORD) {
        lab_config_set(cfg, "pattern", "%s", o->pattern ? o->pattern : TOK_DEFAULT_PATTERN);
    }
    if (o->tokenizer == TOK_BPE) {
        // where the tokenizer came from; the run reads its own copy, RUN/bpe (vocab_save)
        if (o->bpe) {
            lab_config_set(cfg, "bpe", "%s", o->bpe);
        } else {
            lab_config_set(cfg, "bpe_vocab", "%ld", o->bpe_vocab);
            lab_config_set(cfg, "bpe_split", "%s", o->bpe_split == BPE_GPT4 ? "gpt4" : "gpt2");
        }
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
    if (t.tokenizer == TOK_BPE) {
        // the tokenizer the run saved beside its config, not the one it was made from
        const char *slash = strrchr(path, '/');
        int dir = slash ? (int)(slash - path) : 1;
        int n = snprintf(t.run_bpe, sizeof t.run_bpe, "%.*s/bpe", dir, slash ? path : ".");
        if (n < 0 || (size_t)n >= sizeof t.run_bpe) {
            char q[512];
            return lab_error("'%s': the path of the run directory is too long",
                             lab_quote(q, sizeof q, path, strlen(path)));
        }
    }
    *o = t;
    return 0;
}

const char *text_run_suffix(const TextOpts *o, char *buf, size_t cap)
{
    if (o->tokenizer != TOK_BPE) {
        return o->tokenizer == TOK_WORD ? "-word" : "";
    }
    if (o->bpe || !o->bpe_vocab) {
        return "-bpe";
    }
    snprintf(buf, cap, "-bpe%ld", o->bpe_vocab);
    return buf;
}

// --tokenizer bpe: the tokenizer of the run, of --bpe DIR, or one to train (--bpe-vocab N)
static int bpe_tokenizer(Tokenizer *t, const TextOpts *o)
{
    const char *dir = o->run_bpe[0] ? o->run_bpe : o->bpe;
    if (!dir && !o->bpe_vocab) {
        return lab_error_hint("'lmlab tokenize --tokenizer bpe --train-vocab N --out DIR' saves "
                              "one for --bpe DIR",
                              "--tokenizer bpe needs --bpe-vocab N (train N tokens on the "
                              "training text) or --bpe DIR (a saved tokenizer)");
    }
    if (!o->run_bpe[0] && o->bpe && o->bpe_vocab) {
        return lab_error("give --bpe DIR or --bpe-vocab N, not both");
    }
    if (o->min_count > 1) {
        return lab_error_hint("every BPE token is in the vocabulary; a rare word is made of "
                              "shorter tokens instead",
                              "--min-count does not apply to --tokenizer bpe");
    }
    Bpe *b = lab_malloc(sizeof *b);
    if (dir) {
        if (bpe_load(b, dir) != 0) {
            free(b);
            return -1;
        }
        tok_init_bpe(t, b, o->lowercase);
        return 0;
    }
    const char *special[] = {BPE_ENDOFTEXT};
    if (bpe_init(b, (BpeSplit)o->bpe_split, special, 1) != 0) {
        free(b);
        return -1;
    }
    tok_init_bpe(t, b, o->lowercase);
    t->bpe_pending = (int32_t)o->bpe_vocab;
    return 0;
}

int text_tokenizer(Tokenizer *t, const TextOpts *o)
{
    if (o->tokenizer == TOK_BPE) {
        return bpe_tokenizer(t, o);
    }
    memset(t, 0, sizeof *t);
    if (o->bpe || o->bpe_vocab) {
        return lab_error("--%s goes with --tokenizer bpe", o->bpe ? "bpe" : "bpe-vocab");
    }
    return tok_init(t, (TokKind)o->tokenizer, o->pattern, o->lowercase);
}

int text_load_corpus(Corpus *c, Vocab *vocab, int build, Tokenizer *t, const TextOpts *o,
                     const char *path)
{
    char *text;
    size_t len;
    if (t->kind == TOK_BPE && t->bpe_pending && !build) {
        char q[512];
        return lab_error_hint("train with --bpe-vocab N, or give a saved tokenizer: --bpe DIR",
                              "--bpe-vocab trains a tokenizer on a training text, and '%s' is "
                              "read with a fixed vocabulary",
                              lab_quote(q, sizeof q, path, strlen(path)));
    }
    if (text_read(path, (Utf8Mode)o->utf8, &text, &len) != 0) {
        return -1;
    }
    if (t->kind == TOK_BPE && t->bpe_pending && tok_bpe_train(t, text, len) != 0) {
        free(text);
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
