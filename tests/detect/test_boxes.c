/* Anchors against MODEL_SPEC §5.3's table, grid order, delta2bbox (hand cases, the ±4.135 clamp, the
 * clamp to W not W−1, RCNN stds) and the RoI level rule (§5.6). */
#include <math.h>

#include "hemovk/detect.h"
#include "hvtest.h"

static const float k_scale = 8.0f, k_ratios[3] = {0.5f, 1.0f, 2.0f};

START_TEST(anchor_table) {
    /* §5.3 table, a=0 column (6 decimals) and a=1 exactly */
    const float strides[5] = {4, 8, 16, 32, 64};
    const double a0[5][2] = {{22.627417, 11.313708}, {45.254833, 22.627417}, {90.509666, 45.254833},
                             {181.019333, 90.509666}, {362.038666, 181.019333}};
    for (int l = 0; l < 5; ++l) {
        hv_box b[3];
        ck_assert_int_eq(hv_anchors_base(strides[l], &k_scale, 1, k_ratios, 3, b), HV_OK);
        ck_assert_msg(fabs(b[0].x1 + a0[l][0]) < 2e-6 * a0[l][0] + 1e-6 && fabs(b[0].y1 + a0[l][1]) < 2e-6 * a0[l][0] + 1e-6,
                      "stride %g a=0: %.6f %.6f", (double)strides[l], (double)b[0].x1, (double)b[0].y1);
        ck_assert(b[0].x2 == -b[0].x1 && b[0].y2 == -b[0].y1);
        const float half = strides[l] * 4;
        ck_assert(b[1].x1 == -half && b[1].y1 == -half && b[1].x2 == half && b[1].y2 == half);
        /* ratio 2 is the transpose of ratio 0.5 */
        ck_assert(b[2].x1 == b[0].y1 && b[2].y1 == b[0].x1);
    }
    /* float32 arithmetic: 4·(1/sqrt(0.5))·8 rounded in float, then ·0.5 */
    hv_box b[3];
    hv_anchors_base(4, &k_scale, 1, k_ratios, 3, b);
    const float hr = sqrtf(0.5f), wr = 1.0f / hr;
    ck_assert(b[0].x2 == 0.5f * (4.0f * wr * 8.0f));
}
END_TEST

START_TEST(anchor_grid_order) {
    hv_box base[3], g[2 * 3 * 3];
    hv_anchors_base(16, &k_scale, 1, k_ratios, 3, base);
    ck_assert_int_eq(hv_anchors_grid(base, 3, 2, 3, 16, g), HV_OK);
    for (int y = 0; y < 2; ++y)
        for (int x = 0; x < 3; ++x)
            for (int a = 0; a < 3; ++a) {
                const hv_box *q = &g[(y * 3 + x) * 3 + a];
                ck_assert(q->x1 == base[a].x1 + 16 * x && q->y2 == base[a].y2 + 16 * y); /* corners, not centres */
            }
    ck_assert_int_eq(hv_anchors_grid(NULL, 3, 2, 3, 16, g), HV_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(hv_anchors_grid(base, 3, 2, 3, 0, g), HV_ERR_INVALID_ARGUMENT);
    const float bad = -1;
    ck_assert_int_eq(hv_anchors_base(4, &k_scale, 1, &bad, 1, base), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(delta_decode_rules) {
    hv_delta_coder c = {.means = {0, 0, 0, 0}, .stds = {1, 1, 1, 1}, .img_h = 100, .img_w = 120};
    const hv_box ref[4] = {{10, 20, 30, 60}, {10, 20, 30, 60}, {100, 80, 119, 99}, {0, 0, 10, 10}};
    const float d[16] = {0, 0, 0, 0,            /* identity */
                         0.5f, -0.25f, logf(2), 0, /* shift + double width */
                         1, 1, 1, 1,            /* pushed past the border: clamp to W = 120, H = 100 */
                         0, 0, 10, -10};        /* ±4.135 clamp */
    hv_box o[4];
    ck_assert_int_eq(hv_delta_decode(&c, ref, d, 4, o), HV_OK);
    ck_assert(o[0].x1 == 10 && o[0].y1 == 20 && o[0].x2 == 30 && o[0].y2 == 60);
    /* px 20 + 20·0.5 = 30, gw = 40 → [10, 50]; py 40 − 40·0.25 = 30, h 40 → [10, 50] */
    ck_assert_msg(fabsf(o[1].x1 - 10) < 1e-5f && fabsf(o[1].x2 - 50) < 1e-5f && o[1].y1 == 10 && o[1].y2 == 50,
                  "%g %g %g %g", (double)o[1].x1, (double)o[1].y1, (double)o[1].x2, (double)o[1].y2);
    ck_assert(o[2].x2 == 120.0f && o[2].y2 == 100.0f); /* clamp max is W, not W−1 */
    const float big = 10 * expf((float)HV_DELTA_MAX_RATIO), small = 10 * expf(-(float)HV_DELTA_MAX_RATIO);
    ck_assert_msg(fabsf((o[3].x2 - o[3].x1) - fminf(big, 120.0f)) < 1e-3f, "clamped width %g", (double)(o[3].x2 - o[3].x1));
    ck_assert_msg(fabsf((o[3].y2 - o[3].y1) - small) < 1e-5f, "clamped height %g vs %g", (double)(o[3].y2 - o[3].y1), (double)small);
    /* RCNN stds (0.1, 0.1, 0.2, 0.2): dx = 1 moves by 0.1·w */
    hv_delta_coder r = {.means = {0, 0, 0, 0}, .stds = {0.1f, 0.1f, 0.2f, 0.2f}};
    const float d1[4] = {1, 0, 0, 0};
    ck_assert_int_eq(hv_delta_decode(&r, ref, d1, 1, o), HV_OK);
    ck_assert(fabsf(o[0].x1 - 12) < 1e-5f && fabsf(o[0].x2 - 32) < 1e-5f);
    /* without a clamp size boxes may leave the image */
    const float d2[4] = {-10, 0, 0, 0};
    ck_assert_int_eq(hv_delta_decode(&r, ref, d2, 1, o), HV_OK);
    ck_assert(o[0].x1 < 0);
    c.img_h = -1;
    ck_assert_int_eq(hv_delta_decode(&c, ref, d, 1, o), HV_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(hv_delta_decode(NULL, ref, d, 1, o), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(roi_levels) {
    const hv_box r[6] = {{0, 0, 111, 111}, {0, 0, 112, 112}, {0, 0, 224, 224}, {0, 0, 448, 448}, {0, 0, 5000, 5000}, {5, 5, 6, 6}};
    int32_t lv[6];
    ck_assert_int_eq(hv_det_roi_levels(r, 6, 0, 4, lv), HV_OK);
    const int32_t want[6] = {0, 1, 2, 3, 3, 0};
    for (int i = 0; i < 6; ++i) ck_assert_int_eq(lv[i], want[i]);
    ck_assert_int_eq(hv_det_roi_levels(r, 6, 0, 0, lv), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

int main(void) {
    Suite *s = suite_create("detect_boxes");
    TCase *tc = tcase_create("boxes");
    tcase_add_test(tc, anchor_table);
    tcase_add_test(tc, anchor_grid_order);
    tcase_add_test(tc, delta_decode_rules);
    tcase_add_test(tc, roi_levels);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
