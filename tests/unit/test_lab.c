// test_lab.c: the runtime: RNG, perplexity arithmetic, atomic writes, JSON, config, quoting.
#include "tests/helpers.h"

#include <dirent.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tests/fixtures/rng_seed1.inc"

Test(lab, rng_same_seed_same_stream)
{
    LabRng a, b;
    lab_rng_seed(&a, 42);
    lab_rng_seed(&b, 42);
    for (int i = 0; i < 1000; i++) {
        cr_assert_eq(lab_rng_u64(&a), lab_rng_u64(&b));
    }
}

Test(lab, rng_matches_reference_xoshiro256starstar)
{
    // the first outputs for seed 1, from the published splitmix64 and xoshiro256** recipes
    // (computed with Python integers in tests/fixtures/make_rng_fixture.py)
    LabRng r;
    lab_rng_seed(&r, 1);
    static const uint64_t want[4] = {RNG_SEED1_U64};
    for (int i = 0; i < 4; i++) {
        uint64_t got = lab_rng_u64(&r);
        cr_assert_eq(got, want[i], "output %d: got %llu, expected %llu", i,
                     (unsigned long long)got, (unsigned long long)want[i]);
    }
}

Test(lab, rng_uniform_in_unit_interval_with_mean_half)
{
    LabRng r;
    lab_rng_seed(&r, 7);
    double sum = 0;
    for (int i = 0; i < 100000; i++) {
        double u = lab_rng_uniform(&r);
        cr_assert(u >= 0 && u < 1);
        sum += u;
    }
    cr_assert(fabs(sum / 100000 - 0.5) < 0.01, "mean %f", sum / 100000);
}

Test(lab, rng_below_stays_in_range_and_hits_every_value)
{
    LabRng r;
    lab_rng_seed(&r, 3);
    int seen[7] = {0};
    for (int i = 0; i < 7000; i++) {
        uint64_t x = lab_rng_below(&r, 7);
        cr_assert(x < 7);
        seen[x]++;
    }
    for (int i = 0; i < 7; i++) {
        cr_assert(seen[i] > 800 && seen[i] < 1200, "value %d seen %d times", i, seen[i]);
    }
}

Test(lab, perplexity_is_exp_of_mean_nats)
{
    LabLoss l = {0};
    // three tokens of probability 1/8: loss ln 8, ppl 8, 3 bits
    for (int i = 0; i < 3; i++) {
        lab_loss_add(&l, log(1.0 / 8));
    }
    l.words = 1;
    double loss = lab_loss_mean(&l);
    cr_assert(test_rel_eq(loss, log(8.0), 1e-15));
    cr_assert(test_rel_eq(lab_ppl(loss), 8.0, 1e-14));
    cr_assert(test_rel_eq(lab_bits(loss), 3.0, 1e-14));
    cr_assert(test_rel_eq(lab_word_ppl(&l), 512.0, 1e-13), "word ppl = 8^3 over one word");
}

Test(lab, zero_probability_makes_the_loss_infinite_and_is_counted)
{
    LabLoss l = {0};
    lab_loss_add(&l, log(0.5));
    lab_loss_add(&l, -INFINITY);
    cr_assert_eq(l.zero, 1);
    cr_assert_eq(l.tokens, 2);
    cr_assert(isinf(lab_loss_mean(&l)));
    cr_assert(isinf(lab_ppl(lab_loss_mean(&l))));
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    for (struct dirent *e; (e = readdir(d));) {
        n += e->d_name[0] != '.';
    }
    closedir(d);
    return n;
}

Test(lab, atomic_write_appears_only_on_commit)
{
    char *dir = test_tmpdir();
    char *path = lab_path_join(dir, "out.txt");
    LabAtomic a;
    cr_assert_eq(lab_atomic_open(&a, path), 0);
    fputs("hello\n", a.f);
    cr_assert(!test_exists(path), "the final name must not exist before commit");
    cr_assert_eq(lab_atomic_commit(&a), 0);
    cr_assert(test_exists(path));
    cr_assert_eq(count_entries(dir), 1, "no temporary file left behind");
    LabAtomic b;
    cr_assert_eq(lab_atomic_open(&b, path), 0);
    fputs("half", b.f);
    lab_atomic_abort(&b);
    char *data;
    size_t n;
    cr_assert_eq(lab_read_file(path, &data, &n, 0), 0);
    cr_assert_str_eq(data, "hello\n", "an aborted write leaves the old file intact");
    cr_assert_eq(count_entries(dir), 1);
    free(data);
    free(path);
    free(dir);
}

