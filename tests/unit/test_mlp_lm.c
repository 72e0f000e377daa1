// test_mlp_lm.c: the MLP language model (nn/mlp_lm.c) against PyTorch's forward and autograd
// (tests/fixtures/torch/mlp.inc, made by make_mlp.py, to 1e-5), against finite differences
// over every parameter, on a batch it must learn by heart, and run twice from one seed.
#include "tests/helpers.h"

#include "datasets/datasets.h"
#include "nn/nn.h"
#include "tests/fixtures/torch/mlp.inc"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

// |got - want| <= 1e-5 * max(1, |want|) for every element, naming the first that is not
static void expect_close(const char *what, const float *got, const float *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double tol = 1e-5 * fmax(1.0, fabs(want[i]));
        cr_assert(fabs((double)got[i] - want[i]) <= tol, "%s[%zu] = %.9g, PyTorch gives %.9g",
                  what, i, got[i], want[i]);
    }
}

// copies a fixture tensor into the model's view of it, checking the size against the table
static void load(MlpLm *m, const char *name, const float *src, size_t n)
{
    int i = nn_params_find(&m->params, name);
    cr_assert_geq(i, 0, "no tensor %s", name);
    cr_assert_eq(nn_tensor_numel(&m->spec[i]), n, "%s: the fixture has %zu floats", name, n);
    memcpy(nn_params_view(&m->params, m->param, name), src, n * sizeof(float));
}

static void expect_grad(MlpLm *m, const char *name, const float *want, size_t n)
{
    expect_close(name, nn_params_view(&m->params, m->grad, name), want, n);
}

Test(mlp_lm, forward_and_every_gradient_match_pytorch)
{
    MlpLm m;
    MlpLmConfig cfg = {MLP_V, MLP_N, MLP_E, MLP_H, 0};
    cr_assert_eq(mlp_lm_init(&m, &cfg, MLP_B), 0);
    cr_assert_eq(m.params.n, 5);
    load(&m, "wte.weight", MLP_WTE_WEIGHT, LEN(MLP_WTE_WEIGHT));
    load(&m, "fc1.weight", MLP_FC1_WEIGHT, LEN(MLP_FC1_WEIGHT));
    load(&m, "fc1.bias", MLP_FC1_BIAS, LEN(MLP_FC1_BIAS));
    load(&m, "head.weight", MLP_HEAD_WEIGHT, LEN(MLP_HEAD_WEIGHT));
    load(&m, "head.bias", MLP_HEAD_BIAS, LEN(MLP_HEAD_BIAS));
    double loss = mlp_lm_forward(&m, MLP_CTX, MLP_TARGETS, MLP_B);
    cr_assert_eq(m.count, MLP_B - 1, "the target -100 must be ignored");
    cr_assert(fabs(loss - MLP_LOSS) <= 1e-5 * MLP_LOSS, "loss %.9g, PyTorch gives %.9g", loss,
              MLP_LOSS);
    expect_close("logits", m.logits, MLP_LOGITS, LEN(MLP_LOGITS));
    mlp_lm_zero_grad(&m);
    mlp_lm_backward(&m);
    expect_grad(&m, "wte.weight", DMLP_WTE_WEIGHT, LEN(DMLP_WTE_WEIGHT));
    expect_grad(&m, "fc1.weight", DMLP_FC1_WEIGHT, LEN(DMLP_FC1_WEIGHT));
    expect_grad(&m, "fc1.bias", DMLP_FC1_BIAS, LEN(DMLP_FC1_BIAS));
    expect_grad(&m, "head.weight", DMLP_HEAD_WEIGHT, LEN(DMLP_HEAD_WEIGHT));
    expect_grad(&m, "head.bias", DMLP_HEAD_BIAS, LEN(DMLP_HEAD_BIAS));
    mlp_lm_free(&m);
}

