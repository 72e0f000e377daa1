// bench_matmul.c: nn_sgemm against OpenBLAS's sgemm on the shapes the neural models multiply,
// in GFLOP/s and as a fraction of this machine's measured FMA peak (bench/fma_peak.c).
//
//   make bench-matmul        (part of make bench; writes its section of docs/benchmarks.md)
//   build/bench/bench_matmul [ROUNDS]   prints the markdown section to stdout
//
// OpenBLAS is loaded at run time (dlopen of libopenblas.so.0, Debian's libopenblas0-pthread),
// so the comparison needs no second build; without it only nn_sgemm is timed. nn_sgemm,
// OpenBLAS and the FMA peak loop are timed in turn, ROUNDS (default 5) times each on every
// shape and thread count, and medians are reported: other processes on the machine slow all
// three alike, not one of them, and the fraction of peak compares timings made side by side.
// One timing is a batch of calls of at least 0.1 s, after one untimed warm-up call (which also
// grows nn_sgemm's per-thread packing buffers). The one-thread timings are also reported by
// the thread's CPU time, which does not count the time other processes held the core.
// Left out: double precision, batched products, shapes the models do not use.
#define FMA_PEAK_NO_MAIN
#include "bench/fma_peak.c"

#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lab/lab.h"
#include "nn/nn.h"

// --- OpenBLAS through dlopen ----------------------------------------------------------------

// cblas_sgemm's row-major form: order 101, no transpose 111, transpose 112 (cblas.h)
typedef void (*CblasSgemm)(int order, int ta, int tb, int M, int N, int K, float alpha,
                           const float *A, int lda, const float *B, int ldb, float beta, float *C,
                           int ldc);
static CblasSgemm blas_sgemm;
static void (*blas_set_threads)(int);
static char *(*blas_config)(void);

static int blas_open(void)
{
    const char *names[] = {"libopenblas.so.0", "libopenblas.so"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        void *h = dlopen(names[i], RTLD_NOW | RTLD_LOCAL);
        if (h == NULL) {
            continue;
        }
        blas_sgemm = (CblasSgemm)dlsym(h, "cblas_sgemm");
        blas_set_threads = (void (*)(int))dlsym(h, "openblas_set_num_threads");
        blas_config = (char *(*)(void))dlsym(h, "openblas_get_config");
        if (blas_sgemm != NULL && blas_set_threads != NULL) {
            return 0;
        }
        dlclose(h);
    }
    blas_sgemm = NULL;
    return -1;
}

// --- shapes -------------------------------------------------------------------------------------

typedef struct {
    const char *what;
    int ta, tb, M, N, K;
} Shape;

// B * T = 2048 positions; an LSTM of C = 256 inputs whose four gates make 1024 outputs; a
// character head of V = 65 over H = 512; a square product for comparison with other reports.
static const Shape shapes[] = {
    {"LSTM gates, forward: inp @ W^T", 0, 1, 2048, 1024, 256},
    {"LSTM gates, dinp = dout @ W", 0, 0, 2048, 256, 1024},
    {"LSTM gates, dW += dout^T @ inp", 1, 0, 1024, 256, 2048},
    {"char head, forward: h @ W^T", 0, 1, 2048, 65, 512},
    {"char head, dh = dlogits @ W", 0, 0, 2048, 512, 65},
    {"char head, dW += dlogits^T @ h", 1, 0, 65, 512, 2048},
    {"square", 0, 0, 1024, 1024, 1024},
};

typedef struct {
    const Shape *s;
    float *A, *B, *C;
} Problem;

static void run(const Problem *p, int blas)
{
    const Shape *s = p->s;
    int lda = s->ta ? s->M : s->K, ldb = s->tb ? s->K : s->N;
    if (blas) {
        blas_sgemm(101, s->ta ? 112 : 111, s->tb ? 112 : 111, s->M, s->N, s->K, 1.0f, p->A, lda,
                   p->B, ldb, 0.0f, p->C, s->N);
    } else {
        nn_sgemm(s->ta, s->tb, s->M, s->N, s->K, 1.0f, p->A, lda, p->B, ldb, 0.0f, p->C, s->N);
    }
}

// seconds this thread has run on a CPU: unlike the wall clock, it does not count the time
// other processes held the core (one thread's work only: with 1 thread, both libraries run
// in the calling thread)
static double thread_cpu_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

