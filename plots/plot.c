// plot.c: line, point and bar charts of (x, y) series, written as NAME.dat + NAME.gp.
//
// One Plot is one chart: a title, two axis labels, optional log axes, and series that each
// become one gnuplot data block and one element of the plot command. Bars of several series
// stand side by side around each x. Left out: error bars, second y axes, and the style and
// rendering shared with heatmaps (gnuplot.c).
#include "plots/plots.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

// --- building a chart ---------------------------------------------------------------------

void plot_init(Plot *p, const char *title, const char *xlabel, const char *ylabel)
{
    memset(p, 0, sizeof *p);
    p->title = lab_strdup(title ? title : "");
    p->xlabel = lab_strdup(xlabel ? xlabel : "");
    p->ylabel = lab_strdup(ylabel ? ylabel : "");
    p->style = PLOT_LINES;
    p->ymin = p->ymax = NAN;
}

void plot_add_series(Plot *p, const char *name, const double *x, const double *y, long n)
{
    assert(n >= 0 && (n == 0 || y));
    p->series = lab_realloc(p->series, (size_t)(p->nseries + 1) * sizeof *p->series);
    PlotSeries *s = &p->series[p->nseries++];
    s->name = lab_strdup(name ? name : "");
    s->n = n;
    s->x = lab_malloc((size_t)n * sizeof *s->x);
    s->y = lab_malloc((size_t)n * sizeof *s->y);
    for (long i = 0; i < n; i++) {
        s->x[i] = x ? x[i] : (double)i;
        s->y[i] = y[i];
    }
}

void plot_set_xtics(Plot *p, char *const *labels, long n)
{
    assert(n >= 0 && (n == 0 || labels));
    for (long i = 0; i < p->ntics; i++) {
        free(p->xtics[i]);
    }
    free(p->xtics);
    p->xtics = NULL;
    p->ntics = 0;
    if (n == 0) {
        return;
    }
    p->xtics = lab_malloc((size_t)n * sizeof *p->xtics);
    for (long i = 0; i < n; i++) {
        p->xtics[i] = lab_strdup(labels[i] ? labels[i] : "");
    }
    p->ntics = n;
}

void plot_free(Plot *p)
{
    for (int s = 0; s < p->nseries; s++) {
        free(p->series[s].name);
        free(p->series[s].x);
        free(p->series[s].y);
    }
    free(p->series);
    for (long i = 0; i < p->ntics; i++) {
        free(p->xtics[i]);
    }
    free(p->xtics);
    free(p->title);
    free(p->xlabel);
    free(p->ylabel);
    memset(p, 0, sizeof *p);
}

// --- what can be drawn --------------------------------------------------------------------

// 1 when point i of s can be drawn: finite, and positive on a log axis.
static int point_drawable(const Plot *p, const PlotSeries *s, long i)
{
    double x = s->x[i], y = s->y[i];
    if (!isfinite(x) || !isfinite(y)) {
        return 0;
    }
    return (!p->logx || x > 0) && (!p->logy || y > 0);
}

static int series_drawable(const Plot *p, const PlotSeries *s)
{
    for (long i = 0; i < s->n; i++) {
        if (point_drawable(p, s, i)) {
            return 1;
        }
    }
    return 0;
}

// What both files need to know about one chart.
typedef struct {
    const Plot *p;
    const char *name;
    int ndrawn; // series with a drawable point
} PlotJob;

// --- NAME.dat -----------------------------------------------------------------------------

static void write_number(FILE *f, double v)
{
    if (isfinite(v)) {
        fprintf(f, "%.17g", v); // 17 significant digits read back to the same double
    } else {
        fputs("NaN", f);
    }
}

static void write_plot_dat(FILE *f, const void *ctx)
{
    const PlotJob *job = ctx;
    const Plot *p = job->p;
    fprintf(f, "# %s.dat: ", job->name);
    plot_comment_text(f, p->title);
    fputs("\n# x: ", f);
    plot_comment_text(f, p->xlabel);
    fputs("\n# y: ", f);
    plot_comment_text(f, p->ylabel);
    fputs("\n# One block of 'x y' lines per series; two blank lines end a block. NaN is a\n"
          "# missing value. gnuplot's 'index' counts only blocks with points in them.\n\n", f);
    for (int s = 0; s < p->nseries; s++) {
        const PlotSeries *ser = &p->series[s];
        if (s > 0) {
            fputs("\n\n", f);
        }
        fputs("# series: ", f);
        plot_comment_text(f, ser->name);
        fputc('\n', f);
        if (ser->n == 0) {
            fputs("# (no points)\n", f);
        }
        for (long i = 0; i < ser->n; i++) {
            write_number(f, ser->x[i]);
            fputc(' ', f);
            write_number(f, ser->y[i]);
            fputc('\n', f);
        }
    }
}

// --- NAME.gp ------------------------------------------------------------------------------

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

