/* hv_maskrcnn_detect_batch (issue 16: frames batched through the networks) equals hv_maskrcnn_detect on
 * each frame — boxes, scores, labels, pasted masks and the CAM's feature map — on the shipped ConvNeXt demo
 * model and real bleeding frames: eleven frames of two resized sizes (one full batch of 8, a padded
 * batch of 1 of the same size, and a batch of 2 of the other), in mixed order; and it needs fewer device
 * submissions than frame-by-frame detection (3 per batch: features, box head, mask head).
 * And the proposals selected on the device (HEMOVK_PROPOSALS=device: the features plan ends in the
 * rpn_level_topk / rpn_nms ops) give the host path's results with fewer bytes read back (on the CPU
 * backend the ops run their references, the host path's own functions). */
/* CTEST_SPLIT_BY_TCASE batch device_proposals */
/* CTEST_ALSO_ON_CPU */
#include "maskrcnn_testutil.h"

#include "hemovk/image.h"

#define N_FRAMES 11

static const char *const k_frames[] = {"1010", "1020", "1023", "1025", "1030", "1033", "1036", "1040", "1047"};

static uint8_t *load(const char *num, int32_t *w, int32_t *h) {
    char path[512];
    snprintf(path, sizeof path, "%s/data/wcebleedgen/WCEBleedGen/bleeding/Images/img- (%s).png", HEMOVK_SHARED_DIR, num);
    hv_image img;
    ck_assert_msg(hv_image_load(path, &img) == HV_OK, "%s", hv_last_error());
    uint8_t *px = img.rgb;
    *w = img.width, *h = img.height;
    img.rgb = NULL;
    hv_image_free(&img);
    return px;
}

/* A 3:2 crop (resized to another size than the square frames: a second group). */
static uint8_t *crop32(const uint8_t *src, int32_t sw, int32_t *w, int32_t *h) {
    *w = 192, *h = 128;
    uint8_t *c = malloc((size_t)*w * *h * 3);
    for (int y = 0; y < *h; y++) memcpy(c + (size_t)y * *w * 3, src + ((size_t)(y + 40) * sw + 16) * 3, (size_t)*w * 3);
    return c;
}

static void compare(int frame, const hv_maskrcnn_result *got, const hv_maskrcnn_result *want, double *db, double *ds,
                    double *df, size_t *px) {
    ck_assert_msg(got->n == want->n, "frame %d: %zu detections batched, %zu alone", frame, got->n, want->n);
    ck_assert_int_eq(got->width, want->width);
    ck_assert_int_eq(got->height, want->height);
    size_t plane = (size_t)want->width * want->height;
    for (size_t i = 0; i < got->n; i++) {
        const hv_box *g = &got->dets[i].box, *b = &want->dets[i].box;
        double d = fmax(fmax(fabs(g->x1 - b->x1), fabs(g->y1 - b->y1)), fmax(fabs(g->x2 - b->x2), fabs(g->y2 - b->y2)));
        *db = fmax(*db, d);
        *ds = fmax(*ds, fabs(got->dets[i].score - want->dets[i].score));
        ck_assert_int_eq(got->dets[i].label, want->dets[i].label);
        for (size_t k = 0; k < plane; k++) *px += got->masks[i * plane + k] != want->masks[i * plane + k];
    }
    ck_assert_msg(want->feature && got->feature, "frame %d: no feature map kept", frame);
    ck_assert_int_eq(got->feat_c, want->feat_c);
    ck_assert_int_eq(got->feat_h, want->feat_h);
    ck_assert_int_eq(got->feat_w, want->feat_w);
    size_t nf = (size_t)want->feat_c * want->feat_h * want->feat_w;
    for (size_t k = 0; k < nf; k++) *df = fmax(*df, fabs(got->feature[k] - want->feature[k]));
}

/* The shipped ConvNeXt demo model (pipelines/two-stage-demo.yaml's anchors: anchor_scales [4, 5.656854]). */
static hv_maskrcnn *demo_model(const hv_weights *w, hv_device *dev) {
    hv_maskrcnn_params p;
    hv_maskrcnn_params_default(&p);
    p.convnext = (hv_convnext_params){.depths = {1, 1, 2, 1}, .dims = {24, 48, 96, 192}};
    p.n_anchor_scales = 2;
    p.anchor_scales[0] = 4.0f, p.anchor_scales[1] = 5.656854f;
    p.keep_fpn_level = 5;
    hv_maskrcnn *m = NULL;
    ck_assert_msg(hv_maskrcnn_create(&p, w, dev, &m) == HV_OK, "%s", hv_last_error());
    return m;
}

/* Nine square frames (224×224) and two 3:2 crops, at positions 1 and 5. */
static void load_frames(uint8_t **px, int32_t *fw, int32_t *fh) {
    size_t sq = 0;
    for (int i = 0; i < N_FRAMES; i++) {
        if (i == 1 || i == 5) continue;
        px[i] = load(k_frames[sq++], &fw[i], &fh[i]);
    }
    px[1] = crop32(px[0], fw[0], &fw[1], &fh[1]);
    px[5] = crop32(px[2], fw[2], &fw[5], &fh[5]);
}

