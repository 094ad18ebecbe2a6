/* Results readers against a small COCO ground truth: frames matched by path suffix (or --root), which
 * detections count (ensemble by default, --model, several models refused), classification probabilities
 * reordered into the ground truth's classes, COCO results with and without writer.coco's image list, and
 * every bad input an error naming the thing. */
#include "hvtest.h"

#include "hemovk/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* three 4x3 frames; one category "bleeding" id 1 */
static const char k_gt[] =
    "{\"images\": [{\"id\": 1, \"file_name\": \"bleeding/Images/img- (1).png\", \"width\": 4, \"height\": 3},"
    " {\"id\": 2, \"file_name\": \"non-bleeding/images/img- (1).png\", \"width\": 4, \"height\": 3, \"label\": \"non-bleeding\"},"
    " {\"id\": 3, \"file_name\": \"bleeding/Images/img- (12).png\", \"width\": 4, \"height\": 3}],"
    " \"annotations\": [{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 2, 2]},"
    "  {\"id\": 2, \"image_id\": 3, \"category_id\": 1, \"bbox\": [1, 1, 2, 2]}],"
    " \"categories\": [{\"id\": 1, \"name\": \"bleeding\"}]}";

static const char *dir_of(const char *tag) {
    return hvtest_tmpdir(tag);
}

