/* COCO results writer: valid JSON that round-trips through cJSON, [x, y, w, h] without +1, the RLE
 * string, image ids from a ground-truth file (by file_name or base name) or sequential without one. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/detect.h"
#include "hvtest.h"

static cJSON *load(const char *path) {
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    cJSON *j = cJSON_Parse(buf);
    ck_assert_msg(j != NULL, "%s is not valid JSON", path);
    return j;
}

START_TEST(gt_ids_bbox_and_segm) {
    const char *dir = hvtest_tmpdir("detect_coco");
    char gt[1024], prefix[1024], path[1100];
    snprintf(gt, sizeof gt, "%s/gt.json", dir);
    FILE *f = fopen(gt, "w");
    fputs("{\"images\":[{\"id\":17,\"file_name\":\"img (3).png\",\"width\":4,\"height\":3},"
          "{\"id\":42,\"file_name\":\"sub/img (9).png\"}],\"annotations\":[],\"categories\":[{\"id\":1,\"name\":\"bleeding\"}]}", f);
    fclose(f);
    hv_coco_writer *w;
    ck_assert_int_eq(hv_coco_writer_create(gt, &w), HV_OK);
    int64_t id;
    ck_assert_int_eq(hv_coco_writer_image_id(w, "/data/test/img (3).png", &id), HV_OK); /* by base name */
    ck_assert_int_eq(id, 17);
    ck_assert_int_eq(hv_coco_writer_image_id(w, "sub/img (9).png", &id), HV_OK);
    ck_assert_int_eq(id, 42);
    ck_assert_int_eq(hv_coco_writer_image_id(w, "other.png", &id), HV_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "other.png"));
    const hv_box b = {1.5f, 0.25f, 3.75f, 3.0f};
    ck_assert_int_eq(hv_coco_writer_add_bbox(w, 17, 1, &b, (double)0.7f), HV_OK);
    const uint8_t m[12] = {0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 0, 0};
    hv_rle rle;
    ck_assert_int_eq(hv_rle_encode(m, 3, 4, &rle), HV_OK);
    ck_assert_int_eq(hv_coco_writer_add_segm(w, 17, 1, &b, 0.22999999999999998, &rle), HV_OK);
    snprintf(prefix, sizeof prefix, "%s/results", dir);
    ck_assert_int_eq(hv_coco_writer_save(w, prefix), HV_OK);
    ck_assert_uint_eq(hv_coco_writer_count(w, false), 1);
    ck_assert_uint_eq(hv_coco_writer_count(w, true), 1);
    hv_coco_writer_free(w);

    snprintf(path, sizeof path, "%s.bbox.json", prefix);
    cJSON *j = load(path);
    ck_assert(cJSON_IsArray(j) && cJSON_GetArraySize(j) == 1);
    const cJSON *e = cJSON_GetArrayItem(j, 0), *bb = cJSON_GetObjectItem(e, "bbox");
    ck_assert_int_eq(cJSON_GetObjectItem(e, "image_id")->valueint, 17);
    ck_assert_int_eq(cJSON_GetObjectItem(e, "category_id")->valueint, 1);
    ck_assert(cJSON_GetObjectItem(e, "score")->valuedouble == (double)0.7f); /* float(score) round-trips */
    ck_assert(cJSON_GetArrayItem(bb, 0)->valuedouble == 1.5 && cJSON_GetArrayItem(bb, 1)->valuedouble == 0.25);
    ck_assert(cJSON_GetArrayItem(bb, 2)->valuedouble == 2.25 && cJSON_GetArrayItem(bb, 3)->valuedouble == 2.75); /* no +1 */
    cJSON_Delete(j);
    snprintf(path, sizeof path, "%s.segm.json", prefix);
    j = load(path);
    e = cJSON_GetArrayItem(j, 0);
    ck_assert(cJSON_GetObjectItem(e, "score")->valuedouble == 0.22999999999999998);
    const cJSON *seg = cJSON_GetObjectItem(e, "segmentation");
    ck_assert_int_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(seg, "size"), 0)->valueint, 3);
    ck_assert_int_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(seg, "size"), 1)->valueint, 4);
    hv_rle back;
    ck_assert_int_eq(hv_rle_from_string(cJSON_GetObjectItem(seg, "counts")->valuestring, 3, 4, &back), HV_OK);
    uint8_t d[12];
    ck_assert_int_eq(hv_rle_decode(&back, d), HV_OK);
    ck_assert(memcmp(d, m, 12) == 0);
    hv_rle_free(&back);
    hv_rle_free(&rle);
    cJSON_Delete(j);
}
END_TEST

START_TEST(sequential_ids_and_errors) {
    hv_coco_writer *w;
    ck_assert_int_eq(hv_coco_writer_create(NULL, &w), HV_OK);
    int64_t a, b, c;
    ck_assert_int_eq(hv_coco_writer_image_id(w, "x/a.png", &a), HV_OK);
    ck_assert_int_eq(hv_coco_writer_image_id(w, "x/b.png", &b), HV_OK);
    ck_assert_int_eq(hv_coco_writer_image_id(w, "x/a.png", &c), HV_OK);
    ck_assert(a == 1 && b == 2 && c == 1);
    char *s;
    ck_assert_int_eq(hv_coco_writer_to_string(w, false, &s), HV_OK);
    ck_assert_str_eq(s, "[]");
    free(s);
    const hv_box bx = {0, 0, 1, 1};
    ck_assert_int_eq(hv_coco_writer_add_bbox(w, 1, 1, NULL, 0.5), HV_ERR_INVALID_ARGUMENT);
    ck_assert_int_eq(hv_coco_writer_add_segm(w, 1, 1, &bx, 0.5, NULL), HV_ERR_INVALID_ARGUMENT);
    hv_coco_writer_free(w);
    const char *dir = hvtest_tmpdir("detect_coco_bad");
    char gt[1024];
    snprintf(gt, sizeof gt, "%s/bad.json", dir);
    FILE *f = fopen(gt, "w");
    fputs("{\"images\": [{\"id\": 1}]}", f);
    fclose(f);
    ck_assert_int_eq(hv_coco_writer_create(gt, &w), HV_ERR_SCHEMA);
    ck_assert_ptr_null(w);
    ck_assert_int_eq(hv_coco_writer_create("/nonexistent/gt.json", &w), HV_ERR_IO);
    f = fopen(gt, "w");
    fputs("{\"images\": [", f);
    fclose(f);
    ck_assert_int_eq(hv_coco_writer_create(gt, &w), HV_ERR_PARSE);
}
END_TEST

int main(void) {
    Suite *s = suite_create("detect_coco_json");
    TCase *tc = tcase_create("coco");
    tcase_add_test(tc, gt_ids_bbox_and_segm);
    tcase_add_test(tc, sequential_ids_and_errors);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
