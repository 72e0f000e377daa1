// args.c: option parsing from a table, in the style of git: --name VALUE or --name=VALUE.
//
// A command's options live in one LabOpt table, so the parser, the range checks and the
// --help text all come from the same place and cannot drift apart.
#include "lab.h"

#include <assert.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *lab_choice_name(const char *choices, int i)
{
    static char buf[64];
    const char *s = choices;
    for (int k = 0; k < i && s; k++) {
        s = strchr(s, '|');
        if (s) {
            s++;
        }
    }
    if (!s) {
        return "?";
    }
    size_t n = strcspn(s, "|");
    if (n >= sizeof buf) {
        n = sizeof buf - 1;
    }
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

static int choice_index(const char *choices, const char *val)
{
    size_t len = strlen(val);
    int i = 0;
    for (const char *s = choices; s; i++) {
        size_t n = strcspn(s, "|");
        if (n == len && strncmp(s, val, n) == 0) {
            return i;
        }
        s = strchr(s, '|');
        if (s) {
            s++;
        }
    }
    return -1;
}

static void print_default(const LabOpt *o, FILE *f)
{
    switch (o->kind) {
    case LAB_OPT_FLAG:
        break;
    case LAB_OPT_INT:
        fprintf(f, " (default %ld)", *(long *)o->dest);
        break;
    case LAB_OPT_DOUBLE:
        fprintf(f, " (default %g)", *(double *)o->dest);
        break;
    case LAB_OPT_STRING:
        if (*(const char **)o->dest) {
            fprintf(f, " (default %s)", *(const char **)o->dest);
        }
        break;
    case LAB_OPT_CHOICE:
        fprintf(f, " (default %s)", lab_choice_name(o->choices, *(int *)o->dest));
        break;
    }
}

void lab_args_usage(const LabCommand *cmd, FILE *f)
{
    fprintf(f, "usage: %s\n", cmd->usage);
    if (cmd->summary) {
        fprintf(f, "\n%s\n", cmd->summary);
    }
    fprintf(f, "\noptions:\n");
    for (const LabOpt *o = cmd->opts; o && o->name; o++) {
        char left[96];
        if (o->kind == LAB_OPT_FLAG) {
            snprintf(left, sizeof left, "--%s", o->name);
        } else if (o->kind == LAB_OPT_CHOICE) {
            snprintf(left, sizeof left, "--%s %s", o->name, o->choices);
        } else {
            snprintf(left, sizeof left, "--%s %s", o->name, o->metavar ? o->metavar : "X");
        }
        if (strlen(left) > 26) {
            fprintf(f, "  %s\n  %-26s  ", left, "");
        } else {
            fprintf(f, "  %-26s  ", left);
        }
        fputs(o->help ? o->help : "", f);
        print_default(o, f);
        fputc('\n', f);
    }
    fprintf(f, "  %-26s  %s\n", "--help", "show this help and exit");
    if (cmd->epilog) {
        fprintf(f, "\n%s", cmd->epilog);
        size_t n = strlen(cmd->epilog);
        if (n && cmd->epilog[n - 1] != '\n') {
            fputc('\n', f);
        }
    }
}

void lab_usage_die(const LabCommand *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("lmlab: ", stderr);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    // the command's name: the usage line up to its first argument
    const char *opt = strstr(cmd->usage, " -");
    int n = (int)strcspn(cmd->usage, "[<(");
    if (opt && opt - cmd->usage < n) {
        n = (int)(opt - cmd->usage);
    }
    while (n > 0 && cmd->usage[n - 1] == ' ') {
        n--;
    }
    fprintf(stderr, "\nusage: %s\n  hint: '%.*s --help' lists every option\n", cmd->usage, n,
            cmd->usage);
    exit(2);
}

// --- did you mean -------------------------------------------------------------------------

// Damerau-Levenshtein distance (optimal string alignment) of a and b, at most 64 bytes each
// (longer words are never close to a command or option name: returns a large distance)
static int edit_distance(const char *a, const char *b)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 64 || m > 64) {
        return 1000;
    }
    int d[65][65];
    for (size_t i = 0; i <= n; i++) {
        d[i][0] = (int)i;
    }
    for (size_t j = 0; j <= m; j++) {
        d[0][j] = (int)j;
    }
    for (size_t i = 1; i <= n; i++) {
        for (size_t j = 1; j <= m; j++) {
            int cost = a[i - 1] != b[j - 1];
            int best = d[i - 1][j - 1] + cost;
            if (d[i - 1][j] + 1 < best) {
                best = d[i - 1][j] + 1;
            }
            if (d[i][j - 1] + 1 < best) {
                best = d[i][j - 1] + 1;
            }
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best) {
                best = d[i - 2][j - 2] + 1; // two neighbours swapped: "trian" for "train"
            }
            d[i][j] = best;
        }
    }
    return d[n][m];
}

