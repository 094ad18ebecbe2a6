/* Weight loaders named in YAML: the `swa` component averages 3 generated checkpoints exactly as numpy's
 * mean (list and glob forms, BN policies), `safetensors` loads one file; and the errors a user meets —
 * a bad weights path, a tensor the backbone needs but the file lacks, unknown components, a wrong
 * backbone param, labels that do not match the head — name the file, line:col, key and tensor. */
#include "cls_testutil.h"

#include <math.h>

static char g_dir[512];

static void setup(void) { cls_setup_registry(1); }

/* Three checkpoints of the same reduced EfficientNet (seeds 0..2) and numpy's mean of them. */
static void generate(void) {
    snprintf(g_dir, sizeof g_dir, "%s", hvtest_tmpdir("cls-swa"));
    for (int i = 0; i < 3; i++) {
        char args[800];
        snprintf(args, sizeof args, "efficientnet --arch b0 --width 0.25 --depth 0.34 --seed %d --out %s/ck%d", i, g_dir, i);
        cls_gen(args);
    }
    char cmd[2400];
    snprintf(cmd, sizeof cmd,
             "%s -c \"import sys, numpy as np; sys.path.insert(0, '%s/tools/ref'); import st_io, torch; "
             "d = [st_io.load('%s/ck%%d/weights.safetensors' %% i) for i in range(3)]; "
             "m = {k: torch.from_numpy(np.mean([x[k].double().numpy() for x in d], axis=0).astype(np.float32)) "
             "for k in d[0] if d[0][k].is_floating_point()}; "
             "st_io.save('%s/numpy_mean.safetensors', m)\"",
             HEMOVK_PYTHON, HEMOVK_SOURCE_DIR, g_dir, g_dir);
    ck_assert_msg(system(cmd) == 0, "numpy mean failed");
}

/* Load weights through the loader component named `loader` with params `yaml`. */
static hv_status load_via_component(const char *loader, const char *yaml, hv_weights **out) {
    const hv_component *c = hv_registry_find(g_reg, HV_COMPONENT_WEIGHT_LOADER, loader);
    ck_assert_ptr_nonnull(c);
    hv_config_node *params = NULL, *schema = NULL;
    ck_assert_int_eq(hv_config_load_string(yaml, strlen(yaml), "loader.yaml", &params), HV_OK);
    ck_assert_int_eq(hv_schema_load_string(c->desc.param_schema, strlen(c->desc.param_schema), loader, &schema), HV_OK);
    hv_status st = hv_schema_validate(schema, params, NULL);
    if (!st) {
        const hv_weight_loader_vtable *vt = c->desc.vtable;
        hv_component_info info = {.struct_size = sizeof info, .host = hv_registry_host(g_reg), .instance_id = "test",
                                  .params = params};
        st = vt->load(&info, out);
    }
    hv_config_free(schema);
    hv_config_free(params);
    return st;
}

static void compare_with_numpy(const hv_weights *w) {
    char path[600];
    snprintf(path, sizeof path, "%s/numpy_mean.safetensors", g_dir);
    hv_weights *ref = NULL;
    ck_assert_int_eq(hv_weights_open(path, &ref), HV_OK);
    size_t checked = 0;
    for (size_t i = 0; i < hv_weights_count(ref); i++) {
        hv_weight_info info;
        ck_assert_int_eq(hv_weights_info_at(ref, i, &info), HV_OK);
        float *a = malloc(sizeof(float) * (size_t)info.numel), *b = malloc(sizeof(float) * (size_t)info.numel);
        ck_assert_int_eq(hv_weights_read_f32(ref, info.name, a, (size_t)info.numel), HV_OK);
        hv_status st = hv_weights_read_f32(w, info.name, b, (size_t)info.numel);
        ck_assert_msg(st == HV_OK, "%s", hv_last_error());
        for (int64_t k = 0; k < info.numel; k++)
            ck_assert_msg(fabsf(a[k] - b[k]) <= 1e-6f * fmaxf(1.0f, fabsf(a[k])), "%s[%lld]: %g vs numpy %g", info.name,
                          (long long)k, b[k], a[k]);
        free(a);
        free(b);
        checked++;
    }
    ck_assert_uint_gt(checked, 50);
    hv_weights_free(ref);
}

