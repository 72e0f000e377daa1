// optim.c: optimizers, gradient clipping, learning-rate schedules and initialisation, all over
// one flat float block. The update formulas are PyTorch's (torch.optim, 1.13): SGD per element
// in double, stored as float; Adam and AdamW in float, operation for operation as PyTorch's
// tensor ops do them (its scalars rounded from double once), vectorised. The moments are
// float, as PyTorch keeps them.
//
// Left out: per-group hyperparameters (a model with groups calls a step once per range of its
// block), amsgrad, dampening, fused multi-tensor kernels.
#include "nn/nn.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>

#include "nn/fastmath.h"

// the weight-decay coefficient of parameter i
static inline double decay_of(const uint8_t *mask, size_t i, double wd)
{
    return mask && !mask[i] ? 0.0 : wd;
}

// --- SGD ------------------------------------------------------------------------------------

void nn_sgd_step(float *params, const float *grads, float *buf, const uint8_t *decay_mask, size_t n,
                 float lr, float momentum, int nesterov, float weight_decay)
{
    for (size_t i = 0; i < n; i++) {
        double g = (double)grads[i] + decay_of(decay_mask, i, weight_decay) * params[i];
        if (momentum != 0.0f) {
            // buf starts at zero, so the first step gives buf = g, as PyTorch's clone does
            buf[i] = (float)((double)momentum * buf[i] + g);
            g = nesterov ? g + (double)momentum * buf[i] : buf[i];
        }
        params[i] = (float)(params[i] - (double)lr * g);
    }
}

// --- Adam and AdamW ---------------------------------------------------------------------------

// The Adam update shared by both: the decoupled decay p *= shrink (AdamW; 1 for Adam) and
// the coupled one into the gradient g += wd * p (Adam; 0 for AdamW), where decay_mask allows,
// then
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// eps is added after the bias correction of v, as PyTorch does (not as the paper's eps-hat).
// Per element in float, in PyTorch's order of operations (exp_avg.mul_(b1).add_(g, 1 - b1),
// exp_avg_sq.mul_(b2).addcmul_(g, g, 1 - b2), denom = sqrt(v) / bias2_sqrt + eps,
// p.addcdiv_(m, denom, -step_size)); each element alone, so the result does not depend on the
// vector width. The scalars are computed in double and rounded to float once.
typedef struct {
    float b1, b2, ob1, ob2; // beta1, beta2, 1 - beta1, 1 - beta2
    float eps, wd, shrink;  // eps, the coupled decay, the decoupled factor
    float bias2_sqrt;       // sqrt(1 - beta2^t)
    float step_size;        // lr / (1 - beta1^t)
} AdamScalars;

// The loop, once with the mask and once without (masked is a constant where it is inlined), so
// that it has no branch and vectorises. The Makefile builds this file with -fno-math-errno:
// v >= 0, so sqrtf never sets errno, and errno's branch would keep the loop scalar.
static inline __attribute__((always_inline)) void
adam_loop(float *params, const float *grads, float *m, float *v, const uint8_t *decay_mask,
          size_t n, const AdamScalars *s, const int masked)
{
    const AdamScalars k = *s;
#pragma omp simd
    for (size_t i = 0; i < n; i++) {
        // where the mask says no decay: p * 1 and g + 0 * p leave both as they are
        int decays = masked ? decay_mask[i] != 0 : 1;
        float shrink = nn_selectf(decays, k.shrink, 1.0f), wd = nn_selectf(decays, k.wd, 0.0f);
        float p = params[i] * shrink;
        float g = grads[i] + wd * p;
        float mi = m[i] * k.b1 + g * k.ob1;
        float vi = v[i] * k.b2 + (g * g) * k.ob2;
        m[i] = mi;
        v[i] = vi;
        params[i] = p - k.step_size * (mi / (sqrtf(vi) / k.bias2_sqrt + k.eps));
    }
}

