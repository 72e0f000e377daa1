// test_datasets.c: UTF-8, tokenizers, escaping, vocabulary, corpora.
#include "tests/helpers.h"

#include "datasets/datasets.h"

// --- UTF-8 ----------------------------------------------------------------------------------

Test(utf8, decodes_one_to_four_byte_sequences)
{
    uint32_t cp;
    cr_assert_eq(utf8_decode((const unsigned char *)"A", 1, &cp), 1);
    cr_assert_eq(cp, 0x41);
    cr_assert_eq(utf8_decode((const unsigned char *)"\xC3\xA9", 2, &cp), 2); // é
    cr_assert_eq(cp, 0xE9);
    cr_assert_eq(utf8_decode((const unsigned char *)"\xE6\x98\xA5", 3, &cp), 3); // 春
    cr_assert_eq(cp, 0x6625);
    cr_assert_eq(utf8_decode((const unsigned char *)"\xF0\x9F\x98\x80", 4, &cp), 4); // 😀
    cr_assert_eq(cp, 0x1F600);
}

Test(utf8, rejects_overlong_surrogate_truncated_and_stray_bytes)
{
    uint32_t cp;
    cr_assert_eq(utf8_decode((const unsigned char *)"\xC0\xAF", 2, &cp), -1, "overlong '/'");
    cr_assert_eq(utf8_decode((const unsigned char *)"\xED\xA0\x80", 3, &cp), -1, "surrogate");
    cr_assert_eq(utf8_decode((const unsigned char *)"\xE6\x98", 2, &cp), -1, "truncated");
    cr_assert_eq(utf8_decode((const unsigned char *)"\x80", 1, &cp), -1, "continuation");
    cr_assert_eq(utf8_decode((const unsigned char *)"\xF4\x90\x80\x80", 4, &cp), -1,
                 "above U+10FFFF");
}

Test(utf8, encode_inverts_decode)
{
    uint32_t cps[] = {0x24, 0xA2, 0x20AC, 0x10348, 0x6625, 0x10FFFF};
    for (size_t i = 0; i < sizeof cps / sizeof *cps; i++) {
        char buf[4];
        int n = utf8_encode(cps[i], buf);
        uint32_t back;
        cr_assert_eq(utf8_decode((const unsigned char *)buf, (size_t)n, &back), n);
        cr_assert_eq(back, cps[i]);
    }
}

Test(utf8, strict_read_names_the_offset_of_a_bad_byte)
{
    char *dir = test_tmpdir();
    char *p = test_write(dir, "bad.txt", "ok\nab\xFF" "c\n", 7);
    char *text;
    size_t len;
    cr_redirect_stderr();
    cr_assert_eq(text_read(p, UTF8_STRICT, &text, &len), -1);
    fflush(stderr);
    char *want = lab_asprintf("lmlab: '%s' is not valid UTF-8 (byte 0xFF at offset 5, line 2)\n"
                              "  hint: --utf8 replace reads it with U+FFFD in place of bad "
                              "bytes\n",
                              p);
    cr_assert_stderr_eq_str(want);
    free(want);
    free(p);
    free(dir);
}

Test(utf8, strict_read_finds_a_bad_byte_after_long_ascii_runs)
{
    // the reader skips ASCII eight bytes at a time: a bad byte at each offset of a word after
    // 16 ASCII bytes, and a two-byte character cut by the end of a word, are still found
    char *dir = test_tmpdir();
    for (int at = 16; at < 24; at++) {
        char buf[40];
        memset(buf, 'a', sizeof buf);
        buf[10] = '\n';
        memcpy(buf + 12, "\xC3\xA9", 2); // é, valid
        buf[at] = (char)0xC3;            // a lead byte followed by 'a': invalid
        char *p = test_write(dir, "bad.txt", buf, sizeof buf);
        char *text;
        size_t len;
        cr_redirect_stderr();
        cr_assert_eq(text_read(p, UTF8_STRICT, &text, &len), -1, "bad byte at %d", at);
        cr_assert_eq(text_read(p, UTF8_REPLACE, &text, &len), 0);
        cr_assert(strstr(text, "\xEF\xBF\xBD"), "U+FFFD where the bad byte was (%d)", at);
        free(text);
        unlink(p);
        free(p);
    }
    rmdir(dir);
    free(dir);
}

