// optim.c: optimizers, gradient clipping, learning-rate schedules and initialisation, all over
// one flat float block. The update formulas are PyTorch's (torch.optim, 1.13), written out per
// element in double and stored as float; the moments are float, as PyTorch keeps them.
//
// Left out: per-group hyperparameters (a model with groups calls a step once per range of its
// block), amsgrad, dampening, fused multi-tensor kernels.
#include "nn/nn.h"

#include <assert.h>
#include <math.h>

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

// The Adam update shared by both: weight decay coupled into the gradient (wd), then
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
//   p -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// eps is added after the bias correction of v, as PyTorch does (not as the paper's eps-hat).
static void adam_update(float *params, const float *grads, float *m, float *v,
                        const uint8_t *decay_mask, size_t n, long t, double lr, double beta1,
                        double beta2, double eps, double wd)
{
    assert(t >= 1);
    double bias1 = 1.0 - pow(beta1, (double)t);
    double bias2_sqrt = sqrt(1.0 - pow(beta2, (double)t));
    double step_size = lr / bias1;
    for (size_t i = 0; i < n; i++) {
        double g = (double)grads[i] + decay_of(decay_mask, i, wd) * params[i];
        m[i] = (float)(beta1 * m[i] + (1.0 - beta1) * g);
        v[i] = (float)(beta2 * v[i] + (1.0 - beta2) * g * g);
        double denom = sqrt((double)v[i]) / bias2_sqrt + eps;
        params[i] = (float)(params[i] - step_size * m[i] / denom);
    }
}

void nn_adam_step(float *params, const float *grads, float *m, float *v, const uint8_t *decay_mask,
                  size_t n, long t, float lr, float beta1, float beta2, float eps,
                  float weight_decay)
{
    adam_update(params, grads, m, v, decay_mask, n, t, lr, beta1, beta2, eps, weight_decay);
}

void nn_adamw_step(float *params, const float *grads, float *m, float *v, const uint8_t *decay_mask,
                   size_t n, long t, float lr, float beta1, float beta2, float eps,
                   float weight_decay)
{
    // decoupled: the decay shrinks the weight itself and never enters the moments
    for (size_t i = 0; i < n; i++) {
        double wd = decay_of(decay_mask, i, weight_decay);
        params[i] = (float)(params[i] * (1.0 - (double)lr * wd));
    }
    adam_update(params, grads, m, v, decay_mask, n, t, lr, beta1, beta2, eps, 0.0);
}

// --- clipping -------------------------------------------------------------------------------

double nn_clip_grad_norm(float *grads, size_t n, double max_norm)
{
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) {
        sum += (double)grads[i] * grads[i];
    }
    double norm = sqrt(sum);
    if (norm > max_norm) {
        // PyTorch's 1e-6 keeps the factor finite for a zero max_norm and a zero norm alike
        double scale = max_norm / (norm + 1e-6);
        for (size_t i = 0; i < n; i++) {
            grads[i] = (float)(grads[i] * scale);
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
