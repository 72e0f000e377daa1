// test_bpe_text.c: byte-level BPE in the text pipeline: GPT-2's byte-to-unicode map (against
// tests/fixtures/bpe/byte_map.tsv, written by GPT-2's own bytes_to_unicode), vocabularies of
// BPE token strings, exact detokenization of English and Chinese, word counts that do not
// depend on the tokenizer, and the tokenizer kept beside a run's vocabulary and config.
#include "tests/helpers.h"

#include "datasets/datasets.h"

// --- the byte map ---------------------------------------------------------------------------

Test(bpe_text, byte_map_is_gpt2s)
{
    char *p = test_path("tests/fixtures/bpe/byte_map.tsv");
    FILE *f = fopen(p, "r");
    cr_assert_not_null(f, "cannot open %s", p);
    char line[256];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') {
            continue;
        }
        unsigned b, cp;
        cr_assert_eq(sscanf(line, "%x\t%x", &b, &cp), 2, "bad fixture line %s", line);
        cr_assert_eq(bpe_byte_char((unsigned char)b), cp, "byte %02X -> U+%04X, expected U+%04X", b,
                     bpe_byte_char((unsigned char)b), cp);
        cr_assert_eq(bpe_char_byte(cp), (int)b, "U+%04X -> %d, expected byte %02X", cp,
                     bpe_char_byte(cp), b);
        n++;
    }
    fclose(f);
    free(p);
    cr_assert_eq(n, 256);
}

// the familiar spellings of GPT-2's vocabulary: Ġ for a space, Ċ for a newline, Âł for the
// no-break space (C2 A0)
Test(bpe_text, spells_space_newline_and_nbsp_as_gpt2_does)
{
    char out[16];
    size_t n = bpe_bytes_string(" the\n", 5, out);
    out[n] = '\0';
    cr_assert_str_eq(out, "\xC4\xA0the\xC4\x8A"); // "Ġthe" "Ċ"
    n = bpe_bytes_string("\xC2\xA0", 2, out);
    out[n] = '\0';
    cr_assert_str_eq(out, "\xC3\x82\xC5\x82"); // "Âł"
}

// no image is whitespace or a control: a token string is one word of a file
Test(bpe_text, every_byte_string_is_one_whitespace_free_word)
{
    char all[256], out[1024];
    for (int b = 0; b < 256; b++) {
        all[b] = (char)b;
    }
    size_t n = bpe_bytes_string(all, 256, out);
    cr_assert_eq(text_count_words(out, n), 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)out[i];
        cr_assert(c > 0x20 && c != 0x7F, "byte %02X in a token string", c);
    }
    char *e = tok_escape(out, n); // nothing to escape but the backslash
    cr_assert_eq(strlen(e), n + 1);
    free(e);
    cr_assert_eq(bpe_string_bytes(out, n), 256);
    cr_assert(memcmp(out, all, 256) == 0, "the bytes come back");
}

Test(bpe_text, a_string_that_is_no_token_is_left_alone)
{
    char s[] = "a b"; // a space is not the image of any byte
    cr_assert_eq(bpe_string_bytes(s, 3), -1);
    cr_assert_str_eq(s, "a b");
    char t[] = "\xC5\x84"; // U+0144, one past the last image
    cr_assert_eq(bpe_string_bytes(t, 2), -1);
    cr_assert_eq(bpe_char_byte(0x144), -1);
    cr_assert_eq(bpe_char_byte(0xA0), -1);
    cr_assert_eq(bpe_char_byte(0x20), -1);
}

// --- the pipeline ---------------------------------------------------------------------------

static void bpe_tok(Tokenizer *t, const char *fixture)
{
    TextOpts o = TEXT_OPTS_DEFAULT;
    o.tokenizer = TOK_BPE;
    char *dir = test_path(fixture);
    o.bpe = dir;
    cr_assert_eq(text_tokenizer(t, &o), 0);
    free(dir);
}

// detokenizes ids[0..n) into a new string
static char *detok(const Vocab *v, const int32_t *ids, long n, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    vocab_print_tokens(f, v, ids, n, TOK_BPE);
    fclose(f);
    return buf;
}

