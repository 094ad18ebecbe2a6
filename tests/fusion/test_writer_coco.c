/* writer.coco (plugins/fusion): results files parsed back (bbox [x, y, w, h] without +1, category ids,
 * image ids in frame order or from a ground-truth file, RLE segmentations decoding to the frame's masks,
 * exact ensemble scores from metadata, a model filter), the .partial file after every batch, and a kill
 * followed by --resume (torn last line ignored, a redone frame replacing its earlier record). */
#include "fusion_test.h"

#include "hemovk/detect.h"
#include "hemovk/image.h"

#include <cjson/cJSON.h>
#include <unistd.h>

enum { W = 64, H = 48 };

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

static size_t ptest_lines(const char *s) {
    size_t n = 0;
    for (; *s; s++) n += *s == '\n';
    return n;
}

static cJSON *load_json(const char *prefix, const char *suffix) {
    char path[4400];
    snprintf(path, sizeof path, "%s%s", prefix, suffix);
    char *text = slurp(path);
    ck_assert_msg(text != NULL, "missing %s", path);
    cJSON *j = cJSON_Parse(text);
    ck_assert_msg(j != NULL, "%s does not parse", path);
    free(text);
    return j;
}

static double num(const cJSON *o, const char *k) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    ck_assert_msg(cJSON_IsNumber(v), "no number %s", k);
    return v->valuedouble;
}

/* Frames: 0 with two detections (one ensemble with exact scores, one from "seg"), 1 dropped, 2 without
 * detections, 3 with one detection. */
static void make_frames(hv_frame *f) {
    ft_frame(&f[0], 0, "/data/img- (1).png", W, H);
    ft_add(&f[0], "ensemble", 10.5f, 4, 30.25f, 20, 0.23f, 0);
    ft_add(&f[0], "seg", 1, 2, 9, 12, 0.9f, 0);
    ck_assert_int_eq(hv_frame_set_meta(&f[0], "ensemble.scores", "0.22999999999999998"), HV_OK);
    ft_frame(&f[1], 1, "/data/img- (2).png", W, H);
    hv_frame_drop(&f[1], "q", "too dark");
    ft_frame(&f[2], 2, "/data/img- (3).png", W, H);
    ft_frame(&f[3], 3, "/data/img- (4).png", W, H);
    ft_add(&f[3], "ensemble", 40, 30, 63, 47, 0.5f, 1);
}

static void check_segm(const cJSON *e, int x1, int y1, int x2, int y2) {
    const cJSON *seg = cJSON_GetObjectItemCaseSensitive(e, "segmentation");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(seg, "size");
    ck_assert_int_eq(cJSON_GetArrayItem(size, 0)->valueint, H);
    ck_assert_int_eq(cJSON_GetArrayItem(size, 1)->valueint, W);
    hv_rle rle;
    ck_assert_int_eq(hv_rle_from_string(cJSON_GetObjectItemCaseSensitive(seg, "counts")->valuestring, H, W, &rle), HV_OK);
    uint8_t *got = malloc(W * H), *want = ft_box_mask(W, H, x1, y1, x2, y2);
    ck_assert_int_eq(hv_rle_decode(&rle, got), HV_OK);
    ck_assert_int_eq(memcmp(got, want, W * H), 0);
    free(got);
    free(want);
    hv_rle_free(&rle);
}

