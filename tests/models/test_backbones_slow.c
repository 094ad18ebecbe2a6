/* Full-size backbones at 224×224 vs PyTorch (label `slow`): EfficientNet-B7 (mmpretrain, TF-SAME, the
 * paper's classifier), ConvNeXt-B (mmcls, output norms, detection outputs) and InternImage-XL (offset
 * scale 2, post-norm). Each runs on Vulkan in f32 and f16 (weights stored in the run's dtype, so the f16
 * run holds half the memory: XL's 335 M parameters are 1.3 GB in f32, inside lavapipe's 2 GiB heap one
 * model at a time). Prints the errors and the time of one run after a warm-up. */
#include "models_testutil.h"

static int build_b7(hv_graph *g, hv_tensor *x, const hv_weights *w, const void *ctx, mt_check *checks) {
    (void)ctx;
    hv_efficientnet_params p = {.arch = "b7", .num_out = 5, .out_indices = {2, 3, 4, 5, 6}};
    hv_backbone_outputs bo;
    if (hv_efficientnet_build(g, x, w, &p, &bo)) return 0;
    static char names[HV_BACKBONE_MAX_OUTS][16];
    int n = 0;
    for (uint32_t i = 0; i < bo.count; i++) {
        snprintf(names[i], sizeof names[i], "feat.%d", bo.index[i]);
        checks[n++] = (mt_check){bo.feats[i], names[i]};
    }
    hv_tensor *logits;
    if (hv_cls_head_build(g, bo.last, w, NULL, &logits, NULL, NULL)) return 0;
    checks[n++] = (mt_check){logits, "logits"};
    return n;
}

static int build_cnx(hv_graph *g, hv_tensor *x, const hv_weights *w, const void *ctx, mt_check *checks) {
    (void)ctx;
    hv_convnext_params p = {.arch = "base"};
    hv_backbone_outputs bo;
    if (hv_convnext_build(g, x, w, &p, &bo)) return 0;
    static char names[HV_BACKBONE_MAX_OUTS][16];
    int n = 0;
    for (uint32_t i = 0; i < bo.count; i++) {
        snprintf(names[i], sizeof names[i], "feat.%d", bo.index[i]);
        checks[n++] = (mt_check){bo.feats[i], names[i]};
    }
    return n;
}

static int build_xl(hv_graph *g, hv_tensor *x, const hv_weights *w, const void *ctx, mt_check *checks) {
    (void)ctx;
    hv_internimage_params p = {.arch = "xl"};
    hv_backbone_outputs bo;
    if (hv_internimage_build(g, x, w, &p, &bo)) return 0;
    static char names[HV_BACKBONE_MAX_OUTS][16];
    for (uint32_t i = 0; i < bo.count; i++) {
        snprintf(names[i], sizeof names[i], "feat.%d", bo.index[i]);
        checks[i] = (mt_check){bo.feats[i], names[i]};
    }
    return (int)bo.count;
}

static void run_case(const char *tag, const char *args, const char *label, mt_build_fn build) {
    double t0 = mt_now();
    const char *dir = mt_gen(tag, args);
    printf("%s: PyTorch reference generated in %.1f s\n", label, mt_now() - t0);
    hv_weights *w = mt_open(dir, "weights.safetensors"), *io = mt_open(dir, "io.safetensors");
    hv_device *dev = mt_device();
    mt_run(label, w, io, dev, HV_F32, build, NULL, 1e-4);
    mt_run(label, w, io, dev, HV_F16, build, NULL, 1e-2);
    hv_device_close(dev);
    ck_assert_int_eq(hv_validation_message_count(), 0);
    hv_weights_close(w), hv_weights_close(io);
}

START_TEST(efficientnet_b7) {
    run_case("slow_b7", "efficientnet --arch b7 --size 224,224 --input-scale 255 --seed 11", "efficientnet-b7 224",
             build_b7);
}
END_TEST

START_TEST(convnext_base) {
    run_case("slow_cnxb", "convnext --arch base --downsample-eps 1e-5 --size 224,224 --seed 12", "convnext-base 224",
             build_cnx);
}
END_TEST

START_TEST(internimage_xl) {
    run_case("slow_iixl", "internimage --arch xl --size 224,224 --seed 13", "internimage-xl 224", build_xl);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("models.backbones_slow");
    TCase *tc = tcase_create("full_size");
    tcase_set_timeout(tc, 2400);
    tcase_add_test(tc, efficientnet_b7);
    tcase_add_test(tc, convnext_base);
    tcase_add_test(tc, internimage_xl);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) { return hvtest_run(suite()); }