Test(mlp_lm, direct_connections_match_pytorch)
{
    MlpLm m;
    MlpLmConfig cfg = {MLP_V, MLP_N, MLP_E, MLP_H, 1};
    cr_assert_eq(mlp_lm_init(&m, &cfg, MLP_B), 0);
    cr_assert_eq(m.params.n, 6);
    load(&m, "wte.weight", MLPD_WTE_WEIGHT, LEN(MLPD_WTE_WEIGHT));
    load(&m, "fc1.weight", MLPD_FC1_WEIGHT, LEN(MLPD_FC1_WEIGHT));
    load(&m, "fc1.bias", MLPD_FC1_BIAS, LEN(MLPD_FC1_BIAS));
    load(&m, "head.weight", MLPD_HEAD_WEIGHT, LEN(MLPD_HEAD_WEIGHT));
    load(&m, "head.bias", MLPD_HEAD_BIAS, LEN(MLPD_HEAD_BIAS));
    load(&m, "direct.weight", MLPD_DIRECT_WEIGHT, LEN(MLPD_DIRECT_WEIGHT));
    double loss = mlp_lm_forward(&m, MLP_CTX, MLP_TARGETS, MLP_B);
    cr_assert(fabs(loss - MLPD_LOSS) <= 1e-5 * MLPD_LOSS, "loss %.9g, PyTorch gives %.9g", loss,
              MLPD_LOSS);
    expect_close("logits", m.logits, MLPD_LOGITS, LEN(MLPD_LOGITS));
    mlp_lm_zero_grad(&m);
    mlp_lm_backward(&m);
    expect_grad(&m, "wte.weight", DMLPD_WTE_WEIGHT, LEN(DMLPD_WTE_WEIGHT));
    expect_grad(&m, "fc1.weight", DMLPD_FC1_WEIGHT, LEN(DMLPD_FC1_WEIGHT));
    expect_grad(&m, "fc1.bias", DMLPD_FC1_BIAS, LEN(DMLPD_FC1_BIAS));
    expect_grad(&m, "head.weight", DMLPD_HEAD_WEIGHT, LEN(DMLPD_HEAD_WEIGHT));
    expect_grad(&m, "head.bias", DMLPD_HEAD_BIAS, LEN(DMLPD_HEAD_BIAS));
    expect_grad(&m, "direct.weight", DMLPD_DIRECT_WEIGHT, LEN(DMLPD_DIRECT_WEIGHT));
    mlp_lm_free(&m);
}

// --- finite differences ---------------------------------------------------------------------

typedef struct {
    MlpLm *m;
    const int32_t *ctx, *targets;
    int rows;
} Batch;

static double batch_loss(const float *x, void *ctx)
{
    (void)x; // x is m->param: forward reads it in place
    Batch *b = ctx;
    return mlp_lm_forward(b->m, b->ctx, b->targets, b->rows);
}

// nn_gradcheck over the whole parameter block of a small model, with or without direct
static void gradcheck_model(int direct)
{
    enum { V = 6, N = 3, E = 3, H = 5, B = 4 };
    MlpLm m;
    MlpLmConfig cfg = {V, N, E, H, direct};
    cr_assert_eq(mlp_lm_init(&m, &cfg, B), 0);
    LabRng rng;
    lab_rng_seed(&rng, 17);
    mlp_lm_init_weights(&m, &rng);
    // a repeated token within a context and across rows; one target ignored
    int32_t ctx[B * N] = {0, 0, 0, 0, 4, 4, 3, 5, 1, 2, 4, 3};
    int32_t targets[B] = {4, 5, -1, 2};
    Batch b = {&m, ctx, targets, B};
    batch_loss(m.param, &b);
    mlp_lm_zero_grad(&m);
    mlp_lm_backward(&m);
    float *grad = lab_malloc(m.params.total * sizeof(float));
    memcpy(grad, m.grad, m.params.total * sizeof(float));
    // h 1e-2 keeps float rounding of the loss (~1e-7) far below the differences; the curvature
    // error (h^2 f''') stays under atol
    NnGradcheckOpts opts = {1e-2, 1e-2, 1e-4};
    NnGradcheckReport rep;
    int rc = nn_gradcheck("mlp_lm", batch_loss, &b, m.param, grad, m.params.total, &opts, &rep);
    cr_assert_eq(rc, 0, "direct %d: element %zu analytic %g numeric %g", direct, rep.worst,
                 rep.analytic, rep.numeric);
    // the check has teeth: one wrong element of fc1.weight's gradient fails it
    size_t k = (size_t)(m.dfc1_weight - m.grad) + 7;
    grad[k] += 0.01f;
    cr_assert_eq(nn_gradcheck("mlp_lm", batch_loss, &b, m.param, grad, m.params.total, &opts,
                              &rep),
                 -1);
    cr_assert_eq(rep.worst, k);
    free(grad);
    mlp_lm_free(&m);
}

Test(mlp_lm, gradient_of_every_parameter_matches_finite_differences, .init = cr_redirect_stderr)
{
    gradcheck_model(0);
}

Test(mlp_lm, gradient_with_direct_connections_matches_finite_differences,
     .init = cr_redirect_stderr)
{
    gradcheck_model(1);
}

