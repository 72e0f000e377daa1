// test_matmul.c: nn_sgemm against the readable reference nn_sgemm_ref (itself checked by hand),
// over every transpose combination, alpha and beta, odd, prime and block-straddling shapes and
// strides; its determinism; and the linear layer against hand computation and finite
// differences.
//
// How close is close enough. nn_sgemm sums in float; the reference in double. For a dot
// product of length K in float, each partial sum is rounded once per FMA, so the computed
// c = alpha * sum_p a_p b_p + beta * c0 satisfies |c - exact| <= gamma * (|alpha| sum_p |a_p b_p|
// + |beta c0|) with gamma = (K + 2) u / (1 - (K + 2) u), u = 2^-24 (Higham, "Accuracy and
// Stability of Numerical Algorithms", 3.1): K roundings in the sum, one for alpha, one for
// beta. The reference's own error is that of one float rounding. The tests allow
// (K + 3) * 2^-23, twice the bound, per element, against the absolute sums computed by the
// reference on |A| and |B|: a wrong element (a missed or doubled term) is off by a whole
// |a_p b_p|, far above it.
#include "tests/helpers.h"

#include <float.h>
#include <omp.h>

#include "nn/nn.h"

// --- helpers ----------------------------------------------------------------------------------

// rows x cols with row stride ld >= cols; the padding past cols is NaN, so reading it shows
static float *rand_matrix(LabRng *rng, int rows, int cols, int ld)
{
    size_t n = (size_t)(rows > 0 ? rows : 1) * (ld > 0 ? ld : 1);
    float *m = lab_malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        m[i] = NAN;
    }
    for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
            m[(size_t)r * ld + c] = (float)(2.0 * lab_rng_uniform(rng) - 1.0);
        }
    }
    return m;
}

static float *abs_copy(const float *m, size_t n)
{
    float *a = lab_malloc((n ? n : 1) * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        a[i] = isnan(m[i]) ? m[i] : fabsf(m[i]);
    }
    return a;
}

typedef struct {
    int ta, tb, M, N, K;
    float alpha, beta;
    int pad;       // extra columns in every row stride
    int nan_c;     // C starts as NaN (only with beta == 0)
} Case;

// Runs one case through nn_sgemm and nn_sgemm_ref and checks every element against the error
// bound above, and that C's padding was left alone.
static void check_case(const Case *cs, uint64_t seed)
{
    LabRng rng;
    lab_rng_seed(&rng, seed);
    int arows = cs->ta ? cs->K : cs->M, acols = cs->ta ? cs->M : cs->K;
    int brows = cs->tb ? cs->N : cs->K, bcols = cs->tb ? cs->K : cs->N;
    int lda = acols + cs->pad, ldb = bcols + cs->pad, ldc = cs->N + cs->pad;
    float *A = rand_matrix(&rng, arows, acols, lda);
    float *B = rand_matrix(&rng, brows, bcols, ldb);
    float *C0 = rand_matrix(&rng, cs->M, cs->N, ldc);
    size_t csize = (size_t)cs->M * ldc;
    if (cs->nan_c) {
        for (size_t i = 0; i < csize; i++) {
            C0[i] = NAN;
        }
    }
    float *C = lab_malloc(csize * sizeof(float));
    float *R = lab_malloc(csize * sizeof(float));
    memcpy(C, C0, csize * sizeof(float));
    memcpy(R, C0, csize * sizeof(float));
    nn_sgemm(cs->ta, cs->tb, cs->M, cs->N, cs->K, cs->alpha, A, lda, B, ldb, cs->beta, C, ldc);
    nn_sgemm_ref(cs->ta, cs->tb, cs->M, cs->N, cs->K, cs->alpha, A, lda, B, ldb, cs->beta, R, ldc);

    // the scale of each element: |alpha| |A| @ |B| + |beta| |C0|
    float *absA = abs_copy(A, (size_t)arows * lda), *absB = abs_copy(B, (size_t)brows * ldb);
    float *S = abs_copy(C0, csize);
    nn_sgemm_ref(cs->ta, cs->tb, cs->M, cs->N, cs->K, fabsf(cs->alpha), absA, lda, absB, ldb,
                 fabsf(cs->beta), S, ldc);
    double gamma = (cs->K + 3) * (double)FLT_EPSILON;
    for (int i = 0; i < cs->M; i++) {
        for (int j = 0; j < cs->N; j++) {
            size_t at = (size_t)i * ldc + j;
            double tol = gamma * S[at] + FLT_MIN;
            cr_assert(isfinite(C[at]) && fabs((double)C[at] - R[at]) <= tol,
                      "sgemm(%c%c) M=%d N=%d K=%d alpha=%g beta=%g pad=%d: C[%d][%d] = %.9g, "
                      "reference %.9g (allowed error %.3g)",
                      cs->ta ? 'T' : 'N', cs->tb ? 'T' : 'N', cs->M, cs->N, cs->K,
                      (double)cs->alpha, (double)cs->beta, cs->pad, i, j, (double)C[at],
                      (double)R[at], tol);
        }
        for (int j = cs->N; j < ldc; j++) {
            size_t at = (size_t)i * ldc + j;
            cr_assert(memcmp(&C[at], &C0[at], sizeof(float)) == 0,
                      "sgemm wrote C[%d][%d], past N = %d (ldc %d)", i, j, cs->N, ldc);
        }
    }
    free(A);
    free(B);
    free(C0);
    free(C);
    free(R);
    free(absA);
    free(absB);
    free(S);
}

