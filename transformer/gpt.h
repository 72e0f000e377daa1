// gpt.h: the GPT, GPT-2's architecture as nanoGPT's model.py writes it (docs/transformer.md).
//
//   attention   causal multi-head self-attention over a fused qkv, forward/backward (attention.c)
//   gpt         the model: embeddings, pre-norm blocks, tied head, the KV cache (gpt.c)
//
// Letters, the same in every file of this folder:
//   B  batch (sequences)      T  time (positions of a sequence, <= the context cfg.T)
//   C  channels (n_embd)      NH heads (n_head); hs = C / NH, the size of one head
//   L  layers (n_layer)       V  vocabulary
// Every tensor is row-major float32; (B, T, C) means B * T rows of C floats.
// Conventions are nn.h's: outputs first, then what backward needs, then inputs and weights,
// then sizes; backward ACCUMULATES into every gradient buffer.
#ifndef TRANSFORMER_GPT_H
#define TRANSFORMER_GPT_H

#include <stddef.h>
#include <stdint.h>

#include "lab/lab.h"
#include "nn/nn.h"

// --- attention ------------------------------------------------------------------------------
// qkv (B, T, 3C) holds, per position, the query, key and value of every head side by side, as
// nanoGPT's c_attn writes them: q = qkv[..., 0:C], k = qkv[..., C:2C], v = qkv[..., 2C:3C],
// head h at columns h*hs .. (h+1)*hs of each. For each (b, h):
//   att = softmax(q k^T / sqrt(hs) + causal mask)   (T, T): row t attends to t2 <= t only
//   out[b, :, h*hs:(h+1)*hs] = drop(att) v           (T, hs)
// att is the softmax itself (zero above the diagonal), kept for backward as llm.c keeps it;
// drop(att) = att * mask when mask (B, NH, T, T) is given (inverted dropout: each element 0 or
// 1 / (1 - p)), att itself when mask is NULL. The softmax runs in float with the row maximum
// subtracted first (exp never overflows). The work splits over the B * NH (b, h) pairs with
// OpenMP; each pair writes its own slices, so the result does not depend on the thread count.
// scratch holds gpt_attention_scratch_floats(T, threads) floats; at most `threads` threads
// run (>= 1).
size_t gpt_attention_scratch_floats(int T, int threads);
void gpt_attention_forward(float *out, float *att, const float *qkv, const float *mask,
                           float *scratch, int threads, int B, int T, int C, int NH);
// WRITES into dqkv (B, T, 3C) the gradient of out given dout (B, T, C) (every element: no
// zeroing needed before); att, mask and qkv are forward's. scratch as forward's.
void gpt_attention_backward(float *dqkv, float *scratch, const float *dout, const float *att,
                            const float *mask, const float *qkv, int threads, int B, int T, int C,
                            int NH);

// --- the model ------------------------------------------------------------------------------
//   x = drop(wte[idx] + pos[t])                             (B, T, C)
//   for each layer:  x = x + drop(attn.c_proj(attention(attn.c_attn(ln_1(x)))))
//                    x = x + drop(mlp.c_proj(gelu(mlp.c_fc(ln_2(x)))))
//   logits = ln_f(x) @ wte^T                                (B, T, V): the head is tied to wte
// pos is the learned wpe (T, C) or the fixed sinusoidal encoding of Vaswani et al. (2017).

typedef enum { GPT_POS_LEARNED, GPT_POS_SINUSOIDAL } GptPos;
typedef enum { GPT_GELU_EXACT, GPT_GELU_TANH } GptGelu;

typedef struct {
    int V;         // vocabulary (vocab_size)
    int T;         // context: the longest sequence the model sees (block_size)
    int L;         // layers (n_layer)
    int NH;        // heads (n_head); C % NH == 0
    int C;         // channels (n_embd)
    float dropout; // in [0, 1): embeddings, attention weights, both residual branches; 0 default
    int bias;      // 1: Linear and LayerNorm have biases (GPT-2); 0: none (nanoGPT bias=False)
    GptPos pos;    // learned wpe (GPT-2) or sinusoidal (C even)
    GptGelu gelu;  // exact erf, nanoGPT's nn.GELU() (default), or GPT-2's tanh approximation
} GptConfig;

// "learned"/"sinusoidal", "exact"/"tanh": 0, or -1 without a message (the caller says it)
int gpt_pos_parse(const char *s, GptPos *pos);
int gpt_gelu_parse(const char *s, GptGelu *gelu);
const char *gpt_pos_name(GptPos pos);
const char *gpt_gelu_name(GptGelu gelu);

