// fuzz_vectors.c: the word2vec text-format reader (w2v_vectors_read) on mutated vectors
// files. A file it accepts is normalized and searched for the neighbours of its first word.
#include "tests/fuzz/fuzz.h"

#include "nn/word2vec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    W2vVectors v;
    if (w2v_vectors_read(&v, fuzz_file(data, size)) != 0) {
        return 0;
    }
    w2v_vectors_normalize(&v);
    W2vHit hits[3];
    w2v_nearest(hits, 3, &v, v.vec, NULL, 0);
    (void)w2v_vectors_find(&v, v.word[v.V - 1]);
    w2v_vectors_free(&v);
    return 0;
}