const char *lab_closest(const char *word, const char *const *candidates, int n)
{
    int limit = (int)strlen(word) / 3;
    if (limit < 1) {
        limit = 1;
    }
    const char *best = NULL;
    int best_d = limit + 1;
    for (int i = 0; i < n; i++) {
        if (!candidates[i]) {
            continue;
        }
        int d = edit_distance(word, candidates[i]);
        if (d < best_d) {
            best_d = d;
            best = candidates[i];
        }
    }
    return best;
}

// --- parsing ------------------------------------------------------------------------------

// The destinations of the options given in the last lab_args_parse (a program parses one
// command line; the table is small)
#define MAX_GIVEN 64
static const void *given_dest[MAX_GIVEN];
static int ngiven;

int lab_args_given(const LabCommand *cmd, const char *name)
{
    for (const LabOpt *o = cmd->opts; o && o->name; o++) {
        if (strcmp(o->name, name) == 0) {
            for (int i = 0; i < ngiven; i++) {
                if (given_dest[i] == o->dest) {
                    return 1;
                }
            }
            return 0;
        }
    }
    assert(!"lab_args_given: no such option in the table");
    return 0;
}

static void mark_given(const LabOpt *o)
{
    for (int i = 0; i < ngiven; i++) {
        if (given_dest[i] == o->dest) {
            return;
        }
    }
    if (ngiven < MAX_GIVEN) {
        given_dest[ngiven++] = o->dest;
    }
}

// "unknown option '--oder'" and, when an option is one or two typos away, its name
static void unknown_option(const LabCommand *cmd, const char *name, size_t len)
{
    char word[72];
    snprintf(word, sizeof word, "%.*s", len > 64 ? 64 : (int)len, name);
    const char *names[MAX_GIVEN + 8];
    int n = 0;
    for (const LabOpt *o = cmd->opts; o && o->name && n < MAX_GIVEN; o++) {
        names[n++] = o->name;
    }
    names[n++] = "help";
    const char *near = lab_closest(word, names, n);
    if (near) {
        lab_usage_die(cmd, "unknown option '--%.*s' (did you mean '--%s'?)", (int)len, name,
                      near);
    }
    lab_usage_die(cmd, "unknown option '--%.*s'", (int)len, name);
}

static const LabOpt *find(const LabCommand *cmd, const char *name, size_t len)
{
    for (const LabOpt *o = cmd->opts; o && o->name; o++) {
        if (strlen(o->name) == len && strncmp(o->name, name, len) == 0) {
            return o;
        }
    }
    return NULL;
}

// Parses val for option o into its destination. On a bad value writes the problem into err
// (naming the option as name: "--order" on the command line, "order" in a config) and
// returns -1, leaving the destination as it was.
static int parse_value(const LabOpt *o, const char *val, const char *name, char *err,
                       size_t cap)
{
    char *end = NULL;
    char q[64];
    const char *shown = lab_quote(q, sizeof q, val ? val : "", val ? strlen(val) : 0);
    switch (o->kind) {
    case LAB_OPT_FLAG:
        if (val && strcmp(val, "0") != 0 && strcmp(val, "1") != 0) {
            snprintf(err, cap, "%s is 0 or 1, got '%s'", name, shown);
            return -1;
        }
        *(int *)o->dest = !val || strcmp(val, "1") == 0;
        return 0;
    case LAB_OPT_INT: {
        errno = 0;
        long v = strtol(val, &end, 10);
        if (*val == '\0' || *end != '\0' || errno) {
            snprintf(err, cap, "%s expects a whole number, got '%s'", name, shown);
            return -1;
        }
        if (o->min < o->max && (v < o->min || v > o->max)) {
            snprintf(err, cap, "%s must be between %ld and %ld, got %ld", name, (long)o->min,
                     (long)o->max, v);
            return -1;
        }
        *(long *)o->dest = v;
        return 0;
    }
    case LAB_OPT_DOUBLE: {
        errno = 0;
        double v = strtod(val, &end);
        if (*val == '\0' || *end != '\0' || errno || !isfinite(v)) {
            snprintf(err, cap, "%s expects a number, got '%s'", name, shown);
            return -1;
        }
        if (o->min < o->max && (v < o->min || v > o->max)) {
            snprintf(err, cap, "%s must be between %g and %g, got %g", name,
                     o->min, o->max, v);
            return -1;
        }
        *(double *)o->dest = v;
        return 0;
    }
    case LAB_OPT_STRING:
        *(const char **)o->dest = val;
        return 0;
    case LAB_OPT_CHOICE: {
        int i = choice_index(o->choices, val);
        if (i < 0) {
            snprintf(err, cap, "unknown value '%s' for %s (choose one of %s)", shown, name,
                     o->choices);
            return -1;
        }
        *(int *)o->dest = i;
        return 0;
    }
    }
    return 0;
}