Test(lab, atomic_write_into_missing_directory_fails_cleanly)
{
    LabAtomic a;
    cr_redirect_stderr();
    cr_assert_eq(lab_atomic_open(&a, "/nonexistent-dir/x/out.txt"), -1);
}

Test(lab, read_file_rejects_missing_and_directories)
{
    char *data;
    size_t n;
    cr_redirect_stderr();
    cr_assert_eq(lab_read_file("/nonexistent/file", &data, &n, 0), -1);
    cr_assert_eq(lab_read_file("/tmp", &data, &n, 0), -1);
}

Test(lab, mkdir_p_makes_parents_and_rejects_files)
{
    char *dir = test_tmpdir();
    char *deep = lab_path_join(dir, "a/b/c");
    cr_assert_eq(lab_mkdir_p(deep), 0);
    struct stat st;
    cr_assert_eq(stat(deep, &st), 0);
    cr_assert(S_ISDIR(st.st_mode));
    char *file = test_write(dir, "f", "x", 1);
    char *under = lab_path_join(file, "sub");
    cr_redirect_stderr();
    cr_assert_eq(lab_mkdir_p(under), -1);
    free(under);
    free(file);
    free(deep);
    free(dir);
}

// class: a pipe that never ends was read until memory ran out
Test(lab, read_file_caps_what_it_reads_from_a_pipe)
{
    char *dir = test_tmpdir();
    char *fifo = lab_path_join(dir, "pipe");
    cr_assert_eq(mkfifo(fifo, 0600), 0);
    pid_t pid = fork();
    cr_assert(pid >= 0);
    if (pid == 0) {
        // the writer: far more than the cap; it dies of SIGPIPE once the reader gives up
        FILE *w = fopen(fifo, "wb");
        for (int i = 0; w && i < 1000; i++) {
            fputs("0123456789012345678901234567890123456789012345678901234567890123\n", w);
        }
        _exit(0);
    }
    char *data;
    size_t len;
    cr_assert_eq(lab_read_file(fifo, &data, &len, 4096), -1, "more than 4096 bytes is refused");
    cr_assert_null(data);
    waitpid(pid, NULL, 0);
    // a pipe within the cap is read whole
    pid = fork();
    if (pid == 0) {
        FILE *w = fopen(fifo, "wb");
        fputs("hello\n", w);
        fclose(w);
        _exit(0);
    }
    cr_assert_eq(lab_read_file(fifo, &data, &len, 4096), 0);
    cr_assert_str_eq(data, "hello\n");
    free(data);
    waitpid(pid, NULL, 0);
    unlink(fifo);
    rmdir(dir);
    free(fifo);
    free(dir);
}

Test(lab, read_file_refuses_character_devices)
{
    char *data;
    size_t len;
    cr_assert_eq(lab_read_file("/dev/null", &data, &len, 0), -1);
    cr_assert_eq(lab_read_file("/dev/zero", &data, &len, 0), -1);
}

// class: an empty path made lab_mkdir_p read past its 1-byte copy
Test(lab, mkdir_p_of_an_empty_name_fails_without_reading_past_it)
{
    cr_assert_eq(lab_mkdir_p(""), -1);
}

Test(lab, json_escapes_strings_and_writes_null_for_infinity)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    LabJson j;
    lab_json_begin(&j, f);
    lab_json_str(&j, "s", "a\"b\\c\nd");
    lab_json_num(&j, "x", 0.5);
    lab_json_num(&j, "inf", INFINITY);
    lab_json_int(&j, "n", 12);
    lab_json_end(&j);
    fclose(f);
    cr_assert_str_eq(buf, "{\"s\": \"a\\\"b\\\\c\\nd\", \"x\": 0.5, \"inf\": null, \"n\": 12}\n");
    free(buf);
}

