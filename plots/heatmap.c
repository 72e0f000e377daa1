// heatmap.c: a matrix drawn as coloured cells (document similarity, attention maps).
//
// The matrix is written as gnuplot's `matrix` data (one line per row) and drawn `with image`
// in the PNG, with row 0 at the top; in the dumb terminal each cell is one character of a
// ten-step ramp. Values may be printed in the cells (PlotHeatmapStyle.cell_format), in white
// on the dark half of the palette and in black on the light half. Left out: clustering or
// reordering rows.
#include "plots/plots.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// What both files need to know about one heatmap.
typedef struct {
    const char *name, *title;
    const double *values; // (rows, cols) row-major
    long rows, cols;
    char *const *row_labels, *const *col_labels; // (rows), (cols) or NULL
    double vmin, vmax;    // over the finite cells
    long nfinite;         // finite cells: 0 means nothing to draw
    PlotHeatmapStyle style;
} HeatJob;

static void write_heat_dat(FILE *f, const void *ctx)
{
    const HeatJob *h = ctx;
    fprintf(f, "# %s.dat: ", h->name);
    plot_comment_text(f, h->title);
    fprintf(f, "\n# A %ld x %ld matrix, one line per row, row 0 first. NaN is a missing value.\n",
            h->rows, h->cols);
    for (long r = 0; h->row_labels && r < h->rows; r++) {
        fprintf(f, "# row %ld: ", r);
        plot_comment_text(f, h->row_labels[r]);
        fputc('\n', f);
    }
    for (long c = 0; h->col_labels && c < h->cols; c++) {
        fprintf(f, "# col %ld: ", c);
        plot_comment_text(f, h->col_labels[c]);
        fputc('\n', f);
    }
    for (long r = 0; r < h->rows; r++) {
        for (long c = 0; c < h->cols; c++) {
            double v = h->values[r * h->cols + c];
            if (c > 0) {
                fputc(' ', f);
            }
            if (isfinite(v)) {
                fprintf(f, "%.17g", v);
            } else {
                fputs("NaN", f);
            }
        }
        fputc('\n', f);
    }
}

// `set Xtics (...)` naming n cells from labels, at most 40 of them (every step-th).
static void write_cell_tics(FILE *f, char axis, char *const *labels, long n)
{
    long step = (n + 39) / 40;
    long total = 0; // characters of the labels shown, plus one space each
    for (long i = 0; i < n; i += step) {
        long w = 1;
        for (const char *s = labels[i] ? labels[i] : ""; *s; s++) {
            w += ((unsigned char)*s & 0xc0) != 0x80;
        }
        total += w;
    }
    fprintf(f, "set %ctics (", axis);
    for (long i = 0; i < n; i += step) {
        fputs(i == 0 ? " \\\n    " : ", \\\n    ", f);
        plot_gp_string(f, labels[i]);
        fprintf(f, " %ld", i);
    }
    fputs(")", f);
    if (axis == 'x' && total > 60) {
        fputs(" rotate by 90 right", f);
    }
    fputc('\n', f);
}

// A step between numbered cells: 1, 2, 5, 10, 20, 50, ... giving at most 40 numbers on n.
static long tic_step(long n)
{
    for (long decade = 1;; decade *= 10) {
        for (int k = 0; k < 3; k++) {
            long step = decade * (long[]){1, 2, 5}[k];
            if (n / step <= 40) {
                return step;
            }
        }
    }
}

