// attention.c: causal multi-head self-attention, forward and backward (docs/transformer.md
// "Attention" derives the backward pass).
//
// Letters as in gpt.h: B batch, T time, C channels, NH heads, hs = C / NH.
// The layout is llm.c's: qkv (B, T, 3C) from the fused c_attn, att (B, NH, T, T) kept for
// backward, out (B, T, C) with the heads side by side (the "re-assemble all head outputs"
// of nanoGPT). Each (b, h) pair is independent: an OpenMP loop deals the B * NH pairs out one
// at a time (dynamic: a thread that loses its core to other work is not waited for; a pair's
// result does not depend on the thread that computes it), and inside a pair the products are
// nn_sgemm calls on strided views of qkv (q, k, v of head h are T rows of hs floats, 3C
// apart). The causal mask is used to skip work: rows are taken in blocks of ROWS, and a block
// of rows [i0, i1) only meets the keys and values [0, i1).
// What it leaves out: the projections (c_attn, c_proj: gpt.c), dropout's random draws (the
// caller passes the mask).
#include "transformer/gpt.h"

#include <assert.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "nn/fastmath.h"

// Rows of att per block: the products of a block are (ROWS, hs) x (hs, i1) and back, large
// enough for the matmul kernel's tiles, small enough that the causal mask saves work.
#define ROWS 64
// Below this many multiply-adds per product (B * NH * T * T * hs), one thread.
#define SMALL 262144

size_t gpt_attention_scratch_floats(int T, int threads)
{
    // per thread: drop(att) of one pair, and datt of one pair
    return 2 * (size_t)T * T * (size_t)(threads < 1 ? 1 : threads);
}

// one (b, h) pair: q, k, v point into qkv (row stride 3C), out into out (row stride C);
// att and mask (T, T) are the pair's; attd is scratch (T, T) for drop(att)
static void pair_forward(float *out, float *att, float *attd, const float *q, const float *k,
                         const float *v, const float *mask, int T, int C, int hs)
{
    const int ld = 3 * C;
    const float scale = (float)(1.0 / sqrt((double)hs));
    for (int i0 = 0; i0 < T; i0 += ROWS) {
        int i1 = i0 + ROWS < T ? i0 + ROWS : T;
        // att[i0:i1, 0:i1] = scale * q[i0:i1] k[0:i1]^T
        nn_sgemm(0, 1, i1 - i0, i1, hs, scale, q + (size_t)i0 * ld, ld, k, ld, 0.0f,
                 att + (size_t)i0 * T, T);
    }
    for (int t = 0; t < T; t++) {
        float *row = att + (size_t)t * T;
        // softmax over t2 <= t, the row maximum subtracted first; the rest of the row is 0.
        // The passes run to n8, t + 1 rounded up to whole vectors of 8 (within the columns the
        // product above computed), the columns past t set to 0 by a select: no scalar tails
        const int n8 = (t + 8) / 8 * 8 < T ? (t + 8) / 8 * 8 : T;
        float mx = row[0];
#pragma omp simd reduction(max : mx)
        for (int t2 = 1; t2 <= t; t2++) {
            mx = row[t2] > mx ? row[t2] : mx;
        }
        // exp in float (nn_expf, within 1 ulp, vectorised), summed in double
        double sum = 0.0;
#pragma omp simd reduction(+ : sum)
        for (int t2 = 0; t2 < n8; t2++) {
            float e = nn_selectf(t2 <= t, nn_expf(row[t2] - mx), 0.0f);
            row[t2] = e;
            sum += e;
        }
        float inv = (float)(1.0 / sum);
#pragma omp simd
        for (int t2 = 0; t2 < n8; t2++) {
            row[t2] *= inv;
        }
        for (int t2 = n8; t2 < T; t2++) {
            row[t2] = 0.0f;
        }
    }
    const float *a = att;
    if (mask) {
        for (size_t i = 0; i < (size_t)T * T; i++) {
            attd[i] = att[i] * mask[i];
        }
        a = attd;
    }
    for (int i0 = 0; i0 < T; i0 += ROWS) {
        int i1 = i0 + ROWS < T ? i0 + ROWS : T;
        // out[i0:i1] = a[i0:i1, 0:i1] v[0:i1]  (a is 0 beyond column t of row t)
        nn_sgemm(0, 0, i1 - i0, hs, i1, 1.0f, a + (size_t)i0 * T, T, v, ld, 0.0f,
                 out + (size_t)i0 * C, C);
    }
}

