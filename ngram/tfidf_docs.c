// tfidf_docs.c: the documents of TF-IDF: a file split into lines or one document per file of
// a directory.
//
// It leaves out what a document means (tokenizing: tfidf_terms.c) and everything after.
#include "ngram/tfidf.h"

#include <dirent.h>
#include <errno.h>
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
