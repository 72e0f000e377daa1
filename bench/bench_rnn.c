// bench_rnn.c: the time of one training step (forward, backward, AdamW) of lmlab's recurrent
// language model, for bench/bench_rnn.py, which builds it, runs it beside PyTorch and prints
// both. Random tokens; the state is reset before every step (random sampling).
//
//   bench_rnn CELL B T E H V L STEPS    prints "ms_per_step MEDIAN" (median over STEPS timed
//                                       steps, after two untimed ones) and "cpu_ms_per_step"
//                                       (the process's CPU time over all threads, per step)
// Threads: OMP_NUM_THREADS (the script sets 2).
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nn/nn.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc != 9) {
        fprintf(stderr, "usage: bench_rnn rnn|lstm|gru B T E H V L STEPS\n");
        return 2;
    }
    RnnLmConfig cfg;
    if (nn_cell_parse(argv[1], &cfg.cell) < 0) {
        fprintf(stderr, "bench_rnn: unknown cell '%s'\n", argv[1]);
        return 2;
    }
    int B = atoi(argv[2]), T = atoi(argv[3]), steps = atoi(argv[8]);
    cfg.E = atoi(argv[4]);
    cfg.H = atoi(argv[5]);
    cfg.V = atoi(argv[6]);
    cfg.L = atoi(argv[7]);
    if (steps <= 0) {
        fprintf(stderr, "bench_rnn: STEPS must be positive\n");
        return 2;
    }
    RnnLm m;
    if (rnn_lm_init(&m, &cfg, B, T) < 0) {
        return 1;
    }
    LabRng rng;
    lab_rng_seed(&rng, 1);
    rnn_lm_init_params(&m, &rng);
    size_t n = m.layout.total, bt = (size_t)B * T;
    float *mom = lab_calloc(n, sizeof(float)), *var = lab_calloc(n, sizeof(float));
    uint8_t *mask = lab_malloc(n);
    nn_params_decay_mask(&m.layout, mask);
    int32_t *inputs = lab_malloc(bt * sizeof *inputs), *targets = lab_malloc(bt * sizeof *targets);
    for (size_t i = 0; i < bt; i++) {
        inputs[i] = (int32_t)lab_rng_below(&rng, (uint64_t)cfg.V);
        targets[i] = (int32_t)lab_rng_below(&rng, (uint64_t)cfg.V);
    }
    double *ms = lab_malloc((size_t)steps * sizeof *ms), loss = 0, cpu0 = 0;
    for (int s = -2; s < steps; s++) {
        if (s == 0) {
            cpu0 = cpu_now();
        }
        double t0 = lab_now();
        rnn_lm_reset_state(&m);
        loss = rnn_lm_forward(&m, inputs, targets);
        rnn_lm_zero_grad(&m);
        rnn_lm_backward(&m);
        nn_adamw_step(m.params, m.grads, mom, var, mask, n, s + 3, 1e-3f, 0.9f, 0.999f, 1e-8f,
                      0.01f);
        if (s >= 0) {
            ms[s] = 1e3 * (lab_now() - t0);
        }
    }
    double cpu_ms = 1e3 * (cpu_now() - cpu0) / steps;
    qsort(ms, (size_t)steps, sizeof *ms, cmp_double);
    printf("ms_per_step %.3f\ncpu_ms_per_step %.3f\nloss %.4f\n", ms[steps / 2], cpu_ms, loss);
    free(ms), free(inputs), free(targets), free(mom), free(var), free(mask);
    rnn_lm_free(&m);
    return 0;
}
