// test_gpt_cli.c: `lmlab gpt train|eval|generate` end to end, as a user runs it, and --accum
// of the shared trainer.
//
// Every run trains a tiny GPT (1 layer, 2 heads, width 8, context 8, 4 sequences a batch) on a
// tiny corpus for a few dozen steps, so each test takes about a second, a few under the
// sanitizers. Expected values come from outside the code under test: the model's own full
// forward (gpt_forward) run here line by line or window by window, the same run made twice or
// in two halves, and a batch of 8 against two micro-batches of 4.
#include "tests/cli/cli.h"

#include "transformer/gpt.h"
#include "transformer/gpt_lm.h"

// Trains DIR/name for steps steps (constant learning rate, so halves resume exactly) with
// dropout p.
static Run train_tiny(const char *dir, const char *name, const char *steps, const char *p)
{
    char *train = lab_path_join(dir, "train.txt"), *valid = lab_path_join(dir, "valid.txt");
    char *out = lab_path_join(dir, name);
    Run r = RUN("gpt", "train", "--train", train, "--valid", valid, "--out", out, "--steps",
                steps, "--layers", "1", "--heads", "2", "--width", "8", "--context", "8",
                "--dropout", p, "--batch", "4", "--eval-every", "10", "--log-every", "5",
                "--schedule", "constant", "--lr", "0.01", "--plot", "none", "--quiet",
                "--samples", "5", "--seed", "7");
    free(train);
    free(valid);
    free(out);
    return r;
}

// The Gpt of a loaded run (gpt_lm.h: lm->model begins with it).
static Gpt *gpt_of(NnRun *run)
{
    return run->lm.model;
}

// --- usage --------------------------------------------------------------------------------------

Test(gpt_cli, help_lists_the_gpt_options_with_their_defaults)
{
    Run r = RUN("gpt", "train", "--help");
    cr_assert_eq(r.status, 0);
    const char *want[] = {"--layers L", "(default 4)", "--heads NH", "--width C", "(default 64)",
                          "--context T", "(default 16)", "--dropout P",
                          "--pos learned|sinusoidal", "--gelu exact|tanh", "--accum N",
                          "--batch B", "--resume DIR"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        cr_assert(strstr(r.out, want[i]), "--help lacks '%s':\n%s", want[i], r.out);
    }
    cr_assert(strstr(r.out, "--batching lines|random"), "%s", r.out);
    run_free(&r);
    r = RUN("gpt", "generate", "--help");
    cr_assert(strstr(r.out, "--no-cache"), "%s", r.out);
    run_free(&r);
    r = RUN("--help");
    cr_assert(strstr(r.out, "gpt"), "lmlab --help lists gpt:\n%s", r.out);
    run_free(&r);
}

Test(gpt_cli, bad_options_are_usage_errors, .timeout = 30)
{
    char *d = names_corpus(NULL, NULL);
    char *train = lab_path_join(d, "train.txt"), *out = lab_path_join(d, "bad");
    expect(RUN("gpt"), 2, "usage: lmlab gpt");
    expect(RUN("gpt", "train"), 2, "say what to train on");
    expect(RUN("gpt", "train", "--train", train, "--out", out, "--heads", "3"), 2,
           "do not split into 3 heads");
    expect(RUN("gpt", "train", "--train", train, "--out", out, "--context", "0"), 2,
           "--context");
    expect(RUN("gpt", "train", "--train", train, "--out", out, "--batching", "sequential"), 2,
           "unknown value 'sequential' for --batching");
    expect(RUN("gpt", "train", "--train", train, "--out", out, "--unit", "stream", "--batching",
               "lines"),
           2, "--batching lines reads a corpus of lines");
    expect(RUN("gpt", "train", "--train", train, "--out", out, "--dropout", "1"), 2,
           "--dropout");
    expect(RUN("gpt", "train", "--train", train, "--out", out, "--accum", "0"), 2, "--accum");
    expect(RUN("gpt", "train", "--train", train, "--out", out, "--pos", "rotary"), 2,
           "unknown value 'rotary' for --pos");
    expect(RUN("gpt", "train", "--resume", out, "--heads", "2"), 2,
           "--heads comes from the run's config when resuming");
    expect(RUN("gpt", "eval", "--split", "valid"), 2, "--model DIR is required");
    // a sinusoidal encoding pairs channels
    expect(RUN("gpt", "train", "--train", train, "--out", out, "--pos", "sinusoidal", "--width",
               "7", "--heads", "1"),
           2, "C must be even");
    cr_assert(!test_exists(out), "a refused run leaves no directory");
    free(train);
    free(out);
    free(d);
}

