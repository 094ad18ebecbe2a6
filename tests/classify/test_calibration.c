/* SWA BatchNorm recalibration inside the classifier stage (MODEL_SPEC §6.3 (c)), against PyTorch:
 * tools/ref/gen_bn_recalib.py --png writes two EfficientNet checkpoints and PNG frames, averages the
 * checkpoints with AveragedModel and runs update_bn over frames taken evenly spaced from the folder. The
 * stage is given the same checkpoints (`loader: swa, bn: recalibrate`) and the folder (`calibration`,
 * relative to its YAML file) and must reproduce every running_mean / running_var (written by
 * `calibration.save`) and, run on frame_0.png, the recalibrated model's probabilities — for both
 * preprocessing conventions. Then the errors a user meets: no calibration frames, frames of two sizes,
 * a corrupt frame, a pattern matching nothing. */
#include "cls_testutil.h"

#include <math.h>

static char g_raw[512], g_imnet[512];

static void gen(char *dir, const char *name, const char *args) {
    snprintf(dir, 512, "%s", hvtest_tmpdir(name));
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "'%s' '%s/tools/ref/gen_bn_recalib.py' --out '%s' %s > '%s/gen.log' 2>&1", HEMOVK_PYTHON,
             HEMOVK_SOURCE_DIR, dir, args, dir);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static void generate(void) {
    /* 7 frames, limit 4: frames 0, 1, 3, 5 in batches of 2 */
    gen(g_raw, "cls-calib-raw", "--png 7 --images 4 --batch 2");
    /* ImageNet normalisation; 5 of 5 frames in batches of 2 (the last batch holds one) */
    gen(g_imnet, "cls-calib-imagenet", "--png 5 --images 5 --batch 2 --norm imagenet --seed 3");
}

static void setup(void) { cls_setup_registry(1); }

static const char *BB = "backbone: {component: efficientnet, params: {arch: b0, width: 0.25, depth: 0.34}}\n";

/* The stage's YAML, as if written in DIR/pipeline.yaml (so relative paths resolve in DIR). */
static void stage_yaml(char *yaml, size_t size, const char *preprocess, const char *extra) {
    snprintf(yaml, size,
             "%s"
             "weights:\n"
             "  loader: swa\n"
             "  params: {paths: [weights_0.safetensors, weights_1.safetensors], bn: recalibrate}\n"
             "preprocess: %s\n"
             "%s",
             BB, preprocess, extra);
}

static void check_case(const char *dir, const char *preprocess, int limit) {
    char yaml[2048], extra[256], file[600], saved[600], ref[600];
    snprintf(extra, sizeof extra, "calibration: {frames: frames, limit: %d, batch: 2, save: out/recalibrated.safetensors}\n",
             limit);
    stage_yaml(yaml, sizeof yaml, preprocess, extra);
    snprintf(file, sizeof file, "%s/pipeline.yaml", dir);
    hv_config_node *params = NULL;
    hv_stage *s = NULL;
    hv_status st = cls_try_stage(yaml, file, &params, &s);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());

    /* every BN statistic against update_bn */
    snprintf(saved, sizeof saved, "%s/out/recalibrated.safetensors", dir);
    snprintf(ref, sizeof ref, "%s/calib.safetensors", dir);
    hv_weights *want = NULL, *got = NULL;
    ck_assert_int_eq(hv_weights_open(ref, &want), HV_OK);
    ck_assert_msg(hv_weights_open(saved, &got) == HV_OK, "%s", hv_last_error());
    int checked = 0;
    double worst = 0;
    for (size_t i = 0; i < hv_weights_count(want); i++) {
        hv_weight_info info;
        ck_assert_int_eq(hv_weights_info_at(want, i, &info), HV_OK);
        if (!strstr(info.name, "running_")) continue;
        size_t n = (size_t)info.numel;
        float *a = malloc(n * sizeof(float)), *b = malloc(n * sizeof(float));
        ck_assert_int_eq(hv_weights_read_f32(want, info.name, a, n), HV_OK);
        ck_assert_msg(hv_weights_read_f32(got, info.name, b, n) == HV_OK, "%s", hv_last_error());
        double e = hvtest_max_rel(b, a, n);
        ck_assert_msg(e <= 1e-4, "%s %s: max|d|/max|ref| = %g", preprocess, info.name, e);
        if (e > worst) worst = e;
        free(a), free(b);
        checked++;
    }
    ck_assert_int_gt(checked, 50);
    printf("%s: %d BN statistics tensors, worst max|d|/max|ref| = %.3g\n", preprocess, checked, worst);

    /* the recalibrated classifier on frame_0.png: PyTorch's softmax(logits) */
    size_t nl = 0;
    float *logits = cls_read_tensor(ref, "logits", &nl);
    ck_assert_uint_eq(nl, 2);
    double m = fmax(logits[0], logits[1]), e0 = exp(logits[0] - m), e1 = exp(logits[1] - m);
    char frame[600];
    snprintf(frame, sizeof frame, "%s/frames/frame_0.png", dir);
    hv_frame f, *ptr = &f;
    cls_load_frame(&f, 0, frame);
    ck_assert_msg(hv_stage_process(s, &ptr, 1) == HV_OK, "%s", hv_last_error());
    ck_assert(f.cls.valid);
    ck_assert_msg(fabs(f.cls.probs[0] - e0 / (e0 + e1)) <= 1e-4 && fabs(f.cls.probs[1] - e1 / (e0 + e1)) <= 1e-4,
                  "%s: probs %g %g vs PyTorch %g %g", preprocess, f.cls.probs[0], f.cls.probs[1], e0 / (e0 + e1),
                  e1 / (e0 + e1));
    hv_frame_clear(&f);
    free(logits);
    hv_weights_free(want);
    hv_weights_free(got);
    hv_stage_destroy(s);
    hv_config_free(params);

    /* the saved set loads as plain weights: same probabilities, no recalibration */
    snprintf(yaml, sizeof yaml, "%sweights: {loader: safetensors, params: {path: out/recalibrated.safetensors}}\npreprocess: %s\n",
             BB, preprocess);
    st = cls_try_stage(yaml, file, &params, &s);
    ck_assert_msg(st == HV_OK, "%s", hv_last_error());
    hv_stage_destroy(s);
    hv_config_free(params);
}

