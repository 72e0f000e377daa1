// tfidf.c: documents, term sets, the sparse document-term matrix and its weights.
//
// Fitting makes three passes, none of them dense:
//   1. analyze every document into term ids (a hash table gives each new term the next id)
//      and count them into (id, count) entries, one row per document: a term remembers the
//      document it was last seen in and its entry there, so a repeat adds one to that entry;
//   2. count document frequencies from the entries, keep the terms within min/max df (then
//      the max_features most frequent), sort the kept ones by bytes and renumber the columns;
//   3. sort each row by column, weigh every entry tf(count) * idf(df) and divide each row by
//      its norm.
// Passes 1 and 3 run on chunks of consecutive documents in parallel (OpenMP); the result is
// bitwise the same for any number of threads. The commands are in tfidf_cli.c.
#include "ngram/tfidf.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

// --- documents --------------------------------------------------------------------------------

void tfidf_docs_init(TfidfDocs *d)
{
    memset(d, 0, sizeof *d);
}

void tfidf_docs_free(TfidfDocs *d)
{
    for (long i = 0; i < d->nfiles; i++) {
        free(d->text[i]);
        free(d->files[i]);
    }
    free(d->text);
    free(d->files);
    free(d->doc);
    free(d->len);
    free(d->line);
    free(d->file);
    memset(d, 0, sizeof *d);
}

static void push_doc(TfidfDocs *d, const char *s, size_t len, long line, int32_t file)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 256;
        d->doc = lab_realloc(d->doc, (size_t)d->cap * sizeof *d->doc);
        d->len = lab_realloc(d->len, (size_t)d->cap * sizeof *d->len);
        d->line = lab_realloc(d->line, (size_t)d->cap * sizeof *d->line);
        d->file = lab_realloc(d->file, (size_t)d->cap * sizeof *d->file);
    }
    d->doc[d->n] = s;
    d->len[d->n] = len;
    d->line[d->n] = line;
    d->file[d->n] = file;
    d->n++;
}

// the lab's blank line (datasets/corpus.c): nothing but ASCII spaces
static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\f' && s[i] != '\v') {
            return 0;
        }
    }
    return 1;
}

void tfidf_docs_add(TfidfDocs *d, const char *name, char *text, size_t len, TfidfUnit unit)
{
    int32_t f = (int32_t)d->nfiles;
    d->text = lab_realloc(d->text, (size_t)(f + 1) * sizeof *d->text);
    d->files = lab_realloc(d->files, (size_t)(f + 1) * sizeof *d->files);
    d->text[f] = text;
    d->files[f] = lab_strdup(name);
    d->nfiles++;
    if (unit == TFIDF_UNIT_FILE) {
        push_doc(d, text, len, 1, f);
        return;
    }
    long line = 0, par_line = 0;
    size_t par_start = SIZE_MAX, par_end = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        size_t n = end - i;
        if (n > 0 && text[i + n - 1] == '\r') {
            n--;
        }
        line++;
        int blank = is_blank(text + i, n);
        if (unit == TFIDF_UNIT_PARAGRAPH) {
            if (!blank) {
                if (par_start == SIZE_MAX) {
                    par_start = i;
                    par_line = line;
                }
                par_end = i + n;
            } else if (par_start != SIZE_MAX) {
                push_doc(d, text + par_start, par_end - par_start, par_line, f);
                par_start = SIZE_MAX;
            }
        } else if (!blank) {
            push_doc(d, text + i, n, line, f);
        }
        i = end + 1;
    }
    if (par_start != SIZE_MAX) {
        push_doc(d, text + par_start, par_end - par_start, par_line, f);
    }
}

// Reads one file of a directory. 0: read (*text owned by the caller); 1: skipped, and why
// says why (lab_read_file has printed its own message when the file could not be read).
static int read_member(const char *path, Utf8Mode mode, char **text, size_t *len, char *why,
                       size_t nwhy)
{
    char *buf;
    size_t n;
    if (lab_read_file(path, &buf, &n, 0) != 0) {
        snprintf(why, nwhy, "it cannot be read");
        return 1;
    }
    if (n == 0) {
        free(buf);
        snprintf(why, nwhy, "empty");
        return 1;
    }
    const char *nul = memchr(buf, '\0', n);
    if (nul) {
        snprintf(why, nwhy, "binary (a NUL byte at offset %zu)", (size_t)(nul - buf));
        free(buf);
        return 1;
    }
    size_t skip = n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    const unsigned char *u = (const unsigned char *)buf;
    for (size_t i = skip; i < n;) {
        uint32_t cp;
        int k = utf8_decode(u + i, n - i, &cp);
        if (k < 0) {
            if (mode == UTF8_STRICT) {
                snprintf(why, nwhy, "not valid UTF-8 (byte 0x%02X at offset %zu)", u[i], i);
                free(buf);
                return 1;
            }
            free(buf); // replace mode: text_read does the replacing
            return text_read(path, mode, text, len) == 0 ? 0 : 1;
        }
        i += (size_t)k;
    }
    if (skip) {
        memmove(buf, buf + skip, n - skip + 1);
        n -= skip;
    }
    *text = buf;
    *len = n;
    return 0;
}

