// test_rnn_cli.c: `lmlab rnn train|eval|generate` end to end, as a user runs it.
//
// Every run trains a tiny model (embed 4, hidden 8, 4 lanes of 6 steps) on a tiny corpus for
// a few dozen steps, so each test takes well under a second, a few under the sanitizers.
// Expected values come from outside the code under test: a uniform softmax (perplexity V),
// the per-token log-softmax of the model's own step logits run here line by line from a zero
// state, the same run made twice or made in two halves.
#include "tests/cli/cli.h"

#include "nn/lm.h"

// Trains DIR/name for steps steps (constant learning rate, so halves resume exactly).
static Run train_tiny(const char *dir, const char *name, const char *steps, const char *cell,
                      const char *batching)
{
    char *train = lab_path_join(dir, "train.txt"), *valid = lab_path_join(dir, "valid.txt");
    char *out = lab_path_join(dir, name);
    Run r = RUN("rnn", "train", "--train", train, "--valid", valid, "--out", out, "--steps",
                steps, "--cell", cell, "--batching", batching, "--batch", "4", "--seq", "6",
                "--embed", "4", "--hidden", "8", "--eval-every", "10", "--log-every", "5",
                "--schedule", "constant", "--lr", "0.01", "--plot", "none", "--quiet",
                "--samples", "5", "--seed", "7");
    free(train);
    free(valid);
    free(out);
    return r;
}

// --- usage --------------------------------------------------------------------------------------

Test(rnn_cli, help_lists_the_recurrent_options_with_their_defaults)
{
    Run r = RUN("rnn", "train", "--help");
    cr_assert_eq(r.status, 0);
    const char *want[] = {"--cell rnn|lstm|gru", "(default lstm)", "--embed E", "--hidden H",
                          "--layers L", "--seq T", "(default 35)",
                          "--batching random|sequential", "(default sequential)", "--batch B",
                          "--clip C", "--resume DIR"};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        cr_assert(strstr(r.out, want[i]), "--help lacks '%s':\n%s", want[i], r.out);
    }
    run_free(&r);
    r = RUN("--help");
    cr_assert(strstr(r.out, "rnn train"), "lmlab --help lists rnn:\n%s", r.out);
    run_free(&r);
}

Test(rnn_cli, bad_options_are_usage_errors, .timeout = 30)
{
    expect(RUN("rnn"), 2, "usage: lmlab rnn");
    expect(RUN("rnn", "train"), 2, "say what to train on");
    expect(RUN("rnn", "train", "--dataset", "names", "--cell", "transformer"), 2,
           "unknown value 'transformer' for --cell");
    expect(RUN("rnn", "train", "--dataset", "names", "--batching", "shuffled"), 2,
           "unknown value 'shuffled' for --batching");
    expect(RUN("rnn", "train", "--dataset", "names", "--seq", "0"), 2, "--seq");
    expect(RUN("rnn", "train", "--dataset", "names", "--layers", "0"), 2, "--layers");
    expect(RUN("rnn", "train", "--dataset", "names", "--hidden", "-3"), 2, "--hidden");
    expect(RUN("rnn", "train", "--resume", "runs/x", "--cell", "gru"), 2,
           "--cell comes from the run's config when resuming");
    expect(RUN("rnn", "eval", "--split", "valid"), 2, "--model DIR is required");
    expect(RUN("rnn", "generate", "--model", "x", "--temperature", "0.001"), 2, "--temperature");
    // a corpus too short for the lanes is a message, exit 1
    char *d = names_corpus(NULL, NULL);
    char *train = lab_path_join(d, "valid.txt"), *out = lab_path_join(d, "short");
    expect(RUN("rnn", "train", "--train", train, "--out", out, "--batch", "8", "--seq", "10",
               "--quiet"),
           1, "too short for 8 lanes of 10 steps");
    // a run of another family is refused by name
    Run m = RUN("mlp", "train", "--train", train, "--out", out, "--steps", "2", "--plot", "none",
                "--quiet", "--hidden", "4", "--embed", "2");
    cr_assert_eq(m.status, 0, "%s", m.err);
    run_free(&m);
    Run e = RUN("rnn", "eval", "--model", out, "--data", train);
    cr_assert_eq(e.status, 1, "%s", e.err);
    cr_assert(strstr(e.err, "mlp"), "%s", e.err);
    run_free(&e);
    free(train);
    free(out);
    free(d);
}

// --- train ---------------------------------------------------------------------------------------

