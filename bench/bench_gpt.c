// bench_gpt.c: one training step of the GPT (forward, backward, AdamW) timed. Not part of
// make test; bench/bench_gpt.py builds and runs it beside the same model in PyTorch.
//
//   build/bench/bench_gpt step L NH C T B V STEPS [auto|batch|ops]
//       STEPS AdamW steps (lr 1e-3, betas 0.9/0.95, decay 0.1 on nanoGPT's groups) on random
//       ids after 2 warm-up steps; prints "ms_per_step <median>" (wall clock),
//       "cpu_ms_per_step <median>" (CPU time of all threads), the parameter count, the last
//       loss and how the step was split ("parallel batch": one share of the batch per thread,
//       "parallel ops": every layer over the threads); auto (the default) is gpt_init's choice
//   build/bench/bench_gpt generate L NH C T V
//       greedy generation of T tokens from one, on random weights, twice: with the KV cache
//       (gpt_step: one position through the blocks per token) and without (a forward over the
//       whole prefix per token, as nanoGPT's generate does); prints "cache_tokens_per_s" and
//       "nocache_tokens_per_s", the best of 3 runs each
//   build/bench/bench_gpt peak
//       the FMA peak of 2 threads in GFLOP/s (bench/fma_peak.c's loop, best of 5)
//
// Build (after make): cc -O2 -march=native -fopenmp -I. bench/bench_gpt.c build/liblmlab.a
// -lpcre2-8 -lm -o build/bench/bench_gpt
#include <omp.h>
#include <stdio.h>
#include <time.h>
#include <stdlib.h>
#include <string.h>

#define FMA_PEAK_NO_MAIN
#include "bench/fma_peak.c"
#include "transformer/gpt.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// the CPU time of the whole process (every thread), in ms: with OMP_WAIT_POLICY=PASSIVE a
// thread that waits sleeps, so this is the work done, which other processes disturb less than
// the wall clock
static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec * 1e-6;
}

static int bench_step(int argc, char **argv)
{
    GptConfig cfg = {
        atoi(argv[6]),   atoi(argv[4]), atoi(argv[1]), atoi(argv[2]), atoi(argv[3]), 0.0f, 1,
        GPT_POS_LEARNED, GPT_GELU_EXACT};
    int B = atoi(argv[5]), T = cfg.T, steps = atoi(argv[7]);
    Gpt m;
    if (gpt_init(&m, &cfg, B, T) != 0) {
        return 1;
    }
    if (argc > 8 && strcmp(argv[8], "auto") != 0) {
        gpt_set_batch_parallel(&m, strcmp(argv[8], "batch") == 0);
    }
    LabRng rng;
    lab_rng_seed(&rng, 1);
    gpt_init_params(&m, &rng);
    size_t n = m.layout.total, BT = (size_t)B * T;
    int32_t *idx = lab_malloc(BT * sizeof(int32_t)), *tg = lab_malloc(BT * sizeof(int32_t));
    for (size_t i = 0; i < BT; i++) {
        idx[i] = (int32_t)lab_rng_below(&rng, cfg.V);
        tg[i] = (int32_t)lab_rng_below(&rng, cfg.V);
    }
    float *mom = lab_calloc(n, sizeof(float)), *vel = lab_calloc(n, sizeof(float));
    uint8_t *mask = lab_malloc(n);
    nn_params_decay_mask(&m.layout, mask);
    double *ms = lab_malloc((size_t)steps * sizeof(double)), loss = 0.0;
    double *cpu = lab_malloc((size_t)steps * sizeof(double));
    for (int s = 0; s < 2 + steps; s++) {
        double t0 = omp_get_wtime(), c0 = cpu_ms();
        loss = gpt_forward(&m, idx, tg);
        gpt_zero_grad(&m);
        gpt_backward(&m);
        nn_adamw_step(m.params, m.grads, mom, vel, mask, n, s + 1, 1e-3f, 0.9f, 0.95f, 1e-8f, 0.1f);
        if (s >= 2) {
            ms[s - 2] = (omp_get_wtime() - t0) * 1e3;
            cpu[s - 2] = cpu_ms() - c0;
        }
    }
    qsort(ms, steps, sizeof(double), cmp_double);
    qsort(cpu, steps, sizeof(double), cmp_double);
    printf("ms_per_step %.3f\ncpu_ms_per_step %.3f\nparams %zu\nloss %.4f\nparallel %s\n",
           ms[steps / 2], cpu[steps / 2], n, loss, m.batch_parallel ? "batch" : "ops");
    free(ms);
    free(cpu);
    free(mom);
    free(vel);
    free(mask);
    free(idx);
    free(tg);
    gpt_free(&m);
    return 0;
}

