/* COCOeval on hand-built fixtures whose numbers are derived by hand in the comments: perfect and empty
 * results, duplicates, greedy matching by score, a crowd region, the area ranges and their inclusive
 * bounds, score ties (stable order), the maxDets cut, masks, the per-frame view, the localisation rate
 * and the errors. The agreement with an independent COCOeval on real masks is test_metrics_coco_ref.c. */
#include <math.h>
#include <stdio.h>

#include "eval/metrics_internal.h"
#include "test_metrics_util.h"

/* Perfect detections. Image 1: A = 20×20 (area 400, small) score .9, B = 50×50 (2500, medium) score .8;
 * image 2: C = 100×100 (10000, large) score .7; each detection equals its instance (IoU 1).
 * Every detection is a TP at every threshold, so precision is 1 at every recall point: AP, AP50, AP75 = 1;
 * per area range the other instances are ignored and so are the detections matched to them: APs/m/l = 1.
 * AR1: one detection per image finds A and C, not B: 2/3 at every threshold. AR10 = AR100 = ARs/m/l = 1.
 * Table 2: [6] recall@.5, maxDets 10 = 1; precision_s = 2/(2+ε), 3/(3+ε) ≈ 1 for every maxDets. */
START_TEST(perfect) {
    fx f;
    fx_init(&f, 2);
    fx_gt(&f, 1, 0, 0, 20, 20, 400, 0);
    fx_gt(&f, 1, 50, 50, 50, 50, 2500, 0);
    fx_gt(&f, 2, 10, 10, 100, 100, 10000, 0);
    fx_det(&f, 1, 0, 0, 20, 20, .9);
    fx_det(&f, 1, 50, 50, 50, 50, .8);
    fx_det(&f, 2, 10, 10, 100, 100, .7);
    hv_coco_eval_result *r = fx_eval(&f, HV_COCO_BBOX);
    const double want[12] = {1, 1, 1, 1, 1, 1, 2.0 / 3, 1, 1, 1, 1, 1};
    fx_expect_stats(r, want, "perfect");
    const double want2[19] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    fx_expect_table2(r, want2, "perfect");
    ck_assert_uint_eq(r->K, 1);
    ck_assert_uint_eq(r->T, 10);
    ck_assert_uint_eq(r->R, 101);
    ck_assert(hv_coco_precision_at(r, 9, 100, 0, 0, 2) == 1);
    ck_assert(hv_coco_precision_at(r, 10, 0, 0, 0, 0) == -2); /* out of range */
    for (size_t i = 0; i < 3; ++i) ck_assert_int_eq(r->det_gt[i], (int64_t)i);
    ck_assert_int_eq(r->frames[0].n_matched, 2);
    ck_assert_int_eq(r->frames[0].n_false, 0);
    ck_assert(r->frames[0].best_iou == 1);
    hv_coco_eval_result_free(r);
    fx_free(&f);
}
END_TEST

/* Empty results on one medium instance (30×40, area 1200): no detection, so for area all and medium
 * precision is 0 at every recall point (searchsorted on an empty list finds nothing) and recall is 0;
 * small and large have no non-ignored instance: −1. Table 2's precision_s is 0 with no detections.
 * A ground truth without instances gives −1 everywhere, with or without detections. */
START_TEST(empty) {
    fx f;
    fx_init(&f, 2);
    fx_gt(&f, 1, 0, 0, 30, 40, 1200, 0);
    hv_coco_eval_result *r = fx_eval(&f, HV_COCO_BBOX);
    const double want[12] = {0, 0, 0, -1, 0, -1, 0, 0, 0, -1, 0, -1};
    fx_expect_stats(r, want, "empty results");
    const double want2[19] = {0, 0, 0, -1, 0, -1, 0, 0, 0, -1, 0, -1, 0, 0, 0, 0, 0, 0, 0};
    fx_expect_table2(r, want2, "empty results");
    ck_assert_int_eq(r->gt_det[0], -1);
    ck_assert_int_eq(r->frames[0].n_missed, 1);
    ck_assert(r->frames[0].best_iou == -1);
    hv_coco_eval_result_free(r);
    fx_free(&f);

    fx_init(&f, 1);
    fx_det(&f, 1, 0, 0, 10, 10, .5);
    r = fx_eval(&f, HV_COCO_BBOX);
    for (int i = 0; i < 12; ++i) ck_assert(r->stats[i] == -1);
    for (int i = 0; i < 19; ++i) ck_assert(r->table2[i] == -1);
    ck_assert_int_eq(r->det_gt[0], -1);
    ck_assert_int_eq(r->frames[0].n_false, 1);
    hv_coco_eval_result_free(r);
    fx_free(&f);
}
END_TEST