Test(lab, config_round_trips)
{
    char *dir = test_tmpdir();
    char *path = lab_path_join(dir, "config");
    LabConfig c = {0};
    lab_config_set(&c, "order", "%d", 4);
    lab_config_set(&c, "pattern", "%s", "[a-z]+ = x");
    lab_config_set(&c, "order", "%d", 5);
    cr_assert_eq(lab_config_write(&c, path), 0);
    LabConfig d;
    cr_assert_eq(lab_config_read(&d, path), 0);
    cr_assert_str_eq(lab_config_get(&d, "order"), "5");
    cr_assert_str_eq(lab_config_get(&d, "pattern"), "[a-z]+ = x");
    cr_assert_null(lab_config_get(&d, "missing"));
    lab_config_free(&c);
    lab_config_free(&d);
    free(path);
    free(dir);
}

Test(lab, config_errors_name_the_real_line_past_blank_lines)
{
    char *dir = test_tmpdir();
    char *p = test_write(dir, "config", "family = ngram\n\n\n\noops\n", 23);
    LabConfig c;
    cr_redirect_stderr();
    cr_assert_eq(lab_config_read(&c, p), -1);
    fflush(stderr);
    char *want = lab_asprintf("lmlab: '%s' line 5: expected 'key = value', got 'oops'\n", p);
    cr_assert_stderr_eq_str(want);
    free(want);
    free(p);
    free(dir);
}

// --- normal draws and streams -----------------------------------------------------------------

static void assert_u64s(LabRng *r, const uint64_t *want, int n, const char *what)
{
    for (int i = 0; i < n; i++) {
        uint64_t got = lab_rng_u64(r);
        cr_assert_eq(got, want[i], "%s, output %d: got %llu, expected %llu", what, i,
                     (unsigned long long)got, (unsigned long long)want[i]);
    }
}

Test(lab, rng_jump_matches_published_xoshiro256starstar_jump)
{
    // jump() of xoshiro256starstar.c, written in Python in tests/fixtures/make_rng_fixture.py
    static const uint64_t one[4] = {RNG_SEED1_JUMP_U64}, two[4] = {RNG_SEED1_JUMP2_U64};
    LabRng r;
    lab_rng_seed(&r, 1);
    lab_rng_jump(&r);
    assert_u64s(&r, one, 4, "seed 1, one jump");
    lab_rng_seed(&r, 1);
    lab_rng_jump(&r);
    lab_rng_jump(&r);
    assert_u64s(&r, two, 4, "seed 1, two jumps");
}

Test(lab, rng_stream_matches_reference_and_stream_zero_is_the_seed)
{
    static const uint64_t want[4] = {RNG_SEED9_STREAM3_U64};
    LabRng r, s;
    lab_rng_stream(&r, 9, 3);
    assert_u64s(&r, want, 4, "seed 9, stream 3");
    lab_rng_stream(&r, 5, 0);
    lab_rng_seed(&s, 5);
    for (int i = 0; i < 100; i++) {
        cr_assert_eq(lab_rng_u64(&r), lab_rng_u64(&s), "stream 0 is lab_rng_seed, draw %d", i);
    }
    // neighbouring streams share no early output
    LabRng a, b;
    lab_rng_stream(&a, 5, 1);
    lab_rng_stream(&b, 5, 2);
    uint64_t xa[256], xb[256];
    for (int i = 0; i < 256; i++) {
        xa[i] = lab_rng_u64(&a);
        xb[i] = lab_rng_u64(&b);
    }
    for (int i = 0; i < 256; i++) {
        for (int j = 0; j < 256; j++) {
            cr_assert_neq(xa[i], xb[j], "streams 1 and 2 both drew %llu",
                          (unsigned long long)xa[i]);
        }
    }
}

