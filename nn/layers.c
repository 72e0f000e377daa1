// layers.c: the layers as forward/backward pairs: embedding, activations (tanh, sigmoid,
// relu, gelu exact and tanh-approximated), layernorm, dropout, the residual add and the fused
// softmax + cross-entropy. The linear layer lives beside the matmul kernel (matmul.c).
//
// Every function works on caller-owned buffers and allocates nothing. Backward ACCUMULATES.
// The activations of the hot loops (tanh, sigmoid, gelu, softmax's exp) run in float through
// fastmath.h, vectorised, each element computed alone; the rest of the element-wise maths runs
// in double and is stored as float. Reductions sum in double in a fixed order, so the same
// inputs give the same bits. docs/nn.md derives each backward pass.
#include "nn/nn.h"

#include <assert.h>
#include <math.h>
#include <omp.h>
#include <string.h>

#include "nn/fastmath.h"

// Element-wise passes over at least this many floats run on OpenMP's threads (each element is
// computed alone, so the split changes no bit); below it, starting the team costs more than it
// saves. The MLP's hidden layer (512 x 512) is above it, a recurrent step's gates below.
#define ELEM_PAR_MIN 65536

// --- embedding ------------------------------------------------------------------------------

void nn_embedding_forward(float *out, const int32_t *ids, const float *table, int N, int V, int C)
{
#pragma omp parallel for schedule(static) if ((size_t)N * C >= ELEM_PAR_MIN)
    for (int n = 0; n < N; n++) {
        assert(ids[n] >= 0 && ids[n] < V);
        const float *row = table + (size_t)ids[n] * C;
        float *o = out + (size_t)n * C;
        for (int c = 0; c < C; c++) {
            o[c] = row[c];
        }
    }
}

// dtable[ids[n]][c0..c1) += dout[n][c0..c1), n in order
static void embedding_backward_cols(float *dtable, const float *dout, const int32_t *ids, int N,
                                    int V, int C, int c0, int c1)
{
    for (int n = 0; n < N; n++) {
        assert(ids[n] >= 0 && ids[n] < V);
        float *row = dtable + (size_t)ids[n] * C;
        const float *d = dout + (size_t)n * C;
#pragma omp simd
        for (int c = c0; c < c1; c++) {
            row[c] += d[c];
        }
    }
    (void)V; // read by the assert alone
}

void nn_embedding_backward(float *dtable, const float *dout, const int32_t *ids, int N, int V,
                           int C)
{
    // forward was: out[n] = table[ids[n]]; so dtable[ids[n]] += dout[n], n in order. A large
    // pass is split by columns (a range of whole cache lines a thread): each thread adds every
    // row's slice of its columns, still n in order, so a token seen twice sums in the same
    // order whatever the team
    if ((size_t)N * C < ELEM_PAR_MIN || omp_get_max_threads() == 1) {
        embedding_backward_cols(dtable, dout, ids, N, V, C, 0, C);
        return;
    }
#pragma omp parallel
    {
        int parts = omp_get_num_threads(), t = omp_get_thread_num();
        int per = ((C + parts - 1) / parts + 15) / 16 * 16;
        int c0 = t * per < C ? t * per : C, c1 = c0 + per < C ? c0 + per : C;
        embedding_backward_cols(dtable, dout, ids, N, V, C, c0, c1);
    }
}

// --- zeroing -------------------------------------------------------------------------------

void nn_zero(float *x, size_t n)
{
    // whole chunks of 16384 floats (64 KB) a thread
    size_t chunks = (n + 16383) / 16384;
#pragma omp parallel for schedule(static) if (n >= 4 * ELEM_PAR_MIN)
    for (size_t c = 0; c < chunks; c++) {
        size_t i0 = c * 16384;
        memset(x + i0, 0, (n - i0 < 16384 ? n - i0 : 16384) * sizeof(float));
    }
}

// --- activations ----------------------------------------------------------------------------