/* Duplicates. One instance G = (0,0,10,10), area 100 (small). D1 = G, score .9; D2 = G again, .8.
 * D1 takes G at every threshold, D2 finds G taken: FP. Ranking TP, FP: rc = [1, 1], pr = [1, .5];
 * every recall threshold lands on rank 0 (rc[0] = 1 ≥ r), so precision = 1: AP = 1, AR = 1.
 * precision_s: maxDets 1 keeps D1 only → 1; maxDets 10/100 → 1/2. */
START_TEST(duplicates) {
    fx f;
    fx_init(&f, 1);
    fx_gt(&f, 1, 0, 0, 10, 10, 100, 0);
    fx_det(&f, 1, 0, 0, 10, 10, .9);
    fx_det(&f, 1, 0, 0, 10, 10, .8);
    hv_coco_eval_result *r = fx_eval(&f, HV_COCO_BBOX);
    const double want[12] = {1, 1, 1, 1, -1, -1, 1, 1, 1, 1, -1, -1};
    fx_expect_stats(r, want, "duplicates");
    const double want2[19] = {1, 1, 1, 1, -1, -1, 1, 1, 1, 1, -1, -1, 1, .5, .5, 1, .5, 1, .5};
    fx_expect_table2(r, want2, "duplicates");
    ck_assert_int_eq(r->det_gt[1], -1);
    ck_assert_int_eq(r->frames[0].n_false, 1);
    hv_coco_eval_result_free(r);
    fx_free(&f);
}
END_TEST

/* Greedy matching by score, not by IoU. G = (0,0,10,10). Da = G, score .8; Db = (1,0,10,10), score .9:
 * IoU(Db, G) = 9·10 / (100 + 100 − 90) = 90/110 = 0.8182.
 * Thresholds .50–.80 (7 of 10): Db, higher score, takes G; Da is FP. Ranking TP, FP → precision 1.
 * Thresholds .85–.95 (3): Db misses (IoU < t), Da takes G. Ranking FP, TP: rc = [0, 1], pr = [0, .5],
 * envelope [.5, .5] → precision .5 at every recall point.
 * AP = (7·1 + 3·.5)/10 = .85; AP50 = AP75 = 1. AR10 = AR100 = 1 (G found at every threshold).
 * AR1 keeps Db only: found at 7 thresholds → .7. Small only (area 100): APs = .85, ARs = 1. */
START_TEST(greedy_by_score) {
    fx f;
    fx_init(&f, 1);
    fx_gt(&f, 1, 0, 0, 10, 10, 100, 0);
    fx_det(&f, 1, 0, 0, 10, 10, .8);
    fx_det(&f, 1, 1, 0, 10, 10, .9);
    hv_coco_eval_result *r = fx_eval(&f, HV_COCO_BBOX);
    const double want[12] = {.85, 1, 1, .85, -1, -1, .7, 1, 1, 1, -1, -1};
    fx_expect_stats(r, want, "greedy");
    ck_assert_int_eq(r->det_gt[1], 0); /* at IoU .5, Db holds G */
    ck_assert(fabs(r->det_iou[1] - 90.0 / 110) < 1e-15);
    ck_assert_int_eq(r->gt_det[0], 1);
    hv_coco_eval_result_free(r);
    fx_free(&f);
}
END_TEST

/* A crowd region. Image 1: R = (0,0,10,10) area 100; crowd C = (20,0,40,40) area 1600, iscrowd.
 * D1 = R (.9): TP. D2 = (25,5,10,10) (.8) and D3 = (40,20,10,10) (.7) lie inside C: IoU with a crowd
 * region is intersection / detection area = 100/100 = 1, and C may absorb both: both ignored (against
 * a regular instance their IoU would be 100/1600 and they would be FPs). D4 = (100,100,10,10) (.6): FP.
 * Ranking TP, ign, ign, FP with one non-ignored instance: rc = 1 from rank 0, envelope max 1 → AP = 1,
 * AR = 1. precision_s at maxDets 100 = 1/(1+1) = .5 (ignored detections count in neither), maxDets 1 →
 * D1 only → 1, maxDets 10 → .5. Area ranges: R is small; medium and large have no non-ignored
 * instance (C is ignored as a crowd region): −1. In small, D4 (area 100) stays a FP: APs = 1. */
