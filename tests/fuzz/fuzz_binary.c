// fuzz_binary.c: the binary model reader (ngram_bin_load) on mutated model.bin files. The
// header's checksum is set to match the mutated header first (ngram_bin_seal), so mutations
// of its sizes and offsets reach the checks behind it instead of stopping at the checksum. A
// file it accepts is scored: every token after <s> and after every other token, and the whole
// distribution, so every lookup runs on the mutated tables.
#include "tests/fuzz/fuzz.h"

#include <assert.h>
#include <math.h>

#include "ngram/ngram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size ? size : 1);
    memcpy(copy, data, size);
    if (size >= NGRAM_BIN_HEADER) {
        ngram_bin_seal(copy);
    }
    NgramModel m;
    int rc = ngram_bin_load(&m, fuzz_file(copy, size), UNIT_LINE);
    free(copy);
    if (rc != 0) {
        return 0;
    }
    int32_t ctx[NGRAM_MAX_ORDER];
    for (int i = 0; i < NGRAM_MAX_ORDER; i++) {
        ctx[i] = TOK_BOS;
    }
    double *probs = malloc((size_t)m.vocab.n * sizeof *probs);
    ngram_distribution(&m, ctx, probs);
    for (int32_t w = TOK_EOS; w < m.vocab.n && w < 256; w++) {
        ngram_logprob(&m, ctx, w);
        ctx[NGRAM_MAX_ORDER - 1] = w;
        ngram_logprob(&m, ctx + NGRAM_MAX_ORDER - (m.order > 1 ? m.order - 1 : 1), w);
    }
    free(probs);
    ngram_model_free(&m);
    return 0;
}
