// lm.c: the language-model interface of lm.h for the MLP and the recurrent model, and the
// pieces every neural family's commands share (the GPT's too): scoring a corpus, drawing a
// sequence, loading a run back.
//
// Letters: B rows a batch (a recurrent model's lanes), T tokens of context (the MLP's n) or
// steps of a training sequence (the recurrent model's), V vocabulary, E embedding size,
// H hidden size, L layers.
// Left out: the training loop (train.c), the commands (eval.c, cli.c).
#include "nn/lm.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

// --- the MLP as an NnLmKind -------------------------------------------------------------------

static int mlp_opts(NnLmHyper *h, LabOpt *out)
{
    const LabOpt o[] = {
        {"context", LAB_OPT_INT, &h->context, "N", "tokens of context the model sees", 0, 1, 64},
        {"embed", LAB_OPT_INT, &h->embed, "E", "embedding size per token", 0, 1, 4096},
        {"hidden", LAB_OPT_INT, &h->hidden, "H", "hidden units of the tanh layer", 0, 1, 16384},
    };
    memcpy(out, o, sizeof o);
    return (int)(sizeof o / sizeof o[0]);
}

static double mlp_params(const NnLmHyper *h, int V)
{
    double nE = (double)h->context * h->embed;
    return (double)V * h->embed + h->hidden * nE + h->hidden + (double)V * h->hidden + V;
}

static void mlp_describe(const NnLmHyper *h, char *buf, size_t cap)
{
    snprintf(buf, cap, "context %ld, embed %ld, hidden %ld", h->context, h->embed, h->hidden);
}

static int mlp_init(NnLm *lm, const NnLmHyper *h, int V, int B, int T)
{
    (void)T;
    MlpLm *m = lab_calloc(1, sizeof *m);
    lm->model = m;
    MlpLmConfig cfg = {.V = V, .n = (int)h->context, .E = (int)h->embed, .H = (int)h->hidden};
    if (mlp_lm_init(m, &cfg, B) != 0) {
        return -1;
    }
    lm->params = &m->params;
    lm->param = m->param;
    lm->grad = m->grad;
    lm->T = cfg.n;
    return 0;
}

static void mlp_free(NnLm *lm)
{
    if (lm->model) {
        mlp_lm_free(lm->model);
        free(lm->model);
    }
}

static void mlp_init_weights(NnLm *lm, LabRng *rng)
{
    mlp_lm_init_weights(lm->model, rng);
}

static double mlp_forward(NnLm *lm, const int32_t *inputs, const int32_t *targets)
{
    return mlp_lm_forward(lm->model, inputs, targets, lm->B);
}

static void mlp_zero_grad(NnLm *lm)
{
    mlp_lm_zero_grad(lm->model);
}

static void mlp_backward(NnLm *lm)
{
    mlp_lm_backward(lm->model);
}

static void mlp_reset_state(NnLm *lm)
{
    (void)lm; // a window model has no state
}

static void mlp_reset_row(NnLm *lm, int r)
{
    (void)lm;
    (void)r;
}

static size_t mlp_state_floats(const NnLm *lm)
{
    (void)lm;
    return 0;
}

static void mlp_state_get(const NnLm *lm, float *out)
{
    (void)lm;
    (void)out;
}

static void mlp_state_set(NnLm *lm, const float *in)
{
    (void)lm;
    (void)in;
}

static const float *mlp_next_logits(NnLm *lm, const int32_t *ctx, int rows)
{
    return mlp_lm_logits(lm->model, ctx, rows);
}

const NnLmKind nn_lm_mlp = {
    .family = "mlp",
    .what = "an MLP language model",
    .mode = NN_LM_WINDOW,
    .defaults = {.context = 4, .embed = 16, .hidden = 256}, // about 2.09 nats/char on names
    .opts = mlp_opts,
    .describe = mlp_describe,
    .params = mlp_params,
    .init = mlp_init,
    .free = mlp_free,
    .init_weights = mlp_init_weights,
    .forward = mlp_forward,
    .zero_grad = mlp_zero_grad,
    .backward = mlp_backward,
    .reset_state = mlp_reset_state,
    .reset_row = mlp_reset_row,
    .state_floats = mlp_state_floats,
    .state_get = mlp_state_get,
    .state_set = mlp_state_set,
    .next_logits = mlp_next_logits,
};

