// test_nn_safetensors.c: the tensor table's layout, and safetensors checkpoints: a round trip,
// the layout byte by byte, a file PyTorch's side wrote (tests/fixtures/torch/
// torch_written.safetensors), and files damaged at every byte, which must be refused with a
// message and never crash or touch the caller's block.
#include "tests/helpers.h"

#include "nn/nn.h"
#include "tests/fixtures/torch/safetensors.inc"

// the test model, as tests/fixtures/torch/make_safetensors.py's TABLE
static const NnTensorSpec TABLE[] = {
    {"wte", 2, {5, 3}, 1, NN_INIT_GPT2, 0, 0},
    {"ln.weight", 1, {3}, 0, NN_INIT_ONES, 0, 0},
    {"ln.bias", 1, {3}, 0, NN_INIT_ZEROS, 0, 0},
    {"head.weight", 2, {4, 3}, 1, NN_INIT_TORCH_LINEAR, 0, 0},
    {"conv", 3, {2, 2, 2}, 1, NN_INIT_KAIMING_UNIFORM, 0, 0},
};
enum { NT = sizeof TABLE / sizeof TABLE[0], TOTAL = 15 + 3 + 3 + 12 + 8 };

static NnParams layout(void)
{
    NnParams p;
    cr_assert_eq(nn_params_layout(&p, TABLE, NT), 0);
    return p;
}

// the fixture's values in table order
static void fixture_block(float *b)
{
    const float *src[NT] = {ST_WTE, ST_LN_WEIGHT, ST_LN_BIAS, ST_HEAD_WEIGHT, ST_CONV};
    const size_t n[NT] = {15, 3, 3, 12, 8};
    for (int i = 0, at = 0; i < NT; at += (int)n[i], i++) {
        memcpy(b + at, src[i], n[i] * sizeof(float));
    }
}

static void test_meta(LabConfig *m)
{
    lab_config_set(m, "step", "5");
    lab_config_set(m, "tokenizer", "char");
    lab_config_set(m, "config", "dim = 3\nname = \"caf\xc3\xa9\"");
}

static char *read_all(const char *path, size_t *n)
{
    char *d;
    cr_assert_eq(lab_read_file(path, &d, n, 0), 0);
    return d;
}

// --- the tensor table -------------------------------------------------------------------------

Test(nn_params, layout_puts_tensors_back_to_back_in_table_order)
{
    NnParams p = layout();
    cr_assert_eq(p.total, TOTAL);
    static const size_t want[NT + 1] = {0, 15, 18, 21, 33, 41};
    for (int i = 0; i <= NT; i++) {
        cr_assert_eq(p.offset[i], want[i], "offset %d is %zu, expected %zu", i, p.offset[i],
                     want[i]);
    }
    float block[TOTAL];
    cr_assert_eq(nn_params_view(&p, block, "ln.bias"), block + 18);
    cr_assert_null(nn_params_view(&p, block, "nope"));
    cr_assert_eq(nn_params_find(&p, "conv"), 4);
    uint8_t mask[TOTAL];
    nn_params_decay_mask(&p, mask);
    for (int i = 0; i < TOTAL; i++) {
        cr_assert_eq(mask[i], i < 15 || i >= 21, "decay mask[%d] = %d", i, mask[i]);
    }
    nn_params_free(&p);
    nn_params_free(&p); // safe twice
}

Test(nn_params, init_follows_each_tensors_scheme)
{
    NnParams p = layout();
    float block[TOTAL];
    LabRng r;
    lab_rng_seed(&r, 1);
    nn_params_init(&p, block, &r);
    for (int i = 15; i < 18; i++) {
        cr_assert_eq(block[i], 1.0f, "ln.weight starts at 1");
        cr_assert_eq(block[i + 3], 0.0f, "ln.bias starts at 0");
    }
    for (int i = 21; i < 33; i++) { // head.weight (4, 3): U(-1/sqrt 3, 1/sqrt 3)
        cr_assert(fabs(block[i]) <= 1 / sqrt(3.0), "head.weight[%d] = %g", i - 21, block[i]);
    }
    for (int i = 33; i < 41; i++) { // conv (2, 2, 2): fan_in 2, U(-sqrt 3, sqrt 3)
        cr_assert(fabs(block[i]) <= sqrt(3.0), "conv[%d] = %g", i - 33, block[i]);
    }
    nn_params_free(&p);
}

