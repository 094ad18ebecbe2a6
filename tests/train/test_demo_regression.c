/* The shipped demo pipeline (pipelines/two-stage-demo.yaml with models/) still gives, on a few validation
 * frames of each class, the classifications and outlines recorded from the run that was evaluated for the
 * model cards (tests/fixtures/demo/expected.jsonl, written by tools/train/record_demo_regression.py, never
 * by hand). Tolerances leave room for another device's float rounding, not for a different model:
 * same label, probabilities within 1e-3, and every recorded detection scoring >= 0.1 found again with box
 * IoU >= 0.9, mask IoU >= 0.9 and a score within 0.02 (and no new detection >= 0.1 without a partner). */
/* CTEST_ALSO_ON_CPU */
#include "hvtest.h"

#include "hemovk/detect.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATA HEMOVK_SHARED_DIR "/data/wcebleedgen/WCEBleedGen"
#define EXPECTED HEMOVK_SOURCE_DIR "/tests/fixtures/demo/expected.jsonl"

/* One JSON object per line; returns an array (caller frees with cJSON_Delete). */
static cJSON *read_jsonl(const char *path) {
    char *text = hvtest_read_file(path);
    ck_assert_msg(text != NULL, "cannot read %s", path);
    cJSON *arr = cJSON_CreateArray();
    for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
        cJSON *o = cJSON_Parse(line);
        ck_assert_msg(o != NULL, "%s: a line is not JSON", path);
        cJSON_AddItemToArray(arr, o);
    }
    free(text);
    return arr;
}

static double box_iou(const cJSON *a, const cJSON *b) {
    double A[4], B[4];
    for (int i = 0; i < 4; i++) {
        A[i] = cJSON_GetArrayItem(a, i)->valuedouble;
        B[i] = cJSON_GetArrayItem(b, i)->valuedouble;
    }
    double ix = fmax(0.0, fmin(A[2], B[2]) - fmax(A[0], B[0])), iy = fmax(0.0, fmin(A[3], B[3]) - fmax(A[1], B[1]));
    double inter = ix * iy, uni = (A[2] - A[0]) * (A[3] - A[1]) + (B[2] - B[0]) * (B[3] - B[1]) - inter;
    return uni > 0 ? inter / uni : 0.0;
}

static uint8_t *mask_of(const cJSON *det, uint32_t *h, uint32_t *w) {
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(det, "mask");
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(m, "size"), *counts = cJSON_GetObjectItemCaseSensitive(m, "counts");
    ck_assert_msg(cJSON_IsArray(size) && cJSON_IsArray(counts), "detection without a mask");
    hv_rle r = {.h = (uint32_t)cJSON_GetArrayItem(size, 0)->valuedouble,
                .w = (uint32_t)cJSON_GetArrayItem(size, 1)->valuedouble,
                .n = (size_t)cJSON_GetArraySize(counts)};
    r.counts = malloc(sizeof *r.counts * (r.n ? r.n : 1));
    for (size_t i = 0; i < r.n; i++) r.counts[i] = (uint32_t)cJSON_GetArrayItem(counts, (int)i)->valuedouble;
    uint8_t *px = malloc((size_t)r.h * r.w + 1);
    ck_assert_int_eq(hv_rle_decode(&r, px), HV_OK);
    *h = r.h;
    *w = r.w;
    free(r.counts);
    return px;
}

static double mask_iou(const cJSON *a, const cJSON *b) {
    uint32_t ha, wa, hb, wb;
    uint8_t *ma = mask_of(a, &ha, &wa), *mb = mask_of(b, &hb, &wb);
    ck_assert(ha == hb && wa == wb);
    size_t inter = 0, uni = 0;
    for (size_t i = 0; i < (size_t)ha * wa; i++) {
        inter += ma[i] && mb[i];
        uni += ma[i] || mb[i];
    }
    free(ma);
    free(mb);
    return uni ? (double)inter / (double)uni : 1.0;
}

/* Every detection of `from` scoring >= 0.1 has a partner in `to` (box IoU >= 0.9); for the recorded side
 * (`strict`) also mask IoU >= 0.9 and a score within 0.02. */