// Each pass below is a plain vectorised loop over a range [0, n) of out, x and y (y unused by
// the forward passes), run whole by the caller's thread below ELEM_PAR_MIN elements and in
// shares of whole vectors by a team above it. (An `omp parallel for simd` with an `if` clause
// compiled to a scalar loop when the team was one thread: ten times slower on a recurrent
// step's gates.)
typedef void ElemRange(float *out, const float *x, const float *y, size_t n);

static void elem_run(ElemRange *range, float *out, const float *x, const float *y, size_t n)
{
    if (n < ELEM_PAR_MIN || omp_in_parallel()) {
        range(out, x, y, n);
        return;
    }
#pragma omp parallel
    {
        size_t parts = (size_t)omp_get_num_threads(), t = (size_t)omp_get_thread_num();
        size_t per = ((n + parts - 1) / parts + 15) / 16 * 16;
        size_t lo = t * per < n ? t * per : n, hi = lo + per < n ? lo + per : n;
        range(out + lo, x + lo, y ? y + lo : NULL, hi - lo);
    }
}

static void tanh_forward_range(float *out, const float *inp, const float *unused, size_t n)
{
    (void)unused;
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        out[i] = nn_tanhf(inp[i]);
    }
}

// forward was: out = tanh(inp); so dinp += dout * (1 - out^2)
static void tanh_backward_range(float *dinp, const float *dout, const float *out, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        dinp[i] += dout[i] * (1.0f - out[i] * out[i]);
    }
}

static void sigmoid_forward_range(float *out, const float *inp, const float *unused, size_t n)
{
    (void)unused;
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        out[i] = nn_sigmoidf(inp[i]);
    }
}

// forward was: out = 1 / (1 + exp(-inp)); so dinp += dout * out * (1 - out)
static void sigmoid_backward_range(float *dinp, const float *dout, const float *out, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        dinp[i] += dout[i] * (out[i] * (1.0f - out[i]));
    }
}

// tanh and sigmoid in float (fastmath.h: within 4 ulp of the exact value), vectorised
void nn_tanh_forward(float *out, const float *inp, size_t n)
{
    elem_run(tanh_forward_range, out, inp, NULL, n);
}

void nn_tanh_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    elem_run(tanh_backward_range, dinp, dout, out, n);
}

void nn_sigmoid_forward(float *out, const float *inp, size_t n)
{
    elem_run(sigmoid_forward_range, out, inp, NULL, n);
}

void nn_sigmoid_backward(float *dinp, const float *dout, const float *out, size_t n)
{
    elem_run(sigmoid_backward_range, dinp, dout, out, n);
}

void nn_relu_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        out[i] = inp[i] > 0.0f ? inp[i] : 0.0f;
    }
}

void nn_relu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    // forward was: out = max(inp, 0); so dinp += dout where inp > 0
    for (size_t i = 0; i < n; i++) {
        if (inp[i] > 0.0f) {
            dinp[i] += dout[i];
        }
    }
}

#define NN_SQRT1_2 0.70710678118654752440      // 1 / sqrt(2)
#define NN_INV_SQRT_2PI 0.39894228040143267794 // 1 / sqrt(2 pi)
#define NN_SQRT_2_PI 0.79788456080286535588    // sqrt(2 / pi)
#define NN_GELU_K 0.044715

// gelu in float, vectorised: nn_erff is within 1e-7 of erf (fastmath.h). The definition, in
// double with libm, is out = 0.5 x (1 + erf(x / sqrt 2)) (tests/unit/test_fastmath.c holds the
// two side by side); PyTorch's float kernel computes the same expression in float.
void nn_gelu_forward(float *out, const float *inp, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        out[i] = 0.5f * x * (1.0f + nn_erff(x * (float)NN_SQRT1_2));
    }
}

