// nn.h: the neural network core: matrix multiply, layers as forward/backward pairs over
// caller-owned float buffers, optimizers, gradient checks. Layers never allocate; models own
// one block each for parameters, gradients, optimizer moments and activations.
//
// Letters: N rows (B * T positions), C input channels, OC output channels; for a general
// matrix product M, N, K as in BLAS. Every matrix is row-major float32.
#ifndef NN_NN_H
#define NN_NN_H

// --- matmul -----------------------------------------------------------------------------------
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

#endif
