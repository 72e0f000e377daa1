// tfidf_io.c: a fitted model's files: the matrix in Matrix Market coordinate format, the
// vocabulary, the terms and documents tables (docs/formats.md), written atomically.
//
// The text is made by hand into large buffers and written a block at a time: printf costs
// more than the fit itself at these sizes (a number a few hundred nanoseconds). Integers are
// formatted two digits at a time, weights as the shortest decimal that reads back as the same
// double (lab_format_double, exact with 128-bit integers where weights lie). matrix.mtx is
// formatted by blocks of entries on every thread, each block written in order as soon as the
// one before it is out, while one thread writes the other files (tfidf_write_files).
#include "ngram/tfidf_internal.h"

#include "lab/numtext.h"

#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

// --- text into a buffer -----------------------------------------------------------------------

// The decimal digits of v at p; returns the end.
static char *put_u64(char *p, uint64_t v)
{
    int n = lab_uint_digits(v);
    lab_put_digits(p, v, n);
    return p + n;
}

static char *put_i64(char *p, long long v)
{
    if (v < 0) {
        *p++ = '-';
        return put_u64(p, 0 - (uint64_t)v);
    }
    return put_u64(p, (uint64_t)v);
}

// A weight: the shortest decimal that reads back as v (p has LAB_NUMTEXT_MAX bytes of room)
static char *put_double(char *p, double v)
{
    return p + tfidf_format_weight(p, v);
}

// --- weights as text, exactly -----------------------------------------------------------------
// A normalised weight lies in (0, 1], where lab_format_double finds the shortest decimal
// exactly with 128-bit integers (lab/numtext.c): the same bytes, one method.

int tfidf_format_weight(char *out, double v)
{
    return lab_format_double(out, v);
}

// the room put_double needs (its NUL included: the next piece overwrites it)
enum { DOUBLE_TEXT_MAX = LAB_NUMTEXT_MAX };

// s[0..len) escaped as tfidf_escape_term does, at p (room for 2 * len); returns the end
static char *put_escaped(char *p, const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        char e = c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : 0;
        if (e) {
            *p++ = '\\';
            *p++ = e;
        } else {
            *p++ = c;
        }
    }
    return p;
}

// A file written through one large buffer: room() makes space for the next piece,
// writing out what is there when the buffer is full.
typedef struct {
    LabAtomic a;
    char *buf;
    size_t n, cap;
} TextOut;

enum { TEXT_OUT_BLOCK = 1 << 20 };

static int text_open(TextOut *o, const char *path)
{
    if (lab_atomic_open(&o->a, path) != 0) {
        return -1;
    }
    o->cap = TEXT_OUT_BLOCK;
    o->buf = lab_malloc(o->cap);
    o->n = 0;
    return 0;
}

static void text_flush(TextOut *o)
{
    if (o->n) {
        fwrite(o->buf, 1, o->n, o->a.f); // an error stays in the stream, for commit
        o->n = 0;
    }
}

// The place for the next `need` bytes (the caller advances o->n by what it used)
static char *text_room(TextOut *o, size_t need)
{
    if (o->n + need > o->cap) {
        text_flush(o);
        if (need > o->cap) {
            o->cap = need;
            o->buf = lab_realloc(o->buf, o->cap);
        }
    }
    return o->buf + o->n;
}

static void text_put(TextOut *o, const char *s, size_t n)
{
    memcpy(text_room(o, n), s, n);
    o->n += n;
}

static int text_commit(TextOut *o)
{
    text_flush(o);
    free(o->buf);
    o->buf = NULL;
    return lab_atomic_commit(&o->a);
}

// --- files ------------------------------------------------------------------------------------

char *tfidf_escape_term(const char *s, size_t len)
{
    char *out = lab_malloc(2 * len + 1);
    *put_escaped(out, s, len) = '\0';
    return out;
}

// the most bytes a line of matrix.mtx takes: row, column, weight, two spaces and a newline
enum { MTX_LINE_MAX = 20 + 1 + 10 + 1 + DOUBLE_TEXT_MAX + 1 };
_Static_assert(MTX_LINE_MAX >= 24, "put_entries copies 24 bytes of a row's number");

