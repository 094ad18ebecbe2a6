/* tools/convert_checkpoint.py end to end: PyTorch checkpoints generated at test time (convert_fixtures.py)
 * are converted and read back through the C safetensors reader; names, shapes, dtypes and values are
 * checked, and unknown / missing keys must fail naming the key. Skips (exit 77) only when
 * HEMOVK_PYTHON cannot import torch and torchvision. */
#include "hvtest.h"

#include "hemovk/weights.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static char g_dir[1024];
static char g_err[65536]; /* stderr of the last conversion */

/* Run the converter with `args` (already shell-quoted where needed); returns its exit status. */
static int convert(const char *args) {
    char cmd[4096], errpath[1200];
    snprintf(errpath, sizeof errpath, "%s/stderr.txt", g_dir);
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' '%s/tools/convert_checkpoint.py' %s > stdout.txt 2> '%s'", g_dir,
             HEMOVK_PYTHON, HEMOVK_SOURCE_DIR, args, errpath);
    int rc = system(cmd);
    FILE *f = fopen(errpath, "rb");
    size_t n = f ? fread(g_err, 1, sizeof g_err - 1, f) : 0;
    g_err[n] = 0;
    if (f) fclose(f);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : 128;
}

static hv_weights *open_out(const char *name) {
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", g_dir, name);
    hv_weights *w = NULL;
    ck_assert_msg(hv_weights_open(p, &w) == HV_OK, "%s", hv_last_error());
    return w;
}

/* x[i] = i * 0.1 - 1 in float32 arithmetic, as the fixtures make it. */
static float ramp(size_t i) { return (float)i * 0.1f - 1.0f; }