// GFLOP/s of one batch of calls lasting at least 0.1 s, by the wall clock and, in *cpu, by
// the calling thread's CPU time
static double time_batch(const Problem *p, int blas, double *cpu)
{
    double flops = 2.0 * p->s->M * p->s->N * p->s->K;
    int reps = 0;
    double t0 = lab_now(), c0 = thread_cpu_time(), t;
    do {
        run(p, blas);
        reps++;
        t = lab_now() - t0;
    } while (t < 0.1);
    *cpu = flops * reps / (thread_cpu_time() - c0) / 1e9;
    return flops * reps / t / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

static void cpu_model(char *out, size_t n)
{
    snprintf(out, n, "unknown CPU");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f == NULL) {
        return;
    }
    char line[512];
    while (fgets(line, sizeof line, f)) {
        char *colon = strchr(line, ':');
        if (strncmp(line, "model name", 10) == 0 && colon != NULL) {
            colon += 2;
            colon[strcspn(colon, "\n")] = '\0';
            snprintf(out, n, "%s", colon);
            break;
        }
    }
    fclose(f);
}

static double loadavg(void)
{
    double l = -1.0;
    FILE *f = fopen("/proc/loadavg", "r");
    if (f != NULL) {
        if (fscanf(f, "%lf", &l) != 1) {
            l = -1.0;
        }
        fclose(f);
    }
    return l;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 5;
    if (rounds < 1 || rounds > 100) {
        fprintf(stderr, "usage: bench_matmul [ROUNDS]  (1..100, default 5)\n");
        return 2;
    }
    int have_blas = blas_open() == 0;
    if (!have_blas) {
        fprintf(stderr, "lmlab: note: cannot load libopenblas.so.0; timing nn_sgemm alone\n"
                        "  hint: 'apt-get install libopenblas0-pthread' (make bench-matmul "
                        "installs it)\n");
    }
    int nthreads = omp_get_num_procs() < 2 ? 1 : 2;
    double load0 = loadavg();
    long peak_iters = fma_peak_calibrate(0.1);

    enum { NSHAPES = sizeof shapes / sizeof shapes[0] };
    // results[t][shape]: median GFLOP/s of nn_sgemm, OpenBLAS, the peak loop
    double res[3][NSHAPES][3] = {{{0}}};
    double res_cpu[NSHAPES][3] = {{0}}; // the same on one thread, by thread CPU time
    double peak_samples[3][NSHAPES * 100], peak_best[3] = {0};
    int npeak[3] = {0};
    LabRng rng;
    lab_rng_seed(&rng, 1);
    for (int t = 1; t <= nthreads; t++) {
        omp_set_num_threads(t);
        if (have_blas) {
            blas_set_threads(t);
        }
        for (int i = 0; i < NSHAPES; i++) {
            const Shape *s = &shapes[i];
            Problem p = {s, lab_malloc((size_t)s->M * s->K * sizeof(float)),
                         lab_malloc((size_t)s->K * s->N * sizeof(float)),
                         lab_malloc((size_t)s->M * s->N * sizeof(float))};
            for (size_t e = 0; e < (size_t)s->M * s->K; e++) {
                p.A[e] = (float)lab_rng_uniform(&rng) - 0.5f;
            }
            for (size_t e = 0; e < (size_t)s->K * s->N; e++) {
                p.B[e] = (float)lab_rng_uniform(&rng) - 0.5f;
            }
            fprintf(stderr, "bench_matmul: %s, %d thread(s)\n", s->what, t);
            double ours[100], theirs[100], peak[100], cpug[3][100] = {{0}};
            run(&p, 0);
            if (have_blas) {
                run(&p, 1);
            }
            for (int r = 0; r < rounds; r++) {
                ours[r] = time_batch(&p, 0, &cpug[0][r]);
                theirs[r] = have_blas ? time_batch(&p, 1, &cpug[1][r]) : 0.0;
                double c0 = thread_cpu_time();
                peak[r] = fma_peak_run(t, peak_iters);
                double c = thread_cpu_time() - c0;
                cpug[2][r] = 2.0 * PEAK_VW * CHAINS * (double)peak_iters / c / 1e9;
                peak_samples[t][npeak[t]++] = peak[r];
                peak_best[t] = peak[r] > peak_best[t] ? peak[r] : peak_best[t];
            }
            res[t][i][0] = median(ours, rounds);
            res[t][i][1] = have_blas ? median(theirs, rounds) : 0.0;
            res[t][i][2] = median(peak, rounds);
            for (int k = 0; t == 1 && k < 3; k++) {
                res_cpu[i][k] = median(cpug[k], rounds);
            }
            free(p.A);
            free(p.B);
            free(p.C);
        }
    }

    char cpu[256], date[32];
    cpu_model(cpu, sizeof cpu);
    time_t now = time(NULL);
    strftime(date, sizeof date, "%Y-%m-%d", localtime(&now));
    printf("## matmul: nn_sgemm against OpenBLAS\n\n");
    printf("`make bench-matmul` (`build/bench/bench_matmul`), %s, %s, %d cores, "
           "gcc -O2 -march=native, %s kernel%s.\n",
           date, cpu, omp_get_num_procs(), PEAK_ISA,
#ifdef NN_BLAS_OPENBLAS
           " (this build's nn_sgemm is OpenBLAS: make BLAS=openblas)"
#else
           ""
#endif
    );
    printf("OpenBLAS: %s.\n", have_blas ? (blas_config ? blas_config() : "loaded")
                                        : "not found, not timed");
    printf("Peak: the FMA loop of `bench/fma_peak.c` (%d chains of %d floats a thread), timed "
           "between the products: ",
           CHAINS, PEAK_VW);
    for (int t = 1; t <= nthreads; t++) {
        printf("median %.1f, best %.1f GFLOP/s on %d thread%s%s", median(peak_samples[t], npeak[t]),
               peak_best[t], t, t > 1 ? "s" : "", t < nthreads ? "; " : ".\n");
    }
    printf("Each figure is the median of %d timings, nn_sgemm, OpenBLAS and the peak loop taking "
           "turns; a timing is a batch of calls of at least 0.1 s. %% peak is a product's median "
           "over the peak loop's median in the same turns, on the same thread count; the last "
           "column is nn_sgemm's speed over OpenBLAS's.\n\n",
           rounds);
    printf("| product | op | M x N x K | threads | nn_sgemm GFLOP/s | %% peak | "
           "OpenBLAS GFLOP/s | %% peak | nn / OpenBLAS |\n");
    printf("|---|---|---|---:|---:|---:|---:|---:|---:|\n");
    for (int t = 1; t <= nthreads; t++) {
        for (int i = 0; i < NSHAPES; i++) {
            const Shape *s = &shapes[i];
            double g = res[t][i][0], gb = res[t][i][1], pk = res[t][i][2];
            char op[3] = {s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', '\0'};
            printf("| %s | %s | %d x %d x %d | %d | %.1f | %.0f%% |", s->what, op, s->M, s->N,
                   s->K, t, g, 100.0 * g / pk);
            if (have_blas) {
                printf(" %.1f | %.0f%% | %.2f |\n", gb, 100.0 * gb / pk, g / gb);
            } else {
                printf(" - | - | - |\n");
            }
        }
    }
    printf("\nOne thread again, by the thread's CPU time instead of the wall clock (the same "
           "timings): time during which another process held the core is not counted, so these "
           "figures move less with the machine's load.\n\n");
    printf("| product | op | M x N x K | nn_sgemm GFLOP/s | %% peak | OpenBLAS GFLOP/s | "
           "%% peak | nn / OpenBLAS |\n");
    printf("|---|---|---|---:|---:|---:|---:|---:|\n");
    for (int i = 0; i < NSHAPES; i++) {
        const Shape *s = &shapes[i];
        double g = res_cpu[i][0], gb = res_cpu[i][1], pk = res_cpu[i][2];
        char op[3] = {s->ta ? 'T' : 'N', s->tb ? 'T' : 'N', '\0'};
        printf("| %s | %s | %d x %d x %d | %.1f | %.0f%% |", s->what, op, s->M, s->N, s->K, g,
               100.0 * g / pk);
        if (have_blas) {
            printf(" %.1f | %.0f%% | %.2f |\n", gb, 100.0 * gb / pk, g / gb);
        } else {
            printf(" - | - | - |\n");
        }
    }
    double load1 = loadavg(), load = load0 > load1 ? load0 : load1;
    printf("\nLoad average (1 minute): %.2f before, %.2f after", load0, load1);
    if (load > omp_get_num_procs() + 0.5) {
        printf(": other processes shared the cores, so every figure (the peak too) is below "
               "what an idle machine gives.\n");
    } else {
        printf(".\n");
    }
    return 0;
}
