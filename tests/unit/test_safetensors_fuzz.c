/* Malformed safetensors files: every crafted violation is HV_ERR_PARSE (or IO) with a message that names
 * the file; random truncations and byte flips never crash (run this under ASan: -DHEMOVK_SANITIZE=ON). */
#include "hvtest.h"

#include "hemovk/weights.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char g_dir[1024];

static void write_bytes(const char *path, const void *p, size_t n) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    if (n) ck_assert_uint_eq(fwrite(p, 1, n, f), n);
    ck_assert_int_eq(fclose(f), 0);
}

static void write_header(const char *path, uint64_t declared_len, const char *header, size_t data_len) {
    size_t hn = strlen(header);
    size_t total = 8 + hn + data_len;
    uint8_t *b = calloc(1, total);
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(declared_len >> (8 * i));
    memcpy(b + 8, header, hn);
    for (size_t i = 0; i < data_len; i++) b[8 + hn + i] = (uint8_t)(i * 31 + 7);
    write_bytes(path, b, total);
    free(b);
}

/* Open `path`; it must fail with a message naming the file (and `must_contain` if given). */
static void expect_error(const char *path, const char *must_contain, const char *what) {
    hv_weights *w = (hv_weights *)1;
    hv_clear_error();
    hv_status st = hv_weights_open(path, &w);
    ck_assert_msg(st != HV_OK, "case '%s' was accepted", what);
    ck_assert_msg(w == NULL, "case '%s': out not cleared", what);
    ck_assert_msg(st == HV_ERR_PARSE || st == HV_ERR_IO, "case '%s': status %s", what, hv_status_name(st));
    ck_assert_msg(strstr(hv_last_error(), path) != NULL, "case '%s': message lacks the path: %s", what,
                  hv_last_error());
    if (must_contain)
        ck_assert_msg(strstr(hv_last_error(), must_contain) != NULL, "case '%s': message '%s' lacks '%s'", what,
                      hv_last_error(), must_contain);
}

static const char *case_path(const char *name) {
    static char p[1200];
    snprintf(p, sizeof p, "%s/%s.safetensors", g_dir, name);
    return p;
}

typedef struct crafted {
    const char *name;
    const char *header;
    size_t data_len;
    const char *must_contain;
} crafted;

#define E(shape, dt, off) "{\"t\":{\"dtype\":\"" dt "\",\"shape\":" shape ",\"data_offsets\":" off "}}"

