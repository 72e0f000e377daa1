// test_gpt.c: the GPT (transformer/) against finite differences (the attention alone, a block,
// the whole model, with and without dropout), against nanoGPT's model in PyTorch
// (tests/fixtures/torch/gpt.inc, made by make_gpt.py: logits, loss and every gradient, to
// 1e-4 relative), through safetensors files both ways, its KV cache against full
// recomputation, on a batch it must learn by heart, and run twice from one seed.
#include "tests/helpers.h"

#include <omp.h>

#include "transformer/gpt.h"

typedef struct {
    const char *name;
    const float *value, *grad;
    size_t n;
} GptFixtureTensor;

#include "tests/fixtures/torch/gpt.inc"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

// --- helpers --------------------------------------------------------------------------------

// the tiny configuration of the fixtures: V 11, T 8, L 2, NH 2, C 16, biases, learned
// positions, exact GELU
static GptConfig tiny(void)
{
    GptConfig c = {GPT_V, GPT_T, GPT_L, GPT_NH, GPT_C, 0.0f, 1, GPT_POS_LEARNED, GPT_GELU_EXACT};
    return c;
}

static float max_abs(const float *x, size_t n)
{
    float m = 0.0f;
    for (size_t i = 0; i < n; i++) {
        m = fabsf(x[i]) > m ? fabsf(x[i]) : m;
    }
    return m;
}

// |got - want| <= 1e-4 |want| + 1e-5 max |want| for every element, naming the first that is
// not: 1e-4 relative, except near zero, where an element is a difference of terms of the
// tensor's scale and float rounding leaves ~1e-6 of that scale (the key bias's gradient, for
// one, is exactly zero: softmax ignores a shift shared by a row)
static void expect_close(const char *what, const float *got, const float *want, size_t n)
{
    double scale = max_abs(want, n);
    for (size_t i = 0; i < n; i++) {
        double tol = 1e-4 * fabs(want[i]) + 1e-5 * scale;
        cr_assert(fabs((double)got[i] - want[i]) <= tol, "%s[%zu] = %.9g, PyTorch gives %.9g", what,
                  i, got[i], want[i]);
    }
}

static void load_fixture(Gpt *m, const GptFixtureTensor *tab, size_t n)
{
    cr_assert_eq((size_t)m->layout.n, n, "the table has %d tensors, the fixture %zu", m->layout.n,
                 n);
    for (size_t i = 0; i < n; i++) {
        cr_assert_str_eq(m->spec[i].name, tab[i].name, "tensor %zu", i);
        cr_assert_eq(nn_tensor_numel(&m->spec[i]), tab[i].n, "%s", tab[i].name);
        memcpy(m->params + m->layout.offset[i], tab[i].value, tab[i].n * sizeof(float));
    }
}

// --- PyTorch ------------------------------------------------------------------------------

// on 2 threads, both ways a step runs: every layer split over the threads, and the batch's
// sequences split into one share per thread
static void match_pytorch(const GptConfig *cfg, const GptFixtureTensor *tab, size_t n,
                          const float *logits, double want_loss)
{
    omp_set_num_threads(2);
    for (int shares = 0; shares < 2; shares++) {
        Gpt m;
        cr_assert_eq(gpt_init(&m, cfg, GPT_B, GPT_T), 0);
        gpt_set_batch_parallel(&m, shares);
        load_fixture(&m, tab, n);
        double loss = gpt_forward(&m, GPT_IDX, GPT_TARGETS);
        cr_assert_eq(m.count, GPT_B * GPT_T - 1, "the target -1 must be ignored");
        cr_assert(fabs(loss - want_loss) <= 1e-4 * want_loss, "loss %.9g, PyTorch gives %.9g",
                  loss, want_loss);
        expect_close("logits", m.logits, logits, (size_t)GPT_B * GPT_T * GPT_V);
        gpt_zero_grad(&m);
        gpt_backward(&m);
        for (size_t i = 0; i < n; i++) {
            expect_close(tab[i].name, m.grads + m.layout.offset[i], tab[i].grad, tab[i].n);
        }
        gpt_free(&m);
    }
}

