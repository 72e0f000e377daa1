// bpe_text.c: byte-level BPE tokens in the text pipeline, as printable strings.
//
// A Vocab, an ARPA file and `--per-token` listings hold one whitespace-free string per token.
// A BPE token is bytes, any bytes (a space, a newline, half of a Chinese character), so each
// byte is spelled by GPT-2's byte-to-unicode map (openai/gpt-2 encoder.py, bytes_to_unicode):
// the printable bytes stand for themselves, the others for U+0100 onwards. The map is one to
// one, so a string turns back into the exact bytes. What this file leaves out: the merges
// themselves (bpe.c) and the ids of the vocabulary (vocab.c, corpus.c).
#include "datasets.h"

#include <stdlib.h>
#include <string.h>

// --- GPT-2's byte-to-unicode map --------------------------------------------------------------

// 1 for the 188 bytes GPT-2 keeps as they are: '!'..'~', U+00A1..U+00AC, U+00AE..U+00FF
static int byte_printable(unsigned b)
{
    return (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
}

uint32_t bpe_byte_char(unsigned char b)
{
    if (byte_printable(b)) {
        return b;
    }
    // rank among the 68 others, in byte order: 0x00..0x20 are 0..32, 0x7F..0xA0 are 33..66,
    // 0xAD is 67
    uint32_t k = b <= 0x20 ? b : b <= 0xA0 ? 33u + (b - 0x7Fu) : 67u;
    return 0x100 + k;
}

int bpe_char_byte(uint32_t cp)
{
    if (cp < 0x100) {
        return byte_printable(cp) ? (int)cp : -1;
    }
    if (cp > 0x100 + 67) {
        return -1;
    }
    uint32_t k = cp - 0x100;
    return k <= 32 ? (int)k : k <= 66 ? (int)(0x7F + k - 33) : 0xAD;
}

size_t bpe_bytes_string(const char *s, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        o += (size_t)utf8_encode(bpe_byte_char((unsigned char)s[i]), out + o);
    }
    return o;
}

long bpe_string_bytes(char *s, size_t n)
{
    // check first, so that a string that is not one is left as it is
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        int k = utf8_decode((const unsigned char *)s + i, n - i, &cp);
        if (k < 0 || bpe_char_byte(cp) < 0) {
            return -1;
        }
        i += (size_t)k;
    }
    size_t o = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += (size_t)utf8_decode((const unsigned char *)s + i, n - i, &cp);
        s[o++] = (char)bpe_char_byte(cp);
    }
    return (long)o;
}

// --- the tokenizer --------------------------------------------------------------------------

// every token's string into t->bstr / t->boff, after the merges are known
static void make_strings(Tokenizer *t)
{
    const Bpe *b = t->bpe;
    free(t->bstr);
    free(t->boff);
    // a mapped byte is at most 2 bytes of UTF-8 (U+0143 at most)
    t->bstr = lab_malloc(2 * (size_t)b->off[b->n] + 1);
    t->boff = lab_malloc(((size_t)b->n + 1) * sizeof *t->boff);
    uint32_t o = 0;
    for (int32_t id = 0; id < b->n; id++) {
        t->boff[id] = o;
        o += (uint32_t)bpe_bytes_string(b->bytes + b->off[id], b->off[id + 1] - b->off[id],
                                        t->bstr + o);
    }
    t->boff[b->n] = o;
}

void tok_init_bpe(Tokenizer *t, Bpe *b, int lowercase)
{
    memset(t, 0, sizeof *t);
    t->kind = TOK_BPE;
    t->lowercase = lowercase;
    t->bpe = b;
    make_strings(t);
}

const char *tok_bpe_token(const Tokenizer *t, int32_t id, size_t *len)
{
    *len = t->boff[id + 1] - t->boff[id];
    return t->bstr + t->boff[id];
}

int tok_bpe_train(Tokenizer *t, const char *text, size_t n)
{
    if (t->lowercase) {
        text = tok_lowercase(t, text, n, &n);
    }
    int32_t want = t->bpe_pending;
    double t0 = lab_now();
    if (bpe_train(t->bpe, text, n, want) != 0) {
        return -1;
    }
    t->bpe_pending = 0;
    make_strings(t);
    lab_note("trained byte-level BPE (%s split): %d tokens = 256 bytes + %d merges + %d "
             "special, in %.2f s%s",
             t->bpe->split == BPE_GPT4 ? "GPT-4" : "GPT-2", t->bpe->n, t->bpe->nmerges,
             t->bpe->nspecial, lab_now() - t0,
             t->bpe->n < want ? " (no pair was left to merge)" : "");
    return 0;
}
