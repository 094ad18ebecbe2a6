/* Detection TTA (MODEL_SPEC §6.2) checked by equivariance: running the model on T⁻¹(I) with the single
 * augmentation T must give exactly the detections of I mapped by T⁻¹ — boxes, scores and pasted masks —
 * for every transform and every merge rule (mmdet, nms, wbf). This catches wrong box/map directions,
 * a forgotten un-flip of the 28×28 masks, and swapped scale factors of the 90° turns. Then a real
 * two-augmentation mmdet merge is checked for plumbing (identity twice equals once), and six views merged
 * by NMS, batched into shared runs, equal each view detected alone and merged. */
/* CTEST_ALSO_ON_CPU */
#include "maskrcnn_testutil.h"

#include "hemovk/image.h"

#define S 64

static uint8_t *crop(void) {
    hv_image img;
    ck_assert_msg(hv_image_load(HEMOVK_SHARED_DIR "/data/wcebleedgen/WCEBleedGen/bleeding/Images/img- (531).png", &img) ==
                      HV_OK,
                  "%s", hv_last_error());
    uint8_t *c = malloc(S * S * 3);
    for (int y = 0; y < S; y++) memcpy(c + (size_t)y * S * 3, img.rgb + ((size_t)(y + 80) * img.width + 80) * 3, S * 3);
    hv_image_free(&img);
    return c;
}

static void compare(const char *label, const hv_maskrcnn_result *got, const hv_maskrcnn_result *want, hv_tta_tf inv_tf) {
    ck_assert_msg(got->n == want->n, "%s: %zu detections, expected %zu", label, got->n, want->n);
    size_t px = 0;
    double db = 0, ds = 0;
    uint8_t *mapped = malloc(S * S);
    for (size_t i = 0; i < got->n; i++) {
        hv_box b;
        /* want is on I; got on T⁻¹(I): map want's box into T⁻¹(I)'s frame (inverse of T) */
        ck_assert_int_eq(hv_tta_boxes(inv_tf, S, S, true, &want->dets[i].box, 1, &b), HV_OK);
        const hv_box *g = &got->dets[i].box;
        double d = fmax(fmax(fabs(g->x1 - b.x1), fabs(g->y1 - b.y1)), fmax(fabs(g->x2 - b.x2), fabs(g->y2 - b.y2)));
        if (d > db) db = d;
        if (fabs(got->dets[i].score - want->dets[i].score) > ds) ds = fabs(got->dets[i].score - want->dets[i].score);
        ck_assert_int_eq(hv_tta_map(inv_tf, S, S, 1, true, want->masks + i * S * S, mapped), HV_OK);
        for (int k = 0; k < S * S; k++) px += mapped[k] != got->masks[i * S * S + k];
    }
    free(mapped);
    printf("  %-28s %zu dets, max box |d| %.3g px, max score |d| %.3g, %zu mask pixels differ\n", label, got->n, db, ds, px);
    ck_assert_msg(db <= 1e-3 && ds <= 1e-5, "%s: boxes %g / scores %g differ", label, db, ds);
    ck_assert_msg(px <= 2 * got->n, "%s: %zu mask pixels differ", label, px);
}

