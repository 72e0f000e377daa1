// test_mlp_cli.c: `lmlab mlp train|eval|generate` end to end, as a user runs it.
//
// Every run trains a tiny model on a tiny corpus (a few hundred steps of a few examples), so
// each test takes well under a second, a few under the sanitizers. Expected values come from
// outside the code under test: a uniform softmax (perplexity V), the per-token log-softmax
// written out here, the same run made twice or made in two halves.
#include "tests/cli/cli.h"

#include <signal.h>

#include "nn/lm.h"

// Trains DIR/name for steps steps (constant learning rate, so halves resume exactly).
static Run train_tiny(const char *dir, const char *name, const char *steps, const char *extra)
{
    char *train = lab_path_join(dir, "train.txt"), *valid = lab_path_join(dir, "valid.txt");
    char *out = lab_path_join(dir, name);
    Run r = RUN("mlp", "train", "--train", train, "--valid", valid, "--out", out, "--steps", steps,
                "--batch", "8", "--embed", "4", "--hidden", "16", "--eval-every", "10",
                "--log-every", "5", "--schedule", "constant", "--plot", "none", "--quiet",
                "--samples", "5", "--seed", extra ? extra : "7");
    free(train);
    free(valid);
    free(out);
    return r;
}

// --- usage --------------------------------------------------------------------------------------

Test(mlp_cli, help_lists_every_option_with_its_default)
{
    Run r = RUN("mlp", "train", "--help");
    cr_assert_eq(r.status, 0);
    const char *want[] = {"--dataset NAME", "--train FILE", "--tokenizer char|word",
                          "--context N", "(default 4)", "--embed E", "--hidden H",
                          "(default 256)", "--batch B", "--steps N", "--lr LR", "--seed S",
                          "--eval-every N", "--schedule constant|step|cosine", "--warmup N",
                          "--clip C", "--weight-decay WD", "--beta1", "--beta2", "--out DIR",
                          "--resume DIR", "--force", "--json", "--quiet", "--plot png|dumb|none"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        cr_assert(strstr(r.out, want[i]), "--help lacks '%s':\n%s", want[i], r.out);
    }
    run_free(&r);
    r = RUN("--help");
    cr_assert(strstr(r.out, "mlp train"), "lmlab --help lists mlp:\n%s", r.out);
    run_free(&r);
}

Test(mlp_cli, bad_options_are_usage_errors)
{
    expect(RUN("mlp"), 2, "usage: lmlab mlp");
    expect(RUN("mlp", "train"), 2, "say what to train on");
    expect(RUN("mlp", "train", "--dataset", "names", "--train", "x"), 2, "not both");
    expect(RUN("mlp", "train", "--dataset", "nosuch"), 2, "nosuch");
    expect(RUN("mlp", "train", "--dataset", "names", "--steps", "0"), 2, "--steps");
    expect(RUN("mlp", "train", "--dataset", "names", "--context", "0"), 2, "--context");
    expect(RUN("mlp", "train", "--dataset", "names", "--schedule", "linear"), 2,
           "unknown value 'linear' for --schedule");
    expect(RUN("mlp", "train", "--dataset", "names", "--valid", "x"), 2, "--valid goes with");
    expect(RUN("mlp", "train", "--resume", "runs/x", "--lr", "0.1"), 2,
           "--lr comes from the run's config when resuming");
    expect(RUN("mlp", "eval", "--split", "valid"), 2, "--model DIR is required");
    expect(RUN("mlp", "eval", "--model", "x"), 2, "exactly one of");
    expect(RUN("mlp", "generate"), 2, "--model DIR is required");
    expect(RUN("mlp", "generate", "--model", "x", "--temperature", "0.001"), 2, "--temperature");
}

// --- train ---------------------------------------------------------------------------------------

