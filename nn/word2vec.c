// word2vec.c: skip-gram and CBOW with negative sampling: the training data, the pieces of the
// algorithm (subsampling, the alias table of negatives, the loss and its SGD step) and the
// trainer with its workers and their deterministic merge.
//
// Letters as in word2vec.h: V words, D dimensions (rows are `stride` floats, D rounded up to
// 16 and zero-padded, so the inner loops run over whole 64-byte lines), W workers, K negatives.
// Left out: hierarchical softmax, and everything about files (word2vec_vectors.c).
#include "nn/word2vec.h"

#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

void w2v_config_default(W2vConfig *c)
{
    *c = (W2vConfig){
        .model = W2V_SKIPGRAM,
        .dim = 100,
        .window = 5,
        .negative = 5,
        .sample = 1e-3,
        .epochs = 5,
        .alpha = 0.025,
        .threads = 2,
        .seed = 1,
        .hogwild = 0,
        .sync_words = 10000,
        .sync_updates = 2000,
    };
}

// --- memory -----------------------------------------------------------------------------------

// n floats, zeroed, aligned to a cache line (rows of 16 floats then start on a line).
static float *w2v_alloc_floats(size_t n)
{
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    float *p = aligned_alloc(64, bytes ? bytes : 64);
    if (!p) {
        lab_die(NULL, "out of memory (%zu bytes of word vectors)", bytes);
    }
    memset(p, 0, bytes);
    return p;
}

// --- the training data ------------------------------------------------------------------------

int w2v_data_build(W2vData *d, const Corpus *c, const Vocab *v, long long min_count,
                   const char *what)
{
    memset(d, 0, sizeof *d);
    int32_t V = v->n > TOK_FIRST ? v->n - TOK_FIRST : 0;
    long long n = 0;
    for (long long i = 0; i < c->n; i++) {
        n += c->ids[i] >= TOK_FIRST;
    }
    if (V == 0 || n == 0) {
        return lab_error_hint("lower --min-count, or train on a longer text",
                              "'%s' has no word seen --min-count %lld times: nothing to train",
                              what, min_count);
    }
    d->V = V;
    d->words = lab_malloc((size_t)n * sizeof *d->words);
    d->count = lab_calloc((size_t)V, sizeof *d->count);
    d->str = lab_malloc((size_t)V * sizeof *d->str);
    for (int32_t i = 0; i < V; i++) {
        d->str[i] = lab_strndup(v->str[TOK_FIRST + i], v->len[TOK_FIRST + i]);
    }
    // at most one sentence per W2V_MAX_SENTENCE words, plus one per line
    long long cap = n / W2V_MAX_SENTENCE + c->nseq + 1;
    d->start = lab_malloc((size_t)(cap + 1) * sizeof *d->start);
    d->start[0] = 0;
    for (long long s = 0; s < c->nseq; s++) {
        long long len = 0; // words of the current sentence
        for (long long i = c->start[s]; i < c->start[s + 1]; i++) {
            int32_t id = c->ids[i];
            if (id < TOK_FIRST) {
                continue; // <s>, </s>, <unk>: not trained, no place in a window
            }
            d->words[d->n++] = id - TOK_FIRST;
            d->count[id - TOK_FIRST]++;
            if (++len == W2V_MAX_SENTENCE) {
                d->start[++d->nsent] = d->n;
                len = 0;
            }
        }
        if (len > 0) {
            d->start[++d->nsent] = d->n;
        }
    }
    // a pair is a word and another word of its sentence: with no sentence of two words there
    // is nothing to learn, and the mean loss would be 0 / 0
    long long longest = 0;
    for (long long i = 0; i < d->nsent; i++) {
        long long len = d->start[i + 1] - d->start[i];
        longest = len > longest ? len : longest;
    }
    if (longest < 2) {
        long long words = d->n;
        w2v_data_free(d);
        return lab_error_hint("word2vec learns from words that share a sentence (a line): train "
                              "on a longer text, or lower --min-count",
                              "'%s' has no line with two words seen --min-count %lld times "
                              "(%lld such words in all): nothing to train",
                              what, min_count, words);
    }
    return 0;
}