START_TEST(batch_equals_frame_by_frame) {
    hv_weights *w = mr_open(HEMOVK_SOURCE_DIR "/models/maskrcnn-convnext", "weights.safetensors");
    hv_device *dev = mr_device();
    hv_maskrcnn *m = demo_model(w, dev);
    uint8_t *px[N_FRAMES];
    int32_t fw[N_FRAMES], fh[N_FRAMES];
    load_frames(px, fw, fh);
    hv_maskrcnn_result alone[N_FRAMES], batched[N_FRAMES];
    hv_transfer_stats s0, s1, s2;
    hv_device_transfer_stats(dev, &s0);
    for (int i = 0; i < N_FRAMES; i++) {
        ck_assert_msg(hv_maskrcnn_detect(m, px[i], fw[i], fh[i], NULL, &alone[i]) == HV_OK, "%s", hv_last_error());
        ck_assert_ptr_null(hv_maskrcnn_output_problem(m));
    }
    hv_device_transfer_stats(dev, &s1);
    ck_assert_msg(hv_maskrcnn_detect_batch(m, (const uint8_t *const *)px, fw, fh, N_FRAMES, NULL, batched) == HV_OK, "%s",
                  hv_last_error());
    hv_device_transfer_stats(dev, &s2);
    ck_assert_ptr_null(hv_maskrcnn_output_problem(m));
    double db = 0, ds = 0, df = 0;
    size_t diff_px = 0, dets = 0;
    for (int i = 0; i < N_FRAMES; i++) {
        compare(i, &batched[i], &alone[i], &db, &ds, &df, &diff_px);
        dets += alone[i].n;
    }
    printf("  %d frames, %zu detections: max box |d| %.3g px, score |d| %.3g, feature |d| %.3g, %zu mask pixels "
           "differ; submissions %llu frame by frame, %llu batched\n",
           N_FRAMES, dets, db, ds, df, diff_px, (unsigned long long)(s1.submits - s0.submits),
           (unsigned long long)(s2.submits - s1.submits));
    ck_assert_msg(dets >= N_FRAMES, "the demo model found only %zu boxes on %d bleeding frames", dets, N_FRAMES);
    ck_assert_msg(db <= 1e-3 && ds <= 1e-5 && df <= 1e-4, "batched results differ from frame by frame");
    ck_assert_msg(diff_px <= 2 * dets, "%zu mask pixels differ", diff_px);
    if (s1.submits > s0.submits) { /* a Vulkan device: 3 runs per batch (8 + 1 square frames, 2 crops) */
        ck_assert_uint_eq(s1.submits - s0.submits, 3 * N_FRAMES);
        ck_assert_uint_eq(s2.submits - s1.submits, 3 * 3);
    }
    for (int i = 0; i < N_FRAMES; i++) hv_maskrcnn_result_free(&alone[i]), hv_maskrcnn_result_free(&batched[i]);
    /* with TTA: frame by frame inside, same results */
    hv_maskrcnn_tta flip = {.n = 2, .tfs = {HV_TTA_IDENTITY, HV_TTA_HFLIP}};
    ck_assert_int_eq(hv_maskrcnn_detect(m, px[1], fw[1], fh[1], &flip, &alone[0]), HV_OK);
    ck_assert_int_eq(hv_maskrcnn_detect_batch(m, (const uint8_t *const *)px, fw, fh, 2, &flip, batched), HV_OK);
    double tb = 0, ts = 0, tf = 0;
    size_t tp = 0;
    compare(1, &batched[1], &alone[0], &tb, &ts, &tf, &tp);
    ck_assert_msg(tb == 0 && ts == 0 && tp == 0, "TTA through detect_batch differs");
    hv_maskrcnn_result_free(&alone[0]), hv_maskrcnn_result_free(&batched[0]), hv_maskrcnn_result_free(&batched[1]);
    /* errors: nothing left behind */
    const uint8_t *bad[2] = {px[0], NULL};
    ck_assert_int_eq(hv_maskrcnn_detect_batch(m, bad, fw, fh, 2, NULL, batched), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "frame 1 has no pixels"));
    int32_t zero_w[2] = {fw[0], 0};
    ck_assert_int_eq(hv_maskrcnn_detect_batch(m, (const uint8_t *const *)px, zero_w, fh, 2, NULL, batched),
                     HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "frame 1 of the batch"));
    ck_assert_ptr_null(batched[0].dets);
    ck_assert_int_eq(hv_maskrcnn_detect_batch(m, NULL, NULL, NULL, 0, NULL, NULL), HV_OK);
    for (int i = 0; i < N_FRAMES; i++) free(px[i]);
    hv_maskrcnn_free(m);
    hv_device_close(dev);
    hv_weights_free(w);
    ck_assert_int_eq(hv_validation_message_count(), 0);
}
END_TEST