static void check_all_trans(int M, int N, int K, float alpha, float beta, int pad, int nan_c)
{
    for (int ta = 0; ta < 2; ta++) {
        for (int tb = 0; tb < 2; tb++) {
            Case cs = {ta, tb, M, N, K, alpha, beta, pad, nan_c};
            check_case(&cs, 1000003u * (uint64_t)(M + 1) + 1009u * (uint64_t)(N + 1) + K);
        }
    }
}

// --- the reference, by hand ---------------------------------------------------------------------

Test(matmul, reference_matches_hand_computed_products)
{
    // A = [1 2; 3 4], B = [5 6; 7 8]
    const float A[] = {1, 2, 3, 4}, B[] = {5, 6, 7, 8};
    // A B = [19 22; 43 50], A B^T = [17 23; 39 53], A^T B = [26 30; 38 44],
    // A^T B^T = [23 31; 34 46]
    const float want[4][4] = {{19, 22, 43, 50}, {17, 23, 39, 53}, {26, 30, 38, 44},
                              {23, 31, 34, 46}};
    for (int ta = 0; ta < 2; ta++) {
        for (int tb = 0; tb < 2; tb++) {
            float C[4] = {1, 1, 1, 1};
            // 2 * op(A) op(B) - 1 * C
            nn_sgemm_ref(ta, tb, 2, 2, 2, 2.0f, A, 2, B, 2, -1.0f, C, 2);
            for (int e = 0; e < 4; e++) {
                cr_assert_float_eq(C[e], 2 * want[ta * 2 + tb][e] - 1, 0,
                                   "ref(%d,%d)[%d] = %g, expected %g", ta, tb, e, (double)C[e],
                                   (double)(2 * want[ta * 2 + tb][e] - 1));
            }
            float D[4] = {1, 1, 1, 1};
            nn_sgemm(ta, tb, 2, 2, 2, 2.0f, A, 2, B, 2, -1.0f, D, 2);
            cr_assert(memcmp(C, D, sizeof C) == 0, "nn_sgemm(%d,%d) differs on 2x2x2", ta, tb);
        }
    }
}

// --- nn_sgemm against the reference -------------------------------------------------------------

Test(matmul, tiny_and_prime_shapes_match_reference)
{
    const int shapes[][3] = {{1, 1, 1}, {7, 13, 5}, {1, 64, 64}, {64, 1, 64}, {33, 31, 37},
                             {65, 257, 129}, {2, 3, 1000}, {131, 7, 97}};
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        check_all_trans(shapes[s][0], shapes[s][1], shapes[s][2], 1.0f, 0.0f, 0, 0);
    }
}

Test(matmul, alpha_and_beta_match_reference)
{
    const float ab[][2] = {{1, 0}, {1, 1}, {-0.5f, 0}, {2, -1}, {0.25f, 0.5f}, {-3, 2}};
    for (size_t i = 0; i < sizeof ab / sizeof ab[0]; i++) {
        check_all_trans(7, 13, 5, ab[i][0], ab[i][1], 0, 0);
        check_all_trans(65, 257, 129, ab[i][0], ab[i][1], 0, 0);
    }
}

