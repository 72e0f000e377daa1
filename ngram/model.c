// model.c: smoothing counts into a backoff model, and scoring with it.
//
// Every smoothing is written in the backoff form P(w|h) = p(h,w) if (h,w) is stored, else
// bow(h) P(w|h'), which for these models is an identity, not an approximation:
//   mle       p = c(h,w)/c(h) on whole n-grams; nothing else (unseen events: probability 0)
//   add-k     p = (c(h,w)+k)/(c(h)+kV) on whole n-grams, 1/V below; bow(h) = kV/(c(h)+kV)
//   interp    p_k(w|h) = (c(h,w) + e_k p_{k-1}(w|h'))/(c(h) + e_k); bow(h) = e_k/(c(h)+e_k)
//   kn        p_k(w|h) = (a(h,w) - D(a))/S(h) + gamma(h) p_{k-1}(w|h'); bow(h) = gamma(h)
// where c(h) = sum_w c(h,w), a are Kneser-Ney adjusted counts and S(h) = sum_w a(h,w).
// A whole n-gram is one of order N or, with one <s> in front, one that starts with <s> (see
// is_whole): its context is the token's whole history.
// The formulas are derived in docs/ngram.md and chapters/02-ngrams.
#include "ngram.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int32_t ngram_first_predictable(TokUnit unit)
{
    return unit == UNIT_LINE ? TOK_EOS : TOK_UNK;
}

int32_t ngram_vocab_size(const NgramModel *m)
{
    return m->vocab.n - ngram_first_predictable(m->unit);
}

double ngram_addk_prob(double c_hw, double c_h, double k, double V)
{
    return (c_hw + k) / (c_h + k * V);
}

double ngram_interp_prob(double c_hw, double c_h, double eps, double p_lower)
{
    return (c_hw + eps * p_lower) / (c_h + eps);
}

static double kn_discount(const double D[3], double a)
{
    return a <= 0 ? 0.0 : D[(a >= 3 ? 3 : (int)a) - 1];
}

double ngram_kn_prob(double a, double S, const double D[3], const double n[3], double p_lower)
{
    if (!(S > 0)) {
        return p_lower;
    }
    double gamma = (D[0] * n[0] + D[1] * n[1] + D[2] * n[2]) / S;
    return fmax(a - kn_discount(D, a), 0.0) / S + gamma * p_lower;
}

int ngram_kn_discounts(const uint64_t t[4], double D[3])
{
    static const double fallback[3] = {0.5, 1.0, 1.5};
    int ok = t[0] > 0 && t[1] > 0 && t[2] > 0 && t[3] > 0;
    if (ok) {
        double Y = (double)t[0] / ((double)t[0] + 2.0 * (double)t[1]);
        for (int j = 1; j <= 3; j++) {
            // D_j = j - (j+1) Y t_{j+1} / t_j
            D[j - 1] = j - (j + 1) * Y * (double)t[j] / (double)t[j - 1];
            if (!(D[j - 1] > 0 && D[j - 1] < j)) {
                ok = 0;
            }
        }
    }
    if (!ok) {
        memcpy(D, fallback, sizeof fallback);
        return -1;
    }
    return 0;
}

// --- the continuations of each context (ngram_model_index_children) ---------------------------

// Order k's n-grams grouped by their parent (a node of order k-1): the slots at order k
// whose key has parent h are slot[k][first[k][h] .. first[k][h + 1]).
struct NgramChildren {
    uint32_t *first[NGRAM_MAX_ORDER + 1]; // (lev[k-1].cap + 1), k >= 2
    uint32_t *slot[NGRAM_MAX_ORDER + 1];  // (lev[k].n), k >= 2
    uint32_t *uni;                        // (vocab.n) order-1 node of each id, or NGRAM_NONE
};

static void children_free(struct NgramChildren *c)
{
    if (!c) {
        return;
    }
    for (int k = 0; k <= NGRAM_MAX_ORDER; k++) {
        free(c->first[k]);
        free(c->slot[k]);
    }
    free(c->uni);
    free(c);
}

// --- building -----------------------------------------------------------------------------

// Tables of at least this many slots are estimated on every thread (below, starting the
// threads costs more than they save).
#define PAR_SLOTS (1u << 16)
#define AHEAD 16 // slots between a prefetch and its use

// Per-context sums over the continuations at the next order, one record per context node:
// the estimates read them at random places, so a context's sums share one cache line.
typedef struct {
    double csum;        // sum_w c(h,w)
    double asum;        // sum_w a(h,w)
    uint32_t nj[3];     // number of w with a(h,w) == 1, == 2, >= 3
} CtxSum;

