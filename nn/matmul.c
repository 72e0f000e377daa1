// matmul.c: the matrix multiply every neural family runs on, and the linear layer on top of it.
//
//   nn_sgemm_ref   the definition: a triple loop, one double accumulator per element of C
//   nn_sgemm       the fast kernel, same contract: blocked and packed as GotoBLAS and BLIS do it
//   nn_linear_*    out = inp @ weight^T + bias, and its backward, as three calls of nn_sgemm
//
// The fast kernel, from the outside in (docs/nn.md, "matmul", gives the sizes and why):
//
//   split C's rows (or columns) into one contiguous slice per thread        OpenMP, static
//   (rows split: the threads pack each block of op(B) together, once, and share it)
//     for jc over N by NC:      a block of columns of op(B)
//       for pc over K by KC:    pack op(B)[pc:pc+KC, jc:jc+NC] into NR-wide panels   (L3)
//         for ic over M by MC:  pack op(A)[ic:ic+MC, pc:pc+KC] into MR-tall panels   (L2)
//                               (an untransposed A with short rows: full tiles read it in place)
//           for jr by NR:       one B panel, KC x NR                                  (L1)
//             for ir by MR:     micro-kernel: an MR x NR tile of C kept in registers,
//                               KC rank-1 updates by FMA, then C = alpha * tile + beta * C
//
// Every element of C is a sum over k = 0..K-1 in that order within each KC block, the blocks
// added to C in order, whatever the thread count: threads split C, never K. Packing copies
// op(A) and op(B) so that the micro-kernel reads both with unit stride whatever transA and
// transB are, and pads ragged panels with zeros so the micro-kernel has no edge cases; ragged
// tiles of C go through a small buffer. Products below THREAD_MNK stay on one thread, and so
// does a product called inside a parallel region (one thread's share of a larger job): no
// nested team starts.
//
// Vector code for the CPU it is built on (-march=native): AVX-512 (12 x 32 tile), AVX2 with FMA
// (6 x 16 tile), else a portable scalar kernel (4 x 8). Built with -DNN_BLAS_OPENBLAS (make
// BLAS=openblas), nn_sgemm calls OpenBLAS's cblas_sgemm instead; the reference stays.
#include <assert.h>
#include <math.h>
#include <omp.h>
#include <stddef.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>

#include "lab/lab.h"
#include "nn/nn.h"

#ifdef NN_BLAS_OPENBLAS
#include <cblas.h>
#endif

#if defined(__AVX512F__) || defined(__AVX2__)
#include <immintrin.h>
#endif

// --- the reference -----------------------------------------------------------------------------

void nn_sgemm_ref(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
                  const float *B, int ldb, float beta, float *C, int ldc)
{
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            double sum = 0.0;
            for (int p = 0; p < K; p++) {
                double a = transA ? A[(size_t)p * lda + i] : A[(size_t)i * lda + p];
                double b = transB ? B[(size_t)j * ldb + p] : B[(size_t)p * ldb + j];
                sum += a * b;
            }
            float *c = &C[(size_t)i * ldc + j];
            // beta == 0 must not read C: it may hold NaN or nothing at all
            *c = (float)(beta == 0.0f ? alpha * sum : alpha * sum + (double)beta * *c);
        }
    }
}

#ifdef NN_BLAS_OPENBLAS

