// gpt.c: the GPT as nanoGPT's model.py writes it: token and position embeddings, L pre-norm
// blocks (layernorm, causal self-attention, residual; layernorm, MLP with GELU, residual), a
// final layernorm and a language-model head tied to the token embedding. And the KV cache
// that generates one token at a time.
//
// Letters: B batch, T time, C channels, NH heads, L layers, V vocabulary (gpt.h).
//
//   idx (B, T) --wte + pos--> x0 (B, T, C) --L blocks--> res_3 of the last --ln_f--> (B, T, C)
//   --@ wte^T--> logits (B, T, V) --softmax cross-entropy--> loss
//
// The model allocates everything in gpt_init (parameters, gradients, the activations of every
// layer, backward's scratch); forward and backward only call layers. The projections are
// nn_linear_* (nn_sgemm), the attention is attention.c, the rest is nn/'s layers. A small
// model splits the batch's sequences over the threads, one share each through every layer; a
// large one splits each layer's rows (see "shares of a step"). What it leaves out: training loops, sampling, checkpoint files (the
// trainer's), the flash-attention path (PyTorch-only in nanoGPT; the result is the same).
#include "transformer/gpt.h"

#include <assert.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "nn/fastmath.h"

// Below m->par_min floats a layer runs on one thread: starting a team costs more than it saves.
// How much depends on how idle threads wait. Measured with OMP_WAIT_POLICY=PASSIVE on 2 cores
// that other work shares (load average 10): layernorm forward over rows of 128 (about 0.75 ns a
// float on one thread) took 74 us on one thread and 227 us on two at 98,304 floats, 25 and
// 36 us at 32,768, and two threads won only from about 200,000 (a woken thread waits for a
// core): PAR_MIN_PASSIVE. A spinning team (libgomp's default, which lmlab keeps on a quiet
// machine: docs/architecture.md "Threads") starts in a microsecond or two: PAR_MIN_ACTIVE
// splits every layernorm and GELU of nanoGPT's small model (98,304 and 393,216 floats), whose
// training step took 40.4 ms against 43.7 ms with PAR_MIN_PASSIVE (2 threads, medians of 6
// alternating runs). The split never changes a bit: each row or element is computed alone, and
// layernorm_backward's partial sums do not depend on it.
#define PAR_MIN_PASSIVE 131072
#define PAR_MIN_ACTIVE 16384

// Batch-parallel below this many multiply-adds in c_fc's product (BT x 4C x C).
#define BATCH_PAR_MAX 1e9

// --- names ----------------------------------------------------------------------------------

int gpt_pos_parse(const char *s, GptPos *pos)
{
    if (strcmp(s, "learned") == 0) {
        *pos = GPT_POS_LEARNED;
    } else if (strcmp(s, "sinusoidal") == 0) {
        *pos = GPT_POS_SINUSOIDAL;
    } else {
        return -1;
    }
    return 0;
}

int gpt_gelu_parse(const char *s, GptGelu *gelu)
{
    if (strcmp(s, "exact") == 0) {
        *gelu = GPT_GELU_EXACT;
    } else if (strcmp(s, "tanh") == 0) {
        *gelu = GPT_GELU_TANH;
    } else {
        return -1;
    }
    return 0;
}

const char *gpt_pos_name(GptPos pos)
{
    return pos == GPT_POS_SINUSOIDAL ? "sinusoidal" : "learned";
}

const char *gpt_gelu_name(GptGelu gelu)
{
    return gelu == GPT_GELU_TANH ? "tanh" : "exact";
}

// --- setup ----------------------------------------------------------------------------------

static float *floats(size_t n)
{
    return lab_calloc(n ? n : 1, sizeof(float));
}

// One entry of the table; the name is owned by the table (freed by gpt_free).
static NnTensorSpec tensor(char *name, int d0, int d1, NnInit init)
{
    // nanoGPT's AdamW groups: every tensor of 2 or more dimensions decays, the others do not
    NnTensorSpec t = {name, d1 ? 2 : 1, {d0, d1, 0, 0}, d1 ? 1 : 0, init, 0, 0};
    return t;
}

static int check_config(const GptConfig *c, int B, int T)
{
    if (c->V < 1 || c->T < 1 || c->L < 1 || c->NH < 1 || c->C < 1 || B < 1 || T < 1) {
        return lab_error("gpt: every size must be >= 1 (V %d, T %d, L %d, NH %d, C %d, batch "
                         "%d x %d)",
                         c->V, c->T, c->L, c->NH, c->C, B, T);
    }
    if (c->C % c->NH != 0) {
        return lab_error_hint("pick C a multiple of the heads (e.g. C 128 with NH 4)",
                              "gpt: %d channels do not split into %d heads", c->C, c->NH);
    }
    if (c->pos == GPT_POS_SINUSOIDAL && c->C % 2 != 0) {
        return lab_error("gpt: the sinusoidal encoding pairs channels: C must be even (got %d)",
                         c->C);
    }
    if (T > c->T) {
        return lab_error("gpt: sequences of %d positions exceed the context of %d", T, c->T);
    }
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f)) {
        return lab_error("gpt: dropout must be in [0, 1) (got %g)", (double)c->dropout);
    }
    // every buffer must index with ints in the layers and nn_sgemm
    const double lim = 2147483647.0, BT = (double)B * T;
    double biggest[] = {(double)c->V * c->C, 4.0 * c->C * c->C, BT * 4 * c->C,
                        BT * c->V,           BT * c->NH * T,    (double)c->T * c->C};
    for (size_t i = 0; i < sizeof biggest / sizeof biggest[0]; i++) {
        if (biggest[i] > lim) {
            return lab_error("gpt: the model is too large (V %d, T %d, L %d, NH %d, C %d, batch "
                             "%d x %d: a buffer of %.0f floats; the limit is 2^31 - 1)",
                             c->V, c->T, c->L, c->NH, c->C, B, T, biggest[i]);
        }
    }
    if (c->L > 1024) {
        return lab_error("gpt: %d layers is more than the 1024 allowed", c->L);
    }
    return 0;
}