START_TEST(crowd) {
    fx f;
    fx_init(&f, 1);
    fx_gt(&f, 1, 0, 0, 10, 10, 100, 0);
    fx_gt(&f, 1, 20, 0, 40, 40, 1600, 1);
    fx_det(&f, 1, 0, 0, 10, 10, .9);
    fx_det(&f, 1, 25, 5, 10, 10, .8);
    fx_det(&f, 1, 40, 20, 10, 10, .7);
    fx_det(&f, 1, 100, 100, 10, 10, .6);
    hv_coco_eval_result *r = fx_eval(&f, HV_COCO_BBOX);
    const double want[12] = {1, 1, 1, 1, -1, -1, 1, 1, 1, 1, -1, -1};
    fx_expect_stats(r, want, "crowd");
    const double want2[19] = {1, 1, 1, 1, -1, -1, 1, 1, 1, 1, -1, -1, 1, .5, .5, 1, .5, 1, .5};
    fx_expect_table2(r, want2, "crowd");
    ck_assert_int_eq(r->det_gt[1], 1);
    ck_assert_int_eq(r->det_gt[2], 1);
    ck_assert_int_eq(r->det_gt[3], -1);
    ck_assert_int_eq(r->gt_det[1], 1); /* the highest-scoring detection the crowd region absorbed */
    const hv_coco_frame *fr = &r->frames[0];
    ck_assert(fr->n_gt == 1 && fr->n_crowd == 1 && fr->n_dets == 4 && fr->n_matched == 1 && fr->n_missed == 0);
    ck_assert_int_eq(fr->n_false, 1);
    hv_coco_eval_result_free(r);
    fx_free(&f);
}
END_TEST

/* Area ranges, their inclusive bounds and the ignore rule for unmatched detections.
 * Image 1: S = (0,0,10,10) area 100 (small), detected exactly at score .5; a FP F = (200,200,100,100)
 *   (box area 10000, large) at score .9.
 * Image 2: B = (0,0,32,32) area exactly 1024 = 32²: small AND medium (lo ≤ area ≤ hi); detected exactly at .4.
 * all:    ranking F(FP) S(TP) B(TP): rc = [0, .5, 1], pr = [0, .5, 2/3] → envelope 2/3 everywhere: AP = 2/3.
 * small:  F is unmatched with area 10000 > 1024: ignored; S, B both count: ranking ign, TP, TP → AP 1.
 * medium: S ignored (100 < 1024), so its detection is ignored; F ignored (10000 > 9216); B TP → AP 1.
 * large:  S and B ignored (< 9216): no non-ignored instance → −1 (F would be a FP there).
 * AR = 1 for all, small, medium; −1 for large. AR1: image 1 keeps F only, image 2 keeps B: 1/2. */
START_TEST(area_ranges) {
    fx f;
    fx_init(&f, 2);
    fx_gt(&f, 1, 0, 0, 10, 10, 100, 0);
    fx_gt(&f, 2, 0, 0, 32, 32, 1024, 0);
    fx_det(&f, 1, 0, 0, 10, 10, .5);
    fx_det(&f, 1, 200, 200, 100, 100, .9);
    fx_det(&f, 2, 0, 0, 32, 32, .4);
    hv_coco_eval_result *r = fx_eval(&f, HV_COCO_BBOX);
    const double want[12] = {2.0 / 3, 2.0 / 3, 2.0 / 3, 1, 1, -1, .5, 1, 1, 1, 1, -1};
    fx_expect_stats(r, want, "area ranges");
    hv_coco_eval_result_free(r);
    /* the same with the instance at 96² = 9216: medium and large both hold it */
    f.gt.anns[1].bbox[2] = f.gt.anns[1].bbox[3] = 96;
    f.gt.anns[1].area = 9216;
    f.res.dets[2].bbox[2] = f.res.dets[2].bbox[3] = 96;
    r = fx_eval(&f, HV_COCO_BBOX);
    /* small: S only (B ignored, its detection too; F ignored) → 1. medium: B only; F (10000 > 9216)
     * ignored → 1. large: B only, F (10000) counts: ranking F(FP), B(TP) → rc [0,1], pr [0,.5] → .5 */
    ck_assert(fabs(r->stats[3] - 1) < 1e-12 && fabs(r->stats[4] - 1) < 1e-12 && fabs(r->stats[5] - .5) < 1e-12);
    hv_coco_eval_result_free(r);
    fx_free(&f);
}
END_TEST

