// attention.c: the attention maps of one transformer layer, every head in one picture.
//
// A map is a square heatmap: query positions down (row i: the token that attends), key
// positions across (column j: the token attended to), both axes labelled with the prompt's
// tokens, so a row reads as "token i looks at ...". The NH heads of a layer stand side by
// side (four a row) on one colour bar fixed at 0..1, so two heads, or two layers, compare by
// colour alone. The PNG is sized from the prompt: about 40 tokens stay readable. With the
// dumb terminal each head is drawn in turn, a cell a character. Left out: computing the
// weights (transformer/attention_map.c) and choosing the layer (the command).
#include "plots/plots.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define PER_ROW 4     // heads side by side before a new row of panels
#define MAX_LABELS 60 // tick labels on an axis; a longer prompt shows every step-th token

typedef struct {
    const char *name, *title;
    char *const *tokens; // (n)
    const float *w;      // (NH, n, n)
    int NH, n;
    long nfinite;
} AttJob;

static void write_att_dat(FILE *f, const void *ctx)
{
    const AttJob *a = ctx;
    fprintf(f, "# %s.dat: ", a->name);
    plot_comment_text(f, a->title);
    fprintf(f, "\n# %d attention maps of %d x %d, one block per head (two blank lines apart);\n"
               "# in a block, line i is query position i and column j key position j.\n",
            a->NH, a->n, a->n);
    for (int i = 0; i < a->n; i++) {
        fprintf(f, "# token %d: ", i);
        plot_comment_text(f, a->tokens[i]);
        fputc('\n', f);
    }
    for (int h = 0; h < a->NH; h++) {
        fprintf(f, "%s# head %d\n", h ? "\n\n" : "", h);
        const float *m = a->w + (size_t)h * a->n * a->n;
        for (int i = 0; i < a->n; i++) {
            for (int j = 0; j < a->n; j++) {
                double v = m[(size_t)i * a->n + j];
                fputs(j ? " " : "", f);
                if (isfinite(v)) {
                    fprintf(f, "%.9g", v);
                } else {
                    fputs("NaN", f);
                }
            }
            fputc('\n', f);
        }
    }
}

// The width of s in character cells, about: a UTF-8 character is one, a CJK one (a three-byte
// sequence from U+2E80 on) two.
static int label_width(const char *s)
{
    int w = 0;
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        if ((*c & 0xc0) != 0x80) {
            w += (*c >= 0xe2 && *c < 0xf0) ? 2 : 1;
        }
    }
    return w;
}

// `set Xtics (...)`: token i at position i, every step-th one
static void write_token_tics(FILE *f, char axis, char *const *tokens, int n, int rotate)
{
    int step = (n + MAX_LABELS - 1) / MAX_LABELS;
    fprintf(f, "set %ctics (", axis);
    for (int i = 0; i < n; i += step) {
        fputs(i == 0 ? " \\\n    " : ", \\\n    ", f);
        plot_gp_string(f, tokens[i]);
        fprintf(f, " %d", i);
    }
    fprintf(f, ")%s\n", rotate ? " rotate by 90 right" : "");
}

