// vocab.c: token strings <-> ids.
//
// The strings live in a lab string table whose ids are the vocabulary's. Ids 0, 1, 2 are
// <s>, </s> and <unk>, appended without entering the hash, so a text that literally contains
// "<s>" gets an ordinary id of its own and cannot forge a boundary.
#include "datasets.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

// points str[0..n) at the table's keys again (after the block moved) and grows the arrays
static void sync_views(Vocab *v)
{
    if (v->tab.n > v->cap) {
        v->cap = v->cap ? 2 * v->cap : 64;
        if (v->cap < v->tab.n) {
            v->cap = v->tab.n;
        }
        v->str = lab_realloc(v->str, (size_t)v->cap * sizeof *v->str);
        v->len = lab_realloc(v->len, (size_t)v->cap * sizeof *v->len);
        v->count = lab_realloc(v->count, (size_t)v->cap * sizeof *v->count);
    }
    for (int32_t id = 0; id < v->tab.n; id++) {
        v->str[id] = v->tab.bytes + v->tab.off[id];
        v->len[id] = (uint32_t)lab_strtab_len(&v->tab, id);
    }
    for (int32_t id = v->n; id < v->tab.n; id++) {
        v->count[id] = 0;
    }
    v->n = v->tab.n;
}

void vocab_init(Vocab *v)
{
    memset(v, 0, sizeof *v);
    lab_strtab_append(&v->tab, "<s>", 3);
    lab_strtab_append(&v->tab, "</s>", 4);
    lab_strtab_append(&v->tab, "<unk>", 5);
    sync_views(v);
}

void vocab_free(Vocab *v)
{
    free(v->str);
    free(v->len);
    free(v->count);
    lab_strtab_free(&v->tab);
    memset(v, 0, sizeof *v);
}

int32_t vocab_find(const Vocab *v, const char *s, size_t len)
{
    return lab_strtab_find(&v->tab, s, len);
}

int32_t vocab_add(Vocab *v, const char *s, size_t len)
{
    const char *bytes = v->tab.bytes;
    int32_t id = lab_strtab_add(&v->tab, s, len);
    if (id < v->n) {
        return id;
    }
    if (v->tab.bytes != bytes || v->n == v->cap) {
        sync_views(v); // the block moved (or the arrays are full): every view again
    } else {
        v->str[id] = v->tab.bytes + v->tab.off[id];
        v->len[id] = (uint32_t)len;
        v->count[id] = 0;
        v->n++;
    }
    return id;
}

static const Vocab *sort_vocab; // qsort has no context argument

static int by_count_then_bytes(const void *pa, const void *pb)
{
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    const Vocab *v = sort_vocab;
    if (v->count[a] != v->count[b]) {
        return v->count[a] > v->count[b] ? -1 : 1;
    }
    uint32_t n = v->len[a] < v->len[b] ? v->len[a] : v->len[b];
    int c = memcmp(v->str[a], v->str[b], n);
    if (c) {
        return c;
    }
    return (v->len[a] > v->len[b]) - (v->len[a] < v->len[b]);
}

// old id -> new id (TOK_UNK for pruned types); the caller frees the returned map
static int32_t *prune_sort_map(Vocab *v, long long min_count)
{
    int32_t n = v->n;
    int32_t *order = lab_malloc((size_t)n * sizeof *order);
    int32_t kept = 0;
    long long unk = 0;
    for (int32_t id = TOK_FIRST; id < n; id++) {
        if (v->count[id] >= min_count) {
            order[kept++] = id;
        } else {
            unk += v->count[id];
        }
    }
    sort_vocab = v;
    qsort(order, (size_t)kept, sizeof *order, by_count_then_bytes);
    int32_t *map = lab_malloc((size_t)n * sizeof *map);
    for (int32_t id = 0; id < n; id++) {
        map[id] = id < TOK_FIRST ? id : TOK_UNK;
    }
    // a new table: the reserved names, then the kept types in order
    LabStrTab tab = {0};
    size_t nbytes = 0;
    for (int32_t id = 0; id < TOK_FIRST; id++) {
        nbytes += v->len[id] + 1;
    }
    for (int32_t i = 0; i < kept; i++) {
        nbytes += v->len[order[i]] + 1;
    }
    lab_strtab_reserve(&tab, kept + TOK_FIRST, nbytes);
    long long *count = lab_malloc(((size_t)kept + TOK_FIRST) * sizeof *count);
    for (int32_t id = 0; id < TOK_FIRST; id++) {
        lab_strtab_append(&tab, v->str[id], v->len[id]);
        count[id] = v->count[id];
    }
    count[TOK_UNK] += unk;
    for (int32_t i = 0; i < kept; i++) {
        int32_t old = order[i];
        map[old] = TOK_FIRST + i;
        lab_strtab_add(&tab, v->str[old], v->len[old]);
        count[TOK_FIRST + i] = v->count[old];
    }
    free(order);
    vocab_free(v);
    v->tab = tab;
    v->count = count;
    v->cap = kept + TOK_FIRST;
    v->n = kept + TOK_FIRST;
    v->str = lab_malloc((size_t)v->cap * sizeof *v->str);
    v->len = lab_malloc((size_t)v->cap * sizeof *v->len);
    sync_views(v);
    return map;
}

