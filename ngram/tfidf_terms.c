// tfidf_terms.c: from a document to its terms: the stop words and the analyzer (tokens, then
// word or character n-grams, each looked up or added in a term set).
//
// It leaves out counting and weighing (tfidf_fit.c).
#include "ngram/tfidf_internal.h"

#include <stdlib.h>
#include <string.h>

// --- stop words -------------------------------------------------------------------------------

// lmlab's own list, written for this lab: English articles, pronouns, determiners,
// prepositions, conjunctions, auxiliary and modal verbs, common adverbs of degree and time,
// and the pronouns and verb forms of older English that Shakespeare and Wells use.
static const char *const ENGLISH_STOP_WORDS[] = {
    "a", "about", "above", "after", "again", "against", "all", "almost", "also", "am",
    "among", "an", "and", "any", "are", "around", "as", "at", "be", "because", "been",
    "before", "being", "below", "between", "both", "but", "by", "can", "cannot", "could",
    "did", "do", "does", "doing", "done", "down", "during", "each", "either", "else", "even",
    "ever", "every", "few", "for", "from", "further", "had", "has", "hast", "hath", "have",
    "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how",
    "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "least", "less",
    "many", "may", "me", "might", "mine", "more", "most", "much", "must", "my", "myself",
    "neither", "no", "nor", "not", "now", "o", "of", "off", "oft", "often", "on", "once",
    "only", "or", "other", "others", "ought", "our", "ours", "ourselves", "out", "over",
    "own", "quite", "rather", "same", "shall", "shalt", "she", "should", "since", "so",
    "some", "such", "than", "that", "the", "thee", "their", "theirs", "them", "themselves",
    "then", "there", "these", "they", "thine", "this", "those", "thou", "though", "through",
    "thus", "thy", "to", "too", "under", "until", "unto", "up", "upon", "us", "very", "was",
    "we", "were", "what", "when", "where", "whether", "which", "while", "who", "whom",
    "whose", "why", "will", "wilt", "with", "within", "without", "would", "ye", "yet", "you",
    "your", "yours", "yourself", "yourselves",
};

static void append_token(const char *tok, size_t len, void *ctx)
{
    tfidf_buf_append(ctx, tok, len);
}

// adds s[0..n) to set, folded by the char tokenizer low when it is not NULL
static void add_stop_word(LabStrTab *set, Tokenizer *low, ByteBuf *b, const char *s, size_t n)
{
    if (!low) {
        lab_strtab_add(set, s, n);
        return;
    }
    b->n = 0;
    tok_split(low, s, n, append_token, b); // the char tokenizer cannot fail
    lab_strtab_add(set, b->buf, b->n);
}

int tfidf_stop_words_load(LabStrTab *set, const char *source, int lowercase)
{
    Tokenizer low;
    if (lowercase && tok_init(&low, TOK_CHAR, NULL, 1) != 0) {
        return -1;
    }
    ByteBuf b = {0};
    int rc = 0;
    if (strcmp(source, "english") == 0) {
        for (size_t i = 0; i < sizeof ENGLISH_STOP_WORDS / sizeof *ENGLISH_STOP_WORDS; i++) {
            const char *w = ENGLISH_STOP_WORDS[i];
            add_stop_word(set, lowercase ? &low : NULL, &b, w, strlen(w));
        }
    } else {
        char *text;
        size_t len;
        if (text_read(source, UTF8_STRICT, &text, &len) != 0) {
            rc = -1;
        } else {
            for (size_t i = 0; i < len;) {
                const char *nl = memchr(text + i, '\n', len - i);
                size_t end = nl ? (size_t)(nl - text) : len;
                size_t a = i, z = end;
                while (a < z && strchr(" \t\r\f\v", text[a])) {
                    a++;
                }
                while (z > a && strchr(" \t\r\f\v", text[z - 1])) {
                    z--;
                }
                if (z > a && text[a] != '#') {
                    add_stop_word(set, lowercase ? &low : NULL, &b, text + a, z - a);
                }
                i = end + 1;
            }
            free(text);
            if (set->n == 0) {
                rc = lab_error_hint("write one word a line; '#' starts a comment line",
                                    "stop-word file '%s' holds no word", source);
            }
        }
    }
    free(b.buf);
    if (lowercase) {
        tok_free(&low);
    }
    return rc;
}

// --- the analyzer -----------------------------------------------------------------------------
void tfidf_sink_memo(Sink *sink)
{
    sink->memo = lab_malloc(((size_t)1 << SINK_MEMO_BITS) * sizeof *sink->memo);
    for (size_t i = 0; i < (size_t)1 << SINK_MEMO_BITS; i++) {
        sink->memo[i] = (MemoSlot){0, -1, -1};
    }
}

