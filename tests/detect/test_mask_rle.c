/* Mask paste (§5.10 step 4, GPU whole-image semantics) against torch grid_sample, and COCO RLE against
 * hand-made masks and a Python port of pycocotools' maskApi.c (pycocotools is not packaged in Debian). */
#include <math.h>
#include <stdlib.h>

#include "detect_testutil.h"
#include "hemovk/detect.h"

START_TEST(paste_matches_torch) {
    enum { M = 28, H = 40, W = 52 };
    float map[M * M];
    hvtest_fill_uniform(map, M * M, 42, 0, 1);
    const hv_box boxes[3] = {{5.3f, 7.75f, 41.2f, 30.0f}, {-6, 20, 10, 52}, {20, 10, 20, 30}}; /* last: zero width */
    for (int k = 0; k < 3; ++k) {
        cJSON *req = cJSON_CreateObject();
        cJSON_AddItemToObject(req, "map", dt_floats(map, M * M));
        cJSON_AddNumberToObject(req, "mh", M);
        cJSON_AddNumberToObject(req, "mw", M);
        cJSON_AddNumberToObject(req, "h", H);
        cJSON_AddNumberToObject(req, "w", W);
        cJSON_AddItemToObject(req, "box", dt_floats(&boxes[k].x1, 4));
        cJSON *ans = dt_python("paste", req, "detect_paste");
        if (!ans) return;
        const cJSON *ref = cJSON_GetObjectItem(ans, "prob");
        ck_assert_int_eq(cJSON_GetArraySize(ref), H * W);
        static float prob[H * W];
        static uint8_t mask[H * W];
        ck_assert_int_eq(hv_mask_paste(map, M, M, &boxes[k], H, W, 0.2f, mask, prob), HV_OK);
        double maxd = 0;
        int i = 0, flips = 0;
        const cJSON *v;
        cJSON_ArrayForEach(v, ref) {
            const double d = fabs(prob[i] - v->valuedouble);
            if (d > maxd) maxd = d;
            if ((v->valuedouble >= 0.2) != (mask[i] == 1) && fabs(v->valuedouble - 0.2) > 1e-6) ++flips;
            ++i;
        }
        printf("paste box %d: max |diff| vs torch grid_sample %.3g\n", k, maxd);
        ck_assert_msg(maxd <= 1e-6, "box %d: max diff %g", k, maxd);
        ck_assert_int_eq(flips, 0);
        cJSON_Delete(ans);
    }
    /* the fringe: bilinear sampling reaches half a cell outside the box and fades to 0 */
    static float one[M * M];
    for (int i = 0; i < M * M; ++i) one[i] = 1;
    static float prob[H * W];
    const hv_box b = {10, 10, 38, 38}; /* 1 px per cell */
    ck_assert_int_eq(hv_mask_paste(one, M, M, &b, H, W, 0.5f, NULL, prob), HV_OK);
    ck_assert(prob[20 * W + 20] == 1.0f);
    ck_assert(prob[20 * W + 9] < 1e-6f && prob[20 * W + 10] > 0.999999f && prob[20 * W + 38] == 0.0f && prob[20 * W + 8] == 0.0f);
    ck_assert_int_eq(hv_mask_paste(one, M, M, &b, H, W, 0.5f, NULL, NULL), HV_ERR_INVALID_ARGUMENT);
    const hv_box inf = {0, 0, INFINITY, 1};
    ck_assert_int_eq(hv_mask_paste(one, M, M, &inf, H, W, 0.5f, NULL, prob), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(rle_hand_masks) {
    /* 3×2 mask, column-major: column 0 = 0,1,1; column 1 = 1,0,0 → runs 1,3,2 */
    const uint8_t m[6] = {0, 1, 1, 0, 1, 0};
    hv_rle r;
    ck_assert_int_eq(hv_rle_encode(m, 3, 2, &r), HV_OK);
    ck_assert_uint_eq(r.n, 3);
    ck_assert(r.counts[0] == 1 && r.counts[1] == 3 && r.counts[2] == 2);
    ck_assert_uint_eq(hv_rle_area(&r), 3);
    char *s;
    ck_assert_int_eq(hv_rle_to_string(&r, &s), HV_OK);
    ck_assert_str_eq(s, "132"); /* small counts: one character each, '0' + count */
    hv_rle back;
    ck_assert_int_eq(hv_rle_from_string(s, 3, 2, &back), HV_OK);
    uint8_t d[6];
    ck_assert_int_eq(hv_rle_decode(&back, d), HV_OK);
    for (int i = 0; i < 6; ++i) ck_assert_int_eq(d[i], m[i]);
    free(s);
    hv_rle_free(&back);
    hv_rle_free(&r);
    /* a mask starting with 1: the first run is 0 */
    const uint8_t ones[4] = {1, 1, 1, 1};
    ck_assert_int_eq(hv_rle_encode(ones, 2, 2, &r), HV_OK);
    ck_assert(r.n == 2 && r.counts[0] == 0 && r.counts[1] == 4);
    hv_rle_free(&r);
    /* empty mask */
    const uint8_t zeros[4] = {0};
    ck_assert_int_eq(hv_rle_encode(zeros, 2, 2, &r), HV_OK);
    ck_assert(r.n == 1 && r.counts[0] == 4);
    ck_assert_int_eq(hv_rle_to_string(&r, &s), HV_OK);
    ck_assert_str_eq(s, "4");
    free(s);
    hv_rle_free(&r);
    /* large counts: 100 = 0b1100100 → groups 00100 (+0x20 continue) then 00011: '0'+36='T', '0'+3='3' */
    uint32_t c100[1] = {100};
    hv_rle big = {10, 10, 1, c100};
    ck_assert_int_eq(hv_rle_to_string(&big, &s), HV_OK);
    ck_assert_str_eq(s, "T3");
    free(s);
    /* bad strings */
    ck_assert_int_eq(hv_rle_from_string("132", 3, 3, &r), HV_ERR_PARSE);  /* sums to 6, not 9 */
    ck_assert_int_eq(hv_rle_from_string("1 2", 1, 3, &r), HV_ERR_PARSE);  /* bad character */
    ck_assert_int_eq(hv_rle_from_string("T", 10, 10, &r), HV_ERR_PARSE);  /* truncated group */
}
END_TEST

START_TEST(rle_matches_python_port) {
    /* random blobs in a 37×45 mask: long runs, negative differences (third count on) */
    enum { H = 37, W = 45 };
    static uint8_t m[H * W];
    float r[H * W];
    hvtest_fill_uniform(r, H * W, 5, 0, 1);
    for (int y = 0; y < H; ++y)
        for (int x = 0; x < W; ++x) {
            const float dx = (float)x - 20, dy = (float)y - 15;
            m[y * W + x] = (dx * dx / 200 + dy * dy / 60 < 1.0f) || r[y * W + x] > 0.93f;
        }
    hv_rle rle;
    ck_assert_int_eq(hv_rle_encode(m, H, W, &rle), HV_OK);
    char *s;
    ck_assert_int_eq(hv_rle_to_string(&rle, &s), HV_OK);
    cJSON *req = cJSON_CreateObject(), *arr = cJSON_CreateArray();
    for (int i = 0; i < H * W; ++i) cJSON_AddItemToArray(arr, cJSON_CreateNumber(m[i]));
    cJSON_AddItemToObject(req, "mask", arr);
    cJSON_AddNumberToObject(req, "h", H);
    cJSON_AddNumberToObject(req, "w", W);
    cJSON *ans = dt_python("rle", req, "detect_rle");
    ck_assert_ptr_nonnull(ans); /* numpy only: always available with the project's Python */
    const cJSON *c = cJSON_GetObjectItem(ans, "counts");
    ck_assert_int_eq(cJSON_GetArraySize(c), (int)rle.n);
    for (size_t i = 0; i < rle.n; ++i) ck_assert_uint_eq(rle.counts[i], (uint32_t)cJSON_GetArrayItem(c, (int)i)->valueint);
    ck_assert_str_eq(s, cJSON_GetObjectItem(ans, "string")->valuestring);
    printf("RLE: %zu runs, string \"%.40s...\" identical to the maskApi.c port\n", rle.n, s);
    hv_rle back;
    ck_assert_int_eq(hv_rle_from_string(s, H, W, &back), HV_OK);
    static uint8_t d[H * W];
    ck_assert_int_eq(hv_rle_decode(&back, d), HV_OK);
    for (int i = 0; i < H * W; ++i) ck_assert_int_eq(d[i], m[i]);
    free(s);
    hv_rle_free(&back);
    hv_rle_free(&rle);
    cJSON_Delete(ans);
}
END_TEST

int main(void) {
    Suite *s = suite_create("detect_mask_rle");
    TCase *tc = tcase_create("mask");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, paste_matches_torch);
    tcase_add_test(tc, rle_hand_masks);
    tcase_add_test(tc, rle_matches_python_port);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