Test(gpt, forward_and_every_gradient_match_nanogpt_in_pytorch)
{
    GptConfig cfg = tiny();
    match_pytorch(&cfg, GPT_TENSORS, LEN(GPT_TENSORS), GPT_LOGITS, GPT_LOSS);
}

Test(gpt, without_bias_with_sinusoidal_positions_and_tanh_gelu_matches_pytorch)
{
    GptConfig cfg = tiny();
    cfg.bias = 0;
    cfg.pos = GPT_POS_SINUSOIDAL;
    cfg.gelu = GPT_GELU_TANH;
    match_pytorch(&cfg, GPTX_TENSORS, LEN(GPTX_TENSORS), GPTX_LOGITS, GPTX_LOSS);
}

// --- safetensors both ways ------------------------------------------------------------------

Test(gpt, reads_the_nanogpt_checkpoint_written_by_pytorch_and_gives_its_loss)
{
    GptConfig cfg = tiny();
    Gpt m;
    cr_assert_eq(gpt_init(&m, &cfg, GPT_B, GPT_T), 0);
    char *path = test_path("tests/fixtures/torch/gpt_torch.safetensors");
    LabConfig meta = {0};
    cr_assert_eq(nn_safetensors_read(path, &m.layout, m.params, &meta), 0);
    cr_assert_str_eq(lab_config_get(&meta, "format"), "pt");
    double loss = gpt_forward(&m, GPT_IDX, GPT_TARGETS);
    cr_assert(fabs(loss - GPT_LOSS) <= 1e-5 * GPT_LOSS, "loss %.9g, PyTorch gives %.9g", loss,
              GPT_LOSS);
    lab_config_free(&meta);
    gpt_free(&m);
}

Test(gpt, writes_the_checkpoint_that_pytorch_loads_with_load_state_dict)
{
    // make_gpt.py --check loads gpt_lmlab.safetensors into nanoGPT's module and gets the same
    // loss; this keeps the committed file what the writer writes from those weights
    GptConfig cfg = tiny();
    Gpt m;
    cr_assert_eq(gpt_init(&m, &cfg, GPT_B, GPT_T), 0);
    load_fixture(&m, GPT_TENSORS, LEN(GPT_TENSORS));
    char *dir = test_tmpdir(), *path = lab_path_join(dir, "gpt.safetensors");
    cr_assert_eq(nn_safetensors_write(path, &m.layout, m.params, NULL), 0);
    size_t n1, n2;
    char *ours, *committed;
    cr_assert_eq(lab_read_file(path, &ours, &n1, 1 << 20), 0);
    cr_assert_eq(lab_read_file(test_path("tests/fixtures/torch/gpt_lmlab.safetensors"), &committed,
                               &n2, 1 << 20),
                 0);
    cr_assert(n1 == n2 && memcmp(ours, committed, n1) == 0,
              "the writer's output differs from tests/fixtures/torch/gpt_lmlab.safetensors");
    free(ours);
    free(committed);
    gpt_free(&m);
}

// --- finite differences ---------------------------------------------------------------------

// the attention alone: loss = sum(out * R) for a fixed random R, as a function of qkv
typedef struct {
    int B, T, C, NH;
    float *out, *att, *scratch, *R;
    const float *mask;
} AttnCase;

static double attn_loss(const float *qkv, void *ctx)
{
    AttnCase *a = ctx;
    gpt_attention_forward(a->out, a->att, qkv, a->mask, a->scratch, 2, a->B, a->T, a->C, a->NH);
    double s = 0.0;
    for (int i = 0; i < a->B * a->T * a->C; i++) {
        s += (double)a->out[i] * a->R[i];
    }
    return s;
}