Test(utf8, replace_mode_puts_fffd_in_place_of_bad_bytes)
{
    char *dir = test_tmpdir();
    char *p = test_write(dir, "bad.txt", "a\xFF" "b", 3);
    char *text;
    size_t len;
    cr_assert_eq(text_read(p, UTF8_REPLACE, &text, &len), 0);
    cr_assert_eq(len, 5);
    cr_assert_eq(memcmp(text, "a\xEF\xBF\xBD" "b", 5), 0);
    free(text);
    free(p);
    free(dir);
}

Test(utf8, read_rejects_empty_binary_and_directories_and_drops_a_bom)
{
    char *dir = test_tmpdir();
    char *empty = test_write(dir, "empty.txt", "", 0);
    char *bin = test_write(dir, "bin.txt", "ab\0cd", 5);
    char *bom = test_write(dir, "bom.txt", "\xEF\xBB\xBFhi", 5);
    char *text;
    size_t len;
    cr_redirect_stderr();
    cr_assert_eq(text_read(empty, UTF8_STRICT, &text, &len), -1);
    cr_assert_eq(text_read(bin, UTF8_STRICT, &text, &len), -1);
    cr_assert_eq(text_read(dir, UTF8_STRICT, &text, &len), -1);
    cr_assert_eq(text_read("/nonexistent.txt", UTF8_STRICT, &text, &len), -1);
    cr_assert_eq(text_read(bom, UTF8_STRICT, &text, &len), 0);
    cr_assert_str_eq(text, "hi");
    free(text);
    free(empty);
    free(bin);
    free(bom);
    free(dir);
}

Test(utf8, counts_whitespace_separated_words_including_unicode_spaces)
{
    cr_assert_eq(text_count_words("  a bb\tc\n", 9), 3);
    cr_assert_eq(text_count_words("春眠\xE3\x80\x80不觉晓", strlen("春眠\xE3\x80\x80不觉晓")), 2,
                 "U+3000 ideographic space separates words");
    cr_assert_eq(text_count_words("", 0), 0);
    // Python: "a\x1fb\xa0c\x0bd \x7fe".split() gives 5 words: U+001F, U+00A0 and \v separate,
    // DEL does not
    const char *mixed = "a\x1F" "b\xC2\xA0" "c\x0B" "d \x7F" "e";
    cr_assert_eq(text_count_words(mixed, strlen(mixed)), 5, "ASCII and Unicode separators mixed");
}

// --- tokenizers -------------------------------------------------------------------------------

typedef struct {
    char toks[64][32];
    int n;
} Toks;

static void collect(const char *tok, size_t len, void *ctx)
{
    Toks *t = ctx;
    cr_assert(len < 32 && t->n < 64);
    memcpy(t->toks[t->n], tok, len);
    t->toks[t->n][len] = '\0';
    t->n++;
}

static Toks split(TokKind kind, const char *pattern, int lower, const char *s)
{
    Tokenizer t;
    cr_assert_eq(tok_init(&t, kind, pattern, lower), 0);
    Toks out = {0};
    cr_assert_eq(tok_split(&t, s, strlen(s), collect, &out), 0);
    tok_free(&t);
    return out;
}

Test(tokenizer, char_tokens_are_code_points_so_chinese_works)
{
    Toks t = split(TOK_CHAR, NULL, 0, "春眠a é");
    cr_assert_eq(t.n, 5);
    cr_assert_str_eq(t.toks[0], "春");
    cr_assert_str_eq(t.toks[1], "眠");
    cr_assert_str_eq(t.toks[2], "a");
    cr_assert_str_eq(t.toks[3], " ");
    cr_assert_str_eq(t.toks[4], "é");
}

Test(tokenizer, default_word_pattern_splits_words_punctuation_and_han)
{
    Toks t = split(TOK_WORD, NULL, 0, "Don't stop, 春眠不觉晓! x2");
    const char *want[] = {"Don't", "stop", ",", "春", "眠", "不", "觉", "晓", "!", "x2"};
    cr_assert_eq(t.n, 10, "got %d tokens", t.n);
    for (int i = 0; i < 10; i++) {
        cr_assert_str_eq(t.toks[i], want[i]);
    }
}

