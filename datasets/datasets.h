// datasets.h: the text pipeline every model family reads through.
//
//   corpus file --text_read--> UTF-8 text --Tokenizer--> token strings --Vocab--> ids
//
// A dataset NAME is the folder datasets/NAME/ with train.txt, valid.txt and test.txt. The text
// is UTF-8; a char tokenizer splits it into code points (so Chinese works), a word tokenizer
// into the matches of a PCRE2 regular expression. A Vocab gives every token type an id; the
// first three ids are reserved for <s>, </s> and <unk>. A BPE tokenizer (bpe.c) encodes the text
// into byte-level BPE tokens, each spelled as a printable string by GPT-2's byte-to-unicode
// map (bpe_text.c), and those strings are the vocabulary's tokens like any other.
#ifndef DATASETS_H
#define DATASETS_H

#include <stddef.h>
#include <stdint.h>

#include "lab/lab.h"

// --- UTF-8 --------------------------------------------------------------------------------
typedef enum { UTF8_STRICT, UTF8_REPLACE } Utf8Mode;

// Decodes one code point from s[0..n). Returns its length in bytes (1..4) and stores it in
// *cp, or returns -1 for an invalid sequence (overlong, surrogate, > U+10FFFF, truncated).
int utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

// Encodes cp into out (4 bytes at most); returns the length.
int utf8_encode(uint32_t cp, char *out);

// Reads a text file whole. Fails with a message naming the file when it is missing, a
// directory, empty, binary (a NUL byte) or, under UTF8_STRICT, not valid UTF-8 (the message
// gives the byte offset and line). Under UTF8_REPLACE each invalid sequence becomes U+FFFD.
// A leading byte-order mark is dropped and CRLF line ends read as LF. *text is
// NUL-terminated, owned by the caller.
int text_read(const char *path, Utf8Mode mode, char **text, size_t *len);

// A text file read in pieces of whole lines (textpieces.c), so that a corpus larger than
// memory can be tokenized a piece at a time: each piece is what text_read would give for
// those lines, and the pieces one after the other are the whole text.
typedef struct {
    int fd;
    char *path;
    Utf8Mode mode;
    char *buf;        // (cap + 1) raw bytes read; buf[0..used) is the piece last returned
    char *out;        // (cap + 1, 3 cap + 1 to replace) the piece as text_read gives it
    size_t cap, len, used;
    long long offset; // file offset of buf[0]
    long long line;   // line number of buf[0]
    int eof;
    const char *hint; // the hint under "line N is longer than ..." (set after open)
} TextPieces;

// Opens a regular file for pieces of at most piece_bytes raw bytes. -1 with a message naming
// the file when it is missing, a directory, not a regular file (a pipe cannot be read twice)
// or empty; tp is then safe to close.
int text_pieces_open(TextPieces *tp, const char *path, Utf8Mode mode, size_t piece_bytes);
// The next piece in *text (valid until the next call), *len bytes: 1, or 0 at the end of the
// file, or -1 with a message naming the file: a NUL byte, invalid UTF-8 under UTF8_STRICT
// (offset and line from the start of the file), a line longer than piece_bytes, a read error.
int text_pieces_next(TextPieces *tp, const char **text, size_t *len);
void text_pieces_close(TextPieces *tp); // safe on a zeroed struct after a failed open

// Counts whitespace-separated words in s[0..n) (ASCII and Unicode spaces).
long long text_count_words(const char *s, size_t n);

// --- datasets (dataset.c) -------------------------------------------------------------------
// The shipped datasets, in the order usages list them: the one list every command names.
#define DATASET_COUNT 4
extern const char *const DATASET_NAMES[DATASET_COUNT];

// "names, tinyshakespeare, timemachine, tangpoems" (a static string)
const char *dataset_list(void);

// 1 when name can name a dataset: not empty, no '/', not "." or "..", so it never leads out
// of datasets/ (a run's config is checked with it too).
int dataset_name_ok(const char *name);

// Resolves "datasets/NAME/SPLIT.txt" under the lab's root (the directory holding the
// program's datasets/, or $LMLAB_ROOT). Returns a new string; -1 style errors are the
// caller's when the file does not exist.
char *dataset_path(const char *name, const char *split);