Test(lab, rng_normal_matches_reference_box_muller)
{
    // Box-Muller in Python's doubles (math.log, sqrt, cos: the same C library functions, so
    // equal here; a few ulps are allowed for another C library)
    static const double want[8] = {RNG_SEED1_NORMAL};
    LabRng r;
    lab_rng_seed(&r, 1);
    for (int i = 0; i < 8; i++) {
        double got = lab_rng_normal(&r);
        cr_assert(fabs(got - want[i]) <= 1e-15 * fmax(1.0, fabs(want[i])),
                  "draw %d: got %.17g, expected %.17g", i, got, want[i]);
    }
}

Test(lab, rng_normal_moments_of_a_million_draws)
{
    // For N(0, 1): mean 0, variance 1, E[z^4] = 3, P(|z| < 1) = erf(1/sqrt 2) = 0.682689...
    // Each bound is five standard errors over n = 1e6: sqrt(1/n), sqrt(2/n), sqrt(96/n),
    // sqrt(p (1 - p) / n).
    const int n = 1000000;
    LabRng r;
    lab_rng_seed(&r, 2024);
    double s1 = 0, s2 = 0, s4 = 0;
    long inside = 0;
    for (int i = 0; i < n; i++) {
        double z = lab_rng_normal(&r);
        cr_assert(isfinite(z));
        s1 += z;
        s2 += z * z;
        s4 += z * z * z * z;
        inside += fabs(z) < 1;
    }
    double mean = s1 / n, var = s2 / n - mean * mean, m4 = s4 / n, p = (double)inside / n;
    double p1 = erf(1 / sqrt(2.0));
    cr_assert(fabs(mean) < 5 * sqrt(1.0 / n), "mean %.6f, expected 0 +- %.4f", mean,
              5 * sqrt(1.0 / n));
    cr_assert(fabs(var - 1) < 5 * sqrt(2.0 / n), "variance %.6f, expected 1", var);
    cr_assert(fabs(m4 - 3) < 5 * sqrt(96.0 / n), "E[z^4] %.5f, expected 3", m4);
    cr_assert(fabs(p - p1) < 5 * sqrt(p1 * (1 - p1) / n), "P(|z| < 1) %.6f, expected %.6f", p,
              p1);
}

// --- string tables ----------------------------------------------------------------------------

Test(lab, strtab_gives_dense_ids_in_insertion_order_and_finds_them)
{
    LabStrTab t;
    lab_strtab_init(&t);
    cr_assert_eq(lab_strtab_find(&t, "a", 1), -1, "an empty table finds nothing");
    cr_assert_eq(lab_strtab_add(&t, "the", 3), 0);
    cr_assert_eq(lab_strtab_add(&t, "cat", 3), 1);
    cr_assert_eq(lab_strtab_add(&t, "the", 3), 0, "a repeat keeps its id");
    cr_assert_eq(lab_strtab_add(&t, "", 0), 2, "the empty string is a key too");
    cr_assert_eq(t.n, 3);
    cr_assert_eq(lab_strtab_find(&t, "cat", 3), 1);
    cr_assert_eq(lab_strtab_find(&t, "", 0), 2);
    cr_assert_eq(lab_strtab_find(&t, "ca", 2), -1);
    cr_assert_eq(lab_strtab_len(&t, 1), 3);
    cr_assert_str_eq(lab_strtab_key(&t, 1), "cat", "keys end with a NUL");
    lab_strtab_free(&t);
    lab_strtab_free(&t); // safe twice: a freed table is a zeroed one
}

Test(lab, strtab_tells_apart_keys_alike_in_their_first_bytes)
{
    // the slots keep 7 bytes and the length: keys equal there must still be compared in full
    LabStrTab t = {0};
    const char *k[] = {"abcdefgXYZ", "abcdefgXYW", "abcdefg", "abcdefgh"};
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(lab_strtab_add(&t, k[i], strlen(k[i])), i);
    }
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(lab_strtab_find(&t, k[i], strlen(k[i])), i, "'%s'", k[i]);
    }
    // bytes, not C strings: a NUL inside a key counts; and a key of 300 bytes (length byte
    // capped at 255 in the slot) against one of 301
    cr_assert_eq(lab_strtab_add(&t, "a\0b", 3), 4);
    cr_assert_eq(lab_strtab_add(&t, "a\0c", 3), 5);
    cr_assert_eq(lab_strtab_find(&t, "a", 1), -1);
    char long1[301];
    memset(long1, 'x', sizeof long1);
    cr_assert_eq(lab_strtab_add(&t, long1, 300), 6);
    cr_assert_eq(lab_strtab_add(&t, long1, 301), 7);
    cr_assert_eq(lab_strtab_find(&t, long1, 300), 6);
    lab_strtab_free(&t);
}

