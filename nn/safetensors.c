// safetensors.c: checkpoints in Hugging Face's safetensors format, written atomically and read
// as untrusted input.
//
//   [8 bytes: header length H, little-endian u64][H bytes: JSON header][data]
//   header: {"__metadata__": {"key": "value", ...},
//            "name": {"dtype": "F32", "shape": [d0, d1], "data_offsets": [begin, end]}, ...}
//
// Offsets count bytes from the start of the data area. We write F32 tensors in table order,
// back to back, and pad the header with spaces to a multiple of 8 bytes (the format allows
// it), so every tensor starts 8-byte aligned in the file. The reader parses this header and
// nothing more general: one object of objects, arrays of integers, string metadata; it refuses
// whatever the table does not expect (docs/formats.md lists every check). Left out: dtypes
// other than F32, reading without a table.
#include "nn/nn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define NN_ST_MAX_DIMS 8    // dimensions the reader parses before it gives up on a shape
#define NN_ST_CHUNK 4096    // floats converted per write call
#define NN_ST_MAX_META 1024 // metadata entries the reader accepts

// --- UTF-8 ----------------------------------------------------------------------------------

// 1 when s[0..n) is valid UTF-8: no overlong forms, no surrogates, nothing beyond U+10FFFF
static int utf8_valid(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        unsigned cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if (c >= 0xC2 && c <= 0xDF) {
            len = 2, cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3, cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4, cp = c & 0x07;
        } else {
            return 0;
        }
        if (n - i < len) {
            return 0;
        }
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return 0;
            }
            cp = cp << 6 | (s[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
            (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
        i += len;
    }
    return 1;
}

// --- writing --------------------------------------------------------------------------------

static void put_u64le(unsigned char *b, uint64_t v)
{
    for (int k = 0; k < 8; k++) {
        b[k] = (unsigned char)(v >> (8 * k));
    }
}

int nn_safetensors_write(const char *path, const NnParams *p, const float *block,
                         const LabConfig *meta)
{
    for (int i = 0; meta && i < meta->n; i++) {
        if (!utf8_valid((const unsigned char *)meta->key[i], strlen(meta->key[i])) ||
            !utf8_valid((const unsigned char *)meta->val[i], strlen(meta->val[i]))) {
            return lab_error("cannot write '%s': metadata '%s' is not valid UTF-8", path,
                             meta->key[i]);
        }
    }
    // the header, built in memory to learn its length
    char *hdr = NULL;
    size_t hlen = 0;
    FILE *h = open_memstream(&hdr, &hlen);
    if (!h) {
        return lab_error("cannot write '%s': %s", path, strerror(errno));
    }
    fputc('{', h);
    if (meta && meta->n > 0) {
        fputs("\"__metadata__\":{", h);
        for (int i = 0; i < meta->n; i++) {
            fputs(i ? "," : "", h);
            lab_json_write_string(h, meta->key[i]);
            fputc(':', h);
            lab_json_write_string(h, meta->val[i]);
        }
        fputs("},", h);
    }
    for (int i = 0; i < p->n; i++) {
        const NnTensorSpec *t = &p->spec[i];
        fputs(i ? "," : "", h);
        lab_json_write_string(h, t->name);
        fputs(":{\"dtype\":\"F32\",\"shape\":[", h);
        for (int d = 0; d < t->ndim; d++) {
            fprintf(h, "%s%d", d ? "," : "", t->shape[d]);
        }
        fprintf(h, "],\"data_offsets\":[%zu,%zu]}", p->offset[i] * 4, p->offset[i + 1] * 4);
    }
    fputc('}', h);
    while (ftell(h) % 8 != 0) { // pad so the data area starts 8-byte aligned
        fputc(' ', h);
    }
    if (fclose(h) != 0) {
        free(hdr);
        return lab_error("cannot write '%s': out of memory for the header", path);
    }

    LabAtomic a;
    if (lab_atomic_open(&a, path) != 0) {
        free(hdr);
        return -1;
    }
    unsigned char len8[8];
    put_u64le(len8, hlen);
    fwrite(len8, 1, 8, a.f);
    fwrite(hdr, 1, hlen, a.f);
    free(hdr);
    unsigned char buf[NN_ST_CHUNK * 4];
    for (size_t i = 0; i < p->total; i += NN_ST_CHUNK) {
        size_t m = p->total - i < NN_ST_CHUNK ? p->total - i : NN_ST_CHUNK;
        for (size_t k = 0; k < m; k++) { // little-endian whatever the host
            uint32_t u;
            memcpy(&u, &block[i + k], 4);
            for (int b = 0; b < 4; b++) {
                buf[4 * k + b] = (unsigned char)(u >> (8 * b));
            }
        }
        fwrite(buf, 4, m, a.f);
    }
    return lab_atomic_commit(&a);
}

// --- the header parser ------------------------------------------------------------------------

typedef struct {
    const char *s; // the header (n bytes)
    size_t n, i;   // i: the next byte
    char err[256]; // the first problem found
} Cur;

__attribute__((format(printf, 2, 3))) static int bad(Cur *c, const char *fmt, ...)
{
    if (!c->err[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, sizeof c->err, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static void ws(Cur *c)
{
    while (c->i < c->n &&
           (c->s[c->i] == ' ' || c->s[c->i] == '\t' || c->s[c->i] == '\n' || c->s[c->i] == '\r')) {
        c->i++;
    }
}

// skips white space, then expects the byte ch
static int expect(Cur *c, char ch)
{
    ws(c);
    if (c->i >= c->n || c->s[c->i] != ch) {
        return bad(c, "header byte %zu: expected '%c'", c->i, ch);
    }
    c->i++;
    return 0;
}

// the next non-blank byte, not consumed (0 at the end)
static char peek(Cur *c)
{
    ws(c);
    return c->i < c->n ? c->s[c->i] : 0;
}

static int hex4(Cur *c, unsigned *v)
{
    if (c->n - c->i < 4) {
        return bad(c, "header byte %zu: a \\u escape needs four hex digits", c->i);
    }
    *v = 0;
    for (int k = 0; k < 4; k++) {
        char h = c->s[c->i++];
        int d = h >= '0' && h <= '9'   ? h - '0'
                : h >= 'a' && h <= 'f' ? h - 'a' + 10
                : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                       : -1;
        if (d < 0) {
            return bad(c, "header byte %zu: '%c' is not a hex digit", c->i - 1, h);
        }
        *v = *v << 4 | (unsigned)d;
    }
    return 0;
}

// A JSON string, unescaped, as a new NUL-terminated UTF-8 string in *out. Refuses control
// characters, unknown escapes, lone surrogates, \u0000 and invalid UTF-8.
static int string(Cur *c, char **out)
{
    *out = NULL;
    if (expect(c, '"') != 0) {
        return -1;
    }
    size_t start = c->i;
    char *o = lab_malloc(c->n - start + 1); // unescaping never lengthens a string
    size_t k = 0;
    for (;;) {
        if (c->i >= c->n) {
            free(o);
            return bad(c, "header byte %zu: a string does not end", start);
        }
        unsigned char ch = (unsigned char)c->s[c->i++];
        if (ch == '"') {
            break;
        }
        if (ch < 0x20) {
            free(o);
            return bad(c, "header byte %zu: a control character in a string", c->i - 1);
        }
        if (ch != '\\') {
            o[k++] = (char)ch;
            continue;
        }
        if (c->i >= c->n) {
            free(o);
            return bad(c, "header byte %zu: a string does not end", start);
        }
        char e = c->s[c->i++];
        const char *plain = strchr("\"\\/bfnrt", e);
        if (e && plain) {
            o[k++] = "\"\\/\b\f\n\r\t"[plain - "\"\\/bfnrt"];
            continue;
        }
        unsigned cp, lo;
        if (e != 'u' || hex4(c, &cp) != 0) {
            free(o);
            return bad(c, "header byte %zu: an unknown escape '\\%c'", c->i - 1, e);
        }
        if (cp >= 0xD800 && cp <= 0xDBFF) { // a high surrogate needs its low half
            if (c->n - c->i < 6 || c->s[c->i] != '\\' || c->s[c->i + 1] != 'u') {
                free(o);
                return bad(c, "header byte %zu: a lone surrogate in a string", c->i);
            }
            c->i += 2;
            if (hex4(c, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF) {
                free(o);
                return bad(c, "header byte %zu: a lone surrogate in a string", c->i);
            }
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        } else if ((cp >= 0xDC00 && cp <= 0xDFFF) || cp == 0) {
            free(o);
            return bad(c, "header byte %zu: %s in a string", c->i,
                       cp ? "a lone surrogate" : "a NUL character");
        }
        // UTF-8 of cp: at most 4 bytes, never more than the 6 to 12 bytes of its escape
        if (cp < 0x80) {
            o[k++] = (char)cp;
        } else if (cp < 0x800) {
            o[k++] = (char)(0xC0 | cp >> 6);
            o[k++] = (char)(0x80 | (cp & 0x3F));
        } else if (cp < 0x10000) {
            o[k++] = (char)(0xE0 | cp >> 12);
            o[k++] = (char)(0x80 | (cp >> 6 & 0x3F));
            o[k++] = (char)(0x80 | (cp & 0x3F));
        } else {
            o[k++] = (char)(0xF0 | cp >> 18);
            o[k++] = (char)(0x80 | (cp >> 12 & 0x3F));
            o[k++] = (char)(0x80 | (cp >> 6 & 0x3F));
            o[k++] = (char)(0x80 | (cp & 0x3F));
        }
    }
    o[k] = 0;
    if (!utf8_valid((const unsigned char *)o, k)) {
        free(o);
        return bad(c, "header byte %zu: a string is not valid UTF-8", start);
    }
    *out = o;
    return 0;
}

// A non-negative integer without sign, fraction, exponent or leading zero, below 2^53.
static int uint_(Cur *c, uint64_t *v)
{
    ws(c);
    size_t start = c->i;
    *v = 0;
    while (c->i < c->n && c->s[c->i] >= '0' && c->s[c->i] <= '9') {
        if (*v >= ((uint64_t)1 << 53) / 10) {
            return bad(c, "header byte %zu: a number too large", start);
        }
        *v = *v * 10 + (uint64_t)(c->s[c->i++] - '0');
    }
    if (c->i == start || (c->s[start] == '0' && c->i - start > 1)) {
        return bad(c, "header byte %zu: expected a non-negative integer", start);
    }
    return 0;
}

// [n, n, ...] with at most max entries; *count receives how many
static int uint_array(Cur *c, uint64_t *v, int max, int *count)
{
    *count = 0;
    if (expect(c, '[') != 0) {
        return -1;
    }
    if (peek(c) == ']') {
        c->i++;
        return 0;
    }
    for (;;) {
        if (*count == max) {
            return bad(c, "header byte %zu: an array longer than %d", c->i, max);
        }
        if (uint_(c, &v[(*count)++]) != 0) {
            return -1;
        }
        char ch = peek(c);
        c->i++;
        if (ch == ']') {
            return 0;
        }
        if (ch != ',') {
            return bad(c, "header byte %zu: expected ',' or ']'", c->i - 1);
        }
    }
}

// What the header says of one tensor.
typedef struct {
    char *dtype;
    uint64_t shape[NN_ST_MAX_DIMS];
    int ndim;
    uint64_t off[2];
    int noff;
} Info;

// {"dtype": "...", "shape": [...], "data_offsets": [b, e]}, each key exactly once
static int tensor_info(Cur *c, Info *t)
{
    memset(t, 0, sizeof *t);
    int seen[3] = {0, 0, 0};
    if (expect(c, '{') != 0) {
        return -1;
    }
    for (;;) {
        char *key;
        if (string(c, &key) != 0 || expect(c, ':') != 0) {
            free(key);
            return -1;
        }
        int which = strcmp(key, "dtype") == 0          ? 0
                    : strcmp(key, "shape") == 0        ? 1
                    : strcmp(key, "data_offsets") == 0 ? 2
                                                       : -1;
        if (which < 0 || seen[which]++) {
            bad(c, "header byte %zu: %s key '%.40s' in a tensor", c->i,
                which < 0 ? "an unknown" : "a repeated", key);
            free(key);
            return -1;
        }
        free(key);
        int rc = which == 0   ? string(c, &t->dtype)
                 : which == 1 ? uint_array(c, t->shape, NN_ST_MAX_DIMS, &t->ndim)
                              : uint_array(c, t->off, 2, &t->noff);
        if (rc != 0) {
            return -1;
        }
        char ch = peek(c);
        c->i++;
        if (ch == '}') {
            break;
        }
        if (ch != ',') {
            return bad(c, "header byte %zu: expected ',' or '}'", c->i - 1);
        }
    }
    if (!seen[0] || !seen[1] || !seen[2]) {
        return bad(c, "header byte %zu: a tensor lacks '%s'", c->i,
                   !seen[0]   ? "dtype"
                   : !seen[1] ? "shape"
                              : "data_offsets");
    }
    if (t->noff != 2) {
        return bad(c, "header byte %zu: data_offsets needs two numbers", c->i);
    }
    return 0;
}

// {"key": "value", ...} into md
static int metadata(Cur *c, LabConfig *md)
{
    if (expect(c, '{') != 0) {
        return -1;
    }
    if (peek(c) == '}') {
        c->i++;
        return 0;
    }
    for (;;) {
        char *key = NULL, *val = NULL;
        if (string(c, &key) != 0 || expect(c, ':') != 0) {
            free(key);
            return -1;
        }
        if (peek(c) != '"') {
            free(key);
            return bad(c, "header byte %zu: metadata must map strings to strings", c->i);
        }
        if (string(c, &val) != 0) {
            free(key);
            return -1;
        }
        if (lab_config_get(md, key) || md->n >= NN_ST_MAX_META) {
            bad(c, "header byte %zu: %s", c->i,
                md->n >= NN_ST_MAX_META ? "more metadata than the reader accepts"
                                        : "a repeated metadata key");
            free(key);
            free(val);
            return -1;
        }
        lab_config_set(md, key, "%s", val);
        free(key);
        free(val);
        char ch = peek(c);
        c->i++;
        if (ch == '}') {
            return 0;
        }
        if (ch != ',') {
            return bad(c, "header byte %zu: expected ',' or '}'", c->i - 1);
        }
    }
}

static void shape_str(char *buf, size_t cap, const uint64_t *shape, int ndim)
{
    size_t k = (size_t)snprintf(buf, cap, "[");
    for (int d = 0; d < ndim && k < cap; d++) {
        k += (size_t)snprintf(buf + k, cap - k, "%s%llu", d ? ", " : "",
                              (unsigned long long)shape[d]);
    }
    if (k < cap) {
        snprintf(buf + k, cap - k, "]");
    }
}

typedef struct {
    uint64_t begin, end;
    int idx; // in the table
} Range;

static int by_begin(const void *a, const void *b)
{
    const Range *x = a, *y = b;
    return x->begin < y->begin ? -1 : x->begin > y->begin;
}

// Parses the header against the table: every tensor's range into ranges[table index].
// *mismatch is set when the file is well-formed but written for another model.
static int header(Cur *c, const NnParams *p, Range *ranges, LabConfig *md, int *mismatch)
{
    int *seen = lab_calloc((size_t)p->n, sizeof *seen);
    int metas = 0, rc = -1;
    if (expect(c, '{') != 0) {
        goto fail;
    }
    if (peek(c) == '}') {
        c->i++;
    } else {
        for (;;) {
            char *name;
            if (string(c, &name) != 0 || expect(c, ':') != 0) {
                free(name);
                goto fail;
            }
            if (strcmp(name, "__metadata__") == 0) {
                free(name);
                if (metas++ || metadata(c, md) != 0) {
                    bad(c, "header byte %zu: a repeated or malformed __metadata__", c->i);
                    goto fail;
                }
            } else {
                Info t;
                int i = nn_params_find(p, name);
                if (tensor_info(c, &t) != 0) {
                    free(t.dtype);
                    free(name);
                    goto fail;
                }
                char want[96], got[96];
                if (i < 0 || seen[i]++) {
                    *mismatch = i < 0;
                    bad(c, "%s tensor '%.60s'", i < 0 ? "an unexpected" : "a repeated", name);
                } else if (strcmp(t.dtype, "F32") != 0) {
                    *mismatch = 1;
                    bad(c, "tensor '%s' has dtype '%.20s', expected 'F32'", name, t.dtype);
                } else {
                    const NnTensorSpec *s = &p->spec[i];
                    uint64_t wshape[NN_MAX_NDIM];
                    int same = t.ndim == s->ndim;
                    for (int d = 0; d < s->ndim; d++) {
                        wshape[d] = (uint64_t)s->shape[d];
                        same = same && t.shape[d] == wshape[d];
                    }
                    if (!same) {
                        *mismatch = 1;
                        shape_str(got, sizeof got, t.shape, t.ndim);
                        shape_str(want, sizeof want, wshape, s->ndim);
                        bad(c, "tensor '%s' has shape %s, expected %s", name, got, want);
                    } else if (t.off[1] < t.off[0] ||
                               t.off[1] - t.off[0] != 4 * nn_tensor_numel(s)) {
                        bad(c,
                            "tensor '%s' has byte range [%llu, %llu), its shape needs %zu "
                            "bytes",
                            name, (unsigned long long)t.off[0], (unsigned long long)t.off[1],
                            4 * nn_tensor_numel(s));
                    }
                    ranges[i] = (Range){t.off[0], t.off[1], i};
                }
                free(t.dtype);
                free(name);
                if (c->err[0]) {
                    goto fail;
                }
            }
            char ch = peek(c);
            c->i++;
            if (ch == '}') {
                break;
            }
            if (ch != ',') {
                bad(c, "header byte %zu: expected ',' or '}'", c->i - 1);
                goto fail;
            }
        }
    }
    // nothing but the padding after the object
    while (c->i < c->n && c->s[c->i] == ' ') {
        c->i++;
    }
    if (c->i != c->n) {
        bad(c, "header byte %zu: bytes after the header's object", c->i);
        goto fail;
    }
    for (int i = 0; i < p->n; i++) {
        if (!seen[i]) {
            *mismatch = 1;
            bad(c, "tensor '%s' is missing", p->spec[i].name);
            goto fail;
        }
    }
    rc = 0;
fail:
    free(seen);
    return rc;
}

// --- reading --------------------------------------------------------------------------------

int nn_safetensors_read(const char *path, const NnParams *p, float *block, LabConfig *meta)
{
    const char *corrupt = "the file is damaged or is not a safetensors file";
    const char *other = "the checkpoint was written for another model configuration";
    FILE *f = fopen(path, "rb");
    if (!f) {
        return lab_error("cannot open '%s': %s", path, strerror(errno));
    }
    char *hdr = NULL;
    Range *ranges = NULL;
    unsigned char *data = NULL;
    LabConfig md = {0};
    Cur c = {0};
    int mismatch = 0, rc = -1;
    struct stat st;
    unsigned char len8[8];
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        rc = lab_error("cannot load '%s': not a regular file", path);
        goto fail;
    }
    uint64_t size = (uint64_t)st.st_size, hlen = 0;
    if (size < 8 || fread(len8, 1, 8, f) != 8) {
        rc = lab_error_hint(corrupt,
                            "cannot load '%s': %llu bytes, shorter than the 8-byte "
                            "header length",
                            path, (unsigned long long)size);
        goto fail;
    }
    for (int k = 7; k >= 0; k--) {
        hlen = hlen << 8 | len8[k];
    }
    // the header's length is checked against the file before anything is allocated
    if (hlen > size - 8 || hlen < 2) {
        rc = lab_error_hint(corrupt,
                            "cannot load '%s': header length %llu does not fit a file "
                            "of %llu bytes",
                            path, (unsigned long long)hlen, (unsigned long long)size);
        goto fail;
    }
    if (hlen > NN_SAFETENSORS_MAX_HEADER) {
        rc = lab_error_hint(corrupt,
                            "cannot load '%s': a header of %llu bytes, above the "
                            "reader's limit of %u",
                            path, (unsigned long long)hlen, NN_SAFETENSORS_MAX_HEADER);
        goto fail;
    }
    uint64_t dsize = size - 8 - hlen, want = 4 * (uint64_t)p->total;
    hdr = lab_malloc(hlen);
    if (fread(hdr, 1, hlen, f) != hlen) {
        rc = lab_error("cannot load '%s': %s", path, ferror(f) ? strerror(errno) : "short read");
        goto fail;
    }
    ranges = lab_calloc((size_t)p->n, sizeof *ranges);
    c = (Cur){.s = hdr, .n = hlen};
    if (hdr[0] != '{') {
        bad(&c, "the header does not begin with '{'");
    } else {
        header(&c, p, ranges, &md, &mismatch);
    }
    if (c.err[0]) {
        rc = lab_error_hint(mismatch ? other : corrupt, "cannot load '%s': %s", path, c.err);
        goto fail;
    }
    if (dsize != want) {
        rc = lab_error_hint(corrupt,
                            "cannot load '%s': the data area holds %llu bytes, the "
                            "tensors need %llu",
                            path, (unsigned long long)dsize, (unsigned long long)want);
        goto fail;
    }
    // the ranges, sorted, must tile the data area from 0 without gap or overlap
    Range *sorted = lab_malloc((size_t)p->n * sizeof *sorted);
    memcpy(sorted, ranges, (size_t)p->n * sizeof *sorted);
    qsort(sorted, (size_t)p->n, sizeof *sorted, by_begin);
    uint64_t at = 0;
    for (int k = 0; k < p->n; k++) {
        if (sorted[k].begin != at) {
            rc = lab_error_hint(corrupt,
                                "cannot load '%s': tensor '%s' begins at byte %llu of "
                                "the data, expected %llu (the tensors must be contiguous and "
                                "not overlap)",
                                path, p->spec[sorted[k].idx].name,
                                (unsigned long long)sorted[k].begin, (unsigned long long)at);
            free(sorted);
            goto fail;
        }
        at = sorted[k].end;
    }
    free(sorted);
    data = lab_malloc(dsize ? dsize : 1);
    if (fread(data, 1, dsize, f) != dsize) {
        rc = lab_error("cannot load '%s': %s", path, ferror(f) ? strerror(errno) : "short read");
        goto fail;
    }
    // every check passed: only now is the caller's block written
    for (int i = 0; i < p->n; i++) {
        const unsigned char *src = data + ranges[i].begin;
        float *dst = block + p->offset[i];
        for (size_t k = 0; k < p->offset[i + 1] - p->offset[i]; k++) {
            uint32_t u = (uint32_t)src[4 * k] | (uint32_t)src[4 * k + 1] << 8 |
                         (uint32_t)src[4 * k + 2] << 16 | (uint32_t)src[4 * k + 3] << 24;
            memcpy(&dst[k], &u, 4);
        }
    }
    for (int k = 0; meta && k < md.n; k++) {
        lab_config_set(meta, md.key[k], "%s", md.val[k]);
    }
    rc = 0;
fail:
    fclose(f);
    free(hdr);
    free(ranges);
    free(data);
    lab_config_free(&md);
    return rc;
}