// The smallest gap between distinct x values of the series (1 when there is none): the room
// one cluster of bars has. *xmin and *xmax are the outermost x values.
static double bar_gap(const Plot *p, double *xmin, double *xmax)
{
    long total = 0;
    for (int s = 0; s < p->nseries; s++) {
        total += p->series[s].n;
    }
    double *xs = lab_malloc((size_t)total * sizeof *xs);
    long n = 0;
    for (int s = 0; s < p->nseries; s++) {
        const PlotSeries *ser = &p->series[s];
        for (long i = 0; i < ser->n; i++) {
            double x = ser->x[i];
            if (isfinite(x) && (!p->logx || x > 0)) { // a missing bar keeps its place
                xs[n++] = x;
            }
        }
    }
    qsort(xs, (size_t)n, sizeof *xs, compare_doubles);
    double gap = INFINITY;
    for (long i = 1; i < n; i++) {
        if (xs[i] > xs[i - 1] && xs[i] - xs[i - 1] < gap) {
            gap = xs[i] - xs[i - 1];
        }
    }
    *xmin = n > 0 ? xs[0] : 0;
    *xmax = n > 0 ? xs[n - 1] : 0;
    free(xs);
    return isfinite(gap) ? gap : 1.0;
}

// Number of UTF-8 code points in s (for guessing how wide a label is drawn).
static long utf8_chars(const char *s)
{
    long n = 0;
    for (; *s; s++) {
        n += ((unsigned char)*s & 0xc0) != 0x80;
    }
    return n;
}

static void write_xtics(FILE *f, const Plot *p)
{
    long widest = 0;
    for (long i = 0; i < p->ntics; i++) {
        long w = utf8_chars(p->xtics[i]);
        widest = w > widest ? w : widest;
    }
    long step = (p->ntics + 39) / 40; // at most 40 labels stay readable at 900 pixels
    if (p->ntics * (widest + 2) / step > 90) {
        fputs("set xtics rotate by 90 right\n", f);
    }
    fputs("set xtics (", f);
    int first = 1;
    for (long i = 0; i < p->ntics; i += step) {
        const PlotSeries *s0 = p->nseries > 0 ? &p->series[0] : NULL;
        double x = s0 && i < s0->n ? s0->x[i] : (double)i;
        if (!isfinite(x) || (p->logx && x <= 0)) {
            continue;
        }
        fputs(first ? " \\\n    " : ", \\\n    ", f);
        plot_gp_string(f, p->xtics[i]);
        fprintf(f, " %.17g", x);
        first = 0;
    }
    fputs(")\n", f);
}

static const char *style_name(PlotStyle style)
{
    switch (style) {
    case PLOT_POINTS:
        return "points";
    case PLOT_LINESPOINTS:
        return "linespoints";
    case PLOT_BARS:
        return "boxes";
    case PLOT_LINES:
    default:
        return "lines";
    }
}

// Tics of a log y axis from lo to hi (less than two decades): 1, 1.5, 2, 3, .. 9 times the
// powers of ten, or only 1, 2, 5 when that would be more than ten tics.
static void write_log_ytics(FILE *f, double lo, double hi)
{
    static const double all[] = {1, 1.5, 2, 3, 4, 5, 6, 7, 8, 9};
    static const double few[] = {1, 2, 5};
    for (int pass = 0; pass < 2; pass++) {
        const double *m = pass ? few : all;
        int nm = pass ? 3 : 10, n = 0;
        for (double d = pow(10, floor(log10(lo))); d <= hi; d *= 10) {
            for (int i = 0; i < nm; i++) {
                n += m[i] * d >= lo && m[i] * d <= hi;
            }
        }
        if (n > 10 && pass == 0) {
            continue;
        }
        fputs("set ytics (", f);
        int k = 0;
        for (double d = pow(10, floor(log10(lo))); d <= hi; d *= 10) {
            for (int i = 0; i < nm; i++) {
                if (m[i] * d >= lo && m[i] * d <= hi) {
                    fprintf(f, "%s%.6g", k++ ? ", " : "", m[i] * d);
                }
            }
        }
        fputs(")\n", f);
        return;
    }
}

