// test_nn_layers.c: every layer's forward against hand values, every backward against finite
// differences (nn_gradcheck), and the gradient check itself against a wrong gradient.
//
// A layer is probed with the loss L = sum_i w_i out_i for fixed random weights w, so
// dL/dout = w: backward is called with dout = w, and its accumulated gradients are compared
// with central differences of L with respect to each input and parameter in turn.
#include "tests/helpers.h"

#include "nn/fastmath.h"
#include "nn/nn.h"

#include <omp.h>
#include <stdlib.h>
#include <string.h>

// --- the probe --------------------------------------------------------------------------------

typedef struct {
    void (*forward)(void *layer); // recomputes out from the layer's (perturbed) buffers
    void *layer;
    const float *out;
    size_t nout;
    const float *w;               // (nout) the loss weights, dL/dout
} Probe;

static double probe_loss(const float *x, void *ctx)
{
    (void)x; // x is one of the layer's own buffers: forward reads it in place
    Probe *p = ctx;
    p->forward(p->layer);
    double L = 0.0;
    for (size_t i = 0; i < p->nout; i++) {
        L += (double)p->w[i] * p->out[i];
    }
    return L;
}

static void fill_normal(float *x, size_t n, double scale, uint64_t seed)
{
    LabRng r;
    lab_rng_seed(&r, seed);
    for (size_t i = 0; i < n; i++) {
        x[i] = (float)(scale * lab_rng_normal(&r));
    }
}

// gradcheck of x (n) whose analytic gradient is g, with the test's name in the message
static void check(const char *what, Probe *p, float *x, const float *g, size_t n)
{
    NnGradcheckReport rep;
    int rc = nn_gradcheck(what, probe_loss, p, x, g, n, NULL, &rep);
    cr_assert_eq(rc, 0, "%s: element %zu analytic %g numeric %g", what, rep.worst, rep.analytic,
                 rep.numeric);
}

// --- linear -----------------------------------------------------------------------------------

enum { LN = 3, LC = 4, LOC = 5 };
typedef struct {
    float inp[LN * LC], weight[LOC * LC], bias[LOC], out[LN * LOC];
} Linear;

static void linear_fwd(void *l)
{
    Linear *s = l;
    nn_linear_forward(s->out, s->inp, s->weight, s->bias, LN, LC, LOC);
}

Test(nn_layers, linear_forward_is_inp_times_weight_transposed_plus_bias)
{
    // inp (1, 2) = [1, 2], weight (2, 2) = [[3, 4], [5, 6]], bias [10, 20]: out = [21, 37]
    float inp[2] = {1, 2}, weight[4] = {3, 4, 5, 6}, bias[2] = {10, 20}, out[2];
    nn_linear_forward(out, inp, weight, bias, 1, 2, 2);
    cr_assert_float_eq(out[0], 21.0f, 0);
    cr_assert_float_eq(out[1], 37.0f, 0);
}

Test(nn_layers, linear_backward_matches_finite_differences)
{
    Linear s;
    float w[LN * LOC], dinp[LN * LC] = {0}, dweight[LOC * LC] = {0}, dbias[LOC] = {0};
    fill_normal(s.inp, LN * LC, 1, 1);
    fill_normal(s.weight, LOC * LC, 0.5, 2);
    fill_normal(s.bias, LOC, 0.5, 3);
    fill_normal(w, LN * LOC, 1, 4);
    linear_fwd(&s);
    nn_linear_backward(dinp, dweight, dbias, w, s.inp, s.weight, LN, LC, LOC);
    Probe p = {linear_fwd, &s, s.out, LN * LOC, w};
    check("linear dinp", &p, s.inp, dinp, LN * LC);
    check("linear dweight", &p, s.weight, dweight, LOC * LC);
    check("linear dbias", &p, s.bias, dbias, LOC);
}

// --- embedding --------------------------------------------------------------------------------

enum { EN = 5, EV = 4, EC = 3 };
typedef struct {
    int32_t ids[EN];
    float table[EV * EC], out[EN * EC];
} Embedding;

