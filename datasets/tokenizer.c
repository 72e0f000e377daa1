// tokenizer.c: char and word tokenizers, and the escaping of tokens in files.
//
// The char tokenizer yields code points; the word tokenizer yields the matches of a PCRE2
// pattern compiled with PCRE2_UTF | PCRE2_UCP (so \w, \s and \p{..} are Unicode-aware) and
// JIT-compiled when the library supports it. The patterns people use most (TokFast in
// datasets.h) are matched by hand on pure-ASCII text, token for token as PCRE2 would, a few
// times faster than one pcre2_jit_match call a token. Byte-level BPE is in bpe.c, its tokens'
// strings in bpe_text.c.
#define PCRE2_CODE_UNIT_WIDTH 8
#include "datasets.h"

#include <locale.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <wctype.h>

int tok_init(Tokenizer *t, TokKind kind, const char *pattern, int lowercase)
{
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->lowercase = lowercase;
    if (kind == TOK_CHAR) {
        return 0;
    }
    t->pattern = lab_strdup(pattern ? pattern : TOK_DEFAULT_PATTERN);
    int err;
    PCRE2_SIZE off;
    // \C matches one byte, and would cut a character in two: the text is valid UTF-8 and
    // every match must start and end on a character, so tokens are valid UTF-8 too
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)t->pattern, PCRE2_ZERO_TERMINATED,
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_NEVER_BACKSLASH_C, &err, &off,
                                   NULL);
    char q[160];
    lab_quote(q, sizeof q, t->pattern, strlen(t->pattern));
    if (!re) {
        PCRE2_UCHAR msg[256];
        pcre2_get_error_message(err, msg, sizeof msg);
        lab_error_hint(err == PCRE2_ERROR_BACKSLASH_C_CALLER_DISABLED
                           ? "\\C matches single bytes and would split characters: use . or \\X"
                           : "the default pattern is shown by 'lmlab tokenize --help'",
                       "bad --pattern '%s': %s at offset %zu", q, (char *)msg, (size_t)off);
        tok_free(t);
        return -1;
    }
    // On pure-ASCII text, PCRE2_UCP changes nothing (\w, \d, \s, \b and the POSIX classes
    // mean the same ASCII characters with or without it) but costs property lookups: the
    // sklearn-style \b\w\w+\b runs 2.5x faster without it. So the pattern is compiled
    // twice, and tok_split picks by the text.
    pcre2_code *re_ascii = pcre2_compile((PCRE2_SPTR)t->pattern, PCRE2_ZERO_TERMINATED,
                                         PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C, &err, &off, NULL);
    // the interpreter is the fallback when the library or the machine has no JIT
    t->jit = pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0 && re_ascii &&
             pcre2_jit_compile(re_ascii, PCRE2_JIT_COMPLETE) == 0;
    t->re = re;
    t->re_ascii = re_ascii; // NULL in the unlikely case it does not compile: always UCP then
    t->md = pcre2_match_data_create_from_pattern(re, NULL);
    t->fast = strcmp(t->pattern, TOK_DEFAULT_PATTERN) == 0 ? TOK_FAST_DEFAULT
              : strcmp(t->pattern, TOK_WORDS_PATTERN) == 0 ? TOK_FAST_WORDS
              : strcmp(t->pattern, "\\b\\w\\w+\\b") == 0 ? TOK_FAST_W2
                                                          : TOK_FAST_NONE;
    if (pcre2_match(re, (PCRE2_SPTR) "", 0, 0, 0, t->md, NULL) >= 0) {
        lab_error_hint("use + rather than * so every token has at least one character",
                       "bad --pattern '%s': it matches the empty string", q);
        tok_free(t);
        return -1;
    }
    return 0;
}

void tok_free(Tokenizer *t)
{
    if (t->md) {
        pcre2_match_data_free(t->md);
    }
    if (t->re_ascii) {
        pcre2_code_free(t->re_ascii);
    }
    if (t->re) {
        pcre2_code_free(t->re);
    }
    free(t->pattern);
    free(t->buf);
    if (t->bpe) {
        bpe_free(t->bpe);
        free(t->bpe);
    }
    free(t->bstr);
    free(t->boff);
    memset(t, 0, sizeof *t);
}