void nn_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc)
{
    if (M == 0 || N == 0) {
        return;
    }
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans,
                transB ? CblasTrans : CblasNoTrans, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

size_t nn_sgemm_packed_b_floats(int N, int K)
{
    return (size_t)N * K;
}

void nn_sgemm_pack_b(float *packed, int transB, int N, int K, const float *B, int ldb)
{
    // OpenBLAS packs inside every call: the "packed" form is op(B) itself, (K, N) row-major
    for (int p = 0; p < K; p++) {
        for (int j = 0; j < N; j++) {
            packed[(size_t)p * N + j] = transB ? B[(size_t)j * ldb + p] : B[(size_t)p * ldb + j];
        }
    }
}

void nn_sgemm_packed_epi(int transA, int M, int N, int K, float alpha, const float *A, int lda,
                         const float *packed, float beta, float *C, int ldc, NnGemmEpilogue epi,
                         void *ctx)
{
    nn_sgemm(transA, 0, M, N, K, alpha, A, lda, packed, N, beta, C, ldc);
    if (epi && M > 0 && N > 0) {
        epi(C, ldc, 0, 0, M, N, ctx);
    }
}

void nn_sgemm_packed(int transA, int M, int N, int K, float alpha, const float *A, int lda,
                     const float *packed, float beta, float *C, int ldc)
{
    nn_sgemm(transA, 0, M, N, K, alpha, A, lda, packed, N, beta, C, ldc);
}

#else

// --- the micro-kernel, one per instruction set -------------------------------------------------
// MR x NR is the register tile: MR * NR / VW accumulators, plus NR / VW registers for a row of
// B and one for a broadcast element of A, must fit the vector register file (32 with AVX-512,
// 16 with AVX2). VFMA(a, b, c) is a * b + c rounded once where the CPU has FMA.
// The cache blocks (docs/nn.md derives them): KC x NR floats of B, the panel every tile of a
// column block reuses, fill 3/4 of a 32 KB L1 (24 KB); MC x KC floats of A stay under half of
// L2 (512 KB on Zen 3, 1 MB and more where AVX-512 runs); KC x NC of B sit in L3.

#if defined(__AVX512F__) || defined(NN_MATMUL_TILE_12X32)
#define MR 12
#define NR 32
#define VW 16
#ifdef __AVX512F__
typedef __m512 Vec;
#define VZERO() _mm512_setzero_ps()
#define VLOAD(p) _mm512_loadu_ps(p)
#define VSTORE(p, v) _mm512_storeu_ps((p), (v))
#define VSET1(x) _mm512_set1_ps(x)
#define VMUL(a, b) _mm512_mul_ps((a), (b))
#define VFMA(a, b, c) _mm512_fmadd_ps((a), (b), (c))
#else
// -DNN_MATMUL_TILE_12X32 without AVX-512: the same tile and blocks in GCC's generic 16-float
// vectors, so that the tests run the AVX-512 path's geometry (tiles, blocks, edges) on any CPU.
// For testing only: the compiler splits each vector in two and does not fuse the FMA.
typedef float Vec __attribute__((vector_size(64)));
typedef float VecU __attribute__((vector_size(64), aligned(4), may_alias)); // unaligned access
#define VZERO() ((Vec){0})
#define VLOAD(p) (*(const VecU *)(p))
#define VSTORE(p, v) (*(VecU *)(p) = (v))
#define VSET1(x) ((Vec){0} + (x))
#define VMUL(a, b) ((a) * (b))
#define VFMA(a, b, c) ((a) * (b) + (c))
#endif
#define MC 480
#define KC 192
#define NC 3072
#elif defined(__AVX2__) && defined(__FMA__)
#define MR 6
#define NR 16
#define VW 8
typedef __m256 Vec;
#define VZERO() _mm256_setzero_ps()
#define VLOAD(p) _mm256_loadu_ps(p)
#define VSTORE(p, v) _mm256_storeu_ps((p), (v))
#define VSET1(x) _mm256_set1_ps(x)
#define VMUL(a, b) _mm256_mul_ps((a), (b))
#define VFMA(a, b, c) _mm256_fmadd_ps((a), (b), (c))
#define MC 144
#define KC 384
#define NC 2048
#else
#define MR 4
#define NR 8
#define VW 1
typedef float Vec;
#define VZERO() 0.0f
#define VLOAD(p) (*(p))
#define VSTORE(p, v) (*(p) = (v))
#define VSET1(x) (x)
#define VMUL(a, b) ((a) * (b))
#define VFMA(a, b, c) ((a) * (b) + (c))
#define MC 128
#define KC 256
#define NC 1024
#endif

#define NV (NR / VW) // vectors in a row of the tile

// Below this many multiply-adds (M * N * K), one thread. Measured on Zen 3 (square NN, best of
// 7 x 200 calls): two threads take as long as one at 48^3 (4.7 us), 8% less at 64^3, 30% less
// at 96^3. Small products still pack: the packed path is as fast as a plain triple loop at
// 8 x 8 x 8 and 5 to 30 times faster from 16 x 16 x 16 on.
#define THREAD_MNK (64 * 64 * 64)

// From this many multiply-adds (about 2 ms on one core), a team that splits C's rows packs
// op(B) once, together; below, each thread packs its own copy. Sharing costs two more waits
// for the whole team per block of op(B), and on cores that other work shares a wait can cost
// a scheduler's time slice (milliseconds). nanoGPT's small model (products up to 768 x 512 x
// 128) took 1.4x and 2.0x its CPU time in wall time in two runs with shared packing, 1.0x in
// one without (load averages 3 to 7: noisy, but waits are what load multiplies), while the
// copy saved is K x N floats a thread, microseconds at these sizes.
#define SHARED_B_MNK 1e8

// The scalar form of VFMA, for ragged tiles: the same roundings as the vector path.
static inline float fma1(float a, float b, float c)
{
#if VW > 1 || defined(__FMA__)
    return fmaf(a, b, c);
#else
    return a * b + c;
#endif
}

// c (MR, nv * VW, row stride ldc) = alpha * a_panel @ b_panel + beta * c; beta == 0 does not
// read c. a: element (r, p) of the MR x kc panel of op(A) at a[r * rsa + p * csa]: packed
// (rsa 1, csa MR: A's MR rows side by side per k) or A itself when it is not transposed (rsa
// lda, csa 1: MR row streams, which a full tile reads without packing). b: kc x NR packed
// (b[p * NR + j]), of which the first nv vectors are used. Inlined into the kernels below,
// where nv (and for packed A the strides) are constants, so every loop unrolls and the tile
// lives in registers. The products and their order are the same whichever way a is read.
static inline __attribute__((always_inline)) void
kernel_body(int kc, const float *restrict a, ptrdiff_t rsa, ptrdiff_t csa, const float *restrict b,
            float *restrict c, ptrdiff_t ldc, float alpha, float beta, const int nv)
{
    Vec acc[MR][NV];
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++) {
            acc[r][v] = VZERO();
        }
        // C's tile is needed only after the kc updates: ask for its lines now
        __builtin_prefetch(c + r * ldc, 1);
        __builtin_prefetch(c + r * ldc + nv * VW - 1, 1);
    }
    // unrolled by 4: the loop's own add, compare and branch are then 1 in 4 iterations' work
