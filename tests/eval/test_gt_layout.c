/* The WCEBleedGen release reader: on the real dataset (counts, names with spaces and parentheses, natural
 * order, every frame's components against an independent PIL + scipy computation, RLE of a few frames
 * in each real mask encoding, the disagreement totals) and on a miniature release written by
 * tests/fixtures/eval/make_layout.py (the five PNG mask encodings, one case of every disagreement). */
#include "hvtest.h"

#include "hemovk/eval.h"
#include "hemovk/image.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOT HEMOVK_SHARED_DIR "/data/wcebleedgen/WCEBleedGen"
#define FIXTURES HEMOVK_SOURCE_DIR "/tests/fixtures/eval"

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = '\0';
    fclose(f);
    return s;
}

static void run_python(const char *script, const char *args) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' '%s' %s", HEMOVK_PYTHON, script, args);
    ck_assert_msg(system(cmd) == 0, "failed: %s", cmd);
}

static const hv_eval_image *find_image(const hv_eval_gt *gt, const char *name) {
    for (size_t i = 0; i < gt->n_images; i++)
        if (!strcmp(gt->images[i].file_name, name)) return &gt->images[i];
    return NULL;
}

START_TEST(real_dataset_matches_reference) {
    const char *dir = hvtest_tmpdir("gt_layout_ref");
    char ref[4200], args[8400];
    snprintf(ref, sizeof ref, "%s/ref.json", dir);
    /* frames 1 (1-bit gray), 153 (1-bit palette), 203 (8-bit gray, anti-aliased), 231 (a mask over most of
     * the frame) get their RLEs compared too */
    snprintf(args, sizeof args, "'%s' '%s' 1 153 203 231", ROOT, ref);
    run_python(FIXTURES "/wcebleedgen_ref.py", args);
    char *text = slurp(ref);
    cJSON *r = cJSON_Parse(text);
    free(text);
    ck_assert_ptr_nonnull(r);

    hv_eval_gt gt;
    hv_eval_warnings w = {0};
    ck_assert_msg(hv_eval_gt_read_wcebleedgen(ROOT, NULL, &gt, &w) == HV_OK, "%s", hv_last_error());
    ck_assert_uint_eq(gt.n_images, 2618);
    size_t per[2] = {0};
    for (size_t i = 0; i < gt.n_images; i++) {
        ck_assert_int_eq(gt.images[i].id, (int64_t)i + 1);
        ck_assert_int_ge(gt.images[i].label, 0);
        per[gt.images[i].label]++;
        ck_assert_int_eq(gt.images[i].width, 224);
        ck_assert_int_eq(gt.images[i].height, 224);
        if (i) ck_assert_int_lt(hv_natural_compare(gt.images[i - 1].file_name, gt.images[i].file_name), 0);
    }
    ck_assert_uint_eq(per[0], 1309);
    ck_assert_uint_eq(per[1], 1309);
    ck_assert_uint_eq(gt.n_classes, 2);
    ck_assert_str_eq(gt.class_names[0], "bleeding");
    ck_assert_str_eq(gt.class_names[1], "non-bleeding");
    ck_assert_uint_eq(gt.n_categories, 1);
    ck_assert_int_eq(gt.category_ids[0], 1);
    ck_assert_str_eq(gt.images[0].file_name, "bleeding/Images/img- (1).png");
    ck_assert_str_eq(gt.images[1].file_name, "bleeding/Images/img- (2).png");
    ck_assert_str_eq(gt.images[9].file_name, "bleeding/Images/img- (10).png");
    ck_assert_str_eq(gt.images[1309].file_name, "non-bleeding/images/img- (1).png");

    /* every bleeding frame's components: same boxes, areas and order as scipy's labelling */
    const cJSON *frames = cJSON_GetObjectItem(r, "frames");
    size_t a = 0, n_ref = 0;
    for (size_t i = 0; i < gt.n_images; i++) {
        const hv_eval_image *im = &gt.images[i];
        const cJSON *f = cJSON_GetObjectItem(frames, im->file_name);
        if (im->label == 1) {
            ck_assert_ptr_null(f);
            continue;
        }
        ck_assert_msg(f != NULL, "%s missing from the reference", im->file_name);
        const cJSON *comps = cJSON_GetObjectItem(f, "components"), *rles = cJSON_GetObjectItem(f, "rle");
        for (int k = 0; k < cJSON_GetArraySize(comps); k++, a++, n_ref++) {
            ck_assert_uint_lt(a, gt.n_anns);
            const hv_eval_ann *an = &gt.anns[a];
            const cJSON *c = cJSON_GetArrayItem(comps, k);
            double x1 = cJSON_GetArrayItem(c, 0)->valuedouble, y1 = cJSON_GetArrayItem(c, 1)->valuedouble;
            double x2 = cJSON_GetArrayItem(c, 2)->valuedouble, y2 = cJSON_GetArrayItem(c, 3)->valuedouble;
            ck_assert_msg(an->image_id == im->id && an->bbox[0] == x1 && an->bbox[1] == y1 && an->bbox[2] == x2 - x1 &&
                              an->bbox[3] == y2 - y1 && an->area == cJSON_GetArrayItem(c, 4)->valuedouble,
                          "%s component %d: [%g %g %g %g] area %g, reference [%g %g %g %g] area %g", im->file_name, k,
                          an->bbox[0], an->bbox[1], an->bbox[2], an->bbox[3], an->area, x1, y1, x2 - x1, y2 - y1,
                          cJSON_GetArrayItem(c, 4)->valuedouble);
            ck_assert_int_eq(an->category_id, 1);
            ck_assert_int_eq(an->iscrowd, 0);
            ck_assert_uint_eq(hv_rle_area(&an->segm), (uint64_t)an->area);
            if (rles) {
                const cJSON *rc = cJSON_GetArrayItem(rles, k);
                ck_assert_uint_eq(an->segm.n, (size_t)cJSON_GetArraySize(rc));
                for (size_t j = 0; j < an->segm.n; j++)
                    ck_assert_uint_eq(an->segm.counts[j], (uint32_t)cJSON_GetArrayItem(rc, (int)j)->valuedouble);
            }
        }
    }
    ck_assert_uint_eq(a, gt.n_anns);
    ck_assert_uint_eq(n_ref, 2248);
    /* the disagreements the release has, counted independently */
    ck_assert_uint_eq(hv_eval_warnings_count(&w, HV_EVAL_WARN_COMPONENT_WITHOUT_BOX),
                      (size_t)cJSON_GetObjectItem(r, "component_without_box")->valuedouble);
    ck_assert_uint_eq(hv_eval_warnings_count(&w, HV_EVAL_WARN_BOX_WITHOUT_COMPONENT),
                      (size_t)cJSON_GetObjectItem(r, "box_without_component")->valuedouble);
    ck_assert_uint_eq(hv_eval_warnings_count(&w, HV_EVAL_WARN_MASK_SIZE), 0);
    ck_assert_uint_eq(hv_eval_warnings_count(&w, HV_EVAL_WARN_XML_TXT), 0);
    ck_assert_uint_eq(hv_eval_warnings_count(&w, HV_EVAL_WARN_MISSING_FILE), 0);
    ck_assert_uint_eq(w.xml_txt_not_identical, 1309 - 1002); /* README: 1002 files identical */
    cJSON_Delete(r);
    hv_eval_gt_free(&gt);
    hv_eval_warnings_free(&w);
}
END_TEST

