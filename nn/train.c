// train.c: `lmlab mlp|rnn|gpt train`: the training loop of the neural language models.
//
//   lmlab mlp train --dataset names
//   lmlab rnn train --dataset timemachine --tokenizer char --cell lstm --steps 2000
//   lmlab gpt train --dataset names --accum 2
//   lmlab mlp train --resume runs/names-mlp --steps 40000
//
// Minibatches from the batcher (MLP examples; for a recurrent model random sampling, the
// state reset every batch, or sequential partitioning, the state carried and detached; for a
// sequence model every row one line from its <s> on line data, random subsequences on a
// stream, or as --batching says), forward, backward (--accum micro-batches summed into one
// step), clipping by global norm, AdamW under a learning-rate schedule; the full valid split
// scored every --eval-every steps as `eval` scores it. The run directory (--out, default runs/<dataset>-mlp) receives config,
// vocab.txt, log.tsv (streamed), model.safetensors (the weights of the best valid loss so
// far), state.safetensors (everything a resumed run needs to continue bit for bit: weights,
// AdamW moments, a recurrent model's carried state, step, batcher state, the log row being
// summed), the charts and samples.txt.
// Ctrl-C stops after the current step with a checkpoint (exit 130); a loss or gradient that
// is not finite stops with the last good checkpoint kept (exit 1). docs/nn.md "training".
// Left out: mixed precision.
// The file is longer than the usual 800 lines because the loop and its checkpoints (what a
// resumed run reads back must be what was written) are read best side by side.
#include "nn/lm.h"
#include "plots/plots.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// The extra columns of log.tsv after LAB_LOG_COLUMNS.
#define TRAIN_LOG_EXTRA "grad_norm"

// Charts read back from log.tsv rows: step, train loss, valid loss, lr, grad norm.
typedef struct {
    double *step, *train, *valid, *lr, *norm;
    long n, cap;
} History;

typedef struct {
    const NnLmKind *kind;
    // parse
    const char *dataset, *train_arg, *valid_arg, *out, *resume;
    char *train_path, *valid_path, *run_dir;
    TextOpts text;
    NnLmHyper hyper;
    NnTrainOpts o;
    int plot, json, force, quiet;
    LabConfig cfg;
    LabConfig old_cfg; // --resume: the run's config (the strings of the options point into it)
    // build
    Tokenizer tok;
    Vocab vocab;
    Corpus corpus, valid;
    int have_valid;
    NnLm lm;
    MlpBatcher batcher;  // a window model's
    SeqBatcher sbatcher; // a recurrent or sequence model's
    float *hold;         // (state_floats) the carried state, kept aside while valid is scored
    long long per_step;  // tokens a step reads: B (window), B * T (recurrent, sequence), times
                         // --accum
    float *m, *v;  // (total) AdamW moments
    uint8_t *mask; // (total) weight decay where 1
    NnLrSchedule sched;
    int32_t *inputs, *targets;
    // progress
    long long step, best_step; // steps done; step of model.safetensors (0: none yet)
    double best_loss;          // its valid loss (INFINITY before the first evaluation)
    double row_loss, row_norm; // sums over the steps of the log row being built
    long row_steps;
    double last_valid, last_train;
    double seconds;
    LabRun run;
    History hist;
} Train;

// --- checkpoints --------------------------------------------------------------------------------

// The tensor table of state.safetensors: the weights, then AdamW's two moments, each flat,
// then (when nstate > 0) the carried state of a recurrent model, flat. Returns the count of
// tensors (3 or 4), -1 with a message.
static int state_layout(NnParams *p, NnTensorSpec spec[4], size_t total, size_t nstate)
{
    static const char *names[4] = {"weights", "adam.m", "adam.v", "state"};
    if (total > 2147483647u || nstate > 2147483647u) {
        return lab_error("the model has %zu parameters and %zu floats of state: a checkpoint "
                         "holds at most 2^31 - 1 a tensor", total, nstate);
    }
    int n = nstate > 0 ? 4 : 3;
    for (int i = 0; i < n; i++) {
        size_t len = i == 3 ? nstate : total;
        spec[i] = (NnTensorSpec){names[i], 1, {(int)len, 0, 0, 0}, 0, NN_INIT_ZEROS, 0, 0};
    }
    return nn_params_layout(p, spec, n) < 0 ? -1 : n;
}

// the batcher's state, whichever the kind uses
static BatchState *batch_state(Train *t)
{
    return t->kind->mode == NN_LM_WINDOW ? &t->batcher.st : &t->sbatcher.st;
}

// The run's config in a checkpoint's metadata: every key on its own, and as "config" the
// text of the config file (docs/formats.md "safetensors"), then what the checkpoint adds.
static void meta_base(const Train *t, LabConfig *meta)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) {
        lab_die(NULL, "out of memory writing a checkpoint's metadata");
    }
    for (int i = 0; i < t->cfg.n; i++) {
        lab_config_set(meta, t->cfg.key[i], "%s", t->cfg.val[i]);
        fprintf(f, "%s = ", t->cfg.key[i]);
        lab_config_escape(f, t->cfg.val[i]);
        fputc('\n', f);
    }
    fclose(f);
    lab_config_set(meta, "config", "%s", text);
    free(text);
    lab_config_set(meta, "vocab_size", "%d", t->lm.V);
}

static int write_model(Train *t)
{
    LabConfig meta = {0};
    meta_base(t, &meta);
    lab_config_set(&meta, "step", "%lld", t->step);
    lab_config_set(&meta, "valid_loss", "%.17g", t->last_valid);
    char *path = lab_path_join(t->run_dir, "model.safetensors");
    int rc = nn_safetensors_write(path, t->lm.params, t->lm.param, &meta);
    free(path);
    lab_config_free(&meta);
    return rc;
}