// B sequences of T positions: T above the attention's block of rows (64) runs its blocks,
// the causal mask skipping keys, and the backward's sums over blocks
static void gradcheck_attention(int with_mask, int B, int T)
{
    enum { C = 8, NH = 2 };
    LabRng rng;
    lab_rng_seed(&rng, 5);
    size_t nq = (size_t)B * T * 3 * C, no = (size_t)B * T * C, na = (size_t)B * NH * T * T;
    float *qkv = lab_calloc(nq, sizeof(float)), *out = lab_calloc(no, sizeof(float));
    float *att = lab_calloc(na, sizeof(float)), *R = lab_calloc(no, sizeof(float));
    float *mask = lab_calloc(na, sizeof(float)), *dqkv = lab_calloc(nq, sizeof(float));
    float *again = lab_calloc(nq, sizeof(float));
    float *scratch = lab_calloc(gpt_attention_scratch_floats(T, 2), sizeof(float));
    for (size_t i = 0; i < nq; i++) {
        qkv[i] = (float)lab_rng_normal(&rng);
    }
    for (size_t i = 0; i < no; i++) {
        R[i] = (float)lab_rng_normal(&rng);
    }
    for (size_t i = 0; i < na; i++) {
        mask[i] = lab_rng_uniform(&rng) < 0.3 ? 0.0f : 1.0f / 0.7f;
    }
    AttnCase a = {B, T, C, NH, out, att, scratch, R, with_mask ? mask : NULL};
    attn_loss(qkv, &a);
    // the softmax rows sum to one and the future gets nothing
    for (int r = 0; r < B * NH * T; r++) {
        int t = r % T;
        double s = 0.0;
        for (int t2 = 0; t2 < T; t2++) {
            s += att[(size_t)r * T + t2];
            if (t2 > t) {
                cr_assert_eq(att[(size_t)r * T + t2], 0.0f, "row %d attends to position %d", r, t2);
            }
        }
        cr_assert(fabs(s - 1.0) < 1e-6, "row %d sums to %.9g", r, s);
    }
    // the gradient of sum(out * R) is backward with dout = R
    gpt_attention_backward(dqkv, scratch, R, att, a.mask, qkv, 2, B, T, C, NH);
    NnGradcheckReport rep;
    NnGradcheckOpts opts = {1e-2, 1e-2, 1e-3};
    int rc = nn_gradcheck("attention", attn_loss, &a, qkv, dqkv, nq, &opts, &rep);
    cr_assert_eq(rc, 0, "mask %d, T %d: element %zu analytic %g numeric %g", with_mask, T,
                 rep.worst, rep.analytic, rep.numeric);
    // backward writes every element: a buffer full of NaN gets the same gradient
    for (size_t i = 0; i < nq; i++) {
        again[i] = NAN;
    }
    gpt_attention_backward(again, scratch, R, att, a.mask, qkv, 2, B, T, C, NH);
    cr_assert(memcmp(again, dqkv, nq * sizeof(float)) == 0, "backward must write every element");
    float *bufs[] = {qkv, out, att, R, mask, dqkv, again, scratch};
    for (size_t i = 0; i < LEN(bufs); i++) {
        free(bufs[i]);
    }
}

Test(gpt, attention_gradient_matches_finite_differences, .init = cr_redirect_stderr)
{
    gradcheck_attention(0, 2, 5);
}

Test(gpt, attention_with_dropout_gradient_matches_finite_differences, .init = cr_redirect_stderr)
{
    gradcheck_attention(1, 2, 5);
}

Test(gpt, attention_over_several_row_blocks_matches_finite_differences, .init = cr_redirect_stderr)
{
    gradcheck_attention(1, 1, 70); // blocks of rows 0..63 and 64..69
}

typedef struct {
    Gpt *m;
    const int32_t *idx, *targets;
    LabRng *rng; // reseeded before every forward, so dropout draws the same masks each time
    uint64_t seed;
} ModelCase;

static double model_loss(const float *x, void *ctx)
{
    (void)x; // x points into m->params: forward reads it in place
    ModelCase *c = ctx;
    if (c->rng) {
        lab_rng_seed(c->rng, c->seed);
    }
    return gpt_forward(c->m, c->idx, c->targets);
}

