// word2vec.h: word vectors by skip-gram and CBOW with negative sampling (Mikolov et al. 2013).
//
//   corpus ids --w2v_data_build--> sentences of word indices --w2v_train--> W2vModel
//   W2vModel --w2v_save_text--> vectors.txt --w2v_vectors_read--> W2vVectors --> similar, analogy
//
// The algorithm is the one of the original word2vec.c, written anew: a vocabulary of the words
// seen at least min_count times, frequent-word subsampling, a dynamic window, negatives drawn
// from the unigram distribution raised to 3/4, input vectors syn0 and output vectors syn1neg,
// plain SGD with a learning rate decayed linearly to 1e-4 of its start. It needs no autograd:
// the gradients are written out by hand (docs/word2vec.md derives them).
//
// Differences from word2vec.c, each on purpose: the sigmoid is computed exactly with expf (no
// table, no clipping at |x| = 6), negatives come from an alias table (exact, O(1) a draw, V
// entries instead of 1e8), and threads do not share the model lock-free (Hogwild) but train
// copies that are merged at fixed points, so that the same seed and the same thread count give
// bitwise-identical vectors (see "threads" below; --hogwild restores the original scheme).
// Left out: hierarchical softmax, phrases, the binary vector format.
//
// Letters: V vocabulary size (words kept), D vector size, W workers (--threads), K negatives.
#ifndef NN_WORD2VEC_H
#define NN_WORD2VEC_H

#include <stdint.h>

#include "datasets/datasets.h"
#include "lab/lab.h"

// --- configuration ------------------------------------------------------------------------

typedef enum { W2V_SKIPGRAM, W2V_CBOW } W2vArch;
#define W2V_MODEL_CHOICES "skipgram|cbow" // for LAB_OPT_CHOICE: index == W2vArch

// Longer lines are cut into sentences of this many words, as word2vec.c does.
#define W2V_MAX_SENTENCE 1000

typedef struct {
    int model;          // W2vArch
    int dim;            // D
    int window;         // largest distance between a centre word and a context word
    int negative;       // K: negative samples per positive pair
    double sample;      // subsampling threshold s (0: keep every word)
    int epochs;         // passes over the corpus
    double alpha;       // learning rate at the start; it falls linearly to alpha * 1e-4
    int threads;        // W: workers (shards of the corpus); part of what makes a run repeatable
    uint64_t seed;      // initial vectors, subsampling, windows, negatives
    int hogwild;        // 1: workers update one shared model without locks (not repeatable)
    long sync_words;    // a worker's round: at most this many words between two merges
    long sync_updates;  // and no copied row updated more than sync_updates / (W - 1)^1.5 times
} W2vConfig;

// word2vec.c's defaults: skip-gram, 100 dimensions, window 5, 5 negatives, sample 1e-3,
// 5 epochs, alpha 0.025 (set alpha to 0.05 for CBOW, as word2vec.c does); 2 workers that
// merge every 10000 words or 2000 / (W - 1)^1.5 updates of one row, whichever comes first.
void w2v_config_default(W2vConfig *c);

// --- the training data ----------------------------------------------------------------------
// The words of a corpus as indices 0..V-1 into the kept vocabulary, ordered by count (most
// frequent first). </s>, <s> and <unk> (the words rarer than min_count) are dropped, as
// word2vec.c drops unknown words: they neither train nor take a place in a window.
typedef struct {
    int32_t *words;       // (n) word indices, sentences back to back
    long long n;          // training words per epoch
    long long *start;     // (nsent + 1) sentence s is words[start[s] .. start[s+1])
    long long nsent;
    int32_t V;
    char **str;           // (V) the words, NUL-terminated (owned copies)
    long long *count;     // (V) corpus counts, descending
} W2vData;

// Builds the training data from a corpus and its vocabulary (vocab_prune_sort order: reserved
// ids first, then by count). Lines longer than W2V_MAX_SENTENCE words are cut. Fails (-1 with
// a message naming `what`, the corpus's file) when no word is left to train on.
int w2v_data_build(W2vData *d, const Corpus *c, const Vocab *v, long long min_count,
                   const char *what);
