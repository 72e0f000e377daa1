// run.c: the run harness every model family shares: the run directory and its `config`, the
// streamed `log.tsv`, and the evaluation report.
//
// A trainer: lab_run_open (refuses to mix runs), lab_run_write_config, lab_run_log_open, one
// lab_run_log per step or epoch, its own files (atomically), lab_run_close. An evaluator:
// lab_run_read_config, then lab_eval_report. What a model is and how it is saved is the
// family's; the layouts of the files are in docs/formats.md.
#include "lab.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

// --- the run directory ----------------------------------------------------------------------

static const char *FORCE_HINT = "--force replaces it; --out DIR writes the new run elsewhere";

int lab_run_open(LabRun *r, const char *dir, const char *family, const LabConfig *cfg,
                 int force)
{
    memset(r, 0, sizeof *r);
    // another family's run first: its keys differ anyway, and this says what is there
    char *path = lab_path_join(dir, "config");
    if (!force && access(path, F_OK) == 0) {
        LabConfig old = {0};
        if (lab_config_read(&old, path) == 0) {
            const char *was = lab_config_get(&old, "family");
            if (was && strcmp(was, family) != 0) {
                char q[64];
                lab_error_hint(FORCE_HINT, "'%s' holds a %s run, not a %s run", dir,
                               lab_quote(q, sizeof q, was, strlen(was)), family);
                lab_config_free(&old);
                free(path);
                return -1;
            }
        }
        lab_config_free(&old);
    }
    free(path);
    if (lab_config_check_run(dir, cfg, force) != 0) {
        return -1;
    }
    struct stat st;
    int existed = stat(dir, &st) == 0;
    if (lab_run_dir(dir) != 0) {
        return -1;
    }
    r->dir = lab_strdup(dir);
    r->family = family;
    r->created = !existed;
    return 0;
}

char *lab_run_stem(const char *path)
{
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char *stem = lab_strdup(*name ? name : "custom");
    char *dot = strrchr(stem, '.');
    if (dot && dot != stem) {
        *dot = '\0';
    }
    for (char *s = stem; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-')) {
            *s = '_';
        }
    }
    return stem;
}

int lab_run_write_config(const LabRun *r, const LabConfig *cfg)
{
    char *path = lab_path_join(r->dir, "config");
    int rc = lab_config_write(cfg, path);
    free(path);
    return rc;
}

// --- log.tsv ----------------------------------------------------------------------------------

int lab_run_log_open(LabRun *r, const char *extra_columns)
{
    r->log_path = lab_path_join(r->dir, "log.tsv");
    r->log = fopen(r->log_path, "w");
    if (!r->log) {
        return lab_error("cannot write '%s': %s", r->log_path, strerror(errno));
    }
    r->log_extra = 0;
    fputs(LAB_LOG_COLUMNS, r->log);
    if (extra_columns && *extra_columns) {
        r->log_extra = 1;
        for (const char *c = extra_columns; *c; c++) {
            r->log_extra += *c == '\t';
        }
        fprintf(r->log, "\t%s", extra_columns);
    }
    fputc('\n', r->log);
    if (fflush(r->log) != 0) {
        return lab_error("cannot write '%s': %s", r->log_path, strerror(errno));
    }
    return 0;
}

// one value: LAB_LOG_MISSING for NAN, "inf" for an infinite loss, else %.9g (or %.0f)
static void log_value(FILE *f, double v, const char *fmt)
{
    fputc('\t', f);
    if (isnan(v)) {
        fputs(LAB_LOG_MISSING, f);
    } else if (isinf(v)) {
        fputs(v > 0 ? "inf" : "-inf", f);
    } else {
        fprintf(f, fmt, v);
    }
}

int lab_run_log(LabRun *r, const LabLogRow *row, const double *extra)
{
    if (!r->log) {
        return -1; // lab_run_log_open failed and said why
    }
    fprintf(r->log, "%lld\t%lld", row->step, row->tokens);
    log_value(r->log, row->train_loss, "%.9g");
    log_value(r->log, row->valid_loss, "%.9g");
    log_value(r->log, isnan(row->valid_loss) ? NAN : lab_ppl(row->valid_loss), "%.9g");
    log_value(r->log, row->lr, "%.9g");
    log_value(r->log, row->tokens_per_s, "%.0f");
    for (int i = 0; i < r->log_extra; i++) {
        log_value(r->log, extra[i], "%.9g");
    }
    fputc('\n', r->log);
    // flushed row by row: a run killed later keeps every row written so far
    if (fflush(r->log) != 0 || ferror(r->log)) {
        return lab_error("cannot write '%s': %s", r->log_path, strerror(errno));
    }
    return 0;
}