// --- initialisation, logits, refusals ---------------------------------------------------------

Test(mlp_lm, initialisation_is_pytorchs_default_for_embedding_and_linear)
{
    enum { V = 50, N = 4, E = 40, H = 300 };
    MlpLm m;
    MlpLmConfig cfg = {V, N, E, H, 0};
    cr_assert_eq(mlp_lm_init(&m, &cfg, 1), 0);
    LabRng rng;
    lab_rng_seed(&rng, 3);
    mlp_lm_init_weights(&m, &rng);
    // wte ~ N(0, 1): 2000 draws, the standard deviation within 5% of 1
    double s = 0.0, s2 = 0.0;
    for (int i = 0; i < V * E; i++) {
        s += m.wte[i];
        s2 += (double)m.wte[i] * m.wte[i];
    }
    double mean = s / (V * E), sd = sqrt(s2 / (V * E) - mean * mean);
    cr_assert(fabs(mean) < 0.1 && fabs(sd - 1.0) < 0.05, "wte mean %g sd %g", mean, sd);
    // fc1 ~ U(+-1/sqrt(n E)): every value inside, the extremes near the bound
    double bound = 1.0 / sqrt(N * E), mx = 0.0;
    for (int i = 0; i < H * N * E; i++) {
        cr_assert_leq(fabs(m.fc1_weight[i]), bound);
        mx = fmax(mx, fabs(m.fc1_weight[i]));
    }
    cr_assert_gt(mx, 0.99 * bound);
    for (int i = 0; i < H; i++) {
        cr_assert_leq(fabs(m.fc1_bias[i]), bound, "fc1.bias takes fc1.weight's bound");
    }
    for (int i = 0; i < V * H; i++) {
        cr_assert_leq(fabs(m.head_weight[i]), 1.0 / sqrt(H));
    }
    uint8_t *mask = lab_malloc(m.params.total);
    nn_params_decay_mask(&m.params, mask);
    cr_assert_eq(mask[m.dfc1_bias - m.grad], 0, "biases are not decayed");
    cr_assert_eq(mask[m.dwte - m.grad], 1, "the embedding is decayed");
    free(mask);
    mlp_lm_free(&m);
}

Test(mlp_lm, logits_of_one_context_are_the_batched_forwards_row)
{
    enum { V = 9, N = 2, E = 5, H = 8, B = 3 };
    MlpLm m, one;
    MlpLmConfig cfg = {V, N, E, H, 0};
    cr_assert_eq(mlp_lm_init(&m, &cfg, B), 0);
    cr_assert_eq(mlp_lm_init(&one, &cfg, 1), 0);
    LabRng rng;
    lab_rng_seed(&rng, 4);
    mlp_lm_init_weights(&m, &rng);
    memcpy(one.param, m.param, m.params.total * sizeof(float));
    int32_t ctx[B * N] = {0, 0, 0, 5, 5, 8}, targets[B] = {1, 2, 3};
    mlp_lm_forward(&m, ctx, targets, B);
    for (int r = 0; r < B; r++) {
        const float *lg = mlp_lm_logits(&one, ctx + r * N, 1);
        cr_assert_arr_eq(lg, m.logits + r * V, V * sizeof(float), "row %d", r);
    }
    mlp_lm_free(&m);
    mlp_lm_free(&one);
}

Test(mlp_lm, a_config_without_room_is_refused, .init = cr_redirect_stderr)
{
    MlpLm m;
    MlpLmConfig bad = {2, 3, 4, 5, 0};
    cr_assert_eq(mlp_lm_init(&m, &bad, 4), -1);
    mlp_lm_free(&m);
    MlpLmConfig huge = {100000, 8, 64, 100000, 0};
    cr_assert_eq(mlp_lm_init(&m, &huge, 4), -1);
    mlp_lm_free(&m);
    fflush(stderr);
    cr_assert_stderr_eq_str(
        "lmlab: mlp: a model needs V >= 3, n, E, H and B >= 1 (got V 2, n 3, E 4, H 5, B 4)\n"
        "lmlab: mlp: the model is too large (V 100000, n 8, E 64, H 100000, B 4: a tensor of "
        "10000000000 floats; the limit is 2^31 - 1)\n");
}

// --- learning ---------------------------------------------------------------------------------

