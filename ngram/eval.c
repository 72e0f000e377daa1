// eval.c: `lmlab ngram eval`: the perplexity of a model on a text.
//
//   lmlab ngram eval --model runs/names-kn4 --split test
//   lmlab ngram eval --arpa other.arpa --tokenizer word --data test.txt --json
//
// Reports the loss in nats per token, perplexity, bits per token, word-level perplexity,
// the tokens scored and the tokens outside the vocabulary.
#include "ngram/cli_common.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// The model's options in a run's config, held to the ranges of 'ngram train': a damaged or
// edited config is a data error naming its line, not a usage error of the command reading it.
static int check_config(const LabConfig *cfg, const char *path)
{
    long order = 1, seed = 0;
    int smoothing = 0, pad = 0;
    double k = 1;
    const char *eps_s = NULL;
    const LabOpt opts[] = {
        NGRAM_MODEL_OPTS(order, smoothing, k, eps_s, pad),
        {"seed", LAB_OPT_INT, &seed, "S", "", 0, 0, 0},
        {0},
    };
    if (lab_config_apply(cfg, path, opts) != 0) {
        return -1;
    }
    const char *hint = "the file was edited or damaged: train the run again";
    if (!(k > 0)) {
        return lab_error_hint(hint, "'%s' line %d: k must be greater than 0, got %g", path,
                              lab_config_line(cfg, "k"), k);
    }
    double eps[NGRAM_MAX_ORDER];
    char err[256];
    if (eps_s && lab_list_parse("eps", eps_s, eps, NGRAM_MAX_ORDER, 0, err, sizeof err) < 0) {
        return lab_error_hint(hint, "'%s' line %d: %s", path, lab_config_line(cfg, "eps"), err);
    }
    // the dataset is a name under datasets/ (or empty): never a path that leads elsewhere
    const char *ds = lab_config_get(cfg, "dataset");
    if (ds && (strchr(ds, '/') || strcmp(ds, ".") == 0 || strcmp(ds, "..") == 0)) {
        char q[96];
        return lab_error_hint(hint, "'%s' line %d: dataset is a name such as 'names', got '%s'",
                              path, lab_config_line(cfg, "dataset"),
                              lab_quote(q, sizeof q, ds, strlen(ds)));
    }
    return 0;
}

int ngram_run_load(NgramRun *r, const char *dir)
{
    memset(r, 0, sizeof *r);
    r->dir = lab_strdup(dir);
    char *cfg_path = lab_path_join(dir, "config");
    char *arpa = lab_path_join(dir, "model.arpa");
    int rc = -1;
    if (lab_config_read(&r->cfg, cfg_path) != 0) {
        lab_error_hint("--model takes a run directory written by 'lmlab ngram train'",
                       "cannot load the model in '%s'", dir);
        goto done;
    }
    const char *family = lab_config_get(&r->cfg, "family");
    if (!family || strcmp(family, "ngram") != 0) {
        lab_error("'%s' is a %s run, not an n-gram model", dir, family ? family : "unknown");
        goto done;
    }
    if (text_opts_load(&r->text, &r->cfg, cfg_path) != 0 || check_config(&r->cfg, cfg_path)) {
        goto done;
    }
    if (text_tokenizer(&r->tok, &r->text) != 0) {
        goto done;
    }
    if (ngram_arpa_read(&r->model, arpa, (TokUnit)r->text.unit) != 0) {
        goto done;
    }
    rc = 0;
done:
    free(cfg_path);
    free(arpa);
    if (rc != 0) {
        ngram_run_free(r);
    }
    return rc;
}

void ngram_run_free(NgramRun *r)
{
    ngram_model_free(&r->model);
    tok_free(&r->tok);
    lab_config_free(&r->cfg);
    free(r->dir);
    memset(r, 0, sizeof *r);
}

void ngram_report(const LabLoss *l, const char *model, const char *data, const char *dataset,
                  const char *split, int json, double seconds)
{
    double loss = lab_loss_mean(l);
    if (json) {
        LabJson j;
        lab_json_begin(&j, stdout);
        lab_json_str(&j, "family", "ngram");
        lab_json_str(&j, "model", model);
        lab_json_str(&j, "data", data);
        lab_json_str(&j, "dataset", dataset);
        lab_json_str(&j, "split", split);
        lab_json_int(&j, "tokens", l->tokens);
        lab_json_num(&j, "loss", loss);
        lab_json_num(&j, "ppl", lab_ppl(loss));
        lab_json_num(&j, "bits_per_token", lab_bits(loss));
        lab_json_int(&j, "words", l->words);
        lab_json_num(&j, "word_ppl", lab_word_ppl(l));
        lab_json_int(&j, "oov", l->oov);
        lab_json_int(&j, "zero_prob", l->zero);
        lab_json_num(&j, "seconds", seconds);
        lab_json_num(&j, "tokens_per_s", (double)l->tokens / fmax(seconds, 1e-9));
        lab_json_end(&j);
        return;
    }
    printf("model      %s\n", model);
    printf("data       %s%s%s%s\n", data, split ? " (split " : "", split ? split : "",
           split ? ")" : "");
    printf("tokens     %lld scored, %lld outside the vocabulary (<unk>)\n", l->tokens, l->oov);
    if (l->zero) {
        printf("zero prob  %lld tokens have probability 0: the loss is infinite\n", l->zero);
        printf("           (an unsmoothed model cannot score what it never saw: try --smoothing "
               "laplace or kn)\n");
    }
    printf("loss       %.6f nats/token\n", loss);
    printf("ppl        %.6f\n", lab_ppl(loss));
    printf("bits       %.6f bits/token\n", lab_bits(loss));
    printf("word ppl   %.6g (%lld whitespace-separated words)\n", lab_word_ppl(l), l->words);
}

