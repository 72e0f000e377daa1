// tfidf_io.c: a fitted model's files: the matrix in Matrix Market coordinate format, the
// vocabulary and the terms table (docs/formats.md), written atomically.
#include "ngram/tfidf_internal.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

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
                        tfidf_buf_append(&out[i], line, (size_t)n);
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
        char *e = tfidf_escape_term(lab_strtab_key(&m->vocab, j), lab_strtab_len(&m->vocab, j));
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
        char *e = tfidf_escape_term(lab_strtab_key(&m->vocab, j), lab_strtab_len(&m->vocab, j));
        fprintf(a.f, "%d\t%s\t%lld\t%.17g\t%lld\n", j + 1, e, m->df[j], m->idf[j], m->total[j]);
        free(e);
    }
    return lab_atomic_commit(&a);
}
