// nn.h: the neural-network core every neural family builds on.
//
//   layers      forward/backward pairs over caller-owned float buffers (layers.c)
//   matmul      C = alpha op(A) op(B) + beta C and the linear layer (matmul.c)
//   gradcheck   central finite differences against an analytic gradient (gradcheck.c)
//   optim       SGD, Adam, AdamW, clipping, schedules, initialisation over one flat block
//   params      a model's tensor table laid out in one flat block (params.c)
//   safetensors checkpoints in the safetensors format, read as untrusted input
//
// Conventions (docs/nn.md derives every backward pass):
// - Letters: N rows (batch times time, B * T), C channels, OC output channels, V vocabulary.
//   Every tensor is row-major float32; a shape comment (N, C) means N rows of C floats.
// - Outputs first, then what backward needs (written by forward), then inputs and weights,
//   then sizes. Layers never allocate and never fail: a wrong size or an id out of range is a
//   bug in the caller (assert); data read from files is checked before it reaches a layer.
// - Backward ACCUMULATES (+=) into every gradient buffer, so a tensor used twice gets the sum;
//   the caller zeroes gradients once per step. A NULL gradient pointer means "not needed".
// - Sums run in a fixed order (double accumulators for reductions and losses), so the same
//   inputs give bitwise-identical outputs.
#ifndef NN_NN_H
#define NN_NN_H

#include <stddef.h>
#include <stdint.h>

#include "lab/lab.h"

// --- matmul -------------------------------------------------------------------------------
// nn/matmul.c; the kernel's design and blocking sizes are in docs/nn.md ("matmul").

// C (M, N) = alpha * op(A) @ op(B) + beta * C, row-major, op(X) = X or X^T (transA/transB 0 or 1);
// A is (M, K) or (K, M) when transposed, lda its row stride; likewise B (K, N) or (N, K), ldb;
// C ldc.
// beta == 0 ignores what C holds (C may be uninitialised; NaN in C does not propagate).
// Each element of C is summed over K in an order fixed by the shape alone, so the result does
// not depend on the thread count or timing. Large products run on OpenMP's threads (called
// inside a parallel region, on the calling thread alone, unless nesting is enabled); each thread
// grows its packing buffers on first use to what its largest product needs (at most 3.4 MB with
// AVX2, 2.8 MB with AVX-512), keeps them for its life and reuses them, so after the first call
// of a shape nothing is allocated (should that allocation fail, the program exits as
// lab_malloc does). Built with BLAS=openblas, OpenBLAS's cblas_sgemm does the
// work instead, with its own threads and its own order of summation. M, N, K >= 0; M or N = 0
// does nothing; K = 0 or alpha = 0 sets C = beta * C without reading A or B.
void nn_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc);
// op(B) packed once for many products with the same B (a recurrent layer's w_hh, once per
// step): nn_sgemm_pack_b writes op(B) (K, N) (B is (K, N), or (N, K) when transB, row stride
// ldb) into packed, nn_sgemm_packed_b_floats(N, K) floats (N * K rounded up to the kernel's
// tile); nn_sgemm_packed then computes C (M, N) = alpha * op(A) @ op(B) + beta * C with the
// contract of nn_sgemm and, with lmlab's kernel, the bits nn_sgemm gives for the same
// operands and thread count. packed is the caller's and holds a copy: a changed B needs a new
// pack.
size_t nn_sgemm_packed_b_floats(int N, int K);
void nn_sgemm_pack_b(float *packed, int transB, int N, int K, const float *B, int ldb);
void nn_sgemm_packed(int transA, int M, int N, int K, float alpha, const float *A, int lda,
                     const float *packed, float beta, float *C, int ldc);
// nn_sgemm_packed, then epi on C as it is finished: called once for each block of C that every
// K block has been added to, while it is still in cache, with the block's corner c (row stride
// ldc), the block's first row i0 and column j0 in C and its m x n size, on the thread that
// computed it (blocks never overlap). For element-wise work on a product's output (a layer's
// bias and activation) without a pass of its own over memory; the products' bits are
// nn_sgemm_packed's. epi NULL: nn_sgemm_packed.
typedef void (*NnGemmEpilogue)(float *c, int ldc, int i0, int j0, int m, int n, void *ctx);
void nn_sgemm_packed_epi(int transA, int M, int N, int K, float alpha, const float *A, int lda,
                         const float *packed, float beta, float *C, int ldc, NnGemmEpilogue epi,
                         void *ctx);