Test(nn_params, layout_refuses_a_repeated_name_or_a_bad_shape, .init = cr_redirect_stderr)
{
    NnParams p;
    NnTensorSpec twice[2] = {{"a", 1, {2}, 0, 0, 0, 0}, {"a", 1, {3}, 0, 0, 0, 0}};
    cr_assert_eq(nn_params_layout(&p, twice, 2), -1);
    NnTensorSpec zero[1] = {{"z", 2, {2, 0}, 0, 0, 0, 0}};
    cr_assert_eq(nn_params_layout(&p, zero, 1), -1);
    NnTensorSpec huge[1] = {{"h", 4, {1 << 20, 1 << 20, 1 << 20, 1 << 20}, 0, 0, 0, 0}};
    cr_assert_eq(nn_params_layout(&p, huge, 1), -1);
    nn_params_free(&p);
}

// --- writing and reading ----------------------------------------------------------------------

Test(nn_safetensors, round_trip_restores_every_bit_and_the_metadata)
{
    NnParams p = layout();
    float block[TOTAL], back[TOTAL];
    fixture_block(block);
    block[3] = -0.0f;
    block[4] = 1e-40f; // a subnormal
    LabConfig m = {0}, got = {0};
    test_meta(&m);
    char *dir = test_tmpdir(), *path = lab_path_join(dir, "model.safetensors");
    cr_assert_eq(nn_safetensors_write(path, &p, block, &m), 0);
    cr_assert_eq(nn_safetensors_read(path, &p, back, &got), 0);
    cr_assert(memcmp(block, back, sizeof block) == 0, "the values changed on the way");
    cr_assert_str_eq(lab_config_get(&got, "config"), "dim = 3\nname = \"caf\xc3\xa9\"");
    cr_assert_str_eq(lab_config_get(&got, "step"), "5");
    cr_assert_eq(got.n, 3);
    lab_config_free(&m);
    lab_config_free(&got);
    nn_params_free(&p);
}

Test(nn_safetensors, file_is_length_header_padded_to_8_then_little_endian_data)
{
    NnParams p = layout();
    float block[TOTAL];
    fixture_block(block);
    char *dir = test_tmpdir(), *path = lab_path_join(dir, "m.safetensors");
    cr_assert_eq(nn_safetensors_write(path, &p, block, NULL), 0);
    size_t n;
    unsigned char *d = (unsigned char *)read_all(path, &n);
    uint64_t h = 0;
    for (int k = 7; k >= 0; k--) {
        h = h << 8 | d[k];
    }
    cr_assert_eq(h % 8, 0, "header length %llu is not a multiple of 8", (unsigned long long)h);
    cr_assert_eq(n, 8 + h + 4 * TOTAL);
    cr_assert_eq(d[8], '{');
    const char *want = "{\"wte\":{\"dtype\":\"F32\",\"shape\":[5,3],\"data_offsets\":[0,60]},";
    cr_assert(strncmp((char *)d + 8, want, strlen(want)) == 0, "header: %.80s", d + 8);
    // the first float, byte by byte, little-endian
    uint32_t u;
    memcpy(&u, &block[0], 4);
    for (int b = 0; b < 4; b++) {
        cr_assert_eq(d[8 + h + b], (u >> (8 * b)) & 0xFF);
    }
    // no temporary file is left beside it
    char *tmp = lab_asprintf("%s.tmp.%ld", path, (long)getpid());
    cr_assert(!test_exists(tmp));
    nn_params_free(&p);
}

