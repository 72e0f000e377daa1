// test_plots.c: unit tests of plots/: the .dat numbers read back exactly, the .gp script
// renders (when gnuplot is installed), and nothing a chart does can fail a run for a reason
// other than an unwritable directory or a gnuplot error.
//
// Every test writes into its own fresh directory under /tmp (absolute paths only). Tests
// that need gnuplot skip themselves when it is not on PATH. Left out: the look of a chart,
// which a person checks by opening the PNGs.
#include <criterion/criterion.h>

#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "plots/plots.h"

// --- fixtures -----------------------------------------------------------------------------

static char tmpdir[64];

static void setup(void)
{
    strcpy(tmpdir, "/tmp/lmlab-plots-XXXXXX");
    cr_assert_not_null(mkdtemp(tmpdir), "cannot make a temporary directory under /tmp");
    lab_quiet = 1;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    chmod(path, 0700); // a test may have made a directory read-only
    return remove(path);
}

static void teardown(void)
{
    chmod(tmpdir, 0700);
    nftw(tmpdir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(plots, .init = setup, .fini = teardown);

// --- helpers ------------------------------------------------------------------------------

// tmpdir/name (a new string)
static char *tmp_path(const char *name)
{
    return lab_path_join(tmpdir, name);
}

static int exists_in(const char *dir, const char *name)
{
    char *p = lab_path_join(dir, name);
    struct stat st;
    int ok = stat(p, &st) == 0;
    free(p);
    return ok;
}

// The whole of dir/name, or fails the test.
static char *slurp(const char *dir, const char *name)
{
    char *p = lab_path_join(dir, name);
    char *text;
    size_t len;
    cr_assert_eq(lab_read_file(p, &text, &len, 0), 0, "cannot read '%s'", p);
    free(p);
    return text;
}

// Entries of dir other than . and .., and how many of them are temporary files.
static int count_entries(const char *dir, int *temporary)
{
    DIR *d = opendir(dir);
    cr_assert_not_null(d, "cannot list '%s'", dir);
    int n = 0;
    *temporary = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) {
            n++;
            *temporary += strstr(e->d_name, ".tmp.") != NULL;
        }
    }
    closedir(d);
    return n;
}

// Criterion does not run .fini for a skipped test: clean up first.
#define skip_test(...) \
    do { \
        teardown(); \
        cr_skip_test(__VA_ARGS__); \
    } while (0)

static void skip_without_gnuplot(void)
{
    if (!plot_gnuplot_available()) {
        skip_test("gnuplot is not installed ('make deps' installs gnuplot-nox)");
    }
}

// Checks that dir/name is a PNG of width x height: the 8-byte signature, then the IHDR chunk
// with the size as two big-endian 32-bit numbers (PNG specification, section 11.2.2).
static void assert_png(const char *dir, const char *name, unsigned width, unsigned height)
{
    char *p = lab_path_join(dir, name);
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f, "'%s' was not written", p);
    unsigned char h[24];
    size_t got = fread(h, 1, sizeof h, f);
    fclose(f);
    cr_assert_eq(got, sizeof h, "'%s' is too short for a PNG (%zu bytes)", p, got);
    cr_assert(memcmp(h, "\x89PNG\r\n\x1a\n", 8) == 0, "'%s' does not start with the PNG magic", p);
    cr_assert(memcmp(h + 12, "IHDR", 4) == 0, "'%s' has no IHDR chunk first", p);
    unsigned w = (unsigned)h[16] << 24 | (unsigned)h[17] << 16 | (unsigned)h[18] << 8 | h[19];
    unsigned hh = (unsigned)h[20] << 24 | (unsigned)h[21] << 16 | (unsigned)h[22] << 8 | h[23];
    cr_assert(w == width && hh == height, "'%s' is %ux%u, expected %ux%u", p, w, hh, width,
              height);
    free(p);
}

// Sends fd (1 or 2) to the file path until restore_fd; returns the saved descriptor.
static int redirect_fd(int fd, const char *path)
{
    fflush(fd == 1 ? stdout : stderr);
    int saved = dup(fd);
    int f = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    cr_assert(saved >= 0 && f >= 0, "cannot redirect descriptor %d to '%s'", fd, path);
    dup2(f, fd);
    close(f);
    return saved;
}

static void restore_fd(int fd, int saved)
{
    fflush(fd == 1 ? stdout : stderr);
    dup2(saved, fd);
    close(saved);
}