typedef struct {
    CtxSum *c;          // (lev[k-1].cap) indexed by the context's node
} CtxStats;

static inline uint32_t parent_of(uint64_t key)
{
    return (uint32_t)(key >> 32);
}

static inline int32_t token_of(uint64_t key)
{
    return (int32_t)(uint32_t)key;
}

// the count that smoothing uses for an order-k node of an order-N model
static inline uint32_t used_count(const NgramLevel *L, uint32_t s, int k, int N, Smoothing sm)
{
    if (sm == SMOOTH_KN && k < N) {
        return L->val[NGRAM_ADJ][s];
    }
    return L->val[NGRAM_COUNT][s];
}

// The sums of order k's contexts into st->c, which holds at least lev[k-1].cap records (one
// block for every order: a new one each time would cost its page faults again).
static void stats_compute(CtxStats *st, const NgramCounts *nc, int k, int N, Smoothing sm)
{
    // contexts live at order k-1, their continuations at order k
    const NgramLevel *L = &nc->lev[k];
    memset(st->c, 0, (size_t)nc->lev[k - 1].cap * sizeof *st->c);
    for (uint32_t s = 0; s < L->cap; s++) {
        // the sums lie at random places: fetch them some slots ahead
        if (s + AHEAD < L->cap && L->keys[s + AHEAD] != NGRAM_EMPTY) {
            __builtin_prefetch(&st->c[parent_of(L->keys[s + AHEAD])], 1);
        }
        uint64_t key = L->keys[s];
        if (key == NGRAM_EMPTY || L->val[NGRAM_COUNT][s] == 0) {
            continue;
        }
        uint32_t h = parent_of(key);
        uint32_t a = used_count(L, s, k, N, sm);
        CtxSum *c = &st->c[h];
        c->csum += L->val[NGRAM_COUNT][s];
        c->asum += a;
        if (a > 0) {
            c->nj[(a >= 3 ? 3 : a) - 1]++;
        }
    }
}

static void kn_order_discounts(const NgramCounts *nc, int k, int N, NgramParams *p)
{
    const NgramLevel *L = &nc->lev[k];
    uint64_t t[4] = {0, 0, 0, 0};
    for (uint32_t s = 0; s < L->cap; s++) {
        if (L->keys[s] == NGRAM_EMPTY || L->val[NGRAM_COUNT][s] == 0) {
            continue;
        }
        uint32_t a = used_count(L, s, k, N, SMOOTH_KN);
        if (a >= 1 && a <= 4) {
            t[a - 1]++;
        }
    }
    p->discount_fallback[k] = ngram_kn_discounts(t, p->discount[k]) != 0;
}

// Whether the order-k node s is a whole history and its token: order N, or (one <s> in
// front) an n-gram that starts with <s>, which no longer context can extend. Such n-grams
// take the top-order formula of add-k and mle, as Kneser-Ney gives them raw counts. With
// N-1 <s> in front every scored context is whole, and lower orders are only backed off to.
static int is_whole(const NgramCounts *nc, int k, int N, uint32_t s)
{
    if (k == N) {
        return 1;
    }
    if (nc->pad != NGRAM_PAD_SENTENCE) {
        return 0;
    }
    for (int j = k; j > 1; j--) {
        s = parent_of(nc->lev[j].keys[s]);
    }
    return token_of(nc->lev[1].keys[s]) == TOK_BOS;
}

static int is_predictable(int32_t w, TokUnit unit)
{
    return w >= ngram_first_predictable(unit);
}

