/* Detection TTA helpers (§6.2): box and map transforms agree with each other and with numpy's rot90/flip
 * conventions, round trips are the identity, and the mean / NMS merges. */
#include <math.h>
#include <string.h>

#include "hemovk/detect.h"
#include "hvtest.h"

enum { H = 5, W = 7 };

START_TEST(round_trips_and_consistency) {
    const hv_tta_tf tfs[6] = {HV_TTA_IDENTITY, HV_TTA_HFLIP, HV_TTA_VFLIP, HV_TTA_ROT90, HV_TTA_ROT180, HV_TTA_ROT270};
    for (int t = 0; t < 6; ++t) {
        /* boxes: forward then inverse is the identity */
        const hv_box b[2] = {{0.5f, 1.25f, 3, 4}, {2, 0, 7, 5}};
        hv_box f[2], back[2];
        ck_assert_int_eq(hv_tta_boxes(tfs[t], H, W, false, b, 2, f), HV_OK);
        ck_assert_int_eq(hv_tta_boxes(tfs[t], H, W, true, f, 2, back), HV_OK);
        for (int i = 0; i < 2; ++i) ck_assert(memcmp(&b[i], &back[i], sizeof b[i]) == 0);
        /* maps: forward then inverse is the identity; a one-pixel map lands inside the mapped pixel box */
        float img[H * W], aug[H * W], inv[H * W];
        for (int i = 0; i < H * W; ++i) img[i] = (float)i;
        ck_assert_int_eq(hv_tta_map(tfs[t], H, W, sizeof(float), false, img, aug), HV_OK);
        ck_assert_int_eq(hv_tta_map(tfs[t], H, W, sizeof(float), true, aug, inv), HV_OK);
        ck_assert(memcmp(img, inv, sizeof img) == 0);
        int ah, aw;
        hv_tta_size(tfs[t], H, W, &ah, &aw);
        for (int r = 0; r < H; ++r)
            for (int c = 0; c < W; ++c) {
                const hv_box px = {(float)c, (float)r, (float)c + 1, (float)r + 1};
                hv_box pa;
                hv_tta_boxes(tfs[t], H, W, false, &px, 1, &pa);
                ck_assert(pa.x2 - pa.x1 == 1 && pa.y2 - pa.y1 == 1 && pa.x1 >= 0 && pa.y1 >= 0 && pa.x2 <= aw && pa.y2 <= ah);
                ck_assert_msg(aug[(int)pa.y1 * aw + (int)pa.x1] == img[r * W + c], "tf %d pixel (%d,%d): map and box disagree", t, r, c);
            }
    }
    /* np.rot90(a, 1): the first row of the result is the last column of a */
    float img[H * W], aug[H * W];
    for (int i = 0; i < H * W; ++i) img[i] = (float)i;
    hv_tta_map(HV_TTA_ROT90, H, W, sizeof(float), false, img, aug);
    for (int j = 0; j < H; ++j) ck_assert(aug[j] == img[j * W + (W - 1)]);
    /* RGB bytes work through elem_size */
    uint8_t rgb[2 * 3 * 3], out[2 * 3 * 3];
    for (int i = 0; i < 18; ++i) rgb[i] = (uint8_t)i;
    ck_assert_int_eq(hv_tta_map(HV_TTA_HFLIP, 2, 3, 3, false, rgb, out), HV_OK);
    ck_assert(out[0] == 6 && out[1] == 7 && out[2] == 8 && out[6] == 0);
    ck_assert_int_eq(hv_tta_map((hv_tta_tf)9, 2, 3, 3, false, rgb, out), HV_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(hv_tta_map(HV_TTA_HFLIP, 2, 3, 3, false, rgb, rgb), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(mean_and_nms_merge) {
    /* mmdet flip TTA: a detection in the flipped frame maps back and is averaged with the original */
    const hv_box orig[1] = {{10, 20, 30, 40}};
    const hv_box in_flip[1] = {{W * 10 - 31, 21, W * 10 - 11, 41}}; /* image 70 wide */
    hv_box back[1];
    ck_assert_int_eq(hv_tta_boxes(HV_TTA_HFLIP, 50, 70, true, in_flip, 1, back), HV_OK);
    ck_assert(back[0].x1 == 11 && back[0].x2 == 31);
    const hv_box *bs[2] = {orig, back};
    const float s0[2] = {0.8f, 0.2f}, s1[2] = {0.6f, 0.4f};
    const float *ss[2] = {s0, s1};
    hv_box mb[1];
    float ms[2];
    ck_assert_int_eq(hv_tta_mean(bs, ss, 2, 1, 2, mb, ms), HV_OK);
    ck_assert(mb[0].x1 == 10.5f && mb[0].y1 == 20.5f && mb[0].x2 == 30.5f && mb[0].y2 == 40.5f);
    ck_assert(fabsf(ms[0] - 0.7f) < 1e-7f && fabsf(ms[1] - 0.3f) < 1e-7f);
    const float m0[4] = {0, 1, 0.5f, 0.25f}, m1[4] = {1, 1, 0, 0.75f};
    const float *ms2[2] = {m0, m1};
    float mm[4];
    ck_assert_int_eq(hv_tta_mean_maps(ms2, 2, 4, mm), HV_OK);
    ck_assert(mm[0] == 0.5f && mm[1] == 1 && mm[2] == 0.25f && mm[3] == 0.5f);
    /* NMS merge: the two copies overlap, the best survives; another label is untouched */
    const hv_det a0[2] = {{orig[0], 0.8f, 0, -1}, {orig[0], 0.3f, 1, -1}};
    const hv_det a1[1] = {{back[0], 0.9f, 0, -1}};
    const hv_det *dd[2] = {a0, a1};
    const size_t n[2] = {2, 1};
    hv_det out[3];
    size_t no;
    ck_assert_int_eq(hv_tta_merge_nms(dd, n, 2, 0.5f, 0, out, &no), HV_OK);
    ck_assert_uint_eq(no, 2);
    ck_assert(out[0].score == 0.9f && out[0].src == 2 && out[1].label == 1);
    ck_assert_int_eq(hv_tta_mean(bs, ss, 0, 1, 2, mb, ms), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

int main(void) {
    Suite *s = suite_create("detect_tta");
    TCase *tc = tcase_create("tta");
    tcase_add_test(tc, round_trips_and_consistency);
    tcase_add_test(tc, mean_and_nms_merge);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