// --- the recurrent model as an NnLmKind -------------------------------------------------------

static int rnn_opts(NnLmHyper *h, LabOpt *out)
{
    const LabOpt o[] = {
        {"cell", LAB_OPT_CHOICE, &h->cell, NULL, "the recurrent cell: tanh RNN, LSTM or GRU",
         NN_CELL_CHOICES, 0, 0},
        {"embed", LAB_OPT_INT, &h->embed, "E", "embedding size per token", 0, 1, 4096},
        {"hidden", LAB_OPT_INT, &h->hidden, "H", "hidden units of every layer", 0, 1, 8192},
        {"layers", LAB_OPT_INT, &h->layers, "L", "stacked recurrent layers", 0, 1, 16},
        {"seq", LAB_OPT_INT, &h->seq, "T", "steps a training sequence (backpropagation through "
         "time stops there)", 0, 1, 4096},
        {"batching", LAB_OPT_CHOICE, &h->batching, NULL, "random subsequences, state reset every "
         "batch; or contiguous lanes, state carried (datasets.h)", NN_BATCHING_CHOICES, 0, 0},
    };
    memcpy(out, o, sizeof o);
    return (int)(sizeof o / sizeof o[0]);
}

static double rnn_params(const NnLmHyper *h, int V)
{
    double G = nn_cell_gates((NnCell)h->cell), H = (double)h->hidden, n = (double)V * h->embed;
    for (long l = 0; l < h->layers; l++) {
        double in = l == 0 ? (double)h->embed : H;
        n += G * H * (in + H) + 2 * G * H; // weight_ih, weight_hh, bias_ih, bias_hh
    }
    return n + (double)V * H + V;
}

static void rnn_describe(const NnLmHyper *h, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s, embed %ld, hidden %ld, layers %ld, seq %ld, %s",
             nn_cell_name((NnCell)h->cell), h->embed, h->hidden, h->layers, h->seq,
             lab_choice_name(NN_BATCHING_CHOICES, h->batching));
}

// lm->model: the model and the (B) ids of one step
typedef struct {
    RnnLm m;
    int32_t *tok;
} RnnKind;

static int rnn_init(NnLm *lm, const NnLmHyper *h, int V, int B, int T)
{
    RnnKind *k = lab_calloc(1, sizeof *k);
    lm->model = k;
    k->tok = lab_calloc((size_t)B, sizeof *k->tok);
    RnnLm *m = &k->m;
    RnnLmConfig cfg = {.cell = (NnCell)h->cell, .V = V, .E = (int)h->embed,
                       .H = (int)h->hidden, .L = (int)h->layers};
    if (rnn_lm_init(m, &cfg, B, T) != 0) {
        return -1;
    }
    lm->params = &m->layout;
    lm->param = m->params;
    lm->grad = m->grads;
    return 0;
}

static void rnn_free(NnLm *lm)
{
    RnnKind *k = lm->model;
    if (k) {
        rnn_lm_free(&k->m);
        free(k->tok);
        free(k);
    }
}

static void rnn_init_weights(NnLm *lm, LabRng *rng)
{
    rnn_lm_init_params(&((RnnKind *)lm->model)->m, rng);
}

static double rnn_forward(NnLm *lm, const int32_t *inputs, const int32_t *targets)
{
    return rnn_lm_forward(&((RnnKind *)lm->model)->m, inputs, targets);
}

static void rnn_zero_grad(NnLm *lm)
{
    rnn_lm_zero_grad(&((RnnKind *)lm->model)->m);
}

static void rnn_backward(NnLm *lm)
{
    rnn_lm_backward(&((RnnKind *)lm->model)->m);
}

static void rnn_reset_state(NnLm *lm)
{
    rnn_lm_reset_state(&((RnnKind *)lm->model)->m);
}