// ngram_model_build, and with take (== nc) ngram_model_build_from: the keys and suffix links
// move into the model instead of being copied.
static int model_build(NgramModel *m, const NgramCounts *nc, NgramCounts *take,
                       const Vocab *vocab, int order, NgramParams *params)
{
    memset(m, 0, sizeof *m);
    if (order < 1 || order > nc->order) {
        return lab_error("order %d is outside the counted orders 1..%d", order, nc->order);
    }
    Smoothing sm = params->smoothing;
    if (sm == SMOOTH_ADDK && !(params->k > 0)) {
        return lab_error("add-k needs k > 0 (got %g)", params->k);
    }
    if (sm == SMOOTH_INTERP) {
        for (int k = 1; k <= order; k++) {
            if (!(params->eps[k] > 0)) {
                return lab_error("interp needs eps > 0 at every order (order %d: %g)", k,
                                 params->eps[k]);
            }
        }
    }
    m->order = order;
    m->unit = nc->unit;
    m->params = *params;
    m->pad = nc->pad;
    NgramParams *p = &m->params;
    if (sm == SMOOTH_LAPLACE) {
        p->k = 1.0;
    }
    // the vocabulary: copy
    vocab_init(&m->vocab);
    for (int32_t id = TOK_FIRST; id < vocab->n; id++) {
        vocab_add(&m->vocab, vocab->str[id], vocab->len[id]);
    }
    memcpy(m->vocab.count, vocab->count, (size_t)vocab->n * sizeof *vocab->count);
    const double V = ngram_vocab_size(m);
    const double kk = p->k;
    CtxStats st = {0};
    uint32_t ctx_cap = 0; // the most contexts of an order below the top
    for (int k = 1; k < order; k++) {
        ctx_cap = nc->lev[k].cap > ctx_cap ? nc->lev[k].cap : ctx_cap;
    }
    if (order > 1) {
        st.c = ngram_table_alloc((size_t)ctx_cap * sizeof *st.c, 0);
    }

    for (int k = 1; k <= order; k++) {
        const NgramLevel *L = &nc->lev[k];
        // keys: the counted trie's at this order, moved (take) or copied
        NgramLevel *M = &m->lev[k];
        if (take) {
            *M = (NgramLevel){.keys = L->keys, .n = L->n, .cap = L->cap};
            take->keys_lent |= 1u << k;
        } else {
            ngram_level_init(M, L->cap, 0);
            memcpy(M->keys, L->keys, (size_t)L->cap * sizeof *L->keys);
            M->n = L->n;
        }
        // (logp and logbow: every slot is written below, on every thread, which shares out
        // their first touches too)
        m->logp[k] = ngram_table_alloc((size_t)L->cap * sizeof *m->logp[k], -1);
        if (k >= 2 && take) {
            m->suffix[k] = take->lev[k].val[NGRAM_SUFFIX];
            take->lev[k].val[NGRAM_SUFFIX] = NULL;
        } else if (k >= 2) {
            m->suffix[k] = ngram_table_alloc((size_t)L->cap * sizeof *m->suffix[k], 0);
            memcpy(m->suffix[k], L->val[NGRAM_SUFFIX], (size_t)L->cap * sizeof *m->suffix[k]);
        }
        if (k < order) {
            m->logbow[k] = ngram_table_alloc((size_t)L->cap * sizeof *m->logbow[k], -1);
        }
        if (sm == SMOOTH_KN) {
            kn_order_discounts(nc, k, order, p);
        }
        const double *D = p->discount[k];
        double total = 0;             // order 1: the sum of the (adjusted) counts
        double n_uni[3] = {0, 0, 0};  // order 1: unigrams with a == 1, == 2, >= 3
        if (k == 1) {
            for (uint32_t s = 0; s < L->cap; s++) {
                if (L->keys[s] != NGRAM_EMPTY && is_predictable(token_of(L->keys[s]), m->unit)) {
                    uint32_t a = used_count(L, s, 1, order, sm);
                    total += a;
                    if (a > 0) {
                        n_uni[(a >= 3 ? 3 : a) - 1]++;
                    }
                }
            }
        } else {
            stats_compute(&st, nc, k, order, sm);
        }
        const double eps = p->eps[k];
        // each slot's estimate reads the counts, the stats and the order below and writes
        // only its own logp: the slots are shared out among the threads, the same doubles
        // whatever their number (and likewise each context's backoff weight below)
#pragma omp parallel for schedule(static) if (L->cap >= PAR_SLOTS)
        for (uint32_t s = 0; s < L->cap; s++) {
            uint64_t ahead = s + AHEAD < L->cap ? L->keys[s + AHEAD] : NGRAM_EMPTY;
            if (k > 1 && ahead != NGRAM_EMPTY) {
                __builtin_prefetch(&st.c[parent_of(ahead)]);
                __builtin_prefetch(&m->logp[k - 1][m->suffix[k][s + AHEAD]]);
            }
            uint64_t key = L->keys[s];
            if (key == NGRAM_EMPTY) {
                m->logp[k][s] = 0;
                continue;
            }
            int32_t w = token_of(key);
            if (!is_predictable(w, m->unit)) {
                m->logp[k][s] = -INFINITY;
                continue;
            }
            double c = L->val[NGRAM_COUNT][s];
            double lower = k > 1 ? exp(m->logp[k - 1][m->suffix[k][s]]) : 1.0 / V;
            uint32_t h = parent_of(key);
            double ch = k > 1 ? st.c[h].csum : total;
            double prob;
            switch (sm) {
            case SMOOTH_MLE:
                prob = (is_whole(nc, k, order, s) && c > 0) ? c / ch : 0.0;
                break;
            case SMOOTH_LAPLACE:
            case SMOOTH_ADDK:
                prob = is_whole(nc, k, order, s) ? ngram_addk_prob(c, ch, kk, V) : 1.0 / V;
                break;
            case SMOOTH_INTERP:
                // k == 1: (c(w) + e/V) / (n + e), the same formula with lower = 1/V
                prob = ngram_interp_prob(c, ch, eps, lower);
                break;
            case SMOOTH_KN: {
                double a = used_count(L, s, k, order, sm);
                if (k == 1) {
                    prob = ngram_kn_prob(a, total, D, n_uni, lower); // lower = 1/V
                } else {
                    double n[3] = {st.c[h].nj[0], st.c[h].nj[1], st.c[h].nj[2]};
                    prob = ngram_kn_prob(a, st.c[h].asum, D, n, lower);
                }
                break;
            }
            default:
                assert(0);
                prob = 0;
            }
            m->logp[k][s] = prob > 0 ? log(prob) : -INFINITY;
        }
        // backoff weights of the order-(k-1) contexts
        if (k > 1) {
            const NgramLevel *Lc = &nc->lev[k - 1];
            double *bow = m->logbow[k - 1];
#pragma omp parallel for schedule(static) if (Lc->cap >= PAR_SLOTS)
            for (uint32_t h = 0; h < Lc->cap; h++) {
                if (Lc->keys[h] == NGRAM_EMPTY) {
                    bow[h] = 0;
                    continue;
                }
                double b;
                switch (sm) {
                case SMOOTH_MLE:
                    b = 0.0;
                    break;
                case SMOOTH_LAPLACE:
                case SMOOTH_ADDK:
                    // a whole context is one an order-k add-k estimate conditions on
                    b = k == order || (k > 1 && is_whole(nc, k - 1, order, h))
                            ? kk * V / (st.c[h].csum + kk * V)
                            : 1.0;
                    break;
                case SMOOTH_INTERP:
                    b = eps / (st.c[h].csum + eps);
                    break;
                case SMOOTH_KN:
                    b = st.c[h].asum > 0 ? (D[0] * st.c[h].nj[0] + D[1] * st.c[h].nj[1] +
                                            D[2] * st.c[h].nj[2]) / st.c[h].asum
                                       : 1.0;
                    break;
                default:
                    b = 1.0;
                }
                bow[h] = b > 0 ? log(b) : -INFINITY;
            }
        }
    }
    free(st.c);
    return 0;
}

