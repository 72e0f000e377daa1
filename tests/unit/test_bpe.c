// test_bpe.c: byte-level BPE: a training worked by hand, minbpe's merges and encodings (the
// fixture of tests/fixtures/bpe/make_bpe_fixture.py), GPT-2's pre-tokenizer chunks, exact
// round trips on English, Chinese and random bytes, and the files.
#include "tests/helpers.h"

#include "datasets/datasets.h"

static const char *const EOT[] = {BPE_ENDOFTEXT};

static void init(Bpe *b)
{
    cr_assert_eq(bpe_init(b, BPE_GPT2, EOT, 1), 0);
}

static char *read_all(const char *rel, size_t *len)
{
    char *p = test_path(rel), *data;
    cr_assert_eq(lab_read_file(p, &data, len, 0), 0, "cannot read %s", p);
    free(p);
    return data;
}

// encodes s[0..n) and checks that decoding gives the same bytes back; returns the id count
static size_t round_trip(Bpe *b, const char *s, size_t n)
{
    int32_t *ids;
    size_t nids;
    cr_assert_eq(bpe_encode(b, s, n, &ids, &nids), 0);
    char *out = NULL;
    size_t len = 0, cap = 0;
    cr_assert_eq(bpe_decode(b, ids, nids, &out, &len, &cap), 0);
    cr_assert_eq(len, n, "decoded %zu bytes, expected %zu", len, n);
    cr_assert(n == 0 || memcmp(out, s, n) == 0, "decoded bytes differ from the input");
    free(out);
    free(ids);
    return nids;
}

// --- training -------------------------------------------------------------------------------

// The example of Wikipedia's "Byte pair encoding": aaabdaaabac. Pair counts aa 4, ab 2, the
// rest 1: aa -> Z (256). ZabdZabac: Za 2 and ab 2 tie, the lower first id wins: ab -> Y (257).
// ZYdZYac: ZY 2 -> X (258). XdXac: four pairs of count 1, the lowest first id is a (97): ac.
Test(bpe, trains_the_wikipedia_example_by_hand)
{
    Bpe b;
    init(&b);
    cr_assert_eq(bpe_train(&b, "aaabdaaabac", 11, 256 + 4 + 1), 0);
    cr_assert_eq(b.nmerges, 4);
    cr_assert_eq(b.n, 261);
    const BpePair want[] = {{'a', 'a'}, {'a', 'b'}, {256, 257}, {'a', 'c'}};
    for (int i = 0; i < 4; i++) {
        cr_assert(b.merges[i].a == want[i].a && b.merges[i].b == want[i].b,
                  "merge %d is (%d, %d), expected (%d, %d)", i, b.merges[i].a, b.merges[i].b,
                  want[i].a, want[i].b);
    }
    cr_assert_eq(b.off[259] - b.off[258], 4);
    cr_assert(memcmp(b.bytes + b.off[258], "aaab", 4) == 0);
    cr_assert_eq(b.off[261] - b.off[260], strlen(BPE_ENDOFTEXT)); // the special token, last
    cr_assert(memcmp(b.bytes + b.off[260], BPE_ENDOFTEXT, strlen(BPE_ENDOFTEXT)) == 0);
    int32_t *ids;
    size_t n;
    cr_assert_eq(bpe_encode(&b, "aaabdaaabac", 11, &ids, &n), 0);
    cr_assert_eq(n, 4); // X d X ac
    cr_assert(ids[0] == 258 && ids[1] == 'd' && ids[2] == 258 && ids[3] == 259);
    free(ids);
    bpe_free(&b);
}

Test(bpe, overlapping_pairs_count_and_merge_from_the_left)
{
    // "aaaa" holds aa three times (overlapping, as minbpe counts); merging from the left gives
    // ZZ, so the next merge is ZZ
    Bpe b;
    init(&b);
    cr_assert_eq(bpe_train(&b, "aaaa", 4, 256 + 2 + 1), 0);
    cr_assert_eq(b.nmerges, 2);
    cr_assert(b.merges[0].a == 'a' && b.merges[0].b == 'a');
    cr_assert(b.merges[1].a == 256 && b.merges[1].b == 256);
    bpe_free(&b);
}

Test(bpe, stops_when_every_chunk_is_one_token)
{
    Bpe b;
    init(&b);
    cr_assert_eq(bpe_train(&b, "ab ab ab", 8, 1000), 0);
    // chunks "ab", " ab": merges ab, then " " + ab
    cr_assert_eq(b.nmerges, 2);
    cr_assert_eq(b.n, 256 + 2 + 1);
    bpe_free(&b);
}