static int by_string(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

enum { MAX_SKIP_NOTES = 20 };

static int read_dir(TfidfDocs *d, const char *dir, TfidfUnit unit, Utf8Mode mode)
{
    DIR *dp = opendir(dir);
    if (!dp) {
        return lab_error("cannot open directory '%s': %s", dir, strerror(errno));
    }
    char **names = NULL;
    long n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(dp));) {
        if (e->d_name[0] == '.') {
            continue; // hidden files, "." and ".."
        }
        if (n == cap) {
            cap = cap ? 2 * cap : 64;
            names = lab_realloc(names, (size_t)cap * sizeof *names);
        }
        names[n++] = lab_strdup(e->d_name);
    }
    closedir(dp);
    if (n > 1) {
        qsort(names, (size_t)n, sizeof *names, by_string);
    }
    long others = 0;
    for (long i = 0; i < n; i++) {
        char *path = lab_path_join(dir, names[i]);
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
            others++;
        } else {
            char *text, why[128];
            size_t len;
            if (read_member(path, mode, &text, &len, why, sizeof why) == 0) {
                tfidf_docs_add(d, path, text, len, unit);
            } else {
                if (d->skipped < MAX_SKIP_NOTES) {
                    lab_note("skipped '%s': %s", path, why);
                }
                d->skipped++;
            }
        }
        free(path);
        free(names[i]);
    }
    free(names);
    if (d->skipped > MAX_SKIP_NOTES) {
        lab_note("skipped %ld files of '%s' in all (the first %d are named above)", d->skipped,
                 dir, MAX_SKIP_NOTES);
    }
    if (others) {
        lab_note("left out %ld %s of '%s' that %s (subdirectories are not read)", others,
                 others == 1 ? "entry" : "entries", dir,
                 others == 1 ? "is not a regular file" : "are not regular files");
    }
    if (d->nfiles == 0) {
        return lab_error_hint("a directory of documents holds UTF-8 text files, one document "
                              "each",
                              "'%s' has no readable text file", dir);
    }
    if (d->n == 0) {
        return lab_error("the files of '%s' hold no document: every line is blank", dir);
    }
    return 0;
}

int tfidf_docs_read(TfidfDocs *d, const char *path, TfidfUnit unit, Utf8Mode mode)
{
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        return read_dir(d, path, unit == TFIDF_UNIT_AUTO ? TFIDF_UNIT_FILE : unit, mode);
    }
    char *text;
    size_t len;
    if (text_read(path, mode, &text, &len) != 0) {
        return -1;
    }
    tfidf_docs_add(d, path, text, len, unit == TFIDF_UNIT_AUTO ? TFIDF_UNIT_LINE : unit);
    if (d->n == 0) {
        return lab_error("'%s' has no documents: every line is blank", path);
    }
    return 0;
}

// --- term sets --------------------------------------------------------------------------------

// Eight bytes at a time, each word mixed by a multiply (the constants of splitmix64). The
// value depends on the machine's byte order, which changes term ids but never a result:
// columns are sorted by bytes.
static uint32_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0x9E3779B97F4A7C15ull ^ n;
    for (; n >= 8; s += 8, n -= 8) {
        uint64_t w;
        memcpy(&w, s, 8);
        h = (h ^ w) * 0xBF58476D1CE4E5B9ull;
        h ^= h >> 31;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, s, n);
        h = (h ^ w) * 0x94D049BB133111EBull;
        h ^= h >> 29;
    }
    h *= 0xFF51AFD7ED558CCDull;
    h ^= h >> 33;
    return (uint32_t)h;
}

void tfidf_terms_init(TfidfTerms *t)
{
    memset(t, 0, sizeof *t);
    t->cap = 64;
    t->off = lab_malloc((size_t)(t->cap + 1) * sizeof *t->off);
    t->off[0] = 0;
    t->capbytes = 1024;
    t->bytes = lab_malloc(t->capbytes);
    t->nslots = 128;
    t->slots = lab_malloc(t->nslots * sizeof *t->slots);
    memset(t->slots, 0xFF, t->nslots * sizeof *t->slots);
}

void tfidf_terms_free(TfidfTerms *t)
{
    free(t->bytes);
    free(t->off);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

// A slot holds hid = hash << 32 | id (all ones when empty: no id is 0xFFFFFFFF) and a key:
// the first 7 bytes of the term and its length (capped at 255) in the top byte. A probe
// compares hash and key without touching the term; a term of up to 7 bytes is equal when
// they are, longer ones are compared in full.
#define TFIDF_SLOT_EMPTY UINT64_MAX

static uint64_t slot_key(const char *s, size_t len)
{
    uint64_t k = 0;
    memcpy(&k, s, len < 7 ? len : 7);
    return k | (uint64_t)(len < 255 ? len : 255) << 56;
}

// the slot holding s, or the empty slot where it would go
static uint32_t find_slot(const TfidfTerms *t, const char *s, size_t len, uint32_t h,
                          uint64_t key)
{
    uint32_t mask = t->nslots - 1;
    uint32_t i = h & mask;
    for (;;) {
        const TfidfSlot *sl = &t->slots[i];
        if (sl->hid == TFIDF_SLOT_EMPTY) {
            return i;
        }
        if ((uint32_t)(sl->hid >> 32) == h && sl->key == key) {
            int32_t id = (int32_t)(uint32_t)sl->hid;
            if (len <= 7 || (tfidf_term_len(t, id) == len &&
                             memcmp(tfidf_term(t, id), s, len) == 0)) {
                return i;
            }
        }
        i = (i + 1) & mask;
    }
}

int32_t tfidf_terms_find(const TfidfTerms *t, const char *s, size_t len)
{
    if (!t->slots) {
        return -1;
    }
    uint64_t v = t->slots[find_slot(t, s, len, hash_bytes(s, len), slot_key(s, len))].hid;
    return v == TFIDF_SLOT_EMPTY ? -1 : (int32_t)(uint32_t)v;
}

// tfidf_terms_add when the hash of s is known
static int32_t terms_add_hashed(TfidfTerms *t, const char *s, size_t len, uint32_t h)
{
    uint64_t key = slot_key(s, len);
    uint32_t slot = find_slot(t, s, len, h, key);
    if (t->slots[slot].hid != TFIDF_SLOT_EMPTY) {
        return (int32_t)(uint32_t)t->slots[slot].hid;
    }
    if ((uint32_t)(t->n + 1) * 2 > t->nslots) {
        TfidfSlot *old = t->slots;
        uint32_t nold = t->nslots;
        t->nslots *= 2;
        t->slots = lab_malloc(t->nslots * sizeof *t->slots);
        memset(t->slots, 0xFF, t->nslots * sizeof *t->slots);
        uint32_t mask = t->nslots - 1;
        for (uint32_t k = 0; k < nold; k++) {
            if (old[k].hid != TFIDF_SLOT_EMPTY) {
                uint32_t i = (uint32_t)(old[k].hid >> 32) & mask;
                while (t->slots[i].hid != TFIDF_SLOT_EMPTY) {
                    i = (i + 1) & mask;
                }
                t->slots[i] = old[k];
            }
        }
        free(old);
        slot = find_slot(t, s, len, h, key);
    }
    if (t->n == t->cap) {
        t->cap *= 2;
        t->off = lab_realloc(t->off, (size_t)(t->cap + 1) * sizeof *t->off);
    }
    if (t->nbytes + len > t->capbytes) {
        while (t->nbytes + len > t->capbytes) {
            t->capbytes *= 2;
        }
        t->bytes = lab_realloc(t->bytes, t->capbytes);
    }
    memcpy(t->bytes + t->nbytes, s, len);
    t->nbytes += len;
    int32_t id = t->n++;
    t->off[id + 1] = t->nbytes;
    t->slots[slot].hid = (uint64_t)h << 32 | (uint32_t)id;
    t->slots[slot].key = key;
    return id;
}

int32_t tfidf_terms_add(TfidfTerms *t, const char *s, size_t len)
{
    return terms_add_hashed(t, s, len, hash_bytes(s, len));
}

// room for n terms of nbytes bytes in all in a fresh set, so that filling it never rehashes
static void terms_reserve(TfidfTerms *t, int32_t n, size_t nbytes)
{
    uint32_t ns = t->nslots;
    while (ns < 2 * (uint32_t)n + 2) {
        ns *= 2;
    }
    t->nslots = ns;
    t->slots = lab_realloc(t->slots, ns * sizeof *t->slots);
    memset(t->slots, 0xFF, ns * sizeof *t->slots);
    if (n > t->cap) {
        t->cap = n;
        t->off = lab_realloc(t->off, (size_t)(t->cap + 1) * sizeof *t->off);
    }
    if (nbytes > t->capbytes) {
        t->capbytes = nbytes;
        t->bytes = lab_realloc(t->bytes, t->capbytes);
    }
}

// the hash of every term, by id, read from the slots (a new array)
static uint32_t *terms_hashes(const TfidfTerms *t)
{
    uint32_t *h = lab_malloc(((size_t)t->n + 1) * sizeof *h);
    for (uint32_t k = 0; k < t->nslots; k++) {
        if (t->slots[k].hid != TFIDF_SLOT_EMPTY) {
            h[(uint32_t)t->slots[k].hid] = (uint32_t)(t->slots[k].hid >> 32);
        }
    }
    return h;
}

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

typedef struct {
    char *buf;
    size_t n, cap;
} ByteBuf;

static void buf_append(ByteBuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = 2 * (b->n + n + 1) + 64;
        b->buf = lab_realloc(b->buf, b->cap);
    }
    memcpy(b->buf + b->n, s, n);
    b->n += n;
    b->buf[b->n] = '\0';
}

