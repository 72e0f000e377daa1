// gpt_lm.c: the GPT of gpt.h as the third kind of the neural trainer (nn/lm.h), so
// `lmlab gpt train|eval|generate` are the shared commands of nn/train.c, nn/eval.c and
// nn/cli.c over this table.
//
//   lmlab gpt train --dataset names
//   lmlab gpt generate --model runs/names-gpt --count 10 --no-cache
//
// A sequence kind: a batch is B rows of T tokens, every position predicting the next at once, with
// no state between batches; on line data each row is one line from its <s> (the trainer's
// BATCH_LINES, --batching lines), on a stream a random subsequence. Scoring reads whole windows
// (seq_logits; the windows themselves are nn_lm_score's); generation appends one token at a time
// to a lane's context through the KV cache (gpt_step), one cache a lane, or runs the lane's whole
// context again (lm->recompute). When a lane's context is full (T tokens) it restarts from its
// last T/2 tokens: a cache cannot slide, since every key carries its position (docs/transformer.md
// "generation").
// Letters as in gpt.h: B lanes, T context, C channels, NH heads, L layers, V vocabulary.
// Left out: the training loop (nn/train.c) and the model itself (gpt.c, attention.c).
#include "transformer/gpt_lm.h"
#include "transformer/gpt.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

// lm->model
typedef struct {
    Gpt m;
    LabRng rng;      // the dropout masks of one training forward, seeded from lm->step_seed
    GptCache *cache; // (B) one a lane, made by the first next_logits that needs them
    int32_t *hist;   // (B, T) the tokens in each lane's context, oldest first
    int *len;        // (B) how many
    int32_t *win;    // (B, T) recompute: the lanes' contexts as one batch
    float *out;      // (B, V) next_logits's result
} GptKind;

// --- options ----------------------------------------------------------------------------------

static int gpt_opts(NnLmHyper *h, LabOpt *out)
{
    const LabOpt o[] = {
        {"layers", LAB_OPT_INT, &h->layers, "L", "transformer blocks (n_layer)", 0, 1, 64},
        {"heads", LAB_OPT_INT, &h->heads, "NH", "attention heads of every block (n_head; a "
         "divisor of --width)", 0, 1, 256},
        {"width", LAB_OPT_INT, &h->width, "C", "channels of the residual stream (n_embd)", 0, 1,
         8192},
        {"context", LAB_OPT_INT, &h->context, "T", "tokens the model reads at once (block_size)",
         0, 1, 4096},
        {"dropout", LAB_OPT_DOUBLE, &h->dropout, "P", "dropout in training, on the embeddings, "
         "attention weights and residual branches (0: none)", 0, 0, 0.9},
        {"pos", LAB_OPT_CHOICE, &h->pos, NULL, "positions: a learned embedding (GPT-2) or the "
         "fixed sinusoids of Vaswani et al.", NN_POS_CHOICES, 0, 0},
        {"gelu", LAB_OPT_CHOICE, &h->gelu, NULL, "GELU by erf (nanoGPT) or GPT-2's tanh "
         "approximation", NN_GELU_CHOICES, 0, 0},
        {"batching", LAB_OPT_CHOICE, &h->batching, NULL, "rows: one line each from its <s>, as "
         "eval scores it (the default for --unit line), or random subsequences of the stream "
         "(the default for --unit stream)", NN_SEQ_BATCHING_CHOICES, 0, 0},
    };
    memcpy(out, o, sizeof o);
    return (int)(sizeof o / sizeof o[0]);
}

static double gpt_params(const NnLmHyper *h, int V)
{
    double C = (double)h->width;
    // a block: ln_1 2C, c_attn 3C*C + 3C, attn c_proj C*C + C, ln_2 2C, c_fc 4C*C + 4C,
    // mlp c_proj 4C*C + C; then ln_f 2C; wte (V, C) tied to the head; wpe (T, C) if learned
    double n = (double)V * C + (double)h->layers * (12 * C * C + 13 * C) + 2 * C;
    return h->pos == GPT_POS_LEARNED ? n + (double)h->context * C : n;
}