Test(tokenizer, user_pattern_and_unicode_lowercase)
{
    Toks t = split(TOK_WORD, "[a-zà-ÿ]+", 1, "ÀB cd, ÉTÉ");
    cr_assert_eq(t.n, 3);
    cr_assert_str_eq(t.toks[0], "àb");
    cr_assert_str_eq(t.toks[1], "cd");
    cr_assert_str_eq(t.toks[2], "été");
}

Test(tokenizer, bad_regex_fails_with_pcre2_message_and_offset)
{
    Tokenizer t;
    cr_redirect_stderr();
    cr_assert_eq(tok_init(&t, TOK_WORD, "ab(c", 0), -1);
    fflush(stderr);
    cr_assert_stderr_eq_str("lmlab: bad --pattern 'ab(c': missing closing parenthesis at offset 4\n"
                            "  hint: the default pattern is shown by 'lmlab tokenize --help'\n");
}

Test(tokenizer, pattern_matching_the_empty_string_is_refused)
{
    Tokenizer t;
    cr_redirect_stderr();
    cr_assert_eq(tok_init(&t, TOK_WORD, "a*", 0), -1);
}

Test(tokenizer, escape_round_trips_whitespace_backslash_and_reserved_names)
{
    const char *toks[] = {" ", "\n", "a\\b", "\t", "<s>", "</s>", "<unk>", "<x>", "\x01", "春"};
    const char *esc[] = {"\\s", "\\n", "a\\\\b", "\\t", "\\<s>", "\\</s>", "\\<unk>", "<x>",
                         "\\x01", "春"};
    for (size_t i = 0; i < sizeof toks / sizeof *toks; i++) {
        char *e = tok_escape(toks[i], strlen(toks[i]));
        cr_assert_str_eq(e, esc[i]);
        cr_assert(strpbrk(e, " \t\n") == NULL, "an escaped token holds no whitespace");
        size_t n = tok_unescape(e);
        cr_assert_eq(n, strlen(toks[i]));
        cr_assert_str_eq(e, toks[i]);
        free(e);
    }
}

// --- vocabulary and corpora ---------------------------------------------------------------------

static Corpus build(Vocab *v, TokKind kind, TokUnit unit, const char *text, long long min_count)
{
    Tokenizer t;
    cr_assert_eq(tok_init(&t, kind, "\\S+", 0), 0);
    vocab_init(v);
    Corpus c;
    cr_assert_eq(corpus_build(&c, v, &t, unit, text, strlen(text), min_count), 0);
    tok_free(&t);
    return c;
}

Test(vocab, ids_by_count_then_bytes_after_the_reserved_three)
{
    Vocab v;
    Corpus c = build(&v, TOK_WORD, UNIT_LINE, "b a b\nc a b\n", 1);
    cr_assert_eq(v.n, 6);
    cr_assert_str_eq(v.str[TOK_BOS], "<s>");
    cr_assert_str_eq(v.str[TOK_EOS], "</s>");
    cr_assert_str_eq(v.str[TOK_UNK], "<unk>");
    cr_assert_str_eq(v.str[3], "b"); // 3 times
    cr_assert_str_eq(v.str[4], "a"); // 2 times
    cr_assert_str_eq(v.str[5], "c"); // once
    cr_assert_eq(v.count[TOK_EOS], 2, "one </s> per line");
    cr_assert_eq(c.n, 8);
    cr_assert_eq(c.nseq, 2);
    int32_t want[] = {3, 4, 3, TOK_EOS, 5, 4, 3, TOK_EOS};
    for (int i = 0; i < 8; i++) {
        cr_assert_eq(c.ids[i], want[i]);
    }
    corpus_free(&c);
    vocab_free(&v);
}

Test(vocab, min_count_sends_rare_types_to_unk)
{
    Vocab v;
    Corpus c = build(&v, TOK_WORD, UNIT_LINE, "a a b\n", 2);
    cr_assert_eq(v.n, 4);
    cr_assert_eq(c.ids[2], TOK_UNK);
    cr_assert_eq(c.oov, 1);
    cr_assert_eq(v.count[TOK_UNK], 1);
    corpus_free(&c);
    vocab_free(&v);
}

Test(vocab, a_literal_reserved_name_in_text_is_an_ordinary_token)
{
    Vocab v;
    Corpus c = build(&v, TOK_WORD, UNIT_LINE, "<s> </s>\n", 1);
    cr_assert(c.ids[0] >= TOK_FIRST && c.ids[1] >= TOK_FIRST);
    cr_assert_eq(c.ids[2], TOK_EOS);
    corpus_free(&c);
    vocab_free(&v);
}

