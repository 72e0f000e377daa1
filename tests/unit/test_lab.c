// test_lab.c: the runtime: RNG, perplexity arithmetic, atomic writes, JSON, config.
#include "tests/helpers.h"

#include <dirent.h>
#include <sys/stat.h>

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
    char *p = test_write(dir, "config", "family = ngram\n\n\n\noops\n", 20);
    LabConfig c;
    cr_redirect_stderr();
    cr_assert_eq(lab_config_read(&c, p), -1);
    fflush(stderr);
    char *want = lab_asprintf("lmlab: '%s' line 5: expected 'key = value'\n", p);
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