void w2v_data_free(W2vData *d);

// --- the pieces of the algorithm -------------------------------------------------------------

// The probability of keeping one occurrence of a word seen count times among total words,
// with threshold sample (word2vec.c): (sqrt(f / (s T)) + 1) * (s T) / f with f = count,
// T = total, capped at 1. sample <= 0 keeps every word (1).
double w2v_keep_prob(long long count, long long total, double sample);

// Negatives are drawn from P(w) = count(w)^power / sum_v count(v)^power (power 0.75) by
// Walker's alias method (built by Vose's algorithm): pick a bucket i uniformly, keep i with
// probability keep[i] / 2^32, else take alias[i]. One 64-bit random number per draw.
typedef struct {
    uint64_t *keep;   // (V) thresholds in [0, 2^32]: 2^32 always keeps the bucket
    int32_t *alias;   // (V)
    int32_t V;
} W2vAlias;

void w2v_alias_init(W2vAlias *a, const long long *count, int32_t V, double power);
int32_t w2v_alias_draw(const W2vAlias *a, LabRng *rng);
// The probability the table gives word i (for tests): keep[i]/2^32 + the share of every
// bucket whose alias is i, over V.
double w2v_alias_prob(const W2vAlias *a, int32_t i);
void w2v_alias_free(W2vAlias *a);

// The negative-sampling loss of one input vector h (D) against its positive output vector
// u[0] and K negative output vectors u[1..K] (each D, rows of u (1 + K, D)):
//   L = -log sigmoid(u_0 . h) - sum_k log sigmoid(-u_k . h)
// and its gradients, in double (the reference for the gradient check):
//   dL/dh = (sigmoid(u_0 . h) - 1) u_0 + sum_k sigmoid(u_k . h) u_k
//   dL/du_0 = (sigmoid(u_0 . h) - 1) h,   dL/du_k = sigmoid(u_k . h) h
// dh (D) and du (1 + K, D) are overwritten; either may be NULL. Returns L.
double w2v_ns_loss(double *dh, double *du, const double *h, const double *u, int K, int D);

// One SGD step of the loss above, in float, as training takes it: for j = 0..K in order
// (j = 0 the positive, label 1; the rest label 0), with f = u_j . h:
//   g = alpha (label - sigmoid(f));  neu1e += g u_j;  u_j += g h
// u[j] are rows of length D (they may repeat: a repeated row sees its earlier update, as in
// word2vec.c). neu1e (D) ACCUMULATES -alpha dL/dh; the caller adds it to the input vectors.
// h must not alias any u[j]. Returns the loss L before the step (double).
double w2v_ns_step(float *neu1e, const float *h, float *const *u, int K, float alpha, int D);

// --- the model and training ----------------------------------------------------------------
typedef struct {
    int32_t V, D;
    int stride;       // floats per row: D rounded up to 16; the padding stays 0
    float *syn0;      // (V, stride) input vectors: the word vectors that are saved
    float *syn1neg;   // (V, stride) output vectors of negative sampling
} W2vModel;

// syn0 uniform in (-0.5/D, 0.5/D) drawn from seed, syn1neg zero (word2vec.c's start).
void w2v_model_init(W2vModel *m, int32_t V, int D, uint64_t seed);
void w2v_model_free(W2vModel *m);

// What w2v_train reports after each merge of the workers and at the end of each epoch.
typedef struct {
    int epoch;              // 1-based
    int epoch_done;         // 1: this report ends the epoch
    long long words;        // training words read so far in all epochs (before subsampling)
    long long total_words;  // words when training ends: d->n * epochs
    long long pairs;        // (input, positive output) pairs trained in this epoch so far
    double loss;            // mean negative-sampling loss per pair in this epoch so far (nats)
    double alpha;           // learning rate of worker 0's latest sentence
    double seconds;         // since training began
} W2vReport;

typedef void (*W2vReportFn)(const W2vReport *r, void *ctx);

