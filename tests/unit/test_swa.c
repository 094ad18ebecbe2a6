/* SWA averaging of checkpoints: equal-weight means (f32 and f16 inputs), integer buffers, the three
 * BatchNorm-statistics policies, mismatch errors, N=1 identity and glob order. */
#include "hvtest.h"

#include "hemovk/weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NW = 37, NB = 5 };

/* Checkpoint k (0-based) of a tiny BN model: values derived from k so the mean is known. */
static void make_ckpt(const char *path, int k, int variant) {
    hv_weights *w = NULL;
    ck_assert_int_eq(hv_weights_create(NULL, &w), HV_OK);
    float conv[NW], mean[NB], var[NB];
    hvtest_fill_uniform(conv, NW, 100 + (uint64_t)k, -2.f, 2.f);
    hvtest_fill_uniform(mean, NB, 200 + (uint64_t)k, -1.f, 1.f);
    hvtest_fill_uniform(var, NB, 300 + (uint64_t)k, 0.5f, 2.f);
    uint16_t half[NB] = {0}; /* filled below through set_tensor_f32 */
    int64_t dconv[2] = {NW, 1}, dnb[1] = {NB};
    ck_assert_int_eq(hv_weights_add(w, "layers.0.conv.weight", HV_WDT_F32, 2, dconv, conv), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "layers.0.bn.running_mean", HV_WDT_F32, 1, dnb, mean), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "layers.0.bn.running_var", HV_WDT_F32, 1, dnb, var), HV_OK);
    int64_t nbt = 1000 * (k + 1);
    ck_assert_int_eq(hv_weights_add(w, "layers.0.bn.num_batches_tracked", HV_WDT_I64, 0, NULL, &nbt), HV_OK);
    ck_assert_int_eq(hv_weights_add(w, "head.fc.weight", HV_WDT_F16, 1, dnb, half), HV_OK);
    float hv[NB]; /* multiples of 1/8: exact in f16, and so are their means over 2 or 3 files */
    for (int i = 0; i < NB; i++) hv[i] = (float)(i - 2) * 0.125f + (float)k * 0.5f;
    ck_assert_int_eq(hv_weights_set_tensor_f32(w, "head.fc.weight", hv, NB), HV_OK);
    if (variant == 1) { /* extra tensor */
        ck_assert_int_eq(hv_weights_add(w, "head.fc.bias", HV_WDT_F32, 1, dnb, NULL), HV_OK);
    } else if (variant == 2) { /* different shape */
        int64_t d[1] = {NB + 1};
        ck_assert_int_eq(hv_weights_add(w, "neck.extra", HV_WDT_F32, 1, d, NULL), HV_OK);
    } else if (variant == 3) { /* different dtype */
        ck_assert_int_eq(hv_weights_add(w, "neck.extra", HV_WDT_F16, 1, dnb, NULL), HV_OK);
    } else if (variant == 4) {
        ck_assert_int_eq(hv_weights_add(w, "neck.extra", HV_WDT_F32, 1, dnb, NULL), HV_OK);
    }
    ck_assert_int_eq(hv_weights_save(w, path), HV_OK);
    hv_weights_free(w);
}

static void expected_mean(const char *tensor, int n, float *out, size_t count) {
    double acc[NW] = {0};
    for (int k = 0; k < n; k++) {
        float v[NW];
        if (strcmp(tensor, "conv") == 0) hvtest_fill_uniform(v, count, 100 + (uint64_t)k, -2.f, 2.f);
        else if (strcmp(tensor, "mean") == 0) hvtest_fill_uniform(v, count, 200 + (uint64_t)k, -1.f, 1.f);
        else if (strcmp(tensor, "var") == 0) hvtest_fill_uniform(v, count, 300 + (uint64_t)k, 0.5f, 2.f);
        else for (size_t i = 0; i < count; i++) v[i] = (float)((int)i - 2) * 0.125f + (float)k * 0.5f;
        for (size_t i = 0; i < count; i++) acc[i] += v[i];
    }
    for (size_t i = 0; i < count; i++) out[i] = (float)(acc[i] / n);
}

static const char *g_paths[3];
static char g_buf[3][1200];

static void make_three(const char *tag) {
    const char *dir = hvtest_tmpdir(tag);
    for (int k = 0; k < 3; k++) {
        snprintf(g_buf[k], sizeof g_buf[k], "%s/epoch_%d.safetensors", dir, k + 1);
        make_ckpt(g_buf[k], k, 0);
        g_paths[k] = g_buf[k];
    }
}

static void check_close(const hv_weights *w, const char *name, const float *want, size_t n, float tol) {
    float got[NW];
    ck_assert_msg(hv_weights_read_f32(w, name, got, n) == HV_OK, "%s", hv_last_error());
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabsf(got[i] - want[i]) <= tol, "%s[%zu]: %.9g vs %.9g", name, i, (double)got[i],
                      (double)want[i]);
}

