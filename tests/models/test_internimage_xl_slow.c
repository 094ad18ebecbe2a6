/* InternImage-XL (offset_scale 2, post-norm, layer scale; 335 M parameters: 1.3 GB in f32, inside
 * lavapipe's 2 GiB heap) at 224×224 vs the plain-PyTorch reference (tools/ref/internimage_ref.py): the four
 * FPN inputs, Vulkan f32 (≤ 1e-4) and f16 (≤ 1e-2). Label `slow`. */
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

START_TEST(internimage_xl) {
    run_case("slow_iixl",
             "internimage --arch xl --size 224,224 --seed 13",
             "internimage-xl 224", build_xl);
}
END_TEST

static Suite *suite(void) {
    Suite *s = suite_create("models.internimage_xl_slow");
    TCase *tc = tcase_create("full_size");
    tcase_set_timeout(tc, 2900);
    tcase_add_test(tc, internimage_xl);
    suite_add_tcase(s, tc);
    return s;
}

int main(void) {
    HVTEST_NEED_PYTHON("torch, torchvision, numpy, PIL", "python3-torch python3-torchvision python3-numpy python3-pil");
    return hvtest_run(suite());
}
