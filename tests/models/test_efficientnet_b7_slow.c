/* EfficientNet-B7 (mmpretrain names, TF-SAME, BN eps 1e-3: the paper's classifier) at 224×224 with raw
 * 0..255 input vs PyTorch (tools/ref/efficientnet_mm.py): layers 2..6 and the logits, Vulkan f32 (≤ 1e-4)
 * and f16 (≤ 1e-2). Label `slow`. */
/* CTEST_ALSO_ON_CPU */
#include "models_testutil.h"

/* One run per dtype (f32 then f16: the f16 plan stores weights in f16, half the memory), timed from the
 * first run (shader compilation included: on lavapipe a few pipelines against minutes of compute). */
static void run_case(const char *tag, const char *args, const char *label, mt_build_fn build) {
    double t0 = mt_now();
    const char *dir = mt_gen(tag, args);
    printf("%s: PyTorch reference generated in %.1f s\n", label, mt_now() - t0);
    hv_weights *w = mt_open(dir, "weights.safetensors"), *io = mt_open(dir, "io.safetensors");
    hv_device *dev = mt_device();
    mt_run_ex(label, w, io, dev, HV_F32, build, NULL, 1e-4, 0);
    mt_run_ex(label, w, io, dev, HV_F16, build, NULL, 1e-2, 0);
    hv_device_close(dev);
    ck_assert_int_eq(hv_validation_message_count(), 0);
    hv_weights_free(w), hv_weights_free(io);
}

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

START_TEST(efficientnet_b7) {
    run_case("slow_b7",
             "efficientnet --arch b7 --size 224,224 --input-scale 255 --seed 11",
             "efficientnet-b7 224", build_b7);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("models.efficientnet_b7_slow");
    TCase *tc = tcase_create("full_size");
    tcase_set_timeout(tc, 2900);
    tcase_add_test(tc, efficientnet_b7);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    HVTEST_NEED_PYTHON("torch, torchvision, numpy, PIL", "python3-torch python3-torchvision python3-numpy python3-pil");
    return hvtest_run(suite());
}
