/* CTEST_PROPERTIES SKIP_RETURN_CODE 77 */
/* hv_coco_eval against an independent COCOeval (tools/eval_ref/cocoeval_ref.py, plain numpy, no shared
 * code) on a fixture built from real WCEBleedGen masks: 240 bleeding frames split into 8-connected
 * instances (some crowd), perturbed / dropped / duplicated detections, false alarms, a frame over the
 * maxDets cut, scores with many ties, shuffled result order (tools/eval_ref/make_coco_fixture.py).
 * Asserts, for bbox, segm and segm with mask-area detections: the 12 COCO stats and the 19 Table 2
 * entries to 1e-6, the matching at IoU .5 detection by detection, and the localisation rate; and the
 * default thresholds bit for bit against numpy.linspace. Skips (exit 77) when the generator cannot run
 * (numpy / PIL / scipy missing, or no dataset). */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <sys/wait.h>

#include "test_metrics_util.h"

static fx g_fx;
static cJSON *g_expected;

static cJSON *read_json(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    const long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        free(buf);
        return NULL;
    }
    buf[n] = 0;
    fclose(f);
    cJSON *j = cJSON_Parse(buf);
    free(buf);
    return j;
}

static double num(const cJSON *o, const char *key) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(v)) {
        fprintf(stderr, "fixture: field %s missing\n", key);
        exit(1);
    }
    return v->valuedouble;
}

static void bbox_of(const cJSON *o, double *b) {
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "bbox");
    for (int i = 0; i < 4; ++i) b[i] = cJSON_GetArrayItem(a, i)->valuedouble;
}

static hv_rle rle_of(const cJSON *o) {
    hv_rle r = {.h = (uint32_t)num(o, "h"), .w = (uint32_t)num(o, "w")};
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "counts");
    r.n = (size_t)cJSON_GetArraySize(c);
    r.counts = malloc(r.n * sizeof *r.counts);
    if (!r.counts) exit(1);
    size_t i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, c) r.counts[i++] = (uint32_t)v->valuedouble;
    return r;
}

/* The fixture's gt.json / dets.json into g_fx (images keep the file's order). */
static int load_fixture(const char *dir) {
    char path[4096];
    snprintf(path, sizeof path, "%s/gt.json", dir);
    cJSON *gt = read_json(path);
    snprintf(path, sizeof path, "%s/dets.json", dir);
    cJSON *dt = read_json(path);
    snprintf(path, sizeof path, "%s/expected.json", dir);
    g_expected = read_json(path);
    if (!gt || !dt || !g_expected) return 0;
    memset(&g_fx, 0, sizeof g_fx);
    fx_init(&g_fx, 0);
    const cJSON *o;
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(gt, "images")) {
        g_fx.gt.images = fx_grow(g_fx.gt.images, &g_fx.cap_img, g_fx.gt.n_images, sizeof *g_fx.gt.images);
        g_fx.gt.images[g_fx.gt.n_images++] = (hv_eval_image){.id = (int64_t)num(o, "id"), .width = (int32_t)num(o, "width"),
                                                             .height = (int32_t)num(o, "height"), .label = -1};
    }
    cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(gt, "annotations")) {
        double b[4];
        bbox_of(o, b);
        const size_t i = fx_gt(&g_fx, (int64_t)num(o, "image_id"), b[0], b[1], b[2], b[3], num(o, "area"), (int)num(o, "iscrowd"));
        g_fx.gt.anns[i].id = (int64_t)num(o, "id");
        g_fx.gt.anns[i].category_id = (int32_t)num(o, "category_id");
        g_fx.gt.anns[i].segm = rle_of(o);
    }
    cJSON_ArrayForEach(o, dt) {
        double b[4];
        bbox_of(o, b);
        const size_t i = fx_det(&g_fx, (int64_t)num(o, "image_id"), b[0], b[1], b[2], b[3], num(o, "score"));
        g_fx.res.dets[i].category_id = (int32_t)num(o, "category_id");
        g_fx.res.dets[i].segm = rle_of(o);
    }
    cJSON_Delete(gt);
    cJSON_Delete(dt);
    return 1;
}

/* Check's assertions only work inside a test, so the fixture is read in a checked fixture (per test,
 * in the test's process). */
static char g_dir[2048];

static void setup(void) { ck_assert_msg(load_fixture(g_dir), "cannot read the fixture in %s", g_dir); }

static void teardown(void) {
    fx_free(&g_fx);
    cJSON_Delete(g_expected);
    g_expected = NULL;
}

