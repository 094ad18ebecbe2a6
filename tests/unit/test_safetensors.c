/* safetensors reader/writer and the hv_weights set: round trips, dtype conversion, lookups with
 * suggestions, editing, alignment. Malformed files are in test_safetensors_fuzz.c. */
#include "hvtest.h"

#include "hemovk/weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char g_path[1024];

static const char *tmp_file(const char *tag, const char *name) {
    snprintf(g_path, sizeof g_path, "%s/%s", hvtest_tmpdir(tag), name);
    return g_path;
}

/* Write a raw safetensors file from a header string and `data_len` bytes of data. */
static void write_raw(const char *path, const char *header, const void *data, size_t data_len) {
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    uint64_t n = strlen(header);
    uint8_t len8[8];
    for (int i = 0; i < 8; i++) len8[i] = (uint8_t)(n >> (8 * i));
    ck_assert_uint_eq(fwrite(len8, 1, 8, f), 8);
    ck_assert_uint_eq(fwrite(header, 1, n, f), n);
    if (data_len) ck_assert_uint_eq(fwrite(data, 1, data_len, f), data_len);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(round_trip_all_dtypes) {
    hv_weights *w = NULL;
    ck_assert_int_eq(hv_weights_create("test", &w), HV_OK);
    float f32[6];
    hvtest_fill_uniform(f32, 6, 1, -3.f, 3.f);
    int64_t d23[2] = {2, 3};
    uint16_t f16[3] = {0x3c00 /* 1 */, 0xc000 /* -2 */, 0x3555 /* 0.333251953125 */};
    uint16_t bf16[2] = {0x3f80 /* 1 */, 0xc0a0 /* -5 */};
    double f64[2] = {1.5, -1e-3};
    int64_t i64[1] = {12345};
    uint8_t u8[3] = {0, 7, 255};
    int64_t d3[1] = {3}, d2[1] = {2}, d1[1] = {1}, d0[1] = {0};
    ck_assert_int_eq(hv_weights_add(w, "b.weight", HV_WDT_F32, 2, d23, f32), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "a.half", HV_WDT_F16, 1, d3, f16), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "c.bf16", HV_WDT_BF16, 1, d2, bf16), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "d.f64", HV_WDT_F64, 1, d2, f64), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "bn.num_batches_tracked", HV_WDT_I64, 0, NULL, i64), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "e.u8", HV_WDT_U8, 1, d3, u8), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "f.one", HV_WDT_F16, 1, d1, f16), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "g.empty", HV_WDT_F32, 1, d0, NULL), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "a.half", HV_WDT_F16, 1, d3, f16), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "'a.half' appears twice"));
    ck_assert_int_eq(hv_weights_set_metadata(w, "format", "pt"), HV_OK);
    ck_assert_int_eq(hv_weights_set_metadata(w, "quote\"key", "line\nbreak"), HV_OK);
    const char *path = tmp_file("safetensors_rt", "rt.safetensors");
    ck_assert_int_eq(hv_weights_save(w, path), HV_OK);
    hv_weights_free(w);

    hv_weights *r = NULL;
    ck_assert_msg(hv_weights_open(path, &r) == HV_OK, "%s", hv_last_error());
    ck_assert_uint_eq(hv_weights_count(r), 8);
    /* iteration is in name order */
    hv_weight_info info, prev;
    for (size_t i = 0; i < hv_weights_count(r); i++) {
        ck_assert_int_eq(hv_weights_info_at(r, i, &info), HV_OK);
        if (i) ck_assert_int_lt(strcmp(prev.name, info.name), 0);
        prev = info;
        /* every tensor's data is aligned to its element size */
        const void *p;
        ck_assert_int_eq(hv_weights_data(r, info.name, &p, NULL), HV_OK);
        ck_assert_uint_eq((uintptr_t)p % hv_weight_dtype_size(info.dtype), 0);
    }
    ck_assert_int_eq(hv_weights_info_at(r, 8, &info), HV_ERR_INVALID_ARGUMENT);
    ck_assert_str_eq(hv_weights_metadata(r, "format"), "pt");
    ck_assert_str_eq(hv_weights_metadata(r, "quote\"key"), "line\nbreak");
    ck_assert_ptr_null(hv_weights_metadata(r, "nope"));

    float got[6];
    ck_assert_int_eq(hv_weights_find(r, "b.weight", &info), HV_OK);
    ck_assert_int_eq(info.dtype, HV_WDT_F32);
    ck_assert_uint_eq(info.rank, 2);
    ck_assert_int_eq(info.dims[0], 2);
    ck_assert_int_eq(info.dims[1], 3);
    ck_assert_int_eq(info.numel, 6);
    ck_assert_uint_eq(info.nbytes, 24);
    ck_assert_int_eq(hv_weights_read_f32(r, "b.weight", got, 6), HV_OK);
    ck_assert_mem_eq(got, f32, sizeof f32);
    ck_assert_int_eq(hv_weights_read_f32_shape(r, "b.weight", 2, d23, got), HV_OK);
    int64_t wrong[2] = {3, 2};
    ck_assert_int_eq(hv_weights_read_f32_shape(r, "b.weight", 2, wrong, got), HV_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "expected [3, 2], file has [2, 3]"));
    ck_assert_int_eq(hv_weights_read_f32(r, "b.weight", got, 5), HV_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "'b.weight'"));

    ck_assert_int_eq(hv_weights_read_f32(r, "a.half", got, 3), HV_OK);
    ck_assert(got[0] == 1.f && got[1] == -2.f && got[2] == 0.333251953125f);
    ck_assert_int_eq(hv_weights_read_f32(r, "c.bf16", got, 2), HV_OK);
    ck_assert(got[0] == 1.f && got[1] == -5.f);
    ck_assert_int_eq(hv_weights_read_f32(r, "d.f64", got, 2), HV_OK);
    ck_assert(got[0] == 1.5f && got[1] == (float)-1e-3);
    ck_assert_int_eq(hv_weights_find(r, "bn.num_batches_tracked", &info), HV_OK);
    ck_assert_uint_eq(info.rank, 0);
    ck_assert_int_eq(info.numel, 1);
    ck_assert_int_eq(hv_weights_read_f32(r, "bn.num_batches_tracked", got, 1), HV_OK);
    ck_assert(got[0] == 12345.f);
    ck_assert_int_eq(hv_weights_read_f32(r, "e.u8", got, 3), HV_OK);
    ck_assert(got[0] == 0.f && got[1] == 7.f && got[2] == 255.f);
    ck_assert_int_eq(hv_weights_read_f32(r, "g.empty", got, 0), HV_OK);
    hv_weights_free(r);
}
END_TEST