// The register tiles are 4x8 (scalar), 6x16 (AVX2), 12x32 (AVX-512); the cache blocks MC 128,
// 144, 480 rows, KC 256, 384, 192, NC 1024, 2048, 3072: one less, equal and one more than each.
Test(matmul, shapes_straddling_every_block_edge_match_reference)
{
    const int mr[] = {3, 4, 5, 6, 7, 11, 12, 13, 23, 24, 25};
    const int nr[] = {7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65};
    for (size_t i = 0; i < sizeof mr / sizeof mr[0]; i++) {
        for (size_t j = 0; j < sizeof nr / sizeof nr[0]; j++) {
            Case cs = {(int)(i % 2), (int)(j % 2), mr[i], nr[j], 70, 1.0f, 0.5f, 0, 0};
            check_case(&cs, 17 + i * 100 + j);
        }
    }
    const int mc[] = {127, 128, 129, 143, 144, 145, 479, 480, 481, 577};
    for (size_t i = 0; i < sizeof mc / sizeof mc[0]; i++) {
        check_all_trans(mc[i], 40, 50, 1.0f, 1.0f, 0, 0);
    }
    const int kc[] = {191, 192, 193, 255, 256, 257, 383, 384, 385, 513, 769};
    for (size_t i = 0; i < sizeof kc / sizeof kc[0]; i++) {
        check_all_trans(20, 35, kc[i], 1.0f, -1.0f, 0, 0);
    }
    const int nc[] = {1023, 1024, 1025, 2047, 2048, 2049, 3071, 3072, 3073};
    for (size_t i = 0; i < sizeof nc / sizeof nc[0]; i++) {
        check_all_trans(13, nc[i], 30, 0.5f, 0.0f, 0, 0);
    }
    // tall and wide: one thread's slice of rows, or of columns, has a ragged end
    check_all_trans(301, 19, 260, 1.0f, 0.0f, 0, 0);
    check_all_trans(19, 301, 260, 1.0f, 0.0f, 0, 0);
}

Test(matmul, strides_wider_than_rows_match_reference_and_padding_is_untouched)
{
    // NaN in every padding column of A, B and C: reading it would show in C or in the check
    check_all_trans(7, 13, 5, 1.0f, 1.0f, 3, 0);
    check_all_trans(65, 257, 129, -1.0f, 0.5f, 5, 0);
    check_all_trans(150, 40, 300, 1.0f, 0.0f, 17, 0);
}

Test(matmul, beta_zero_ignores_nan_in_c)
{
    check_all_trans(1, 1, 1, 1.0f, 0.0f, 0, 1);
    check_all_trans(7, 13, 5, 1.0f, 0.0f, 0, 1);
    check_all_trans(65, 257, 129, 2.0f, 0.0f, 2, 1);
    check_all_trans(200, 100, 300, 1.0f, 0.0f, 0, 1);
}

Test(matmul, zero_k_or_zero_alpha_scales_c_by_beta)
{
    float A[1] = {NAN}, B[1] = {NAN};
    float C[6] = {1, 2, 3, 4, 5, 6};
    nn_sgemm(0, 0, 2, 3, 0, 1.0f, A, 1, B, 3, 2.0f, C, 3);
    for (int e = 0; e < 6; e++) {
        cr_assert_float_eq(C[e], 2.0f * (e + 1), 0, "K = 0: C[%d] = %g, expected %g", e,
                           (double)C[e], 2.0 * (e + 1));
    }
    float D[6] = {NAN, NAN, NAN, NAN, NAN, NAN};
    nn_sgemm(0, 0, 2, 3, 1, 0.0f, A, 1, B, 3, 0.0f, D, 3);
    for (int e = 0; e < 6; e++) {
        cr_assert(D[e] == 0.0f, "alpha = beta = 0: C[%d] = %g, expected 0", e, (double)D[e]);
    }
}

// --- determinism ---------------------------------------------------------------------------------

