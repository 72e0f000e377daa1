// fuzz.h: what every fuzz target shares. libFuzzer hands a target bytes; the lab's readers
// take paths, so the bytes are written to one temporary file per process, and the reader
// reads that. Messages the readers print for refused input are silenced (-close_fd_mask=2 in
// the Makefile), so a run shows only libFuzzer's own report.
#ifndef TESTS_FUZZ_H
#define TESTS_FUZZ_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lab/lab.h"

static char fuzz_path[64];

static void fuzz_cleanup(void)
{
    if (fuzz_path[0]) {
        unlink(fuzz_path);
    }
}

// Writes data[0..size) to this process's temporary file and returns its path.
static const char *fuzz_file(const uint8_t *data, size_t size)
{
    if (!fuzz_path[0]) {
        // in memory where the system has a tmpfs there: a write per input
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fuzz_path, sizeof fuzz_path, "%s/lmlab-fuzz-XXXXXX", dir);
        int fd = mkstemp(fuzz_path);
        if (fd < 0) {
            perror("mkstemp");
            abort();
        }
        close(fd);
        atexit(fuzz_cleanup);
    }
    FILE *f = fopen(fuzz_path, "wb");
    if (!f || fwrite(data, 1, size, f) != size || fclose(f) != 0) {
        perror(fuzz_path);
        abort();
    }
    return fuzz_path;
}

#endif