// the readable reference: the same contract, triple loop, double accumulator per element
void nn_sgemm_ref(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc);
// the linear layer, as llm.c writes it: inp (N, C), weight (OC, C), bias (OC) or NULL
// -> out (N, OC)
void nn_linear_forward(float *out, const float *inp, const float *weight, const float *bias,
                       int N, int C, int OC);
// ACCUMULATES into dinp (N, C) (may be NULL: not needed), dweight (OC, C), dbias (OC) or NULL
void nn_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, int N, int C, int OC);

// --- layers -------------------------------------------------------------------------------

// Embedding: ids (N) each in [0, V), table (V, C) -> out (N, C), out[n] = table[ids[n]].
void nn_embedding_forward(float *out, const int32_t *ids, const float *table, int N, int V, int C);
// ACCUMULATES dout (N, C) into dtable (V, C) row by row, n ascending (a fixed order, so an id
// that occurs twice sums its rows the same way every run).
void nn_embedding_backward(float *dtable, const float *dout, const int32_t *ids, int N, int V,
                           int C);

// x[0 .. n) = 0: the zeroing of a gradient or scratch block before backward accumulates into
// it, on OpenMP's threads for a large block (a megabyte is about a tenth of a millisecond).
void nn_zero(float *x, size_t n);

// Element-wise activations over n floats: out = f(inp). out may be inp (in place) for forward;
// backward needs what its signature names (the output for tanh and sigmoid, the input for the
// others) and accumulates dinp += dout * f'(x). tanh and sigmoid run in float, vectorised,
// within 2 and 3 ulp of the exact values (nn/fastmath.h; docs/nn.md "Fast element-wise
// functions"); each element is computed alone, so the bits do not depend on n or alignment.
void nn_tanh_forward(float *out, const float *inp, size_t n);
void nn_tanh_backward(float *dinp, const float *dout, const float *out, size_t n);
void nn_sigmoid_forward(float *out, const float *inp, size_t n);
void nn_sigmoid_backward(float *dinp, const float *dout, const float *out, size_t n);
void nn_relu_forward(float *out, const float *inp, size_t n);
// relu'(0) is taken as 0, as PyTorch does
void nn_relu_backward(float *dinp, const float *dout, const float *inp, size_t n);
// GELU exactly, x * Phi(x) = x/2 (1 + erf(x / sqrt 2)): PyTorch's nn.GELU()
void nn_gelu_forward(float *out, const float *inp, size_t n);
void nn_gelu_backward(float *dinp, const float *dout, const float *inp, size_t n);
// out = gelu(x) (nn_gelu_forward's bits) and grad = gelu'(x) in one pass, x = inp + bias
// (bias (n) added first, as a linear layer adds it; NULL: none), for a backward that keeps the
// derivative instead of the input: dinp = dout * grad. grad may be inp.
void nn_gelu_forward_grad(float *out, float *grad, const float *inp, const float *bias, size_t n);
// GELU's tanh approximation, x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))): GPT-2's, and
// PyTorch's nn.GELU(approximate='tanh')
void nn_gelu_tanh_forward(float *out, const float *inp, size_t n);
void nn_gelu_tanh_backward(float *dinp, const float *dout, const float *inp, size_t n);

// Layer normalisation over the last axis: inp (N, C), weight (C), bias (C) -> out (N, C), and
// for backward mean (N) and rstd (N) = 1 / sqrt(var + eps), var the biased variance (divided
// by C), as PyTorch's nn.LayerNorm (its eps is 1e-5).
void nn_layernorm_forward(float *out, float *mean, float *rstd, const float *inp,
                          const float *weight, const float *bias, int N, int C, float eps);
// ACCUMULATES into dinp (N, C), dweight (C), dbias (C); any may be NULL.
void nn_layernorm_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                           const float *inp, const float *weight, const float *mean,
                           const float *rstd, int N, int C);

// Inverted dropout over n floats: each element is kept with probability 1 - p and scaled by
// 1 / (1 - p), so the expected output is the input and evaluation needs no rescaling. mask
// (n) receives 0 or 1 / (1 - p) and is all that backward needs. One lab_rng_uniform draw per
// element (kept when the draw is >= p) in index order; p == 0 (evaluation) draws nothing and
// writes a mask of ones. 0 <= p < 1. out may be inp.
void nn_dropout_forward(float *out, float *mask, const float *inp, size_t n, float p, LabRng *rng);
// ACCUMULATES dinp += dout * mask
void nn_dropout_backward(float *dinp, const float *dout, const float *mask, size_t n);

// Residual connection: out (n) = a + b. Backward ACCUMULATES dout into both da and db.
void nn_residual_forward(float *out, const float *a, const float *b, size_t n);
void nn_residual_backward(float *da, float *db, const float *dout, size_t n);

