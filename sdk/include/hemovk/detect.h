/* hemovk/detect.h — host-side parts of the detection ("grounding") stage, plain C, no Vulkan:
 *   boxes (anchors, delta decoding, RoI levels)    MODEL_SPEC §5.3, §5.4, §5.6
 *   NMS, RPN proposals, multiclass NMS             §5.5, §5.9
 *   mask paste + COCO RLE                          §5.10, §9.2
 *   ensembles (affirmative/consensus/unanimous, WBF) §7
 *   detection TTA (box/map transforms, merges)     §6.2
 *   CAM (Eigen-CAM, FPN channel mean, jet, blend)  §8
 *   COCO results JSON writer                       §5.10 step 5
 *
 * Boxes are (x1, y1, x2, y2) in pixels, x2/y2 exclusive (MMDetection 2.x: width = x2 − x1, no +1).
 * Every function that can fail validates its arguments and returns an hv_status with a message
 * (hv_last_error()); none aborts on bad input. Outputs go to caller-provided buffers whose required size
 * is documented per function, except where a function says it allocates (free with the named function). */
#ifndef HEMOVK_DETECT_H
#define HEMOVK_DETECT_H

#include "hemovk/export.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hemovk/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ==== boxes ========================================================================================== */

/** An axis-aligned box in pixels, x2/y2 exclusive. */
typedef struct hv_box {
    float x1, y1, x2, y2;
} hv_box;

/** One detection: a box, its score, its class and where it came from. */
typedef struct hv_det {
    hv_box box;
    float score;
    int32_t label;  /**< class index (0 = bleeding) */
    int32_t src;    /**< index of the input row it came from (meaning documented per function), −1 if none */
} hv_det;

/** Base anchors of one level, mmdet 2.x AnchorGenerator (§5.3): base_size = stride, center_offset 0,
 *  scale_major, no rounding, float32 arithmetic: h_r = sqrt(ratio), w_r = 1/h_r, w = stride·w_r·scale,
 *  h = stride·h_r·scale, anchor = [−w/2, −h/2, w/2, h/2]. Order: ratio index (outer), then scale.
 *  `out` holds n_ratios·n_scales boxes. Ratios and scales must be > 0, stride > 0. */
HV_API hv_status hv_anchors_base(float stride, const float *scales, int n_scales, const float *ratios, int n_ratios,
                          hv_box *out);

/** All anchors of an feat_h×feat_w level: anchor(y, x, a) = base[a] + (x·s, y·s, x·s, y·s), enumerated
 *  y-major, then x, then a (index (y·feat_w + x)·n_base + a, the RPN head's flattening order).
 *  `out` holds feat_h·feat_w·n_base boxes. */
HV_API hv_status hv_anchors_grid(const hv_box *base, int n_base, int feat_h, int feat_w, float stride, hv_box *out);

/** delta2bbox parameters (§5.4). RPN: means 0, stds 1. RCNN: stds (0.1, 0.1, 0.2, 0.2). */
typedef struct hv_delta_coder {
    float means[4];
    float stds[4];
    float img_h, img_w; /**< clamp x to [0, img_w] and y to [0, img_h] (img_shape, unpadded); 0,0 = no clamp */
} hv_delta_coder;

/** |ln(16/1000)|: the clamp on the decoded log-size deltas. */
#define HV_DELTA_MAX_RATIO 4.135166556742356

/** Decode n deltas (dx, dy, dw, dh, 4 floats per box) against reference boxes, float32 like mmdet:
 *  d' = d·σ + μ, px = (x1+x2)·0.5, pw = x2−x1, dw' clamped to ±HV_DELTA_MAX_RATIO, gx = px + pw·dx',
 *  gw = pw·exp(dw'), box = [gx − gw·0.5, gy − gh·0.5, gx + gw·0.5, gy + gh·0.5], then clamped (max W, not
 *  W−1). `out` (n boxes) may be the same array as `refs`. */
HV_API hv_status hv_delta_decode(const hv_delta_coder *coder, const hv_box *refs, const float *deltas, size_t n, hv_box *out);