// dataset_path for a command-line --dataset, every check in one place, each a usage error of
// cmd (exit 2): a name that is a path ("; a path goes to --PATH_OPT" when path_opt is not
// NULL), an unknown dataset (with "did you mean", or the list of shipped ones), a missing
// split. Returns a new string.
char *dataset_resolve(const LabCommand *cmd, const char *name, const char *split,
                      const char *path_opt);

// --- tokenizers ---------------------------------------------------------------------------
typedef enum { TOK_CHAR, TOK_WORD, TOK_BPE } TokKind;

struct Bpe;

// The default word pattern: one Han character, or a run of letters, digits and marks (with
// inner apostrophes: don't), or one punctuation mark or symbol. Whitespace is dropped.
#define TOK_DEFAULT_PATTERN TOK_WORDS_PATTERN "|[\\p{P}\\p{S}]"

// The default pattern without its punctuation alternative (tfidf's default, where a mark is no
// term): one Han character, or a run of letters, digits and marks with inner apostrophes.
#define TOK_WORDS_PATTERN                                                                     \
    "\\p{Han}|[^\\s\\p{Han}\\p{P}\\p{S}]+(?:['\\x{2019}][^\\s\\p{Han}\\p{P}\\p{S}]+)*"

// Patterns tok_split matches by hand on pure-ASCII text, recognised by their exact text;
// each yields exactly the tokens PCRE2 yields (tests compare every token of the shipped
// corpora and of random text). Any other pattern, and text with a byte >= 0x80, goes to PCRE2.
typedef enum {
    TOK_FAST_NONE,
    TOK_FAST_DEFAULT, // TOK_DEFAULT_PATTERN: word runs with inner ', and single marks
    TOK_FAST_WORDS,   // TOK_WORDS_PATTERN: the same without the marks
    TOK_FAST_W2,      // \b\w\w+\b (scikit-learn's token_pattern): runs of 2+ [A-Za-z0-9_]
} TokFast;

typedef struct {
    TokKind kind;
    char *pattern;   // TOK_WORD: the regex (owned)
    int lowercase;   // fold case before splitting (Unicode, via towlower)
    void *re;        // pcre2_code_8 * (TOK_WORD)
    void *re_ascii;  // the same pattern without PCRE2_UCP, for pure-ASCII text (see tok_split)
    void *md;        // pcre2_match_data_8 *
    char *buf;       // scratch for the lowercased text
    size_t cap;
    int jit;         // 1: both codes are JIT-compiled (pcre2_jit_match is safe to call)
    int fast;        // TokFast: a hand-written matcher that replaces PCRE2 on pure-ASCII
                     // text (tok_init sets it by the pattern's text; 0 forces PCRE2)
    struct Bpe *bpe; // TOK_BPE: the merges (owned); untrained while bpe_pending is not 0
    int32_t bpe_pending; // TOK_BPE: vocabulary size to train on the first corpus built, or 0
    int bpe_split;   // TOK_BPE: the BpeSplit bpe_pending will train with
    char *bstr;      // TOK_BPE: every token's printable string (bpe_token_string), back to back
    uint32_t *boff;  // TOK_BPE: (bpe->n + 1) token id is bstr[boff[id] .. boff[id + 1])
} Tokenizer;

// pattern NULL means TOK_DEFAULT_PATTERN. A pattern that does not compile fails with PCRE2's
// message and the offset of the problem; a pattern that can match the empty string fails too.
int tok_init(Tokenizer *t, TokKind kind, const char *pattern, int lowercase);
void tok_free(Tokenizer *t);

// Calls fn once per token of s[0..n), in order. The token bytes are valid only during the
// call. TOK_BPE yields the printable strings of the BPE tokens of s (bpe_token_string).
// Returns 0, or -1 if the regex engine fails (message given).
typedef void (*TokFn)(const char *tok, size_t len, void *ctx);
int tok_split(Tokenizer *t, const char *s, size_t n, TokFn fn, void *ctx);

// Token strings in files (vocab.txt, ARPA) cannot hold whitespace, so a token is escaped:
// "\\" backslash, "\s" space, "\t" tab, "\n" newline, "\r" return, "\xHH" other control
// bytes, and a leading "\" before a token that would read as <s>, </s> or <unk>.
// tok_escape returns a new string; tok_unescape works in place and returns the new length.
char *tok_escape(const char *tok, size_t len);
size_t tok_unescape(char *s);

// --- vocabulary ---------------------------------------------------------------------------
enum { TOK_BOS = 0, TOK_EOS = 1, TOK_UNK = 2, TOK_FIRST = 3 };