Test(nn_safetensors, writer_reproduces_the_committed_file_that_python_checks)
{
    // tests/fixtures/torch/safetensors_check.py reads lmlab_written.safetensors with json,
    // struct and torch.frombuffer; this keeps the committed file what the writer writes
    NnParams p = layout();
    float block[TOTAL];
    fixture_block(block);
    LabConfig m = {0};
    test_meta(&m);
    char *dir = test_tmpdir(), *path = lab_path_join(dir, "w.safetensors");
    cr_assert_eq(nn_safetensors_write(path, &p, block, &m), 0);
    size_t n1, n2;
    char *ours = read_all(path, &n1);
    char *committed = read_all(test_path("tests/fixtures/torch/lmlab_written.safetensors"), &n2);
    cr_assert(n1 == n2 && memcmp(ours, committed, n1) == 0,
              "the writer's output differs from tests/fixtures/torch/lmlab_written.safetensors");
    lab_config_free(&m);
    nn_params_free(&p);
}

Test(nn_safetensors, reads_the_file_written_on_the_pytorch_side)
{
    NnParams p = layout();
    float block[TOTAL], want[TOTAL];
    fixture_block(want);
    LabConfig meta = {0};
    char *path = test_path("tests/fixtures/torch/torch_written.safetensors");
    cr_assert_eq(nn_safetensors_read(path, &p, block, &meta), 0);
    cr_assert(memcmp(block, want, sizeof block) == 0, "values differ from safetensors.inc");
    cr_assert_str_eq(lab_config_get(&meta, "format"), "pt");
    cr_assert_str_eq(lab_config_get(&meta, "note"), "caf\xc3\xa9 \"quoted\"\nline");
    lab_config_free(&meta);
    nn_params_free(&p);
}

// --- refusing damaged and foreign files ---------------------------------------------------------

// reads path with the test table into a block of sentinels: returns the status and checks
// that a refused file left the block untouched
static int try_read(const NnParams *p, const char *path)
{
    float block[TOTAL];
    for (int i = 0; i < TOTAL; i++) {
        block[i] = 12345.0f;
    }
    int rc = nn_safetensors_read(path, p, block, NULL);
    for (int i = 0; rc != 0 && i < TOTAL; i++) {
        cr_assert_eq(block[i], 12345.0f, "a refused file wrote element %d", i);
    }
    return rc;
}

// a good file in memory, written by the writer
static char *good_file(const NnParams *p, size_t *n, char **dir)
{
    float block[TOTAL];
    fixture_block(block);
    LabConfig m = {0};
    test_meta(&m);
    *dir = test_tmpdir();
    char *path = lab_path_join(*dir, "good.safetensors");
    cr_assert_eq(nn_safetensors_write(path, p, block, &m), 0);
    lab_config_free(&m);
    return read_all(path, n);
}

Test(nn_safetensors, every_truncation_is_refused, .init = cr_redirect_stderr)
{
    NnParams p = layout();
    size_t n;
    char *dir, *good = good_file(&p, &n, &dir);
    for (size_t len = 0; len < n; len++) {
        char *path = test_write(dir, "cut.safetensors", good, len);
        cr_assert_eq(try_read(&p, path), -1, "a file cut to %zu of %zu bytes was accepted", len,
                     n);
        free(path);
    }
    nn_params_free(&p);
}

Test(nn_safetensors, every_flipped_header_byte_is_refused, .init = cr_redirect_stderr)
{
    // all eight bits flipped: length bytes go wrong, ASCII becomes invalid UTF-8 or structure
    NnParams p = layout();
    size_t n;
    char *dir, *good = good_file(&p, &n, &dir);
    uint64_t h = 0;
    for (int k = 7; k >= 0; k--) {
        h = h << 8 | (unsigned char)good[k];
    }
    for (size_t i = 0; i < 8 + h; i++) {
        good[i] ^= 0xFF;
        char *path = test_write(dir, "flip.safetensors", good, n);
        cr_assert_eq(try_read(&p, path), -1, "flipping byte %zu was accepted", i);
        good[i] ^= 0xFF;
        free(path);
    }
    nn_params_free(&p);
}