void w2v_data_free(W2vData *d)
{
    for (int32_t i = 0; d->str && i < d->V; i++) {
        free(d->str[i]);
    }
    free(d->str);
    free(d->words);
    free(d->start);
    free(d->count);
    memset(d, 0, sizeof *d);
}

// --- subsampling ------------------------------------------------------------------------------

double w2v_keep_prob(long long count, long long total, double sample)
{
    if (!(sample > 0) || count <= 0) {
        return 1.0;
    }
    // word2vec.c: ran = (sqrt(f / (s T)) + 1) * (s T) / f. Words rarer than about 2.6 s T
    // are always kept; a word making up the fraction r of the text keeps about sqrt(s / r).
    double st = sample * (double)total;
    double p = (sqrt((double)count / st) + 1.0) * st / (double)count;
    return p < 1.0 ? p : 1.0;
}

// --- negatives: the alias table ---------------------------------------------------------------

#define W2V_ONE32 4294967296.0 // 2^32

void w2v_alias_init(W2vAlias *a, const long long *count, int32_t V, double power)
{
    a->V = V;
    a->keep = lab_malloc((size_t)V * sizeof *a->keep);
    a->alias = lab_malloc((size_t)V * sizeof *a->alias);
    double *p = lab_malloc((size_t)V * sizeof *p);
    int32_t *small = lab_malloc((size_t)V * sizeof *small);
    int32_t *large = lab_malloc((size_t)V * sizeof *large);
    double z = 0;
    for (int32_t i = 0; i < V; i++) {
        p[i] = pow((double)count[i], power);
        z += p[i];
    }
    // Vose: scale so the mean bucket holds 1; pair each bucket below 1 with one above 1, which
    // gives it the rest of its room and keeps what is left over.
    int32_t ns = 0, nl = 0;
    for (int32_t i = 0; i < V; i++) {
        p[i] = p[i] * V / z;
        a->alias[i] = i;
        if (p[i] < 1.0) {
            small[ns++] = i;
        } else {
            large[nl++] = i;
        }
    }
    while (ns > 0 && nl > 0) {
        int32_t s = small[--ns], l = large[--nl];
        a->keep[s] = (uint64_t)llround(p[s] * W2V_ONE32);
        a->alias[s] = l;
        p[l] = (p[l] + p[s]) - 1.0;
        if (p[l] < 1.0) {
            small[ns++] = l;
        } else {
            large[nl++] = l;
        }
    }
    // what is left holds 1 up to rounding
    while (nl > 0) {
        a->keep[large[--nl]] = (uint64_t)1 << 32;
    }
    while (ns > 0) {
        a->keep[small[--ns]] = (uint64_t)1 << 32;
    }
    free(p);
    free(small);
    free(large);
}

int32_t w2v_alias_draw(const W2vAlias *a, LabRng *rng)
{
    uint64_t r = lab_rng_u64(rng);
    // the high 32 bits pick the bucket (multiply-shift: bias below V / 2^32), the low 32 bits
    // toss the coin between the bucket and its alias
    uint32_t i = (uint32_t)(((r >> 32) * (uint64_t)a->V) >> 32);
    return (r & 0xffffffffu) < a->keep[i] ? (int32_t)i : a->alias[i];
}

double w2v_alias_prob(const W2vAlias *a, int32_t i)
{
    double p = (double)a->keep[i] / W2V_ONE32;
    for (int32_t j = 0; j < a->V; j++) {
        if (j != i && a->alias[j] == i) {
            p += 1.0 - (double)a->keep[j] / W2V_ONE32;
        }
    }
    return p / a->V;
}

void w2v_alias_free(W2vAlias *a)
{
    free(a->keep);
    free(a->alias);
    memset(a, 0, sizeof *a);
}

// --- the loss and its step --------------------------------------------------------------------

static double sigmoid(double x)
{
    return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
}

// log(1 + e^x) without overflow: -log sigmoid(-x)
static double softplus(double x)
{
    return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x));
}