typedef struct {
    char **str;         // (n) token strings, raw bytes, NUL-terminated; str[0] = "<s>", ...
                        // (they point into tab: valid until the next vocab_add)
    uint32_t *len;      // (n) byte lengths
    long long *count;   // (n) training counts (0 for the reserved ids unless counted)
    int32_t n;          // types, including the three reserved ones
    int32_t cap;
    LabStrTab tab;      // the strings; its ids are the vocabulary's (the reserved ones
                        // appended, so find never returns them)
    const struct Bpe *bpe; // built over a BPE tokenizer: its merges (borrowed from the
                        // Tokenizer, which must outlive vocab_save), else NULL
} Vocab;

void vocab_init(Vocab *v);              // just the three reserved ids
void vocab_free(Vocab *v);
int32_t vocab_find(const Vocab *v, const char *s, size_t len); // -1 if absent
int32_t vocab_add(Vocab *v, const char *s, size_t len);        // id, new or existing

// The ids of a prompt as t splits it: a token outside v reads as <unk>, and a note says how
// many did. *ids (the caller frees it; NULL when text holds no token) and *n are set. -1 when
// the tokenizer fails (its message printed).
int vocab_encode_prompt(const Vocab *v, Tokenizer *t, const char *text, int32_t **ids, long *n);

// Keeps the types counted at least min_count times, ordered by count (descending), then by
// bytes; the rest will read as <unk>. Reserved ids stay in front.
void vocab_prune_sort(Vocab *v, long long min_count);
// The same, returning the map old id -> new id (pruned types -> TOK_UNK); caller frees it.
int32_t *vocab_prune_sort_map(Vocab *v, long long min_count);

// Writes "id<TAB>token<TAB>count" lines (tokens escaped) atomically; reads them back. A
// vocabulary built over a BPE tokenizer (v->bpe) also writes the tokenizer, with bpe_save,
// into the directory bpe/ beside path: a run directory holds the tokenizer it was trained with.
int vocab_save(const Vocab *v, const char *path);
int vocab_load(Vocab *v, const char *path);

// Detokenizes ids[0..n) of v into f, the inverse of the tokenizers as far as it goes: char
// tokens are concatenated, word tokens joined by one space (but not between two CJK
// characters, which Chinese writes without spaces), BPE tokens turned back into their bytes
// (bpe_string_bytes), which gives the encoded text back byte for byte.
void vocab_print_tokens(FILE *f, const Vocab *v, const int32_t *ids, long n, TokKind kind);

// --- corpora as ids -----------------------------------------------------------------------
typedef enum { UNIT_LINE, UNIT_STREAM } TokUnit;

// A tokenized text. Each sequence is one line (UNIT_LINE: blank lines are skipped, and the
// sequence ends with </s>) or the whole text (UNIT_STREAM, no </s>). Models pad the left
// context with <s> themselves.
typedef struct {
    int32_t *ids;       // (n) token ids, sequences back to back
    long long n;
    long long *start;   // (nseq + 1) sequence s is ids[start[s] .. start[s+1])
    long long nseq;
    long long words;    // whitespace-separated words in the text
    long long oov;      // tokens not in the vocabulary (encoded as <unk>)
} Corpus;

// Builds a vocabulary from text (count, then prune to min_count and sort), then encodes it.
// vocab must be fresh from vocab_init. Over a BPE tokenizer every BPE token enters the
// vocabulary, seen or not (count 0), so no text is ever out of vocabulary, and vocab->bpe is
// set; min_count must be 1 then.
int corpus_build(Corpus *c, Vocab *vocab, Tokenizer *t, TokUnit unit, const char *text,
                 size_t len, long long min_count);

// Encodes text with a fixed vocabulary; unknown tokens become <unk> and are counted in oov.
int corpus_encode(Corpus *c, const Vocab *vocab, Tokenizer *t, TokUnit unit, const char *text,
                  size_t len);

void corpus_free(Corpus *c);

// The sequence holding position pos (0 <= pos < c->n): the last s with start[s] <= pos, found
// by bisection. A corpus needs nseq >= 1.
long long corpus_seq_of(const Corpus *c, long long pos);