// Entries first .. last-1 of X as "i j value" lines at p, which has MTX_LINE_MAX bytes of room
// for each entry; returns the end. Entry `first` is in row d.
static char *put_entries(char *p, const TfidfCsr *X, long long first, long long last, long d)
{
    for (long long e = first; e < last; d++) {
        char row[24] = {0};
        char *re = put_u64(row, (uint64_t)d + 1);
        *re++ = ' ';
        size_t rn = (size_t)(re - row);
        long long end = X->ptr[d + 1] < last ? X->ptr[d + 1] : last;
        for (; e < end; e++) {
            if (X->val[e] != 0) {
                // all of row[] (a fixed size: no call), of which the first rn bytes count;
                // the line's room is larger than row[]
                memcpy(p, row, sizeof row);
                p = put_u64(p + rn, (uint64_t)X->col[e] + 1);
                *p++ = ' ';
                p = put_double(p, X->val[e]);
                *p++ = '\n';
            }
        }
    }
    return p;
}

// The files beside the matrix, for one thread to write while the others format it
typedef struct {
    const TfidfDocs *docs;
    const char *vocab, *terms, *docs_tsv; // paths
    int rc;                               // 0, or -1 when one failed (its message printed)
} SideFiles;

static void side_files_write(SideFiles *s, const TfidfModel *m)
{
    s->rc = tfidf_write_vocab(m, s->vocab) != 0 || tfidf_write_terms(m, s->terms) != 0 ||
                    tfidf_write_docs(s->docs, m, s->docs_tsv) != 0
                ? -1
                : 0;
}

// matrix.mtx (tfidf_write_mtx), and the side files (or NULL) on the first free thread
static int write_mtx(const TfidfModel *m, const char *path, const char *comment, SideFiles *side)
{
    const TfidfCsr *X = &m->X;
    long long nz = 0;
    for (long long e = 0; e < X->nnz; e++) {
        nz += X->val[e] != 0;
    }
    TextOut o;
    if (text_open(&o, path) != 0) {
        return -1;
    }
    const char *banner = "%%MatrixMarket matrix coordinate real general\n";
    text_put(&o, banner, strlen(banner));
    if (comment) {
        size_t n = strlen(comment);
        char *p = text_room(&o, n + 3);
        *p++ = '%';
        *p++ = ' ';
        for (size_t i = 0; i < n; i++) {
            *p++ = comment[i] == '\n' || comment[i] == '\r' ? ' ' : comment[i];
        }
        *p++ = '\n';
        o.n = (size_t)(p - o.buf);
    }
    char *p = text_room(&o, 3 * 24);
    p = put_i64(p, X->rows);
    *p++ = ' ';
    p = put_i64(p, X->cols);
    *p++ = ' ';
    p = put_i64(p, nz);
    *p++ = '\n';
    o.n = (size_t)(p - o.buf);
    text_flush(&o);

    // blocks of BLOCK entries (a long row spans several): a free thread takes the next block,
    // formats it into its own buffer (at most BLOCK lines: bounded whatever the rows), then
    // waits for its turn to write it (the blocks go out in order) while the other threads
    // format the blocks after it
    enum { BLOCK = 1 << 15 };
    long long nblocks = (X->nnz + BLOCK - 1) / BLOCK;
    long *row0 = lab_malloc(((size_t)nblocks + 1) * sizeof *row0); // the row of each first entry
    for (long long b = 0, d = 0; b < nblocks; b++) {
        while (X->ptr[d + 1] <= b * BLOCK) {
            d++;
        }
        row0[b] = d;
    }
#pragma omp parallel
    {
        if (side) {
#pragma omp single nowait
            side_files_write(side, m);
        }
        char *buf = lab_malloc((size_t)BLOCK * MTX_LINE_MAX);
#pragma omp for ordered schedule(dynamic, 1)
        for (long long b = 0; b < nblocks; b++) {
            long long first = b * BLOCK, last = first + BLOCK < X->nnz ? first + BLOCK : X->nnz;
            char *end = put_entries(buf, X, first, last, row0[b]);
#pragma omp ordered
            {
                fwrite(buf, 1, (size_t)(end - buf), o.a.f); // an error stays for commit
            }
        }
        free(buf);
    }
    free(row0);
    int rc = text_commit(&o);
    return rc != 0 || (side && side->rc != 0) ? -1 : 0;
}

