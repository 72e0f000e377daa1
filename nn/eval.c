// eval.c: `lmlab mlp|rnn|gpt eval`: the perplexity of a trained neural model on a text.
//
//   lmlab mlp eval --model runs/names-mlp --split test
//   lmlab rnn eval --model runs/names-rnn --data poem.txt --json
//
// Tokenizes with the run's own tokenizer and vocabulary, scores every predicted token under
// the sentence convention (nn_lm_score: one <s> context begins each line, </s> predicted; a
// recurrent model runs each line from a zero state, or a stream whole, the state carried; a
// GPT reads each line from <s> in one window, or a longer sequence in windows of its context)
// and prints the report every family prints (lab_eval_report). A recurrent run's report names
// its cell after the run directory: "runs/names-rnn (lstm)", family "rnn".
#include "nn/lm.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// rows scored at once: the loss does not depend on it
#define EVAL_ROWS 256

int nn_cmd_eval(const NnLmKind *kind, int argc, char **argv)
{
    const char *model_dir = NULL, *data = NULL, *split = NULL, *text_arg = NULL;
    int json = 0, quiet = 0;
    char *model_help = lab_asprintf("a run directory from 'lmlab %s train'", kind->family);
    const LabOpt opts[] = {
        {"model", LAB_OPT_STRING, &model_dir, "DIR", model_help, 0, 0, 0},
        {"data", LAB_OPT_STRING, &data, "FILE", "the text to score", 0, 0, 0},
        {"text", LAB_OPT_STRING, &text_arg, "TEXT", "or score this text (one line per line)", 0,
         0, 0},
        {"split", LAB_OPT_STRING, &split, "NAME",
         "a split of the model's dataset: train, valid or test", 0, 0, 0},
        {"json", LAB_OPT_FLAG, &json, NULL, "print one JSON object", 0, 0, 0},
        {"quiet", LAB_OPT_FLAG, &quiet, NULL, "no notes", 0, 0, 0},
        {0},
    };
    char *usage = lab_asprintf("lmlab %s eval --model DIR (--data FILE | --split NAME | --text "
                               "TEXT) [options]", kind->family);
    char *epilog = lab_asprintf("examples:\n"
                                "  lmlab %s eval --model runs/names-%s --split test\n"
                                "  lmlab %s eval --model runs/names-%s --text anna --json\n",
                                kind->family, kind->family, kind->family, kind->family);
    const LabCommand cmd = {
        .usage = usage,
        .summary = "Score a text with a trained neural model: loss, perplexity, bits per token.",
        .opts = opts,
        .epilog = epilog,
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    lab_quiet = quiet;
    if (!model_dir) {
        lab_usage_die(&cmd, "--model DIR is required");
    }
    if (!!data + !!split + !!text_arg != 1) {
        lab_usage_die(&cmd, "give exactly one of --data FILE, --split NAME and --text TEXT");
    }
    if (split && strcmp(split, "train") && strcmp(split, "valid") && strcmp(split, "test")) {
        lab_usage_die(&cmd, "--split is train, valid or test (got '%s')", split);
    }
    if (text_arg) {
        const unsigned char *s = (const unsigned char *)text_arg;
        size_t n = strlen(text_arg);
        for (size_t i = 0; i < n;) {
            uint32_t cp;
            int len = utf8_decode(s + i, n - i, &cp);
            if (len <= 0) {
                lab_usage_die(&cmd, "--text is not valid UTF-8 (at byte %zu)", i);
            }
            i += (size_t)len;
        }
    }
    NnRun run;
    if (nn_run_load(&run, kind, model_dir, EVAL_ROWS) != 0) {
        exit(1);
    }
    const char *dataset = lab_config_get(&run.cfg, "dataset");
    if (dataset && (!*dataset || !dataset_name_ok(dataset))) {
        dataset = NULL;
    }
    if (split && !dataset) {
        lab_die("use --data FILE", "'%s' was not trained on a dataset, so --split has nothing "
                "to name", model_dir);
    }
    char *path = split      ? dataset_path(dataset, split)
                 : text_arg ? lab_strdup("--text")
                            : lab_strdup(data);
    if (split && access(path, F_OK) != 0) {
        lab_die("give the text with --data FILE",
                "'%s/config' names dataset '%s', which has no %s split here", model_dir, dataset,
                split);
    }
    Corpus c;
    if (text_arg) {
        if (corpus_encode(&c, &run.vocab, &run.tok, (TokUnit)run.text.unit, text_arg,
                          strlen(text_arg)) != 0) {
            exit(1);
        }
        if (c.n == (run.text.unit == UNIT_LINE ? c.nseq : 0)) {
            lab_die(NULL, "--text has no tokens");
        }
    } else if (text_load_corpus(&c, &run.vocab, 0, &run.tok, &run.text, path) != 0) {
        exit(1);
    }
    // a recurrent model runs one sequence a lane: no more lanes than sequences
    if (kind->mode == NN_LM_RECURRENT && c.nseq < run.lm.B &&
        nn_lm_rebatch(&run.lm, c.nseq > 0 ? (int)c.nseq : 1) != 0) {
        exit(1);
    }
    LabLoss loss;
    double t0 = lab_now();
    nn_lm_score(&run.lm, &c, &loss);
    double t1 = lab_now();
    char *model_name = kind->mode == NN_LM_RECURRENT
                           ? lab_asprintf("%s (%s)", model_dir,
                                          nn_cell_name((NnCell)run.lm.hyper.cell))
                           : lab_strdup(model_dir);
    LabEvalReport rep = {
        .family = kind->family, .model = model_name, .data = path,
        .dataset = split ? dataset : NULL, .split = split,
        .loss = loss, .lines = c.nseq, .seconds = t1 - t0,
    };
    lab_eval_report(&rep, json);
    if (!json && !lab_quiet) {
        fflush(stdout);
        fprintf(stderr, "lmlab: scored %lld tokens in %.3fs (%.3gK tokens/s) with the weights "
                "of step %lld\n", loss.tokens, t1 - t0,
                (double)loss.tokens / fmax(t1 - t0, 1e-9) / 1e3, run.step);
    }
    corpus_free(&c);
    free(model_name);
    free(path);
    nn_run_free(&run);
    free(usage);
    free(epilog);
    free(model_help);
    return 0;
}