int ngram_model_build(NgramModel *m, const NgramCounts *nc, const Vocab *vocab, int order,
                      NgramParams *params)
{
    return model_build(m, nc, NULL, vocab, order, params);
}

int ngram_model_build_from(NgramModel *m, NgramCounts *nc, const Vocab *vocab, int order,
                           NgramParams *params)
{
    return model_build(m, nc, nc, vocab, order, params);
}

void ngram_model_free(NgramModel *m)
{
    ngram_bin_close(m->bin);
    children_free(m->children);
    for (int k = 0; k <= NGRAM_MAX_ORDER; k++) {
        ngram_level_free(&m->lev[k]);
        free(m->logp[k]);
        free(m->logbow[k]);
        free(m->suffix[k]);
    }
    vocab_free(&m->vocab);
    memset(m, 0, sizeof *m);
}

// --- scoring ------------------------------------------------------------------------------

void ngram_model_link_suffixes(NgramModel *m)
{
    for (int k = 2; k <= m->order; k++) {
        const NgramLevel *L = &m->lev[k];
        free(m->suffix[k]);
        m->suffix[k] = ngram_table_alloc((size_t)L->cap * sizeof *m->suffix[k], 0);
        // each slot writes only its own link: the slots are shared out among the threads
#pragma omp parallel for schedule(static) if (L->cap >= PAR_SLOTS)
        for (uint32_t s = 0; s < L->cap; s++) {
            // two random reads per n-gram (its parent's suffix, then the probe): fetch the
            // first 2 AHEAD slots ahead and the second AHEAD ahead, when the first is in
            if (k > 2 && s + 2 * AHEAD < L->cap && L->keys[s + 2 * AHEAD] != NGRAM_EMPTY) {
                __builtin_prefetch(&m->suffix[k - 1][parent_of(L->keys[s + 2 * AHEAD])]);
            }
            if (s + AHEAD < L->cap && L->keys[s + AHEAD] != NGRAM_EMPTY) {
                uint64_t a = L->keys[s + AHEAD];
                uint32_t sh = k == 2 ? 0 : m->suffix[k - 1][parent_of(a)];
                if (sh != NGRAM_NONE) {
                    __builtin_prefetch(&m->lev[k - 1].keys[ngram_level_slot(&m->lev[k - 1], sh,
                                                                            token_of(a))]);
                }
            }
            uint64_t key = L->keys[s];
            if (key == NGRAM_EMPTY) {
                m->suffix[k][s] = NGRAM_NONE;
                continue;
            }
            // suffix(h w) = (suffix(h), w): one lookup per n-gram, orders upwards
            uint32_t h = parent_of(key);
            uint32_t sh = k == 2 ? 0 : m->suffix[k - 1][h];
            m->suffix[k][s] = ngram_level_find(&m->lev[k - 1], sh, token_of(key));
        }
    }
}