static void bitwise_case(int threads_a, int threads_b, int ta, int tb, int M, int N, int K)
{
    LabRng rng;
    lab_rng_seed(&rng, 7);
    float *A = rand_matrix(&rng, ta ? K : M, ta ? M : K, ta ? M : K);
    float *B = rand_matrix(&rng, tb ? N : K, tb ? K : N, tb ? K : N);
    size_t n = (size_t)M * N;
    float *C1 = lab_malloc(n * sizeof(float)), *C2 = lab_malloc(n * sizeof(float));
    int saved = omp_get_max_threads();
    omp_set_num_threads(threads_a);
    nn_sgemm(ta, tb, M, N, K, 1.0f, A, ta ? M : K, B, tb ? K : N, 0.0f, C1, N);
    omp_set_num_threads(threads_b);
    nn_sgemm(ta, tb, M, N, K, 1.0f, A, ta ? M : K, B, tb ? K : N, 0.0f, C2, N);
    omp_set_num_threads(saved);
    cr_assert(memcmp(C1, C2, n * sizeof(float)) == 0,
              "sgemm(%c%c) %dx%dx%d: %d and %d threads gave different bits", ta ? 'T' : 'N',
              tb ? 'T' : 'N', M, N, K, threads_a, threads_b);
    free(A);
    free(B);
    free(C1);
    free(C2);
}

Test(matmul, same_thread_count_gives_identical_bits)
{
    bitwise_case(2, 2, 0, 1, 300, 260, 520);
    bitwise_case(2, 2, 0, 0, 300, 260, 520);
    bitwise_case(2, 2, 1, 0, 260, 300, 520);
    bitwise_case(1, 1, 0, 1, 300, 260, 520);
}

Test(matmul, threads_split_c_not_k_so_any_thread_count_gives_identical_bits)
{
    bitwise_case(1, 2, 0, 1, 300, 260, 520);
    bitwise_case(1, 3, 1, 0, 97, 401, 300);
    // rows split over a team that packs op(B) together: several column blocks (N > NC)
    bitwise_case(1, 3, 0, 1, 3300, 3200, 40);
}

// an epilogue that counts the visits of each element of C and maps it to 2 c + 1
typedef struct {
    int *visits;
    int ldc, N;
} VisitCtx;

static void visit_epi(float *c, int ldc, int i0, int j0, int m, int n, void *ctx)
{
    VisitCtx *v = ctx;
    cr_assert_eq(ldc, v->ldc);
    for (int r = 0; r < m; r++) {
        for (int j = 0; j < n; j++) {
            v->visits[(size_t)(i0 + r) * v->N + j0 + j]++;
            c[(size_t)r * ldc + j] = 2.0f * c[(size_t)r * ldc + j] + 1.0f;
        }
    }
}

// nn_sgemm_packed with op(B) packed once against nn_sgemm on the same operands, C starting
// from the same values (beta = 0.5 reads it): the same bits with lmlab's kernel; and
// nn_sgemm_packed_epi hands every element of C to its epilogue once, after its last K block
// (the epilogue's 2 c + 1 of the finished product)
static void packed_case(int threads, int ta, int tb, int M, int N, int K)
{
    LabRng rng;
    lab_rng_seed(&rng, 11);
    float *A = rand_matrix(&rng, ta ? K : M, ta ? M : K, ta ? M : K);
    float *B = rand_matrix(&rng, tb ? N : K, tb ? K : N, tb ? K : N);
    float *C1 = rand_matrix(&rng, M, N, N);
    size_t n = (size_t)M * N;
    float *C2 = lab_malloc(n * sizeof(float));
    memcpy(C2, C1, n * sizeof(float));
    float *packed = lab_malloc(nn_sgemm_packed_b_floats(N, K) * sizeof(float));
    nn_sgemm_pack_b(packed, tb, N, K, B, tb ? K : N);
    int saved = omp_get_max_threads();
    omp_set_num_threads(threads);
    float *C3 = lab_malloc(n * sizeof(float));
    memcpy(C3, C1, n * sizeof(float));
    VisitCtx v = {lab_calloc(n, sizeof(int)), N, N};
    nn_sgemm(ta, tb, M, N, K, 1.5f, A, ta ? M : K, B, tb ? K : N, 0.5f, C1, N);
    nn_sgemm_packed(ta, M, N, K, 1.5f, A, ta ? M : K, packed, 0.5f, C2, N);
    nn_sgemm_packed_epi(ta, M, N, K, 1.5f, A, ta ? M : K, packed, 0.5f, C3, N, visit_epi, &v);
    omp_set_num_threads(saved);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(v.visits[i], 1, "element %zu of %dx%dx%d: %d visits", i, M, N, K,
                     v.visits[i]);
        float want = 2.0f * C2[i] + 1.0f;
        cr_assert(memcmp(&C3[i], &want, sizeof want) == 0,
                  "element %zu of %dx%dx%d: epilogue saw %g, the product is %g", i, M, N, K,
                  (double)((C3[i] - 1.0f) / 2.0f), (double)C2[i]);
    }
    free(C3);
    free(v.visits);
