// ngram.h: n-gram language models by counting.
//
// Counts of every order 1..N live in a trie of hash tables: an order-k n-gram (h, w) is the
// key (node of h in order k-1, w), so one 64-bit key names it whatever its order, and every
// order is one open-addressing table. A model is the same trie with a natural-log probability
// per node and a log backoff weight per context node: smoothed models of every kind
// (add-k, interpolation, Kneser-Ney) are written in that backoff form, which is exactly the
// ARPA format, so a model read from an ARPA file and one just counted evaluate the same way.
//
// A sequence (a line, or the whole text with the stream unit) starts from one <s> as its
// first context, as SRILM and KenLM count it; with the line unit it ends in </s>, predicted
// like any token; <s> is never predicted. NLTK's convention, N-1 <s> in front (so that the
// first token has a full order-N context made of <s>), is kept as an option (NGRAM_PAD_NLTK).
// The counted n-grams of every order are those that end at a predicted token, plus the
// context-only n-grams made of <s> that NLTK padding creates.
// A model is saved as an ARPA file (for exchange) and as model.bin beside it (binary.c): hash
// tables of float values mapped from the file, about 17 bytes per n-gram, open in milliseconds.
// Left out: pruning, quantisation.
#ifndef NGRAM_H
#define NGRAM_H

#include <stdint.h>

#include "datasets/datasets.h"

#define NGRAM_MAX_ORDER 6
#define NGRAM_EMPTY UINT64_MAX

// --- the trie -----------------------------------------------------------------------------
// One order of it. A node is a slot index; the root (order 0) is node 0.
typedef struct {
    uint64_t *keys;    // (cap) (parent node << 32) | token id, or NGRAM_EMPTY
    uint32_t cap;      // slots: a power of two in the counting tables, any number read
    uint32_t n;        // stored n-grams
    uint32_t *val[3];  // (cap) per-slot arrays moved along when the table grows
    int nval;
} NgramLevel;

// cap slots rounded up to a power of two (tables that grow double), nval per-slot arrays
void ngram_level_init(NgramLevel *L, uint32_t cap, int nval);
// exactly cap slots (16 at least): a table that never grows can be as small as its load allows
void ngram_level_init_slots(NgramLevel *L, uint32_t cap, int nval);
// bytes set to fill (or left as they are when fill < 0: the caller writes every one), for an
// array indexed by a level's slots: 2 MB pages asked for when it is large (probed at random,
// a 4 KB page would add a TLB miss to each cache miss); filled on every thread. free().
void *ngram_table_alloc(size_t bytes, int fill);
void ngram_level_free(NgramLevel *L);
// the home slot of (parent, tok): where its probe starts (for prefetching)
uint32_t ngram_level_slot(const NgramLevel *L, uint32_t parent, int32_t tok);
// slot of (parent, tok), or UINT32_MAX if absent
uint32_t ngram_level_find(const NgramLevel *L, uint32_t parent, int32_t tok);
// slot of (parent, tok), inserted (values zeroed) if absent; *is_new says which. May grow L.
uint32_t ngram_level_insert(NgramLevel *L, uint32_t parent, int32_t tok, int *is_new);
// ngram_level_insert for threads inserting into L at once: never grows L (the caller keeps
// its load at most 3/4) and leaves L->n to the caller. Where each key lands depends on which
// thread comes first; which keys are stored does not.
uint32_t ngram_level_insert_shared(NgramLevel *L, uint32_t parent, int32_t tok, int *is_new);

#define NGRAM_NONE UINT32_MAX

// --- counting -----------------------------------------------------------------------------
// How a sequence is padded on the left before counting:
//   NGRAM_PAD_SENTENCE  one <s> (SRILM, KenLM): the first token is predicted from <s> alone
//   NGRAM_PAD_NLTK      N-1 <s> (NLTK's padded_everygram_pipeline): n-grams <s> <s> .. w
// Scoring and sampling need not know which: they start each sequence from N-1 <s>, and a
// model counted with one <s> stores no n-gram with <s> after another token, so the backoff
// rule reaches the single <s> context by itself (with no backoff weight to pay, since the
// longer contexts are not stored).
typedef enum { NGRAM_PAD_SENTENCE, NGRAM_PAD_NLTK } NgramPad;
#define NGRAM_PAD_CHOICES "sentence|nltk"
#define NGRAM_PAD_HELP "a line starts from one <s> (SRILM, KenLM) or N-1 <s> (NLTK)"