int gpt_init(Gpt *m, const GptConfig *cfg, int B, int T)
{
    memset(m, 0, sizeof *m);
    if (check_config(cfg, B, T) < 0) {
        return -1;
    }
    m->cfg = *cfg;
    m->B = B;
    m->T = T;
    m->threads = omp_get_max_threads();
    const char *policy = getenv("OMP_WAIT_POLICY");
    m->par_min = policy && strcasecmp(policy, "passive") == 0 ? PAR_MIN_PASSIVE : PAR_MIN_ACTIVE;
    const int V = cfg->V, C = cfg->C, L = cfg->L, bias = cfg->bias;

    // the table, in the order of nanoGPT's state_dict (lm_head.weight is wte: not stored)
    int n = 0;
    m->spec = lab_calloc((size_t)12 * L + 4, sizeof *m->spec);
    m->spec[n++] = tensor(lab_asprintf("transformer.wte.weight"), V, C, NN_INIT_GPT2);
    if (cfg->pos == GPT_POS_LEARNED) {
        m->spec[n++] = tensor(lab_asprintf("transformer.wpe.weight"), cfg->T, C, NN_INIT_GPT2);
    }
    for (int l = 0; l < L; l++) {
        struct {
            const char *name;
            int d0, d1;
        } per[6] = {{"ln_1", C, 0}, {"attn.c_attn", 3 * C, C}, {"attn.c_proj", C, C},
                    {"ln_2", C, 0}, {"mlp.c_fc", 4 * C, C},    {"mlp.c_proj", C, 4 * C}};
        for (int j = 0; j < 6; j++) {
            int ln = per[j].d1 == 0;
            // a layernorm's weight is its gain (1 dimension, no decay, init 1)
            m->spec[n++] = tensor(lab_asprintf("transformer.h.%d.%s.weight", l, per[j].name),
                                  per[j].d0, per[j].d1, ln ? NN_INIT_ONES : NN_INIT_GPT2);
            if (bias) {
                m->spec[n++] = tensor(lab_asprintf("transformer.h.%d.%s.bias", l, per[j].name),
                                      per[j].d0, 0, NN_INIT_ZEROS);
            }
        }
    }
    m->spec[n++] = tensor(lab_asprintf("transformer.ln_f.weight"), C, 0, NN_INIT_ONES);
    if (bias) {
        m->spec[n++] = tensor(lab_asprintf("transformer.ln_f.bias"), C, 0, NN_INIT_ZEROS);
    }
    if (nn_params_layout(&m->layout, m->spec, n) < 0) {
        gpt_free(m);
        return -1;
    }
    m->params = floats(m->layout.total);
    m->grads = floats(m->layout.total);
#define VIEW(field, dfield, name)                                                                  \
    do {                                                                                           \
        m->field = nn_params_view(&m->layout, m->params, name);                                    \
        m->dfield = nn_params_view(&m->layout, m->grads, name);                                    \
    } while (0)
    VIEW(wte, dwte, "transformer.wte.weight");
    VIEW(wpe, dwpe, "transformer.wpe.weight");
    VIEW(ln_f_w, dln_f_w, "transformer.ln_f.weight");
    VIEW(ln_f_b, dln_f_b, "transformer.ln_f.bias");
#undef VIEW
    m->blk = lab_calloc((size_t)L, sizeof *m->blk);
    m->dblk = lab_calloc((size_t)L, sizeof *m->dblk);
    for (int l = 0; l < L; l++) {
        float **pw = (float **)&m->blk[l], **pg = (float **)&m->dblk[l];
        // GptBlockParams lists the six layers' weight and bias in table order
        static const char *names[6] = {"ln_1", "attn.c_attn", "attn.c_proj",
                                       "ln_2", "mlp.c_fc",    "mlp.c_proj"};
        for (int j = 0; j < 6; j++) {
            for (int wb = 0; wb < 2; wb++) {
                char *name =
                    lab_asprintf("transformer.h.%d.%s.%s", l, names[j], wb ? "bias" : "weight");
                pw[2 * j + wb] = nn_params_view(&m->layout, m->params, name);
                pg[2 * j + wb] = nn_params_view(&m->layout, m->grads, name);
                free(name);
            }
        }
    }
    if (cfg->pos == GPT_POS_SINUSOIDAL) {
        // PE[t, 2i] = sin(t / 10000^(2i / C)), PE[t, 2i + 1] = cos(t / 10000^(2i / C))
        m->sinusoid = floats((size_t)cfg->T * C);
        for (int t = 0; t < cfg->T; t++) {
            for (int i = 0; i < C; i += 2) {
                double a = t / pow(10000.0, (double)i / C);
                m->sinusoid[(size_t)t * C + i] = (float)sin(a);
                m->sinusoid[(size_t)t * C + i + 1] = (float)cos(a);
            }
        }
    }
    m->zero_bias = floats((size_t)4 * C);

    // activations
    const size_t BT = (size_t)B * T, BC = BT * C, att = BT * cfg->NH * T;
    const int drop = cfg->dropout > 0.0f;
    m->inputs = lab_calloc(BT, sizeof(int32_t));
    m->targets = lab_calloc(BT, sizeof(int32_t));
    m->x0 = floats(BC);
    m->x0_mask = drop ? floats(BC) : NULL;
    m->acts = lab_calloc((size_t)L, sizeof *m->acts);
    for (int l = 0; l < L; l++) {
        GptBlockActs *a = &m->acts[l];
        a->ln_1 = floats(BC);
        a->ln_1_mean = floats(BT);
        a->ln_1_rstd = floats(BT);
        a->qkv = floats(3 * BC);
        a->att = floats(att);
        a->atty = floats(BC);
        a->res_2 = floats(BC);
        a->ln_2 = floats(BC);
        a->ln_2_mean = floats(BT);
        a->ln_2_rstd = floats(BT);
        a->fch = floats(4 * BC);
        a->fch_gelu = floats(4 * BC);
        a->res_3 = floats(BC);
        if (drop) {
            a->att_mask = floats(att);
            a->res_2_mask = floats(BC);
            a->res_3_mask = floats(BC);
        }
    }
    m->ln_f = floats(BC);
    m->ln_f_mean = floats(BT);
    m->ln_f_rstd = floats(BT);
    m->logits = floats(BT * V);
    m->probs = floats(BT * V);
    m->dx = floats(BC);
    m->dc = floats(BC);
    m->dc2 = floats(BC);
    m->dqkv = floats(3 * BC);
    m->dfch = floats(4 * BC);
    m->dfch2 = floats(4 * BC);
    m->att_scratch = floats(gpt_attention_scratch_floats(T, m->threads));
    m->ln_partial = lab_calloc((size_t)m->threads * 2 * C, sizeof(double));
    // batch-parallel when each thread gets a sequence and the largest product of a layer
    // (c_fc's, BT x 4C x C) is small enough that splitting it costs more than a share's own
    // weight gradients (gpt.c, "shares of a step")
    double fc = (double)BT * 4 * C * C;
    gpt_set_batch_parallel(m, m->threads > 1 && B >= m->threads && fc < BATCH_PAR_MAX);
    return 0;
}

// the product matrices of m: block l's c_attn, attn.c_proj, c_fc and mlp.c_proj at 4 l .. 4 l + 3,
// then wte (the head)
static int packed_count(const Gpt *m)
{
    return 4 * m->cfg.L + 1;
}

// m->packs and their buffer, sized for every matrix in both forms
static void packs_alloc(Gpt *m)
{
    const int C = m->cfg.C, n = packed_count(m);
    m->packs = lab_calloc((size_t)n, sizeof *m->packs);
    for (int l = 0; l < m->cfg.L; l++) {
        const GptBlockParams *w = &m->blk[l];
        m->packs[4 * l] = (struct GptPacked){.w = w->c_attn_w, .rows = 3 * C, .cols = C};
        m->packs[4 * l + 1] = (struct GptPacked){.w = w->attn_proj_w, .rows = C, .cols = C};
        m->packs[4 * l + 2] = (struct GptPacked){.w = w->c_fc_w, .rows = 4 * C, .cols = C};
        m->packs[4 * l + 3] = (struct GptPacked){.w = w->mlp_proj_w, .rows = C, .cols = 4 * C};
    }
    m->packs[n - 1] = (struct GptPacked){.w = m->wte, .rows = m->cfg.V, .cols = C};
    size_t total = 0;
    for (int i = 0; i < n; i++) {
        const struct GptPacked *p = &m->packs[i];
        total += nn_sgemm_packed_b_floats(p->rows, p->cols) +
                 nn_sgemm_packed_b_floats(p->cols, p->rows);
    }
    m->pack_buf = floats(total);
    float *at = m->pack_buf;
    for (int i = 0; i < n; i++) {
        struct GptPacked *p = &m->packs[i];
        p->fwd = at;
        at += nn_sgemm_packed_b_floats(p->rows, p->cols);
        p->bwd = at;
        at += nn_sgemm_packed_b_floats(p->cols, p->rows);
    }
}