// state_h and state_c are (L, B, H): lane r of layer l is the H floats at (l * B + r) * H
static void rnn_reset_row(NnLm *lm, int r)
{
    RnnLm *m = &((RnnKind *)lm->model)->m;
    size_t H = (size_t)m->cfg.H;
    for (int l = 0; l < m->cfg.L; l++) {
        size_t at = ((size_t)l * m->B + r) * H;
        memset(m->state_h + at, 0, H * sizeof *m->state_h);
        memset(m->state_c + at, 0, H * sizeof *m->state_c);
    }
}

// h (L, B, H), then the LSTM's c (L, B, H)
static size_t rnn_state_floats(const NnLm *lm)
{
    const RnnLm *m = &((const RnnKind *)lm->model)->m;
    size_t n = (size_t)m->cfg.L * m->B * m->cfg.H;
    return m->cfg.cell == NN_CELL_LSTM ? 2 * n : n;
}

static void rnn_state_get(const NnLm *lm, float *out)
{
    const RnnLm *m = &((const RnnKind *)lm->model)->m;
    size_t n = (size_t)m->cfg.L * m->B * m->cfg.H;
    memcpy(out, m->state_h, n * sizeof *out);
    if (m->cfg.cell == NN_CELL_LSTM) {
        memcpy(out + n, m->state_c, n * sizeof *out);
    }
}

static void rnn_state_set(NnLm *lm, const float *in)
{
    RnnLm *m = &((RnnKind *)lm->model)->m;
    size_t n = (size_t)m->cfg.L * m->B * m->cfg.H;
    memcpy(m->state_h, in, n * sizeof *in);
    if (m->cfg.cell == NN_CELL_LSTM) {
        memcpy(m->state_c, in + n, n * sizeof *in);
    }
}

// One step of every lane: ctx (rows) the last token of each lane; lanes past rows read <s>
// and are not looked at (their state advances: the caller resets a lane it starts).
static const float *rnn_next_logits(NnLm *lm, const int32_t *ctx, int rows)
{
    RnnKind *k = lm->model;
    for (int r = 0; r < k->m.B; r++) {
        k->tok[r] = r < rows ? ctx[r] : TOK_BOS;
    }
    return rnn_lm_step_logits(&k->m, k->tok);
}

const NnLmKind nn_lm_rnn = {
    .family = "rnn",
    .what = "a recurrent language model",
    .mode = NN_LM_RECURRENT,
    .defaults = {.embed = 32, .hidden = 256, .cell = NN_CELL_LSTM, .layers = 1, .seq = 35,
                 .batching = BATCH_SEQUENTIAL},
    .opts = rnn_opts,
    .describe = rnn_describe,
    .params = rnn_params,
    .init = rnn_init,
    .free = rnn_free,
    .init_weights = rnn_init_weights,
    .forward = rnn_forward,
    .zero_grad = rnn_zero_grad,
    .backward = rnn_backward,
    .reset_state = rnn_reset_state,
    .reset_row = rnn_reset_row,
    .state_floats = rnn_state_floats,
    .state_get = rnn_state_get,
    .state_set = rnn_state_set,
    .next_logits = rnn_next_logits,
};

// --- any kind -----------------------------------------------------------------------------------

int nn_lm_init(NnLm *lm, const NnLmKind *kind, const NnLmHyper *h, int V, int B, int T)
{
    memset(lm, 0, sizeof *lm);
    lm->kind = kind;
    lm->hyper = *h;
    lm->V = V;
    lm->B = B;
    lm->T = T;
    return kind->init(lm, h, V, B, T);
}

// The steps a loaded model runs at once: a window or sequence model's context; a recurrent
// model scores up to 64 steps of its B lanes at once (rnn_lm_run_logits), fewer when B, V or
// H are large, so that its largest buffer stays about 4M floats.
static int run_steps(const NnLmKind *kind, const NnLmHyper *h, int V, int B)
{
    if (kind->mode != NN_LM_RECURRENT) {
        return (int)h->context;
    }
    double widest = V > 4 * h->hidden ? V : 4.0 * h->hidden;
    double T = (double)(1 << 22) / ((double)B * widest);
    return T < 1 ? 1 : T > 64 ? 64 : (int)T;
}

