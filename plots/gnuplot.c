// gnuplot.c: what every chart shares: the lmlab style, gnuplot quoting, writing the .dat/.gp
// pair atomically, and running gnuplot.
//
// gnuplot is an external program found on PATH and run with fork/exec in the chart's
// directory; nothing here parses gnuplot's output beyond showing it when it fails. Left out:
// the charts themselves (plot.c, heatmap.c) and any terminal but pngcairo and dumb.
#include "plots/plots.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

// --- text for gnuplot ---------------------------------------------------------------------

// gnuplot 5.4 reads '' inside '...' as one quote only after another character: a quote
// first, or two quotes in a row, end the string early ('''' is not two quotes). Such a
// string is written as a concatenation instead, each quote as "'" (a double-quoted string
// without a backslash or a backquote, so nothing in it is interpreted): 'a'."'"."'".'b'
// for a''b.
static int needs_concatenation(const char *s)
{
    for (const char *c = s; *c; c++) {
        if (*c == '\'' && (c == s || c[-1] == '\'')) {
            return 1;
        }
    }
    return 0;
}

void plot_gp_string(FILE *f, const char *s)
{
    s = s ? s : "";
    const int concat = needs_concatenation(s);
    int open = 0; // inside a '...' piece
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        const int first = c == (const unsigned char *)s;
        if (*c == '\'' && concat) {
            fputs(open ? "'.\"'\"" : first ? "\"'\"" : ".\"'\"", f);
            open = 0;
            continue;
        }
        if (!open) {
            fputs(first ? "'" : ".'", f);
            open = 1;
        }
        if (*c == '\'') {
            fputs("''", f); // inside '...' gnuplot reads '' as one quote, and nothing else
        } else if (*c < 0x20 || *c == 0x7f) {
            fputc(' ', f);
        } else {
            fputc(*c, f);   // UTF-8 bytes pass through; `set encoding utf8` reads them
        }
    }
    if (open) {
        fputc('\'', f);
    } else if (!*s) {
        fputs("''", f);
    }
}

void plot_comment_text(FILE *f, const char *s)
{
    for (const unsigned char *c = (const unsigned char *)(s ? s : ""); *c; c++) {
        fputc(*c < 0x20 || *c == 0x7f ? ' ' : *c, f);
    }
}

// "var='value'" with value quoted for gnuplot, as a new string.
static char *gp_assignment(const char *var, const char *value)
{
    char *s = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&s, &n);
    if (!f) {
        lab_die(NULL, "out of memory (a gnuplot setting)");
    }
    fprintf(f, "%s=", var);
    plot_gp_string(f, value);
    fclose(f);
    return s;
}

// --- the shared style ---------------------------------------------------------------------
// The colour cycle is the Okabe-Ito palette: six colours that stay distinct for readers with
// the common forms of colour blindness, and in greyscale print.
static const char *const plot_colours[6] = {
    "#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9",
};