#ifdef NN_BLAS_OPENBLAS
    for (size_t i = 0; i < n; i++) { // OpenBLAS sums op(B) and its copy in its own orders
        cr_assert(fabsf(C1[i] - C2[i]) <= 1e-4f * (1.0f + fabsf(C1[i])));
    }
#else
    cr_assert(memcmp(C1, C2, n * sizeof(float)) == 0,
              "packed sgemm(%c%c) %dx%dx%d on %d threads: not the bits of nn_sgemm",
              ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, threads);
#endif
    free(A);
    free(B);
    free(C1);
    free(C2);
    free(packed);
}

Test(matmul, a_packed_b_gives_the_bits_of_sgemm_and_its_epilogue_every_element_once)
{
    for (int threads = 1; threads <= 3; threads++) {
        packed_case(threads, 0, 1, 32, 1024, 256); // an LSTM step: h @ w_hh^T
        packed_case(threads, 0, 0, 32, 256, 1024); // and its backward: dgates @ w_hh
        packed_case(threads, 1, 0, 37, 45, 900);   // ragged tiles, K over two KC blocks
        packed_case(threads, 0, 1, 300, 70, 65);   // split over rows
        packed_case(threads, 0, 0, 5, 4500, 30);   // N over two NC blocks
        packed_case(threads, 0, 0, 1, 1, 1);
        packed_case(threads, 0, 1, 1, 1024, 256); // one lane: a row at a time (gemv_packed)
        packed_case(threads, 1, 0, 2, 45, 900);   // two rows, op(A) transposed, two KC blocks
        packed_case(threads, 0, 0, 1, 4500, 30);  // one row over two NC blocks
    }
}

// --- the linear layer ----------------------------------------------------------------------------

Test(matmul, linear_forward_and_backward_match_hand_computation)
{
    // N = 2 rows, C = 3 inputs, OC = 2 outputs
    const float inp[] = {1, 2, 3, 4, 5, 6};
    const float weight[] = {1, 0, -1, 0.5f, 2, 1};
    const float bias[] = {0.1f, -0.2f};
    // out[0] = [1 - 3 + 0.1, 0.5 + 4 + 3 - 0.2], out[1] = [4 - 6 + 0.1, 2 + 10 + 6 - 0.2]
    const float want_out[] = {-1.9f, 7.3f, -1.9f, 17.8f};
    float out[4];
    nn_linear_forward(out, inp, weight, bias, 2, 3, 2);
    for (int e = 0; e < 4; e++) {
        cr_assert_float_eq(out[e], want_out[e], 1e-6, "out[%d] = %g, expected %g", e,
                           (double)out[e], (double)want_out[e]);
    }
    // without bias: the same less the bias
    nn_linear_forward(out, inp, weight, NULL, 2, 3, 2);
    cr_assert_float_eq(out[1], 7.5f, 1e-6, "no bias: out[0][1] = %g, expected 7.5",
                       (double)out[1]);

    const float dout[] = {1, 2, 3, -1};
    // dinp = dout @ W: [1*(1,0,-1) + 2*(0.5,2,1), 3*(1,0,-1) - (0.5,2,1)] = [2 4 1; 2.5 -2 -4]
    // dW = dout^T @ inp: [1*(1,2,3) + 3*(4,5,6), 2*(1,2,3) - (4,5,6)] = [13 17 21; -2 -1 0]
    // dbias = column sums of dout = [4, 1]; each gradient starts at 1: backward accumulates
    const float want_dinp[] = {2, 4, 1, 2.5f, -2, -4};
    const float want_dw[] = {13, 17, 21, -2, -1, 0};
    const float want_db[] = {4, 1};
    float dinp[6], dw[6], db[2];
    for (int e = 0; e < 6; e++) {
        dinp[e] = dw[e] = 1.0f;
    }
    db[0] = db[1] = 1.0f;
    nn_linear_backward(dinp, dw, db, dout, inp, weight, 2, 3, 2);
    for (int e = 0; e < 6; e++) {
        cr_assert_float_eq(dinp[e], want_dinp[e] + 1, 1e-6, "dinp[%d] = %g, expected %g", e,
                           (double)dinp[e], (double)want_dinp[e] + 1);
        cr_assert_float_eq(dw[e], want_dw[e] + 1, 1e-6, "dweight[%d] = %g, expected %g", e,
                           (double)dw[e], (double)want_dw[e] + 1);
    }
    for (int e = 0; e < 2; e++) {
        cr_assert_float_eq(db[e], want_db[e] + 1, 1e-6, "dbias[%d] = %g, expected %g", e,
                           (double)db[e], (double)want_db[e] + 1);
    }
    // dinp NULL and dbias NULL: only dweight accumulates
    nn_linear_backward(NULL, dw, NULL, dout, inp, weight, 2, 3, 2);
    cr_assert_float_eq(dw[0], 2 * 13 + 1, 1e-6, "dweight[0] = %g after two passes, expected 27",
                       (double)dw[0]);
}