static int write_state(Train *t)
{
    size_t total = t->lm.params->total, nstate = t->kind->state_floats(&t->lm);
    NnTensorSpec spec[4];
    NnParams p = {0};
    if (state_layout(&p, spec, total, nstate) < 0) {
        return -1;
    }
    float *block = lab_malloc((3 * total + nstate) * sizeof *block);
    memcpy(block, t->lm.param, total * sizeof *block);
    memcpy(block + total, t->m, total * sizeof *block);
    memcpy(block + 2 * total, t->v, total * sizeof *block);
    t->kind->state_get(&t->lm, block + 3 * total);
    LabConfig meta = {0};
    meta_base(t, &meta);
    const BatchState *b = batch_state(t);
    lab_config_set(&meta, "step", "%lld", t->step);
    lab_config_set(&meta, "batch_rng", "%016llx,%016llx,%016llx,%016llx",
                   (unsigned long long)b->rng.s[0], (unsigned long long)b->rng.s[1],
                   (unsigned long long)b->rng.s[2], (unsigned long long)b->rng.s[3]);
    lab_config_set(&meta, "batch_epoch", "%lld", b->epoch);
    lab_config_set(&meta, "batch_batch", "%lld", b->batch);
    lab_config_set(&meta, "batch_offset", "%lld", b->offset);
    lab_config_set(&meta, "best_step", "%lld", t->best_step);
    lab_config_set(&meta, "best_valid_loss", "%.17g", t->best_loss);
    lab_config_set(&meta, "row_loss_sum", "%.17g", t->row_loss);
    lab_config_set(&meta, "row_norm_sum", "%.17g", t->row_norm);
    lab_config_set(&meta, "row_steps", "%ld", t->row_steps);
    char *path = lab_path_join(t->run_dir, "state.safetensors");
    int rc = nn_safetensors_write(path, &p, block, &meta);
    free(path);
    free(block);
    lab_config_free(&meta);
    nn_params_free(&p);
    return rc;
}

// One number of a checkpoint's metadata: a whole number in [lo, hi] (is_int) or a double that
// is not NaN. -1 with a message naming the file and the key.
static int meta_num(const LabConfig *meta, const char *path, const char *key, int is_int,
                    double lo, double hi, double *out)
{
    const char *s = lab_config_get(meta, key);
    char *end = NULL;
    errno = 0;
    double x = s ? (is_int ? (double)strtoll(s, &end, 10) : strtod(s, &end)) : NAN;
    if (!s || end == s || *end || errno == ERANGE || isnan(x) || (is_int && (x < lo || x > hi))) {
        char q[64];
        return lab_error_hint("the file was edited or damaged: train the run again",
                              "'%s': metadata '%s' is %s%s%s", path, key, s ? "'" : "missing",
                              s ? lab_quote(q, sizeof q, s, strlen(s)) : "",
                              s ? "', not valid" : "");
    }
    *out = x;
    return 0;
}

// Reads state.safetensors of the run into t (weights, moments, step, batcher, best, row).
static int read_state(Train *t)
{
    char *path = lab_path_join(t->run_dir, "state.safetensors");
    size_t total = t->lm.params->total, nstate = t->kind->state_floats(&t->lm);
    NnTensorSpec spec[4];
    NnParams p = {0};
    LabConfig meta = {0};
    float *block = NULL;
    int rc = -1;
    if (access(path, F_OK) != 0) {
        lab_error_hint("a run stopped by Ctrl-C or one that finished writes it; train afresh "
                       "without --resume",
                       "'%s' has no state.safetensors to resume from", t->run_dir);
        goto done;
    }
    if (state_layout(&p, spec, total, nstate) < 0) {
        goto done;
    }
    block = lab_malloc((3 * total + nstate) * sizeof *block);
    if (nn_safetensors_read(path, &p, block, &meta) != 0) {
        goto done;
    }
    double step, epoch, batch, offset, best_step, best, rl, rn, rs;
    if (meta_num(&meta, path, "step", 1, 0, 1e15, &step) ||
        meta_num(&meta, path, "batch_epoch", 1, 0, 1e18, &epoch) ||
        meta_num(&meta, path, "batch_batch", 1, 0, 1e18, &batch) ||
        meta_num(&meta, path, "batch_offset", 1, 0, 1e18, &offset) ||
        meta_num(&meta, path, "best_step", 1, 0, step, &best_step) ||
        meta_num(&meta, path, "best_valid_loss", 0, 0, 0, &best) ||
        meta_num(&meta, path, "row_loss_sum", 0, 0, 0, &rl) ||
        meta_num(&meta, path, "row_norm_sum", 0, 0, 0, &rn) ||
        meta_num(&meta, path, "row_steps", 1, 0, step, &rs)) {
        goto done;
    }
    BatchState st = {.epoch = (long long)epoch, .batch = (long long)batch,
                     .offset = (long long)offset};
    const char *r = lab_config_get(&meta, "batch_rng");
    unsigned long long s[4];
    int used = 0;
    if (!r || sscanf(r, "%16llx,%16llx,%16llx,%16llx%n", &s[0], &s[1], &s[2], &s[3], &used) != 4 ||
        r[used] != '\0' || !(s[0] | s[1] | s[2] | s[3])) {
        lab_error_hint("the file was edited or damaged: train the run again",
                       "'%s': metadata 'batch_rng' is not four hexadecimal words", path);
        goto done;
    }
    for (int i = 0; i < 4; i++) {
        st.rng.s[i] = s[i];
    }
    if ((t->kind->mode == NN_LM_WINDOW ? batch_mlp_restore(&t->batcher, &st)
                                       : batch_seq_restore(&t->sbatcher, &st)) != 0) {
        lab_error_hint("the file was edited or damaged, or the training text changed: train the "
                       "run again", "'%s': the batcher state does not fit this run", path);
        goto done;
    }
    memcpy(t->lm.param, block, total * sizeof *block);
    memcpy(t->m, block + total, total * sizeof *block);
    memcpy(t->v, block + 2 * total, total * sizeof *block);
    t->kind->state_set(&t->lm, block + 3 * total);
    t->step = (long long)step;
    t->best_step = (long long)best_step;
    t->best_loss = best;
    t->row_loss = rl;
    t->row_norm = rn;
    t->row_steps = (long)rs;
    rc = 0;
done:
    free(block);
    free(path);
    lab_config_free(&meta);
    nn_params_free(&p);
    return rc;
}