/* One model per proposal path (the choice is made at hv_maskrcnn_create), the same frames through both. */
START_TEST(device_proposals_equal_host) {
    hv_weights *w = mr_open(HEMOVK_SOURCE_DIR "/models/maskrcnn-convnext", "weights.safetensors");
    hv_device *dev = mr_device();
    setenv("HEMOVK_PROPOSALS", "host", 1);
    hv_maskrcnn *mh = demo_model(w, dev);
    setenv("HEMOVK_PROPOSALS", "device", 1);
    hv_maskrcnn *md = demo_model(w, dev);
    unsetenv("HEMOVK_PROPOSALS");
    uint8_t *px[N_FRAMES];
    int32_t fw[N_FRAMES], fh[N_FRAMES];
    load_frames(px, fw, fh);
    hv_maskrcnn_result host[N_FRAMES], device[N_FRAMES];
    hv_transfer_stats s0, s1, s2;
    hv_device_transfer_stats(dev, &s0);
    ck_assert_msg(hv_maskrcnn_detect_batch(mh, (const uint8_t *const *)px, fw, fh, N_FRAMES, NULL, host) == HV_OK, "%s",
                  hv_last_error());
    hv_device_transfer_stats(dev, &s1);
    ck_assert_msg(hv_maskrcnn_detect_batch(md, (const uint8_t *const *)px, fw, fh, N_FRAMES, NULL, device) == HV_OK,
                  "%s", hv_last_error());
    hv_device_transfer_stats(dev, &s2);
    ck_assert_ptr_null(hv_maskrcnn_output_problem(md));
    double db = 0, ds = 0, df = 0;
    size_t diff_px = 0, dets = 0;
    for (int i = 0; i < N_FRAMES; i++) {
        compare(i, &device[i], &host[i], &db, &ds, &df, &diff_px);
        dets += host[i].n;
    }
    const unsigned long long bh = (unsigned long long)(s1.download_bytes - s0.download_bytes),
                             bd = (unsigned long long)(s2.download_bytes - s1.download_bytes);
    printf("  %d frames, %zu detections, proposals on the device vs the host: max box |d| %.3g px, score |d| %.3g, "
           "%zu mask pixels differ; read back %llu bytes (host path) vs %llu (device)\n", N_FRAMES, dets, db, ds,
           diff_px, bh, bd);
    ck_assert_msg(dets >= N_FRAMES, "the demo model found only %zu boxes on %d bleeding frames", dets, N_FRAMES);
    ck_assert_msg(db <= 1e-3 && ds <= 1e-5 && df == 0, "device proposals change the results");
    ck_assert_msg(diff_px <= 2 * dets, "%zu mask pixels differ", diff_px);
    if (s1.submits > s0.submits) { /* a Vulkan device: same runs, the RPN maps no longer read back */
        ck_assert_uint_eq(s2.submits - s1.submits, s1.submits - s0.submits);
        ck_assert_msg(bd < bh, "device proposals read back %llu bytes, the host path %llu", bd, bh);
    }
    for (int i = 0; i < N_FRAMES; i++) hv_maskrcnn_result_free(&host[i]), hv_maskrcnn_result_free(&device[i]);
    /* TTA (two views of one size: one features run, proposals of both views from the device rows) */
    hv_maskrcnn_tta flip = {.n = 2, .tfs = {HV_TTA_IDENTITY, HV_TTA_HFLIP}};
    ck_assert_int_eq(hv_maskrcnn_detect_batch(mh, (const uint8_t *const *)px, fw, fh, 2, &flip, host), HV_OK);
    ck_assert_int_eq(hv_maskrcnn_detect_batch(md, (const uint8_t *const *)px, fw, fh, 2, &flip, device), HV_OK);
    double tb = 0, ts = 0, tf = 0;
    size_t tp = 0;
    for (int i = 0; i < 2; i++) compare(i, &device[i], &host[i], &tb, &ts, &tf, &tp);
    ck_assert_msg(tb <= 1e-3 && ts <= 1e-5 && tp <= 2 * (host[0].n + host[1].n), "TTA: device proposals change the "
                  "results (box %.3g, score %.3g, %zu pixels)", tb, ts, tp);
    for (int i = 0; i < 2; i++) hv_maskrcnn_result_free(&host[i]), hv_maskrcnn_result_free(&device[i]);
    for (int i = 0; i < N_FRAMES; i++) free(px[i]);
    hv_maskrcnn_free(mh);
    hv_maskrcnn_free(md);
    hv_device_close(dev);
    hv_weights_free(w);
    ck_assert_int_eq(hv_validation_message_count(), 0);
}
END_TEST

int main(void) {
    Suite *s = suite_create("maskrcnn.batch");
    TCase *tc = tcase_create("batch");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, batch_equals_frame_by_frame);
    suite_add_tcase(s, tc);
    TCase *dp = tcase_create("device_proposals");
    tcase_set_timeout(dp, 900);
    tcase_add_test(dp, device_proposals_equal_host);
    suite_add_tcase(s, dp);
    return hvtest_run(s);
}