static void match_all(const char *key, const cJSON *from, const cJSON *to, int strict, const char *what) {
    const cJSON *d;
    cJSON_ArrayForEach(d, from) {
        double s = cJSON_GetObjectItemCaseSensitive(d, "score")->valuedouble;
        if (s < 0.1) continue;
        const cJSON *best = NULL, *e;
        double best_iou = 0.0;
        cJSON_ArrayForEach(e, to) {
            double iou = box_iou(cJSON_GetObjectItemCaseSensitive(d, "box"), cJSON_GetObjectItemCaseSensitive(e, "box"));
            if (iou > best_iou) best_iou = iou, best = e;
        }
        ck_assert_msg(best && best_iou >= 0.9, "%s: %s detection (score %.3f) has no partner (best box IoU %.3f)", key,
                      what, s, best_iou);
        if (!strict) continue;
        double ds = fabs(cJSON_GetObjectItemCaseSensitive(best, "score")->valuedouble - s), mi = mask_iou(d, best);
        printf("%s: score %.3f vs %.3f, box IoU %.4f, mask IoU %.4f\n", key, s,
               cJSON_GetObjectItemCaseSensitive(best, "score")->valuedouble, best_iou, mi);
        ck_assert_msg(ds <= 0.02, "%s: score %.3f recorded, %.3f now", key, s, s + ds);
        ck_assert_msg(mi >= 0.9, "%s: mask IoU %.3f with the recorded outline", key, mi);
    }
}

START_TEST(demo_gives_the_recorded_answers) {
    cJSON *expected = read_jsonl(EXPECTED);
    ck_assert_int_ge(cJSON_GetArraySize(expected), 4);
    const char *dir = hvtest_tmpdir("demo-regression");
    char list[600], out[600], cmd[2400];
    snprintf(list, sizeof list, "%s/frames.txt", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    FILE *f = fopen(list, "w");
    ck_assert_ptr_nonnull(f);
    const cJSON *e;
    int n_dets = 0;
    cJSON_ArrayForEach(e, expected) {
        fprintf(f, "%s/%s\n", DATA, cJSON_GetObjectItemCaseSensitive(e, "key")->valuestring);
        n_dets += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(e, "detections"));
    }
    fclose(f);
    ck_assert_msg(n_dets > 0, "the recorded frames have no detection: the outlines would go unchecked");
    snprintf(cmd, sizeof cmd, "'%s' run '%s/pipelines/two-stage-demo.yaml' --input '%s' --output '%s' 2>'%s/log'",
             HEMOVK_CLI, HEMOVK_SOURCE_DIR, list, out, dir);
    ck_assert_msg(system(cmd) == 0, "hemovk run failed: see %s/log", dir);
    char res_path[700];
    snprintf(res_path, sizeof res_path, "%s/results.jsonl", out);
    cJSON *got = read_jsonl(res_path);
    ck_assert_int_eq(cJSON_GetArraySize(got), cJSON_GetArraySize(expected));
    cJSON_ArrayForEach(e, expected) {
        const char *key = cJSON_GetObjectItemCaseSensitive(e, "key")->valuestring;
        const cJSON *g = NULL, *x;
        cJSON_ArrayForEach(x, got) {
            const cJSON *p = cJSON_GetObjectItemCaseSensitive(x, "path");
            size_t lp = strlen(p->valuestring), lk = strlen(key);
            if (lp >= lk && !strcmp(p->valuestring + lp - lk, key)) g = x;
        }
        ck_assert_msg(g != NULL, "%s: no result", key);
        const cJSON *gc = cJSON_GetObjectItemCaseSensitive(g, "classification");
        ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(gc, "label")->valuestring,
                         cJSON_GetObjectItemCaseSensitive(e, "label")->valuestring);
        const cJSON *ep = cJSON_GetObjectItemCaseSensitive(e, "probs"), *gp = cJSON_GetObjectItemCaseSensitive(gc, "probs");
        for (int i = 0; i < 2; i++) {
            double d = fabs(cJSON_GetArrayItem(ep, i)->valuedouble - cJSON_GetArrayItem(gp, i)->valuedouble);
            ck_assert_msg(d <= 1e-3, "%s: p[%d] %.6f recorded, %.6f now", key, i, cJSON_GetArrayItem(ep, i)->valuedouble,
                          cJSON_GetArrayItem(gp, i)->valuedouble);
        }
        const cJSON *ed = cJSON_GetObjectItemCaseSensitive(e, "detections"), *gd = cJSON_GetObjectItemCaseSensitive(g, "detections");
        match_all(key, ed, gd, 1, "recorded");
        match_all(key, gd, ed, 0, "new");
    }
    cJSON_Delete(got);
    cJSON_Delete(expected);
}
END_TEST

int main(void) {
    Suite *su = suite_create("train.demo_regression");
    TCase *tc = tcase_create("demo");
    tcase_set_timeout(tc, 500);
    tcase_add_test(tc, demo_gives_the_recorded_answers);
    suite_add_tcase(su, tc);
    return hvtest_run(su);
}