#pragma GCC unroll 4
    for (int p = 0; p < kc; p++) {
        Vec bv[NV];
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++) {
            bv[v] = VLOAD(b + v * VW);
        }
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
            Vec ar = VSET1(a[r * rsa]);
#pragma GCC unroll 8
            for (int v = 0; v < nv; v++) {
                acc[r][v] = VFMA(ar, bv[v], acc[r][v]);
            }
        }
        a += csa;
        b += NR;
    }
    Vec va = VSET1(alpha);
    if (beta == 0.0f) {
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
#pragma GCC unroll 8
            for (int v = 0; v < nv; v++) {
                VSTORE(c + r * ldc + v * VW, VMUL(va, acc[r][v]));
            }
        }
    } else {
        Vec vb = VSET1(beta);
#pragma GCC unroll 16
        for (int r = 0; r < MR; r++) {
#pragma GCC unroll 8
            for (int v = 0; v < nv; v++) {
                float *cp = c + r * ldc + v * VW;
                VSTORE(cp, VFMA(vb, VLOAD(cp), VMUL(va, acc[r][v])));
            }
        }
    }
}

// the full MR x NR tile, A packed
static void micro_kernel(int kc, const float *restrict a, const float *restrict b,
                         float *restrict c, ptrdiff_t ldc, float alpha, float beta)
{
    kernel_body(kc, a, 1, MR, b, c, ldc, alpha, beta, NV);
}

// the full tile reading MR rows of an untransposed A in place (row stride lda): no packing
static void micro_kernel_rows(int kc, const float *restrict a, ptrdiff_t lda,
                              const float *restrict b, float *restrict c, ptrdiff_t ldc,
                              float alpha, float beta)
{
    kernel_body(kc, a, lda, 1, b, c, ldc, alpha, beta, NV);
}

// the left half of the tile, MR x NR / 2: a ragged last panel of at most NR / 2 columns (65
// outputs are 4 panels of 16 and 1 column) then costs half a tile, not a whole one
static void micro_kernel_half(int kc, const float *restrict a, ptrdiff_t rsa, ptrdiff_t csa,
                              const float *restrict b, float *restrict c, ptrdiff_t ldc,
                              float alpha)
{
    kernel_body(kc, a, rsa, csa, b, c, ldc, alpha, 0.0f, NV / 2);
}

static void micro_kernel_full(int kc, const float *restrict a, ptrdiff_t rsa, ptrdiff_t csa,
                              const float *restrict b, float *restrict c, ptrdiff_t ldc,
                              float alpha)
{
    kernel_body(kc, a, rsa, csa, b, c, ldc, alpha, 0.0f, NV);
}

// A ragged tile: a kernel writes alpha * a @ b into a buffer, then the m x n corner of it goes
// to c with the same rounding as a full tile (beta * c + that, one FMA). a as kernel_body's;
// in place (rsa lda) only when its MR rows all exist (m == MR).
static void micro_kernel_edge(int kc, const float *a, ptrdiff_t rsa, ptrdiff_t csa, const float *b,
                              float *c, ptrdiff_t ldc, int m, int n, float alpha, float beta)
{
    _Alignas(64) float tile[MR * NR];
    if (n <= NV / 2 * VW) {
        micro_kernel_half(kc, a, rsa, csa, b, tile, NR, alpha);
    } else {
        micro_kernel_full(kc, a, rsa, csa, b, tile, NR, alpha);
    }
    if (n == NR) { // a ragged tile of rows only (m < MR): whole vectors, the same roundings
        Vec vb = VSET1(beta);
        for (int r = 0; r < m; r++) {
#pragma GCC unroll 8
            for (int v = 0; v < NV; v++) {
                float *cp = c + r * ldc + v * VW;
                Vec t = VLOAD(tile + r * NR + v * VW);
                VSTORE(cp, beta == 0.0f ? t : VFMA(vb, VLOAD(cp), t));
            }
        }
        return;
    }
    for (int r = 0; r < m; r++) {
        for (int j = 0; j < n; j++) {
            float *cp = &c[r * ldc + j];
            *cp = beta == 0.0f ? tile[r * NR + j] : fma1(beta, *cp, tile[r * NR + j]);
        }
    }
}

// --- packing -----------------------------------------------------------------------------------

// op(A)[i0:i0+mc, p0:p0+kc] -> pa as ceil(mc / MR) panels of kc x MR, rows past mc zero.
static void pack_a(int transA, const float *A, int lda, int i0, int p0, int mc, int kc,
                   float *restrict pa)
{
    if (transA) {
        // op(A)(i, p) = A[p][i]: read A row by row (mc contiguous floats), so that the
        // kc rows cost one pass over their cache lines and pages, and deal each row out
        // to the panels
        for (int p = 0; p < kc; p++) {
            const float *src = A + (size_t)(p0 + p) * lda + i0;
            for (int ir = 0; ir < mc; ir += MR) {
                int m = mc - ir < MR ? mc - ir : MR;
                float *dst = pa + (size_t)ir * kc + (size_t)p * MR;
                if (m == MR) {
                    // a constant size: the compiler inlines it as vector moves
                    memcpy(dst, src + ir, MR * sizeof(float));
                    continue;
                }
                for (int r = 0; r < m; r++) {
                    dst[r] = src[ir + r];
                }
                for (int r = m; r < MR; r++) {
                    dst[r] = 0.0f;
                }
            }
        }
        return;
    }
    for (int ir = 0; ir < mc; ir += MR) {
        int m = mc - ir < MR ? mc - ir : MR;
        float *dst = pa + (size_t)ir * kc;
        if (m == MR) {
            // MR row streams read side by side, the panel written in order
            const float *src = A + (size_t)(i0 + ir) * lda + p0;
            for (int p = 0; p < kc; p++) {
#pragma GCC unroll 16
                for (int r = 0; r < MR; r++) {
                    dst[p * MR + r] = src[(size_t)r * lda + p];
                }
            }
            continue;
        }
        for (int r = 0; r < m; r++) {
            const float *src = A + (size_t)(i0 + ir + r) * lda + p0;
            for (int p = 0; p < kc; p++) {
                dst[p * MR + r] = src[p];
            }
        }
        for (int r = m; r < MR; r++) {
            for (int p = 0; p < kc; p++) {
                dst[p * MR + r] = 0.0f;
            }
        }
    }
}