enum { NGRAM_COUNT = 0, NGRAM_ADJ = 1, NGRAM_SUFFIX = 2 }; // the val[] arrays of a level

// lev[k].val[NGRAM_COUNT]  raw count c(g) of the order-k n-gram g (0 for context-only nodes
//                           made of <s>)
// lev[k].val[NGRAM_ADJ]    Kneser-Ney adjusted count when k is below the model's order:
//                           c(g) if g starts with <s>, else the number of distinct tokens x
//                           with c(x g) > 0
// lev[k].val[NGRAM_SUFFIX] node of g without its first token, in order k-1
typedef struct {
    int order;                       // N: orders 1..N are counted
    TokUnit unit;
    NgramPad pad;
    int32_t vocab_n;                 // ids are < vocab_n
    NgramLevel lev[NGRAM_MAX_ORDER + 1];
    long long tokens;                // predicted tokens counted
    uint32_t keys_lent;              // bit k: lev[k].keys belong to a model now
                                     // (ngram_model_build_from), which frees them
} NgramCounts;

// Counts every n-gram of orders 1..order in the corpus (ids < vocab_n), each sequence padded
// as pad says. Every vocabulary id gets an order-1 node, seen or not.
void ngram_count(NgramCounts *nc, const Corpus *c, int32_t vocab_n, int order, TokUnit unit,
                 NgramPad pad);
void ngram_counts_free(NgramCounts *nc);

// What the counting pass and the bounded one share (counts.c): order k's table at its first
// size, guessed from the orders below and the P padded tokens; and, once every n-gram of
// order k is in, the table shrunk back to a load of at least 3/8. The same calls in the same
// order give tables of the same size, whichever way the n-grams were counted.
void ngram_level_init_guess(NgramCounts *nc, int k, long long P);
void ngram_level_fit(NgramLevel *L);

// --- counting in bounded memory (spill.c) ---------------------------------------------------
// `ngram train --memory SIZE`: the text is read in pieces of whole lines (TextPieces), twice:
// once for the vocabulary, once for the n-grams, which go into a table of fixed size; each
// full table is sorted and written to a temporary run file, and the runs are merged (k-way,
// in several passes when there are many) into the same trie ngram_count makes.
#define NGRAM_MEMORY_MIN (64 << 10) // the smallest limit: a table of 1024 n-grams, 4K pieces

// A size such as 300K, 100M, 1G (powers of 1024; a plain number is bytes) into *bytes.
// -1 (no message) when s is not one, or is 0.
int ngram_memory_parse(const char *s, size_t *bytes);

// The text's ids as ngram_count_bounded leaves them: two temporary files, already unlinked,
// read back a window at a time by ngram_eval_spilled. The caller owns it:
// ngram_spilled_close, safe on a zeroed struct and on one whose count failed.
typedef struct {
    long long n, nseq;   // tokens and sequences of the text
    long long words;     // whitespace-separated words in the text
    long long oov;       // tokens not in the vocabulary (encoded as <unk>)
    int ids_fd;          // n int32 ids, sequences back to back (as Corpus.ids)
    int starts_fd;       // nseq + 1 int64 sequence starts (as Corpus.start)
    char *dir;           // where the files were made, for messages
    size_t limit;        // the --memory the text was counted in
} NgramSpilledText;

// What text_load_corpus (build) and ngram_count do together, in about limit bytes: builds
// vocab (fresh from vocab_init) from the file at path read with t and o, counts orders
// 1..order into nc as ngram_count does (the same n-grams, counts, adjusted counts and table
// sizes), and leaves the text's ids in text, on disk, for ngram_eval_spilled. The temporary
// files live in tmpdir, unlinked as soon as they are made, so nothing is left behind whatever
// ends the process.
// Bounded: the text being read, the counting table, the merge buffers. Not bounded: the
// vocabulary and the trie of merged counts (nc).
// -1 with a message: the file as text_read refuses it, a limit below NGRAM_MEMORY_MIN or too
// small for a line of the text, o->unit other than UNIT_LINE, a BPE tokenizer still to be
// trained, a temporary file that cannot be made or written.
int ngram_count_bounded(NgramCounts *nc, NgramSpilledText *text, Vocab *vocab, Tokenizer *t,
                        const TextOpts *o, const char *path, int order, NgramPad pad,
                        size_t limit, const char *tmpdir);

void ngram_spilled_close(NgramSpilledText *text);