Test(mlp_cli, train_writes_the_run_and_log_has_the_common_columns, .timeout = 30)
{
    char *train, *valid, *d = names_corpus(&train, &valid);
    Run r = train_tiny(d, "run", "20", NULL);
    cr_assert_eq(r.status, 0, "stderr:\n%s", r.err);
    cr_assert(strstr(r.out, "wrote "), "%s", r.out);
    run_free(&r);
    const char *files[] = {"config", "vocab.txt", "log.tsv", "model.safetensors",
                           "state.safetensors", "samples.txt", "loss.dat", "loss.gp",
                           "grad_norm.gp", "lr.gp", "ppl.gp"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char *p = file_in(d, "run", files[i]);
        cr_assert(test_exists(p), "no %s", p);
        free(p);
    }
    char *log_path = file_in(d, "run", "log.tsv");
    char *log = slurp(log_path);
    const char *header = LAB_LOG_COLUMNS "\tgrad_norm\n";
    cr_assert(strncmp(log, header, strlen(header)) == 0, "log.tsv header:\n%s", log);
    // rows at steps 5, 10, 15, 20; the valid loss at 10 and 20 only
    int rows = 0;
    for (char *s = log; *s; s++) {
        rows += *s == '\n';
    }
    cr_assert_eq(rows, 5, "log.tsv:\n%s", log);
    cr_assert(strstr(log, "\n5\t40\t") && strstr(log, "\n20\t160\t"), "log.tsv:\n%s", log);
    char *row5 = strstr(log, "\n5\t40\t");
    cr_assert(strncmp(strchr(row5 + 6, '\t') + 1, "-\t-\t", 4) == 0, "row 5 has a valid loss");
    free(log);
    free(log_path);
    char *samples = file_in(d, "run", "samples.txt");
    char *s = slurp(samples);
    int lines = 0;
    for (char *c = s; *c; c++) {
        lines += *c == '\n';
    }
    cr_assert_eq(lines, 5, "samples.txt:\n%s", s);
    free(s);
    free(samples);
    free(train);
    free(valid);
    free(d);
}

Test(mlp_cli, same_seed_twice_is_bitwise_equal, .timeout = 30)
{
    char *train, *valid, *d = names_corpus(&train, &valid);
    Run a = train_tiny(d, "a", "30", NULL), b = train_tiny(d, "b", "30", NULL);
    cr_assert(a.status == 0 && b.status == 0, "%s%s", a.err, b.err);
    run_free(&a);
    run_free(&b);
    const char *files[] = {"model.safetensors", "state.safetensors", "samples.txt"};
    for (size_t i = 0; i < 3; i++) {
        char *x = file_in(d, "a", files[i]), *y = file_in(d, "b", files[i]);
        assert_same_file(x, y);
        free(x);
        free(y);
    }
    // another seed, other weights
    Run c = train_tiny(d, "c", "30", "8");
    cr_assert_eq(c.status, 0);
    run_free(&c);
    char *x = file_in(d, "a", "model.safetensors"), *y = file_in(d, "c", "model.safetensors");
    char *p, *q;
    size_t np, nq;
    cr_assert(lab_read_file(x, &p, &np, 0) == 0 && lab_read_file(y, &q, &nq, 0) == 0);
    cr_assert(np != nq || memcmp(p, q, np) != 0, "seeds 7 and 8 trained the same weights");
    free(p);
    free(q);
    free(x);
    free(y);
    free(train);
    free(valid);
    free(d);
}

Test(mlp_cli, resume_continues_bit_for_bit, .timeout = 30)
{
    char *train, *valid, *d = names_corpus(&train, &valid);
    Run whole = train_tiny(d, "whole", "40", NULL);
    cr_assert_eq(whole.status, 0, "%s", whole.err);
    run_free(&whole);
    Run half = train_tiny(d, "half", "20", NULL);
    cr_assert_eq(half.status, 0, "%s", half.err);
    run_free(&half);
    char *dir = lab_path_join(d, "half");
    Run rest = RUN("mlp", "train", "--resume", dir, "--steps", "40", "--plot", "none", "--quiet");
    cr_assert_eq(rest.status, 0, "%s", rest.err);
    run_free(&rest);
    assert_same_runs(d, "whole", "half");
    // nothing left to do is a usage mistake the message names
    expect(RUN("mlp", "train", "--resume", dir, "--steps", "40"), 1, "at step 40 already");
    free(dir);
    free(train);
    free(valid);
    free(d);
}