// --- log.tsv and the charts ---------------------------------------------------------------------

static void history_add(History *h, double step, double train, double valid, double lr,
                        double norm)
{
    if (h->n == h->cap) {
        h->cap = h->cap ? 2 * h->cap : 256;
        h->step = lab_realloc(h->step, (size_t)h->cap * sizeof(double));
        h->train = lab_realloc(h->train, (size_t)h->cap * sizeof(double));
        h->valid = lab_realloc(h->valid, (size_t)h->cap * sizeof(double));
        h->lr = lab_realloc(h->lr, (size_t)h->cap * sizeof(double));
        h->norm = lab_realloc(h->norm, (size_t)h->cap * sizeof(double));
    }
    h->step[h->n] = step;
    h->train[h->n] = train;
    h->valid[h->n] = valid;
    h->lr[h->n] = lr;
    h->norm[h->n] = norm;
    h->n++;
}

static void history_free(History *h)
{
    free(h->step);
    free(h->train);
    free(h->valid);
    free(h->lr);
    free(h->norm);
    memset(h, 0, sizeof *h);
}

// A field of a log.tsv row: LAB_LOG_MISSING reads as NAN. 0, or -1 when it is not a number.
static int log_field(const char *s, double *out)
{
    if (strcmp(s, LAB_LOG_MISSING) == 0) {
        *out = NAN;
        return 0;
    }
    char *end;
    *out = strtod(s, &end);
    return end == s || *end ? -1 : 0;
}

// When resuming: the rows of the old log.tsv up to the step resumed, which the new log.tsv
// starts with (rows written after the checkpoint are dropped: they will come again).
static int log_resume(Train *t)
{
    char *path = lab_path_join(t->run_dir, "log.tsv"), *data = NULL;
    size_t len;
    int rc = -1;
    if (lab_read_file(path, &data, &len, 0) != 0) {
        goto done;
    }
    char *kept = lab_malloc(len + 1);
    size_t nk = 0;
    char *cursor = data;
    long line_no = 0;
    int ncols = 8;
    for (char *line; (line = lab_next_line(&cursor));) {
        if (++line_no == 1 || !*line) {
            continue; // the header is written again by lab_run_log_open
        }
        char *copy = lab_strdup(line);
        double v[8];
        int n = 0;
        for (char *f = strtok(copy, "\t"); f && n < ncols; f = strtok(NULL, "\t")) {
            if (log_field(f, &v[n]) != 0) {
                break;
            }
            n++;
        }
        free(copy);
        if (n != ncols) {
            lab_error_hint("the file was edited or damaged: train the run again",
                           "'%s' line %ld: expected %d numbers separated by tabs", path, line_no,
                           ncols);
            free(kept);
            goto done;
        }
        if (v[0] > (double)t->step) {
            break;
        }
        history_add(&t->hist, v[0], v[2], v[3], v[5], v[7]);
        size_t l = strlen(line);
        memcpy(kept + nk, line, l);
        kept[nk + l] = '\n';
        nk += l + 1;
    }
    if (lab_run_log_open(&t->run, TRAIN_LOG_EXTRA) == 0) {
        fwrite(kept, 1, nk, t->run.log);
        rc = fflush(t->run.log) == 0 ? 0 : lab_error("cannot write '%s'", t->run.log_path);
    }
    free(kept);
done:
    free(data);
    free(path);
    return rc;
}

static int chart(const Train *t, const char *name, const char *what, const char *ylabel,
                 const char *s1, const double *y1, const char *s2, const double *y2, int logy)
{
    const char *data = t->dataset ? t->dataset : t->train_path;
    char desc[128];
    t->kind->describe(&t->hyper, desc, sizeof desc);
    char *title = lab_asprintf("%s, %s (%s): %s", data, t->kind->family, desc, what);
    Plot p;
    plot_init(&p, title, "step", ylabel);
    free(title);
    p.logy = logy;
    // only the rows where the series was measured
    const double *ys[2] = {y1, y2};
    const char *names[2] = {s1, s2};
    double *x = lab_malloc(((size_t)t->hist.n + 1) * sizeof *x);
    double *y = lab_malloc(((size_t)t->hist.n + 1) * sizeof *y);
    for (int s = 0; s < 2 && ys[s]; s++) {
        long n = 0;
        for (long i = 0; i < t->hist.n; i++) {
            if (!isnan(ys[s][i])) {
                x[n] = t->hist.step[i];
                y[n] = ys[s][i];
                n++;
            }
        }
        plot_add_series(&p, names[s], x, y, n);
    }
    free(x);
    free(y);
    int rc = plot_write(&p, t->run_dir, name, (PlotOutput)t->plot);
    plot_free(&p);
    return rc;
}

static int train_charts(const Train *t)
{
    double *ppl = lab_malloc(((size_t)t->hist.n + 1) * sizeof *ppl);
    for (long i = 0; i < t->hist.n; i++) {
        ppl[i] = isnan(t->hist.valid[i]) ? NAN : lab_ppl(t->hist.valid[i]);
    }
    int rc = chart(t, "loss", "loss against step", "loss (nats/token)", "train", t->hist.train,
                   "valid", t->hist.valid, 0);
    rc = rc ? rc
            : chart(t, "ppl", "valid perplexity", "perplexity", "valid", ppl, NULL, NULL, 1);
    rc = rc ? rc
            : chart(t, "grad_norm", "gradient norm before clipping", "global L2 norm",
                    "grad norm", t->hist.norm, NULL, NULL, 1);
    rc = rc ? rc
            : chart(t, "lr", "learning rate", "learning rate", "lr", t->hist.lr, NULL, NULL, 0);
    free(ppl);
    return rc;
}

// --- parse ----------------------------------------------------------------------------------

// x as the shortest %g that reads back as the same double
static void config_double(LabConfig *c, const char *key, double x)
{
    char buf[40];
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, x);
        if (strtod(buf, NULL) == x) {
            break;
        }
    }
    lab_config_set(c, key, "%s", buf);
}