Test(nn_safetensors, any_single_bit_flip_in_the_header_never_crashes, .init = cr_redirect_stderr)
{
    // one bit can leave a valid file (a digit of the metadata "5" -> "4"): accepted or refused,
    // never a crash or a read out of bounds (the sanitizer build checks the latter)
    NnParams p = layout();
    size_t n;
    char *dir, *good = good_file(&p, &n, &dir);
    uint64_t h = 0;
    for (int k = 7; k >= 0; k--) {
        h = h << 8 | (unsigned char)good[k];
    }
    int accepted = 0;
    for (size_t i = 0; i < 8 + h; i++) {
        for (int b = 0; b < 8; b++) {
            good[i] ^= (char)(1 << b);
            char *path = test_write(dir, "bit.safetensors", good, n);
            accepted += try_read(&p, path) == 0;
            good[i] ^= (char)(1 << b);
            free(path);
        }
    }
    cr_assert(accepted < (int)(8 * (8 + h)) / 4, "%d of the bit flips were accepted", accepted);
    nn_params_free(&p);
}

// writes a file with the given header (padded to 8) and data size, reads it, returns the message
static char *refusal(const char *hdr, size_t data_bytes)
{
    NnParams p = layout();
    size_t h = strlen(hdr), hp = (h + 7) / 8 * 8, n = 8 + hp + data_bytes;
    char *buf = lab_calloc(n, 1);
    for (int k = 0; k < 8; k++) {
        buf[k] = (char)((uint64_t)hp >> (8 * k));
    }
    memcpy(buf + 8, hdr, h);
    memset(buf + 8 + h, ' ', hp - h);
    char *dir = test_tmpdir(), *path = test_write(dir, "x.safetensors", buf, n);
    cr_assert_eq(try_read(&p, path), -1, "header accepted: %s", hdr);
    fflush(stderr);
    static char msg[4096];
    size_t got = fread(msg, 1, sizeof msg - 1, cr_get_redirected_stderr());
    msg[got] = 0;
    nn_params_free(&p);
    free(buf);
    return msg;
}

#define T_WTE "\"wte\":{\"dtype\":\"F32\",\"shape\":[5,3],\"data_offsets\":[0,60]}"
#define T_LNW "\"ln.weight\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[60,72]}"
#define T_LNB "\"ln.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[72,84]}"
#define T_HEAD "\"head.weight\":{\"dtype\":\"F32\",\"shape\":[4,3],\"data_offsets\":[84,132]}"
#define T_CONV "\"conv\":{\"dtype\":\"F32\",\"shape\":[2,2,2],\"data_offsets\":[132,164]}"

static void expect_refusal(const char *hdr, const char *want)
{
    char *msg = refusal(hdr, 164);
    cr_assert(strstr(msg, want), "expected a message with \"%s\", got: %s", want, msg);
    cr_assert(strstr(msg, "x.safetensors"), "the message does not name the file: %s", msg);
}

Test(nn_safetensors, a_wrong_shape_names_the_tensor_expected_and_found, .init = cr_redirect_stderr)
{
    expect_refusal("{" T_WTE "," T_LNW "," T_LNB ","
                   "\"head.weight\":{\"dtype\":\"F32\",\"shape\":[3,4],\"data_offsets\":[84,132]},"
                   T_CONV "}",
                   "tensor 'head.weight' has shape [3, 4], expected [4, 3]");
}