static void write_att_gp(FILE *f, const void *ctx)
{
    const AttJob *a = ctx;
    const int n = a->n, NH = a->NH;
    int lw = 1; // the widest token, in character cells (at most 12 count)
    for (int i = 0; i < n; i++) {
        int w = label_width(a->tokens[i]);
        lw = w > lw ? w : lw;
    }
    lw = lw < 12 ? lw : 12;

    // The picture in pixels: a panel is its square of cells, with room for the tick labels
    // and axis titles left and below, and its own title above. A label wider than its column
    // (about 8 pixels a character) is turned upright.
    const int cell = n <= 10 ? 44 : n <= 20 ? 26 : 17;
    const int side = n * cell < 180 ? 180 : n * cell;
    const int rotate = 8 * lw > cell;
    const int left = 34 + 9 * lw, bottom = 46 + (rotate ? 9 * lw : 18), top = 30, gap = 24;
    const int pw = left + side + gap, ph = top + side + bottom;
    const int cols = NH < PER_ROW ? NH : PER_ROW, rows = (NH + cols - 1) / cols;
    const int head = 44, bar = 110; // the figure's title; the colour bar on the right
    const int W = cols * pw + bar, H = head + rows * ph;

    plot_gp_header(f, a->name, a->title);
    fputs("unset key\n"
          "unset grid\n"
          "set tics nomirror out scale 0.5\n"
          "# viridis-like: dark blue (0) to yellow (1), readable in greyscale\n"
          "set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', "
          "4 '#fde725')\n"
          "set cbrange [0:1]   # weights are probabilities: every head on the same scale\n"
          "set cbtics 0.2\n", f);
    fprintf(f, "set xrange [-0.5:%.1f]\n", n - 0.5);
    fprintf(f, "set yrange [%.1f:-0.5]   # query 0 at the top\n", n - 0.5);
    write_token_tics(f, 'x', a->tokens, n, rotate);
    write_token_tics(f, 'y', a->tokens, n, 0);
    fputs("set xlabel 'key (attended to)'\n"
          "set ylabel 'query (attending)'\n", f);
    fputs("datafile = here.", f);
    char *dat = lab_asprintf("%s.dat", a->name);
    plot_gp_string(f, dat);
    free(dat);
    fputs("\n", f);
    if (a->nfinite == 0) {
        fputs("# nothing to plot: no weight is a finite number\n", f);
        return;
    }

    fprintf(f, "\nif (exists(\"dumb\")) {\n"
               "    # one head after another, a cell a character from ' ' (0) to '@' (1)\n"
               "    set terminal dumb size %d,%d nofeed\n"
               "    ramp = ' .:-=+*#%%@'\n"
               "    shade(v) = 1 + int(9.999 * (v < 0 ? 0 : v > 1 ? 1 : v))\n"
               "    do for [h = 0:%d] {\n"
               "        set title sprintf('head %%d', h)\n"
               "        plot datafile index h matrix using 1:2:(ramp[shade($3):shade($3)]) "
               "with labels\n"
               "    }\n"
               "} else {\n",
            n + 16 + lw < 100 ? 100 : n + 16 + lw, n + 10 < 30 ? 30 : n + 10, NH - 1);
    fprintf(f, "    set terminal pngcairo size %d,%d font 'DejaVu Sans,11'\n"
               "    set output outfile\n"
               "    unset title\n"
               "    set multiplot title ",
            W, H);
    plot_gp_string(f, a->title);
    fputs("\n", f);
    if (n <= 10) {
        fputs("    # each weight printed in its cell (on and below the diagonal): white on the\n"
              "    # dark half of the palette, black on the light half\n"
              "    ink(v) = v < 0.6 ? 0xffffff : 0x000000\n", f);
    }
    // panel h at column h % cols, row h / cols; its square of cells from the margins below
    for (int h = 0; h < NH; h++) {
        int c = h % cols, r = h / cols;
        double x0 = (double)(c * pw + left) / W, x1 = (double)(c * pw + left + side) / W;
        double y1 = 1.0 - (double)(head + r * ph + top) / H;
        double y0 = 1.0 - (double)(head + r * ph + top + side) / H;
        fprintf(f, "    # head %d\n"
                   "    set lmargin at screen %.5f\n"
                   "    set rmargin at screen %.5f\n"
                   "    set tmargin at screen %.5f\n"
                   "    set bmargin at screen %.5f\n"
                   "    set title 'head %d'\n",
                h, x0, x1, y1, y0, h);
        if (h == NH - 1) {
            double bx = (double)(cols * pw + 20) / W, bh = (double)side / H;
            double by = 1.0 - (double)(head + top + side) / H;
            fprintf(f, "    set colorbox user origin screen %.5f, screen %.5f "
                       "size screen %.5f, screen %.5f\n",
                    bx, by, 18.0 / W, bh);
        } else {
            fputs("    unset colorbox\n", f);
        }
        fprintf(f, "    plot datafile index %d matrix with image", h);
        if (n <= 10) {
            fprintf(f, ", \\\n         datafile index %d matrix using 1:2:($1 <= $2 ? "
                       "sprintf('%%.2f', $3) : ''):(ink($3)) with labels font ',9' "
                       "tc rgb variable", h);
        }
        fputs("\n", f);
    }
    fputs("    unset multiplot\n"
          "}\n", f);
}

int plot_attention_write(const char *dir, const char *name, const char *title,
                         char *const *tokens, const float *weights, int NH, int n,
                         PlotOutput out)
{
    assert(NH >= 1 && n >= 1 && tokens && weights);
    AttJob a = {
        .name = name, .title = title ? title : "", .tokens = tokens, .w = weights,
        .NH = NH, .n = n,
    };
    for (size_t i = 0; i < (size_t)NH * n * n; i++) {
        a.nfinite += isfinite(weights[i]) != 0;
    }
    if (plot_write_files(dir, name, write_att_dat, write_att_gp, &a) != 0) {
        return -1;
    }
    return plot_render_drawable(dir, name, out, a.nfinite, "attention map", "weight");
}
