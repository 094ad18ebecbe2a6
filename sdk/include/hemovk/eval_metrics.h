/* hemovk/eval_metrics.h — the metric engine of hemovk/eval.h: COCOeval, the paper's Table 2 variant,
 * a frame-level localisation rate and classification metrics, computed on an hv_eval_gt and an
 * hv_eval_results.
 *
 * Why a re-implementation: the paper's numbers come from pycocotools' COCOeval (MODEL_SPEC §9.2) and
 * mmpretrain's SingleLabelMetric (§9.1). hemovk must reproduce them without Python, so every rule here
 * follows those programs exactly, including their quirks, and each quirk is named where it matters.
 * The tests hold the engine to an independent Python reference (tools/eval_ref/cocoeval_ref.py) to 1e-6
 * on real WCEBleedGen masks and to scikit-learn to 1e-9.
 *
 * COCOeval in brief (pycocotools/cocoeval.py, maskApi.c), as implemented here:
 *   - evaluation runs per (image, category) "cell" over every ground-truth image (sorted by id) and
 *     every category of the ground truth (sorted, duplicates dropped); useCats = 1, so a detection only
 *     meets ground truth of its own category. Annotations of other images or categories are not
 *     evaluated; detections of unknown categories are skipped; a detection on an image that is not in
 *     the ground truth is an error (loadRes asserts the same);
 *   - in a cell, detections are ordered by score, highest first, with a stable sort (ties keep their
 *     order in the result set), and cut to the largest maxDets;
 *   - IoU: boxes without the +1 pixel convention; masks by run-length merge; against a crowd region
 *     (iscrowd) the IoU is intersection / detection area, and a crowd region may absorb any number of
 *     detections. Masks of different sizes have IoU −1 (never a match);
 *   - per area range, a ground-truth instance is ignored when it is a crowd region or its `area` lies
 *     outside [lo, hi] (both ends inclusive: an area of exactly 32² is both small and medium);
 *     non-ignored instances are tried first; each detection, in score order, takes the unmatched
 *     instance of highest IoU ≥ the threshold (on ties the later instance in that order wins), and
 *     stops at the ignored ones once it holds a regular match. A detection matched to an ignored
 *     instance is ignored, and so is an unmatched detection whose area lies outside the range;
 *   - accumulate: per category, area range and maxDets, the detections of all images (each image's
 *     first maxDets) are merged in image-id order and stable-sorted by score; precision is the running
 *     TP/(TP+FP+ε) made monotone from the right, sampled at the first rank whose recall reaches each
 *     recall threshold (numpy searchsorted, side='left'), 0 beyond the last rank; recall is the final
 *     TP / number of non-ignored instances. A setting without non-ignored instances stays −1;
 *   - summarize: the mean of the selected entries that are > −1, or −1 when there are none.
 *
 * Quirk kept on purpose: pycocotools stores a match as the matched annotation's id and tests it for
 * truth, so a ground-truth annotation with id 0 counts as "unmatched" in accumulate. Give annotations
 * ids from 1 (COCO files do) to avoid it.
 *
 * Objects are created by one function and freed by its *_free twin (NULL-safe). Every function checks
 * its arguments and returns an hv_status with a message (hv_last_error()); bad input never aborts. */
#ifndef HEMOVK_EVAL_METRICS_H
#define HEMOVK_EVAL_METRICS_H

#include "hemovk/export.h"

#include <stddef.h>
#include <stdint.h>

#include "hemovk/eval.h"
#include "hemovk/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== COCOeval ======================================================================================= */

/** What the IoU of a detection and a ground-truth instance is computed on. */
typedef enum hv_coco_iou_type {
    HV_COCO_BBOX = 0, /**< boxes ([x, y, w, h]) */
    HV_COCO_SEGM = 1  /**< masks (hv_rle); every evaluated annotation and detection needs one */
} hv_coco_iou_type;

/** Which `area` a detection has for the area ranges. pycocotools' loadRes decides it from the result
 *  file: when the results carry a "bbox" (mmdet's *.bbox.json and *.segm.json both do, and so do hemovk's
 *  results), area = w·h of the box, even for segm evaluation; only a file with "segmentation" and no
 *  "bbox" gets the mask's pixel count. The data contract cannot tell which file a result came from, so
 *  the reader (or the caller) says it here. */
typedef enum hv_coco_det_area {
    HV_COCO_DET_AREA_BOX = 0, /**< w·h of the detection's box (the default; loadRes with "bbox") */
    HV_COCO_DET_AREA_MASK = 1 /**< pixel count of the detection's mask (loadRes without "bbox") */
} hv_coco_det_area;

