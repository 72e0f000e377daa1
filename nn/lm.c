// lm.c: the language-model interface of lm.h for the MLP, and the pieces its commands share:
// scoring a corpus, drawing a sequence, loading a run back.
//
// Letters: B rows a batch, T tokens of context (the MLP's n), V vocabulary.
// Left out: the training loop (train.c), the commands (eval.c, cli.c).
#include "nn/lm.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
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

static const float *mlp_next_logits(NnLm *lm, const int32_t *ctx, int rows)
{
    return mlp_lm_logits(lm->model, ctx, rows);
}

const NnLmKind nn_lm_mlp = {
    .family = "mlp",
    .what = "an MLP language model",
    .recurrent = 0,
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
    .next_logits = mlp_next_logits,
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

void nn_lm_score(NnLm *lm, const Corpus *c, LabLoss *loss)
{
    // only window models so far: every position's context is known without running the model
    assert(!lm->kind->recurrent);
    memset(loss, 0, sizeof *loss);
    loss->words = c->words;
    loss->oov = c->oov;
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

void nn_lm_generate(FILE *f, NnLm *lm, const Vocab *v, TokKind kind, const int32_t *prompt,
                    long n, long max_tokens, const LabSampling *s, LabRng *rng)
{
    assert(!lm->kind->recurrent);
    int T = lm->T, V = lm->V;
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
        line[len++] = prompt[i];
        push(ctx, T, prompt[i]);
    }
    // the text printed so far: detokenizing the whole line again and printing what is new
    // keeps the spacing rules of vocab_print_tokens (words, CJK) as one call would give them
    char *text = NULL;
    size_t text_len = 0, printed = 0;
    for (long t = 0; t <= max_tokens; t++) {
        if (t > 0 || n > 0) {
            FILE *mem = open_memstream(&text, &text_len);
            if (!mem) {
                lab_die(NULL, "out of memory while printing a sample");
            }
            vocab_print_tokens(mem, v, line, len, kind);
            fclose(mem);
            fwrite(text + printed, 1, text_len - printed, f);
            fflush(f);
            printed = text_len;
            free(text);
            text = NULL;
        }
        if (t == max_tokens) {
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
}

// --- runs ---------------------------------------------------------------------------------------

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
    if (nn_lm_init(&r->lm, kind, &h, r->vocab.n, B, (int)h.context) != 0) {
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