#if defined(__AVX2__) && VW == 8
// dst[p * NR + j] = src[j * ld + p] for j, p in 0..7: an 8 x 8 block of rows of B transposed
// into 8 rows of a panel (unpack pairs, then quads, then the 128-bit halves)
static inline void transpose8(float *restrict dst, const float *restrict src, size_t ld)
{
    __m256 r[8], t[8];
    for (int j = 0; j < 8; j++) {
        r[j] = _mm256_loadu_ps(src + j * ld);
    }
    for (int j = 0; j < 8; j += 2) {
        t[j] = _mm256_unpacklo_ps(r[j], r[j + 1]);
        t[j + 1] = _mm256_unpackhi_ps(r[j], r[j + 1]);
    }
    for (int j = 0; j < 8; j += 4) {
        r[j] = _mm256_shuffle_ps(t[j], t[j + 2], 0x44);
        r[j + 1] = _mm256_shuffle_ps(t[j], t[j + 2], 0xEE);
        r[j + 2] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0x44);
        r[j + 3] = _mm256_shuffle_ps(t[j + 1], t[j + 3], 0xEE);
    }
    for (int j = 0; j < 4; j++) {
        _mm256_storeu_ps(dst + j * NR, _mm256_permute2f128_ps(r[j], r[j + 4], 0x20));
        _mm256_storeu_ps(dst + (j + 4) * NR, _mm256_permute2f128_ps(r[j], r[j + 4], 0x31));
    }
}
#endif

// op(B)[p0:p0+kc, j0:j0+nc] -> pb as ceil(nc / NR) panels of kc x NR, columns past nc zero.
static void pack_b(int transB, const float *B, int ldb, int p0, int j0, int kc, int nc,
                   float *restrict pb)
{
    if (!transB) {
        // read B row by row (nc contiguous floats), one pass over its lines and pages, and
        // deal each row out to the panels: walking one panel's column strip down kc rows
        // would touch a new line on every row
        for (int p = 0; p < kc; p++) {
            const float *src = B + (size_t)(p0 + p) * ldb + j0;
            for (int jr = 0; jr < nc; jr += NR) {
                int n = nc - jr < NR ? nc - jr : NR;
                float *dst = pb + (size_t)jr * kc + (size_t)p * NR;
                if (n == NR) {
                    memcpy(dst, src + jr, NR * sizeof(float)); // inlined: a constant size
                    continue;
                }
                for (int j = 0; j < n; j++) {
                    dst[j] = src[jr + j];
                }
                for (int j = n; j < NR; j++) {
                    dst[j] = 0.0f;
                }
            }
        }
        return;
    }
    for (int jr = 0; jr < nc; jr += NR) {
        int n = nc - jr < NR ? nc - jr : NR;
        float *dst = pb + (size_t)jr * kc;
        int col = 0, p8 = 0; // columns [0, col) done
#if defined(__AVX2__) && VW == 8
        // whole 8 x 8 blocks transposed in registers: the scalar loop below writes one float
        // per store, 16 floats apart
        p8 = kc / 8 * 8;
        for (; col + 8 <= n; col += 8) {
            const float *src = B + (size_t)(j0 + jr + col) * ldb + p0;
            for (int p = 0; p < p8; p += 8) {
                transpose8(dst + (size_t)p * NR + col, src + p, (size_t)ldb);
            }
            for (int jj = col; jj < col + 8; jj++) { // the last kc % 8 rows of the panel
                for (int p = p8; p < kc; p++) {
                    dst[p * NR + jj] = src[(size_t)(jj - col) * ldb + p];
                }
            }
        }
#endif
        (void)p8;
        // op(B)(p, j) = B[j][p]: each column of the panel is a contiguous row of B
        for (; col < n; col++) {
            const float *src = B + (size_t)(j0 + jr + col) * ldb + p0;
            for (int p = 0; p < kc; p++) {
                dst[p * NR + col] = src[p];
            }
        }
        for (int j = n; j < NR; j++) {
            for (int p = 0; p < kc; p++) {
                dst[p * NR + j] = 0.0f;
            }
        }
    }
}

// --- per-thread packing buffers ----------------------------------------------------------------
// Each thread keeps its buffers for its life: grown on first use to what the largest product
// so far needed (at most MC x KC for A and KC x NC for B), never shrunk, so the hot loop of a
// training step allocates nothing after the first step.

static _Thread_local float *pack_raw;
static _Thread_local size_t pack_cap; // floats