static void embedding_fwd(void *l)
{
    Embedding *s = l;
    nn_embedding_forward(s->out, s->ids, s->table, EN, EV, EC);
}

Test(nn_layers, embedding_forward_copies_the_rows_of_the_ids)
{
    Embedding s = {.ids = {2, 0, 2, 3, 1}};
    for (int i = 0; i < EV * EC; i++) {
        s.table[i] = (float)i;
    }
    embedding_fwd(&s);
    for (int n = 0; n < EN; n++) {
        for (int c = 0; c < EC; c++) {
            cr_assert_float_eq(s.out[n * EC + c], (float)(s.ids[n] * EC + c), 0);
        }
    }
}

Test(nn_layers, embedding_backward_sums_the_rows_of_a_repeated_id)
{
    // id 2 appears twice (rows 0 and 2): its gradient row is the sum of both
    Embedding s = {.ids = {2, 0, 2, 3, 1}};
    float w[EN * EC], dtable[EV * EC] = {0};
    fill_normal(s.table, EV * EC, 1, 5);
    fill_normal(w, EN * EC, 1, 6);
    nn_embedding_backward(dtable, w, s.ids, EN, EV, EC);
    for (int c = 0; c < EC; c++) {
        cr_assert_float_eq(dtable[2 * EC + c], w[0 * EC + c] + w[2 * EC + c], 1e-6);
    }
    Probe p = {embedding_fwd, &s, s.out, EN * EC, w};
    check("embedding dtable", &p, s.table, dtable, EV * EC);
}

// --- element-wise activations ------------------------------------------------------------------

enum { AN = 16 };
typedef struct {
    void (*fwd)(float *out, const float *inp, size_t n);
    float inp[AN], out[AN];
} Act;

static void act_fwd(void *l)
{
    Act *s = l;
    s->fwd(s->out, s->inp, AN);
}

// inputs from -3 to 3, none within 0.05 of 0 (relu's kink)
static void act_inputs(float *x)
{
    for (int i = 0; i < AN; i++) {
        x[i] = -3.0f + 6.0f * (float)i / (AN - 1) + 0.07f;
    }
}

// backward_uses_out: 1 when backward takes forward's output (tanh, sigmoid), 0 the input
static void check_activation(const char *what, void (*fwd)(float *, const float *, size_t),
                             void (*bwd)(float *, const float *, const float *, size_t),
                             int backward_uses_out)
{
    Act s = {.fwd = fwd};
    float w[AN], dinp[AN] = {0};
    act_inputs(s.inp);
    fill_normal(w, AN, 1, 7);
    act_fwd(&s);
    bwd(dinp, w, backward_uses_out ? s.out : s.inp, AN);
    Probe p = {act_fwd, &s, s.out, AN, w};
    check(what, &p, s.inp, dinp, AN);
}

Test(nn_layers, tanh_backward_matches_finite_differences)
{
    check_activation("tanh", nn_tanh_forward, nn_tanh_backward, 1);
}

Test(nn_layers, sigmoid_backward_matches_finite_differences)
{
    check_activation("sigmoid", nn_sigmoid_forward, nn_sigmoid_backward, 1);
}

Test(nn_layers, relu_backward_matches_finite_differences)
{
    check_activation("relu", nn_relu_forward, nn_relu_backward, 0);
}

Test(nn_layers, gelu_backward_matches_finite_differences)
{
    check_activation("gelu", nn_gelu_forward, nn_gelu_backward, 0);
}

Test(nn_layers, gelu_tanh_backward_matches_finite_differences)
{
    check_activation("gelu tanh", nn_gelu_tanh_forward, nn_gelu_tanh_backward, 0);
}