// --- the text options every command shares -------------------------------------------------
typedef struct {
    int tokenizer;        // TokKind
    const char *pattern;  // TOK_WORD: NULL for the default
    int lowercase;
    int unit;             // TokUnit
    int utf8;             // Utf8Mode
    long min_count;       // training only: rarer types read as <unk>
    const char *bpe;      // TOK_BPE: a tokenizer directory (merges.txt) to use, or NULL
    long bpe_vocab;       // TOK_BPE: or train this many tokens on the training text (0: no)
    int bpe_split;        // TOK_BPE with bpe_vocab: the BpeSplit to train with
    char run_bpe[1024];   // TOK_BPE, set by text_opts_load: the run's own RUN/bpe, which
                          // text_tokenizer reads in place of bpe and bpe_vocab
} TextOpts;

#define TEXT_OPTS_DEFAULT {TOK_CHAR, NULL, 0, UNIT_LINE, UTF8_STRICT, 1, NULL, 0, BPE_GPT2, ""}

// The option-table entries for TextOpts o (a LabOpt initializer list, no trailing comma).
#define TEXT_OPTS_TABLE(o)                                                                    \
    {"tokenizer", LAB_OPT_CHOICE, &(o).tokenizer, NULL,                                       \
     "tokens are characters, words or byte-level BPE tokens", "char|word|bpe", 0, 0},          \
    {"pattern", LAB_OPT_STRING, &(o).pattern, "REGEX",                                        \
     "word tokenizer: a PCRE2 pattern for one token (default: see docs/tokenizers.md)", NULL, \
     0, 0},                                                                                   \
    {"lowercase", LAB_OPT_FLAG, &(o).lowercase, NULL, "fold case before tokenizing", NULL, 0, \
     0},                                                                                      \
    {"unit", LAB_OPT_CHOICE, &(o).unit, NULL,                                                 \
     "a sequence is a line (ended by </s>) or the whole file", "line|stream", 0, 0},          \
    {"utf8", LAB_OPT_CHOICE, &(o).utf8, NULL, "invalid UTF-8 is an error or becomes U+FFFD",  \
     "strict|replace", 0, 0},                                                                 \
    {"bpe", LAB_OPT_STRING, &(o).bpe, "DIR",                                                  \
     "bpe: a tokenizer saved by 'lmlab tokenize --tokenizer bpe --out DIR'", NULL, 0, 0},      \
    {"bpe-vocab", LAB_OPT_INT, &(o).bpe_vocab, "N",                                           \
     "bpe: or train N tokens (256 bytes, merges, <|endoftext|>) on the training text", NULL,  \
     257, BPE_MAX_VOCAB},                                                                     \
    {"bpe-split", LAB_OPT_CHOICE, &(o).bpe_split, NULL,                                       \
     "bpe: --bpe-vocab pre-tokenizes with GPT-2's or GPT-4's regex", "gpt2|gpt4", 0, 0}

// The --min-count entry for TextOpts o, with the help text of the command using it.
#define TEXT_MIN_COUNT_OPT(o, help)                                                           \
    {"min-count", LAB_OPT_INT, &(o).min_count, "N", help, 0, 1, 1e9}

// Records o in a run's config, and reads it back through the option table, so a value the
// command line refuses is refused in the config too (-1 with a message naming file and line).
void text_opts_save(const TextOpts *o, LabConfig *cfg);
int text_opts_load(TextOpts *o, const LabConfig *cfg, const char *path);

// Reads path and tokenizes it: with build != 0 a vocabulary is built (min_count) into vocab,
// else the text is encoded with vocab. t must have been made by text_tokenizer from o. A BPE
// tokenizer still to be trained (bpe_pending) is trained on this text first, as t lowercases
// it; encoding (build 0) with it untrained is -1 with a message.
int text_load_corpus(Corpus *c, Vocab *vocab, int build, Tokenizer *t, const TextOpts *o,
                     const char *path);

// "char", "word" or "bpe": the --tokenizer value of a TokKind (a static string).
const char *text_tokenizer_name(int kind);

// The part of a default run name that says the tokenizer: "" for char, "-word", "-bpeN" for
// --bpe-vocab N, "-bpe" for --bpe DIR (a static string or buf).
const char *text_run_suffix(const TextOpts *o, char *buf, size_t cap);

// tok_init from the options; for TOK_BPE the tokenizer of o->run_bpe or o->bpe read with
// bpe_load (-1 naming the file when it is missing or corrupted), or one to be trained with
// o->bpe_vocab tokens by the first text_load_corpus that builds a vocabulary. -1 with a
// message for options that do not go together (bpe without --bpe or --bpe-vocab, both, either
// without bpe, --min-count with bpe): the caller's usage error.
int text_tokenizer(Tokenizer *t, const TextOpts *o);