// ln P(w | the context whose nodes are ctx[0..N-1]); ctx[j] is the node of the last j tokens
// (ctx[0] the root), NGRAM_NONE where that context is not stored. Fills next[0..N-1] with
// the context nodes after w.
//
// The search goes down from the longest stored context, so a well-fitting model finds most
// tokens with one or two lookups; the shorter contexts after w are suffixes of the n-gram
// found, reached through suffix links instead of lookups.
static double score(const NgramModel *m, const uint32_t *ctx, int32_t w, uint32_t *next)
{
    int N = m->order;
    int longest = N - 1;
    while (longest > 0 && ctx[longest] == NGRAM_NONE) {
        longest--;
    }
    int top = 0;
    uint32_t found = NGRAM_NONE;
    for (int k = longest + 1; k >= 1; k--) {
        found = ngram_level_find(&m->lev[k], ctx[k - 1], w);
        if (found != NGRAM_NONE) {
            top = k;
            break;
        }
    }
    if (next) {
        next[0] = 0;
        for (int j = N - 1; j >= 1; j--) {
            next[j] = NGRAM_NONE; // orders above top: (ctx[j-1], w) is not stored
        }
        uint32_t node = found;
        for (int j = top; j >= 1; j--) {
            if (j < N) {
                next[j] = node;
            }
            node = j >= 2 && node != NGRAM_NONE ? m->suffix[j][node] : 0;
        }
    }
    if (top == 0) {
        return -INFINITY;
    }
    double lp = m->logp[top][found];
    for (int j = top; j <= longest; j++) {
        if (ctx[j] != NGRAM_NONE) { // (a pruned ARPA file may lack a suffix)
            lp += m->logbow[j][ctx[j]];
        }
    }
    return lp;
}

static void context_nodes(const NgramModel *m, const int32_t *context, uint32_t *ctx)
{
    int N = m->order;
    ctx[0] = 0;
    for (int j = 1; j < N; j++) {
        // the last j tokens of context (which holds N-1)
        uint32_t node = 0;
        for (int i = N - 1 - j; i < N - 1 && node != NGRAM_NONE; i++) {
            int lev = i - (N - 1 - j) + 1;
            node = ngram_level_find(&m->lev[lev], node, context[i]);
        }
        ctx[j] = node;
    }
}

uint32_t ngram_model_find(const NgramModel *m, int k, uint32_t parent, int32_t w)
{
    if (m->bin) {
        return ngram_bin_find(m->bin, k, parent, w);
    }
    return ngram_level_find(&m->lev[k], parent, w);
}

double ngram_logprob(const NgramModel *m, const int32_t *context, int32_t w)
{
    if (m->bin) {
        return ngram_bin_logprob(m, context, w);
    }
    uint32_t ctx[NGRAM_MAX_ORDER + 1];
    context_nodes(m, context, ctx);
    return score(m, ctx, w, NULL);
}