void plot_gp_header(FILE *f, const char *name, const char *title)
{
    fprintf(f, "# %s.gp: ", name);
    plot_comment_text(f, title);
    fprintf(f, "\n#\n"
               "# Written by lmlab; the numbers are in %s.dat next to this script.\n"
               "#   gnuplot %s.gp                 renders %s.png\n"
               "#   gnuplot -e \"dumb=1\" %s.gp     draws the chart in the terminal\n"
               "# Both work from any directory. lmlab overwrites this file when it redraws\n"
               "# the chart: copy it before editing it for good.\n\n",
            name, name, name, name);

    fputs("# Paths are relative to this script: dirof() keeps what ARG0 (the script's path)\n"
          "# has up to its last '/'.\n"
          "dirof(s, i) = i < 1 ? '' : s[i:i] eq '/' ? s[1:i] : dirof(s, i - 1)\n"
          "here = exists(\"ARG0\") ? dirof(ARG0, strlen(ARG0)) : ''\n", f);
    fprintf(f, "if (!exists(\"outfile\")) outfile = here.");
    char *png = lab_asprintf("%s.png", name);
    plot_gp_string(f, png);
    free(png);
    fputs("\n\n", f);

    fputs("# --- the lmlab style (plots/gnuplot.c) ---\n"
          "set encoding utf8\n"
          "if (exists(\"dumb\")) {\n"
          "    set terminal dumb size 100,30 nofeed\n"
          "    set output\n"
          "} else {\n"
          "    set terminal pngcairo size 900,600 font 'DejaVu Sans,11'\n"
          "    set output outfile\n"
          "    set grid back lt 1 lc rgb '#e0e0e0' lw 1\n"
          "}\n"
          "set termoption noenhanced   # '_' and '^' in labels are text, not markup\n"
          "set key top right\n", f);
    for (int i = 0; i < 6; i++) {
        fprintf(f, "set linetype %d lc rgb '%s' lw 2 pt 7 ps 0.8\n", i + 1, plot_colours[i]);
    }
    fputs("set linetype cycle 6\n\n", f);

    fputs("set title ", f);
    plot_gp_string(f, title);
    fputc('\n', f);
}

// --- writing the two files ----------------------------------------------------------------

int plot_write_files(const char *dir, const char *name,
                     void (*write_dat)(FILE *f, const void *ctx),
                     void (*write_gp)(FILE *f, const void *ctx), const void *ctx)
{
    if (!name[0] || strchr(name, '/')) {
        return lab_error("chart name '%s' is not a plain file name", name);
    }
    if (lab_run_dir(dir) != 0) {
        return -1;
    }
    char *dat_name = lab_asprintf("%s.dat", name);
    char *gp_name = lab_asprintf("%s.gp", name);
    char *dat_path = lab_path_join(dir, dat_name);
    char *gp_path = lab_path_join(dir, gp_name);
    LabAtomic dat = {0}, gp = {0};
    int rc = -1;

    if (lab_atomic_open(&dat, dat_path) != 0) {
        goto fail;
    }
    if (lab_atomic_open(&gp, gp_path) != 0) {
        goto fail;
    }
    write_dat(dat.f, ctx);
    write_gp(gp.f, ctx);
    // Flush both before committing either, so a full disk leaves neither file replaced.
    if (fflush(dat.f) != 0 || ferror(dat.f)) {
        lab_error("cannot write '%s': %s", dat_path, strerror(errno));
        goto fail;
    }
    if (fflush(gp.f) != 0 || ferror(gp.f)) {
        lab_error("cannot write '%s': %s", gp_path, strerror(errno));
        goto fail;
    }
    if (lab_atomic_commit(&dat) != 0 || lab_atomic_commit(&gp) != 0) {
        goto fail;
    }
    rc = 0;
fail:
    lab_atomic_abort(&dat);
    lab_atomic_abort(&gp);
    free(dat_name);
    free(gp_name);
    free(dat_path);
    free(gp_path);
    return rc;
}

// --- running gnuplot ----------------------------------------------------------------------

// The full path of an executable prog on PATH (a new string), or NULL.
static char *find_in_path(const char *prog)
{
    const char *path = getenv("PATH");
    if (!path) {
        path = "/usr/local/bin:/usr/bin:/bin";
    }
    const char *p = path;
    for (;;) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > 0) { // an empty entry would mean the current directory: not trusted here
            char *dir = lab_strndup(p, len);
            char *full = lab_path_join(dir, prog);
            free(dir);
            struct stat st;
            if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0) {
                return full;
            }
            free(full);
        }
        if (!end) {
            return NULL;
        }
        p = end + 1;
    }
}

int plot_gnuplot_available(void)
{
    char *g = find_in_path("gnuplot");
    free(g);
    return g != NULL;
}

static int gnuplot_missing_noted = 0;