Test(nn_layers, activations_match_hand_values)
{
    float x[3] = {1.0f, -2.0f, 0.0f}, y[3];
    nn_gelu_forward(y, x, 3); // x Phi(x), Phi from math.erf
    cr_assert_float_eq(y[0], 0.8413447460685429f, 1e-7);
    cr_assert_float_eq(y[1], -0.04550026389635842f, 1e-7);
    cr_assert_float_eq(y[2], 0.0f, 0);
    nn_gelu_tanh_forward(y, x, 1); // 0.5 (1 + tanh(sqrt(2/pi) 1.044715))
    cr_assert_float_eq(y[0], 0.8411919906082768f, 1e-7);
    nn_sigmoid_forward(y, x, 3);
    cr_assert_float_eq(y[0], (float)(1 / (1 + exp(-1.0))), 1e-7);
    cr_assert_float_eq(y[2], 0.5f, 0);
    float big[2] = {-1000.0f, 1000.0f};
    nn_sigmoid_forward(y, big, 2); // no overflow, no NaN
    cr_assert(y[0] == 0.0f && y[1] == 1.0f, "sigmoid(+-1000) = %g, %g", y[0], y[1]);
    nn_relu_forward(y, x, 3);
    cr_assert(y[0] == 1.0f && y[1] == 0.0f && y[2] == 0.0f);
}

// the distance of got from want (exact, in double) in units in the last place of float at want
static double ulps(float got, double want)
{
    float w = fabsf((float)want);
    return fabs(got - want) / ((double)nextafterf(w, INFINITY) - w);
}

Test(nn_layers, float_exp_tanh_sigmoid_are_within_a_few_ulp_of_libm_double)
{
    // every 1021st float of either sign from 2^-31 to 20, against libm in double
    double worst[3] = {0, 0, 0};
    float at[3] = {0, 0, 0};
    for (uint32_t sign = 0; sign < 2; sign++) {
        for (uint32_t bits = 0x30000000u; bits <= 0x41a00000u; bits += 1021) {
            uint32_t b = bits | sign << 31;
            float x;
            memcpy(&x, &b, sizeof x);
            double err[3] = {ulps(nn_expf(x), exp(x)), ulps(nn_tanhf(x), tanh(x)),
                             ulps(nn_sigmoidf(x), 1.0 / (1.0 + exp(-(double)x)))};
            for (int f = 0; f < 3; f++) {
                if (err[f] > worst[f]) {
                    worst[f] = err[f], at[f] = x;
                }
            }
        }
    }
    // fastmath.h states 1, 2 and 3 ulp (measured over every float in the range)
    cr_assert(worst[0] <= 1.0, "nn_expf: %.2f ulp at %g", worst[0], at[0]);
    cr_assert(worst[1] <= 2.0, "nn_tanhf: %.2f ulp at %g", worst[1], at[1]);
    cr_assert(worst[2] <= 3.0, "nn_sigmoidf: %.2f ulp at %g", worst[2], at[2]);
}

Test(nn_layers, float_exp_tanh_sigmoid_ends_infinities_and_nan)
{
    cr_assert(nn_expf(-INFINITY) == 0.0f && nn_expf(-100.0f) == 0.0f);
    cr_assert(isinf(nn_expf(INFINITY)) && isinf(nn_expf(100.0f)));
    cr_assert(nn_expf(0.0f) == 1.0f, "exp(0) = %.9g", nn_expf(0.0f));
    cr_assert(nn_tanhf(0.0f) == 0.0f && nn_tanhf(30.0f) == 1.0f && nn_tanhf(-30.0f) == -1.0f);
    cr_assert(nn_tanhf(-INFINITY) == -1.0f && nn_sigmoidf(INFINITY) == 1.0f);
    cr_assert(nn_sigmoidf(-INFINITY) == 0.0f && nn_sigmoidf(0.0f) == 0.5f);
    cr_assert(isnan(nn_expf(NAN)) && isnan(nn_tanhf(NAN)) && isnan(nn_sigmoidf(NAN)));
}

// --- layernorm --------------------------------------------------------------------------------

enum { NN_ = 3, NC = 6 };
typedef struct {
    float inp[NN_ * NC], weight[NC], bias[NC], out[NN_ * NC], mean[NN_], rstd[NN_];
} Norm;

static void norm_fwd(void *l)
{
    Norm *s = l;
    nn_layernorm_forward(s->out, s->mean, s->rstd, s->inp, s->weight, s->bias, NN_, NC, 1e-5f);
}