void ngram_model_index_children(NgramModel *m)
{
    if (m->bin || m->children) {
        return;
    }
    struct NgramChildren *c = lab_calloc(1, sizeof *c);
    c->uni = lab_malloc((size_t)m->vocab.n * sizeof *c->uni);
    for (int32_t w = 0; w < m->vocab.n; w++) {
        c->uni[w] = ngram_level_find(&m->lev[1], 0, w);
    }
    for (int k = 2; k <= m->order; k++) {
        const NgramLevel *L = &m->lev[k];
        uint32_t hcap = m->lev[k - 1].cap;
        uint32_t *first = c->first[k] = lab_calloc((size_t)hcap + 1, sizeof *first);
        uint32_t *slot = c->slot[k] = lab_malloc(((size_t)L->n + 1) * sizeof *slot);
        // counting sort by parent: sizes into first[h + 1], starts by a prefix sum, then each
        // slot placed at first[h]++, which leaves first[h] at the old first[h + 1]
        for (uint32_t s = 0; s < L->cap; s++) {
            if (L->keys[s] != NGRAM_EMPTY) {
                first[parent_of(L->keys[s]) + 1]++;
            }
        }
        for (uint32_t h = 0; h < hcap; h++) {
            first[h + 1] += first[h];
        }
        for (uint32_t s = 0; s < L->cap; s++) {
            if (L->keys[s] != NGRAM_EMPTY) {
                slot[first[parent_of(L->keys[s])]++] = s;
            }
        }
        memmove(first + 1, first, (size_t)hcap * sizeof *first);
        first[0] = 0;
    }
    m->children = c;
}

// ngram_distribution through the index: each id's log-probability at its highest order,
// each order overwriting the one below, as score() would find it searching down; then the
// backoff weights added in score()'s order, so the doubles are the same bit for bit.
static void distribution_indexed(const NgramModel *m, const uint32_t *ctx, double *probs)
{
    const struct NgramChildren *c = m->children;
    int N = m->order;
    int longest = N - 1;
    while (longest > 0 && ctx[longest] == NGRAM_NONE) {
        longest--;
    }
    // the highest order at which each id is stored after the context (0: nowhere), its slot
    uint8_t *top = lab_malloc((size_t)m->vocab.n);
    uint32_t *found = lab_malloc((size_t)m->vocab.n * sizeof *found);
    for (int32_t w = 0; w < m->vocab.n; w++) {
        found[w] = c->uni[w];
        top[w] = c->uni[w] != NGRAM_NONE;
    }
    for (int k = 2; k <= longest + 1; k++) {
        uint32_t h = ctx[k - 1];
        if (h == NGRAM_NONE) {
            continue;
        }
        const NgramLevel *L = &m->lev[k];
        for (uint32_t i = c->first[k][h]; i < c->first[k][h + 1]; i++) {
            uint32_t s = c->slot[k][i];
            int32_t w = token_of(L->keys[s]);
            top[w] = (uint8_t)k;
            found[w] = s;
        }
    }
    // most ids back off to the same few unigram values after the same weights: exp of a
    // value seen before comes from a small cache (the same double: exp is a function)
    enum { CACHE = 1024 };
    uint64_t seen[CACHE];
    double value[CACHE];
    memset(seen, 0xFF, sizeof seen); // (the bits of a NaN, never a log-probability here)
    int32_t first = ngram_first_predictable(m->unit);
    for (int32_t w = 0; w < m->vocab.n; w++) {
        if (w < first || top[w] == 0) {
            probs[w] = 0.0; // (score() gives -INFINITY for an id with no unigram)
            continue;
        }
        double lp = m->logp[top[w]][found[w]];
        for (int j = top[w]; j <= longest; j++) {
            if (ctx[j] != NGRAM_NONE) {
                lp += m->logbow[j][ctx[j]];
            }
        }
        uint64_t bits;
        memcpy(&bits, &lp, sizeof bits);
        uint32_t h = (uint32_t)((bits * 0x9E3779B97F4A7C15ull) >> 54); // 10 bits
        if (seen[h] != bits) {
            seen[h] = bits;
            value[h] = exp(lp);
        }
        probs[w] = value[h];
    }
    free(top);
    free(found);
}

void ngram_distribution(const NgramModel *m, const int32_t *context, double *probs)
{
    if (m->bin) {
        ngram_bin_distribution(m, context, probs);
        return;
    }
    uint32_t ctx[NGRAM_MAX_ORDER + 1];
    context_nodes(m, context, ctx);
    if (m->children) {
        distribution_indexed(m, ctx, probs);
        return;
    }
    int32_t first = ngram_first_predictable(m->unit);
    for (int32_t w = 0; w < m->vocab.n; w++) {
        probs[w] = w < first ? 0.0 : exp(score(m, ctx, w, NULL));
    }
}

