/* SWA BatchNorm recalibration vs PyTorch: tools/ref/gen_bn_recalib.py averages two EfficientNets with
 * torch.optim.swa_utils.AveragedModel and runs update_bn over calibration images in batches of 2 (5
 * images: the last batch holds 1). hemovk averages the same files with HV_SWA_BN_RECALIBRATE, refuses to
 * build before recalibration, recalibrates on the CPU backend, and must match every running_mean /
 * running_var and the recalibrated model's logits. */
#include "models_testutil.h"

static const hv_efficientnet_params P = {.width = 0.25, .depth = 0.34};

static int build_logits(hv_graph *g, hv_tensor *x, const hv_weights *w, const void *ctx, mt_check *checks) {
    (void)ctx;
    hv_backbone_outputs bo;
    if (hv_efficientnet_build(g, x, w, &P, &bo)) return 0;
    hv_tensor *logits;
    if (hv_cls_head_build(g, bo.last, w, NULL, &logits, NULL, NULL)) return 0;
    checks[0] = (mt_check){logits, "logits"};
    return 1;
}

/* PyTorch's rule: train-mode BN needs more than one value per channel. */
static void check_rejects_single_value_batches(hv_weights *w) {
    float img[3 * 32 * 32] = {0};
    /* one 32×32 image: the last layers are 1×1, one value per channel, as PyTorch refuses too */
    ck_assert_int_eq(hv_efficientnet_recalibrate_bn(w, &P, img, 1, 1, 32, 32), HV_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(hv_last_error(), "more than 1 value per channel"), "%s", hv_last_error());
    ck_assert_int_eq(hv_efficientnet_recalibrate_bn(w, &P, img, 0, 1, 32, 32), HV_ERR_INVALID_ARGUMENT);
}

START_TEST(matches_update_bn) {
    const char *gdir = hvtest_tmpdir("bn_recalib");
    char dir[4096], cmd[16384];
    snprintf(dir, sizeof dir, "%s", gdir);
    snprintf(cmd, sizeof cmd, "'%s' '%s/tools/ref/gen_bn_recalib.py' --out '%s' --images 5 --batch 2 > '%s/gen.log' 2>&1",
             HEMOVK_PYTHON, HEMOVK_SOURCE_DIR, dir, dir);
    mt_sh(cmd);
    char p0[4200], p1[4200];
    snprintf(p0, sizeof p0, "%s/weights_0.safetensors", dir);
    snprintf(p1, sizeof p1, "%s/weights_1.safetensors", dir);
    const char *paths[2] = {p0, p1};
    hv_swa_options so = {.bn_policy = HV_SWA_BN_RECALIBRATE};
    hv_weights *w = NULL;
    ck_assert_msg(hv_weights_swa(paths, 2, &so, &w) == HV_OK, "%s", hv_last_error());
    ck_assert_int_eq(hv_weights_needs_bn_recalibration(w), 1);

    /* building before recalibration is refused with a message saying what to do */
    hv_graph *g;
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_tensor_desc xd = hv_desc_make(HV_F32, HV_LAYOUT_NCHW, 4, (int64_t[]){1, 3, 64, 64});
    hv_backbone_outputs bo;
    ck_assert_int_eq(hv_efficientnet_build(g, hv_graph_input(g, "input", &xd), w, &P, &bo), HV_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(hv_last_error(), "hv_efficientnet_recalibrate_bn"), "%s", hv_last_error());
    hv_graph_free(g);

    hv_weights *calib = mt_open(dir, "calib.safetensors");
    size_t n_img;
    int64_t idims[4];
    float *images = mt_read(calib, "images", &n_img, idims);
    double t0 = mt_now();
    ck_assert_msg(hv_efficientnet_recalibrate_bn(w, &P, images, (int32_t)idims[0], 2, (int32_t)idims[2],
                                                 (int32_t)idims[3]) == HV_OK,
                  "%s", hv_last_error());
    printf("recalibration of %lld images: %.2f s\n", (long long)idims[0], mt_now() - t0);
    ck_assert_int_eq(hv_weights_needs_bn_recalibration(w), 0);

    /* every BN statistic against update_bn */
    int checked = 0;
    double worst = 0;
    for (size_t i = 0; i < hv_weights_count(calib); i++) {
        hv_weight_info info;
        ck_assert_int_eq(hv_weights_info_at(calib, i, &info), HV_OK);
        if (!strstr(info.name, "running_")) continue;
        size_t n;
        float *ref = mt_read(calib, info.name, &n, NULL);
        float *got = mt_read(w, info.name, NULL, NULL);
        double e = hvtest_max_rel(got, ref, n);
        ck_assert_msg(e <= 1e-4, "%s: max|d|/max|ref| = %g", info.name, e);
        if (e > worst) worst = e;
        free(ref), free(got);
        checked++;
    }
    ck_assert_int_eq(checked, (int)hv_weights_bn_stat_count(w));
    printf("%d BN statistics tensors, worst max|d|/max|ref| = %.3g\n", checked, worst);

    /* and the recalibrated network's logits (Vulkan f32 and the CPU backend) */
    hv_device *dev = mt_device();
    mt_run("swa + recalibrated efficientnet", w, calib, dev, HV_F32, build_logits, NULL, 1e-4);
    hv_device_close(dev);
    mt_run("swa + recalibrated efficientnet", w, calib, NULL, HV_F32, build_logits, NULL, 1e-4);
    free(images);
    hv_weights_free(calib);
    check_rejects_single_value_batches(w);
    hv_weights_free(w);
}
END_TEST


static Suite *suite(void) {
    Suite *s = suite_create("models.bn_recalibrate");
    TCase *tc = tcase_create("update_bn");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, matches_update_bn);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    HVTEST_NEED_PYTHON("torch, torchvision, numpy, PIL", "python3-torch python3-torchvision python3-numpy python3-pil");
    return hvtest_run(suite());
}