// --- smoothing ----------------------------------------------------------------------------
typedef enum { SMOOTH_MLE, SMOOTH_LAPLACE, SMOOTH_ADDK, SMOOTH_INTERP, SMOOTH_KN } Smoothing;
#define NGRAM_SMOOTHING_CHOICES "mle|laplace|addk|interp|kn"

typedef struct {
    Smoothing smoothing;
    double k;                             // addk: the pseudo-count added to every count
    double eps[NGRAM_MAX_ORDER + 1];      // interp: eps[k] for order k (1..N)
    double discount[NGRAM_MAX_ORDER + 1][4]; // kn: out: D1, D2, D3+ used at each order
    int discount_fallback[NGRAM_MAX_ORDER + 1]; // kn: out: 1 if order k used fixed discounts
} NgramParams;

// Modified Kneser-Ney discounts from counts-of-counts t1..t4 (Chen and Goodman 1998):
// Y = t1/(t1+2 t2), D1 = 1-2Y t2/t1, D2 = 2-3Y t3/t2, D3+ = 3-4Y t4/t3.
// Returns 0, or -1 when the counts cannot give them (a zero t, or D_j outside (0, j)); then
// D holds the fixed fallback 0.5, 1.0, 1.5.
int ngram_kn_discounts(const uint64_t t[4], double D[3]);

// The probability formulas, one call per estimate (the model builder uses exactly these).
// Laplace (add-one) and add-k: (c(h,w) + k) / (c(h) + k V).
double ngram_addk_prob(double c_hw, double c_h, double k, double V);
// Interpolation: (c(h,w) + eps p_lower) / (c(h) + eps); at order 1 p_lower is 1/V.
double ngram_interp_prob(double c_hw, double c_h, double eps, double p_lower);
// Interpolated Kneser-Ney: max(a - D(a), 0)/S + gamma p_lower with D(a) = 0, D1, D2, D3+ for
// a = 0, 1, 2, >= 3 and gamma = (D1 n1 + D2 n2 + D3 n3+)/S, where n1, n2, n3+ count the
// continuations of the context with a == 1, == 2, >= 3. S == 0 (an unseen context) gives
// p_lower.
double ngram_kn_prob(double a, double S, const double D[3], const double n[3], double p_lower);

// --- models -------------------------------------------------------------------------------
struct NgramBin; // a model mapped from model.bin (below)
struct NgramChildren; // the continuations of every context (ngram_model_index_children)

typedef struct {
    int order;                            // N
    TokUnit unit;
    Vocab vocab;                          // ids of the tokens (owned)
    NgramLevel lev[NGRAM_MAX_ORDER + 1];  // keys only (nval 0)
    double *logp[NGRAM_MAX_ORDER + 1];    // (lev[k].cap) ln P(w | h) of node (h, w) at order k;
                                          // -INFINITY for probability zero
    double *logbow[NGRAM_MAX_ORDER + 1];  // (lev[k].cap, k < N) ln backoff weight of the node
                                          // as a context; 0 where none is stored
    uint32_t *suffix[NGRAM_MAX_ORDER + 1]; // (lev[k].cap, k >= 2) node of the n-gram without
                                          // its first token, at order k-1 (or NGRAM_NONE)
    NgramParams params;                   // how it was smoothed (from counts)
    NgramPad pad;                         // how the counts were padded (from counts)
    int from_arpa;                        // 1: read from an ARPA file (or its model.bin)
    struct NgramBin *bin;                 // non-NULL: mapped from model.bin (ngram_bin_load);
                                          // lev, logp, logbow, suffix are then empty and
                                          // scoring goes through bin
    struct NgramChildren *children;       // NULL, or the index ngram_model_index_children
                                          // built (owned): ngram_distribution then visits
                                          // only the stored continuations of a context
} NgramModel;

// The predictable vocabulary: every id but <s> (and but </s> for the stream unit).
int32_t ngram_first_predictable(TokUnit unit);
int32_t ngram_vocab_size(const NgramModel *m); // V of the formulas

// Builds a model of the given order (<= nc->order) from counts. The vocabulary is copied.
// Fails (-1, message) only for parameters out of range.
int ngram_model_build(NgramModel *m, const NgramCounts *nc, const Vocab *vocab, int order,
                      NgramParams *params);