void gpt_set_batch_parallel(Gpt *m, int on)
{
    free(m->grads_share);
    free(m->share_loss);
    free(m->share_count);
    free(m->packs);
    free(m->pack_buf);
    m->grads_share = NULL;
    m->share_loss = NULL;
    m->share_count = NULL;
    m->packs = NULL;
    m->pack_buf = NULL;
    m->batch_parallel = on && m->threads > 1;
    if (m->batch_parallel) {
        m->grads_share = floats((size_t)(m->threads - 1) * m->layout.total);
        m->share_loss = lab_calloc((size_t)m->threads, sizeof(double));
        m->share_count = lab_calloc((size_t)m->threads, sizeof(int));
        packs_alloc(m);
    }
}

void gpt_free(Gpt *m)
{
    if (m->spec) {
        for (int i = 0; i < 12 * m->cfg.L + 4; i++) {
            free((char *)m->spec[i].name);
        }
    }
    free(m->spec);
    nn_params_free(&m->layout);
    free(m->params);
    free(m->grads);
    free(m->blk);
    free(m->dblk);
    free(m->sinusoid);
    free(m->zero_bias);
    free(m->inputs);
    free(m->targets);
    free(m->x0);
    free(m->x0_mask);
    for (int l = 0; m->acts && l < m->cfg.L; l++) {
        GptBlockActs *a = &m->acts[l];
        float *all[] = {a->ln_1,  a->ln_1_mean, a->ln_1_rstd,  a->qkv,       a->att, a->atty,
                        a->res_2, a->ln_2,      a->ln_2_mean,  a->ln_2_rstd, a->fch, a->fch_gelu,
                        a->res_3, a->att_mask,  a->res_2_mask, a->res_3_mask};
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
            free(all[i]);
        }
    }
    free(m->acts);
    free(m->ln_f);
    free(m->ln_f_mean);
    free(m->ln_f_rstd);
    free(m->logits);
    free(m->probs);
    free(m->dx);
    free(m->dc);
    free(m->dc2);
    free(m->dqkv);
    free(m->dfch);
    free(m->dfch2);
    free(m->att_scratch);
    free(m->ln_partial);
    free(m->grads_share);
    free(m->share_loss);
    free(m->share_count);
    free(m->packs);
    free(m->pack_buf);
    memset(m, 0, sizeof *m);
}

void gpt_init_params(Gpt *m, LabRng *rng)
{
    // nanoGPT: "apply special scaled init to the residual projections, per GPT-2 paper"
    const double proj_std = 0.02 / sqrt(2.0 * m->cfg.L);
    const NnParams *p = &m->layout;
    for (int i = 0; i < p->n; i++) {
        const NnTensorSpec *t = &p->spec[i];
        float *w = m->params + p->offset[i];
        size_t n = p->offset[i + 1] - p->offset[i];
        const char *tail = strstr(t->name, ".c_proj.weight");
        if (tail && tail[strlen(".c_proj.weight")] == '\0') {
            for (size_t j = 0; j < n; j++) {
                w[j] = (float)(proj_std * lab_rng_normal(rng));
            }
        } else {
            nn_init_fill(w, n, t->init, t->shape[t->ndim - 1], t->shape[0], rng);
        }
    }
}

// --- shares of a step -----------------------------------------------------------------------
// A step runs in one of two ways (m->batch_parallel, chosen in gpt_init):
//   per operation   every layer over the whole batch, each splitting its rows (or the products
//                   their tiles, attention its (b, h) pairs) over a team of its own; a step
//                   starts dozens of teams, which pays for large layers only
//   batch-parallel  one team per forward and one per backward: share k of m->threads runs
//                   every layer, alone, over its own sequences [b0, b1) of the batch, into the
//                   rows of the activations that are its own, and backward accumulates its
//                   weight gradients into its own block (share 0 into m->grads, share k > 0
//                   into m->grads_share + (k - 1) * total); the blocks are then added to
//                   m->grads in share order, and the losses likewise
// Each row of an activation is computed alone (the products sum over K in one order whatever
// rows they get), so the forward gives the same bits both ways. The weight gradients are sums
// over rows, split by shares: the same bits for the same thread count, not across counts.

typedef struct {
    int b0, b1;         // the sequences of the batch this share runs
    int serial;         // 1: every layer on the calling thread (batch-parallel)
    float *grads;       // where this share's weight gradients accumulate (layout.total)
    float *att_scratch; // gpt_attention_scratch_floats(T, 1) floats, or the whole team's
    int att_threads;    // threads attention may use (and its scratch is sized for)
    double *ln_partial; // (ln_chunks, 2, C) layernorm backward's partial sums
    int ln_chunks;
} Share;

// the share of the whole batch, per operation
static Share share_all(const Gpt *m)
{
    return (Share){.b0 = 0,
                   .b1 = m->B,
                   .serial = 0,
                   .grads = m->grads,
                   .att_scratch = m->att_scratch,
                   .att_threads = m->threads,
                   .ln_partial = m->ln_partial,
                   .ln_chunks = m->threads};
}

// share k of m->threads, batch-parallel: sequences B * k / threads .. B * (k + 1) / threads
static Share share_of(const Gpt *m, int k)
{
    const int nt = m->threads;
    return (Share){.b0 = (int)((size_t)m->B * k / nt),
                   .b1 = (int)((size_t)m->B * (k + 1) / nt),
                   .serial = 1,
                   .grads = k == 0 ? m->grads : m->grads_share + (size_t)(k - 1) * m->layout.total,
                   .att_scratch = m->att_scratch + gpt_attention_scratch_floats(m->T, 1) * k,
                   .att_threads = 1,
                   .ln_partial = m->ln_partial + (size_t)k * 2 * m->cfg.C,
                   .ln_chunks = 1};
}

// p, a view into m->grads (or NULL), moved to the same tensor in s's gradient block
static float *grad_of(const Gpt *m, const Share *s, float *p)
{
    return p ? s->grads + (p - m->grads) : NULL;
}

// --- row-parallel layers --------------------------------------------------------------------
// nn/'s layers run on one thread; these split rows (or elements) into one contiguous chunk per
// thread when the share is not serial and the layer is large enough (team). Every row's
// result is computed alone, so chunking changes nothing in the output. With a team of 1 no
// parallel region starts at all.

// threads for a layer over n floats
static int team(const Gpt *m, const Share *s, size_t n)
{
    return s->serial || n < m->par_min ? 1 : m->threads;
}

static void chunk(size_t n, int k, int nk, size_t *lo, size_t *hi)
{
    *lo = n * (size_t)k / (size_t)nk;
    *hi = n * (size_t)(k + 1) / (size_t)nk;
}

static void layernorm_forward(const Gpt *m, int nt, float *out, float *mean, float *rstd,
                              const float *inp, const float *w, const float *b, size_t N)
{
    const int C = m->cfg.C;
    const float *bias = b ? b : m->zero_bias;
    if (nt == 1) {
        nn_layernorm_forward(out, mean, rstd, inp, w, bias, (int)N, C, 1e-5f);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        size_t lo, hi;
        chunk(N, omp_get_thread_num(), omp_get_num_threads(), &lo, &hi);
        if (hi > lo) {
            nn_layernorm_forward(out + lo * C, mean + lo, rstd + lo, inp + lo * C, w, bias,
                                 (int)(hi - lo), C, 1e-5f);
        }
    }
}

