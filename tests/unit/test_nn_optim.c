// test_nn_optim.c: SGD, Adam and AdamW against five steps of torch.optim
// (tests/fixtures/torch/optim.inc, made by make_optim.py), clipping and schedules against hand
// values, initialisation schemes against their variances.
#include "tests/helpers.h"

#include "nn/nn.h"
#include "tests/fixtures/torch/optim.inc"

enum { NP = 8, NW = 6, STEPS = 5 }; // the block: a weight (6) and a bias (2), as the script

// the weight decays, the bias does not (the script's two parameter groups)
static const uint8_t MASK[NP] = {1, 1, 1, 1, 1, 1, 0, 0};

static void expect_step(const char *what, int t, const float *got, const float *want)
{
    for (int i = 0; i < NP; i++) {
        double tol = 1e-6 * fmax(1.0, fabs(want[i]));
        cr_assert(fabs((double)got[i] - want[i]) <= tol,
                  "%s step %d param %d = %.9g, torch.optim gives %.9g", what, t + 1, i, got[i],
                  want[i]);
    }
}

typedef enum { SGD, SGD_NESTEROV, SGD_PLAIN, ADAM, ADAMW } Kind;

static void run(Kind kind, const float *want, const char *what)
{
    float p[NP], m[NP] = {0}, v[NP] = {0};
    memcpy(p, OPT_P0, sizeof p);
    for (int t = 0; t < STEPS; t++) {
        const float *g = OPT_GRADS + t * NP;
        switch (kind) {
        case SGD:
            nn_sgd_step(p, g, m, MASK, NP, 0.1f, 0.9f, 0, 0.01f);
            break;
        case SGD_NESTEROV:
            nn_sgd_step(p, g, m, NULL, NP, 0.1f, 0.9f, 1, 0.0f);
            break;
        case SGD_PLAIN:
            nn_sgd_step(p, g, NULL, NULL, NP, 0.1f, 0.0f, 0, 0.0f);
            break;
        case ADAM:
            nn_adam_step(p, g, m, v, NULL, NP, t + 1, 0.01f, 0.9f, 0.999f, 1e-8f, 0.1f);
            break;
        case ADAMW:
            nn_adamw_step(p, g, m, v, MASK, NP, t + 1, 0.01f, 0.9f, 0.95f, 1e-8f, 0.1f);
            break;
        }
        expect_step(what, t, p, want + t * NP);
    }
}

Test(nn_optim, sgd_momentum_with_masked_decay_matches_torch)
{
    run(SGD, OPT_SGD, "sgd");
}

Test(nn_optim, sgd_nesterov_matches_torch)
{
    run(SGD_NESTEROV, OPT_SGD_NESTEROV, "sgd nesterov");
}

Test(nn_optim, sgd_without_momentum_matches_torch)
{
    run(SGD_PLAIN, OPT_SGD_PLAIN, "sgd");
}

Test(nn_optim, adam_with_l2_decay_matches_torch)
{
    run(ADAM, OPT_ADAM, "adam");
}

Test(nn_optim, adamw_decays_only_masked_parameters_as_torch)
{
    run(ADAMW, OPT_ADAMW, "adamw");
}

Test(nn_optim, adam_first_step_moves_each_parameter_by_lr)
{
    // at t = 1 the bias-corrected m / sqrt(v) is g / |g| = sign(g): a step of exactly lr
    float p[3] = {1, 1, 1}, g[3] = {0.5f, -3.0f, 100.0f}, m[3] = {0}, v[3] = {0};
    nn_adam_step(p, g, m, v, NULL, 3, 1, 0.1f, 0.9f, 0.999f, 0.0f, 0.0f);
    cr_assert_float_eq(p[0], 0.9f, 1e-6);
    cr_assert_float_eq(p[1], 1.1f, 1e-6);
    cr_assert_float_eq(p[2], 0.9f, 1e-6);
}

Test(nn_optim, clip_scales_to_max_norm_and_returns_the_norm)
{
    float g[2] = {3, 4}; // norm 5
    double norm = nn_clip_grad_norm(g, 2, 1.0);
    cr_assert_float_eq(norm, 5.0, 1e-12);
    cr_assert_float_eq(g[0], (float)(3 / (5 + 1e-6)), 1e-7);
    cr_assert_float_eq(g[1], (float)(4 / (5 + 1e-6)), 1e-7);
    float h[2] = {0.3f, 0.4f}; // norm 0.5 < 1: unchanged
    norm = nn_clip_grad_norm(h, 2, 1.0);
    cr_assert_float_eq(norm, 0.5, 1e-7);
    cr_assert(h[0] == 0.3f && h[1] == 0.4f, "a gradient under the limit changed");
}