// Writes the run's config from the options (the keys are the option names, '-' as '_', so
// lab_config_apply reads them back through the same table).
static void train_config(Train *t)
{
    LabConfig *c = &t->cfg;
    const NnTrainOpts *o = &t->o;
    lab_config_set(c, "family", "%s", t->kind->family);
    if (t->dataset) {
        lab_config_set(c, "dataset", "%s", t->dataset);
    }
    lab_config_set(c, "train", "%s", t->train_path);
    if (t->valid_path && !t->dataset) {
        lab_config_set(c, "valid", "%s", t->valid_path);
    }
    text_opts_save(&t->text, c);
    LabOpt mo[NN_LM_MAX_OPTS + 1] = {0};
    int nm = t->kind->opts(&t->hyper, mo);
    for (int i = 0; i < nm; i++) {
        if (mo[i].kind == LAB_OPT_INT) {
            lab_config_set(c, mo[i].name, "%ld", *(long *)mo[i].dest);
        } else if (mo[i].kind == LAB_OPT_DOUBLE) {
            config_double(c, mo[i].name, *(double *)mo[i].dest);
        } else if (mo[i].kind == LAB_OPT_CHOICE) {
            lab_config_set(c, mo[i].name, "%s", lab_choice_name(mo[i].choices,
                                                                *(int *)mo[i].dest));
        }
    }
    lab_config_set(c, "batch", "%ld", o->batch);
    lab_config_set(c, "accum", "%ld", o->accum);
    lab_config_set(c, "steps", "%ld", o->steps);
    config_double(c, "lr", o->lr);
    lab_config_set(c, "schedule", "%s", lab_choice_name(NN_SCHEDULE_CHOICES, o->schedule));
    lab_config_set(c, "warmup", "%ld", o->warmup);
    config_double(c, "min_lr", o->min_lr);
    lab_config_set(c, "step_size", "%ld", o->step_size);
    config_double(c, "gamma", o->gamma);
    config_double(c, "weight_decay", o->weight_decay);
    config_double(c, "beta1", o->beta1);
    config_double(c, "beta2", o->beta2);
    config_double(c, "clip", o->clip);
    lab_config_set(c, "eval_every", "%ld", o->eval_every);
    lab_config_set(c, "log_every", "%ld", o->log_every);
    lab_config_set(c, "seed", "%ld", o->seed);
    lab_config_set(c, "samples", "%ld", o->samples);
}