int nn_lm_rebatch(NnLm *lm, int B)
{
    if (B == lm->B) {
        return 0;
    }
    NnLm next;
    int T = lm->kind->mode == NN_LM_RECURRENT ? run_steps(lm->kind, &lm->hyper, lm->V, B) : lm->T;
    if (nn_lm_init(&next, lm->kind, &lm->hyper, lm->V, B, T) != 0) {
        nn_lm_free(&next);
        return -1;
    }
    memcpy(next.param, lm->param, lm->params->total * sizeof *lm->param);
    nn_lm_free(lm);
    *lm = next;
    return 0;
}

void nn_lm_free(NnLm *lm)
{
    if (lm->kind) {
        lm->kind->free(lm);
    }
    memset(lm, 0, sizeof *lm);
}

void nn_log_softmax(double *out, const float *logits, int V)
{
    double max = logits[0];
    for (int i = 1; i < V; i++) {
        max = logits[i] > max ? logits[i] : max;
    }
    // ln p_i = z_i - max - ln sum_j exp(z_j - max): no exp overflows, the largest term is 1
    double sum = 0;
    for (int i = 0; i < V; i++) {
        sum += exp((double)logits[i] - max);
    }
    double lse = max + log(sum);
    for (int i = 0; i < V; i++) {
        out[i] = (double)logits[i] - lse;
    }
}

// --- scoring ------------------------------------------------------------------------------------

// The recurrent case of nn_lm_score: lane r runs sequence seq[r] (-1: idle) and is at
// position pos[r]. Each round gives every lane its next T inputs (a lane whose sequence ends
// takes the next one there, from <s>), runs the T steps at once (rnn_lm_run_logits) and puts
// ln p of each predicted position i in logp[i], summed in order at the end.
static void score_recurrent(NnLm *lm, const Corpus *c, LabLoss *loss)
{
    RnnLm *m = lm->model; // the recurrent kind's struct begins with its RnnLm
    int B = lm->B, T = m->T, V = lm->V;
    size_t TB = (size_t)T * B;
    long long *seq = lab_malloc((size_t)B * sizeof *seq);
    long long *pos = lab_malloc((size_t)B * sizeof *pos);
    int32_t *ids = lab_malloc(TB * sizeof *ids);
    long long *at = lab_malloc(TB * sizeof *at); // the position (t, r) predicts, or -1
    double *lp = lab_malloc((size_t)V * sizeof *lp);
    double *logp = lab_malloc((size_t)(c->n ? c->n : 1) * sizeof *logp);
    lm->kind->reset_state(lm);
    long long next = 0; // the next sequence no lane has taken
    int busy = 0;
    for (int r = 0; r < B; r++) {
        seq[r] = -1;
    }
    for (;;) {
        int steps = 0;
        for (int t = 0; t < T; t++) {
            for (int r = 0; r < B; r++) {
                // a lane that is idle or at the end of its sequence takes the next one that
                // has tokens, from a zero state (its <s> input resets it) and <s>
                while (seq[r] < 0 || pos[r] == c->start[seq[r] + 1]) {
                    if (seq[r] >= 0) {
                        seq[r] = -1;
                        busy--;
                    }
                    if (next == c->nseq) {
                        break;
                    }
                    seq[r] = next++;
                    pos[r] = c->start[seq[r]];
                    busy++;
                }
                size_t i = (size_t)t * B + r;
                ids[i] = seq[r] < 0 || pos[r] == c->start[seq[r]] ? TOK_BOS : c->ids[pos[r] - 1];
                at[i] = seq[r] < 0 ? -1 : pos[r]++;
            }
            if (busy == 0) {
                break;
            }
            steps = t + 1;
        }
        if (steps == 0) {
            break;
        }
        const float *logits = rnn_lm_run_logits(m, ids, steps);
        for (size_t i = 0; i < (size_t)steps * B; i++) {
            if (at[i] >= 0) {
                nn_log_softmax(lp, logits + i * V, V);
                logp[at[i]] = lp[c->ids[at[i]]];
            }
        }
    }
    for (long long i = 0; i < c->n; i++) {
        lab_loss_add(loss, logp[i]);
    }
    lm->kind->reset_state(lm);
    free(seq);
    free(pos);
    free(ids);
    free(at);
    free(lp);
    free(logp);
}

