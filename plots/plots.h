// plots.h: charts as gnuplot data and scripts, rendered to PNG or to the terminal.
//
// A chart NAME in a directory DIR is three files:
//   DIR/NAME.dat   the numbers, one gnuplot data block per series (or one matrix)
//   DIR/NAME.gp    a self-contained gnuplot script that reads NAME.dat next to itself
//   DIR/NAME.png   what gnuplot draws from the two (900x600, the shared lmlab style)
// The .dat and .gp are always written, so a student can edit the script and re-render with
// `gnuplot DIR/NAME.gp`. gnuplot runs as an external program; when it is missing a chart is a
// note, never a failure. Left out: interactive windows, and any plotting done in C.
#ifndef PLOTS_H
#define PLOTS_H

#include <stdio.h>

#include "lab/lab.h"

// --- types --------------------------------------------------------------------------------
// What plot_write does after writing NAME.dat and NAME.gp (the --plot option).
typedef enum {
    PLOT_PNG,  // render NAME.png with gnuplot's pngcairo terminal
    PLOT_DUMB, // draw the chart on stdout with gnuplot's dumb (text) terminal, no PNG
    PLOT_NONE, // only the .dat and .gp
} PlotOutput;

#define PLOT_OUTPUT_CHOICES "png|dumb|none" // for LAB_OPT_CHOICE: index == PlotOutput

typedef enum { PLOT_LINES, PLOT_POINTS, PLOT_LINESPOINTS, PLOT_BARS } PlotStyle;

typedef struct {
    char *name;     // legend title of the series (owned)
    double *x, *y;  // (n) points (owned copies)
    long n;
} PlotSeries;

typedef struct {
    char *title, *xlabel, *ylabel; // owned; never NULL after plot_init
    int logx, logy;                // 1: log10 axis; points <= 0 on it are skipped
    PlotStyle style;               // PLOT_LINES after plot_init
    char **xtics;                  // (ntics) owned labels, or NULL: label i sits under point i
                                   // of the first series (or at x = i beyond its end)
    long ntics;
    double ymin, ymax;             // the y range; NAN (after plot_init) leaves it to gnuplot
    const char *key;               // legend position, e.g. "bottom left"; NULL: top right
    PlotSeries *series;            // (nseries) owned
    int nseries;
} Plot;

// --- building a chart ---------------------------------------------------------------------

// Starts an empty line chart with copies of the three texts (NULL is taken as "").
// Any UTF-8 is fine: quotes, backslashes, '_' and '^' are drawn as they are.
void plot_init(Plot *p, const char *title, const char *xlabel, const char *ylabel);

// Appends a series of n points, copying name, x and y. x may be NULL: the points are then at
// x = 0, 1, ..., n - 1 (bar charts). n may be 0 (the series is kept but not drawn).
// Non-finite values are allowed and written as NaN, which gnuplot skips.
void plot_add_series(Plot *p, const char *name, const double *x, const double *y, long n);

// Sets the x-axis labels (copies labels[0..n)), replacing earlier ones; n == 0 removes them.
// Meant for bar charts, where label i names bar i; see Plot.xtics for where they go.
void plot_set_xtics(Plot *p, char *const *labels, long n);

// Frees everything p owns and zeroes it. Safe on a zeroed struct and when called twice.
void plot_free(Plot *p);

// --- writing and rendering ----------------------------------------------------------------

// Writes DIR/NAME.dat and DIR/NAME.gp atomically (DIR is created if needed) and then, by out:
// PLOT_PNG renders DIR/NAME.png through a temporary name, so no half-written PNG is ever left;
// PLOT_DUMB draws the chart on stdout; PLOT_NONE stops after the two files.
// The .dat has one block per series, "# series: <name>" first, blocks separated by two blank
// lines, numbers as %.17g and NaN for non-finite values; an empty series is a comment only.
// NAME is a plain file name (no '/'). When gnuplot is not on PATH, or no series has a point
// that can be drawn, rendering is skipped with a note (the gnuplot one once per process) and
// 0 is returned: a chart never makes a training run fail.
// Fails (-1 with a message naming the file) when DIR or a file in it cannot be written, or
// when gnuplot exits with an error (the message names NAME.gp; gnuplot's own output is shown).
int plot_write(const Plot *p, const char *dir, const char *name, PlotOutput out);

