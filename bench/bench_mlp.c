// bench_mlp.c: the MLP language model's training step timed, and a quality preview on a
// shipped corpus. Not part of make test; bench/bench_mlp.py builds and runs it.
//
//   build/bench/bench_mlp step N E H V B STEPS
//       STEPS Adam steps on random ids (context N, embedding E, hidden H, vocabulary V,
//       batch B) after 3 warm-up steps; prints "ms_per_step <median of the steps>" and
//       "cpu_ms_per_step <the process's CPU time over all threads, per step>"
//   build/bench/bench_mlp names N E H B STEPS LR SEED
//       trains on datasets/names (char tokens, one name a line) with Adam, the rate falling
//       from LR to LR / 10 by a cosine, and prints the valid loss every 1000 steps and the
//       final valid and test loss in nats per character
//
// Build (after make): cc -O2 -march=native -fopenmp -I. bench/bench_mlp.c build/liblmlab.a
// -lpcre2-8 -lm -o build/bench/bench_mlp
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datasets/datasets.h"
#include "nn/nn.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

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

// one Adam step of m on (ctx, targets); returns the loss
static double step(MlpLm *m, float *mom, const uint8_t *mask, long t, float lr,
                   const int32_t *ctx, const int32_t *targets)
{
    size_t n = m->params.total;
    double loss = mlp_lm_forward(m, ctx, targets, m->B);
    mlp_lm_zero_grad(m);
    mlp_lm_backward(m);
    nn_adam_step(m->param, m->grad, mom, mom + n, mask, n, t, lr, 0.9f, 0.999f, 1e-8f, 0.0f);
    return loss;
}

static int bench_step(char **argv)
{
    MlpLmConfig cfg = {atoi(argv[4]), atoi(argv[1]), atoi(argv[2]), atoi(argv[3]), 0};
    int B = atoi(argv[5]), steps = atoi(argv[6]);
    MlpLm m;
    if (mlp_lm_init(&m, &cfg, B) != 0) {
        return 1;
    }
    LabRng rng;
    lab_rng_seed(&rng, 1);
    mlp_lm_init_weights(&m, &rng);
    int32_t *ctx = lab_malloc((size_t)B * cfg.n * sizeof(int32_t));
    int32_t *tg = lab_malloc((size_t)B * sizeof(int32_t));
    for (int i = 0; i < B * cfg.n; i++) {
        ctx[i] = (int32_t)lab_rng_below(&rng, cfg.V);
    }
    for (int i = 0; i < B; i++) {
        tg[i] = (int32_t)lab_rng_below(&rng, cfg.V);
    }
    float *mom = lab_calloc(2 * m.params.total, sizeof(float));
    uint8_t *mask = lab_malloc(m.params.total);
    nn_params_decay_mask(&m.params, mask);
    double *ms = lab_malloc((size_t)steps * sizeof(double)), loss = 0.0, cpu0 = 0.0;
    for (int s = 0; s < 3 + steps; s++) {
        if (s == 3) {
            cpu0 = cpu_now();
        }
        double t0 = now();
        loss = step(&m, mom, mask, s + 1, 1e-3f, ctx, tg);
        if (s >= 3) {
            ms[s - 3] = (now() - t0) * 1e3;
        }
    }
    double cpu_ms = 1e3 * (cpu_now() - cpu0) / steps;
    qsort(ms, steps, sizeof(double), cmp_double);
    printf("ms_per_step %.3f\ncpu_ms_per_step %.3f\nloss %.4f\n", ms[steps / 2], cpu_ms, loss);
    free(ms);
    free(mask);
    free(mom);
    free(ctx);
    free(tg);
    mlp_lm_free(&m);
    return 0;
}

