// test_attention_map.c: the attention maps of a GPT (transformer/attention_map.c) and their
// picture (plots/attention.c).
//
// The maps are checked against what attention is: rows that are probability distributions,
// nothing above the diagonal, and the softmax of q k^T / sqrt(hs) computed here in double,
// for layer 0 from the embeddings and the weights alone (layernorm and c_attn written out),
// for every layer from the q and k the model computed. A prefix's maps are the corner of a
// longer sequence's (causality). The picture is drawn from a tiny random model whose weights
// are scaled up so that the heads attend sharply, with tokens that gnuplot must not misread
// (a quote, a backslash, a space, Chinese), and checked as a PNG of the expected size.
#include "tests/helpers.h"

#include "plots/plots.h"
#include "transformer/gpt.h"

// V 13, context 8, 2 layers of 3 heads of 4 channels, biases, learned positions
static GptConfig small(void)
{
    GptConfig c = {13, 8, 2, 3, 12, 0.0f, 1, GPT_POS_LEARNED, GPT_GELU_EXACT};
    return c;
}

// A model with every parameter drawn N(0, sd) from seed (gpt_init_params' 0.02 would make
// every head nearly uniform: nothing to see, and a weak test)
static void random_model(Gpt *m, const GptConfig *c, int B, int T, uint64_t seed, double sd)
{
    cr_assert_eq(gpt_init(m, c, B, T), 0);
    LabRng rng;
    lab_rng_seed(&rng, seed);
    for (size_t i = 0; i < m->layout.total; i++) {
        m->params[i] = (float)(sd * lab_rng_normal(&rng));
    }
}

static const int32_t IDS[8] = {0, 5, 3, 3, 12, 7, 1, 9};

// The row i (i + 1 weights) of softmax(q k^T / sqrt(hs)) over keys 0..i, in double:
// q (hs) of query i, k the keys with row stride ld.
static void softmax_row(double *p, const float *q, const float *k, size_t ld, int i, int hs)
{
    double mx = -INFINITY;
    for (int j = 0; j <= i; j++) {
        double s = 0.0;
        for (int d = 0; d < hs; d++) {
            s += (double)q[d] * k[(size_t)j * ld + d];
        }
        p[j] = s / sqrt((double)hs);
        mx = fmax(mx, p[j]);
    }
    double sum = 0.0;
    for (int j = 0; j <= i; j++) {
        p[j] = exp(p[j] - mx);
        sum += p[j];
    }
    for (int j = 0; j <= i; j++) {
        p[j] /= sum;
    }
}

// --- the weights ------------------------------------------------------------------------------

Test(attention_map, rows_sum_to_one_and_nothing_lies_above_the_diagonal)
{
    GptConfig c = small();
    Gpt m;
    random_model(&m, &c, 1, c.T, 1, 0.5);
    const int n = 7;
    float *att = lab_malloc((size_t)c.L * c.NH * n * n * sizeof *att);
    cr_assert_eq(gpt_attention_map(att, &m, IDS, n), 0);
    for (int lh = 0; lh < c.L * c.NH; lh++) {
        for (int i = 0; i < n; i++) {
            const float *row = att + ((size_t)lh * n + i) * n;
            double sum = 0.0;
            for (int j = 0; j < n; j++) {
                if (j > i) {
                    cr_assert_eq(row[j], 0.0f, "layer %d head %d: query %d gives key %d (a later "
                                 "position) %g", lh / c.NH, lh % c.NH, i, j, row[j]);
                } else {
                    cr_assert(row[j] >= 0.0f && row[j] <= 1.0f, "weight %g", row[j]);
                }
                sum += row[j];
            }
            cr_assert(fabs(sum - 1.0) < 1e-5, "layer %d head %d row %d sums to %.9g", lh / c.NH,
                      lh % c.NH, i, sum);
        }
        // the first query can only look at itself
        cr_assert_eq(att[(size_t)lh * n * n], 1.0f);
    }
    free(att);
    gpt_free(&m);
}