static void train_parse(Train *t, int argc, char **argv)
{
    NnTrainOpts *o = &t->o;
    *o = (NnTrainOpts){.batch = 64, .accum = 1, .steps = 20000, .eval_every = 1000, .log_every = 100,
                       .seed = 1337, .samples = 20, .warmup = 100, .step_size = 0, .lr = 0.005,
                       .weight_decay = 0.01, .beta1 = 0.9, .beta2 = 0.999, .clip = 1.0,
                       .gamma = 0.1, .min_lr = 0.001, .schedule = NN_LR_COSINE};
    if (t->kind->steps > 0) {
        o->steps = t->kind->steps;
    }
    if (t->kind->train_defaults) {
        t->kind->train_defaults(o);
    }
    t->text = (TextOpts)TEXT_OPTS_DEFAULT;
    t->hyper = t->kind->defaults;
    t->plot = PLOT_PNG;
    LabOpt opts[64];
    int n = 0;
    char *out_help = lab_asprintf("run directory (default runs/NAME-%s: see docs/cli.md)",
                                  t->kind->family);
    const LabOpt head[] = {
        {"dataset", LAB_OPT_STRING, &t->dataset, "NAME", "a shipped corpus: datasets/NAME/", 0, 0,
         0},
        {"train", LAB_OPT_STRING, &t->train_arg, "FILE", "train on this file instead of a dataset",
         0, 0, 0},
        {"valid", LAB_OPT_STRING, &t->valid_arg, "FILE",
         "with --train: the file scored every --eval-every steps", 0, 0, 0},
        TEXT_OPTS_TABLE(t->text),
        TEXT_MIN_COUNT_OPT(t->text, "rarer token types read as <unk>"),
    };
    memcpy(opts, head, sizeof head);
    n += (int)(sizeof head / sizeof head[0]);
    n += t->kind->opts(&t->hyper, opts + n);
    const LabOpt tail[] = {
        {"batch", LAB_OPT_INT, &o->batch, "B", t->kind->mode == NN_LM_WINDOW
                                                   ? "examples per micro-batch"
                                                   : "sequences (lanes) per micro-batch", 0, 1,
         65536},
        {"accum", LAB_OPT_INT, &o->accum, "N", "micro-batches whose gradients are summed into one "
         "step (the loss their mean): a batch of N B rows in the memory of B", 0, 1, 65536},
        {"steps", LAB_OPT_INT, &o->steps, "N", "optimizer steps in all (with --resume: the step "
         "to continue to)", 0, 1, 1e12},
        {"lr", LAB_OPT_DOUBLE, &o->lr, "LR", "peak learning rate of AdamW", 0, 1e-9, 100},
        {"schedule", LAB_OPT_CHOICE, &o->schedule, NULL, "learning rate against step: constant; "
         "times --gamma every --step-size steps; warmup then a cosine down to --min-lr",
         NN_SCHEDULE_CHOICES, 0, 0},
        {"warmup", LAB_OPT_INT, &o->warmup, "N", "cosine: steps of linear warmup", 0, 0, 1e12},
        {"min-lr", LAB_OPT_DOUBLE, &o->min_lr, "LR", "cosine: the rate at the last step", 0, 0,
         100},
        {"step-size", LAB_OPT_INT, &o->step_size, "N", "step: steps between decays (0: half of "
         "--steps)", 0, 0, 1e12},
        {"gamma", LAB_OPT_DOUBLE, &o->gamma, "G", "step: the factor of each decay", 0, 0, 1},
        {"weight-decay", LAB_OPT_DOUBLE, &o->weight_decay, "WD",
         "AdamW's decoupled weight decay (matrices and embeddings, not biases)", 0, 0, 10},
        {"beta1", LAB_OPT_DOUBLE, &o->beta1, "B1", "AdamW: decay of the first moment", 0, 0,
         0.999999},
        {"beta2", LAB_OPT_DOUBLE, &o->beta2, "B2", "AdamW: decay of the second moment", 0, 0,
         0.999999},
        {"clip", LAB_OPT_DOUBLE, &o->clip, "C", "clip the gradient to this global L2 norm (0: "
         "never)", 0, 0, 1e9},
        {"eval-every", LAB_OPT_INT, &o->eval_every, "N", "score the valid split every N steps "
         "(and at the last), keep the best weights", 0, 1, 1e12},
        {"log-every", LAB_OPT_INT, &o->log_every, "N", "a log.tsv row every N steps", 0, 1, 1e12},
        {"seed", LAB_OPT_INT, &o->seed, "S", "random seed of the weights, the batches and the "
         "samples", 0, 0, 0},
        {"samples", LAB_OPT_INT, &o->samples, "N", "sequences to sample into samples.txt", 0, 0,
         1e6},
        {"out", LAB_OPT_STRING, &t->out, "DIR", out_help, 0, 0, 0},
        {"force", LAB_OPT_FLAG, &t->force, NULL, "replace a run of another configuration in the "
         "run directory", 0, 0, 0},
        {"resume", LAB_OPT_STRING, &t->resume, "DIR", "continue the run in DIR from its "
         "state.safetensors to --steps", 0, 0, 0},
        {"plot", LAB_OPT_CHOICE, &t->plot, NULL, "charts as PNG, in the terminal, or not at all",
         PLOT_OUTPUT_CHOICES, 0, 0},
        {"quiet", LAB_OPT_FLAG, &t->quiet, NULL, "no notes and no progress", 0, 0, 0},
        {"json", LAB_OPT_FLAG, &t->json, NULL, "print one JSON object: sizes, steps, losses", 0,
         0, 0},
        {0},
    };
    memcpy(opts + n, tail, sizeof tail);
    char *usage = lab_asprintf("lmlab %s train (--dataset NAME | --train FILE | --resume DIR) "
                               "[options]", t->kind->family);
    char *epilog = t->kind->mode == NN_LM_SEQUENCE
                       ? lab_asprintf("examples:\n"
                                      "  lmlab %s train --dataset names\n"
                                      "  lmlab %s train --dataset names --layers 6 --width 128 "
                                      "--dropout 0.1 --out runs/names-gpt6\n"
                                      "  lmlab %s train --dataset tinyshakespeare --unit stream "
                                      "--context 64 --accum 4\n"
                                      "  lmlab %s train --resume runs/names-gpt --steps 8000\n",
                                      t->kind->family, t->kind->family, t->kind->family,
                                      t->kind->family)
                   : t->kind->mode == NN_LM_RECURRENT
                       ? lab_strdup("examples:\n"
                                    "  lmlab rnn train --dataset names\n"
                                    "  lmlab rnn train --dataset timemachine --tokenizer char "
                                    "--cell gru --steps 2000 --out runs/gru-tm\n"
                                    "  lmlab rnn train --resume runs/gru-tm --steps 4000\n")
                       : lab_asprintf("examples:\n"
                                      "  lmlab %s train --dataset names\n"
                                      "  lmlab %s train --dataset names --context 4 --steps 5000 "
                                      "--out runs/names-c4\n"
                                      "  lmlab %s train --resume runs/names-mlp --steps 40000\n",
                                      t->kind->family, t->kind->family, t->kind->family);
    const LabCommand cmd = {
        .usage = usage,
        .summary = "Train a neural language model by minibatch AdamW, and write a run directory.",
        .opts = opts,
        .epilog = epilog,
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    lab_quiet = t->quiet;
    if (t->json && t->plot == PLOT_DUMB) {
        lab_usage_die(&cmd, "--plot dumb draws on stdout, which --json keeps for the object");
    }
    if (t->resume) {
        // the run's own options come from its config: only these may change
        static const char *const free_opts[] = {"steps", "resume", "plot", "quiet", "json"};
        for (const LabOpt *x = opts; x->name; x++) {
            int ok = 0;
            for (size_t i = 0; i < sizeof free_opts / sizeof *free_opts; i++) {
                ok |= strcmp(x->name, free_opts[i]) == 0;
            }
            if (!ok && lab_args_given(&cmd, x->name)) {
                lab_usage_die(&cmd, "--%s comes from the run's config when resuming: only "
                              "--steps, --plot, --quiet and --json may be given", x->name);
            }
        }
        long steps = o->steps;
        t->run_dir = lab_strdup(t->resume);
        char *cfg_path = lab_path_join(t->run_dir, "config");
        if (lab_run_read_config(&t->old_cfg, t->run_dir, t->kind->family, t->kind->what) != 0 ||
            lab_config_apply(&t->old_cfg, cfg_path, opts) != 0) {
            exit(1);
        }
        free(cfg_path);
        o->steps = steps;
        if (t->dataset && !dataset_name_ok(t->dataset)) {
            lab_die("the file was edited or damaged: train the run again",
                    "'%s/config': dataset is a name such as 'names'", t->run_dir);
        }
        t->train_path = lab_strdup(t->train_arg);
        if (t->dataset) {
            t->valid_path = dataset_path(t->dataset, "valid");
            if (access(t->valid_path, F_OK) != 0) {
                free(t->valid_path);
                t->valid_path = NULL;
            }
        } else if (t->valid_arg) {
            t->valid_path = lab_strdup(t->valid_arg);
        }
    } else {
        if (!!t->train_arg == !!t->dataset) {
            lab_usage_die(&cmd, t->dataset ? "give --dataset or --train, not both"
                                           : "say what to train on: --dataset NAME or --train "
                                             "FILE (or --resume DIR)");
        }
        if (t->valid_arg && !t->train_arg) {
            lab_usage_die(&cmd, "--valid goes with --train: a dataset has its own valid split");
        }
        if (lab_args_given(&cmd, "pattern") && t->text.tokenizer != TOK_WORD) {
            lab_usage_die(&cmd, "--pattern is for --tokenizer word");
        }
        t->train_path = t->train_arg ? lab_strdup(t->train_arg)
                                     : dataset_resolve(&cmd, t->dataset, "train", "train");
        if (t->dataset) {
            char *vp = dataset_path(t->dataset, "valid");
            t->valid_path = access(vp, F_OK) == 0 ? vp : NULL;
            if (!t->valid_path) {
                free(vp);
            }
        } else if (t->valid_arg) {
            t->valid_path = lab_strdup(t->valid_arg);
        }
        if (t->out) {
            t->run_dir = lab_strdup(t->out);
        } else {
            char *base = t->dataset ? lab_strdup(t->dataset) : lab_run_stem(t->train_path);
            char tok[32];
            t->run_dir = lab_asprintf("runs/%s%s-%s", base,
                                      text_run_suffix(&t->text, tok, sizeof tok),
                                      t->kind->family);
            free(base);
        }
    }
    if (t->kind->mode == NN_LM_SEQUENCE) {
        if (t->resume) {
            // a run begun before --batching existed was trained on random subsequences
            if (!lab_config_get(&t->old_cfg, "batching")) {
                t->hyper.batching = NN_SEQ_RANDOM;
            }
        } else if (!lab_args_given(&cmd, "batching")) {
            // every row a line from its <s>, as it is scored; a stream has no lines
            t->hyper.batching = t->text.unit == UNIT_LINE ? NN_SEQ_LINES : NN_SEQ_RANDOM;
        } else if (t->hyper.batching == NN_SEQ_LINES && t->text.unit != UNIT_LINE) {
            lab_usage_die(&cmd, "--batching lines reads a corpus of lines: give --unit line, "
                          "or --batching random for a stream");
        }
    }
    if (o->schedule == NN_LR_COSINE && o->min_lr > o->lr) {
        lab_usage_die(&cmd, "--min-lr (%g) is above --lr (%g)", o->min_lr, o->lr);
    }
    train_config(t);
    free(usage);
    free(epilog);
    free(out_help);
    if (t->resume) {
        // the run directory is there already: take it over as it is
        t->run.dir = lab_strdup(t->run_dir);
        t->run.family = t->kind->family;
        if (lab_run_dir(t->run_dir) != 0) {
            exit(1);
        }
    } else if (lab_run_open(&t->run, t->run_dir, t->kind->family, &t->cfg, t->force) != 0) {
        exit(1);
    }
}

// --- build ------------------------------------------------------------------------------------

__attribute__((noreturn)) static void train_fail(Train *t, int status)
{
    if (!t->resume) {
        lab_run_discard(&t->run);
    }
    exit(status);
}

static void train_build(Train *t)
{
    if (text_tokenizer(&t->tok, &t->text) != 0) {
        train_fail(t, 2);
    }
    vocab_init(&t->vocab);
    if (text_load_corpus(&t->corpus, &t->vocab, 1, &t->tok, &t->text, t->train_path) != 0) {
        train_fail(t, 1);
    }
    if (t->valid_path) {
        if (text_load_corpus(&t->valid, &t->vocab, 0, &t->tok, &t->text, t->valid_path) != 0) {
            train_fail(t, 1);
        }
        t->have_valid = 1;
    }
    const NnTrainOpts *o = &t->o;
    NnLmMode mode = t->kind->mode;
    int T = (int)(mode == NN_LM_RECURRENT ? t->hyper.seq : t->hyper.context);
    if (nn_lm_init(&t->lm, t->kind, &t->hyper, t->vocab.n, (int)o->batch, T) != 0) {
        train_fail(t, 2);
    }
    t->per_step = (mode == NN_LM_WINDOW ? o->batch : o->batch * (long long)T) * o->accum;
    t->hold = lab_malloc((t->kind->state_floats(&t->lm) + 1) * sizeof *t->hold);
    size_t total = t->lm.params->total;
    t->m = lab_calloc(total, sizeof(float));
    t->v = lab_calloc(total, sizeof(float));
    t->mask = lab_malloc(total);
    nn_params_decay_mask(t->lm.params, t->mask);
    t->inputs = lab_malloc((size_t)o->batch * t->lm.T * sizeof(int32_t));
    t->targets = lab_malloc((size_t)o->batch * (mode == NN_LM_WINDOW ? 1 : T) * sizeof(int32_t));
    // the weights from stream 0 of the seed, the batches from stream 1: independent
    LabRng init;
    lab_rng_stream(&init, (uint64_t)o->seed, 0);
    t->kind->init_weights(&t->lm, &init);
    uint64_t bseed = (uint64_t)o->seed + 0x9E3779B97F4A7C15ull;
    // a sequence model carries nothing between batches: lines or random sampling (train_parse
    // chose: lines for line data unless --batching random)
    BatchScheme scheme = mode == NN_LM_RECURRENT ? (BatchScheme)t->hyper.batching
                         : t->hyper.batching == NN_SEQ_LINES ? BATCH_LINES
                                                             : BATCH_RANDOM;
    if ((mode == NN_LM_WINDOW
             ? batch_mlp_init(&t->batcher, &t->corpus, (int)o->batch, T, bseed)
             : batch_seq_init(&t->sbatcher, &t->corpus, scheme, (int)o->batch, T, bseed)) != 0) {
        train_fail(t, 1);
    }
    t->sched = (NnLrSchedule){
        .kind = (NnLrKind)o->schedule, .lr = o->lr, .min_lr = o->min_lr,
        .warmup = o->warmup, .total = o->steps,
        .step_size = o->step_size ? o->step_size : (o->steps + 1) / 2, .gamma = o->gamma,
    };
    t->best_loss = INFINITY;
    t->last_valid = NAN;
    t->last_train = NAN;
    if (t->resume) {
        char *vp = lab_path_join(t->run_dir, "vocab.txt");
        Vocab saved;
        int same = vocab_load(&saved, vp) == 0 && saved.n == t->vocab.n;
        vocab_free(&saved);
        free(vp);
        if (!same) {
            lab_die("the training text changed since the run began: train afresh",
                    "'%s/vocab.txt' is not the vocabulary of '%s'", t->run_dir, t->train_path);
        }
        if (read_state(t) != 0 || log_resume(t) != 0) {
            exit(1);
        }
        if (t->step >= t->o.steps) {
            lab_die("give a larger --steps", "'%s' is at step %lld already, --steps is %ld",
                    t->run_dir, t->step, t->o.steps);
        }
        if (lab_run_write_config(&t->run, &t->cfg) != 0) { // the new --steps
            exit(1);
        }
    } else {
        char *vp = lab_path_join(t->run_dir, "vocab.txt");
        if (lab_run_write_config(&t->run, &t->cfg) != 0 || vocab_save(&t->vocab, vp) != 0 ||
            lab_run_log_open(&t->run, TRAIN_LOG_EXTRA) != 0) {
            free(vp);
            train_fail(t, 1);
        }
        free(vp);
    }
}

// --- the loop ------------------------------------------------------------------------------------

static volatile sig_atomic_t interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    interrupted = 1;
}

