// run.c: an n-gram run directory: its default name, the model's options, loading a run
// back (config, tokenizer, model) for eval and generate.
//
// Writing a run is the trainer's (train.c) through the lab's run harness (lab/run.c).
#include "ngram/cli_common.h"

#include <stdlib.h>
#include <string.h>

void ngram_parse_eps(const LabCommand *cmd, const char *s, double eps[NGRAM_MAX_ORDER + 1])
{
    int n = lab_list_numbers(cmd, "eps", s, eps + 1, NGRAM_MAX_ORDER, 0);
    for (int k = n + 1; k <= NGRAM_MAX_ORDER; k++) {
        eps[k] = eps[n];
    }
}

char *ngram_run_name(const char *dataset, const char *train_path, const TextOpts *text,
                     const char *smoothing, long order, const double *k, const char *eps)
{
    char *base = dataset ? lab_strdup(dataset) : lab_run_stem(train_path);
    char extra[96] = "";
    if (k) {
        snprintf(extra, sizeof extra, "-k%g", *k);
    } else if (eps && strcmp(eps, "1") != 0) {
        snprintf(extra, sizeof extra, "-eps%.80s", eps);
    }
    char tok[32];
    char *name = lab_asprintf("runs/%s%s-%s%ld%s", base,
                              text_run_suffix(text, tok, sizeof tok), smoothing, order, extra);
    free(base);
    return name;
}

// --- loading a run ---------------------------------------------------------------------------

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
    if (ds && *ds && !dataset_name_ok(ds)) {
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
    int rc = -1;
    if (lab_run_read_config(&r->cfg, dir, "ngram", "an n-gram model") != 0) {
        goto done;
    }
    if (text_opts_load(&r->text, &r->cfg, cfg_path) != 0 || check_config(&r->cfg, cfg_path)) {
        goto done;
    }
    if (text_tokenizer(&r->tok, &r->text) != 0) {
        goto done;
    }
    if (ngram_model_load_dir(&r->model, dir, (TokUnit)r->text.unit) != 0) {
        goto done;
    }
    rc = 0;
done:
    free(cfg_path);
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

