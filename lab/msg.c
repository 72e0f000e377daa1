// msg.c: messages, errors and checked allocation.
#include "lab.h"

#include <stdlib.h>
#include <string.h>

int lab_quiet = 0;

static void vmessage(const char *prefix, const char *hint, const char *fmt, va_list ap)
{
    fprintf(stderr, "lmlab: %s", prefix);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    if (hint) {
        fprintf(stderr, "  hint: %s\n", hint);
    }
}

void lab_die(const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("", hint, fmt, ap);
    va_end(ap);
    exit(1);
}

int lab_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("", NULL, fmt, ap);
    va_end(ap);
    return -1;
}

int lab_error_hint(const char *hint, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmessage("", hint, fmt, ap);
    va_end(ap);
    return -1;
}

void lab_note(const char *fmt, ...)
{
    if (lab_quiet) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    vmessage("note: ", NULL, fmt, ap);
    va_end(ap);
}

// --- checked allocation -------------------------------------------------------------------

static void out_of_memory(size_t size)
{
    lab_die("a smaller corpus, order or model needs less", "out of memory (asked for %zu bytes)",
            size);
}

void *lab_malloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        out_of_memory(size);
    }
    return p;
}

void *lab_calloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (!p) {
        out_of_memory(count * size);
    }
    return p;
}

void *lab_realloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p) {
        out_of_memory(size);
    }
    return p;
}

char *lab_strndup(const char *s, size_t n)
{
    char *d = lab_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *lab_strdup(const char *s)
{
    return lab_strndup(s, strlen(s));
}

char *lab_asprintf(const char *fmt, ...)
{
    va_list ap, ap2;
    va_start(ap, fmt);
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = lab_malloc((size_t)n + 1);
    vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    return s;
}
