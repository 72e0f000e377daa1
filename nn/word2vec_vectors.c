// word2vec_vectors.c: word vectors after training: the word2vec text format (write, and a
// careful read of files from anywhere), nearest neighbours and analogies by cosine, and the
// principal components behind the 2-D chart.
//
// Left out: the binary word2vec format, and approximate neighbour search (every query scans
// all V rows, which takes a millisecond at the lab's sizes).
#include "nn/word2vec.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// --- writing ----------------------------------------------------------------------------------

// A word as one whitespace-free field: bytes <= 0x20 and 0x7f become \xHH.
static void write_word(FILE *f, const char *w)
{
    for (const unsigned char *c = (const unsigned char *)w; *c; c++) {
        if (*c <= 0x20 || *c == 0x7f) {
            fprintf(f, "\\x%02X", *c);
        } else {
            fputc(*c, f);
        }
    }
}

int w2v_save_text(const char *path, char *const *words, const float *rows, int32_t V, int D,
                  int stride)
{
    LabAtomic a;
    if (lab_atomic_open(&a, path) != 0) {
        return -1;
    }
    fprintf(a.f, "%d %d\n", V, D);
    for (int32_t r = 0; r < V; r++) {
        write_word(a.f, words[r]);
        const float *x = rows + (size_t)r * stride;
        for (int i = 0; i < D; i++) {
            fprintf(a.f, " %.6g", x[i]);
        }
        fputc('\n', a.f);
    }
    return lab_atomic_commit(&a);
}

// --- the word index ---------------------------------------------------------------------------

int32_t w2v_vectors_find(const W2vVectors *v, const char *word)
{
    return lab_strtab_find(&v->index, word, strlen(word));
}

void w2v_vectors_free(W2vVectors *v)
{
    free(v->word);
    free(v->vec);
    lab_strtab_free(&v->index);
    memset(v, 0, sizeof *v);
}

// --- reading ----------------------------------------------------------------------------------

static const char *VEC_HINT = "a vectors file is the word2vec text format: a line 'WORDS "
                              "DIMENSIONS', then one line 'word x1 .. xD' per word";

static int is_sep(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// Parses a whole non-negative decimal number from s[0..n); -1 if it is not one or too big.
static long long parse_count(const char *s, size_t n)
{
    if (n == 0 || n > 12) {
        return -1;
    }
    long long x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        x = 10 * x + (s[i] - '0');
    }
    return x;
}

// One line of the file: [p, end) without its newline; *next is where the next one starts.
static size_t line_at(const char *data, size_t len, size_t p, size_t *next)
{
    const char *nl = memchr(data + p, '\n', len - p);
    size_t end = nl ? (size_t)(nl - data) : len;
    *next = nl ? end + 1 : len;
    return end;
}