static float *pack_buffer(size_t floats)
{
    if (floats > pack_cap) {
        free(pack_raw);
        pack_raw = lab_malloc(floats * sizeof(float) + 64);
        pack_cap = floats;
    }
    // 64-byte alignment: a packed row of B is one or two cache lines
    return (float *)(((uintptr_t)pack_raw + 63) & ~(uintptr_t)63);
}

// Whether full tiles read an untransposed A in place: rows up to 640 floats apart, except 512.
// Measured on Zen 3 (768 x 128 x K, NT, one thread, against packing): 4 to 6% faster for K
// from 128 to 640, 38% slower at K = 512 and 2x at 1024, where the MR rows' addresses
// alias in the L1 cache (strides of 2 KB multiples), 9% slower at 768; packing costs its copy
// but reads one stream.
static int inplace_rows(int lda)
{
    return lda <= 640 && lda != 512;
}

// --- the tiles of one block ---------------------------------------------------------------------

// C[ic:ic+mc, off+j0 : off+j1] = alpha * op(A)[ic:ic+mc, pc:pc+kc] @ (panels j0 .. j1 of pb) +
// beta * C there; pb holds packed panels of kc x NR, panel jr at pb + jr * kc. An untransposed A
// is read in place by its full MR-row tiles where inplace_rows allows, so only a ragged last
// tile of rows is packed (into pa); else, and for a transposed A (whose MR rows of a column are
// not contiguous), A is packed whole.
static void block_tiles(int transA, const float *A, int lda, int ic, int pc, int mc, int kc,
                        const float *pb, int j0, int j1, int off, float *pa, float alpha,
                        float beta, float *C, int ldc)
{
    int inplace = transA || !inplace_rows(lda) ? 0 : mc / MR * MR; // rows [0, inplace) in place
    if (transA) {
        pack_a(transA, A, lda, ic, pc, mc, kc, pa);
    } else if (inplace < mc) {
        pack_a(0, A, lda, ic + inplace, pc, mc - inplace, kc, pa);
    }
    for (int jr = j0; jr < j1; jr += NR) {
        int n = j1 - jr < NR ? j1 - jr : NR;
        const float *bp = pb + (size_t)jr * kc;
        for (int ir = 0; ir < mc; ir += MR) {
            int m = mc - ir < MR ? mc - ir : MR;
            float *cp = C + (size_t)(ic + ir) * ldc + off + jr;
            if (ir < inplace) {
                const float *ap = A + (size_t)(ic + ir) * lda + pc;
                if (n == NR) {
                    micro_kernel_rows(kc, ap, lda, bp, cp, ldc, alpha, beta);
                } else {
                    micro_kernel_edge(kc, ap, lda, 1, bp, cp, ldc, m, n, alpha, beta);
                }
                continue;
            }
            const float *ap = pa + (size_t)(ir - inplace) * kc;
            if (m == MR && n == NR) {
                micro_kernel(kc, ap, bp, cp, ldc, alpha, beta);
            } else {
                micro_kernel_edge(kc, ap, 1, MR, bp, cp, ldc, m, n, alpha, beta);
            }
        }
    }
}

// --- the blocked product on one slice of C -----------------------------------------------------

// C[m0:m1, n0:n1] = alpha * op(A)[m0:m1, :] @ op(B)[:, n0:n1] + beta * C[m0:m1, n0:n1], K > 0.
static void gemm_slice(int transA, int transB, int m0, int m1, int n0, int n1, int K, float alpha,
                       const float *A, int lda, const float *B, int ldb, float beta, float *C,
                       int ldc)
{
    int mspan = m1 - m0, nspan = n1 - n0;
    int mcmax = mspan < MC ? mspan : MC;
    int ncmax = nspan < NC ? nspan : NC;
    int kcmax = K < KC ? K : KC;
    size_t asize = (size_t)((mcmax + MR - 1) / MR * MR) * kcmax;
    size_t bsize = (size_t)((ncmax + NR - 1) / NR * NR) * kcmax;
    float *pa = pack_buffer(asize + bsize);
    float *pb = pa + asize;

    for (int jc = n0; jc < n1; jc += NC) {
        int nc = n1 - jc < NC ? n1 - jc : NC;
        for (int pc = 0; pc < K; pc += KC) {
            int kc = K - pc < KC ? K - pc : KC;
            pack_b(transB, B, ldb, pc, jc, kc, nc, pb);
            // the first K block applies beta; the later ones add to what it left
            float beta_k = pc == 0 ? beta : 1.0f;
            for (int ic = m0; ic < m1; ic += MC) {
                int mc = m1 - ic < MC ? m1 - ic : MC;
                block_tiles(transA, A, lda, ic, pc, mc, kc, pb, 0, nc, jc, pa, alpha, beta_k, C,
                            ldc);
            }
        }
    }
}

// C = beta * C, for K == 0 or alpha == 0: nothing to multiply, A and B are not read
static void scale_c(int M, int N, float beta, float *C, int ldc)
{
    if (beta == 1.0f) {
        return;
    }
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            float *c = &C[(size_t)i * ldc + j];
            *c = beta == 0.0f ? 0.0f : beta * *c;
        }
    }
}