// Runs lmlab train in dir in the background, sends SIGINT once log.tsv has a row past step
// 10, and returns the exit status.
static int train_interrupted(const char *dir, const char *out)
{
    char *train = lab_path_join(dir, "train.txt"), *valid = lab_path_join(dir, "valid.txt");
    const char *bin = getenv("LMLAB");
    char *root = test_path("");
    char *lmlab = bin && *bin ? lab_strdup(bin) : lab_asprintf("%s/lmlab", root);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr)) {
            _exit(99);
        }
        execl(lmlab, lmlab, "mlp", "train", "--train", train, "--valid", valid, "--out", out,
              "--steps", "200000", "--batch", "8", "--embed", "4", "--hidden", "16",
              "--eval-every", "50", "--log-every", "1", "--schedule", "constant", "--plot",
              "none", "--samples", "5", "--seed", "7", (char *)NULL);
        _exit(98);
    }
    char *log = lab_path_join(out, "log.tsv");
    for (int i = 0; i < 2000; i++) {
        if (!test_exists(log)) {
            usleep(5000);
            continue;
        }
        char *s = slurp(log);
        int rows = 0;
        for (char *c = s; *c; c++) {
            rows += *c == '\n';
        }
        free(s);
        if (rows > 10) {
            break;
        }
        usleep(5000);
    }
    kill(pid, SIGINT);
    int st;
    waitpid(pid, &st, 0);
    free(log);
    free(train);
    free(valid);
    free(lmlab);
    free(root);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

Test(mlp_cli, ctrl_c_stops_with_a_checkpoint_that_resumes_exactly, .timeout = 60)
{
    char *train, *valid, *d = names_corpus(&train, &valid);
    char *out = lab_path_join(d, "stopped");
    cr_assert_eq(train_interrupted(d, out), 130);
    char *state = lab_path_join(out, "state.safetensors");
    cr_assert(test_exists(state));
    // the step it stopped at, from the last row of log.tsv
    char *logp = lab_path_join(out, "log.tsv");
    char *log = slurp(logp);
    char *last = log + strlen(log) - 1;
    while (last > log && last[-1] != '\n') {
        last--;
    }
    long stopped = atol(last);
    cr_assert(stopped > 10, "log.tsv:\n%s", log);
    // carry it on a little past where it stopped, and train the same in one go
    char *steps = lab_asprintf("%ld", stopped + 7);
    Run rest = RUN("mlp", "train", "--resume", out, "--steps", steps, "--plot", "none",
                   "--quiet");
    cr_assert_eq(rest.status, 0, "%s", rest.err);
    run_free(&rest);
    char *whole = lab_path_join(d, "whole");
    Run r = RUN("mlp", "train", "--train", train, "--valid", valid, "--out", whole, "--steps",
                steps, "--batch", "8", "--embed", "4", "--hidden", "16", "--eval-every", "50",
                "--log-every", "1", "--schedule", "constant", "--plot", "none", "--samples", "5",
                "--seed", "7", "--quiet");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char *a = lab_path_join(out, "state.safetensors"), *b = lab_path_join(whole,
                                                                          "state.safetensors");
    // the config differs in nothing but --steps, which both runs share now
    assert_same_file(a, b);
    free(a);
    free(b);
    free(steps);
    free(whole);
    free(log);
    free(logp);
    free(state);
    free(out);
    free(train);
    free(valid);
    free(d);
}

// --- bad checkpoints -----------------------------------------------------------------------------