int ngram_cmd_eval(int argc, char **argv)
{
    const char *model_dir = NULL, *arpa = NULL, *data = NULL, *split = NULL;
    int json = 0;
    TextOpts text = TEXT_OPTS_DEFAULT;
    text.tokenizer = TOK_WORD;
    const LabOpt opts[] = {
        {"model", LAB_OPT_STRING, &model_dir, "DIR", "a run directory from 'lmlab ngram train'", 0,
         0, 0},
        {"data", LAB_OPT_STRING, &data, "FILE", "the text to score", 0, 0, 0},
        {"split", LAB_OPT_STRING, &split, "NAME",
         "a split of the model's dataset: train, valid or test",
         0, 0, 0},
        {"json", LAB_OPT_FLAG, &json, NULL, "print one JSON object", 0, 0, 0},
        {"arpa", LAB_OPT_STRING, &arpa, "FILE",
         "evaluate an ARPA file from any toolkit (with the text options below)", 0, 0, 0},
        TEXT_OPTS_TABLE(text),
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab ngram eval (--model DIR | --arpa FILE) (--data FILE | --split NAME) "
                 "[options]",
        .summary = "Score a text with an n-gram model: loss, perplexity, bits per token.",
        .opts = opts,
        .epilog = "examples:\n"
                  "  lmlab ngram eval --model runs/names-kn4 --split test\n"
                  "  lmlab ngram eval --arpa lm.arpa --tokenizer word --data test.txt --json\n"
                  "The text options apply to --arpa; a run directory keeps its own.\n",
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    if (!!model_dir == !!arpa) {
        lab_usage_die(&cmd, "give exactly one of --model DIR and --arpa FILE");
    }
    if (!!data == !!split) {
        lab_usage_die(&cmd, "give exactly one of --data FILE and --split NAME");
    }
    if (split && strcmp(split, "train") && strcmp(split, "valid") && strcmp(split, "test")) {
        lab_usage_die(&cmd, "--split is train, valid or test (got '%s')", split);
    }
    NgramRun run;
    const char *dataset = NULL;
    if (model_dir) {
        if (ngram_run_load(&run, model_dir) != 0) {
            exit(1);
        }
        dataset = lab_config_get(&run.cfg, "dataset");
        if (dataset && !*dataset) {
            dataset = NULL;
        }
        if (split && !dataset) {
            lab_error_hint("use --data FILE", "'%s' was not trained on a dataset, so --split has "
                           "nothing to name", model_dir);
            exit(1);
        }
    } else {
        if (split) {
            lab_usage_die(&cmd, "--split needs --model (an ARPA file has no dataset): use --data");
        }
        memset(&run, 0, sizeof run);
        run.text = text;
        if (text_tokenizer(&run.tok, &run.text) != 0) {
            exit(2);
        }
        if (ngram_arpa_read(&run.model, arpa, (TokUnit)text.unit) != 0) {
            exit(1);
        }
    }
    // --split reads the dataset the run's config names: a missing one is data, not usage
    char *path = split ? dataset_path(dataset, split) : lab_strdup(data);
    if (split && access(path, F_OK) != 0) {
        char q[96];
        lab_die("give the text with --data FILE",
                "'%s/config' names dataset '%s', which has no %s split here", model_dir,
                lab_quote(q, sizeof q, dataset, strlen(dataset)), split);
    }
    Corpus c;
    if (text_load_corpus(&c, &run.model.vocab, 0, &run.tok, &run.text, path) != 0) {
        exit(1);
    }
    LabLoss loss;
    double t0 = lab_now();
    ngram_eval(&run.model, &c, &loss);
    double t1 = lab_now();
    // the dataset is named only for one of its splits, not for an arbitrary --data file
    ngram_report(&loss, model_dir ? model_dir : arpa, path, split ? dataset : NULL, split, json,
                 t1 - t0);
    if (!json && !lab_quiet) {
        fflush(stdout);
        fprintf(stderr, "lmlab: scored %lld tokens in %.3fs (%.3gM tokens/s)\n",
                loss.tokens, t1 - t0, (double)loss.tokens / fmax(t1 - t0, 1e-9) / 1e6);
    }
    corpus_free(&c);
    free(path);
    ngram_run_free(&run);
    return 0;
}
