// fuzz_bpe.c: byte-level BPE on mutated input. The first byte chooses:
//   even  the rest is a merges.txt for bpe_load; a tokenizer it accepts encodes the same bytes
//         and must decode them back exactly
//   odd   the rest is a training text: bpe_train to 257 + (second byte % 64) tokens, then the
//         text must round-trip, and the saved tokenizer must load with the same merges
#include "tests/fuzz/fuzz.h"

#include <assert.h>
#include <sys/stat.h>

#include "datasets/datasets.h"

static char dir[64];

static void cleanup(void)
{
    char p[96];
    snprintf(p, sizeof p, "%s/merges.txt", dir);
    unlink(p);
    snprintf(p, sizeof p, "%s/vocab.txt", dir);
    unlink(p);
    rmdir(dir);
}

static void round_trip(Bpe *b, const char *s, size_t n)
{
    int32_t *ids;
    size_t nids;
    assert(bpe_encode(b, s, n, &ids, &nids) == 0);
    char *out = NULL;
    size_t len = 0, cap = 0;
    assert(bpe_decode(b, ids, nids, &out, &len, &cap) == 0);
    assert(len == n && (n == 0 || memcmp(out, s, n) == 0));
    free(out);
    free(ids);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!dir[0]) {
        const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(dir, sizeof dir, "%s/lmlab-fuzz-bpe-XXXXXX", base);
        if (!mkdtemp(dir)) {
            perror("mkdtemp");
            abort();
        }
        atexit(cleanup);
    }
    if (size < 2) {
        return 0;
    }
    const char *s = (const char *)data + 2;
    size_t n = size - 2;
    Bpe b;
    if (data[0] % 2 == 0) {
        char p[96];
        snprintf(p, sizeof p, "%s/merges.txt", dir);
        FILE *f = fopen(p, "wb");
        if (!f || fwrite(s, 1, n, f) != n || fclose(f) != 0) {
            abort();
        }
        if (bpe_load(&b, dir) != 0) {
            return 0;
        }
        round_trip(&b, s, n);
        bpe_free(&b);
        return 0;
    }
    const char *special[] = {BPE_ENDOFTEXT};
    assert(bpe_init(&b, data[0] % 4 == 1 ? BPE_GPT2 : BPE_GPT4, special, 1) == 0);
    assert(bpe_train(&b, s, n, 257 + data[1] % 64) == 0);
    round_trip(&b, s, n);
    assert(bpe_save(&b, dir) == 0);
    Bpe r;
    assert(bpe_load(&r, dir) == 0);
    assert(r.nmerges == b.nmerges && r.split == b.split);
    assert(memcmp(r.merges, b.merges, (size_t)b.nmerges * sizeof *b.merges) == 0);
    bpe_free(&r);
    bpe_free(&b);
    return 0;
}