START_TEST(average_of_three_with_policies) {
    make_three("swa_avg");
    float conv[NW], mean[NB], var[NB], head[NB], last_mean[NB], last_var[NB];
    expected_mean("conv", 3, conv, NW);
    expected_mean("mean", 3, mean, NB);
    expected_mean("var", 3, var, NB);
    expected_mean("head", 3, head, NB);
    hvtest_fill_uniform(last_mean, NB, 202, -1.f, 1.f);
    hvtest_fill_uniform(last_var, NB, 302, 0.5f, 2.f);

    for (int policy = 0; policy < 3; policy++) {
        hv_swa_options opt = {.bn_policy = (hv_swa_bn_policy)policy};
        hv_weights *w = NULL;
        ck_assert_msg(hv_weights_swa(g_paths, 3, &opt, &w) == HV_OK, "%s", hv_last_error());
        ck_assert_uint_eq(hv_weights_count(w), 5);
        check_close(w, "layers.0.conv.weight", conv, NW, 1e-6f);
        /* f16 inputs: mean of k*0.5 + (i-2)/8 over k=0..2 is exact in f16 */
        hv_weight_info info;
        ck_assert_int_eq(hv_weights_find(w, "head.fc.weight", &info), HV_OK);
        ck_assert_int_eq(info.dtype, HV_WDT_F16);
        check_close(w, "head.fc.weight", head, NB, 0.f);
        /* integer buffer from the last file */
        float nbt;
        ck_assert_int_eq(hv_weights_find(w, "layers.0.bn.num_batches_tracked", &info), HV_OK);
        ck_assert_int_eq(info.dtype, HV_WDT_I64);
        ck_assert_int_eq(hv_weights_read_f32(w, "layers.0.bn.num_batches_tracked", &nbt, 1), HV_OK);
        ck_assert(nbt == 3000.f);
        if (policy == HV_SWA_BN_KEEP_LAST) {
            check_close(w, "layers.0.bn.running_mean", last_mean, NB, 0.f);
            check_close(w, "layers.0.bn.running_var", last_var, NB, 0.f);
        } else {
            check_close(w, "layers.0.bn.running_mean", mean, NB, 1e-6f);
            check_close(w, "layers.0.bn.running_var", var, NB, 1e-6f);
        }
        if (policy == HV_SWA_BN_RECALIBRATE) {
            ck_assert(hv_weights_needs_bn_recalibration(w));
            ck_assert_uint_eq(hv_weights_bn_stat_count(w), 2);
            ck_assert_str_eq(hv_weights_bn_stat_name(w, 0), "layers.0.bn.running_mean");
            ck_assert_str_eq(hv_weights_bn_stat_name(w, 1), "layers.0.bn.running_var");
            ck_assert_ptr_null(hv_weights_bn_stat_name(w, 2));
            float newvar[NB] = {1, 2, 3, 4, 5};
            ck_assert_int_eq(hv_weights_set_tensor_f32(w, "layers.0.bn.running_var", newvar, NB), HV_OK);
            hv_weights_mark_bn_recalibrated(w);
            ck_assert(!hv_weights_needs_bn_recalibration(w));
            check_close(w, "layers.0.bn.running_var", newvar, NB, 0.f);
        } else {
            ck_assert(!hv_weights_needs_bn_recalibration(w));
            ck_assert_uint_eq(hv_weights_bn_stat_count(w), 0);
        }
        ck_assert_str_eq(hv_weights_metadata(w, "hemovk.swa.count"), "3");
        ck_assert_str_eq(hv_weights_metadata(w, "hemovk.swa.bn_policy"),
                         policy == 0 ? "average" : policy == 1 ? "keep_last" : "recalibrate");
        ck_assert_ptr_nonnull(strstr(hv_weights_source(w), "swa(3 files"));
        hv_weights_free(w);
    }
}
END_TEST

START_TEST(output_f32_and_save_round_trip) {
    make_three("swa_f32");
    hv_swa_options opt = {.bn_policy = HV_SWA_BN_AVERAGE, .output_f32 = 1};
    hv_weights *w = NULL;
    ck_assert_int_eq(hv_weights_swa(g_paths, 2, &opt, &w), HV_OK);
    hv_weight_info info;
    ck_assert_int_eq(hv_weights_find(w, "head.fc.weight", &info), HV_OK);
    ck_assert_int_eq(info.dtype, HV_WDT_F32);
    float head[NB];
    expected_mean("head", 2, head, NB);
    check_close(w, "head.fc.weight", head, NB, 0.f);
    /* the averaged set saves and reloads like any checkpoint */
    char out[1300];
    snprintf(out, sizeof out, "%s.avg", g_paths[0]);
    ck_assert_int_eq(hv_weights_save(w, out), HV_OK);
    hv_weights *r = NULL;
    ck_assert_int_eq(hv_weights_open(out, &r), HV_OK);
    check_close(r, "head.fc.weight", head, NB, 0.f);
    ck_assert_str_eq(hv_weights_metadata(r, "hemovk.swa.count"), "2");
    hv_weights_free(r);
    hv_weights_free(w);
}
END_TEST