Test(bpe, refuses_a_vocabulary_without_room_for_bytes_and_specials)
{
    Bpe b;
    init(&b);
    cr_redirect_stderr();
    cr_assert_eq(bpe_train(&b, "abc", 3, 256), -1);
    bpe_free(&b);
}

static int32_t *read_ids(const char *rel, size_t *n)
{
    size_t len;
    char *s = read_all(rel, &len), *p = s;
    int32_t *ids = lab_malloc((len / 2 + 1) * sizeof *ids);
    *n = 0;
    for (;;) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p) {
            break;
        }
        ids[(*n)++] = (int32_t)v;
        p = end;
    }
    free(s);
    return ids;
}

// the C trainer and encoder against minbpe's algorithm in Python, on the same text
static void check_minbpe(const char *name, int32_t vocab)
{
    char *dir = lab_asprintf("tests/fixtures/bpe/%s", name);
    char *in = lab_asprintf("%s/input.txt", dir);
    size_t len;
    char *text = read_all(in, &len);
    Bpe b, ref;
    init(&b);
    cr_assert_eq(bpe_train(&b, text, len, vocab), 0);
    char *full = test_path(dir);
    cr_assert_eq(bpe_load(&ref, full), 0);
    cr_assert_eq(b.nmerges, ref.nmerges, "%s: %d merges, minbpe made %d", name, b.nmerges,
                 ref.nmerges);
    for (int32_t i = 0; i < b.nmerges; i++) {
        cr_assert(b.merges[i].a == ref.merges[i].a && b.merges[i].b == ref.merges[i].b,
                  "%s: merge %d is (%d, %d), minbpe's is (%d, %d)", name, 256 + i,
                  b.merges[i].a, b.merges[i].b, ref.merges[i].a, ref.merges[i].b);
    }
    char *idsp = lab_asprintf("%s/ids.txt", dir);
    size_t nwant;
    int32_t *want = read_ids(idsp, &nwant);
    int32_t *ids;
    size_t n;
    cr_assert_eq(bpe_encode(&b, text, len, &ids, &n), 0);
    cr_assert_eq(n, nwant, "%s: %zu ids, minbpe's encode gave %zu", name, n, nwant);
    for (size_t i = 0; i < n; i++) {
        cr_assert_eq(ids[i], want[i], "%s: id %zu is %d, minbpe's is %d", name, i, ids[i],
                     want[i]);
    }
    free(ids);
    free(want);
    free(idsp);
    bpe_free(&ref);
    bpe_free(&b);
    free(full);
    free(text);
    free(in);
    free(dir);
}

Test(bpe, merges_and_ids_equal_minbpe_on_english)
{
    check_minbpe("timemachine_512", 512);
}

Test(bpe, merges_and_ids_equal_minbpe_on_chinese)
{
    check_minbpe("tangpoems_384", 384);
}

// --- pre-tokenizer --------------------------------------------------------------------------

typedef struct {
    char **chunk;
    size_t *len;
    int n;
} Chunks;

static void collect(const char *s, size_t n, void *ctx)
{
    Chunks *c = ctx;
    c->chunk = lab_realloc(c->chunk, (size_t)(c->n + 1) * sizeof *c->chunk);
    c->len = lab_realloc(c->len, (size_t)(c->n + 1) * sizeof *c->len);
    c->chunk[c->n] = lab_strndup(s, n);
    c->len[c->n++] = n;
}

static void chunks_free(Chunks *c)
{
    for (int i = 0; i < c->n; i++) {
        free(c->chunk[i]);
    }
    free(c->chunk);
    free(c->len);
    memset(c, 0, sizeof *c);
}