int w2v_vectors_read(W2vVectors *v, const char *path)
{
    memset(v, 0, sizeof *v);
    char *data = NULL;
    size_t len;
    if (lab_read_file(path, &data, &len, 0) != 0) {
        return -1;
    }
    if (len == 0) {
        lab_error_hint(VEC_HINT, "'%s' is empty", path);
        goto fail;
    }
    if (memchr(data, '\0', len)) {
        lab_error_hint("only the text format is read: word2vec -binary 0, or gensim's "
                       "save_word2vec_format(path, binary=False)",
                       "'%s' holds NUL bytes: not a text vectors file (the binary format?)", path);
        goto fail;
    }
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        lab_error_hint("save it without the mark: sed -i '1s/^\\xEF\\xBB\\xBF//' FILE",
                       "'%s' starts with a UTF-8 byte-order mark (EF BB BF) before its header",
                       path);
        goto fail;
    }
    char qv[48], qw[48]; // quoted file content for messages

    // the header: two counts
    size_t next, end = line_at(data, len, 0, &next);
    size_t a = 0;
    while (a < end && is_sep(data[a])) {
        a++;
    }
    size_t b = a;
    while (b < end && !is_sep(data[b])) {
        b++;
    }
    size_t c = b;
    while (c < end && is_sep(data[c])) {
        c++;
    }
    size_t e = c;
    while (e < end && !is_sep(data[e])) {
        e++;
    }
    size_t z = e;
    while (z < end && is_sep(data[z])) {
        z++;
    }
    long long V = parse_count(data + a, b - a), D = parse_count(data + c, e - c);
    if (V < 0 || D < 0 || z != end) {
        lab_error_hint(VEC_HINT, "'%s' line 1: expected a header 'WORDS DIMENSIONS', got '%s'",
                       path, lab_quote(qv, sizeof qv, data, end));
        goto fail;
    }
    if (V < 1 || D < 1 || V > INT32_MAX || D > 1000000) {
        lab_error_hint(VEC_HINT, "'%s' line 1: the header says %lld words of %lld values; "
                       "both must be at least 1 (and D at most 1000000)",
                       path, V, D);
        goto fail;
    }
    // each vector takes at least 2 D + 2 bytes: a one-byte word, D separators and one-digit
    // values, a newline (but the last)
    long long need = V * (2 * D + 2) - 1;
    if ((unsigned long long)need > len - next) {
        lab_error_hint(VEC_HINT, "'%s' line 1: the header promises %lld vectors of %lld values, "
                       "more than the remaining %zu bytes of the file can hold",
                       path, V, D, len - next);
        goto fail;
    }

    v->V = (int32_t)V;
    v->D = (int)D;
    v->word = lab_calloc((size_t)V, sizeof *v->word);
    v->vec = lab_malloc((size_t)V * (size_t)D * sizeof *v->vec);
    lab_strtab_reserve(&v->index, (int32_t)V, 0);

    size_t p = next;
    long long lineno = 1;
    for (int32_t r = 0; r < v->V; r++) {
        lineno++;
        if (p >= len) {
            lab_error_hint(VEC_HINT, "'%s' line %lld: the file ends after %d of the %lld vectors "
                           "its header promises",
                           path, lineno, r, V);
            goto fail;
        }
        end = line_at(data, len, p, &next);
        size_t q = p;
        while (q < end && !is_sep(data[q])) {
            q++;
        }
        if (q == p) {
            int blank = 1;
            for (size_t i = p; i < end; i++) {
                blank &= is_sep(data[i]);
            }
            lab_error_hint(VEC_HINT, "'%s' line %lld: %s", path, lineno,
                           blank ? "a blank line where a vector was expected"
                                 : "a line must begin with its word");
            goto fail;
        }
        // the word as the key of row r (a repeat is reported once its values are read)
        int32_t first = lab_strtab_add(&v->index, data + p, q - p);
        const char *word = lab_strtab_key(&v->index, first);
        long long nval = 0;
        float *x = v->vec + (size_t)r * v->D;
        for (;;) {
            while (q < end && is_sep(data[q])) {
                q++;
            }
            if (q == end) {
                break;
            }
            size_t t = q;
            while (t < end && !is_sep(data[t])) {
                t++;
            }
            if (nval == D) {
                lab_error_hint(VEC_HINT, "'%s' line %lld: '%s' has more than the %lld values "
                               "the header gives each word",
                               path, lineno, lab_quote(qw, sizeof qw, word, strlen(word)), D);
                goto fail;
            }
            char *stop;
            errno = 0;
            float f = strtof(data + q, &stop);
            if (stop != data + t || !isfinite(f)) {
                lab_error_hint(VEC_HINT, "'%s' line %lld: value %lld of '%s' is not a finite "
                               "number: '%s'",
                               path, lineno, nval + 1,
                               lab_quote(qw, sizeof qw, word, strlen(word)),
                               lab_quote(qv, sizeof qv, data + q, t - q));
                goto fail;
            }
            x[nval++] = f;
            q = t;
        }
        if (nval != D) {
            lab_error_hint(VEC_HINT, "'%s' line %lld: '%s' has %lld values, the header says "
                           "%lld",
                           path, lineno, lab_quote(qw, sizeof qw, word, strlen(word)), nval, D);
            goto fail;
        }
        if (first != r) {
            lab_error_hint(VEC_HINT, "'%s' line %lld: '%s' appears twice (first on line %d)",
                           path, lineno, lab_quote(qw, sizeof qw, word, strlen(word)), first + 2);
            goto fail;
        }
        p = next;
    }
    // nothing but blank space may follow
    while (p < len) {
        end = line_at(data, len, p, &next);
        lineno++;
        for (size_t i = p; i < end; i++) {
            if (!is_sep(data[i])) {
                lab_error_hint(VEC_HINT, "'%s' line %lld: more vectors than the %lld of the "
                               "header",
                               path, lineno, V);
                goto fail;
            }
        }
        p = next;
    }
    for (int32_t r = 0; r < v->V; r++) {
        v->word[r] = (char *)lab_strtab_key(&v->index, r); // the block moves no more
    }
    free(data);
    return 0;