// Evaluation is split into chunks of EVAL_CHUNK tokens scored independently (in parallel
// when OpenMP is on and there are at least 16 chunks: below half a million tokens, starting
// the threads costs more than they save) and summed in chunk order, so the result is the
// same bit for bit whatever the number of threads. A chunk that starts inside a sequence
// rebuilds its context from the previous order-1 tokens: the state of the scorer is a
// function of those alone.
#define EVAL_CHUNK (1 << 15)

typedef struct {
    double nats;
    long long tokens, zero;
} ChunkLoss;

// The scorer's state, as in KenLM: the longest stored context (its length L and node), plus
// the last order-1 tokens to rebuild a context when a pruned ARPA file lacks a suffix.
typedef struct {
    int L;
    uint32_t node;
    int32_t hist[NGRAM_MAX_ORDER]; // oldest first; <s> before the sequence
} EvalState;

// node of the last len tokens of hist (which holds order-1), or NGRAM_NONE
static uint32_t history_node(const NgramModel *m, const int32_t *hist, int len)
{
    uint32_t node = 0;
    for (int i = m->order - 1 - len; i < m->order - 1 && node != NGRAM_NONE; i++) {
        node = ngram_level_find(&m->lev[i - (m->order - 1 - len) + 1], node, hist[i]);
    }
    return node;
}

static void state_from_history(const NgramModel *m, EvalState *st)
{
    st->L = m->order - 1;
    st->node = 0;
    for (; st->L > 0; st->L--) {
        st->node = history_node(m, st->hist, st->L);
        if (st->node != NGRAM_NONE) {
            return;
        }
    }
    st->node = 0;
}

static void state_push(const NgramModel *m, EvalState *st, int32_t w)
{
    if (m->order > 1) {
        memmove(st->hist, st->hist + 1, (size_t)(m->order - 2) * sizeof *st->hist);
        st->hist[m->order - 2] = w;
    }
}

// ln P(w | state), then moves the state past w. The same backoff rule as score(), walked
// the other way: try the longest context first and back off one order at a time, adding
// the backoff weight of each context left behind. A hit at order k makes the n-gram found
// (or, at the top order, its suffix) the next longest context, so a well-fitting model
// costs one lookup and at most one suffix link per token.
static double score_state(const NgramModel *m, EvalState *st, int32_t w)
{
    int N = m->order;
    int k = st->L + 1;
    uint32_t node = st->node; // the context of length k-1
    double bows = 0;
    for (;;) {
        uint32_t s = node == NGRAM_NONE ? NGRAM_NONE : ngram_level_find(&m->lev[k], node, w);
        if (s != NGRAM_NONE) {
            double lp = m->logp[k][s] + bows;
            state_push(m, st, w);
            if (k < N) {
                st->L = k, st->node = s;
            } else {
                st->L = N - 1;
                st->node = N >= 2 ? m->suffix[N][s] : 0;
                if (st->node == NGRAM_NONE) {
                    state_from_history(m, st); // a pruned file without this suffix
                }
            }
            return lp;
        }
        if (k == 1) {
            state_push(m, st, w);
            st->L = 0, st->node = 0;
            return -INFINITY;
        }
        if (node != NGRAM_NONE) {
            bows += m->logbow[k - 1][node];
        }
        // the context one token shorter
        if (k == 2) {
            node = 0;
        } else if (node != NGRAM_NONE && m->suffix[k - 1][node] != NGRAM_NONE) {
            node = m->suffix[k - 1][node];
        } else {
            node = history_node(m, st->hist, k - 2);
        }
        k--;
    }
}

// One cursor walks a stretch of the corpus: its position, sequence, state and sums.
typedef struct {
    long long i, e, s;
    EvalState st;
    LabLoss l;
} Cursor;

static void cursor_start(const NgramModel *m, const Corpus *c, Cursor *cu, long long b,
                         long long e)
{
    int N = m->order;
    long long lo = corpus_seq_of(c, b); // the sequence holding position b
    memset(cu, 0, sizeof *cu);
    cu->i = b, cu->e = e, cu->s = lo;
    for (int j = 0; j < N - 1; j++) {
        long long p = b - (N - 1) + j;
        cu->st.hist[j] = p >= c->start[lo] ? c->ids[p] : TOK_BOS;
    }
    state_from_history(m, &cu->st);
}