// Lowercases pure-ASCII s[0..n) into out, eight bytes at a time: a byte b < 0x80 gets 0x20
// added when 'A' <= b <= 'Z', found from the high bits of b + (0x80 - 'A') and
// b + (0x80 - 'Z' - 1), which cannot carry into the next byte.
static void ascii_lower(char *out, const char *s, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        uint64_t ge_a = w + 0x3F3F3F3F3F3F3F3Full, gt_z = w + 0x2525252525252525ull;
        w |= (ge_a & ~gt_z & 0x8080808080808080ull) >> 2;
        memcpy(out + i, &w, 8);
    }
    for (; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
}

// Unicode lowercase via towlower in the C.UTF-8 locale (glibc maps the whole of Unicode
// there, independent of the user's locale). Invalid bytes pass through unchanged.
static locale_t utf8_locale(void)
{
    static locale_t loc = (locale_t)0;
    if (!loc) {
        loc = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    }
    return loc;
}

const char *tok_lowercase(Tokenizer *t, const char *s, size_t n, size_t *out_n)
{
    if (t->cap < 2 * n + 4) {
        t->cap = 2 * n + 4;
        t->buf = lab_realloc(t->buf, t->cap);
    }
    locale_t loc = utf8_locale();
    const unsigned char *u = (const unsigned char *)s;
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint64_t w;
        if (i + 8 <= n && (memcpy(&w, s + i, 8), (w & 0x8080808080808080ull) == 0)) {
            ascii_lower(t->buf + o, s + i, 8); // eight ASCII bytes at once
            o += 8;
            i += 8;
            continue;
        }
        if (u[i] < 0x80) { // ASCII: most text, no decoding needed
            t->buf[o++] = (char)(u[i] >= 'A' && u[i] <= 'Z' ? u[i] + 32 : u[i]);
            i++;
            continue;
        }
        uint32_t cp;
        int k = utf8_decode(u + i, n - i, &cp);
        if (k < 0) {
            t->buf[o++] = s[i++];
            continue;
        }
        uint32_t lo = loc ? (uint32_t)towlower_l((wint_t)cp, loc) : cp;
        char enc[4];
        int m = utf8_encode(lo, enc);
        if (o + (size_t)m + 1 > t->cap) {
            t->cap = 2 * t->cap + 8;
            t->buf = lab_realloc(t->buf, t->cap);
        }
        memcpy(t->buf + o, enc, (size_t)m);
        o += (size_t)m;
        i += (size_t)k;
    }
    t->buf[o] = '\0';
    *out_n = o;
    return t->buf;
}

// --- the hand-written matchers -------------------------------------------------------------

// What PCRE2 (without PCRE2_UCP, as tok_split runs it on ASCII) sees in each ASCII byte:
// \s is HT, LF, VT, FF, CR and space; \w is [A-Za-z0-9_]; \p{P} and \p{S} together are every
// printable byte that is not a letter or a digit ('_' is both \w and \p{Pc}). Control bytes
// are none of these, so [^\s\p{Han}\p{P}\p{S}] takes them into words as PCRE2 does.
enum { CL_SPACE = 1, CL_W = 2, CL_MARK = 4 };
#define CL(c)                                                                                   \
    ((((c) >= 9 && (c) <= 13) || (c) == 32)                              ? CL_SPACE             \
     : ((c) >= '0' && (c) <= '9') || ((c) >= 'A' && (c) <= 'Z') ||                             \
             ((c) >= 'a' && (c) <= 'z')                                  ? CL_W                 \
     : (c) == '_'                                                        ? CL_W | CL_MARK       \
     : (c) >= 33 && (c) <= 126                                           ? CL_MARK              \
                                                                         : 0)
#define CL4(c) CL(c), CL((c) + 1), CL((c) + 2), CL((c) + 3)
#define CL16(c) CL4(c), CL4((c) + 4), CL4((c) + 8), CL4((c) + 12)
static const unsigned char ascii_class[128] = {
    CL16(0), CL16(16), CL16(32), CL16(48), CL16(64), CL16(80), CL16(96), CL16(112),
};

// s[0..n) holds no byte >= 0x80 (tested a word at a time)
static int is_ascii(const char *s, size_t n)
{
    uint64_t any = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        any |= w;
    }
    for (; i < n; i++) {
        any |= (unsigned char)s[i];
    }
    return (any & 0x8080808080808080ull) == 0;
}