// nn_gradcheck over params[from, from + n) of a model built from cfg; shares: the batch
// split into one share per thread of 2 (else as gpt_init chose)
static void gradcheck_model(const GptConfig *cfg, const char *first, const char *last, int dropout,
                            int shares)
{
    Gpt m;
    if (shares) {
        omp_set_num_threads(2);
    }
    cr_assert_eq(gpt_init(&m, cfg, GPT_B, GPT_T), 0);
    if (shares) {
        gpt_set_batch_parallel(&m, 1);
    }
    LabRng rng, drop;
    lab_rng_seed(&rng, 3);
    gpt_init_params(&m, &rng);
    // larger weights than the initialisation, so every nonlinearity is exercised
    for (size_t i = 0; i < m.layout.total; i++) {
        m.params[i] += (float)(0.2 * lab_rng_normal(&rng));
    }
    ModelCase c = {&m, GPT_IDX, GPT_TARGETS, dropout ? &drop : NULL, 77};
    m.rng = c.rng;
    model_loss(m.params, &c);
    gpt_zero_grad(&m);
    gpt_backward(&m);
    int i0 = nn_params_find(&m.layout, first), i1 = nn_params_find(&m.layout, last);
    cr_assert(i0 >= 0 && i1 >= i0, "%s .. %s", first, last);
    size_t from = m.layout.offset[i0], n = m.layout.offset[i1 + 1] - from;
    float *grad = lab_malloc(n * sizeof(float));
    memcpy(grad, m.grads + from, n * sizeof(float));
    NnGradcheckOpts opts = {1e-2, 2e-2, 2e-4};
    NnGradcheckReport rep;
    int rc = nn_gradcheck("gpt", model_loss, &c, m.params + from, grad, n, &opts, &rep);
    cr_assert_eq(rc, 0, "%s .. %s: element %zu analytic %g numeric %g", first, last, rep.worst,
                 rep.analytic, rep.numeric);
    free(grad);
    gpt_free(&m);
}

Test(gpt, gradient_of_a_block_matches_finite_differences, .init = cr_redirect_stderr)
{
    GptConfig cfg = tiny();
    cfg.L = 1;
    gradcheck_model(&cfg, "transformer.h.0.ln_1.weight", "transformer.h.0.mlp.c_proj.bias", 0, 0);
}

Test(gpt, gradient_of_every_parameter_matches_finite_differences, .init = cr_redirect_stderr)
{
    GptConfig cfg = tiny();
    gradcheck_model(&cfg, "transformer.wte.weight", "transformer.ln_f.bias", 0, 0);
}

Test(gpt, gradient_with_dropout_matches_finite_differences, .init = cr_redirect_stderr)
{
    GptConfig cfg = tiny();
    cfg.dropout = 0.2f;
    gradcheck_model(&cfg, "transformer.wte.weight", "transformer.ln_f.bias", 1, 0);
}

Test(gpt, gradient_with_dropout_in_batch_shares_matches_finite_differences,
     .init = cr_redirect_stderr)
{
    GptConfig cfg = tiny();
    cfg.dropout = 0.2f;
    gradcheck_model(&cfg, "transformer.wte.weight", "transformer.ln_f.bias", 1, 1);
}

Test(gpt, gradient_without_bias_sinusoidal_tanh_matches_finite_differences,
     .init = cr_redirect_stderr)
{
    GptConfig cfg = tiny();
    cfg.bias = 0;
    cfg.pos = GPT_POS_SINUSOIDAL;
    cfg.gelu = GPT_GELU_TANH;
    gradcheck_model(&cfg, "transformer.wte.weight", "transformer.ln_f.weight", 0, 0);
}

// --- batch shares -----------------------------------------------------------------------------