static const char *put(const char *dir, const char *name, const char *text) {
    static char path[2][4200];
    static int which;
    char *p = path[which ^= 1];
    snprintf(p, sizeof path[0], "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return p;
}

static void load_gt(const char *dir, hv_eval_gt *gt) {
    ck_assert_msg(hv_eval_gt_read_coco(put(dir, "gt.json", k_gt), gt) == HV_OK, "%s", hv_last_error());
}

#define CLS_B "\"classification\": {\"label\": \"bleeding\", \"index\": 1, \"score\": 0.8, \"probs\": [0.2, 0.8]}"
#define CLS_N "\"classification\": {\"label\": \"non-bleeding\", \"index\": 0, \"score\": 0.7, \"probs\": [0.7, 0.3]}"
#define DET(model, label) "{\"box\": [0, 0, 2, 2], \"score\": 0.9, \"label\": " #label ", \"model\": \"" model "\"}"
#define MASK_OK "\"mask\": {\"size\": [3, 4], \"counts\": [0, 2, 1, 2, 7]}"

START_TEST(jsonl_frames_models_labels) {
    const char *dir = dir_of("res_jsonl");
    hv_eval_gt gt;
    load_gt(dir, &gt);
    /* the pipeline's labels are [non-bleeding, bleeding]: probs must be swapped into the GT's order */
    const char *p = put(dir, "results.jsonl",
        "{\"path\": \"../data/WCEBleedGen/bleeding/Images/img- (1).png\", " CLS_B ", \"detections\": ["
        DET("seg_a", 0) ", " DET("ensemble", 0) ", {\"box\": [1, 1, 3, 2], \"score\": 0.5, \"label\": 0, \"model\": \"ensemble\", " MASK_OK "}]}\n"
        "\n"
        "{\"path\": \"./x/non-bleeding/images/img- (1).png\", " CLS_N ", \"detections\": [" DET("seg_b", 0) "]}\n"
        "{\"path\": \"bleeding/Images/img- (12).png\", \"classification\": null, \"detections\": []}\n");
    hv_eval_results res;
    ck_assert_msg(hv_eval_results_read(dir, &gt, NULL, &res) == HV_OK, "%s", hv_last_error());
    ck_assert_uint_eq(res.n_cls, 3);
    ck_assert_int_eq(res.cls[0].image_id, 1);
    ck_assert_int_eq(res.cls[0].predicted, 0);
    ck_assert_double_eq(res.cls[0].probs[0], 0.8);
    ck_assert_double_eq(res.cls[0].probs[1], 0.2);
    ck_assert_int_eq(res.cls[1].image_id, 2);
    ck_assert_int_eq(res.cls[1].predicted, 1);
    ck_assert_double_eq(res.cls[1].probs[1], 0.7);
    ck_assert_int_eq(res.cls[2].predicted, -1);
    ck_assert_ptr_null(res.cls[2].probs);
    ck_assert_uint_eq(res.n_dets, 2); /* the ensemble's two */
    ck_assert_int_eq(res.dets[1].category_id, 1);
    ck_assert_double_eq(res.dets[1].bbox[2], 2);
    ck_assert_double_eq(res.dets[1].bbox[3], 1);
    ck_assert_uint_eq(res.dets[1].segm.n, 5);
    ck_assert_int_eq(hv_eval_results_check_coverage(&res, &gt), HV_OK);
    hv_eval_results_free(&res);

    hv_eval_results_options o = {.model = "seg_b"};
    ck_assert_int_eq(hv_eval_results_read(p, &gt, &o, &res), HV_OK);
    ck_assert_uint_eq(res.n_dets, 1);
    ck_assert_int_eq(res.dets[0].image_id, 2);
    hv_eval_results_free(&res);
    o.model = "nope";
    ck_assert_int_eq(hv_eval_results_read(p, &gt, &o, &res), HV_ERR_NOT_FOUND);
    ck_assert_msg(strstr(hv_last_error(), "no detection has model 'nope'") && strstr(hv_last_error(), "'seg_a'"), "%s",
                  hv_last_error());
    /* --labels that contradict the frames */
    hv_eval_results_options ol = {.labels = "bleeding,non-bleeding"};
    ck_assert_int_eq(hv_eval_results_read(p, &gt, &ol, &res), HV_ERR_SCHEMA);
    ck_assert_msg(strstr(hv_last_error(), "--labels says"), "%s", hv_last_error());
    /* --root: exact after the prefix */
    p = put(dir, "r2.jsonl", "{\"path\": \"/data/set/bleeding/Images/img- (1).png\", \"detections\": []}\n");
    hv_eval_results_options orr = {.root = "/data/set/"};
    ck_assert_int_eq(hv_eval_results_read(p, &gt, &orr, &res), HV_OK);
    ck_assert_int_eq(res.cls[0].image_id, 1);
    ck_assert_int_eq(hv_eval_results_check_coverage(&res, &gt), HV_ERR_NOT_FOUND);
    ck_assert_msg(strstr(hv_last_error(), "2 of the 3 ground-truth frames have no result") &&
                      strstr(hv_last_error(), "'non-bleeding/images/img- (1).png'"), "%s", hv_last_error());
    hv_eval_results_free(&res);
    orr.root = "/data";
    ck_assert_int_eq(hv_eval_results_read(p, &gt, &orr, &res), HV_ERR_NOT_FOUND);
    /* one label only ever predicted, no probs (writer.jsonl probs: false): the other is inferred */
    p = put(dir, "r3.jsonl",
            "{\"path\": \"a/bleeding/Images/img- (1).png\", \"classification\": {\"label\": \"bleeding\", \"index\": 0, "
            "\"score\": 0.6}, \"detections\": []}\n");
    ck_assert_int_eq(hv_eval_results_read(p, &gt, NULL, &res), HV_OK);
    ck_assert_double_eq(res.cls[0].probs[0], 0.6);
    ck_assert_double_eq_tol(res.cls[0].probs[1], 0.4, 1e-12);
    hv_eval_results_free(&res);
    hv_eval_gt_free(&gt);
}
END_TEST

static void expect_jsonl_error(const char *tag, const char *text, hv_status code, const char *n1, const char *n2) {
    const char *dir = dir_of(tag);
    hv_eval_gt gt;
    load_gt(dir, &gt);
    const char *p = put(dir, "results.jsonl", text);
    hv_eval_results res;
    hv_status st = hv_eval_results_read(p, &gt, NULL, &res);
    ck_assert_msg(st == code, "%s: status %d (%s)", tag, st, hv_last_error());
    ck_assert_msg(strstr(hv_last_error(), n1) && (!n2 || strstr(hv_last_error(), n2)), "%s: '%s'", tag, hv_last_error());
    ck_assert_ptr_null(res.cls);
    hv_eval_gt_free(&gt);
}

START_TEST(jsonl_errors) {
    expect_jsonl_error("res_e1", "{\"path\": \"bleeding/Images/img- (1).png\"}\n{\"path\": \"x\",\n", HV_ERR_PARSE,
                       "results.jsonl:2:", "malformed JSON");
    expect_jsonl_error("res_e2",
                       "{\"path\": \"a/img- (1).png\"}\n{\"path\": \"q/bleeding/Images/img- (99).png\"}\n"
                       "{\"path\": \"bleeding/Images/img- (12).png\"}\n",
                       HV_ERR_NOT_FOUND, "2 result frames are not in the ground truth", "'q/bleeding/Images/img- (99).png'");
    expect_jsonl_error("res_e3",
                       "{\"path\": \"bleeding/Images/img- (1).png\"}\n{\"path\": \"z/bleeding/Images/img- (1).png\"}\n",
                       HV_ERR_SCHEMA, "results.jsonl:2: frame 'z/bleeding/Images/img- (1).png'", "already has a result on line 1");
    expect_jsonl_error("res_e4",
                       "{\"path\": \"bleeding/Images/img- (12).png\", \"detections\": [{\"box\": [0,0,1,1], \"score\": 1, "
                       "\"label\": 0, \"model\": \"ensemble\", \"mask\": {\"size\": [224, 224], \"counts\": [50176]}}]}\n",
                       HV_ERR_SCHEMA, "frame 'bleeding/Images/img- (12).png'", "mask is 224x224 (height x width), the frame 3x4");
    expect_jsonl_error("res_e5", "{\"path\": \"bleeding/Images/img- (12).png\", \"detections\": [" DET("ensemble", 2) "]}\n",
                       HV_ERR_SCHEMA, "unknown category: detection label 2", NULL);
    expect_jsonl_error("res_e6",
                       "{\"path\": \"bleeding/Images/img- (1).png\", \"detections\": [" DET("seg_a", 0) ", " DET("seg_b", 0) "]}\n",
                       HV_ERR_SCHEMA, "several models ('seg_a', 'seg_b')", "--model");
    expect_jsonl_error("res_e7",
                       "{\"path\": \"bleeding/Images/img- (1).png\", \"classification\": {\"label\": \"blood\", \"index\": 0, "
                       "\"score\": 1, \"probs\": [1, 0]}}\n",
                       HV_ERR_SCHEMA, "'blood'", "not in the ground truth's classes");
    expect_jsonl_error("res_e8",
                       "{\"path\": \"bleeding/Images/img- (1).png\", \"classification\": {\"label\": \"bleeding\", \"index\": 0, "
                       "\"score\": 0.5, \"probs\": [0.5, 0.3, 0.2]}}\n",
                       HV_ERR_SCHEMA, "--labels", NULL);
    const char *dir = dir_of("res_e9");
    hv_eval_gt gt;
    load_gt(dir, &gt);
    hv_eval_results res;
    ck_assert_int_eq(hv_eval_results_read(dir, &gt, NULL, &res), HV_ERR_NOT_FOUND);
    ck_assert_msg(strstr(hv_last_error(), "no results.jsonl"), "%s", hv_last_error());
    hv_eval_gt_free(&gt);
}
END_TEST

START_TEST(coco_results) {
    const char *dir = dir_of("res_coco");
    hv_eval_gt gt;
    load_gt(dir, &gt);
    hv_eval_results res;
    const char *p = put(dir, "r.bbox.json",
                        "[{\"image_id\": 3, \"category_id\": 1, \"bbox\": [1, 1, 2, 2], \"score\": 0.25},"
                        " {\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 2, 2], \"score\": 0.5, "
                        "\"segmentation\": {\"size\": [3, 4], \"counts\": \"02106\"}}]");
    ck_assert_msg(hv_eval_results_read(p, &gt, NULL, &res) == HV_OK, "%s", hv_last_error());
    ck_assert_uint_eq(res.n_dets, 2);
    ck_assert_uint_eq(res.n_cls, 0);
    ck_assert_int_eq(res.dets[0].image_id, 3);
    ck_assert_uint_gt(res.dets[1].segm.n, 0);
    hv_eval_results_free(&res);
    /* writer.coco's own numbering, mapped through its image list */
    put(dir, "s.images.json", "[{\"id\": 1, \"file_name\": \"../WCEBleedGen/bleeding/Images/img- (12).png\"}]");
    p = put(dir, "s.bbox.json", "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 1, 2, 2], \"score\": 0.25}]");
    ck_assert_msg(hv_eval_results_read(p, &gt, NULL, &res) == HV_OK, "%s", hv_last_error());
    ck_assert_int_eq(res.dets[0].image_id, 3);
    hv_eval_results_free(&res);
    p = put(dir, "t.json", "[{\"image_id\": 8, \"category_id\": 1, \"bbox\": [1, 1, 2, 2], \"score\": 0.25},"
                           " {\"image_id\": 1, \"category_id\": 5, \"bbox\": [1, 1, 2, 2], \"score\": 0.25}]");
    ck_assert_int_eq(hv_eval_results_read(p, &gt, NULL, &res), HV_ERR_NOT_FOUND);
    ck_assert_msg(strstr(hv_last_error(), "image ids the ground truth") && strstr(hv_last_error(), "'8'"), "%s", hv_last_error());
    p = put(dir, "u.json", "[{\"image_id\": 1, \"category_id\": 5, \"bbox\": [1, 1, 2, 2], \"score\": 0.25}]");
    ck_assert_int_eq(hv_eval_results_read(p, &gt, NULL, &res), HV_ERR_SCHEMA);
    ck_assert_msg(strstr(hv_last_error(), "unknown category '5'"), "%s", hv_last_error());
    p = put(dir, "v.json", "[{\"image_id\": 1,\n \"category_id\": }]");
    ck_assert_int_eq(hv_eval_results_read(p, &gt, NULL, &res), HV_ERR_PARSE);
    ck_assert_msg(strstr(hv_last_error(), "v.json:2:"), "%s", hv_last_error());
    hv_eval_gt_free(&gt);
}
END_TEST

int main(void) {
    Suite *s = suite_create("eval.results_read");
    TCase *tc = tcase_create("results");
    tcase_add_test(tc, jsonl_frames_models_labels);
    tcase_add_test(tc, jsonl_errors);
    tcase_add_test(tc, coco_results);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