Test(lab, strtab_grows_past_a_hundred_thousand_keys)
{
    LabStrTab t = {0};
    char buf[32];
    const int n = 100000;
    for (int i = 0; i < n; i++) {
        int len = snprintf(buf, sizeof buf, "w%d", i * 7919);
        cr_assert_eq(lab_strtab_add(&t, buf, (size_t)len), i);
    }
    cr_assert_eq(t.n, n);
    cr_assert(t.nslots >= 2 * (uint32_t)n, "at most half full: %u slots", t.nslots);
    for (int i = 0; i < n; i++) {
        int len = snprintf(buf, sizeof buf, "w%d", i * 7919);
        cr_assert_eq(lab_strtab_find(&t, buf, (size_t)len), i);
        cr_assert_str_eq(lab_strtab_key(&t, i), buf);
    }
    cr_assert_eq(lab_strtab_find(&t, "w1", 2), -1);
    lab_strtab_free(&t);
}

Test(lab, strtab_append_stores_without_making_findable)
{
    LabStrTab t = {0};
    cr_assert_eq(lab_strtab_append(&t, "<s>", 3), 0);
    cr_assert_eq(lab_strtab_find(&t, "<s>", 3), -1);
    cr_assert_eq(lab_strtab_add(&t, "<s>", 3), 1, "the same bytes added get an id of their own");
    cr_assert_str_eq(lab_strtab_key(&t, 0), "<s>");
    cr_assert_eq(lab_strtab_find(&t, "<s>", 3), 1);
    lab_strtab_free(&t);
}

Test(lab, strtab_rebuilt_from_hashes_and_reserved_room_keeps_ids)
{
    LabStrTab a = {0}, b = {0};
    const char *k[] = {"one", "two", "three", "a much longer key than seven bytes"};
    size_t bytes = 0;
    for (int i = 0; i < 4; i++) {
        lab_strtab_add(&a, k[i], strlen(k[i]));
        bytes += strlen(k[i]) + 1;
    }
    uint32_t *h = lab_strtab_hashes(&a);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(h[i], (uint32_t)lab_strtab_hash(k[i], strlen(k[i])));
    }
    lab_strtab_reserve(&b, 4, bytes);
    const char *block = b.bytes;
    for (int i = 3; i >= 0; i--) {
        cr_assert_eq(lab_strtab_add_hashed(&b, k[i], strlen(k[i]), h[i]), 3 - i);
    }
    cr_assert_eq(b.bytes, block, "reserved room: the block did not move");
    for (int i = 0; i < 4; i++) {
        cr_assert_eq(lab_strtab_find(&b, k[i], strlen(k[i])), 3 - i);
    }
    free(h);
    lab_strtab_free(&a);
    lab_strtab_free(&b);
}

// --- quoting: messages never print raw control bytes or invalid UTF-8 -----------------------

Test(lab, quote_keeps_utf8_and_escapes_control_bytes_and_invalid_utf8)
{
    char buf[128];
    const char in[] = "caf\xc3\xa9 \x1b[31m\t\xff\xc3(\xe2\x82\xac\xc2\x85\x7f";
    lab_quote(buf, sizeof buf, in, sizeof in - 1);
    // é and € kept; ESC, TAB, 0xff, a lone lead byte 0xc3, C1 NEL (c2 85) and DEL escaped
    cr_assert_str_eq(buf, "caf\xc3\xa9 \\x1b[31m\\x09\\xff\\xc3(\xe2\x82\xac\\xc2\\x85\\x7f");
}

