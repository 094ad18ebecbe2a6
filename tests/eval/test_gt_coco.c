/* COCO ground truth: the writer round-trips the real WCEBleedGen ground truth through the reader
 * (every field, masks through compressed RLE strings); the reader's rules for labels and masks; and
 * every bad input is an error naming the thing (file:line:column for malformed JSON). */
#include "hvtest.h"

#include "hemovk/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOT HEMOVK_SHARED_DIR "/data/wcebleedgen/WCEBleedGen"

static const char *write_tmp(const char *tag, const char *text) {
    static char path[4200];
    snprintf(path, sizeof path, "%s/gt.json", hvtest_tmpdir(tag));
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(round_trip_real) {
    hv_eval_gt a, b;
    hv_eval_warnings w = {0};
    ck_assert_msg(hv_eval_gt_read_wcebleedgen(ROOT, NULL, &a, &w) == HV_OK, "%s", hv_last_error());
    char path[4200];
    snprintf(path, sizeof path, "%s/gt.json", hvtest_tmpdir("gt_coco_rt"));
    ck_assert_msg(hv_eval_gt_write_coco(&a, &w, path) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(hv_eval_gt_read_coco(path, &b) == HV_OK, "%s", hv_last_error());
    ck_assert_uint_eq(a.n_images, b.n_images);
    ck_assert_uint_eq(a.n_anns, b.n_anns);
    ck_assert_uint_eq(b.n_classes, 2);
    ck_assert_str_eq(b.class_names[1], "non-bleeding");
    ck_assert_uint_eq(b.n_categories, 1);
    ck_assert_str_eq(b.category_names[0], "bleeding");
    for (size_t i = 0; i < a.n_images; i++) {
        ck_assert_int_eq(a.images[i].id, b.images[i].id);
        ck_assert_str_eq(a.images[i].file_name, b.images[i].file_name);
        ck_assert_int_eq(a.images[i].width, b.images[i].width);
        ck_assert_int_eq(a.images[i].height, b.images[i].height);
        ck_assert_int_eq(a.images[i].label, b.images[i].label);
    }
    for (size_t i = 0; i < a.n_anns; i++) {
        const hv_eval_ann *x = &a.anns[i], *y = &b.anns[i];
        ck_assert_int_eq(x->id, y->id);
        ck_assert_int_eq(x->image_id, y->image_id);
        ck_assert_int_eq(x->category_id, y->category_id);
        for (int k = 0; k < 4; k++) ck_assert_double_eq(x->bbox[k], y->bbox[k]);
        ck_assert_double_eq(x->area, y->area);
        ck_assert_int_eq(x->iscrowd, y->iscrowd);
        ck_assert_uint_eq(x->segm.h, y->segm.h);
        ck_assert_uint_eq(x->segm.n, y->segm.n);
        ck_assert_int_eq(memcmp(x->segm.counts, y->segm.counts, x->segm.n * sizeof *x->segm.counts), 0);
    }
    hv_eval_gt_free(&a);
    hv_eval_gt_free(&b);
    hv_eval_warnings_free(&w);
}
END_TEST

START_TEST(labels_and_masks) {
    /* 4x3 images; image 1 has an uncompressed-RLE instance, image 2 a compressed one, image 3 none (so
     * non-bleeding by default), image 4 says its label by name */
    const char *p = write_tmp("gt_coco_labels",
        "{\"images\": [{\"id\": 1, \"file_name\": \"a/x (1).png\", \"width\": 4, \"height\": 3},\n"
        " {\"id\": 2, \"file_name\": \"a/x (2).png\", \"width\": 4, \"height\": 3},\n"
        " {\"id\": 7, \"file_name\": \"b/y.png\", \"width\": 4, \"height\": 3},\n"
        " {\"id\": 9, \"file_name\": \"b/z.png\", \"width\": 4, \"height\": 3, \"label\": \"bleeding\"}],\n"
        " \"annotations\": [{\"id\": 5, \"image_id\": 1, \"category_id\": 3, \"bbox\": [1, 0, 2, 2],\n"
        "   \"segmentation\": {\"size\": [3, 4], \"counts\": [3, 2, 1, 2, 4]}},\n"
        "  {\"image_id\": 2, \"category_id\": 3, \"bbox\": [0, 0, 1, 1], \"area\": 1.5, \"iscrowd\": 1,\n"
        "   \"segmentation\": {\"size\": [3, 4], \"counts\": \"1;\"}}],\n"
        " \"categories\": [{\"id\": 3, \"name\": \"bleeding\"}]}\n");
    hv_eval_gt gt;
    ck_assert_msg(hv_eval_gt_read_coco(p, &gt) == HV_OK, "%s", hv_last_error());
    ck_assert_uint_eq(gt.n_images, 4);
    ck_assert_int_eq(gt.images[0].label, 0);
    ck_assert_int_eq(gt.images[1].label, 1); /* only a crowd region: no instance */
    ck_assert_int_eq(gt.images[2].label, 1);
    ck_assert_int_eq(gt.images[3].label, 0);
    ck_assert_int_eq(gt.anns[0].id, 5);
    ck_assert_double_eq(gt.anns[0].area, 4); /* no "area": the mask's pixel count */
    ck_assert_int_eq(gt.anns[1].id, 2);      /* no "id": position + 1 */
    ck_assert_int_eq(gt.anns[1].iscrowd, 1);
    ck_assert_double_eq(gt.anns[1].area, 1.5);
    ck_assert_uint_eq(gt.anns[1].segm.h, 3);
    ck_assert_uint_gt(gt.anns[1].segm.n, 0);
    hv_eval_gt_free(&gt);
}
END_TEST

static void expect_error(const char *tag, const char *json, hv_status code, const char *needle) {
    const char *p = write_tmp(tag, json);
    hv_eval_gt gt;
    hv_status st = hv_eval_gt_read_coco(p, &gt);
    ck_assert_msg(st == code, "%s: status %d, want %d (%s)", tag, st, code, hv_last_error());
    ck_assert_msg(strstr(hv_last_error(), needle), "%s: '%s' lacks '%s'", tag, hv_last_error(), needle);
    ck_assert_ptr_null(gt.images);
}

#define IMG "{\"images\": [{\"id\": 1, \"file_name\": \"f.png\", \"width\": 4, \"height\": 3}], "
#define CAT ", \"categories\": [{\"id\": 1, \"name\": \"bleeding\"}]}"

START_TEST(errors_name_the_thing) {
    expect_error("gt_coco_e1", "{\"images\": [\n  {\"id\": 1,, \"file_name\": \"f.png\"}]}", HV_ERR_PARSE, "gt.json:2:13:");
    expect_error("gt_coco_e2",
                 IMG "\"annotations\": [{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0,0,1,1], "
                     "\"segmentation\": [[0,0,1,0,1,1]]}]" CAT,
                 HV_ERR_SCHEMA, "polygon segmentation is not supported");
    expect_error("gt_coco_e3", IMG "\"annotations\": [{\"image_id\": 1, \"category_id\": 4, \"bbox\": [0,0,1,1]}]" CAT,
                 HV_ERR_SCHEMA, "unknown category id 4");
    expect_error("gt_coco_e4", IMG "\"annotations\": [{\"image_id\": 2, \"category_id\": 1, \"bbox\": [0,0,1,1]}]" CAT,
                 HV_ERR_SCHEMA, "image_id 2 is not in");
    expect_error("gt_coco_e5",
                 IMG "\"annotations\": [{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0,0,1,1], "
                     "\"segmentation\": {\"size\": [5, 4], \"counts\": [20]}}]" CAT,
                 HV_ERR_SCHEMA, "mask is 5x4");
    expect_error("gt_coco_e6",
                 "{\"images\": [{\"id\": 1, \"file_name\": \"f.png\", \"width\": 4, \"height\": 3}, "
                 "{\"id\": 1, \"file_name\": \"g.png\", \"width\": 4, \"height\": 3}]}",
                 HV_ERR_SCHEMA, "image id 1 used twice");
    expect_error("gt_coco_e7",
                 "{\"images\": [{\"id\": 1, \"file_name\": \"f.png\", \"width\": 4, \"height\": 3, \"label\": \"blood\"}]}",
                 HV_ERR_SCHEMA, "label 'blood' is not a class");
    expect_error("gt_coco_e8", "[1, 2]", HV_ERR_SCHEMA, "JSON object");
    expect_error("gt_coco_e9", "{\"images\": [{\"id\": 1, \"file_name\": \"f.png\"", HV_ERR_PARSE, "unexpected end");
    hv_eval_gt gt;
    ck_assert_int_eq(hv_eval_gt_read_coco("/nonexistent.json", &gt), HV_ERR_IO);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "/nonexistent.json"));
}
END_TEST

int main(void) {
    Suite *s = suite_create("eval.gt_coco");
    TCase *tc = tcase_create("coco");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, round_trip_real);
    tcase_add_test(tc, labels_and_masks);
    tcase_add_test(tc, errors_name_the_thing);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