double w2v_ns_loss(double *dh, double *du, const double *h, const double *u, int K, int D)
{
    if (dh) {
        memset(dh, 0, (size_t)D * sizeof *dh);
    }
    double loss = 0;
    for (int j = 0; j <= K; j++) {
        const double *uj = u + (size_t)j * D;
        double f = 0;
        for (int i = 0; i < D; i++) {
            f += uj[i] * h[i];
        }
        // L_j = -log sigmoid(f) for the positive, -log sigmoid(-f) for a negative;
        // dL_j/df = sigmoid(f) - label
        double label = j == 0 ? 1.0 : 0.0;
        loss += j == 0 ? softplus(-f) : softplus(f);
        double gf = sigmoid(f) - label;
        for (int i = 0; i < D; i++) {
            if (dh) {
                dh[i] += gf * uj[i];
            }
            if (du) {
                du[(size_t)j * D + i] = gf * h[i];
            }
        }
    }
    return loss;
}

// a . b in float. Sixteen partial sums, added up in a fixed tree: the compiler can keep them in
// vector registers without -ffast-math, and the result does not depend on the vector width.
static inline float w2v_dot(const float *restrict a, const float *restrict b, int n)
{
    float acc[16] = {0};
    int i = 0;
    for (; i + 16 <= n; i += 16) {
#pragma omp simd
        for (int k = 0; k < 16; k++) {
            acc[k] += a[i + k] * b[i + k];
        }
    }
    float tail = 0;
    for (; i < n; i++) {
        tail += a[i] * b[i];
    }
    // the tree, halving: constant bounds let the compiler do each level in one instruction
    for (int k = 0; k < 8; k++) {
        acc[k] += acc[k + 8];
    }
    for (int k = 0; k < 4; k++) {
        acc[k] += acc[k + 4];
    }
    for (int k = 0; k < 2; k++) {
        acc[k] += acc[k + 2];
    }
    return (acc[0] + acc[1]) + tail;
}

double w2v_ns_step(float *restrict neu1e, const float *restrict h, float *const *u, int K,
                   float alpha, int D)
{
    // The loss sum_j softplus(+-f_j) is taken as sum_j max(0, +-f_j) + log prod_j (1 + e_j)
    // with e_j = exp(-|f_j|): one log a step instead of one log1p a term (the product of at
    // most K + 1 factors in [1, 2] cannot overflow a double for any sane K).
    double lin = 0, prod = 1;
    for (int j = 0; j <= K; j++) {
        float *restrict uj = u[j];
        float f = w2v_dot(h, uj, D);
        // one exp gives both sigmoids and the loss: e = exp(-|f|)
        float e = expf(-fabsf(f));
        float r = 1.0f / (1.0f + e);
        float sp = f >= 0 ? r : e * r; // sigmoid(f)
        float sn = f >= 0 ? e * r : r; // sigmoid(-f) = 1 - sigmoid(f)
        float g;
        if (j == 0) {
            g = alpha * sn;            // alpha (1 - sigmoid(f)); loss softplus(-f)
            lin += f >= 0 ? 0.0 : -(double)f;
        } else {
            g = -alpha * sp;           // alpha (0 - sigmoid(f)); loss softplus(f)
            lin += f >= 0 ? (double)f : 0.0;
        }
        prod *= 1.0 + (double)e;
        if (j % 512 == 511) { // more factors than any use of word2vec: keep prod in range
            lin += log(prod);
            prod = 1;
        }
        // forward was: f = u_j . h; so dL/du_j = dL/df h and dL/dh += dL/df u_j
#pragma omp simd
        for (int i = 0; i < D; i++) {
            neu1e[i] += g * uj[i];
            uj[i] += g * h[i];
        }
    }
    return lin + log(prod);
}

// --- the model --------------------------------------------------------------------------------