static void gpt_describe(const NnLmHyper *h, char *buf, size_t cap)
{
    int n = snprintf(buf, cap, "layers %ld, heads %ld, width %ld, context %ld", h->layers,
                     h->heads, h->width, h->context);
    if (n >= 0 && (size_t)n < cap && h->dropout > 0) {
        n += snprintf(buf + n, cap - (size_t)n, ", dropout %g", h->dropout);
    }
    if (n >= 0 && (size_t)n < cap && h->pos != GPT_POS_LEARNED) {
        n += snprintf(buf + n, cap - (size_t)n, ", %s", gpt_pos_name((GptPos)h->pos));
    }
    if (n >= 0 && (size_t)n < cap && h->gelu != GPT_GELU_EXACT) {
        snprintf(buf + n, cap - (size_t)n, ", gelu %s", gpt_gelu_name((GptGelu)h->gelu));
    }
}

// --- the model --------------------------------------------------------------------------------

static int gpt_lm_init(NnLm *lm, const NnLmHyper *h, int V, int B, int T)
{
    GptKind *k = lab_calloc(1, sizeof *k);
    lm->model = k;
    GptConfig cfg = {.V = V, .T = (int)h->context, .L = (int)h->layers, .NH = (int)h->heads,
                     .C = (int)h->width, .dropout = (float)h->dropout, .bias = 1,
                     .pos = (GptPos)h->pos, .gelu = (GptGelu)h->gelu};
    if (gpt_init(&k->m, &cfg, B, T) != 0) {
        return -1;
    }
    k->hist = lab_calloc((size_t)B * cfg.T, sizeof *k->hist);
    k->len = lab_calloc((size_t)B, sizeof *k->len);
    k->out = lab_calloc((size_t)B * V, sizeof *k->out);
    lm->params = &k->m.layout;
    lm->param = k->m.params;
    lm->grad = k->m.grads;
    return 0;
}

static void gpt_lm_free(NnLm *lm)
{
    GptKind *k = lm->model;
    if (!k) {
        return;
    }
    if (k->cache) {
        for (int r = 0; r < lm->B; r++) {
            gpt_cache_free(&k->cache[r]);
        }
    }
    gpt_free(&k->m);
    free(k->cache);
    free(k->hist);
    free(k->len);
    free(k->win);
    free(k->out);
    free(k);
}

static void gpt_lm_init_weights(NnLm *lm, LabRng *rng)
{
    gpt_init_params(&((GptKind *)lm->model)->m, rng);
}

static double gpt_lm_forward(NnLm *lm, const int32_t *inputs, const int32_t *targets)
{
    GptKind *k = lm->model;
    lab_rng_seed(&k->rng, lm->step_seed);
    k->m.rng = k->m.cfg.dropout > 0 ? &k->rng : NULL;
    double loss = gpt_forward(&k->m, inputs, targets);
    k->m.rng = NULL;
    return loss;
}

static void gpt_lm_zero_grad(NnLm *lm)
{
    gpt_zero_grad(&((GptKind *)lm->model)->m);
}

static void gpt_lm_backward(NnLm *lm)
{
    gpt_backward(&((GptKind *)lm->model)->m);
}

static const float *gpt_lm_seq_logits(NnLm *lm, const int32_t *inputs)
{
    GptKind *k = lm->model;
    k->m.rng = NULL; // scoring: no dropout
    gpt_forward(&k->m, inputs, NULL);
    return k->m.logits;
}

// --- lanes: generation one token at a time ----------------------------------------------------

static void gpt_lm_reset_row(NnLm *lm, int r)
{
    GptKind *k = lm->model;
    k->len[r] = 0;
    if (k->cache) {
        gpt_cache_reset(&k->cache[r]);
    }
}

static void gpt_lm_reset_state(NnLm *lm)
{
    for (int r = 0; r < lm->B; r++) {
        gpt_lm_reset_row(lm, r);
    }
}

// A GPT carries nothing from one batch to the next: no state to save.
static size_t gpt_lm_state_floats(const NnLm *lm)
{
    (void)lm;
    return 0;
}

static void gpt_lm_state_get(const NnLm *lm, float *out)
{
    (void)lm;
    (void)out;
}

static void gpt_lm_state_set(NnLm *lm, const float *in)
{
    (void)lm;
    (void)in;
}