Test(attention_map, layer_0_is_the_softmax_of_q_k_from_the_weights)
{
    GptConfig c = small();
    const int C = c.C, NH = c.NH, hs = C / NH, n = 6;
    Gpt m;
    random_model(&m, &c, 1, c.T, 2, 0.5);
    float *att = lab_malloc((size_t)c.L * NH * n * n * sizeof *att);
    cr_assert_eq(gpt_attention_map(att, &m, IDS, n), 0);

    // x = wte[id] + wpe[t]; ln = (x - mean) / sqrt(var + 1e-5) * w + b; qkv = c_attn ln + b
    const GptBlockParams *w = &m.blk[0];
    float *qkv = lab_malloc((size_t)n * 3 * C * sizeof *qkv);
    for (int t = 0; t < n; t++) {
        double x[64], mean = 0.0, var = 0.0;
        for (int i = 0; i < C; i++) {
            x[i] = (double)m.wte[IDS[t] * C + i] + m.wpe[t * C + i];
            mean += x[i] / C;
        }
        for (int i = 0; i < C; i++) {
            var += (x[i] - mean) * (x[i] - mean) / C;
        }
        for (int i = 0; i < C; i++) {
            x[i] = (x[i] - mean) / sqrt(var + 1e-5) * w->ln_1_w[i] + w->ln_1_b[i];
        }
        for (int o = 0; o < 3 * C; o++) {
            double s = w->c_attn_b[o];
            for (int i = 0; i < C; i++) {
                s += (double)w->c_attn_w[o * C + i] * x[i];
            }
            qkv[t * 3 * C + o] = (float)s;
        }
    }
    double p[8];
    for (int h = 0; h < NH; h++) {
        for (int i = 0; i < n; i++) {
            softmax_row(p, qkv + i * 3 * C + h * hs, qkv + C + h * hs, 3 * C, i, hs);
            for (int j = 0; j <= i; j++) {
                float got = att[((size_t)h * n + i) * n + j];
                cr_assert(fabs(got - p[j]) < 2e-5, "layer 0 head %d: att[%d][%d] = %.7f, "
                          "softmax(q k^T / sqrt(hs)) gives %.7f", h, i, j, got, p[j]);
            }
        }
    }
    free(qkv);
    free(att);
    gpt_free(&m);
}

Test(attention_map, every_layer_is_the_softmax_of_the_models_q_and_k)
{
    GptConfig c = small();
    c.bias = 0;
    c.pos = GPT_POS_SINUSOIDAL;
    const int C = c.C, NH = c.NH, hs = C / NH, n = 8;
    Gpt m;
    // a batch of 2 rows of the full context: the map reads row 0
    random_model(&m, &c, 2, c.T, 3, 0.4);
    float *att = lab_malloc((size_t)c.L * NH * n * n * sizeof *att);
    cr_assert_eq(gpt_attention_map(att, &m, IDS, n), 0);
    double p[8];
    for (int l = 0; l < c.L; l++) {
        const float *qkv = m.acts[l].qkv; // batch row 0: positions 0..n-1
        for (int h = 0; h < NH; h++) {
            for (int i = 0; i < n; i++) {
                softmax_row(p, qkv + i * 3 * C + h * hs, qkv + C + h * hs, 3 * C, i, hs);
                for (int j = 0; j <= i; j++) {
                    float got = att[(((size_t)l * NH + h) * n + i) * n + j];
                    cr_assert(fabs(got - p[j]) < 1e-5, "layer %d head %d: att[%d][%d] = %.7f, "
                              "expected %.7f", l, h, i, j, got, p[j]);
                }
            }
        }
    }
    free(att);
    gpt_free(&m);
}