// A series read back from a .dat file.
typedef struct {
    char name[128];
    double x[64], y[64];
    long n;
    int blank_before; // blank lines just before its "# series:" line
} DatSeries;

// Parses the text of a plot .dat: "# series: NAME" starts a series, other '#' lines are
// comments, "x y" lines are points. Returns the number of series (at most max).
static int parse_dat(const char *text, DatSeries *out, int max)
{
    int ns = -1, blank = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (len == 0) {
            blank++;
        } else if (strncmp(line, "# series: ", 10) == 0) {
            ns++;
            cr_assert_lt(ns, max, "more series in the .dat than expected");
            memset(&out[ns], 0, sizeof out[ns]);
            size_t nlen = len - 10 < sizeof out[ns].name - 1 ? len - 10 : sizeof out[ns].name - 1;
            memcpy(out[ns].name, line + 10, nlen);
            out[ns].blank_before = blank;
            blank = 0;
        } else if (line[0] != '#') {
            cr_assert_geq(ns, 0, "a point comes before any '# series:' line");
            DatSeries *s = &out[ns];
            cr_assert_lt(s->n, 64, "too many points");
            char *rest;
            s->x[s->n] = strtod(line, &rest);
            s->y[s->n] = strtod(rest, &rest);
            cr_assert(rest > line && (*rest == '\n' || *rest == '\0'),
                      "'%.*s' is not an 'x y' line", (int)len, line);
            s->n++;
            blank = 0;
        } else {
            blank = 0;
        }
        line += len + (end != NULL);
    }
    return ns + 1;
}

// A two-series chart used by several tests.
static void make_loss_chart(Plot *p)
{
    plot_init(p, "training loss", "step", "loss (nats/token)");
    double step[5] = {0, 100, 200, 300, 400};
    double train[5] = {4.2, 3.1, 2.5, 2.2, 2.05};
    double valid[5] = {4.3, 3.3, 2.8, 2.6, 2.55};
    plot_add_series(p, "train", step, train, 5);
    plot_add_series(p, "valid", step, valid, 5);
}

// --- building a chart ---------------------------------------------------------------------

Test(plots, init_gives_an_empty_line_chart)
{
    Plot p;
    plot_init(&p, NULL, "x", NULL);
    cr_assert_str_eq(p.title, "");
    cr_assert_str_eq(p.xlabel, "x");
    cr_assert_str_eq(p.ylabel, "");
    cr_assert_eq(p.style, PLOT_LINES);
    cr_assert(p.nseries == 0 && p.ntics == 0 && !p.logx && !p.logy);
    plot_free(&p);
}

Test(plots, add_series_copies_its_input)
{
    Plot p;
    plot_init(&p, "t", "x", "y");
    char name[] = "train";
    double x[3] = {1, 2, 3}, y[3] = {10, 20, 30};
    plot_add_series(&p, name, x, y, 3);
    name[0] = 'X';
    x[0] = y[0] = -1;
    cr_assert_str_eq(p.series[0].name, "train", "the name was not copied");
    cr_assert(p.series[0].x[0] == 1 && p.series[0].y[0] == 10, "the points were not copied");
    cr_assert_eq(p.series[0].n, 3);
    plot_free(&p);
}

Test(plots, series_without_x_is_at_0_to_n_minus_1)
{
    Plot p;
    plot_init(&p, "t", "x", "y");
    double y[4] = {5, 6, 7, 8};
    plot_add_series(&p, "bars", NULL, y, 4);
    for (long i = 0; i < 4; i++) {
        cr_assert_eq(p.series[0].x[i], (double)i, "x[%ld] = %g, expected %ld",
                     i, p.series[0].x[i], i);
    }
    plot_free(&p);
}

Test(plots, set_xtics_copies_and_replaces_labels)
{
    Plot p;
    plot_init(&p, "t", "x", "y");
    char a[] = "unigram";
    char *first[2] = {a, "bigram"};
    plot_set_xtics(&p, first, 2);
    a[0] = 'X';
    cr_assert_eq(p.ntics, 2);
    cr_assert_str_eq(p.xtics[0], "unigram", "the labels were not copied");
    char *second[1] = {"only"};
    plot_set_xtics(&p, second, 1);
    cr_assert(p.ntics == 1 && strcmp(p.xtics[0], "only") == 0, "the labels were not replaced");
    plot_set_xtics(&p, NULL, 0);
    cr_assert(p.ntics == 0 && p.xtics == NULL, "n == 0 did not remove the labels");
    plot_free(&p);
}