// Softmax and cross-entropy fused: logits (N, V), targets (N) -> probs (N, V) (every row, the
// ignored ones too) and the SUMMED loss -sum_n ln probs[n, targets[n]] over the rows whose
// target is >= 0 (a target < 0 is ignored, like PyTorch's ignore_index), with the row maximum
// subtracted first (exp never overflows); the exponentials in float (1 ulp), their sum and
// the loss in double. *count (may be NULL) receives
// the number of rows counted; the mean loss is the sum / count.
double nn_softmax_xent_forward(float *probs, int *count, const float *logits,
                               const int32_t *targets, int N, int V);
// ACCUMULATES dlogits (N, V) += (probs - onehot(target)) * dloss / count over counted rows,
// where dloss is the gradient of the final scalar with respect to the MEAN loss (1 when the
// mean loss is that scalar). Ignored rows get nothing; count == 0 does nothing.
void nn_softmax_xent_backward(float *dlogits, const float *probs, const int32_t *targets,
                              float dloss, int count, int N, int V);

// --- gradient check -----------------------------------------------------------------------

// A scalar loss of a block of n floats (the block gradcheck perturbs) and a context.
typedef double (*NnLossFn)(const float *x, void *ctx);

typedef struct {
    double h;    // step of the central difference (before rounding x +- h to float)
    double rtol; // relative tolerance
    double atol; // absolute tolerance: |analytic - numeric| <= atol + rtol * max(|a|, |n|)
} NnGradcheckOpts;

// The defaults (docs/nn.md "gradient check" gives the rationale): h = 1e-3, rtol = 1e-2,
// atol = 1e-3, meant for float32 forwards whose loss is summed in double.
#define NN_GRADCHECK_DEFAULTS ((NnGradcheckOpts){1e-3, 1e-2, 1e-3})

typedef struct {
    size_t worst;    // index of the element with the largest excess over its tolerance
    double analytic; // grad[worst]
    double numeric;  // its central difference
    double excess;   // |analytic - numeric| / tolerance at worst (<= 1 passes)
} NnGradcheckReport;

// Compares grad (n), the analytic gradient of f at x, with central differences
// (f(x + h e_i) - f(x - h e_i)) / (x_i+ - x_i-) for every i, where x_i+- are x_i +- h rounded
// to float and the denominator is their exact difference in double. x is perturbed one element
// at a time and restored bit for bit. Returns 0 when every element is within tolerance; else
// -1 with a message naming `what`, the worst element, the analytic and the numeric value.
// opts NULL means NN_GRADCHECK_DEFAULTS; report (may be NULL) receives the worst element.
int nn_gradcheck(const char *what, NnLossFn f, void *ctx, float *x, const float *grad, size_t n,
                 const NnGradcheckOpts *opts, NnGradcheckReport *report);

// --- optimizers ---------------------------------------------------------------------------
// Every optimizer updates one flat block: params (n), grads (n), and its state buffers (n
// each, zeroed by the caller before the first step). decay_mask (n) says per parameter
// whether weight decay applies (1) or not (0: biases, norm gains); NULL applies it to every
// parameter. The formulas are PyTorch's (torch.optim), so the same hyperparameters give the
// same steps; docs/nn.md writes them out.

// SGD with momentum, PyTorch's torch.optim.SGD with dampening 0:
//   g = grad + wd * p;  buf = momentum * buf + g;  g = nesterov ? g + momentum * buf : buf;
//   p -= lr * g.  With momentum == 0, buf is not used (may be NULL).
void nn_sgd_step(float *params, const float *grads, float *buf, const uint8_t *decay_mask, size_t n,
                 float lr, float momentum, int nesterov, float weight_decay);

// Adam (Kingma and Ba, 2015) as torch.optim.Adam: step t counts from 1; m and v are the first
// and second moments; weight_decay is the coupled L2 term g += wd * p (0 for plain Adam).
// Adam and AdamW compute in float, in the order of PyTorch's tensor operations, vectorised.
void nn_adam_step(float *params, const float *grads, float *m, float *v, const uint8_t *decay_mask,
                  size_t n, long t, float lr, float beta1, float beta2, float eps,
                  float weight_decay);

// AdamW (Loshchilov and Hutter, 2019) as torch.optim.AdamW: p *= 1 - lr * wd (decoupled, only
// where decay_mask says), then the Adam step without weight decay.
void nn_adamw_step(float *params, const float *grads, float *m, float *v, const uint8_t *decay_mask,
                   size_t n, long t, float lr, float beta1, float beta2, float eps,
                   float weight_decay);