// The tokens of pure-ASCII s[0..n) under t->fast (not TOK_FAST_NONE), as PCRE2 finds them:
//   W2: \b\w\w+\b is every maximal run of \w of two bytes or more (\b needs the run whole);
//   DEFAULT, WORDS: at the first byte that is not \s, a word byte (neither \s nor a mark)
//   starts W+ ('W+)*, greedy, where the apostrophe is taken only with a word byte after it;
//   a mark is a token of its own (DEFAULT) or is passed over (WORDS: no alternative starts
//   with it). Lowercasing maps letters to letters, so a lowercased text splits at the same
//   places.
static void fast_split(Tokenizer *t, const char *s, size_t n, TokFn fn, void *ctx)
{
    if (t->lowercase) {
        if (t->cap < n + 1) {
            t->cap = n + 1;
            t->buf = lab_realloc(t->buf, t->cap);
        }
        ascii_lower(t->buf, s, n);
        s = t->buf;
    }
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    if (t->fast == TOK_FAST_W2) {
        while (i < n) {
            if (!(ascii_class[u[i]] & CL_W)) {
                i++;
                continue;
            }
            size_t j = i + 1;
            while (j < n && (ascii_class[u[j]] & CL_W)) {
                j++;
            }
            if (j - i >= 2) {
                fn(s + i, j - i, ctx);
            }
            i = j;
        }
        return;
    }
    const int marks = t->fast == TOK_FAST_DEFAULT;
#define IS_WORD(c) (!(ascii_class[c] & (CL_SPACE | CL_MARK)))
    while (i < n) {
        unsigned char cl = ascii_class[u[i]];
        if (cl & CL_SPACE) {
            i++;
            continue;
        }
        if (cl & CL_MARK) {
            if (marks) {
                fn(s + i, 1, ctx);
            }
            i++;
            continue;
        }
        size_t j = i + 1;
        for (;;) {
            while (j < n && IS_WORD(u[j])) {
                j++;
            }
            if (j + 1 < n && u[j] == '\'' && IS_WORD(u[j + 1])) {
                j += 2;
                continue;
            }
            break;
        }
        fn(s + i, j - i, ctx);
        i = j;
    }
#undef IS_WORD
}

// The matches of t's pattern in s[0..n) by PCRE2 (lowercased first when t lowercases): with
// the code compiled without PCRE2_UCP when the text is pure ASCII.
static int pcre_split(Tokenizer *t, const char *s, size_t n, TokFn fn, void *ctx)
{
    if (t->lowercase) {
        s = tok_lowercase(t, s, n, &n);
    }
    pcre2_code *re = t->re_ascii && is_ascii(s, n) ? t->re_ascii : t->re;
    pcre2_match_data *md = t->md; // sized for the pattern's captures, the same in both codes
    PCRE2_SIZE start = 0;
    while (start < n) {
        // text_read validated the UTF-8, so neither call needs to check it again
        int rc = t->jit ? pcre2_jit_match(re, (PCRE2_SPTR)s, n, start, 0, md, NULL)
                        : pcre2_match(re, (PCRE2_SPTR)s, n, start, PCRE2_NO_UTF_CHECK, md, NULL);
        if (rc == PCRE2_ERROR_NOMATCH) {
            break;
        }
        if (rc < 0) {
            PCRE2_UCHAR msg[256];
            pcre2_get_error_message(rc, msg, sizeof msg);
            char q[160];
            return lab_error("pattern '%s' failed while matching: %s",
                             lab_quote(q, sizeof q, t->pattern, strlen(t->pattern)), (char *)msg);
        }
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (ov[1] == ov[0]) {
            // an empty match (a lookahead-only pattern): no token; step one code point
            start = ov[0] + 1;
            while (start < n && (((unsigned char)s[start]) & 0xC0) == 0x80) {
                start++;
            }
            continue;
        }
        fn(s + ov[0], ov[1] - ov[0], ctx);
        start = ov[1];
    }
    return 0;
}