// mean loss of m over every position of c (each token scored once, contexts padded with <s>)
static double evaluate(MlpLm *m, const Corpus *c)
{
    int B = m->B, n = m->cfg.n;
    int32_t *ctx = lab_malloc((size_t)B * n * sizeof(int32_t));
    int32_t *tg = lab_malloc((size_t)B * sizeof(int32_t));
    double sum = 0.0;
    long long count = 0;
    for (long long p = 0; p < c->n; p += B) {
        for (int r = 0; r < B; r++) {
            long long q = p + r < c->n ? p + r : c->n - 1;
            batch_context(c, q, n, ctx + (size_t)r * n);
            tg[r] = p + r < c->n ? c->ids[q] : -1; // the last batch's padding is ignored
        }
        mlp_lm_forward(m, ctx, tg, B);
        sum += m->loss_sum;
        count += m->count;
    }
    free(ctx);
    free(tg);
    return sum / count;
}

static int bench_names(char **argv)
{
    int n = atoi(argv[1]), E = atoi(argv[2]), H = atoi(argv[3]), B = atoi(argv[4]);
    long steps = atol(argv[5]);
    float lr = (float)atof(argv[6]);
    uint64_t seed = strtoull(argv[7], NULL, 10);
    TextOpts o = TEXT_OPTS_DEFAULT;
    Tokenizer tok;
    Vocab vocab;
    Corpus train = {0}, valid = {0}, test = {0};
    vocab_init(&vocab);
    if (text_tokenizer(&tok, &o) != 0 ||
        text_load_corpus(&train, &vocab, 1, &tok, &o, "datasets/names/train.txt") != 0 ||
        text_load_corpus(&valid, &vocab, 0, &tok, &o, "datasets/names/valid.txt") != 0 ||
        text_load_corpus(&test, &vocab, 0, &tok, &o, "datasets/names/test.txt") != 0) {
        return 1;
    }
    MlpLmConfig cfg = {vocab.n, n, E, H, 0};
    MlpLm m;
    MlpBatcher batcher;
    if (mlp_lm_init(&m, &cfg, B) != 0 || batch_mlp_init(&batcher, &train, B, n, seed + 1) != 0) {
        return 1;
    }
    LabRng rng;
    lab_rng_seed(&rng, seed);
    mlp_lm_init_weights(&m, &rng);
    float *mom = lab_calloc(2 * m.params.total, sizeof(float));
    uint8_t *mask = lab_malloc(m.params.total);
    nn_params_decay_mask(&m.params, mask);
    int32_t *ctx = lab_malloc((size_t)B * n * sizeof(int32_t));
    int32_t *tg = lab_malloc((size_t)B * sizeof(int32_t));
    NnLrSchedule sched = {NN_LR_COSINE, lr, lr / 10, 0, steps, 1, 1.0};
    printf("V %d n %d E %d H %d B %d steps %ld lr %g seed %llu params %zu\n", vocab.n, n, E, H,
           B, steps, lr, (unsigned long long)seed, m.params.total);
    double t0 = now(), avg = 0.0;
    for (long s = 0; s < steps; s++) {
        batch_mlp_next(&batcher, ctx, tg);
        double loss = step(&m, mom, mask, s + 1, (float)nn_lr_at(&sched, s), ctx, tg);
        avg = s == 0 ? loss : 0.99 * avg + 0.01 * loss;
        if ((s + 1) % 1000 == 0) {
            printf("step %ld train %.4f valid %.4f  %.0f s\n", s + 1, avg, evaluate(&m, &valid),
                   now() - t0);
            fflush(stdout);
        }
    }
    printf("final valid %.4f test %.4f nats/char  %.0f s\n", evaluate(&m, &valid),
           evaluate(&m, &test), now() - t0);
    free(ctx);
    free(tg);
    free(mom);
    free(mask);
    mlp_lm_free(&m);
    corpus_free(&train);
    corpus_free(&valid);
    corpus_free(&test);
    vocab_free(&vocab);
    tok_free(&tok);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 8 && strcmp(argv[1], "step") == 0) {
        return bench_step(argv + 1);
    }
    if (argc == 9 && strcmp(argv[1], "names") == 0) {
        return bench_names(argv + 1);
    }
    fprintf(stderr, "usage: bench_mlp step N E H V B STEPS\n"
                    "       bench_mlp names N E H B STEPS LR SEED\n");
    return 2;
}
