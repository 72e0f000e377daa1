// cli.c: `lmlab mlp <verb>` and `lmlab rnn <verb>`: the tables of verbs, and `generate`, which
// `lmlab gpt generate` shares (transformer/gpt_cli.c).
//
//   lmlab mlp generate --model runs/names-mlp --count 10 --temperature 0.8
//   lmlab rnn generate --model runs/names-rnn --prompt 'ja' --seed 2
//   lmlab gpt generate --model runs/names-gpt --no-cache
//
// train.c and eval.c hold the other verbs; each takes the model kind (lm.h), so each neural
// family is a table of three rows.
#include "nn/lm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

// --- generate ---------------------------------------------------------------------------------

int nn_cmd_generate(const NnLmKind *kind, int argc, char **argv)
{
    const char *model_dir = NULL, *prompt = NULL, *stop = NULL;
    long tokens = 200, seed = 1337, count = 10;
    int quiet = 0, no_cache = 0;
    int seq = kind->mode == NN_LM_SEQUENCE;
    LabSampling s = LAB_SAMPLING_DEFAULT;
    char *model_help = lab_asprintf("a run directory from 'lmlab %s train'", kind->family);
    LabOpt opts[] = {
        {"model", LAB_OPT_STRING, &model_dir, "DIR", model_help, 0, 0, 0},
        {"prompt", LAB_OPT_STRING, &prompt, "TEXT", "start from this text", 0, 0, 0},
        {"tokens", LAB_OPT_INT, &tokens, "N", "at most N tokens per sequence", 0, 1, 1e7},
        {"count", LAB_OPT_INT, &count, "N", "sequences to draw (line models)", 0, 1, 1e6},
        {"stop", LAB_OPT_STRING, &stop, "TEXT", "end a sequence once it has drawn this text "
         "(printed through it), e.g. a blank line: $'\\n\\n'", 0, 0, 0},
        LAB_SAMPLING_OPTS(s),
        {"seed", LAB_OPT_INT, &seed, "S", "random seed: the same seed draws the same text", 0, 0,
         0},
        {"quiet", LAB_OPT_FLAG, &quiet, NULL, "no notes on stderr", 0, 0, 0},
        // a sequence model's only
        {"no-cache", LAB_OPT_FLAG, &no_cache, NULL, "run the whole context again for every "
         "token instead of reading the KV cache: the same text, slower", 0, 0, 0},
        {0},
    };
    if (!seq) {
        opts[sizeof opts / sizeof opts[0] - 2] = (LabOpt){0};
    }
    char *usage = lab_asprintf("lmlab %s generate --model DIR [options]", kind->family);
    char *epilog = lab_asprintf("examples:\n"
                                "  lmlab %s generate --model runs/names-%s --count 10\n"
                                "  lmlab %s generate --model runs/names-%s --prompt 'ja' "
                                "--temperature 0.7\n",
                                kind->family, kind->family, kind->family, kind->family);
    const LabCommand cmd = {
        .usage = usage,
        .summary = "Sample text from a trained neural model, token by token.",
        .opts = opts,
        .epilog = epilog,
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    lab_quiet = quiet;
    if (!model_dir) {
        lab_usage_die(&cmd, "--model DIR is required");
    }
    lab_sampling_check(&cmd, &s);
    NnRun run;
    if (nn_run_load(&run, kind, model_dir, 1) != 0) {
        exit(1);
    }
    if (run.text.unit != UNIT_LINE && lab_args_given(&cmd, "count")) {
        lab_usage_die(&cmd, "--count draws sequences of a line model; '%s' was trained with "
                      "--unit stream, so it draws one text of --tokens tokens", model_dir);
    }
    int32_t *prompt_ids = NULL;
    long nprompt = 0;
    if (prompt &&
        vocab_encode_prompt(&run.vocab, &run.tok, prompt, &prompt_ids, &nprompt) != 0) {
        exit(1);
    }
    run.lm.recompute = no_cache;
    LabRng rng;
    lab_rng_seed(&rng, (uint64_t)seed);
    long n = run.text.unit == UNIT_LINE ? count : 1, drawn = 0;
    double t0 = lab_now();
    for (long i = 0; i < n; i++) {
        drawn += nn_lm_generate(stdout, &run.lm, &run.vocab, (TokKind)run.text.tokenizer,
                                prompt_ids, nprompt, tokens, stop, &s, &rng);
    }
    double secs = lab_now() - t0;
    if (seq && !lab_quiet) {
        // a sequence model's speed, with its cache or without (--no-cache), on stderr
        lab_note("drew %ld tokens in %.3fs: %.0f tokens/s%s", drawn, secs,
                 (double)drawn / fmax(secs, 1e-9),
                 no_cache ? " (the whole context run again for each: --no-cache)"
                          : " (through the KV cache)");
    }
    free(prompt_ids);
    nn_run_free(&run);
    free(usage);
    free(epilog);
    free(model_help);
    return 0;
}

// --- the verbs ---------------------------------------------------------------------------------

static int mlp_train(int argc, char **argv)
{
    return nn_cmd_train(&nn_lm_mlp, argc, argv);
}

static int mlp_eval(int argc, char **argv)
{
    return nn_cmd_eval(&nn_lm_mlp, argc, argv);
}

static int mlp_generate(int argc, char **argv)
{
    return nn_cmd_generate(&nn_lm_mlp, argc, argv);
}

const LabVerbs mlp_verbs = {
    .prog = "lmlab mlp",
    .what = "verb",
    .footer = "'lmlab mlp <verb> --help' shows the options of a verb.\n",
    .rows = (const LabVerb[]){
        {"train", mlp_train, "train the MLP language model (Bengio et al. 2003) by AdamW", 0},
        {"eval", mlp_eval, "loss, perplexity and bits per token on a text", 0},
        {"generate", mlp_generate, "sample text from a trained model", 0},
        {0},
    },
};

static int rnn_train(int argc, char **argv)
{
    return nn_cmd_train(&nn_lm_rnn, argc, argv);
}

static int rnn_eval(int argc, char **argv)
{
    return nn_cmd_eval(&nn_lm_rnn, argc, argv);
}

static int rnn_generate(int argc, char **argv)
{
    return nn_cmd_generate(&nn_lm_rnn, argc, argv);
}

const LabVerbs rnn_verbs = {
    .prog = "lmlab rnn",
    .what = "verb",
    .footer = "'lmlab rnn <verb> --help' shows the options of a verb.\n",
    .rows = (const LabVerb[]){
        {"train", rnn_train, "train a recurrent language model (--cell rnn, lstm or gru) by "
         "AdamW with truncated BPTT", 0},
        {"eval", rnn_eval, "loss, perplexity and bits per token on a text, the state carried", 0},
        {"generate", rnn_generate, "sample text from a trained model, one token at a time", 0},
        {0},
    },
};