// --- train ---------------------------------------------------------------------------------------

Test(gpt_cli, trains_and_writes_its_run, .timeout = 60)
{
    char *d = names_corpus(NULL, NULL);
    Run r = train_tiny(d, "run", "20", "0");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "trained gpt (layers 1, heads 2, width 8, context 8;"), "%s", r.out);
    run_free(&r);
    const char *files[] = {"config", "vocab.txt", "log.tsv", "model.safetensors",
                           "state.safetensors", "samples.txt", "loss.gp", "grad_norm.gp"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char *p = file_in(d, "run", files[i]);
        cr_assert(test_exists(p), "no %s", files[i]);
        free(p);
    }
    // a step reads B * T = 32 tokens: row 20 has seen 640
    char *lp = file_in(d, "run", "log.tsv"), *log = slurp(lp);
    cr_assert(strstr(log, "\n20\t640\t"), "%s", log);
    char *cp = file_in(d, "run", "config"), *cfg = slurp(cp);
    const char *keys[] = {"family = gpt\n", "layers = 1\n", "heads = 2\n", "width = 8\n",
                          "context = 8\n", "dropout = 0\n", "pos = learned\n",
                          "gelu = exact\n", "accum = 1\n"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        cr_assert(strstr(cfg, keys[i]), "config lacks '%s':\n%s", keys[i], cfg);
    }
    // the weights the config names: wte (V, 8), wpe (8, 8), one block of 12 C^2 + 13 C, ln_f
    NnRun run;
    char *dir = lab_path_join(d, "run");
    cr_assert_eq(nn_run_load(&run, &nn_lm_gpt, dir, 1), 0);
    size_t V = (size_t)run.vocab.n;
    cr_assert_eq(run.lm.params->total, V * 8 + 8 * 8 + 12 * 64 + 13 * 8 + 2 * 8);
    // AdamW decays the matrices and embeddings, not the biases or layernorm gains
    uint8_t *mask = lab_malloc(run.lm.params->total);
    nn_params_decay_mask(run.lm.params, mask);
    Gpt *m = gpt_of(&run);
    cr_assert_eq(mask[m->wte - m->params], 1);
    cr_assert_eq(mask[m->blk[0].c_attn_w - m->params], 1);
    cr_assert_eq(mask[m->blk[0].c_attn_b - m->params], 0);
    cr_assert_eq(mask[m->blk[0].ln_1_w - m->params], 0);
    cr_assert_eq(mask[m->ln_f_w - m->params], 0);
    free(mask);
    nn_run_free(&run);
    free(dir);
    free(cfg);
    free(cp);
    free(log);
    free(lp);
    free(d);
}

// The configuration measured on names (docs/benchmarks.md "Quality": test 1.92 or below) is
// what a run without options trains: the kind's defaults over the trainer's reach the config.
Test(gpt_cli, a_run_without_options_trains_the_measured_names_configuration, .timeout = 60)
{
    char *d = names_corpus(NULL, NULL);
    char *train = lab_path_join(d, "train.txt"), *valid = lab_path_join(d, "valid.txt");
    char *out = lab_path_join(d, "run");
    // only the size of the model and the steps made small; every trainer option its default
    Run r = RUN("gpt", "train", "--train", train, "--valid", valid, "--out", out, "--layers",
                "1", "--heads", "2", "--width", "8", "--steps", "2", "--plot", "none", "--quiet");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char *cp = file_in(d, "run", "config"), *cfg = slurp(cp);
    const char *keys[] = {"context = 16\n", "dropout = 0.05\n", "batching = lines\n",
                          "batch = 32\n",   "lr = 0.005\n",     "schedule = cosine\n",
                          "warmup = 100\n", "min_lr = 0.0001\n", "weight_decay = 0.1\n",
                          "beta2 = 0.999\n", "clip = 1\n"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        cr_assert(strstr(cfg, keys[i]), "config lacks '%s':\n%s", keys[i], cfg);
    }
    r = RUN("gpt", "train", "--help");
    cr_assert(strstr(r.out, "(default 32000)"), "--help lacks the 32000 steps:\n%s", r.out);
    run_free(&r);
    free(cfg);
    free(cp);
    free(out);
    free(valid);
    free(train);
    free(d);
}