Test(attention_map, a_prefix_maps_to_the_corner_of_the_longer_sequence)
{
    GptConfig c = small();
    const int NH = c.NH, L = c.L;
    Gpt m;
    random_model(&m, &c, 1, c.T, 4, 0.5);
    float *full = lab_malloc((size_t)L * NH * 8 * 8 * sizeof *full);
    float *pre = lab_malloc((size_t)L * NH * 3 * 3 * sizeof *pre);
    cr_assert_eq(gpt_attention_map(full, &m, IDS, 8), 0);
    cr_assert_eq(gpt_attention_map(pre, &m, IDS, 3), 0);
    for (int lh = 0; lh < L * NH; lh++) {
        for (int i = 0; i < 3; i++) {
            for (int j = 0; j < 3; j++) {
                float a = pre[((size_t)lh * 3 + i) * 3 + j], b = full[((size_t)lh * 8 + i) * 8 + j];
                cr_assert(fabs(a - b) < 1e-6, "map %d [%d][%d]: %.7f alone, %.7f in the longer "
                          "sequence: a later token changed an earlier row", lh, i, j, a, b);
            }
        }
    }
    free(full);
    free(pre);
    gpt_free(&m);
}

Test(attention_map, refuses_a_sequence_longer_than_the_model_or_outside_the_vocabulary)
{
    GptConfig c = small();
    Gpt m;
    random_model(&m, &c, 1, 4, 5, 0.5); // buffers for 4 positions
    float att[2 * 3 * 5 * 5];
    cr_redirect_stderr();
    cr_assert_eq(gpt_attention_map(att, &m, IDS, 5), -1);
    cr_assert_eq(gpt_attention_map(att, &m, IDS, 0), -1);
    const int32_t bad[3] = {1, 13, 2};
    cr_assert_eq(gpt_attention_map(att, &m, bad, 3), -1);
    fflush(stderr);
    cr_assert_stderr_eq_str("lmlab: cannot map the attention of 5 tokens: the model reads 1 to 4\n"
                            "lmlab: cannot map the attention of 0 tokens: the model reads 1 to 4\n"
                            "lmlab: token 1 of the sequence is id 13, outside the vocabulary "
                            "(0 to 12)\n");
    gpt_free(&m);
}

// --- the picture -----------------------------------------------------------------------------

// width and height of the PNG at path, from its IHDR chunk (PNG specification 11.2.2)
static void png_size(const char *path, unsigned *w, unsigned *h)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "'%s' was not written", path);
    unsigned char b[24];
    cr_assert_eq(fread(b, 1, sizeof b, f), sizeof b);
    fclose(f);
    *w = (unsigned)b[16] << 24 | (unsigned)b[17] << 16 | (unsigned)b[18] << 8 | b[19];
    *h = (unsigned)b[20] << 24 | (unsigned)b[21] << 16 | (unsigned)b[22] << 8 | b[23];
}

static char *slurp(const char *dir, const char *name)
{
    char *p = lab_path_join(dir, name), *data;
    size_t len;
    cr_assert_eq(lab_read_file(p, &data, &len, 0), 0, "cannot read '%s'", p);
    free(p);
    return data;
}