int tok_split(Tokenizer *t, const char *s, size_t n, TokFn fn, void *ctx)
{
    if (t->kind == TOK_WORD && t->fast != TOK_FAST_NONE) {
        if (is_ascii(s, n)) {
            fast_split(t, s, n, fn, ctx);
            return 0;
        }
        // No token of these patterns holds a newline (it is \s, not \w, not a mark), and one
        // starts a line as it starts a text, so a line at a time gives the same tokens: the
        // ASCII lines of a mixed text still take the matcher.
        for (size_t a = 0; a < n;) {
            const char *nl = memchr(s + a, '\n', n - a);
            size_t z = nl ? (size_t)(nl - s) : n;
            if (is_ascii(s + a, z - a)) {
                fast_split(t, s + a, z - a, fn, ctx);
            } else if (pcre_split(t, s + a, z - a, fn, ctx) != 0) {
                return -1;
            }
            a = z + 1;
        }
        return 0;
    }
    if (t->kind == TOK_WORD) {
        return pcre_split(t, s, n, fn, ctx);
    }
    if (t->lowercase) {
        s = tok_lowercase(t, s, n, &n);
    }
    if (t->kind == TOK_BPE) {
        int32_t *ids;
        size_t nids;
        if (t->bpe_pending) { // text_load_corpus trains it on the first vocabulary built
            return lab_error("the BPE tokenizer is not trained yet: --bpe-vocab trains it on "
                             "the training text");
        }
        if (bpe_encode(t->bpe, s, n, &ids, &nids) != 0) {
            return -1;
        }
        for (size_t i = 0; i < nids; i++) {
            fn(t->bstr + t->boff[ids[i]], t->boff[ids[i] + 1] - t->boff[ids[i]], ctx);
        }
        free(ids);
        return 0;
    }
    if (t->kind == TOK_CHAR) {
        const unsigned char *u = (const unsigned char *)s;
        for (size_t i = 0; i < n;) {
            uint32_t cp;
            int k = utf8_decode(u + i, n - i, &cp);
            if (k < 0) {
                k = 1; // text_read validated the text; a stray byte is its own token
            }
            fn(s + i, (size_t)k, ctx);
            i += (size_t)k;
        }
        return 0;
    }
    return 0;
}

// --- escaping -----------------------------------------------------------------------------

// <s>, </s> and <unk> in any case (ARPA readers take <UNK> for <unk>)
static int is_reserved(const char *s, size_t n)
{
    return (n == 3 && memcmp(s, "<s>", 3) == 0) || (n == 4 && memcmp(s, "</s>", 4) == 0) ||
           (n == 5 && strncasecmp(s, "<unk>", 5) == 0);
}

char *tok_escape(const char *tok, size_t len)
{
    char *out = lab_malloc(4 * len + 2);
    size_t o = 0;
    if (is_reserved(tok, len)) {
        out[o++] = '\\';
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)tok[i];
        switch (c) {
        case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
        case ' ': out[o++] = '\\'; out[o++] = 's'; break;
        case '\t': out[o++] = '\\'; out[o++] = 't'; break;
        case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
        case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
        default:
            if (c < 0x20 || c == 0x7F) {
                o += (size_t)sprintf(out + o, "\\x%02X", c);
            } else {
                out[o++] = (char)c;
            }
        }
    }
    out[o] = '\0';
    return out;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

size_t tok_unescape(char *s)
{
    size_t o = 0;
    for (size_t i = 0; s[i];) {
        if (s[i] != '\\' || !s[i + 1]) {
            s[o++] = s[i++];
            continue;
        }
        char c = s[i + 1];
        if (c == '\\') {
            s[o++] = '\\', i += 2;
        } else if (c == 's') {
            s[o++] = ' ', i += 2;
        } else if (c == 't') {
            s[o++] = '\t', i += 2;
        } else if (c == 'n') {
            s[o++] = '\n', i += 2;
        } else if (c == 'r') {
            s[o++] = '\r', i += 2;
        } else if (c == 'x' && hexval(s[i + 2]) >= 0 && hexval(s[i + 3]) >= 0) {
            s[o++] = (char)(hexval(s[i + 2]) * 16 + hexval(s[i + 3])), i += 4;
        } else if (c == '<') {
            i += 1; // "\<s>": a literal token spelled like a reserved one
        } else {
            s[o++] = s[i++]; // an unknown escape stays as it is
        }
    }
    s[o] = '\0';
    return o;
}