Test(plots, free_is_safe_on_a_zeroed_struct_and_twice)
{
    Plot zero = {0};
    plot_free(&zero);
    Plot p;
    make_loss_chart(&p);
    plot_free(&p);
    plot_free(&p);
    cr_assert(p.series == NULL && p.title == NULL && p.nseries == 0, "free left the struct set");
}

Test(plots, output_choices_follow_the_enum)
{
    cr_assert_str_eq(lab_choice_name(PLOT_OUTPUT_CHOICES, PLOT_PNG), "png");
    cr_assert_str_eq(lab_choice_name(PLOT_OUTPUT_CHOICES, PLOT_DUMB), "dumb");
    cr_assert_str_eq(lab_choice_name(PLOT_OUTPUT_CHOICES, PLOT_NONE), "none");
}

// --- the .dat and .gp files ---------------------------------------------------------------

Test(plots, dat_holds_every_point_exactly)
{
    Plot p;
    plot_init(&p, "exact", "x", "y");
    double x[6] = {0.1, 1.0 / 3.0, -2.5e-300, 1e300, 123456789.123456789, 7};
    double y[6] = {M_PI, -1.0 / 7.0, 4.9e-324, -0.0, 2.0 / 3.0, 1e-17};
    plot_add_series(&p, "awkward numbers", x, y, 6);
    cr_assert_eq(plot_write(&p, tmpdir, "exact", PLOT_NONE), 0);
    char *text = slurp(tmpdir, "exact.dat");
    DatSeries s[2];
    cr_assert_eq(parse_dat(text, s, 2), 1);
    cr_assert_str_eq(s[0].name, "awkward numbers");
    cr_assert_eq(s[0].n, 6);
    for (int i = 0; i < 6; i++) {
        cr_assert(s[0].x[i] == x[i] && s[0].y[i] == y[i],
                  "point %d read back as (%.17g, %.17g), expected (%.17g, %.17g)",
                  i, s[0].x[i], s[0].y[i], x[i], y[i]);
    }
    free(text);
    plot_free(&p);
}

Test(plots, dat_has_one_named_block_per_series_two_blank_lines_apart)
{
    Plot p;
    make_loss_chart(&p);
    cr_assert_eq(plot_write(&p, tmpdir, "loss", PLOT_NONE), 0);
    char *text = slurp(tmpdir, "loss.dat");
    DatSeries s[3];
    cr_assert_eq(parse_dat(text, s, 3), 2);
    cr_assert_str_eq(s[0].name, "train");
    cr_assert_str_eq(s[1].name, "valid");
    cr_assert_eq(s[1].blank_before, 2, "series are separated by %d blank lines, expected 2",
                 s[1].blank_before);
    cr_assert(s[0].n == 5 && s[1].n == 5);
    cr_assert(s[1].x[4] == 400 && s[1].y[4] == 2.55, "last point is (%g, %g)", s[1].x[4],
              s[1].y[4]);
    free(text);
    plot_free(&p);
}

Test(plots, non_finite_values_are_written_as_nan)
{
    Plot p;
    plot_init(&p, "gaps", "x", "y");
    double x[5] = {1, 2, 3, 4, INFINITY};
    double y[5] = {1, NAN, INFINITY, -INFINITY, 5};
    plot_add_series(&p, "s", x, y, 5);
    cr_assert_eq(plot_write(&p, tmpdir, "gaps", PLOT_NONE), 0);
    char *text = slurp(tmpdir, "gaps.dat");
    cr_assert_null(strstr(text, "inf"), "an infinity was written as 'inf':\n%s", text);
    cr_assert_not_null(strstr(text, "\n2 NaN\n3 NaN\n4 NaN\nNaN 5\n"), "got:\n%s", text);
    DatSeries s[1];
    cr_assert_eq(parse_dat(text, s, 1), 1);
    cr_assert(s[0].n == 5 && isnan(s[0].y[1]) && s[0].y[0] == 1);
    free(text);
    plot_free(&p);
}

Test(plots, gp_reads_the_dat_by_its_relative_name)
{
    Plot p;
    make_loss_chart(&p);
    cr_assert_eq(plot_write(&p, tmpdir, "loss", PLOT_NONE), 0);
    char *gp = slurp(tmpdir, "loss.gp");
    cr_assert_not_null(strstr(gp, "'loss.dat'"), "loss.gp does not name loss.dat:\n%s", gp);
    cr_assert_null(strstr(gp, tmpdir), "loss.gp holds the absolute directory '%s'", tmpdir);
    cr_assert_not_null(strstr(gp, "pngcairo size 900,600"), "loss.gp lacks the shared style");
    cr_assert_not_null(strstr(gp, "title 'valid'"), "loss.gp lacks the legend 'valid'");
    free(gp);
    plot_free(&p);
}