/* Score ties keep input order (stable mergesort), per image and across images (image-id order).
 * (a) Image 1: G1 with a far FP at .5; image 2: G2 detected exactly at .5. The merged ranking is image 1's
 *     FP, then image 2's TP: rc = [0, .5], pr = [0, .5], envelope [.5, .5]. Recall thresholds 0..0.5
 *     (51 of 101) give .5, the rest 0: AP = 51·.5/101 = 25.5/101 at every IoU threshold.
 *     With the images swapped (TP on image 1) the TP ranks first: rc = [.5, .5], pr = [1, .5] → 51/101.
 * (b) One image, one instance, two detections at .5: the first listed wins the tie. FP listed first:
 *     ranking FP, TP → envelope .5 → AP .5. TP listed first: AP 1. */
START_TEST(score_ties) {
    fx f;
    fx_init(&f, 2);
    fx_gt(&f, 1, 0, 0, 10, 10, 100, 0);
    fx_gt(&f, 2, 0, 0, 10, 10, 100, 0);
    fx_det(&f, 2, 0, 0, 10, 10, .5);   /* listed first, but image 2 */
    fx_det(&f, 1, 50, 50, 10, 10, .5); /* FP on image 1 */
    hv_coco_eval_result *r = fx_eval(&f, HV_COCO_BBOX);
    ck_assert_msg(fabs(r->stats[0] - 25.5 / 101) < 1e-12, "ties across images: AP %.15g", r->stats[0]);
    hv_coco_eval_result_free(r);
    f.res.dets[0].image_id = 1, f.res.dets[0].bbox[0] = 50, f.res.dets[0].bbox[1] = 50; /* FP on 1 ... */
    f.res.dets[1].image_id = 2, f.res.dets[1].bbox[0] = 0, f.res.dets[1].bbox[1] = 0;   /* TP on 2 */
    r = fx_eval(&f, HV_COCO_BBOX);
    ck_assert(fabs(r->stats[0] - 25.5 / 101) < 1e-12);
    hv_coco_eval_result_free(r);
    f.gt.images[0].id = 3; /* image 1 becomes id 3: now the TP image (2) comes first */
    f.gt.anns[0].image_id = 3, f.res.dets[0].image_id = 3;
    r = fx_eval(&f, HV_COCO_BBOX);
    ck_assert_msg(fabs(r->stats[0] - 51.0 / 101) < 1e-12, "ties across images, swapped: AP %.15g", r->stats[0]);
    hv_coco_eval_result_free(r);
    fx_free(&f);

    fx_init(&f, 1);
    fx_gt(&f, 1, 0, 0, 10, 10, 100, 0);
    fx_det(&f, 1, 50, 50, 10, 10, .5);
    fx_det(&f, 1, 0, 0, 10, 10, .5);
    r = fx_eval(&f, HV_COCO_BBOX);
    ck_assert_msg(fabs(r->stats[0] - .5) < 1e-12, "tie in one image, FP first: AP %.15g", r->stats[0]);
    hv_coco_eval_result_free(r);
    f.res.dets[0].bbox[0] = f.res.dets[0].bbox[1] = 0;
    f.res.dets[1].bbox[0] = f.res.dets[1].bbox[1] = 50;
    r = fx_eval(&f, HV_COCO_BBOX);
    ck_assert_msg(fabs(r->stats[0] - 1) < 1e-12, "tie in one image, TP first: AP %.15g", r->stats[0]);
    hv_coco_eval_result_free(r);
    fx_free(&f);
}
END_TEST

/* maxDets: one instance G = (0,0,10,10) and N detections, N − 1 far FPs with scores above the TP.
 * N = 100: the TP is rank 100, inside maxDets 100: pr at the end = 1/100, envelope .01 everywhere → AP = .01;
 *   AR100 = 1, AR10 = AR1 = 0; precision_s(maxDets 100) = .01, (10) = 0, (1) = 0.
 * N = 101: the TP is rank 101, cut: AP = 0, AR100 = 0, precision_s(100) = 0. */
