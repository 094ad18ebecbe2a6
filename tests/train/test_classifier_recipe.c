/* The classifier training recipe (tools/train/train_classifier.py) end to end, small: its smoke script
 * trains a tiny EfficientNet on 24 WCEBleedGen frames and checks that the loss falls and that a run
 * stopped after one epoch and resumed ends bit-identical to an uninterrupted one; this test then loads
 * the recipe's f16 SWA export into hemovk's classifier stage — with the stage settings the shipped demo
 * uses (ImageNet normalisation, stretch resize 224 -> 112) — and compares hemovk's probabilities on four
 * validation frames with the recipe's PyTorch model. Skips (77) when Debian's PyTorch is missing. */
/* CTEST_PROPERTIES SKIP_RETURN_CODE 77 */
#include "../classify/cls_testutil.h"

#include <math.h>

static char g_dir[512];

static void setup(void) { cls_setup_registry(1); }

START_TEST(recipe_trains_resumes_and_exports_what_hemovk_runs) {
    char cmd[1400];
    snprintf(cmd, sizeof cmd, "%s '%s/tools/train/smoke_classifier.py' '%s' > '%s/smoke.log' 2>&1", HEMOVK_PYTHON,
             HEMOVK_SOURCE_DIR, g_dir, g_dir);
    int rc = system(cmd);
    ck_assert_msg(rc == 0, "recipe smoke failed (rc %d): see %s/smoke.log", rc, g_dir);

    char path[700], yaml[1600];
    float width = 0, depth = 0;
    snprintf(path, sizeof path, "%s/arch.txt", g_dir);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fscanf(f, "%f %f", &width, &depth), 2);
    fclose(f);
    snprintf(yaml, sizeof yaml,
             "backbone: {component: efficientnet, params: {arch: b0, width: %g, depth: %g}}\n"
             "weights: {loader: safetensors, params: {path: '%s/full/swa.safetensors'}}\n"
             "preprocess: imagenet\nresize: stretch\nsize: [112, 112]\n"
             "labels: [bleeding, non-bleeding]\npositive: bleeding\n",
             width, depth, g_dir);
    hv_config_node *params = NULL;
    hv_stage *s = cls_stage(yaml, &params);

    snprintf(path, sizeof path, "%s/expected.txt", g_dir);
    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    char line[1024];
    int n = 0, saturated = 0;
    while (fgets(line, sizeof line, f)) {
        char rel[600];
        double p0, p1;
        ck_assert_int_eq(sscanf(line, "%599[^\t]\t%lf\t%lf", rel, &p0, &p1), 3);
        char frame_path[900];
        snprintf(frame_path, sizeof frame_path, "%s/%s", WCE_DIR, rel);
        hv_frame fr;
        cls_load_frame(&fr, (uint64_t)n, frame_path);
        hv_frame *ptr = &fr;
        ck_assert_msg(hv_stage_process(s, &ptr, 1) == HV_OK, "%s", hv_last_error());
        ck_assert_msg(fr.cls.valid && fr.cls.n_probs == 2, "%s: not classified", rel);
        double err = fmax(fabs(fr.cls.probs[0] - p0), fabs(fr.cls.probs[1] - p1));
        printf("%s: hemovk %.7f %.7f, PyTorch %.7f %.7f, |d| %.2g\n", rel, fr.cls.probs[0], fr.cls.probs[1], p0, p1, err);
        ck_assert_msg(err <= 1e-4, "%s: hemovk %.7f vs PyTorch %.7f (|d| %.3g > 1e-4)", rel, fr.cls.probs[0], p0, err);
        saturated += p0 < 1e-6 || p0 > 1 - 1e-6;
        hv_frame_clear(&fr);
        n++;
    }
    fclose(f);
    ck_assert_int_eq(n, 4);
    ck_assert_msg(saturated < n, "every reference probability is saturated: the comparison would mean nothing");
    hv_stage_destroy(s);
    hv_config_free(params);
}
END_TEST

int main(void) {
    HVTEST_NEED_PYTHON("torch, PIL", "python3-torch python3-pil");
    snprintf(g_dir, sizeof g_dir, "%s", hvtest_tmpdir("train-classifier"));
    Suite *su = suite_create("train.classifier_recipe");
    TCase *tc = tcase_create("recipe");
    tcase_add_checked_fixture(tc, setup, cls_teardown_registry);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, recipe_trains_resumes_and_exports_what_hemovk_runs);
    suite_add_tcase(su, tc);
    return hvtest_run(su);
}