START_TEST(swa_list_equals_numpy_mean) {
    char yaml[1800];
    snprintf(yaml, sizeof yaml, "paths: ['%s/ck0/weights.safetensors', '%s/ck1/weights.safetensors', '%s/ck2/weights.safetensors']\n",
             g_dir, g_dir, g_dir);
    hv_weights *w = NULL;
    hv_status st = load_via_component("swa", yaml, &w);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    ck_assert_str_eq(hv_weights_metadata(w, "hemovk.swa.count"), "3");
    compare_with_numpy(w);
    hv_weights_free(w);
}
END_TEST

START_TEST(swa_glob_keep_last_bn) {
    char yaml[800];
    snprintf(yaml, sizeof yaml, "glob: '%s/ck*/weights.safetensors'\nbn: keep_last\n", g_dir);
    hv_weights *w = NULL;
    hv_status st = load_via_component("swa", yaml, &w);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    /* running_var comes from ck2 (the last in natural order); conv weights are still the mean */
    char last[600];
    snprintf(last, sizeof last, "%s/ck2/weights.safetensors", g_dir);
    size_t n = 0;
    float *want = cls_read_tensor(last, "backbone.layers.0.bn.running_var", &n);
    float *got = malloc(sizeof(float) * n);
    ck_assert_int_eq(hv_weights_read_f32(w, "backbone.layers.0.bn.running_var", got, n), HV_OK);
    for (size_t i = 0; i < n; i++) ck_assert_float_eq(got[i], want[i]);
    free(want);
    free(got);
    hv_weights_free(w);
}
END_TEST

/* The SWA loader named in a classifier's YAML: the stage's output equals the stage run on numpy's mean. */
START_TEST(swa_in_classifier_yaml) {
    char yaml[1600], ref_yaml[1200], frame[512];
    snprintf(frame, sizeof frame, WCE_NORMAL, 7);
    const char *bb = "backbone: {component: efficientnet, params: {arch: b0, width: 0.25, depth: 0.34}}\n";
    snprintf(yaml, sizeof yaml, "%sweights:\n  loader: swa\n  params: {glob: '%s/ck*/weights.safetensors'}\n", bb, g_dir);
    snprintf(ref_yaml, sizeof ref_yaml, "%sweights: {loader: safetensors, params: {path: '%s/numpy_mean.safetensors'}}\n",
             bb, g_dir);
    float probs[2][2];
    const char *yamls[2] = {yaml, ref_yaml};
    for (int k = 0; k < 2; k++) {
        hv_config_node *params = NULL;
        hv_stage *s = cls_stage(yamls[k], &params);
        hv_frame f, *ptr = &f;
        cls_load_frame(&f, 0, frame);
        ck_assert_int_eq(hv_stage_process(s, &ptr, 1), HV_OK);
        ck_assert(f.cls.valid);
        probs[k][0] = f.cls.probs[0], probs[k][1] = f.cls.probs[1];
        hv_frame_clear(&f);
        hv_stage_destroy(s);
        hv_config_free(params);
    }
    ck_assert_float_eq_tol(probs[0][0], probs[1][0], 1e-5);
    ck_assert_float_eq_tol(probs[0][1], probs[1][1], 1e-5);
}
END_TEST

/* Expect creation to fail with a message containing every string of `want` (NULL-terminated). */
static void expect_error(const char *yaml, const char *const *want) {
    hv_config_node *params = NULL;
    hv_stage *s = NULL;
    hv_status st = cls_try_stage(yaml, "pipeline.yaml", &params, &s);
    ck_assert_msg(st != HV_OK, "creation should fail for:\n%s", yaml);
    const char *msg = hv_last_error();
    for (; *want; want++) ck_assert_msg(strstr(msg, *want), "message lacks '%s':\n%s", *want, msg);
    hv_config_free(params);
}