// The sequence case of nn_lm_score. Sequence s reads as x = <s> ids[start[s] .. start[s+1]),
// n + 1 tokens for n ids, where x[j] predicts x[j + 1]. Window w of a sequence reads the T
// inputs x[w S .. w S + T) (past the end: <s>, never looked at) and counts the predictions
// of its positions from `from` on (0 for the first window, T - S after), up to the end of
// the sequence. B windows a forward; ln p of position i goes to logp[i], summed in order.
static void score_sequence(NnLm *lm, const Corpus *c, LabLoss *loss)
{
    const int B = lm->B, T = lm->T, V = lm->V, S = T / 2 > 0 ? T / 2 : 1;
    int32_t *inputs = lab_malloc((size_t)B * T * sizeof *inputs);
    long long *base = lab_malloc((size_t)B * sizeof *base); // corpus index of x[w S + 1]
    int *from = lab_malloc((size_t)B * sizeof *from), *to = lab_malloc((size_t)B * sizeof *to);
    double *lp = lab_malloc((size_t)V * sizeof *lp);
    double *logp = lab_malloc((size_t)(c->n ? c->n : 1) * sizeof *logp);
    long long nseq = c->nseq > 0 ? c->nseq : 1, seq = 0, at = 0; // the next window: at = w S
    for (;;) {
        int rows = 0;
        for (; rows < B && seq < nseq; rows++) {
            long long s0 = c->nseq > 0 ? c->start[seq] : 0;
            long long n = c->nseq > 0 ? c->start[seq + 1] - s0 : c->n;
            // x[j] is <s> for j == 0, else ids[s0 + j - 1]
            int32_t *in = inputs + (size_t)rows * T;
            for (int t = 0; t < T; t++) {
                long long j = at + t;
                in[t] = j == 0 || j > n ? TOK_BOS : c->ids[s0 + j - 1];
            }
            base[rows] = s0 + at;
            from[rows] = at == 0 ? 0 : T - S;
            to[rows] = n - at < T ? (int)(n - at) : T; // predictions x[at + 1 .. at + to]
            if (at + T >= n) {
                seq++; // this window reaches the end: the next sequence
                at = 0;
            } else {
                at += S;
            }
        }
        if (rows == 0) {
            break;
        }
        for (int r = rows; r < B; r++) {
            memcpy(inputs + (size_t)r * T, inputs, (size_t)T * sizeof *inputs);
        }
        const float *logits = lm->kind->seq_logits(lm, inputs);
        for (int r = 0; r < rows; r++) {
            for (int t = from[r]; t < to[r]; t++) {
                long long i = base[r] + t; // the corpus index of x[at + t + 1]
                nn_log_softmax(lp, logits + ((size_t)r * T + t) * V, V);
                logp[i] = lp[c->ids[i]];
            }
        }
    }
    for (long long i = 0; i < c->n; i++) {
        lab_loss_add(loss, logp[i]);
    }
    free(inputs);
    free(base);
    free(from);
    free(to);
    free(lp);
    free(logp);
}