// A run's random streams (lab_rng_stream): 0 the initial vectors, 1 + w worker w.
void w2v_model_init(W2vModel *m, int32_t V, int D, uint64_t seed)
{
    m->V = V;
    m->D = D;
    m->stride = (D + 15) / 16 * 16;
    m->syn0 = w2v_alloc_floats((size_t)V * m->stride);
    m->syn1neg = w2v_alloc_floats((size_t)V * m->stride);
    LabRng rng;
    lab_rng_stream(&rng, seed, 0);
    for (int32_t r = 0; r < V; r++) {
        for (int i = 0; i < D; i++) {
            m->syn0[(size_t)r * m->stride + i] = (float)((lab_rng_uniform(&rng) - 0.5) / D);
        }
    }
}

void w2v_model_free(W2vModel *m)
{
    free(m->syn0);
    free(m->syn1neg);
    memset(m, 0, sizeof *m);
}

// --- a worker's rows --------------------------------------------------------------------------
// Outside hogwild, a worker never writes the shared matrix during a round: the first time it
// touches a row it copies it (copy on write) and from then on reads and writes the copy.
// `direct` workers (one worker, or hogwild) use the shared matrix itself.
typedef struct {
    float *base;       // (V, stride) the shared matrix
    int direct;
    int stride;
    int32_t V;
    int32_t *slot;     // (V) row -> its copy, -1: not touched this round
    int32_t *row;      // (cap) copy -> row
    int32_t *hits;     // (cap) updates of each copy this round
    int32_t maxhits;   // the most any copy has had
    float *data;       // (cap, stride) the copies
    int32_t n, cap;
} W2vRows;

static void rows_init(W2vRows *r, float *base, int32_t V, int stride, int direct)
{
    memset(r, 0, sizeof *r);
    r->base = base;
    r->V = V;
    r->stride = stride;
    r->direct = direct;
    if (!direct) {
        r->slot = lab_malloc((size_t)V * sizeof *r->slot);
        memset(r->slot, 0xff, (size_t)V * sizeof *r->slot); // all -1
        r->cap = V < 256 ? V : 256;
        r->row = lab_malloc((size_t)r->cap * sizeof *r->row);
        r->hits = lab_malloc((size_t)r->cap * sizeof *r->hits);
        r->data = w2v_alloc_floats((size_t)r->cap * stride);
    }
}

static void rows_free(W2vRows *r)
{
    free(r->slot);
    free(r->row);
    free(r->hits);
    free(r->data);
    memset(r, 0, sizeof *r);
}

// The index of row w's writable copy (its index in base when direct). May move r->data.
static inline int32_t rows_touch(W2vRows *r, int32_t w)
{
    if (r->direct) {
        return w;
    }
    int32_t s = r->slot[w];
    if (s >= 0) {
        if (++r->hits[s] > r->maxhits) {
            r->maxhits = r->hits[s];
        }
        return s;
    }
    if (r->n == r->cap) {
        int32_t cap = r->cap > r->V / 2 ? r->V : 2 * r->cap;
        float *data = w2v_alloc_floats((size_t)cap * r->stride);
        memcpy(data, r->data, (size_t)r->n * r->stride * sizeof *data);
        free(r->data);
        r->data = data;
        r->row = lab_realloc(r->row, (size_t)cap * sizeof *r->row);
        r->hits = lab_realloc(r->hits, (size_t)cap * sizeof *r->hits);
        r->cap = cap;
    }
    s = r->n++;
    r->slot[w] = s;
    r->row[s] = w;
    r->hits[s] = 1;
    r->maxhits = r->maxhits > 1 ? r->maxhits : 1;
    memcpy(r->data + (size_t)s * r->stride, r->base + (size_t)w * r->stride,
           (size_t)r->stride * sizeof(float));
    return s;
}

static inline float *rows_at(const W2vRows *r, int32_t s)
{
    return (r->direct ? r->base : r->data) + (size_t)s * r->stride;
}

// Row w as this worker sees it, for reading only (no copy is made).
static inline const float *rows_peek(const W2vRows *r, int32_t w)
{
    if (!r->direct && r->slot[w] >= 0) {
        return r->data + (size_t)r->slot[w] * r->stride;
    }
    return r->base + (size_t)w * r->stride;
}