Test(nn_safetensors, foreign_or_inconsistent_headers_are_refused_with_a_reason,
     .init = cr_redirect_stderr)
{
    // the well-formed file first, so a refusal below is the defect's
    char *ok = "{" T_WTE "," T_LNW "," T_LNB "," T_HEAD "," T_CONV "}";
    NnParams p = layout();
    size_t h = strlen(ok), hp = (h + 7) / 8 * 8;
    char *buf = lab_calloc(8 + hp + 164, 1);
    for (int k = 0; k < 8; k++) {
        buf[k] = (char)((uint64_t)hp >> (8 * k));
    }
    memcpy(buf + 8, ok, h);
    memset(buf + 8 + h, ' ', hp - h);
    char *dir = test_tmpdir(), *path = test_write(dir, "ok.safetensors", buf, 8 + hp + 164);
    cr_assert_eq(try_read(&p, path), 0, "the hand-written header was refused");
    nn_params_free(&p);

    expect_refusal("{" T_WTE "," T_LNW "," T_LNB "," T_HEAD "}", "tensor 'conv' is missing");
    expect_refusal("{" T_WTE "," T_LNW "," T_LNB "," T_HEAD "," T_CONV ","
                   "\"extra\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                   "an unexpected tensor 'extra'");
    expect_refusal("{" T_WTE "," T_LNW "," T_LNB "," T_HEAD ","
                   "\"conv\":{\"dtype\":\"F16\",\"shape\":[2,2,2],\"data_offsets\":[132,148]}}",
                   "tensor 'conv' has dtype 'F16', expected 'F32'");
    // overlap: ln.bias claims ln.weight's bytes
    expect_refusal("{" T_WTE "," T_LNW ","
                   "\"ln.bias\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[60,72]},"
                   T_HEAD "," T_CONV "}",
                   "must be contiguous and not overlap");
    // a range whose size does not match the shape
    expect_refusal("{" T_WTE "," T_LNW "," T_LNB "," T_HEAD ","
                   "\"conv\":{\"dtype\":\"F32\",\"shape\":[2,2,2],\"data_offsets\":[132,200]}}",
                   "byte range [132, 200), its shape needs 32 bytes");
    expect_refusal("{" T_WTE "," T_WTE "," T_LNW "," T_LNB "," T_HEAD "," T_CONV "}",
                   "a repeated tensor 'wte'");
    expect_refusal("{" T_WTE "," T_LNW "," T_LNB "," T_HEAD "," T_CONV "} x",
                   "bytes after the header's object");
    expect_refusal("{\"__metadata__\":{\"a\":1}," T_WTE "}", "metadata must map strings");
    expect_refusal("{\"__metadata__\":{\"a\":\"\\ud800\"}}", "lone surrogate");
    expect_refusal("{\"wte\":{\"dtype\":\"F32\",\"shape\":[5,3],\"data_offsets\":[0,060]}}",
                   "expected a non-negative integer");
    expect_refusal("{\"wte\":{\"dtype\":\"F32\",\"shape\":[5,3],\"offsets\":[0,60]}}",
                   "an unknown key 'offsets'");
    // the data area must be exactly the table's size
    char *msg = refusal("{" T_WTE "," T_LNW "," T_LNB "," T_HEAD "," T_CONV "}", 168);
    cr_assert(strstr(msg, "the data area holds 168 bytes, the tensors need 164"), "got: %s", msg);
}

Test(nn_safetensors, a_header_length_beyond_the_file_is_refused_before_allocating,
     .init = cr_redirect_stderr)
{
    NnParams p = layout();
    char buf[16] = {0};
    buf[7] = 0x7F; // about 9e18 bytes
    memcpy(buf + 8, "{}      ", 8);
    char *dir = test_tmpdir(), *path = test_write(dir, "huge.safetensors", buf, sizeof buf);
    cr_assert_eq(try_read(&p, path), -1);
    fflush(stderr);
    char msg[512];
    size_t got = fread(msg, 1, sizeof msg - 1, cr_get_redirected_stderr());
    msg[got] = 0;
    cr_assert(strstr(msg, "does not fit a file of 16 bytes"), "got: %s", msg);
    nn_params_free(&p);
}

Test(nn_safetensors, a_header_above_the_limit_is_refused_before_allocating,
     .init = cr_redirect_stderr)
{
    // a sparse file large enough to hold the header it announces, 1 MiB above the limit
    NnParams p = layout();
    uint64_t h = NN_SAFETENSORS_MAX_HEADER + (1u << 20);
    char len8[8];
    for (int k = 0; k < 8; k++) {
        len8[k] = (char)(h >> (8 * k));
    }
    char *dir = test_tmpdir(), *path = test_write(dir, "big.safetensors", len8, 8);
    cr_assert_eq(truncate(path, (off_t)(8 + h)), 0);
    cr_assert_eq(try_read(&p, path), -1);
    fflush(stderr);
    char msg[512];
    size_t got = fread(msg, 1, sizeof msg - 1, cr_get_redirected_stderr());
    msg[got] = 0;
    cr_assert(strstr(msg, "above the reader's limit of 16777216"), "got: %s", msg);
    nn_params_free(&p);
}