// The valid loss, as `eval` scores the split. A recurrent model's carried state is kept
// aside meanwhile, so the next batch continues from it as if no evaluation had run.
static double evaluate(Train *t)
{
    LabLoss l;
    t->kind->state_get(&t->lm, t->hold);
    nn_lm_score(&t->lm, &t->valid, &l);
    t->kind->state_set(&t->lm, t->hold);
    return lab_loss_mean(&l);
}

static void say_step(const Train *t, double tps)
{
    if (lab_quiet) {
        return;
    }
    if (isatty(STDERR_FILENO)) {
        fputs("\r\033[K", stderr); // over the progress bar
    }
    fprintf(stderr, "step %lld/%ld  train loss %.4f", t->step, t->o.steps, t->last_train);
    if (!isnan(t->last_valid)) {
        fprintf(stderr, "  valid loss %.4f (ppl %.3f)", t->last_valid, lab_ppl(t->last_valid));
    }
    fprintf(stderr, "  lr %.3g  %.0f tok/s\n", nn_lr_at(&t->sched, t->step - 1), tps);
}

static void train_loop(Train *t)
{
    const NnTrainOpts *o = &t->o;
    const NnLmKind *k = t->kind;
    NnLm *lm = &t->lm;
    size_t total = lm->params->total;
    struct sigaction sa = {0}, old;
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old);
    LabProgress bar;
    lab_progress_start(&bar, "train", o->steps);
    double t_start = lab_now(), t_row = t_start;
    long long tokens_row = 0, first = t->step;
    while (t->step < o->steps && !interrupted) {
        double lr = nn_lr_at(&t->sched, t->step);
        k->zero_grad(lm);
        double loss = 0;
        for (long micro = 0; micro < o->accum; micro++) {
            if (k->mode == NN_LM_WINDOW) {
                batch_mlp_next(&t->batcher, t->inputs, t->targets);
            } else if (!batch_seq_next(&t->sbatcher, t->inputs, t->targets)) {
                k->reset_state(lm); // random sampling, or a new epoch's lanes: unrelated text
            } // else: the lanes continue the last batch, the state carried (detached)
            // the dropout masks of this micro-batch: a function of the seed and the count of
            // micro-batches before it, so a resumed run draws the same
            lm->step_seed = (uint64_t)o->seed ^
                            (((uint64_t)t->step * (uint64_t)o->accum + (uint64_t)micro + 1) *
                             0xD1B54A32D192ED03ull);
            loss += k->forward(lm, t->inputs, t->targets);
            k->backward(lm); // accumulates: the sum of the micro-batches' gradients
        }
        if (o->accum > 1) {
            // the gradient of the mean of the micro-batches' losses
            loss /= (double)o->accum;
            float inv = (float)(1.0 / (double)o->accum);
            for (size_t i = 0; i < total; i++) {
                lm->grad[i] *= inv;
            }
        }
        double norm = nn_clip_grad_norm(lm->grad, total, o->clip > 0 ? o->clip : INFINITY);
        if (!isfinite(loss) || !isfinite(norm)) {
            lab_progress_end(&bar);
            sigaction(SIGINT, &old, NULL);
            double bad = isfinite(loss) ? norm : loss;
            lab_error_hint(t->best_step ? "lower --lr or --clip; model.safetensors and "
                                          "state.safetensors keep the last good checkpoint"
                                        : "lower --lr or --clip",
                           "training diverged at step %lld: the %s is %s", t->step + 1,
                           isfinite(loss) ? "gradient norm" : "loss", isnan(bad) ? "nan" : "inf");
            lab_run_close(&t->run);
            exit(1);
        }
        nn_adamw_step(lm->param, lm->grad, t->m, t->v, t->mask, total, (long)t->step + 1,
                      (float)lr, (float)o->beta1, (float)o->beta2, 1e-8f,
                      (float)o->weight_decay);
        t->step++;
        t->row_loss += loss;
        t->row_norm += norm;
        t->row_steps++;
        tokens_row += t->per_step;
        t->last_train = loss;
        int last = t->step == o->steps;
        int eval = t->have_valid && (t->step % o->eval_every == 0 || last);
        t->last_valid = NAN;
        if (eval) {
            t->last_valid = evaluate(t);
            if (t->last_valid < t->best_loss) {
                t->best_loss = t->last_valid;
                t->best_step = t->step;
                if (write_model(t) != 0) {
                    exit(1);
                }
            }
        } else if (!t->have_valid && (t->step % o->eval_every == 0 || last)) {
            t->best_step = t->step; // no valid text: the latest weights are the model
            if (write_model(t) != 0) {
                exit(1);
            }
        }
        if (t->step % o->log_every == 0 || t->step % o->eval_every == 0 || last) {
            double now = lab_now();
            LabLogRow row = {
                .step = t->step,
                .tokens = t->step * t->per_step,
                .train_loss = t->row_loss / (double)t->row_steps,
                .valid_loss = t->last_valid,
                .lr = lr,
                .tokens_per_s = (double)tokens_row / fmax(now - t_row, 1e-9),
            };
            double extra[1] = {t->row_norm / (double)t->row_steps};
            if (lab_run_log(&t->run, &row, extra) != 0) {
                exit(1);
            }
            history_add(&t->hist, (double)row.step, row.train_loss, row.valid_loss, lr,
                        extra[0]);
            t->last_train = row.train_loss;
            t->row_loss = t->row_norm = 0;
            t->row_steps = 0;
            if (t->step % o->eval_every == 0 || last) {
                if (write_state(t) != 0) {
                    exit(1);
                }
                if (!bar.enabled || eval) {
                    say_step(t, row.tokens_per_s);
                }
            }
            tokens_row = 0;
            t_row = now;
        }
        lab_progress_update(&bar, t->step, loss, (t->step - first) * t->per_step);
    }
    lab_progress_end(&bar);
    sigaction(SIGINT, &old, NULL);
    t->seconds = lab_now() - t_start;
    if (interrupted && t->step < o->steps) {
        // a checkpoint of this very step: resuming continues as if nothing had happened
        char *model = lab_path_join(t->run_dir, "model.safetensors");
        int have_model = access(model, F_OK) == 0;
        free(model);
        if (write_state(t) != 0 || (!have_model && write_model(t) != 0)) {
            exit(1);
        }
        lab_run_close(&t->run);
        fprintf(stderr, "lmlab: interrupted at step %lld of %ld: state.safetensors holds it\n"
                "  hint: 'lmlab %s train --resume %s --steps %ld' continues\n",
                t->step, o->steps, t->kind->family, t->run_dir, o->steps);
        exit(130);
    }
}