START_TEST(single_file_loads_as_is) {
    make_three("swa_one");
    hv_swa_options opt = {.bn_policy = HV_SWA_BN_RECALIBRATE};
    hv_weights *w = NULL, *f = NULL;
    ck_assert_int_eq(hv_weights_swa(g_paths + 1, 1, &opt, &w), HV_OK);
    ck_assert_int_eq(hv_weights_open(g_paths[1], &f), HV_OK);
    ck_assert(!hv_weights_needs_bn_recalibration(w));
    ck_assert_uint_eq(hv_weights_count(w), hv_weights_count(f));
    for (size_t i = 0; i < hv_weights_count(f); i++) {
        hv_weight_info a, b;
        const void *pa, *pb;
        ck_assert_int_eq(hv_weights_info_at(f, i, &a), HV_OK);
        ck_assert_int_eq(hv_weights_data(w, a.name, &pb, &b), HV_OK);
        ck_assert_int_eq(hv_weights_data(f, a.name, &pa, NULL), HV_OK);
        ck_assert_int_eq(a.dtype, b.dtype);
        ck_assert_uint_eq(a.nbytes, b.nbytes);
        ck_assert_mem_eq(pa, pb, a.nbytes);
    }
    hv_weights_free(f);
    hv_weights_free(w);
}
END_TEST

START_TEST(mismatches_name_tensor_and_files) {
    const char *dir = hvtest_tmpdir("swa_mismatch");
    char a[1200], b[1200];
    snprintf(a, sizeof a, "%s/a.safetensors", dir);
    snprintf(b, sizeof b, "%s/b.safetensors", dir);
    const char *paths[2] = {a, b};
    hv_weights *w = (hv_weights *)1;
    struct { int va, vb; const char *needle; } cases[] = {
        {0, 1, "tensor 'head.fc.bias' is in "},  /* key only in b */
        {1, 0, "tensor 'head.fc.bias' is in "},  /* key only in a */
        {4, 2, "tensor 'neck.extra' is F32[5]"}, /* shape */
        {4, 3, "tensor 'neck.extra' is F32[5]"}, /* dtype */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        make_ckpt(a, 0, cases[i].va);
        make_ckpt(b, 1, cases[i].vb);
        ck_assert_int_eq(hv_weights_swa(paths, 2, NULL, &w), HV_ERR_SCHEMA);
        ck_assert_ptr_null(w);
        const char *msg = hv_last_error();
        ck_assert_msg(strstr(msg, cases[i].needle), "case %zu: %s", i, msg);
        ck_assert_msg(strstr(msg, a) && strstr(msg, b), "case %zu lacks a file: %s", i, msg);
    }
    /* an unreadable input names which one */
    make_ckpt(a, 0, 0);
    const char *bad[2] = {a, "/nonexistent/epoch_2.safetensors"};
    ck_assert_int_eq(hv_weights_swa(bad, 2, NULL, &w), HV_ERR_IO);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "SWA input 2 of 2"));
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "/nonexistent/epoch_2.safetensors"));
    ck_assert_int_eq(hv_weights_swa(bad, 0, NULL, &w), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(glob_uses_natural_order) {
    const char *dir = hvtest_tmpdir("swa_glob");
    char p[1200];
    int epochs[3] = {9, 10, 8}; /* lexical order would make epoch_9 last */
    for (int k = 0; k < 3; k++) {
        snprintf(p, sizeof p, "%s/epoch_%d.safetensors", dir, epochs[k]);
        make_ckpt(p, epochs[k] == 10 ? 2 : k == 0 ? 1 : 0, 0); /* epoch_10 holds checkpoint #2's values */
    }
    snprintf(p, sizeof p, "%s/epoch_*.safetensors", dir);
    hv_swa_options opt = {.bn_policy = HV_SWA_BN_KEEP_LAST};
    hv_weights *w = NULL;
    ck_assert_msg(hv_weights_swa_glob(p, &opt, &w) == HV_OK, "%s", hv_last_error());
    float last_mean[NB], conv[NW];
    hvtest_fill_uniform(last_mean, NB, 202, -1.f, 1.f);
    check_close(w, "layers.0.bn.running_mean", last_mean, NB, 0.f);
    expected_mean("conv", 3, conv, NW);
    check_close(w, "layers.0.conv.weight", conv, NW, 1e-6f);
    ck_assert_ptr_nonnull(strstr(hv_weights_source(w), "epoch_8.safetensors .. "));
    ck_assert_ptr_nonnull(strstr(hv_weights_source(w), "epoch_10.safetensors)"));
    hv_weights_free(w);
    snprintf(p, sizeof p, "%s/nothing_*.safetensors", dir);
    ck_assert_int_eq(hv_weights_swa_glob(p, NULL, &w), HV_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "nothing_*"));
}
END_TEST

int main(void) {
    Suite *s = suite_create("swa");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, average_of_three_with_policies);
    tcase_add_test(tc, output_f32_and_save_round_trip);
    tcase_add_test(tc, single_file_loads_as_is);
    tcase_add_test(tc, mismatches_name_tensor_and_files);
    tcase_add_test(tc, glob_uses_natural_order);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