// The id of s in the sink's table, added if new: through the memo when s is short
static int32_t sink_add(Sink *k, const char *s, size_t len)
{
    if (!k->memo || len > 8) {
        return lab_strtab_add(k->terms, s, len);
    }
    uint64_t w = 0;
    for (size_t i = 0; i < len; i++) { // (memcpy of a variable length would be a call)
        w |= (uint64_t)(unsigned char)s[i] << (8 * i);
    }
    MemoSlot *m = &k->memo[(w ^ len) * 0x9E3779B97F4A7C15ull >> (64 - SINK_MEMO_BITS)];
    if (m->bytes != w || m->len != (int32_t)len) {
        *m = (MemoSlot){w, (int32_t)len, lab_strtab_add(k->terms, s, len)};
    }
    return m->id;
}

static void sink_term(Sink *k, const char *s, size_t len)
{
    int32_t id = k->add ? sink_add(k, s, len) : lab_strtab_find(k->terms, s, len);
    if (id < 0) {
        k->unknown++;
        if (k->unknown_set) {
            lab_strtab_add(k->unknown_set, s, len);
        }
        return;
    }
    Ids *ids = &k->ids;
    if (ids->n == ids->cap) {
        ids->cap = ids->cap ? 2 * ids->cap : 256;
        ids->id = lab_realloc(ids->id, (size_t)ids->cap * sizeof *ids->id);
    }
    ids->id[ids->n++] = id;
}

// Python's str.isspace() code points: what scikit-learn's \s matches
static int is_py_space(const char *s, size_t n)
{
    uint32_t cp;
    if (utf8_decode((const unsigned char *)s, n, &cp) != (int)n) {
        return 0;
    }
    return (cp >= 0x09 && cp <= 0x0D) || (cp >= 0x1C && cp <= 0x20) || cp == 0x85 ||
           cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
           cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

static void tokens_push(Tokens *k, const char *s, size_t len)
{
    size_t need = k->n + len + 1;
    if (need > k->cap) {
        k->cap = 2 * need + 256;
        k->buf = lab_realloc(k->buf, k->cap);
    }
    memcpy(k->buf + k->n, s, len);
    k->n += len;
    if (!k->chars) {
        k->buf[k->n++] = ' ';
    }
    if (k->ntok + 2 > k->captok) {
        k->captok = 2 * k->captok + 64;
        k->off = lab_realloc(k->off, (size_t)k->captok * sizeof *k->off);
    }
    k->off[++k->ntok] = k->n;
}

static void on_token(const char *tok, size_t len, void *ctx)
{
    Tokens *k = ctx;
    if (k->chars) {
        // scikit-learn's analyzer='char' first replaces every run of two or more whitespace
        // characters (\s\s+) by one space; a single one stays as it is
        int space = is_py_space(tok, len);
        if (space && k->last_space) {
            k->n = k->off[k->ntok - 1];
            k->buf[k->n++] = ' ';
            k->off[k->ntok] = k->n;
            return;
        }
        k->last_space = space;
    } else if (k->stop && lab_strtab_find(k->stop, tok, len) >= 0) {
        k->stopped++;
        return; // stop words go before n-grams are formed, as in scikit-learn
    }
    if (k->direct) {
        sink_term(k->direct, tok, len); // no n-grams: no need to keep the token
        k->ntok++;
        return;
    }
    tokens_push(k, tok, len);
}

void tfidf_tokens_init(Tokens *k, TokKind kind, const LabStrTab *stop)
{
    memset(k, 0, sizeof *k);
    k->chars = kind == TOK_CHAR;
    k->stop = kind == TOK_CHAR ? NULL : stop;
    k->captok = 64;
    k->off = lab_malloc((size_t)k->captok * sizeof *k->off);
}

void tfidf_tokens_free(Tokens *k)
{
    free(k->buf);
    free(k->off);
    memset(k, 0, sizeof *k);
}

static int tokens_split(Tokens *k, Tokenizer *t, const char *text, size_t len)
{
    k->n = 0;
    k->ntok = 0;
    k->off[0] = 0;
    k->last_space = 0;
    return tok_split(t, text, len, on_token, k);
}

// the n-gram of tokens i..i+n-1
static const char *tokens_gram(const Tokens *k, long i, int n, size_t *len)
{
    *len = k->off[i + n] - k->off[i] - (k->chars ? 0 : 1);
    return k->buf + k->off[i];
}

int tfidf_analyze(Tokens *k, Tokenizer *t, const TfidfParams *p, Sink *sink, const char *text,
                  size_t len)
{
    sink->ids.n = 0;
    k->direct = !k->chars && p->ngram_min == 1 && p->ngram_max == 1 ? sink : NULL;
    if (tokens_split(k, t, text, len) != 0) {
        return -1;
    }
    if (k->direct) {
        return 0;
    }
    for (int n = p->ngram_min; n <= p->ngram_max && n <= k->ntok; n++) {
        for (long i = 0; i + n <= k->ntok; i++) {
            size_t glen;
            const char *g = tokens_gram(k, i, n, &glen);
            sink_term(sink, g, glen);
        }
    }
    return 0;
}