static const crafted k_cases[] = {
    {"offsets_short", "{\"backbone.stem.conv.weight\":{\"dtype\":\"F32\",\"shape\":[64,3,3,3],"
                      "\"data_offsets\":[0,100]}}", 100,
     "tensor 'backbone.stem.conv.weight': data_offsets [0, 100] but shape [64,3,3,3] F32 needs 6912 bytes"},
    {"bad_dtype", E("[2]", "F8_E4M3", "[0,2]"), 2, "unsupported dtype 'F8_E4M3'"},
    {"dtype_not_string", "{\"t\":{\"dtype\":4,\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "tensor 't'"},
    {"negative_shape", E("[-1]", "F32", "[0,4]"), 4, "shape entry 0"},
    {"float_shape", E("[1.5]", "F32", "[0,4]"), 4, "shape entry 0"},
    {"string_shape", E("[\"2\"]", "F32", "[0,8]"), 8, "shape entry 0"},
    {"huge_shape", E("[4294967296,4294967296,16]", "F32", "[0,4]"), 4, "overflows"},
    {"shape_too_big_for_double", E("[1e300]", "F32", "[0,4]"), 4, "shape entry 0"},
    {"shape_not_list", E("7", "F32", "[0,4]"), 4, "tensor 't'"},
    {"too_many_dims", E("[1,1,1,1,1,1,1,1,1]", "F32", "[0,4]"), 4, "rank 9"},
    {"offsets_past_end", E("[4]", "F32", "[0,16]"), 8, "outside the data section"},
    {"offsets_reversed", E("[0]", "F32", "[8,4]"), 8, "outside the data section"},
    {"offsets_three", E("[1]", "F32", "[0,4,8]"), 8, "data_offsets must be"},
    {"offsets_negative", E("[1]", "F32", "[-4,0]"), 8, "data_offsets must be"},
    {"offsets_missing", "{\"t\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4, "tensor 't'"},
    {"overlap", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12, "overlap"},
    {"duplicate_name", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                       "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, "appears twice"},
    {"entry_not_object", "{\"t\":[1,2]}", 0, "not a JSON object"},
    {"root_array", "[{\"t\":1}]", 0, "not an object"},
    {"root_string", "\"hello\"", 0, "not an object"},
    {"root_number", "12345678", 0, "not an object"},
    {"not_json", "{\"t\": {\"dtype\": \"F32\", ", 0, "not valid JSON"},
    {"trailing_garbage", "{} xyz", 0, "not valid JSON"},
    {"metadata_not_strings", "{\"__metadata__\":{\"a\":1}}", 0, "__metadata__"},
    {"metadata_not_object", "{\"__metadata__\":[\"a\"]}", 0, "__metadata__"},
    {"empty_name", "{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "empty name"},
    {"bad_utf8", "{\"t\xff\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "UTF-8"},
    {"overlong_utf8", "{\"t\xc0\xaf\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, "UTF-8"},
};

START_TEST(crafted_headers_are_parse_errors) {
    snprintf(g_dir, sizeof g_dir, "%s", hvtest_tmpdir("safetensors_fuzz_crafted"));
    for (size_t i = 0; i < sizeof k_cases / sizeof k_cases[0]; i++) {
        const crafted *c = &k_cases[i];
        const char *path = case_path(c->name);
        write_header(path, strlen(c->header), c->header, c->data_len);
        expect_error(path, c->must_contain, c->name);
    }
}
END_TEST

START_TEST(header_length_field_and_tiny_files) {
    snprintf(g_dir, sizeof g_dir, "%s", hvtest_tmpdir("safetensors_fuzz_len"));
    const char *ok = "{\"t\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";
    const char *p = case_path("zero_bytes");
    write_bytes(p, "", 0);
    expect_error(p, "0 bytes", "zero-byte file");
    p = case_path("seven_bytes");
    write_bytes(p, "\x10\0\0\0\0\0\0", 7);
    expect_error(p, "8-byte header length", "7-byte file");
    p = case_path("huge_len");
    write_header(p, UINT64_MAX, ok, 4);
    expect_error(p, "100 MB", "header length 2^64-1");
    p = case_path("len_past_end");
    write_header(p, strlen(ok) + 5, ok, 4);
    expect_error(p, "truncated", "header length past the end");
    p = case_path("len_zero");
    write_header(p, 0, ok, 4);
    expect_error(p, NULL, "header length 0");
    p = case_path("len_short");
    write_header(p, strlen(ok) - 3, ok, 4);
    expect_error(p, "JSON", "header length cuts the JSON");
    p = case_path("len_with_nul");
    write_header(p, strlen(ok) + 4, ok, 4); /* header then swallows 4 data bytes incl. non-UTF-8 ones */
    expect_error(p, NULL, "header length includes data");
    /* and a valid one opens */
    p = case_path("valid");
    write_header(p, strlen(ok), ok, 4);
    hv_weights *w = NULL;
    ck_assert_msg(hv_weights_open(p, &w) == HV_OK, "%s", hv_last_error());
    hv_weights_free(w);
}
END_TEST

/* A valid multi-tensor file (from the C writer) to mutate. */
static uint8_t *valid_file(size_t *n) {
    hv_weights *w = NULL;
    ck_assert_int_eq(hv_weights_create(NULL, &w), HV_OK);
    int64_t d4[4] = {4, 3, 3, 3}, d1[1] = {4}, d2[2] = {2, 5};
    float v[108];
    hvtest_fill_uniform(v, 108, 9, -1.f, 1.f);
    ck_assert_int_eq(hv_weights_add(w, "backbone.stem.conv.weight", HV_WDT_F32, 4, d4, v), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "backbone.stem.bn.running_mean", HV_WDT_F16, 1, d1, v), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "backbone.stem.bn.num_batches_tracked", HV_WDT_I64, 0, NULL, v), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "head.fc.weight", HV_WDT_BF16, 2, d2, v), HV_OK);
    ck_assert_int_eq(hv_weights_set_metadata(w, "format", "pt"), HV_OK);
    char path[1200];
    snprintf(path, sizeof path, "%s/valid.safetensors", g_dir);
    ck_assert_int_eq(hv_weights_save(w, path), HV_OK);
    hv_weights_free(w);
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    *n = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(*n);
    ck_assert_uint_eq(fread(b, 1, *n, f), *n);
    fclose(f);
    return b;
}

/* Open a mutated file: any outcome but a crash is fine; an error must carry a message naming the file,
 * and an accepted file must be internally consistent (every tensor readable). */
static int open_mutant(const char *path) {
    hv_weights *w = NULL;
    hv_clear_error();
    hv_status st = hv_weights_open(path, &w);
    if (st != HV_OK) {
        ck_assert_ptr_null(w);
        ck_assert_msg(strstr(hv_last_error(), path) != NULL, "message lacks the path: %s", hv_last_error());
        return 0;
    }
    for (size_t i = 0; i < hv_weights_count(w); i++) {
        hv_weight_info info;
        ck_assert_int_eq(hv_weights_info_at(w, i, &info), HV_OK);
        float *dst = malloc((size_t)info.numel * sizeof *dst + 1);
        ck_assert_int_eq(hv_weights_read_f32(w, info.name, dst, (size_t)info.numel), HV_OK);
        free(dst);
    }
    hv_weights_free(w);
    return 1;
}

START_TEST(truncations_and_byte_flips_never_crash) {
    snprintf(g_dir, sizeof g_dir, "%s", hvtest_tmpdir("safetensors_fuzz_mut"));
    size_t n;
    uint8_t *good = valid_file(&n);
    uint8_t *b = malloc(n);
    char path[1200];
    snprintf(path, sizeof path, "%s/mutant.safetensors", g_dir);
    /* every truncation: all must fail (the writer leaves no slack bytes) */
    for (size_t len = 0; len < n; len++) {
        write_bytes(path, good, len);
        ck_assert_msg(open_mutant(path) == 0, "truncation to %zu of %zu bytes was accepted", len, n);
    }
    /* trailing junk after the data section is tolerated by the format; it must at least not crash */
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--) hlen = hlen << 8 | good[i];
    size_t accepted = 0, rejected = 0;
    /* every header byte replaced by a handful of interesting values */
    static const uint8_t repl[] = {0x00, 0x7f, 0xff, '"', '[', ']', '{', '}', ',', '-', '9', '.', 'e', ' ', 0xc3};
    for (size_t pos = 0; pos < 8 + hlen; pos++) {
        for (size_t r = 0; r < sizeof repl; r++) {
            if (good[pos] == repl[r]) continue;
            memcpy(b, good, n);
            b[pos] = repl[r];
            write_bytes(path, b, n);
            if (open_mutant(path)) accepted++;
            else rejected++;
        }
    }
    /* random multi-byte corruption with a fixed seed */
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (int iter = 0; iter < 2000; iter++) {
        memcpy(b, good, n);
        int flips = 1 + iter % 4;
        for (int f = 0; f < flips; f++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            size_t pos = (size_t)(x % (8 + hlen));
            b[pos] ^= (uint8_t)(1u << ((x >> 32) % 8));
        }
        write_bytes(path, b, n);
        if (open_mutant(path)) accepted++;
        else rejected++;
    }
    ck_assert_uint_gt(rejected, 100); /* the mutations really hit the validator */
    ck_assert_uint_gt(accepted, 0);   /* and harmless ones (e.g. a digit inside metadata) still load */
    free(b);
    free(good);
}
END_TEST

int main(void) {
    Suite *s = suite_create("safetensors_fuzz");
    TCase *tc = tcase_create("malformed");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, crafted_headers_are_parse_errors);
    tcase_add_test(tc, header_length_field_and_tiny_files);
    tcase_add_test(tc, truncations_and_byte_flips_never_crash);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