void vocab_prune_sort(Vocab *v, long long min_count)
{
    free(prune_sort_map(v, min_count));
}

int32_t *vocab_prune_sort_map(Vocab *v, long long min_count)
{
    return prune_sort_map(v, min_count);
}

int vocab_save(const Vocab *v, const char *path)
{
    LabAtomic a;
    if (lab_atomic_open(&a, path) != 0) {
        return -1;
    }
    fprintf(a.f, "# lmlab vocab 1: id, token (escaped), training count\n");
    for (int32_t id = 0; id < v->n; id++) {
        char *e = id < TOK_FIRST ? lab_strdup(v->str[id]) : tok_escape(v->str[id], v->len[id]);
        fprintf(a.f, "%d\t%s\t%lld\n", id, e, v->count[id]);
        free(e);
    }
    if (lab_atomic_commit(&a) != 0) {
        return -1;
    }
    if (!v->bpe) {
        return 0;
    }
    // the tokenizer beside the vocabulary: DIR/bpe for DIR/vocab.txt
    const char *slash = strrchr(path, '/');
    char *dir = slash ? lab_strndup(path, (size_t)(slash - path)) : lab_strdup(".");
    char *bdir = lab_path_join(dir, "bpe");
    int rc = bpe_save(v->bpe, bdir);
    free(bdir);
    free(dir);
    return rc;
}

// A whole decimal number in [0, max] at s, ending at end (a NUL or a tab); -1 if it is not one.
static long long parse_field(const char *s, long long max)
{
    if (*s < '0' || *s > '9') {
        return -1;
    }
    long long x = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (x > (max - (*s - '0')) / 10) {
            return -1;
        }
        x = 10 * x + (*s - '0');
    }
    return *s == '\0' || *s == '\t' ? x : -1;
}

// Reads a vocab.txt as untrusted input: '#' comment lines and blank lines are skipped; every
// other line is 'id<TAB>token<TAB>count' with whole decimal numbers, the reserved ids spelled
// as vocab_init spells them, the other ids in order from TOK_FIRST, tokens escaped
// (tok_escape), non-empty and unique. Memory grows with the lines read, never with a number
// read. A byte-order mark, a malformed line, an id out of order, or a repeated token is an
// error naming the file and line; v is then freed.
int vocab_load(Vocab *v, const char *path)
{
    char *data;
    size_t len;
    char q[48];
    if (lab_read_file(path, &data, &len, 0) != 0) {
        return -1;
    }
    vocab_init(v);
    if (memchr(data, '\0', len)) {
        lab_error("'%s' is not a vocabulary file (it holds NUL bytes)", path);
        goto fail;
    }
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
        lab_error("'%s' starts with a UTF-8 byte-order mark (EF BB BF); lmlab writes none",
                  path);
        goto fail;
    }
    long long lineno = 0;
    char *cursor = data;
    for (char *line; (line = lab_next_line(&cursor));) {
        lineno++;
        if (line[0] == '#' || line[0] == '\0') {
            continue;
        }
        char *t1 = strchr(line, '\t');
        char *t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        long long id = parse_field(line, INT32_MAX - 1);
        long long count = t2 ? parse_field(t2 + 1, LLONG_MAX) : -1;
        if (!t1 || !t2 || id < 0 || count < 0 || strchr(t2 + 1, '\t')) {
            lab_error("'%s' line %lld: expected 'id<TAB>token<TAB>count', got '%s'", path,
                      lineno, lab_quote(q, sizeof q, line, strlen(line)));
            goto fail;
        }
        *t2 = '\0';
        char *tok = t1 + 1;
        if (id < TOK_FIRST) {
            if (strcmp(tok, v->str[id]) != 0) {
                lab_error("'%s' line %lld: id %lld must be '%s'", path, lineno, id, v->str[id]);
                goto fail;
            }
            v->count[id] = count;
            continue;
        }
        if (id != v->n) {
            lab_error("'%s' line %lld: id %lld out of order (expected %d)", path, lineno, id,
                      v->n);
            goto fail;
        }
        size_t n = tok_unescape(tok);
        if (n == 0 || vocab_find(v, tok, n) >= 0) {
            lab_error("'%s' line %lld: empty or repeated token '%s'", path, lineno,
                      lab_quote(q, sizeof q, tok, n));
            goto fail;
        }
        vocab_add(v, tok, n);
        v->count[id] = count;
    }
    free(data);
    return 0;