Test(mlp_cli, damaged_checkpoints_are_refused_with_a_message, .timeout = 30)
{
    char *train, *valid, *d = names_corpus(&train, &valid);
    Run r = train_tiny(d, "run", "10", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char *dir = lab_path_join(d, "run");
    char *model = file_in(d, "run", "model.safetensors");
    char *state = file_in(d, "run", "state.safetensors");
    // cut short: the data area no longer holds the tensors
    char *data;
    size_t n;
    cr_assert_eq(lab_read_file(model, &data, &n, 0), 0);
    FILE *f = fopen(model, "wb");
    fwrite(data, 1, n - 100, f);
    fclose(f);
    expect(RUN("mlp", "eval", "--model", dir, "--data", valid), 1, "model.safetensors");
    expect(RUN("mlp", "generate", "--model", dir), 1, "model.safetensors");
    // a state whose header is garbage
    f = fopen(state, "r+b");
    fseek(f, 10, SEEK_SET);
    fputs("garbage!", f);
    fclose(f);
    expect(RUN("mlp", "train", "--resume", dir, "--steps", "20"), 1, "state.safetensors");
    // not a run at all, and another family's
    expect(RUN("mlp", "eval", "--model", d, "--data", valid), 1, "cannot load the model");
    free(data);
    free(model);
    free(state);
    free(dir);
    free(train);
    free(valid);
    free(d);
}

Test(mlp_cli, a_loss_that_is_not_finite_stops_training, .timeout = 30)
{
    char *train, *valid, *d = names_corpus(&train, &valid);
    Run r = train_tiny(d, "run", "10", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    // a NaN written into the first weight of the checkpoint: the next forward gives NaN
    NnRun run;
    char *dir = lab_path_join(d, "run");
    cr_assert_eq(nn_run_load(&run, &nn_lm_mlp, dir, 1), 0);
    size_t total = run.lm.params->total;
    nn_run_free(&run);
    NnTensorSpec spec[3] = {{"weights", 1, {(int)total}, 0, NN_INIT_ZEROS, 0, 0},
                            {"adam.m", 1, {(int)total}, 0, NN_INIT_ZEROS, 0, 0},
                            {"adam.v", 1, {(int)total}, 0, NN_INIT_ZEROS, 0, 0}};
    NnParams p;
    cr_assert_eq(nn_params_layout(&p, spec, 3), 0);
    float *block = lab_malloc(p.total * sizeof *block);
    LabConfig meta = {0};
    char *state = lab_path_join(dir, "state.safetensors");
    cr_assert_eq(nn_safetensors_read(state, &p, block, &meta), 0);
    char *model = lab_path_join(dir, "model.safetensors");
    char *before = slurp(model);
    block[0] = NAN;
    cr_assert_eq(nn_safetensors_write(state, &p, block, &meta), 0);
    expect(RUN("mlp", "train", "--resume", dir, "--steps", "20"), 1,
           "training diverged at step 11: the loss is nan");
    // the last good model is kept
    char *after = slurp(model);
    cr_assert(strcmp(before, after) == 0);
    free(before);
    free(after);
    free(model);
    free(state);
    free(block);
    lab_config_free(&meta);
    nn_params_free(&p);
    free(dir);
    free(train);
    free(valid);
    free(d);
}

// --- eval ----------------------------------------------------------------------------------------

// The number after "key": in a one-line JSON object.
Test(mlp_cli, eval_reports_the_keys_every_family_reports, .timeout = 30)
{
    char *train, *valid, *d = names_corpus(&train, &valid);
    Run r = train_tiny(d, "run", "20", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char *dir = lab_path_join(d, "run");
    r = RUN("mlp", "eval", "--model", dir, "--data", valid, "--json");
    cr_assert_eq(r.status, 0, "%s", r.err);
    const char *keys[] = {"\"family\": \"mlp\"", "\"model\"", "\"data\"", "\"dataset\"",
                          "\"split\"", "\"tokens\": 20", "\"loss\"", "\"ppl\"",
                          "\"bits_per_token\"", "\"words\": 4", "\"word_ppl\"", "\"oov\": 0",
                          "\"zero_prob\": 0", "\"seconds\"", "\"tokens_per_s\""};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
        cr_assert(strstr(r.out, keys[i]), "no %s in %s", keys[i], r.out);
    }
    // the valid loss of the last log row is the loss eval reports on the same text
    double loss = json_num(r.out, "loss");
    run_free(&r);
    char *logp = lab_path_join(dir, "log.tsv");
    char *log = slurp(logp);
    char *row = strstr(log, "\n20\t");
    cr_assert(row);
    double logged = strtod(strchr(strchr(strchr(row + 1, '\t') + 1, '\t') + 1, '\t') + 1, NULL);
    cr_assert(test_rel_eq(loss, logged, 1e-8), "eval %.9g, log.tsv %.9g", loss, logged);
    r = RUN("mlp", "eval", "--model", dir, "--text", "anna");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "tokens     5 scored"), "%s", r.out);
    run_free(&r);
    free(log);
    free(logp);
    free(dir);
    free(train);
    free(valid);
    free(d);
}