int tfidf_write_mtx(const TfidfModel *m, const char *path, const char *comment)
{
    return write_mtx(m, path, comment, NULL);
}

int tfidf_write_files(const TfidfDocs *docs, const TfidfModel *m, const char *const paths[4],
                      const char *comment)
{
    SideFiles side = {docs, paths[1], paths[2], paths[3], 0};
    return write_mtx(m, paths[0], comment, &side);
}

int tfidf_write_vocab(const TfidfModel *m, const char *path)
{
    TextOut o;
    if (text_open(&o, path) != 0) {
        return -1;
    }
    for (int32_t j = 0; j < m->vocab.n; j++) {
        size_t len = lab_strtab_len(&m->vocab, j);
        char *p = text_room(&o, 2 * len + 1);
        p = put_escaped(p, lab_strtab_key(&m->vocab, j), len);
        *p++ = '\n';
        o.n = (size_t)(p - o.buf);
    }
    return text_commit(&o);
}

int tfidf_write_terms(const TfidfModel *m, const char *path)
{
    TextOut o;
    if (text_open(&o, path) != 0) {
        return -1;
    }
    const char *head = "column\tterm\tdf\tidf\ttotal\n";
    text_put(&o, head, strlen(head));
    for (int32_t j = 0; j < m->vocab.n; j++) {
        size_t len = lab_strtab_len(&m->vocab, j);
        char *p = text_room(&o, 2 * len + 3 * 24 + DOUBLE_TEXT_MAX + 5);
        p = put_u64(p, (uint64_t)j + 1);
        *p++ = '\t';
        p = put_escaped(p, lab_strtab_key(&m->vocab, j), len);
        *p++ = '\t';
        p = put_i64(p, m->df[j]);
        *p++ = '\t';
        p = put_double(p, m->idf[j]);
        *p++ = '\t';
        p = put_i64(p, m->total[j]);
        *p++ = '\n';
        o.n = (size_t)(p - o.buf);
    }
    return text_commit(&o);
}

int tfidf_write_docs(const TfidfDocs *docs, const TfidfModel *m, const char *path)
{
    TextOut o;
    if (text_open(&o, path) != 0) {
        return -1;
    }
    const char *head = "doc\tfile\tline\tterms\n";
    text_put(&o, head, strlen(head));
    // every file's name escaped once: a file of lines has one name for all its documents
    char **names = lab_malloc(((size_t)docs->nfiles + 1) * sizeof *names);
    size_t *lens = lab_malloc(((size_t)docs->nfiles + 1) * sizeof *lens);
    for (long f = 0; f < docs->nfiles; f++) {
        names[f] = tfidf_escape_term(docs->files[f], strlen(docs->files[f]));
        lens[f] = strlen(names[f]);
    }
    for (long d = 0; d < docs->n; d++) {
        int32_t f = docs->file[d];
        char *p = text_room(&o, lens[f] + 3 * 24 + 4);
        p = put_u64(p, (uint64_t)d + 1);
        *p++ = '\t';
        memcpy(p, names[f], lens[f]);
        p += lens[f];
        *p++ = '\t';
        p = put_i64(p, docs->line[d]);
        *p++ = '\t';
        p = put_i64(p, m->X.ptr[d + 1] - m->X.ptr[d]);
        *p++ = '\n';
        o.n = (size_t)(p - o.buf);
    }
    for (long f = 0; f < docs->nfiles; f++) {
        free(names[f]);
    }
    free(names);
    free(lens);
    return text_commit(&o);
}