START_TEST(not_found_suggests_close_names) {
    hv_weights *w = NULL;
    ck_assert_int_eq(hv_weights_create("model.safetensors", &w), HV_OK);
    int64_t d[1] = {4};
    ck_assert_int_eq(hv_weights_add(w, "backbone.layers.0.conv.weight", HV_WDT_F32, 1, d, NULL), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "backbone.layers.0.bn.weight", HV_WDT_F32, 1, d, NULL), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "head.fc.bias", HV_WDT_F32, 1, d, NULL), HV_OK);
    ck_assert(!hv_weights_has(w, "layers.0.conv.weight"));
    /* typo */
    ck_assert_int_eq(hv_weights_find(w, "backbone.layers.0.conv.weigth", NULL), HV_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "model.safetensors: no tensor 'backbone.layers.0.conv.weigth'"));
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "did you mean 'backbone.layers.0.conv.weight'"));
    /* missing prefix */
    ck_assert_int_eq(hv_weights_find(w, "layers.0.conv.weight", NULL), HV_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "'backbone.layers.0.conv.weight'"));
    /* extra prefix */
    ck_assert_int_eq(hv_weights_read_f32(w, "module.head.fc.bias", NULL, 4), HV_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "did you mean 'head.fc.bias'"));
    /* nothing close */
    ck_assert_int_eq(hv_weights_find(w, "rpn_head.rpn_cls.weight", NULL), HV_ERR_NOT_FOUND);
    ck_assert_ptr_null(strstr(hv_last_error(), "did you mean"));
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "'rpn_head.rpn_cls.weight'"));
    hv_weights_free(w);
}
END_TEST

START_TEST(set_tensor_f32_on_mapped_and_owned) {
    hv_weights *w = NULL;
    ck_assert_int_eq(hv_weights_create(NULL, &w), HV_OK);
    int64_t d[1] = {3};
    float v[3] = {1, 2, 3};
    int64_t i64[3] = {1, 2, 3};
    ck_assert_int_eq(hv_weights_add(w, "bn.running_mean", HV_WDT_F16, 1, d, NULL), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "bn.running_var", HV_WDT_F32, 1, d, v), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "bn.count", HV_WDT_I64, 1, d, i64), HV_OK);
    const char *path = tmp_file("safetensors_set", "set.safetensors");
    ck_assert_int_eq(hv_weights_save(w, path), HV_OK);
    hv_weights_free(w);

    hv_weights *r = NULL;
    ck_assert_int_eq(hv_weights_open(path, &r), HV_OK);
    float nv[3] = {0.5f, -0.25f, 70000.f}, got[3];
    ck_assert_int_eq(hv_weights_set_tensor_f32(r, "bn.running_mean", nv, 3), HV_OK);
    ck_assert_int_eq(hv_weights_read_f32(r, "bn.running_mean", got, 3), HV_OK);
    ck_assert(got[0] == 0.5f && got[1] == -0.25f && isinf(got[2])); /* f16 storage: past 65504 is Inf */
    ck_assert_int_eq(hv_weights_set_tensor_f32(r, "bn.running_var", nv, 3), HV_OK);
    ck_assert_int_eq(hv_weights_read_f32(r, "bn.running_var", got, 3), HV_OK);
    ck_assert_mem_eq(got, nv, sizeof nv);
    ck_assert_int_eq(hv_weights_set_tensor_f32(r, "bn.count", nv, 3), HV_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(hv_weights_set_tensor_f32(r, "bn.running_var", nv, 2), HV_ERR_SHAPE);
    ck_assert_int_eq(hv_weights_set_tensor_f32(r, "bn.running_vr", nv, 3), HV_ERR_NOT_FOUND);
    /* the file itself is unchanged */
    hv_weights *r2 = NULL;
    ck_assert_int_eq(hv_weights_open(path, &r2), HV_OK);
    ck_assert_int_eq(hv_weights_read_f32(r2, "bn.running_var", got, 3), HV_OK);
    ck_assert(got[0] == 1.f && got[1] == 2.f && got[2] == 3.f);
    hv_weights_free(r2);
    hv_weights_free(r);
}
END_TEST