// The tensors of one block, views into a parameter (or gradient) block; the biases are NULL
// when cfg.bias is 0.
typedef struct {
    float *ln_1_w, *ln_1_b;           // (C), (C)
    float *c_attn_w, *c_attn_b;       // (3C, C), (3C)
    float *attn_proj_w, *attn_proj_b; // (C, C), (C)
    float *ln_2_w, *ln_2_b;           // (C), (C)
    float *c_fc_w, *c_fc_b;           // (4C, C), (4C)
    float *mlp_proj_w, *mlp_proj_b;   // (C, 4C), (C)
} GptBlockParams;

// What forward keeps of one block for backward (B, T, ...) each; the masks NULL without dropout.
typedef struct {
    float *ln_1, *ln_1_mean, *ln_1_rstd; // (B, T, C), (B, T), (B, T)
    float *qkv;                          // (B, T, 3C)
    float *att;                          // (B, NH, T, T) softmax, zero above the diagonal
    float *atty;                         // (B, T, C) attention output, before c_proj
    float *res_2;                        // (B, T, C) x after the attention branch
    float *ln_2, *ln_2_mean, *ln_2_rstd; // (B, T, C), (B, T), (B, T)
    float *fch, *fch_gelu;               // (B, T, 4C) before and after gelu; after a forward
                                         // with targets, fch holds gelu'(before) instead
                                         // (exact GELU): what backward needs of it
    float *res_3;                        // (B, T, C) x after the MLP branch: the block's output
    float *att_mask, *res_2_mask, *res_3_mask; // (B, NH, T, T), (B, T, C), (B, T, C)
} GptBlockActs;

typedef struct {
    GptConfig cfg;
    int B, T;    // the batch shape every buffer is sized for (T <= cfg.T)
    int threads; // OpenMP threads at init (the attention's scratch is sized for them)
    size_t par_min; // element-wise layers below this many floats run on one thread (gpt.c)
    // 1: forward and backward split the batch's sequences into one share per thread, each run
    // through every layer by its thread alone (small models: gpt_init decides, gpt.c says how);
    // 0: every layer splits its own work over the threads
    int batch_parallel;

    NnTensorSpec *spec; // the tensor table (owned, names too), in nanoGPT's state_dict order
    NnParams layout;
    float *params, *grads; // (layout.total) each
    float *wte, *wpe;      // (V, C), (cfg.T, C); wpe NULL with sinusoidal positions
    float *dwte, *dwpe;
    float *ln_f_w, *ln_f_b, *dln_f_w, *dln_f_b; // (C); the biases NULL without bias
    GptBlockParams *blk, *dblk;                 // (L) views into params and grads
    float *sinusoid;  // (cfg.T, C) the fixed encoding, or NULL with learned positions
    float *zero_bias; // (4C) zeros: layernorm's bias when cfg.bias is 0

    // training: dropout draws from rng when cfg.dropout > 0 and rng is not NULL (set it for a
    // training step, NULL for evaluation); the caller owns it
    LabRng *rng;

    // activations of the last forward
    int32_t *inputs, *targets;           // (B, T) copies (targets < 0 ignored)
    float *x0, *x0_mask;                 // (B, T, C) the embedded input, its dropout mask (or NULL)
    GptBlockActs *acts;                  // (L)
    float *ln_f, *ln_f_mean, *ln_f_rstd; // (B, T, C), (B, T), (B, T)
    float *logits, *probs; // (B, T, V); backward overwrites logits with their gradient
    int count;             // targets counted by the last forward
    int has_loss;          // the last forward had targets (backward may follow)
    int dropped;           // the last forward applied dropout (its masks are valid)

    // backward scratch
    float *dx;           // (B, T, C) the gradient of the residual stream
    float *dc, *dc2;     // (B, T, C) each
    float *dqkv;         // (B, T, 3C)
    float *dfch, *dfch2; // (B, T, 4C) each
    float *att_scratch;  // gpt_attention_scratch_floats(T, threads)
    double *ln_partial;  // (threads, 2, C) layernorm backward's per-thread dweight, dbias sums
    // batch-parallel only (else NULL): the weight gradients of shares 1 .. threads - 1, zero
    // between backward passes, and each share's loss sum and count of the last forward
    float *grads_share;  // (threads - 1, layout.total)
    double *share_loss;  // (threads)
    int *share_count;    // (threads)
    // batch-parallel only (else NULL): the weight matrices of the products (4 a block, then
    // the tied head's wte) packed once a step for nn_sgemm_packed, which every share then
    // reads instead of packing its own copy: fwd for out = inp @ W^T, bwd for dinp = dout @ W
    struct GptPacked {
        const float *w;
        int rows, cols; // W (rows, cols)
        float *fwd, *bwd;
    } *packs;
    float *pack_buf;
} Gpt;

