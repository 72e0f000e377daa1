// exercises.h: chapter 06, attention and the transformer: the functions you write.
//
// Each comment below is the contract its test checks: what to compute, the shapes of its
// inputs and outputs, what is written, the edge cases, and the section of the chapter
// (README.md) that derives it. The equations are in the chapter, not here: read the section,
// then write the function. `make check CH=06` grades exercises.c.
//
// Shapes as in the chapter and transformer/gpt.h: a comment (T, hs) means T rows of hs
// floats, row-major.
//   T  time (positions of the sequence)   hs  the size of one head   C  channels
#ifndef EX06_H
#define EX06_H

// --- 1. the causal softmax (section 3, "The causal mask") ------------------------------------
// att (T, T) holds scores: att[t][j] is how well query t matches key j. IN PLACE, turns each
// row t into the attention weights of query t: the softmax of its scores over the keys
// j <= t, and exactly 0 for the keys j > t (the future). Every row then sums to 1. Scores
// may be large (1000 and more): the result must still be finite and exact to float
// precision.
// Example (T = 2): scores {5, 9, 0, ln 3} become weights {1, 0, 0.25, 0.75}.
void ex_causal_softmax(float *att, int T);

// --- 2. one head of causal self-attention (section 2, "Scaled dot-product attention") --------
// q, k and v (T, hs) are the queries, keys and values of one head for the T positions of a
// sequence. WRITES att (T, T), the weights of section 3 computed from the scores
// q[t] . k[j] / sqrt(hs), and out (T, hs), row t the weighted sum of the value rows v[j]
// with the weights att[t][j].
// Example (T = 2, hs = 1): q {1, 2}, k {0, ln 3}, v {10, 20}: score of query 1 on key 1 is
// 2 ln 3 (hs = 1), so att {1, 0, 0.1, 0.9} and out {10, 19}.
void ex_attention_head(float *out, float *att, const float *q, const float *k, const float *v,
                       int T, int hs);

// --- 3. layer normalisation, forward (section 5, "Layernorm and residuals") ------------------
// x (N, C), weight w (C), bias b (C). For each row: its mean, its variance (the mean of the
// squared deviations: divided by C, as PyTorch's nn.LayerNorm), rstd = 1 / sqrt(variance +
// 1e-5); WRITES mean (N), rstd (N) and out (N, C) = the row standardised, times w, plus b.
// Keep the sums and the statistics in double, as the lab does: in float, a row whose values
// lie close to their mean loses digits in x - mean.
// Example (N = 1, C = 3): x {1, 2, 3}, w {1, 1, 2}, b {0, 0, 1}: mean 2, variance 2/3,
// rstd 1.2247357, out {-1.2247357, 0, 3.4494714}.
void ex_layernorm_forward(float *out, float *mean, float *rstd, const float *x, const float *w,
                          const float *b, int N, int C);

// --- 4. the sinusoidal position encoding (section 4, "Where is a token?") --------------------
// WRITES pe (T, C), C even: row t is the encoding of position t of Vaswani et al. (2017), as
// the lab's model adds it (transformer/gpt.h, --pos sinusoidal): channels in pairs, an even
// channel i the sine and i + 1 the cosine of the same angle, whose frequency falls from 1
// (channels 0, 1) towards 1/10000 along the channels.
// Example (C = 4): row 0 is {0, 1, 0, 1}; row 1 is {sin 1, cos 1, sin 0.01, cos 0.01}.
void ex_sinusoidal_encoding(float *pe, int T, int C);

// --- 5. open: reading the lab (section 9, "Attention maps", and section 4) -------------------
// Answers you find by running lmlab, not by writing code: put them in exercises.c as
// constants.
//   ex_open_masked_cells         run the `lmlab gpt attention` command of section 9 (prompt
//                                'emma') and look at one head's map: how many of its cells
//                                are 0 because of the causal mask (above the diagonal)?
//   ex_open_pos_param_difference train the two models of section 4 (learned and sinusoidal
//                                positions) and subtract the parameter counts that `train`
//                                prints: learned minus sinusoidal.
// Before you run them, guess both from sections 3 and 4.
int ex_open_masked_cells(void);
long ex_open_pos_param_difference(void);

#endif