// The same model, without copying: the keys of orders 1..order pass to the model, which then
// owns them (the counts still read them, so the model must outlive every later use of nc),
// and the suffix links too (nc's are gone: lev[k].val[NGRAM_SUFFIX] is NULL). The rest of nc
// (counts, adjusted counts) stays as it was. For `ngram train`, which builds one model.
int ngram_model_build_from(NgramModel *m, NgramCounts *nc, const Vocab *vocab, int order,
                           NgramParams *params);
void ngram_model_free(NgramModel *m);

// Fills m->suffix from the keys (ARPA models; counted models copy it from the counts).
void ngram_model_link_suffixes(NgramModel *m);

// The node of (parent, w) at order k (1..order): parent is a node at order k-1 (0, the root,
// for k == 1), NGRAM_NONE when absent. Works on counted, ARPA and binary models alike.
uint32_t ngram_model_find(const NgramModel *m, int k, uint32_t parent, int32_t w);

// ln P(w | context) where context holds the previous order-1 tokens (oldest first; <s> for
// padding). The backoff rule: the longest stored n-gram's probability times the backoff
// weights of the longer contexts.
double ngram_logprob(const NgramModel *m, const int32_t *context, int32_t w);

// Scores every predicted token of a corpus into loss (nats, tokens, zero-probability tokens;
// words and oov are copied from the corpus). Tokens that are <unk> when the model has no
// <unk> unigram are skipped as OOV (as SRILM does).
void ngram_eval(const NgramModel *m, const Corpus *c, LabLoss *loss);

// ngram_eval a chunk at a time, for a text held a window at a time (ngram_eval_spilled).
// ngram_eval scores chunks of ngram_eval_chunk_tokens() tokens, [k*T, min((k+1)*T, n)), and
// sums their loss in chunk order. ngram_eval_range scores positions [b, e) of c (one such
// chunk: c holds it, the order-1 tokens before b when they are in b's sequence, and the
// sequence table of those positions; start[nseq] may be any position >= e) into out's nats,
// tokens and zero (words and oov 0).
long long ngram_eval_chunk_tokens(void);
void ngram_eval_range(const NgramModel *m, const Corpus *c, long long b, long long e,
                      LabLoss *out);

// ngram_eval on the text that ngram_count_bounded left on disk (spill.c): the same loss bit
// for bit (the same chunks, each scored from a window of ids read back, the partials added in
// the same order), holding a batch of chunks that fits in half of text->limit (one chunk,
// about 400K, at least) besides the model. -1 with a message when the files cannot be read
// back whole.
int ngram_eval_spilled(const NgramModel *m, const NgramSpilledText *text, LabLoss *loss);

// The full conditional distribution P(. | context) into probs (vocab.n entries; 0 for ids
// that are not predictable). Used by the sampler and the sum-to-one tests.
void ngram_distribution(const NgramModel *m, const int32_t *context, double *probs);

// Indexes, for every context node, its stored continuations at the next order (a counting
// sort of each level by parent: about 4 bytes per n-gram and per context slot), so that
// ngram_distribution costs a pass over the vocabulary plus the continuations of the context
// instead of a lookup per token type and order. The distribution is the same, bit for bit
// (the same sums in the same order). For counted and ARPA models; does nothing for a binary
// one or one already indexed. ngram_model_free frees it.
void ngram_model_index_children(NgramModel *m);

// --- ARPA ---------------------------------------------------------------------------------
// The n-grams of order k that the model holds (what its ARPA file lists).
uint32_t ngram_model_entries(const NgramModel *m, int k);

// Writes the model as an ARPA file (log10 values; probability zero as -99), atomically.
int ngram_arpa_write(const NgramModel *m, const char *path);
// Reads an ARPA file written by lmlab or another toolkit (SRILM, KenLM). Tokens are
// unescaped (see tok_escape); <s>, </s>, <unk> map to the reserved ids. Malformed input
// fails with a message naming the file and line.
int ngram_arpa_read(NgramModel *m, const char *path, TokUnit unit);
// ngram_arpa_read without its parallel path: the lines in the file's order, on one thread
// parsing and one inserting, the path that reports faults. The same model (only the slots
// the n-grams sit in may differ); for tests and build/bench/bench_arpa.
int ngram_arpa_read_serial(NgramModel *m, const char *path, TokUnit unit);