// Checks cfg (every size >= 1, C % NH == 0, C even with sinusoidal positions, V, T, C, L, NH
// below limits that keep every buffer indexable, 0 <= dropout < 1) and 1 <= B, 1 <= T <=
// cfg.T; lays out the table and allocates parameters, gradients and every activation: nothing
// allocates afterwards. Parameters are zero until gpt_init_params (or a checkpoint read into
// m->params). -1 with a message. gpt_free is safe on a zeroed struct and after a failed init.
int gpt_init(Gpt *m, const GptConfig *cfg, int B, int T);
void gpt_free(Gpt *m);
// Batch-parallel on (when m->threads > 1) or off, whatever gpt_init chose; the gradient of a
// step is the same sum either way, its bits are not (the rows are summed in other groups).
// Between steps only: the shares' gradient blocks are reallocated, zero.
void gpt_set_batch_parallel(Gpt *m, int on);

// nanoGPT's _init_weights: every weight N(0, 0.02), the c_proj weights of both branches
// N(0, 0.02 / sqrt(2 L)) (GPT-2's scaling of residual projections), biases 0, layernorm
// weights 1. Draws from rng in table order.
void gpt_init_params(Gpt *m, LabRng *rng);

// inputs (B, T) ids in [0, V), targets (B, T) ids (< 0 ignored) or NULL (logits only) -> the
// mean loss over the counted targets (0 when none is, or without targets). Keeps what
// backward needs; m->logits (B, T, V) holds the logits until the next forward or backward
// (gpt_forward(m, ids, NULL) then m->logits + ((b + 1) * T - 1) * V are the logits of
// sequence b's last position).
double gpt_forward(Gpt *m, const int32_t *inputs, const int32_t *targets);
void gpt_zero_grad(Gpt *m);
// ACCUMULATES into m->grads the gradient of the last forward's mean loss (which had targets).
void gpt_backward(Gpt *m);

// --- generation: the KV cache ---------------------------------------------------------------
// One sequence's keys and values for every layer, appended one position at a time, so each
// new token costs one pass through the blocks for a single position instead of a forward over
// the whole prefix.
typedef struct {
    int len; // positions cached: the next gpt_step must be at pos == len
    int L, T, C;
    float *k, *v; // (L, T, C) each
    // scratch of one position
    float *x, *ln, *qkv, *atty, *proj, *fch, *att, *logits; // C, C, 3C, C, C, 4C, T, V
} GptCache;

// Sizes the cache for m's configuration (the context cfg.T). -1 with a message when it cannot.
int gpt_cache_init(GptCache *c, const Gpt *m);
void gpt_cache_reset(GptCache *c); // len = 0: a new sequence
void gpt_cache_free(GptCache *c);
// Runs token at position pos (== c->len < cfg.T), appends its keys and values and returns the
// logits (V) of the next token, valid until the next call. No dropout; m is only read.
const float *gpt_step(const Gpt *m, GptCache *c, int token, int pos);

// --- attention maps (attention_map.c) -------------------------------------------------------
// The attention weights of every layer and head for one sequence ids (n), 1 <= n <= m->T:
// WRITES att (L, NH, n, n), att[l][h][i][j] the weight query position i gives key position j
// (0 for j > i; every row sums to 1). Runs gpt_forward on m with ids in batch row 0 (the
// other rows and the positions from n on hold copies of ids[0]: causal attention keeps them
// out of the n x n corner) and no dropout, then copies that corner of each acts[l].att; the
// activations of m are overwritten, its parameters only read. -1 with a message when n is out
// of range or an id is not in [0, V).
int gpt_attention_map(float *att, Gpt *m, const int32_t *ids, int n);

// Where one head looks, on average over the queries 1..n-1 of its map att (n, n): the
// weight a query gives itself (*self), the token just before it (*prev) and position 0
// (*first; <s> in a prompt). Query 0, which can only look at itself, is left out; all three
// are NAN when n == 1. A head with *prev near 1 reads the previous token.
void gpt_attention_focus(const float *att, int n, double *self, double *prev, double *first);

// `lmlab gpt attention` (attention_cli.c): the maps of a trained run for a prompt, as PNGs.
int gpt_cmd_attention(int argc, char **argv);

#endif