// A step over B sequences with dropout, on 2 threads, per operation and in batch shares, from
// the same weights and the same dropout seed: each row of every activation is computed alone
// either way, so the logits and the loss's terms are the same bits; the weight gradients are
// the same sums grouped by share, equal to float rounding. B = 3 splits 1 + 2, B = 1 leaves
// share 0 empty.
static void shares_match_per_operation(int B)
{
    omp_set_num_threads(2);
    GptConfig cfg = tiny();
    cfg.dropout = 0.1f;
    const size_t BT = (size_t)B * GPT_T;
    int32_t *idx = lab_malloc(BT * sizeof(int32_t)), *tg = lab_malloc(BT * sizeof(int32_t));
    LabRng rng;
    lab_rng_seed(&rng, 5);
    for (size_t i = 0; i < BT; i++) {
        idx[i] = (int32_t)lab_rng_below(&rng, GPT_V);
        tg[i] = i % 5 == 4 ? -1 : (int32_t)lab_rng_below(&rng, GPT_V);
    }
    Gpt m[2];
    double loss[2];
    for (int k = 0; k < 2; k++) {
        cr_assert_eq(gpt_init(&m[k], &cfg, B, GPT_T), 0);
        gpt_set_batch_parallel(&m[k], k);
        cr_assert_eq(m[k].batch_parallel, k);
        LabRng init, drop;
        lab_rng_seed(&init, 3);
        gpt_init_params(&m[k], &init);
        lab_rng_seed(&drop, 11);
        m[k].rng = &drop;
        loss[k] = gpt_forward(&m[k], idx, tg);
        m[k].rng = NULL;
        gpt_zero_grad(&m[k]);
        gpt_backward(&m[k]);
    }
    cr_assert_eq(m[0].count, m[1].count);
    cr_assert(fabs(loss[0] - loss[1]) <= 1e-12 * loss[0], "loss %.17g per operation, %.17g in "
              "shares", loss[0], loss[1]);
    // logits were overwritten by their gradient: compare that, the probabilities and the masks
    cr_assert(memcmp(m[0].probs, m[1].probs, BT * GPT_V * sizeof(float)) == 0,
              "the probabilities differ");
    cr_assert(memcmp(m[0].acts[1].res_3_mask, m[1].acts[1].res_3_mask,
                     BT * GPT_C * sizeof(float)) == 0, "the dropout masks differ");
    for (int i = 0; i < m[0].layout.n; i++) {
        size_t at = m[0].layout.offset[i], n = m[0].layout.offset[i + 1] - at;
        expect_close(m[0].spec[i].name, m[1].grads + at, m[0].grads + at, n);
    }
    // a second backward accumulates: twice the gradient, the share blocks having been emptied
    float *twice = lab_malloc(m[1].layout.total * sizeof(float));
    for (size_t i = 0; i < m[1].layout.total; i++) {
        twice[i] = 2.0f * m[1].grads[i];
    }
    lab_rng_seed(&rng, 11);
    m[1].rng = &rng;
    gpt_forward(&m[1], idx, tg);
    m[1].rng = NULL;
    gpt_backward(&m[1]);
    expect_close("two passes' gradient", m[1].grads, twice, m[1].layout.total);
    free(twice);
    gpt_free(&m[0]);
    gpt_free(&m[1]);
    free(idx);
    free(tg);
}

Test(gpt, batch_shares_give_the_forward_bits_and_the_gradient_of_per_operation_layers)
{
    shares_match_per_operation(3);
}

Test(gpt, batch_shares_work_with_fewer_sequences_than_threads)
{
    shares_match_per_operation(1);
}

// --- generation -------------------------------------------------------------------------------

static int argmax(const float *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++) {
        best = x[i] > x[best] ? i : best;
    }
    return best;
}

