/* Internal helpers of the metric engine (core/eval/metrics_*.c); not part of the SDK. */
#ifndef HEMOVK_EVAL_METRICS_INTERNAL_H
#define HEMOVK_EVAL_METRICS_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "hemovk/eval_metrics.h"

/* ---- metrics_sort.c ---- */

/** Stable sort of `idx[0..n)` by key[idx[i]] descending: numpy's argsort(-key, kind='mergesort').
 *  Equal keys keep their order in idx, which is what makes score ties reproducible. `tmp` has room for
 *  n entries. Keys must not be NaN (the callers reject them). */
void hvm_sort_desc_stable(size_t *idx, size_t n, const double *key, size_t *tmp);

/* ---- metrics_iou.c ---- */

/** maskApi.c bbIou for one pair of [x, y, w, h] boxes: no +1; against a crowd region the union is the
 *  detection's area. 0 when the boxes do not overlap with positive width and height. */
double hvm_box_iou(const double *dt, const double *gt, int crowd);

/** maskApi.c rleToBbox: the [x, y, w, h] box of a mask, including its quirk that a run of ones that
 *  crosses a column boundary widens the box to the full height. A mask without ones gives 0,0,0,0. */
void hvm_rle_box(const hv_rle *r, double bb[4]);

/** maskApi.c rleIou for one pair: IoU of the boxes `dbb`, `gbb` (from hvm_rle_box) first, and only when
 *  that is > 0 the exact run merge; −1 when the masks differ in size; intersection / detection area
 *  against a crowd region. */
double hvm_rle_iou(const hv_rle *dt, const hv_rle *gt, const double *dbb, const double *gbb, int crowd);

/** Check a mask for use in IoU: counts present, h, w > 0, runs summing to h·w. Returns HV_OK or an
 *  HV_ERR_INVALID_ARGUMENT naming `what` (e.g. "detection 12"). */
hv_status hvm_rle_check(const hv_rle *r, const char *what);

/* ---- metrics_coco_match.c ---- */

/** The matching of COCOeval.evaluateImg for one cell and one IoU threshold.
 *  iou[d·ld + g]: IoU of detection d (score order) and instance g (input order of the cell).
 *  order[0..G): instances with the non-ignored first (stable). ignore[g], crowd[g]: per instance, input
 *  order. gt_taken[0..G): scratch, cleared here. Writes dt_match[d] = matched instance (input order) or −1. */
void hvm_match(const double *iou, size_t ld, size_t D, size_t G, const size_t *order, const uint8_t *ignore,
               const uint8_t *crowd, double thr, uint8_t *gt_taken, int32_t *dt_match);

/* ---- metrics_coco_index.c ---- */

/** Ground truth and detections grouped into COCOeval's (category, image) cells by a counting sort, so
 *  that nothing is quadratic in the number of images. Cell c = k·I + rank of the image id. */
typedef struct hvm_cells {
    size_t K, I, C;
    const int32_t *cat_ids;  /**< [K] ascending (borrowed) */
    size_t *img_of_rank;     /**< [I] index into gt->images of the image with the rank-th smallest id */
    size_t *rank_of_img;     /**< [gt->n_images] the inverse */
    size_t *gt_off, *gt_idx; /**< annotations of cell c: gt_idx[gt_off[c] .. gt_off[c+1]), input order */
    size_t *dt_off, *dt_idx; /**< detections of cell c, likewise */
} hvm_cells;

/** Group `gt` and `res` into cells over the K categories `cat_ids` (ascending, unique). Checks what the
 *  evaluation relies on: unique image ids, detections on known images, finite boxes and areas, no NaN
 *  score, and valid masks on the evaluated annotations (need_gt_masks: segm IoU) and detections
 *  (need_dt_masks: segm IoU or det_area MASK). */
hv_status hvm_cells_build(const hv_eval_gt *gt, const hv_eval_results *res, const int32_t *cat_ids, size_t K,
                          int need_gt_masks, int need_dt_masks, hvm_cells *out);

/** Release the arrays of `c` (NULL-safe). */
void hvm_cells_free(hvm_cells *c);

/** Position of `id` in the ascending array v[0..n), or −1. */
long hvm_find_i32(const int32_t *v, size_t n, int32_t id);

/* ---- metrics_coco_evaluate.c ---- */

/** COCOeval.evaluate over all cells: per cell the score order, the maxDets cut, the IoU matrix and the
 *  matching for every area range and IoU threshold, stored for accumulate; and the per-frame view (the
 *  frames, det_gt, det_iou, gt_det arrays of `r`, which must be allocated). */
typedef struct hvm_evaluated {
    size_t n;         /**< evaluated detections over all cells */
    size_t *cat_off;  /**< [K+1] the detections of category k are [cat_off[k], cat_off[k+1]) */
    double *score;    /**< [n] */
    uint32_t *rank;   /**< [n] */
    uint8_t *state;   /**< [A][T][n] */
    uint64_t *npig;   /**< [K][A] */
} hvm_evaluated;

hv_status hvm_evaluate(const hv_eval_gt *gt, const hv_eval_results *res, hv_coco_iou_type iou_type,
                       const hvm_cells *cells, hv_coco_eval_result *r, hvm_evaluated *ev);

/** Release the arrays of `ev` (NULL-safe). */
void hvm_evaluated_free(hvm_evaluated *ev);

/* ---- metrics_coco_accumulate.c ---- */

/** Outcome of one detection for one (area range, IoU threshold), as accumulate() reads it. */
enum { HVM_FP = 0, HVM_TP = 1, HVM_IGNORED = 2 };

/** The evaluated detections of one category, in image-id order and score order inside each image. */
typedef struct hvm_cat_dets {
    size_t n;               /**< detections (each image's first maxDets[-1]) */
    const double *score;    /**< [n] */
    const uint32_t *rank;   /**< [n] position inside its image's list (for the maxDets cut) */
    const uint8_t *state;   /**< state[(a·T + t)·stride + i]: HVM_FP / HVM_TP / HVM_IGNORED */
    size_t stride;
    const uint64_t *npig;   /**< [A] non-ignored instances over all images */
} hvm_cat_dets;

/** COCOeval.accumulate for category k: fills precision, scores, recall and precision_s of `r` at k.
 *  `params` as evaluated. Scratch is allocated here. */
hv_status hvm_accumulate_cat(hv_coco_eval_result *r, size_t k, const hvm_cat_dets *c);

/* ---- metrics_coco_summary.c ---- */

/** COCOeval.summarize: fills r->stats and r->table2 from the accumulated arrays. */
void hvm_summarize(hv_coco_eval_result *r);

/* ---- metrics_params.c ---- */

/** Check a params block before evaluation (counts within capacity, finite thresholds in [0, 1]). */
hv_status hvm_params_check(const hv_coco_params *p);

#endif