Test(rnn_cli, each_cell_trains_and_writes_its_run, .timeout = 60)
{
    char *d = names_corpus(NULL, NULL);
    const char *cells[] = {"rnn", "lstm", "gru"};
    for (int c = 0; c < 3; c++) {
        Run r = train_tiny(d, cells[c], "20", cells[c], "random");
        cr_assert_eq(r.status, 0, "%s: %s", cells[c], r.err);
        cr_assert(strstr(r.out, "trained rnn (") && strstr(r.out, cells[c]), "%s", r.out);
        run_free(&r);
        const char *files[] = {"config", "vocab.txt", "log.tsv", "model.safetensors",
                               "state.safetensors", "samples.txt", "loss.gp", "grad_norm.gp"};
        for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
            char *p = file_in(d, cells[c], files[i]);
            cr_assert(test_exists(p), "%s: no %s", cells[c], files[i]);
            free(p);
        }
        char *lp = file_in(d, cells[c], "log.tsv"), *log = slurp(lp);
        cr_assert(strncmp(log, "step\ttokens\ttrain_loss\tvalid_loss\tvalid_ppl\tlr\t"
                               "tokens_per_s\tgrad_norm\n", 70) == 0, "%s", log);
        // a step predicts B * T = 24 tokens: row 20 has seen 480
        cr_assert(strstr(log, "\n20\t480\t"), "%s", log);
        char *cp = file_in(d, cells[c], "config"), *cfg = slurp(cp);
        char *want = lab_asprintf("cell = %s\n", cells[c]);
        cr_assert(strstr(cfg, want) && strstr(cfg, "batching = random\n"), "%s", cfg);
        free(want);
        free(cfg);
        free(cp);
        free(log);
        free(lp);
    }
    free(d);
}

// Trains 40 steps in one go and 20 + a resume to 40, and compares the two runs' files (step
// 20 is an evaluation, so the half run's log rows are the whole run's).
static void check_resume(const char *cell, const char *batching)
{
    char *d = names_corpus(NULL, NULL);
    Run whole = train_tiny(d, "whole", "40", cell, batching);
    cr_assert_eq(whole.status, 0, "%s", whole.err);
    run_free(&whole);
    Run half = train_tiny(d, "half", "20", cell, batching);
    cr_assert_eq(half.status, 0, "%s", half.err);
    run_free(&half);
    char *dir = lab_path_join(d, "half");
    Run rest = RUN("rnn", "train", "--resume", dir, "--steps", "40", "--plot", "none", "--quiet");
    cr_assert_eq(rest.status, 0, "%s", rest.err);
    run_free(&rest);
    assert_same_runs(d, "whole", "half");
    free(dir);
    free(d);
}

Test(rnn_cli, resume_is_bit_for_bit_with_random_sampling, .timeout = 60)
{
    check_resume("gru", "random");
}

// 214 characters in 4 lanes of 53 make epochs of 8 batches of 6 steps: step 20 is in the middle
// of the third, so the carried hidden and cell state must come back from state.safetensors
Test(rnn_cli, resume_is_bit_for_bit_with_sequential_partitioning, .timeout = 60)
{
    check_resume("lstm", "sequential");
}

// --- eval ----------------------------------------------------------------------------------------

// -ln softmax(z)[target] in long double
static long double nll(const float *z, int V, int target)
{
    long double max = z[0], sum = 0;
    for (int v = 1; v < V; v++) {
        max = z[v] > max ? z[v] : max;
    }
    for (int v = 0; v < V; v++) {
        sum += expl((long double)z[v] - max);
    }
    return -((long double)z[target] - max - logl(sum));
}

Test(rnn_cli, eval_is_the_mean_loss_of_step_logits_line_by_line_and_uniform_is_ppl_v,
     .timeout = 30)
{
    char *d = names_corpus(NULL, NULL);
    Run r = train_tiny(d, "run", "30", "lstm", "sequential");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char *dir = lab_path_join(d, "run"), *valid = lab_path_join(d, "valid.txt");
    char *model = lab_path_join(dir, "model.safetensors");
    // 1. each line from a zero state and <s>, one step at a time, </s> predicted too
    NnRun run;
    cr_assert_eq(nn_run_load(&run, &nn_lm_rnn, dir, 1), 0);
    RnnLm *m = run.lm.model;
    int V = m->cfg.V;
    long double nats = 0;
    long tokens = 0;
    const char *lines[] = {"lily", "anna", "nova", "leah"};
    for (int l = 0; l < 4; l++) {
        int32_t ids[8], len = 0;
        for (const char *c = lines[l]; *c; c++) {
            ids[len++] = vocab_find(&run.vocab, c, 1);
        }
        ids[len++] = TOK_EOS;
        rnn_lm_reset_state(m);
        int32_t prev = TOK_BOS;
        for (int i = 0; i < len; i++) {
            nats += nll(rnn_lm_step_logits(m, &prev), V, ids[i]);
            tokens++;
            prev = ids[i];
        }
    }
    r = RUN("rnn", "eval", "--model", dir, "--data", valid, "--json");
    cr_assert_eq(r.status, 0, "%s", r.err);
    double want = (double)(nats / tokens), got = json_num(r.out, "loss");
    cr_assert(test_rel_eq(got, want, 1e-6), "eval loss %.12g, by hand %.12g", got, want);
    cr_assert_eq((long)json_num(r.out, "tokens"), tokens);
    cr_assert(strstr(r.out, "\"family\": \"rnn\"") && strstr(r.out, "(lstm)\""), "%s", r.out);
    run_free(&r);
    // the valid loss training logged at step 30 (4 lanes side by side) is eval's (one lane a
    // line): the loss does not depend on the lanes
    char *lp = lab_path_join(dir, "log.tsv"), *log = slurp(lp);
    char *row = strstr(log, "\n30\t");
    cr_assert(row, "%s", log);
    double logged = strtod(strchr(strchr(strchr(row + 1, '\t') + 1, '\t') + 1, '\t') + 1, NULL);
    cr_assert(test_rel_eq(got, logged, 1e-6), "eval %.9g, log.tsv %.9g", got, logged);
    free(log);
    free(lp);
    // 2. head weight and bias zero: every logit is 0, softmax uniform over V, ppl exactly V
    memset(nn_params_view(run.lm.params, run.lm.param, "head.weight"), 0,
           (size_t)V * m->cfg.H * sizeof(float));
    memset(nn_params_view(run.lm.params, run.lm.param, "head.bias"), 0, (size_t)V * sizeof(float));
    cr_assert_eq(nn_safetensors_write(model, run.lm.params, run.lm.param, NULL), 0);
    r = RUN("rnn", "eval", "--model", dir, "--data", valid, "--json");
    cr_assert_eq(r.status, 0, "%s", r.err);
    double ppl = json_num(r.out, "ppl");
    cr_assert(test_rel_eq(ppl, V, 1e-12), "ppl %.15g, expected V = %d", ppl, V);
    run_free(&r);
    nn_run_free(&run);
    free(model);
    free(valid);
    free(dir);
    free(d);
}