int lab_run_close(LabRun *r)
{
    int rc = 0;
    if (r->log) {
        int bad = ferror(r->log);
        if (fclose(r->log) != 0 || bad) {
            rc = lab_error("cannot write '%s': %s", r->log_path, strerror(errno));
        }
    }
    free(r->log_path);
    free(r->dir);
    memset(r, 0, sizeof *r);
    return rc;
}

void lab_run_discard(LabRun *r)
{
    if (r->log) {
        fclose(r->log);
        r->log = NULL;
    }
    if (r->log_path) {
        unlink(r->log_path);
    }
    if (r->dir && r->created) {
        char *cfg = lab_path_join(r->dir, "config");
        unlink(cfg);
        free(cfg);
        rmdir(r->dir); // only when empty: nothing else is touched
    }
    lab_run_close(r);
}

int lab_run_read_config(LabConfig *c, const char *dir, const char *family, const char *what)
{
    memset(c, 0, sizeof *c);
    char *path = lab_path_join(dir, "config");
    char *hint = lab_asprintf("--model takes a run directory written by 'lmlab %s train'",
                              family);
    int rc = 0;
    if (lab_config_read(c, path) != 0) {
        rc = lab_error_hint(hint, "cannot load the model in '%s'", dir);
    } else {
        const char *was = lab_config_get(c, "family");
        if (!was || strcmp(was, family) != 0) {
            char q[64];
            rc = lab_error("'%s' is a %s run, not %s", dir,
                           was ? lab_quote(q, sizeof q, was, strlen(was)) : "unknown", what);
        }
    }
    if (rc != 0) {
        lab_config_free(c);
    }
    free(hint);
    free(path);
    return rc;
}

// --- the evaluation report --------------------------------------------------------------------

int lab_word_ppl_meaningful(long long words, long long lines)
{
    return words > lines;
}

void lab_eval_report(const LabEvalReport *r, int json)
{
    const LabLoss *l = &r->loss;
    double loss = lab_loss_mean(l);
    if (json) {
        LabJson j;
        lab_json_begin(&j, stdout);
        lab_json_str(&j, "family", r->family);
        lab_json_str(&j, "model", r->model);
        lab_json_str(&j, "data", r->data);
        lab_json_str(&j, "dataset", r->dataset);
        lab_json_str(&j, "split", r->split);
        lab_json_int(&j, "tokens", l->tokens);
        lab_json_num(&j, "loss", loss);
        lab_json_num(&j, "ppl", lab_ppl(loss));
        lab_json_num(&j, "bits_per_token", lab_bits(loss));
        lab_json_int(&j, "words", l->words);
        lab_json_num(&j, "word_ppl", lab_word_ppl(l));
        lab_json_int(&j, "oov", l->oov);
        lab_json_int(&j, "zero_prob", l->zero);
        lab_json_num(&j, "seconds", r->seconds);
        lab_json_num(&j, "tokens_per_s", (double)l->tokens / fmax(r->seconds, 1e-9));
        lab_json_end(&j);
        return;
    }
    printf("model      %s\n", r->model);
    printf("data       %s%s%s%s\n", r->data, r->split ? " (split " : "", r->split ? r->split : "",
           r->split ? ")" : "");
    printf("tokens     %lld scored, %lld outside the vocabulary (<unk>)\n", l->tokens, l->oov);
    if (l->zero) {
        printf("zero prob  %lld tokens have probability 0: the loss is infinite\n", l->zero);
        if (r->zero_hint) {
            printf("           (%s)\n", r->zero_hint);
        }
    }
    printf("loss       %.6f nats/token\n", loss);
    printf("ppl        %.6f\n", lab_ppl(loss));
    printf("bits       %.6f bits/token\n", lab_bits(loss));
    if (lab_word_ppl_meaningful(l->words, r->lines)) {
        printf("word ppl   %.6g (%lld whitespace-separated words)\n", lab_word_ppl(l), l->words);
    } else {
        printf("word ppl   n/a (words are whitespace-separated, and no line of this text has "
               "two)\n");
    }
}
