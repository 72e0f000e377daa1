// fuzz_arpa.c: the ARPA reader (ngram_arpa_read) on mutated model files. A file it accepts
// is also scored (every token after the empty context and after <s>), written back and read
// again, so the suffix links, the contexts it adds and the writer see the same input.
#include "tests/fuzz/fuzz.h"

#include <assert.h>
#include <math.h>

#include "ngram/ngram.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    NgramModel m;
    if (ngram_arpa_read(&m, fuzz_file(data, size), UNIT_LINE) != 0) {
        return 0;
    }
    int32_t ctx[NGRAM_MAX_ORDER];
    for (int i = 0; i < NGRAM_MAX_ORDER; i++) {
        ctx[i] = TOK_BOS;
    }
    for (int32_t w = TOK_EOS; w < m.vocab.n; w++) {
        double lp = ngram_logprob(&m, ctx, w);
        assert(!isnan(lp)); // (above 0 is possible: a backoff weight may exceed 1)
    }
    char out[80];
    snprintf(out, sizeof out, "%s.out", fuzz_path);
    if (ngram_arpa_write(&m, out) == 0) {
        NgramModel r;
        int back = ngram_arpa_read(&r, out, UNIT_LINE);
        assert(back == 0); // what the lab writes, the lab reads
        ngram_model_free(&r);
        unlink(out);
    }
    ngram_model_free(&m);
    return 0;
}