Test(rnn_cli, a_stream_run_is_scored_whole_with_the_state_carried, .timeout = 30)
{
    char *d = names_corpus(NULL, NULL);
    char *train = lab_path_join(d, "train.txt"), *out = lab_path_join(d, "stream");
    Run r = RUN("rnn", "train", "--train", train, "--out", out, "--unit", "stream", "--steps",
                "10", "--cell", "gru", "--batch", "4", "--seq", "5", "--embed", "4", "--hidden",
                "8", "--plot", "none", "--quiet", "--samples", "1");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    NnRun run;
    cr_assert_eq(nn_run_load(&run, &nn_lm_rnn, out, 1), 0);
    RnnLm *m = run.lm.model;
    // one <s>, then every character, newlines included, from one carried state
    const char *text = "ava\nmia\nluna\n";
    rnn_lm_reset_state(m);
    int32_t prev = TOK_BOS;
    long double nats = 0;
    long n = 0;
    for (const char *c = text; *c; c++) {
        int32_t id = vocab_find(&run.vocab, c, 1);
        cr_assert(id >= 0);
        nats += nll(rnn_lm_step_logits(m, &prev), m->cfg.V, id);
        n++;
        prev = id;
    }
    char *data = test_write(d, "s.txt", text, strlen(text));
    r = RUN("rnn", "eval", "--model", out, "--data", data, "--json");
    cr_assert_eq(r.status, 0, "%s", r.err);
    double got = json_num(r.out, "loss"), want = (double)(nats / n);
    cr_assert(test_rel_eq(got, want, 1e-6), "eval loss %.12g, by hand %.12g", got, want);
    cr_assert_eq((long)json_num(r.out, "tokens"), n);
    run_free(&r);
    nn_run_free(&run);
    free(data);
    free(train);
    free(out);
    free(d);
}

// --- generate ------------------------------------------------------------------------------------

Test(rnn_cli, generate_is_reproducible_and_samples_txt_is_what_it_draws, .timeout = 30)
{
    char *d = names_corpus(NULL, NULL);
    Run r = train_tiny(d, "run", "30", "gru", "random");
    cr_assert_eq(r.status, 0, "%s", r.err);
    run_free(&r);
    char *dir = lab_path_join(d, "run");
    Run a = RUN("rnn", "generate", "--model", dir, "--count", "5", "--seed", "7");
    Run b = RUN("rnn", "generate", "--model", dir, "--count", "5", "--seed", "7");
    cr_assert(a.status == 0 && b.status == 0, "%s", a.err);
    cr_assert_str_eq(a.out, b.out);
    char *sp = lab_path_join(dir, "samples.txt");
    char *samples = slurp(sp);
    cr_assert_str_eq(a.out, samples);
    run_free(&a);
    run_free(&b);
    Run c = RUN("rnn", "generate", "--model", dir, "--count", "5", "--seed", "8");
    cr_assert_eq(c.status, 0, "%s", c.err);
    cr_assert(strcmp(c.out, samples) != 0, "seeds 7 and 8 drew the same:\n%s", c.out);
    run_free(&c);
    // greedy: the same line every time, and it starts with the prompt
    r = RUN("rnn", "generate", "--model", dir, "--count", "2", "--temperature", "0", "--prompt",
            "em");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strncmp(r.out, "em", 2) == 0, "%s", r.out);
    char *nl = strchr(r.out, '\n');
    cr_assert(nl && strncmp(r.out, nl + 1, (size_t)(nl - r.out)) == 0, "%s", r.out);
    run_free(&r);
    free(samples);
    free(sp);
    free(dir);
    free(d);
}