static void write_plot_gp(FILE *f, const void *ctx)
{
    const PlotJob *job = ctx;
    const Plot *p = job->p;
    plot_gp_header(f, job->name, p->title);
    fputs("set xlabel ", f);
    plot_gp_string(f, p->xlabel);
    fputs("\nset ylabel ", f);
    plot_gp_string(f, p->ylabel);
    fputc('\n', f);
    if (p->logx) {
        fputs("set logscale x 10\nset format x '%g'\n", f);
    }
    if (p->logy) {
        fputs("set logscale y 10\nset format y '%g'\n", f);
    }
    if (p->logx || p->logy) {
        fputs("pos(v) = v > 0 ? v : NaN   # a log axis has no place for values <= 0\n", f);
    }
    if (!isnan(p->ymin) || !isnan(p->ymax)) {
        fputs("set yrange [", f);
        if (!isnan(p->ymin)) {
            fprintf(f, "%.17g", p->ymin);
        }
        fputs(":", f);
        if (!isnan(p->ymax)) {
            fprintf(f, "%.17g", p->ymax);
        }
        fputs("]\n", f);
    }
    if (p->logy && p->style != PLOT_BARS && isnan(p->ymin) && isnan(p->ymax)) {
        // gnuplot widens a log axis to whole decades: curves between 7 and 17 would sit in
        // the middle tenth of an axis from 1 to 100. Data within two decades get a range
        // just around them instead.
        double lo = INFINITY, hi = -INFINITY;
        for (int s = 0; s < p->nseries; s++) {
            const PlotSeries *ser = &p->series[s];
            for (long i = 0; i < ser->n; i++) {
                if (point_drawable(p, ser, i)) {
                    lo = fmin(lo, ser->y[i]);
                    hi = fmax(hi, ser->y[i]);
                }
            }
        }
        if (lo > 0 && hi < INFINITY && hi / lo < 100) {
            lo /= 1.15;
            hi *= 1.15;
            fprintf(f, "set yrange [%.17g:%.17g]\n", lo, hi);
            write_log_ytics(f, lo, hi); // a narrow log axis may hold no power of ten
        }
    }
    if (p->key) {
        fprintf(f, "set key %s\n", p->key);
    }

    double width = 0;
    if (p->style == PLOT_BARS && job->ndrawn > 0) {
        double xmin, xmax;
        double gap = bar_gap(p, &xmin, &xmax);
        width = 0.8 * gap / job->ndrawn;
        fprintf(f, "set style fill solid 0.9 noborder\n"
                   "set boxwidth %.17g absolute\n", width);
        if (!p->logx) {
            fprintf(f, "set xrange [%.17g:%.17g]\n", xmin - 0.6 * gap, xmax + 0.6 * gap);
        }
        int nonneg = 1;
        double ymin = INFINITY; // the lowest drawable bar
        for (int s = 0; s < p->nseries; s++) {
            const PlotSeries *ser = &p->series[s];
            for (long i = 0; i < ser->n; i++) {
                nonneg &= !(ser->y[i] < 0);
                if (point_drawable(p, ser, i)) {
                    ymin = fmin(ymin, ser->y[i]);
                }
            }
        }
        // Bars stand on 0, or on a log axis on the decade below the lowest bar, which would
        // be invisible if the axis began at its top. The room above the tallest bar keeps it
        // clear of the key.
        if (p->logy) {
            double base = pow(10, floor(log10(ymin)));
            fprintf(f, "set yrange [%.17g:*]\n", base < ymin ? base : base / 10);
        } else if (nonneg) {
            fputs("set yrange [0:*]\n", f);
        }
        fputs("set offsets 0, 0, graph 0.15, 0\n", f);
    }
    if (p->ntics > 0) {
        write_xtics(f, p);
    }

    fputs("\ndatafile = here.", f);
    char *dat = lab_asprintf("%s.dat", job->name);
    plot_gp_string(f, dat);
    free(dat);
    fputc('\n', f);
    for (int s = 0; s < p->nseries; s++) {
        if (!series_drawable(p, &p->series[s])) {
            fputs("# not drawn, no point to draw: series ", f);
            plot_gp_string(f, p->series[s].name);
            fputc('\n', f);
        }
    }
    if (job->ndrawn == 0) {
        fputs("# nothing to plot: no series has a point to draw\n", f);
        return;
    }
    fputs("plot", f);
    int index = 0, k = 0;
    for (int s = 0; s < p->nseries; s++) {
        const PlotSeries *ser = &p->series[s];
        int drawn = series_drawable(p, ser);
        if (drawn) {
            fprintf(f, "%s datafile index %d using ", k == 0 ? "" : ", \\\n    ", index);
            double offset = (k - (job->ndrawn - 1) / 2.0) * width;
            if (p->logx) {
                fputs("(pos($1))", f);
            } else if (p->style == PLOT_BARS && offset != 0) {
                fprintf(f, "($1 %c %.17g)", offset < 0 ? '-' : '+', fabs(offset));
            } else {
                fputs("1", f);
            }
            fputs(p->logy ? ":(pos($2))" : ":2", f);
            fprintf(f, " with %s lt %d ", style_name(p->style), s % 6 + 1);
            if (ser->name[0]) {
                fputs("title ", f);
                plot_gp_string(f, ser->name);
            } else {
                fputs("notitle", f);
            }
            k++;
        }
        index += ser->n > 0; // blocks without points are not counted by gnuplot
    }
    fputc('\n', f);
}

// --- writing ------------------------------------------------------------------------------

int plot_write(const Plot *p, const char *dir, const char *name, PlotOutput out)
{
    PlotJob job = {.p = p, .name = name};
    for (int s = 0; s < p->nseries; s++) {
        job.ndrawn += series_drawable(p, &p->series[s]);
    }
    if (plot_write_files(dir, name, write_plot_dat, write_plot_gp, &job) != 0) {
        return -1;
    }
    return plot_render_drawable(dir, name, out, job.ndrawn, "chart", "point");
}