// --- the trainer ------------------------------------------------------------------------------

// A worker's state: written at every step, so each worker starts on a cache line of its own
// (two workers writing one line would slow each other down: false sharing).
typedef struct {
    _Alignas(64) LabRng rng;
    long long s0, s1;      // the shard: sentences [s0, s1)
    long long words;       // training words in the shard
    long long next;        // the next sentence to train
    long long done;        // words of the shard read this epoch
    long long pairs;       // pairs trained this epoch
    double loss;           // their summed loss
    float alpha;           // learning rate of the latest sentence
    int32_t *sen;          // (W2V_MAX_SENTENCE) the words of a sentence that survive subsampling
    float *neu1, *neu1e;   // (stride) CBOW's mean input; the input's accumulated change
    int32_t *tslot;        // (K + 1) the output rows of one step
    float **u;             // (K + 1)
    W2vRows r0, r1;        // syn0, syn1neg
} W2vWorker;

typedef struct {
    const W2vData *d;
    const W2vConfig *cfg;
    W2vModel *m;
    W2vAlias alias;
    uint64_t *keep;        // (V) subsampling: keep a word when 32 random bits < keep[w]
    W2vWorker *wk;         // (W)
    int W;
    int32_t *owner;        // (2, V) per matrix, the first worker that touched a row, -1: none
} W2vTrainer;

// Draws the negatives of one step after the positive output row `pos`: targets[0] = pos, then
// up to K draws (a draw of pos itself is skipped, as in word2vec.c). Returns the number of
// negatives kept; u[] receives the writable rows.
static int draw_targets(W2vWorker *k, const W2vTrainer *t, int32_t pos)
{
    int K = t->cfg->negative, nk = 0;
    k->tslot[0] = rows_touch(&k->r1, pos);
    for (int j = 0; j < K; j++) {
        int32_t w = w2v_alias_draw(&t->alias, &k->rng);
        if (w == pos) {
            continue;
        }
        k->tslot[++nk] = rows_touch(&k->r1, w);
    }
    // pointers only now: rows_touch may have moved the copies
    for (int j = 0; j <= nk; j++) {
        k->u[j] = rows_at(&k->r1, k->tslot[j]);
    }
    return nk;
}

static void train_sentence(W2vTrainer *t, W2vWorker *k, long long s, int epoch)
{
    const W2vConfig *cfg = t->cfg;
    const int32_t *ws = t->d->words + t->d->start[s];
    int len = (int)(t->d->start[s + 1] - t->d->start[s]);
    int stride = t->m->stride, window = cfg->window;

    // word2vec.c's schedule, from this worker's progress through its shard
    double progress = ((double)epoch * k->words + k->done) / ((double)cfg->epochs * k->words + 1);
    double a = cfg->alpha * (1.0 - progress);
    k->alpha = (float)(a > cfg->alpha * 1e-4 ? a : cfg->alpha * 1e-4);
    k->done += len;

    int n = 0;
    for (int i = 0; i < len; i++) {
        int32_t w = ws[i];
        if (t->keep[w] <= 0xffffffffu && (lab_rng_u64(&k->rng) >> 32) >= t->keep[w]) {
            continue;
        }
        k->sen[n++] = w;
    }

    for (int i = 0; i < n; i++) {
        // the dynamic window: a reduced window drawn in 1..window for each centre word, so
        // near words count more than far ones
        int b = (int)lab_rng_below(&k->rng, (uint64_t)window);
        int lo = i - (window - b), hi = i + (window - b);
        lo = lo < 0 ? 0 : lo;
        hi = hi > n - 1 ? n - 1 : hi;
        int32_t centre = k->sen[i];
        if (cfg->model == W2V_SKIPGRAM) {
            // each context word's input vector predicts the centre word (word2vec.c's order)
            for (int j = lo; j <= hi; j++) {
                if (j == i) {
                    continue;
                }
                float *h = rows_at(&k->r0, rows_touch(&k->r0, k->sen[j]));
                int nk = draw_targets(k, t, centre);
                memset(k->neu1e, 0, (size_t)stride * sizeof(float));
                k->loss += w2v_ns_step(k->neu1e, h, k->u, nk, k->alpha, stride);
                k->pairs++;
#pragma omp simd
                for (int c = 0; c < stride; c++) {
                    h[c] += k->neu1e[c];
                }
            }
        } else {
            // CBOW: the mean of the context's input vectors predicts the centre word
            int cw = 0;
            memset(k->neu1, 0, (size_t)stride * sizeof(float));
            for (int j = lo; j <= hi; j++) {
                if (j == i) {
                    continue;
                }
                const float *x = rows_peek(&k->r0, k->sen[j]);
#pragma omp simd
                for (int c = 0; c < stride; c++) {
                    k->neu1[c] += x[c];
                }
                cw++;
            }
            if (cw == 0) {
                continue;
            }
            for (int c = 0; c < stride; c++) {
                k->neu1[c] /= (float)cw;
            }
            int nk = draw_targets(k, t, centre);
            memset(k->neu1e, 0, (size_t)stride * sizeof(float));
            k->loss += w2v_ns_step(k->neu1e, k->neu1, k->u, nk, k->alpha, stride);
            k->pairs++;
            // word2vec.c (and gensim's default) add the whole change to every context word,
            // not the 1/cw share the mean's gradient would give
            for (int j = lo; j <= hi; j++) {
                if (j == i) {
                    continue;
                }
                float *x = rows_at(&k->r0, rows_touch(&k->r0, k->sen[j]));
#pragma omp simd
                for (int c = 0; c < stride; c++) {
                    x[c] += k->neu1e[c];
                }
            }
        }
    }
}