Test(plots, missing_directory_is_created)
{
    Plot p;
    make_loss_chart(&p);
    char *dir = tmp_path("runs/a/charts");
    cr_assert_eq(plot_write(&p, dir, "loss", PLOT_NONE), 0);
    cr_assert(exists_in(dir, "loss.dat") && exists_in(dir, "loss.gp"));
    free(dir);
    plot_free(&p);
}

Test(plots, name_with_a_slash_is_refused)
{
    Plot p;
    make_loss_chart(&p);
    int saved = redirect_fd(2, "/dev/null");
    int rc = plot_write(&p, tmpdir, "a/b", PLOT_NONE);
    restore_fd(2, saved);
    cr_assert_eq(rc, -1);
    int temporary;
    cr_assert_eq(count_entries(tmpdir, &temporary), 0, "a file was written");
    plot_free(&p);
}

Test(plots, directory_under_a_regular_file_fails_and_leaves_no_file)
{
    char *file = tmp_path("file");
    FILE *f = fopen(file, "w");
    cr_assert_not_null(f);
    fclose(f);
    char *dir = tmp_path("file/charts");
    Plot p;
    make_loss_chart(&p);
    int saved = redirect_fd(2, "/dev/null");
    int rc = plot_write(&p, dir, "loss", PLOT_PNG);
    restore_fd(2, saved);
    cr_assert_eq(rc, -1);
    int temporary;
    cr_assert_eq(count_entries(tmpdir, &temporary), 1, "something besides 'file' was written");
    free(file);
    free(dir);
    plot_free(&p);
}

Test(plots, read_only_directory_fails_naming_the_file_and_leaves_no_file)
{
    cr_assert_eq(chmod(tmpdir, 0500), 0);
    if (access(tmpdir, W_OK) == 0) {
        skip_test("running as root: a read-only directory is still writable");
    }
    char *log = lab_asprintf("/tmp/lmlab-plots-log-%ld", (long)getpid());
    Plot p;
    make_loss_chart(&p);
    int saved = redirect_fd(2, log);
    int rc = plot_write(&p, tmpdir, "loss", PLOT_PNG);
    restore_fd(2, saved);
    chmod(tmpdir, 0700);
    cr_assert_eq(rc, -1);
    char *msg;
    size_t len;
    cr_assert_eq(lab_read_file(log, &msg, &len, 0), 0);
    cr_assert_not_null(strstr(msg, "loss.dat"), "the message does not name the file: %s", msg);
    int temporary;
    cr_assert_eq(count_entries(tmpdir, &temporary), 0, "a file was left behind");
    unlink(log);
    free(log);
    free(msg);
    plot_free(&p);
}

// --- rendering ----------------------------------------------------------------------------

Test(plots, png_is_a_900_by_600_image)
{
    skip_without_gnuplot();
    Plot p;
    make_loss_chart(&p);
    cr_assert_eq(plot_write(&p, tmpdir, "loss", PLOT_PNG), 0);
    assert_png(tmpdir, "loss.png", 900, 600);
    int temporary;
    cr_assert_eq(count_entries(tmpdir, &temporary), 3, "expected loss.dat, loss.gp, loss.png");
    cr_assert_eq(temporary, 0, "a temporary file was left behind");
    plot_free(&p);
}

Test(plots, gp_renders_again_from_any_directory)
{
    skip_without_gnuplot();
    Plot p;
    make_loss_chart(&p);
    cr_assert_eq(plot_write(&p, tmpdir, "loss", PLOT_NONE), 0);
    cr_assert_not(exists_in(tmpdir, "loss.png"));
    cr_assert_eq(chdir("/"), 0);
    char *cmd = lab_asprintf("gnuplot '%s/loss.gp' </dev/null", tmpdir);
    cr_assert_eq(system(cmd), 0, "'%s' failed", cmd);
    assert_png(tmpdir, "loss.png", 900, 600);
    free(cmd);
    cmd = lab_asprintf("cd '%s' && rm loss.png && gnuplot loss.gp </dev/null", tmpdir);
    cr_assert_eq(system(cmd), 0, "'%s' failed", cmd);
    assert_png(tmpdir, "loss.png", 900, 600);
    free(cmd);
    plot_free(&p);
}