Test(attention_map, draws_every_head_of_a_layer_with_awkward_tokens_as_labels)
{
    if (!plot_gnuplot_available()) {
        cr_skip_test("gnuplot is not installed ('make deps' installs gnuplot-nox)");
    }
    GptConfig c = small();
    c.T = 8;
    c.NH = 4;
    Gpt m;
    random_model(&m, &c, 1, c.T, 6, 0.6);
    const int n = 8, NH = c.NH;
    float *att = lab_malloc((size_t)c.L * NH * n * n * sizeof *att);
    cr_assert_eq(gpt_attention_map(att, &m, IDS, n), 0);
    char *tokens[8] = {"<s>", "e", "'", "\"", "\\", "\\s", "李", "a b"};
    char *dir = test_tmpdir();
    for (int l = 0; l < c.L; l++) {
        char *name = lab_asprintf("layer%d", l);
        char *title = lab_asprintf("random model, layer %d: 'it''s' \\ 李白", l);
        cr_assert_eq(plot_attention_write(dir, name, title, tokens,
                                          att + (size_t)l * NH * n * n, NH, n, PLOT_PNG), 0);
        char *png = lab_asprintf("%s/%s.png", dir, name);
        cr_assert_eq(plot_png_check(png), 0);
        unsigned w, h;
        png_size(png, &w, &h);
        // four panels of 8 cells of 44 pixels (side 352) in one row, wider than tall
        cr_assert(w > 4 * 352 && h > 352 && w > h, "'%s' is %ux%u", png, w, h);
        free(png);
        free(name);
        free(title);
    }
    // the labels reach gnuplot as strings that read back as written (a lone quote as "'")
    char *gp = slurp(dir, "layer0.gp");
    cr_assert_not_null(strstr(gp, "\"'\" 2"), "the quote token is not quoted: %s", gp);
    cr_assert_not_null(strstr(gp, "'\"' 3"));
    cr_assert_not_null(strstr(gp, "'\\' 4"));
    cr_assert_not_null(strstr(gp, "'李' 6"));
    cr_assert_not_null(strstr(gp, "set cbrange [0:1]"));
    // the data: one block per head, row 1 of head 0 as the model computed it
    char *dat = slurp(dir, "layer0.dat");
    cr_assert_not_null(strstr(dat, "# head 3\n"));
    char *row = strstr(dat, "# head 0\n") + strlen("# head 0\n");
    row = strchr(row, '\n') + 1;
    double a0, a1, a2;
    cr_assert_eq(sscanf(row, "%lf %lf %lf", &a0, &a1, &a2), 3);
    cr_assert((float)a0 == att[n] && (float)a1 == att[n + 1] && a2 == 0.0, "row 1: %g %g %g", a0,
              a1, a2);
    free(gp);
    free(dat);
    free(att);
    free(dir);
    gpt_free(&m);
}

Test(attention_map, a_prompt_of_40_tokens_gives_one_readable_picture)
{
    if (!plot_gnuplot_available()) {
        cr_skip_test("gnuplot is not installed ('make deps' installs gnuplot-nox)");
    }
    GptConfig c = {27, 40, 1, 2, 16, 0.0f, 1, GPT_POS_LEARNED, GPT_GELU_TANH};
    Gpt m;
    random_model(&m, &c, 1, c.T, 7, 0.6);
    const int n = 40;
    int32_t ids[40];
    char *tokens[40];
    const char *text = "the time traveller (for so it will be c";
    for (int i = 0; i < n; i++) {
        ids[i] = i == 0 ? 0 : 1 + i % 26;
        tokens[i] = i == 0 ? lab_strdup("<s>")
                           : text[i - 1] == ' ' ? lab_strdup("\\s") : lab_strndup(text + i - 1, 1);
    }
    float *att = lab_malloc((size_t)c.NH * n * n * sizeof *att);
    cr_assert_eq(gpt_attention_map(att, &m, ids, n), 0);
    char *dir = test_tmpdir();
    cr_assert_eq(plot_attention_write(dir, "layer0", "random model: 40 characters", tokens, att,
                                      c.NH, n, PLOT_PNG), 0);
    char *png = lab_path_join(dir, "layer0.png");
    cr_assert_eq(plot_png_check(png), 0);
    unsigned w, h;
    png_size(png, &w, &h);
    // a cell of 17 pixels: each panel 680 pixels square
    cr_assert(w > 2 * 680 && h > 680, "'%s' is %ux%u", png, w, h);
    for (int i = 0; i < n; i++) {
        free(tokens[i]);
    }
    free(png);
    free(att);
    free(dir);
    gpt_free(&m);
}

Test(attention_map, focus_averages_the_diagonal_the_one_below_and_the_first_column)
{
    // queries 1 and 2 (query 0 is left out): self (0.25 + 0.5) / 2, previous (0.75 + 0.3) / 2,
    // first (0.75 + 0.2) / 2
    const float att[9] = {1, 0, 0, 0.75f, 0.25f, 0, 0.2f, 0.3f, 0.5f};
    double self, prev, first;
    gpt_attention_focus(att, 3, &self, &prev, &first);
    cr_assert(fabs(self - 0.375) < 1e-7 && fabs(prev - 0.525) < 1e-7 && fabs(first - 0.475) < 1e-7,
              "self %g, previous %g, first %g", self, prev, first);
    gpt_attention_focus(att, 1, &self, &prev, &first);
    cr_assert(isnan(self) && isnan(prev) && isnan(first));
}