/* The miniature release: every encoding gives the same two instances; each disagreement is reported. */
START_TEST(mini_layout_encodings_and_disagreements) {
    const char *dir = hvtest_tmpdir("gt_layout_mini");
    char root[4200], args[4300];
    snprintf(args, sizeof args, "'%s'", dir);
    run_python(FIXTURES "/make_layout.py", args);
    snprintf(root, sizeof root, "%s/WCEBleedGen", dir);
    hv_eval_gt gt;
    hv_eval_warnings w = {0};
    ck_assert_msg(hv_eval_gt_read(root, &gt, &w) == HV_OK, "%s", hv_last_error());
    ck_assert_uint_eq(gt.n_images, 10);
    for (int n = 1; n <= 5; n++) {
        char name[64];
        snprintf(name, sizeof name, "bleeding/Images/img- (%d).png", n);
        const hv_eval_image *im = find_image(&gt, name);
        ck_assert_ptr_nonnull(im);
        ck_assert_int_eq(im->width, 32);
        ck_assert_int_eq(im->height, 24);
        size_t k = 0;
        for (size_t i = 0; i < gt.n_anns; i++) {
            if (gt.anns[i].image_id != im->id) continue;
            const hv_eval_ann *an = &gt.anns[i];
            /* block x 2..7, y 3..6 (+ row 7 in the anti-aliased mask: 200 > 127; row 2 at 100 is not);
             * the diagonal pair is one 8-connected component */
            double want[2][5] = {{2, 3, 6, n == 3 ? 5 : 4, n == 3 ? 30 : 24}, {20, 10, 2, 2, 2}};
            ck_assert_uint_lt(k, 2);
            for (int j = 0; j < 4; j++) ck_assert_msg(an->bbox[j] == want[k][j], "frame %d instance %zu bbox[%d] = %g", n, k, j, an->bbox[j]);
            ck_assert_double_eq(an->area, want[k][4]);
            k++;
        }
        ck_assert_msg(k == 2, "frame %d: %zu instances", n, k);
    }
    ck_assert_uint_eq(gt.n_anns, 13);
    ck_assert_uint_eq(w.n, 5);
    ck_assert_uint_eq(hv_eval_warnings_count(&w, HV_EVAL_WARN_MASK_SIZE), 1);
    ck_assert_uint_eq(hv_eval_warnings_count(&w, HV_EVAL_WARN_MISSING_FILE), 1);
    ck_assert_uint_eq(hv_eval_warnings_count(&w, HV_EVAL_WARN_XML_TXT), 1);
    ck_assert_uint_eq(hv_eval_warnings_count(&w, HV_EVAL_WARN_COMPONENT_WITHOUT_BOX), 1);
    ck_assert_uint_eq(hv_eval_warnings_count(&w, HV_EVAL_WARN_BOX_WITHOUT_COMPONENT), 1);
    for (size_t i = 0; i < w.n; i++) {
        const hv_eval_warning *e = &w.items[i];
        const char *want = e->kind == HV_EVAL_WARN_MASK_SIZE ? "img- (6).png"
                           : e->kind == HV_EVAL_WARN_MISSING_FILE || e->kind == HV_EVAL_WARN_XML_TXT ? "img- (7).png"
                                                                                                     : "img- (8).png";
        ck_assert_msg(strstr(e->file_name, want), "%s: %s (%s)", hv_eval_warning_kind_name(e->kind), e->file_name, e->detail);
    }
    ck_assert_ptr_nonnull(strstr(w.items[0].detail, "16x16"));
    hv_eval_gt_free(&gt);
    hv_eval_warnings_free(&w);

    /* min_area drops the 1-pixel speck of frame 8 and the diagonal pairs, and says so */
    hv_eval_layout_options o = {.min_area = 3};
    ck_assert_int_eq(hv_eval_gt_read_wcebleedgen(root, &o, &gt, &w), HV_OK);
    ck_assert_uint_eq(gt.n_anns, 6);
    ck_assert_uint_eq(hv_eval_warnings_count(&w, HV_EVAL_WARN_SMALL_COMPONENT), 7);
    hv_eval_gt_free(&gt);
    hv_eval_warnings_free(&w);
}
END_TEST

START_TEST(not_a_layout) {
    hv_eval_gt gt;
    ck_assert_int_eq(hv_eval_gt_read_wcebleedgen(HEMOVK_SOURCE_DIR "/schemas", NULL, &gt, NULL), HV_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "not the WCEBleedGen layout"));
    ck_assert_int_eq(hv_eval_gt_read("/nonexistent/gt", &gt, NULL), HV_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "/nonexistent/gt"));
    hv_eval_gt_free(NULL);
}
END_TEST

int main(void) {
    Suite *s = suite_create("eval.gt_layout");
    TCase *tc = tcase_create("layout");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, real_dataset_matches_reference);
    tcase_add_test(tc, mini_layout_encodings_and_disagreements);
    tcase_add_test(tc, not_a_layout);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