// gelu(x) into *out and gelu'(x) into *grad: x Phi(x) as nn_gelu_forward (the same bits) and
// Phi(x) + x phi(x). The density's exp(-x^2 / 2) is the exponential erf's tail computes for
// |x| >= sqrt 2 anyway, so the pair costs little more than the forward alone.
static inline __attribute__((always_inline)) void gelu_pair(float x, float *out, float *grad)
{
    float z = x * (float)NN_SQRT1_2;
    float a = nn_selectf(z < 0.0f, -z, z), s = a * a;
    float e = nn_expf(-s); // exp(-x^2 / 2); below e^-16 (a > 4) erf rounds to 1 all the same
    float erf = nn_selectf(a < 1.0f, nn_erf_small(a, s), 1.0f - e * nn_erfcx_clamped(a));
    erf = nn_selectf(z < 0.0f, -erf, erf);
    erf = nn_selectf(x == x, erf, x);
    *out = 0.5f * x * (1.0f + erf);
    *grad = 0.5f * (1.0f + erf) + x * (e * (float)NN_INV_SQRT_2PI);
}

// The forward and the factor its backward needs, in one pass, of x = inp + bias (bias NULL:
// x = inp), so a backward can keep the derivative instead of the input and be one product.
// grad may be inp itself (the input is then overwritten by the derivative).
void nn_gelu_forward_grad(float *out, float *grad, const float *inp, const float *bias, size_t n)
{
    if (bias) {
#pragma omp simd
        for (size_t i = 0; i < n; i++) {
            gelu_pair(inp[i] + bias[i], &out[i], &grad[i]);
        }
        return;
    }
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        gelu_pair(inp[i], &out[i], &grad[i]);
    }
}

void nn_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    // forward was: out = x Phi(x); so dinp += dout * (Phi(x) + x phi(x)),
    // phi(x) = exp(-x^2 / 2) / sqrt(2 pi) the standard normal density
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        float x = inp[i];
        float cdf = 0.5f * (1.0f + nn_erff(x * (float)NN_SQRT1_2));
        float pdf = nn_expf(-0.5f * x * x) * (float)NN_INV_SQRT_2PI;
        dinp[i] += dout[i] * (cdf + x * pdf);
    }
}

void nn_gelu_tanh_forward(float *out, const float *inp, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double x = inp[i];
        double u = NN_SQRT_2_PI * (x + NN_GELU_K * x * x * x);
        out[i] = (float)(0.5 * x * (1.0 + tanh(u)));
    }
}

void nn_gelu_tanh_backward(float *dinp, const float *dout, const float *inp, size_t n)
{
    // forward was: out = x/2 (1 + tanh u), u = sqrt(2/pi) (x + k x^3); so
    // dinp += dout * (1/2 (1 + tanh u) + x/2 (1 - tanh^2 u) sqrt(2/pi) (1 + 3 k x^2))
    for (size_t i = 0; i < n; i++) {
        double x = inp[i];
        double t = tanh(NN_SQRT_2_PI * (x + NN_GELU_K * x * x * x));
        double du = NN_SQRT_2_PI * (1.0 + 3.0 * NN_GELU_K * x * x);
        dinp[i] += (float)(dout[i] * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du));
    }
}

// --- layernorm ------------------------------------------------------------------------------

// Per row: the mean and the variance summed in double (vectorised: `omp simd reduction` lets
// the lanes hold partial sums, added at the end in a fixed order, so a row's result depends on
// that row alone), then out = (x - mean) * rstd * weight + bias in float with mean and rstd
// rounded to float: the values backward reads back.
void nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                          const float *weight, const float *bias, int N, int C, float eps)
{
    for (int n = 0; n < N; n++) {
        const float *x = inp + (size_t)n * C;
        double m = 0.0;
#pragma omp simd reduction(+ : m)
        for (int c = 0; c < C; c++) {
            m += x[c];
        }
        m /= C;
        // the variance from the centred values (two passes): no cancellation
        double v = 0.0;
#pragma omp simd reduction(+ : v)
        for (int c = 0; c < C; c++) {
            double d = x[c] - m;
            v += d * d;
        }
        v /= C;
        float mf = (float)m, sf = (float)(1.0 / sqrt(v + eps));
        float *o = out + (size_t)n * C;
#pragma omp simd
        for (int c = 0; c < C; c++) {
            o[c] = (x[c] - mf) * sf * weight[c] + bias[c];
        }
        mean[n] = mf;
        rstd[n] = sf;
    }
}