// A heatmap of a (rows, cols) matrix given row-major: row 0 at the top, column 0 at the left
// (the layout of an attention map or a similarity matrix). row_labels (rows) and col_labels
// (cols) may be NULL: the axes are then numbered from 0. Non-finite cells are written as NaN
// and left blank. Files, outputs and failures are those of plot_write; the dumb terminal
// draws the cells as characters from ' ' (low) to '@' (high).
int plot_heatmap_write(const char *dir, const char *name, const char *title,
                       const double *values, long rows, long cols,
                       char *const *row_labels, char *const *col_labels, PlotOutput out);

// What a heatmap may add to the bare matrix.
typedef struct {
    const char *xlabel, *ylabel; // axis titles, or NULL for none
    const char *cell_format;     // a gnuplot sprintf format of one number ("%.0f"): each cell's
                                 // value printed in it (PNG only; for small matrices), or NULL
    int width, height;           // PNG size in pixels; 0: the shared 900x600
} PlotHeatmapStyle;

// plot_heatmap_write with axis titles, values printed in the cells and a PNG size (style
// may be NULL: then it is plot_heatmap_write).
int plot_heatmap_write_styled(const char *dir, const char *name, const char *title,
                              const double *values, long rows, long cols,
                              char *const *row_labels, char *const *col_labels,
                              const PlotHeatmapStyle *style, PlotOutput out);

// The attention maps of one transformer layer as one picture DIR/NAME.png (plots/attention.c):
// weights (NH, n, n) row-major, weights[h][i][j] the weight query position i of head h gives
// key position j; tokens (n) label both axes (query down, key across), quoted for gnuplot
// here, so any bytes are safe. The heads stand side by side, four a row, on one colour bar
// fixed at 0..1; with n <= 10 each weight on and below the diagonal is printed in its cell.
// NAME.dat holds one n x n block per head. The dumb terminal draws the heads one after
// another. Files, outputs and failures are those of plot_write.
int plot_attention_write(const char *dir, const char *name, const char *title,
                         char *const *tokens, const float *weights, int NH, int n,
                         PlotOutput out);

// --- pieces shared by plots/*.c -----------------------------------------------------------

// 0 when path is a complete PNG: the signature, then well-formed chunks (length within the
// file, CRC-32 correct, IHDR first) up to IEND. Else -1 with a message naming the file and the
// problem. plot_write checks every image gnuplot draws before renaming it into place.
int plot_png_check(const char *path);

// 1 when an executable gnuplot is on PATH (what plot_write needs to render), else 0.
int plot_gnuplot_available(void);

// Writes s as a gnuplot string expression that reads back as s: single-quoted, a quote
// doubled; a string with a quote first or two quotes in a row (which gnuplot 5.4 misreads) as
// a concatenation 'a'."'"."'".'b'. A control character (a newline would end the command)
// becomes a space. NULL is written as ''. Nothing in it is interpreted (no backquote command).
void plot_gp_string(FILE *f, const char *s);

// Writes s for a '#' comment line: control characters become spaces. NULL writes nothing.
void plot_comment_text(FILE *f, const char *s);

// Writes the opening of NAME.gp: a comment on how to re-render, the paths relative to the
// script, the shared terminal and style (font, grid, key, colour cycle) and the title.
void plot_gp_header(FILE *f, const char *name, const char *title);

// Writes DIR/NAME.dat and DIR/NAME.gp atomically: write_dat and write_gp fill the two files
// (ctx is theirs). Both are committed only when both were written. -1 with a message naming
// the file that could not be written (or DIR, when it cannot be created).
int plot_write_files(const char *dir, const char *name,
                     void (*write_dat)(FILE *f, const void *ctx),
                     void (*write_gp)(FILE *f, const void *ctx), const void *ctx);

// Runs gnuplot on DIR/NAME.gp for out (PLOT_PNG or PLOT_DUMB; PLOT_NONE does nothing).
// A missing gnuplot is the once-per-process note and 0. -1 with a message naming NAME.gp
// when gnuplot fails or leaves no PNG; no NAME.png or temporary file is left then.
int plot_render(const char *dir, const char *name, PlotOutput out);

// plot_render when the chart has something to draw; otherwise (drawable == 0, out not
// PLOT_NONE) a note that only NAME.dat and NAME.gp were written: "<what> 'NAME' has no
// <unit> to draw" (what: "chart", "heatmap"; unit: "point", "value").
int plot_render_drawable(const char *dir, const char *name, PlotOutput out, long drawable,
                         const char *what, const char *unit);

#endif
