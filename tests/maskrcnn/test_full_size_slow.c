/* Full-size detectors of the paper on a real 224×224 WCEBleedGen frame (random weights from the PyTorch
 * reference, MMDetection names and sizes: FPN 256, Shared2FC 1024): ConvNeXt-B in f32 and InternImage-XL
 * in f16 (its f32 weights alone are ~1.3 GB, too close to lavapipe's single 2 GiB heap with the
 * activations). Every stage against the reference as in test_parity.c, plus the whole frame through
 * hv_maskrcnn_detect (uint8 pixels, device preprocessing) with its timings. Label `slow`. */
/* CTEST_SPLIT_BY_TCASE convnext_b internimage_xl */
/* CTEST_ALSO_ON_CPU */
#include "maskrcnn_testutil.h"

#include "hemovk/image.h"

/* Whole-frame bounds (full()), measured on lavapipe (2-core machine, 2026-12): ConvNeXt-B f32 matched
 * 29 of 29 reference detections, max |score d| 1.8e-7; InternImage-XL f16 matched 20 of 78 (hemovk's
 * own proposals from f16 RPN scores, near-ties at NMS IoU 0.01 re-pick most of them; 73 detections),
 * max |score d| 6.0e-4. The bounds keep a margin over those. */
#define FRAME_FRAC_CONVNEXT 0.9
#define FRAME_DS_CONVNEXT 1e-4
#define FRAME_FRAC_INTERNIMAGE 0.2
#define FRAME_DS_INTERNIMAGE 5e-3

#define FRAME HEMOVK_SHARED_DIR "/data/wcebleedgen/WCEBleedGen/bleeding/Images/img- (531).png"

/* frame_frac: the least fraction of the reference's whole-frame detections that hemovk's own must match
 * (IoU >= 0.99), from measured runs with a margin (see the cases). frame_ds: the largest score difference
 * allowed over the matches. */
static void full(const char *label, const char *args, hv_maskrcnn_params *p, const mr_tol *tol, double frame_frac,
                 double frame_ds) {
    char a[2048];
    snprintf(a, sizeof a, "%s --image '%s'", args, FRAME);
    double t0 = mr_now();
    const char *dir = mr_gen(label, a);
    printf("%s: reference generated in %.1f s\n", label, mr_now() - t0);
    hv_weights *w = mr_open(dir, "weights.safetensors"), *io = mr_open(dir, "io.safetensors");
    hv_device *dev = mr_device();
    mr_parity(label, p, w, io, dev, tol);
    /* whole frame: pixels in, detections and masks out */
    hv_image img;
    ck_assert_msg(hv_image_load(FRAME, &img) == HV_OK, "%s", hv_last_error());
    hv_maskrcnn *m = NULL;
    ck_assert_int_eq(hv_maskrcnn_create(p, w, dev, &m), HV_OK);
    hv_maskrcnn_result r;
    t0 = mr_now();
    ck_assert_msg(hv_maskrcnn_detect(m, img.rgb, img.width, img.height, NULL, &r) == HV_OK, "%s", hv_last_error());
    double cold = mr_now() - t0;
    hv_maskrcnn_result_free(&r);
    t0 = mr_now();
    ck_assert_int_eq(hv_maskrcnn_detect(m, img.rgb, img.width, img.height, NULL, &r), HV_OK);
    double warm = mr_now() - t0;
    size_t nrd;
    float *rdets = mr_read(io, "dets", &nrd, NULL);
    double ds;
    size_t matched = mr_match(r.dets, r.n, rdets, nrd / 5, 0.99, &ds);
    printf("  %-34s detect(frame)  %zu dets (ref %zu, %zu matched, max |score d| %.3g); first %.1f s, warm %.1f s, "
           "%u plans\n",
           label, r.n, nrd / 5, matched, ds, cold, warm, hv_maskrcnn_plan_count(m));
    fflush(stdout);
    size_t need = (size_t)ceil(frame_frac * (double)(nrd / 5));
    ck_assert_msg(nrd / 5 > 0, "%s: the reference has no detections on the frame: nothing is compared", label);
    ck_assert_msg(matched >= need, "%s: whole frame: %zu of %zu reference detections matched, need %zu (%.0f %%)", label,
                  matched, nrd / 5, need, 100 * frame_frac);
    ck_assert_msg(ds <= frame_ds, "%s: whole frame: a matched score differs by %.3g > %.3g", label, ds, frame_ds);
    hv_maskrcnn_result_free(&r);
    free(rdets);
    hv_image_free(&img);
    hv_maskrcnn_free(m);
    hv_device_close(dev);
    hv_weights_free(w), hv_weights_free(io);
    ck_assert_int_eq(hv_validation_message_count(), 0);
}

START_TEST(convnext_b_f32) {
    hv_maskrcnn_params p;
    hv_maskrcnn_params_default(&p);
    p.convnext = (hv_convnext_params){.arch = "base"};
    mr_tol tol = {.tensor = 1e-4, .score = 1e-4, .prop_frac = 0.9, .mask_px = 16};
    full("convnext-b 224 f32", "--backbone convnext --depths 3,3,27,3 --dims 128,256,512,1024 --seed 21", &p, &tol,
         FRAME_FRAC_CONVNEXT, FRAME_DS_CONVNEXT);
}
END_TEST

START_TEST(internimage_xl_f16) {
    hv_maskrcnn_params p;
    hv_maskrcnn_params_default(&p);
    p.backbone = HV_MRCNN_INTERNIMAGE;
    p.internimage = (hv_internimage_params){.arch = "xl"}; /* layer scale: AUTO finds gamma1 */
    p.dtype = HV_F16;
    /* f16 through 39 post-norm blocks: tensors within ~5e-3, but random-weight RPN scores are near-ties and
     * NMS at IoU 0.01 re-picks most proposals (measured 30 of 94 matched); later stages run on the
     * reference's proposals, where box-head errors of ~1e-3 may still flip a detection at NMS 0.2 */
    mr_tol tol = {.tensor = 3e-2, .score = 1e-2, .prop_frac = 0.25, .mask_px = 2048, .det_frac = 0.8};
    full("internimage-xl 224 f16", "--backbone internimage --channels 192 --depths 5,5,24,5 --groups 12,24,48,96 "
                                   "--offset-scale 2.0 --post-norm 1 --seed 22",
         &p, &tol, FRAME_FRAC_INTERNIMAGE, FRAME_DS_INTERNIMAGE);
}
END_TEST

int main(void) {
    HVTEST_NEED_PYTHON("torch, torchvision, numpy, PIL", "python3-torch python3-torchvision python3-numpy python3-pil");
    Suite *s = suite_create("maskrcnn.full_size_slow");
    /* one case each, each its own CTest test (CTEST_SPLIT_BY_TCASE above) */
    TCase *tc = tcase_create("convnext_b");
    tcase_set_timeout(tc, 7200);
    tcase_add_test(tc, convnext_b_f32);
    suite_add_tcase(s, tc);
    tc = tcase_create("internimage_xl");
    tcase_set_timeout(tc, 7200);
    tcase_add_test(tc, internimage_xl_f16);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