static void append_token(const char *tok, size_t len, void *ctx)
{
    buf_append(ctx, tok, len);
}

// adds s[0..n) to set, folded by the char tokenizer low when it is not NULL
static void add_stop_word(TfidfTerms *set, Tokenizer *low, ByteBuf *b, const char *s, size_t n)
{
    if (!low) {
        tfidf_terms_add(set, s, n);
        return;
    }
    b->n = 0;
    tok_split(low, s, n, append_token, b); // the char tokenizer cannot fail
    tfidf_terms_add(set, b->buf, b->n);
}

int tfidf_stop_words_load(TfidfTerms *set, const char *source, int lowercase)
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

// --- options and formulas ---------------------------------------------------------------------

int tfidf_df_parse(const char *s, TfidfDf *df)
{
    if (!s || !*s) {
        return -1;
    }
    char *end;
    errno = 0;
    if (strpbrk(s, ".eE")) {
        double v = strtod(s, &end);
        if (*end || errno || !(v >= 0 && v <= 1)) {
            return -1;
        }
        df->value = v;
        df->proportion = 1;
        return 0;
    }
    long long v = strtoll(s, &end, 10);
    if (*end || errno || v < 1) {
        return -1;
    }
    df->value = (double)v;
    df->proportion = 0;
    return 0;
}

double tfidf_df_docs(TfidfDf df, long ndocs)
{
    return df.proportion ? df.value * (double)ndocs : df.value;
}

double tfidf_tf(TfidfTf tf, double count)
{
    switch (tf) {
    case TFIDF_TF_BINARY:
        return count > 0 ? 1.0 : 0.0;
    case TFIDF_TF_SUBLINEAR:
        return count > 0 ? 1.0 + log(count) : 0.0;
    case TFIDF_TF_RAW:
    default:
        return count;
    }
}

double tfidf_idf(TfidfIdf idf, long ndocs, long long df)
{
    // the same operations as scikit-learn (a double division, then log), so the same bits
    switch (idf) {
    case TFIDF_IDF_SMOOTH:
        return log((double)(ndocs + 1) / (double)(df + 1)) + 1.0;
    case TFIDF_IDF_PLAIN:
        return log((double)ndocs / (double)df);
    case TFIDF_IDF_SKLEARN_PLAIN:
        return log((double)ndocs / (double)df) + 1.0;
    case TFIDF_IDF_NONE:
    default:
        return 1.0;
    }
}

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

typedef struct {
    TfidfTerms *terms;
    int add;
    Ids ids;                 // the document's term ids, in the order of the terms
    long long unknown;
    TfidfTerms *unknown_set;
} Sink;

