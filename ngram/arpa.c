// arpa.c: the ARPA back-off model format, written and read.
//
//   \data\ (a line of its own)
//   ngram 1=5
//   ngram 2=7
//
//   \1-grams:
//   -0.69897<TAB>the<TAB>-0.30103       log10 P(w), w, log10 backoff weight (below the top order)
//   ...
//   \end\ (a line of its own)
//
// Probability zero is written -99 (as SRILM and KenLM write <s>) and read back as zero.
// Tokens are escaped (tok_escape) so that a space or a newline can be a token of a char model.
#include "ngram.h"

#include "lab/numtext.h"

#include <fcntl.h>
#include <math.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif
#ifdef _OPENMP
#include <omp.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG10_ZERO -99.0

// --- log10 text for natural-log values ------------------------------------------------------
// The model holds ln values and the file log10 ones. Read back, a log10 text t becomes
// ln_of_text(t): its decimal w 10^e times ln 10, computed in the 80-bit format (two roundings
// of 2^-64) and rounded once to double. The writer checks that what it writes comes back as
// the model's value bit for bit: the shortest decimal of y / ln 10 does for about nine values
// in ten; the others (whose neighbours' quotients round to the same double) get 17 to 19
// digits of y / ln 10, which always find one. So a model written and read back holds the same
// doubles, scores the same bit for bit, and writes the same bytes again.

static const long double LN10_L = 2.302585092994045684017991454684364208L;

static const long double pow10_l[28] = {
    1e0L,  1e1L,  1e2L,  1e3L,  1e4L,  1e5L,  1e6L,  1e7L,  1e8L,  1e9L,
    1e10L, 1e11L, 1e12L, 1e13L, 1e14L, 1e15L, 1e16L, 1e17L, 1e18L, 1e19L,
    1e20L, 1e21L, 1e22L, 1e23L, 1e24L, 1e25L, 1e26L, 1e27L,
};

// Whether the 8 bytes at p are all digits; their value into *v (the first the most
// significant). Eight at a time, as simdjson reads them: the bytes of a little-endian word.
static int eight_digits(const char *p, uint64_t *v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    uint64_t c;
    memcpy(&c, p, sizeof c);
    if (((c & 0xF0F0F0F0F0F0F0F0ull) | (((c + 0x0606060606060606ull) & 0xF0F0F0F0F0F0F0F0ull) >>
                                        4)) != 0x3333333333333333ull) {
        return 0;
    }
    c -= 0x3030303030303030ull;
    c = c * 10 + (c >> 8); // pairs
    c = ((c & 0x000000FF000000FFull) * (100 + (1000000ull << 32)) +
         ((c >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32))) >> 32;
    *v = c;
    return 1;
#else
    (void)p, (void)v;
    return 0;
#endif
}

// Reads the number at s (whose bytes end at limit, a NUL or more text): its log10 value into
// *l10 and the ln value into *ln; *end after it. -1 when s does not start with a number.
// Decimals of at most 19 significant digits and exponents within 10^+-27 take the 80-bit
// path, the rest lab_parse_double times ln 10.
static int ln_of_text(const char *s, const char *limit, const char **end, double *l10,
                      double *ln)
{
    const char *p = s;
    int neg = *p == '-';
    p += *p == '-' || *p == '+';
    uint64_t w = 0;
    int sig = 0, e10 = 0, digits = 0, slow = 0;
    for (; *p >= '0' && *p <= '9'; p++, digits++) {
        if (sig < 19) {
            w = w * 10 + (uint64_t)(*p - '0');
            sig += w != 0;
        } else {
            slow = 1;
        }
    }
    if (*p == '.') {
        p++;
        // the fraction's digits eight at a time while the significand stays within 19 digits
        // (w below 10^11; sig is w's length, as the loop below counts it)
        uint64_t v8;
        while (p + 8 <= limit && w < 100000000000ull && eight_digits(p, &v8)) {
            w = w * 100000000ull + v8;
            e10 -= 8;
            digits += 8;
            p += 8;
            sig = w ? lab_uint_digits(w) : 0;
        }
        for (; *p >= '0' && *p <= '9'; p++, digits++) {
            if (sig < 19) {
                w = w * 10 + (uint64_t)(*p - '0');
                sig += w != 0;
                e10--;
            } else {
                slow = 1;
            }
        }
    }
    if ((*p == 'e' || *p == 'E') && digits) {
        const char *q = p + 1;
        int eneg = *q == '-';
        q += *q == '-' || *q == '+';
        if (*q >= '0' && *q <= '9') {
            int x = 0;
            for (; *q >= '0' && *q <= '9'; q++) {
                x = x < 100000 ? x * 10 + (*q - '0') : x;
            }
            e10 += eneg ? -x : x;
            p = q;
        }
    }
    if (!digits || slow || (w != 0 && (e10 < -27 || e10 > 27))) {
        double x;
        if (lab_parse_double(s, end, &x) != 0) {
            return -1;
        }
        *l10 = x;
        *ln = x * M_LN10;
        return 0;
    }
    long double L = w == 0 ? 0.0L : e10 >= 0 ? (long double)w * pow10_l[e10]
                                             : (long double)w / pow10_l[-e10];
    *l10 = neg ? -(double)L : (double)L;
    double y = (double)(L * LN10_L);
    *ln = neg ? -y : y;
    *end = p;
    return 0;
}

// w 10^e (w > 0, e in -40 .. 20) in plain notation with its sign into out; returns the length.
// Zeros after the point are cut when the point falls inside w's digits.
static int put_plain(char *out, int neg, uint64_t w, int e)
{
    int n = 0;
    if (neg) {
        out[n++] = '-';
    }
    int nd = lab_uint_digits(w);
    int point = nd + e; // digits before the point
    if (point <= 0) {
        out[n++] = '0';
        out[n++] = '.';
        memset(out + n, '0', (size_t)-point);
        n += -point;
        lab_put_digits(out + n, w, nd);
        return n + nd;
    }
    if (e >= 0) { // a whole number: the digits, then zeros
        lab_put_digits(out + n, w, nd);
        n += nd;
        memset(out + n, '0', (size_t)e);
        return n + e;
    }
    // the digits one place on, then the first `point` of them back in front of the point
    lab_put_digits(out + n + 1, w, nd);
    memmove(out + n, out + n + 1, (size_t)point);
    out[n + point] = '.';
    n += nd + 1;
    while (out[n - 1] == '0') { // (zeros after the point say nothing)
        n--;
    }
    return n - (out[n - 1] == '.');
}

// floor(log10(v)) for v > 0 finite, as libm gives it: from the table of powers where v is
// clear of a power of ten by more than log10's error, else by log10 itself.
static int decimal_exponent(double v)
{
    int e2;
    frexp(v, &e2);
    int k = (int)floor((e2 - 1) * 0.30102999566398120); // k or k - 1
    if (k >= -27 && k + 1 <= 27) {
        double lo = (double)pow10_l[k >= 0 ? k : 0], hi;
        if (k < 0) {
            lo = (double)(1.0L / pow10_l[-k]);
        }
        hi = lo * 10;
        if (v >= hi * (1 + 1e-12)) {
            k++, lo = hi, hi *= 10;
        }
        if (v >= lo * (1 + 1e-12) && v < hi * (1 - 1e-12)) {
            return k;
        }
    }
    return (int)floor(log10(v));
}

