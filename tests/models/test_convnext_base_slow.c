/* ConvNeXt-B (mmcls names, downsample LN eps 1e-5, detection output norms) at 224×224 vs PyTorch
 * (tools/ref/convnext_mm.py): the four FPN inputs, Vulkan f32 (≤ 1e-4) and f16 (≤ 1e-2). Label `slow`. */
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

START_TEST(convnext_base) {
    run_case("slow_cnxb",
             "convnext --arch base --downsample-eps 1e-5 --size 224,224 --seed 12",
             "convnext-base 224", build_cnx);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("models.convnext_base_slow");
    TCase *tc = tcase_create("full_size");
    tcase_set_timeout(tc, 2900);
    tcase_add_test(tc, convnext_base);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    HVTEST_NEED_PYTHON("torch, torchvision, numpy, PIL", "python3-torch python3-torchvision python3-numpy python3-pil");
    return hvtest_run(suite());
}