fail:
    free(data);
    vocab_free(v);
    return -1;
}

// --- detokenizing -----------------------------------------------------------------------------

// 1 when s[0..len) is one character of a CJK block (ideographs, compatibility, full width)
static int is_cjk(const char *s, uint32_t len)
{
    uint32_t cp;
    if (utf8_decode((const unsigned char *)s, len, &cp) != (int)len) {
        return 0;
    }
    return (cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
           (cp >= 0xFF00 && cp <= 0xFFEF) || (cp >= 0x20000 && cp <= 0x2FFFF);
}

// a BPE token's string as the bytes it stands for (the string itself if it is none)
static void print_bpe_token(FILE *f, const char *s, uint32_t len)
{
    char buf[1024];
    if (len < sizeof buf) {
        memcpy(buf, s, len);
        long n = bpe_string_bytes(buf, len);
        if (n >= 0) {
            fwrite(buf, 1, (size_t)n, f);
            return;
        }
    }
    fwrite(s, 1, len, f);
}

void vocab_print_tokens(FILE *f, const Vocab *v, const int32_t *ids, long n, TokKind kind)
{
    for (long i = 0; i < n; i++) {
        int32_t id = ids[i];
        if (kind == TOK_BPE) {
            if (id < TOK_FIRST) {
                fwrite(v->str[id], 1, v->len[id], f);
            } else {
                print_bpe_token(f, v->str[id], v->len[id]);
            }
            continue;
        }
        if (kind == TOK_WORD && i > 0) {
            int32_t prev = ids[i - 1];
            int glue = is_cjk(v->str[prev], v->len[prev]) && is_cjk(v->str[id], v->len[id]);
            if (!glue) {
                fputc(' ', f);
            }
        }
        fwrite(v->str[id], 1, v->len[id], f);
    }
}

// --- prompts --------------------------------------------------------------------------------

typedef struct {
    const Vocab *v;
    int32_t *ids;
    long n, cap;
    long unknown;
} PromptIds;

static void prompt_id(const char *tok, size_t len, void *ctx)
{
    PromptIds *l = ctx;
    int32_t id = vocab_find(l->v, tok, len);
    if (id < 0) {
        id = TOK_UNK;
        l->unknown++;
    }
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 64;
        l->ids = lab_realloc(l->ids, (size_t)l->cap * sizeof *l->ids);
    }
    l->ids[l->n++] = id;
}

int vocab_encode_prompt(const Vocab *v, Tokenizer *t, const char *text, int32_t **ids, long *n)
{
    PromptIds l = {.v = v};
    if (tok_split(t, text, strlen(text), prompt_id, &l) != 0) {
        free(l.ids);
        return -1;
    }
    if (l.unknown) {
        lab_note("%ld prompt token%s not in the model's vocabulary (read as <unk>)", l.unknown,
                 l.unknown == 1 ? " is" : "s are");
    }
    *ids = l.ids;
    *n = l.n;
    return 0;
}