// Writes ln value y as the log10 text that ln_of_text reads back as y (see above; a
// probability at or below 10^-99, zero included, as -99). Returns the length; out holds 64.
static int format_ln(char *out, double y)
{
    double x = y / M_LN10;
    if (!(x > LOG10_ZERO)) {
        memcpy(out, "-99", 3);
        return 3;
    }
    uint64_t c0 = 0; // (the shortest decimal's significand when it was checked, and failed)
    int e0 = 1, n;
    if (x != 0 && lab_shortest_decimal(fabs(x), &c0, &e0) && e0 >= -27 && e0 <= 0) {
        // what ln_of_text makes of the text of c0 10^e0 (at most 17 digits, the exponent
        // within its 80-bit path: the same rational, so the same two roundings), without
        // writing and parsing the text first
        double b = (double)((long double)c0 / pow10_l[-e0] * LN10_L);
        if ((y < 0 ? -b : b) == y) {
            return lab_format_decimal(out, x < 0, c0, e0);
        }
        n = 0; // (not written yet: the search below finds a text that reads back)
    } else {
        c0 = 0;
        n = lab_format_double(out, x);
        const char *end;
        double l10, back;
        if (ln_of_text(out, out + n, &end, &l10, &back) == 0 && back == y) {
            return n;
        }
    }
    // About two values in three come here (tangpoems, order 5): the search below is the
    // writer's largest cost, so it avoids libm's calls where their answers are known
    long double X = fabsl((long double)y / LN10_L);
    int k = decimal_exponent((double)X); // the exponent of X's first digit (the digit
                                         // counts below tolerate one off)
    for (int p = 17; p <= 19; p++) {
        int e = k - p + 1;
        if (e < -27 || e > 0) {
            break;
        }
        long double W = X * pow10_l[-e];
        if (W >= 1e19L) {
            break;
        }
        // llroundl(W): below 2^62 the sum W + 1/2 is exact, so truncating it rounds half up
        uint64_t w = W < 0x1p62L ? (uint64_t)(W + 0.5L) : (uint64_t)llroundl(W);
        for (int dw = 0; dw <= 4; dw++) {
            uint64_t c = dw % 2 ? w + (uint64_t)(dw + 1) / 2 : w - (uint64_t)dw / 2;
            if (c >= 10000000000000000000ull || (c == c0 && e == e0)) {
                continue; // (20 digits: ln_of_text would not read them this way; or the
                          // shortest decimal, which failed above)
            }
            // what ln_of_text makes of the text of c 10^e, without the text: c has at most
            // 19 digits and e is in -27 .. 0, its 80-bit path
            double b = (double)((long double)c / pow10_l[-e] * LN10_L);
            if ((y < 0 ? -b : b) == y) {
                int m = put_plain(out, y < 0, c, e);
                out[m] = '\0';
                return m;
            }
        }
    }
    // (not seen: the shortest text, within an ulp)
    return n ? n : lab_format_decimal(out, x < 0, c0, e0);
}

// Whether a stored key is an entry of the model. Counting for a higher order than the
// model's leaves context-only n-grams ending in <s> at the model's top order, where nothing
// can follow them: they are not part of the model.
static int is_entry(const NgramModel *m, int k, uint64_t key)
{
    return key != NGRAM_EMPTY && !(k == m->order && k > 1 && (int32_t)(uint32_t)key == TOK_BOS);
}

uint32_t ngram_model_entries(const NgramModel *m, int k)
{
    const NgramLevel *L = &m->lev[k];
    if (k < m->order || k == 1) {
        return L->n; // (every stored key is an entry: no table to read)
    }
    uint32_t n = 0;
    for (uint32_t s = 0; s < L->cap; s++) {
        n += is_entry(m, k, L->keys[s]);
    }
    return n;
}

// --- writing --------------------------------------------------------------------------------
// Each order's entries are listed by their parent's place in the order below, then by token
// id, so the file does not depend on the hash tables' sizes and two runs diff cleanly. That
// order costs no comparison sort of a whole order: a counting sort puts every entry in its
// parent's bucket, and only each bucket (one context's continuations: a few, except after the
// commonest contexts) is sorted by token. The lines are then formatted in chunks on every
// thread, each into its own buffer, and the buffers written in chunk order: the same bytes
// whatever the number of threads.

#define WRITE_CHUNK 16384 // entries formatted into one buffer

static int by_u64(const void *pa, const void *pb)
{
    uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
    return (a > b) - (a < b);
}

// a[0..n-1] ascending: insertion sort for the short buckets that most are, else qsort
static void sort_u64(uint64_t *a, uint32_t n)
{
    if (n > 24) {
        qsort(a, n, sizeof *a, by_u64);
        return;
    }
    for (uint32_t i = 1; i < n; i++) {
        uint64_t x = a[i];
        uint32_t j = i;
        for (; j > 0 && a[j - 1] > x; j--) {
            a[j] = a[j - 1];
        }
        a[j] = x;
    }
}

// One order's nodes in file order (the order's table, sorted).
typedef struct {
    uint32_t n;      // nodes stored
    uint64_t *node;  // (n) token id << 32 | slot, in file order
    uint32_t *par;   // (n) the place of each node's parent at the order below (0 at order 1)
    int32_t *toks;   // (n, k) each node's tokens, oldest first, filled as the lines are made
} Listed;

// Lists the stored nodes of order k in file order into *o and writes each node's place into
// rank (L->cap entries). rank_prev holds the places of order k-1 (NULL for k == 1, whose
// parent is the root). rank serves as scratch first: the bucket (parent's place) of each slot.
static void file_order(const NgramModel *m, int k, const uint32_t *rank_prev, uint32_t *rank,
                       Listed *o)
{
    const NgramLevel *L = &m->lev[k];
    uint32_t nb = k == 1 ? 1 : m->lev[k - 1].n; // buckets: the parents' places
    uint32_t *end = lab_calloc((size_t)nb + 1, sizeof *end);
    for (uint32_t s = 0; s < L->cap; s++) {
        if (k > 1 && s + 32 < L->cap) {
            __builtin_prefetch(&rank_prev[(uint32_t)(L->keys[s + 32] >> 32)]);
        }
        uint64_t key = L->keys[s];
        if (key != NGRAM_EMPTY) {
            uint32_t b = k == 1 ? 0 : rank_prev[key >> 32];
            rank[s] = b;
            end[b + 1]++;
        }
    }
    for (uint32_t b = 0; b < nb; b++) {
        end[b + 1] += end[b]; // end[b]: where bucket b starts
    }
    o->n = L->n;
    o->node = lab_malloc((size_t)L->n * sizeof *o->node + 1);
    o->par = lab_malloc((size_t)L->n * sizeof *o->par + 1);
    o->toks = lab_malloc((size_t)L->n * (size_t)k * sizeof *o->toks + 1);
    for (uint32_t s = 0; s < L->cap; s++) {
        uint64_t key = L->keys[s];
        if (key != NGRAM_EMPTY) {
            uint32_t b = rank[s], i = end[b]++;
            o->node[i] = (key << 32) | s; // the token in the high half, the slot below
            o->par[i] = b;
        }
    }
    // now end[b] is where bucket b ends
    for (uint32_t b = 0, from = 0; b < nb; from = end[b], b++) {
        sort_u64(o->node + from, end[b] - from);
    }
    for (uint32_t i = 0; i < L->n; i++) {
        rank[(uint32_t)o->node[i]] = i;
    }
    free(end);
}

#define TOKEN_PAD 16 // a token of at most this many bytes is copied as a block of this size

typedef struct {
    char **esc;      // (vocab.n) every token escaped once, not once per line
    size_t *len;     // (vocab.n) their lengths
    char *pad;       // (vocab.n, TOKEN_PAD) the tokens of at most TOKEN_PAD bytes, zero-padded:
                     // one fixed-size copy each (a call to memcpy a token was a cost)
    size_t line_max; // the longest line an entry can take, and TOKEN_PAD bytes to spare
} Escaped;

// token t's text at p; returns its end. Writes up to TOKEN_PAD bytes past the end.
static inline char *put_token(char *p, const Escaped *e, int32_t t)
{
    size_t n = e->len[t];
    if (n <= TOKEN_PAD) {
        memcpy(p, e->pad + (size_t)t * TOKEN_PAD, TOKEN_PAD);
    } else {
        memcpy(p, e->esc[t], n);
    }
    return p + n;
}

// The lines of nodes i0..i1-1 of order k (o; prev: order k-1, whose toks are complete),
// appended to *buf (grown as needed, *cap its size); fills their o->toks. Returns the length.
// The tokens come from the parent's line at the order below, in the same order as the file
// lists the parents: read in sequence, not gathered from the trie.
static size_t format_entries(const NgramModel *m, int k, Listed *o, const Listed *prev,
                             uint32_t i0, uint32_t i1, const Escaped *e, char **buf,
                             size_t *cap)
{
    size_t n = 0;
    for (uint32_t i = i0; i < i1; i++) {
        // the values lie at random slots: fetch them some lines ahead
        if (i + 12 < i1) {
            uint32_t s12 = (uint32_t)o->node[i + 12];
            __builtin_prefetch(&m->logp[k][s12]);
            if (k < m->order) {
                __builtin_prefetch(&m->logbow[k][s12]);
            }
        }
        uint32_t s = (uint32_t)o->node[i];
        int32_t *toks = o->toks + (size_t)i * (size_t)k;
        if (k > 1) {
            memcpy(toks, prev->toks + (size_t)o->par[i] * (size_t)(k - 1),
                   (size_t)(k - 1) * sizeof *toks);
        }
        toks[k - 1] = (int32_t)(o->node[i] >> 32);
        if (k == m->order && k > 1 && toks[k - 1] == TOK_BOS) {
            continue; // not an entry (is_entry)
        }
        if (*cap - n < e->line_max) {
            *cap = 2 * *cap + e->line_max;
            *buf = lab_realloc(*buf, *cap);
        }
        char *line = *buf + n;
        size_t n_line = (size_t)format_ln(line, m->logp[k][s]);
        line[n_line++] = '\t';
        char *q = put_token(line + n_line, e, toks[0]);
        for (int j = 1; j < k; j++) {
            *q++ = ' ';
            q = put_token(q, e, toks[j]);
        }
        n_line = (size_t)(q - line);
        if (k < m->order) {
            line[n_line++] = '\t';
            n_line += (size_t)format_ln(line + n_line, m->logbow[k][s]);
        }
        line[n_line++] = '\n';
        n += n_line;
    }
    return n;
}

