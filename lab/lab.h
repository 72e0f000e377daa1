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

// Standard normal draws by the Box-Muller transform in double: u1 = 1 - uniform (in (0, 1]),
// u2 = uniform, z = sqrt(-2 ln u1) cos(2 pi u2); two uniforms a draw, the sine half unused,
// so a draw depends on nothing but the stream. log, sqrt and cos come from the C library:
// the value can differ in its last bits between C libraries, never between runs.
double lab_rng_normal(LabRng *rng);

// The published jump of xoshiro256** (Blackman and Vigna): advances rng by 2^128 draws, so
// jumping j times from one seed gives 2^128 non-overlapping subsequences.
void lab_rng_jump(LabRng *rng);

// Random stream `stream` of a run seeded with seed (workers, threads, initialisation): the
// generator seeded with seed + stream * 0x9E3779B97F4A7C15 (stream 0 is lab_rng_seed(seed)).
// splitmix64 spreads neighbouring seeds into unrelated states; the streams do not overlap in
// any run that draws fewer than about 2^100 numbers (a birthday bound on 2^256 states). For
// a proof of non-overlap, seed once and lab_rng_jump per stream instead.
void lab_rng_stream(LabRng *out, uint64_t seed, uint64_t stream);

// --- string tables ------------------------------------------------------------------------
// Byte strings with dense ids 0..n-1 in the order they were added: vocabularies, term sets,
// word indexes. The bytes of every key lie back to back in one block, each followed by a NUL
// (so a key without NUL bytes is also a C string); an open-addressing hash table (linear
// probing, at most half full) finds them. The caller owns the struct: a zeroed struct (or
// lab_strtab_init) is an empty table; lab_strtab_free is safe on it. Pointers to keys stay
// valid until the next add, append or reserve (the block may move).
typedef struct {
    uint64_t hid;  // (hash & 0xFFFFFFFF) << 32 | id; all ones when the slot is empty
    uint64_t key;  // the key's first 7 bytes, and its length (up to 255) in the top byte
} LabStrSlot;

typedef struct {
    char *bytes;       // (nbytes) every key's bytes and a NUL, back to back
    size_t nbytes, capbytes;
    size_t *off;       // (n + 1) key i is bytes[off[i] .. off[i + 1] - 1), its NUL after it
    int32_t n, cap;
    LabStrSlot *slots; // (nslots)
    uint32_t nslots;   // 0, or a power of two at least twice the keys entered
} LabStrTab;

void lab_strtab_init(LabStrTab *t);
void lab_strtab_free(LabStrTab *t);
// A 64-bit hash of s[0..len): eight bytes a multiply, then a final avalanche.
uint64_t lab_strtab_hash(const char *s, size_t len);
int32_t lab_strtab_find(const LabStrTab *t, const char *s, size_t len); // -1 if absent
int32_t lab_strtab_add(LabStrTab *t, const char *s, size_t len);        // id, new or not
// lab_strtab_add when hash = lab_strtab_hash(s, len) is known (only its low 32 bits matter,
// so a value from lab_strtab_hashes will do).
int32_t lab_strtab_add_hashed(LabStrTab *t, const char *s, size_t len, uint64_t hash);
// Stores s as the next id without entering it in the hash: find never returns it, and adding
// the same bytes later gives a new id (reserved names such as a vocabulary's "<s>").
int32_t lab_strtab_append(LabStrTab *t, const char *s, size_t len);
// Room for n keys of nbytes bytes in all (NULs counted), so that filling up to that size
// neither rehashes nor moves the block.
void lab_strtab_reserve(LabStrTab *t, int32_t n, size_t nbytes);
// The low 32 bits of the hash of every key, by id (0 for appended keys): a new array of n + 1.
uint32_t *lab_strtab_hashes(const LabStrTab *t);

static inline const char *lab_strtab_key(const LabStrTab *t, int32_t id)
{
    return t->bytes + t->off[id];
}