// greedy generation with the KV cache, then the whole sequence again through gpt_forward:
// causal attention makes position p of the full forward see exactly the prefix 0..p
static void cache_equals_recomputation(GptConfig cfg)
{
    enum { STEPS = 50 };
    cfg.T = 64;
    Gpt full, one;
    cr_assert_eq(gpt_init(&full, &cfg, 1, cfg.T), 0);
    cr_assert_eq(gpt_init(&one, &cfg, 1, cfg.T), 0);
    LabRng rng;
    lab_rng_seed(&rng, 11);
    gpt_init_params(&full, &rng);
    for (size_t i = 0; i < full.layout.total; i++) {
        full.params[i] += (float)(0.3 * lab_rng_normal(&rng)); // a model with opinions
    }
    memcpy(one.params, full.params, full.layout.total * sizeof(float));
    GptCache cache;
    cr_assert_eq(gpt_cache_init(&cache, &one), 0);
    int32_t seq[64] = {3}; // the rest is padding that position p never sees
    float *logits = lab_malloc((size_t)STEPS * cfg.V * sizeof(float));
    for (int p = 0; p < STEPS; p++) {
        const float *l = gpt_step(&one, &cache, seq[p], p);
        memcpy(logits + (size_t)p * cfg.V, l, cfg.V * sizeof(float));
        seq[p + 1] = argmax(l, cfg.V);
    }
    cr_assert_eq(cache.len, STEPS);
    gpt_forward(&full, seq, NULL);
    for (int p = 0; p < STEPS; p++) {
        const float *want = full.logits + (size_t)p * cfg.V, *got = logits + (size_t)p * cfg.V;
        for (int v = 0; v < cfg.V; v++) {
            cr_assert(fabsf(got[v] - want[v]) <= 1e-4f * (1.0f + fabsf(want[v])),
                      "position %d logit %d: cache %.9g, full forward %.9g", p, v, got[v], want[v]);
        }
        cr_assert_eq(argmax(want, cfg.V), seq[p + 1], "position %d: greedy choices differ", p);
    }
    // reset starts a new sequence: the first step again gives the first logits
    gpt_cache_reset(&cache);
    const float *again = gpt_step(&one, &cache, seq[0], 0);
    cr_assert(memcmp(again, logits, cfg.V * sizeof(float)) == 0);
    free(logits);
    gpt_cache_free(&cache);
    gpt_free(&full);
    gpt_free(&one);
}

Test(gpt, kv_cache_generation_equals_full_recomputation_for_50_tokens)
{
    cache_equals_recomputation(tiny());
}

Test(gpt, kv_cache_equals_recomputation_without_bias_with_sinusoidal_positions)
{
    GptConfig cfg = tiny();
    cfg.bias = 0;
    cfg.pos = GPT_POS_SINUSOIDAL;
    cfg.gelu = GPT_GELU_TANH;
    cache_equals_recomputation(cfg);
}

// --- training ---------------------------------------------------------------------------------

// steps of AdamW (lr 3e-3, nanoGPT's betas 0.9/0.95, decay 0.1 by the table's mask) on the
// fixture batch from seed; returns the last loss, leaves the parameters in m
static double train(Gpt *m, const GptConfig *cfg, uint64_t seed, int steps)
{
    cr_assert_eq(gpt_init(m, cfg, GPT_B, GPT_T), 0);
    LabRng rng, drop;
    lab_rng_seed(&rng, seed);
    lab_rng_seed(&drop, seed + 1);
    gpt_init_params(m, &rng);
    m->rng = &drop;
    size_t n = m->layout.total;
    float *mom = lab_calloc(n, sizeof(float)), *vel = lab_calloc(n, sizeof(float));
    uint8_t *mask = lab_malloc(n);
    nn_params_decay_mask(&m->layout, mask);
    double loss = 0.0;
    for (int t = 1; t <= steps; t++) {
        loss = gpt_forward(m, GPT_IDX, GPT_TARGETS);
        gpt_zero_grad(m);
        gpt_backward(m);
        nn_adamw_step(m->params, m->grads, mom, vel, mask, n, t, 3e-3f, 0.9f, 0.95f, 1e-8f, 0.1f);
    }
    free(mom);
    free(vel);
    free(mask);
    return loss;
}