START_TEST(max_dets) {
    for (int n = 100; n <= 101; ++n) {
        fx f;
        fx_init(&f, 1);
        fx_gt(&f, 1, 0, 0, 10, 10, 100, 0);
        for (int i = 0; i < n - 1; ++i) fx_det(&f, 1, 20 + i, 20, 10, 10, 1.0 - i * 1e-3);
        fx_det(&f, 1, 0, 0, 10, 10, .5);
        hv_coco_eval_result *r = fx_eval(&f, HV_COCO_BBOX);
        const double ap = n == 100 ? .01 : 0, ar = n == 100 ? 1 : 0;
        const double want[12] = {ap, ap, ap, ap, -1, -1, 0, 0, ar, ar, -1, -1};
        fx_expect_stats(r, want, n == 100 ? "maxDets, TP at 100" : "maxDets, TP at 101");
        ck_assert(fabs(r->table2[14] - ap) < 1e-12 && r->table2[13] == 0 && r->table2[12] == 0);
        ck_assert_int_eq(r->det_gt[n - 1], n == 100 ? 0 : -2); /* past maxDets: not evaluated */
        ck_assert_int_eq(r->frames[0].n_dets, n);
        hv_coco_eval_result_free(r);
        fx_free(&f);
    }
}
END_TEST

/* Masks. 8×8 image, instance = rows 2..5 × columns 2..5 (16 px).
 * D1 = the same square (.9): IoU 1. D2 = columns 4..7 × rows 2..5 (.8): intersection 8, union 24 → 1/3.
 * As segm: D1 TP, D2 FP (IoU 1/3 < .5): ranking TP, FP → AP 1; precision_s(100) = .5.
 * The boxes say the same here, but the box IoU of D2 on a box with a hole differs: the instance mask
 * gets a hole in column 3 (rows 2..5: 4 px): the box stays 4×4, the mask IoU of D1 becomes 12/16 = .75
 * → TP only at thresholds .50–.75 (6 of 10): AP = .6 in segm while bbox still gives 1. */
START_TEST(masks) {
    fx f;
    fx_init(&f, 1);
    f.gt.images[0].width = f.gt.images[0].height = 8;
    const size_t g = fx_gt(&f, 1, 2, 2, 4, 4, 16, 0);
    f.gt.anns[g].segm = fx_rect_rle(8, 8, 2, 2, 4, 4);
    size_t d = fx_det(&f, 1, 2, 2, 4, 4, .9);
    f.res.dets[d].segm = fx_rect_rle(8, 8, 2, 2, 4, 4);
    d = fx_det(&f, 1, 4, 2, 4, 4, .8);
    f.res.dets[d].segm = fx_rect_rle(8, 8, 4, 2, 4, 4);
    hv_coco_eval_result *r = fx_eval(&f, HV_COCO_SEGM);
    ck_assert(fabs(r->stats[0] - 1) < 1e-12 && fabs(r->table2[14] - .5) < 1e-12);
    ck_assert(fabs(r->det_iou[1] - 1.0 / 3) < 1e-15);
    hv_coco_eval_result_free(r);
    /* the hole: column 3, rows 2..5 */
    uint8_t m[64] = {0};
    for (int y = 2; y < 6; ++y)
        for (int x = 2; x < 6; ++x) m[y * 8 + x] = x != 3;
    hv_rle_free(&f.gt.anns[g].segm);
    ck_assert_int_eq(hv_rle_encode(m, 8, 8, &f.gt.anns[g].segm), HV_OK);
    f.gt.anns[g].area = 12;
    r = fx_eval(&f, HV_COCO_SEGM);
    ck_assert_msg(fabs(r->stats[0] - .6) < 1e-12, "segm with a hole: AP %.15g", r->stats[0]);
    ck_assert(fabs(r->det_iou[0] - .75) < 1e-15);
    hv_coco_eval_result_free(r);
    r = fx_eval(&f, HV_COCO_BBOX);
    ck_assert(fabs(r->stats[0] - 1) < 1e-12);
    hv_coco_eval_result_free(r);
    fx_free(&f);
}
END_TEST

/* maskApi.c details: rleToBbox widens to the full height when a run of ones crosses a column; masks of
 * different sizes have IoU −1 when their boxes overlap; a crowd region divides by the detection area. */