Test(bpe, chunks_equal_gpt2_regex_in_python)
{
    size_t len;
    char *data = read_all("tests/fixtures/bpe/chunks.tsv", &len), *cur = data;
    Bpe b;
    init(&b);
    int cases = 0;
    for (char *s; (s = lab_next_line(&cur));) {
        if (!*s) {
            continue;
        }
        char *c = lab_next_line(&cur);
        cr_assert(s[0] == 'S' && c && c[0] == 'C', "chunks.tsv: S and C lines alternate");
        size_t n = tok_unescape(s + 2);
        Chunks got = {0};
        cr_assert_eq(bpe_chunks(&b, s + 2, n, collect, &got), 0);
        int k = 0;
        for (char *f = c + 2, *tab; f; f = tab ? tab + 1 : NULL, k++) {
            tab = strchr(f, '\t');
            if (tab) {
                *tab = '\0';
            }
            size_t fl = tok_unescape(f);
            cr_assert(k < got.n, "'%s': fewer chunks than Python's", s + 2);
            cr_assert(got.len[k] == fl && memcmp(got.chunk[k], f, fl) == 0,
                      "'%s': chunk %d is '%s', Python's is '%s'", s + 2, k, got.chunk[k], f);
        }
        cr_assert_eq(got.n, k, "'%s': %d chunks, Python's regex gives %d", s + 2, got.n, k);
        chunks_free(&got);
        cases++;
    }
    cr_assert_geq(cases, 10);
    bpe_free(&b);
    free(data);
}

Test(bpe, invalid_utf8_bytes_are_chunks_of_their_own)
{
    Bpe b;
    init(&b);
    Chunks got = {0};
    const char s[] = "ab\xFF" "cd \xE6\x98 x\xC0\xAF";
    cr_assert_eq(bpe_chunks(&b, s, sizeof s - 1, collect, &got), 0);
    const char *want[] = {"ab", "\xFF", "cd", " ", "\xE6", "\x98", " x", "\xC0", "\xAF"};
    cr_assert_eq(got.n, 9, "%d chunks", got.n);
    for (int i = 0; i < 9; i++) {
        cr_assert_str_eq(got.chunk[i], want[i], "chunk %d", i);
    }
    chunks_free(&got);
    bpe_free(&b);
}

Test(bpe, long_chunks_are_cut_at_characters)
{
    // 300 spaces then 100 three-byte characters: \s+ and \p{L}+ match 300 bytes each
    char s[700];
    memset(s, ' ', 300);
    for (int i = 0; i < 100; i++) {
        memcpy(s + 300 + 3 * i, "\xE6\x98\xA5", 3); // 春
    }
    Bpe b;
    init(&b);
    Chunks got = {0};
    cr_assert_eq(bpe_chunks(&b, s, 600, collect, &got), 0);
    size_t total = 0;
    for (int i = 0; i < got.n; i++) {
        cr_assert_leq(got.len[i], BPE_CHUNK_MAX);
        cr_assert_eq(lab_utf8_seq((const unsigned char *)got.chunk[i], got.len[i]) > 0, 1);
        total += got.len[i];
    }
    cr_assert_eq(total, 600);
    // Python's regex gives 299 spaces (\s+(?!\S)), then " 春春..." (301 bytes); byte 256 of
    // the second starts a character, so it is cut there
    cr_assert_eq(got.n, 4, "%d chunks", got.n);
    cr_assert_eq(got.len[0], 256);
    cr_assert_eq(got.len[1], 43);
    cr_assert_eq(got.len[2], 256);
    cr_assert_eq(got.len[3], 45);
    chunks_free(&got);
    // 春 alone: byte 256 is inside the 86th character, so the cut goes back to byte 255
    cr_assert_eq(bpe_chunks(&b, s + 300, 300, collect, &got), 0);
    cr_assert_eq(got.n, 2, "%d chunks", got.n);
    cr_assert_eq(got.len[0], 255);
    cr_assert_eq(got.len[1], 45);
    chunks_free(&got);
    bpe_free(&b);
}

// --- round trips ----------------------------------------------------------------------------

static void dataset_round_trip(const char *name, int32_t vocab)
{
    char *tr = lab_asprintf("datasets/%s/train.txt", name);
    char *va = lab_asprintf("datasets/%s/valid.txt", name);
    size_t n1, n2;
    char *train = read_all(tr, &n1), *valid = read_all(va, &n2);
    Bpe b;
    init(&b);
    cr_assert_eq(bpe_train(&b, train, n1, vocab), 0);
    cr_assert_eq(b.n, vocab);
    size_t nids = round_trip(&b, valid, n2);
    cr_assert_lt(nids, n2, "%s: BPE should compress (%zu ids for %zu bytes)", name, nids, n2);
    bpe_free(&b);
    free(train);
    free(valid);
    free(tr);
    free(va);
}

Test(bpe, round_trips_english_exactly)
{
    dataset_round_trip("timemachine", 1024);
}

Test(bpe, round_trips_chinese_exactly)
{
    dataset_round_trip("tangpoems", 1024);
}

