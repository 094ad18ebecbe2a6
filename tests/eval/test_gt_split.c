/* The split file: the shipped splits/wcebleedgen.tsv is found, read, and cuts the real ground truth to
 * the README's counts (val 262 bleeding + 263 non-bleeding, train 1047 + 1046) with every frame's sha256
 * verified; mismatches between the file and the data are errors naming the frames. */
#include "hvtest.h"

#include "hemovk/eval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ROOT HEMOVK_SHARED_DIR "/data/wcebleedgen/WCEBleedGen"

static void counts(const hv_eval_gt *gt, size_t *b, size_t *n) {
    *b = *n = 0;
    for (size_t i = 0; i < gt->n_images; i++) (gt->images[i].label == 0 ? b : n)[0]++;
}

START_TEST(default_split_counts_and_verify) {
    char path[4096];
    ck_assert_msg(hv_eval_split_default_path(path, sizeof path) == HV_OK, "%s", hv_last_error());
    ck_assert_str_eq(path, HEMOVK_SOURCE_DIR "/splits/wcebleedgen.tsv");
    hv_eval_split sp;
    ck_assert_int_eq(hv_eval_split_read(path, &sp), HV_OK);
    ck_assert_uint_eq(sp.n, 2618);

    hv_eval_gt full, gt;
    hv_eval_warnings w = {0};
    ck_assert_msg(hv_eval_gt_read_wcebleedgen(ROOT, NULL, &full, &w) == HV_OK, "%s", hv_last_error());
    /* the COCO route too: write the full GT, load it back with the split */
    char gt_path[4200];
    snprintf(gt_path, sizeof gt_path, "%s/gt.json", hvtest_tmpdir("gt_split"));
    ck_assert_int_eq(hv_eval_gt_write_coco(&full, NULL, gt_path), HV_OK);
    size_t b, n;
    ck_assert_msg(hv_eval_gt_load(gt_path, "val", NULL, 0, NULL, &gt, NULL) == HV_OK, "%s", hv_last_error());
    counts(&gt, &b, &n);
    ck_assert_uint_eq(b, 262);
    ck_assert_uint_eq(n, 263);
    /* ids are kept: the val frames keep the ids the full ground truth gave them */
    ck_assert_str_eq(gt.images[0].file_name, "bleeding/Images/img- (6).png");
    ck_assert_int_eq(gt.images[0].id, 6);
    for (size_t i = 0; i < gt.n_anns; i++) {
        int found = 0;
        for (size_t k = 0; k < gt.n_images && !found; k++) found = gt.images[k].id == gt.anns[i].image_id;
        ck_assert(found);
    }
    hv_eval_gt_free(&gt);
    ck_assert_int_eq(hv_eval_gt_load(gt_path, "train", path, 0, NULL, &gt, NULL), HV_OK);
    counts(&gt, &b, &n);
    ck_assert_uint_eq(b, 1047);
    ck_assert_uint_eq(n, 1046);
    hv_eval_gt_free(&gt);
    /* --verify on the release folder: every val frame's bytes are the file's; warnings follow the split */
    ck_assert_msg(hv_eval_gt_load(ROOT, "val", NULL, 1, NULL, &gt, &w) == HV_OK, "%s", hv_last_error());
    ck_assert_uint_eq(gt.n_images, 525);
    for (size_t i = 0; i < w.n; i++) {
        int found = 0;
        for (size_t k = 0; k < gt.n_images && !found; k++) found = !strcmp(gt.images[k].file_name, w.items[i].file_name);
        ck_assert_msg(found, "warning of a frame outside the split: %s", w.items[i].file_name);
    }
    hv_eval_gt_free(&gt);
    hv_eval_warnings_free(&w);

    /* errors: an unknown split; --verify on a COCO file; a split file that lists other frames */
    ck_assert_int_eq(hv_eval_gt_load(gt_path, "test", NULL, 0, NULL, &gt, NULL), HV_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "split 'test'"));
    ck_assert_int_eq(hv_eval_gt_load(gt_path, "val", NULL, 1, NULL, &gt, NULL), HV_ERR_INVALID_ARGUMENT);
    char bad[4200];
    snprintf(bad, sizeof bad, "%s/bad.tsv", hvtest_tmpdir("gt_split_bad"));
    FILE *f = fopen(bad, "wb");
    ck_assert_ptr_nonnull(f);
    fputs("split\tclass\tpath\tsha256\n", f);
    for (size_t i = 1; i < sp.n; i++) /* drop the first entry, rename the second */
        fprintf(f, "%s\t%s\t%s%s\t%s\n", sp.entries[i].split, sp.entries[i].class_name, i == 1 ? "x" : "",
                sp.entries[i].path, sp.entries[i].sha256);
    fclose(f);
    hv_eval_gt_free(&full);
    ck_assert_int_eq(hv_eval_gt_load(gt_path, "val", bad, 0, NULL, &gt, NULL), HV_ERR_SCHEMA);
    ck_assert_msg(strstr(hv_last_error(), "2 ground-truth frames are not in the split file"), "%s", hv_last_error());
    ck_assert_msg(strstr(hv_last_error(), "'bleeding/Images/img- (1).png'"), "%s", hv_last_error());
    hv_eval_split_free(&sp);
}
END_TEST

START_TEST(split_file_errors) {
    const char *dir = hvtest_tmpdir("gt_split_parse");
    char p[4200];
    snprintf(p, sizeof p, "%s/s.tsv", dir);
    const char *cases[][2] = {
        {"split,class,path,sha256\n", ":1: header"},
        {"split\tclass\tpath\tsha256\nval\tbleeding\ta.png\n", ":2: expected 4 tab-separated fields"},
        {"split\tclass\tpath\tsha256\nval\tb\ta.png\tx\ntrain\tb\ta.png\ty\n", "'a.png' listed twice"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        FILE *f = fopen(p, "wb");
        ck_assert_ptr_nonnull(f);
        fputs(cases[i][0], f);
        fclose(f);
        hv_eval_split sp;
        ck_assert_int_eq(hv_eval_split_read(p, &sp), HV_ERR_PARSE);
        ck_assert_msg(strstr(hv_last_error(), cases[i][1]), "'%s' lacks '%s'", hv_last_error(), cases[i][1]);
    }
    char hex[65];
    snprintf(p, sizeof p, "%s/abc", dir);
    FILE *f = fopen(p, "wb");
    fputs("abc", f);
    fclose(f);
    ck_assert_int_eq(hv_eval_sha256_file(p, hex), HV_OK);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}
END_TEST

int main(void) {
    Suite *s = suite_create("eval.gt_split");
    TCase *tc = tcase_create("split");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, default_split_counts_and_verify);
    tcase_add_test(tc, split_file_errors);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