START_TEST(raw_rgb_matches_update_bn) { check_case(g_raw, "raw", 4); }
END_TEST

START_TEST(imagenet_matches_update_bn) { check_case(g_imnet, "imagenet", 64); }
END_TEST

/* Creation fails with a message holding every string of `want` (NULL-terminated). */
static void expect_error(const char *dir, const char *extra, const char *const *want) {
    char yaml[2048], file[600];
    stage_yaml(yaml, sizeof yaml, "raw", extra);
    snprintf(file, sizeof file, "%s/pipeline.yaml", dir);
    hv_config_node *params = NULL;
    hv_stage *s = NULL;
    hv_status st = cls_try_stage(yaml, file, &params, &s);
    ck_assert_msg(st != HV_OK, "creation should fail for:\n%s", yaml);
    const char *msg = hv_last_error();
    printf("expected error: %s\n", msg);
    for (; *want; want++) ck_assert_msg(strstr(msg, *want), "message lacks '%s':\n%s", *want, msg);
    hv_config_free(params);
}

START_TEST(errors_say_what_to_do) {
    char dir[600], path[700];
    /* recalibrate with nowhere to run it: points at the weights and says what to add */
    expect_error(g_raw, "", (const char *const[]){"pipeline.yaml:3:", "calibration", "frames", NULL});
    /* a folder with a frame of another size */
    snprintf(dir, sizeof dir, "%s", hvtest_tmpdir("cls-calib-mixed"));
    for (int k = 0; k < 3; k++) {
        hv_image img = {0};
        ck_assert_int_eq(hv_image_alloc(k == 2 ? 48 : 64, 64, &img), HV_OK);
        for (int i = 0; i < img.width * img.height * 3; i++) img.rgb[i] = (uint8_t)(i * 7 + k);
        snprintf(path, sizeof path, "%s/f%d.png", dir, k);
        ck_assert_int_eq(hv_image_save_png(path, &img), HV_OK);
        hv_image_free(&img);
    }
    char extra[900];
    snprintf(extra, sizeof extra, "calibration: {frames: '%s'}\n", dir);
    expect_error(g_raw, extra, (const char *const[]){"pipeline.yaml:6:", "f2.png", "48x64", "resize: stretch", NULL});
    /* a corrupt frame: its name */
    snprintf(path, sizeof path, "%s/f1.png", dir);
    FILE *fp = fopen(path, "wb");
    ck_assert_ptr_nonnull(fp);
    fputs("\x89PNG\r\n\x1a\n not really", fp);
    fclose(fp);
    expect_error(g_raw, extra, (const char *const[]){"pipeline.yaml:6:", "f1.png", NULL});
    /* nothing matches */
    expect_error(g_raw, "calibration: {frames: 'nothing-here/*.png'}\n",
                 (const char *const[]){"pipeline.yaml:6:", "nothing-here/*.png", "calibration.frames", NULL});
}
END_TEST

/* Weights that need no recalibration ignore `calibration` (a warning), so a pipeline can keep it. */
START_TEST(calibration_ignored_without_recalibrate) {
    char yaml[2048], file[600];
    snprintf(yaml, sizeof yaml,
             "%sweights: {loader: swa, params: {paths: [weights_0.safetensors, weights_1.safetensors]}}\n"
             "calibration: {frames: no-such-folder}\n",
             BB);
    snprintf(file, sizeof file, "%s/pipeline.yaml", g_raw);
    hv_config_node *params = NULL;
    hv_stage *s = NULL;
    ck_assert_msg(cls_try_stage(yaml, file, &params, &s) == HV_OK, "%s", hv_last_error());
    hv_stage_destroy(s);
    hv_config_free(params);
}
END_TEST

int main(void) {
    HVTEST_NEED_PYTHON("torch, torchvision, numpy, PIL", "python3-torch python3-torchvision python3-numpy python3-pil");
    Suite *s = suite_create("classify.calibration");
    TCase *tc = tcase_create("calibration");
    tcase_set_timeout(tc, 600);
    tcase_add_unchecked_fixture(tc, generate, NULL);
    tcase_add_checked_fixture(tc, setup, cls_teardown_registry);
    tcase_add_test(tc, raw_rgb_matches_update_bn);
    tcase_add_test(tc, imagenet_matches_update_bn);
    tcase_add_test(tc, errors_say_what_to_do);
    tcase_add_test(tc, calibration_ignored_without_recalibrate);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