// chunk k of nk of layernorm_backward: dinp for its rows, and its partial sums of dweight and
// dbias into part + k * 2 * C
static void layernorm_backward_chunk(const Gpt *m, double *part, int k, int nk, float *dinp,
                                     const float *dout, const float *inp, const float *w,
                                     const float *mean, const float *rstd, size_t N)
{
    const int C = m->cfg.C;
    size_t lo, hi;
    chunk(N, k, nk, &lo, &hi);
    double *pw = part + (size_t)k * 2 * C, *pb = pw + C;
    for (int c = 0; c < C; c++) {
        pw[c] = 0.0;
        pb[c] = 0.0;
    }
    if (hi > lo) {
        nn_layernorm_backward(dinp + lo * C, NULL, NULL, dout + lo * C, inp + lo * C, w, mean + lo,
                              rstd + lo, (int)(hi - lo), C);
    }
    // forward was: out = norm * weight + bias; so dweight += dout * norm, dbias += dout
    for (size_t r = lo; r < hi; r++) {
        const float *x = inp + r * C, *d = dout + r * C;
        double mu = mean[r], s = rstd[r];
#pragma omp simd
        for (int c = 0; c < C; c++) {
            pw[c] += (double)d[c] * ((x[c] - mu) * s);
            pb[c] += d[c];
        }
    }
}

// dinp by row chunks (layernorm_backward_chunk on each, on nt threads); dweight and dbias as
// one double partial sum per chunk over its rows in order, the partials then added in chunk
// order. There are always s->ln_chunks chunks (m->threads per operation, 1 in a batch share),
// whichever team computes them, so the sums' order depends on the thread count alone (not on
// whether this call's size starts a team).
static void layernorm_backward(const Gpt *m, const Share *s, float *dinp, float *dw, float *db,
                               const float *dout, const float *inp, const float *w,
                               const float *mean, const float *rstd, size_t N)
{
    const int C = m->cfg.C, nk = s->ln_chunks, nt = team(m, s, N * C);
    double *part = s->ln_partial; // (nk, 2, C)
    if (nt == 1) {
        for (int k = 0; k < nk; k++) {
            layernorm_backward_chunk(m, part, k, nk, dinp, dout, inp, w, mean, rstd, N);
        }
    } else {
#pragma omp parallel for schedule(static) num_threads(nt)
        for (int k = 0; k < nk; k++) {
            layernorm_backward_chunk(m, part, k, nk, dinp, dout, inp, w, mean, rstd, N);
        }
    }
    for (int c = 0; c < C; c++) {
        double sw = 0.0, sb = 0.0;
        for (int j = 0; j < nk; j++) {
            sw += part[(size_t)j * 2 * C + c];
            sb += part[(size_t)j * 2 * C + C + c];
        }
        dw[c] += (float)sw;
        if (db) {
            db[c] += (float)sb;
        }
    }
}

// rows [lo, hi) of bias_gelu_forward
static void bias_gelu_rows(const Gpt *m, float *out, float *inp, const float *bias, size_t lo,
                           size_t hi, int OC, int grad)
{
    if (grad && m->cfg.gelu != GPT_GELU_TANH) { // the bias added inside the GELU's pass
        for (size_t r = lo; r < hi; r++) {
            float *x = inp + r * OC;
            nn_gelu_forward_grad(out + r * OC, x, x, bias, (size_t)OC);
        }
        return;
    }
    for (size_t r = lo; bias && r < hi; r++) {
        float *row = inp + r * OC;
#pragma omp simd
        for (int o = 0; o < OC; o++) {
            row[o] += bias[o];
        }
    }
    size_t at = lo * OC, n = (hi - lo) * OC;
    if (m->cfg.gelu == GPT_GELU_TANH) {
        nn_gelu_tanh_forward(out + at, inp + at, n);
    } else {
        nn_gelu_forward(out + at, inp + at, n);
    }
}

// inp (N, OC) += bias (the linear layer's, or none when NULL), then out = gelu(inp): the bias
// of c_fc added in the same pass as the GELU instead of a pass of its own (the same bits as
// nn_linear_forward's add). With grad (a forward that a backward follows) and the exact GELU,
// inp is then overwritten by gelu'(inp), all that backward needs of it (gelu_exact_grad).
static void bias_gelu_forward(const Gpt *m, int nt, float *out, float *inp, const float *bias,
                              size_t N, int OC, int grad)
{
    if (nt == 1) {
        bias_gelu_rows(m, out, inp, bias, 0, N, OC, grad);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        size_t lo, hi;
        chunk(N, omp_get_thread_num(), omp_get_num_threads(), &lo, &hi);
        bias_gelu_rows(m, out, inp, bias, lo, hi, OC, grad);
    }
}

// rows [lo, hi) of bias_residual_forward
// o (n) = x + (y + b): a projection's bias and the residual add, in that rounding order
static void residual_row(float *o, const float *x, const float *y, const float *b, int n)
{
#pragma omp simd
    for (int c = 0; c < n; c++) {
        o[c] = x[c] + (y[c] + b[c]);
    }
}

static void bias_residual_rows(float *out, const float *x, const float *y, const float *b,
                               size_t lo, size_t hi, int C)
{
    for (size_t r = lo; r < hi; r++) {
        residual_row(out + r * C, x + r * C, y + r * C, b, C);
    }
}

// out (N, C) = x + (y + bias): a projection's bias (or none) and the residual add in one pass,
// the same roundings as the bias added to y first, then x + y
static void bias_residual_forward(const Gpt *m, int nt, float *out, const float *x, const float *y,
                                  const float *bias, size_t N)
{
    const int C = m->cfg.C;
    const float *b = bias ? bias : m->zero_bias;
    if (nt == 1) {
        bias_residual_rows(out, x, y, b, 0, N, C);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        size_t lo, hi;
        chunk(N, omp_get_thread_num(), omp_get_num_threads(), &lo, &hi);
        bias_residual_rows(out, x, y, b, lo, hi, C);
    }
}

// dinp = dout * gelu'(x), WRITTEN (no memset before it). Exact GELU: the forward left
// gelu'(x) = Phi(x) + x phi(x) where x was (nn_gelu_forward_grad), so this is one product.
// The tanh form is nn_gelu_tanh_backward, from x.
static void gelu_exact_grad(float *dinp, const float *dout, const float *grad, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        dinp[i] = dout[i] * grad[i];
    }
}

// elements [lo, hi) of gelu_backward
static void gelu_grad_range(const Gpt *m, float *dinp, const float *dout, const float *fch,
                            size_t lo, size_t hi)
{
    if (m->cfg.gelu == GPT_GELU_TANH) {
        memset(dinp + lo, 0, (hi - lo) * sizeof(float));
        nn_gelu_tanh_backward(dinp + lo, dout + lo, fch + lo, hi - lo);
    } else {
        gelu_exact_grad(dinp + lo, dout + lo, fch + lo, hi - lo);
    }
}

// dinp = dout * gelu'(x): fch holds x for the tanh form, gelu'(x) for the exact one
// (bias_gelu_forward)
static void gelu_backward(const Gpt *m, int nt, float *dinp, const float *dout, const float *fch,
                          size_t n)
{
    if (nt == 1) {
        gelu_grad_range(m, dinp, dout, fch, 0, n);
        return;
    }
#pragma omp parallel num_threads(nt)
    {
        size_t lo, hi;
        chunk(n, omp_get_thread_num(), omp_get_num_threads(), &lo, &hi);
        gelu_grad_range(m, dinp, dout, fch, lo, hi);
    }
}