Test(plots, utf8_quotes_and_backslashes_in_labels_render)
{
    skip_without_gnuplot();
    Plot p;
    plot_init(&p, "训练损失: it's \"quoted\" \\ back @ & a_b^2 100%", "步 (step)", "l'oss");
    double x[3] = {1, 2, 3}, y[3] = {3, 2, 1};
    plot_add_series(&p, "it's 'odd'\\", x, y, 3);
    plot_add_series(&p, "two\nlines\tand\rtabs", x, x, 3);
    cr_assert_eq(plot_write(&p, tmpdir, "utf8", PLOT_PNG), 0);
    assert_png(tmpdir, "utf8.png", 900, 600);
    char *gp = slurp(tmpdir, "utf8.gp");
    cr_assert_not_null(strstr(gp, "'训练损失: it''s \"quoted\" \\ back @ & a_b^2 100%'"),
                       "the title is not one quoted gnuplot string:\n%s", gp);
    cr_assert_not_null(strstr(gp, "title 'it''s ''odd''\\'"), "series name not quoted:\n%s", gp);
    cr_assert_not_null(strstr(gp, "title 'two lines and tabs'"), "a newline was kept:\n%s", gp);
    char *dat = slurp(tmpdir, "utf8.dat");
    cr_assert_not_null(strstr(dat, "# series: two lines and tabs\n"), "got:\n%s", dat);
    free(gp);
    free(dat);
    plot_free(&p);
}

Test(plots, empty_series_is_a_comment_and_is_skipped)
{
    skip_without_gnuplot();
    Plot p;
    plot_init(&p, "with a hole", "x", "y");
    double x[3] = {1, 2, 3}, y[3] = {3, 1, 2};
    plot_add_series(&p, "a", x, y, 3);
    plot_add_series(&p, "empty", NULL, NULL, 0);
    plot_add_series(&p, "b", x, x, 3);
    cr_assert_eq(plot_write(&p, tmpdir, "hole", PLOT_PNG), 0);
    assert_png(tmpdir, "hole.png", 900, 600);
    char *dat = slurp(tmpdir, "hole.dat");
    DatSeries s[3];
    cr_assert_eq(parse_dat(dat, s, 3), 3);
    cr_assert(s[0].n == 3 && s[1].n == 0 && s[2].n == 3, "points per series: %ld %ld %ld",
              s[0].n, s[1].n, s[2].n);
    // gnuplot does not count a block without points, so 'b' is its data set 1
    char *gp = slurp(tmpdir, "hole.gp");
    cr_assert_not_null(strstr(gp, "index 1 using 1:2 with lines lt 3 title 'b'"),
                       "series 'b' is not drawn from index 1:\n%s", gp);
    free(dat);
    free(gp);
    plot_free(&p);
}

Test(plots, chart_without_points_writes_files_and_no_png)
{
    Plot p;
    plot_init(&p, "nothing", "x", "y");
    double y[2] = {NAN, NAN};
    plot_add_series(&p, "empty", NULL, NULL, 0);
    plot_add_series(&p, "all nan", NULL, y, 2);
    cr_assert_eq(plot_write(&p, tmpdir, "nothing", PLOT_PNG), 0);
    cr_assert(exists_in(tmpdir, "nothing.dat") && exists_in(tmpdir, "nothing.gp"));
    cr_assert_not(exists_in(tmpdir, "nothing.png"), "a PNG was drawn from no points");
    plot_free(&p);
    Plot none;
    plot_init(&none, "no series", "x", "y");
    cr_assert_eq(plot_write(&none, tmpdir, "none", PLOT_DUMB), 0);
    cr_assert(exists_in(tmpdir, "none.dat") && exists_in(tmpdir, "none.gp"));
    plot_free(&none);
}