#define HV_COCO_MAX_IOU_THRS 64   /**< capacity of hv_coco_params.iou_thrs */
#define HV_COCO_MAX_REC_THRS 1001 /**< capacity of hv_coco_params.rec_thrs */
#define HV_COCO_MAX_MAX_DETS 8    /**< capacity of hv_coco_params.max_dets */
#define HV_COCO_MAX_AREA_RNGS 8   /**< capacity of hv_coco_params.area_rng */
#define HV_COCO_AREA_LABEL_CAP 16 /**< bytes of one area label, terminator included */

/** COCOeval's Params, held by value so a caller can copy and edit it without managing memory. Fill it
 *  with hv_coco_params_default() and change what differs. The summary statistics look settings up the
 *  way summarize() does: IoU .50 and .75 by exact equality with iou_thrs, area ranges by label ("all",
 *  "small", "medium", "large"), maxDets by value (stats[0] always asks for maxDets = 100, the others for
 *  max_dets[0], [1], [2] after sorting); a setting that is not there gives −1. */
typedef struct hv_coco_params {
    double iou_thrs[HV_COCO_MAX_IOU_THRS]; /**< default .50:.05:.95 as numpy linspace computes them */
    size_t n_iou_thrs;
    double rec_thrs[HV_COCO_MAX_REC_THRS]; /**< default 0:.01:1 (101 points), numpy linspace */
    size_t n_rec_thrs;
    uint32_t max_dets[HV_COCO_MAX_MAX_DETS]; /**< default {1, 10, 100}; sorted ascending by the evaluation */
    size_t n_max_dets;
    double area_rng[HV_COCO_MAX_AREA_RNGS][2]; /**< [lo, hi] in pixels², both inclusive */
    char area_lbl[HV_COCO_MAX_AREA_RNGS][HV_COCO_AREA_LABEL_CAP];
    size_t n_area_rng; /**< default all [0, 1e10], small [0, 32²], medium [32², 96²], large [96², 1e10] */
    hv_coco_det_area det_area; /**< default HV_COCO_DET_AREA_BOX (see hv_coco_det_area) */
    /* The per-frame summary (hv_coco_frame), not part of COCOeval: */
    double frame_iou_thr;   /**< IoU a detection needs to count as a hit; default 0.5 */
    double frame_score_thr; /**< a miss only counts as a false alarm from this score on; default 0 (all) */
} hv_coco_params;

/** Fill `p` with COCOeval's detection defaults (Params.setDetParams) and the frame-summary defaults.
 *  The thresholds are computed as numpy.linspace does (start + i·step, the last one set to stop), so
 *  that IoU and recall comparisons tie exactly where pycocotools' do. NULL is ignored. */
HV_API void hv_coco_params_default(hv_coco_params *p);

/** Number of entries of hv_coco_eval_result.stats (COCOeval.stats for bbox/segm). */
#define HV_COCO_N_STATS 12
/** Number of entries of hv_coco_eval_result.table2 (MODEL_SPEC §9.2's `stats`). */
#define HV_COCO_N_TABLE2 19

/** One ground-truth image after evaluation, for listing missed bleeding and false alarms per frame.
 *  Counts are over the evaluated categories. The matching is COCOeval's greedy matching at
 *  params.frame_iou_thr with no area range (crowd regions are still ignored) and the largest maxDets. */
typedef struct hv_coco_frame {
    int64_t image_id;
    uint32_t n_gt;      /**< ground-truth instances, crowd regions excluded */
    uint32_t n_crowd;   /**< crowd regions */
    uint32_t n_dets;    /**< detections (all scores, before the maxDets cut) */
    uint32_t n_matched; /**< instances (not crowd) matched by a detection */
    uint32_t n_missed;  /**< n_gt − n_matched */
    uint32_t n_false;   /**< evaluated detections with score ≥ frame_score_thr that match nothing
                             (a detection absorbed by a crowd region is not a false alarm) */
    double best_iou;    /**< highest IoU of any detection with any instance or crowd region of its
                             category; −1 when the frame has no detection or no ground truth */
} hv_coco_frame;

/** Everything one evaluation produced. Arrays are C-ordered like pycocotools' numpy arrays; read them
 *  with the accessors below or index them as documented. Free with hv_coco_eval_result_free(). */