static void set_value(const LabCommand *cmd, const LabOpt *o, const char *val)
{
    // an empty path would reach mkdir, open or a path join as "" (or "/name")
    if (o->kind == LAB_OPT_STRING && *val == '\0' && o->metavar &&
        (strstr(o->metavar, "FILE") || strstr(o->metavar, "DIR") ||
         strcmp(o->metavar, "NAME") == 0)) {
        lab_usage_die(cmd, "--%s needs a %s, got an empty string", o->name,
                      strstr(o->metavar, "FILE") ? "file name"
                      : strstr(o->metavar, "DIR") ? "directory name" : "name");
    }
    char err[256], name[80];
    snprintf(name, sizeof name, "--%s", o->name);
    if (parse_value(o, o->kind == LAB_OPT_FLAG ? NULL : val, name, err, sizeof err) != 0) {
        lab_usage_die(cmd, "%s", err);
    }
}

int lab_config_apply(const LabConfig *c, const char *path, const LabOpt *opts)
{
    for (const LabOpt *o = opts; o && o->name; o++) {
        char key[64];
        snprintf(key, sizeof key, "%s", o->name);
        for (char *k = key; *k; k++) {
            *k = *k == '-' ? '_' : *k;
        }
        const char *val = lab_config_get(c, key);
        char err[256];
        if (val && parse_value(o, val, key, err, sizeof err) != 0) {
            char q[512];
            return lab_error_hint("the file was edited or damaged: train the run again",
                                  "'%s' line %d: %s", lab_quote(q, sizeof q, path, strlen(path)),
                                  lab_config_line(c, key), err);
        }
    }
    return 0;
}

void lab_args_parse(const LabCommand *cmd, int argc, char **argv, char **pos, int *npos)
{
    int np = 0;
    int only_pos = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0' || (a[1] != '-' && !(a[1] == 'h' && !a[2]))) {
            if (a[0] == '-' && a[1] != '\0' && a[1] != '-' && !only_pos) {
                lab_usage_die(cmd, "unknown option '%s' (options are spelled --name)", a);
            }
            if (np >= cmd->max_pos) {
                lab_usage_die(cmd, "unexpected argument '%s'", a);
            }
            pos[np++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = 1;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            lab_args_usage(cmd, stdout);
            exit(0);
        }
        const char *name = a + 2;
        const char *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        const LabOpt *o = find(cmd, name, len);
        if (!o) {
            unknown_option(cmd, name, len);
        }
        const char *val = NULL;
        if (o->kind == LAB_OPT_FLAG) {
            if (eq) {
                lab_usage_die(cmd, "--%s takes no value", o->name);
            }
        } else if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            lab_usage_die(cmd, "--%s needs a value", o->name);
        }
        set_value(cmd, o, val);
        mark_given(o);
    }
    if (np < cmd->min_pos) {
        lab_usage_die(cmd, "missing argument (expected %d, got %d)", cmd->min_pos, np);
    }
    if (npos) {
        *npos = np;
    }
}

// --- list-valued options --------------------------------------------------------------------

char **lab_list_split(const LabCommand *cmd, const char *opt, const char *val, int max, int *n)
{
    size_t len = strlen(val);
    int count = 1;
    for (const char *c = val; *c; c++) {
        count += *c == ',';
    }
    if (len == 0) {
        lab_usage_die(cmd, "--%s needs at least one item, got an empty list", opt);
    }
    if (count > max) {
        lab_usage_die(cmd, "--%s takes at most %d items, got %d", opt, max, count);
    }
    // the pointers, then a copy of val whose commas become NULs
    char **items = lab_malloc((size_t)count * sizeof *items + len + 1);
    char *copy = (char *)(items + count);
    memcpy(copy, val, len + 1);
    int k = 0;
    for (char *p = copy;; p++) {
        char *end = p + strcspn(p, ",");
        if (end == p) {
            free(items);
            lab_usage_die(cmd, "--%s has an empty item in '%s' (items are separated by single "
                          "commas)", opt, val);
        }
        items[k++] = p;
        if (*end == '\0') {
            break;
        }
        *end = '\0';
        p = end;
    }
    *n = k;
    return items;
}