// Clips gradients by their global L2 norm, as torch.nn.utils.clip_grad_norm_: with the norm
// summed in double in a fixed order (optim.c), when norm > max_norm every gradient is scaled by
// max_norm / (norm + 1e-6).
// Returns the norm before clipping (report it: a growing norm is a diverging run).
double nn_clip_grad_norm(float *grads, size_t n, double max_norm);

// Learning-rate schedules, pure functions of the step (0-based).
typedef enum {
    NN_LR_CONSTANT, // lr
    NN_LR_STEP,     // lr * gamma^floor(step / step_size), as torch.optim.lr_scheduler.StepLR
    NN_LR_COSINE,   // linear warmup from lr / warmup to lr over `warmup` steps, then half a
                    // cosine from lr down to min_lr at step `total`, min_lr after
} NnLrKind;

typedef struct {
    NnLrKind kind;
    double lr;      // the peak (and constant) rate
    double min_lr;  // NN_LR_COSINE: the rate at and after `total`
    long warmup;    // NN_LR_COSINE: warmup steps (0: none)
    long total;     // NN_LR_COSINE: the step at which the cosine reaches min_lr
    long step_size; // NN_LR_STEP: steps between two decays (> 0)
    double gamma;   // NN_LR_STEP: the factor of each decay
} NnLrSchedule;

double nn_lr_at(const NnLrSchedule *s, long step);

// Initialisation schemes, each drawing from rng in index order. fan_in and fan_out are the
// layer's input and output sizes (a weight (OC, C) has fan_in C and fan_out OC).
typedef enum {
    NN_INIT_ZEROS,           // 0 (biases in most models)
    NN_INIT_ONES,            // 1 (layernorm gains)
    NN_INIT_XAVIER_UNIFORM,  // U(-a, a), a = sqrt(6 / (fan_in + fan_out)) (Glorot and Bengio 2010)
    NN_INIT_XAVIER_NORMAL,   // N(0, 2 / (fan_in + fan_out))
    NN_INIT_KAIMING_UNIFORM, // U(-a, a), a = sqrt(6 / fan_in): He et al. 2015, gain sqrt 2 (ReLU)
    NN_INIT_KAIMING_NORMAL,  // N(0, 2 / fan_in)
    NN_INIT_TORCH_LINEAR,    // U(-1/sqrt(fan_in), 1/sqrt(fan_in)): nn.Linear's default, weight and
                             // bias alike (the bias takes the weight's fan_in)
    NN_INIT_GPT2,            // N(0, 0.02^2), as GPT-2 initialises its weights
} NnInit;

// Fills w (n) by the scheme. Normal draws come from lab_rng_normal, uniform ones from
// lab_rng_uniform mapped to [-a, a).
void nn_init_fill(float *w, size_t n, NnInit scheme, int fan_in, int fan_out, LabRng *rng);

// --- the tensor table -----------------------------------------------------------------------
// A model lists its tensors once; the layout, initialisation, decay mask, checkpoints and test
// labels all loop over the same table, so nothing drifts.
#define NN_MAX_NDIM 4

typedef struct {
    const char *name;       // unique, as stored in checkpoints ("wte", "h.0.ln1.weight")
    int ndim;               // 1 to NN_MAX_NDIM
    int shape[NN_MAX_NDIM]; // shape[0..ndim), each > 0
    int decay;              // 1: weight decay applies (matrices, embeddings); 0: biases, gains
    NnInit init;            // how nn_params_init fills it
    int fan_in, fan_out;    // for init; 0 takes them from the shape: fan_in = the last axis,
                            // fan_out = the first (a weight (OC, C))
} NnTensorSpec;

// The layout of a table in one flat block: tensor i is block[offset[i] .. offset[i + 1]).
typedef struct {
    const NnTensorSpec *spec; // (n) borrowed: the table outlives the layout
    int n;
    size_t *offset; // (n + 1)
    size_t total;   // floats in the block (= offset[n])
} NnParams;

// Lays out the table. Fails (-1, message) on an empty or repeated name, ndim out of range, a
// dimension <= 0 or a total beyond 2^40 floats. nn_params_free is safe on a zeroed struct.
int nn_params_layout(NnParams *p, const NnTensorSpec *spec, int n);
void nn_params_free(NnParams *p);
size_t nn_tensor_numel(const NnTensorSpec *t);
int nn_params_find(const NnParams *p, const char *name); // index, or -1
// block + offset of the named tensor, or NULL when the table has no such name
float *nn_params_view(const NnParams *p, float *block, const char *name);
// decay_mask (total) from each tensor's decay flag, for the optimizers
void nn_params_decay_mask(const NnParams *p, uint8_t *mask);
// fills every tensor of block (total) by its init scheme, in table order, from rng
void nn_params_init(const NnParams *p, float *block, LabRng *rng);

