/* hv_coco_eval: COCOeval's evaluate → accumulate → summarize over the cells of metrics_coco_index.c,
 * plus the result object and its accessors. */
#include <stdlib.h>
#include <string.h>

#include "eval/metrics_internal.h"

void hv_coco_eval_result_free(hv_coco_eval_result *r) {
    if (!r) return;
    free(r->cat_ids);
    free(r->precision);
    free(r->scores);
    free(r->recall);
    free(r->precision_s);
    free(r->frames);
    free(r->det_gt);
    free(r->det_iou);
    free(r->gt_det);
    free(r);
}

static int cmp_u32(const void *a, const void *b) {
    const uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static int cmp_i32(const void *a, const void *b) {
    const int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

/* p.catIds = np.unique(catIds): ascending, duplicates dropped. */
static size_t unique_cats(const hv_eval_gt *gt, int32_t *out) {
    memcpy(out, gt->category_ids, gt->n_categories * sizeof *out);
    qsort(out, gt->n_categories, sizeof *out, cmp_i32);
    size_t K = 0;
    for (size_t i = 0; i < gt->n_categories; ++i)
        if (K == 0 || out[K - 1] != out[i]) out[K++] = out[i];
    return K;
}

static hv_status alloc_result(hv_coco_eval_result *r, const hv_eval_gt *gt, const hv_eval_results *res) {
    const size_t trkam = r->T * r->R * r->K * r->A * r->M, tkam = r->T * r->K * r->A * r->M;
    r->precision = malloc((trkam ? trkam : 1) * sizeof *r->precision);
    r->scores = malloc((trkam ? trkam : 1) * sizeof *r->scores);
    r->recall = malloc((tkam ? tkam : 1) * sizeof *r->recall);
    r->precision_s = malloc((tkam ? tkam : 1) * sizeof *r->precision_s);
    r->frames = calloc(gt->n_images + 1, sizeof *r->frames);
    r->det_gt = malloc((res->n_dets + 1) * sizeof *r->det_gt);
    r->det_iou = malloc((res->n_dets + 1) * sizeof *r->det_iou);
    r->gt_det = malloc((gt->n_anns + 1) * sizeof *r->gt_det);
    if (!r->precision || !r->scores || !r->recall || !r->precision_s || !r->frames || !r->det_gt || !r->det_iou ||
        !r->gt_det)
        return hv_error(HV_ERR_OUT_OF_MEMORY, "COCO eval: out of memory for the result arrays");
    /* −1: settings without non-ignored ground truth (np.ones · −1 in accumulate) */
    for (size_t i = 0; i < trkam; ++i) r->precision[i] = r->scores[i] = -1;
    for (size_t i = 0; i < tkam; ++i) r->recall[i] = r->precision_s[i] = -1;
    r->n_frames = gt->n_images;
    for (size_t i = 0; i < gt->n_images; ++i) {
        r->frames[i].image_id = gt->images[i].id;
        r->frames[i].best_iou = -1;
    }
    r->n_dets = res->n_dets;
    r->n_anns = gt->n_anns;
    for (size_t j = 0; j < res->n_dets; ++j) {
        r->det_gt[j] = -2;
        r->det_iou[j] = -1;
    }
    for (size_t j = 0; j < gt->n_anns; ++j) r->gt_det[j] = -2;
    return HV_OK;
}

static int arrays_ok(const void *p, size_t n) { return n == 0 || p != NULL; }

hv_status hv_coco_eval(const hv_eval_gt *gt, const hv_eval_results *res, hv_coco_iou_type iou_type,
                       const hv_coco_params *params, hv_coco_eval_result **out) {
    if (!out) return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO eval: NULL output pointer");
    *out = NULL;
    if (!gt || !res) return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO eval: NULL ground truth or results");
    if (!arrays_ok(gt->images, gt->n_images) || !arrays_ok(gt->anns, gt->n_anns) ||
        !arrays_ok(gt->category_ids, gt->n_categories) || !arrays_ok(res->dets, res->n_dets))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO eval: an array is NULL but its count is not 0");
    if (iou_type != HV_COCO_BBOX && iou_type != HV_COCO_SEGM)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "COCO eval: iou_type %d is neither BBOX (0) nor SEGM (1)", (int)iou_type);
    hv_coco_eval_result *r = calloc(1, sizeof *r);
    if (!r) return hv_error(HV_ERR_OUT_OF_MEMORY, "COCO eval: out of memory");
    if (params)
        r->params = *params;
    else
        hv_coco_params_default(&r->params);
    hv_status st = hvm_params_check(&r->params);
    if (st) {
        free(r);
        return st;
    }
    qsort(r->params.max_dets, r->params.n_max_dets, sizeof r->params.max_dets[0], cmp_u32); /* evaluate() sorts */
    r->iou_type = iou_type;
    r->T = r->params.n_iou_thrs;
    r->R = r->params.n_rec_thrs;
    r->A = r->params.n_area_rng;
    r->M = r->params.n_max_dets;
    r->cat_ids = malloc((gt->n_categories + 1) * sizeof *r->cat_ids);
    if (!r->cat_ids) {
        free(r);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "COCO eval: out of memory");
    }
    r->K = unique_cats(gt, r->cat_ids);
    hvm_cells cells;
    hvm_evaluated ev = {0};
    if ((st = alloc_result(r, gt, res))) goto fail;
    const int segm = iou_type == HV_COCO_SEGM;
    if ((st = hvm_cells_build(gt, res, r->cat_ids, r->K, segm, segm || r->params.det_area == HV_COCO_DET_AREA_MASK,
                              &cells)))
        goto fail;
    st = hvm_evaluate(gt, res, iou_type, &cells, r, &ev);
    hvm_cells_free(&cells);
    if (st) goto fail;
    for (size_t k = 0; k < r->K; ++k) {
        const size_t off = ev.cat_off[k];
        const hvm_cat_dets c = {.n = ev.cat_off[k + 1] - off,
                                .score = ev.score + off,
                                .rank = ev.rank + off,
                                .state = ev.state + off,
                                .stride = ev.n,
                                .npig = ev.npig + k * r->A};
        if ((st = hvm_accumulate_cat(r, k, &c))) goto fail;
    }
    hvm_evaluated_free(&ev);
    hvm_summarize(r);
    *out = r;
    return HV_OK;
fail:
    hvm_evaluated_free(&ev);
    hv_coco_eval_result_free(r);
    return st;
}

double hv_coco_precision_at(const hv_coco_eval_result *r, size_t t, size_t ri, size_t k, size_t a, size_t m) {
    if (!r || t >= r->T || ri >= r->R || k >= r->K || a >= r->A || m >= r->M) return -2;
    return r->precision[(((t * r->R + ri) * r->K + k) * r->A + a) * r->M + m];
}

double hv_coco_recall_at(const hv_coco_eval_result *r, size_t t, size_t k, size_t a, size_t m) {
    if (!r || t >= r->T || k >= r->K || a >= r->A || m >= r->M) return -2;
    return r->recall[((t * r->K + k) * r->A + a) * r->M + m];
}

double hv_coco_precision_s_at(const hv_coco_eval_result *r, size_t t, size_t k, size_t a, size_t m) {
    if (!r || t >= r->T || k >= r->K || a >= r->A || m >= r->M) return -2;
    return r->precision_s[((t * r->K + k) * r->A + a) * r->M + m];
}