static void listed_free(Listed *o)
{
    free(o->node);
    free(o->par);
    free(o->toks);
    memset(o, 0, sizeof *o);
}

int ngram_arpa_write(const NgramModel *m, const char *path)
{
    LabAtomic a;
    if (lab_atomic_open(&a, path) != 0) {
        return -1;
    }
    FILE *f = a.f;
    // nothing before \data\: KenLM refuses any text there. What the file cannot say (the
    // smoothing, the unit, the padding) is in the run's config; tokens are escaped as
    // docs/formats.md says (tok_escape).
    fprintf(f, "\\data\\\n");
    for (int k = 1; k <= m->order; k++) {
        fprintf(f, "ngram %d=%u\n", k, ngram_model_entries(m, k));
    }
    const Vocab *v = &m->vocab;
    Escaped e = {lab_malloc((size_t)v->n * sizeof *e.esc + 1),
                 lab_malloc((size_t)v->n * sizeof *e.len + 1),
                 lab_calloc((size_t)v->n + 1, TOKEN_PAD), 0};
    size_t longest = 0;
    for (int32_t id = 0; id < v->n; id++) {
        e.esc[id] = id < TOK_FIRST ? lab_strdup(v->str[id]) : tok_escape(v->str[id], v->len[id]);
        e.len[id] = strlen(e.esc[id]);
        longest = e.len[id] > longest ? e.len[id] : longest;
        if (e.len[id] <= TOKEN_PAD) {
            memcpy(e.pad + (size_t)id * TOKEN_PAD, e.esc[id], e.len[id]);
        }
    }
    // two numbers of at most 64 bytes (format_ln), the tokens and their separators, and the
    // bytes a token's block copy may write past the line
    e.line_max = 2 * 64 + (size_t)m->order * (longest + 1) + 2 + TOKEN_PAD;
    // Order k's listing (file_order) needs order k-1's places only: it is made on one thread
    // while the others format order k-1's lines, so that it costs no time of its own.
    uint32_t *rank = lab_malloc((size_t)m->lev[1].cap * sizeof *rank + 1);
    Listed prev = {0}, o;
    file_order(m, 1, NULL, rank, &o);
    int failed = 0;
    for (int k = 1; k <= m->order && !failed; k++) {
        fprintf(f, "\n\\%d-grams:\n", k);
        uint32_t *rank_next = NULL;
        Listed next = {0};
        if (k < m->order) {
            rank_next = lab_malloc((size_t)m->lev[k + 1].cap * sizeof *rank_next + 1);
        }
        long nchunks = ((long)o.n + WRITE_CHUNK - 1) / WRITE_CHUNK;
#pragma omp parallel if (nchunks > 1)
        {
#pragma omp single nowait
            if (k < m->order) {
                file_order(m, k + 1, rank, rank_next, &next);
            }
            char *buf = NULL;
            size_t cap = 0;
            // (dynamic: the thread that made the listing takes the chunks left when it is done)
#pragma omp for ordered schedule(dynamic, 1)
            for (long c = 0; c < nchunks; c++) {
                uint32_t i0 = (uint32_t)(c * WRITE_CHUNK);
                uint32_t i1 = o.n - i0 < WRITE_CHUNK ? o.n : i0 + WRITE_CHUNK;
                size_t len = format_entries(m, k, &o, &prev, i0, i1, &e, &buf, &cap);
#pragma omp ordered
                {
                    if (!failed && len > 0 && fwrite(buf, 1, len, f) != len) {
                        failed = 1;
                    }
                }
            }
            free(buf);
        }
        free(rank);
        rank = rank_next;
        listed_free(&prev);
        prev = o;
        o = next;
    }
    listed_free(&o);
    listed_free(&prev);
    free(rank);
    for (int32_t id = 0; id < v->n; id++) {
        free(e.esc[id]);
    }
    free(e.esc);
    free(e.len);
    free(e.pad);
    fprintf(f, "\n\\end\\\n");
    return lab_atomic_commit(&a); // (a failed fwrite leaves the stream's error flag set)
}

// --- reading --------------------------------------------------------------------------------
// The reader never changes the file's bytes: fields are (start, length) pairs into them, so
// the file can be mapped rather than copied.

typedef struct {
    const char *path;
    const char *data; // the file's bytes, then a byte that ends any number (see reader_open)
    size_t len, pos;
    long long lineno;
    int mapped;       // data is mapped (munmap), or read (free)
} Reader;

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LAB_ADDRESS_SANITIZER 1 // (clang's way to say it; GCC defines __SANITIZE_ADDRESS__)
#endif
#endif
#ifndef LAB_ADDRESS_SANITIZER
#define LAB_ADDRESS_SANITIZER 0
#endif

// The bytes of the file at path into r: mapped read-only when it is a regular file whose last
// byte is a newline (no copy, and no fresh memory to fault in: the page cache's own pages),
// else read by lab_read_file and NUL-terminated (pipes, a last line without its newline, and
// builds with AddressSanitizer, which then sees any read past the end). Either way a newline
// or a NUL follows the last field, so a number's digits always end before the data do. -1
// with lab_read_file's message when the file cannot be read. (A mapped file that another
// program cuts short while it is read ends the process with SIGBUS; the lab's writers
// replace a file by renaming a new one over it, which leaves a mapped one whole.)
static int reader_open(Reader *r, const char *path)
{
    memset(r, 0, sizeof *r);
    r->path = path;
#if !defined(__SANITIZE_ADDRESS__) && !LAB_ADDRESS_SANITIZER
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0 &&
        (unsigned long long)st.st_size <= LAB_READ_MAX) {
        size_t len = (size_t)st.st_size;
        void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map != MAP_FAILED && ((const char *)map)[len - 1] == '\n') {
            close(fd);
            r->data = map;
            r->len = len;
            r->mapped = 1;
            return 0;
        }
        if (map != MAP_FAILED) {
            munmap(map, len);
        }
    }
    if (fd >= 0) {
        close(fd);
    }
#endif
    char *data;
    if (lab_read_file(path, &data, &r->len, 0) != 0) {
        return -1;
    }
    r->data = data;
    return 0;
}

// Gives the pages of a mapped file that lie wholly within [b, e) back to the page cache:
// read again, they are mapped again (from memory: the file is not read twice). The mapping
// of a large file is given back behind the reader as it goes, so that the file and the
// tables it fills are not both held at once. Nothing for a file read into memory.
#define READ_RELEASE ((size_t)8 << 20) // how far behind

static void reader_release(const Reader *r, size_t b, size_t e)
{
    if (!r->mapped) {
        return;
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    b = (b + page - 1) / page * page;
    e = e / page * page;
    if (e > b) {
        madvise((char *)r->data + b, e - b, MADV_DONTNEED);
    }
}

static void reader_close(Reader *r)
{
    if (r->mapped) {
        munmap((void *)r->data, r->len);
    } else {
        free((char *)r->data);
    }
    r->data = NULL;
}

// One line at pos: its length with trailing spaces, tabs and \r cut; *next is where the
// following line starts.
static size_t peek_line(const Reader *r, size_t pos, size_t *next)
{
    const char *line = r->data + pos;
    const char *nl = memchr(line, '\n', r->len - pos);
    size_t n = nl ? (size_t)(nl - line) : r->len - pos;
    *next = pos + n + (nl != NULL);
    while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t')) {
        n--;
    }
    return n;
}

// The next line (as peek_line cuts it, its length into *n), or NULL at the end.
static const char *next_line(Reader *r, size_t *n)
{
    if (r->pos >= r->len) {
        return NULL;
    }
    const char *line = r->data + r->pos;
    *n = peek_line(r, r->pos, &r->pos);
    r->lineno++;
    return line;
}