static const char EN_ZH[] = "The Time Traveller (for so it will be convenient to speak of him)\n"
                            "床前明月光，疑是地上霜。\n"
                            "  two spaces, a tab\tand caf\xC3\xA9 \xF0\x9F\x98\x80 end\n";

Test(bpe_text, stream_detokenizes_to_the_exact_bytes)
{
    const char *fixtures[] = {"tests/fixtures/bpe/timemachine_512",
                              "tests/fixtures/bpe/tangpoems_384"};
    for (int k = 0; k < 2; k++) {
        Tokenizer t;
        bpe_tok(&t, fixtures[k]);
        Vocab v;
        vocab_init(&v);
        Corpus c;
        cr_assert_eq(corpus_build(&c, &v, &t, UNIT_STREAM, EN_ZH, sizeof EN_ZH - 1, 1), 0);
        cr_assert_eq(v.n, TOK_FIRST + t.bpe->n, "every BPE token is in the vocabulary");
        cr_assert_eq(c.oov, 0);
        size_t len;
        char *back = detok(&v, c.ids, (long)c.n, &len);
        cr_assert_eq(len, sizeof EN_ZH - 1, "%s: %zu bytes back, expected %zu", fixtures[k], len,
                     sizeof EN_ZH - 1);
        cr_assert(memcmp(back, EN_ZH, len) == 0, "%s: got '%s'", fixtures[k], back);
        free(back);
        corpus_free(&c);
        vocab_free(&v);
        tok_free(&t);
    }
}

Test(bpe_text, lines_detokenize_to_the_exact_lines)
{
    Tokenizer t;
    bpe_tok(&t, "tests/fixtures/bpe/tangpoems_384");
    Vocab v;
    vocab_init(&v);
    Corpus c;
    cr_assert_eq(corpus_build(&c, &v, &t, UNIT_LINE, EN_ZH, sizeof EN_ZH - 1, 1), 0);
    cr_assert_eq(c.nseq, 3);
    const char *line = EN_ZH;
    for (long long s = 0; s < c.nseq; s++) {
        const char *nl = strchr(line, '\n');
        long n = (long)(c.start[s + 1] - c.start[s]) - 1; // </s> last
        cr_assert_eq(c.ids[c.start[s + 1] - 1], TOK_EOS);
        size_t len;
        char *back = detok(&v, c.ids + c.start[s], n, &len);
        cr_assert(len == (size_t)(nl - line) && memcmp(back, line, len) == 0,
                  "line %lld came back as '%s'", s + 1, back);
        free(back);
        line = nl + 1;
    }
    corpus_free(&c);
    vocab_free(&v);
    tok_free(&t);
}

// a text the tokenizer has never seen: a Hangul line through English merges has no <unk>
Test(bpe_text, an_unseen_script_is_never_out_of_vocabulary)
{
    Tokenizer t;
    bpe_tok(&t, "tests/fixtures/bpe/timemachine_512");
    Vocab v;
    vocab_init(&v);
    Corpus c, d;
    const char train[] = "the time machine\n";
    const char test[] = "한국어 텍스트 ΣΟΦΊΑ\n";
    cr_assert_eq(corpus_build(&c, &v, &t, UNIT_LINE, train, sizeof train - 1, 1), 0);
    cr_assert_eq(corpus_encode(&d, &v, &t, UNIT_LINE, test, sizeof test - 1), 0);
    cr_assert_eq(d.oov, 0, "%lld tokens out of vocabulary", d.oov);
    size_t len;
    char *back = detok(&v, d.ids, (long)d.n - 1, &len);
    cr_assert(len == sizeof test - 2 && memcmp(back, test, len) == 0, "got '%s'", back);
    free(back);
    corpus_free(&c);
    corpus_free(&d);
    vocab_free(&v);
    tok_free(&t);
}