// --- work on a product's output while it is in cache (batch shares) -------------------------
// With the step's packed weights, a product can hand each finished block of its output to an
// epilogue (nn_sgemm_packed_epi) instead of a pass of its own over memory afterwards: the
// bias, the GELU, the residual add, the GELU's derivative. Each does to an element exactly
// what the separate pass does, so the bits are the same.

typedef struct {
    const float *bias; // (n) per column, or NULL
    const float *x;    // the residual stream, or the GELU's derivative (ld per row)
    float *out;        // where a result other than C goes (ld per row)
    int ld;
} Epi;

// C += bias (nn_linear_forward's add)
static void epi_bias(float *c, int ldc, int i0, int j0, int mr, int n, void *ctx)
{
    const Epi *e = ctx;
    (void)i0;
    for (int r = 0; r < mr; r++) {
        float *row = c + (size_t)r * ldc;
        const float *b = e->bias + j0;
#pragma omp simd
        for (int j = 0; j < n; j++) {
            row[j] += b[j];
        }
    }
}

// out = x + (C + bias) (bias_residual_rows)
static void epi_bias_residual(float *c, int ldc, int i0, int j0, int mr, int n, void *ctx)
{
    const Epi *e = ctx;
    for (int r = 0; r < mr; r++) {
        size_t at = (size_t)(i0 + r) * e->ld + j0;
        residual_row(e->out + at, e->x + at, c + (size_t)r * ldc, e->bias + j0, n);
    }
}

// out = gelu(C + bias), C = gelu'(C + bias) (bias_gelu_rows with the derivative)
static void epi_gelu_grad(float *c, int ldc, int i0, int j0, int mr, int n, void *ctx)
{
    const Epi *e = ctx;
    for (int r = 0; r < mr; r++) {
        float *row = c + (size_t)r * ldc;
        nn_gelu_forward_grad(e->out + (size_t)(i0 + r) * e->ld + j0, row, row,
                             e->bias ? e->bias + j0 : NULL, (size_t)n);
    }
}

// C *= x, the GELU's derivative (gelu_exact_grad)
static void epi_times(float *c, int ldc, int i0, int j0, int mr, int n, void *ctx)
{
    const Epi *e = ctx;
    for (int r = 0; r < mr; r++) {
        float *row = c + (size_t)r * ldc;
        gelu_exact_grad(row, row, e->x + (size_t)(i0 + r) * e->ld + j0, (size_t)n);
    }
}

// out (N, OC) = inp (N, C) @ weight^T + bias (or none), weight m's product matrix wi:
// nn_linear_forward, or with the step's packed weight when batch-parallel (the same bits:
// nn_sgemm_packed's contract, and the bias added as nn_linear_forward adds it)
static void linear_forward(const Gpt *m, int wi, float *out, const float *inp, const float *weight,
                           const float *bias, int N, int C, int OC)
{
    if (!m->packs) {
        nn_linear_forward(out, inp, weight, bias, N, C, OC);
        return;
    }
    Epi e = {.bias = bias};
    nn_sgemm_packed_epi(0, N, OC, C, 1.0f, inp, C, m->packs[wi].fwd, 0.0f, out, OC,
                        bias ? epi_bias : NULL, &e);
}

// As nn_linear_backward, but dinp is WRITTEN (=), not accumulated, so it needs no memset:
// dinp = dout @ weight (beta 0 in nn_sgemm gives the bits of a zeroed dinp plus the product),
// weight m's product matrix wi (packed once a step when batch-parallel)
// linear_backward_set with epi (batch shares only: m->packs) applied to dinp's blocks as the
// product finishes them
static void linear_backward_epi(const Gpt *m, int wi, float *dinp, float *dweight, float *dbias,
                                const float *dout, const float *inp, const float *weight, int N,
                                int C, int OC, NnGemmEpilogue epi, Epi *ctx)
{
    assert(m->packs || !epi);
    if (m->packs) {
        nn_sgemm_packed_epi(0, N, C, OC, 1.0f, dout, OC, m->packs[wi].bwd, 0.0f, dinp, C, epi,
                            ctx);
    } else {
        nn_sgemm(0, 0, N, C, OC, 1.0f, dout, OC, weight, C, 0.0f, dinp, C);
    }
    nn_linear_backward(NULL, dweight, dbias, dout, inp, weight, N, C, OC);
}

static void linear_backward_set(const Gpt *m, int wi, float *dinp, float *dweight, float *dbias,
                                const float *dout, const float *inp, const float *weight, int N,
                                int C, int OC)
{
    linear_backward_epi(m, wi, dinp, dweight, dbias, dout, inp, weight, N, C, OC, NULL, NULL);
}

// Packs every product matrix of m for the forward (fwd) or the backward (bwd), the matrices
// dealt out to the calling team (a copy: any thread gives the same bits); ends in the loop's
// barrier, so every share then reads complete packs.
static void pack_weights(Gpt *m, int bwd)
{
#pragma omp for schedule(dynamic, 1)
    for (int i = 0; i < packed_count(m); i++) {
        const struct GptPacked *p = &m->packs[i];
        if (bwd) {
            nn_sgemm_pack_b(p->bwd, 0, p->cols, p->rows, p->w, p->cols);
        } else {
            nn_sgemm_pack_b(p->fwd, 1, p->rows, p->cols, p->w, p->cols);
        }
    }
}

// mask (n): each element 1 / (1 - p) with probability 1 - p, else 0, one lab_rng_uniform draw
// per element in index order (kept when the draw is >= p), as nn_dropout_forward draws
static void dropout_mask(float *mask, size_t n, float p, LabRng *rng)
{
    float scale = (float)(1.0 / (1.0 - (double)p));
    for (size_t i = 0; i < n; i++) {
        mask[i] = lab_rng_uniform(rng) >= p ? scale : 0.0f;
    }
}

// x (n) *= mask: a dropout whose mask dropout_mask drew (nn_dropout_forward's product)
static void apply_mask(float *x, const float *mask, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        x[i] = x[i] * mask[i];
    }
}

// --- forward --------------------------------------------------------------------------------

// out (N, C) = x + (inp (N, K) @ weight^T + bias): a residual branch's projection, its bias and
// the residual add; y (N, C) holds the product. In shares the add is the product's epilogue.
static void proj_residual(const Gpt *m, const Share *s, int wi, float *out, const float *x,
                          float *y, const float *inp, const float *weight, const float *bias, int N,
                          int K)
{
    const int C = m->cfg.C;
    if (m->packs) {
        Epi e = {.bias = bias ? bias : m->zero_bias, .x = x, .out = out, .ld = C};
        nn_sgemm_packed_epi(0, N, C, K, 1.0f, inp, K, m->packs[wi].fwd, 0.0f, y, C,
                            epi_bias_residual, &e);
        return;
    }
    linear_forward(m, wi, y, inp, weight, NULL, N, K, C);
    bias_residual_forward(m, team(m, s, (size_t)N * C), out, x, y, bias, (size_t)N);
}