START_TEST(results_files_without_ground_truth) {
    hv_registry *reg = ft_registry();
    const char *dir = hvtest_tmpdir("fusion-coco");
    char prefix[4200], partial[4300];
    snprintf(prefix, sizeof prefix, "%s/coco/results", dir);
    snprintf(partial, sizeof partial, "%s.partial", prefix);
    hv_config_node *params;
    hv_stage *s = NULL;
    ck_assert_int_eq(ft_create(reg, HV_COMPONENT_WRITER, "writer.coco", "{models: [ensemble]}", dir, prefix, 0, &params, &s),
                     HV_OK);
    hv_frame f[4];
    make_frames(f);
    hv_frame *b1[2] = {&f[0], &f[1]}, *b2[2] = {&f[2], &f[3]};
    ck_assert_int_eq(hv_stage_process_all(s, b1, 2), HV_OK);
    /* after a batch its frames are on disk */
    char *text = slurp(partial);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq((int)ptest_lines(text), 2);
    free(text);
    ck_assert_int_eq(hv_stage_process_all(s, b2, 2), HV_OK);
    ck_assert_int_eq(hv_stage_flush(s), HV_OK);
    hv_stage_destroy(s);
    hv_config_free(params);
    text = slurp(partial); /* kept as the journal a later --resume rebuilds the final files from */
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq((int)ptest_lines(text), 4);
    free(text);

    cJSON *bbox = load_json(prefix, ".bbox.json"), *segm = load_json(prefix, ".segm.json"),
          *images = load_json(prefix, ".images.json");
    ck_assert_int_eq(cJSON_GetArraySize(bbox), 2); /* "seg" filtered out */
    ck_assert_int_eq(cJSON_GetArraySize(segm), 2);
    const cJSON *e0 = cJSON_GetArrayItem(bbox, 0), *e1 = cJSON_GetArrayItem(bbox, 1);
    ck_assert_int_eq((int)num(e0, "image_id"), 1);
    ck_assert_int_eq((int)num(e1, "image_id"), 4); /* ids follow frame order over every frame */
    ck_assert_int_eq((int)num(e0, "category_id"), 1);
    ck_assert_int_eq((int)num(e1, "category_id"), 2);
    const cJSON *bb = cJSON_GetObjectItemCaseSensitive(e0, "bbox");
    ck_assert_double_eq(cJSON_GetArrayItem(bb, 0)->valuedouble, 10.5);
    ck_assert_double_eq(cJSON_GetArrayItem(bb, 1)->valuedouble, 4);
    ck_assert_double_eq(cJSON_GetArrayItem(bb, 2)->valuedouble, 30.25 - 10.5);
    ck_assert_double_eq(cJSON_GetArrayItem(bb, 3)->valuedouble, 16);
    /* the ensemble's exact double, written as Python's repr */
    char path[4400];
    snprintf(path, sizeof path, "%s.bbox.json", prefix);
    char *raw = slurp(path); /* the file's own digits */
    ck_assert_ptr_nonnull(strstr(raw, "\"score\":0.22999999999999998"));
    ck_assert_ptr_nonnull(strstr(raw, "\"score\":0.5,")); /* float score 0.5 as float(score) */
    free(raw);
    check_segm(cJSON_GetArrayItem(segm, 0), 10, 4, 30, 20);
    check_segm(cJSON_GetArrayItem(segm, 1), 40, 30, 63, 47);
    ck_assert_int_eq(cJSON_GetArraySize(images), 4);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(images, 3), "file_name")->valuestring, "img- (4).png");
    cJSON_Delete(bbox);
    cJSON_Delete(segm);
    cJSON_Delete(images);
    for (int i = 0; i < 4; i++) hv_frame_clear(&f[i]);
    hv_registry_free(reg);
}
END_TEST

