// attention_cli.c: `lmlab gpt attention`, where each head of a trained GPT looks in a prompt.
//
//   lmlab gpt attention --model runs/names-gpt --prompt 'emma'
//   lmlab gpt attention --model runs/names-gpt --prompt 'emma' --layer 1 --head 0 --plot dumb
//
// The prompt is read as the model was trained, after one <s> (gpt_attention_map runs it
// through the model), and every layer is drawn as one picture of its heads
// (plot_attention_write) into DIR/attention/ unless --out says elsewhere. A table on stdout
// gives, per head, the mean weight a query puts on itself, on the token before it and on
// <s>: the heads that read the previous character stand out in it. Left out: the weights
// (attention_map.c) and the drawing (plots/attention.c).
#include "transformer/gpt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datasets/datasets.h"
#include "plots/plots.h"
#include "transformer/gpt_lm.h"

// "<s>", or the token escaped ("\s" for a space): a new string, safe as a label
static char *token_label(const Vocab *v, int32_t id)
{
    return id < TOK_FIRST ? lab_strdup(v->str[id]) : tok_escape(v->str[id], v->len[id]);
}

// The prompt for a title: control bytes as spaces, at most 40 bytes cut at a character
// boundary, "..." when cut. A new string.
static char *title_text(const char *s)
{
    size_t n = strlen(s), cut = n;
    if (n > 40) {
        cut = 40;
        while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80) {
            cut--;
        }
    }
    char *t = lab_asprintf("%.*s%s", (int)cut, s, cut < n ? "..." : "");
    for (char *c = t; *c; c++) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *c = ' ';
        }
    }
    return t;
}

// Tells where the chart NAME of dir went: the PNG when one was drawn, else the script.
static void print_written(const char *dir, const char *name, PlotOutput out)
{
    char *png = lab_asprintf("%s/%s.png", dir, name);
    if (out == PLOT_PNG && access(png, F_OK) == 0) {
        printf("wrote %s\n", png);
    } else if (out != PLOT_DUMB) {
        printf("wrote %s/%s.dat and %s.gp\n", dir, name, name);
    }
    free(png);
}