// The forward of s's sequences: every layer over rows b0 * T .. b1 * T of the activations (the
// attention's att from pair b0 * NH on). Dropout multiplies by the masks gpt_forward drew.
// Returns the summed loss of the share's counted targets into *sum and *count (0 without).
static void forward_share(Gpt *m, const Share *s, const int32_t *targets, double *sum, int *count)
{
    const GptConfig *c = &m->cfg;
    const int T = m->T, C = c->C, V = c->V, NH = c->NH, B = s->b1 - s->b0;
    const size_t R = (size_t)s->b0 * T, BT = (size_t)B * T, BC = BT * C;
    const size_t A = (size_t)s->b0 * NH * T * T; // the share's first element of att
    const int drop = m->dropped;
    *sum = 0.0;
    *count = 0;
    if (B == 0) {
        return;
    }

    // x0 = wte[idx] + pos[t]; nanoGPT: x = self.transformer.drop(tok_emb + pos_emb)
    const float *pos = m->wpe ? m->wpe : m->sinusoid;
    for (size_t r = R; r < R + BT; r++) {
        int id = m->inputs[r], t = (int)(r % T);
        assert(id >= 0 && id < V);
        const float *e = m->wte + (size_t)id * C, *q = pos + (size_t)t * C;
        float *x = m->x0 + r * C;
#pragma omp simd
        for (int i = 0; i < C; i++) {
            x[i] = e[i] + q[i];
        }
    }
    if (drop) {
        apply_mask(m->x0 + R * C, m->x0_mask + R * C, BC);
    }
    const float *x = m->x0 + R * C;
    float *dc = m->dc + R * C;
    for (int l = 0; l < c->L; l++) {
        GptBlockActs *a = &m->acts[l];
        const GptBlockParams *w = &m->blk[l];
        float *ln_1 = a->ln_1 + R * C, *qkv = a->qkv + 3 * R * C, *atty = a->atty + R * C;
        float *res_2 = a->res_2 + R * C, *ln_2 = a->ln_2 + R * C, *res_3 = a->res_3 + R * C;
        float *fch = a->fch + 4 * R * C, *fch_gelu = a->fch_gelu + 4 * R * C;
        // x = x + drop(c_proj(attention(c_attn(ln_1(x)))))
        layernorm_forward(m, team(m, s, BC), ln_1, a->ln_1_mean + R, a->ln_1_rstd + R, x,
                          w->ln_1_w, w->ln_1_b, BT);
        linear_forward(m, 4 * l, qkv, ln_1, w->c_attn_w, w->c_attn_b, (int)BT, C, 3 * C);
        gpt_attention_forward(atty, a->att + A, qkv, drop ? a->att_mask + A : NULL,
                              s->att_scratch, s->att_threads, B, T, C, NH);
        if (drop) {
            linear_forward(m, 4 * l + 1, dc, atty, w->attn_proj_w, w->attn_proj_b, (int)BT, C, C);
            apply_mask(dc, a->res_2_mask + R * C, BC);
            nn_residual_forward(res_2, x, dc, BC);
        } else {
            proj_residual(m, s, 4 * l + 1, res_2, x, dc, atty, w->attn_proj_w, w->attn_proj_b,
                          (int)BT, C);
        }
        // x = x + drop(c_proj(gelu(c_fc(ln_2(x)))))
        layernorm_forward(m, team(m, s, BC), ln_2, a->ln_2_mean + R, a->ln_2_rstd + R, res_2,
                          w->ln_2_w, w->ln_2_b, BT);
        if (m->packs && targets && c->gelu == GPT_GELU_EXACT) {
            Epi e = {.bias = w->c_fc_b, .out = fch_gelu, .ld = 4 * C};
            nn_sgemm_packed_epi(0, (int)BT, 4 * C, C, 1.0f, ln_2, C, m->packs[4 * l + 2].fwd, 0.0f,
                                fch, 4 * C, epi_gelu_grad, &e);
        } else {
            linear_forward(m, 4 * l + 2, fch, ln_2, w->c_fc_w, NULL, (int)BT, C, 4 * C);
            bias_gelu_forward(m, team(m, s, 4 * BC), fch_gelu, fch, w->c_fc_b, BT, 4 * C,
                              targets != NULL);
        }
        if (drop) {
            linear_forward(m, 4 * l + 3, dc, fch_gelu, w->mlp_proj_w, w->mlp_proj_b, (int)BT, 4 * C,
                           C);
            apply_mask(dc, a->res_3_mask + R * C, BC);
            nn_residual_forward(res_3, res_2, dc, BC);
        } else {
            proj_residual(m, s, 4 * l + 3, res_3, res_2, dc, fch_gelu, w->mlp_proj_w,
                          w->mlp_proj_b, (int)BT, 4 * C);
        }
        x = res_3;
    }
    // logits = ln_f(x) @ wte^T: lm_head shares wte (weight tying)
    float *ln_f = m->ln_f + R * C, *logits = m->logits + R * V;
    layernorm_forward(m, team(m, s, BC), ln_f, m->ln_f_mean + R, m->ln_f_rstd + R, x, m->ln_f_w,
                      m->ln_f_b, BT);
    linear_forward(m, 4 * c->L, logits, ln_f, m->wte, NULL, (int)BT, C, V);
    if (targets) {
        *sum = nn_softmax_xent_forward(m->probs + R * V, count, logits, m->targets + R, (int)BT,
                                       V);
    }
}

double gpt_forward(Gpt *m, const int32_t *inputs, const int32_t *targets)
{
    const GptConfig *c = &m->cfg;
    const int B = m->B, T = m->T, NH = c->NH;
    const size_t BT = (size_t)B * T, BC = BT * c->C;
    const int drop = c->dropout > 0.0f && m->rng != NULL;
    const float p = c->dropout;
    memcpy(m->inputs, inputs, BT * sizeof(int32_t));
    if (targets) {
        memcpy(m->targets, targets, BT * sizeof(int32_t));
    }
    m->dropped = drop;
    // every mask drawn here, in the order of the layers, so that the shares need no generator
    if (drop) {
        dropout_mask(m->x0_mask, BC, p, m->rng);
        for (int l = 0; l < c->L; l++) {
            dropout_mask(m->acts[l].att_mask, BT * NH * T, p, m->rng);
            dropout_mask(m->acts[l].res_2_mask, BC, p, m->rng);
            dropout_mask(m->acts[l].res_3_mask, BC, p, m->rng);
        }
    }
    double sum = 0.0;
    int count = 0;
    if (!m->batch_parallel) {
        Share s = share_all(m);
        forward_share(m, &s, targets, &sum, &count);
    } else {
        const int nt = m->threads;
        double *sums = m->share_loss;
        int *counts = m->share_count;
#pragma omp parallel num_threads(nt)
        {
            pack_weights(m, 0);
#pragma omp for schedule(static)
            for (int k = 0; k < nt; k++) {
                Share s = share_of(m, k);
                forward_share(m, &s, targets, &sums[k], &counts[k]);
            }
        }
        for (int k = 0; k < nt; k++) { // in share order
            sum += sums[k];
            count += counts[k];
        }
    }
    m->has_loss = targets != NULL;
    m->count = count;
    return count > 0 ? sum / count : 0.0;
}

// --- backward -------------------------------------------------------------------------------

void gpt_zero_grad(Gpt *m)
{
    nn_zero(m->grads, m->layout.total);
}

// dout * mask into scratch (the gradient through a dropout), or dout itself without dropout
static const float *through_dropout(float *scratch, const float *dout, const float *mask, size_t n,
                                    int dropped)
{
    if (!dropped) {
        return dout;
    }
    memset(scratch, 0, n * sizeof(float));
    nn_dropout_backward(scratch, dout, mask, n);
    return scratch;
}