// The slice [s0, s1) of C's rows (split_m) or columns that thread t of nt computes: whole
// tiles (MR rows or NR columns), as evenly as they go.
static void thread_slice(int len, int unit, int t, int nt, int *s0, int *s1)
{
    int units = (len + unit - 1) / unit;
    int per = units / nt, extra = units % nt;
    int u0 = t * per + (t < extra ? t : extra);
    int u1 = u0 + per + (t < extra);
    *s0 = u0 * unit;
    *s1 = u1 * unit < len ? u1 * unit : len;
}

// The product for a team that splits C's rows, with op(B) packed ONCE for the team: for each
// block of op(B), the threads pack its panels together (a contiguous range each) into pb, the
// caller's buffer for the block (see shared_buffer), wait for one another, then take the MC-row
// blocks of C from a shared counter (dynamic schedule: on cores that other work shares, a
// thread that gets its core back late finds the other has done more of the rows, instead of
// being waited for), and wait again before the next block of op(B) overwrites pb. Each element
// of C is the same sum in the same order whichever thread computes it: the same bits as
// gemm_slice, and B is copied once, not once per thread.
static void gemm_rows_shared_b(int transA, int transB, int M, int N, int K, float alpha,
                               const float *A, int lda, const float *B, int ldb, float beta,
                               float *C, int ldc, float *pb)
{
    int t = omp_get_thread_num(), nt = omp_get_num_threads();
    int mcmax = M < MC ? M : MC, kcmax = K < KC ? K : KC;
    float *pa = pack_buffer((size_t)((mcmax + MR - 1) / MR * MR) * kcmax);
    // row blocks of at most MC rows, as many as a multiple of the team's size and as even as
    // whole tiles make them: 512 rows in MC = 144 would be 144, 144, 144, 80, and the thread
    // that drew two of 144 would keep the other waiting for 64 rows
    int blocks = (M + MC - 1) / MC;
    blocks = (blocks + nt - 1) / nt * nt;
    for (int jc = 0; jc < N; jc += NC) {
        int nc = N - jc < NC ? N - jc : NC;
        for (int pc = 0; pc < K; pc += KC) {
            int kc = K - pc < KC ? K - pc : KC;
            int q0, q1; // this thread's columns of the block: panels [q0 / NR, q1 / NR)
            thread_slice(nc, NR, t, nt, &q0, &q1);
            if (q0 < q1) {
                pack_b(transB, B, ldb, pc, jc + q0, kc, q1 - q0, pb + (size_t)q0 * kc);
            }
#pragma omp barrier
            float beta_k = pc == 0 ? beta : 1.0f;
            // the loop's closing barrier keeps pb until every thread is done with it
#pragma omp for schedule(dynamic, 1)
            for (int blk = 0; blk < blocks; blk++) {
                int ic, end;
                thread_slice(M, MR, blk, blocks, &ic, &end);
                int mc = end - ic;
                if (mc <= 0) {
                    continue;
                }
                block_tiles(transA, A, lda, ic, pc, mc, kc, pb, 0, nc, jc, pa, alpha, beta_k, C,
                            ldc);
            }
        }
    }
}

// One block of op(B) (at most KC x NC, padded to whole panels) packed for a whole team: the
// calling thread's, kept for its life like pack_buffer's, so that every thread of the team it
// starts can write and read it.
static _Thread_local float *shared_raw;
static _Thread_local size_t shared_cap; // floats

static float *shared_buffer(size_t floats)
{
    if (floats > shared_cap) {
        free(shared_raw);
        shared_raw = lab_malloc(floats * sizeof(float) + 64);
        shared_cap = floats;
    }
    return (float *)(((uintptr_t)shared_raw + 63) & ~(uintptr_t)63);
}