static inline size_t lab_strtab_len(const LabStrTab *t, int32_t id)
{
    return t->off[id + 1] - t->off[id] - 1;
}

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
    LAB_OPT_STRING, // const char**; never "" when the metavar is NAME or has FILE or DIR
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

// List-valued options (--smoothings laplace,kn, --eps 0.1,1) go through these two, so every
// list refuses the same mistakes: an empty list, an empty item ("a,,b", "a,", ","), or more
// than max items is a usage error naming --opt (exit 2).
// lab_list_split returns the items in one block (free(items) releases them all), *n their count.
char **lab_list_split(const LabCommand *cmd, const char *opt, const char *val, int max, int *n);
// Numbers, each finite and greater than gt, into out[0..max); returns their count (>= 1).
int lab_list_numbers(const LabCommand *cmd, const char *opt, const char *val, double *out,
                     int max, double gt);
// The same rules without exiting, for lists read from a file: the count, or -1 with the
// problem in err (the list called name).
int lab_list_parse(const char *name, const char *val, double *out, int max, double gt, char *err,
                   size_t cap);

// After lab_args_parse: 1 if the option `name` of cmd was given on the command line, 0 if it
// kept its default. Lets a command refuse an option that does not apply to the mode chosen.
int lab_args_given(const LabCommand *cmd, const char *name);

// "Did you mean": the candidate closest to word by edit distance (insertions, deletions,
// substitutions and swaps of two neighbours each cost 1), or NULL when none is within
// max(1, strlen(word) / 3) edits. Candidates are compared case-sensitively; NULL entries
// are skipped.
const char *lab_closest(const char *word, const char *const *candidates, int n);

// --- command tables -----------------------------------------------------------------------
// `lmlab <family> <verb>` is dispatched from tables: one row a verb (or, at the top, a family
// pointing at its own table), so adding a family or a verb is a row. The same rows print the
// usage, list the verbs and suggest the nearest one for a typo.
typedef struct LabVerbs LabVerbs;

typedef struct {
    const char *name;                   // "train"
    int (*run)(int argc, char **argv);  // argv[0] is the verb; NULL when verbs is set
    const char *summary;                // one line; NULL for a family row (its verbs are listed)
    const LabVerbs *verbs;              // a family: its own table, dispatched on the next word
} LabVerb;

struct LabVerbs {
    const char *prog;    // "lmlab ngram"
    const char *what;    // "verb" or "command": the word of the usage and the messages
    const char *footer;  // lines printed after the list (ending in a newline), or NULL
    const LabVerb *rows; // ended by {0}
};

// Prints the usage of t to f: "usage: PROG <WHAT> [options]", then one line a verb ("ngram
// train" and so on for a family row, with the summaries of its table), then the footer.
void lab_verbs_usage(const LabVerbs *t, FILE *f);

// Runs the verb argv[1] of t with (argc - 1, argv + 1) and returns its status; a family row
// dispatches argv[2] in its own table. No verb prints the usage to stderr (status 2); --help,
// -h and help print it to stdout (status 0); an unknown verb is a usage error naming it, with
// "did you mean" when one is near (status 2).
int lab_dispatch(const LabVerbs *t, int argc, char **argv);

// --- files --------------------------------------------------------------------------------
// Reads a whole regular file or pipe. Fails (message naming the file, -1) when it is
// missing, a directory, a device or socket (/dev/zero would never end), unreadable, larger
// than max_bytes (0: LAB_READ_MAX, also the most ever read) or too big for memory. *data is
// NUL-terminated and owned by the caller.
#define LAB_READ_MAX ((size_t)2 << 30) // 2 GiB
int lab_read_file(const char *path, char **data, size_t *len, size_t max_bytes);

// Splits a NUL-terminated buffer into lines in place: returns the next line (its "\n"
// replaced by NUL, a trailing "\r" cut) and advances *cursor, or NULL at the end. Empty
// lines are returned too, so a caller's line count matches the file's.
char *lab_next_line(char **cursor);

// Creates dir and its parents (like mkdir -p). -1 with a message naming the directory, or
// saying it is empty.
int lab_mkdir_p(const char *dir);