// --- minibatches --------------------------------------------------------------------------
// The minibatch schemes of the course (d2l's names), over a Corpus, every choice drawn from
// the batcher's own LabRng (datasets/batch.c; docs/nn.md "minibatches" draws the lanes):
//   random sampling         B subsequences at independent uniform offsets; the model's hidden
//                           state starts afresh every batch
//   sequential partitioning the stream cut into B contiguous lanes, batch i taking positions
//                           [i*T, (i+1)*T) of every lane, so a batch continues the previous
//                           one lane by lane (the hidden state is carried over, detached)
//   lines                   (for a model without state, the GPT) every row one sequence read
//                           from its own <s>, as nn_lm_score reads it: a sequence of up to T
//                           tokens is one window, padded after its </s> (input <s>, target
//                           -1), a longer one the scorer's windows at a stride of S =
//                           max(1, T/2), each counting only the targets the scorer counts
//                           with it; B windows drawn uniformly from all of them, so every
//                           prediction of the corpus is equally likely to be trained on
//   MLP examples            B (context, target) pairs at uniform positions of the corpus
// The recurrent schemes read the corpus as one stream, every sequence after an <s> of its
// own: <s> w1 .. wn </s> <s> v1 .. </s> ... for line data (the first token of every line is
// predicted from <s>, and the recurrent model starts a lane afresh at an input <s>, so each
// line trains from a zero state, as it is scored), <s> then the whole text for a stream. A
// stream of L tokens has L - 1 (input, target) pairs, the target the token after the input,
// or -1 (ignored) where that token is an <s>: <s> is never predicted. A corpus with no
// sequence table (nseq 0, start unused) reads as one sequence.

typedef enum { BATCH_RANDOM, BATCH_SEQUENTIAL, BATCH_LINES } BatchScheme;

// Everything a batcher changes as it goes: save it with a checkpoint, restore it, and the
// next batches are the ones that would have come (bit for bit).
typedef struct {
    LabRng rng;       // the stream every random choice draws from
    long long epoch;  // BATCH_SEQUENTIAL: epochs begun (0 before the first batch); else 0
    long long batch;  // batches drawn in this epoch (all batches for the other schemes)
    long long offset; // BATCH_SEQUENTIAL: this epoch's start offset into the stream, in [0, T]
} BatchState;

typedef struct {
    const Corpus *corpus; // borrowed: outlives the batcher
    BatchScheme scheme;
    int B, T;             // lanes (rows) and steps per batch
    long long len;        // stream length: corpus->n + corpus->nseq (+ 1 if nseq is 0)
    long long lane;       // BATCH_SEQUENTIAL: tokens per lane in this epoch
    long long *windows;   // BATCH_LINES: (nseq + 1, or 2 without a sequence table) windows of
                          // the sequences before s, the last entry all of them; owned
    BatchState st;
} SeqBatcher;

// A batcher of B rows of T steps over corpus c, seeded with seed. Fails (-1, message) when the
// corpus is too short: random sampling needs T + 1 stream tokens, sequential partitioning
// B * T + 1 (one batch), lines one token; B and T must be >= 1. batch_seq_free releases it.
int batch_seq_init(SeqBatcher *b, const Corpus *c, BatchScheme scheme, int B, int T,
                   uint64_t seed);
// Frees what the batcher owns (BATCH_LINES: its table of windows); safe on a zeroed batcher.
void batch_seq_free(SeqBatcher *b);
// Writes the next batch: inputs (B, T) and targets (B, T), targets[r][t] the stream token
// after inputs[r][t] (-1 where it is an <s>). Returns 1 when row r continues row r of the
// previous batch (carry the hidden state over, detached), 0 when it does not (reset it:
// every random batch, and the first batch of each sequential epoch). BATCH_LINES: row r is a
// window of one sequence (inputs[r][0] its <s> in the first window), its targets -1 outside
// the predictions the window counts; returns 0.
int batch_seq_next(SeqBatcher *b, int32_t *inputs, int32_t *targets);
// Batches in one sequential epoch at the current offset (lane / T); 0 for random sampling.
long long batch_seq_per_epoch(const SeqBatcher *b);
// Continues from a saved state (read from a checkpoint: checked). -1 with a message when the
// state cannot belong to this batcher (offset or batch out of range, negative counts).
int batch_seq_restore(SeqBatcher *b, const BatchState *st);