static void write_heat_gp(FILE *f, const void *ctx)
{
    const HeatJob *h = ctx;
    plot_gp_header(f, h->name, h->title);
    fputs("unset key\n"
          "unset grid\n"
          "set tics nomirror out\n"
          "# viridis-like: dark blue (low) to yellow (high), readable in greyscale\n"
          "set palette defined (0 '#440154', 1 '#3b528b', 2 '#21918c', 3 '#5ec962', "
          "4 '#fde725')\n", f);
    if (h->style.width > 0 && h->style.height > 0) {
        fprintf(f, "if (!exists(\"dumb\")) {\n"
                   "    set terminal pngcairo size %d,%d font 'DejaVu Sans,11'\n"
                   "    set output outfile\n"
                   "}\n",
                h->style.width, h->style.height);
    }
    if (h->style.xlabel) {
        fputs("set xlabel ", f);
        plot_gp_string(f, h->style.xlabel);
        fputc('\n', f);
    }
    if (h->style.ylabel) {
        fputs("set ylabel ", f);
        plot_gp_string(f, h->style.ylabel);
        fputc('\n', f);
    }
    fprintf(f, "set xrange [-0.5:%.1f]\n", h->cols - 0.5);
    fprintf(f, "set yrange [%.1f:-0.5]   # row 0 at the top, as a matrix is written\n",
            h->rows - 0.5);
    if (h->rows == h->cols) {
        fputs("if (!exists(\"dumb\")) set size square\n", f);
    }
    if (h->col_labels) {
        write_cell_tics(f, 'x', h->col_labels, h->cols);
    } else {
        fprintf(f, "set xtics 0,%ld\n", tic_step(h->cols));
    }
    if (h->row_labels) {
        write_cell_tics(f, 'y', h->row_labels, h->rows);
    } else {
        fprintf(f, "set ytics 0,%ld\n", tic_step(h->rows));
    }

    fputs("\ndatafile = here.", f);
    char *dat = lab_asprintf("%s.dat", h->name);
    plot_gp_string(f, dat);
    free(dat);
    fputc('\n', f);
    if (h->nfinite == 0) {
        fputs("# nothing to plot: the matrix has no finite value\n", f);
        return;
    }
    double span = h->vmax > h->vmin ? h->vmax - h->vmin : 1.0;
    fprintf(f, "vmin = %.17g\nvspan = %.17g\n", h->vmin, span);
    fprintf(f, "set cbrange [vmin:vmin + vspan]\n"
               "if (exists(\"dumb\")) {\n"
               "    # one character per cell, from ' ' (low) to '@' (high)\n"
               "    ramp = ' .:-=+*#%%@'\n"
               "    shade(v) = 1 + int(9.999 * (v - vmin) / vspan)\n"
               "    plot datafile matrix using 1:2:(ramp[shade($3):shade($3)]) with labels\n"
               "} else {\n");
    if (h->style.cell_format) {
        fputs("    # each cell's value: white on the dark half of the palette, black on the light\n"
              "    ink(v) = (v - vmin) / vspan < 0.6 ? 0xffffff : 0x000000\n"
              "    plot datafile matrix with image, \\\n"
              "         datafile matrix using 1:2:(sprintf(", f);
        plot_gp_string(f, h->style.cell_format);
        fputs(", $3)):(ink($3)) with labels font ',8' tc rgb variable\n", f);
    } else {
        fputs("    plot datafile matrix with image\n", f);
    }
    fputs("}\n", f);
}

int plot_heatmap_write(const char *dir, const char *name, const char *title,
                       const double *values, long rows, long cols,
                       char *const *row_labels, char *const *col_labels, PlotOutput out)
{
    return plot_heatmap_write_styled(dir, name, title, values, rows, cols, row_labels,
                                     col_labels, NULL, out);
}

int plot_heatmap_write_styled(const char *dir, const char *name, const char *title,
                              const double *values, long rows, long cols,
                              char *const *row_labels, char *const *col_labels,
                              const PlotHeatmapStyle *style, PlotOutput out)
{
    assert(rows >= 0 && cols >= 0 && (rows * cols == 0 || values));
    HeatJob h = {
        .name = name, .title = title ? title : "", .values = values,
        .rows = rows, .cols = cols, .row_labels = row_labels, .col_labels = col_labels,
        .vmin = INFINITY, .vmax = -INFINITY,
    };
    if (style) {
        h.style = *style;
    }
    for (long i = 0; i < rows * cols; i++) {
        if (isfinite(values[i])) {
            h.vmin = fmin(h.vmin, values[i]);
            h.vmax = fmax(h.vmax, values[i]);
            h.nfinite++;
        }
    }
    if (plot_write_files(dir, name, write_heat_dat, write_heat_gp, &h) != 0) {
        return -1;
    }
    return plot_render_drawable(dir, name, out, h.nfinite, "heatmap", "value");
}