START_TEST(equivariance) {
    const char *dir = mr_gen("mr_tta", "--backbone convnext --depths 1,1,1,1 --dims 16,24,32,48 --size 64,64 "
                                       "--fpn-width 32 --fc 64 --seed 11");
    hv_weights *w = mr_open(dir, "weights.safetensors");
    hv_device *dev = mr_device();
    hv_maskrcnn_params p;
    hv_maskrcnn_params_default(&p);
    p.convnext = (hv_convnext_params){.depths = {1, 1, 1, 1}, .dims = {16, 24, 32, 48}};
    p.target_w = p.target_h = 0; /* no resize: the transforms commute exactly with the network's input */
    hv_maskrcnn *m = NULL;
    ck_assert_msg(hv_maskrcnn_create(&p, w, dev, &m) == HV_OK, "%s", hv_last_error());
    uint8_t *img = crop(), *t = malloc(S * S * 3);
    const hv_tta_tf tfs[] = {HV_TTA_HFLIP, HV_TTA_VFLIP, HV_TTA_ROT90, HV_TTA_ROT180, HV_TTA_ROT270};
    const char *names[] = {"hflip", "vflip", "rot90", "rot180", "rot270"};
    const hv_tta_merge merges[] = {HV_TTA_MERGE_MMDET, HV_TTA_MERGE_NMS, HV_TTA_MERGE_WBF};
    const char *mnames[] = {"mmdet", "nms", "wbf"};
    for (int mi = 0; mi < 3; mi++) {
        hv_maskrcnn_tta id = {.n = 1, .tfs = {HV_TTA_IDENTITY}, .merge = merges[mi]};
        hv_maskrcnn_result want;
        ck_assert_msg(hv_maskrcnn_detect(m, img, S, S, &id, &want) == HV_OK, "%s", hv_last_error());
        ck_assert_msg(want.n > 0, "no detections: nothing to compare");
        for (int ti = 0; ti < 5; ti++) {
            if (mi > 0 && ti != 2 && ti != 1) continue; /* the other merges: one flip and one turn are enough */
            /* input T⁻¹(I), so that the augmented view T(T⁻¹(I)) is I itself */
            ck_assert_int_eq(hv_tta_map(tfs[ti], S, S, 3, true, img, t), HV_OK);
            hv_maskrcnn_tta one = {.n = 1, .tfs = {tfs[ti]}, .merge = merges[mi]};
            hv_maskrcnn_result got;
            ck_assert_msg(hv_maskrcnn_detect(m, t, S, S, &one, &got) == HV_OK, "%s", hv_last_error());
            char label[64];
            snprintf(label, sizeof label, "%s merge, %s", mnames[mi], names[ti]);
            compare(label, &got, &want, tfs[ti]);
            hv_maskrcnn_result_free(&got);
        }
        hv_maskrcnn_result_free(&want);
    }
    /* two identical augmentations average to the same result */
    hv_maskrcnn_tta one = {.n = 1, .tfs = {HV_TTA_IDENTITY}}, two = {.n = 2, .tfs = {HV_TTA_IDENTITY, HV_TTA_IDENTITY}};
    hv_maskrcnn_result r1, r2;
    ck_assert_int_eq(hv_maskrcnn_detect(m, img, S, S, &one, &r1), HV_OK);
    ck_assert_int_eq(hv_maskrcnn_detect(m, img, S, S, &two, &r2), HV_OK);
    ck_assert_int_eq(r1.n, r2.n);
    for (size_t i = 0; i < r1.n; i++) ck_assert_float_eq_tol(r1.dets[i].score, r2.dets[i].score, 1e-6);
    ck_assert_int_eq(memcmp(r1.masks, r2.masks, r1.n * S * S), 0);
    hv_maskrcnn_result_free(&r1), hv_maskrcnn_result_free(&r2);
    /* a real flip TTA runs and keeps scores sorted and boxes inside the frame */
    hv_maskrcnn_tta flip = {.n = 2, .tfs = {HV_TTA_IDENTITY, HV_TTA_HFLIP}};
    ck_assert_int_eq(hv_maskrcnn_detect(m, img, S, S, &flip, &r1), HV_OK);
    for (size_t i = 0; i < r1.n; i++) {
        ck_assert(r1.dets[i].box.x1 >= 0 && r1.dets[i].box.x2 <= S && r1.dets[i].box.y2 <= S);
        if (i) ck_assert(r1.dets[i].score <= r1.dets[i - 1].score);
    }
    printf("  mmdet [identity, hflip]: %zu dets\n", r1.n);
    hv_maskrcnn_result_free(&r1);
    /* NMS merge of six views: run in one batched pass per 4 and 2 views (maskrcnn_tta.c detect_views), it
     * equals each view detected alone, mapped back and merged by the same NMS */
    hv_maskrcnn_tta six = {.n = 6,
                           .tfs = {HV_TTA_IDENTITY, HV_TTA_HFLIP, HV_TTA_VFLIP, HV_TTA_ROT90, HV_TTA_ROT180, HV_TTA_ROT270},
                           .merge = HV_TTA_MERGE_NMS};
    hv_transfer_stats x0, x1, x2;
    hv_device_transfer_stats(dev, &x0);
    ck_assert_msg(hv_maskrcnn_detect(m, img, S, S, &six, &r1) == HV_OK, "%s", hv_last_error());
    hv_device_transfer_stats(dev, &x1);
    hv_maskrcnn_result alone[6];
    hv_det *cat[6];
    const hv_det *dp[6];
    size_t counts[6], off = 0;
    for (int a = 0; a < 6; a++) {
        hv_maskrcnn_tta view = {.n = 1, .tfs = {six.tfs[a]}, .merge = HV_TTA_MERGE_NMS};
        ck_assert_msg(hv_maskrcnn_detect(m, img, S, S, &view, &alone[a]) == HV_OK, "%s", hv_last_error());
        cat[a] = malloc((alone[a].n ? alone[a].n : 1) * sizeof(hv_det));
        for (size_t i = 0; i < alone[a].n; i++) cat[a][i] = alone[a].dets[i], cat[a][i].src = (int32_t)(off + i);
        dp[a] = cat[a], counts[a] = alone[a].n, off += alone[a].n;
    }
    hv_device_transfer_stats(dev, &x2);
    hv_det *merged = malloc((off ? off : 1) * sizeof(hv_det));
    size_t nm = 0;
    ck_assert_int_eq(hv_tta_merge_nms(dp, counts, 6, p.test.rcnn_iou, p.test.max_per_img, merged, &nm), HV_OK);
    ck_assert_uint_eq(r1.n, nm);
    size_t px = 0;
    for (size_t i = 0; i < nm; i++) {
        const hv_box *g = &r1.dets[i].box, *e = &merged[i].box;
        ck_assert_msg(fabs(g->x1 - e->x1) <= 1e-3 && fabs(g->y1 - e->y1) <= 1e-3 && fabs(g->x2 - e->x2) <= 1e-3 &&
                          fabs(g->y2 - e->y2) <= 1e-3,
                      "six views: box %zu differs", i);
        ck_assert_float_eq_tol(r1.dets[i].score, merged[i].score, 1e-5);
        size_t src = (size_t)merged[i].src, a = 0;
        while (src >= counts[a]) src -= counts[a++];
        for (int k = 0; k < S * S; k++) px += r1.masks[i * S * S + k] != alone[a].masks[src * S * S + k];
    }
    ck_assert_msg(px <= 2 * nm, "six views: %zu mask pixels differ", px);
    unsigned long long sub_six = x1.submits - x0.submits, sub_alone = x2.submits - x1.submits;
    printf("  nms [6 views]: %zu dets, batched == alone and merged (%zu mask pixels differ); %llu submissions "
           "batched vs %llu alone\n", nm, px, sub_six, sub_alone);
    if (sub_alone) ck_assert_uint_lt(sub_six, sub_alone); /* the CPU backend counts no submissions */
    for (int a = 0; a < 6; a++) hv_maskrcnn_result_free(&alone[a]), free(cat[a]);
    free(merged);
    hv_maskrcnn_result_free(&r1);
    hv_maskrcnn_tta bad = {.n = 9};
    ck_assert_int_eq(hv_maskrcnn_detect(m, img, S, S, &bad, &r1), HV_ERR_INVALID_ARGUMENT);
    free(img), free(t);
    hv_maskrcnn_free(m);
    hv_device_close(dev);
    hv_weights_free(w);
    ck_assert_int_eq(hv_validation_message_count(), 0);
}
END_TEST

int main(void) {
    HVTEST_NEED_PYTHON("torch, torchvision, numpy, PIL", "python3-torch python3-torchvision python3-numpy python3-pil");
    Suite *s = suite_create("maskrcnn.tta");
    TCase *tc = tcase_create("tta");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, equivariance);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