// --- the binary format (binary.c) -----------------------------------------------------------
// model.bin holds the vocabulary and, per order, one open-addressing table whose slots are
// packed: a key of as few bytes as (parent node, token id) needs, ln P as a float and, below
// the top order, ln bow as a float. Order 1 is an array indexed by token id, so an order-1
// node is a token id. docs/formats.md gives the layout; the reader checks the header and every
// size and offset against the file's length, then maps it: the tables are read in place.
#define NGRAM_BIN_MAGIC "lmlabNGB"
#define NGRAM_BIN_VERSION 2u
#define NGRAM_BIN_SPACE 1.5 // slots per n-gram in a table (KenLM's probing default)
#define NGRAM_BIN_HEADER 384 // bytes

typedef struct {
    const uint8_t *slots; // (cap, stride) in the mapping, then 8 bytes of padding
    uint32_t cap;         // slots (order 1: vocab_n)
    uint32_t n;           // stored n-grams
    uint32_t stride;      // bytes per slot: key_bytes + 4 (ln P) + 4 (ln bow, below the top)
    uint32_t key_bytes;   // (parent << tok_bits | token), little-endian; all ones when empty
    uint32_t tok_bits;
    uint32_t max_probe;   // the longest probe a stored key needs: lookups stop after it
    uint64_t key_mask;    // the key_bytes low bytes
} NgramBinLevel;

typedef struct NgramBin {
    void *map;                           // the whole file, read-only
    size_t map_bytes;
    int order;
    int closed;                          // every stored n-gram's suffix is stored: scoring
                                         // stops at the first order that lacks (context, w)
    NgramBinLevel lev[NGRAM_MAX_ORDER + 1]; // [1]: slots are (ln P, ln bow) floats per id,
                                         // ln P NaN for an id with no unigram
} NgramBin;

// Writes m (counted or read from ARPA; not itself binary) as a binary model, atomically.
// The values are rounded to float (docs/formats.md says why that is enough). -1 with a
// message.
int ngram_bin_write(const NgramModel *m, const char *path);
// 1 when the file at path starts with the binary model's magic (0 otherwise, or unreadable).
int ngram_bin_is(const char *path);
// Maps a binary model into m (unit as ngram_arpa_read takes it): checks it as untrusted
// input (magic, version, byte order, every size and offset against the file's length), builds
// the vocabulary, and reads the tables in place. -1 with a message naming the file; m is then
// zeroed. ngram_model_free unmaps it.
int ngram_bin_load(NgramModel *m, const char *path, TokUnit unit);
// The binary model's versions of ngram_eval, ngram_logprob, ngram_distribution (model.c
// calls them when m->bin is set), and its node lookup.
void ngram_bin_eval(const NgramModel *m, const Corpus *c, LabLoss *loss);
double ngram_bin_logprob(const NgramModel *m, const int32_t *context, int32_t w);
void ngram_bin_distribution(const NgramModel *m, const int32_t *context, double *probs);
uint32_t ngram_bin_find(const NgramBin *b, int k, uint32_t parent, int32_t w);
void ngram_bin_close(NgramBin *b);
// Sets the checksum of a header (the file's first NGRAM_BIN_HEADER bytes) to match its other
// bytes: the writer's last step, and the fuzz target's, so that mutated sizes reach the checks.
void ngram_bin_seal(void *header);

// The model of a run directory: dir/model.bin when it is there, not older than dir/model.arpa
// and of the version this lmlab reads (a note says when it is not), else dir/model.arpa. -1
// with a message.
int ngram_model_load_dir(NgramModel *m, const char *dir, TokUnit unit);

// --- sampling (sample.c) -----------------------------------------------------------------
// The filters and the draw are the lab's sampler (LabSampling: temperature, 0 for greedy,
// top-k, top-p); the model gives the distribution.

// Draws the next token after context (order-1 tokens): the model's distribution, filtered
// by lab_sample_filter, drawn by lab_sample_draw. <unk> is never drawn; </s> when nothing can
// follow. probs and order_buf hold vocab.n entries each (scratch).
int32_t ngram_sample_next(const NgramModel *m, const int32_t *context, const LabSampling *s,
                          LabRng *rng, double *probs, int32_t *order_buf);

// Draws one sequence from the model into f, detokenized (vocab_print_tokens) and ended by a
// newline: from <s> (a line unit model) or the start of the text, after the prompt ids (may be
// NULL), at most ntokens tokens or until </s>.
void ngram_generate(FILE *f, const NgramModel *m, TokKind kind, const int32_t *prompt,
                    long nprompt, long ntokens, const LabSampling *s, LabRng *rng);

// --- the command line -----------------------------------------------------------------------
// `lmlab ngram <verb>`: the verbs, for the program's command table (cli.c).
extern const LabVerbs ngram_verbs;

#endif