// Word-level perplexity divides by the words of the text, so they must not depend on the
// tokenizer: EN_ZH has 13 + 1 + 8 whitespace-separated words (the Chinese line is one, its
// full-width comma is no space), lines and stream alike.
Test(bpe_text, words_are_the_same_for_char_word_and_bpe)
{
    char *dir = test_tmpdir();
    char *path = test_write(dir, "t.txt", EN_ZH, sizeof EN_ZH - 1);
    char *bdir = test_path("tests/fixtures/bpe/timemachine_512");
    for (int unit = UNIT_LINE; unit <= UNIT_STREAM; unit++) {
        for (int kind = TOK_CHAR; kind <= TOK_BPE; kind++) {
            TextOpts o = TEXT_OPTS_DEFAULT;
            o.tokenizer = kind;
            o.unit = unit;
            o.bpe = kind == TOK_BPE ? bdir : NULL;
            Tokenizer t;
            cr_assert_eq(text_tokenizer(&t, &o), 0);
            Vocab v;
            vocab_init(&v);
            Corpus c;
            cr_assert_eq(text_load_corpus(&c, &v, 1, &t, &o, path), 0);
            cr_assert_eq(c.words, 22, "tokenizer %d, unit %d: %lld words, expected 22", kind, unit,
                         c.words);
            corpus_free(&c);
            vocab_free(&v);
            tok_free(&t);
        }
    }
    free(bdir);
    free(path);
    free(dir);
}

// --bpe-vocab: trained on the first text a vocabulary is built from, as it is tokenized
Test(bpe_text, bpe_vocab_trains_on_the_training_text)
{
    char *dir = test_tmpdir();
    const char text[] = "low lower lowest\nlow low newer\n";
    char *path = test_write(dir, "t.txt", text, sizeof text - 1);
    TextOpts o = TEXT_OPTS_DEFAULT;
    o.tokenizer = TOK_BPE;
    o.bpe_vocab = 260; // 3 merges and <|endoftext|>
    Tokenizer t;
    cr_assert_eq(text_tokenizer(&t, &o), 0);
    cr_assert_eq(t.bpe_pending, 260);
    Vocab v;
    vocab_init(&v);
    Corpus c;
    lab_quiet = 1;
    cr_assert_eq(text_load_corpus(&c, &v, 1, &t, &o, path), 0);
    cr_assert_eq(t.bpe->n, 260);
    // chunks: low, " lower", " lowest", "\n", low, " low", " newer", "\n". lo and ow occur 5
    // times each, the most: (l, o) = (108, 111) wins the tie with (o, w) = (111, 119). Then
    // (lo, w) 5 times; then (" ", low) 3 times ahead of "we" (now only in newer) and er 2.
    cr_assert_eq(t.bpe->merges[0].a, 'l');
    cr_assert_eq(t.bpe->merges[0].b, 'o');
    cr_assert_eq(t.bpe->merges[1].a, 256);
    cr_assert_eq(t.bpe->merges[1].b, 'w');
    cr_assert_eq(t.bpe->merges[2].a, ' ');
    cr_assert_eq(t.bpe->merges[2].b, 257);
    cr_assert_eq(v.n, TOK_FIRST + 260);
    cr_assert_eq(vocab_find(&v, "\xC4\xA0low", 5) >= 0, 1, "Ġlow is a token");
    corpus_free(&c);
    vocab_free(&v);
    tok_free(&t);
    free(path);
    free(dir);
}

// encoding with a tokenizer still to be trained is refused, not a crash
Test(bpe_text, an_untrained_tokenizer_cannot_encode, .init = cr_redirect_stderr)
{
    char *dir = test_tmpdir();
    char *path = test_write(dir, "t.txt", "abc\n", 4);
    TextOpts o = TEXT_OPTS_DEFAULT;
    o.tokenizer = TOK_BPE;
    o.bpe_vocab = 300;
    Tokenizer t;
    cr_assert_eq(text_tokenizer(&t, &o), 0);
    Vocab v;
    vocab_init(&v);
    Corpus c;
    cr_assert_eq(text_load_corpus(&c, &v, 0, &t, &o, path), -1);
    vocab_free(&v);
    tok_free(&t);
    free(path);
    free(dir);
}