// whether the line of n bytes is s
static int line_is(const char *line, size_t n, const char *s)
{
    return n == strlen(s) && memcmp(line, s, n) == 0;
}

// A number of the file: a whole decimal field of len bytes, as log10 (*l10) and ln (*ln, see
// ln_of_text); +-inf only where allowed (inf_ok), never nan.
static int parse_field(const char *s, size_t len, double *l10, double *ln, int inf_ok)
{
    const char *end;
    if (ln_of_text(s, s + len, &end, l10, ln) != 0 || end != s + len || isnan(*l10) ||
        (isinf(*l10) && !inf_ok)) {
        return -1;
    }
    return 0;
}

// The numbers a thread read last, by their text: a model's backoff weights take few values
// (6k distinct among the 1.4M of the char 5-gram of docs/ngram.md), each read again from
// here for a compare of its bytes. A text of up to 24 bytes; what parse_field gives it.
#define NUM_CACHE_BITS 11

typedef struct {
    uint64_t text[3]; // zero-padded
    uint32_t len;     // 0: an empty slot
    double l10, ln;
} NumCache;

// parse_field (inf_ok 0) through the cache c ((1 << NUM_CACHE_BITS) slots, or NULL); the
// bytes up to limit may be read
static int parse_field_cached(NumCache *c, const char *s, size_t len, const char *limit,
                              double *l10, double *ln)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (c && len <= 24 && s + 24 <= limit) {
        uint64_t t[3];
        memcpy(t, s, 24);
        for (int i = 0; i < 3; i++) {
            size_t have = len > 8 * (size_t)i ? len - 8 * (size_t)i : 0;
            t[i] &= have >= 8 ? ~0ull : (1ull << (8 * have)) - 1;
        }
        uint64_t h = (t[0] * 0x9E3779B97F4A7C15ull) ^ (t[1] * 0xBF58476D1CE4E5B9ull) ^
                     (t[2] * 0x94D049BB133111EBull) ^ len;
        NumCache *e = &c[(h * 0x9E3779B97F4A7C15ull) >> (64 - NUM_CACHE_BITS)];
        if (e->len == len && e->text[0] == t[0] && e->text[1] == t[1] && e->text[2] == t[2]) {
            *l10 = e->l10, *ln = e->ln;
            return 0;
        }
        if (parse_field(s, len, l10, ln, 0) != 0) {
            return -1;
        }
        memcpy(e->text, t, sizeof t);
        e->len = (uint32_t)len, e->l10 = *l10, e->ln = *ln;
        return 0;
    }
#else
    (void)c, (void)limit;
#endif
    return parse_field(s, len, l10, ln, 0);
}

// the n bytes at s quoted for a message: control bytes and invalid UTF-8 escaped, at most
// ~40 bytes
#define QUOTED(buf, s, n) lab_quote(buf, sizeof buf, s, n)

// The id of a token field of n bytes as the file spells it (escapes undone on a copy): added
// to add_to when new, or only looked up in v when add_to is NULL (-1 when v lacks it).
static int32_t token_lookup(const Vocab *v, Vocab *add_to, const char *word, size_t n)
{
    if (word[0] == '<') {
        if (n == 3 && memcmp(word, "<s>", 3) == 0) {
            return TOK_BOS;
        }
        if (n == 4 && memcmp(word, "</s>", 4) == 0) {
            return TOK_EOS;
        }
        if (n == 5 && strncasecmp(word, "<unk>", 5) == 0) {
            return TOK_UNK;
        }
    }
    if (!memchr(word, '\\', n)) {
        return add_to ? vocab_add(add_to, word, n) : vocab_find(v, word, n);
    }
    char small[256];
    char *w = n < sizeof small ? small : lab_malloc(n + 1);
    memcpy(w, word, n);
    w[n] = '\0';
    size_t len = tok_unescape(w);
    int32_t id = add_to ? vocab_add(add_to, w, len) : vocab_find(v, w, len);
    if (w != small) {
        free(w);
    }
    return id;
}

// token_lookup adding to v
static int32_t token_id(Vocab *v, const char *word, size_t n)
{
    return token_lookup(v, v, word, n);
}

// The first space or tab in [q, end), or end. limit (>= end) is how far the data may be
// read: 16 bytes at a time are compared while they lie within it.
static inline const char *next_blank(const char *q, const char *end, const char *limit)
{
#ifdef __SSE2__
    const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');
    while (q < end && q + 16 <= limit) {
        __m128i v = _mm_loadu_si128((const __m128i *)q);
        unsigned hit = (unsigned)_mm_movemask_epi8(
            _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, tab)));
        if (hit) {
            q += __builtin_ctz(hit);
            return q < end ? q : end;
        }
        q += 16;
    }
    if (q >= end) {
        return end;
    }
#else
    (void)limit;
#endif
    while (q < end && *q != ' ' && *q != '\t') {
        q++;
    }
    return q;
}

// Splits the line of n bytes into fields separated by spaces and tabs: their starts into f
// and lengths into len; returns how many, or max + 1 when there are more than max. The
// bytes up to limit (the end of the data) may be read.
static int split_fields(const char *line, size_t n, const char *limit, const char **f,
                        size_t *len, int max)
{
    int nf = 0;
    const char *q = line, *end = line + n;
    for (;;) {
        while (q < end && (*q == ' ' || *q == '\t')) {
            q++;
        }
        if (q == end) {
            return nf;
        }
        if (nf == max) {
            return max + 1;
        }
        const char *b = q;
        q = next_blank(q, end, limit);
        f[nf] = b;
        len[nf] = (size_t)(q - b);
        nf++;
    }
}

// Where the sections are, found by one pass over the lines after the counts, before the
// counts are checked or anything is allocated: \1-grams:, \2-grams:, .. as long as they come
// in order, each with the entry lines up to the next empty line or line that starts with a
// backslash (at most NGRAM_MAX_ORDER + 1 of them; a section that is not there stops it).
typedef struct {
    int found;                                     // sections found, in order from 1
    size_t start[NGRAM_MAX_ORDER + 2];             // each one's first entry line
    size_t end[NGRAM_MAX_ORDER + 2];               // the end of its last entry line
    unsigned long long lines[NGRAM_MAX_ORDER + 2]; // its entry lines
    long long stop_line[NGRAM_MAX_ORDER + 2];      // the line after them (for messages)
    long long nonempty;                            // lines that are not empty: headers, entries
} Layout;

static void scan_sections(const Reader *r, Layout *lay)
{
    size_t pos = r->pos, next, released = r->pos;
    long long lineno = r->lineno;
    memset(lay, 0, sizeof *lay);
    for (int k = 1; k <= NGRAM_MAX_ORDER + 1; k++) {
        char want[32];
        int wn = snprintf(want, sizeof want, "\\%d-grams:", k);
        size_t n = 0;
        while (pos < r->len && (n = peek_line(r, pos, &next)) == 0) {
            pos = next, lineno++;
        }
        if (pos >= r->len || n != (size_t)wn || memcmp(r->data + pos, want, n) != 0) {
            return;
        }
        pos = next, lineno++;
        lay->nonempty++;
        lay->start[k] = pos;
        unsigned long long e = 0;
        while (pos < r->len && (n = peek_line(r, pos, &next)) > 0 && r->data[pos] != '\\') {
            pos = next, lineno++, e++;
            if (pos - released >= READ_RELEASE) {
                reader_release(r, released, pos);
                released = pos;
            }
        }
        lay->end[k] = pos;
        lay->lines[k] = e;
        lay->stop_line[k] = lineno + (pos < r->len);
        lay->nonempty += (long long)e;
        lay->found = k;
    }
}

// Refuses a section shorter than the count \data\ declared, before anything is allocated for
// it. The first section out of place or longer than its count ends the checks quietly: the
// reading loop reports it, with its line. *exact says whether every section holds exactly
// its count.
static int check_sections(const Reader *r, const Layout *lay, int order,
                          const unsigned long long *counts, int *exact)
{
    *exact = 0;
    for (int k = 1; k <= order; k++) {
        if (k > lay->found) {
            return 0;
        }
        if (lay->lines[k] < counts[k]) {
            return lab_error("'%s' line %lld: the %d-grams section ends after %llu of the %llu "
                             "entries \\data\\ declared",
                             r->path, lay->stop_line[k], k, lay->lines[k], counts[k]);
        }
        if (lay->lines[k] > counts[k]) {
            return 0;
        }
    }
    *exact = 1;
    return 0;
}