START_TEST(ground_truth_ids_and_categories) {
    hv_registry *reg = ft_registry();
    const char *dir = hvtest_tmpdir("fusion-coco-gt");
    char gt[4200], prefix[4200], yaml[8600];
    snprintf(gt, sizeof gt, "%s/gt.json", dir);
    FILE *g = fopen(gt, "wb");
    fputs("{\"images\": [{\"id\": 42, \"file_name\": \"img- (1).png\", \"width\": 64, \"height\": 48},"
          " {\"id\": 7, \"file_name\": \"img- (3).png\", \"width\": 64, \"height\": 48}],"
          " \"annotations\": [], \"categories\": [{\"id\": 5, \"name\": \"bleeding\"}, {\"id\": 9, \"name\": \"other\"}]}", g);
    fclose(g);
    snprintf(prefix, sizeof prefix, "%s/out", dir);
    snprintf(yaml, sizeof yaml, "{ground_truth: '%s', segm: false}", gt);
    hv_config_node *params;
    hv_stage *s = NULL;
    ck_assert_int_eq(ft_create(reg, HV_COMPONENT_WRITER, "writer.coco", yaml, dir, prefix, 0, &params, &s), HV_OK);
    hv_frame f[4];
    make_frames(f);
    hv_frame *all[4] = {&f[0], &f[1], &f[2], &f[3]};
    ck_assert_int_eq(hv_stage_process_all(s, all, 4), HV_OK);
    ck_assert_int_eq(hv_stage_flush(s), HV_OK); /* img- (4) is not in the ground truth: skipped with a warning */
    hv_stage_destroy(s);
    hv_config_free(params);
    cJSON *bbox = load_json(prefix, ".bbox.json");
    ck_assert_int_eq(cJSON_GetArraySize(bbox), 2); /* both of frame 0 (no model filter) */
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq((int)num(cJSON_GetArrayItem(bbox, i), "image_id"), 42);
        ck_assert_int_eq((int)num(cJSON_GetArrayItem(bbox, i), "category_id"), 5);
    }
    cJSON_Delete(bbox);
    char path[4400];
    snprintf(path, sizeof path, "%s.segm.json", prefix);
    ck_assert_int_ne(access(path, F_OK), 0);

    /* unknown_images: error stops the run at flush, naming the frame */
    snprintf(yaml, sizeof yaml, "{ground_truth: '%s', unknown_images: error}", gt);
    ck_assert_int_eq(ft_create(reg, HV_COMPONENT_WRITER, "writer.coco", yaml, dir, prefix, 0, &params, &s), HV_OK);
    ck_assert_int_eq(hv_stage_process_all(s, all, 4), HV_OK);
    ck_assert_int_eq(hv_stage_flush(s), HV_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "img- (2).png"));
    hv_stage_destroy(s);
    hv_config_free(params);
    /* a missing ground truth fails at create */
    ck_assert_int_ne(ft_create(reg, HV_COMPONENT_WRITER, "writer.coco", "{ground_truth: /nonexistent/gt.json}", dir, prefix, 0,
                               &params, &s), HV_OK);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "/nonexistent/gt.json"));
    hv_config_free(params);
    for (int i = 0; i < 4; i++) hv_frame_clear(&f[i]);
    hv_registry_free(reg);
}
END_TEST

START_TEST(kill_and_resume_keep_every_result_once) {
    hv_registry *reg = ft_registry();
    const char *dir = hvtest_tmpdir("fusion-coco-resume");
    char prefix[4200], partial[4300];
    snprintf(prefix, sizeof prefix, "%s/r", dir);
    snprintf(partial, sizeof partial, "%s.partial", prefix);
    hv_config_node *params;
    hv_stage *s = NULL;
    ck_assert_int_eq(ft_create(reg, HV_COMPONENT_WRITER, "writer.coco", "{}", dir, prefix, 0, &params, &s), HV_OK);
    hv_frame f[4];
    make_frames(f);
    hv_frame *b1[2] = {&f[0], &f[1]};
    ck_assert_int_eq(hv_stage_process_all(s, b1, 2), HV_OK);
    hv_stage_destroy(s); /* killed: no flush */
    hv_config_free(params);
    FILE *p = fopen(partial, "ab");
    fputs("{\"id\": 2, \"path\": \"/data/img- (3).png\", \"wid", p); /* torn line of a kill mid-write */
    fclose(p);

    ck_assert_int_eq(ft_create(reg, HV_COMPONENT_WRITER, "writer.coco", "{}", dir, prefix, 1, &params, &s), HV_OK);
    /* frame 1 is done again (it was in the partial file, not in the JSONL) with a detection this time */
    hv_frame_clear(&f[1]);
    ft_frame(&f[1], 1, "/data/img- (2).png", W, H);
    ft_add(&f[1], "seg", 5, 5, 15, 25, 0.75f, 0);
    hv_frame *b2[3] = {&f[1], &f[2], &f[3]};
    ck_assert_int_eq(hv_stage_process_all(s, b2, 3), HV_OK);
    ck_assert_int_eq(hv_stage_flush(s), HV_OK);
    hv_stage_destroy(s);
    hv_config_free(params);
    cJSON *bbox = load_json(prefix, ".bbox.json");
    ck_assert_int_eq(cJSON_GetArraySize(bbox), 4); /* 2 of frame 0 (resumed) + 1 of frame 1 (redone) + 1 of frame 3 */
    int ids[4];
    for (int i = 0; i < 4; i++) ids[i] = (int)num(cJSON_GetArrayItem(bbox, i), "image_id");
    ck_assert(ids[0] == 1 && ids[1] == 1 && ids[2] == 2 && ids[3] == 4);
    ck_assert_double_eq_tol(num(cJSON_GetArrayItem(bbox, 2), "score"), 0.75, 1e-12);
    cJSON_Delete(bbox);
    for (int i = 0; i < 4; i++) hv_frame_clear(&f[i]);
    hv_registry_free(reg);
}
END_TEST