START_TEST(errors_name_file_key_and_tensor) {
    char yaml[2400], file[600];
    const char *bb = "backbone: {component: efficientnet, params: {arch: b0, width: 0.25, depth: 0.34}}\n";
    /* a weights file that does not exist: the file, the YAML position and the key */
    snprintf(yaml, sizeof yaml, "%sweights:\n  loader: safetensors\n  params: {path: '%s/nope.safetensors'}\n", bb, g_dir);
    snprintf(file, sizeof file, "%s/nope.safetensors", g_dir);
    expect_error(yaml, (const char *const[]){file, "pipeline.yaml:4:", "'path'", "classify", NULL});
    /* a tensor the backbone needs but the checkpoint lacks (EfficientNet weights, ConvNeXt backbone) */
    snprintf(file, sizeof file, "%s/ck0/weights.safetensors", g_dir);
    snprintf(yaml, sizeof yaml,
             "backbone: {component: convnext, params: {depths: [1, 1, 1, 1], dims: [8, 16, 24, 32]}}\n"
             "weights: {loader: safetensors, params: {path: '%s'}}\n", file);
    expect_error(yaml, (const char *const[]){file, "no tensor 'backbone.", "convnext", NULL});
    /* one SWA checkpoint of another architecture: the mismatched tensor and both files */
    snprintf(yaml, sizeof yaml,
             "%sweights: {loader: swa, params: {paths: ['%s/ck0/weights.safetensors', '%s/numpy_mean.safetensors']}}\n", bb,
             g_dir, g_dir);
    expect_error(yaml, (const char *const[]){"numpy_mean.safetensors", "ck0/weights.safetensors", NULL});
    /* unknown components: the kind and the ones available */
    snprintf(yaml, sizeof yaml, "backbone: {component: resnet}\nweights: {random: {}}\n");
    expect_error(yaml, (const char *const[]){"pipeline.yaml:1:", "resnet", "efficientnet", NULL});
    snprintf(yaml, sizeof yaml, "%sweights: {loader: efficientnet, params: {}}\n", bb);
    expect_error(yaml, (const char *const[]){"pipeline.yaml:2:", "efficientnet", "swa", NULL});
    /* a backbone param out of its schema: the line:col in the pipeline file and the key */
    snprintf(yaml, sizeof yaml, "backbone:\n  component: efficientnet\n  params: {arch: b9}\nweights: {random: {}}\n");
    expect_error(yaml, (const char *const[]){"pipeline.yaml:3:", "arch", "b9", NULL});
    /* a missing required loader param */
    snprintf(yaml, sizeof yaml, "%sweights: {loader: safetensors, params: {file: x}}\n", bb);
    expect_error(yaml, (const char *const[]){"pipeline.yaml:2:", "missing required key 'path'", "safetensors", NULL});
    /* positive not among the labels */
    snprintf(yaml, sizeof yaml, "%sweights: {random: {}}\nlabels: [a, b]\npositive: bleeding\n", bb);
    expect_error(yaml, (const char *const[]){"pipeline.yaml:4:", "bleeding", "labels", NULL});
}
END_TEST

/* A head with 2 classes and 3 labels fails when the stage is created (the graph is probed at create). */
START_TEST(labels_must_match_the_head) {
    char yaml[1200], file[600];
    snprintf(file, sizeof file, "%s/ck1/weights.safetensors", g_dir);
    snprintf(yaml, sizeof yaml,
             "backbone: {component: efficientnet, params: {arch: b0, width: 0.25, depth: 0.34}}\n"
             "weights: {loader: safetensors, params: {path: '%s'}}\n"
             "labels: [bleeding, non-bleeding, unsure]\n", file);
    expect_error(yaml, (const char *const[]){"2 classes", "`labels` names 3", file, NULL});
}
END_TEST

int main(void) {
    HVTEST_NEED_PYTHON("torch, torchvision, numpy, PIL", "python3-torch python3-torchvision python3-numpy python3-pil");
    Suite *s = suite_create("classify.weight_loaders");
    TCase *tc = tcase_create("loaders");
    tcase_add_unchecked_fixture(tc, generate, NULL);
    tcase_add_checked_fixture(tc, setup, cls_teardown_registry);
    tcase_add_test(tc, swa_list_equals_numpy_mean);
    tcase_add_test(tc, swa_glob_keep_last_bn);
    tcase_add_test(tc, swa_in_classifier_yaml);
    tcase_add_test(tc, errors_name_file_key_and_tensor);
    tcase_add_test(tc, labels_must_match_the_head);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