// LN_COLS columns of dweight and dbias summed at a time, in double, rows read in order
#define LN_COLS 32

void nn_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, const float *mean,
                           const float *rstd, int N, int C)
{
    // forward was: norm = (x - mean) * rstd; out = norm * weight + bias
    if (dinp) {
        for (int n = 0; n < N; n++) {
            const float *x = inp + (size_t)n * C;
            const float *d = dout + (size_t)n * C;
            const float m = mean[n], s = rstd[n];
            // dnorm = dout * weight; mean and rstd depend on every x of the row, which gives
            // dx = rstd * (dnorm - mean(dnorm) - norm * mean(dnorm * norm))
            double dmean = 0.0, dnorm_norm = 0.0;
#pragma omp simd reduction(+ : dmean, dnorm_norm)
            for (int c = 0; c < C; c++) {
                float dn = d[c] * weight[c];
                dmean += dn;
                dnorm_norm += (double)dn * ((x[c] - m) * s);
            }
            const float dm = (float)(dmean / C), dnn = (float)(dnorm_norm / C);
            float *dx = dinp + (size_t)n * C;
#pragma omp simd
            for (int c = 0; c < C; c++) {
                float norm = (x[c] - m) * s;
                float dn = d[c] * weight[c];
                dx[c] += s * (dn - dm - norm * dnn);
            }
        }
    }
    if (!dweight && !dbias) {
        return;
    }
    // dweight += sum over rows of dout * norm, dbias += sum over rows of dout
    for (int c0 = 0; c0 < C; c0 += LN_COLS) {
        int w = C - c0 < LN_COLS ? C - c0 : LN_COLS;
        double dw[LN_COLS] = {0}, db[LN_COLS] = {0};
        for (int n = 0; n < N; n++) {
            const float *g = dout + (size_t)n * C + c0, *x = inp + (size_t)n * C + c0;
            const float m = mean[n], s = rstd[n];
#pragma omp simd
            for (int c = 0; c < w; c++) {
                dw[c] += (double)g[c] * ((x[c] - m) * s);
                db[c] += g[c];
            }
        }
        for (int c = 0; c < w; c++) {
            if (dweight) {
                dweight[c0 + c] += (float)dw[c];
            }
            if (dbias) {
                dbias[c0 + c] += (float)db[c];
            }
        }
    }
}

// --- dropout and the residual add -----------------------------------------------------------

void nn_dropout_forward(float *out, float *mask, const float *inp, size_t n, float p, LabRng *rng)
{
    assert(p >= 0.0f && p < 1.0f);
    float scale = (float)(1.0 / (1.0 - (double)p));
    for (size_t i = 0; i < n; i++) {
        mask[i] = p == 0.0f ? 1.0f : (lab_rng_uniform(rng) >= p ? scale : 0.0f);
        out[i] = inp[i] * mask[i];
    }
}

void nn_dropout_backward(float *dinp, const float *dout, const float *mask, size_t n)
{
    // forward was: out = inp * mask; so dinp += dout * mask
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        dinp[i] += dout[i] * mask[i];
    }
}

void nn_residual_forward(float *out, const float *a, const float *b, size_t n)
{
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        out[i] = a[i] + b[i];
    }
}

void nn_residual_backward(float *da, float *db, const float *dout, size_t n)
{
    // forward was: out = a + b; so da += dout, db += dout
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        da[i] += dout[i];
        db[i] += dout[i];
    }
}

