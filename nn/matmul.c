// replaced by the fast kernel: naive loops for nn_sgemm, nn_sgemm_ref and the linear layer, so
// the layers, optimizers and checkpoints can be built and tested against a correct matmul.
#include "nn/nn.h"

#include <stddef.h>

// A[i, k] of op(A) for a row-major A with row stride lda
static inline float at(const float *A, int trans, int lda, int i, int k)
{
    return trans ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
}

void nn_sgemm_ref(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc)
{
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            double acc = 0.0;
            for (int k = 0; k < K; k++) {
                acc += (double)at(A, transA, lda, i, k) * at(B, transB, ldb, k, j);
            }
            float *c = &C[(size_t)i * ldc + j];
            *c = beta == 0.0f ? (float)(alpha * acc) : (float)(alpha * acc + (double)beta * *c);
        }
    }
}

void nn_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc)
{
    nn_sgemm_ref(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void nn_linear_forward(float *out, const float *inp, const float *weight, const float *bias, int N,
                       int C, int OC)
{
    // out (N, OC) = inp (N, C) @ weight^T (C, OC)
    nn_sgemm(0, 1, N, OC, C, 1.0f, inp, C, weight, C, 0.0f, out, OC);
    if (bias) {
        for (int n = 0; n < N; n++) {
            for (int o = 0; o < OC; o++) {
                out[(size_t)n * OC + o] += bias[o];
            }
        }
    }
}

void nn_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, int N, int C, int OC)
{
    // forward was: out = inp @ weight^T + bias
    if (dinp) { // dinp (N, C) += dout (N, OC) @ weight (OC, C)
        nn_sgemm(0, 0, N, C, OC, 1.0f, dout, OC, weight, C, 1.0f, dinp, C);
    }
    // dweight (OC, C) += dout^T (OC, N) @ inp (N, C)
    nn_sgemm(1, 0, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dweight, C);
    if (dbias) { // dbias (OC) += sum over rows of dout
        for (int o = 0; o < OC; o++) {
            double acc = 0.0;
            for (int n = 0; n < N; n++) {
                acc += dout[(size_t)n * OC + o];
            }
            dbias[o] += (float)acc;
        }
    }
}