Test(mlp_cli, a_uniform_model_has_perplexity_v_and_eval_is_the_mean_of_the_token_losses,
     .timeout = 30)
{
    char *train, *valid, *d = names_corpus(&train, &valid);
    Run r = train_tiny(d, "run", "10", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char *dir = lab_path_join(d, "run");
    char *model = lab_path_join(dir, "model.safetensors");
    // 1. the trained model: eval's loss is the mean of -ln softmax(logits)[target] over every
    // predicted token, each from its own context (n tokens back, <s> before the line)
    NnRun run;
    cr_assert_eq(nn_run_load(&run, &nn_lm_mlp, dir, 1), 0);
    MlpLm *m = run.lm.model;
    int n = m->cfg.n, V = m->cfg.V;
    long double nats = 0;
    long tokens = 0;
    const char *lines[] = {"lily", "anna", "nova", "leah"};
    for (int l = 0; l < 4; l++) {
        int32_t ids[8], len = 0;
        for (const char *c = lines[l]; *c; c++) {
            ids[len++] = vocab_find(&run.vocab, c, 1);
        }
        ids[len++] = TOK_EOS;
        for (int i = 0; i < len; i++) {
            int32_t ctx[16];
            for (int j = 0; j < n; j++) {
                int at = i - n + j;
                ctx[j] = at < 0 ? TOK_BOS : ids[at];
            }
            const float *z = mlp_lm_logits(m, ctx, 1);
            long double max = z[0], sum = 0;
            for (int v = 1; v < V; v++) {
                max = z[v] > max ? z[v] : max;
            }
            for (int v = 0; v < V; v++) {
                sum += expl((long double)z[v] - max);
            }
            nats += -((long double)z[ids[i]] - max - logl(sum));
            tokens++;
        }
    }
    r = RUN("mlp", "eval", "--model", dir, "--data", valid, "--json");
    cr_assert_eq(r.status, 0, "%s", r.err);
    double want = (double)(nats / tokens), got = json_num(r.out, "loss");
    cr_assert(test_rel_eq(got, want, 1e-9), "eval loss %.12g, by hand %.12g", got, want);
    run_free(&r);
    // 2. head weights and bias zero: every logit is 0, softmax uniform over V, ppl exactly V
    memset(m->head_weight, 0, (size_t)V * m->cfg.H * sizeof(float));
    memset(m->head_bias, 0, (size_t)V * sizeof(float));
    cr_assert_eq(nn_safetensors_write(model, run.lm.params, run.lm.param, NULL), 0);
    r = RUN("mlp", "eval", "--model", dir, "--data", valid, "--json");
    cr_assert_eq(r.status, 0, "%s", r.err);
    double ppl = json_num(r.out, "ppl");
    cr_assert(test_rel_eq(ppl, V, 1e-12), "ppl %.15g, expected V = %d", ppl, V);
    run_free(&r);
    nn_run_free(&run);
    free(model);
    free(dir);
    free(train);
    free(valid);
    free(d);
}

// --- generate ------------------------------------------------------------------------------------

Test(mlp_cli, generate_is_reproducible_and_samples_txt_is_what_it_draws, .timeout = 30)
{
    char *train, *valid, *d = names_corpus(&train, &valid);
    Run r = train_tiny(d, "run", "30", NULL);
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char *dir = lab_path_join(d, "run");
    Run a = RUN("mlp", "generate", "--model", dir, "--count", "5", "--seed", "7");
    Run b = RUN("mlp", "generate", "--model", dir, "--count", "5", "--seed", "7");
    cr_assert(a.status == 0 && b.status == 0, "%s", a.err);
    cr_assert_str_eq(a.out, b.out);
    char *sp = lab_path_join(dir, "samples.txt");
    char *samples = slurp(sp);
    cr_assert_str_eq(a.out, samples);
    run_free(&a);
    run_free(&b);
    // greedy: the same line every time, and it starts with the prompt
    r = RUN("mlp", "generate", "--model", dir, "--count", "2", "--temperature", "0", "--prompt",
            "em");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strncmp(r.out, "em", 2) == 0, "%s", r.out);
    char *nl = strchr(r.out, '\n');
    cr_assert(nl && strncmp(r.out, nl + 1, (size_t)(nl - r.out)) == 0, "%s", r.out);
    // --stop: the same greedy line, cut just after the first drawn occurrence of its last
    // drawn character (never inside the prompt)
    size_t len = (size_t)(nl - r.out);
    cr_assert(len >= 3, "greedy line too short to test --stop: %s", r.out);
    char stop[2] = {r.out[len - 1], 0};
    const char *first = strchr(r.out + 2, stop[0]);
    Run st = RUN("mlp", "generate", "--model", dir, "--count", "1", "--temperature", "0",
                 "--prompt", "em", "--stop", stop);
    cr_assert_eq(st.status, 0, "%s", st.err);
    size_t want = (size_t)(first - r.out) + 1;
    cr_assert(strlen(st.out) == want + 1 && strncmp(st.out, r.out, want) == 0 &&
              st.out[want] == '\n', "--stop '%s' gave '%s' for the line '%.*s'", stop, st.out,
              (int)len, r.out);
    run_free(&st);
    run_free(&r);
    free(samples);
    free(sp);
    free(dir);
    free(train);
    free(valid);
    free(d);
}