int lab_list_parse(const char *name, const char *val, double *out, int max, double gt, char *err,
                   size_t cap)
{
    char q[64];
    int n = 0;
    const char *p = val;
    for (;;) {
        size_t len = strcspn(p, ",");
        if (len == 0) {
            snprintf(err, cap, "%s has an empty item in '%s' (items are separated by single "
                     "commas)", name, lab_quote(q, sizeof q, val, strlen(val)));
            return -1;
        }
        if (n == max) {
            snprintf(err, cap, "%s takes at most %d items", name, max);
            return -1;
        }
        char item[64];
        snprintf(item, sizeof item, "%.*s", (int)(len < 63 ? len : 63), p);
        char *end;
        errno = 0;
        double v = strtod(item, &end);
        if (len > 63 || *end != '\0' || errno || !isfinite(v)) {
            snprintf(err, cap, "%s expects numbers separated by commas, got '%s'", name,
                     lab_quote(q, sizeof q, p, len));
            return -1;
        }
        if (!(v > gt)) {
            snprintf(err, cap, "%s: every value must be greater than %g, got %g", name, gt, v);
            return -1;
        }
        out[n++] = v;
        p += len;
        if (*p == '\0') {
            return n;
        }
        p++;
    }
}

int lab_list_numbers(const LabCommand *cmd, const char *opt, const char *val, double *out,
                     int max, double gt)
{
    if (*val == '\0') {
        lab_usage_die(cmd, "--%s needs at least one item, got an empty list", opt);
    }
    char name[64], err[256];
    snprintf(name, sizeof name, "--%s", opt);
    int n = lab_list_parse(name, val, out, max, gt, err, sizeof err);
    if (n < 0) {
        lab_usage_die(cmd, "%s", err);
    }
    return n;
}

// --- command tables -----------------------------------------------------------------------------

// the longest "name" or "family verb" a listing of t shows
static int listed_width(const LabVerbs *t)
{
    int w = 0;
    for (const LabVerb *v = t->rows; v->name; v++) {
        if (v->verbs) {
            for (const LabVerb *s = v->verbs->rows; s->name; s++) {
                int n = (int)(strlen(v->name) + 1 + strlen(s->name));
                w = n > w ? n : w;
            }
        } else {
            int n = (int)strlen(v->name);
            w = n > w ? n : w;
        }
    }
    return w;
}

void lab_verbs_usage(const LabVerbs *t, FILE *f)
{
    // names padded to one column: at least 10 wide, and one space past the longest
    int w = listed_width(t) + 1;
    w = w < 10 ? 10 : w;
    fprintf(f, "usage: %s <%s> [options]\n\n%ss:\n", t->prog, t->what, t->what);
    for (const LabVerb *v = t->rows; v->name; v++) {
        if (!v->verbs) {
            fprintf(f, "  %-*s %s\n", w, v->name, v->summary);
            continue;
        }
        for (const LabVerb *s = v->verbs->rows; s->name; s++) {
            char both[128];
            snprintf(both, sizeof both, "%s %s", v->name, s->name);
            fprintf(f, "  %-*s %s\n", w, both, s->summary);
        }
    }
    if (t->footer) {
        fprintf(f, "\n%s", t->footer);
    }
}

int lab_dispatch(const LabVerbs *t, int argc, char **argv)
{
    if (argc < 2) {
        lab_verbs_usage(t, stderr);
        return 2;
    }
    const char *word = argv[1];
    if (strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0 || strcmp(word, "help") == 0) {
        lab_verbs_usage(t, stdout);
        return 0;
    }
    int n = 0;
    for (const LabVerb *v = t->rows; v->name; v++, n++) {
        if (strcmp(word, v->name) == 0) {
            return v->verbs ? lab_dispatch(v->verbs, argc - 1, argv + 1)
                            : v->run(argc - 1, argv + 1);
        }
    }
    const char **names = lab_malloc((size_t)(n + 1) * sizeof *names);
    for (int i = 0; i < n; i++) {
        names[i] = t->rows[i].name;
    }
    names[n] = "help";
    const char *near = lab_closest(word, names, n + 1);
    // "lmlab ngram" -> "ngram ": the verb is named with its family
    const char *family = strchr(t->prog, ' ') ? strchr(t->prog, ' ') + 1 : "";
    fprintf(stderr, "lmlab: unknown %s '%s%s%s'\n", t->what, family, *family ? " " : "", word);
    if (near) {
        fprintf(stderr, "  hint: did you mean '%s %s'?\n", t->prog, near);
    }
    free(names);
    lab_verbs_usage(t, stderr);
    return 2;
}