Test(gpt_cli, the_same_seed_gives_the_same_weights, .timeout = 60)
{
    char *d = names_corpus(NULL, NULL);
    Run a = train_tiny(d, "a", "15", "0.1"), b = train_tiny(d, "b", "15", "0.1");
    cr_assert(a.status == 0 && b.status == 0, "%s%s", a.err, b.err);
    run_free(&a);
    run_free(&b);
    char *x = file_in(d, "a", "model.safetensors"), *y = file_in(d, "b", "model.safetensors");
    assert_same_file(x, y);
    free(x);
    free(y);
    free(d);
}

// 40 steps in one go against 20 + a resume to 40, with dropout, whose masks must come again
Test(gpt_cli, resume_is_bit_for_bit_with_dropout, .timeout = 60)
{
    char *d = names_corpus(NULL, NULL);
    Run whole = train_tiny(d, "whole", "40", "0.1");
    cr_assert_eq(whole.status, 0, "%s", whole.err);
    run_free(&whole);
    Run half = train_tiny(d, "half", "20", "0.1");
    cr_assert_eq(half.status, 0, "%s", half.err);
    run_free(&half);
    char *dir = lab_path_join(d, "half");
    Run rest = RUN("gpt", "train", "--resume", dir, "--steps", "40", "--plot", "none", "--quiet");
    cr_assert_eq(rest.status, 0, "%s", rest.err);
    run_free(&rest);
    assert_same_runs(d, "whole", "half");
    free(dir);
    free(d);
}

// The config says how rows were drawn: lines on line data, random subsequences on a stream.
Test(gpt_cli, lines_are_the_rows_of_line_data_and_random_subsequences_of_a_stream,
     .timeout = 60)
{
    char *d = names_corpus(NULL, NULL);
    char *train = lab_path_join(d, "train.txt");
    const char *unit[2] = {"line", "stream"}, *want[2] = {"batching = lines\n",
                                                          "batching = random\n"};
    for (int i = 0; i < 2; i++) {
        char *out = lab_path_join(d, unit[i]);
        Run r = RUN("gpt", "train", "--train", train, "--out", out, "--unit", unit[i], "--steps",
                    "2", "--layers", "1", "--heads", "1", "--width", "8", "--context", "8",
                    "--batch", "2", "--plot", "none", "--quiet", "--samples", "0");
        cr_assert_eq(r.status, 0, "%s", r.err);
        run_free(&r);
        char *cp = file_in(d, unit[i], "config"), *cfg = slurp(cp);
        cr_assert(strstr(cfg, want[i]), "--unit %s: config lacks '%s':\n%s", unit[i], want[i],
                  cfg);
        free(cfg);
        free(cp);
        free(out);
    }
    free(train);
    free(d);
}

// A run whose config predates --batching was trained on random subsequences: resuming it
// continues them, bit for bit.
Test(gpt_cli, a_config_without_batching_resumes_random_subsequences, .timeout = 60)
{
    char *d = names_corpus(NULL, NULL);
    char *train = lab_path_join(d, "train.txt");
    const char *names[2] = {"whole", "half"}, *steps[2] = {"30", "15"};
    for (int i = 0; i < 2; i++) {
        char *out = lab_path_join(d, names[i]);
        Run r = RUN("gpt", "train", "--train", train, "--out", out, "--steps", steps[i],
                    "--layers", "1", "--heads", "2", "--width", "8", "--context", "8",
                    "--batch", "4", "--batching", "random", "--schedule", "constant",
                    "--plot", "none", "--quiet", "--samples", "0", "--eval-every", "15");
        cr_assert_eq(r.status, 0, "%s", r.err);
        run_free(&r);
        free(out);
    }
    // the half run's config as it was written before the option: no batching line
    char *cp = file_in(d, "half", "config"), *cfg = slurp(cp);
    const char *key = "batching = random\n";
    char *line = strstr(cfg, key);
    cr_assert(line, "%s", cfg);
    memmove(line, line + strlen(key), strlen(line + strlen(key)) + 1);
    FILE *f = fopen(cp, "w");
    cr_assert(f);
    fputs(cfg, f);
    fclose(f);
    char *dir = lab_path_join(d, "half");
    Run rest = RUN("gpt", "train", "--resume", dir, "--steps", "30", "--plot", "none", "--quiet");
    cr_assert_eq(rest.status, 0, "%s", rest.err);
    run_free(&rest);
    char *x = file_in(d, "whole", "state.safetensors");
    char *y = file_in(d, "half", "state.safetensors");
    assert_same_file(x, y);
    free(x);
    free(y);
    free(dir);
    free(cfg);
    free(cp);
    free(train);
    free(d);
}

