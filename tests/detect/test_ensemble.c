/* Ensembles (MODEL_SPEC §7): every paper rule on inputs built to trigger it, the clean default, Python
 * formatting emulation (§7.3 examples), and WBF against a hand-computed case and a Python port of the
 * published code. */
#include <math.h>
#include <stdlib.h>

#include "detect_testutil.h"
#include "detect/pyfloat.h"
#include "hemovk/detect.h"

static hv_det D(float x1, float y1, float x2, float y2, float s) { return (hv_det){{x1, y1, x2, y2}, s, 0, -1}; }

static hv_ensemble_params paper(hv_vote v) {
    hv_ensemble_params p;
    hv_ensemble_params_default(&p);
    p.paper_compatible = true;
    p.vote = v;
    return p;
}

START_TEST(python_formatting) {
    ck_assert(hv_round2_py(0.125) == 0.12);  /* exact binary tie → even */
    ck_assert(hv_round2_py(0.375) == 0.38);
    ck_assert(hv_round2_py(0.335) == 0.34);  /* 0.335 is 0.33500000000000001998… above the tie */
    ck_assert(hv_round2_py(0.345) == 0.34);  /* 0.34499999999999997335… below */
    ck_assert(hv_round2_py(0.014999) == 0.01);
    /* §7.3's 0.22999999999999998: in double (0.11 + 0.35)/2 gives it; the spec's (0.12 + 0.34)/2 is 0.23 */
    char buf[64];
    ck_assert_str_eq(hv_py_repr((hv_round2_py(0.1149) + hv_round2_py(0.3451)) / 2, buf, sizeof buf), "0.22999999999999998");
    ck_assert_str_eq(hv_py_repr((hv_round2_py(0.1234) + hv_round2_py(0.3355)) / 2, buf, sizeof buf), "0.23");
    ck_assert_str_eq(hv_py_repr(1.0299999999999998, buf, sizeof buf), "1.0299999999999998");
    ck_assert_str_eq(hv_py_repr(224.0, buf, sizeof buf), "224.0");
    ck_assert_str_eq(hv_py_repr(1e16, buf, sizeof buf), "1e+16");
    ck_assert_str_eq(hv_py_repr(0.0001, buf, sizeof buf), "0.0001");
    ck_assert_str_eq(hv_py_repr(0.00001, buf, sizeof buf), "1e-05");
    ck_assert_str_eq(hv_py_repr((double)0.1f, buf, sizeof buf), "0.10000000149011612");
    /* truncation str(x)[0:-2] */
    ck_assert(hv_py_repr_truncate2(62.65625) == 62.656);
    ck_assert(hv_py_repr_truncate2(12.5) == 12.0);
    ck_assert(hv_py_repr_truncate2(224.0) == 224.0);
    ck_assert(hv_py_repr_truncate2((double)0.1f) == 0.100000001490116);
    ck_assert(hv_py_repr_truncate2((double)123.456f) == 123.456001281738); /* repr 123.45600128173828 */
}
END_TEST

START_TEST(paper_singleton_halved_and_sum_over_m) {
    const hv_det m0[2] = {D(10, 10, 50, 50, 0.8349f), D(100, 100, 150, 150, 0.5f)};
    const hv_det m1[1] = {D(12, 11, 52, 49, 0.7f)};
    const hv_det *d[2] = {m0, m1};
    const size_t n[2] = {2, 1};
    hv_ensemble_params p = paper(HV_VOTE_AFFIRMATIVE);
    hv_det out[3];
    double s64[3];
    size_t no;
    ck_assert_int_eq(hv_ensemble_fuse(d, n, 2, &p, out, s64, &no), HV_OK);
    ck_assert_uint_eq(no, 2);
    ck_assert(s64[0] == (0.83 + 0.7) / 2);            /* rounded to 2 decimals, summed, / M */
    ck_assert(out[0].box.y2 == 50 && out[0].src == 0); /* max y2: model 0's box */
    ck_assert(s64[1] == 0.5 / 2);                      /* singleton halved */
    /* consensus == affirmative for M = 2; unanimous keeps only the 2-box cluster */
    hv_det out2[3];
    p.vote = HV_VOTE_CONSENSUS;
    size_t no2;
    ck_assert_int_eq(hv_ensemble_fuse(d, n, 2, &p, out2, NULL, &no2), HV_OK);
    ck_assert_uint_eq(no2, no);
    for (size_t i = 0; i < no; ++i) ck_assert(out2[i].score == out[i].score && out2[i].box.x1 == out[i].box.x1);
    p.vote = HV_VOTE_UNANIMOUS;
    ck_assert_int_eq(hv_ensemble_fuse(d, n, 2, &p, out2, NULL, &no2), HV_OK);
    ck_assert_uint_eq(no2, 1);
    ck_assert(out2[0].box.y2 == 50);
}
END_TEST