START_TEST(mask_iou_details) {
    /* 4×3 (h×w) mask, ones at column-major pixels 3..4: (y=3, x=0) and (y=0, x=1) — a run that wraps */
    hv_rle r = {.h = 4, .w = 3, .n = 3, .counts = (uint32_t[]){3, 2, 7}};
    double bb[4];
    hvm_rle_box(&r, bb);
    ck_assert(bb[0] == 0 && bb[1] == 0 && bb[2] == 2 && bb[3] == 4); /* x 0..1, full height */
    hv_rle a = fx_rect_rle(8, 8, 0, 0, 4, 4), b = fx_rect_rle(8, 9, 0, 0, 4, 4), c = fx_rect_rle(8, 8, 0, 0, 8, 8);
    double ba[4], bbb[4], bc[4];
    hvm_rle_box(&a, ba), hvm_rle_box(&b, bbb), hvm_rle_box(&c, bc);
    ck_assert(ba[0] == 0 && ba[2] == 4 && ba[3] == 4);
    ck_assert(hvm_rle_iou(&a, &b, ba, bbb, 0) == -1);
    ck_assert(hvm_rle_iou(&a, &c, ba, bc, 0) == 16.0 / 64); /* regular: 16 / 64 */
    ck_assert(hvm_rle_iou(&a, &c, ba, bc, 1) == 1);         /* crowd: 16 / area(a) */
    ck_assert(hvm_rle_iou(&c, &a, bc, ba, 1) == 16.0 / 64); /* crowd: 16 / area(c) */
    hv_rle_free(&a), hv_rle_free(&b), hv_rle_free(&c);
    /* boxes: no +1; touching boxes do not overlap */
    const double g[4] = {0, 0, 10, 10}, d1[4] = {10, 0, 10, 10}, d2[4] = {5, 5, 10, 10};
    ck_assert(hvm_box_iou(d1, g, 0) == 0);
    ck_assert(hvm_box_iou(d2, g, 0) == 25.0 / 175);
    ck_assert(hvm_box_iou(d2, g, 1) == 25.0 / 100);
}
END_TEST

/* Detection area for the ranges: by default w·h of the box (loadRes with "bbox"), with det_area MASK the
 * mask's pixel count. One small instance S (4×4 mask, area 16) detected exactly (.5) plus a FP whose box is
 * 40×40 (area 1600, medium) but whose mask is 4×4 (16 px, small), score .9, far away.
 * small, BOX: the FP's area 1600 is outside small → ignored → APs = 1.
 * small, MASK: the FP's area 16 is small → FP ranks first: rc [0, 1], pr [0, .5] → APs = .5. */
START_TEST(det_area_mode) {
    fx f;
    fx_init(&f, 1);
    const size_t g = fx_gt(&f, 1, 0, 0, 4, 4, 16, 0);
    f.gt.anns[g].segm = fx_rect_rle(224, 224, 0, 0, 4, 4);
    size_t d = fx_det(&f, 1, 0, 0, 4, 4, .5);
    f.res.dets[d].segm = fx_rect_rle(224, 224, 0, 0, 4, 4);
    d = fx_det(&f, 1, 100, 100, 40, 40, .9);
    f.res.dets[d].segm = fx_rect_rle(224, 224, 100, 100, 4, 4);
    hv_coco_eval_result *r = fx_eval(&f, HV_COCO_SEGM);
    ck_assert_msg(fabs(r->stats[3] - 1) < 1e-12, "BOX area: APs %.15g", r->stats[3]);
    hv_coco_eval_result_free(r);
    hv_coco_params p;
    hv_coco_params_default(&p);
    p.det_area = HV_COCO_DET_AREA_MASK;
    ck_assert_int_eq(hv_coco_eval(&f.gt, &f.res, HV_COCO_SEGM, &p, &r), HV_OK);
    ck_assert_msg(fabs(r->stats[3] - .5) < 1e-12, "MASK area: APs %.15g", r->stats[3]);
    hv_coco_eval_result_free(r);
    fx_free(&f);
}
END_TEST

/* Custom params: only IoU .5 and maxDets {100}: stats that ask for .75 or for maxDets[1], [2] have no
 * entry → −1; AP (maxDets 100, all IoU = {.5}) still exists. Unsorted maxDets are sorted. */