// Reads every float of model.safetensors of two runs and compares them.
static void assert_close_weights(const NnLmKind *kind, const char *a, const char *b, double tol)
{
    NnRun x, y;
    cr_assert_eq(nn_run_load(&x, kind, a, 1), 0);
    cr_assert_eq(nn_run_load(&y, kind, b, 1), 0);
    size_t n = x.lm.params->total;
    cr_assert_eq(n, y.lm.params->total);
    double worst = 0;
    int differ = 0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs((double)x.lm.param[i] - y.lm.param[i]);
        worst = e > worst ? e : worst;
        differ |= x.lm.param[i] != y.lm.param[i];
    }
    cr_assert(worst <= tol, "%s: weights differ by %g, more than %g", kind->family, worst, tol);
    (void)differ;
    nn_run_free(&x);
    nn_run_free(&y);
}

// One step's gradient is the mean over its rows: 8 rows at once, or 2 micro-batches of 4
// summed and halved, draw the same rows (the batcher draws row by row) and move the weights
// alike, up to float rounding.
Test(gpt_cli, accum_2_of_batch_4_is_batch_8, .timeout = 60)
{
    char *d = names_corpus(NULL, NULL);
    char *train = lab_path_join(d, "train.txt");
    const char *how[2][2] = {{"8", "1"}, {"4", "2"}};
    for (int i = 0; i < 2; i++) {
        char *out = lab_path_join(d, i ? "mlp-accum" : "mlp-batch");
        Run r = RUN("mlp", "train", "--train", train, "--out", out, "--steps", "6", "--batch",
                    how[i][0], "--accum", how[i][1], "--context", "3", "--embed", "4",
                    "--hidden", "16", "--schedule", "constant", "--lr", "0.01", "--plot",
                    "none", "--quiet", "--samples", "0", "--seed", "3");
        cr_assert_eq(r.status, 0, "%s", r.err);
        run_free(&r);
        free(out);
        // a stream has no <s> after its first token: every target of every row counts, so the
        // mean over 8 rows is the mean of the two micro-batches' means (no dropout: its masks
        // are drawn a micro-batch at a time)
        out = lab_path_join(d, i ? "gpt-accum" : "gpt-batch");
        r = RUN("gpt", "train", "--train", train, "--out", out, "--unit", "stream", "--steps",
                "6", "--batch", how[i][0], "--accum", how[i][1], "--layers", "1", "--heads", "2",
                "--width", "8", "--context", "8", "--dropout", "0", "--schedule", "constant",
                "--lr", "0.01", "--plot", "none", "--quiet", "--samples", "0", "--seed", "3");
        cr_assert_eq(r.status, 0, "%s", r.err);
        run_free(&r);
        free(out);
    }
    char *a = lab_path_join(d, "mlp-batch"), *b = lab_path_join(d, "mlp-accum");
    assert_close_weights(&nn_lm_mlp, a, b, 1e-5);
    free(a);
    free(b);
    a = lab_path_join(d, "gpt-batch");
    b = lab_path_join(d, "gpt-accum");
    assert_close_weights(&nn_lm_gpt, a, b, 1e-5);
    // the log counts the tokens of both micro-batches: 8 rows of 8
    char *lp = lab_path_join(b, "log.tsv"), *log = slurp(lp);
    cr_assert(strstr(log, "\n6\t384\t"), "%s", log);
    free(log);
    free(lp);
    free(a);
    free(b);
    free(train);
    free(d);
}

// --- eval ----------------------------------------------------------------------------------------