#define ADAM_CHUNK 16384 // parameters

static void adam_update(float *params, const float *grads, float *m, float *v,
                        const uint8_t *decay_mask, size_t n, long t, double lr, double beta1,
                        double beta2, double eps, double wd, double shrink)
{
    assert(t >= 1);
    AdamScalars s = {(float)beta1,
                     (float)beta2,
                     (float)(1.0 - beta1),
                     (float)(1.0 - beta2),
                     (float)eps,
                     (float)wd,
                     (float)shrink,
                     (float)sqrt(1.0 - pow(beta2, (double)t)),
                     (float)(lr / (1.0 - pow(beta1, (double)t)))};
    // chunks of ADAM_CHUNK parameters on OpenMP's threads for a large block: each element is
    // computed alone, so the split does not change a bit
    size_t chunks = (n + ADAM_CHUNK - 1) / ADAM_CHUNK;
#pragma omp parallel for schedule(static) if (n >= 4 * ADAM_CHUNK)
    for (size_t c = 0; c < chunks; c++) {
        size_t i0 = c * ADAM_CHUNK, len = n - i0 < ADAM_CHUNK ? n - i0 : ADAM_CHUNK;
        if (decay_mask) {
            adam_loop(params + i0, grads + i0, m + i0, v + i0, decay_mask + i0, len, &s, 1);
        } else {
            adam_loop(params + i0, grads + i0, m + i0, v + i0, NULL, len, &s, 0);
        }
    }
}

void nn_adam_step(float *params, const float *grads, float *m, float *v, const uint8_t *decay_mask,
                  size_t n, long t, float lr, float beta1, float beta2, float eps,
                  float weight_decay)
{
    adam_update(params, grads, m, v, decay_mask, n, t, lr, beta1, beta2, eps, weight_decay, 1.0);
}

void nn_adamw_step(float *params, const float *grads, float *m, float *v, const uint8_t *decay_mask,
                   size_t n, long t, float lr, float beta1, float beta2, float eps,
                   float weight_decay)
{
    // decoupled: the decay shrinks the weight itself and never enters the moments
    // (PyTorch: param.mul_(1 - lr * weight_decay), before the Adam step, in the same pass here)
    double shrink = 1.0 - (double)lr * weight_decay;
    adam_update(params, grads, m, v, decay_mask, n, t, lr, beta1, beta2, eps, 0.0, shrink);
}

// --- clipping -------------------------------------------------------------------------------

// The sum of squares in a fixed order whatever the thread count and vector width: chunks of
// CLIP_CHUNK gradients, each summed into 8 double accumulators (element i into accumulator
// i mod 8, which the compiler keeps in vector registers), the 8 added pairwise; then the chunks'
// sums added in chunk order. The chunks run on OpenMP's threads for a large block: a sequential
// sum is one chain of dependent adds, a few cycles per gradient, on one core.
#define CLIP_CHUNK 16384

static double sum_squares(const float *g, size_t n)
{
    double acc[8] = {0};
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        for (int j = 0; j < 8; j++) {
            acc[j] += (double)g[i + j] * g[i + j];
        }
    }
    for (int j = 0; i < n; i++, j++) {
        acc[j] += (double)g[i] * g[i];
    }
    return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

