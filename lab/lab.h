// lab.h: the runtime every lmlab module shares.
//
// Messages and errors, checked allocation, a seeded RNG that gives the same stream on every
// machine, timers, a progress bar, command-line option parsing, atomic file writes, JSON
// output and perplexity arithmetic. It knows no model family and uses libc only.
#ifndef LAB_H
#define LAB_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

// --- messages and errors ------------------------------------------------------------------
// Every message goes to stderr as "lmlab: <message>" and, when a hint is given, a second line
// "  hint: <hint>". Messages are lowercase, quote their subject and end without a period.

// Prints the message and exits with status 1. hint may be NULL.
__attribute__((noreturn, format(printf, 2, 3)))
void lab_die(const char *hint, const char *fmt, ...);

// Prints the message and returns -1, so library code can write `return lab_error(...)`.
__attribute__((format(printf, 1, 2)))
int lab_error(const char *fmt, ...);

// Like lab_error, with a hint line.
__attribute__((format(printf, 2, 3)))
int lab_error_hint(const char *hint, const char *fmt, ...);

// Prints "lmlab: note: ..." (a diagnostic that is not an error). Silenced by lab_quiet.
__attribute__((format(printf, 1, 2)))
void lab_note(const char *fmt, ...);

extern int lab_quiet; // 1: lab_note prints nothing (tests, --quiet)

// --- checked allocation -------------------------------------------------------------------
// These never return NULL: on exhaustion they print what was asked for and exit 1.
void *lab_malloc(size_t size);
void *lab_calloc(size_t count, size_t size);
void *lab_realloc(void *ptr, size_t size);
char *lab_strdup(const char *s);
char *lab_strndup(const char *s, size_t n);
__attribute__((format(printf, 1, 2)))
char *lab_asprintf(const char *fmt, ...);

// --- random numbers -----------------------------------------------------------------------
// xoshiro256** seeded through splitmix64: the same seed gives the same stream on every
// machine and compiler, since only 64-bit integer arithmetic is involved.
typedef struct {
    uint64_t s[4];
} LabRng;

void lab_rng_seed(LabRng *rng, uint64_t seed);
uint64_t lab_rng_u64(LabRng *rng);
double lab_rng_uniform(LabRng *rng);              // [0, 1), 53 random bits
uint64_t lab_rng_below(LabRng *rng, uint64_t n);  // uniform in [0, n), n > 0, unbiased

// --- time ---------------------------------------------------------------------------------
double lab_now(void); // monotonic seconds

// --- progress bar -------------------------------------------------------------------------
// Drawn on stderr only when stderr is a terminal, at most ten times a second:
//   train [#######.....]  7/12  loss 2.3412  51.2K tok/s  ETA 3s
typedef struct {
    const char *label;
    long long total;   // steps expected (0: unknown, no ETA)
    double start;      // lab_now() at start
    double last_draw;  // lab_now() at the last redraw
    int enabled;       // stderr is a terminal
} LabProgress;

void lab_progress_start(LabProgress *p, const char *label, long long total);
// loss < 0 is not shown; tokens is the running total processed so far
void lab_progress_update(LabProgress *p, long long step, double loss, long long tokens);
void lab_progress_end(LabProgress *p);

// --- command-line options -----------------------------------------------------------------
// A command lists its options in a table ended by {0}. The destination holds the default
// before parsing; --help prints the usage with every option and that default.
typedef enum {
    LAB_OPT_FLAG,   // int*: set to 1
    LAB_OPT_INT,    // long*: within [min, max] when min < max
    LAB_OPT_DOUBLE, // double*: within [min, max] when min < max
    LAB_OPT_STRING, // const char**
    LAB_OPT_CHOICE, // int*: index in choices, a '|'-separated list
} LabOptKind;

typedef struct {
    const char *name;    // long name without dashes: "order" is given as --order
    LabOptKind kind;
    void *dest;
    const char *metavar; // "N", "FILE" (ignored for flags and choices)
    const char *help;
    const char *choices; // LAB_OPT_CHOICE: "mle|laplace|addk"
    double min, max;     // inclusive range for numbers, checked when min < max
} LabOpt;

typedef struct {
    const char *usage;   // "lmlab ngram train [options]"
    const char *summary; // one line on what the command does
    const LabOpt *opts;
    const char *epilog;  // examples, or NULL
    int min_pos, max_pos; // positional arguments allowed
} LabCommand;

// Parses argv[1..argc) against cmd. Positional arguments are moved to pos (caller's array of
// at least max_pos entries) and counted in *npos (may be NULL when max_pos is 0).
// --help prints the usage to stdout and exits 0; an unknown option, a missing or malformed
// value, a number out of range or a wrong count of positionals prints the problem and the
// usage to stderr and exits 2.
void lab_args_parse(const LabCommand *cmd, int argc, char **argv, char **pos, int *npos);