Test(gpt_cli, a_line_shorter_than_the_context_is_one_forward_from_bos, .timeout = 30)
{
    char *d = names_corpus(NULL, NULL);
    Run r = train_tiny(d, "run", "30", "0.1");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char *dir = lab_path_join(d, "run"), *valid = lab_path_join(d, "valid.txt");
    NnRun run;
    cr_assert_eq(nn_run_load(&run, &nn_lm_gpt, dir, 1), 0);
    Gpt *m = gpt_of(&run);
    cr_assert_eq(m->B, 1);
    cr_assert_eq(m->T, 8);
    // each line: inputs <s> l i l y, targets l i l y </s>, the rest ignored (-1)
    long double nats = 0;
    long tokens = 0;
    const char *lines[] = {"lily", "anna", "nova", "leah"};
    for (int l = 0; l < 4; l++) {
        int32_t in[8], tg[8];
        int n = 0;
        in[0] = TOK_BOS;
        for (const char *c = lines[l]; *c; c++) {
            tg[n] = vocab_find(&run.vocab, c, 1);
            in[n + 1] = tg[n];
            n++;
        }
        tg[n++] = TOK_EOS;
        for (int t = n; t < 8; t++) {
            in[t] = TOK_EOS;
            tg[t] = -1;
        }
        m->rng = NULL;
        nats += (long double)gpt_forward(m, in, tg) * n;
        tokens += n;
    }
    r = RUN("gpt", "eval", "--model", dir, "--data", valid, "--json");
    cr_assert_eq(r.status, 0, "%s", r.err);
    double want = (double)(nats / tokens), got = json_num(r.out, "loss");
    cr_assert(test_rel_eq(got, want, 1e-5), "eval loss %.12g, by hand %.12g", got, want);
    cr_assert_eq((long)json_num(r.out, "tokens"), tokens);
    const char *keys[] = {"\"family\": \"gpt\"", "\"loss\"", "\"ppl\"", "\"bits_per_token\"",
                          "\"tokens\"", "\"words\"", "\"word_ppl\""};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        cr_assert(strstr(r.out, keys[i]), "eval --json lacks %s:\n%s", keys[i], r.out);
    }
    run_free(&r);
    // the valid loss training logged at step 30 (4 windows a forward) is eval's
    char *lp = lab_path_join(dir, "log.tsv"), *log = slurp(lp);
    char *row = strstr(log, "\n30\t");
    cr_assert(row, "%s", log);
    double logged = strtod(strchr(strchr(strchr(row + 1, '\t') + 1, '\t') + 1, '\t') + 1, NULL);
    cr_assert(test_rel_eq(got, logged, 1e-6), "eval %.9g, log.tsv %.9g", got, logged);
    free(log);
    free(lp);
    nn_run_free(&run);
    free(valid);
    free(dir);
    free(d);
}

Test(gpt_cli, a_stream_is_scored_in_windows_of_the_context_at_half_stride, .timeout = 30)
{
    char *d = names_corpus(NULL, NULL);
    char *train = lab_path_join(d, "train.txt"), *out = lab_path_join(d, "stream");
    Run r = RUN("gpt", "train", "--train", train, "--out", out, "--unit", "stream", "--steps",
                "10", "--layers", "1", "--heads", "1", "--width", "8", "--context", "4",
                "--batch", "4", "--plot", "none", "--quiet", "--samples", "1");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    NnRun run;
    cr_assert_eq(nn_run_load(&run, &nn_lm_gpt, out, 1), 0);
    Gpt *m = gpt_of(&run);
    // x = <s> then the 13 characters; x[i] predicts x[i + 1]. T 4, stride 2: prediction i
    // comes from the window at 0 when i < 4, else from the window at a = 2 (floor((i - 4) / 2)
    // + 1), the one whose last two positions hold it.
    const char *text = "ava\nmia\nluna\n";
    int n = (int)strlen(text);
    int32_t x[32];
    x[0] = TOK_BOS;
    for (int i = 0; i < n; i++) {
        x[i + 1] = vocab_find(&run.vocab, text + i, 1);
        cr_assert(x[i + 1] >= 0);
    }
    long double nats = 0;
    for (int i = 0; i < n; i++) {
        int a = i < 4 ? 0 : 2 * ((i - 4) / 2 + 1);
        int32_t in[4], tg[4] = {-1, -1, -1, -1};
        for (int t = 0; t < 4; t++) {
            in[t] = a + t <= n ? x[a + t] : TOK_BOS;
        }
        tg[i - a] = x[i + 1];
        m->rng = NULL;
        nats += gpt_forward(m, in, tg);
    }
    char *data = test_write(d, "s.txt", text, strlen(text));
    r = RUN("gpt", "eval", "--model", out, "--data", data, "--json");
    cr_assert_eq(r.status, 0, "%s", r.err);
    double got = json_num(r.out, "loss"), want = (double)(nats / n);
    cr_assert(test_rel_eq(got, want, 1e-5), "eval loss %.12g, by hand %.12g", got, want);
    cr_assert_eq((long)json_num(r.out, "tokens"), n);
    run_free(&r);
    nn_run_free(&run);
    free(data);
    free(train);
    free(out);
    free(d);
}

