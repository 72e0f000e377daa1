// attention_map.c: the attention weights of a GPT for one sequence, every layer and head.
//
// A map is what the model's own forward keeps for backward (acts[l].att, the softmax of
// attention.c): one forward over the sequence, then a copy of its n x n corner per head. So
// the maps are exactly the weights the model used, not a recomputation that could drift from
// it. Left out: drawing them (plots/attention.c) and reading a run (attention_cli.c).
#include "transformer/gpt.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int gpt_attention_map(float *att, Gpt *m, const int32_t *ids, int n)
{
    const GptConfig *c = &m->cfg;
    if (n < 1 || n > m->T) {
        return lab_error("cannot map the attention of %d tokens: the model reads 1 to %d", n,
                         m->T);
    }
    for (int i = 0; i < n; i++) {
        if (ids[i] < 0 || ids[i] >= c->V) {
            return lab_error("token %d of the sequence is id %ld, outside the vocabulary "
                             "(0 to %d)", i, (long)ids[i], c->V - 1);
        }
    }
    // batch row 0 is ids then ids[0] repeated; the other rows copy it (the positions from n
    // on and the other rows never reach the corner: row i of att only sees keys j <= i)
    const size_t T = (size_t)m->T, BT = (size_t)m->B * T;
    int32_t *inputs = lab_malloc(BT * sizeof *inputs);
    for (size_t r = 0; r < BT; r++) {
        size_t t = r % T;
        inputs[r] = t < (size_t)n ? ids[t] : ids[0];
    }
    LabRng *rng = m->rng;
    m->rng = NULL; // no dropout: the map of the model as it predicts
    gpt_forward(m, inputs, NULL);
    m->rng = rng;
    free(inputs);

    // acts[l].att is (B, NH, T, T); batch row 0's head h starts at h * T * T
    const size_t nn = (size_t)n * n;
    for (int l = 0; l < c->L; l++) {
        for (int h = 0; h < c->NH; h++) {
            const float *src = m->acts[l].att + (size_t)h * T * T;
            float *dst = att + ((size_t)l * c->NH + h) * nn;
            for (int i = 0; i < n; i++) {
                memcpy(dst + (size_t)i * n, src + (size_t)i * T, (size_t)n * sizeof(float));
            }
        }
    }
    return 0;
}

void gpt_attention_focus(const float *att, int n, double *self, double *prev, double *first)
{
    double s = 0.0, p = 0.0, f = 0.0;
    for (int i = 1; i < n; i++) {
        const float *row = att + (size_t)i * n;
        s += row[i];
        p += row[i - 1];
        f += row[0];
    }
    // query 0 sees only itself: it says nothing of a head's habits, so it is left out
    *self = n > 1 ? s / (n - 1) : NAN;
    *prev = n > 1 ? p / (n - 1) : NAN;
    *first = n > 1 ? f / (n - 1) : NAN;
}