void nn_sgemm(int transA, int transB, int M, int N, int K, float alpha, const float *A, int lda,
              const float *B, int ldb, float beta, float *C, int ldc)
{
    assert(M >= 0 && N >= 0 && K >= 0);
    if (M == 0 || N == 0) {
        return;
    }
    if (K == 0 || alpha == 0.0f) {
        scale_c(M, N, beta, C, ldc);
        return;
    }
    double mnk = (double)M * N * K;
    // inside a parallel region (a thread's share of a larger job) the caller's thread alone
    int threads = mnk < THREAD_MNK || omp_in_parallel() ? 1 : omp_get_max_threads();
    if (threads == 1) {
        gemm_slice(transA, transB, 0, M, 0, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    // Split the longer side of C into one slice per thread, each a whole number of tiles, so
    // both threads run full micro-kernels. Rows split: the team packs op(B) once and shares it;
    // columns split: each thread packs its own copy of op(A) (K x M floats, against the
    // slice's M * N * K / threads multiply-adds).
    int split_m = M >= N;
    if (split_m && threads > 1 && mnk >= SHARED_B_MNK) {
        // the rows split, op(B) packed once for the team
        int ncmax = N < NC ? N : NC, kcmax = K < KC ? K : KC;
        float *pb = shared_buffer((size_t)((ncmax + NR - 1) / NR * NR) * kcmax);
#pragma omp parallel num_threads(threads)
        gemm_rows_shared_b(transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, pb);
        return;
    }
#pragma omp parallel num_threads(threads)
    {
        int s0, s1;
        thread_slice(split_m ? M : N, split_m ? MR : NR, omp_get_thread_num(),
                     omp_get_num_threads(), &s0, &s1);
        if (s0 < s1) {
            if (split_m) {
                gemm_slice(transA, transB, s0, s1, 0, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
            } else {
                gemm_slice(transA, transB, 0, M, s0, s1, K, alpha, A, lda, B, ldb, beta, C, ldc);
            }
        }
    }
}

// --- a B packed once for many products -----------------------------------------------------
// The layout: for each block of KC rows of op(B) (pc = 0, KC, ...), ceil(N / NR) panels of
// kc x NR as pack_b writes them, the block at packed + pc * Npad (Npad = N rounded up to NR).
// A slice of C's columns starting at a multiple of NR finds its panels at jr * kc in the
// block, so every thread reads the one copy.

size_t nn_sgemm_packed_b_floats(int N, int K)
{
    return (size_t)((N + NR - 1) / NR * NR) * K;
}

void nn_sgemm_pack_b(float *packed, int transB, int N, int K, const float *B, int ldb)
{
    size_t npad = (size_t)((N + NR - 1) / NR * NR);
    for (int pc = 0; pc < K; pc += KC) {
        int kc = K - pc < KC ? K - pc : KC;
        pack_b(transB, B, ldb, pc, 0, kc, N, packed + (size_t)pc * npad);
    }
}

// C[m0:m1, n0:n1] from the packed B, n0 a multiple of NR: gemm_slice's loops without the
// packing of B, so the same tiles sum the same products in the same order.
static void gemm_slice_packed(int transA, int m0, int m1, int n0, int n1, int N, int K, float alpha,
                              const float *A, int lda, const float *packed, float beta, float *C,
                              int ldc, NnGemmEpilogue epi, void *ctx)
{
    int mspan = m1 - m0, mcmax = mspan < MC ? mspan : MC, kcmax = K < KC ? K : KC;
    size_t npad = (size_t)((N + NR - 1) / NR * NR);
    float *pa = pack_buffer((size_t)((mcmax + MR - 1) / MR * MR) * kcmax);
    for (int pc = 0; pc < K; pc += KC) {
        int kc = K - pc < KC ? K - pc : KC;
        const float *pb = packed + (size_t)pc * npad;
        float beta_k = pc == 0 ? beta : 1.0f;
        for (int ic = m0; ic < m1; ic += MC) {
            int mc = m1 - ic < MC ? m1 - ic : MC;
            block_tiles(transA, A, lda, ic, pc, mc, kc, pb, n0, n1, 0, pa, alpha, beta_k, C, ldc);
            if (epi && pc + kc == K) { // the block is final, and still in cache
                epi(C + (size_t)ic * ldc + n0, ldc, ic, n0, mc, n1 - n0, ctx);
            }
        }
    }
}

// One row c (N) = alpha * a @ op(B) + beta * c over the packed panels, a's element p at
// a[p * csa]: a pass over each panel with one accumulator row, then micro_kernel_edge's
// rounding (alpha * sum, then beta * c + that in one FMA). The sums are the tiles' own, in
// the same order, so a row gets the same bits as in a taller product; the work is a sixth
// (AVX2) or a twelfth (AVX-512) of a tile whose other rows are padding.
static void gemv_packed(const float *a, ptrdiff_t csa, int N, int K, float alpha,
                        const float *packed, float beta, float *c)
{
    size_t npad = (size_t)((N + NR - 1) / NR * NR);
    Vec va = VSET1(alpha);
    for (int pc = 0; pc < K; pc += KC) {
        int kc = K - pc < KC ? K - pc : KC;
        const float *pb = packed + (size_t)pc * npad;
        float beta_k = pc == 0 ? beta : 1.0f;
        for (int jr = 0; jr < N; jr += NR) {
            const float *b = pb + (size_t)jr * kc;
            Vec acc[NV];
            for (int v = 0; v < NV; v++) {
                acc[v] = VZERO();
            }
            for (int p = 0; p < kc; p++) {
                Vec ar = VSET1(a[(size_t)(pc + p) * csa]);
                for (int v = 0; v < NV; v++) {
                    acc[v] = VFMA(ar, VLOAD(b + (size_t)p * NR + v * VW), acc[v]);
                }
            }
            _Alignas(64) float tile[NR];
            for (int v = 0; v < NV; v++) {
                VSTORE(tile + v * VW, VMUL(va, acc[v]));
            }
            int n = N - jr < NR ? N - jr : NR;
            for (int j = 0; j < n; j++) {
                float *cp = &c[jr + j];
                *cp = beta_k == 0.0f ? tile[j] : fma1(beta_k, *cp, tile[j]);
            }
        }
    }
}

void nn_sgemm_packed_epi(int transA, int M, int N, int K, float alpha, const float *A, int lda,
                         const float *packed, float beta, float *C, int ldc, NnGemmEpilogue epi,
                         void *ctx)
{
    assert(M >= 0 && N >= 0 && K >= 0);
    if (M == 0 || N == 0) {
        return;
    }
    if (K == 0 || alpha == 0.0f) {
        scale_c(M, N, beta, C, ldc);
        if (epi) {
            epi(C, ldc, 0, 0, M, N, ctx);
        }
        return;
    }
    // one or two rows (a recurrent step of one or two lanes, a text scored as one stream):
    // a row at a time in this thread; a tile would be mostly padding, and a parallel region a
    // step costs more than the step
    if (M < 3) {
        for (int i = 0; i < M; i++) {
            gemv_packed(transA ? A + i : A + (size_t)i * lda, transA ? lda : 1, N, K, alpha,
                        packed, beta, C + (size_t)i * ldc);
            if (epi) {
                epi(C + (size_t)i * ldc, ldc, i, 0, 1, N, ctx);
            }
        }
        return;
    }
    // the same threads and slices as nn_sgemm for this shape
    double mnk = (double)M * N * K;
    int threads = mnk < THREAD_MNK || omp_in_parallel() ? 1 : omp_get_max_threads();
    if (threads == 1) {
        gemm_slice_packed(transA, 0, M, 0, N, N, K, alpha, A, lda, packed, beta, C, ldc, epi,
                          ctx);
        return;
    }
    int split_m = M >= N;
#pragma omp parallel num_threads(threads)
    {
        int s0, s1;
        thread_slice(split_m ? M : N, split_m ? MR : NR, omp_get_thread_num(),
                     omp_get_num_threads(), &s0, &s1);
        if (s0 < s1) {
            if (split_m) {
                gemm_slice_packed(transA, s0, s1, 0, N, N, K, alpha, A, lda, packed, beta, C, ldc,
                                  epi, ctx);
            } else {
                gemm_slice_packed(transA, 0, M, s0, s1, N, K, alpha, A, lda, packed, beta, C, ldc,
                                  epi, ctx);
            }
        }
    }
}

void nn_sgemm_packed(int transA, int M, int N, int K, float alpha, const float *A, int lda,
                     const float *packed, float beta, float *C, int ldc)
{
    nn_sgemm_packed_epi(transA, M, N, K, alpha, A, lda, packed, beta, C, ldc, NULL, NULL);
}

#endif // NN_BLAS_OPENBLAS

// --- the linear layer --------------------------------------------------------------------------

// The bias passes of at least this many floats run on OpenMP's threads, split by rows
// (forward) or by columns (backward): each element's sum keeps its order. Inside a parallel
// region they stay on the caller's thread.
#define LINEAR_PAR_MIN 65536

void nn_linear_forward(float *out, const float *inp, const float *weight, const float *bias, int N,
                       int C, int OC)
{
    // out (N, OC) = inp (N, C) @ weight^T (C, OC)
    nn_sgemm(0, 1, N, OC, C, 1.0f, inp, C, weight, C, 0.0f, out, OC);
    if (bias != NULL) {
        const int par = (size_t)N * OC >= LINEAR_PAR_MIN && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
        for (int n = 0; n < N; n++) {
            float *row = out + (size_t)n * OC;
#pragma omp simd
            for (int o = 0; o < OC; o++) {
                row[o] += bias[o];
            }
        }
    }
}

// dbias[o] += the sum over n of dout[n * ld + o], for o < w <= BIAS_COLS: one double per
// column, rows added in order. With AVX2 a whole strip is read a row (two cache lines) at a
// time into eight vectors of four doubles held in registers, so the sums wait on no store;
// the bits are those of the plain loop (each column's additions in the same order).
#define BIAS_COLS 32
static void bias_sums(float *dbias, const float *dout, int N, int ld, int w)
{
#if defined(__AVX512F__) || defined(__AVX2__)
    if (w == BIAS_COLS) {
        __m256d sum[BIAS_COLS / 4];
        for (int j = 0; j < BIAS_COLS / 4; j++) {
            sum[j] = _mm256_setzero_pd();
        }
        for (int n = 0; n < N; n++) {
            const float *row = dout + (size_t)n * ld;
#pragma GCC unroll 8
            for (int j = 0; j < BIAS_COLS / 4; j++) {
                sum[j] = _mm256_add_pd(sum[j], _mm256_cvtps_pd(_mm_loadu_ps(row + 4 * j)));
            }
        }
        double s[BIAS_COLS];
        for (int j = 0; j < BIAS_COLS / 4; j++) {
            _mm256_storeu_pd(s + 4 * j, sum[j]);
        }
        for (int o = 0; o < BIAS_COLS; o++) {
            dbias[o] += (float)s[o];
        }
        return;
    }
#endif
    for (int o = 0; o < w; o++) {
        double sum = 0.0;
        for (int n = 0; n < N; n++) {
            sum += dout[(size_t)n * ld + o];
        }
        dbias[o] += (float)sum;
    }
}

void nn_linear_backward(float *dinp, float *dweight, float *dbias, const float *dout,
                        const float *inp, const float *weight, int N, int C, int OC)
{
    // forward was: out[n][o] = sum_c inp[n][c] * weight[o][c] + bias[o]; so
    // dinp (N, C) += dout (N, OC) @ weight (OC, C)
    if (dinp != NULL) {
        nn_sgemm(0, 0, N, C, OC, 1.0f, dout, OC, weight, C, 1.0f, dinp, C);
    }
    // dweight (OC, C) += dout^T (OC, N) @ inp (N, C)
    nn_sgemm(1, 0, OC, C, N, 1.0f, dout, OC, inp, C, 1.0f, dweight, C);
    // dbias[o] += sum_n dout[n][o], summed in double over n = 0..N-1 in order
    if (dbias != NULL) {
        const int par = (size_t)N * OC >= LINEAR_PAR_MIN && !omp_in_parallel();
#pragma omp parallel for schedule(static) if (par)
        for (int o0 = 0; o0 < OC; o0 += BIAS_COLS) {
            bias_sums(dbias + o0, dout + o0, N, OC, OC - o0 < BIAS_COLS ? OC - o0 : BIAS_COLS);
        }
    }
}
