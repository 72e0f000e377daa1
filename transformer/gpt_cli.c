// gpt_cli.c: `lmlab gpt <verb>`: the table of verbs of the transformer family.
//
//   lmlab gpt train --dataset names
//   lmlab gpt eval --model runs/names-gpt --split test
//   lmlab gpt generate --model runs/names-gpt --count 10 --temperature 0.8
//   lmlab gpt attention --model runs/names-gpt --prompt 'emma'
//
// The verbs are the neural trainer's (nn/lm.h) over the GPT's kind (gpt_lm.c), so a GPT run
// directory is read and resumed as an MLP's or an RNN's. Verbs of the GPT alone get a row here.
#include "transformer/gpt_lm.h"

static int gpt_train(int argc, char **argv)
{
    return nn_cmd_train(&nn_lm_gpt, argc, argv);
}

static int gpt_eval(int argc, char **argv)
{
    return nn_cmd_eval(&nn_lm_gpt, argc, argv);
}

static int gpt_generate(int argc, char **argv)
{
    return nn_cmd_generate(&nn_lm_gpt, argc, argv);
}

const LabVerbs gpt_verbs = {
    .prog = "lmlab gpt",
    .what = "verb",
    .footer = "'lmlab gpt <verb> --help' shows the options of a verb.\n",
    .rows = (const LabVerb[]){
        {"train", gpt_train, "train a GPT (nanoGPT's architecture) by AdamW, a line a row (or "
         "random sequences of a stream)", 0},
        {"eval", gpt_eval, "loss, perplexity and bits per token on a text, in windows of the "
         "context", 0},
        {"generate", gpt_generate, "sample text from a trained model through the KV cache", 0},
        {"attention", gpt_cmd_attention, "draw the attention weights of every layer and head on "
         "a prompt", 0},
        {0},
    },
};