// Scores the cursor's next token. Returns 0 when the cursor has reached its end.
static int cursor_step(const NgramModel *m, const Corpus *c, Cursor *cu, const EvalState *start,
                       int has_unk)
{
    if (cu->i >= cu->e) {
        return 0;
    }
    if (cu->i == c->start[cu->s + 1]) {
        cu->s++;
        cu->st = *start;
    }
    int32_t w = c->ids[cu->i++];
    if (w == TOK_UNK && !has_unk) {
        // the model cannot score an unknown token: skip it and forget the context
        state_push(m, &cu->st, w);
        cu->st.L = 0, cu->st.node = 0;
        return 1;
    }
    lab_loss_add(&cu->l, score_state(m, &cu->st, w));
    return 1;
}

// A chunk is walked by EVAL_CURSORS cursors in step, each over its own stretch: while one
// cursor waits for memory, the others' first lookups are already on their way (each step
// prefetches them), which matters for models far larger than the caches.
#define EVAL_CURSORS 8

static void eval_chunk(const NgramModel *m, const Corpus *c, long long b, long long e,
                       int has_unk, ChunkLoss *out)
{
    EvalState start;
    for (int j = 0; j < m->order - 1; j++) {
        start.hist[j] = TOK_BOS;
    }
    state_from_history(m, &start);
    Cursor cu[EVAL_CURSORS];
    long long span = (e - b + EVAL_CURSORS - 1) / EVAL_CURSORS;
    for (int g = 0; g < EVAL_CURSORS; g++) {
        long long gb = b + g * span < e ? b + g * span : e;
        cursor_start(m, c, &cu[g], gb, gb + span < e ? gb + span : e);
    }
    for (int active = 1; active;) {
        active = 0;
        for (int g = 0; g < EVAL_CURSORS; g++) {
            Cursor *x = &cu[g];
            if (x->i < x->e && x->i != c->start[x->s + 1]) {
                int k = x->st.L + 1;
                uint32_t home = ngram_level_slot(&m->lev[k], x->st.node, c->ids[x->i]);
                __builtin_prefetch(&m->lev[k].keys[home]);
                __builtin_prefetch(&m->logp[k][home]);
            }
        }
        for (int g = 0; g < EVAL_CURSORS; g++) {
            active |= cursor_step(m, c, &cu[g], &start, has_unk);
        }
    }
    LabLoss l = {0};
    for (int g = 0; g < EVAL_CURSORS; g++) { // in cursor order: the same sum every time
        l.nats += cu[g].l.nats;
        l.tokens += cu[g].l.tokens;
        l.zero += cu[g].l.zero;
    }
    out->nats = l.nats;
    out->tokens = l.tokens;
    out->zero = l.zero;
}

void ngram_eval(const NgramModel *m, const Corpus *c, LabLoss *loss)
{
    if (m->bin) {
        ngram_bin_eval(m, c, loss);
        return;
    }
    memset(loss, 0, sizeof *loss);
    loss->words = c->words;
    loss->oov = c->oov;
    int has_unk = ngram_level_find(&m->lev[1], 0, TOK_UNK) != NGRAM_NONE;
    long long nchunks = (c->n + EVAL_CHUNK - 1) / EVAL_CHUNK;
    ChunkLoss *parts = lab_calloc((size_t)(nchunks ? nchunks : 1), sizeof *parts);
#pragma omp parallel for schedule(dynamic, 1) if (nchunks >= 16)
    for (long long k = 0; k < nchunks; k++) {
        long long b = k * EVAL_CHUNK, e = b + EVAL_CHUNK < c->n ? b + EVAL_CHUNK : c->n;
        eval_chunk(m, c, b, e, has_unk, &parts[k]);
    }
    for (long long k = 0; k < nchunks; k++) {
        loss->nats += parts[k].nats;
        loss->tokens += parts[k].tokens;
        loss->zero += parts[k].zero;
    }
    free(parts);
}

// --- scoring a text held a window at a time ------------------------------------------------
// For a text too large to hold its ids (ngram train --memory): the caller cuts the chunks
// ngram_eval cuts, each from a window that holds the chunk and the order-1 tokens before it,
// scores them here and adds the partials in chunk order, which gives ngram_eval's sums bit
// for bit.

long long ngram_eval_chunk_tokens(void)
{
    return EVAL_CHUNK;
}

void ngram_eval_range(const NgramModel *m, const Corpus *c, long long b, long long e,
                      LabLoss *out)
{
    int has_unk = ngram_level_find(&m->lev[1], 0, TOK_UNK) != NGRAM_NONE;
    ChunkLoss part;
    eval_chunk(m, c, b, e, has_unk, &part);
    memset(out, 0, sizeof *out);
    out->nats = part.nats;
    out->tokens = part.tokens;
    out->zero = part.zero;
}