static char *run_text(const char *prefix, const char *suffix) {
    char path[4400];
    snprintf(path, sizeof path, "%s%s", prefix, suffix);
    char *t = slurp(path);
    ck_assert_msg(t != NULL, "missing %s", path);
    return t;
}

/* Issue 12: a run killed after its first batch and resumed writes byte-identical files to an
 * uninterrupted one — scores that need 17 digits (the ensemble's exact 0.22999999999999998, float
 * 0.9f = 0.89999997615814209) survive the trip through the .partial file. */
START_TEST(resumed_results_byte_identical) {
    hv_registry *reg = ft_registry();
    const char *dir = hvtest_tmpdir("fusion-coco-exact");
    char a[4200], b[4200];
    snprintf(a, sizeof a, "%s/whole", dir);
    snprintf(b, sizeof b, "%s/resumed", dir);
    hv_config_node *params;
    hv_stage *s = NULL;
    hv_frame f[4];
    make_frames(f);
    hv_frame *all[4] = {&f[0], &f[1], &f[2], &f[3]};
    ck_assert_int_eq(ft_create(reg, HV_COMPONENT_WRITER, "writer.coco", "{}", dir, a, 0, &params, &s), HV_OK);
    ck_assert_int_eq(hv_stage_process_all(s, all, 4), HV_OK);
    ck_assert_int_eq(hv_stage_flush(s), HV_OK);
    hv_stage_destroy(s);
    hv_config_free(params);

    ck_assert_int_eq(ft_create(reg, HV_COMPONENT_WRITER, "writer.coco", "{}", dir, b, 0, &params, &s), HV_OK);
    ck_assert_int_eq(hv_stage_process_all(s, all, 2), HV_OK);
    hv_stage_destroy(s); /* killed */
    hv_config_free(params);
    ck_assert_int_eq(ft_create(reg, HV_COMPONENT_WRITER, "writer.coco", "{}", dir, b, 1, &params, &s), HV_OK);
    ck_assert_int_eq(hv_stage_process_all(s, all + 2, 2), HV_OK);
    ck_assert_int_eq(hv_stage_flush(s), HV_OK);
    hv_stage_destroy(s);
    hv_config_free(params);
    const char *suffixes[] = {".bbox.json", ".segm.json", ".images.json"};
    for (int i = 0; i < 3; i++) {
        char *x = run_text(a, suffixes[i]), *y = run_text(b, suffixes[i]);
        ck_assert_msg(!strcmp(x, y), "%s differs after resume:\n%s\n%s", suffixes[i], x, y);
        if (i == 0) {
            ck_assert_msg(strstr(x, "0.22999999999999998"), "%s", x);
            ck_assert_msg(strstr(x, "0.8999999761581421"), "%s", x);
        }
        free(x);
        free(y);
    }
    for (int i = 0; i < 4; i++) hv_frame_clear(&f[i]);
    hv_registry_free(reg);
}
END_TEST