// --- safetensors ----------------------------------------------------------------------------
// The format of Hugging Face's safetensors (docs/formats.md): an 8-byte little-endian header
// length, a JSON header naming every tensor's dtype, shape and byte range, then the data.

// Writes the tensors of block (p->total) in table order as F32, with meta's key/value pairs
// (may be NULL) as "__metadata__" strings, atomically (a temporary file renamed). -1 with a
// message naming the file.
int nn_safetensors_write(const char *path, const NnParams *p, const float *block,
                         const LabConfig *meta);

// The largest header the reader accepts (the format's own limit is 100 MB).
#define NN_SAFETENSORS_MAX_HEADER (16u << 20)

// Reads path into block (p->total floats) after checking it against the table: the header
// length against the file's size, the header as JSON (a parser for this header only: bounded
// depth, strings with escapes, valid UTF-8), exactly the table's tensors, each F32 with the
// expected shape, byte ranges that tile the data area without gap or overlap, and a data area
// of exactly the table's size. meta (may be NULL) receives the metadata strings (appended).
// Nothing is written to block unless every check passes. -1 with a message naming the file
// and the problem (for a tensor: its name, what was expected, what was found).
int nn_safetensors_read(const char *path, const NnParams *p, float *block, LabConfig *meta);

// --- mlp language model -------------------------------------------------------------------
// Bengio et al. (2003) as makemore's MLP writes it (nn/mlp_lm.c, docs/nn.md "the MLP language
// model"): the n previous tokens are looked up in one shared table, concatenated, passed
// through one tanh layer, and projected to the vocabulary:
//   x = [wte[c_1], ..., wte[c_n]]  (n*E)     h = tanh(fc1.weight x + fc1.bias)  (H)
//   logits = head.weight h + head.bias (+ direct.weight x when cfg.direct)  (V)
// A context that reaches back past the start of its sentence is padded with <s> (TOK_BOS),
// as makemore pads with '.': the first token of a line is predicted from n times <s>.
// Letters: B rows (examples), n context length, E embedding size, H hidden, V vocabulary.

typedef struct {
    int V;      // vocabulary size (ids in [0, V))
    int n;      // context length: tokens the model sees before the one it predicts
    int E;      // embedding size per token
    int H;      // hidden units of the tanh layer
    int direct; // 1: the paper's direct connections x -> logits ("direct.weight"); default 0
} MlpLmConfig;

// The tensor table, in this order (direct.weight only when cfg.direct):
//   wte.weight (V, E)     N(0, 1), nn.Embedding's default        decay
//   fc1.weight (H, n*E)   U(+-1/sqrt(n*E)), nn.Linear's default  decay
//   fc1.bias (H)          U(+-1/sqrt(n*E)), nn.Linear's default  no decay
//   head.weight (V, H)    U(+-1/sqrt(H))                         decay
//   head.bias (V)         U(+-1/sqrt(H))                         no decay
//   direct.weight (V, n*E) U(+-1/sqrt(n*E)), no bias (head.bias serves both)  decay
#define MLP_LM_MAX_TENSORS 6

typedef struct {
    MlpLmConfig cfg;
    int B;                                // rows of every activation buffer (the batch size)
    NnTensorSpec spec[MLP_LM_MAX_TENSORS]; // the tensor table (names are string literals)
    NnParams params;                      // its layout in one flat block
    float *param;                         // (params.total) the parameters
    float *grad;                          // (params.total) their gradients, same layout
    // views into param and grad (direct_weight NULL without direct connections)
    float *wte, *fc1_weight, *fc1_bias, *head_weight, *head_bias, *direct_weight;
    float *dwte, *dfc1_weight, *dfc1_bias, *dhead_weight, *dhead_bias, *ddirect_weight;
    // activations of the last forward, B rows each, and their gradient scratch
    int32_t *ctx;     // (B, n) the context ids
    int32_t *targets; // (B) the targets (< 0: ignored)
    float *x;         // (B, n*E) the concatenated embeddings
    float *h;         // (B, H) tanh(fc1 x)
    float *logits;    // (B, V)
    float *probs;     // (B, V) softmax of logits
    float *dx, *dh, *dpre, *dlogits; // (B, n*E), (B, H), (B, H), (B, V)
    int rows;         // rows of the last forward (<= B)
    int count;        // targets counted by the last forward (those >= 0)
    double loss_sum;  // their summed loss in nats (the mean is loss_sum / count)
} MlpLm;