// L = sum_{n,o} out[n][o] * G[n][o] in double, for a fixed random G
static double linear_loss(const float *inp, const float *w, const float *b, const float *G,
                          float *out, int N, int C, int OC)
{
    nn_linear_forward(out, inp, w, b, N, C, OC);
    double L = 0.0;
    for (int i = 0; i < N * OC; i++) {
        L += (double)out[i] * G[i];
    }
    return L;
}

// Central differences: L is linear in each single parameter, so (L(x + h) - L(x - h)) / 2h is
// its derivative exactly in real arithmetic for any h; h = 0.5 keeps the float rounding of out
// (about 1e-7 |out| per element, summed over N * OC terms) small against 2h. Sizes past the
// small-product path, so the blocked kernel's NT, NN and TN products are the ones checked.
Test(matmul, linear_backward_matches_finite_differences)
{
    enum { N = 40, C = 50, OC = 30 };
    LabRng rng;
    lab_rng_seed(&rng, 3);
    float *inp = rand_matrix(&rng, N, C, C), *w = rand_matrix(&rng, OC, C, C);
    float *b = rand_matrix(&rng, 1, OC, OC), *G = rand_matrix(&rng, N, OC, OC);
    float *out = lab_malloc(N * OC * sizeof(float));
    float *dinp = lab_calloc(N * C, sizeof(float)), *dw = lab_calloc(OC * C, sizeof(float));
    float *db = lab_calloc(OC, sizeof(float));
    // dL/dout = G
    nn_linear_backward(dinp, dw, db, G, inp, w, N, C, OC);
    struct {
        const char *name;
        float *x, *dx;
        int n;
    } params[] = {{"inp", inp, dinp, N * C}, {"weight", w, dw, OC * C}, {"bias", b, db, OC}};
    const float h = 0.5f;
    for (int p = 0; p < 3; p++) {
        for (int i = 0; i < params[p].n; i += 7) {
            float x0 = params[p].x[i];
            params[p].x[i] = x0 + h;
            double Lp = linear_loss(inp, w, b, G, out, N, C, OC);
            params[p].x[i] = x0 - h;
            double Lm = linear_loss(inp, w, b, G, out, N, C, OC);
            params[p].x[i] = x0;
            double fd = (Lp - Lm) / (2.0 * h);
            cr_assert(fabs(fd - params[p].dx[i]) <= 1e-3 + 1e-4 * fabs(fd),
                      "d%s[%d] = %.7g, finite differences %.7g", params[p].name, i,
                      (double)params[p].dx[i], fd);
        }
    }
    free(inp);
    free(w);
    free(b);
    free(G);
    free(out);
    free(dinp);
    free(dw);
    free(db);
}