Test(bpe, round_trips_random_bytes_and_invalid_utf8)
{
    LabRng rng;
    lab_rng_seed(&rng, 7);
    size_t n = 1 << 16;
    char *s = lab_malloc(n);
    for (size_t i = 0; i < n; i++) {
        // half the bytes from a few letters, so merges are learned, half anything at all
        s[i] = lab_rng_below(&rng, 2) ? "ab \n"[lab_rng_below(&rng, 4)]
                                      : (char)lab_rng_below(&rng, 256);
    }
    Bpe b;
    init(&b);
    cr_assert_eq(bpe_train(&b, s, n / 2, 400), 0);
    cr_assert_gt(b.nmerges, 0);
    round_trip(&b, s, n);
    round_trip(&b, "\xFF\xFE\x00\x80 abc \xF4\x90\x80\x80", 14);
    round_trip(&b, "", 0);
    // a model trained on English meets binary bytes
    Bpe e;
    init(&e);
    size_t len;
    char *text = read_all("tests/fixtures/bpe/timemachine_512/input.txt", &len);
    cr_assert_eq(bpe_train(&e, text, len, 600), 0);
    round_trip(&e, s, n);
    free(text);
    bpe_free(&e);
    bpe_free(&b);
    free(s);
}

Test(bpe, special_tokens_are_matched_before_the_split)
{
    Bpe b;
    init(&b);
    cr_assert_eq(bpe_train(&b, "hello world hello world", 23, 300), 0);
    const char *s = "hello<|endoftext|>world<|endoftext|>";
    int32_t *ids;
    size_t n;
    cr_assert_eq(bpe_encode(&b, s, strlen(s), &ids, &n), 0);
    int32_t eot = b.n - 1, seen = 0;
    for (size_t i = 0; i < n; i++) {
        seen += ids[i] == eot;
    }
    cr_assert_eq(seen, 2, "<|endoftext|> is one token each time");
    cr_assert_eq(ids[n - 1], eot);
    // training ran out of pairs, so every chunk it saw is one token: "hello" is
    cr_assert_eq(b.off[ids[0] + 1] - b.off[ids[0]], 5);
    cr_assert(memcmp(b.bytes + b.off[ids[0]], "hello", 5) == 0);
    cr_assert_eq(ids[1], eot);
    free(ids);
    round_trip(&b, s, strlen(s));
    round_trip(&b, "<|endoftext", 11); // not a special token: bytes
    bpe_free(&b);
}

Test(bpe, decode_refuses_an_id_out_of_range)
{
    Bpe b;
    init(&b);
    int32_t ids[] = {104, 257};
    char *out = NULL;
    size_t len = 0, cap = 0;
    cr_redirect_stderr();
    cr_assert_eq(bpe_decode(&b, ids, 2, &out, &len, &cap), -1);
    free(out);
    bpe_free(&b);
}

Test(bpe, escape_shows_partial_characters_as_hex)
{
    char *e = bpe_escape(" a\n\\\xE6\x98\xE6\x98\xA5\x7F", 10);
    cr_assert_str_eq(e, "\\sa\\n\\\\\\xE6\\x98\xE6\x98\xA5\\x7F");
    size_t n = tok_unescape(e);
    cr_assert_eq(n, 10);
    cr_assert(memcmp(e, " a\n\\\xE6\x98\xE6\x98\xA5\x7F", 10) == 0);
    free(e);
}

// --- files ----------------------------------------------------------------------------------

Test(bpe, save_then_load_gives_the_same_tokenizer)
{
    size_t len;
    char *text = read_all("datasets/tangpoems/valid.txt", &len);
    Bpe b, c;
    init(&b);
    cr_assert_eq(bpe_train(&b, text, len, 500), 0);
    char *dir = test_tmpdir();
    char *out = lab_path_join(dir, "tok");
    cr_assert_eq(bpe_save(&b, out), 0);
    cr_assert_eq(bpe_load(&c, out), 0);
    cr_assert_eq(c.n, b.n);
    cr_assert_eq(c.nmerges, b.nmerges);
    cr_assert(memcmp(c.merges, b.merges, (size_t)b.nmerges * sizeof *b.merges) == 0);
    cr_assert(memcmp(c.off, b.off, ((size_t)b.n + 1) * sizeof *b.off) == 0);
    cr_assert(memcmp(c.bytes, b.bytes, b.off[b.n]) == 0);
    cr_assert_str_eq(c.special[0], BPE_ENDOFTEXT);
    char *vocab = lab_path_join(out, "vocab.txt"), *v;
    size_t vn;
    cr_assert_eq(lab_read_file(vocab, &v, &vn, 0), 0);
    cr_assert(strstr(v, "32\t\\s\n"), "vocab.txt shows a space as \\s");
    cr_assert(strstr(v, "\t<|endoftext|>\n"));
    free(v);
    free(vocab);
    bpe_free(&c);
    bpe_free(&b);
    free(out);
    free(dir);
    free(text);
}