Test(nn_layers, layernorm_forward_matches_hand_values)
{
    // row [1, 2, 3], eps 0: mean 2, variance 2/3, out = (x - 2) / sqrt(2/3) = [-1.2247, 0, 1.2247]
    float x[3] = {1, 2, 3}, w[3] = {1, 1, 1}, b[3] = {0, 0, 0}, out[3], mean, rstd;
    nn_layernorm_forward(out, &mean, &rstd, x, w, b, 1, 3, 0.0f);
    cr_assert_float_eq(mean, 2.0f, 0);
    cr_assert_float_eq(rstd, (float)sqrt(1.5), 1e-7);
    cr_assert_float_eq(out[0], (float)-sqrt(1.5), 1e-6);
    cr_assert_float_eq(out[1], 0.0f, 1e-7);
    cr_assert_float_eq(out[2], (float)sqrt(1.5), 1e-6);
}

Test(nn_layers, layernorm_backward_matches_finite_differences)
{
    Norm s;
    float w[NN_ * NC], dinp[NN_ * NC] = {0}, dweight[NC] = {0}, dbias[NC] = {0};
    fill_normal(s.inp, NN_ * NC, 1, 8);
    fill_normal(s.weight, NC, 1, 9);
    fill_normal(s.bias, NC, 1, 10);
    fill_normal(w, NN_ * NC, 1, 11);
    norm_fwd(&s);
    nn_layernorm_backward(dinp, dweight, dbias, w, s.inp, s.weight, s.mean, s.rstd, NN_, NC);
    Probe p = {norm_fwd, &s, s.out, NN_ * NC, w};
    check("layernorm dinp", &p, s.inp, dinp, NN_ * NC);
    check("layernorm dweight", &p, s.weight, dweight, NC);
    check("layernorm dbias", &p, s.bias, dbias, NC);
}

// --- dropout and residual ---------------------------------------------------------------------

enum { DN = 12 };
typedef struct {
    float inp[DN], out[DN], mask[DN];
} Dropout;

static void dropout_fwd(void *l)
{
    Dropout *s = l;
    LabRng r;
    lab_rng_seed(&r, 99); // the same mask on every call
    nn_dropout_forward(s->out, s->mask, s->inp, DN, 0.25f, &r);
}

Test(nn_layers, dropout_backward_matches_finite_differences)
{
    Dropout s;
    float w[DN], dinp[DN] = {0};
    fill_normal(s.inp, DN, 1, 12);
    fill_normal(w, DN, 1, 13);
    dropout_fwd(&s);
    nn_dropout_backward(dinp, w, s.mask, DN);
    Probe p = {dropout_fwd, &s, s.out, DN, w};
    check("dropout dinp", &p, s.inp, dinp, DN);
}

Test(nn_layers, dropout_keeps_one_minus_p_scaled_and_p_zero_is_identity)
{
    enum { M = 100000 };
    static float x[M], y[M], mask[M];
    for (int i = 0; i < M; i++) {
        x[i] = 1.0f;
    }
    LabRng r;
    lab_rng_seed(&r, 5);
    nn_dropout_forward(y, mask, x, M, 0.2f, &r);
    int kept = 0;
    double sum = 0;
    for (int i = 0; i < M; i++) {
        cr_assert(y[i] == 0.0f || y[i] == 1.25f, "element %d is %g", i, y[i]);
        kept += y[i] != 0.0f;
        sum += y[i];
    }
    // kept ~ Binomial(M, 0.8): standard deviation 126, so 0.8 M +- 1000 is a loose bound
    cr_assert(abs(kept - 80000) < 1000, "kept %d of %d at p = 0.2", kept, M);
    cr_assert(fabs(sum / M - 1.0) < 0.02, "mean %g, expected about 1", sum / M);
    LabRng before = r;
    nn_dropout_forward(y, mask, x, M, 0.0f, &r);
    cr_assert(memcmp(&before, &r, sizeof r) == 0, "p = 0 drew random numbers");
    for (int i = 0; i < M; i++) {
        cr_assert(y[i] == 1.0f && mask[i] == 1.0f);
    }
}

