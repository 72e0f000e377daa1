// files.c: reading whole files, making directories, atomic writes.
#include "lab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *file_kind(mode_t m)
{
    return S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
           : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

int lab_read_file(const char *path, char **data, size_t *len, size_t max_bytes)
{
    *data = NULL;
    *len = 0;
    if (max_bytes == 0 || max_bytes > LAB_READ_MAX) {
        max_bytes = LAB_READ_MAX;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        return lab_error("cannot open '%s': %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        return lab_error("'%s' is a directory, not a file", path);
    }
    // a device such as /dev/zero or /dev/urandom never ends: only files and pipes are read
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        return lab_error_hint("give a text file, or a pipe such as <(zcat corpus.gz)",
                              "'%s' is %s, not a file", path, file_kind(st.st_mode));
    }
    if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max_bytes) {
        return lab_error("'%s' is larger than %zu bytes (%lld), the most this reader takes", path,
                         max_bytes, (long long)st.st_size);
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        return lab_error("cannot open '%s': %s", path, strerror(errno));
    }
    // a pipe has no size: it grows by doubling, and never past max_bytes + 1
    size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 1 << 16;
    char *buf = malloc(cap);
    size_t n = 0;
    for (;;) {
        if (!buf) {
            fclose(f);
            return lab_error("cannot read '%s': out of memory (%zu bytes)", path, cap);
        }
        if (n + 1 >= cap) {
            size_t want = cap > (max_bytes + 2) / 2 ? max_bytes + 2 : 2 * cap;
            char *grown = realloc(buf, want);
            if (!grown) {
                free(buf);
                buf = NULL;
                cap = want;
                continue;
            }
            buf = grown;
            cap = want;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (n > max_bytes) {
            fclose(f);
            free(buf);
            return lab_error("'%s' is larger than %zu bytes, the most this reader takes", path,
                             max_bytes);
        }
        if (got == 0) {
            break;
        }
    }
    int failed = ferror(f);
    int err = errno;
    fclose(f);
    if (failed) {
        free(buf);
        return lab_error("cannot read '%s': %s", path, strerror(err));
    }
    buf[n] = '\0';
    *data = buf;
    *len = n;
    return 0;
}

char *lab_next_line(char **cursor)
{
    char *line = *cursor;
    if (!line || !*line) {
        return NULL;
    }
    char *nl = strchr(line, '\n');
    if (nl) {
        *nl = '\0';
        *cursor = nl + 1;
    } else {
        *cursor = line + strlen(line);
    }
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\r') {
        line[n - 1] = '\0';
    }
    return line;
}

int lab_mkdir_p(const char *dir)
{
    if (dir[0] == '\0') {
        return lab_error("cannot create a directory with an empty name");
    }
    char *p = lab_strdup(dir);
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                int err = errno;
                lab_error("cannot create directory '%s': %s", p, strerror(err));
                free(p);
                return -1;
            }
            *s = c;
            if (c == '\0') {
                break;
            }
        }
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        free(p);
        return lab_error("'%s' exists and is not a directory", dir);
    }
    free(p);
    return 0;
}

char *lab_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    if (n > 0 && dir[n - 1] == '/') {
        return lab_asprintf("%s%s", dir, name);
    }
    return lab_asprintf("%s/%s", dir, name);
}

int lab_atomic_open(LabAtomic *a, const char *path)
{
    a->path = lab_strdup(path);
    a->tmp = lab_asprintf("%s.tmp.%ld", path, (long)getpid());
    a->f = fopen(a->tmp, "wb");
    if (!a->f) {
        int err = errno;
        lab_error("cannot write '%s': %s", path, strerror(err));
        free(a->path);
        free(a->tmp);
        a->path = a->tmp = NULL;
        return -1;
    }
    return 0;
}

int lab_atomic_commit(LabAtomic *a)
{
    int bad = ferror(a->f);
    if (fclose(a->f) != 0) {
        bad = 1;
    }
    a->f = NULL;
    if (bad) {
        int err = errno;
        lab_error("cannot write '%s': %s", a->path, err ? strerror(err) : "write error");
        lab_atomic_abort(a);
        return -1;
    }
    if (rename(a->tmp, a->path) != 0) {
        int err = errno;
        lab_error("cannot write '%s': %s", a->path, strerror(err));
        lab_atomic_abort(a);
        return -1;
    }
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    return 0;
}

void lab_atomic_abort(LabAtomic *a)
{
    if (a->f) {
        fclose(a->f);
        a->f = NULL;
    }
    if (a->tmp) {
        unlink(a->tmp);
    }
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
}