// Checks cfg (each size >= 1, V >= 3 for the reserved ids, every tensor below 2^31 floats),
// lays out the tensor table and allocates parameters, gradients and activations for B rows,
// all zero: call mlp_lm_init_weights (or read a checkpoint into m->param) next. -1 with a
// message on a bad config. mlp_lm_free is safe on a zeroed struct and after a failed init.
int mlp_lm_init(MlpLm *m, const MlpLmConfig *cfg, int B);
void mlp_lm_free(MlpLm *m);
// Fills the parameters by the table's schemes (nn_params_init), drawing from rng in order.
void mlp_lm_init_weights(MlpLm *m, LabRng *rng);

// ctx_ids (rows, n) each in [0, V), targets (rows), a target < 0 ignored (to pad the last
// batch of an evaluation), 1 <= rows <= B. Runs the model, keeps what backward needs, and
// returns the mean loss in nats over the counted targets (0 when none is counted; m->count
// and m->loss_sum give the count and the sum).
double mlp_lm_forward(MlpLm *m, const int32_t *ctx_ids, const int32_t *targets, int rows);
// Zeroes m->grad.
void mlp_lm_zero_grad(MlpLm *m);
// ACCUMULATES into m->grad the gradient of the last forward's mean loss.
void mlp_lm_backward(MlpLm *m);
// The logits of rows contexts ctx_ids (rows, n), 1 <= rows <= B, for sampling: returns
// m->logits (rows, V), valid until the next call. Nothing is kept for backward.
const float *mlp_lm_logits(MlpLm *m, const int32_t *ctx_ids, int rows);

// --- recurrent ------------------------------------------------------------------------------
// The RNN (tanh), LSTM and GRU layers as PyTorch defines them (torch.nn.RNN, LSTM, GRU), so
// the same weights give the same outputs (recurrent.c; docs/nn.md "Recurrent layers").
// Letters: T time steps, B batch, C input channels, H hidden size, G gates (RNN 1, LSTM 4,
// GRU 3). Layout: TIME-MAJOR, as PyTorch's default batch_first=False: inp (T, B, C), so
// each step reads one contiguous (B, C) block and the input projection of all T steps is one
// matmul (T * B, C) x (C, G * H).
// The hidden states h (T + 1, B, H): h[0] is the initial state, WRITTEN BY THE CALLER before
// forward; forward writes h[t + 1], the output of step t. h + B * H is then the layer's
// output (T, B, H) (the next layer's input) and h + T * B * H its final state (carry it into
// the next batch of sequential partitioning). The LSTM's cells c (T + 1, B, H) likewise.
// Weights as PyTorch's: w_ih (G * H, C), w_hh (G * H, H), b_ih (G * H), b_hh (G * H), the
// gate blocks stacked in PyTorch's order (LSTM i, f, g, o; GRU r, z, n).
// Backward is BPTT over the T steps. dout (T, B, H) is the gradient of the outputs h[1..T];
// the final state gets no other gradient (the next batch detaches it). Backward ACCUMULATES
// into dinp (T, B, C), dh0 (B, H), dc0 (B, H) (each may be NULL: not needed; a NULL dh0 is
// the detach of truncated BPTT) and the weight gradients; scratch holds
// nn_recurrent_scratch_floats floats and is overwritten.

typedef enum { NN_CELL_RNN, NN_CELL_LSTM, NN_CELL_GRU } NnCell;

int nn_cell_gates(NnCell cell);        // G: 1, 4, 3
const char *nn_cell_name(NnCell cell); // "rnn", "lstm", "gru"
// "rnn", "lstm" or "gru" -> *cell (0); anything else -1, without a message (the caller says it)
int nn_cell_parse(const char *name, NnCell *cell);
// floats of the per-step cache forward writes beside h: LSTM gates (T, B, 4H) + c (T + 1, B, H)
// + tanh(c) (T, B, H); GRU gates (T, B, 3H) + the recurrent projection (T, B, 3H); RNN none
size_t nn_recurrent_cache_floats(NnCell cell, int T, int B, int H);
// floats of the scratch that backward needs
size_t nn_recurrent_scratch_floats(NnCell cell, int T, int B, int H);

// RNN: h[t + 1] = tanh(w_ih x_t + b_ih + w_hh h[t] + b_hh). Needs h only.
void nn_rnn_forward(float *h, const float *inp, const float *w_ih, const float *w_hh,
                    const float *b_ih, const float *b_hh, int T, int B, int C, int H);