// Joins a directory and a file name into a new string.
char *lab_path_join(const char *dir, const char *name);

// An atomic write: the data go to "<path>.tmp.<pid>", which replaces path only when
// lab_atomic_commit succeeds, so a reader never sees a half-written file.
// The temporary is removed when the process dies of SIGINT, SIGTERM or SIGHUP (see
// lab_tmp_register); one left by SIGKILL is removed by the next lab_run_dir on its directory.
typedef struct {
    FILE *f;
    char *path;
    char *tmp;
    int slot; // in the table of lab_tmp_register
} LabAtomic;

int lab_atomic_open(LabAtomic *a, const char *path);  // -1 with a message
int lab_atomic_commit(LabAtomic *a);                  // flush, check, rename; -1 with a message
void lab_atomic_abort(LabAtomic *a);                  // removes the temporary file; safe twice

// Temporaries this process is writing. A registered path is unlinked if the process is killed
// by SIGINT, SIGTERM or SIGHUP (a handler installed at the first registration, when the signal
// is at its default; it removes the files, then re-raises the signal so the exit status is
// the signal's). Returns the slot to unregister once the file is renamed or removed (-1 when
// the table of 64 is full: the file is then only not cleaned up).
int lab_tmp_register(const char *path);
void lab_tmp_unregister(int slot);

// Removes the files "NAME.tmp.PID" in dir whose process PID no longer exists (kill(PID, 0)
// fails with ESRCH): what a run killed by SIGKILL or a power cut left. Notes each one; returns
// how many were removed.
int lab_tmp_clean_stale(const char *dir);

// Opens a run directory for writing: lab_mkdir_p, then lab_tmp_clean_stale. -1 with a message.
int lab_run_dir(const char *dir);

// --- run configuration ------------------------------------------------------------------
// A run directory's `config`: "key = value" lines, one per option, so a run can be repeated
// and an evaluator can rebuild the tokenizer a model was trained with. Values are escaped on
// write and unescaped on read (docs/formats.md), so any string without a NUL byte survives.
typedef struct {
    char **key, **val;
    int *line; // line of each key in the file read; 0 when set by lab_config_set
    int n, cap;
} LabConfig;

