// helpers.h: small things the Criterion tests share (temporary directories, files, paths).
#ifndef TESTS_HELPERS_H
#define TESTS_HELPERS_H

#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/lab.h"

// The repository root: $LMLAB_ROOT (make sets it), else the working directory.
static inline char *test_path(const char *rel)
{
    const char *root = getenv("LMLAB_ROOT");
    return lab_asprintf("%s/%s", root && *root ? root : ".", rel);
}

// A fresh directory under $LMLAB_TEST_TMP (make sets it to build/tmp, emptied before each
// run, so tests leave nothing behind) or /tmp; the caller frees the string.
static inline char *test_tmpdir(void)
{
    const char *base = getenv("LMLAB_TEST_TMP");
    char *d = lab_asprintf("%s/lmlab-test-XXXXXX", base && *base ? base : "/tmp");
    cr_assert_not_null(mkdtemp(d), "mkdtemp failed");
    return d;
}

// Writes n bytes to dir/name and returns the path.
static inline char *test_write(const char *dir, const char *name, const char *data, size_t n)
{
    char *p = lab_path_join(dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f, "cannot write %s", p);
    fwrite(data, 1, n, f);
    fclose(f);
    return p;
}

static inline int test_rel_eq(double a, double b, double rel)
{
    if (a == b) {
        return 1;
    }
    return fabs(a - b) <= rel * fmax(fabs(a), fabs(b));
}

static inline int test_exists(const char *path)
{
    return access(path, F_OK) == 0;
}

#endif