// One round of worker k: sentences until its shard ends, it has read sync_words words, or one
// of its copies has been updated sync_updates / (W - 1)^1.5 times. The last bound keeps the
// merge stable: a row that every worker updates often (the output vector of a frequent word)
// moves up to W times as far at the merge as within any one worker, and would overshoot
// without it. (The exponent is empirical: 1 let 16 workers diverge; 1.5 held up to 16.)
static void worker_round(W2vTrainer *t, W2vWorker *k, int epoch)
{
    k->r0.n = k->r1.n = 0; // the merge that read the copies is over
    k->r0.maxhits = k->r1.maxhits = 0;
    long long quota = k->done + t->cfg->sync_words;
    int32_t cap = INT32_MAX;
    if (t->W > 1 && t->cfg->sync_updates > 0) {
        double w1 = t->W - 1;
        double c = floor((double)t->cfg->sync_updates / (w1 * sqrt(w1))); // sqrt: exact in IEEE
        cap = c < 1 ? 1 : c > INT32_MAX ? INT32_MAX : (int32_t)c;
    }
    while (k->next < k->s1 && k->done < quota && k->r0.maxhits < cap && k->r1.maxhits < cap) {
        train_sentence(t, k, k->next, epoch);
        k->next++;
    }
}

// The merge of one matrix at the end of a round, for the rows r with r % T == part: every row
// some worker touched becomes base + the sum of the workers' changes to it, added in worker
// order (a row touched by one worker takes that worker's copy as it is). Each row is done by
// one thread, in the same order whatever the number of threads T, so the result does not
// depend on T.
static void merge_part(W2vTrainer *t, int which, int T, int part)
{
    int W = t->W;
    int32_t *owner = t->owner + (size_t)which * t->d->V; // the first worker to touch a row
    // workers in order: the first to have touched a row keeps its copy, which collects the
    // changes of the later ones
    for (int w = 0; w < W; w++) {
        const W2vRows *r = which ? &t->wk[w].r1 : &t->wk[w].r0;
        int stride = r->stride;
        for (int32_t s = 0; s < r->n; s++) {
            int32_t row = r->row[s];
            if (row % T != part) {
                continue;
            }
            if (owner[row] < 0) {
                owner[row] = w;
                continue;
            }
            const W2vRows *ro = which ? &t->wk[owner[row]].r1 : &t->wk[owner[row]].r0;
            float *acc = ro->data + (size_t)ro->slot[row] * stride;
            const float *mine = r->data + (size_t)s * stride;
            const float *base = r->base + (size_t)row * stride;
#pragma omp simd
            for (int c = 0; c < stride; c++) {
                acc[c] += mine[c] - base[c];
            }
        }
    }
    // then the first worker's copy goes back into the model, and the round's marks are cleared
    for (int w = 0; w < W; w++) {
        const W2vRows *r = which ? &t->wk[w].r1 : &t->wk[w].r0;
        for (int32_t s = 0; s < r->n; s++) {
            int32_t row = r->row[s];
            if (row % T != part) {
                continue;
            }
            if (owner[row] == w) {
                memcpy(r->base + (size_t)row * r->stride, r->data + (size_t)s * r->stride,
                       (size_t)r->stride * sizeof(float));
                owner[row] = -1; // later workers that touched the row see -1, not themselves
            }
            r->slot[row] = -1;
        }
    }
}

