// test_nn_torch.c: the layers against PyTorch's forward outputs and autograd gradients
// (tests/fixtures/torch/layers.inc, made by make_layers.py), to 1e-5.
#include "tests/helpers.h"

#include "nn/nn.h"
#include "tests/fixtures/torch/layers.inc"

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

// |got - want| <= 1e-5 * max(1, |want|) for every element, naming the first that is not
static void expect_close(const char *what, const float *got, const float *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        double tol = 1e-5 * fmax(1.0, fabs(want[i]));
        cr_assert(fabs((double)got[i] - want[i]) <= tol, "%s[%zu] = %.9g, PyTorch gives %.9g",
                  what, i, got[i], want[i]);
    }
}

Test(nn_torch, layernorm_matches_pytorch)
{
    enum { N = 3, C = 5 };
    float out[N * C], mean[N], rstd[N], dx[N * C] = {0}, dw[C] = {0}, db[C] = {0};
    nn_layernorm_forward(out, mean, rstd, LN_X, LN_W, LN_B, N, C, 1e-5f);
    expect_close("layernorm out", out, LN_OUT, LEN(LN_OUT));
    nn_layernorm_backward(dx, dw, db, LN_DOUT, LN_X, LN_W, mean, rstd, N, C);
    expect_close("layernorm dinp", dx, LN_DX, LEN(LN_DX));
    expect_close("layernorm dweight", dw, LN_DW, LEN(LN_DW));
    expect_close("layernorm dbias", db, LN_DB, LEN(LN_DB));
}

Test(nn_torch, gelu_exact_matches_pytorch_gelu)
{
    float out[LEN(GELU_X)], dx[LEN(GELU_X)] = {0};
    nn_gelu_forward(out, GELU_X, LEN(GELU_X));
    expect_close("gelu out", out, GELU_OUT, LEN(GELU_OUT));
    nn_gelu_backward(dx, GELU_DOUT, GELU_X, LEN(GELU_X));
    expect_close("gelu dinp", dx, GELU_DX, LEN(GELU_DX));
}

Test(nn_torch, gelu_tanh_matches_pytorch_gelu_approximate_tanh)
{
    float out[LEN(GELU_TANH_X)], dx[LEN(GELU_TANH_X)] = {0};
    nn_gelu_tanh_forward(out, GELU_TANH_X, LEN(GELU_TANH_X));
    expect_close("gelu tanh out", out, GELU_TANH_OUT, LEN(GELU_TANH_OUT));
    nn_gelu_tanh_backward(dx, GELU_TANH_DOUT, GELU_TANH_X, LEN(GELU_TANH_X));
    expect_close("gelu tanh dinp", dx, GELU_TANH_DX, LEN(GELU_TANH_DX));
}

Test(nn_torch, softmax_xent_with_an_ignored_target_matches_pytorch_cross_entropy)
{
    enum { N = 4, V = 6 };
    float probs[N * V], dlogits[N * V] = {0};
    int count;
    double sum = nn_softmax_xent_forward(probs, &count, XENT_LOGITS, XENT_TARGETS, N, V);
    cr_assert_eq(count, 3, "the target -100 must be ignored");
    cr_assert(fabs(sum / count - XENT_MEAN_LOSS) <= 1e-5 * XENT_MEAN_LOSS,
              "mean loss %.9g, PyTorch gives %.9g", sum / count, XENT_MEAN_LOSS);
    expect_close("softmax probs", probs, XENT_PROBS, LEN(XENT_PROBS));
    nn_softmax_xent_backward(dlogits, probs, XENT_TARGETS, 1.0f, count, N, V);
    expect_close("xent dlogits", dlogits, XENT_DLOGITS, LEN(XENT_DLOGITS));
}

Test(nn_torch, linear_matches_pytorch)
{
    enum { N = 3, C = 4, OC = 5 };
    float out[N * OC], dx[N * C] = {0}, dw[OC * C] = {0}, db[OC] = {0};
    nn_linear_forward(out, LIN_X, LIN_W, LIN_B, N, C, OC);
    expect_close("linear out", out, LIN_OUT, LEN(LIN_OUT));
    nn_linear_backward(dx, dw, db, LIN_DOUT, LIN_X, LIN_W, N, C, OC);
    expect_close("linear dinp", dx, LIN_DX, LEN(LIN_DX));
    expect_close("linear dweight", dw, LIN_DW, LEN(LIN_DW));
    expect_close("linear dbias", db, LIN_DB, LEN(LIN_DB));
}

Test(nn_torch, embedding_matches_pytorch)
{
    enum { N = 5, V = 6, C = 3 };
    float out[N * C], dtable[V * C] = {0};
    nn_embedding_forward(out, EMB_IDS, EMB_TABLE, N, V, C);
    expect_close("embedding out", out, EMB_OUT, LEN(EMB_OUT));
    nn_embedding_backward(dtable, EMB_DOUT, EMB_IDS, N, V, C);
    expect_close("embedding dtable", dtable, EMB_DTABLE, LEN(EMB_DTABLE));
}