Test(lab, quote_refuses_overlong_forms_and_surrogates)
{
    char buf[64];
    const char in[] = "\xc0\xaf\xed\xa0\x80\xf4\x90\x80\x80";
    lab_quote(buf, sizeof buf, in, sizeof in - 1);
    cr_assert_str_eq(buf, "\\xc0\\xaf\\xed\\xa0\\x80\\xf4\\x90\\x80\\x80");
}

Test(lab, quote_truncates_at_a_character_with_an_ellipsis)
{
    char buf[10];
    lab_quote(buf, sizeof buf, "abcdefghijkl", 12);
    cr_assert_str_eq(buf, "abcdef...");
    // exactly fitting text is not cut
    lab_quote(buf, sizeof buf, "abcdefghi", 9);
    cr_assert_str_eq(buf, "abcdefghi");
    // an escape is never cut in half: "ab" + "\x01" would need 6, then "..." 9 > 9 - 0
    lab_quote(buf, sizeof buf, "abc\x01\x02zzzz", 9);
    cr_assert_str_eq(buf, "abc...");
    // a 3-byte character is never cut in half either
    lab_quote(buf, sizeof buf, "abcd\xe2\x82\xac\xe2\x82\xac", 10);
    cr_assert_str_eq(buf, "abcd...");
}

Test(lab, quote_handles_embedded_nul_and_every_byte)
{
    char buf[1200];
    char in[256];
    for (int i = 0; i < 256; i++) {
        in[i] = (char)i;
    }
    lab_quote(buf, sizeof buf, in, 256);
    // printable ASCII 0x20..0x7e kept (95 bytes), the other 161 bytes escaped as 4 characters
    cr_assert_eq(strlen(buf), 95 + 161 * 4);
    for (const char *p = buf; *p; p++) {
        cr_assert((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f);
    }
}

// --- list options: one checked splitter for every list ---------------------------------------

Test(lab, list_split_returns_the_items_in_order)
{
    const LabCommand cmd = {.usage = "lmlab x"};
    int n;
    char **items = lab_list_split(&cmd, "l", "a,bc,d", 8, &n);
    cr_assert_eq(n, 3);
    cr_assert_str_eq(items[0], "a");
    cr_assert_str_eq(items[1], "bc");
    cr_assert_str_eq(items[2], "d");
    free(items);
    double v[4];
    cr_assert_eq(lab_list_numbers(&cmd, "l", "0.5,2,1e-3", v, 4, 0), 3);
    cr_assert(v[0] == 0.5 && v[1] == 2 && v[2] == 1e-3);
}

Test(lab, list_split_of_an_empty_list_is_a_usage_error, .exit_code = 2)
{
    const LabCommand cmd = {.usage = "lmlab x"};
    int n;
    lab_list_split(&cmd, "l", "", 8, &n);
}

Test(lab, list_split_of_a_trailing_comma_is_a_usage_error, .exit_code = 2)
{
    const LabCommand cmd = {.usage = "lmlab x"};
    int n;
    lab_list_split(&cmd, "l", "a,", 8, &n);
}

Test(lab, list_numbers_refuses_a_non_number, .exit_code = 2)
{
    const LabCommand cmd = {.usage = "lmlab x"};
    double v[4];
    lab_list_numbers(&cmd, "l", "1,x", v, 4, 0);
}

// --- class: config values written raw broke the file's lines -----------------------------------

Test(lab, config_round_trips_every_byte_from_1_to_255)
{
    char *dir = test_tmpdir();
    char *path = lab_path_join(dir, "config");
    char all[256];
    for (int i = 1; i < 256; i++) {
        all[i - 1] = (char)i;
    }
    all[255] = '\0';
    LabConfig c = {0};
    lab_config_set(&c, "all", "%s", all);
    lab_config_set(&c, "after", "%s", "x");
    cr_assert_eq(lab_config_write(&c, path), 0);
    // the file is printable: no control byte but the newlines that end its lines
    char *data;
    size_t len;
    cr_assert_eq(lab_read_file(path, &data, &len, 0), 0);
    int lines = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char b = (unsigned char)data[i];
        lines += b == '\n';
        cr_assert(b == '\n' || (b >= 0x20 && b != 0x7f), "raw byte 0x%02x at %zu", b, i);
    }
    cr_assert_eq(lines, 3, "the marker line and one line per key, got %d", lines);
    free(data);
    LabConfig d;
    cr_assert_eq(lab_config_read(&d, path), 0);
    cr_assert_str_eq(lab_config_get(&d, "all"), all);
    cr_assert_str_eq(lab_config_get(&d, "after"), "x");
    cr_assert_eq(lab_config_line(&d, "after"), 3);
    lab_config_free(&c);
    lab_config_free(&d);
    free(path);
    free(dir);
}

