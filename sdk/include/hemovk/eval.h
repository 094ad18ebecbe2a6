/* hemovk/eval.h — measuring accuracy: the paper's metrics on ground truth, from hemovk's own outputs.
 *
 * Three parts, each usable alone by a plugin or tool:
 *   1. data   — a ground-truth set (images, categories, annotations) and a result set (per-frame
 *               classifications and detections), in COCO terms; readers for the WCEBleedGen release
 *               layout, COCO instances JSON, hemovk's results.jsonl and the committed split file.
 *   2. metrics — COCOeval (pycocotools semantics exactly: bbox and segm, 101-point interpolation,
 *               maxDets 1/10/100, area ranges, iscrowd, RLE mask IoU, stable score ties), the paper's
 *               Table 2 "AP" variant (MODEL_SPEC §9.2), classification (Table 1, MODEL_SPEC §9.1) with
 *               ROC/PR AUC and a threshold sweep, and a frame-level localisation rate.
 *   3. report — metrics.json, a Markdown table and a per-frame JSONL of errors (tools/hemovk/cmd_eval.c).
 *
 * Conventions: COCO boxes are [x, y, w, h] in pixels (hemovk detections are x1,y1,x2,y2 exclusive and
 * convert as w = x2 − x1). Masks are hv_rle (detect.h): uncompressed COCO RLE, column-major. Image ids
 * are int64; category ids int32. Every function validates its arguments and returns an hv_status with a
 * message (hv_last_error()). Objects are created by one function and freed by its *_free twin (NULL-safe). */
#ifndef HEMOVK_EVAL_H
#define HEMOVK_EVAL_H

#include <stddef.h>
#include <stdint.h>

#include "hemovk/detect.h"
#include "hemovk/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== 1. data ======================================================================================== */

/** One ground-truth image. `file_name` is the frame's key: its path relative to the dataset root
 *  (e.g. "bleeding/Images/img- (12).png"), the key results are matched on. `label` is the image-level
 *  class for classification (index into hv_eval_gt.class_names; −1 when unknown). */
typedef struct hv_eval_image {
    int64_t id;
    char *file_name;
    int32_t width, height;
    int32_t label;
} hv_eval_image;

/** One ground-truth instance (COCO annotation). `segm.n == 0` when the annotation has no mask. `area` is
 *  COCO's `area` field (for masks: the mask's pixel count), which COCOeval's area ranges use. */
typedef struct hv_eval_ann {
    int64_t id;
    int64_t image_id;
    int32_t category_id;
    double bbox[4]; /**< x, y, w, h */
    double area;
    int32_t iscrowd;
    hv_rle segm;
} hv_eval_ann;

/** A ground-truth set. Owned arrays; free with hv_eval_gt_free(). */
typedef struct hv_eval_gt {
    hv_eval_image *images;
    size_t n_images;
    hv_eval_ann *anns;
    size_t n_anns;
    int32_t *category_ids; /**< detection categories (COCO "categories"), e.g. {1} = bleeding */
    char **category_names;
    size_t n_categories;
    char **class_names;    /**< classification labels, index = hv_eval_image.label, e.g. {"bleeding","non-bleeding"} */
    size_t n_classes;
    char *source;          /**< where it was read from, for messages */
} hv_eval_gt;

/** One detection result (COCO results entry). `segm.n == 0` when there is no mask. */
typedef struct hv_eval_det {
    int64_t image_id;
    int32_t category_id;
    double bbox[4]; /**< x, y, w, h */
    double score;
    hv_rle segm;
} hv_eval_det;

/** One frame's classification result, aligned with an image of the ground truth. `probs` has
 *  n_classes entries in the ground truth's class order (−1 label / NULL probs: not classified). */
typedef struct hv_eval_cls {
    int64_t image_id;
    int32_t predicted;
    double *probs;
} hv_eval_cls;

/** A result set matched to a ground truth. Owned arrays; free with hv_eval_results_free(). */
typedef struct hv_eval_results {
    hv_eval_det *dets;
    size_t n_dets;
    hv_eval_cls *cls;
    size_t n_cls;
    char *source;
} hv_eval_results;

/** Release what a ground-truth set owns and zero the struct (NULL-safe; the struct itself is the
 *  caller's, like hv_image_free / hv_rle_free: readers fill a caller-provided hv_eval_gt). */
void hv_eval_gt_free(hv_eval_gt *gt);

/** Release what a result set owns and zero the struct (NULL-safe; the struct itself is the caller's). */
void hv_eval_results_free(hv_eval_results *res);

#ifdef __cplusplus
}
#endif

#endif
