// sample.c: drawing text from an n-gram model.
//
// The model gives the distribution of the next token after the last order-1 tokens; the lab's
// sampler (lab/sample.c) applies temperature, top-k and top-p and draws. Detokenizing is the
// vocabulary's (vocab_print_tokens).
#include "ngram.h"

#include <stdlib.h>
#include <string.h>

int32_t ngram_sample_next(const NgramModel *m, const int32_t *context, const LabSampling *s,
                          LabRng *rng, double *probs, int32_t *order_buf)
{
    ngram_distribution(m, context, probs);
    probs[TOK_UNK] = 0.0; // a sample that says "<unk>" teaches nothing
    int32_t n = lab_sample_filter(probs, m->vocab.n, s, order_buf);
    if (n == 0) {
        return TOK_EOS; // nothing can follow: end the sequence
    }
    return lab_sample_draw(probs, order_buf, n, s, rng);
}

// the context after w: the last order-1 tokens, oldest first
static void push(int32_t *ctx, int N, int32_t w)
{
    if (N > 1) {
        memmove(ctx, ctx + 1, (size_t)(N - 2) * sizeof *ctx);
        ctx[N - 2] = w;
    }
}

void ngram_generate(FILE *f, const NgramModel *m, TokKind kind, const int32_t *prompt,
                    long nprompt, long ntokens, const LabSampling *s, LabRng *rng)
{
    int N = m->order;
    int32_t V = m->vocab.n;
    double *probs = lab_malloc((size_t)V * sizeof *probs);
    int32_t *order_buf = lab_malloc((size_t)V * sizeof *order_buf);
    int32_t *line = lab_malloc((size_t)(nprompt + ntokens + 1) * sizeof *line);
    int32_t ctx[NGRAM_MAX_ORDER];
    for (int j = 0; j < N - 1; j++) {
        ctx[j] = TOK_BOS;
    }
    long n = 0;
    for (long i = 0; i < nprompt; i++) {
        line[n++] = prompt[i];
        push(ctx, N, prompt[i]);
    }
    for (long t = 0; t < ntokens; t++) {
        int32_t w = ngram_sample_next(m, ctx, s, rng, probs, order_buf);
        if (w == TOK_EOS) {
            break; // the end of the sequence
        }
        line[n++] = w;
        push(ctx, N, w);
    }
    vocab_print_tokens(f, &m->vocab, line, n, kind);
    fputc('\n', f);
    free(probs);
    free(order_buf);
    free(line);
}