START_TEST(custom_params) {
    fx f;
    fx_init(&f, 1);
    fx_gt(&f, 1, 0, 0, 10, 10, 100, 0);
    fx_det(&f, 1, 0, 0, 10, 10, .9);
    hv_coco_params p;
    hv_coco_params_default(&p);
    p.n_iou_thrs = 1;
    p.iou_thrs[0] = .5;
    p.n_max_dets = 1;
    p.max_dets[0] = 100;
    hv_coco_eval_result *r;
    ck_assert_int_eq(hv_coco_eval(&f.gt, &f.res, HV_COCO_BBOX, &p, &r), HV_OK);
    /* precision is TP/(TP+FP+ε): 1/(1+ε) = 1 − 2.2e-16, in pycocotools too */
    ck_assert_msg(fabs(r->stats[0] - 1) < 1e-12 && r->stats[1] == -1 && r->stats[2] == -1 && r->stats[6] == 1 && r->stats[8] == -1,
                  "stats %g %g %g %g %g", r->stats[0], r->stats[1], r->stats[2], r->stats[6], r->stats[8]);
    hv_coco_eval_result_free(r);
    hv_coco_params_default(&p);
    p.max_dets[0] = 100, p.max_dets[2] = 1;
    ck_assert_int_eq(hv_coco_eval(&f.gt, &f.res, HV_COCO_BBOX, &p, &r), HV_OK);
    ck_assert(r->params.max_dets[0] == 1 && r->params.max_dets[2] == 100);
    hv_coco_eval_result_free(r);
    p.n_iou_thrs = 0;
    ck_assert_int_eq(hv_coco_eval(&f.gt, &f.res, HV_COCO_BBOX, &p, &r), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(r);
    fx_free(&f);
}
END_TEST

/* Annotation id 0: pycocotools records a match as the annotation id and tests it for truth, so a match
 * to id 0 reads as unmatched — a FP in accumulate. Kept for exactness (documented in eval_metrics.h). */
START_TEST(ann_id_zero) {
    fx f;
    fx_init(&f, 1);
    fx_gt(&f, 1, 0, 0, 10, 10, 100, 0);
    f.gt.anns[0].id = 0;
    fx_det(&f, 1, 0, 0, 10, 10, .9);
    hv_coco_eval_result *r = fx_eval(&f, HV_COCO_BBOX);
    ck_assert(r->stats[0] == 0 && r->stats[8] == 0);
    hv_coco_eval_result_free(r);
    fx_free(&f);
}
END_TEST

/* Bad input is refused with a message, never aborts. */
START_TEST(errors) {
    fx f;
    fx_init(&f, 2);
    fx_gt(&f, 1, 0, 0, 10, 10, 100, 0);
    fx_det(&f, 1, 0, 0, 10, 10, .9);
    hv_coco_eval_result *r = (hv_coco_eval_result *)&f; /* must be reset to NULL */
    ck_assert_int_eq(hv_coco_eval(NULL, &f.res, HV_COCO_BBOX, NULL, &r), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_null(r);
    ck_assert_int_eq(hv_coco_eval(&f.gt, &f.res, HV_COCO_BBOX, NULL, NULL), HV_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(hv_coco_eval(&f.gt, &f.res, (hv_coco_iou_type)7, NULL, &r), HV_ERR_INVALID_ARGUMENT);
    f.res.dets[0].image_id = 9;
    ck_assert_int_eq(hv_coco_eval(&f.gt, &f.res, HV_COCO_BBOX, NULL, &r), HV_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(hv_last_error(), "image id 9"), "message: %s", hv_last_error());
    f.res.dets[0].image_id = 1;
    f.res.dets[0].score = NAN;
    ck_assert_int_eq(hv_coco_eval(&f.gt, &f.res, HV_COCO_BBOX, NULL, &r), HV_ERR_INVALID_ARGUMENT);
    f.res.dets[0].score = .9;
    f.res.dets[0].bbox[2] = INFINITY;
    ck_assert_int_eq(hv_coco_eval(&f.gt, &f.res, HV_COCO_BBOX, NULL, &r), HV_ERR_INVALID_ARGUMENT);
    f.res.dets[0].bbox[2] = 10;
    ck_assert_int_eq(hv_coco_eval(&f.gt, &f.res, HV_COCO_SEGM, NULL, &r), HV_ERR_INVALID_ARGUMENT); /* no masks */
    ck_assert_msg(strstr(hv_last_error(), "no mask"), "message: %s", hv_last_error());
    f.gt.images[1].id = 1;
    ck_assert_int_eq(hv_coco_eval(&f.gt, &f.res, HV_COCO_BBOX, NULL, &r), HV_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(hv_last_error(), "twice"), "message: %s", hv_last_error());
    f.gt.images[1].id = 2;
    /* a detection of an unknown category is skipped, as getAnnIds(catIds=...) does */
    f.res.dets[0].category_id = 5;
    ck_assert_int_eq(hv_coco_eval(&f.gt, &f.res, HV_COCO_BBOX, NULL, &r), HV_OK);
    ck_assert(r->stats[0] == 0 && r->det_gt[0] == -2);
    hv_coco_eval_result_free(r);
    hv_coco_eval_result_free(NULL);
    fx_free(&f);
}
END_TEST

/* Localisation rate. Image 1: instance (0,0,10,10), detection (2,0,10,10) (.9): IoU 80/120 = .667 → hit.
 * Image 2: instance (0,0,10,10), detection (5,0,10,10) (.8): IoU 50/150 = .333 → miss.
 * Image 3: no instance, one detection: not counted. Image 4: only a crowd region: not counted.
 * rate = 1/2. With score_thr .95 nothing counts: 0/2. With iou_thr 1/3 (≤ .333) both hit: 2/2. */
START_TEST(loc_rate) {
    fx f;
    fx_init(&f, 4);
    fx_gt(&f, 1, 0, 0, 10, 10, 100, 0);
    fx_gt(&f, 2, 0, 0, 10, 10, 100, 0);
    fx_gt(&f, 4, 0, 0, 10, 10, 100, 1);
    fx_det(&f, 1, 2, 0, 10, 10, .9);
    fx_det(&f, 2, 5, 0, 10, 10, .8);
    fx_det(&f, 3, 5, 0, 10, 10, .8);
    fx_det(&f, 4, 0, 0, 10, 10, .8);
    hv_eval_loc_rate lr;
    int8_t flags[4];
    ck_assert_int_eq(hv_eval_localisation_rate(&f.gt, &f.res, .5, -INFINITY, &lr, flags), HV_OK);
    ck_assert(lr.n_images == 2 && lr.n_localised == 1 && lr.rate == .5);
    ck_assert(flags[0] == 1 && flags[1] == 0 && flags[2] == -1 && flags[3] == -1);
    ck_assert_int_eq(hv_eval_localisation_rate(&f.gt, &f.res, .5, .95, &lr, NULL), HV_OK);
    ck_assert(lr.n_localised == 0 && lr.rate == 0);
    ck_assert_int_eq(hv_eval_localisation_rate(&f.gt, &f.res, 50.0 / 150, -INFINITY, &lr, NULL), HV_OK);
    ck_assert(lr.n_localised == 2 && lr.rate == 1);
    ck_assert_int_eq(hv_eval_localisation_rate(&f.gt, &f.res, 1.5, 0, &lr, NULL), HV_ERR_INVALID_ARGUMENT);
    f.res.dets[0].image_id = 77;
    ck_assert_int_eq(hv_eval_localisation_rate(&f.gt, &f.res, .5, 0, &lr, NULL), HV_ERR_INVALID_ARGUMENT);
    fx_free(&f);
    fx_init(&f, 1);
    ck_assert_int_eq(hv_eval_localisation_rate(&f.gt, &f.res, .5, 0, &lr, NULL), HV_OK);
    ck_assert(lr.n_images == 0 && lr.rate == -1);
    fx_free(&f);
}
END_TEST

/* The default thresholds are numpy.linspace's values: the 6th IoU threshold is exactly .75 (summarize
 * finds it by ==) and recall thresholds are i·0.01 (not i/100: 0.07 differs in the last bit). */
START_TEST(default_params) {
    hv_coco_params p;
    hv_coco_params_default(&p);
    ck_assert(p.iou_thrs[0] == .5 && p.iou_thrs[5] == .75 && p.iou_thrs[9] == .95);
    ck_assert(p.rec_thrs[7] == 7 * 0.01 && p.rec_thrs[100] == 1.0);
    ck_assert(p.area_rng[1][1] == 1024 && p.area_rng[2][1] == 9216 && p.area_rng[3][1] == 1e10);
    ck_assert_str_eq(p.area_lbl[2], "medium");
    ck_assert_str_eq(hv_coco_stat_name(8), "AR100");
    ck_assert_str_eq(hv_coco_table2_name(6), "AR50@10");
    ck_assert_ptr_null(hv_coco_stat_name(12));
}
END_TEST

int main(void) {
    Suite *s = suite_create("eval.metrics_coco");
    TCase *tc = tcase_create("hand");
    tcase_add_test(tc, perfect);
    tcase_add_test(tc, empty);
    tcase_add_test(tc, duplicates);
    tcase_add_test(tc, greedy_by_score);
    tcase_add_test(tc, crowd);
    tcase_add_test(tc, area_ranges);
    tcase_add_test(tc, score_ties);
    tcase_add_test(tc, max_dets);
    tcase_add_test(tc, masks);
    tcase_add_test(tc, mask_iou_details);
    tcase_add_test(tc, det_area_mode);
    tcase_add_test(tc, custom_params);
    tcase_add_test(tc, ann_id_zero);
    tcase_add_test(tc, errors);
    tcase_add_test(tc, loc_rate);
    tcase_add_test(tc, default_params);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