typedef struct hv_coco_eval_result {
    hv_coco_iou_type iou_type;
    hv_coco_params params; /**< as evaluated (max_dets sorted ascending) */
    /** COCOeval.stats: AP, AP50, AP75, APs, APm, APl, AR1, AR10, AR100, ARs, ARm, ARl (−1: undefined). */
    double stats[HV_COCO_N_STATS];
    /** MODEL_SPEC §9.2's layout: [0–5] as stats; [6] recall at IoU .50 with maxDets 10; [7] AR10;
     *  [8] AR100; [9–11] ARs/m/l; [12–14] mean precision_s over IoU .50:.95 at maxDets 1/10/100;
     *  [15, 16] precision_s at IoU .50, maxDets 1/10; [17, 18] at IoU .75, maxDets 1/10. */
    double table2[HV_COCO_N_TABLE2];
    size_t T, R, K, A, M; /**< IoU thresholds, recall thresholds, categories, area ranges, maxDets */
    int32_t *cat_ids;     /**< K category ids, ascending: the k axis */
    double *precision;    /**< [T][R][K][A][M] interpolated precision; −1 where no non-ignored GT */
    double *scores;       /**< [T][R][K][A][M] score at which each precision sample was taken */
    double *recall;       /**< [T][K][A][M] */
    double *precision_s;  /**< [T][K][A][M] TP/(TP+FP+ε) at the end of the ranked list (§9.2); 0 with
                               no detections, −1 where no non-ignored GT */
    /* Per-frame view (frame_iou_thr, frame_score_thr), aligned with the inputs: */
    hv_coco_frame *frames; /**< one per hv_eval_gt.images entry, same order */
    size_t n_frames;
    int64_t *det_gt;  /**< per hv_eval_results.dets entry: index into hv_eval_gt.anns of the instance or
                           crowd region it matched; −1 no match (a false alarm at any score); −2 not
                           evaluated (unknown category, or past the largest maxDets in its image) */
    double *det_iou;  /**< per detection: IoU with the matched annotation, else the best IoU with any
                           annotation of its cell (0 when none); −1 when not evaluated */
    int64_t *gt_det;  /**< per hv_eval_gt.anns entry: index into hv_eval_results.dets of the detection
                           that matched it (for a crowd region the highest-scoring one), −1 missed, −2
                           not evaluated (its image or category is not in the ground truth's lists) */
    size_t n_dets, n_anns;
} hv_coco_eval_result;

/** Run COCOeval (evaluate, accumulate, summarize) of `res` against `gt` with `params` (NULL: the
 *  defaults), plus the Table 2 variant and the per-frame view. Runs in O(n log n) over detections and
 *  instances: cells are formed by a counting sort, so 50,000 frames take well under a second for boxes.
 *  Fails with HV_ERR_INVALID_ARGUMENT (and a message naming the first offending entry) on: NULL
 *  arguments, out-of-range params, duplicate image ids, a NaN score or non-finite box, a detection on an
 *  image that is not in the ground truth, and for HV_COCO_SEGM (or det_area MASK) a missing or
 *  inconsistent mask (runs not summing to h·w, zero size). *out is NULL on failure. */
HV_API hv_status hv_coco_eval(const hv_eval_gt *gt, const hv_eval_results *res, hv_coco_iou_type iou_type,
                       const hv_coco_params *params, hv_coco_eval_result **out);

/** Release a result (NULL-safe). */
HV_API void hv_coco_eval_result_free(hv_coco_eval_result *r);

/** precision[t][r][k][a][m], or −2 when an index is out of range (−1 already means "undefined"). */
HV_API double hv_coco_precision_at(const hv_coco_eval_result *r, size_t t, size_t ri, size_t k, size_t a, size_t m);

/** recall[t][k][a][m], or −2 when an index is out of range. */
HV_API double hv_coco_recall_at(const hv_coco_eval_result *r, size_t t, size_t k, size_t a, size_t m);

/** precision_s[t][k][a][m], or −2 when an index is out of range. */
HV_API double hv_coco_precision_s_at(const hv_coco_eval_result *r, size_t t, size_t k, size_t a, size_t m);

/** Short stable name of stats[i] for reports: "AP", "AP50", "AP75", "APs", "APm", "APl", "AR1",
 *  "AR10", "AR100", "ARs", "ARm", "ARl"; NULL when i is out of range. */
HV_API const char *hv_coco_stat_name(size_t i);

/** Short stable name of table2[i]: "mAP", "mAP50", "mAP75", "mAPs", "mAPm", "mAPl", "AR50@10", "AR@10",
 *  "AR@100", "ARs@100", "ARm@100", "ARl@100", "AP@1", "AP@10", "AP@100", "AP50@1", "AP50@10",
 *  "AP75@1", "AP75@10" (AP here is §9.2's final precision); NULL when out of range. */
HV_API const char *hv_coco_table2_name(size_t i);

/* ==== frame-level localisation rate ================================================================== */

/** How often the detector finds bleeding somewhere in a frame that has some: the fraction of ground-truth
 *  images holding at least one instance (crowd regions do not count) in which at least one detection
 *  (score ≥ score_thr) has a box IoU ≥ iou_thr (pycocotools' bbIou, no +1) with an instance of the same
 *  category. Coarser than AP and closer to how a reviewer uses the output: "did it point at the bleed". */
