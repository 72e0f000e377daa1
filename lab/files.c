// files.c: reading whole files, making directories, atomic writes.
#include "lab.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

// A file name as a message shows it (control bytes and bytes that are not UTF-8 as \xHH).
#define QP(buf, s) lab_quote(buf, sizeof buf, s, strlen(s))

static const char *file_kind(mode_t m)
{
    return S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device"
           : S_ISSOCK(m) ? "a socket" : "not a regular file";
}

// A buffer for a file of cap bytes. A large one asks for 2 MB pages (a hint the kernel may
// decline): reading fills every page, and a fault per 4 KB page was a sixth of the time of
// loading a 100 MB ARPA file. Freed by free(); NULL when memory is short.
static char *read_buffer(size_t cap)
{
    const size_t huge = (size_t)2 << 20;
    void *p;
    if (cap >= 2 * huge) {
        size_t bytes = (cap + huge - 1) / huge * huge;
        if (posix_memalign(&p, huge, bytes) != 0) {
            return NULL;
        }
        madvise(p, bytes, MADV_HUGEPAGE);
        return p;
    }
    return malloc(cap);
}

int lab_read_file(const char *path, char **data, size_t *len, size_t max_bytes)
{
    *data = NULL;
    *len = 0;
    char q[512];
    if (max_bytes == 0 || max_bytes > LAB_READ_MAX) {
        max_bytes = LAB_READ_MAX;
    }
    struct stat st;
    if (stat(path, &st) != 0) {
        return lab_error("cannot open '%s': %s", QP(q, path), strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) {
        return lab_error("'%s' is a directory, not a file", QP(q, path));
    }
    // a device such as /dev/zero or /dev/urandom never ends: only files and pipes are read
    if (!S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) {
        return lab_error_hint("give a text file, or a pipe such as <(zcat corpus.gz)",
                              "'%s' is %s, not a file", QP(q, path), file_kind(st.st_mode));
    }
    if (S_ISREG(st.st_mode) && (unsigned long long)st.st_size > max_bytes) {
        return lab_error("'%s' is larger than %zu bytes (%lld), the most this reader takes",
                         QP(q, path), max_bytes, (long long)st.st_size);
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        return lab_error("cannot open '%s': %s", QP(q, path), strerror(errno));
    }
    // a pipe has no size: it grows by doubling, and never past max_bytes + 1
    size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size + 1 : 1 << 16;
    char *buf = read_buffer(cap);
    size_t n = 0;
    for (;;) {
        if (!buf) {
            fclose(f);
            return lab_error("cannot read '%s': out of memory (%zu bytes)", QP(q, path), cap);
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
            return lab_error("'%s' is larger than %zu bytes, the most this reader takes",
                             QP(q, path), max_bytes);
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
        return lab_error("cannot read '%s': %s", QP(q, path), strerror(err));
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
                char q[512];
                lab_error("cannot create directory '%s': %s", QP(q, p), strerror(err));
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
        char q[512];
        return lab_error("'%s' exists and is not a directory", QP(q, dir));
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

// --- temporaries removed on SIGINT, SIGTERM and SIGHUP ----------------------------------------
// A static table, so the handler touches no heap: a slot's path is written before the slot is
// marked live, and the handler reads only live slots of this process (a child between fork and
// exec inherits the table and the handler, and must not remove its parent's files).

#define TMP_SLOTS 64

static char tmp_path[TMP_SLOTS][PATH_MAX];
static volatile sig_atomic_t tmp_live[TMP_SLOTS];
static pid_t tmp_owner;

static void on_fatal_signal(int sig)
{
    if (getpid() == tmp_owner) {
        for (int i = 0; i < TMP_SLOTS; i++) {
            if (tmp_live[i]) {
                unlink(tmp_path[i]);
            }
        }
    }
    // then die of the signal, as without the handler: the parent sees the same status
    signal(sig, SIG_DFL);
    raise(sig);
}

static void install_handlers(void)
{
    static const int sigs[] = {SIGINT, SIGTERM, SIGHUP};
    for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
        struct sigaction old, sa;
        // a signal the caller ignores (nohup) or handles itself stays as it is
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_DFL) {
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_fatal_signal;
            sigemptyset(&sa.sa_mask);
            sigaction(sigs[i], &sa, NULL);
        }
    }
}

int lab_tmp_register(const char *path)
{
    if (tmp_owner != getpid()) {
        // the first temporary of this process (or of a forked child that writes its own)
        for (int i = 0; i < TMP_SLOTS; i++) {
            tmp_live[i] = 0;
        }
        tmp_owner = getpid();
        install_handlers();
    }
    size_t n = strlen(path);
    for (int i = 0; i < TMP_SLOTS && n < PATH_MAX; i++) {
        if (!tmp_live[i]) {
            memcpy(tmp_path[i], path, n + 1);
            tmp_live[i] = 1;
            return i;
        }
    }
    return -1; // the table is full: the file is still written, only not removed on a signal
}

void lab_tmp_unregister(int slot)
{
    if (slot >= 0 && slot < TMP_SLOTS) {
        tmp_live[slot] = 0;
    }
}

int lab_tmp_clean_stale(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        return 0;
    }
    int removed = 0;
    for (struct dirent *e; (e = readdir(d));) {
        // NAME.tmp.PID with PID all digits: the temporaries of lab_atomic_open and plots
        const char *t = strstr(e->d_name, ".tmp.");
        if (!t || t == e->d_name) {
            continue;
        }
        const char *digits = t + 5;
        while (strstr(digits, ".tmp.")) {
            digits = strstr(digits, ".tmp.") + 5;
        }
        char *end;
        errno = 0;
        long pid = strtol(digits, &end, 10);
        if (*digits < '0' || *digits > '9' || *end || errno || pid <= 0 || pid > INT_MAX) {
            continue;
        }
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH) {
            continue; // alive (or not ours to ask about): perhaps another run writing here
        }
        char *path = lab_path_join(dir, e->d_name);
        if (unlink(path) == 0) {
            removed++;
            char q[128];
            lab_note("removed '%s', left by process %ld, which is gone",
                     QP(q, path), pid);
        }
        free(path);
    }
    closedir(d);
    return removed;
}

int lab_run_dir(const char *dir)
{
    if (lab_mkdir_p(dir) != 0) {
        return -1;
    }
    lab_tmp_clean_stale(dir);
    return 0;
}

int lab_atomic_open(LabAtomic *a, const char *path)
{
    a->path = lab_strdup(path);
    a->tmp = lab_asprintf("%s.tmp.%ld", path, (long)getpid());
    a->slot = lab_tmp_register(a->tmp);
    a->f = fopen(a->tmp, "wb");
    if (!a->f) {
        int err = errno;
        lab_tmp_unregister(a->slot);
        char q[512];
        lab_error("cannot write '%s': %s", QP(q, path), strerror(err));
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
        char q[512];
        lab_error("cannot write '%s': %s", QP(q, a->path), err ? strerror(err) : "write error");
        lab_atomic_abort(a);
        return -1;
    }
    // the hook of the interruption test: time to send a signal while the temporary exists
    const char *pause = getenv("LMLAB_TEST_COMMIT_PAUSE");
    if (pause && *pause) {
        sleep((unsigned)atoi(pause));
    }
    if (rename(a->tmp, a->path) != 0) {
        int err = errno;
        char q[512];
        lab_error("cannot write '%s': %s", QP(q, a->path), strerror(err));
        lab_atomic_abort(a);
        return -1;
    }
    lab_tmp_unregister(a->slot);
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
        lab_tmp_unregister(a->slot);
    }
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
}
