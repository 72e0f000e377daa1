// test_compare.c: `lmlab compare` end to end, as a user runs it.
//
// Every comparison runs on a tiny corpus of names (a --train/--valid/--test triple) with a few
// neural steps, so a test takes seconds. Expected values come from outside compare: each
// family's own `eval --json` run again on the run directory compare wrote, and the units'
// definitions (ppl = exp(loss), bits = loss / ln 2).
#include "tests/cli/cli.h"

#include <math.h>

static const char *TRAIN = "emma\nolivia\nava\nisabella\nsophia\ncharlotte\nmia\namelia\n"
                           "harper\nevelyn\nabigail\nemily\nella\nelizabeth\ncamila\nluna\n"
                           "sofia\navery\nmila\naria\nscarlett\npenelope\nlayla\nchloe\n"
                           "victoria\nmadison\neleanor\ngrace\nnora\nriley\nzoey\nhannah\n";
static const char *VALID = "lily\nanna\nnova\nleah\n";
static const char *TEST = "ellie\nmaya\nclara\nlaila\n";

typedef struct {
    char *dir, *train, *valid, *test, *out;
} Corpus3;

static Corpus3 corpus3(void)
{
    Corpus3 c;
    c.dir = test_tmpdir();
    c.train = test_write(c.dir, "train.txt", TRAIN, strlen(TRAIN));
    c.valid = test_write(c.dir, "valid.txt", VALID, strlen(VALID));
    c.test = test_write(c.dir, "test.txt", TEST, strlen(TEST));
    c.out = lab_path_join(c.dir, "cmp");
    return c;
}

// The number after "key": in a JSON line, found with sscanf; fails the test when absent.
static double num(const char *line, const char *key)
{
    char *pat = lab_asprintf("\"%s\": ", key);
    const char *p = strstr(line, pat);
    cr_assert(p, "no key %s in %s", pat, line);
    double v;
    cr_assert_eq(sscanf(p + strlen(pat), "%lf", &v), 1, "%s is no number in %s", key, line);
    free(pat);
    return v;
}

