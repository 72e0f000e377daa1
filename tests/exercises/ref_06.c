// ref_06.c: chapter 06's exercises bound to the lab's own code (transformer/attention.c,
// transformer/gpt.c, nn/layers.c).
//
// `make test-suite` links chapters/06-attention-transformer/check.c with this file and
// requires every exercise test to pass: the tests and the lab agree. The attention exercises
// run the lab's gpt_attention_forward on one sequence and one head, with q, k and v laid out
// in a qkv block as c_attn writes it; the causal softmax is that attention with the scores as
// queries and the identity as keys and values; the encoding is the table the model builds.
#include "exercises.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lab/lab.h"
#include "nn/nn.h"
#include "transformer/gpt.h"

// gpt_attention_forward on one sequence of T positions and one head of hs channels: qkv
// (T, 3 hs) holds q, k, v side by side per row
static void one_head(float *out, float *att, const float *q, const float *k, const float *v,
                     int T, int hs)
{
    float *qkv = lab_malloc((size_t)T * 3 * hs * sizeof *qkv);
    float *scratch = lab_malloc(gpt_attention_scratch_floats(T, 1) * sizeof *scratch);
    for (int t = 0; t < T; t++) {
        memcpy(qkv + (size_t)t * 3 * hs, q + (size_t)t * hs, (size_t)hs * sizeof *qkv);
        memcpy(qkv + (size_t)t * 3 * hs + hs, k + (size_t)t * hs, (size_t)hs * sizeof *qkv);
        memcpy(qkv + (size_t)t * 3 * hs + 2 * hs, v + (size_t)t * hs, (size_t)hs * sizeof *qkv);
    }
    gpt_attention_forward(out, att, qkv, NULL, scratch, 1, 1, T, hs, 1);
    free(qkv);
    free(scratch);
}

// The scores s (T, T) are q k^T / sqrt(P) with k the identity and q = s sqrt(P), P >= T a
// power of 4: sqrt(P) is a power of 2, so q and the scaled products are s exactly. Row t of
// the P x P map only sees keys j <= t < T, so its T x T corner is the answer.
void ex_causal_softmax(float *att, int T)
{
    int P = 1;
    while (P < T) {
        P *= 4;
    }
    size_t PP = (size_t)P * P;
    float *q = lab_calloc(PP, sizeof *q), *eye = lab_calloc(PP, sizeof *eye);
    float *out = lab_malloc(PP * sizeof *out), *full = lab_malloc(PP * sizeof *full);
    double root = sqrt((double)P);
    for (int t = 0; t < T; t++) {
        for (int j = 0; j < T; j++) {
            q[(size_t)t * P + j] = (float)(att[(size_t)t * T + j] * root);
        }
    }
    for (int t = 0; t < P; t++) {
        eye[(size_t)t * P + t] = 1.0f;
    }
    one_head(out, full, q, eye, eye, P, P);
    for (int t = 0; t < T; t++) {
        memcpy(att + (size_t)t * T, full + (size_t)t * P, (size_t)T * sizeof *att);
    }
    free(q);
    free(eye);
    free(out);
    free(full);
}

void ex_attention_head(float *out, float *att, const float *q, const float *k, const float *v,
                       int T, int hs)
{
    one_head(out, att, q, k, v, T, hs);
}

void ex_layernorm_forward(float *out, float *mean, float *rstd, const float *x, const float *w,
                          const float *b, int N, int C)
{
    nn_layernorm_forward(out, mean, rstd, x, w, b, N, C, 1e-5f);
}

void ex_sinusoidal_encoding(float *pe, int T, int C)
{
    GptConfig c = {1, T, 1, 1, C, 0.0f, 0, GPT_POS_SINUSOIDAL, GPT_GELU_EXACT};
    Gpt m;
    if (gpt_init(&m, &c, 1, 1) != 0) {
        return;
    }
    memcpy(pe, m.sinusoid, (size_t)T * C * sizeof *pe);
    gpt_free(&m);
}

// The open answers. A map of '<s>emma' (5 tokens) has the 4 + 3 + 2 + 1 = 10 cells above its
// diagonal at 0. The learned positions are the table transformer.wpe.weight of (context,
// width) = (16, 64) floats that the sinusoidal model computes instead: gpt_init's tensor
// table has it only with --pos learned, so the two models of section 4 differ by 1024.
int ex_open_masked_cells(void)
{
    return 10;
}

long ex_open_pos_param_difference(void)
{
    GptConfig learned = {29, 16, 2, 4, 64, 0.0f, 1, GPT_POS_LEARNED, GPT_GELU_EXACT};
    GptConfig sinus = learned;
    sinus.pos = GPT_POS_SINUSOIDAL;
    Gpt a, b;
    if (gpt_init(&a, &learned, 1, 1) != 0 || gpt_init(&b, &sinus, 1, 1) != 0) {
        return -1;
    }
    long d = (long)a.layout.total - (long)b.layout.total;
    gpt_free(&a);
    gpt_free(&b);
    return d;
}