/** mmdet map_roi_levels (§5.6): floor(log2(sqrt(w·h)/finest_scale + 1e-6)) clamped to [0, num_levels−1];
 *  finest_scale 0 means 56. Same rule as hv_roi_level() in ops_dcn.h (this one reports bad arguments). */
HV_API hv_status hv_det_roi_levels(const hv_box *rois, size_t n, float finest_scale, int num_levels, int32_t *levels);

/* ==== NMS ============================================================================================= */

/** mmcv devIoU test with offset 0: true when inter > thr·(area_a + area_b − inter), all in float32
 *  (sides max(…, 0)). This is "IoU > thr" without a division. */
HV_API bool hv_iou_exceeds(const hv_box *a, const hv_box *b, float thr);

/** IoU with offset 0 in double (0 when the union is 0). */
HV_API double hv_box_iou(const hv_box *a, const hv_box *b);

/** Greedy NMS (mmcv/torchvision semantics): boxes in descending score order; box j is suppressed by an
 *  earlier kept box i iff hv_iou_exceeds(i, j, iou_thr). Tie rule: equal scores keep input order (lower
 *  index first; torch.sort's order for ties is unspecified). Writes the kept indices in descending score
 *  order to keep (capacity n) and their number to *n_keep. n == 0 is valid (nothing kept). */
HV_API hv_status hv_nms(const hv_box *boxes, const float *scores, size_t n, float iou_thr, size_t *keep, size_t *n_keep);

/** Batched NMS (mmcv batched_nms, one NMS per group id): boxes of different groups never suppress each
 *  other; the kept indices of all groups are merged in descending score order (ties: lower index first).
 *  mmcv implements this by offsetting each group's coordinates; that can change float rounding of IoU in
 *  the last ulp — this function runs the per-group comparisons on the original coordinates. */
HV_API hv_status hv_nms_batched(const hv_box *boxes, const float *scores, const int32_t *groups, size_t n, float iou_thr,
                         size_t *keep, size_t *n_keep);

/** One RPN level's raw head outputs for one image, in the head's flattening order (§5.2):
 *  cls[(y·w + x)·A + a] logits, reg[((y·w + x)·A + a)·4 + k] deltas. */
typedef struct hv_rpn_level {
    const float *cls;
    const float *reg;
    int h, w;      /**< feature map size */
    float stride;  /**< anchor stride of this level (4, 8, ... 64) */
} hv_rpn_level;

/** The most anchor ratios and scales hv_rpn_params holds (the sizes of its arrays). */
#define HV_RPN_MAX_RATIOS 8
#define HV_RPN_MAX_SCALES 4

/** RPN post-processing settings (§5.0 test_cfg.rpn). */
typedef struct hv_rpn_params {
    int nms_pre;          /**< per-level top-k by score (1000); ≤ 0 keeps all */
    int max_per_img;      /**< keep at most this many after NMS (1000) */
    float iou_thr;        /**< NMS IoU (the paper: 0.01) */
    float min_bbox_size;  /**< keep w > min and h > min (strict; 0) */
    float img_h, img_w;   /**< img_shape (resized, unpadded) for the clamp */
    float anchor_scale;   /**< 8; the one scale when n_scales is 0 */
    int n_ratios;         /**< 3 */
    float ratios[HV_RPN_MAX_RATIOS]; /**< 0.5, 1, 2 */
    /* ABI 1.4 (appended): several anchor scales, as mmdet's AnchorGenerator `scales` list. The anchors of a
     * cell are ratio-major, scale-minor (index r·n_scales + s), so the head's A = n_ratios·n_scales. */
    int n_scales;         /**< scales[] in use (0..HV_RPN_MAX_SCALES); 0 = the one scale anchor_scale (ABI ≤ 1.3) */
    float scales[HV_RPN_MAX_SCALES]; /**< e.g. {4, 5.656854}: 16 and 22.6 px anchors at stride 4 */
} hv_rpn_params;

/** Fill `p` with the paper's RPN test settings for an img_h×img_w image (nms_pre 1000, max 1000, IoU 0.01,
 *  min size 0, scale 8 (n_scales 0), ratios 0.5/1/2). A Mask R-CNN overwrites the first four with its test_cfg; they
 *  equal hv_maskrcnn_params_default's and the segmenter schema's (tests/maskrcnn/test_schema_defaults.c). */