// The string after "key": (no escapes in the values tested here), a new string.
static char *str(const char *line, const char *key)
{
    char *pat = lab_asprintf("\"%s\": \"", key);
    const char *p = strstr(line, pat);
    cr_assert(p, "no string %s in %s", key, line);
    p += strlen(pat);
    const char *end = strchr(p, '"');
    cr_assert(end);
    free(pat);
    return lab_strndup(p, (size_t)(end - p));
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

// --- the table and the runs -------------------------------------------------------------------

Test(compare, table_lists_every_family_with_its_configuration)
{
    Corpus3 c = corpus3();
    // the recurrent rows need more text than this corpus has for their lanes
    Run r = RUN("compare", "--train", c.train, "--valid", c.valid, "--test", c.test, "--steps",
                "10", "--families", "ngram,mlp,gpt", "--out", c.out, "--plot", "none", "--quiet");
    cr_assert_eq(r.status, 0, "status %d; stderr:\n%s", r.status, r.err);
    cr_assert(strstr(r.out, "\ngpt      layers 4, heads 4, width 64, context 16, steps 10"),
              "no gpt row:\n%s", r.out);
    cr_assert(strstr(r.out, "valid loss") && strstr(r.out, "test ppl"), "%s", r.out);
    cr_assert(strstr(r.out, "\nngram    smoothing kn, order 6"), "no n-gram row:\n%s", r.out);
    cr_assert(strstr(r.out, "\nmlp      context 4, embed 16, hidden 256, steps 10"),
              "no mlp row:\n%s", r.out);
    run_free(&r);
}

Test(compare, json_has_the_report_keys_and_eval_of_each_run_reproduces_its_test_loss)
{
    Corpus3 c = corpus3();
    Run r = RUN("compare", "--train", c.train, "--valid", c.valid, "--test", c.test, "--steps",
                "10", "--families", "ngram,mlp,gpt", "--out", c.out, "--plot", "none", "--quiet",
                "--json");
    cr_assert_eq(r.status, 0, "status %d; stderr:\n%s", r.status, r.err);
    const char *fams[] = {"ngram", "mlp", "gpt"};
    char *cur = r.out;
    for (int i = 0; i < 3; i++) {
        char *line = lab_next_line(&cur);
        cr_assert(line, "fewer than 3 JSON lines:\n%s", r.out);
        char *fam = str(line, "family");
        cr_assert_str_eq(fam, fams[i]);
        // the shared report's keys, for each split
        const char *keys[] = {"tokens", "loss", "ppl", "bits_per_token", "words", "oov",
                              "zero_prob"};
        for (int k = 0; k < 7; k++) {
            char *kv = lab_asprintf("valid_%s", keys[k]), *kt = lab_asprintf("test_%s", keys[k]);
            num(line, kv);
            num(line, kt);
            free(kv);
            free(kt);
        }
        double loss = num(line, "test_loss");
        cr_assert_float_eq(num(line, "test_ppl"), exp(loss), 1e-9 * exp(loss));
        cr_assert_float_eq(num(line, "test_bits_per_token"), loss / log(2), 1e-9);
        // test.txt: 4 names of 5, 4, 5, 5 letters, each with its </s>
        cr_assert_eq((long)num(line, "test_tokens"), 23);
        cr_assert(num(line, "params") > 0);
        char *dir = str(line, "run");
        char *want = lab_path_join(c.out, fam);
        cr_assert_str_eq(dir, want);
        cr_assert(is_dir(dir), "no run directory '%s'", dir);
        Run e = RUN(fam, "eval", "--model", dir, "--data", c.test, "--json");
        cr_assert_eq(e.status, 0, "%s", e.err);
        double again = num(e.out, "loss");
        cr_assert(fabs(again - loss) <= 1e-12 * fabs(loss), "%s: compare says test loss %.17g, "
                  "'%s eval' says %.17g", fam, loss, fam, again);
        run_free(&e);
        free(want);
        free(dir);
        free(fam);
    }
    cr_assert_null(lab_next_line(&cur), "more than 3 JSON lines:\n%s", r.out);
    run_free(&r);
}

Test(compare, families_picks_and_orders_the_rows)
{
    Corpus3 c = corpus3();
    Run r = RUN("compare", "--train", c.train, "--valid", c.valid, "--test", c.test,
                "--families", "ngram", "--out", c.out, "--plot", "none", "--quiet", "--json");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"family\": \"ngram\""), "%s", r.out);
    cr_assert_null(strstr(r.out, "\"family\": \"mlp\""), "%s", r.out);
    char *mlp = lab_path_join(c.out, "mlp");
    cr_assert(!is_dir(mlp), "'%s' was made for a family not asked for", mlp);
    free(mlp);
    run_free(&r);
}

// With --tokenizer bpe every child learns --bpe-vocab tokens from the same text, so the runs
// share one vocabulary; --bpe-vocab alone is refused.
Test(compare, bpe_gives_every_family_the_same_learned_vocabulary)
{
    Corpus3 c = corpus3();
    Run r = RUN("compare", "--train", c.train, "--valid", c.valid, "--test", c.test,
                "--families", "ngram,mlp", "--steps", "2", "--tokenizer", "bpe", "--bpe-vocab",
                "270", "--out", c.out, "--plot", "none", "--quiet", "--json");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(strstr(r.out, "\"tokenizer\": \"bpe\""), "%s", r.out);
    char *a = lab_path_join(c.out, "ngram/bpe/merges.txt");
    char *b = lab_path_join(c.out, "mlp/bpe/merges.txt");
    char *ma = slurp(a), *mb = slurp(b);
    cr_assert_str_eq(ma, mb, "the two runs learned different merges");
    free(ma);
    free(mb);
    free(a);
    free(b);
    run_free(&r);
    expect(RUN("compare", "--dataset", "names", "--bpe-vocab", "300"), 2, "--tokenizer bpe");
}

