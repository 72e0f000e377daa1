// fuzz_vocab.c: the vocabulary reader (vocab_load) on mutated vocab.txt files. A vocabulary
// it accepts is saved and loaded again: the same ids, tokens and counts must come back.
#include "tests/fuzz/fuzz.h"

#include <assert.h>

#include "datasets/datasets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Vocab v;
    if (vocab_load(&v, fuzz_file(data, size)) != 0) {
        return 0;
    }
    char out[80];
    snprintf(out, sizeof out, "%s.out", fuzz_path);
    if (vocab_save(&v, out) == 0) {
        Vocab r;
        assert(vocab_load(&r, out) == 0);
        assert(r.n == v.n);
        for (int32_t id = 0; id < v.n; id++) {
            assert(r.len[id] == v.len[id] && memcmp(r.str[id], v.str[id], v.len[id]) == 0);
            assert(r.count[id] == v.count[id]);
        }
        vocab_free(&r);
        unlink(out);
    }
    vocab_free(&v);
    return 0;
}