Test(gpt, learns_a_small_batch_by_heart_with_adamw)
{
    GptConfig cfg = tiny();
    Gpt m;
    double loss = train(&m, &cfg, 1, 300);
    // the batch has 15 counted targets, each a function of its prefix
    m.rng = NULL;
    double final = gpt_forward(&m, GPT_IDX, GPT_TARGETS);
    cr_assert(final < 0.02, "loss after 300 steps %.4f (%.4f in training), expected < 0.02", final,
              loss);
    gpt_free(&m);
}

Test(gpt, same_seed_same_parameters_bitwise_with_dropout)
{
    GptConfig cfg = tiny();
    cfg.dropout = 0.1f;
    Gpt a, b;
    double la = train(&a, &cfg, 9, 5), lb = train(&b, &cfg, 9, 5);
    cr_assert(la == lb, "losses %.17g and %.17g", la, lb);
    cr_assert(memcmp(a.params, b.params, a.layout.total * sizeof(float)) == 0);
    gpt_free(&a);
    gpt_free(&b);
}

// --- the table --------------------------------------------------------------------------------

Test(gpt, initialisation_and_decay_mask_follow_nanogpt)
{
    GptConfig cfg = tiny();
    cfg.C = 64;
    cfg.NH = 4;
    cfg.L = 4;
    cfg.V = 300;
    Gpt m;
    cr_assert_eq(gpt_init(&m, &cfg, 1, 8), 0);
    LabRng rng;
    lab_rng_seed(&rng, 2);
    gpt_init_params(&m, &rng);
    uint8_t *mask = lab_malloc(m.layout.total);
    nn_params_decay_mask(&m.layout, mask);
    for (int i = 0; i < m.layout.n; i++) {
        const NnTensorSpec *t = &m.spec[i];
        const float *w = m.params + m.layout.offset[i];
        size_t n = nn_tensor_numel(t);
        double s = 0.0, s2 = 0.0;
        for (size_t j = 0; j < n; j++) {
            s += w[j];
            s2 += (double)w[j] * w[j];
        }
        double sd = sqrt(s2 / n - (s / n) * (s / n));
        int proj = strstr(t->name, "c_proj.weight") != NULL;
        int ln = strstr(t->name, "ln_") != NULL;
        if (t->ndim == 2) {
            double want = proj ? 0.02 / sqrt(2.0 * cfg.L) : 0.02;
            cr_assert(fabs(sd - want) < 0.1 * want, "%s: sd %.5f, expected %.5f", t->name, sd,
                      want);
        } else if (ln && strstr(t->name, ".weight")) {
            cr_assert(s == (double)n && s2 == (double)n, "%s: layernorm gains start at 1", t->name);
        } else {
            cr_assert(s2 == 0.0, "%s: biases start at 0", t->name);
        }
        // nanoGPT's optimizer groups: decay for every tensor of 2 or more dimensions
        cr_assert_eq(mask[m.layout.offset[i]], t->ndim >= 2, "%s: decay %d", t->name,
                     mask[m.layout.offset[i]]);
    }
    free(mask);
    gpt_free(&m);
}

Test(gpt, refuses_heads_that_do_not_divide_the_channels, .init = cr_redirect_stderr)
{
    GptConfig cfg = tiny();
    cfg.NH = 3;
    Gpt m;
    cr_assert_eq(gpt_init(&m, &cfg, 1, 8), -1);
    gpt_free(&m);
    cfg = tiny();
    cr_assert_eq(gpt_init(&m, &cfg, 1, cfg.T + 1), -1, "a batch longer than the context");
    cfg.dropout = 1.0f;
    cr_assert_eq(gpt_init(&m, &cfg, 1, 8), -1, "dropout 1");
    fflush(stderr);
    cr_assert_stderr_eq_str("lmlab: gpt: 16 channels do not split into 3 heads\n"
                            "  hint: pick C a multiple of the heads (e.g. C 128 with NH 4)\n"
                            "lmlab: gpt: sequences of 9 positions exceed the context of 8\n"
                            "lmlab: gpt: dropout must be in [0, 1) (got 1)\n");
}