HV_API void hv_rpn_params_default(hv_rpn_params *p, float img_h, float img_w);

/** Proposals of one image (§5.5): per level, score = sigmoid(cls), keep the top nms_pre (descending, ties
 *  lower index first), decode against the level's anchors with means 0 / stds 1 and clamp, drop boxes with
 *  w ≤ min_bbox_size or h ≤ min_bbox_size, per-level NMS (hv_nms_batched with the level as group), keep
 *  the first max_per_img. `out` (capacity max_per_img) gets box, score, label = level, src = anchor index
 *  within its level; *n_out their number. */
HV_API hv_status hv_rpn_proposals(const hv_rpn_level *levels, int n_levels, const hv_rpn_params *p, hv_det *out,
                           size_t *n_out);

/** mmdet multiclass_nms (§5.9). scores: n rows of num_classes+1 (background last). boxes: n rows of
 *  either one box (per_class_boxes false) or num_classes boxes (true). Candidates (row, class) with
 *  score > score_thr (strict) in row-major order; per-class NMS (IoU > iou_thr suppresses); merged by
 *  score descending (ties: lower candidate index first); first max_per_img (≤ 0: all). `out` needs
 *  capacity n·num_classes (or max_per_img when > 0); src = row index. */
HV_API hv_status hv_multiclass_nms(const hv_box *boxes, bool per_class_boxes, const float *scores, size_t n,
                            int num_classes, float score_thr, float iou_thr, int max_per_img, hv_det *out,
                            size_t *n_out);

/* ==== masks =========================================================================================== */

/** Paste an mh×mw probability map (28×28) for `box` (original-image pixels) into an out_h×out_w image,
 *  mmdet _do_paste_mask GPU semantics (§5.10 step 4): every pixel of the image is sampled (no skip_empty),
 *  gx = ((c+0.5) − x1)/(x2 − x1)·2 − 1 (float32; ±inf → 0), bilinear grid_sample, align_corners=False,
 *  zero padding. NaN grid values (0/0) sample 0, like torch's out-of-bounds path. mask = value ≥ thr.
 *  `mask` (out_h·out_w bytes, row-major, 0/1) and/or `prob` (out_h·out_w floats) may be NULL, not both. */
HV_API hv_status hv_mask_paste(const float *map, int mh, int mw, const hv_box *box, int out_h, int out_w, float thr,
                        uint8_t *mask, float *prob);

/** COCO run-length encoding of a h×w binary mask (pycocotools conventions): runs over the pixels in
 *  column-major order, alternating, starting with a (possibly empty) run of zeros; counts sum to h·w. */
typedef struct hv_rle {
    uint32_t h, w;
    size_t n;          /**< number of runs */
    uint32_t *counts;  /**< owned; free with hv_rle_free() */
} hv_rle;

/** Encode a row-major h×w mask (non-zero = object) into `out` (allocates counts). h·w may be 0. */
HV_API hv_status hv_rle_encode(const uint8_t *mask, uint32_t h, uint32_t w, hv_rle *out);

/** Decode into a row-major h×w 0/1 mask. Fails if the counts do not sum to h·w. */
HV_API hv_status hv_rle_decode(const hv_rle *rle, uint8_t *mask);

/** Number of object pixels (sum of the odd runs). */
HV_API uint64_t hv_rle_area(const hv_rle *rle);

/** pycocotools rleToString: the compressed "counts" string (each count, or from the 3rd on its difference
 *  to the count two before, in 5-bit groups, continuation bit 0x20, +48). *out is malloc'ed (free()). */
HV_API hv_status hv_rle_to_string(const hv_rle *rle, char **out);

/** pycocotools rleFrString: parse a compressed counts string for a h×w mask (allocates counts). Fails
 *  on characters outside '0'..'o', a truncated group or counts that do not sum to h·w. */
HV_API hv_status hv_rle_from_string(const char *s, uint32_t h, uint32_t w, hv_rle *out);

/** Free the counts and zero the struct (NULL-safe). */
HV_API void hv_rle_free(hv_rle *rle);

/* ==== ensembles (§7) ================================================================================ */

