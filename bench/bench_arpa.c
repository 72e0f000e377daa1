// bench_arpa.c: how fast lmlab reads and writes an ARPA file, in MB/s of the file.
//
//   make build/bench/bench_arpa
//   build/bench/bench_arpa MODEL.arpa OUT.arpa [REPS] [char|word]
//
// Reads MODEL.arpa (ngram_arpa_read), reads it again line after line (ngram_arpa_read_serial,
// the path taken by files the parallel one does not handle) and writes the model read to
// OUT.arpa (ngram_arpa_write), REPS times each (default 3), in turn, and prints one line of
// JSON with the medians: {"bytes": .., "read_s": .., "write_s": .., "read_mbs": ..,
// "write_mbs": .., "read_cpu_s": .., "write_cpu_s": .., "read_serial_s": ..,
// "read_serial_mbs": .., "read_serial_cpu_s": ..} (wall seconds, and the CPU seconds of all
// threads, which other processes on a loaded machine do not inflate as much).
// OUT.arpa is checked to hold the same bytes as MODEL.arpa when MODEL.arpa was written by
// lmlab ("same": 1; 0 otherwise). bench/bench_kenlm.py runs it on the trained models.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lab/lab.h"
#include "ngram/ngram.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int by_double(const void *pa, const void *pb)
{
    double a = *(const double *)pa, b = *(const double *)pb;
    return (a > b) - (a < b);
}

int main(int argc, char **argv)
{
    if (argc < 3 || argc > 5) {
        fprintf(stderr, "usage: bench_arpa MODEL.arpa OUT.arpa [REPS] [char|word]\n");
        return 2;
    }
    int reps = argc > 3 ? atoi(argv[3]) : 3;
    reps = reps < 1 ? 1 : reps > 50 ? 50 : reps;
    TokUnit unit = UNIT_LINE;
    (void)(argc > 4 ? argv[4] : NULL); // tokens are read as the file spells them either way
    double rd[50], wr[50], rc[50], wc[50], sd[50], sc[50];
    for (int r = 0; r < reps; r++) {
        NgramModel m;
        double c0 = cpu_now(), t0 = lab_now();
        if (ngram_arpa_read_serial(&m, argv[1], unit) != 0) {
            return 1;
        }
        sd[r] = lab_now() - t0;
        sc[r] = cpu_now() - c0;
        ngram_model_free(&m);
        c0 = cpu_now(), t0 = lab_now();
        if (ngram_arpa_read(&m, argv[1], unit) != 0) {
            return 1;
        }
        double c1 = cpu_now(), t1 = lab_now();
        if (ngram_arpa_write(&m, argv[2]) != 0) {
            return 1;
        }
        double c2 = cpu_now(), t2 = lab_now();
        ngram_model_free(&m);
        rd[r] = t1 - t0;
        wr[r] = t2 - t1;
        rc[r] = c1 - c0;
        wc[r] = c2 - c1;
    }
    char *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    if (lab_read_file(argv[1], &a, &na, 0) != 0 || lab_read_file(argv[2], &b, &nb, 0) != 0) {
        return 1;
    }
    int same = na == nb && memcmp(a, b, na) == 0;
    free(a);
    free(b);
    qsort(rd, (size_t)reps, sizeof *rd, by_double);
    qsort(wr, (size_t)reps, sizeof *wr, by_double);
    qsort(rc, (size_t)reps, sizeof *rc, by_double);
    qsort(wc, (size_t)reps, sizeof *wc, by_double);
    qsort(sd, (size_t)reps, sizeof *sd, by_double);
    qsort(sc, (size_t)reps, sizeof *sc, by_double);
    double r = rd[reps / 2], w = wr[reps / 2];
    printf("{\"bytes\": %zu, \"read_s\": %.4f, \"write_s\": %.4f, \"read_mbs\": %.1f, "
           "\"write_mbs\": %.1f, \"read_cpu_s\": %.4f, \"write_cpu_s\": %.4f, \"same\": %d, "
           "\"read_serial_s\": %.4f, \"read_serial_mbs\": %.1f, \"read_serial_cpu_s\": %.4f}\n",
           na, r, w, (double)na / r / 1e6, (double)na / w / 1e6, rc[reps / 2], wc[reps / 2],
           same, sd[reps / 2], (double)na / sd[reps / 2] / 1e6, sc[reps / 2]);
    return 0;
}