void nn_rnn_backward(float *dinp, float *dh0, float *dw_ih, float *dw_hh, float *db_ih,
                     float *db_hh, float *scratch, const float *dout, const float *h,
                     const float *inp, const float *w_ih, const float *w_hh, int T, int B, int C,
                     int H);

// LSTM: gates (T, B, 4H) receive i, f, g, o after their nonlinearities, c (T + 1, B, H) the
// cells (c[0] WRITTEN BY THE CALLER), tc (T, B, H) tanh of c[1..T]:
//   c[t + 1] = f * c[t] + i * g,  h[t + 1] = o * tanh(c[t + 1]).
void nn_lstm_forward(float *h, float *c, float *gates, float *tc, const float *inp,
                     const float *w_ih, const float *w_hh, const float *b_ih, const float *b_hh,
                     int T, int B, int C, int H);
void nn_lstm_backward(float *dinp, float *dh0, float *dc0, float *dw_ih, float *dw_hh, float *db_ih,
                      float *db_hh, float *scratch, const float *dout, const float *h,
                      const float *c, const float *gates, const float *tc, const float *inp,
                      const float *w_ih, const float *w_hh, int T, int B, int C, int H);

// GRU: gates (T, B, 3H) receive r, z, n after their nonlinearities and gh (T, B, 3H) the
// recurrent projection w_hh h[t] + b_hh (its n block is what r multiplies):
//   n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),  h[t + 1] = (1 - z) * n + z * h[t].
void nn_gru_forward(float *h, float *gates, float *gh, const float *inp, const float *w_ih,
                    const float *w_hh, const float *b_ih, const float *b_hh, int T, int B, int C,
                    int H);
void nn_gru_backward(float *dinp, float *dh0, float *dw_ih, float *dw_hh, float *db_ih,
                     float *db_hh, float *scratch, const float *dout, const float *h,
                     const float *gates, const float *gh, const float *inp, const float *w_ih,
                     const float *w_hh, int T, int B, int C, int H);

// The same six with resets: reset (T, B), or NULL (then they are the functions above).
// reset[t * B + b] != 0 starts lane b afresh at step t: the state entering that step (h[t],
// and the LSTM's c[t]) is read as zero, and backward sends no gradient through it (into
// earlier steps or dh0/dc0). Each line of a text starts this way, as it is scored. Forward
// and backward must get the same reset. h and c keep what the steps wrote.
void nn_rnn_forward_reset(float *h, const float *inp, const float *w_ih, const float *w_hh,
                          const float *b_ih, const float *b_hh, const uint8_t *reset, int T,
                          int B, int C, int H);
void nn_rnn_backward_reset(float *dinp, float *dh0, float *dw_ih, float *dw_hh, float *db_ih,
                           float *db_hh, float *scratch, const float *dout, const float *h,
                           const float *inp, const float *w_ih, const float *w_hh,
                           const uint8_t *reset, int T, int B, int C, int H);
void nn_lstm_forward_reset(float *h, float *c, float *gates, float *tc, const float *inp,
                           const float *w_ih, const float *w_hh, const float *b_ih,
                           const float *b_hh, const uint8_t *reset, int T, int B, int C, int H);
void nn_lstm_backward_reset(float *dinp, float *dh0, float *dc0, float *dw_ih, float *dw_hh,
                            float *db_ih, float *db_hh, float *scratch, const float *dout,
                            const float *h, const float *c, const float *gates, const float *tc,
                            const float *inp, const float *w_ih, const float *w_hh,
                            const uint8_t *reset, int T, int B, int C, int H);
void nn_gru_forward_reset(float *h, float *gates, float *gh, const float *inp, const float *w_ih,
                          const float *w_hh, const float *b_ih, const float *b_hh,
                          const uint8_t *reset, int T, int B, int C, int H);
void nn_gru_backward_reset(float *dinp, float *dh0, float *dw_ih, float *dw_hh, float *db_ih,
                           float *db_hh, float *scratch, const float *dout, const float *h,
                           const float *gates, const float *gh, const float *inp,
                           const float *w_ih, const float *w_hh, const uint8_t *reset, int T,
                           int B, int C, int H);

// --- recurrent language model -----------------------------------------------------------------
// Embedding (V, E) -> L stacked cells (hidden H) -> linear head (V, H) -> softmax
// cross-entropy (rnn_lm.c; docs/nn.md "The recurrent language model"). Inputs and targets
// are (B, T) token ids, batch-major as the batchers give them; the model works time-major
// inside. Tensor names follow a PyTorch module with fields embed, rnn (torch.nn.LSTM/GRU/RNN)
// and head, so a checkpoint maps onto its state_dict: "embed.weight",
// "rnn.weight_ih_l0", "rnn.weight_hh_l0", "rnn.bias_ih_l0", "rnn.bias_hh_l0", ... (per
// layer), "head.weight", "head.bias".