void nn_lm_score(NnLm *lm, const Corpus *c, LabLoss *loss)
{
    memset(loss, 0, sizeof *loss);
    loss->words = c->words;
    loss->oov = c->oov;
    if (lm->kind->mode == NN_LM_RECURRENT) {
        // fewer sequences than lanes (a stream is one): a model of that many lanes with the
        // same weights, so that no step computes idle lanes (the trainer's has --batch lanes)
        int lanes = c->nseq < 1 ? 1 : c->nseq < lm->B ? (int)c->nseq : lm->B;
        NnLm narrow = {0};
        NnLm *use = lm;
        if (lanes < lm->B &&
            nn_lm_init(&narrow, lm->kind, &lm->hyper, lm->V, lanes,
                       run_steps(lm->kind, &lm->hyper, lm->V, lanes)) == 0) {
            memcpy(narrow.param, lm->param, lm->params->total * sizeof *lm->param);
            use = &narrow;
        }
        // A few lanes make a chain of small steps: one thread. A parallel region a step would
        // cost more than the step, and between regions libgomp's idle thread spins, taking
        // the core from the steps when other work shares the machine. The sums do not depend
        // on the thread count (nn.h), so neither does the loss.
        int threads = omp_get_max_threads();
        if (lanes < 4) {
            omp_set_num_threads(1);
        }
        score_recurrent(use, c, loss);
        omp_set_num_threads(threads);
        nn_lm_free(&narrow);
        return;
    }
    if (lm->kind->mode == NN_LM_SEQUENCE) {
        score_sequence(lm, c, loss);
        return;
    }
    lm->kind->reset_state(lm);
    int B = lm->B, T = lm->T, V = lm->V;
    int32_t *ctx = lab_malloc((size_t)B * T * sizeof *ctx);
    double *logp = lab_malloc((size_t)V * sizeof *logp);
    for (long long pos = 0; pos < c->n; pos += B) {
        int rows = c->n - pos < B ? (int)(c->n - pos) : B;
        for (int r = 0; r < rows; r++) {
            batch_context(c, pos + r, T, ctx + (size_t)r * T);
        }
        const float *logits = lm->kind->next_logits(lm, ctx, rows);
        for (int r = 0; r < rows; r++) {
            nn_log_softmax(logp, logits + (size_t)r * V, V);
            lab_loss_add(loss, logp[c->ids[pos + r]]);
        }
    }
    free(ctx);
    free(logp);
}

// --- sampling -----------------------------------------------------------------------------------

// the window after w: the last T tokens, oldest first
static void push(int32_t *ctx, int T, int32_t w)
{
    memmove(ctx, ctx + 1, (size_t)(T - 1) * sizeof *ctx);
    ctx[T - 1] = w;
}

long nn_lm_generate(FILE *f, NnLm *lm, const Vocab *v, TokKind kind, const int32_t *prompt,
                    long n, long max_tokens, const char *stop, const LabSampling *s, LabRng *rng)
{
    size_t stop_len = stop ? strlen(stop) : 0;
    // a recurrent or sequence model keeps its own context: it reads the last token
    int stepwise = lm->kind->mode != NN_LM_WINDOW;
    int T = stepwise ? 1 : lm->T, V = lm->V;
    long drawn = 0;
    double *probs = lab_malloc((size_t)V * sizeof *probs);
    int32_t *order = lab_malloc((size_t)V * sizeof *order);
    int32_t *line = lab_malloc((size_t)(n + max_tokens + 1) * sizeof *line);
    int32_t *ctx = lab_malloc((size_t)T * sizeof *ctx);
    for (int t = 0; t < T; t++) {
        ctx[t] = TOK_BOS;
    }
    lm->kind->reset_state(lm);
    long len = 0;
    for (long i = 0; i < n; i++) {
        if (stepwise) {
            lm->kind->next_logits(lm, ctx, 1); // the state reads the token before prompt[i]
        }
        line[len++] = prompt[i];
        push(ctx, T, prompt[i]);
    }
    // the text printed so far: detokenizing the whole line again and printing what is new
    // keeps the spacing rules of vocab_print_tokens (words, CJK) as one call would give them
    char *text = NULL;
    size_t text_len = 0, printed = 0, drawn_from = 0; // drawn_from: where the prompt's text ends
    int stopped = 0;
    for (long t = 0; t <= max_tokens; t++) {
        if (t > 0 || n > 0) {
            FILE *mem = open_memstream(&text, &text_len);
            if (!mem) {
                lab_die(NULL, "out of memory while printing a sample");
            }
            vocab_print_tokens(mem, v, line, len, kind);
            fclose(mem);
            size_t upto = text_len;
            if (t == 0) {
                drawn_from = text_len;
            } else if (stop_len > 0) {
                // the stop text in what was drawn, the new bytes included: print through it
                size_t from = printed > drawn_from + stop_len ? printed - stop_len : drawn_from;
                const char *hit = memmem(text + from, text_len - from, stop, stop_len);
                if (hit) {
                    upto = (size_t)(hit - text) + stop_len;
                    stopped = 1;
                }
            }
            fwrite(text + printed, 1, upto > printed ? upto - printed : 0, f);
            fflush(f);
            printed = upto;
            free(text);
            text = NULL;
        }
        if (t == max_tokens || stopped) {
            break;
        }
        const float *logits = lm->kind->next_logits(lm, ctx, 1);
        nn_log_softmax(probs, logits, V);
        for (int i = 0; i < V; i++) {
            probs[i] = exp(probs[i]);
        }
        probs[TOK_BOS] = 0.0; // never a token of the text
        probs[TOK_UNK] = 0.0; // a sample that says "<unk>" teaches nothing
        int32_t k = lab_sample_filter(probs, V, s, order);
        int32_t w = k == 0 ? TOK_EOS : lab_sample_draw(probs, order, k, s, rng);
        drawn++;
        if (w == TOK_EOS) {
            break;
        }
        line[len++] = w;
        push(ctx, T, w);
    }
    fputc('\n', f);
    fflush(f);
    free(probs);
    free(order);
    free(line);
    free(ctx);
    return drawn;
}

