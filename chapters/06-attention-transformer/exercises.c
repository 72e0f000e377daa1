// exercises.c: chapter 06, your solutions. Replace each TODO(student) body; the contracts are
// in exercises.h and the equations in the chapter's README.md, in the section each names.
// Check your work with
//
//     make check CH=06
//
// which prints one line per exercise: pass, or what came, what was expected and a hint.
#include "exercises.h"

#include <math.h>

void ex_causal_softmax(float *att, int T)
{
    // TODO(student): row by row, the softmax over the keys a query may see, and zeros for
    // the keys it may not (section 3, "The causal mask"; section 2 says how to keep exp from
    // overflowing).
}

void ex_attention_head(float *out, float *att, const float *q, const float *k, const float *v,
                       int T, int hs)
{
    // TODO(student): the scaled scores, the causal softmax of exercise 1, then the weighted
    // sum of the values (section 2, "Scaled dot-product attention").
}

void ex_layernorm_forward(float *out, float *mean, float *rstd, const float *x, const float *w,
                          const float *b, int N, int C)
{
    // TODO(student): per row, the statistics, then the standardised row scaled and shifted
    // (section 5, "Layernorm and residuals").
}

void ex_sinusoidal_encoding(float *pe, int T, int C)
{
    // TODO(student): the angle of each (position, channel pair), then its sine and cosine
    // (section 4, "Where is a token?").
}

int ex_open_masked_cells(void)
{
    // TODO(student): run the lab (exercises.h, exercise 5) and write the count here.
    return -1;
}

long ex_open_pos_param_difference(void)
{
    // TODO(student): and the difference of the two parameter counts.
    return -1;
}