Test(vocab, save_and_load_round_trip_with_escapes)
{
    Vocab v;
    Corpus c = build(&v, TOK_CHAR, UNIT_STREAM, "a b\\\n春", 1);
    char *dir = test_tmpdir();
    char *p = lab_path_join(dir, "vocab.txt");
    cr_assert_eq(vocab_save(&v, p), 0);
    Vocab w;
    cr_assert_eq(vocab_load(&w, p), 0);
    cr_assert_eq(w.n, v.n);
    for (int32_t i = 0; i < v.n; i++) {
        cr_assert_eq(w.len[i], v.len[i]);
        cr_assert_eq(memcmp(w.str[i], v.str[i], v.len[i]), 0);
        cr_assert_eq(w.count[i], v.count[i]);
    }
    corpus_free(&c);
    vocab_free(&v);
    vocab_free(&w);
    free(p);
    free(dir);
}

Test(corpus, line_unit_skips_blank_lines_and_reads_crlf_like_lf)
{
    Vocab v;
    Corpus c = build(&v, TOK_WORD, UNIT_LINE, "a b\r\n\r\n   \nc\n", 1);
    cr_assert_eq(c.nseq, 2);
    cr_assert_eq(c.n, 5);
    cr_assert_eq(c.words, 3);
    cr_assert_eq(c.start[1], 3);
    corpus_free(&c);
    vocab_free(&v);
}

Test(corpus, stream_unit_is_one_sequence_without_end_token)
{
    Vocab v;
    Corpus c = build(&v, TOK_CHAR, UNIT_STREAM, "ab\ncd\n", 1);
    cr_assert_eq(c.nseq, 1);
    cr_assert_eq(c.n, 6, "newlines are tokens of a char stream");
    for (long long i = 0; i < c.n; i++) {
        cr_assert_neq(c.ids[i], TOK_EOS);
    }
    corpus_free(&c);
    vocab_free(&v);
}

Test(corpus, encode_with_a_fixed_vocabulary_counts_oov)
{
    Vocab v;
    Corpus c = build(&v, TOK_WORD, UNIT_LINE, "a b\n", 1);
    Tokenizer t;
    tok_init(&t, TOK_WORD, "\\S+", 0);
    Corpus d;
    cr_assert_eq(corpus_encode(&d, &v, &t, UNIT_LINE, "a z z\n", 6), 0);
    cr_assert_eq(d.oov, 2);
    cr_assert_eq(d.ids[1], TOK_UNK);
    tok_free(&t);
    corpus_free(&c);
    corpus_free(&d);
    vocab_free(&v);
}

Test(utf8, crlf_line_ends_read_as_lf_in_every_unit)
{
    char *dir = test_tmpdir();
    char *p = test_write(dir, "crlf.txt", "ab\r\ncd\r\n", 8);
    char *text;
    size_t len;
    cr_assert_eq(text_read(p, UTF8_STRICT, &text, &len), 0);
    cr_assert_str_eq(text, "ab\ncd\n");
    cr_assert_eq(len, 6);
    free(text);
    free(p);
    free(dir);
}

Test(tokenizer, ascii_text_splits_as_it_would_under_unicode_rules)
{
    // pure-ASCII text is matched by the pattern compiled without PCRE2_UCP; appending one
    // non-ASCII character sends the same text through the Unicode-aware code instead
    const char *patterns[] = {"\\b\\w\\w+\\b", "[[:alpha:]]+|[[:punct:]]", "\\S+", "\\d+|\\s",
                              NULL};
    const char *ascii = "The cat's 3 dogs_x, [ok] \t v\vw 42nd";
    for (int i = 0; i <= 4; i++) {
        const char *pat = patterns[i]; // NULL: the default pattern
        Toks a = split(TOK_WORD, pat, 0, ascii);
        char *mixed = lab_asprintf("%s \xC3\xA9", ascii);
        Toks b = split(TOK_WORD, pat, 0, mixed);
        cr_assert(b.n >= a.n, "pattern %s", pat ? pat : "default");
        for (int j = 0; j < a.n; j++) {
            cr_assert_str_eq(a.toks[j], b.toks[j], "pattern %s, token %d", pat ? pat : "default",
                             j);
        }
        free(mixed);
    }
}