// ln P(t[0..n-1]) by the back-off rule from the orders already read: the listed
// probability, else the context's backoff weight (1 if it is not listed) times the
// probability given the context without its first token.
static double backoff_ln(const NgramModel *m, const int32_t *t, int n)
{
    uint32_t node = 0;
    for (int i = 0; i < n && node != NGRAM_NONE; i++) {
        node = ngram_level_find(&m->lev[i + 1], node, t[i]);
    }
    if (node != NGRAM_NONE) {
        return m->logp[n][node];
    }
    if (n == 1) {
        return -INFINITY;
    }
    uint32_t ctx = 0;
    for (int i = 0; i < n - 1 && ctx != NGRAM_NONE; i++) {
        ctx = ngram_level_find(&m->lev[i + 1], ctx, t[i]);
    }
    return (ctx != NGRAM_NONE ? m->logbow[n - 1][ctx] : 0) + backoff_ln(m, t + 1, n - 1);
}

// --- entries, a batch at a time ----------------------------------------------------------
// The tables are probed at random, a cache miss per probe: the reader takes a batch of lines,
// parses them all, then resolves their contexts and inserts them in order, fetching the slots
// that it will probe a few entries ahead. Faults are still reported in the order of the lines.

#define READ_BATCH 2048 // entry lines parsed before they are resolved and inserted
#define READ_LAG 8      // how far ahead the slots are fetched
#define NO_ROOM (-2)    // (a context had no room in tables sized for the declared counts)

typedef struct {
    const char *f[NGRAM_MAX_ORDER + 2]; // the fields, in the file's bytes
    size_t len[NGRAM_MAX_ORDER + 2];    // their lengths
    int nf;                             // how many
    int j0;                             // leading prefix tokens the same as the line before's
    long long lineno;
    double lp, bow, ln_p, ln_bow;   // log10 and ln of the probability and backoff weight
    int32_t id[NGRAM_MAX_ORDER];    // token ids, oldest first
    uint32_t parent;                // the node of its context (0 at order 1)
    uint32_t node[NGRAM_MAX_ORDER]; // (read_piece) the nodes of its first 1, 2, .. tokens
} Entry;

// The last line's prefix tokens (all but its last), as written, and their ids: sorted files
// list n-grams sharing a prefix together, so a line's leading tokens are compared with these
// and looked up only from the first that differs.
typedef struct {
    const char *tok[NGRAM_MAX_ORDER];
    size_t len[NGRAM_MAX_ORDER];
    int32_t id[NGRAM_MAX_ORDER];
    int same; // how many of them are known
} Prefix;

// E's leading tokens (of an order-k line) that are pf's, their ids copied: returns how many
// (E->j0)
static int prefix_reuse(const Prefix *pf, Entry *E, int k)
{
    int j0 = 0;
    while (j0 < pf->same && j0 < k - 1 && E->len[1 + j0] == pf->len[j0] &&
           memcmp(E->f[1 + j0], pf->tok[j0], E->len[1 + j0]) == 0) {
        E->id[j0] = pf->id[j0];
        j0++;
    }
    return E->j0 = j0;
}

// token j (< k - 1) of E, whose id is id, as the prefix's
static void prefix_keep(Prefix *pf, const Entry *E, int j, int32_t id)
{
    pf->tok[j] = E->f[1 + j];
    pf->len[j] = E->len[1 + j];
    pf->id[j] = id;
}

// Checks e's fields as an entry of order k in a model of the given order and reads its
// numbers. -1 when they are not one; the message is printed only when say is set, so that a
// fault found while parsing ahead is reported after the lines before it are in.
static int entry_check(Entry *e, int k, int order, const char *path, int say, NumCache *bows,
                       const char *limit)
{
    char q[48], q2[48];
    int nf = e->nf;
    e->bow = 0, e->ln_bow = 0;
    if (nf < k + 1 || nf > k + 2 || (nf == k + 2 && k == order)) {
        return say ? lab_error("'%s' line %lld: expected a log10 probability, %d token%s%s; "
                               "found %s%d field%s",
                               path, e->lineno, k, k > 1 ? "s" : "",
                               k < order ? " and maybe a backoff weight" : "",
                               nf > k + 2 ? "more than " : "", nf > k + 2 ? k + 2 : nf,
                               nf == 1 ? "" : "s")
                   : -1;
    }
    if (parse_field(e->f[0], e->len[0], &e->lp, &e->ln_p, 1) != 0 || e->lp == INFINITY) {
        return say ? lab_error("'%s' line %lld: the log10 probability '%s' is neither a finite "
                               "number nor -inf",
                               path, e->lineno, QUOTED(q, e->f[0], e->len[0]))
                   : -1;
    }
    if (e->lp > 0) {
        return say ? lab_error_hint("a log10 probability is at most 0 (probability 1); -99 or "
                                    "-inf stands for probability 0",
                                    "'%s' line %lld: the log10 probability %s of '%s' is above "
                                    "0, a probability above 1",
                                    path, e->lineno, QUOTED(q, e->f[0], e->len[0]),
                                    QUOTED(q2, e->f[k], e->len[k]))
                   : -1;
    }
    if (nf == k + 2 &&
        parse_field_cached(bows, e->f[k + 1], e->len[k + 1], limit, &e->bow, &e->ln_bow) != 0) {
        return say ? lab_error("'%s' line %lld: the log10 backoff weight '%s' is not a finite "
                               "number",
                               path, e->lineno, QUOTED(q, e->f[k + 1], e->len[k + 1]))
                   : -1;
    }
    return 0;
}

// The nodes of e's prefix tokens from e->j0 on (prefix_node holds those of the line before),
// and so e->parent. A context that is not listed is added, as ngram_arpa_read says. When its
// table has no room for it: NO_ROOM unless roomy (the tables are sized for the declared
// counts alone), else -1, with a message when say is set (called again, it gets as far).
static int entry_resolve(NgramModel *m, int k, Entry *e, uint32_t *prefix_node,
                         const char *path, int say, int roomy)
{
    for (int j = e->j0; j < k - 1; j++) {
        uint32_t up = j == 0 ? 0 : prefix_node[j - 1];
        prefix_node[j] = ngram_level_find(&m->lev[j + 1], up, e->id[j]);
        if (prefix_node[j] == NGRAM_NONE) {
            // a context that is not listed: add it, if its table has room without
            // growing (growing would move the slots that logp is indexed by)
            NgramLevel *P = &m->lev[j + 1];
            if ((uint64_t)(P->n + 1) * 4 > (uint64_t)P->cap * 3) {
                if (!roomy) {
                    return NO_ROOM;
                }
                return say ? lab_error("'%s' line %lld: too many %d-grams whose context is "
                                       "not listed at order %d",
                                       path, e->lineno, k, j + 1)
                           : -1;
            }
            // (computed before it is listed; at most probability 1, which a backoff
            // weight above 1 could pass, so that the model written back reads again)
            double lp_ctx = fmin(backoff_ln(m, e->id, j + 1), 0.0);
            int is_new;
            uint32_t s = ngram_level_insert(P, up, e->id[j], &is_new);
            m->logp[j + 1][s] = lp_ctx;
            m->logbow[j + 1][s] = 0;
            prefix_node[j] = s;
        }
    }
    e->parent = k > 1 ? prefix_node[k - 2] : 0;
    return 0;
}

// Lists e at order k; -1 with a message when it is listed already.
static int entry_insert(NgramModel *m, int k, const Entry *e, const char *path)
{
    char q[48];
    int is_new;
    if (k == m->order && k > 1 && e->id[k - 1] == TOK_BOS) {
        // <s> is never predicted, and no longer n-gram can use this one as its context: not
        // an entry of any model (the writer would leave it out, and its count with it)
        return lab_error("'%s' line %lld: a %d-gram ending in '<s>' at the top order, where "
                         "nothing can follow it",
                         path, e->lineno, k);
    }
    // (contexts are added only at orders below k, whose sections are complete, so the table
    // holds at most the declared count here and never grows)
    uint32_t s = ngram_level_insert(&m->lev[k], e->parent, e->id[k - 1], &is_new);
    if (!is_new) {
        return lab_error("'%s' line %lld: a %d-gram ending in '%s' is listed twice", path,
                         e->lineno, k, QUOTED(q, e->f[k], e->len[k]));
    }
    m->logp[k][s] = e->lp <= LOG10_ZERO ? -INFINITY : e->ln_p;
    if (k < m->order) {
        m->logbow[k][s] = e->bow <= LOG10_ZERO ? -INFINITY : e->ln_bow;
    }
    return 0;
}