// --- runs ---------------------------------------------------------------------------------------

#define SEQ_TOKENS 4096 // tokens of a sequence model's scoring forward (nn_run_load)

int nn_run_load(NnRun *r, const NnLmKind *kind, const char *dir, int B)
{
    memset(r, 0, sizeof *r);
    r->kind = kind;
    char *cfg_path = lab_path_join(dir, "config");
    char *vocab_path = lab_path_join(dir, "vocab.txt");
    char *model_path = lab_path_join(dir, "model.safetensors");
    int rc = -1;
    LabConfig meta = {0};
    if (lab_run_read_config(&r->cfg, dir, kind->family, kind->what) != 0) {
        goto done;
    }
    if (text_opts_load(&r->text, &r->cfg, cfg_path) != 0) {
        goto done;
    }
    // the model's options, held to the ranges of the command line
    NnLmHyper h = kind->defaults;
    LabOpt opts[NN_LM_MAX_OPTS + 1] = {0};
    kind->opts(&h, opts);
    if (lab_config_apply(&r->cfg, cfg_path, opts) != 0) {
        goto done;
    }
    if (text_tokenizer(&r->tok, &r->text) != 0 || vocab_load(&r->vocab, vocab_path) != 0) {
        goto done;
    }
    // the size the config and vocabulary give, against the file's, before allocating it
    double floats = kind->params(&h, r->vocab.n);
    struct stat st;
    if (stat(model_path, &st) != 0) {
        lab_error_hint("train the run again", "cannot read '%s': %s", model_path,
                       strerror(errno));
        goto done;
    }
    if (4 * floats > (double)st.st_size) {
        lab_error_hint("the file was cut short or the config was edited: train the run again",
                       "'%s' holds %lld bytes, too few for the %.0f parameters its config and "
                       "vocab.txt give", model_path, (long long)st.st_size, floats);
        goto done;
    }
    // a sequence model reads windows of its whole context, B of them at once, at most
    // SEQ_TOKENS tokens a forward (its activations grow with B T)
    if (kind->mode == NN_LM_SEQUENCE && (long)B * h.context > SEQ_TOKENS) {
        B = h.context < SEQ_TOKENS ? SEQ_TOKENS / (int)h.context : 1;
    }
    if (nn_lm_init(&r->lm, kind, &h, r->vocab.n, B, run_steps(kind, &h, r->vocab.n, B)) != 0) {
        lab_error_hint("the file was edited or damaged: train the run again",
                       "'%s' and '%s' do not make a model", cfg_path, vocab_path);
        goto done;
    }
    if (nn_safetensors_read(model_path, r->lm.params, r->lm.param, &meta) != 0) {
        goto done;
    }
    const char *step = lab_config_get(&meta, "step");
    r->step = step ? atoll(step) : 0;
    rc = 0;
done:
    lab_config_free(&meta);
    free(cfg_path);
    free(vocab_path);
    free(model_path);
    if (rc != 0) {
        nn_run_free(r);
    }
    return rc;
}

void nn_run_free(NnRun *r)
{
    nn_lm_free(&r->lm);
    vocab_free(&r->vocab);
    tok_free(&r->tok);
    lab_config_free(&r->cfg);
    memset(r, 0, sizeof *r);
}
