// fma_peak.c: this machine's single-precision peak, measured: a loop of fused multiply-adds on
// 1 and 2 threads, with nothing else in it.
//
//   make build/bench/fma_peak && build/bench/fma_peak
//
// Each thread runs CHAINS independent accumulator chains of vector FMAs. A core issues up to two
// FMAs a cycle (Zen 3/4, Skylake-X and later), each with a latency of 4 cycles, so at least
// 2 x 4 = 8 chains must be in flight to keep both units busy; CHAINS = 12 leaves room for a
// latency of 5 or 6 and still fits the 16 registers of AVX2 with the two multiplicands.
// The vector width is the widest the build targets (-march=native): 16 floats with AVX-512,
// 8 with AVX2, else the compiler's scalar code. FLOPs count 2 per lane per FMA.
//
// bench_matmul.c includes this file with FMA_PEAK_NO_MAIN for fma_peak_calibrate() and
// fma_peak_run(), and times the peak between its products.
#include <omp.h>
#include <stdio.h>

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>
#endif

#define CHAINS 12

#if defined(__AVX512F__)
#define PEAK_ISA "AVX-512"
#define PEAK_VW 16
typedef __m512 PeakVec;
#define PEAK_SET1(x) _mm512_set1_ps(x)
#define PEAK_FMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
static float peak_sum(PeakVec v)
{
    return _mm512_reduce_add_ps(v);
}
#elif defined(__AVX2__) && defined(__FMA__)
#define PEAK_ISA "AVX2+FMA"
#define PEAK_VW 8
typedef __m256 PeakVec;
#define PEAK_SET1(x) _mm256_set1_ps(x)
#define PEAK_FMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
static float peak_sum(PeakVec v)
{
    float f[8];
    _mm256_storeu_ps(f, v);
    return f[0] + f[1] + f[2] + f[3] + f[4] + f[5] + f[6] + f[7];
}
#else
#define PEAK_ISA "scalar"
#define PEAK_VW 1
typedef float PeakVec;
#define PEAK_SET1(x) (x)
#define PEAK_FMA(a, b, c) ((a) * (b) + (c))
static float peak_sum(PeakVec v)
{
    return v;
}
#endif

// iters x CHAINS FMAs on one thread; the result is returned so the loop cannot be removed
static float peak_loop(long iters, float seed)
{
    PeakVec acc[CHAINS];
    for (int i = 0; i < CHAINS; i++) {
        acc[i] = PEAK_SET1(seed + (float)i);
    }
    // a * x + b with a just under 1 keeps every chain bounded: no overflow, no denormals
    PeakVec a = PEAK_SET1(0.999999f), b = PEAK_SET1(1e-6f);
    for (long it = 0; it < iters; it++) {
#pragma GCC unroll 12
        for (int i = 0; i < CHAINS; i++) {
            acc[i] = PEAK_FMA(acc[i], a, b);
        }
    }
    float s = 0.0f;
    for (int i = 0; i < CHAINS; i++) {
        s += peak_sum(acc[i]);
    }
    return s;
}

// iterations of peak_loop that take about `seconds` on one thread
static long fma_peak_calibrate(double seconds)
{
    long iters = 1 << 16;
    for (;;) {
        double t0 = omp_get_wtime();
        volatile float sink = peak_loop(iters, 1.0f);
        (void)sink;
        double t = omp_get_wtime() - t0;
        if (t > seconds / 4 || iters > (1L << 40)) {
            return (long)(iters * (seconds / (t > 0 ? t : 1e-9))) + 1;
        }
        iters *= 4;
    }
}

// GFLOP/s of `threads` threads each running iters iterations at once: one timing
static double fma_peak_run(int threads, long iters)
{
    double t0 = omp_get_wtime();
    float total = 0.0f;
#pragma omp parallel num_threads(threads) reduction(+ : total)
    total += peak_loop(iters, (float)omp_get_thread_num());
    double t = omp_get_wtime() - t0;
    volatile float sink = total;
    (void)sink;
    return 2.0 * PEAK_VW * CHAINS * (double)iters * threads / t / 1e9;
}

#ifndef FMA_PEAK_NO_MAIN
int main(void)
{
    int nmax = omp_get_num_procs();
    printf("single-precision FMA peak (%s, %d-float vectors, %d chains), best of 5:\n", PEAK_ISA,
           PEAK_VW, CHAINS);
    long iters = fma_peak_calibrate(0.3);
    for (int t = 1; t <= nmax && t <= 2; t++) {
        // the best of 5: the loop has no cause to be slower than its best but other processes
        double best = 0.0;
        for (int r = 0; r < 5; r++) {
            double g = fma_peak_run(t, iters);
            best = g > best ? g : best;
        }
        printf("  %d thread%s: %.1f GFLOP/s\n", t, t > 1 ? "s" : "", best);
    }
    return 0;
}
#endif