// writes merges.txt with the given text into a fresh directory, loads it: -1, and the message
// holds `want`
static void refused(const char *content, const char *want)
{
    char *dir = test_tmpdir();
    char *p = test_write(dir, "merges.txt", content, strlen(content));
    char *log = lab_path_join(dir, "stderr");
    fflush(stderr);
    FILE *saved = stderr;
    stderr = fopen(log, "w");
    Bpe b;
    int rc = bpe_load(&b, dir);
    fclose(stderr);
    stderr = saved;
    char *msg;
    size_t n;
    cr_assert_eq(lab_read_file(log, &msg, &n, 0), 0);
    cr_assert_eq(rc, -1, "loaded a bad merges.txt:\n%s", content);
    cr_assert(strstr(msg, want), "message lacks '%s':\n%s", want, msg);
    cr_assert(strstr(msg, "merges.txt"), "message does not name the file:\n%s", msg);
    free(msg);
    free(log);
    free(p);
    free(dir);
}

Test(bpe, bad_merges_files_are_refused_with_the_line)
{
    refused("", "where 'lmlab bpe v1' was expected");
    refused("lmlab bpe v2\n", "line 1: 'lmlab bpe v2' where 'lmlab bpe v1'");
    refused("lmlab bpe v1\nsplit gpt3\nmerges 0\nspecial 0\n", "line 2");
    refused("lmlab bpe v1\nsplit gpt2\nmerges -1\nspecial 0\n", "line 3");
    refused("lmlab bpe v1\nsplit gpt2\nmerges 999999999\nspecial 0\n", "line 3");
    refused("lmlab bpe v1\nsplit gpt2\nmerges 0\nspecial 65\n", "line 4");
    // the counts against the lines, before allocating
    refused("lmlab bpe v1\nsplit gpt2\nmerges 3\nspecial 0\n97 97 256\n",
            "declares 3 merges and 0 special tokens but has 1 lines");
    refused("lmlab bpe v1\nsplit gpt2\nmerges 1\nspecial 0\n97 97 256\n\n", "has 2 lines");
    // ids: a later id, a wrong new id, garbage, out of range
    refused("lmlab bpe v1\nsplit gpt2\nmerges 2\nspecial 0\n97 257 256\n97 97 257\n",
            "line 5: '97 257 256' is not a merge");
    refused("lmlab bpe v1\nsplit gpt2\nmerges 1\nspecial 0\n97 97 300\n", "line 5");
    refused("lmlab bpe v1\nsplit gpt2\nmerges 1\nspecial 0\n97 97 256 x\n", "line 5");
    refused("lmlab bpe v1\nsplit gpt2\nmerges 1\nspecial 0\n-1 97 256\n", "line 5");
    refused("lmlab bpe v1\nsplit gpt2\nmerges 1\nspecial 0\n97  97 256\n", "line 5");
    refused("lmlab bpe v1\nsplit gpt2\nmerges 1\nspecial 0\n99999999999999999999 97 256\n",
            "line 5");
    // specials: a wrong id, empty, repeated
    refused("lmlab bpe v1\nsplit gpt2\nmerges 0\nspecial 1\n257 <|endoftext|>\n", "line 5");
    refused("lmlab bpe v1\nsplit gpt2\nmerges 0\nspecial 1\n256 \n", "line 5");
    refused("lmlab bpe v1\nsplit gpt2\nmerges 0\nspecial 2\n256 x\n257 x\n", "repeated");
    // tokens longer than a chunk: nine doublings of "a" make 512 bytes
    refused("lmlab bpe v1\nsplit gpt2\nmerges 9\nspecial 0\n97 97 256\n256 256 257\n"
            "257 257 258\n258 258 259\n259 259 260\n260 260 261\n261 261 262\n262 262 263\n"
            "263 263 264\n",
            "line 13: merge 264 would make a token of 512 bytes");
}

Test(bpe, a_directory_without_merges_is_refused)
{
    char *dir = test_tmpdir();
    Bpe b;
    cr_redirect_stderr();
    cr_assert_eq(bpe_load(&b, dir), -1);
    free(dir);
}