// The backward of s's sequences (forward_share's rows), its weight gradients ACCUMULATED into
// s->grads; the scratch of the residual stream is the share's rows of m->dx, m->dc, ...
static void backward_share(Gpt *m, const Share *s)
{
    const GptConfig *c = &m->cfg;
    const int T = m->T, C = c->C, V = c->V, NH = c->NH, B = s->b1 - s->b0;
    const size_t R = (size_t)s->b0 * T, BT = (size_t)B * T, BC = BT * C;
    const size_t A = (size_t)s->b0 * NH * T * T;
    const int drop = m->dropped;
    if (B == 0) {
        return;
    }
    float *dx = m->dx + R * C, *dc = m->dc + R * C, *dc2 = m->dc2 + R * C;
    float *dqkv = m->dqkv + 3 * R * C, *dfch = m->dfch + 4 * R * C, *dfch2 = m->dfch2 + 4 * R * C;

    // forward was: loss = mean over counted positions of -ln softmax(logits)[target];
    // so dlogits = (probs - onehot) / count (the whole batch's count), written over the logits
    float *dlogits = m->logits + R * V;
    memset(dlogits, 0, BT * V * sizeof(float));
    nn_softmax_xent_backward(dlogits, m->probs + R * V, m->targets + R, 1.0f, m->count, (int)BT,
                             V);
    // forward was: logits = ln_f @ wte^T; so dln_f = dlogits @ wte, dwte += dlogits^T @ ln_f
    linear_backward_set(m, 4 * c->L, dc, grad_of(m, s, m->dwte), NULL, dlogits, m->ln_f + R * C,
                        m->wte, (int)BT, C, V);
    // forward was: ln_f = layernorm(x_L); dx is the gradient of the residual stream from here
    const float *xl = m->acts[c->L - 1].res_3 + R * C;
    memset(dx, 0, BC * sizeof(float));
    layernorm_backward(m, s, dx, grad_of(m, s, m->dln_f_w), grad_of(m, s, m->dln_f_b), dc, xl,
                       m->ln_f_w, m->ln_f_mean + R, m->ln_f_rstd + R, BT);
    for (int l = c->L - 1; l >= 0; l--) {
        GptBlockActs *a = &m->acts[l];
        const GptBlockParams *w = &m->blk[l];
        const GptBlockParams *g = &m->dblk[l];
        GptBlockParams d; // this share's gradients of the block
        float **dp = (float **)&d, *const *gp = (float *const *)g;
        for (size_t i = 0; i < sizeof d / sizeof(float *); i++) {
            dp[i] = grad_of(m, s, gp[i]);
        }
        const float *x = (l == 0 ? m->x0 : m->acts[l - 1].res_3) + R * C;
        const float *ln_1 = a->ln_1 + R * C, *qkv = a->qkv + 3 * R * C, *atty = a->atty + R * C;
        const float *res_2 = a->res_2 + R * C, *ln_2 = a->ln_2 + R * C;
        const float *fch = a->fch + 4 * R * C, *fch_gelu = a->fch_gelu + 4 * R * C;
        // forward was: res_3 = res_2 + drop(mlp.c_proj(fch_gelu)); dx passes to res_2 as is
        const float *dproj =
            through_dropout(dc2, dx, drop ? a->res_3_mask + R * C : NULL, BC, drop);
        // forward was: fch_gelu = gelu(fch); fch now holds gelu'(fch) for the exact GELU, by
        // which the product's blocks are multiplied as they are finished (in shares) or after
        const float *dfc = dfch;
        if (m->packs && c->gelu == GPT_GELU_EXACT) {
            Epi e = {.x = fch, .ld = 4 * C};
            linear_backward_epi(m, 4 * l + 3, dfch2, d.mlp_proj_w, d.mlp_proj_b, dproj,
                                fch_gelu, w->mlp_proj_w, (int)BT, 4 * C, C, epi_times, &e);
            dfc = dfch2;
        } else {
            linear_backward_set(m, 4 * l + 3, dfch2, d.mlp_proj_w, d.mlp_proj_b, dproj, fch_gelu,
                                w->mlp_proj_w, (int)BT, 4 * C, C);
            gelu_backward(m, team(m, s, 4 * BC), dfch, dfch2, fch, 4 * BC);
        }
        // forward was: fch = ln_2 @ c_fc^T + b
        linear_backward_set(m, 4 * l + 2, dc, d.c_fc_w, d.c_fc_b, dfc, ln_2, w->c_fc_w, (int)BT, C,
                            4 * C);
        // forward was: ln_2 = layernorm(res_2); so dres_2 = dx + the layernorm's part
        layernorm_backward(m, s, dx, d.ln_2_w, d.ln_2_b, dc, res_2, w->ln_2_w, a->ln_2_mean + R,
                           a->ln_2_rstd + R, BT);
        // forward was: res_2 = x + drop(attn.c_proj(atty))
        dproj = through_dropout(dc2, dx, drop ? a->res_2_mask + R * C : NULL, BC, drop);
        linear_backward_set(m, 4 * l + 1, dc, d.attn_proj_w, d.attn_proj_b, dproj, atty,
                            w->attn_proj_w, (int)BT, C, C);
        // forward was: atty = attention(qkv); dqkv is written whole
        gpt_attention_backward(dqkv, s->att_scratch, dc, a->att + A, drop ? a->att_mask + A : NULL,
                               qkv, s->att_threads, B, T, C, NH);
        // forward was: qkv = ln_1 @ c_attn^T + b
        linear_backward_set(m, 4 * l, dc, d.c_attn_w, d.c_attn_b, dqkv, ln_1, w->c_attn_w, (int)BT,
                            C, 3 * C);
        // forward was: ln_1 = layernorm(x); so dx += the layernorm's part
        layernorm_backward(m, s, dx, d.ln_1_w, d.ln_1_b, dc, x, w->ln_1_w, a->ln_1_mean + R,
                           a->ln_1_rstd + R, BT);
    }
    // forward was: x0 = drop(wte[idx] + pos[t]); so dwte[idx] += dx0 and dwpe[t] += dx0
    const float *dx0 = through_dropout(dc2, dx, drop ? m->x0_mask + R * C : NULL, BC, drop);
    nn_embedding_backward(grad_of(m, s, m->dwte), dx0, m->inputs + R, (int)BT, V, C);
    if (m->dwpe) {
        float *dwpe = grad_of(m, s, m->dwpe);
        for (size_t r = 0; r < BT; r++) { // R is a multiple of T: row r is at position r % T
            float *g = dwpe + (r % T) * C;
            const float *d = dx0 + r * C;
#pragma omp simd
            for (int i = 0; i < C; i++) {
                g[i] += d[i];
            }
        }
    }
}

// grads[lo, hi) += each share block's, in share order, and the blocks' elements zeroed for
// the next backward
static void add_shares(Gpt *m, size_t lo, size_t hi)
{
    const size_t total = m->layout.total;
    float *g = m->grads;
    for (int k = 1; k < m->threads; k++) {
        float *gk = m->grads_share + (size_t)(k - 1) * total;
#pragma omp simd
        for (size_t i = lo; i < hi; i++) {
            g[i] += gk[i];
            gk[i] = 0.0f;
        }
    }
}