// Appends tok to lane r's context; a full context (T tokens) first restarts from its last
// T/2, the cache (when there is one) rebuilt from them. Returns the lane's new length.
static int lane_push(GptKind *k, int r, int32_t tok)
{
    const int T = k->m.cfg.T;
    int32_t *h = k->hist + (size_t)r * T;
    if (k->len[r] == T) {
        int keep = T / 2;
        memmove(h, h + T - keep, (size_t)keep * sizeof *h);
        k->len[r] = keep;
        if (k->cache) {
            gpt_cache_reset(&k->cache[r]);
            for (int t = 0; t < keep; t++) {
                gpt_step(&k->m, &k->cache[r], h[t], t);
            }
        }
    }
    h[k->len[r]++] = tok;
    return k->len[r];
}

static const float *gpt_lm_next_logits(NnLm *lm, const int32_t *ctx, int rows)
{
    GptKind *k = lm->model;
    const int T = k->m.cfg.T, V = lm->V;
    if (lm->recompute) {
        // every lane's context as a row of one forward, padded past its end: the attention is
        // causal, so the padding never reaches the positions read
        assert(k->m.T == T);
        if (!k->win) {
            k->win = lab_malloc((size_t)lm->B * T * sizeof *k->win);
        }
        for (int r = 0; r < lm->B; r++) {
            int n = r < rows ? lane_push(k, r, ctx[r]) : 0;
            int32_t *w = k->win + (size_t)r * T;
            memcpy(w, k->hist + (size_t)r * T, (size_t)n * sizeof *w);
            for (int t = n; t < T; t++) {
                w[t] = TOK_BOS;
            }
        }
        const float *logits = gpt_lm_seq_logits(lm, k->win);
        for (int r = 0; r < rows; r++) {
            memcpy(k->out + (size_t)r * V, logits + ((size_t)r * T + k->len[r] - 1) * V,
                   (size_t)V * sizeof *k->out);
        }
        return k->out;
    }
    if (!k->cache) {
        k->cache = lab_calloc((size_t)lm->B, sizeof *k->cache);
        for (int r = 0; r < lm->B; r++) {
            if (gpt_cache_init(&k->cache[r], &k->m) != 0) {
                lab_die("use --no-cache, or a smaller model", "cannot make the KV cache");
            }
        }
        // the lanes' contexts so far go into their new caches
        for (int r = 0; r < lm->B; r++) {
            for (int t = 0; t < k->len[r]; t++) {
                gpt_step(&k->m, &k->cache[r], k->hist[(size_t)r * T + t], t);
            }
        }
    }
    for (int r = 0; r < rows; r++) {
        int n = lane_push(k, r, ctx[r]);
        const float *logits = gpt_step(&k->m, &k->cache[r], ctx[r], n - 1);
        memcpy(k->out + (size_t)r * V, logits, (size_t)V * sizeof *k->out);
    }
    return k->out;
}

// The trainer's defaults but makemore's batch of 32, a stronger weight decay and a cosine down
// to a tenth of the trainer's floor: measured on names (docs/benchmarks.md "Quality"), the
// valid loss falls most while the rate anneals, and a floor of 1e-3 stopped it near 1.95.
static void gpt_train_defaults(NnTrainOpts *o)
{
    o->batch = 32;
    o->weight_decay = 0.1;
    o->min_lr = 1e-4;
}

// makemore's transformer (about 200K parameters on names), a context that holds every name
// whole, dropout 0.05, 32000 steps of 32 lines (docs/benchmarks.md "Quality").
const NnLmKind nn_lm_gpt = {
    .family = "gpt",
    .what = "a GPT language model",
    .mode = NN_LM_SEQUENCE,
    .steps = 32000,
    .train_defaults = gpt_train_defaults,
    .defaults = {.layers = 4, .heads = 4, .width = 64, .context = 16, .dropout = 0.05,
                 .pos = GPT_POS_LEARNED, .gelu = GPT_GELU_EXACT, .batching = NN_SEQ_LINES},
    .opts = gpt_opts,
    .describe = gpt_describe,
    .params = gpt_params,
    .init = gpt_lm_init,
    .free = gpt_lm_free,
    .init_weights = gpt_lm_init_weights,
    .forward = gpt_lm_forward,
    .zero_grad = gpt_lm_zero_grad,
    .backward = gpt_lm_backward,
    .reset_state = gpt_lm_reset_state,
    .reset_row = gpt_lm_reset_row,
    .state_floats = gpt_lm_state_floats,
    .state_get = gpt_lm_state_get,
    .state_set = gpt_lm_state_set,
    .next_logits = gpt_lm_next_logits,
    .seq_logits = gpt_lm_seq_logits,
};