START_TEST(paper_three_box_cluster) {
    /* model 0 has two boxes with mutual IoU ≈ 0.1 that both overlap the seed (model 1) by > 0.5 */
    const hv_det m1[1] = {D(0, 0, 100, 100, 0.9f)};
    const hv_det m0[2] = {D(0, 0, 100, 60, 0.6f), D(0, 40, 100, 100, 0.55f)};
    const hv_det *d[2] = {m1, m0};
    const size_t n[2] = {1, 2};
    hv_ensemble_params p = paper(HV_VOTE_AFFIRMATIVE);
    hv_det out[3];
    double s64[3];
    size_t no;
    ck_assert_int_eq(hv_ensemble_fuse(d, n, 2, &p, out, s64, &no), HV_OK);
    ck_assert_uint_eq(no, 1);
    ck_assert(s64[0] == (0.9 + 0.6 + 0.55) / 2);
    ck_assert(s64[0] > 1.0); /* scores above 1 occur */
    /* y2 tie between the seed (100) and the third box (100): the LAST in cluster order wins */
    ck_assert_int_eq(out[0].src, 2);
    ck_assert(out[0].box.y1 == 40);
    p.vote = HV_VOTE_UNANIMOUS; /* s = 3 ≠ M = 2: dropped */
    ck_assert_int_eq(hv_ensemble_fuse(d, n, 2, &p, out, s64, &no), HV_OK);
    ck_assert_uint_eq(no, 0);
}
END_TEST

START_TEST(paper_seed_based_non_transitive) {
    /* A–B IoU > 0.5 and B–C IoU > 0.5 but A–C < 0.5: C is not pulled into A's cluster */
    const hv_det m0[3] = {D(0, 0, 100, 100, 0.5f), D(25, 0, 125, 100, 0.5f), D(50, 0, 150, 100, 0.5f)};
    const hv_det *d[1] = {m0};
    const size_t n[1] = {3};
    hv_ensemble_params p = paper(HV_VOTE_AFFIRMATIVE);
    hv_det out[3];
    size_t no;
    ck_assert_int_eq(hv_ensemble_fuse(d, n, 1, &p, out, NULL, &no), HV_OK);
    ck_assert_uint_eq(no, 2);
    ck_assert_int_eq(out[0].src, 1); /* cluster {A, B}: y2 tie → B (last) */
    ck_assert_int_eq(out[1].src, 2); /* {C} alone */
    /* the +1 IoU: two 1-pixel-apart point boxes overlap with +1 (IoU 1/3 ... here identical points → 1) */
    const hv_det pts[2] = {D(5, 5, 5, 5, 0.3f), D(5, 5, 5, 5, 0.2f)};
    const hv_det *dp[1] = {pts};
    const size_t np[1] = {2};
    ck_assert_int_eq(hv_ensemble_fuse(dp, np, 1, &p, out, NULL, &no), HV_OK);
    ck_assert_uint_eq(no, 1); /* zero-area boxes still cluster under the VOC +1 convention */
    p.paper_compatible = false;
    ck_assert_int_eq(hv_ensemble_fuse(dp, np, 1, &p, out, NULL, &no), HV_OK);
    ck_assert_uint_eq(no, 2); /* clean IoU: 0 */
}
END_TEST

START_TEST(paper_truncation_and_labels) {
    const hv_det m0[2] = {D(12.5f, 3.0f, 62.65625f, 80.25f, 0.4f), {{12.5f, 3.0f, 62.65625f, 80.25f}, 0.4f, 1, -1}};
    const hv_det *d[1] = {m0};
    const size_t n[1] = {2};
    hv_ensemble_params p = paper(HV_VOTE_AFFIRMATIVE);
    p.truncate_coords = true;
    hv_det out[2];
    size_t no;
    ck_assert_int_eq(hv_ensemble_fuse(d, n, 1, &p, out, NULL, &no), HV_OK);
    ck_assert_uint_eq(no, 2); /* different labels never cluster */
    ck_assert(out[0].box.x1 == 12.0f && out[0].box.y1 == 3.0f && out[0].box.x2 == 62.656f && out[0].box.y2 == 80.0f); /* "80.25"[0:-2] = "80." */
}
END_TEST