Test(gpt_cli, a_damaged_checkpoint_is_refused, .timeout = 30)
{
    char *d = names_corpus(NULL, NULL);
    Run r = train_tiny(d, "run", "10", "0");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char *dir = lab_path_join(d, "run"), *valid = lab_path_join(d, "valid.txt");
    char *model = lab_path_join(dir, "model.safetensors");
    // the header's length field says more than the file holds
    FILE *f = fopen(model, "r+b");
    cr_assert(f);
    fputc(0xff, f);
    fputc(0xff, f);
    fputc(0xff, f);
    fclose(f);
    expect(RUN("gpt", "eval", "--model", dir, "--data", valid), 1, "model.safetensors");
    expect(RUN("gpt", "generate", "--model", dir), 1, "model.safetensors");
    // cut short
    cr_assert_eq(truncate(model, 100), 0);
    expect(RUN("gpt", "eval", "--model", dir, "--data", valid), 1, "model.safetensors");
    // a config the command line would refuse
    char *cp = lab_path_join(dir, "config"), *cfg = slurp(cp), *at = strstr(cfg, "heads = 2");
    cr_assert(at);
    at[8] = '3';
    free(test_write(dir, "config", cfg, strlen(cfg)));
    expect(RUN("gpt", "eval", "--model", dir, "--data", valid), 1, "config");
    free(cfg);
    free(cp);
    free(model);
    free(valid);
    free(dir);
    free(d);
}

// --- generate ------------------------------------------------------------------------------------

Test(gpt_cli, generate_is_reproducible_and_the_cache_changes_nothing, .timeout = 30)
{
    char *d = names_corpus(NULL, NULL);
    Run r = train_tiny(d, "run", "30", "0");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char *dir = lab_path_join(d, "run");
    Run a = RUN("gpt", "generate", "--model", dir, "--count", "5", "--seed", "7");
    Run b = RUN("gpt", "generate", "--model", dir, "--count", "5", "--seed", "7");
    Run c = RUN("gpt", "generate", "--model", dir, "--count", "5", "--seed", "7", "--no-cache");
    cr_assert(a.status == 0 && b.status == 0 && c.status == 0, "%s%s", a.err, c.err);
    cr_assert_str_eq(a.out, b.out);
    cr_assert_str_eq(a.out, c.out, "KV cache:\n%s\nno cache:\n%s", a.out, c.out);
    cr_assert(strstr(a.err, "tokens/s") && strstr(c.err, "--no-cache"), "%s%s", a.err, c.err);
    char *sp = lab_path_join(dir, "samples.txt"), *samples = slurp(sp);
    cr_assert_str_eq(a.out, samples);
    run_free(&a);
    run_free(&b);
    run_free(&c);
    // a prompt of 17 characters outgrows the context (8 with <s>): the lane restarts from its
    // last 4 tokens, twice, with or without the cache
    a = RUN("gpt", "generate", "--model", dir, "--count", "3", "--seed", "2", "--tokens", "30",
            "--temperature", "1.5", "--prompt", "isabellaelizabeth", "--quiet");
    c = RUN("gpt", "generate", "--model", dir, "--count", "3", "--seed", "2", "--tokens", "30",
            "--temperature", "1.5", "--prompt", "isabellaelizabeth", "--quiet", "--no-cache");
    cr_assert(a.status == 0 && c.status == 0, "%s%s", a.err, c.err);
    cr_assert_str_eq(a.out, c.out);
    cr_assert(strncmp(a.out, "isabellaelizabeth", 17) == 0, "%s", a.out);
    cr_assert_str_eq(a.err, "");
    run_free(&a);
    run_free(&c);
    free(samples);
    free(sp);
    free(dir);
    free(d);
}