enum { RN = 7 };
typedef struct {
    float a[RN], b[RN], out[RN];
} Residual;

static void residual_fwd(void *l)
{
    Residual *s = l;
    nn_residual_forward(s->out, s->a, s->b, RN);
}

Test(nn_layers, residual_backward_matches_finite_differences)
{
    Residual s;
    float w[RN], da[RN] = {0}, db[RN] = {0};
    fill_normal(s.a, RN, 1, 14);
    fill_normal(s.b, RN, 1, 15);
    fill_normal(w, RN, 1, 16);
    nn_residual_backward(da, db, w, RN);
    Probe p = {residual_fwd, &s, s.out, RN, w};
    check("residual da", &p, s.a, da, RN);
    check("residual db", &p, s.b, db, RN);
}

// --- softmax + cross-entropy ------------------------------------------------------------------

enum { XN = 4, XV = 5 };
typedef struct {
    float logits[XN * XV], probs[XN * XV];
    int32_t targets[XN];
} Xent;

static double xent_loss(const float *x, void *ctx)
{
    (void)x;
    Xent *s = ctx;
    int count;
    double sum = nn_softmax_xent_forward(s->probs, &count, s->logits, s->targets, XN, XV);
    return sum / count;
}

Test(nn_layers, softmax_xent_matches_hand_values)
{
    // logits [0, ln 3]: probs [1/4, 3/4]; target 1: loss -ln(3/4); the second row is ignored
    float logits[4] = {0.0f, (float)log(3.0), 5.0f, 1.0f}, probs[4];
    int32_t targets[2] = {1, -100};
    int count;
    double loss = nn_softmax_xent_forward(probs, &count, logits, targets, 2, 2);
    cr_assert_eq(count, 1);
    cr_assert_float_eq(probs[0], 0.25f, 1e-7);
    cr_assert_float_eq(probs[1], 0.75f, 1e-7);
    cr_assert_float_eq(loss, -log(0.75), 1e-7);
    float dlogits[4] = {0};
    nn_softmax_xent_backward(dlogits, probs, targets, 1.0f, count, 2, 2);
    cr_assert_float_eq(dlogits[0], 0.25f, 1e-7);
    cr_assert_float_eq(dlogits[1], -0.25f, 1e-7);
    cr_assert(dlogits[2] == 0.0f && dlogits[3] == 0.0f, "an ignored row got a gradient");
}

Test(nn_layers, softmax_xent_is_stable_for_huge_logits)
{
    // [1000, 1001]: exp overflows without the max subtraction; p = [1/(1+e), e/(1+e)]
    float logits[2] = {1000.0f, 1001.0f}, probs[2];
    int32_t t = 0;
    double loss = nn_softmax_xent_forward(probs, NULL, logits, &t, 1, 2);
    cr_assert_float_eq(probs[0], (float)(1 / (1 + exp(1.0))), 1e-7);
    // the exps are float (within 2 ulp, summed in double), so the loss is good to float's
    // precision, as PyTorch's float cross_entropy is
    cr_assert_float_eq(loss, log(1 + exp(1.0)), 1e-6);
    // a logit far below: p rounds to 0 in float, the loss stays finite and exact
    float far[2] = {-200.0f, 0.0f};
    loss = nn_softmax_xent_forward(probs, NULL, far, &t, 1, 2);
    cr_assert_float_eq(loss, 200.0, 1e-9);
}