// The note for a machine without gnuplot: said once per process, since a training run may
// redraw its charts many times.
static void note_gnuplot_missing(const char *dir, const char *name)
{
    if (gnuplot_missing_noted || lab_quiet) {
        return;
    }
    gnuplot_missing_noted = 1;
    char *dat = lab_asprintf("%s.dat", name);
    char *dat_path = lab_path_join(dir, dat);
    lab_note("gnuplot not found: wrote %s and %s.gp", dat_path, name);
    fputs("  hint: make deps installs gnuplot-nox\n", stderr);
    free(dat);
    free(dat_path);
}

// Writes all of s[0..n) to fd, for the child between fork and exec (no stdio there).
static void write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w <= 0) {
            return;
        }
        s += w;
        n -= (size_t)w;
    }
}

// Runs `gnuplot -e SETTING SCRIPT` in dir with stdin from /dev/null, stdout shared (the dumb
// terminal draws there) and stderr collected into *err (a new string, at most 64 KiB kept).
// Returns the exit status, or -1 when gnuplot could not be started or was killed.
static int run_gnuplot(const char *gnuplot, const char *dir, const char *setting,
                       const char *script, char **err)
{
    enum { ERR_MAX = 1 << 16 };
    size_t len = 0;
    *err = lab_malloc(ERR_MAX + 1);
    (*err)[0] = '\0';
    int fds[2];
    if (pipe(fds) != 0) {
        snprintf(*err, ERR_MAX, "pipe: %s\n", strerror(errno));
        return -1;
    }
    fflush(stdout); // what we printed comes before the chart
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(*err, ERR_MAX, "fork: %s\n", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        // The child: only async-signal-safe calls until exec.
        close(fds[0]);
        dup2(fds[1], 2);
        close(fds[1]);
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0) {
            dup2(null, 0);
            close(null);
        }
        if (chdir(dir) != 0) {
            write_all(2, "cannot enter the chart's directory\n", 35);
            _exit(126);
        }
        char *const argv[] = {"gnuplot", "-e", (char *)setting, (char *)script, NULL};
        execv(gnuplot, argv);
        write_all(2, "cannot run gnuplot\n", 19);
        _exit(127);
    }
    close(fds[1]);
    char buf[4096];
    for (;;) {
        ssize_t got = read(fds[0], buf, sizeof buf);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got <= 0) {
            break;
        }
        size_t keep = (size_t)got < ERR_MAX - len ? (size_t)got : ERR_MAX - len;
        memcpy(*err + len, buf, keep);
        len += keep;
    }
    (*err)[len] = '\0';
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) {
            return -1;
        }
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int plot_render_drawable(const char *dir, const char *name, PlotOutput out, long drawable,
                         const char *what, const char *unit)
{
    if (out == PLOT_NONE) {
        return 0;
    }
    if (drawable == 0) {
        char *dat = lab_asprintf("%s.dat", name);
        char *dat_path = lab_path_join(dir, dat);
        lab_note("%s '%s' has no %s to draw: wrote %s and %s.gp", what, name, unit, dat_path,
                 name);
        free(dat);
        free(dat_path);
        return 0;
    }
    return plot_render(dir, name, out);
}

// --- checking what the renderer wrote --------------------------------------------------------

// The CRC-32 of PNG chunks (ISO 3309, the polynomial 0xedb88320 reflected), bit by bit: a
// chart is tens of kilobytes, so no table is needed.
static uint32_t png_crc(const unsigned char *p, size_t n, uint32_t crc)
{
    crc = ~crc;
    for (size_t i = 0; i < n; i++) {
        crc ^= p[i];
        for (int k = 0; k < 8; k++) {
            crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1)));
        }
    }
    return ~crc;
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