// What parsing carries from one line to the next.
typedef struct {
    Reader *r;
    Vocab *vocab;
    const char *path;
    int k, order;         // the section's order, the model's
    Prefix prefix;        // the last line's
    long long fault_line; // where the section ended early
} Parse;

// Parses up to take entry lines of section p->k into batch: fields, numbers, token ids.
// Returns how many are entries; *fault is 1 when the section ends before them (at line
// p->fault_line), 2 when the line after them is not an entry (entry_check says why), else 0.
// Touches the reader and the vocabulary, never the tables.
static int parse_batch(Parse *p, Entry *batch, int take, int *fault)
{
    int k = p->k, nb = 0;
    *fault = 0;
    for (; nb < take; nb++) {
        size_t n;
        const char *line = next_line(p->r, &n);
        if (!line || n == 0 || line[0] == '\\') {
            *fault = 1;
            p->fault_line = p->r->lineno;
            break;
        }
        Entry *E = &batch[nb];
        E->lineno = p->r->lineno;
        E->nf = split_fields(line, n, p->r->data + p->r->len, E->f, E->len, k + 2);
        if (entry_check(E, k, p->order, p->path, 0, NULL, NULL) != 0) {
            *fault = 2;
            break;
        }
        for (int j = prefix_reuse(&p->prefix, E, k); j < k - 1; j++) {
            E->id[j] = token_id(p->vocab, E->f[1 + j], E->len[1 + j]);
            prefix_keep(&p->prefix, E, j, E->id[j]);
        }
        p->prefix.same = k - 1;
        E->id[k - 1] = token_id(p->vocab, E->f[k], E->len[k]);
    }
    return nb;
}

// Resolves each entry's context and inserts it, in line order, READ_LAG lines after: the
// slots both will probe are fetched ahead (for the context, on the guess that only its last
// token changes, which sorted files make the common case). prefix_node: the context nodes of
// the last line resolved. -1 with a message at the first fault (NO_ROOM: see entry_resolve).
// Touches the tables, never the vocabulary.
static int insert_batch(NgramModel *m, int k, Entry *batch, int nb, uint32_t *prefix_node,
                        const char *path, int roomy)
{
    int in = 0; // lines inserted
    for (int i = 0; i < nb; i++) {
        const Entry *A = &batch[i + READ_LAG < nb ? i + READ_LAG : i];
        if (k > 1 && A->j0 >= k - 2) {
            uint32_t up = k > 2 ? prefix_node[k - 3] : 0;
            __builtin_prefetch(
                &m->lev[k - 1].keys[ngram_level_slot(&m->lev[k - 1], up, A->id[k - 2])]);
        }
        if (entry_resolve(m, k, &batch[i], prefix_node, path, 0, roomy) != 0) {
            for (; in < i; in++) { // the lines before go in first: their faults first
                if (entry_insert(m, k, &batch[in], path) != 0) {
                    return -1;
                }
            }
            return entry_resolve(m, k, &batch[i], prefix_node, path, 1, roomy);
        }
        const NgramLevel *L = &m->lev[k];
        __builtin_prefetch(&L->keys[ngram_level_slot(L, batch[i].parent, batch[i].id[k - 1])]);
        if (i >= READ_LAG && entry_insert(m, k, &batch[in++], path) != 0) {
            return -1;
        }
    }
    for (; in < nb; in++) {
        if (entry_insert(m, k, &batch[in], path) != 0) {
            return -1;
        }
    }
    return 0;
}

// The tables of m for the declared counts, each for its count (the load at most 3/4, the
// rule of ngram_level_insert, so nothing listed ever makes one grow) unless roomy, when the
// orders below the top have room for half as many again: the contexts a file does not list
// are added there.
static void model_start(NgramModel *m, const unsigned long long *counts, int order,
                        TokUnit unit, int roomy)
{
    memset(m, 0, sizeof *m);
    vocab_init(&m->vocab);
    m->unit = unit;
    m->from_arpa = 1;
    m->order = order;
    for (int k = 1; k <= order; k++) {
        uint64_t cap = roomy && k < order ? counts[k] * 2 : (counts[k] * 4 + 2) / 3;
        ngram_level_init_slots(&m->lev[k], (uint32_t)cap, 0);
        m->logp[k] = ngram_table_alloc((size_t)m->lev[k].cap * sizeof *m->logp[k], 0);
        if (k < order) {
            m->logbow[k] = ngram_table_alloc((size_t)m->lev[k].cap * sizeof *m->logbow[k], 0);
        }
    }
}

static const char *const arpa_hint = "an ARPA file starts with \\data\\, then 'ngram K=COUNT' "
                                     "lines, then one \\K-grams: section per order, and ends "
                                     "with \\end\\";

// The file up to its first section: \data\ and the counts into counts[1..*order], and where
// the sections are into lay. Leaves r after the counts. -1 with a message naming the file
// and line.
static int arpa_header(Reader *r, unsigned long long *counts, int *order, Layout *lay)
{
    const char *path = r->path;
    char q[48]; // quoted file content for messages
    if (r->len == 0) {
        return lab_error_hint(arpa_hint, "'%s' is empty", path);
    }
    if (memchr(r->data, '\0', r->len)) {
        return lab_error_hint(arpa_hint, "'%s' is not an ARPA file (it holds NUL bytes)", path);
    }
    if (r->len >= 3 && memcmp(r->data, "\xEF\xBB\xBF", 3) == 0) {
        return lab_error_hint("save it without the mark: sed -i '1s/^\\xEF\\xBB\\xBF//' FILE",
                              "'%s' starts with a UTF-8 byte-order mark (EF BB BF), which ARPA "
                              "readers do not expect",
                              path);
    }
    // text before \data\ is free (toolkits write comments there)
    const char *line;
    size_t n;
    while ((line = next_line(r, &n)) && !line_is(line, n, "\\data\\")) {
    }
    if (!line) {
        return lab_error_hint(arpa_hint, "'%s' has no \\data\\ line: not an ARPA file", path);
    }
    size_t after_data = r->pos;
    // counts; each entry needs a line of its own, and a line of at least 2 k + 2 bytes
    // ("p<TAB>w1 .. wk" and a newline), so counts past what is left are a lie, told before
    // anything is allocated for them. The lines left are counted only when the count lines
    // and the sections found after them (a lower bound) do not hold as many as declared.
    long long count_lines = 0;
    size_t after = r->pos, next;
    while (after < r->len && peek_line(r, after, &next) > 0) {
        after = next, count_lines++;
    }
    Reader rest = *r;
    rest.pos = after < r->len ? next : after; // (after the empty line that ends the counts)
    rest.lineno += count_lines + 1;
    scan_sections(&rest, lay);
    long long lines_left = count_lines + lay->nonempty; // (a lower bound until counted)
    int counted = 0;
    unsigned long long total = 0, min_bytes = 0;
    *order = 0;
    while ((line = next_line(r, &n)) && n > 0) {
        int k;
        unsigned long long c;
        char extra, text[128];
        int ok = n < sizeof text;
        if (ok) {
            memcpy(text, line, n);
            text[n] = '\0';
            ok = sscanf(text, "ngram %d=%llu%c", &k, &c, &extra) == 2;
        }
        if (!ok) {
            return lab_error("'%s' line %lld: expected 'ngram K=COUNT', got '%s'", path,
                             r->lineno, QUOTED(q, line, n));
        }
        if (k != *order + 1 || k > NGRAM_MAX_ORDER) {
            return lab_error("'%s' line %lld: order %d out of place (orders go 1, 2, .. up to "
                             "%d)",
                             path, r->lineno, k, NGRAM_MAX_ORDER);
        }
        if (c == 0) {
            return lab_error("'%s' line %lld: 'ngram %d=0' declares an empty order", path,
                             r->lineno, k);
        }
        if (total + c > (unsigned long long)lines_left && !counted) {
            lines_left = 0;
            for (size_t pos = after_data, nx; pos < r->len; pos = nx) {
                lines_left += peek_line(r, pos, &nx) > 0;
            }
            counted = 1;
        }
        if (c > (unsigned long long)lines_left || total + c > (unsigned long long)lines_left ||
            c > (1ull << 30)) {
            return lab_error("'%s' line %lld: 'ngram %d=%llu' declares more entries than the "
                             "file has lines (%llu in all, %lld lines left)",
                             path, r->lineno, k, c, total + c, lines_left);
        }
        total += c;
        min_bytes += c * (2 * (unsigned long long)k + 2);
        if (min_bytes > r->len - r->pos + 1) {
            return lab_error("'%s' line %lld: 'ngram %d=%llu' declares entries that need at "
                             "least %llu bytes in all, more than the %zu bytes left",
                             path, r->lineno, k, c, min_bytes, r->len - r->pos);
        }
        counts[k] = c;
        *order = k;
    }
    if (*order == 0) {
        return lab_error_hint(arpa_hint, "'%s' line %lld: no 'ngram K=COUNT' lines after \\data\\",
                              path, r->lineno);
    }
    return 0;
}