// --- softmax + cross-entropy ----------------------------------------------------------------

// One row of the fused softmax: probs p (V) from logits x (V); returns -ln p[target], or 0
// when target < 0 (ignored).
static double softmax_xent_row(float *p, const float *x, int32_t target, int V)
{
    // subtracting the row maximum leaves the softmax unchanged and keeps exp <= 1
    float mx = x[0];
    for (int v = 1; v < V; v++) {
        mx = x[v] > mx ? x[v] : mx;
    }
    // one pass writes the unnormalised exp (float, fastmath.h) and sums it in double, in
    // order; a second scales by 1 / sum
#pragma omp simd
    for (int v = 0; v < V; v++) {
        p[v] = nn_expf(x[v] - mx);
    }
    double sum = 0.0;
    for (int v = 0; v < V; v++) {
        sum += p[v];
    }
    float inv = (float)(1.0 / sum);
#pragma omp simd
    for (int v = 0; v < V; v++) {
        p[v] *= inv;
    }
    if (target < 0) {
        return 0.0;
    }
    assert(target < V);
    // -ln softmax = log(sum) - (x_t - max), finite even when p_t rounds to 0 in float
    return log(sum) - ((double)x[target] - mx);
}

// Rows go in chunks of XENT_ROWS, each chunk's loss summed in order, the chunks' sums then
// added in order: the same sum whatever the thread count. Chunks run on OpenMP's threads, up
// to XENT_CHUNKS at a time, when the logits are large enough (a word vocabulary).
#define XENT_ROWS 16
#define XENT_CHUNKS 64
#define XENT_PAR_MIN 65536 // logits

double nn_softmax_xent_forward(float *probs, int *count, const float *logits,
                               const int32_t *targets, int N, int V)
{
    assert(V > 0);
    double loss = 0.0;
    int counted = 0;
    for (int n0 = 0; n0 < N; n0 += XENT_ROWS * XENT_CHUNKS) {
        int rows = N - n0 < XENT_ROWS * XENT_CHUNKS ? N - n0 : XENT_ROWS * XENT_CHUNKS;
        int chunks = (rows + XENT_ROWS - 1) / XENT_ROWS;
        double part[XENT_CHUNKS];
#pragma omp parallel for schedule(static) if ((size_t)rows * V >= XENT_PAR_MIN)
        for (int k = 0; k < chunks; k++) {
            int a = n0 + k * XENT_ROWS, b = a + XENT_ROWS < n0 + rows ? a + XENT_ROWS : n0 + rows;
            double sum = 0.0;
            for (int n = a; n < b; n++) {
                sum += softmax_xent_row(probs + (size_t)n * V, logits + (size_t)n * V,
                                        targets[n], V);
            }
            part[k] = sum;
        }
        for (int k = 0; k < chunks; k++) {
            loss += part[k];
        }
        for (int n = n0; n < n0 + rows; n++) {
            counted += targets[n] >= 0;
        }
    }
    if (count) {
        *count = counted;
    }
    return loss;
}

void nn_softmax_xent_backward(float *dlogits, const float *probs, const int32_t *targets,
                              float dloss, int count, int N, int V)
{
    // forward was: loss = mean over counted rows of -ln p[t], p = softmax(logits); so
    // dlogits[v] += (p[v] - [v == t]) * dloss / count
    if (count <= 0) {
        return;
    }
    float scale = (float)((double)dloss / count);
#pragma omp parallel for schedule(static) if ((size_t)N * V >= XENT_PAR_MIN)
    for (int n = 0; n < N; n++) {
        int t = targets[n];
        if (t < 0) {
            continue;
        }
        const float *p = probs + (size_t)n * V;
        float *d = dlogits + (size_t)n * V;
#pragma omp simd
        for (int v = 0; v < V; v++) {
            d[v] += (p[v] - (v == t ? 1.0f : 0.0f)) * scale;
        }
    }
}