// What the workers have done so far, for the report (read while no worker trains).
static void snapshot(W2vReport *r, const W2vTrainer *t, int epoch, long long words_before,
                     double t0)
{
    *r = (W2vReport){.epoch = epoch + 1};
    r->total_words = t->d->n * t->cfg->epochs;
    r->words = words_before;
    double loss = 0;
    for (int w = 0; w < t->W; w++) {
        r->words += t->wk[w].done;
        r->pairs += t->wk[w].pairs;
        loss += t->wk[w].loss;
    }
    r->loss = r->pairs > 0 ? loss / (double)r->pairs : NAN;
    r->alpha = 0;
    for (int w = 0; w < t->W && r->alpha == 0; w++) {
        r->alpha = t->wk[w].alpha; // the first worker with a shard (a tiny text leaves some out)
    }
    r->seconds = lab_now() - t0;
}

int w2v_train(W2vModel *m, const W2vData *d, const W2vConfig *cfg, W2vReportFn report,
              void *ctx)
{
    if (m->V != d->V || cfg->dim != m->D || cfg->window < 1 || cfg->negative < 0 ||
        cfg->epochs < 1 || cfg->threads < 1 || cfg->sync_words < 1 || cfg->sync_updates < 0 ||
        !(cfg->alpha > 0)) {
        return lab_error("word2vec: a configuration it cannot train (dim %d, window %d, "
                         "negative %d, epochs %d, threads %d)",
                         cfg->dim, cfg->window, cfg->negative, cfg->epochs, cfg->threads);
    }
    double t0 = lab_now();
    W2vTrainer t = {.d = d, .cfg = cfg, .m = m, .W = cfg->threads};
    int W = t.W;
    int direct = cfg->hogwild || W == 1;
    w2v_alias_init(&t.alias, d->count, d->V, 0.75);
    t.keep = lab_malloc((size_t)d->V * sizeof *t.keep);
    for (int32_t w = 0; w < d->V; w++) {
        double p = w2v_keep_prob(d->count[w], d->n, cfg->sample);
        t.keep[w] = p >= 1.0 ? (uint64_t)1 << 32 : (uint64_t)(p * W2V_ONE32);
    }
    t.owner = lab_malloc(2 * (size_t)d->V * sizeof *t.owner);
    memset(t.owner, 0xff, 2 * (size_t)d->V * sizeof *t.owner);
    t.wk = aligned_alloc(64, (size_t)W * sizeof *t.wk); // sizeof is a multiple of 64
    if (!t.wk) {
        lab_die(NULL, "out of memory (%d word2vec workers)", W);
    }
    memset(t.wk, 0, (size_t)W * sizeof *t.wk);
    long long s = 0;
    for (int w = 0; w < W; w++) {
        W2vWorker *k = &t.wk[w];
        lab_rng_stream(&k->rng, cfg->seed, 1 + (uint64_t)w);
        // shard w: the sentences that start in words [n w / W, n (w + 1) / W)
        long long to = d->n * (w + 1) / W;
        k->s0 = s;
        while (s < d->nsent && (w == W - 1 || d->start[s] < to)) {
            s++;
        }
        k->s1 = s;
        k->words = d->start[k->s1] - d->start[k->s0];
        k->sen = lab_malloc(W2V_MAX_SENTENCE * sizeof *k->sen);
        k->neu1 = w2v_alloc_floats((size_t)m->stride);
        k->neu1e = w2v_alloc_floats((size_t)m->stride);
        k->tslot = lab_malloc((size_t)(cfg->negative + 1) * sizeof *k->tslot);
        k->u = lab_malloc((size_t)(cfg->negative + 1) * sizeof *k->u);
        rows_init(&k->r0, m->syn0, m->V, m->stride, direct);
        rows_init(&k->r1, m->syn1neg, m->V, m->stride, direct);
    }

    // One parallel region for the whole run. The T threads it gets (T <= W) run the workers
    // w = me, me + T, ..; they meet at a blocking barrier twice a round: after training (then
    // merge, each its share of the rows) and after merging. A blocking barrier, not OpenMP's
    // spinning one: on a busy machine a spinning thread takes the core its late partner needs.
    pthread_barrier_t bar;
    W2vReport snap = {0};
    int more = 0; // does any worker have sentences left in this epoch
    int stop = 0; // the NaN guard tripped: set by thread 0, read by all after a barrier
#pragma omp parallel num_threads(W)
    {
        int T = omp_get_num_threads(), me = omp_get_thread_num();
#pragma omp single
        {
            pthread_barrier_init(&bar, NULL, (unsigned)T);
        }
        long long words_before = 0;
        for (int e = 0; e < cfg->epochs; e++) {
            for (int w = me; w < W; w += T) {
                W2vWorker *k = &t.wk[w];
                k->next = k->s0;
                k->done = k->pairs = 0;
                k->loss = 0;
            }
            pthread_barrier_wait(&bar);
            do {
                for (int w = me; w < W; w += T) {
                    worker_round(&t, &t.wk[w], e);
                }
                pthread_barrier_wait(&bar);
                if (!direct) {
                    merge_part(&t, 0, T, me);
                    merge_part(&t, 1, T, me);
                }
                if (me == 0) {
                    snapshot(&snap, &t, e, words_before, t0);
                    more = 0; // written here only, read by all after the next barrier
                    for (int w = 0; w < W; w++) {
                        more |= t.wk[w].next < t.wk[w].s1;
                    }
                    // the NaN guard: a loss that is not finite means the vectors overflowed;
                    // an epoch without a pair (subsampling dropped every word) has no loss
                    if ((snap.pairs > 0 && !isfinite(snap.loss)) || (!more && snap.pairs == 0)) {
                        stop = 1;
                        more = 0;
                    }
                }
                pthread_barrier_wait(&bar);
                if (me == 0 && report && !stop) {
                    report(&snap, ctx);
                }
            } while (more);
            if (stop) {
                break; // every thread read stop after the same barrier
            }
            if (me == 0 && report) {
                snap.epoch_done = 1;
                report(&snap, ctx);
            }
            words_before += d->n;
        }
    }
    pthread_barrier_destroy(&bar);

    for (int w = 0; w < W; w++) {
        W2vWorker *k = &t.wk[w];
        free(k->sen);
        free(k->neu1);
        free(k->neu1e);
        free(k->tslot);
        free(k->u);
        rows_free(&k->r0);
        rows_free(&k->r1);
    }
    free(t.wk);
    free(t.owner);
    free(t.keep);
    w2v_alias_free(&t.alias);
    if (stop && snap.pairs == 0) {
        return lab_error_hint("--sample 0 keeps every word; or train on a longer text",
                              "word2vec: epoch %d trained no (word, context) pair: subsampling "
                              "dropped the words of every line of two words or more",
                              snap.epoch);
    }
    if (stop) {
        return lab_error_hint("a smaller --alpha keeps the steps small",
                              "word2vec: the loss became %g in epoch %d (after %lld words): "
                              "training diverged", fabs(snap.loss), snap.epoch, snap.words);
    }
    return 0;
}