fail:
    free(data);
    w2v_vectors_free(v);
    return -1;
}

// --- neighbours -------------------------------------------------------------------------------

void w2v_vectors_normalize(W2vVectors *v)
{
    for (int32_t r = 0; r < v->V; r++) {
        float *x = v->vec + (size_t)r * v->D;
        double ss = 0;
        for (int i = 0; i < v->D; i++) {
            ss += (double)x[i] * x[i];
        }
        if (ss > 0) {
            double inv = 1.0 / sqrt(ss);
            for (int i = 0; i < v->D; i++) {
                x[i] = (float)(x[i] * inv);
            }
        }
    }
}

int w2v_nearest(W2vHit *hits, int k, const W2vVectors *v, const float *q,
                const int32_t *exclude, int nexclude)
{
    int n = 0;
    for (int32_t r = 0; r < v->V; r++) {
        int skip = 0;
        for (int j = 0; j < nexclude; j++) {
            skip |= exclude[j] == r;
        }
        if (skip) {
            continue;
        }
        const float *x = v->vec + (size_t)r * v->D;
        double cos = 0;
        for (int i = 0; i < v->D; i++) {
            cos += (double)x[i] * q[i];
        }
        // rows come in increasing order, so a tie never displaces an earlier row
        if (n == k && !(cos > hits[n - 1].cos)) {
            continue;
        }
        int at = n < k ? n++ : n - 1;
        while (at > 0 && cos > hits[at - 1].cos) {
            hits[at] = hits[at - 1];
            at--;
        }
        hits[at] = (W2vHit){.id = r, .cos = cos};
    }
    return n;
}

int w2v_analogy(W2vHit *hits, int k, const W2vVectors *v, int32_t a, int32_t b, int32_t c)
{
    int D = v->D;
    double *q = lab_malloc((size_t)D * sizeof *q);
    float *qf = lab_malloc((size_t)D * sizeof *qf);
    const float *va = v->vec + (size_t)a * D, *vb = v->vec + (size_t)b * D,
                *vc = v->vec + (size_t)c * D;
    double ss = 0;
    for (int i = 0; i < D; i++) {
        q[i] = (double)vb[i] - va[i] + vc[i];
        ss += q[i] * q[i];
    }
    double inv = ss > 0 ? 1.0 / sqrt(ss) : 0.0;
    for (int i = 0; i < D; i++) {
        qf[i] = (float)(q[i] * inv);
    }
    int32_t ex[3] = {a, b, c};
    int n = w2v_nearest(hits, k, v, qf, ex, 3);
    free(q);
    free(qf);
    return n;
}

// --- principal components ---------------------------------------------------------------------