int gpt_cmd_attention(int argc, char **argv)
{
    const char *model_dir = NULL, *prompt = NULL, *out_dir = NULL;
    long layer = -1, head = -1;
    int plot = PLOT_PNG;
    const LabOpt opts[] = {
        {"model", LAB_OPT_STRING, &model_dir, "DIR", "a run directory from 'lmlab gpt train'", 0,
         0, 0},
        {"prompt", LAB_OPT_STRING, &prompt, "TEXT",
         "the text to look at (read after <s>, as the model was trained)", 0, 0, 0},
        {"out", LAB_OPT_STRING, &out_dir, "DIR", "write the maps here (default: DIR/attention)", 0,
         0, 0},
        {"layer", LAB_OPT_INT, &layer, "L", "only layer L, from 0 (-1: every layer)", 0, -1, 1e6},
        {"head", LAB_OPT_INT, &head, "H", "only head H of each layer, from 0 (-1: every head)", 0,
         -1, 1e6},
        {"plot", LAB_OPT_CHOICE, &plot, NULL,
         "png: draw PNGs; dumb: draw on the terminal; none: only .dat and .gp",
         PLOT_OUTPUT_CHOICES, 0, 0},
        {0},
    };
    const LabCommand cmd = {
        .usage = "lmlab gpt attention --model DIR --prompt TEXT [options]",
        .summary = "Draw the attention weights of every layer and head of a trained GPT on a "
                   "prompt.",
        .opts = opts,
        .epilog = "Each picture shows one layer: a map per head, the query tokens down, the keys\n"
                  "they attend to across, weights from 0 (dark) to 1 (yellow).\n"
                  "examples:\n"
                  "  lmlab gpt attention --model runs/names-gpt --prompt 'emma'\n"
                  "  lmlab gpt attention --model runs/names-gpt --prompt 'emma' --layer 0 "
                  "--plot dumb\n",
    };
    lab_args_parse(&cmd, argc, argv, NULL, NULL);
    if (!model_dir) {
        lab_usage_die(&cmd, "--model DIR is required");
    }
    if (!prompt) {
        lab_usage_die(&cmd, "--prompt TEXT is required");
    }

    NnRun run;
    if (nn_run_load(&run, &nn_lm_gpt, model_dir, 1) != 0) {
        exit(1);
    }
    Gpt *m = (Gpt *)run.lm.model;
    const GptConfig *c = &m->cfg;
    if (layer >= c->L) {
        lab_usage_die(&cmd, "--layer %ld: '%s' has %d layer%s, 0 to %d", layer, model_dir, c->L,
                      c->L == 1 ? "" : "s", c->L - 1);
    }
    if (head >= c->NH) {
        lab_usage_die(&cmd, "--head %ld: '%s' has %d head%s a layer, 0 to %d", head, model_dir,
                      c->NH, c->NH == 1 ? "" : "s", c->NH - 1);
    }
    int32_t *pids = NULL;
    long np = 0;
    if (vocab_encode_prompt(&run.vocab, &run.tok, prompt, &pids, &np) != 0) {
        exit(1);
    }
    if (np == 0) {
        lab_usage_die(&cmd, "--prompt '%s' has no token to look at", prompt);
    }
    if (np + 1 > m->T) {
        lab_usage_die(&cmd, "--prompt has %ld tokens; with the <s> before them the model of "
                      "'%s' reads at most %d (its context), so at most %d", np, model_dir, m->T,
                      m->T - 1);
    }
    const int n = (int)np + 1;
    int32_t *ids = lab_malloc((size_t)n * sizeof *ids);
    ids[0] = TOK_BOS;
    memcpy(ids + 1, pids, (size_t)np * sizeof *ids);
    free(pids);

    const size_t nn = (size_t)n * n;
    float *att = lab_malloc((size_t)c->L * c->NH * nn * sizeof *att);
    if (gpt_attention_map(att, m, ids, n) != 0) {
        exit(1);
    }
    char **labels = lab_malloc((size_t)n * sizeof *labels);
    for (int i = 0; i < n; i++) {
        labels[i] = token_label(&run.vocab, ids[i]);
    }

    // the table: where each head looks, on average over the prompt's queries
    printf("mean weight of the %d queries after <s> on: themselves, the token before, <s>\n",
           n - 1);
    printf("layer  head   self  previous    <s>\n");
    for (int l = 0; l < c->L; l++) {
        for (int h = 0; h < c->NH; h++) {
            if ((layer >= 0 && l != layer) || (head >= 0 && h != head)) {
                continue;
            }
            double self, prev, first;
            gpt_attention_focus(att + ((size_t)l * c->NH + h) * nn, n, &self, &prev, &first);
            printf("%5d  %4d  %5.3f  %8.3f  %5.3f\n", l, h, self, prev, first);
        }
    }
    fflush(stdout);

    char *dir = out_dir ? lab_strdup(out_dir) : lab_path_join(model_dir, "attention");
    char *shown = title_text(prompt);
    int rc = 0;
    for (int l = 0; l < c->L && rc == 0; l++) {
        if (layer >= 0 && l != layer) {
            continue;
        }
        const float *w = att + (size_t)l * c->NH * nn;
        int nh = c->NH;
        char *name, *title;
        if (head >= 0) {
            w += (size_t)head * nn;
            nh = 1;
            name = lab_asprintf("layer%d-head%ld", l, head);
            title = lab_asprintf("%s, layer %d of %d, head %ld: attention on '%s'", model_dir, l,
                                 c->L, head, shown);
        } else {
            name = lab_asprintf("layer%d", l);
            title = lab_asprintf("%s, layer %d of %d: attention on '%s'", model_dir, l, c->L,
                                 shown);
        }
        rc = plot_attention_write(dir, name, title, labels, w, nh, n, (PlotOutput)plot);
        if (rc == 0) {
            print_written(dir, name, (PlotOutput)plot);
        }
        free(name);
        free(title);
    }

    for (int i = 0; i < n; i++) {
        free(labels[i]);
    }
    free(labels);
    free(shown);
    free(dir);
    free(att);
    free(ids);
    nn_run_free(&run);
    return rc == 0 ? 0 : 1;
}