Test(lab, config_escapes_are_the_documented_ones)
{
    char *buf;
    size_t n;
    FILE *f = open_memstream(&buf, &n);
    lab_config_escape(f, "a\\b\nc\td\re\x01\x7f\xc3\xa9\xff");
    fclose(f);
    // backslash, newline, tab, CR by name; other controls and the stray 0xff as \xHH; é kept
    cr_assert_str_eq(buf, "a\\\\b\\nc\\td\\re\\x01\\x7f\xc3\xa9\\xff");
    free(buf);
    char bad1[] = "a\\q", bad2[] = "a\\x0", bad3[] = "a\\x00", bad4[] = "a\\";
    cr_assert_eq(lab_config_unescape(bad1), -1);
    cr_assert_eq(lab_config_unescape(bad2), -1);
    cr_assert_eq(lab_config_unescape(bad3), -1);
    cr_assert_eq(lab_config_unescape(bad4), -1);
}

Test(lab, config_without_the_escape_marker_is_read_as_it_stands)
{
    // a run written before values were escaped keeps its pattern's backslashes
    char *dir = test_tmpdir();
    const char old[] = "family = ngram\npattern = \\p{L}+|\\n\n";
    char *p = test_write(dir, "config", old, sizeof old - 1);
    LabConfig c;
    cr_assert_eq(lab_config_read(&c, p), 0);
    cr_assert_str_eq(lab_config_get(&c, "pattern"), "\\p{L}+|\\n");
    lab_config_free(&c);
    free(p);
    free(dir);
}

// class: a value in a run's config was trusted, or refused as a usage error
Test(lab, config_apply_holds_values_to_the_option_ranges_naming_the_line)
{
    char *dir = test_tmpdir();
    const char text[] = "# lmlab config 2: values escaped as in docs/formats.md\n"
                        "order = 3\nmin_count = -5\n";
    char *p = test_write(dir, "config", text, sizeof text - 1);
    LabConfig c;
    cr_assert_eq(lab_config_read(&c, p), 0);
    long order = 1, min_count = 1;
    const LabOpt opts[] = {
        {"order", LAB_OPT_INT, &order, "N", "", 0, 1, 6},
        {"min-count", LAB_OPT_INT, &min_count, "N", "", 0, 1, 1e9},
        {0},
    };
    cr_redirect_stderr();
    cr_assert_eq(lab_config_apply(&c, p, opts), -1);
    fflush(stderr);
    cr_assert_eq(order, 3, "the valid value before the bad one is read");
    cr_assert_eq(min_count, 1, "the bad value leaves the default");
    char *want = lab_asprintf("lmlab: '%s' line 3: min_count must be between 1 and 1000000000, "
                              "got -5\n  hint: the file was edited or damaged: train the run "
                              "again\n", p);
    cr_assert_stderr_eq_str(want);
    free(want);
    lab_config_free(&c);
    free(p);
    free(dir);
}

// --- class: JSON output carried raw bytes that are not UTF-8 (a file name) --------------------

Test(lab, json_strings_are_valid_utf8_whatever_the_input)
{
    char *buf;
    size_t n;
    FILE *f = open_memstream(&buf, &n);
    lab_json_write_string(f, "caf\xc3\xa9/\xe9t\xe9\x1b\x7f\xc3");
    fclose(f);
    // é kept; the Latin-1 0xe9 bytes and the cut 0xc3 are U+FFFD; ESC and DEL are \u00XX
    cr_assert_str_eq(buf, "\"caf\xc3\xa9/\\ufffdt\\ufffd\\u001b\\u007f\\ufffd\"");
    free(buf);
}