// Prints the usage of cmd to f.
void lab_args_usage(const LabCommand *cmd, FILE *f);

// Reports a usage problem found after parsing (for example two options that exclude each
// other) with the command's usage line, then exits 2.
__attribute__((noreturn, format(printf, 2, 3)))
void lab_usage_die(const LabCommand *cmd, const char *fmt, ...);

// Returns the name of choice i in a '|'-separated list, in a static buffer.
const char *lab_choice_name(const char *choices, int i);

// --- files --------------------------------------------------------------------------------
// Reads a whole regular file. Fails (message naming the file, -1) when it is missing, a
// directory, unreadable, or larger than max_bytes (0: no limit). *data is NUL-terminated
// and owned by the caller.
int lab_read_file(const char *path, char **data, size_t *len, size_t max_bytes);

// Splits a NUL-terminated buffer into lines in place: returns the next line (its "\n"
// replaced by NUL, a trailing "\r" cut) and advances *cursor, or NULL at the end. Empty
// lines are returned too, so a caller's line count matches the file's.
char *lab_next_line(char **cursor);

// Creates dir and its parents (like mkdir -p). -1 with a message naming the directory.
int lab_mkdir_p(const char *dir);

// Joins a directory and a file name into a new string.
char *lab_path_join(const char *dir, const char *name);

// An atomic write: the data go to "<path>.tmp.<pid>", which replaces path only when
// lab_atomic_commit succeeds, so a reader never sees a half-written file.
typedef struct {
    FILE *f;
    char *path;
    char *tmp;
} LabAtomic;

int lab_atomic_open(LabAtomic *a, const char *path);  // -1 with a message
int lab_atomic_commit(LabAtomic *a);                  // flush, check, rename; -1 with a message
void lab_atomic_abort(LabAtomic *a);                  // removes the temporary file; safe twice

// --- run configuration ------------------------------------------------------------------
// A run directory's `config`: "key = value" lines, one per option, so a run can be repeated
// and an evaluator can rebuild the tokenizer a model was trained with.
typedef struct {
    char **key, **val;
    int n, cap;
} LabConfig;

void lab_config_set(LabConfig *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *lab_config_get(const LabConfig *c, const char *key); // NULL if absent
int lab_config_write(const LabConfig *c, const char *path);      // atomic; -1 with a message
int lab_config_read(LabConfig *c, const char *path);             // -1 with a message
void lab_config_free(LabConfig *c);

// --- JSON output --------------------------------------------------------------------------
// One flat object on one line: {"family": "ngram", "ppl": 8.12}. Non-finite numbers are
// written as null (JSON has no infinity).
typedef struct {
    FILE *f;
    int n; // members written so far
} LabJson;

void lab_json_begin(LabJson *j, FILE *f);
void lab_json_str(LabJson *j, const char *key, const char *val);
void lab_json_num(LabJson *j, const char *key, double val);
void lab_json_int(LabJson *j, const char *key, long long val);
void lab_json_end(LabJson *j);
void lab_json_write_string(FILE *f, const char *s); // a quoted, escaped JSON string

// --- perplexity arithmetic ----------------------------------------------------------------
// An evaluator adds the natural log-probability of each scored token. A token of probability
// zero makes the loss infinite; it is counted so the report can say how many there were.
typedef struct {
    double nats;          // sum of -ln p over scored tokens with p > 0
    long long tokens;     // tokens scored (including those with p == 0)
    long long zero;       // tokens with p == 0
    long long words;      // whitespace-separated words in the evaluated text
    long long oov;        // tokens outside the model's vocabulary
} LabLoss;

void lab_loss_add(LabLoss *l, double logp); // logp = ln p; -INFINITY for p == 0
double lab_loss_mean(const LabLoss *l);      // nats per token; INFINITY if any p == 0
double lab_ppl(double loss);                 // exp(loss)
double lab_bits(double loss);                // loss / ln 2
double lab_word_ppl(const LabLoss *l);       // exp(total nats / words)

// --- quoting
// Writes into buf (cap bytes, cap >= 8) a printable copy of s[0..len) for a message that
// quotes file content: valid UTF-8 above U+009F and printable ASCII as they are; a backslash as
// \\; tab, newline and return as \t \n \r; other control bytes, DEL, C1 controls and every
// byte of invalid UTF-8 as \xHH. A copy that does not fit ends in "...". Returns buf.
const char *lab_quote(char *buf, size_t cap, const char *s, size_t len);

#endif