double nn_clip_grad_norm(float *grads, size_t n, double max_norm)
{
    size_t chunks = (n + CLIP_CHUNK - 1) / CLIP_CHUNK;
    double one, *part = chunks > 1 ? lab_malloc(chunks * sizeof(double)) : &one;
#pragma omp parallel for schedule(static) if (chunks >= 4)
    for (size_t c = 0; c < chunks; c++) {
        size_t i0 = c * CLIP_CHUNK;
        part[c] = sum_squares(grads + i0, n - i0 < CLIP_CHUNK ? n - i0 : CLIP_CHUNK);
    }
    double sum = 0.0;
    for (size_t c = 0; c < chunks; c++) {
        sum += part[c];
    }
    if (part != &one) {
        free(part);
    }
    double norm = sqrt(sum);
    if (norm > max_norm) {
        // PyTorch's 1e-6 keeps the factor finite for a zero max_norm and a zero norm alike
        double scale = max_norm / (norm + 1e-6);
        // by chunks, each a plain vectorised loop ('parallel for simd' with an 'if' clause
        // compiled to a scalar loop for a team of one)
#pragma omp parallel for schedule(static) if (chunks >= 4)
        for (size_t c = 0; c < chunks; c++) {
            size_t i0 = c * CLIP_CHUNK, i1 = n - i0 < CLIP_CHUNK ? n : i0 + CLIP_CHUNK;
#pragma omp simd
            for (size_t i = i0; i < i1; i++) {
                grads[i] = (float)(grads[i] * scale);
            }
        }
    }
    return norm;
}

// --- schedules ------------------------------------------------------------------------------

double nn_lr_at(const NnLrSchedule *s, long step)
{
    switch (s->kind) {
    case NN_LR_CONSTANT:
        return s->lr;
    case NN_LR_STEP:
        assert(s->step_size > 0);
        return s->lr * pow(s->gamma, (double)(step / s->step_size));
    case NN_LR_COSINE:
        if (step < s->warmup) {
            return s->lr * (double)(step + 1) / (double)s->warmup;
        }
        if (step >= s->total) {
            return s->min_lr;
        } else {
            double ratio = (double)(step - s->warmup) / (double)(s->total - s->warmup);
            double coeff = 0.5 * (1.0 + cos(M_PI * ratio)); // 1 at the peak, 0 at `total`
            return s->min_lr + coeff * (s->lr - s->min_lr);
        }
    }
    assert(0 && "unknown schedule");
    return s->lr;
}

// --- initialisation -------------------------------------------------------------------------

static void fill_uniform(float *w, size_t n, double a, LabRng *rng)
{
    for (size_t i = 0; i < n; i++) {
        w[i] = (float)(a * (2.0 * lab_rng_uniform(rng) - 1.0));
    }
}

static void fill_normal(float *w, size_t n, double std, LabRng *rng)
{
    for (size_t i = 0; i < n; i++) {
        w[i] = (float)(std * lab_rng_normal(rng));
    }
}

void nn_init_fill(float *w, size_t n, NnInit scheme, int fan_in, int fan_out, LabRng *rng)
{
    double fi = fan_in > 0 ? fan_in : 1, fo = fan_out > 0 ? fan_out : 1;
    switch (scheme) {
    case NN_INIT_ZEROS:
    case NN_INIT_ONES:
        for (size_t i = 0; i < n; i++) {
            w[i] = scheme == NN_INIT_ONES ? 1.0f : 0.0f;
        }
        return;
    case NN_INIT_XAVIER_UNIFORM: // Var = a^2 / 3 = 2 / (fan_in + fan_out)
        fill_uniform(w, n, sqrt(6.0 / (fi + fo)), rng);
        return;
    case NN_INIT_XAVIER_NORMAL:
        fill_normal(w, n, sqrt(2.0 / (fi + fo)), rng);
        return;
    case NN_INIT_KAIMING_UNIFORM: // Var = 2 / fan_in keeps a ReLU layer's output variance
        fill_uniform(w, n, sqrt(6.0 / fi), rng);
        return;
    case NN_INIT_KAIMING_NORMAL:
        fill_normal(w, n, sqrt(2.0 / fi), rng);
        return;
    case NN_INIT_TORCH_LINEAR: // kaiming_uniform with a = sqrt(5): bound 1 / sqrt(fan_in)
        fill_uniform(w, n, 1.0 / sqrt(fi), rng);
        return;
    case NN_INIT_GPT2:
        fill_normal(w, n, 0.02, rng);
        return;
    }
    assert(0 && "unknown init scheme");
}