/** Voting rule of Casado-García & Heras. */
typedef enum hv_vote {
    HV_VOTE_AFFIRMATIVE = 0, /**< keep every cluster */
    HV_VOTE_CONSENSUS = 1,   /**< keep clusters with ≥ ceil(M/2) votes */
    HV_VOTE_UNANIMOUS = 2    /**< keep clusters with exactly M votes (paper) / all M models (clean) */
} hv_vote;

/** How the clean mode builds a cluster's box. */
typedef enum hv_fuse_box {
    HV_FUSE_WEIGHTED_AVG = 0, /**< score-weighted mean of the members' coordinates (default) */
    HV_FUSE_MAX_SCORE = 1     /**< the highest-scoring member (first in cluster order on ties) */
} hv_fuse_box;

typedef struct hv_ensemble_params {
    hv_vote vote;
    double iou_thr;         /**< cluster when IoU(seed, box) > iou_thr (0.5) */
    bool paper_compatible;  /**< reproduce ancasag's code (§7.2); false: the clean variant below */
    bool truncate_coords;   /**< paper mode only: emulate generateXML's str(x)[0:-2] on the output boxes */
    hv_fuse_box clean_box;  /**< clean mode box rule */
} hv_ensemble_params;

/** Defaults: affirmative, IoU 0.5, clean mode, weighted-average boxes, no truncation. */
HV_API void hv_ensemble_params_default(hv_ensemble_params *p);

/** Fuse the detections of M = n_models models of one image. dets[m] has counts[m] boxes (may be 0).
 *  In ancasag's code M is the number of result files found for the image, so a model that ran but found
 *  nothing still counts: pass every model that ran.
 *  Paper mode (§7.2, bit-compatible with ancasag Ensemble/ensemble.py): scores rounded to 2 decimals
 *  ("{:.2f}" of the double); all boxes concatenated in model order; seed-based clustering in that order
 *  (same label, IoU with +1 > iou_thr against the seed only, same-model members allowed); votes =
 *  cluster size; box = member with max y2 (ties: last in cluster order); score = (Σ rounded scores)/M
 *  (may exceed 1); optional coordinate truncation.
 *  Clean mode: boxes sorted by score descending (stable) so each seed is the best remaining box;
 *  same-label IoU without +1 > iou_thr; votes = number of distinct models in the cluster;
 *  score = Σ over models of that model's best member score / M (in [0, 1]); box per clean_box.
 *  `out` needs capacity Σcounts; each output's src = index of the chosen box (paper) or the seed (clean)
 *  in the concatenated input (model order). Output order: cluster creation order. `scores64` (optional,
 *  capacity Σcounts) receives the scores as doubles — the paper's sums such as (0.12+0.34)/2 =
 *  0.22999999999999998 are only exact there. */
HV_API hv_status hv_ensemble_fuse(const hv_det *const *dets, const size_t *counts, int n_models,
                           const hv_ensemble_params *p, hv_det *out, double *scores64, size_t *n_out);

/** Shortest round-trip repr of a double as Python prints it, into buf (≥ 32 bytes). Returns buf. */
HV_API char *hv_py_repr(double x, char *buf, size_t size);

/** Weighted boxes fusion settings (§7.4, ZFTurbo ensemble_boxes_wbf.py, conf_type 'avg'). */
typedef struct hv_wbf_params {
    double iou_thr;        /**< match when IoU(fused, box) > iou_thr (0.55) */
    double skip_box_thr;   /**< drop boxes with score < skip_box_thr (0) */
    const double *weights; /**< per-model weights (NULL: all 1) */
    bool allows_overflow;  /**< false: scale by min(M, #members)/Σw (≤ 1); true: by #members/Σw */
    float img_w, img_h;    /**< coordinates are divided by these to normalise to [0,1] (and multiplied back) */
} hv_wbf_params;

/** Defaults: IoU 0.55, skip 0, weights 1, no overflow; img_w/img_h must be set by the caller. */
HV_API void hv_wbf_params_default(hv_wbf_params *p, float img_w, float img_h);