static void check_ramp(const hv_weights *w, const char *name, hv_weight_dtype dtype, size_t n, float tol) {
    hv_weight_info info;
    ck_assert_msg(hv_weights_find(w, name, &info) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(info.dtype == dtype, "%s: dtype %s, expected %s", name, hv_weight_dtype_name(info.dtype),
                  hv_weight_dtype_name(dtype));
    ck_assert_int_eq(info.numel, (int64_t)n);
    float *v = malloc(n * sizeof *v);
    ck_assert_int_eq(hv_weights_read_f32(w, name, v, n), HV_OK);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(fabsf(v[i] - ramp(i)) <= tol * (1.f + fabsf(ramp(i))), "%s[%zu] = %.8g, expected %.8g", name,
                      i, (double)v[i], (double)ramp(i));
    free(v);
}

/* Every tensor of `a` is in `b` with the same bytes (two namings of one checkpoint). */
static void check_same_tensors(const hv_weights *a, const hv_weights *b) {
    for (size_t i = 0; i < hv_weights_count(a); i++) {
        hv_weight_info ia, ib;
        const void *pa, *pb;
        ck_assert_int_eq(hv_weights_info_at(a, i, &ia), HV_OK);
        ck_assert_int_eq(hv_weights_data(a, ia.name, &pa, NULL), HV_OK);
        ck_assert_msg(hv_weights_data(b, ia.name, &pb, &ib) == HV_OK, "%s", hv_last_error());
        ck_assert_uint_eq(ia.nbytes, ib.nbytes);
        ck_assert_msg(memcmp(pa, pb, ia.nbytes) == 0, "%s differs", ia.name);
    }
}

static void check_plain_tensors(const hv_weights *w, int f16) {
    ck_assert_uint_eq(hv_weights_count(w), 6);
    check_ramp(w, "backbone.a.weight", f16 ? HV_WDT_F16 : HV_WDT_F32, 24, f16 ? 1e-3f : 0.f);
    check_ramp(w, "backbone.b.half", HV_WDT_F16, 5, 1e-3f);
    check_ramp(w, "backbone.c.bf16", f16 ? HV_WDT_F16 : HV_WDT_BF16, 3, 1e-2f);
    check_ramp(w, "backbone.d.f64", f16 ? HV_WDT_F16 : HV_WDT_F64, 4, f16 ? 1e-3f : 1e-7f);
    check_ramp(w, "head.fc.bias", f16 ? HV_WDT_F16 : HV_WDT_F32, 2, f16 ? 1e-3f : 0.f);
    hv_weight_info info;
    ck_assert_int_eq(hv_weights_find(w, "backbone.a.weight", &info), HV_OK);
    ck_assert_uint_eq(info.rank, 3);
    ck_assert(info.dims[0] == 2 && info.dims[1] == 3 && info.dims[2] == 4);
    ck_assert_int_eq(hv_weights_find(w, "backbone.bn.num_batches_tracked", &info), HV_OK);
    ck_assert_int_eq(info.dtype, HV_WDT_I64);
    ck_assert_uint_eq(info.rank, 0);
    float nbt;
    ck_assert_int_eq(hv_weights_read_f32(w, "backbone.bn.num_batches_tracked", &nbt, 1), HV_OK);
    ck_assert(nbt == 7.f);
}

START_TEST(plain_state_dict_keeps_dtypes) {
    ck_assert_msg(convert("plain.pth -o plain.safetensors") == 0, "%s", g_err);
    hv_weights *w = open_out("plain.safetensors");
    check_plain_tensors(w, 0);
    ck_assert_str_eq(hv_weights_metadata(w, "hemovk.naming"), "mm");
    ck_assert_str_eq(hv_weights_metadata(w, "format"), "pt");
    hv_weights_free(w);
}
END_TEST

START_TEST(f16_output) {
    ck_assert_msg(convert("plain.pth -o plain16.safetensors --dtype f16") == 0, "%s", g_err);
    hv_weights *w = open_out("plain16.safetensors");
    check_plain_tensors(w, 1);
    hv_weights_free(w);
    /* values past the f16 range fail naming the tensor rather than becoming Inf */
    ck_assert_int_ne(convert("overflow.pth -o o.safetensors --dtype f16"), 0);
    ck_assert_msg(strstr(g_err, "'head.fc.weight'") && strstr(g_err, "overflow f16"), "%s", g_err);
}
END_TEST

START_TEST(state_dict_wrapper_and_module_prefix) {
    ck_assert_msg(convert("wrapped.pth -o wrapped.safetensors") == 0, "%s", g_err);
    ck_assert_ptr_nonnull(strstr(g_err, "'module.' removed from 6"));
    hv_weights *w = open_out("wrapped.safetensors");
    check_plain_tensors(w, 0);
    hv_weights_free(w);
}
END_TEST

START_TEST(mm_unknown_key_fails_naming_it) {
    ck_assert_int_eq(convert("mm_unknown.pth -o u.safetensors"), 1);
    ck_assert_msg(strstr(g_err, "unknown key 'foo.bar'"), "%s", g_err);
    ck_assert_msg(convert("mm_unknown.pth -o u.safetensors --allow-unknown") == 0, "%s", g_err);
    ck_assert_msg(strstr(g_err, "unknown key 'foo.bar'"), "still reported: %s", g_err);
    hv_weights *w = open_out("u.safetensors");
    ck_assert(hv_weights_has(w, "foo.bar")); /* mm naming keeps it: nothing is silently dropped */
    hv_weights_free(w);
}
END_TEST

START_TEST(torchvision_efficientnet_b0_gets_mmpretrain_names) {
    ck_assert_msg(convert("tv_b0.pth -o b0.safetensors --from torchvision-efficientnet") == 0, "%s", g_err);
    ck_assert_msg(!strstr(g_err, "unknown key") && !strstr(g_err, "missing key"), "%s", g_err);
    ck_assert_ptr_nonnull(strstr(g_err, "architecture 'b0'"));
    hv_weights *w = open_out("b0.safetensors");
    ck_assert_uint_eq(hv_weights_count(w), 360); /* every torchvision tensor, renamed */
    static const struct { const char *name; uint32_t rank; int64_t dims[4]; } expect[] = {
        {"backbone.layers.0.conv.weight", 4, {32, 3, 3, 3}},
        {"backbone.layers.0.bn.running_var", 1, {32}},
        {"backbone.layers.1.0.depthwise_conv.conv.weight", 4, {32, 1, 3, 3}},
        {"backbone.layers.1.0.se.conv1.conv.weight", 4, {8, 32, 1, 1}},
        {"backbone.layers.1.0.se.conv2.conv.bias", 1, {32}},
        {"backbone.layers.1.0.linear_conv.conv.weight", 4, {16, 32, 1, 1}},
        {"backbone.layers.2.0.expand_conv.conv.weight", 4, {96, 16, 1, 1}},
        {"backbone.layers.2.1.expand_conv.bn.weight", 1, {144}},
        {"backbone.layers.3.0.depthwise_conv.conv.weight", 4, {144, 1, 5, 5}},
        {"backbone.layers.4.2.linear_conv.bn.bias", 1, {80}},
        {"backbone.layers.4.3.depthwise_conv.conv.weight", 4, {480, 1, 5, 5}},
        {"backbone.layers.4.5.linear_conv.conv.weight", 4, {112, 672, 1, 1}},
        {"backbone.layers.5.3.se.conv1.conv.weight", 4, {48, 1152, 1, 1}},
        {"backbone.layers.5.4.linear_conv.conv.weight", 4, {320, 1152, 1, 1}},
        {"backbone.layers.6.conv.weight", 4, {1280, 320, 1, 1}},
        {"backbone.layers.6.bn.num_batches_tracked", 0, {0}},
        {"head.fc.weight", 2, {1000, 1280}},
    };
    for (size_t i = 0; i < sizeof expect / sizeof expect[0]; i++) {
        hv_weight_info info;
        ck_assert_msg(hv_weights_find(w, expect[i].name, &info) == HV_OK, "%s", hv_last_error());
        ck_assert_uint_eq(info.rank, expect[i].rank);
        for (uint32_t d = 0; d < info.rank; d++)
            ck_assert_msg(info.dims[d] == expect[i].dims[d], "%s dim %u", expect[i].name, d);
    }
    ck_assert(!hv_weights_has(w, "backbone.layers.4.6.depthwise_conv.conv.weight"));
    ck_assert(!hv_weights_has(w, "backbone.layers.1.0.expand_conv.conv.weight"));
    /* values travel with the names: tv features.5.0 dw conv is mm layers.4.3 */
    check_ramp(w, "backbone.layers.4.3.depthwise_conv.conv.weight", HV_WDT_F32, 480 * 25, 0.f);
    check_ramp(w, "head.fc.bias", HV_WDT_F32, 1000, 0.f);
    hv_weights_free(w);
}
END_TEST

START_TEST(torchvision_unknown_and_missing_keys_fail_by_name) {
    ck_assert_int_eq(convert("tv_b0_unknown.pth -o x.safetensors --from torchvision-efficientnet"), 1);
    ck_assert_msg(strstr(g_err, "unknown key 'features.9.0.weight'"), "%s", g_err);
    ck_assert_int_eq(convert("tv_b0_missing.pth -o x.safetensors --from torchvision-efficientnet"), 1);
    ck_assert_msg(strstr(g_err, "missing key 'backbone.layers.6.bn.running_var'"), "%s", g_err);
    ck_assert_msg(convert("tv_b0_missing.pth -o x.safetensors --from torchvision-efficientnet --allow-missing") == 0,
                  "%s", g_err);
    hv_weights *w = open_out("x.safetensors");
    ck_assert_uint_eq(hv_weights_count(w), 359);
    hv_weights_free(w);
}
END_TEST

START_TEST(convnext_torchvision_and_timm_agree) {
    ck_assert_msg(convert("tv_convnext_t.pth -o tv_ct.safetensors --from torchvision-convnext") == 0, "%s", g_err);
    ck_assert_msg(!strstr(g_err, "unknown key") && !strstr(g_err, "missing key"), "%s", g_err);
    ck_assert_msg(convert("timm_convnext_t.pth -o timm_ct.safetensors --from timm-convnext") == 0, "%s", g_err);
    ck_assert_msg(!strstr(g_err, "unknown key") && !strstr(g_err, "missing key"), "%s", g_err);
    hv_weights *a = open_out("tv_ct.safetensors"), *b = open_out("timm_ct.safetensors");
    ck_assert_uint_eq(hv_weights_count(a), 182);
    ck_assert_uint_eq(hv_weights_count(a), hv_weights_count(b));
    check_ramp(a, "backbone.stages.2.4.gamma", HV_WDT_F32, 384, 0.f); /* layer_scale [C,1,1] -> gamma [C] */
    hv_weight_info info;
    ck_assert_int_eq(hv_weights_find(a, "backbone.stages.2.4.gamma", &info), HV_OK);
    ck_assert_uint_eq(info.rank, 1);
    static const char *const names[] = {"backbone.downsample_layers.0.0.weight", "backbone.downsample_layers.0.1.bias",
                                        "backbone.downsample_layers.3.1.weight", "backbone.stages.3.2.pointwise_conv2.weight",
                                        "backbone.stages.0.0.norm.weight", "backbone.norm3.weight", "head.fc.weight"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        ck_assert_msg(hv_weights_has(a, names[i]), "missing %s", names[i]);
    check_same_tensors(a, b);
    hv_weights_free(a);
    hv_weights_free(b);
}
END_TEST

/* timm names and a 2-class head: the same tensors as the torchvision file they were written from, and
 * the head keeps the checkpoint's class count (the expected-shape check is for the rest of the network). */
START_TEST(efficientnet_timm_and_two_class_heads) {
    ck_assert_msg(convert("tv_b0_2cls.pth -o tv2.safetensors --from torchvision-efficientnet") == 0, "%s", g_err);
    ck_assert_msg(!strstr(g_err, "unknown key") && !strstr(g_err, "missing key"), "%s", g_err);
    ck_assert_msg(strstr(g_err, "head with 2 classes"), "%s", g_err);
    ck_assert_msg(convert("timm_b0_2cls.pth -o timm2.safetensors --from timm-efficientnet") == 0, "%s", g_err);
    ck_assert_msg(!strstr(g_err, "unknown key") && !strstr(g_err, "missing key"), "%s", g_err);
    ck_assert_msg(strstr(g_err, "architecture 'b0'"), "%s", g_err);
    hv_weights *a = open_out("tv2.safetensors"), *b = open_out("timm2.safetensors");
    ck_assert_uint_eq(hv_weights_count(a), 360);
    ck_assert_uint_eq(hv_weights_count(b), 360);
    hv_weight_info info;
    ck_assert_int_eq(hv_weights_find(b, "head.fc.weight", &info), HV_OK);
    ck_assert_int_eq(info.dims[0], 2);
    ck_assert_int_eq(info.dims[1], 1280);
    check_ramp(b, "backbone.layers.4.3.depthwise_conv.conv.weight", HV_WDT_F32, 480 * 25, 0.f);
    check_ramp(b, "head.fc.bias", HV_WDT_F32, 2, 0.f);
    check_same_tensors(a, b);
    hv_weights_free(a);
    hv_weights_free(b);
    /* the other checks stay on: told it is a b1, the b0's missing blocks are named */
    ck_assert_int_eq(convert("timm_b0_2cls.pth -o x.safetensors --from timm-efficientnet --arch b1"), 1);
    ck_assert_msg(strstr(g_err, "missing key 'backbone.layers.2.2."), "%s", g_err);
}
END_TEST

START_TEST(list_prints_names_and_bad_input_is_an_error) {
    ck_assert_msg(convert("plain.pth --list") == 0, "%s", g_err);
    char p[1200], line[512];
    snprintf(p, sizeof p, "%s/stdout.txt", g_dir);
    FILE *f = fopen(p, "r");
    ck_assert_ptr_nonnull(f);
    int found = 0, lines = 0;
    while (fgets(line, sizeof line, f)) {
        lines++;
        if (strcmp(line, "backbone.a.weight\tF32\t[2, 3, 4]\n") == 0) found = 1;
    }
    fclose(f);
    ck_assert_int_eq(lines, 6);
    ck_assert(found);
    /* not a checkpoint: a clear message, no traceback */
    snprintf(p, sizeof p, "%s/garbage.pth", g_dir);
    f = fopen(p, "w");
    fputs("not a pickle", f);
    fclose(f);
    ck_assert_int_eq(convert("garbage.pth -o g.safetensors"), 1);
    ck_assert_msg(strstr(g_err, "garbage.pth: cannot load") && !strstr(g_err, "Traceback"), "%s", g_err);
}
END_TEST

int main(void) {
    HVTEST_NEED_PYTHON("torch, torchvision", "python3-torch python3-torchvision");
    char cmd[4096];
    snprintf(g_dir, sizeof g_dir, "%s", hvtest_tmpdir("convert"));
    snprintf(cmd, sizeof cmd, "'%s' '%s/tests/tools/convert_fixtures.py' '%s'", HEMOVK_PYTHON, HEMOVK_SOURCE_DIR,
             g_dir);
    if (system(cmd) != 0) {
        fprintf(stderr, "convert_fixtures.py failed\n");
        return 1;
    }
    Suite *s = suite_create("convert");
    TCase *tc = tcase_create("convert_checkpoint.py");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, plain_state_dict_keeps_dtypes);
    tcase_add_test(tc, f16_output);
    tcase_add_test(tc, state_dict_wrapper_and_module_prefix);
    tcase_add_test(tc, mm_unknown_key_fails_naming_it);
    tcase_add_test(tc, torchvision_efficientnet_b0_gets_mmpretrain_names);
    tcase_add_test(tc, torchvision_unknown_and_missing_keys_fail_by_name);
    tcase_add_test(tc, convnext_torchvision_and_timm_agree);
    tcase_add_test(tc, efficientnet_timm_and_two_class_heads);
    tcase_add_test(tc, list_prints_names_and_bad_input_is_an_error);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