// Trains m (from w2v_model_init, V == d->V) on d for cfg->epochs epochs with cfg->threads
// workers. Worker w owns the w-th of W contiguous shards of the sentences (equal in words) and
// its own random stream (seed, w). Unless cfg->hogwild, a worker reads the shared model and
// writes its updates to private copies of the rows it touches. A round ends for a worker after
// cfg->sync_words words, or once one of its copies has been updated
// cfg->sync_updates / (W - 1)^1.5 times; when every worker has ended its round, the copies are
// merged in worker order (model += the sum of the workers' changes; a row changed by one
// worker takes its copy). The result depends on the seed, the data, the config and W only:
// not on timing, nor on how many OpenMP threads run the workers. With W = 1 (or hogwild) the
// workers update the model directly. report (may be NULL) is called from the calling thread.
// Fails (-1) on a config it cannot train (message given).
int w2v_train(W2vModel *m, const W2vData *d, const W2vConfig *cfg, W2vReportFn report,
              void *ctx);

// --- vectors files --------------------------------------------------------------------------
// The word2vec text format (word2vec.c -binary 0, gensim save_word2vec_format(binary=False)):
// a header line "V D", then V lines "word x1 x2 .. xD". Words hold no whitespace: a byte
// <= 0x20 or 0x7f in a word is written as \xHH (no tokenizer of the lab makes one by default).

// Writes rows (V, stride) of vectors (the first D floats of each) atomically, %.6g.
int w2v_save_text(const char *path, char *const *words, const float *rows, int32_t V, int D,
                  int stride);

// Vectors read from a file, with a word -> row index.
typedef struct {
    int32_t V, D;
    char **word;       // (V) the words (read: views of the keys of index)
    float *vec;        // (V, D) row-major
    LabStrTab index;   // word -> row: key r is the word of row r
} W2vVectors;

// Reads a text vectors file, which is untrusted: an empty file, a header that is not two
// positive counts or that promises more than the file can hold, a line with a number of values
// other than D, a value that is not a finite number, a duplicate word, a blank or missing
// line, or binary data fail with a message naming the file and the line (-1); nothing is
// allocated from the header before it is checked against the file's length.
int w2v_vectors_read(W2vVectors *v, const char *path);
int32_t w2v_vectors_find(const W2vVectors *v, const char *word); // -1 if absent
void w2v_vectors_free(W2vVectors *v);

// Scales every row to unit length in place (a zero row stays zero), so dot = cosine.
void w2v_vectors_normalize(W2vVectors *v);

// --- neighbours -----------------------------------------------------------------------------
typedef struct {
    int32_t id;
    double cos;
} W2vHit;

// The k rows of v (normalised) nearest to q (D) by cosine, best first (ties: lower row
// first), skipping the rows in exclude[0..nexclude). Writes up to k hits; returns how many.
int w2v_nearest(W2vHit *hits, int k, const W2vVectors *v, const float *q,
                const int32_t *exclude, int nexclude);

// word2vec's analogy: q = normalise(v_b - v_a + v_c) of the normalised rows a, b, c (the
// answer to "a is to b as c is to ?"), then w2v_nearest excluding a, b and c.
int w2v_analogy(W2vHit *hits, int k, const W2vVectors *v, int32_t a, int32_t b, int32_t c);

// --- principal components -------------------------------------------------------------------
// The top k principal components of the n points x (n, D) (row-major): the points are
// centred, the smaller of the Gram matrix (n, n) and the covariance (D, D) is diagonalised by
// cyclic Jacobi rotations, and each point is projected. proj (n, k) receives the coordinates,
// axes (k, D) the unit directions (may be NULL), var (k) the variance along each (may be
// NULL). Components beyond the rank of the data are zero. Deterministic; the sign of each
// axis is fixed so that its largest-magnitude entry is positive.
void w2v_pca(double *proj, double *axes, double *var, const double *x, int n, int D, int k);

// --- the command ----------------------------------------------------------------------------
// `lmlab word2vec train | similar | analogy` (word2vec_cli.c): the verbs, for the program's
// command table.
extern const LabVerbs word2vec_verbs;

#endif