/* Issue 12: frames with one base name in two folders (as WCEBleedGen ships) get distinct ids — from a
 * ground truth whose file_names carry the folders, or from their index without one — and images.json
 * names them by key. */
START_TEST(colliding_base_names_get_distinct_ids) {
    hv_registry *reg = ft_registry();
    const char *dir = hvtest_tmpdir("fusion-coco-keys");
    char gt[4200], prefix[4200];
    snprintf(gt, sizeof gt, "%s/gt.json", dir);
    FILE *g = fopen(gt, "w");
    fputs("{\"images\": [{\"id\": 7, \"file_name\": \"bleeding/Images/img- (1).png\", \"width\": 64, \"height\": 48},"
          " {\"id\": 9, \"file_name\": \"non-bleeding/images/img- (1).png\", \"width\": 64, \"height\": 48}],"
          " \"annotations\": [], \"categories\": [{\"id\": 1, \"name\": \"bleeding\"}]}", g);
    fclose(g);
    hv_frame f[2];
    const char *keys[2] = {"bleeding/Images/img- (1).png", "non-bleeding/images/img- (1).png"};
    for (int i = 0; i < 2; i++) {
        char path[256];
        snprintf(path, sizeof path, "/data/WCEBleedGen/%s", keys[i]);
        ft_frame(&f[i], (uint64_t)i, path, W, H);
        ft_add(&f[i], "seg", 1, 2, 9, 12, 0.5f, 0);
        ck_assert_int_eq(hv_frame_set_meta(&f[i], HV_FRAME_KEY_META, "%s", keys[i]), HV_OK);
    }
    hv_frame *all[2] = {&f[0], &f[1]};
    for (int with_gt = 0; with_gt < 2; with_gt++) {
        char yaml[4400];
        snprintf(yaml, sizeof yaml, with_gt ? "{ground_truth: %s, unknown_images: error}" : "{}", gt);
        snprintf(prefix, sizeof prefix, "%s/r%d", dir, with_gt);
        hv_config_node *params;
        hv_stage *s = NULL;
        ck_assert_int_eq(ft_create(reg, HV_COMPONENT_WRITER, "writer.coco", yaml, dir, prefix, 0, &params, &s), HV_OK);
        ck_assert_int_eq(hv_stage_process_all(s, all, 2), HV_OK);
        ck_assert_int_eq(hv_stage_flush(s), HV_OK);
        hv_stage_destroy(s);
        hv_config_free(params);
        cJSON *bbox = load_json(prefix, ".bbox.json");
        ck_assert_int_eq(cJSON_GetArraySize(bbox), 2);
        int id0 = (int)num(cJSON_GetArrayItem(bbox, 0), "image_id"), id1 = (int)num(cJSON_GetArrayItem(bbox, 1), "image_id");
        ck_assert_int_eq(id0, with_gt ? 7 : 1);
        ck_assert_int_eq(id1, with_gt ? 9 : 2);
        cJSON_Delete(bbox);
        if (!with_gt) {
            cJSON *images = load_json(prefix, ".images.json");
            ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(images, 1), "file_name")->valuestring, keys[1]);
            cJSON_Delete(images);
        }
    }
    for (int i = 0; i < 2; i++) hv_frame_clear(&f[i]);
    hv_registry_free(reg);
}
END_TEST

int main(void) {
    Suite *s = suite_create("fusion.writer_coco");
    TCase *t = tcase_create("coco");
    tcase_add_test(t, results_files_without_ground_truth);
    tcase_add_test(t, ground_truth_ids_and_categories);
    tcase_add_test(t, kill_and_resume_keep_every_result_once);
    tcase_add_test(t, resumed_results_byte_identical);
    tcase_add_test(t, colliding_base_names_get_distinct_ids);
    suite_add_tcase(s, t);
    return hvtest_run(s);
}