Test(bpe_text, options_that_do_not_go_together_are_refused, .init = cr_redirect_stderr)
{
    TextOpts o = TEXT_OPTS_DEFAULT;
    Tokenizer t;
    o.tokenizer = TOK_BPE;
    cr_assert_eq(text_tokenizer(&t, &o), -1, "neither --bpe nor --bpe-vocab");
    o.bpe = "x";
    o.bpe_vocab = 300;
    cr_assert_eq(text_tokenizer(&t, &o), -1, "both");
    o.bpe = NULL;
    o.min_count = 2;
    cr_assert_eq(text_tokenizer(&t, &o), -1, "--min-count");
    o = (TextOpts)TEXT_OPTS_DEFAULT;
    o.bpe_vocab = 300;
    cr_assert_eq(text_tokenizer(&t, &o), -1, "--bpe-vocab with the char tokenizer");
}

// a run: vocab_save puts the tokenizer in RUN/bpe, the config says bpe, and loading the config
// reads RUN/bpe back, whatever the config says the tokenizer came from
Test(bpe_text, a_run_keeps_and_reloads_its_tokenizer, .init = cr_redirect_stderr)
{
    char *run = test_tmpdir();
    Tokenizer t;
    bpe_tok(&t, "tests/fixtures/bpe/tangpoems_384");
    Vocab v;
    vocab_init(&v);
    Corpus c;
    cr_assert_eq(corpus_build(&c, &v, &t, UNIT_LINE, EN_ZH, sizeof EN_ZH - 1, 1), 0);
    char *vp = lab_path_join(run, "vocab.txt");
    cr_assert_eq(vocab_save(&v, vp), 0);
    char *mp = lab_asprintf("%s/bpe/merges.txt", run);
    cr_assert(test_exists(mp), "no %s", mp);
    TextOpts o = TEXT_OPTS_DEFAULT;
    o.tokenizer = TOK_BPE;
    o.bpe = "/nowhere/it/was/moved";
    LabConfig cfg = {0};
    text_opts_save(&o, &cfg);
    cr_assert_str_eq(lab_config_get(&cfg, "tokenizer"), "bpe");
    char *cp = lab_path_join(run, "config");
    cr_assert_eq(lab_config_write(&cfg, cp), 0);
    LabConfig back = {0};
    cr_assert_eq(lab_config_read(&back, cp), 0);
    TextOpts o2;
    cr_assert_eq(text_opts_load(&o2, &back, cp), 0);
    cr_assert_eq(o2.tokenizer, TOK_BPE);
    Tokenizer t2;
    cr_assert_eq(text_tokenizer(&t2, &o2), 0, "reads %s/bpe", run);
    cr_assert_eq(t2.bpe->nmerges, t.bpe->nmerges);
    cr_assert(memcmp(t2.bpe->merges, t.bpe->merges, (size_t)t.bpe->nmerges * sizeof(BpePair)) == 0);
    Vocab v2;
    cr_assert_eq(vocab_load(&v2, vp), 0);
    cr_assert_eq(v2.n, v.n);
    Corpus c2;
    cr_assert_eq(corpus_encode(&c2, &v2, &t2, UNIT_LINE, EN_ZH, sizeof EN_ZH - 1), 0);
    cr_assert_eq(c2.n, c.n);
    cr_assert(memcmp(c2.ids, c.ids, (size_t)c.n * sizeof *c.ids) == 0, "the same ids");
    // a corrupted copy is refused, naming the file
    FILE *f = fopen(mp, "w");
    fputs("lmlab bpe v1\nsplit gpt2\nmerges 1\nspecial 0\n7 9999\n", f);
    fclose(f);
    Tokenizer t3;
    cr_assert_eq(text_tokenizer(&t3, &o2), -1);
    corpus_free(&c2);
    vocab_free(&v2);
    tok_free(&t2);
    lab_config_free(&back);
    lab_config_free(&cfg);
    free(cp);
    free(mp);
    free(vp);
    corpus_free(&c);
    vocab_free(&v);
    tok_free(&t);
    free(run);
}