// steps of Adam on the model's own block; mom (2 * total) the moments, zeroed by the caller
static double adam_steps(MlpLm *m, float *mom, long first, int steps, const int32_t *ctx,
                         const int32_t *targets, int rows, MlpBatcher *batcher, float lr)
{
    size_t n = m->params.total;
    uint8_t *mask = lab_malloc(n);
    nn_params_decay_mask(&m->params, mask);
    int32_t *bctx = lab_malloc((size_t)m->B * m->cfg.n * sizeof(int32_t));
    int32_t *btg = lab_malloc((size_t)m->B * sizeof(int32_t));
    double loss = 0.0;
    for (int s = 0; s < steps; s++) {
        if (batcher) {
            batch_mlp_next(batcher, bctx, btg);
            ctx = bctx;
            targets = btg;
        }
        loss = mlp_lm_forward(m, ctx, targets, rows);
        mlp_lm_zero_grad(m);
        mlp_lm_backward(m);
        nn_adam_step(m->param, m->grad, mom, mom + n, mask, n, first + s, lr, 0.9f, 0.999f, 1e-8f,
                     0.0f);
    }
    free(mask);
    free(bctx);
    free(btg);
    return loss;
}

Test(mlp_lm, adam_learns_a_tiny_batch_by_heart)
{
    enum { V = 10, N = 3, E = 8, H = 32, B = 8 };
    MlpLm m;
    MlpLmConfig cfg = {V, N, E, H, 0};
    cr_assert_eq(mlp_lm_init(&m, &cfg, B), 0);
    LabRng rng;
    lab_rng_seed(&rng, 8);
    mlp_lm_init_weights(&m, &rng);
    // eight distinct contexts, each with its own target
    int32_t ctx[B * N], targets[B];
    for (int r = 0; r < B; r++) {
        ctx[r * N] = r % 3 + 3;
        ctx[r * N + 1] = r / 3 + 4;
        ctx[r * N + 2] = r;
        targets[r] = (r * 7 + 2) % V;
    }
    float *mom = lab_calloc(2 * m.params.total, sizeof(float));
    double first = mlp_lm_forward(&m, ctx, targets, B);
    adam_steps(&m, mom, 1, 300, ctx, targets, B, NULL, 1e-2f);
    double last = mlp_lm_forward(&m, ctx, targets, B);
    cr_assert_lt(last, 0.01, "loss %.4f after 300 steps (it began at %.4f)", last, first);
    free(mom);
    mlp_lm_free(&m);
}

// trains a model on a small corpus for steps Adam steps from seed; returns its parameters
static float *train_from_seed(uint64_t seed, int steps, size_t *total)
{
    enum { V = 12, N = 3, E = 6, H = 16, B = 16 };
    Corpus c = {0};
    c.n = 400;
    c.ids = lab_calloc(c.n, sizeof(int32_t));
    for (long long i = 0; i < c.n; i++) {
        c.ids[i] = i % 10 == 9 ? TOK_EOS : (int32_t)(3 + (i * i + 3 * i) % 9);
    }
    c.nseq = 40;
    c.start = lab_calloc(c.nseq + 1, sizeof(long long));
    for (long long s = 0; s <= c.nseq; s++) {
        c.start[s] = 10 * s;
    }
    MlpLm m;
    MlpLmConfig cfg = {V, N, E, H, 0};
    cr_assert_eq(mlp_lm_init(&m, &cfg, B), 0);
    LabRng rng;
    lab_rng_seed(&rng, seed);
    mlp_lm_init_weights(&m, &rng);
    MlpBatcher batcher;
    cr_assert_eq(batch_mlp_init(&batcher, &c, B, N, seed + 1), 0);
    float *mom = lab_calloc(2 * m.params.total, sizeof(float));
    adam_steps(&m, mom, 1, steps, NULL, NULL, B, &batcher, 3e-3f);
    float *out = lab_malloc(m.params.total * sizeof(float));
    memcpy(out, m.param, m.params.total * sizeof(float));
    *total = m.params.total;
    free(mom);
    mlp_lm_free(&m);
    corpus_free(&c);
    return out;
}

Test(mlp_lm, the_same_seed_gives_bitwise_identical_parameters_after_training)
{
    size_t n1, n2, n3;
    float *a = train_from_seed(21, 50, &n1), *b = train_from_seed(21, 50, &n2);
    float *c = train_from_seed(22, 50, &n3);
    cr_assert_eq(n1, n2);
    cr_assert_arr_eq(a, b, n1 * sizeof(float), "two runs from seed 21 differ");
    cr_assert(memcmp(a, c, n1 * sizeof(float)) != 0, "seeds 21 and 22 trained the same model");
    free(a);
    free(b);
    free(c);
}