static int argmax(const float *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++) {
        best = x[i] > x[best] ? i : best;
    }
    return best;
}

static int bench_generate(char **argv)
{
    GptConfig cfg = {
        atoi(argv[5]),   atoi(argv[4]), atoi(argv[1]), atoi(argv[2]), atoi(argv[3]), 0.0f, 1,
        GPT_POS_LEARNED, GPT_GELU_EXACT};
    const int T = cfg.T, V = cfg.V;
    Gpt m;
    GptCache cache;
    if (gpt_init(&m, &cfg, 1, T) != 0 || gpt_cache_init(&cache, &m) != 0) {
        return 1;
    }
    LabRng rng;
    lab_rng_seed(&rng, 1);
    gpt_init_params(&m, &rng);
    int32_t *ids = lab_malloc((size_t)T * sizeof(int32_t)), *ids2 = lab_malloc(T * sizeof(int32_t));
    double best_cache = 0.0, best_full = 0.0;
    for (int run = 0; run < 3; run++) {
        // with the cache: token t in, the next token out
        double t0 = omp_get_wtime();
        gpt_cache_reset(&cache);
        ids[0] = 0;
        for (int t = 0; t + 1 < T; t++) {
            ids[t + 1] = argmax(gpt_step(&m, &cache, ids[t], t), V);
        }
        double tps = (T - 1) / (omp_get_wtime() - t0);
        best_cache = tps > best_cache ? tps : best_cache;
        // without: a forward over the prefix 0..t for each new token. The model's buffers, sized
        // for one sequence of the whole context, hold any shorter one: m.T is set to the prefix
        t0 = omp_get_wtime();
        ids2[0] = 0;
        for (int t = 0; t + 1 < T; t++) {
            m.T = t + 1;
            gpt_forward(&m, ids2, NULL);
            ids2[t + 1] = argmax(m.logits + (size_t)t * V, V);
        }
        m.T = T;
        tps = (T - 1) / (omp_get_wtime() - t0);
        best_full = tps > best_full ? tps : best_full;
        if (memcmp(ids, ids2, (size_t)T * sizeof(int32_t)) != 0) {
            fprintf(stderr, "bench_gpt: the cache and the full forward generated different text\n");
        }
    }
    printf("cache_tokens_per_s %.1f\nnocache_tokens_per_s %.1f\n", best_cache, best_full);
    free(ids);
    free(ids2);
    gpt_cache_free(&cache);
    gpt_free(&m);
    return 0;
}

int main(int argc, char **argv)
{
    if ((argc == 9 || (argc == 10 && (strcmp(argv[9], "auto") == 0 ||
                                      strcmp(argv[9], "batch") == 0 ||
                                      strcmp(argv[9], "ops") == 0))) &&
        strcmp(argv[1], "step") == 0) {
        return bench_step(argc - 1, argv + 1);
    }
    if (argc == 7 && strcmp(argv[1], "generate") == 0) {
        return bench_generate(argv + 1);
    }
    if (argc == 2 && strcmp(argv[1], "peak") == 0) {
        long iters = fma_peak_calibrate(0.3);
        double best = 0.0;
        for (int r = 0; r < 5; r++) {
            double g = fma_peak_run(2, iters);
            best = g > best ? g : best;
        }
        printf("peak_gflops %.1f\n", best);
        return 0;
    }
    fprintf(stderr, "usage: bench_gpt step L NH C T B V STEPS [auto|batch|ops] | bench_gpt "
                    "generate L NH C T V | bench_gpt peak\n");
    return 2;
}