typedef struct {
    const Corpus *corpus; // borrowed: outlives the batcher
    int B, n;             // examples per batch, context length
    BatchState st;
} MlpBatcher;

// Examples of context n over corpus c (which must hold at least one token), seeded with seed.
int batch_mlp_init(MlpBatcher *b, const Corpus *c, int B, int n, uint64_t seed);
// Writes B examples drawn uniformly from the corpus's positions: ctx (B, n), targets (B).
void batch_mlp_next(MlpBatcher *b, int32_t *ctx, int32_t *targets);
int batch_mlp_restore(MlpBatcher *b, const BatchState *st);

// The context of position pos of c (0 <= pos < c->n): ctx (n) = the n ids before pos in its
// sequence, oldest first, those before the sequence's start <s>. Its target is c->ids[pos].
// An evaluator walks pos = 0 .. n-1 with it to score every token once.
void batch_context(const Corpus *c, long long pos, int n, int32_t *ctx);

// --- byte-level BPE (bpe.c) ---------------------------------------------------------------
// GPT-2's tokenizer, trained as minbpe trains it (docs/tokenizers.md "byte-level BPE"):
// ids 0..255 are the bytes, id 256 + i is merge i (the concatenation of two earlier tokens),
// then the special tokens. The text is first cut into chunks by a pre-tokenizer regex, and no
// merge crosses a chunk's edge. Any byte string encodes, and decoding gives it back exactly.

typedef enum { BPE_GPT2, BPE_GPT4 } BpeSplit;

// GPT-2's pre-tokenizer (openai/gpt-2 encoder.py), and GPT-4's (cl100k_base), in PCRE2 syntax
#define BPE_GPT2_PATTERN                                                                      \
    "'(?:[sdmt]|ll|ve|re)| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"
#define BPE_GPT4_PATTERN                                                                      \
    "'(?i:[sdmt]|ll|ve|re)|[^\\r\\n\\p{L}\\p{N}]?+\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]++"  \
    "[\\r\\n]*|\\s*[\\r\\n]|\\s+(?!\\S)|\\s+"
#define BPE_ENDOFTEXT "<|endoftext|>"
// A chunk longer than this many bytes is cut into pieces of at most this length (at character
// boundaries), in training and encoding alike, so no text makes the merging quadratic.
#define BPE_CHUNK_MAX 256
#define BPE_MAX_VOCAB (1 << 18)
#define BPE_MAX_SPECIAL 64

typedef struct {
    int32_t a, b; // the two tokens merged, both < the new id
} BpePair;

typedef struct Bpe {
    int split;          // BpeSplit
    int32_t nmerges;
    BpePair *merges;    // (nmerges) merge i makes token 256 + i
    int32_t nspecial;
    char **special;     // (nspecial) special i is token 256 + nmerges + i (owned strings)
    int32_t n;          // vocabulary size: 256 + nmerges + nspecial
    char *bytes;        // every token's bytes back to back
    uint32_t *off;      // (n + 1) token id is bytes[off[id] .. off[id + 1])
    // encoding state (bpe_encode changes it: a Bpe is used by one thread at a time)
    uint64_t *mkey;     // (mcap) the pair a << 32 | b of merge mval[k], or all ones when empty
    int32_t *mval;
    uint32_t mcap;      // a power of two, at least twice nmerges
    void *re, *md;      // pcre2_code_8 *, pcre2_match_data_8 * of the split pattern
    int jit;            // 1: re is JIT-compiled
    LabStrTab cache;    // chunks encoded so far (at most BPE_CACHE_MAX)
    int64_t *cache_off; // (cache.n + 1) chunk k's ids are cache_ids[cache_off[k] .. [k + 1])
    int32_t *cache_ids;
    int64_t cache_cap, cache_ids_cap;
    int32_t *scratch;   // (BPE_CHUNK_MAX) a chunk being merged
} Bpe;

#define BPE_CACHE_MAX (1 << 18)

// An empty tokenizer (the 256 bytes, no merges) with the split pattern and its own copies of
// the special tokens (each non-empty, distinct, at most 255 bytes). -1 with a message.
int bpe_init(Bpe *b, BpeSplit split, const char *const *special, int nspecial);
void bpe_free(Bpe *b); // safe on a zeroed struct