// Eigenvalues (ev, n) and eigenvectors (columns of vecs (n, n)) of the symmetric a (n, n),
// which is destroyed, by cyclic Jacobi rotations: each rotation zeroes one off-diagonal pair;
// sweeps repeat until what is off the diagonal is negligible. Slow (n^3 a sweep) but exact,
// simple and deterministic.
static void jacobi_eigen(double *a, double *vecs, double *ev, int n)
{
    for (int i = 0; i < n * n; i++) {
        vecs[i] = 0;
    }
    for (int i = 0; i < n; i++) {
        vecs[i * n + i] = 1;
    }
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0, diag = 0;
        for (int p = 0; p < n; p++) {
            diag += a[p * n + p] * a[p * n + p];
            for (int q = p + 1; q < n; q++) {
                off += a[p * n + q] * a[p * n + q];
            }
        }
        if (off <= 1e-30 * diag || off == 0) {
            break;
        }
        for (int p = 0; p < n; p++) {
            for (int q = p + 1; q < n; q++) {
                double apq = a[p * n + q];
                if (apq == 0) {
                    continue;
                }
                // the rotation by phi with tan(phi) = t that makes a'_pq = 0 (the smaller root)
                double theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
                double t = (theta >= 0 ? 1.0 : -1.0) / (fabs(theta) + sqrt(theta * theta + 1));
                double c = 1 / sqrt(t * t + 1), s = t * c;
                for (int k = 0; k < n; k++) { // a J
                    double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) { // J^T (a J)
                    double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                a[p * n + q] = a[q * n + p] = 0;
                for (int k = 0; k < n; k++) {
                    double vkp = vecs[k * n + p], vkq = vecs[k * n + q];
                    vecs[k * n + p] = c * vkp - s * vkq;
                    vecs[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    for (int i = 0; i < n; i++) {
        ev[i] = a[i * n + i];
    }
}

void w2v_pca(double *proj, double *axes, double *var, const double *x, int n, int D, int k)
{
    double *xc = lab_malloc((size_t)n * D * sizeof *xc + 1);
    double *mean = lab_calloc((size_t)D, sizeof *mean);
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < D; j++) {
            mean[j] += x[(size_t)i * D + j];
        }
    }
    for (int j = 0; j < D; j++) {
        mean[j] /= n > 0 ? n : 1;
    }
    double trace = 0;
    for (int i = 0; i < n; i++) {
        for (int j = 0; j < D; j++) {
            xc[(size_t)i * D + j] = x[(size_t)i * D + j] - mean[j];
            trace += xc[(size_t)i * D + j] * xc[(size_t)i * D + j];
        }
    }
    // the smaller of the Gram matrix xc xc^T (n, n) and the scatter matrix xc^T xc (D, D):
    // both have the same nonzero eigenvalues
    int gram = n <= D, m = gram ? n : D;
    double *a = lab_malloc((size_t)m * m * sizeof *a + 1);
    double *vecs = lab_malloc((size_t)m * m * sizeof *vecs + 1);
    double *ev = lab_malloc((size_t)m * sizeof *ev + 1);
    for (int p = 0; p < m; p++) {
        for (int q = 0; q < m; q++) {
            double s = 0;
            if (gram) {
                for (int j = 0; j < D; j++) {
                    s += xc[(size_t)p * D + j] * xc[(size_t)q * D + j];
                }
            } else {
                for (int i = 0; i < n; i++) {
                    s += xc[(size_t)i * D + p] * xc[(size_t)i * D + q];
                }
            }
            a[p * m + q] = s;
        }
    }
    jacobi_eigen(a, vecs, ev, m);

    double *axis = lab_malloc((size_t)D * sizeof *axis);
    int *used = lab_calloc((size_t)m + 1, sizeof *used);
    for (int c = 0; c < k; c++) {
        // the largest eigenvalue not taken yet (ties: the lower index)
        int best = -1;
        for (int i = 0; i < m; i++) {
            if (!used[i] && (best < 0 || ev[i] > ev[best])) {
                best = i;
            }
        }
        double lambda = best >= 0 ? ev[best] : 0;
        int zero = best < 0 || !(lambda > 1e-12 * trace) || !(trace > 0);
        if (best >= 0) {
            used[best] = 1;
        }
        for (int j = 0; j < D; j++) {
            axis[j] = 0;
        }
        if (!zero) {
            if (gram) {
                // u is a unit eigenvector of xc xc^T: xc^T u / sqrt(lambda) is the unit axis
                for (int i = 0; i < n; i++) {
                    double ui = vecs[i * m + best] / sqrt(lambda);
                    for (int j = 0; j < D; j++) {
                        axis[j] += xc[(size_t)i * D + j] * ui;
                    }
                }
            } else {
                for (int j = 0; j < D; j++) {
                    axis[j] = vecs[j * m + best];
                }
            }
            int big = 0;
            for (int j = 1; j < D; j++) {
                big = fabs(axis[j]) > fabs(axis[big]) ? j : big;
            }
            if (axis[big] < 0) {
                for (int j = 0; j < D; j++) {
                    axis[j] = -axis[j];
                }
            }
        }
        for (int i = 0; i < n; i++) {
            double s = 0;
            for (int j = 0; j < D; j++) {
                s += xc[(size_t)i * D + j] * axis[j];
            }
            proj[(size_t)i * k + c] = s;
        }
        if (axes) {
            memcpy(axes + (size_t)c * D, axis, (size_t)D * sizeof *axis);
        }
        if (var) {
            var[c] = zero ? 0 : lambda / n;
        }
    }
    free(used);
    free(axis);
    free(a);
    free(vecs);
    free(ev);
    free(xc);
    free(mean);
}