Test(nn_layers, softmax_xent_and_adam_give_the_same_bits_on_any_thread_count)
{
    // large enough to run on OpenMP's threads: 1500 rows of 100 logits, 200,000 parameters
    enum { R = 1500, V = 100, P = 200000 };
    float *logits = malloc(R * V * sizeof(float)), *probs[2], *par[2], *mom[2], *var[2];
    float *grads = malloc(P * sizeof(float));
    int32_t *targets = malloc(R * sizeof(int32_t));
    LabRng rng;
    lab_rng_seed(&rng, 3);
    for (int i = 0; i < R * V; i++) {
        logits[i] = (float)(8 * lab_rng_uniform(&rng) - 4);
    }
    for (int i = 0; i < R; i++) {
        targets[i] = i % 7 == 0 ? -1 : (int32_t)lab_rng_below(&rng, V);
    }
    for (int i = 0; i < P; i++) {
        grads[i] = (float)(lab_rng_uniform(&rng) - 0.5);
    }
    double loss[2];
    int saved = omp_get_max_threads();
    for (int k = 0; k < 2; k++) {
        omp_set_num_threads(k == 0 ? 1 : 3);
        probs[k] = malloc(R * V * sizeof(float));
        loss[k] = nn_softmax_xent_forward(probs[k], NULL, logits, targets, R, V);
        par[k] = calloc(P, sizeof(float)), mom[k] = calloc(P, sizeof(float));
        var[k] = calloc(P, sizeof(float));
        for (long t = 1; t <= 3; t++) {
            nn_adamw_step(par[k], grads, mom[k], var[k], NULL, P, t, 1e-2f, 0.9f, 0.999f, 1e-8f,
                          0.1f);
        }
    }
    omp_set_num_threads(saved);
    cr_assert(loss[0] == loss[1], "loss %.17g on 1 thread, %.17g on 3", loss[0], loss[1]);
    cr_assert(memcmp(probs[0], probs[1], R * V * sizeof(float)) == 0);
    cr_assert(memcmp(par[0], par[1], P * sizeof(float)) == 0);
    cr_assert(memcmp(var[0], var[1], P * sizeof(float)) == 0);
    for (int k = 0; k < 2; k++) {
        free(probs[k]), free(par[k]), free(mom[k]), free(var[k]);
    }
    free(logits), free(grads), free(targets);
}

Test(nn_layers, softmax_xent_backward_matches_finite_differences)
{
    Xent s = {.targets = {3, -1, 0, 4}}; // the second row is ignored
    float dlogits[XN * XV] = {0};
    fill_normal(s.logits, XN * XV, 2, 17);
    int count;
    nn_softmax_xent_forward(s.probs, &count, s.logits, s.targets, XN, XV);
    cr_assert_eq(count, 3);
    nn_softmax_xent_backward(dlogits, s.probs, s.targets, 1.0f, count, XN, XV);
    NnGradcheckReport rep;
    cr_assert_eq(nn_gradcheck("softmax xent", xent_loss, &s, s.logits, dlogits, XN * XV, NULL,
                              &rep),
                 0, "element %zu analytic %g numeric %g", rep.worst, rep.analytic, rep.numeric);
}

// --- the gradient check itself ----------------------------------------------------------------

Test(nn_layers, gradcheck_rejects_a_wrong_gradient_and_names_the_element,
     .init = cr_redirect_stderr)
{
    Act s = {.fwd = nn_tanh_forward};
    float w[AN], dinp[AN] = {0};
    act_inputs(s.inp);
    fill_normal(w, AN, 1, 7);
    act_fwd(&s);
    nn_tanh_backward(dinp, w, s.out, AN);
    dinp[5] *= 1.1f; // a 10% error in one element
    Probe p = {act_fwd, &s, s.out, AN, w};
    NnGradcheckReport rep;
    cr_assert_eq(nn_gradcheck("tanh", probe_loss, &p, s.inp, dinp, AN, NULL, &rep), -1);
    cr_assert_eq(rep.worst, 5);
    cr_assert(rep.excess > 1.0);
    float x5 = s.inp[5];
    act_fwd(&s);
    cr_assert(s.inp[5] == x5, "the input was not restored");
    cr_assert(fabs(rep.analytic - 1.1 * rep.numeric) < 1e-4 * fabs(rep.numeric),
              "analytic %g is not 1.1 times numeric %g", rep.analytic, rep.numeric);
    fflush(stderr);
    char msg[256] = "";
    size_t got = fread(msg, 1, sizeof msg - 1, cr_get_redirected_stderr());
    msg[got] = 0;
    const char *want = "lmlab: gradient check 'tanh' failed at element 5 of 16: analytic ";
    cr_assert(strncmp(msg, want, strlen(want)) == 0, "message: %s", msg);
}