void gpt_backward(Gpt *m)
{
    assert(m->has_loss && "gpt_backward needs a gpt_forward with targets first");
    if (!m->batch_parallel) {
        Share s = share_all(m);
        backward_share(m, &s);
        return;
    }
    const int nt = m->threads;
    const size_t total = m->layout.total;
#pragma omp parallel num_threads(nt)
    {
        pack_weights(m, 1);
#pragma omp for schedule(static)
        for (int k = 0; k < nt; k++) {
            Share s = share_of(m, k);
            backward_share(m, &s);
        }
        // (the loop's barrier: every share's block is complete)
#pragma omp for schedule(static)
        for (int k = 0; k < nt; k++) {
            size_t lo, hi;
            chunk(total, k, nt, &lo, &hi);
            add_shares(m, lo, hi);
        }
    }
}

// --- the KV cache -----------------------------------------------------------------------------

int gpt_cache_init(GptCache *c, const Gpt *m)
{
    memset(c, 0, sizeof *c);
    const GptConfig *g = &m->cfg;
    c->L = g->L;
    c->T = g->T;
    c->C = g->C;
    size_t kv = (size_t)g->L * g->T * g->C;
    if ((double)kv > 2147483647.0) {
        return lab_error("gpt: a KV cache of %zu floats is too large", kv);
    }
    c->k = floats(kv);
    c->v = floats(kv);
    c->x = floats((size_t)g->C);
    c->ln = floats((size_t)g->C);
    c->qkv = floats((size_t)3 * g->C);
    c->atty = floats((size_t)g->C);
    c->proj = floats((size_t)g->C);
    c->fch = floats((size_t)4 * g->C);
    c->att = floats((size_t)g->T);
    c->logits = floats((size_t)g->V);
    return 0;
}

void gpt_cache_reset(GptCache *c)
{
    c->len = 0;
}

void gpt_cache_free(GptCache *c)
{
    float *all[] = {c->k, c->v, c->x, c->ln, c->qkv, c->atty, c->proj, c->fch, c->att, c->logits};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        free(all[i]);
    }
    memset(c, 0, sizeof *c);
}

// out (OC) = weight (OC, C) @ x (C) + bias (or NULL): nn_linear_forward for one row, as dot
// products. nn_sgemm would pack the whole weight for a single row, which cost more than the
// product itself; here each weight row is read once, four rows at a time (four independent
// sums in flight, x loaded once for them). One thread: splitting the rows of shakespeare_char's
// weights (1 to 2 MB each, read from memory) over two threads made generation slower on shared
// cores (95 against 130 to 155 tokens/s). Each row's sum is its own `omp simd` reduction in
// float, lanes added in a fixed order (the bits depend on the vector width).
static void matvec(float *out, const float *weight, const float *bias, const float *x, int C,
                   int OC)
{
    const int groups = (OC + 3) / 4;
    for (int g = 0; g < groups; g++) {
        int o = 4 * g;
        if (o + 4 <= OC) {
            const float *w0 = weight + (size_t)o * C, *w1 = w0 + C, *w2 = w1 + C, *w3 = w2 + C;
            float s0 = 0.0f, s1 = 0.0f, s2 = 0.0f, s3 = 0.0f;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
            for (int i = 0; i < C; i++) {
                s0 += w0[i] * x[i];
                s1 += w1[i] * x[i];
                s2 += w2[i] * x[i];
                s3 += w3[i] * x[i];
            }
            float s[4] = {s0, s1, s2, s3};
            for (int k = 0; k < 4; k++) {
                out[o + k] = bias ? s[k] + bias[o + k] : s[k];
            }
            continue;
        }
        for (; o < OC; o++) { // the last 1 to 3 rows
            const float *w = weight + (size_t)o * C;
            float s0 = 0.0f;
#pragma omp simd reduction(+ : s0)
            for (int i = 0; i < C; i++) {
                s0 += w[i] * x[i];
            }
            out[o] = bias ? s0 + bias[o] : s0;
        }
    }
}

static void layernorm_one(const Gpt *m, float *out, const float *x, const float *w, const float *b)
{
    float mean, rstd;
    nn_layernorm_forward(out, &mean, &rstd, x, w, b ? b : m->zero_bias, 1, m->cfg.C, 1e-5f);
}

const float *gpt_step(const Gpt *m, GptCache *c, int token, int pos)
{
    const GptConfig *g = &m->cfg;
    const int C = g->C, NH = g->NH, hs = C / NH, T = g->T;
    assert(token >= 0 && token < g->V);
    assert(pos == c->len && pos < T);
    const float scale = (float)(1.0 / sqrt((double)hs));
    const float *pe = (m->wpe ? m->wpe : m->sinusoid) + (size_t)pos * C;
    const float *e = m->wte + (size_t)token * C;
    for (int i = 0; i < C; i++) {
        c->x[i] = e[i] + pe[i];
    }
    for (int l = 0; l < g->L; l++) {
        const GptBlockParams *w = &m->blk[l];
        float *K = c->k + (size_t)l * T * C, *Vc = c->v + (size_t)l * T * C;
        layernorm_one(m, c->ln, c->x, w->ln_1_w, w->ln_1_b);
        matvec(c->qkv, w->c_attn_w, w->c_attn_b, c->ln, C, 3 * C);
        // append this position's keys and values; the query attends to positions 0..pos
        memcpy(K + (size_t)pos * C, c->qkv + C, C * sizeof(float));
        memcpy(Vc + (size_t)pos * C, c->qkv + 2 * C, C * sizeof(float));
        for (int h = 0; h < NH; h++) {
            const float *q = c->qkv + h * hs;
            float mx = -INFINITY;
            for (int t2 = 0; t2 <= pos; t2++) {
                const float *k = K + (size_t)t2 * C + h * hs;
                float s = 0.0f;
                for (int i = 0; i < hs; i++) {
                    s += q[i] * k[i];
                }
                c->att[t2] = s * scale;
                mx = c->att[t2] > mx ? c->att[t2] : mx;
            }
            double sum = 0.0;
            for (int t2 = 0; t2 <= pos; t2++) {
                c->att[t2] = expf(c->att[t2] - mx);
                sum += c->att[t2];
            }
            float inv = (float)(1.0 / sum);
            float *y = c->atty + h * hs;
            for (int i = 0; i < hs; i++) {
                y[i] = 0.0f;
            }
            for (int t2 = 0; t2 <= pos; t2++) {
                float a = c->att[t2] * inv;
                const float *v = Vc + (size_t)t2 * C + h * hs;
                for (int i = 0; i < hs; i++) {
                    y[i] += a * v[i];
                }
            }
        }
        matvec(c->proj, w->attn_proj_w, w->attn_proj_b, c->atty, C, C);
        for (int i = 0; i < C; i++) {
            c->x[i] += c->proj[i];
        }
        layernorm_one(m, c->ln, c->x, w->ln_2_w, w->ln_2_b);
        matvec(c->fch, w->c_fc_w, w->c_fc_b, c->ln, C, 4 * C);
        if (g->gelu == GPT_GELU_TANH) {
            nn_gelu_tanh_forward(c->fch, c->fch, (size_t)4 * C);
        } else {
            nn_gelu_forward(c->fch, c->fch, (size_t)4 * C);
        }
        matvec(c->proj, w->mlp_proj_w, w->mlp_proj_b, c->fch, 4 * C, C);
        for (int i = 0; i < C; i++) {
            c->x[i] += c->proj[i];
        }
    }
    layernorm_one(m, c->ln, c->x, m->ln_f_w, m->ln_f_b);
    matvec(c->logits, m->wte, NULL, c->ln, C, g->V);
    c->len = pos + 1;
    return c->logits;
}