START_TEST(clean_mode) {
    const hv_det m0[2] = {D(0, 0, 100, 100, 0.9f), D(0, 0, 100, 60, 0.95f)};
    const hv_det m1[1] = {D(10, 0, 110, 100, 0.3f)};
    const hv_det *d[2] = {m0, m1};
    const size_t n[2] = {2, 1};
    hv_ensemble_params p;
    hv_ensemble_params_default(&p);
    hv_det out[3];
    double s64[3];
    size_t no;
    ck_assert_int_eq(hv_ensemble_fuse(d, n, 2, &p, out, s64, &no), HV_OK);
    /* seed = best score (0.95, the 100×60 box); IoU with box 0 = 0.6 > 0.5 joins, box 2 (IoU 0.51) joins */
    ck_assert_uint_eq(no, 1);
    ck_assert_msg(fabsf(out[0].score - (0.95f + 0.3f) / 2) < 1e-6f, "score %g", (double)out[0].score); /* best per model / M */
    const float wx2 = (0.9f * 100 + 0.95f * 100 + 0.3f * 110) / (0.9f + 0.95f + 0.3f);
    ck_assert_msg(fabsf(out[0].box.x2 - wx2) < 1e-4f, "weighted x2 %g vs %g", (double)out[0].box.x2, (double)wx2);
    p.clean_box = HV_FUSE_MAX_SCORE;
    ck_assert_int_eq(hv_ensemble_fuse(d, n, 2, &p, out, s64, &no), HV_OK);
    ck_assert(out[0].box.y2 == 60);
    /* unanimous in clean mode counts models, not boxes: the 3-box cluster has both models */
    p.vote = HV_VOTE_UNANIMOUS;
    ck_assert_int_eq(hv_ensemble_fuse(d, n, 2, &p, out, s64, &no), HV_OK);
    ck_assert_uint_eq(no, 1);
    ck_assert(out[0].score <= 1.0f);
    /* errors */
    p.iou_thr = 2;
    ck_assert_int_eq(hv_ensemble_fuse(d, n, 2, &p, out, s64, &no), HV_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(hv_ensemble_fuse(d, n, 0, &p, out, s64, &no), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(wbf_hand_case) {
    /* two models, one matching pair and one singleton; image 100×100 */
    const hv_det m0[2] = {D(10, 10, 50, 50, 0.8f), D(70, 70, 90, 90, 0.4f)};
    const hv_det m1[1] = {D(14, 10, 54, 50, 0.6f)};
    const hv_det *d[2] = {m0, m1};
    const size_t n[2] = {2, 1};
    hv_wbf_params p;
    hv_wbf_params_default(&p, 100, 100);
    hv_det out[3];
    size_t no;
    ck_assert_int_eq(hv_wbf(d, n, 2, &p, out, &no), HV_OK);
    ck_assert_uint_eq(no, 2);
    /* fused: x1 = (0.8·10 + 0.6·14)/1.4 = 11.714..., score = mean 0.7 · min(2, 2)/2 = 0.7 */
    ck_assert_msg(fabsf(out[0].box.x1 - 11.7142857f) < 1e-4f && fabsf(out[0].box.x2 - 51.7142857f) < 1e-4f,
                  "fused %g %g", (double)out[0].box.x1, (double)out[0].box.x2);
    ck_assert(fabsf(out[0].score - 0.7f) < 1e-6f);
    ck_assert(fabsf(out[1].score - 0.2f) < 1e-6f); /* singleton: 0.4 · 1/2 */
    ck_assert(out[1].box.x1 == 70.0f);
}
END_TEST

START_TEST(wbf_matches_python_port) {
    enum { M = 3, N = 12 };
    hv_det dm[M][N];
    float r[M * N * 6];
    hvtest_fill_uniform(r, M * N * 6, 77, 0, 1);
    for (int m = 0; m < M; ++m)
        for (int i = 0; i < N; ++i) {
            const float *q = r + (m * N + i) * 6;
            /* clustered around 4 centres so that matches happen, some boxes poking out of the image */
            const float cx = 30 + 50 * (float)(i % 4) + 10 * q[0], cy = 40 + 30 * (float)(i % 3) + 10 * q[1];
            const float w = 20 + 30 * q[2], h = 20 + 30 * q[3];
            dm[m][i] = (hv_det){{cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2}, (float)(int)(q[4] * 20) / 20, (int)(q[5] * 2), -1};
        }
    const hv_det *d[M] = {dm[0], dm[1], dm[2]};
    const size_t n[M] = {N, N, N};
    const double weights[M] = {2, 1, 1};
    hv_wbf_params p;
    hv_wbf_params_default(&p, 200, 160);
    p.weights = weights;
    p.skip_box_thr = 0.1;
    cJSON *req = cJSON_CreateObject(), *B = cJSON_CreateArray(), *S = cJSON_CreateArray(), *L = cJSON_CreateArray();
    for (int m = 0; m < M; ++m) {
        cJSON *bm = cJSON_CreateArray(), *sm = cJSON_CreateArray(), *lm = cJSON_CreateArray();
        for (int i = 0; i < N; ++i) {
            const hv_box *b = &dm[m][i].box;
            const double nb[4] = {b->x1 / 200.0, b->y1 / 160.0, b->x2 / 200.0, b->y2 / 160.0};
            cJSON_AddItemToArray(bm, cJSON_CreateDoubleArray(nb, 4));
            cJSON_AddItemToArray(sm, cJSON_CreateNumber(dm[m][i].score));
            cJSON_AddItemToArray(lm, cJSON_CreateNumber(dm[m][i].label));
        }
        cJSON_AddItemToArray(B, bm); cJSON_AddItemToArray(S, sm); cJSON_AddItemToArray(L, lm);
    }
    cJSON_AddItemToObject(req, "boxes", B);
    cJSON_AddItemToObject(req, "scores", S);
    cJSON_AddItemToObject(req, "labels", L);
    cJSON_AddItemToObject(req, "weights", cJSON_CreateDoubleArray(weights, M));
    cJSON_AddNumberToObject(req, "iou_thr", p.iou_thr);
    cJSON_AddNumberToObject(req, "skip_box_thr", p.skip_box_thr);
    cJSON *ans = dt_python("wbf", req, "detect_wbf");
    ck_assert_ptr_nonnull(ans);
    hv_det out[M * N];
    size_t no;
    ck_assert_int_eq(hv_wbf(d, n, M, &p, out, &no), HV_OK);
    const cJSON *rb = cJSON_GetObjectItem(ans, "boxes"), *rs = cJSON_GetObjectItem(ans, "scores"), *rl = cJSON_GetObjectItem(ans, "labels");
    ck_assert_int_eq((int)no, cJSON_GetArraySize(rs));
    for (size_t i = 0; i < no; ++i) {
        const cJSON *bb = cJSON_GetArrayItem(rb, (int)i);
        const float want[4] = {(float)(cJSON_GetArrayItem(bb, 0)->valuedouble * 200), (float)(cJSON_GetArrayItem(bb, 1)->valuedouble * 160),
                               (float)(cJSON_GetArrayItem(bb, 2)->valuedouble * 200), (float)(cJSON_GetArrayItem(bb, 3)->valuedouble * 160)};
        ck_assert_msg(out[i].box.x1 == want[0] && out[i].box.y1 == want[1] && out[i].box.x2 == want[2] && out[i].box.y2 == want[3],
                      "WBF box %zu: (%.9g %.9g %.9g %.9g) vs python (%.9g %.9g %.9g %.9g)", i, (double)out[i].box.x1,
                      (double)out[i].box.y1, (double)out[i].box.x2, (double)out[i].box.y2, (double)want[0], (double)want[1],
                      (double)want[2], (double)want[3]);
        ck_assert(out[i].score == (float)cJSON_GetArrayItem(rs, (int)i)->valuedouble);
        ck_assert_int_eq(out[i].label, cJSON_GetArrayItem(rl, (int)i)->valueint);
    }
    printf("WBF: %d boxes from %d models → %zu fused, identical to the Python port\n", M * N, M, no);
    cJSON_Delete(ans);
}
END_TEST

int main(void) {
    Suite *s = suite_create("detect_ensemble");
    TCase *tc = tcase_create("ensemble");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, python_formatting);
    tcase_add_test(tc, paper_singleton_halved_and_sum_over_m);
    tcase_add_test(tc, paper_three_box_cluster);
    tcase_add_test(tc, paper_seed_based_non_transitive);
    tcase_add_test(tc, paper_truncation_and_labels);
    tcase_add_test(tc, clean_mode);
    tcase_add_test(tc, wbf_hand_case);
    tcase_add_test(tc, wbf_matches_python_port);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