// The check of plot_png_check, with the file named as shown in the message.
static int png_check(const char *path, const char *shown)
{
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    char *data;
    size_t len;
    if (lab_read_file(path, &data, &len, 256u << 20) != 0) {
        return -1;
    }
    const unsigned char *p = (const unsigned char *)data;
    const char *why = NULL;
    size_t at = 8;
    long chunks = 0;
    if (len < 8 || memcmp(p, sig, 8) != 0) {
        why = "it does not start with the PNG signature";
    }
    while (!why) {
        if (len - at < 12) {
            why = "it ends inside a chunk header (truncated before IEND)";
            break;
        }
        uint32_t n = be32(p + at);
        const unsigned char *type = p + at + 4;
        if (n > 0x7fffffffu || len - at - 12 < n) {
            why = "a chunk runs past the end of the file (truncated before IEND)";
            break;
        }
        if (png_crc(type, 4 + (size_t)n, 0) != be32(type + 4 + n)) {
            why = "a chunk fails its CRC check";
            break;
        }
        if (chunks++ == 0 && memcmp(type, "IHDR", 4) != 0) {
            why = "its first chunk is not IHDR";
            break;
        }
        at += 12 + (size_t)n;
        if (memcmp(type, "IEND", 4) == 0) {
            break;
        }
    }
    free(data);
    if (why) {
        return lab_error_hint("a full disk or a failed write leaves a PNG cut short",
                              "'%s' is not a complete PNG: %s", shown, why);
    }
    return 0;
}

int plot_png_check(const char *path)
{
    return png_check(path, path);
}

int plot_render(const char *dir, const char *name, PlotOutput out)
{
    if (out != PLOT_PNG && out != PLOT_DUMB) {
        return 0;
    }
    char *gnuplot = find_in_path("gnuplot");
    if (!gnuplot) {
        note_gnuplot_missing(dir, name);
        return 0;
    }
    char *script = lab_asprintf("%s.gp", name);
    char *gp_path = lab_path_join(dir, script);
    char *png = lab_asprintf("%s.png", name);
    char *png_path = lab_path_join(dir, png);
    char *tmp = lab_asprintf("%s.png.tmp.%ld", name, (long)getpid());
    char *tmp_path = lab_path_join(dir, tmp);
    char *setting = NULL;
    char *err = NULL;
    int rc = -1;

    int slot = -1;
    if (out == PLOT_PNG) {
        // The script's `outfile` defaults to NAME.png; this run draws to a temporary name.
        setting = gp_assignment("outfile", tmp);
        slot = lab_tmp_register(tmp_path);
    } else {
        setting = lab_strdup("dumb=1");
    }
    int status = run_gnuplot(gnuplot, dir, setting, script, &err);
    if (status != 0) {
        fputs(err, stderr);
        if (status < 0) {
            lab_error("gnuplot could not render '%s'", gp_path);
        } else {
            lab_error("gnuplot could not render '%s' (exit status %d)", gp_path, status);
        }
        goto done;
    }
    if (out == PLOT_PNG) {
        struct stat st;
        if (stat(tmp_path, &st) != 0 || st.st_size == 0) {
            fputs(err, stderr);
            lab_error("gnuplot wrote no image for '%s'", gp_path);
            goto done;
        }
        // gnuplot exits 0 even when its write failed (a full disk): check the image whole
        if (png_check(tmp_path, png_path) != 0) {
            fputs(err, stderr);
            goto done;
        }
        if (rename(tmp_path, png_path) != 0) {
            lab_error("cannot write '%s': %s", png_path, strerror(errno));
            goto done;
        }
    } else {
        fputc('\n', stdout); // the dumb terminal leaves its last line open
        fflush(stdout);
    }
    rc = 0;
done:
    if (rc != 0 && out == PLOT_PNG) {
        unlink(tmp_path);
    }
    lab_tmp_unregister(slot);
    free(gnuplot);
    free(script);
    free(gp_path);
    free(png);
    free(png_path);
    free(tmp);
    free(tmp_path);
    free(setting);
    free(err);
    return rc;
}