Test(plots, log_scales_skip_values_that_are_not_positive)
{
    skip_without_gnuplot();
    Plot p;
    plot_init(&p, "Zipf", "rank", "count");
    p.logx = p.logy = 1;
    double rank[6] = {1, 2, 3, 4, 5, 0};
    double count[6] = {1000, 0, -1, 250, 200, 50};
    plot_add_series(&p, "counts", rank, count, 6);
    plot_add_series(&p, "never positive", rank + 1, count + 1, 2);
    cr_assert_eq(plot_write(&p, tmpdir, "zipf", PLOT_PNG), 0);
    assert_png(tmpdir, "zipf.png", 900, 600);
    char *gp = slurp(tmpdir, "zipf.gp");
    cr_assert_not_null(strstr(gp, "set logscale x 10"));
    cr_assert_not_null(strstr(gp, "set logscale y 10"));
    cr_assert_null(strstr(gp, "title 'never positive'"), "a series without a point to draw "
                   "is in the plot command:\n%s", gp);
    char *dat = slurp(tmpdir, "zipf.dat");
    DatSeries s[2];
    cr_assert_eq(parse_dat(dat, s, 2), 2);
    cr_assert(s[0].y[1] == 0 && s[0].y[2] == -1, "the .dat must keep the values as they are");
    free(gp);
    free(dat);
    plot_free(&p);
}

Test(plots, bar_chart_with_labels_renders)
{
    skip_without_gnuplot();
    Plot p;
    plot_init(&p, "perplexity by model", "model", "perplexity");
    p.style = PLOT_BARS;
    double valid[3] = {20.5, 12.1, 9.8}, test[3] = {22.0, 13.5, 11.2};
    char *labels[3] = {"unigram", "bigram (laplace)", "trigram 平滑"};
    plot_add_series(&p, "valid", NULL, valid, 3);
    plot_add_series(&p, "test", NULL, test, 3);
    plot_set_xtics(&p, labels, 3);
    cr_assert_eq(plot_write(&p, tmpdir, "bars", PLOT_PNG), 0);
    assert_png(tmpdir, "bars.png", 900, 600);
    char *gp = slurp(tmpdir, "bars.gp");
    cr_assert_not_null(strstr(gp, "'bigram (laplace)' 1"), "label 1 is not at x = 1:\n%s", gp);
    cr_assert_not_null(strstr(gp, "with boxes"));
    free(gp);
    plot_free(&p);
}

Test(plots, points_and_linespoints_render)
{
    skip_without_gnuplot();
    PlotStyle styles[2] = {PLOT_POINTS, PLOT_LINESPOINTS};
    const char *names[2] = {"points", "linespoints"};
    for (int i = 0; i < 2; i++) {
        Plot p;
        make_loss_chart(&p);
        p.style = styles[i];
        cr_assert_eq(plot_write(&p, tmpdir, names[i], PLOT_PNG), 0);
        char *png = lab_asprintf("%s.png", names[i]);
        assert_png(tmpdir, png, 900, 600);
        free(png);
        plot_free(&p);
    }
}

Test(plots, dumb_draws_on_stdout_and_writes_no_png)
{
    skip_without_gnuplot();
    Plot p;
    make_loss_chart(&p);
    char *out = tmp_path("stdout.txt");
    int saved = redirect_fd(1, out);
    int rc = plot_write(&p, tmpdir, "loss", PLOT_DUMB);
    restore_fd(1, saved);
    cr_assert_eq(rc, 0);
    char *text = slurp(tmpdir, "stdout.txt");
    cr_assert_not_null(strstr(text, "training loss"), "no title on stdout:\n%s", text);
    cr_assert_not_null(strstr(text, "+-----"), "no frame on stdout:\n%s", text);
    cr_assert(exists_in(tmpdir, "loss.dat") && exists_in(tmpdir, "loss.gp"));
    cr_assert_not(exists_in(tmpdir, "loss.png"), "dumb mode wrote a PNG");
    free(out);
    free(text);
    plot_free(&p);
}

Test(plots, none_writes_only_dat_and_gp)
{
    Plot p;
    make_loss_chart(&p);
    cr_assert_eq(plot_write(&p, tmpdir, "loss", PLOT_NONE), 0);
    int temporary;
    cr_assert_eq(count_entries(tmpdir, &temporary), 2);
    cr_assert(exists_in(tmpdir, "loss.dat") && exists_in(tmpdir, "loss.gp"));
    plot_free(&p);
}