static void sink_term(Sink *k, const char *s, size_t len)
{
    int32_t id = k->add ? tfidf_terms_add(k->terms, s, len) : tfidf_terms_find(k->terms, s, len);
    if (id < 0) {
        k->unknown++;
        if (k->unknown_set) {
            tfidf_terms_add(k->unknown_set, s, len);
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

typedef struct {
    char *buf;             // (n) token bytes
    size_t n, cap;
    size_t *off;           // (ntok + 1) token i starts at buf[off[i]]
    long ntok, captok;
    int chars;             // character tokens
    int last_space;        // chars: the last token is whitespace
    const TfidfTerms *stop;
    long long stopped;     // words dropped as stop words
    Sink *direct;          // words, unigrams only: each token goes straight to this sink
} Tokens;

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
    } else if (k->stop && tfidf_terms_find(k->stop, tok, len) >= 0) {
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

static void tokens_init(Tokens *k, TokKind kind, const TfidfTerms *stop)
{
    memset(k, 0, sizeof *k);
    k->chars = kind == TOK_CHAR;
    k->stop = kind == TOK_CHAR ? NULL : stop;
    k->captok = 64;
    k->off = lab_malloc((size_t)k->captok * sizeof *k->off);
}

static void tokens_free(Tokens *k)
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

// Every term of text[0..len) into sink (its id list restarted): n-grams of every length
// ngram_min .. ngram_max, the shortest first, as scikit-learn lists them.
static int analyze(Tokens *k, Tokenizer *t, const TfidfParams *p, Sink *sink, const char *text,
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

// --- sorting ----------------------------------------------------------------------------------

static int cmp_i32(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

static void sort_i32(int32_t *a, long n)
{
    if (n > 32) {
        qsort(a, (size_t)n, sizeof *a, cmp_i32);
        return;
    }
    for (long i = 1; i < n; i++) { // insertion sort: most documents are short
        int32_t v = a[i];
        long j = i;
        for (; j > 0 && a[j - 1] > v; j--) {
            a[j] = a[j - 1];
        }
        a[j] = v;
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

// Quicksort without a comparison callback (a row is sorted for every document), insertion
// sort below 24 elements, and glibc's qsort when the recursion gets deeper than it should
// (a pathological order cannot make it quadratic).
static void sort_u64_depth(uint64_t *a, long n, int depth)
{
    while (n > 24) {
        if (depth-- == 0) {
            qsort(a, (size_t)n, sizeof *a, cmp_u64);
            return;
        }
        uint64_t x = a[0], y = a[n / 2], z = a[n - 1]; // median of three as the pivot
        uint64_t pivot = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y);
        long i = 0, j = n - 1;
        for (;;) {
            while (a[i] < pivot) {
                i++;
            }
            while (a[j] > pivot) {
                j--;
            }
            if (i >= j) {
                break;
            }
            uint64_t t = a[i];
            a[i++] = a[j];
            a[j--] = t;
        }
        // a[0..j] <= pivot <= a[j+1..n): recurse into the smaller part, loop on the larger
        if (j + 1 < n - j - 1) {
            sort_u64_depth(a, j + 1, depth);
            a += j + 1;
            n -= j + 1;
        } else {
            sort_u64_depth(a + j + 1, n - j - 1, depth);
            n = j + 1;
        }
    }
    for (long i = 1; i < n; i++) {
        uint64_t v = a[i];
        long j = i;
        for (; j > 0 && a[j - 1] > v; j--) {
            a[j] = a[j - 1];
        }
        a[j] = v;
    }
}

static void sort_u64(uint64_t *a, long n)
{
    int depth = 2;
    for (long m = n; m > 1; m >>= 1) {
        depth += 2;
    }
    sort_u64_depth(a, n, depth);
}

static const TfidfTerms *sort_terms;  // qsort has no context argument
static const long long *sort_totals;

static int term_bytes_cmp(int32_t a, int32_t b)
{
    size_t na = tfidf_term_len(sort_terms, a), nb = tfidf_term_len(sort_terms, b);
    int c = memcmp(tfidf_term(sort_terms, a), tfidf_term(sort_terms, b), na < nb ? na : nb);
    if (c) {
        return c;
    }
    return (na > nb) - (na < nb);
}

// Byte order of the UTF-8 is code point order (Python's str order). A term's first 8 bytes
// as a big-endian number (zero-padded: terms hold no NUL) make most comparisons of a sort
// by bytes one integer comparison on contiguous memory.
typedef struct {
    uint64_t prefix;
    int32_t id;
} Prefixed;

static int by_prefix_then_bytes(const void *pa, const void *pb)
{
    const Prefixed *a = pa, *b = pb;
    if (a->prefix != b->prefix) {
        return a->prefix < b->prefix ? -1 : 1;
    }
    return term_bytes_cmp(a->id, b->id);
}

// Sorts ids[0..n) of sort_terms into byte order.
static void sort_by_bytes(int32_t *ids, int32_t n)
{
    Prefixed *p = lab_malloc(((size_t)n + 1) * sizeof *p);
    for (int32_t i = 0; i < n; i++) {
        const unsigned char *s = (const unsigned char *)tfidf_term(sort_terms, ids[i]);
        size_t len = tfidf_term_len(sort_terms, ids[i]);
        uint64_t x = 0;
        for (size_t j = 0; j < 8; j++) {
            x = (x << 8) | (j < len ? s[j] : 0);
        }
        p[i] = (Prefixed){x, ids[i]};
    }
    qsort(p, (size_t)n, sizeof *p, by_prefix_then_bytes);
    for (int32_t i = 0; i < n; i++) {
        ids[i] = p[i].id;
    }
    free(p);
}

// largest total first, then byte order
static int by_total_then_bytes(const void *pa, const void *pb)
{
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    if (sort_totals[a] != sort_totals[b]) {
        return sort_totals[a] > sort_totals[b] ? -1 : 1;
    }
    return term_bytes_cmp(a, b);
}

// --- fitting ----------------------------------------------------------------------------------

// The CSR being built: the entries of rows 0..r-1, capacity grown by doubling.
typedef struct {
    long long *ptr;
    int32_t *col;
    uint32_t *count;
    long long nnz, cap;
} Builder;

static void builder_push(Builder *b, int32_t col, uint32_t count)
{
    if (b->nnz == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 1 << 12;
        b->col = lab_realloc(b->col, (size_t)b->cap * sizeof *b->col);
        b->count = lab_realloc(b->count, (size_t)b->cap * sizeof *b->count);
    }
    b->col[b->nnz] = col;
    b->count[b->nnz] = count;
    b->nnz++;
}

// sorts ids and appends one (id, count) entry per distinct id
static void merge_row(Builder *b, Ids *ids)
{
    sort_i32(ids->id, ids->n);
    for (long i = 0; i < ids->n;) {
        long j = i + 1;
        while (j < ids->n && ids->id[j] == ids->id[i]) {
            j++;
        }
        builder_push(b, ids->id[i], (uint32_t)(j - i));
        i = j;
    }
}

// tf * idf of every entry of a row, divided by the row's norm; returns the row's Euclidean
// length afterwards
static double weigh_row(const TfidfParams *p, const double *idf, const int32_t *col,
                        const uint32_t *count, double *val, long n)
{
    double sq = 0, abs_sum = 0;
    for (long e = 0; e < n; e++) {
        val[e] = tfidf_tf((TfidfTf)p->tf, (double)count[e]) * idf[col[e]];
        sq += val[e] * val[e];
        abs_sum += fabs(val[e]);
    }
    double div = p->norm == TFIDF_NORM_L2 ? sqrt(sq) : p->norm == TFIDF_NORM_L1 ? abs_sum : 1.0;
    if (div > 0 && div != 1.0) { // a zero row stays zero, as scikit-learn leaves it
        sq = 0;
        for (long e = 0; e < n; e++) {
            val[e] /= div;
            sq += val[e] * val[e];
        }
    }
    return sqrt(sq);
}

// Pass 1 runs on chunks of consecutive documents, one thread each, every chunk with its own
// tokenizer and its own term ids (in the order it met them); the chunks' terms are merged
// afterwards. Columns are renumbered by bytes in pass 2 anyway, so the result is the same
// whatever the number of threads.
typedef struct {
    long first, last;      // documents first .. last-1
    TfidfTerms terms;      // the chunk's terms, ids in first-seen order
    Builder b;             // its rows: b.ptr[i] is the start of document first + i
    int32_t *map;          // (nterms) chunk term id -> id of the merged table, then column
    int32_t nterms;        // terms.n, kept when terms is freed
    long long counted;     // terms counted
    long long stopped;     // words dropped as stop words
    long no_terms;         // documents without a term
    int failed;            // the tokenizer failed (its message is printed)
} Chunk;

static void count_chunk(Chunk *c, const TfidfDocs *docs, const TfidfParams *p,
                        const Tokenizer *proto)
{
    Tokenizer t;
    if (tok_init(&t, proto->kind, proto->pattern, proto->lowercase) != 0) {
        c->failed = 1; // cannot happen: proto compiled the same pattern
        return;
    }
    Tokens k;
    tokens_init(&k, proto->kind, p->stop);
    // the table and the rows are built in locals and stored at the end: chunks lie side by
    // side in memory, and threads writing counters on one cache line would slow each other
    TfidfTerms terms;
    tfidf_terms_init(&terms);
    Sink sink = {.terms = &terms, .add = 1};
    Ids ids; // sink.ids after each document
    Builder b = {0};
    b.ptr = lab_malloc((size_t)(c->last - c->first + 1) * sizeof *b.ptr);
    b.ptr[0] = 0;
    long long counted = 0;
    long no_terms = 0;
    // the last document each term was seen in, and its entry there: a repeat adds one to
    // that entry, so a row is built without sorting (pass 3 puts it in column order)
    struct {
        long doc;
        long long entry;
    } *seen = NULL;
    int32_t cap = 0;
    for (long d = c->first; d < c->last; d++) {
        if (analyze(&k, &t, p, &sink, docs->doc[d], docs->len[d]) != 0) {
            c->failed = 1;
            break;
        }
        ids = sink.ids;
        if (terms.n > cap) {
            int32_t old = cap;
            cap = 2 * terms.n;
            seen = lab_realloc(seen, (size_t)cap * sizeof *seen);
            for (int32_t j = old; j < cap; j++) {
                seen[j].doc = -1;
            }
        }
        for (long i = 0; i < ids.n; i++) {
            int32_t id = ids.id[i];
            if (seen[id].doc == d) {
                b.count[seen[id].entry]++;
            } else {
                seen[id].doc = d;
                seen[id].entry = b.nnz;
                builder_push(&b, id, 1);
            }
        }
        counted += ids.n;
        no_terms += ids.n == 0;
        b.ptr[d - c->first + 1] = b.nnz;
    }
    c->terms = terms;
    c->b = b;
    c->counted = counted;
    c->stopped = k.stopped;
    c->no_terms = no_terms;
    free(seen);
    free(sink.ids.id);
    tokens_free(&k);
    tok_free(&t);
}

static void chunk_free(Chunk *c)
{
    tfidf_terms_free(&c->terms);
    free(c->b.ptr);
    free(c->b.col);
    free(c->b.count);
    free(c->map);
    memset(c, 0, sizeof *c);
}

static void count_token(const char *tok, size_t len, void *ctx)
{
    (*(long long *)ctx)++;
}

// Splits the documents into n chunks of about the same number of bytes.
static Chunk *make_chunks(const TfidfDocs *docs, int *n)
{
    double total = 0;
    for (long d = 0; d < docs->n; d++) {
        total += (double)docs->len[d] + 1;
    }
    int want = omp_get_max_threads() * 4;
    if (docs->n < 1024 || total < (1 << 18)) {
        want = 1; // under 256 KB a thread costs more than it saves
    }
    Chunk *c = lab_calloc((size_t)want, sizeof *c);
    int k = 0;
    double acc = 0;
    c[0].first = 0;
    for (long d = 0; d < docs->n; d++) {
        acc += (double)docs->len[d] + 1;
        if (k + 1 < want && acc >= total * (k + 1) / want) {
            c[k].last = d + 1;
            c[++k].first = d + 1;
        }
    }
    c[k].last = docs->n;
    *n = k + 1;
    return c;
}

int tfidf_fit(TfidfModel *m, const TfidfDocs *docs, const TfidfParams *p, Tokenizer *t)
{
    memset(m, 0, sizeof *m);
    m->params = *p;
    m->kind = t->kind;
    if (p->ngram_min < 1 || p->ngram_max < p->ngram_min) {
        return lab_error("n-gram range %d,%d: expected 1 <= min <= max", p->ngram_min,
                         p->ngram_max);
    }
    long N = docs->n;
    int nchunks;
    Chunk *chunks = make_chunks(docs, &nchunks);
    TfidfTerms seen;
    tfidf_terms_init(&seen);
    long long *df0 = NULL, *tot0 = NULL;
    long long stopped = 0;
    int32_t *keep = NULL, *map = NULL;

    // 1. counts: one row per document, in the chunk's term ids. One split on this thread
    // first: the tokenizer sets up its lowercasing locale once, not in every thread at once.
    if (t->lowercase) {
        long long ignored = 0;
        tok_split(t, "A", 1, count_token, &ignored);
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < nchunks; c++) {
        count_chunk(&chunks[c], docs, p, t);
    }
    for (int c = 0; c < nchunks; c++) {
        if (chunks[c].failed) {
            goto fail;
        }
        m->terms_counted += chunks[c].counted;
        stopped += chunks[c].stopped;
        m->no_terms += chunks[c].no_terms;
        // the chunk's ids -> ids of one table of every term seen
        Chunk *ch = &chunks[c];
        ch->nterms = ch->terms.n;
        ch->map = lab_malloc(((size_t)ch->terms.n + 1) * sizeof *ch->map);
        if (nchunks == 1) { // the chunk's table is the table
            tfidf_terms_free(&seen);
            seen = ch->terms;
            memset(&ch->terms, 0, sizeof ch->terms);
            for (int32_t j = 0; j < seen.n; j++) {
                ch->map[j] = j;
            }
            break;
        }
        uint32_t *h = terms_hashes(&ch->terms);
        for (int32_t j = 0; j < ch->terms.n; j++) {
            ch->map[j] = terms_add_hashed(&seen, tfidf_term(&ch->terms, j),
                                          tfidf_term_len(&ch->terms, j), h[j]);
        }
        free(h);
        tfidf_terms_free(&ch->terms);
    }
    int32_t V0 = m->terms_seen = seen.n;
    if (V0 == 0 && stopped > 0) {
        // the pattern found words: the stop list removed them all
        lab_error_hint("--stop-words removed every word; try without it, or with a shorter list",
                       "no document has a term (%ld documents): all %lld words are stop words",
                       N, stopped);
        goto fail;
    }
    if (V0 == 0) {
        lab_error_hint(t->kind == TOK_WORD ? "check --pattern: it finds no word in the documents"
                                           : NULL,
                       "no document has a term (%ld documents)", N);
        goto fail;
    }

    // 2. document frequencies, pruning, byte order
    df0 = lab_calloc((size_t)V0, sizeof *df0);
    tot0 = lab_calloc((size_t)V0, sizeof *tot0);
    for (int c = 0; c < nchunks; c++) {
        const Chunk *ch = &chunks[c];
        for (long long e = 0; e < ch->b.nnz; e++) {
            int32_t j = ch->map[ch->b.col[e]];
            df0[j]++;
            tot0[j] += p->tf == TFIDF_TF_BINARY ? 1 : ch->b.count[e];
        }
    }
    double lo = tfidf_df_docs(p->min_df, N), hi = tfidf_df_docs(p->max_df, N);
    if (hi < lo) {
        lab_error_hint("lower --min-df or raise --max-df",
                       "--max-df stands for %g documents, fewer than the %g of --min-df "
                       "(%ld documents)",
                       hi, lo, N);
        goto fail;
    }
    keep = lab_malloc((size_t)V0 * sizeof *keep);
    int32_t V = 0;
    for (int32_t j = 0; j < V0; j++) {
        if ((double)df0[j] >= lo && (double)df0[j] <= hi) {
            keep[V++] = j;
        }
    }
    sort_terms = &seen;
    if (p->max_features > 0 && V > p->max_features) {
        // scikit-learn ranks by total count too; its tie order is numpy's unstable argsort,
        // lmlab keeps the term that comes first in byte order
        sort_totals = tot0;
        qsort(keep, (size_t)V, sizeof *keep, by_total_then_bytes);
        V = (int32_t)p->max_features;
    }
    if (V == 0) {
        lab_error_hint("lower --min-df, raise --max-df",
                       "no term is left: each of the %d terms occurs in fewer than %g "
                       "(--min-df) or more than %g (--max-df) of the %ld documents",
                       V0, lo, hi, N);
        goto fail;
    }
    sort_by_bytes(keep, V);
    map = lab_malloc((size_t)V0 * sizeof *map);
    memset(map, 0xFF, (size_t)V0 * sizeof *map);
    tfidf_terms_init(&m->vocab);
    m->df = lab_malloc((size_t)V * sizeof *m->df);
    m->total = lab_malloc((size_t)V * sizeof *m->total);
    m->idf = lab_malloc((size_t)V * sizeof *m->idf);
    uint32_t *seen_hash = terms_hashes(&seen);
    terms_reserve(&m->vocab, V, seen.nbytes);
    for (int32_t j = 0; j < V; j++) {
        int32_t o = keep[j];
        map[o] = j;
        terms_add_hashed(&m->vocab, tfidf_term(&seen, o), tfidf_term_len(&seen, o), seen_hash[o]);
        m->df[j] = df0[o];
        m->total[j] = tot0[o];
        m->idf[j] = tfidf_idf((TfidfIdf)p->idf, N, df0[o]);
    }
    free(seen_hash);
    tfidf_terms_free(&seen);
    // chunk ids -> columns (-1: pruned); then the kept entries of every row, column order
    TfidfCsr *X = &m->X;
    X->rows = N;
    X->cols = V;
    X->ptr = lab_malloc((size_t)(N + 1) * sizeof *X->ptr);
    X->ptr[0] = 0;
    for (int c = 0; c < nchunks; c++) {
        Chunk *ch = &chunks[c];
        for (int32_t j = 0; j < ch->nterms; j++) { // chunk id -> column, one lookup
            ch->map[j] = map[ch->map[j]];
        }
        for (long long e = 0; e < ch->b.nnz; e++) {
            ch->b.col[e] = ch->map[ch->b.col[e]];
        }
        for (long d = ch->first; d < ch->last; d++) {
            long long kept = 0;
            for (long long e = ch->b.ptr[d - ch->first]; e < ch->b.ptr[d - ch->first + 1]; e++) {
                kept += ch->b.col[e] >= 0;
            }
            X->ptr[d + 1] = X->ptr[d] + kept;
        }
    }
    X->nnz = X->ptr[N];
    X->col = lab_malloc(((size_t)X->nnz + 1) * sizeof *X->col);
    X->count = lab_malloc(((size_t)X->nnz + 1) * sizeof *X->count);
    X->val = lab_malloc(((size_t)X->nnz + 1) * sizeof *X->val);
    m->rownorm = lab_malloc((size_t)N * sizeof *m->rownorm);

    // 3. weights, by chunk of rows in parallel (rows are independent)
#pragma omp parallel for schedule(dynamic, 1)
    for (int c = 0; c < nchunks; c++) {
        Chunk *ch = &chunks[c];
        long widest = 0;
        for (long i = 0; i < ch->last - ch->first; i++) {
            long n = (long)(ch->b.ptr[i + 1] - ch->b.ptr[i]);
            widest = n > widest ? n : widest;
        }
        uint64_t *pairs = lab_malloc(((size_t)widest + 1) * sizeof *pairs);
        for (long d = ch->first; d < ch->last; d++) {
            long n = 0;
            for (long long e = ch->b.ptr[d - ch->first]; e < ch->b.ptr[d - ch->first + 1]; e++) {
                if (ch->b.col[e] >= 0) {
                    pairs[n++] = (uint64_t)ch->b.col[e] << 32 | ch->b.count[e];
                }
            }
            sort_u64(pairs, n);
            long long a = X->ptr[d];
            for (long i = 0; i < n; i++) {
                X->col[a + i] = (int32_t)(pairs[i] >> 32);
                X->count[a + i] = (uint32_t)pairs[i];
            }
            m->rownorm[d] = weigh_row(p, m->idf, X->col + a, X->count + a, X->val + a, n);
        }
        free(pairs);
        free(ch->b.col); // done with the chunk's entries
        free(ch->b.count);
        ch->b.col = NULL;
        ch->b.count = NULL;
    }
    for (long d = 0; d < N; d++) {
        m->empty += m->rownorm[d] == 0;
    }
    for (int c = 0; c < nchunks; c++) {
        chunk_free(&chunks[c]);
    }
    free(chunks);
    free(map);
    free(keep);
    free(df0);
    free(tot0);
    return 0;

fail:
    for (int c = 0; c < nchunks; c++) {
        chunk_free(&chunks[c]);
    }
    free(chunks);
    free(map);
    free(keep);
    free(df0);
    free(tot0);
    tfidf_terms_free(&seen);
    tfidf_model_free(m);
    return -1;
}

void tfidf_model_free(TfidfModel *m)
{
    tfidf_terms_free(&m->vocab);
    free(m->df);
    free(m->total);
    free(m->idf);
    free(m->rownorm);
    free(m->X.ptr);
    free(m->X.col);
    free(m->X.count);
    free(m->X.val);
    memset(m, 0, sizeof *m);
}

// --- transforming a query ---------------------------------------------------------------------

int tfidf_transform(const TfidfModel *m, Tokenizer *t, const char *text, size_t len,
                    TfidfVec *v, TfidfTerms *unknown_set)
{
    memset(v, 0, sizeof *v);
    Tokens k;
    tokens_init(&k, m->kind, m->params.stop);
    // a lookup does not change the set: the cast only lets Sink serve both uses
    Sink sink = {.terms = (TfidfTerms *)&m->vocab, .add = 0, .unknown_set = unknown_set};
    if (analyze(&k, t, &m->params, &sink, text, len) != 0) {
        tokens_free(&k);
        free(sink.ids.id);
        return -1;
    }
    Ids ids = sink.ids;
    v->unknown = sink.unknown;
    v->terms = ids.n + v->unknown;
    Builder b = {0};
    merge_row(&b, &ids);
    v->n = (long)b.nnz;
    v->col = b.col;
    v->count = b.count;
    v->val = lab_malloc(((size_t)v->n + 1) * sizeof *v->val);
    weigh_row(&m->params, m->idf, v->col, v->count, v->val, v->n);
    free(ids.id);
    tokens_free(&k);
    return 0;
}

void tfidf_vec_free(TfidfVec *v)
{
    free(v->col);
    free(v->count);
    free(v->val);
    memset(v, 0, sizeof *v);
}

// --- similarity and ranking -------------------------------------------------------------------

double tfidf_cosine(const int32_t *ca, const double *va, long na, const int32_t *cb,
                    const double *vb, long nb)
{
    double dot = 0, aa = 0, bb = 0;
    for (long i = 0; i < na; i++) {
        aa += va[i] * va[i];
    }
    for (long j = 0; j < nb; j++) {
        bb += vb[j] * vb[j];
    }
    for (long i = 0, j = 0; i < na && j < nb;) {
        if (ca[i] < cb[j]) {
            i++;
        } else if (ca[i] > cb[j]) {
            j++;
        } else {
            dot += va[i++] * vb[j++];
        }
    }
    if (aa == 0 || bb == 0) {
        return 0;
    }
    return dot / (sqrt(aa) * sqrt(bb));
}

// a is worse than b: a lower score, or the same score and a later document
static int hit_worse(TfidfHit a, TfidfHit b)
{
    return a.score < b.score || (a.score == b.score && a.doc > b.doc);
}

// A min-heap of the k best hits so far: the worst of them at the root, replaced when a
// better one comes.
static void heap_sift_down(TfidfHit *h, long n, long i)
{
    for (;;) {
        long l = 2 * i + 1, r = l + 1, w = i;
        if (l < n && hit_worse(h[l], h[w])) {
            w = l;
        }
        if (r < n && hit_worse(h[r], h[w])) {
            w = r;
        }
        if (w == i) {
            return;
        }
        TfidfHit tmp = h[i];
        h[i] = h[w];
        h[w] = tmp;
        i = w;
    }
}

static void heap_push(TfidfHit *h, long *n, long k, TfidfHit x)
{
    if (*n < k) {
        long i = (*n)++;
        h[i] = x;
        while (i > 0 && hit_worse(h[i], h[(i - 1) / 2])) {
            TfidfHit tmp = h[i];
            h[i] = h[(i - 1) / 2];
            h[(i - 1) / 2] = tmp;
            i = (i - 1) / 2;
        }
    } else if (hit_worse(h[0], x)) {
        h[0] = x;
        heap_sift_down(h, *n, 0);
    }
}

long tfidf_rank(const TfidfModel *m, const int32_t *col, const double *val, long n,
                long exclude, long k, TfidfHit *hits)
{
    double qq = 0;
    for (long i = 0; i < n; i++) {
        qq += val[i] * val[i];
    }
    if (qq == 0 || k <= 0) {
        return 0;
    }
    double qnorm = sqrt(qq);
    // the query scattered into a dense vector of V: each row's dot product is then one pass
    // over its stored entries
    double *q = lab_calloc((size_t)m->X.cols, sizeof *q);
    for (long i = 0; i < n; i++) {
        q[col[i]] = val[i];
    }
    long nh = 0;
    for (long d = 0; d < m->X.rows; d++) {
        if (d == exclude || m->rownorm[d] == 0) {
            continue;
        }
        double dot = 0;
        for (long long e = m->X.ptr[d]; e < m->X.ptr[d + 1]; e++) {
            dot += m->X.val[e] * q[m->X.col[e]];
        }
        if (dot > 0) {
            double s = dot / (m->rownorm[d] * qnorm);
            heap_push(hits, &nh, k, (TfidfHit){d, s > 1 ? 1 : s}); // 1 + rounding is 1
        }
    }
    free(q);
    // pop the worst first into the back: best first
    for (long i = nh - 1; i > 0; i--) {
        TfidfHit worst = hits[0];
        hits[0] = hits[i];
        heap_sift_down(hits, i, 0);
        hits[i] = worst;
    }
    return nh;
}

static const double *sort_vals; // qsort has no context argument

static int by_weight_desc(const void *pa, const void *pb)
{
    long long a = *(const long long *)pa, b = *(const long long *)pb;
    if (sort_vals[a] != sort_vals[b]) {
        return sort_vals[a] > sort_vals[b] ? -1 : 1;
    }
    return (a > b) - (a < b); // entries of a row are in column order
}

long tfidf_top_terms(const TfidfModel *m, long doc, long k, long long *entries)
{
    long long a = m->X.ptr[doc], z = m->X.ptr[doc + 1];
    long long *all = lab_malloc(((size_t)(z - a) + 1) * sizeof *all);
    long n = 0;
    for (long long e = a; e < z; e++) {
        if (m->X.val[e] > 0) {
            all[n++] = e;
        }
    }
    sort_vals = m->X.val;
    qsort(all, (size_t)n, sizeof *all, by_weight_desc);
    n = n < k ? n : k;
    memcpy(entries, all, (size_t)n * sizeof *entries);
    free(all);
    return n;
}

// --- files ------------------------------------------------------------------------------------

char *tfidf_escape_term(const char *s, size_t len)
{
    char *out = lab_malloc(2 * len + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        const char *esc = c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\r' ? "\\r"
                        : c == '\t' ? "\\t" : NULL;
        if (esc) {
            out[o++] = esc[0];
            out[o++] = esc[1];
        } else {
            out[o++] = c;
        }
    }
    out[o] = '\0';
    return out;
}

int tfidf_write_mtx(const TfidfModel *m, const char *path, const char *comment)
{
    long long nz = 0;
    for (long long e = 0; e < m->X.nnz; e++) {
        nz += m->X.val[e] != 0;
    }
    LabAtomic a;
    if (lab_atomic_open(&a, path) != 0) {
        return -1;
    }
    setvbuf(a.f, NULL, _IOFBF, 1 << 20);
    fputs("%%MatrixMarket matrix coordinate real general\n", a.f);
    if (comment) {
        fputs("% ", a.f);
        for (const char *c = comment; *c; c++) {
            fputc(*c == '\n' || *c == '\r' ? ' ' : *c, a.f);
        }
        fputc('\n', a.f);
    }
    fprintf(a.f, "%ld %ld %lld\n", m->X.rows, m->X.cols, nz);
    // printf of 17 digits is slow (about 0.3 us a number): blocks of rows are formatted in
    // parallel, each into its own buffer, and written in order
    enum { ROWS_PER_BLOCK = 4096 };
    long nblocks = (m->X.rows + ROWS_PER_BLOCK - 1) / ROWS_PER_BLOCK;
    int threads = omp_get_max_threads();
    for (long b0 = 0; b0 < nblocks; b0 += threads) {
        long nb = nblocks - b0 < threads ? nblocks - b0 : threads;
        ByteBuf *out = lab_calloc((size_t)nb, sizeof *out);
#pragma omp parallel for schedule(static, 1)
        for (long i = 0; i < nb; i++) {
            long first = (b0 + i) * ROWS_PER_BLOCK;
            long last = first + ROWS_PER_BLOCK < m->X.rows ? first + ROWS_PER_BLOCK : m->X.rows;
            char line[96];
            for (long d = first; d < last; d++) {
                for (long long e = m->X.ptr[d]; e < m->X.ptr[d + 1]; e++) {
                    if (m->X.val[e] != 0) {
                        int n = snprintf(line, sizeof line, "%ld %d %.17g\n", d + 1,
                                         m->X.col[e] + 1, m->X.val[e]);
                        buf_append(&out[i], line, (size_t)n);
                    }
                }
            }
        }
        for (long i = 0; i < nb; i++) {
            if (out[i].n) {
                fwrite(out[i].buf, 1, out[i].n, a.f);
            }
            free(out[i].buf);
        }
        free(out);
    }
    return lab_atomic_commit(&a);
}

int tfidf_write_vocab(const TfidfModel *m, const char *path)
{
    LabAtomic a;
    if (lab_atomic_open(&a, path) != 0) {
        return -1;
    }
    for (int32_t j = 0; j < m->vocab.n; j++) {
        char *e = tfidf_escape_term(tfidf_term(&m->vocab, j), tfidf_term_len(&m->vocab, j));
        fputs(e, a.f);
        fputc('\n', a.f);
        free(e);
    }
    return lab_atomic_commit(&a);
}

int tfidf_write_terms(const TfidfModel *m, const char *path)
{
    LabAtomic a;
    if (lab_atomic_open(&a, path) != 0) {
        return -1;
    }
    fputs("column\tterm\tdf\tidf\ttotal\n", a.f);
    for (int32_t j = 0; j < m->vocab.n; j++) {
        char *e = tfidf_escape_term(tfidf_term(&m->vocab, j), tfidf_term_len(&m->vocab, j));
        fprintf(a.f, "%d\t%s\t%lld\t%.17g\t%lld\n", j + 1, e, m->df[j], m->idf[j], m->total[j]);
        free(e);
    }
    return lab_atomic_commit(&a);
}