// Trains b (fresh from bpe_init) on text[0..n): cuts it into chunks, counts the distinct ones,
// then merges the most frequent adjacent pair (pairs counted over the distinct chunks weighted
// by their counts) until the vocabulary holds vocab_size tokens, specials included. Ties go to
// the pair with the lowest first id, then the lowest second id. Stops early, with fewer
// merges, when no pair is left (every chunk is one token). -1 with a message when vocab_size
// is below 256 + specials or above BPE_MAX_VOCAB.
int bpe_train(Bpe *b, const char *text, size_t n, int32_t vocab_size);

// Calls fn once per pre-tokenizer chunk of s[0..n), in order: the split pattern's matches on
// each stretch of valid UTF-8, and every byte that is not part of valid UTF-8 as a chunk of
// its own; chunks are cut to BPE_CHUNK_MAX bytes. The chunks cover s exactly. -1 with a
// message only if the regex engine fails.
int bpe_chunks(Bpe *b, const char *s, size_t n, TokFn fn, void *ctx);

// Encodes s[0..n): special tokens found in the text first, then the chunks between them,
// each by applying the merges in the order they were learned. *ids is a new array of *nids
// ids (the caller frees it). -1 with a message only if the regex engine fails.
int bpe_encode(Bpe *b, const char *s, size_t n, int32_t **ids, size_t *nids);

// Appends the bytes of ids[0..n) to out (*out, *len, *cap: a growing buffer the caller
// frees). -1 with a message naming the first id out of range.
int bpe_decode(const Bpe *b, const int32_t *ids, size_t n, char **out, size_t *len,
               size_t *cap);

// The bytes of a token escaped for a file or a terminal: tok_escape's escapes, and "\xHH" for
// every byte that is not part of valid UTF-8. A new string.
char *bpe_escape(const char *s, size_t n);

// Writes DIR/merges.txt (what bpe_load reads) and DIR/vocab.txt (id and escaped bytes of
// every token, for people) atomically, creating DIR. -1 with a message.
int bpe_save(const Bpe *b, const char *dir);
// Reads DIR/merges.txt (docs/formats.md), checked line by line; b needs no init. -1 with a
// message naming the file and the line.
int bpe_load(Bpe *b, const char *dir);

// --- BPE tokens in the text pipeline (bpe_text.c) -------------------------------------------
// A BPE token is bytes; a vocabulary, an ARPA file and a listing need one whitespace-free,
// printable string per token. GPT-2's byte-to-unicode map (openai/gpt-2 encoder.py
// bytes_to_unicode) gives every byte a printable code point: the 188 printable bytes '!'..'~',
// U+00A1..U+00AC and U+00AE..U+00FF stand for themselves, the other 68 (controls, space, DEL,
// U+0080..U+00A0, U+00AD) become U+0100 + k, k their rank among those 68 in byte order
// (space -> U+0120 'Ġ', newline -> U+010A 'Ċ'). A token's string is its bytes so mapped, in
// UTF-8.

// The code point byte b stands for.
uint32_t bpe_byte_char(unsigned char b);
// The byte code point cp stands for, or -1 when cp is no byte's image.
int bpe_char_byte(uint32_t cp);
// Appends the string of bytes s[0..n) to out (4 * n bytes of room at least); returns its length.
size_t bpe_bytes_string(const char *s, size_t n, char *out);
// Turns a token string back into bytes, in place: returns the number of bytes, or -1 when s
// holds a code point that is no byte's image (then s is unchanged).
long bpe_string_bytes(char *s, size_t n);

// Makes t a TOK_BPE tokenizer over b (taken: tok_free frees it), lowercasing first when
// lowercase is set.
void tok_init_bpe(Tokenizer *t, struct Bpe *b, int lowercase);
// The printable string of BPE token id of a TOK_BPE tokenizer, and its length.
const char *tok_bpe_token(const Tokenizer *t, int32_t id, size_t *len);
// Trains t's pending BPE on text[0..n) (as t will see it: lowercased if t lowercases); a note
// tells what was learned. -1 with a message.
int tok_bpe_train(Tokenizer *t, const char *text, size_t n);
// The lowercasing tok_split applies when t->lowercase is set: the text as t sees it, in a
// buffer of t (valid until the next call), and its length.
const char *tok_lowercase(Tokenizer *t, const char *s, size_t n, size_t *out_n);

#endif