typedef struct hv_eval_loc_rate {
    size_t n_images;    /**< ground-truth images with ≥ 1 instance */
    size_t n_localised; /**< of those, images with a hit */
    double rate;        /**< n_localised / n_images; −1 when n_images is 0 */
} hv_eval_loc_rate;

/** Compute the localisation rate (iou_thr in [0, 1], usually 0.5; score_thr finite or −INFINITY).
 *  `localised` may be NULL, else it receives gt->n_images flags in image order: 1 localised, 0 missed,
 *  −1 no instance (not counted). A detection on an image that is not in the ground truth is an error,
 *  as in hv_coco_eval(). */
HV_API hv_status hv_eval_localisation_rate(const hv_eval_gt *gt, const hv_eval_results *res, double iou_thr,
                                    double score_thr, hv_eval_loc_rate *out, int8_t *localised);

/* ==== classification ================================================================================= */

/** Choices of hv_cls_eval(). */
typedef struct hv_cls_params {
    int32_t positive;          /**< index of the positive class; −1: the class named "bleeding" */
    double target_sensitivity; /**< for the operating point sens_*; default 0.99 */
} hv_cls_params;

/** Fill `p` with the defaults (positive = −1, target_sensitivity = 0.99). NULL is ignored. */
HV_API void hv_cls_params_default(hv_cls_params *p);

/** Classification metrics. Table 1's numbers (MODEL_SPEC §9.1: mmpretrain Accuracy and
 *  SingleLabelMetric, average='macro') are in percent, named *_pct. The positive-class numbers
 *  (sensitivity, specificity, curves, sweep) are fractions in [0, 1] as scikit-learn gives them; −1
 *  marks a quantity that is undefined on this data (e.g. AUC with one class only). */
typedef struct hv_cls_metrics {
    size_t n_classes;
    int32_t positive;
    size_t n;            /**< samples evaluated: labelled images with a prediction */
    size_t n_missing;    /**< labelled ground-truth images without a classification result */
    size_t n_unlabelled; /**< results on images whose label is −1 (not evaluated) */
    size_t n_unclassified; /**< results with predicted −1 on labelled images (not evaluated) */
    uint64_t *confusion; /**< n_classes × n_classes counts, row = true class, column = predicted */
    /* Table 1 (percent): */
    double accuracy_pct;
    double *precision_pct, *recall_pct, *f1_pct; /**< per class: P = TP/max(pred,1), R = TP/max(gt,1),
                                                      F1 = 2PR/max(P+R, FLT_EPSILON), all ×100 */
    double macro_precision_pct, macro_recall_pct, macro_f1_pct; /**< unweighted means over classes;
                                                      macro F1 is the mean of per-class F1 */
    /* Positive class against the rest, from the predicted labels: */
    uint64_t tp, fp, fn, tn;
    double sensitivity, specificity;
    /* From probs[positive] (only when every evaluated sample has probabilities; else −1): */
    size_t n_scored;
    double roc_auc; /**< sklearn roc_auc_score: trapezoids over the distinct thresholds (ties form one
                         diagonal step) */
    double pr_auc;  /**< sklearn average_precision_score: Σ (R_k − R_{k−1})·P_k, step-wise */
    double best_f1_threshold, best_f1_precision, best_f1_recall, best_f1; /**< over the distinct
                         probabilities t (positive when prob ≥ t) the t of highest positive-class F1;
                         among equal F1 the largest t */
    double target_sensitivity;
    double sens_threshold, sens_sensitivity, sens_specificity; /**< the largest t whose sensitivity is
                         ≥ target_sensitivity, with its sensitivity and specificity */
} hv_cls_metrics;

/** Classification metrics of `res->cls` against the image labels of `gt` (matched by image id; gt's
 *  class_names give n_classes ≥ 2). Predicted labels are the results' `predicted`; scores are
 *  probs[positive]. Fails on NULL arguments, an unknown positive class, two results for one image, a
 *  result on an image that is not in the ground truth, labels or predictions outside [−1, n_classes),
 *  and non-finite probabilities. */
HV_API hv_status hv_cls_eval(const hv_eval_gt *gt, const hv_eval_results *res, const hv_cls_params *params,
                      hv_cls_metrics **out);

/** The same metrics from plain arrays of n samples: true labels and predicted labels in
 *  [0, n_classes), and optionally (`score` may be NULL: no curves) each sample's probability of class
 *  `positive`. n_missing, n_unlabelled and n_unclassified are 0. */
HV_API hv_status hv_cls_eval_arrays(const int32_t *label, const int32_t *predicted, const double *score, size_t n,
                             size_t n_classes, int32_t positive, double target_sensitivity,
                             hv_cls_metrics **out);

/** Release classification metrics (NULL-safe). */
HV_API void hv_cls_metrics_free(hv_cls_metrics *m);

#ifdef __cplusplus
}
#endif

#endif