Test(plots, missing_gnuplot_is_a_note_not_an_error)
{
    lab_quiet = 0;
    cr_assert_eq(setenv("PATH", "/nonexistent-lmlab-bin", 1), 0);
    cr_assert_not(plot_gnuplot_available());
    Plot p;
    make_loss_chart(&p);
    char *log = tmp_path("stderr.txt");
    int saved = redirect_fd(2, log);
    int rc = plot_write(&p, tmpdir, "loss", PLOT_PNG);
    int rc2 = plot_write(&p, tmpdir, "loss2", PLOT_DUMB);
    restore_fd(2, saved);
    cr_assert(rc == 0 && rc2 == 0, "a missing gnuplot failed the chart");
    cr_assert(exists_in(tmpdir, "loss.dat") && exists_in(tmpdir, "loss.gp"));
    cr_assert_not(exists_in(tmpdir, "loss.png"));
    char *msg = slurp(tmpdir, "stderr.txt");
    cr_assert_not_null(strstr(msg, "gnuplot not found: wrote "), "got: %s", msg);
    cr_assert_not_null(strstr(msg, "loss.dat and loss.gp"), "got: %s", msg);
    cr_assert_not_null(strstr(msg, "hint: make deps installs gnuplot-nox"), "got: %s", msg);
    cr_assert_null(strstr(msg, "loss2"), "the note was given twice: %s", msg);
    free(log);
    free(msg);
    plot_free(&p);
}

// Puts a fake gnuplot running body (a shell script) first on PATH.
static void fake_gnuplot(const char *body)
{
    char *bin = tmp_path("bin");
    cr_assert_eq(mkdir(bin, 0700), 0);
    char *exe = lab_path_join(bin, "gnuplot");
    FILE *f = fopen(exe, "w");
    cr_assert_not_null(f);
    fprintf(f, "#!/bin/sh\n%s\n", body);
    fclose(f);
    cr_assert_eq(chmod(exe, 0700), 0);
    cr_assert_eq(setenv("PATH", bin, 1), 0);
    free(exe);
    free(bin);
}

Test(plots, gnuplot_failure_is_an_error_naming_the_script)
{
    fake_gnuplot("echo 'line 1: fake trouble' >&2; exit 3");
    char *charts = tmp_path("charts");
    Plot p;
    make_loss_chart(&p);
    char *log = tmp_path("stderr.txt");
    int saved = redirect_fd(2, log);
    int rc = plot_write(&p, charts, "loss", PLOT_PNG);
    restore_fd(2, saved);
    cr_assert_eq(rc, -1);
    char *msg = slurp(tmpdir, "stderr.txt");
    cr_assert_not_null(strstr(msg, "fake trouble"), "gnuplot's output is not shown: %s", msg);
    cr_assert_not_null(strstr(msg, "loss.gp"), "the message does not name loss.gp: %s", msg);
    int temporary;
    cr_assert_eq(count_entries(charts, &temporary), 2, "expected loss.dat and loss.gp only");
    free(charts);
    free(log);
    free(msg);
    plot_free(&p);
}

Test(plots, gnuplot_leaving_no_image_is_an_error)
{
    fake_gnuplot("exit 0");
    Plot p;
    make_loss_chart(&p);
    int saved = redirect_fd(2, "/dev/null");
    int rc = plot_write(&p, tmpdir, "loss", PLOT_PNG);
    restore_fd(2, saved);
    cr_assert_eq(rc, -1);
    cr_assert_not(exists_in(tmpdir, "loss.png"));
    plot_free(&p);
}

Test(plots, failed_render_leaves_no_partial_png)
{
    // A gnuplot that writes half an image to the output it was given, then fails.
    fake_gnuplot("for a; do case \"$a\" in outfile=*) f=${a#outfile=\\'}; f=${f%\\'};; esac; "
                 "done; printf 'half' > \"$f\"; exit 1");
    Plot p;
    make_loss_chart(&p);
    int saved = redirect_fd(2, "/dev/null");
    int rc = plot_write(&p, tmpdir, "loss", PLOT_PNG);
    restore_fd(2, saved);
    cr_assert_eq(rc, -1);
    int temporary;
    int n = count_entries(tmpdir, &temporary);
    cr_assert_eq(temporary, 0, "the temporary image was left behind");
    cr_assert_not(exists_in(tmpdir, "loss.png"));
    cr_assert_eq(n, 3, "expected bin/, loss.dat and loss.gp");
    plot_free(&p);
}

// --- heatmaps -----------------------------------------------------------------------------