START_TEST(f16_conversion_exhaustive) {
    /* Every finite half survives f16 -> f32 -> f16 exactly; rounding of midpoints is to even. */
    hv_weights *w = NULL;
    ck_assert_int_eq(hv_weights_create(NULL, &w), HV_OK);
    int64_t d[1] = {65536};
    uint16_t *all = malloc(65536 * sizeof *all);
    float *f = malloc(65536 * sizeof *f), *g = malloc(65536 * sizeof *g);
    for (uint32_t i = 0; i < 65536; i++) all[i] = (uint16_t)i;
    ck_assert_int_eq(hv_weights_add(w, "h", HV_WDT_F16, 1, d, all), HV_OK);
    ck_assert_int_eq(hv_weights_read_f32(w, "h", f, 65536), HV_OK);
    ck_assert(f[0x3c00] == 1.f && f[0x0001] == ldexpf(1.f, -24) && f[0x7bff] == 65504.f && isinf(f[0x7c00]));
    ck_assert(isnan(f[0x7e00]));
    ck_assert_int_eq(hv_weights_set_tensor_f32(w, "h", f, 65536), HV_OK);
    ck_assert_int_eq(hv_weights_read_f32(w, "h", g, 65536), HV_OK);
    for (uint32_t i = 0; i < 65536; i++) {
        if (isnan(f[i])) ck_assert(isnan(g[i]));
        else ck_assert_msg(f[i] == g[i], "half 0x%04x: %g became %g", i, (double)f[i], (double)g[i]);
    }
    /* midpoints: 1 + 2^-11 is halfway between 1 and 1+2^-10 -> even (1); 65519 -> 65504; 65520 -> Inf */
    float mid[4] = {1.f + ldexpf(1.f, -11), 1.f + 3 * ldexpf(1.f, -11), 65519.f, 65520.f};
    int64_t d4[1] = {4};
    ck_assert_int_eq(hv_weights_add(w, "m", HV_WDT_F16, 1, d4, NULL), HV_OK);
    ck_assert_int_eq(hv_weights_set_tensor_f32(w, "m", mid, 4), HV_OK);
    ck_assert_int_eq(hv_weights_read_f32(w, "m", g, 4), HV_OK);
    ck_assert(g[0] == 1.f && g[1] == 1.f + ldexpf(1.f, -9) && g[2] == 65504.f && isinf(g[3]));
    free(all);
    free(f);
    free(g);
    hv_weights_free(w);
}
END_TEST

START_TEST(reads_unaligned_and_padded_files) {
    /* A foreign writer may leave a tensor misaligned and pad with spaces; data must still read right. */
    const char *path = tmp_file("safetensors_unaligned", "u.safetensors");
    uint8_t data[1 + 8];
    float vals[2] = {3.5f, -7.25f};
    data[0] = 42;
    memcpy(data + 1, vals, 8);
    write_raw(path, "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                    "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[1,9]}}   ", data, sizeof data);
    hv_weights *r = NULL;
    ck_assert_msg(hv_weights_open(path, &r) == HV_OK, "%s", hv_last_error());
    const void *p;
    ck_assert_int_eq(hv_weights_data(r, "b", &p, NULL), HV_OK);
    ck_assert_uint_eq((uintptr_t)p % 4, 0);
    float got[2];
    ck_assert_int_eq(hv_weights_read_f32(r, "b", got, 2), HV_OK);
    ck_assert(got[0] == 3.5f && got[1] == -7.25f);
    hv_weights_free(r);
}
END_TEST

START_TEST(open_missing_file_is_io_error) {
    hv_weights *r = (hv_weights *)1;
    ck_assert_int_eq(hv_weights_open("/nonexistent/dir/w.safetensors", &r), HV_ERR_IO);
    ck_assert_ptr_null(r);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "/nonexistent/dir/w.safetensors"));
    ck_assert_int_eq(hv_weights_open(hvtest_tmpdir("safetensors_dir"), &r), HV_ERR_IO);
    ck_assert_int_eq(hv_weights_save(NULL, "x"), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

int main(void) {
    Suite *s = suite_create("safetensors");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, round_trip_all_dtypes);
    tcase_add_test(tc, not_found_suggests_close_names);
    tcase_add_test(tc, set_tensor_f32_on_mapped_and_owned);
    tcase_add_test(tc, f16_conversion_exhaustive);
    tcase_add_test(tc, reads_unaligned_and_padded_files);
    tcase_add_test(tc, open_missing_file_is_io_error);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