/** Weighted boxes fusion, a port of the published algorithm with its float32/float64 mix: coordinates
 *  normalised and clamped to [0,1], zero-area boxes and score < skip dropped; per label, boxes of all
 *  models pooled and sorted by weighted score descending (ties: later pooled index first, numpy's
 *  reversed argsort); each box joins the fused box with the highest IoU > iou_thr (first on ties) or
 *  starts a cluster; fused box = weighted-score-weighted mean, score = mean weighted score ·
 *  min(M, #members)/Σweights (or ·#members/Σweights with allows_overflow). Output sorted by score
 *  descending over all labels (capacity Σcounts); src = index of the cluster's first member in the
 *  concatenated input. */
HV_API hv_status hv_wbf(const hv_det *const *dets, const size_t *counts, int n_models, const hv_wbf_params *p, hv_det *out,
                 size_t *n_out);

/* ==== detection TTA (§6.2) ========================================================================== */

/** Test-time augmentations of an image. Rotations follow numpy/torch rot90 (counter-clockwise). */
typedef enum hv_tta_tf {
    HV_TTA_IDENTITY = 0,
    HV_TTA_HFLIP = 1,   /**< mirror left-right */
    HV_TTA_VFLIP = 2,   /**< mirror top-bottom */
    HV_TTA_ROT90 = 3,   /**< np.rot90(img, 1): the augmented image is W×H */
    HV_TTA_ROT180 = 4,
    HV_TTA_ROT270 = 5   /**< np.rot90(img, 3) */
} hv_tta_tf;

/** Size (h, w) of the augmented image of an h×w image. */
HV_API void hv_tta_size(hv_tta_tf tf, int h, int w, int *aug_h, int *aug_w);

/** Map n boxes from the original h×w frame into the augmented frame (inverse=false) or back from the
 *  augmented frame to the original h×w frame (inverse=true). h, w are always the ORIGINAL size.
 *  Continuous coordinates: hflip x → w − x; rot90 (x, y) → (y, w − x). In place allowed. */
HV_API hv_status hv_tta_boxes(hv_tta_tf tf, int h, int w, bool inverse, const hv_box *in, size_t n, hv_box *out);

/** Map a row-major h×w image of elem_size-byte pixels (a float map, RGB bytes, ...) into the augmented
 *  frame (inverse=false, dst is aug_h×aug_w) or back (inverse=true: src is the augmented image of an
 *  ORIGINAL h×w image, dst is h×w). src and dst must not overlap. Use it to un-flip/un-rotate 28×28 mask
 *  probability maps: the map inside a box transforms with the box. */
HV_API hv_status hv_tta_map(hv_tta_tf tf, int h, int w, size_t elem_size, bool inverse, const void *src, void *dst);

/** mmdet merge_aug_bboxes: element-wise mean over n_aug augmentations of boxes (n rows each, already mapped
 *  back) and of scores (n·n_cols each, may be NULL). boxes[a] / scores[a] point at augmentation a. */
HV_API hv_status hv_tta_mean(const hv_box *const *boxes, const float *const *scores, int n_aug, size_t n, int n_cols,
                      hv_box *mean_boxes, float *mean_scores);

/** mmdet merge_aug_masks: mean of n_aug maps of n floats each (already un-flipped). */
HV_API hv_status hv_tta_mean_maps(const float *const *maps, int n_aug, size_t n, float *out);

/* A WBF merge of augmentations is hv_wbf() with each augmentation's mapped-back detections as one
 * "model" (weights per augmentation if wanted). */

/** Alternative merge: concatenate every augmentation's detections (mapped back), then per-label NMS
 *  (hv_nms_batched with label as group), keep max_per_img (≤ 0: all). out capacity Σcounts;
 *  src = index in the concatenation. */
HV_API hv_status hv_tta_merge_nms(const hv_det *const *dets, const size_t *counts, int n_aug, float iou_thr,
                           int max_per_img, hv_det *out, size_t *n_out);

/* ==== CAM (§8) ======================================================================================== */

/** Eigen-CAM (pytorch-grad-cam get_2d_projection + sign correction + scale_cam_image without resize) on a
 *  C×H×W activation: NaN → 0, centre each channel over the pixels, project on the first principal
 *  component (power iteration in double on the smaller of the C×C and HW×HW Gram matrices, deterministic
 *  start), flip the sign when |min| > |max|, ReLU, (v − min)/(max − min + 1e-7). A map without variance is
 *  all zeros. `out` holds H·W floats. */