Test(plots, heatmap_dat_holds_the_matrix_row_by_row)
{
    double m[6] = {0.5, 0.25, NAN, 1.0 / 3.0, -2, 1e-9};
    cr_assert_eq(plot_heatmap_write(tmpdir, "sim", "similarity", m, 2, 3, NULL, NULL,
                                    PLOT_NONE), 0);
    char *text = slurp(tmpdir, "sim.dat");
    long rows = 0;
    for (const char *line = text; *line;) {
        const char *end = strchr(line, '\n');
        if (line[0] != '#' && line[0] != '\n') {
            char *p = (char *)line;
            for (int c = 0; c < 3; c++) {
                double v = strtod(p, &p);
                double want = m[rows * 3 + c];
                cr_assert(isnan(want) ? isnan(v) : v == want,
                          "cell (%ld, %d) read back as %.17g, expected %.17g", rows, c, v, want);
            }
            rows++;
        }
        line = end ? end + 1 : line + strlen(line);
    }
    cr_assert_eq(rows, 2, "%ld rows, expected 2", rows);
    free(text);
}

Test(plots, heatmap_with_labels_renders)
{
    skip_without_gnuplot();
    double m[12];
    for (int i = 0; i < 12; i++) {
        m[i] = (double)(i % 5) / 4.0;
    }
    m[5] = NAN;
    char *rows[3] = {"the", "猫", "it's"};
    char *cols[4] = {"a_b", "c^2", "\"q\"", "d\\e"};
    cr_assert_eq(plot_heatmap_write(tmpdir, "attn", "attention, head 0", m, 3, 4, rows, cols,
                                    PLOT_PNG), 0);
    assert_png(tmpdir, "attn.png", 900, 600);
    char *gp = slurp(tmpdir, "attn.gp");
    cr_assert_not_null(strstr(gp, "'it''s' 2"), "row label 2 missing:\n%s", gp);
    cr_assert_not_null(strstr(gp, "matrix with image"));
    free(gp);
    cr_assert_eq(plot_heatmap_write(tmpdir, "plain", "no labels", m, 3, 4, NULL, NULL,
                                    PLOT_PNG), 0);
    assert_png(tmpdir, "plain.png", 900, 600);
}

Test(plots, heatmap_dumb_shades_cells_with_characters)
{
    skip_without_gnuplot();
    double m[4] = {0, 1, 1, 0};
    char *out = tmp_path("stdout.txt");
    int saved = redirect_fd(1, out);
    int rc = plot_heatmap_write(tmpdir, "eye", "anti-diagonal", m, 2, 2, NULL, NULL, PLOT_DUMB);
    restore_fd(1, saved);
    cr_assert_eq(rc, 0);
    char *text = slurp(tmpdir, "stdout.txt");
    cr_assert_not_null(strstr(text, "anti-diagonal"), "no title:\n%s", text);
    cr_assert_not_null(strchr(text, '@'), "the high cells are not drawn as '@':\n%s", text);
    cr_assert_not(exists_in(tmpdir, "eye.png"));
    free(out);
    free(text);
}

Test(plots, heatmap_without_finite_cells_writes_files_and_no_png)
{
    double m[2] = {NAN, INFINITY};
    cr_assert_eq(plot_heatmap_write(tmpdir, "void", "void", m, 1, 2, NULL, NULL, PLOT_PNG), 0);
    cr_assert_eq(plot_heatmap_write(tmpdir, "zero", "zero", NULL, 0, 0, NULL, NULL, PLOT_PNG),
                 0);
    cr_assert(exists_in(tmpdir, "void.dat") && exists_in(tmpdir, "void.gp"));
    cr_assert(exists_in(tmpdir, "zero.dat") && exists_in(tmpdir, "zero.gp"));
    cr_assert_not(exists_in(tmpdir, "void.png") || exists_in(tmpdir, "zero.png"));
}

Test(plots, styled_heatmap_has_axis_titles_cell_values_and_its_size)
{
    skip_without_gnuplot();
    double m[4] = {0, 12, 3, 40};
    char *rows[2] = {"<s>", "a"};
    char *cols[2] = {"a", "</s>"};
    PlotHeatmapStyle style = {.xlabel = "next character", .ylabel = "previous character",
                              .cell_format = "%.0f", .width = 700, .height = 650};
    cr_assert_eq(plot_heatmap_write_styled(tmpdir, "counts", "bigram counts", m, 2, 2, rows, cols,
                                           &style, PLOT_PNG), 0);
    assert_png(tmpdir, "counts.png", 700, 650);
    char *gp = slurp(tmpdir, "counts.gp");
    cr_assert_not_null(strstr(gp, "set xlabel 'next character'"), "%s", gp);
    cr_assert_not_null(strstr(gp, "set ylabel 'previous character'"), "%s", gp);
    cr_assert_not_null(strstr(gp, "sprintf('%.0f', $3)"), "the cell values are not drawn:\n%s",
                       gp);
    free(gp);
}