// A budget times a probe run, then trains as many steps as fit: at least one, whatever the
// machine's speed.
Test(compare, budget_times_a_probe_run_then_trains_at_least_one_step)
{
    Corpus3 c = corpus3();
    Run r = RUN("compare", "--train", c.train, "--valid", c.valid, "--test", c.test,
                "--families", "mlp", "--budget", "0.5", "--out", c.out, "--plot", "none",
                "--json");
    cr_assert_eq(r.status, 0, "%s", r.err);
    cr_assert(num(r.out, "steps") >= 1, "%s", r.out);
    cr_assert(strstr(r.err, "mlp: timing 50 steps: lmlab mlp train"), "%s", r.err);
    char *probe = lab_path_join(c.out, "mlp-probe");
    cr_assert(is_dir(probe), "no probe run '%s'", probe);
    free(probe);
    run_free(&r);
}

// --- usage ----------------------------------------------------------------------------------

Test(compare, unknown_family_is_refused_with_did_you_mean)
{
    Run r = RUN("compare", "--dataset", "names", "--families", "ngram,mpl");
    cr_assert_eq(r.status, 2, "%s", r.err);
    cr_assert(strstr(r.err, "no family 'mpl' (did you mean 'mlp'?"), "%s", r.err);
    cr_assert(strstr(r.err, "usage: lmlab compare"), "%s", r.err);
    run_free(&r);
    expect(RUN("compare", "--dataset", "names", "--families", "ngram,,mlp"), 2, "--families");
}

Test(compare, data_must_be_a_dataset_or_three_files)
{
    Corpus3 c = corpus3();
    expect(RUN("compare"), 2, "give --dataset NAME, or all three");
    expect(RUN("compare", "--train", c.train, "--valid", c.valid), 2, "all three");
    expect(RUN("compare", "--dataset", "names", "--train", c.train), 2, "not both");
    expect(RUN("compare", "--dataset", "nmaes"), 2, "names");
    expect(RUN("compare", "--dataset", "names", "--budget", "5", "--steps", "5"), 2,
           "--budget SECONDS or --steps N, not both");
}

Test(compare, a_missing_file_is_refused_before_any_training)
{
    Corpus3 c = corpus3();
    char *missing = lab_path_join(c.dir, "missing.txt");
    Run r = RUN("compare", "--train", c.train, "--valid", c.valid, "--test", missing,
                "--out", c.out, "--plot", "none", "--quiet");
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "lmlab: cannot open '") && strstr(r.err, "missing.txt'"), "%s",
              r.err);
    cr_assert_eq(r.out[0], 0, "a table was printed:\n%s", r.out);
    cr_assert(!is_dir(c.out), "'%s' was made", c.out);
    run_free(&r);
    free(missing);
}

// A family whose command fails stops the comparison: its command is named, so the student
// can run it alone, and the status is 1.
Test(compare, a_family_that_fails_names_its_command_and_exits_1)
{
    Corpus3 c = corpus3();
    char *empty = test_write(c.dir, "empty.txt", "", 0);
    Run r = RUN("compare", "--train", c.train, "--valid", c.valid, "--test", empty,
                "--families", "ngram", "--out", c.out, "--plot", "none", "--quiet");
    cr_assert_eq(r.status, 1, "%s", r.err);
    cr_assert(strstr(r.err, "'lmlab ngram eval --model"), "%s", r.err);
    cr_assert(strstr(r.err, "failed (exit status"), "%s", r.err);
    cr_assert_eq(r.out[0], 0, "a table was printed:\n%s", r.out);
    run_free(&r);
    free(empty);
}

Test(compare, every_family_of_the_program_is_a_row)
{
    Run r = RUN("compare", "--help");
    cr_assert_eq(r.status, 0);
    cr_assert(strstr(r.out, "ngram,mlp,rnn,lstm,gru,gpt"), "the families in --help:\n%s", r.out);
    run_free(&r);
}
