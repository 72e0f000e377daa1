// cli.c: `lmlab ngram <verb>`: the table of verbs, and `generate`.
//
//   lmlab ngram generate --model runs/names-kn4 --tokens 200 --temperature 0.8
//
// The other verbs have a file each: train.c, eval.c, sweep.c.
#include "ngram/cli_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

// --- the verbs ---------------------------------------------------------------------------------

const LabVerbs ngram_verbs = {
    .prog = "lmlab ngram",
    .what = "verb",
    .footer = "'lmlab ngram <verb> --help' shows the options of a verb.\n",
    .rows = (const LabVerb[]){
        {"train", ngram_cmd_train, "count n-grams and smooth them into a language model", 0},
        {"eval", ngram_cmd_eval, "loss, perplexity and bits per token on a text", 0},
        {"generate", ngram_cmd_generate, "sample text from an n-gram model", 0},
        {"sweep", ngram_cmd_sweep, "every order and smoothing on a dataset, best on valid, then "
         "test", 0},
        {0},
    },
};