void lab_config_set(LabConfig *c, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
const char *lab_config_get(const LabConfig *c, const char *key); // NULL if absent
int lab_config_line(const LabConfig *c, const char *key);        // 0 if absent or set
int lab_config_write(const LabConfig *c, const char *path);      // atomic; -1 with a message
int lab_config_read(LabConfig *c, const char *path);             // -1 with a message
void lab_config_free(LabConfig *c);

// The escaping of config values: "\\" "\n" "\t" "\r", and "\xHH" for the other control
// bytes and bytes that are not UTF-8. lab_config_unescape works in place and returns -1 on an
// unknown escape, a \x without two hex digits, or \x00.
void lab_config_escape(FILE *f, const char *s);
int lab_config_unescape(char *s);

// Reads the value of every option of opts present in c (the key is the option's name with
// '-' written '_': "min-count" is "min_count") with the option's kind and range into its
// destination, so a run's config is held to the same limits as the command line; a flag is
// "0" or "1", a string is taken as it is (it points into c). Absent keys keep the default.
// A bad value is reported as data, naming the file and line:
//   lmlab: 'runs/x/config' line 3: order must be between 1 and 6, got 99999999999
// and -1 is returned.
int lab_config_apply(const LabConfig *c, const char *path, const LabOpt *opts);

// Before a run writes into dir: 0 when dir holds no run `config`, when that config agrees
// with cfg on every key of cfg, or when force is set; otherwise -1 with a message naming the
// first key that differs and a hint naming --force and --out. Keys only in the old config
// (results such as a vocabulary size) are not compared.
int lab_config_check_run(const char *dir, const LabConfig *cfg, int force);

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
// A quoted, escaped JSON string that is always valid UTF-8: " \\ \n \t \r by name, other
// control bytes and DEL as \u00XX, each byte that is not UTF-8 as \ufffd (U+FFFD).
void lab_json_write_string(FILE *f, const char *s);

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

// --- runs ---------------------------------------------------------------------------------
// The run directory every family writes: `config` (every option), `log.tsv` (appended and
// flushed as training goes, so a run that dies keeps the rows written before), the model, the
// charts. A family's trainer opens the run, writes its config, logs rows, writes its files;
// its evaluator reads the config back and prints the report below.

// The columns every family's log.tsv begins with; a family adds its own after them.
#define LAB_LOG_COLUMNS "step\ttokens\ttrain_loss\tvalid_loss\tvalid_ppl\tlr\ttokens_per_s"

// What log.tsv writes for a value that was not measured (no valid split, no learning rate).
#define LAB_LOG_MISSING "-"

typedef struct {
    char *dir;          // the run directory
    const char *family; // "ngram", "word2vec"
    int created;        // 1 when lab_run_open made the directory
    FILE *log;          // log.tsv while open
    char *log_path;
    int log_extra;      // family columns after LAB_LOG_COLUMNS
} LabRun;

// The last component of path without its extension ("data/poem.txt" -> "poem", "" ->
// "custom"), made safe as a directory name (anything but letters, digits, '.', '_' and '-'
// becomes '_'): the start of a default run name for --train FILE. A new string.
char *lab_run_stem(const char *path);

// Opens dir for a new run of family with configuration cfg (which must hold "family"): an
// existing run of another family is refused (unless force), then one of another
// configuration (lab_config_check_run), then the directory is made and its stale temporaries
// removed (lab_run_dir). Nothing is written yet. -1 with a message; r is then zeroed.
int lab_run_open(LabRun *r, const char *dir, const char *family, const LabConfig *cfg,
                 int force);

// Writes cfg to DIR/config atomically. -1 with a message.
int lab_run_write_config(const LabRun *r, const LabConfig *cfg);

// Starts DIR/log.tsv afresh: the header LAB_LOG_COLUMNS, then extra_columns (tab-separated
// names, or NULL), flushed. Not atomic, by design: rows are appended as training goes.
// -1 with a message.
int lab_run_log_open(LabRun *r, const char *extra_columns);

// One row of log.tsv. A value that was not measured is NAN and is written LAB_LOG_MISSING;
// an infinite loss is written inf. valid_ppl is exp(valid_loss).
typedef struct {
    long long step;      // 1, 2, ..: an optimizer step, an epoch, a report
    long long tokens;    // tokens trained on so far
    double train_loss;   // nats/token
    double valid_loss;   // nats/token
    double lr;           // learning rate of the step
    double tokens_per_s; // training speed over the step
} LabLogRow;

// Appends row and the family's extra values (log_extra of them, %.9g each) to log.tsv and
// flushes it. -1 with a message (a full disk).
int lab_run_log(LabRun *r, const LabLogRow *row, const double *extra);

// Closes log.tsv (-1 with a message when the last write failed) and frees r; safe on a zeroed
// struct.
int lab_run_close(LabRun *r);

// After a failure: closes and removes what the run wrote (log.tsv, config) and the directory
// when lab_run_open made it and it is now empty, then frees r.
void lab_run_discard(LabRun *r);

// Reads DIR/config of a run that family wrote. what names the run for the messages ("an
// n-gram model"). A missing or unreadable config, or one of another family, is -1 with a
// message (hint: --model takes a run directory written by 'lmlab FAMILY train').
int lab_run_read_config(LabConfig *c, const char *dir, const char *family, const char *what);

// The evaluation report every family prints (`eval`, human-readable or --json). The JSON
// object holds, in this order: family, model, data, dataset, split, tokens, loss, ppl,
// bits_per_token, words, word_ppl, oov, zero_prob, seconds, tokens_per_s (null for a string
// that is NULL or a number that is not finite).
typedef struct {
    const char *family;    // "ngram"
    const char *model;     // the run directory or model file
    const char *data;      // the file scored
    const char *dataset;   // its dataset, when data is one of its splits; else NULL
    const char *split;     // the split, or NULL
    const char *zero_hint; // the human report's advice when a token has probability 0, or NULL
    LabLoss loss;          // what the evaluator summed
    long long lines;       // sequences of the text (for word ppl: see lab_word_ppl_meaningful)
    double seconds;        // the scoring time
} LabEvalReport;

void lab_eval_report(const LabEvalReport *r, int json);

// 1 when word-level perplexity means something for a text of `words` whitespace-separated
// words in `lines` sequences: some line holds two words or more (not names, not Chinese).
int lab_word_ppl_meaningful(long long words, long long lines);

// --- sampling -----------------------------------------------------------------------------
// One sampler for every family, over a probability vector. The order of operations follows
// common practice (llama2.c, Hugging Face): scale by 1/temperature, keep the k most likely
// tokens, keep the fewest whose probability reaches p, renormalise, draw by the inverse
// cumulative distribution, most likely first. Temperature 0 is greedy: the most likely token
// (the lowest id of a tie), and no random number is drawn.
typedef struct {
    double temperature; // 0: greedy; else > 0, below 1 sharpens, above 1 flattens
    long top_k;         // keep the k most likely (0: all)
    double top_p;       // keep the fewest whose mass reaches p (1: all)
} LabSampling;

// The sampling options of every `generate` command, as one option-table fragment over a
// LabSampling s (its fields hold the defaults: LAB_SAMPLING_DEFAULT). After parsing,
// lab_sampling_check refuses a temperature between 0 and 0.01 (usage error of cmd).
#define LAB_SAMPLING_DEFAULT {.temperature = 1.0, .top_k = 0, .top_p = 1.0}
#define LAB_SAMPLING_OPTS(s)                                                                   \
    {"temperature", LAB_OPT_DOUBLE, &(s).temperature, "T",                                     \
     "below 1 sharpens, above 1 flattens the distribution; 0 is greedy (the most likely "      \
     "token)",                                                                                 \
     0, 0, 100},                                                                               \
    {"top-k", LAB_OPT_INT, &(s).top_k, "K", "draw from the K most likely tokens (0: all)", 0,  \
     0, 1e9},                                                                                  \
    {"top-p", LAB_OPT_DOUBLE, &(s).top_p, "P",                                                 \
     "draw from the fewest tokens whose probability reaches P (1: all)", 0, 0.001, 1}
void lab_sampling_check(const LabCommand *cmd, const LabSampling *s);

// Filters probs[0..V) (unnormalised, >= 0) in place as s says: what is kept is renormalised
// to sum to 1, what is cut becomes 0. order_buf (V) receives the kept ids, most likely first
// (ties by id). Returns how many were kept: 0 when every probability is 0.
int32_t lab_sample_filter(double *probs, int32_t V, const LabSampling *s, int32_t *order_buf);

// Draws one of the n kept ids (from lab_sample_filter): order[0] when s is greedy, else by
// the inverse cumulative distribution of one uniform draw of rng. n > 0.
int32_t lab_sample_draw(const double *probs, const int32_t *order, int32_t n,
                        const LabSampling *s, LabRng *rng);

// --- quoting ------------------------------------------------------------------------------
// Writes a printable copy of s[0..len) into buf (cap bytes, NUL-terminated) and returns buf:
// valid UTF-8 is kept, control bytes (C0, DEL, C1) and bytes that are not UTF-8 become \xHH.
// When the copy does not fit it is cut at a character and ends in "...". For messages that
// quote a file name or a file's content:
//   char q[128];
//   lab_error("'%s' line %ld: bad token '%s'", path, ln, lab_quote(q, sizeof q, tok, n));
const char *lab_quote(char *buf, size_t cap, const char *s, size_t len);

// The length (1 to 4) of the valid UTF-8 sequence at the start of s[0..n), or 0 when s starts
// with a byte that is not UTF-8 there (overlong forms and surrogates are not), or n is 0.
int lab_utf8_seq(const unsigned char *s, size_t n);

#endif