// --- write and report ----------------------------------------------------------------------------

// samples.txt: drawn from model.safetensors as saved, so that 'lmlab mlp generate --seed S
// --count N' on the run directory draws exactly these.
static int train_write_samples(Train *t)
{
    NnRun run;
    if (nn_run_load(&run, t->kind, t->run_dir, 1) != 0) {
        return -1;
    }
    char *path = lab_path_join(t->run_dir, "samples.txt");
    LabAtomic sa;
    int rc = lab_atomic_open(&sa, path);
    free(path);
    if (rc == 0) {
        LabRng rng;
        lab_rng_seed(&rng, (uint64_t)t->o.seed);
        LabSampling s = {.temperature = 1.0, .top_k = 0, .top_p = 1.0};
        long n = t->text.unit == UNIT_LINE ? t->o.samples : t->o.samples > 0;
        for (long i = 0; i < n; i++) {
            nn_lm_generate(sa.f, &run.lm, &run.vocab, (TokKind)run.text.tokenizer, NULL, 0, 200,
                           NULL, &s, &rng);
        }
        rc = lab_atomic_commit(&sa);
    }
    nn_run_free(&run);
    return rc;
}

static void train_report(const Train *t)
{
    char desc[128];
    t->kind->describe(&t->hyper, desc, sizeof desc);
    double final = t->hist.n ? t->hist.train[t->hist.n - 1] : NAN;
    if (t->json) {
        LabJson j;
        lab_json_begin(&j, stdout);
        lab_json_str(&j, "family", t->kind->family);
        lab_json_str(&j, "train", t->train_path);
        lab_json_str(&j, "dataset", t->dataset);
        lab_json_str(&j, "run", t->run_dir);
        lab_json_int(&j, "vocab", t->lm.V);
        lab_json_int(&j, "params", (long long)t->lm.params->total);
        lab_json_int(&j, "steps", t->step);
        lab_json_int(&j, "batch", t->o.batch);
        lab_json_int(&j, "accum", t->o.accum);
        lab_json_num(&j, "train_loss", final);
        lab_json_num(&j, "valid_loss", t->have_valid ? t->best_loss : NAN);
        lab_json_num(&j, "valid_ppl", t->have_valid ? lab_ppl(t->best_loss) : NAN);
        lab_json_int(&j, "best_step", t->best_step);
        lab_json_num(&j, "seconds", t->seconds);
        lab_json_end(&j);
        return;
    }
    long rows = t->o.batch * t->o.accum;
    if (t->kind->mode != NN_LM_WINDOW) {
        printf("trained %s (%s; %zu parameters) on '%s': %lld steps of %ld sequences of %ld "
               "tokens, vocabulary %d\n", t->kind->family, desc, t->lm.params->total,
               t->train_path, t->step, rows, (long)t->lm.T, t->lm.V);
    } else {
        printf("trained %s (%s; %zu parameters) on '%s': %lld steps of %ld examples, "
               "vocabulary %d\n", t->kind->family, desc, t->lm.params->total, t->train_path,
               t->step, rows, t->lm.V);
    }
    printf("  train  loss %.4f nats/token (the last log row)\n", final);
    if (t->have_valid) {
        printf("  valid  loss %.4f nats/token  ppl %.4f (best, step %lld: model.safetensors)\n",
               t->best_loss, lab_ppl(t->best_loss), t->best_step);
    }
    printf("  %.1fs\n", t->seconds);
    printf("wrote %s/ (model.safetensors state.safetensors vocab.txt config log.tsv samples.txt "
           "loss ppl grad_norm lr)\n", t->run_dir);
}

static void train_free(Train *t)
{
    lab_config_free(&t->cfg);
    lab_config_free(&t->old_cfg);
    nn_lm_free(&t->lm);
    batch_seq_free(&t->sbatcher);
    corpus_free(&t->corpus);
    corpus_free(&t->valid);
    vocab_free(&t->vocab);
    tok_free(&t->tok);
    history_free(&t->hist);
    free(t->m);
    free(t->v);
    free(t->mask);
    free(t->hold);
    free(t->inputs);
    free(t->targets);
    free(t->train_path);
    free(t->valid_path);
    free(t->run_dir);
}

int nn_cmd_train(const NnLmKind *kind, int argc, char **argv)
{
    Train t = {.kind = kind};
    train_parse(&t, argc, argv);
    train_build(&t);
    train_loop(&t);
    if (lab_run_close(&t.run) != 0 || train_write_samples(&t) != 0 || train_charts(&t) != 0) {
        exit(1);
    }
    train_report(&t);
    train_free(&t);
    return 0;
}