/* One evaluation against the reference's numbers under expected[name]. */
static void check_against(const char *name, hv_coco_iou_type type, hv_coco_det_area area) {
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(g_expected, name);
    ck_assert_ptr_nonnull(want);
    hv_coco_params p;
    hv_coco_params_default(&p);
    p.det_area = area;
    hv_coco_eval_result *r;
    ck_assert_msg(hv_coco_eval(&g_fx.gt, &g_fx.res, type, &p, &r) == HV_OK, "%s", hv_last_error());
    double worst = 0;
    const cJSON *stats = cJSON_GetObjectItemCaseSensitive(want, "stats"), *t2 = cJSON_GetObjectItemCaseSensitive(want, "table2");
    ck_assert_int_eq(cJSON_GetArraySize(stats), HV_COCO_N_STATS);
    ck_assert_int_eq(cJSON_GetArraySize(t2), HV_COCO_N_TABLE2);
    for (int i = 0; i < HV_COCO_N_STATS; ++i) {
        const double w = cJSON_GetArrayItem(stats, i)->valuedouble, d = fabs(r->stats[i] - w);
        if (d > worst) worst = d;
        ck_assert_msg(d <= 1e-6, "%s stats[%d] (%s): hemovk %.12f, reference %.12f", name, i, hv_coco_stat_name((size_t)i),
                      r->stats[i], w);
    }
    for (int i = 0; i < HV_COCO_N_TABLE2; ++i) {
        const double w = cJSON_GetArrayItem(t2, i)->valuedouble, d = fabs(r->table2[i] - w);
        if (d > worst) worst = d;
        ck_assert_msg(d <= 1e-6, "%s table2[%d] (%s): hemovk %.12f, reference %.12f", name, i,
                      hv_coco_table2_name((size_t)i), r->table2[i], w);
    }
    /* the matching itself, detection by detection, at IoU .5 over all areas */
    const cJSON *m50 = cJSON_GetObjectItemCaseSensitive(want, "match50");
    ck_assert_int_eq(cJSON_GetArraySize(m50), (int)g_fx.res.n_dets);
    size_t i = 0, matched = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, m50) {
        ck_assert_msg(r->det_gt[i] == (int64_t)v->valuedouble, "%s: detection %zu matched %lld, reference %lld", name, i,
                      (long long)r->det_gt[i], (long long)v->valuedouble);
        matched += r->det_gt[i] >= 0;
        ++i;
    }
    printf("%s: AP %.6f AP50 %.6f AR100 %.6f, Table 2 AP@100 %.6f; %zu of %zu detections matched at .5; max |diff| %.3g\n",
           name, r->stats[0], r->stats[1], r->stats[8], r->table2[14], matched, g_fx.res.n_dets, worst);
    hv_coco_eval_result_free(r);
}

START_TEST(bbox) { check_against("bbox", HV_COCO_BBOX, HV_COCO_DET_AREA_BOX); }
END_TEST

START_TEST(segm) { check_against("segm", HV_COCO_SEGM, HV_COCO_DET_AREA_BOX); }
END_TEST

START_TEST(segm_mask_area) { check_against("segm_mask_area", HV_COCO_SEGM, HV_COCO_DET_AREA_MASK); }
END_TEST

START_TEST(loc_rate) {
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(g_expected, "loc_rate");
    hv_eval_loc_rate lr;
    ck_assert_int_eq(hv_eval_localisation_rate(&g_fx.gt, &g_fx.res, .5, -INFINITY, &lr, NULL), HV_OK);
    ck_assert_uint_eq(lr.n_images, (size_t)num(want, "n_images"));
    ck_assert_uint_eq(lr.n_localised, (size_t)num(want, "n_localised"));
    printf("localisation rate: %zu / %zu = %.4f\n", lr.n_localised, lr.n_images, lr.rate);
}
END_TEST

/* hv_coco_params_default computes the thresholds as numpy.linspace: bit-identical, or IoU and recall
 * comparisons could tie differently. */
START_TEST(params_linspace) {
    hv_coco_params p;
    hv_coco_params_default(&p);
    const cJSON *iou = cJSON_GetObjectItemCaseSensitive(g_expected, "iou_thrs"), *rec = cJSON_GetObjectItemCaseSensitive(g_expected, "rec_thrs");
    ck_assert_int_eq(cJSON_GetArraySize(iou), (int)p.n_iou_thrs);
    ck_assert_int_eq(cJSON_GetArraySize(rec), (int)p.n_rec_thrs);
    for (size_t i = 0; i < p.n_iou_thrs; ++i)
        ck_assert_msg(p.iou_thrs[i] == cJSON_GetArrayItem(iou, (int)i)->valuedouble, "iou_thrs[%zu] %.17g", i, p.iou_thrs[i]);
    for (size_t i = 0; i < p.n_rec_thrs; ++i)
        ck_assert_msg(p.rec_thrs[i] == cJSON_GetArrayItem(rec, (int)i)->valuedouble, "rec_thrs[%zu] %.17g", i, p.rec_thrs[i]);
}
END_TEST

int main(void) {
    const char *dir = hvtest_tmpdir("metrics_coco_ref");
    if (!dir) return 1;
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "'%s' '%s/tools/eval_ref/make_coco_fixture.py' '%s' --data '%s/data/wcebleedgen/WCEBleedGen'",
             HEMOVK_PYTHON, HEMOVK_SOURCE_DIR, dir, HEMOVK_SHARED_DIR);
    const int rc = system(cmd);
    if (WIFEXITED(rc) && WEXITSTATUS(rc) == 3) {
        printf("SKIP eval.metrics_coco_ref: the fixture generator cannot run here (see its message above)\n");
        return 77;
    }
    if (rc != 0) {
        fprintf(stderr, "fixture generator failed (rc %d): %s\n", rc, cmd);
        return 1;
    }
    snprintf(g_dir, sizeof g_dir, "%s", dir);
    Suite *s = suite_create("eval.metrics_coco_ref");
    TCase *tc = tcase_create("reference");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, bbox);
    tcase_add_test(tc, segm);
    tcase_add_test(tc, segm_mask_area);
    tcase_add_test(tc, loc_rate);
    tcase_add_test(tc, params_linspace);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