// The sections of the file from r (after the counts) into m, one line after another, each
// fault reported at its line, with tables as model_start(roomy) makes them. 0, -1 with a
// message, or NO_ROOM (no message: the tables were too small for the contexts the file does
// not list; read it again roomy).
static int arpa_entries(NgramModel *m, const Reader *from, const unsigned long long *counts,
                        int order, TokUnit unit, int roomy)
{
    Reader r = *from;
    const char *path = r.path;
    uint32_t prefix_node[NGRAM_MAX_ORDER]; // the context nodes of the last line inserted
    char q[48];                            // quoted file content for messages
    int rc = -1;
    model_start(m, counts, order, unit, roomy);
    Entry *batch = lab_malloc(2 * READ_BATCH * sizeof *batch); // lines on their way in
    const char *line;
    size_t n;
    for (int k = 1; k <= order; k++) {
        char want[32];
        snprintf(want, sizeof want, "\\%d-grams:", k);
        while ((line = next_line(&r, &n)) && n == 0) {
        }
        if (!line || !line_is(line, n, want)) {
            lab_error_hint(arpa_hint, "'%s' line %lld: expected '%s', got %s%s%s", path,
                           r.lineno, want, line ? "'" : "",
                           line ? QUOTED(q, line, n) : "the end of the file", line ? "'" : "");
            goto fail;
        }
        // two batches in turn: one thread parses the next while the other inserts this one
        // (a thread of its own each when there are two, one after the other otherwise)
        Parse ps = {.r = &r, .vocab = &m->vocab, .path = path, .k = k, .order = order};
        Entry *cur = batch, *nxt = batch + READ_BATCH;
        unsigned long long left = counts[k];
        int fcur, fnxt = 0;
        int ncur = parse_batch(&ps, cur, left < READ_BATCH ? (int)left : READ_BATCH, &fcur);
        left -= (unsigned long long)ncur;
        for (;;) {
            int take = fcur || left == 0 ? 0 : left < READ_BATCH ? (int)left : READ_BATCH;
            int nnxt = 0, failed = 0;
#pragma omp parallel sections if (take > 0)
            {
#pragma omp section
                {
                    if (take > 0) {
                        nnxt = parse_batch(&ps, nxt, take, &fnxt);
                    }
                }
#pragma omp section
                {
                    failed = insert_batch(m, k, cur, ncur, prefix_node, path, roomy);
                }
            }
            if (failed) {
                rc = failed;
                goto fail;
            }
            if (fcur == 1) {
                lab_error("'%s' line %lld: the %d-grams section ends after %llu of the %llu "
                          "entries \\data\\ declared",
                          path, ps.fault_line, k, counts[k] - left, counts[k]);
                goto fail;
            }
            if (fcur == 2) {
                entry_check(&cur[ncur], k, order, path, 1, NULL, NULL);
                goto fail;
            }
            if (take == 0) {
                break;
            }
            Entry *t = cur;
            cur = nxt, nxt = t;
            ncur = nnxt, fcur = fnxt;
            left -= (unsigned long long)nnxt;
        }
    }
    while ((line = next_line(&r, &n)) && n == 0) {
    }
    if (!line || !line_is(line, n, "\\end\\")) {
        lab_error_hint(arpa_hint, "'%s' line %lld: expected \\end\\ after the %d-grams, got "
                       "%s%s%s",
                       path, r.lineno, order, line ? "'" : "",
                       line ? QUOTED(q, line, n) : "the end of the file", line ? "'" : "");
        goto fail;
    }
    free(batch);
    return 0;
fail:
    free(batch);
    ngram_model_free(m);
    return rc;
}

// --- the sections in parallel ---------------------------------------------------------------
// A file that lists every context, every token among its 1-grams, and no fault (every model
// lmlab or KenLM writes) is read faster another way: each section above the first is cut
// into pieces of whole lines, a few per thread, and each thread parses the lines of the
// pieces it takes and inserts them into the order's table on its own
// (ngram_level_insert_shared). Lines need no order then, so
// nothing waits for a line before it; the vocabulary is only read (the 1-grams section, read
// first on one thread, made it), and so are the tables of the orders below. At the first
// thing that path does not handle (a token or a context not listed before, a fault of any
// kind) it gives up without a word, and the file is read again by arpa_entries, which adds
// what is missing and reports a fault at its line. The model is the same either way: the
// same n-grams with the same values and the same ids; only the slots they sit in differ.

#define PIECE_BATCH 64 // lines parsed before they are inserted, by each thread
#define PIECES_PER_THREAD 4

// The id of a token field as token_id finds it, without adding it: -1 when v lacks it.
static int32_t token_find(const Vocab *v, const char *word, size_t n)
{
    return token_lookup(v, NULL, word, n);
}

// The ids of the tokens seen last by one thread, by their bytes: most lines repeat a few
// thousand tokens, and a token of at most 16 bytes is then a multiply and a compare away
// from its id, without the vocabulary's hash of its bytes and its probe.
#define TOK_CACHE_BITS 12

typedef struct {
    uint64_t bytes[2]; // the token's bytes, zero-padded (little-endian: the first the lowest)
    int32_t id;
    uint32_t len;      // 0: an empty slot
} TokCache;

// token_find through the cache c ((1 << TOK_CACHE_BITS) slots); the bytes up to limit may
// be read
static int32_t token_find_cached(TokCache *c, const Vocab *v, const char *w, size_t n,
                                 const char *limit)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (n <= 16 && w + 16 <= limit) {
        uint64_t x[2];
        memcpy(x, w, 16);
        x[0] &= n >= 8 ? ~0ull : (1ull << (8 * n)) - 1;
        x[1] &= n >= 16 ? ~0ull : n <= 8 ? 0 : (1ull << (8 * (n - 8))) - 1;
        uint64_t h = (x[0] ^ n) * 0x9E3779B97F4A7C15ull ^ x[1] * 0xBF58476D1CE4E5B9ull;
        TokCache *t = &c[(h * 0x9E3779B97F4A7C15ull) >> (64 - TOK_CACHE_BITS)];
        if (t->len == n && t->bytes[0] == x[0] && t->bytes[1] == x[1]) {
            return t->id;
        }
        int32_t id = token_find(v, w, n);
        if (id >= 0) {
            t->bytes[0] = x[0], t->bytes[1] = x[1], t->id = id, t->len = (uint32_t)n;
        }
        return id;
    }
#else
    (void)c, (void)limit;
#endif
    return token_find(v, w, n);
}