typedef struct {
    NnCell cell;
    int V; // vocabulary
    int E; // embedding size (the first layer's input)
    int H; // hidden size of every layer
    int L; // stacked layers, >= 1
} RnnLmConfig;

typedef struct {
    RnnLmConfig cfg;
    int B, T; // the batch shape every buffer is sized for

    NnTensorSpec *spec; // the tensor table (owned, names too)
    NnParams layout;
    float *params, *grads; // (layout.total) each: one flat block for optimizers and checkpoints

    // views into params (and the same offsets into grads)
    float *wte;                           // (V, E)
    float **w_ih, **w_hh, **b_ih, **b_hh; // (L) each; layer l's input is E or H wide
    float *head_w, *head_b;               // (V, H), (V)

    // state: the initial hidden (and LSTM cell) state of the next forward, (L, B, H) each;
    // forward replaces it by the final state (sequential partitioning carries it on)
    float *state_h, *state_c;

    // activations, written by forward, read by backward
    int32_t *ids, *targets; // (T, B) time-major copies
    uint8_t *reset;         // (T, B) 1 where the input is <s>: the lane starts afresh there
    float *x;               // (T, B, E) embeddings
    float **h;              // (L) each (T + 1, B, H)
    float **cache;          // (L) each nn_recurrent_cache_floats
    float *logits, *probs;  // (T * B, V)
    int count;              // targets counted by the last forward (>= 0)

    // backward scratch
    float *dlogits;      // (T * B, V)
    float *dh, *dh_next; // (T, B, H) the gradient of a layer's outputs, and of the one below's
    float *dx;           // (T, B, E)
    float *scratch;      // nn_recurrent_scratch_floats
} RnnLm;

// Lays out the table and allocates parameters, gradients, state and every activation for
// batches of B sequences of T steps; nothing allocates afterwards. Parameters are zero until
// rnn_lm_init_params. -1 with a message on a size <= 0 or a model too large.
// rnn_lm_free is safe on a zeroed struct and after a failed init.
int rnn_lm_init(RnnLm *m, const RnnLmConfig *cfg, int B, int T);
void rnn_lm_free(RnnLm *m);

// PyTorch's defaults: every recurrent weight and bias U(-1/sqrt(H), 1/sqrt(H)), the head as
// nn.Linear (U(-1/sqrt(H), 1/sqrt(H))), the embedding N(0, 1) as nn.Embedding. Table order.
void rnn_lm_init_params(RnnLm *m, LabRng *rng);

// Zeroes the state: random sampling calls it before every batch (independent subsequences).
void rnn_lm_reset_state(RnnLm *m);

// inputs (B, T) and targets (B, T) ids in [0, V) (a target < 0 is ignored) -> mean loss over
// the counted targets (0 when none is). Starts from the state and leaves the final state in
// it. targets may be NULL (no loss: generation, or logits only). An input <s> (TOK_BOS)
// starts its lane afresh: the state entering that step is zero and backward stops there, so
// a line is trained as it is scored, from a zero state and one <s>, wherever it falls in the
// batch (docs/nn.md "Line starts").
double rnn_lm_forward(RnnLm *m, const int32_t *inputs, const int32_t *targets);
void rnn_lm_zero_grad(RnnLm *m);
// ACCUMULATES the gradient of the last forward's mean loss into grads. BPTT stops at the
// batch's initial state (detached: the previous batch is not revisited).
void rnn_lm_backward(RnnLm *m);

// Generation: one step for each of the B lanes (tokens (B) in [0, V)) from the state, which
// advances by one token (a lane given <s> starts afresh, as in forward). Returns the logits (B, V),
// valid until the next call.
const float *rnn_lm_step_logits(RnnLm *m, const int32_t *tokens);
// Scoring: T steps (1 <= T <= the model's T) of the B lanes at once from the carried state,
// ids (T, B) time-major (a lane given <s> starts afresh there); the state advances by T
// tokens. Returns the logits (T * B, V), time-major, valid until the next call. Each step
// gives what rnn_lm_step_logits would; the input projections and the head of all T steps
// are one matrix product each, so a long text is scored many times faster than step by step.
const float *rnn_lm_run_logits(RnnLm *m, const int32_t *ids, int T);

#endif