HV_API hv_status hv_cam_eigen(const float *act, int c, int h, int w, float *out);

/** The authors' FPN "CAM" (§8.2): mean over C channels, then (v − min)/(max − min) without epsilon. A
 *  constant map (max == min) gives all zeros instead of dividing by zero (documented deviation). */
HV_API hv_status hv_cam_channel_mean(const float *act, int c, int h, int w, float *out);

/** matplotlib 'jet' 256-entry LUT as uint8(255·rgb): lut[i·3 + k]. Built once, thread-safe to read. */
HV_API const uint8_t *hv_cam_jet_lut(void);

/** Colour n values in [0,1] with jet: idx = min(floor(v·256), 255) in float32, v < 0 → 0, NaN → black. */
HV_API void hv_cam_jet(const float *v, size_t n, uint8_t *rgb);

/** Resize an RGB8 image like PIL Image.resize(BILINEAR) (Pillow ≥ 4: triangle filter with support scaled
 *  for downscaling, 22-bit fixed-point coefficients, horizontal pass rounded to uint8, then vertical). */
HV_API hv_status hv_cam_resize_rgb_pil(const uint8_t *src, int sh, int sw, uint8_t *dst, int dh, int dw);

/** Resize a float map with bilinear interpolation, half-pixel centres, edge clamp (cv2 INTER_LINEAR
 *  upscaling; used for Eigen-CAM maps). */
HV_API hv_status hv_cam_resize_f32(const float *src, int sh, int sw, float *dst, int dh, int dw);

/** blend = uint8(0.5·img + 0.5·heat) (truncation), n pixels × 3 channels. */
HV_API void hv_cam_blend(const uint8_t *img, const uint8_t *heat, size_t n_pixels, uint8_t *out);

/* ==== COCO results JSON ============================================================================= */

/** Collects bbox and segm results of many images and writes mmdet-style results files. */
typedef struct hv_coco_writer hv_coco_writer;

/** Create a writer. gt_path: a COCO ground-truth JSON whose "images" give the ids (looked up by
 *  file_name, then by base name when exactly one ground-truth image has it); NULL: ids are assigned
 *  sequentially from 1 in order of first request, one per distinct file_name. */
HV_API hv_status hv_coco_writer_create(const char *gt_path, hv_coco_writer **out);

/** Free the writer (NULL-safe). */
HV_API void hv_coco_writer_free(hv_coco_writer *w);

/** The image id of `file_name` (a path or a base name). With a ground truth, a name it lacks is
 *  HV_ERR_NOT_FOUND. */
HV_API hv_status hv_coco_writer_image_id(hv_coco_writer *w, const char *file_name, int64_t *id);

/** Add a bbox result {image_id, bbox: [x1, y1, x2−x1, y2−y1], score, category_id}. The bbox values are
 *  the float32 differences (mmdet xyxy2xywh on float32 arrays) written as doubles; pass a float score as
 *  (double)score to get mmdet's float(score), or an ensemble's scores64 value. */
HV_API hv_status hv_coco_writer_add_bbox(hv_coco_writer *w, int64_t image_id, int32_t category_id, const hv_box *box,
                                  double score);

/** Add a segm result: as bbox plus "segmentation": {"size": [h, w], "counts": compressed string}. */
HV_API hv_status hv_coco_writer_add_segm(hv_coco_writer *w, int64_t image_id, int32_t category_id, const hv_box *box,
                                  double score, const hv_rle *rle);

/** Number of bbox / segm entries collected so far. */
HV_API size_t hv_coco_writer_count(const hv_coco_writer *w, bool segm);

/** The bbox (segm=false) or segm array as compact JSON text; *out malloc'ed (free()). */
HV_API hv_status hv_coco_writer_to_string(const hv_coco_writer *w, bool segm, char **out);

/** Write "<prefix>.bbox.json" and, if any segm results were added, "<prefix>.segm.json" (mmdet names). */
HV_API hv_status hv_coco_writer_save(const hv_coco_writer *w, const char *prefix);

#ifdef __cplusplus
}
#endif
#endif