// The lines of section k at r->data[b, e) into m: parsed PIECE_BATCH at a time, then their
// contexts found and the entries inserted, the slots fetched READ_LAG lines ahead. Tokens
// are added to the vocabulary only when add is set (one thread). *inserted gets how many.
// -1 at the first thing arpa_entries must see to.
static int read_piece(NgramModel *m, int k, const Reader *r, size_t b, size_t e, int add,
                      const int *stop, uint32_t *inserted)
{
    Reader pr = *r;
    pr.pos = b;
    pr.len = e; // (the data still go on after e: a newline at least)
    Entry batch[PIECE_BATCH];
    Prefix prefix = {.same = 0};
    uint32_t prefix_node[NGRAM_MAX_ORDER];
    int N = m->order;
    const char *limit = r->data + r->len;
    TokCache *cache = lab_calloc((size_t)1 << TOK_CACHE_BITS, sizeof *cache);
    NumCache *bows = lab_calloc((size_t)1 << NUM_CACHE_BITS, sizeof *bows);
    *inserted = 0;
    size_t released = b;
    while (pr.pos < e) {
        if (pr.pos - released >= READ_RELEASE) {
            reader_release(r, released, pr.pos);
            released = pr.pos;
        }
        if (__atomic_load_n(stop, __ATOMIC_RELAXED)) {
            goto fail;
        }
        int nb = 0;
        for (; nb < PIECE_BATCH && pr.pos < e; nb++) {
            size_t n = 0;
            const char *line = next_line(&pr, &n);
            Entry *E = &batch[nb];
            E->nf = split_fields(line, n, r->data + r->len, E->f, E->len, k + 2);
            if (entry_check(E, k, N, r->path, 0, bows, limit) != 0) {
                goto fail;
            }
            for (int j = prefix_reuse(&prefix, E, k); j < k; j++) {
                int32_t id = add ? token_id(&m->vocab, E->f[1 + j], E->len[1 + j])
                                 : token_find_cached(cache, &m->vocab, E->f[1 + j],
                                                     E->len[1 + j], limit);
                if (id < 0) {
                    goto fail;
                }
                E->id[j] = id;
                if (j < k - 1) {
                    prefix_keep(&prefix, E, j, id);
                }
            }
            prefix.same = k - 1;
            if (k == N && k > 1 && E->id[k - 1] == TOK_BOS) {
                goto fail;
            }
        }
        // contexts, one order at a time across the batch: the node of an entry's first j + 1
        // tokens needs that of its first j, found in the pass before, so the slot of the
        // entry READ_LAG lines ahead is fetched while this one is looked up (a line that
        // shares its first tokens with the line before shares their nodes)
        for (int j = 0; j < k - 1; j++) {
            const NgramLevel *P = &m->lev[j + 1];
            for (int i = 0; i < nb; i++) {
                Entry *A = &batch[i];
                if (i + READ_LAG < nb && j >= batch[i + READ_LAG].j0) {
                    const Entry *B = &batch[i + READ_LAG];
                    __builtin_prefetch(&P->keys[ngram_level_slot(P, j ? B->node[j - 1] : 0,
                                                                 B->id[j])]);
                }
                if (j < A->j0) {
                    A->node[j] = i ? batch[i - 1].node[j] : prefix_node[j];
                } else {
                    A->node[j] = ngram_level_find(P, j ? A->node[j - 1] : 0, A->id[j]);
                    if (A->node[j] == NGRAM_NONE) {
                        goto fail;
                    }
                }
            }
            prefix_node[j] = batch[nb - 1].node[j];
        }
        // inserts, each READ_LAG lines after the lines it writes were fetched
        NgramLevel *L = &m->lev[k];
        for (int i = 0; i < nb + READ_LAG; i++) {
            if (i < nb) {
                Entry *A = &batch[i];
                A->parent = k > 1 ? A->node[k - 2] : 0;
                uint32_t home = ngram_level_slot(L, A->parent, A->id[k - 1]);
                __builtin_prefetch(&L->keys[home]);
                __builtin_prefetch(&m->logp[k][home], 1);
                if (k < N) {
                    __builtin_prefetch(&m->logbow[k][home], 1);
                }
            }
            if (i >= READ_LAG) {
                const Entry *E = &batch[i - READ_LAG];
                int is_new;
                uint32_t s = ngram_level_insert_shared(L, E->parent, E->id[k - 1], &is_new);
                if (!is_new) {
                    goto fail;
                }
                m->logp[k][s] = E->lp <= LOG10_ZERO ? -INFINITY : E->ln_p;
                if (k < N) {
                    m->logbow[k][s] = E->bow <= LOG10_ZERO ? -INFINITY : E->ln_bow;
                }
                (*inserted)++;
            }
        }
    }
    reader_release(r, released, e);
    free(cache);
    free(bows);
    return 0;
fail:
    free(cache);
    free(bows);
    return -1;
}

// The sections (check_sections found them at sb[k] .. se[k], each holding exactly its count)
// into m, as the comment above says. 0, or -1 (no message) when arpa_entries must read them.
static int arpa_entries_parallel(NgramModel *m, const Reader *r, const unsigned long long *counts,
                                 int order, TokUnit unit, const size_t *sb, const size_t *se)
{
    model_start(m, counts, order, unit, 0);
    for (int k = 1; k <= order; k++) {
        // pieces of whole lines, about equal in bytes, PIECES_PER_THREAD per thread, taken by
        // whichever thread is free (so that one slowed by another process leaves less for the
        // others to wait for); one for the 1-grams (which make the vocabulary) and for
        // sections too small to be worth starting threads for
        int T = 1, threads = 1;
#ifdef _OPENMP
        if (k > 1 && se[k] - sb[k] >= ((size_t)1 << 18)) {
            threads = omp_get_max_threads();
            threads = threads < 1 ? 1 : threads > 16 ? 16 : threads;
            T = threads * PIECES_PER_THREAD;
        }
#endif
        size_t cut[65];
        cut[0] = sb[k];
        for (int t = 1; t < T; t++) {
            size_t c = sb[k] + (se[k] - sb[k]) / (size_t)T * (size_t)t;
            c = c < cut[t - 1] ? cut[t - 1] : c;
            const char *nl = c > sb[k] ? memchr(r->data + c - 1, '\n', se[k] - c + 1) : NULL;
            cut[t] = nl ? (size_t)(nl - r->data) + 1 : c;
        }
        cut[T] = se[k];
        int stop = 0; // (set by the first piece to fail, so that the others give up too)
        uint32_t done[64];
        int failed = 0;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1) if (threads > 1) \
    reduction(| : failed)
        for (int t = 0; t < T; t++) {
            if (read_piece(m, k, r, cut[t], cut[t + 1], k == 1, &stop, &done[t]) != 0) {
                __atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
                failed = 1;
            }
        }
        if (failed) {
            ngram_model_free(m);
            return -1;
        }
        for (int t = 0; t < T; t++) {
            m->lev[k].n += done[t];
        }
    }
    // \end\ after the last section
    Reader end = *r;
    end.pos = se[order];
    const char *line;
    size_t n;
    while ((line = next_line(&end, &n)) && n == 0) {
    }
    if (!line || !line_is(line, n, "\\end\\")) {
        ngram_model_free(m);
        return -1;
    }
    return 0;
}

// Reads an ARPA file from anywhere (SRILM, KenLM, MITLM, lmlab) as untrusted input.
//
// Accepted: any text before \data\; CRLF line ends and trailing blanks; fields separated by
// tabs or spaces; -99 and -inf for probability zero (and a backoff weight of -99 for zero);
// an n-gram whose suffix (its last k-1 tokens) is not listed (pruned files), which backs off
// past it; an n-gram whose prefix (its first k-1 tokens, its context) is not listed: as
// KenLM does, the context is added with the probability the lower orders give it and a
// backoff weight of 1, while the table has room (half the declared count or more: the file
// is read again with such tables when the first ones, sized for the declared counts, are
// too small).
// Refused, with the file and line: a UTF-8 byte-order mark, NUL bytes, counts out of order,
// counts whose sum exceeds the lines left or whose shortest lines exceed the bytes left, a
// section shorter than its count, a probability above 1 (log10 > 0), a probability or
// backoff weight that is not a number (nan, +inf, or -inf for a weight), an n-gram listed
// twice, a top-order n-gram ending in <s>, a missing \end\. Memory is allocated after those
// checks, in proportion to the entries actually in the file (at most 37 bytes per entry:
// 4/3 slots of at most 28 bytes; 56 when the file is read again with room for added contexts;
// a line takes at least 4 bytes, so at most ~15 bytes per byte of the file). The file itself
// is mapped, not copied (see reader_open).
static int arpa_read(NgramModel *m, const char *path, TokUnit unit, int parallel)
{
    Reader file;
    memset(m, 0, sizeof *m);
    if (reader_open(&file, path) != 0) {
        return -1;
    }
    unsigned long long counts[NGRAM_MAX_ORDER + 1] = {0};
    size_t sb[NGRAM_MAX_ORDER + 1], se[NGRAM_MAX_ORDER + 1];
    int order = 0, exact = 0, rc = -1;
    Reader r = file;
    Layout lay;
    if (arpa_header(&r, counts, &order, &lay) != 0 ||
        check_sections(&r, &lay, order, counts, &exact) != 0) {
        goto done;
    }
    for (int k = 1; exact && k <= order; k++) {
        sb[k] = lay.start[k], se[k] = lay.end[k];
    }
    if (parallel && exact && arpa_entries_parallel(m, &r, counts, order, unit, sb, se) == 0) {
        rc = 0;
    } else {
        rc = arpa_entries(m, &r, counts, order, unit, 0);
        if (rc == NO_ROOM) {
            rc = arpa_entries(m, &r, counts, order, unit, 1);
        }
    }
    if (rc == 0) {
        ngram_model_link_suffixes(m);
    }
done:
    reader_close(&file);
    return rc == 0 ? 0 : -1;
}

int ngram_arpa_read(NgramModel *m, const char *path, TokUnit unit)
{
    return arpa_read(m, path, unit, 1);
}

int ngram_arpa_read_serial(NgramModel *m, const char *path, TokUnit unit)
{
    return arpa_read(m, path, unit, 0);
}