void gpt_attention_forward(float *out, float *att, const float *qkv, const float *mask,
                           float *scratch, int threads, int B, int T, int C, int NH)
{
    assert(C % NH == 0 && threads >= 1);
    const int hs = C / NH, pairs = B * NH;
    const size_t TT = (size_t)T * T;
    // a small problem on one thread: a team costs more than it saves
    if ((size_t)pairs * TT * hs < SMALL) {
        threads = 1;
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int bh = 0; bh < pairs; bh++) {
        int b = bh / NH, h = bh % NH;
        const float *q = qkv + (size_t)b * T * 3 * C + (size_t)h * hs;
        float *attd = scratch + 2 * TT * (size_t)omp_get_thread_num();
        pair_forward(out + (size_t)b * T * C + (size_t)h * hs, att + (size_t)bh * TT, attd, q,
                     q + C, q + 2 * C, mask ? mask + (size_t)bh * TT : NULL, T, C, hs);
    }
}

// one (b, h) pair's backward: dq, dk, dv point into dqkv (row stride 3C), dout into dout
// (row stride C); datt and attd are scratch (T, T)
static void pair_backward(float *dq, float *dk, float *dv, float *datt, float *attd,
                          const float *dout, const float *att, const float *mask, const float *q,
                          const float *k, const float *v, int T, int C, int hs)
{
    const int ld = 3 * C;
    const float scale = (float)(1.0 / sqrt((double)hs));
    const float *a = att;
    if (mask) {
        for (size_t i = 0; i < (size_t)T * T; i++) {
            attd[i] = att[i] * mask[i];
        }
        a = attd;
    }
    // forward was: out = a v with a = drop(att); so da = dout v^T and dv = sum of a^T dout over
    // the row blocks. The blocks run from the last, whose product covers every row of dv and
    // so writes it (beta 0); the others add to their rows [0, i1)
    const int last = (T - 1) / ROWS * ROWS;
    for (int i0 = last; i0 >= 0; i0 -= ROWS) {
        int i1 = i0 + ROWS < T ? i0 + ROWS : T;
        nn_sgemm(0, 1, i1 - i0, i1, hs, 1.0f, dout + (size_t)i0 * C, C, v, ld, 0.0f,
                 datt + (size_t)i0 * T, T);
        nn_sgemm(1, 0, i1, hs, i1 - i0, 1.0f, a + (size_t)i0 * T, T, dout + (size_t)i0 * C, C,
                 i0 == last ? 0.0f : 1.0f, dv, ld);
    }
    for (int t = 0; t < T; t++) {
        float *d = datt + (size_t)t * T;
        const float *p = att + (size_t)t * T;
        const float *mk = mask ? mask + (size_t)t * T : NULL;
        // forward was: a = att * mask; so datt = da * mask
        if (mk) {
            for (int t2 = 0; t2 <= t; t2++) {
                d[t2] *= mk[t2];
            }
        }
        // forward was: att = softmax(s) over t2 <= t; so ds = att * (datt - sum(att * datt))
        double dot = 0.0;
#pragma omp simd reduction(+ : dot)
        for (int t2 = 0; t2 <= t; t2++) {
            dot += (double)p[t2] * d[t2];
        }
        const float dotf = (float)dot;
#pragma omp simd
        for (int t2 = 0; t2 <= t; t2++) {
            d[t2] = p[t2] * (d[t2] - dotf);
        }
        // the masked scores get no gradient
        for (int t2 = t + 1; t2 < T; t2++) {
            d[t2] = 0.0f;
        }
    }
    // forward was: s = scale * q k^T; so dq = scale * ds k (each block its own rows) and dk =
    // scale * ds^T q summed over the blocks as dv is
    for (int i0 = last; i0 >= 0; i0 -= ROWS) {
        int i1 = i0 + ROWS < T ? i0 + ROWS : T;
        nn_sgemm(0, 0, i1 - i0, hs, i1, scale, datt + (size_t)i0 * T, T, k, ld, 0.0f,
                 dq + (size_t)i0 * ld, ld);
        nn_sgemm(1, 0, i1, hs, i1 - i0, scale, datt + (size_t)i0 * T, T, q + (size_t)i0 * ld, ld,
                 i0 == last ? 0.0f : 1.0f, dk, ld);
    }
}

void gpt_attention_backward(float *dqkv, float *scratch, const float *dout, const float *att,
                            const float *mask, const float *qkv, int threads, int B, int T, int C,
                            int NH)
{
    assert(C % NH == 0 && threads >= 1);
    const int hs = C / NH, pairs = B * NH;
    const size_t TT = (size_t)T * T;
    // a small problem on one thread: a team costs more than it saves
    if ((size_t)pairs * TT * hs < SMALL) {
        threads = 1;
    }
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads)
    for (int bh = 0; bh < pairs; bh++) {
        int b = bh / NH, h = bh % NH;
        size_t at = (size_t)b * T * 3 * C + (size_t)h * hs;
        float *mine = scratch + 2 * TT * (size_t)omp_get_thread_num();
        float *dq = dqkv + at;
        const float *q = qkv + at;
        pair_backward(dq, dq + C, dq + 2 * C, mine, mine + TT,
                      dout + (size_t)b * T * C + (size_t)h * hs, att + (size_t)bh * TT,
                      mask ? mask + (size_t)bh * TT : NULL, q, q + C, q + 2 * C, T, C, hs);
    }
}
