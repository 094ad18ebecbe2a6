/* Helpers of the metric-engine tests: build a ground truth and a result set in memory, one call per
 * image, annotation or detection, so a fixture reads like the table in its comment. Not a test itself
 * (Tests.cmake builds tests/<group>/test_*.c only). */
#ifndef TEST_METRICS_UTIL_H
#define TEST_METRICS_UTIL_H

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/eval_metrics.h"
#include "hvtest.h"

/** A ground truth and results under construction; arrays grow as entries are added. */
typedef struct fx {
    hv_eval_gt gt;
    hv_eval_results res;
    size_t cap_img, cap_ann, cap_det, cap_cls;
} fx;

static void *fx_grow(void *p, size_t *cap, size_t n, size_t size) {
    if (n < *cap) return p;
    *cap = *cap ? *cap * 2 : 16;
    void *q = realloc(p, *cap * size);
    ck_assert_ptr_nonnull(q);
    return q;
}

/** A fixture with `n_images` images (ids 1..n, 224×224, label −1) and one category, id 1 "bleeding";
 *  classes {"bleeding", "non-bleeding"}. */
static inline void fx_init(fx *f, size_t n_images) {
    memset(f, 0, sizeof *f);
    for (size_t i = 0; i < n_images; ++i) {
        f->gt.images = fx_grow(f->gt.images, &f->cap_img, f->gt.n_images, sizeof *f->gt.images);
        f->gt.images[f->gt.n_images++] = (hv_eval_image){.id = (int64_t)i + 1, .width = 224, .height = 224, .label = -1};
    }
    f->gt.n_categories = 1;
    f->gt.category_ids = malloc(sizeof(int32_t));
    ck_assert_ptr_nonnull(f->gt.category_ids);
    f->gt.category_ids[0] = 1;
    f->gt.n_classes = 2;
    f->gt.class_names = malloc(2 * sizeof(char *));
    ck_assert_ptr_nonnull(f->gt.class_names);
    f->gt.class_names[0] = (char *)"bleeding";
    f->gt.class_names[1] = (char *)"non-bleeding";
}

/** Add a ground-truth box (id = running count from 1) with an explicit COCO area; returns its index. */
static inline size_t fx_gt(fx *f, int64_t image, double x, double y, double w, double h, double area, int crowd) {
    f->gt.anns = fx_grow(f->gt.anns, &f->cap_ann, f->gt.n_anns, sizeof *f->gt.anns);
    const size_t i = f->gt.n_anns++;
    f->gt.anns[i] = (hv_eval_ann){.id = (int64_t)i + 1, .image_id = image, .category_id = 1, .bbox = {x, y, w, h},
                                  .area = area, .iscrowd = crowd};
    return i;
}

/** Add a detection box; returns its index. */
static inline size_t fx_det(fx *f, int64_t image, double x, double y, double w, double h, double score) {
    f->res.dets = fx_grow(f->res.dets, &f->cap_det, f->res.n_dets, sizeof *f->res.dets);
    const size_t i = f->res.n_dets++;
    f->res.dets[i] = (hv_eval_det){.image_id = image, .category_id = 1, .bbox = {x, y, w, h}, .score = score};
    return i;
}

/** Add a classification result (probs copied when not NULL, n_classes entries). */
static inline void fx_cls(fx *f, int64_t image, int32_t predicted, const double *probs) {
    f->res.cls = fx_grow(f->res.cls, &f->cap_cls, f->res.n_cls, sizeof *f->res.cls);
    hv_eval_cls *c = &f->res.cls[f->res.n_cls++];
    c->image_id = image;
    c->predicted = predicted;
    c->probs = NULL;
    if (probs) {
        c->probs = malloc(f->gt.n_classes * sizeof *c->probs);
        ck_assert_ptr_nonnull(c->probs);
        memcpy(c->probs, probs, f->gt.n_classes * sizeof *c->probs);
    }
}

/** Mask of a rectangle [x0, x0+w) × [y0, y0+h) in an ih×iw image, as an hv_rle (column-major runs). */
static inline hv_rle fx_rect_rle(uint32_t ih, uint32_t iw, uint32_t x0, uint32_t y0, uint32_t w, uint32_t h) {
    uint8_t *m = calloc((size_t)ih * iw, 1);
    ck_assert_ptr_nonnull(m);
    for (uint32_t y = y0; y < y0 + h && y < ih; ++y)
        for (uint32_t x = x0; x < x0 + w && x < iw; ++x) m[(size_t)y * iw + x] = 1;
    hv_rle r;
    ck_assert_int_eq(hv_rle_encode(m, ih, iw, &r), HV_OK);
    free(m);
    return r;
}

/** Release everything a fixture owns (not hv_eval_gt_free: the fixture owns its arrays its own way). */
static inline void fx_free(fx *f) {
    for (size_t i = 0; i < f->gt.n_anns; ++i) hv_rle_free(&f->gt.anns[i].segm);
    for (size_t i = 0; i < f->res.n_dets; ++i) hv_rle_free(&f->res.dets[i].segm);
    for (size_t i = 0; i < f->res.n_cls; ++i) free(f->res.cls[i].probs);
    free(f->gt.images);
    free(f->gt.anns);
    free(f->gt.category_ids);
    free(f->gt.class_names);
    free(f->res.dets);
    free(f->res.cls);
    memset(f, 0, sizeof *f);
}

/** Evaluate with the default params; fails the test on error. */
static inline hv_coco_eval_result *fx_eval(const fx *f, hv_coco_iou_type type) {
    hv_coco_eval_result *r = NULL;
    const hv_status st = hv_coco_eval(&f->gt, &f->res, type, NULL, &r);
    ck_assert_msg(st == HV_OK, "hv_coco_eval: %s", hv_last_error());
    return r;
}

/** Assert the 12 COCO stats against `want` to 1e-12 (the ε in TP/(TP+FP+ε) is 2.2e-16). */
static inline void fx_expect_stats(const hv_coco_eval_result *r, const double *want, const char *tag) {
    for (int i = 0; i < HV_COCO_N_STATS; ++i)
        ck_assert_msg(fabs(r->stats[i] - want[i]) <= 1e-12, "%s: stats[%d] (%s) = %.15g, expected %.15g", tag, i,
                      hv_coco_stat_name((size_t)i), r->stats[i], want[i]);
}

/** Assert the 19 Table 2 entries. */
static inline void fx_expect_table2(const hv_coco_eval_result *r, const double *want, const char *tag) {
    for (int i = 0; i < HV_COCO_N_TABLE2; ++i)
        ck_assert_msg(fabs(r->table2[i] - want[i]) <= 1e-12, "%s: table2[%d] (%s) = %.15g, expected %.15g", tag, i,
                      hv_coco_table2_name((size_t)i), r->table2[i], want[i]);
}

#endif