Test(nn_optim, schedules_match_hand_values)
{
    NnLrSchedule c = {.kind = NN_LR_CONSTANT, .lr = 0.3};
    cr_assert_eq(nn_lr_at(&c, 0), 0.3);
    cr_assert_eq(nn_lr_at(&c, 12345), 0.3);
    NnLrSchedule s = {.kind = NN_LR_STEP, .lr = 1.0, .gamma = 0.1, .step_size = 10};
    cr_assert_float_eq(nn_lr_at(&s, 0), 1.0, 1e-15);
    cr_assert_float_eq(nn_lr_at(&s, 9), 1.0, 1e-15);
    cr_assert_float_eq(nn_lr_at(&s, 10), 0.1, 1e-15);
    cr_assert_float_eq(nn_lr_at(&s, 25), 0.01, 1e-15);
    // warmup 10 steps to 1.0, cosine to 0.1 at step 110: half way (step 60) is 0.55
    NnLrSchedule k = {.kind = NN_LR_COSINE, .lr = 1.0, .min_lr = 0.1, .warmup = 10,
                      .total = 110};
    cr_assert_float_eq(nn_lr_at(&k, 0), 0.1, 1e-15);
    cr_assert_float_eq(nn_lr_at(&k, 4), 0.5, 1e-15);
    cr_assert_float_eq(nn_lr_at(&k, 9), 1.0, 1e-15);
    cr_assert_float_eq(nn_lr_at(&k, 10), 1.0, 1e-15);
    cr_assert_float_eq(nn_lr_at(&k, 60), 0.55, 1e-12);
    // a quarter of the way: 0.1 + 0.9 * (1 + cos(pi / 4)) / 2
    cr_assert_float_eq(nn_lr_at(&k, 35), 0.1 + 0.45 * (1 + sqrt(0.5)), 1e-12);
    cr_assert_float_eq(nn_lr_at(&k, 110), 0.1, 1e-15);
    cr_assert_float_eq(nn_lr_at(&k, 1000), 0.1, 1e-15);
}

// draws 20000 values and checks |w| <= bound (0: no bound), mean ~ 0 and variance ~ var
static void check_init(NnInit scheme, int fan_in, int fan_out, double bound, double var)
{
    enum { M = 20000 };
    static float w[M];
    LabRng r;
    lab_rng_seed(&r, 11);
    nn_init_fill(w, M, scheme, fan_in, fan_out, &r);
    double sum = 0, sq = 0;
    for (int i = 0; i < M; i++) {
        cr_assert(bound == 0 || fabs(w[i]) <= bound, "scheme %d: |%g| > %g", scheme, w[i], bound);
        sum += w[i];
        sq += (double)w[i] * w[i];
    }
    double mean = sum / M, v = sq / M - mean * mean;
    // the sample variance of 20000 draws is within 5% of the true one with room to spare
    cr_assert(fabs(mean) < 0.05 * sqrt(var), "scheme %d: mean %g", scheme, mean);
    cr_assert(fabs(v / var - 1) < 0.05, "scheme %d: variance %g, expected %g", scheme, v, var);
}

Test(nn_optim, init_schemes_have_their_documented_variance)
{
    check_init(NN_INIT_XAVIER_UNIFORM, 300, 100, sqrt(6.0 / 400), 2.0 / 400);
    check_init(NN_INIT_XAVIER_NORMAL, 300, 100, 0, 2.0 / 400);
    check_init(NN_INIT_KAIMING_UNIFORM, 200, 50, sqrt(6.0 / 200), 2.0 / 200);
    check_init(NN_INIT_KAIMING_NORMAL, 200, 50, 0, 2.0 / 200);
    check_init(NN_INIT_TORCH_LINEAR, 64, 10, 1.0 / 8, 1.0 / (3 * 64));
    check_init(NN_INIT_GPT2, 64, 64, 0, 0.02 * 0.02);
    float z[3];
    nn_init_fill(z, 3, NN_INIT_ONES, 0, 0, NULL);
    cr_assert(z[0] == 1 && z[1] == 1 && z[2] == 1);
    nn_init_fill(z, 3, NN_INIT_ZEROS, 0, 0, NULL);
    cr_assert(z[0] == 0 && z[1] == 0 && z[2] == 0);
}

Test(nn_optim, init_same_seed_gives_the_same_weights)
{
    float a[100], b[100];
    LabRng r;
    lab_rng_seed(&r, 3);
    nn_init_fill(a, 100, NN_INIT_KAIMING_NORMAL, 10, 10, &r);
    lab_rng_seed(&r, 3);
    nn_init_fill(b, 100, NN_INIT_KAIMING_NORMAL, 10, 10, &r);
    cr_assert(memcmp(a, b, sizeof a) == 0);
}
