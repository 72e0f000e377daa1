// cli.c: `lmlab ngram <verb>`: the table of verbs, `generate` and `binary`.
//
//   lmlab ngram generate --model runs/names-kn4 --tokens 200 --temperature 0.8
//   lmlab ngram binary --arpa lm.arpa --out lm.bin
//
// The other verbs have a file each: train.c, eval.c, sweep.c.
#include "ngram/cli_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

// --- generate ---------------------------------------------------------------------------------

int ngram_cmd_generate(int argc, char **argv)
{
    const char *model_dir = NULL, *prompt = NULL;
    long tokens = 200, seed = 1337, count = 10;
    LabSampling s = LAB_SAMPLING_DEFAULT;
    const LabOpt opts[] = {
        {"model", LAB_OPT_STRING, &model_dir, "DIR", "a run directory from 'lmlab ngram train'", 0,
         0, 0},
        {"prompt", LAB_OPT_STRING, &prompt, "TEXT", "start from this text", 0, 0, 0},
        {"tokens", LAB_OPT_INT, &tokens, "N", "at most N tokens per sequence", 0, 1, 1e7},
        {"count", LAB_OPT_INT, &count, "N", "sequences to draw (line models)", 0, 1, 1e6},
        LAB_SAMPLING_OPTS(s),
        {"seed", LAB_OPT_INT, &seed, "S", "random seed: the same seed draws the same text", 0, 0,
         0},
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab ngram generate --model DIR [options]",
        .summary = "Sample text from an n-gram model.",
        .opts = opts,
        .epilog = "examples:\n"
                  "  lmlab ngram generate --model runs/names-kn4 --count 10\n"
                  "  lmlab ngram generate --model runs/names-kn4 --prompt 'ja' --temperature 0.7\n",
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    if (!model_dir) {
        lab_usage_die(&cmd, "--model DIR is required");
    }
    lab_sampling_check(&cmd, &s);
    NgramRun run;
    if (ngram_run_load(&run, model_dir) != 0) {
        exit(1);
    }
    if (run.text.unit != UNIT_LINE && lab_args_given(&cmd, "count")) {
        lab_usage_die(&cmd, "--count draws sequences of a line model; '%s' was trained with "
                      "--unit stream, so it draws one text of --tokens tokens", model_dir);
    }
    int32_t *prompt_ids = NULL;
    long nprompt = 0;
    if (prompt &&
        vocab_encode_prompt(&run.model.vocab, &run.tok, prompt, &prompt_ids, &nprompt) != 0) {
        exit(1);
    }
    LabRng rng;
    lab_rng_seed(&rng, (uint64_t)seed);
    TokKind kind = (TokKind)run.text.tokenizer;
    long n = run.text.unit == UNIT_LINE ? count : 1;
    for (long i = 0; i < n; i++) {
        ngram_generate(stdout, &run.model, kind, i == 0 ? prompt_ids : NULL, i == 0 ? nprompt : 0,
                       tokens, &s, &rng);
    }
    free(prompt_ids);
    ngram_run_free(&run);
    return 0;
}

// --- binary ---------------------------------------------------------------------------------

int ngram_cmd_binary(int argc, char **argv)
{
    const char *arpa = NULL, *out = NULL;
    const LabOpt opts[] = {
        {"arpa", LAB_OPT_STRING, &arpa, "FILE", "an ARPA file from any toolkit (lmlab, KenLM, "
         "SRILM)", 0, 0, 0},
        {"out", LAB_OPT_STRING, &out, "FILE", "the binary model to write", 0, 0, 0},
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab ngram binary --arpa FILE --out FILE",
        .summary = "Convert an ARPA file into lmlab's binary model format (model.bin).",
        .opts = opts,
        .epilog = "examples:\n"
                  "  lmlab ngram binary --arpa lm.arpa --out lm.bin\n"
                  "  lmlab ngram eval --arpa lm.bin --tokenizer word --data test.txt\n"
                  "A run directory of 'lmlab ngram train' has its model.bin already; eval and\n"
                  "generate read it before model.arpa. docs/formats.md gives the layout.\n",
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    if (!arpa || !out) {
        lab_usage_die(&cmd, "give --arpa FILE and --out FILE");
    }
    if (ngram_bin_is(arpa)) {
        lab_usage_die(&cmd, "'%s' is a binary model already: --arpa takes an ARPA file", arpa);
    }
    NgramModel m;
    double t0 = lab_now();
    if (ngram_arpa_read(&m, arpa, UNIT_LINE) != 0) {
        exit(1);
    }
    double t1 = lab_now();
    if (ngram_bin_write(&m, out) != 0) {
        exit(1);
    }
    double t2 = lab_now();
    unsigned long long total = 0;
    printf("wrote %s: order %d,", out, m.order);
    for (int k = 1; k <= m.order; k++) {
        unsigned long long n = ngram_model_entries(&m, k);
        total += n;
        printf(" %d=%llu", k, n);
    }
    struct stat st;
    if (stat(out, &st) == 0 && total > 0) {
        printf(", %.1f MB, %.1f bytes per n-gram", (double)st.st_size / 1e6,
               (double)st.st_size / (double)total);
    }
    printf("\n");
    if (!lab_quiet) {
        fprintf(stderr, "lmlab: read the ARPA file in %.3fs, wrote the binary in %.3fs\n",
                t1 - t0, t2 - t1);
    }
    ngram_model_free(&m);
    return 0;
}

// --- the verbs ---------------------------------------------------------------------------------

const LabVerbs ngram_verbs = {
    .prog = "lmlab ngram",
    .what = "verb",
    .footer = "'lmlab ngram <verb> --help' shows the options of a verb.\n",
    .rows = (const LabVerb[]){
        {"train", ngram_cmd_train, "count n-grams and smooth them into a language model", 0},
        {"eval", ngram_cmd_eval, "loss, perplexity and bits per token on a text", 0},
        {"generate", ngram_cmd_generate, "sample text from an n-gram model", 0},
        {"binary", ngram_cmd_binary, "convert an ARPA file into the binary format eval reads "
         "in milliseconds", 0},
        {"sweep", ngram_cmd_sweep, "every order and smoothing on a dataset, best on valid, then "
         "test", 0},
        {0},
    },
};
