/* hemovk/maskrcnn.h — Mask R-CNN + FPN instance segmentation with MMDetection 2.x inference semantics
 * (MODEL_SPEC §1.2, §5, §6.2) on any backbone of hemovk/models.h (or one of your own).
 *
 * The network runs as three planned graphs with the dynamic parts on the host in between:
 *
 *   frame ─(CPU keep-ratio resize)→ [features plan: preprocess → backbone → FPN P2..P6 → RPN head]
 *         → host: anchors, per-level top-k, delta decoding, per-level NMS (detect.h) → proposals
 *         → [box plan: RoIAlign 7×7 on P2..P5 → Shared2FC → cls/reg]  (built for a RoI bucket, padded)
 *         → host: softmax, class-wise decoding, rescale, multiclass NMS → detections
 *         → [mask plan: RoIAlign 14×14 → 4 conv → deconv → 1×1]          (built for a box bucket, padded)
 *         → host: sigmoid, paste at the original size (GPU semantics), threshold
 *
 * Plans are built lazily per input size and per RoI bucket (box head 4, 16, 64, 256, 1024; mask head
 * 4, 8, 16, …; capped at the configured maximum: padded rows cost compute, so a frame with 40 proposals
 * runs the 64-row box plan) and kept for the life of the model. Each stage is also callable on its own so tests can inject a
 * reference's proposals or boxes (NMS at IoU 0.01 makes proposals sensitive to the last ulp).
 *
 *     hv_maskrcnn_params p; hv_maskrcnn_params_default(&p);
 *     p.backbone = HV_MRCNN_CONVNEXT; p.convnext.arch = "base";
 *     hv_maskrcnn *m; hv_maskrcnn_create(&p, weights, dev, &m);
 *     hv_maskrcnn_result r; hv_maskrcnn_detect(m, rgb, w, h, NULL, &r);   // r.dets, r.masks
 *     hv_maskrcnn_result_free(&r); hv_maskrcnn_free(m);
 *
 * Weight names are MMDetection's: backbone.* (see models.h), neck.lateral_convs.i.conv.*,
 * neck.fpn_convs.i.conv.*, rpn_head.{rpn_conv,rpn_cls,rpn_reg}.*, roi_head.bbox_head.{shared_fcs.0,
 * shared_fcs.1,fc_cls,fc_reg}.*, roi_head.mask_head.{convs.0..3.conv,upsample,conv_logits}.*. Channel
 * counts (FPN width, FC width, classes) are read from the weights' shapes. */
#ifndef HEMOVK_MASKRCNN_H
#define HEMOVK_MASKRCNN_H

#include "hemovk/export.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hemovk/detect.h"
#include "hemovk/device.h"
#include "hemovk/graph.h"
#include "hemovk/models.h"
#include "hemovk/status.h"
#include "hemovk/weights.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hv_maskrcnn hv_maskrcnn;

/** Which backbone builder feeds the FPN. */
typedef enum hv_mrcnn_backbone {
    HV_MRCNN_CONVNEXT = 0,     /**< hv_convnext_build with params.convnext */
    HV_MRCNN_INTERNIMAGE = 1,  /**< hv_internimage_build with params.internimage */
    HV_MRCNN_EFFICIENTNET = 2, /**< hv_efficientnet_build with params.efficientnet (out_indices default 2..5) */
    HV_MRCNN_CUSTOM = 3        /**< params.custom_build */
} hv_mrcnn_backbone;

/** A backbone of your own: add it to `g` on NCHW image `x` and return at least 4 maps (strides 4..32;
 *  the first four are used) in `out`. */
typedef hv_status (*hv_mrcnn_backbone_fn)(hv_graph *g, hv_tensor *x, const hv_weights *w, const void *ctx,
                                          hv_backbone_outputs *out);

/** MMDetection test_cfg (MODEL_SPEC §5.0); hv_maskrcnn_params_default sets the paper's values. */
typedef struct hv_maskrcnn_test_cfg {
    int32_t rpn_nms_pre;        /**< per-level top-k before NMS (1000) */
    int32_t rpn_max_per_img;    /**< proposals kept after NMS (1000); also the largest box-plan bucket */
    float rpn_iou;              /**< RPN NMS IoU (0.01) */
    float rpn_min_bbox_size;    /**< keep w > min and h > min (0) */
    float score_thr;            /**< rcnn score threshold, strict > (0.05) */
    float rcnn_iou;             /**< rcnn per-class NMS IoU (0.2) */
    int32_t max_per_img;        /**< detections kept (100); also the largest mask-plan bucket */
    float mask_thr;             /**< mask_thr_binary, value ≥ thr is object (0.2) */
} hv_maskrcnn_test_cfg;

/** The most anchor scales a segmenter takes: the RPN's (hemovk/detect.h). */
#define HV_MRCNN_MAX_ANCHOR_SCALES HV_RPN_MAX_SCALES

/** Everything a model needs besides its weights and device. */
typedef struct hv_maskrcnn_params {
    hv_mrcnn_backbone backbone;
    hv_convnext_params convnext;
    hv_internimage_params internimage;
    hv_efficientnet_params efficientnet;
    hv_mrcnn_backbone_fn custom_build;   /**< HV_MRCNN_CUSTOM */
    const void *custom_ctx;
    hv_maskrcnn_test_cfg test;
    hv_dtype dtype;              /**< storage of weights and activations (HV_F32 reference, HV_F16 fast) */
    /* preprocessing (MODEL_SPEC §1.2) */
    int32_t target_w, target_h;  /**< keep-ratio resize target, mmcv rule (224, 224); 0: no resize */
    float mean[3], std[3];       /**< per RGB channel (mmdet: 123.675/116.28/103.53, 58.395/57.12/57.375) */
    int32_t pad_divisor;         /**< pad bottom/right to a multiple (32) */
    bool bgr;                    /**< frames handed to hv_maskrcnn_detect are BGR (default false: RGB) */
    /* head sizes: 0 = read from the weights' shapes. Give them for a synthetic (random) weight set, whose
     * absent tensors cannot be measured (hv_weights_set_synthesizer). */
    int32_t num_classes, fpn_channels, fc_channels;
    /** hv_maskrcnn_detect copies FPN level keep_fpn_level−1 (1..5 = P2..P6) of the frame into the result
     *  (for CAM); 0 keeps none. */
    int32_t keep_fpn_level;
    /* ABI 1.4 (appended): the RPN's anchor scales (mmdet AnchorGenerator `scales`; ratios stay 0.5/1/2).
     * 0 scales = mmdet's [8]. The RPN head must predict 3·n_anchor_scales anchors per cell. */
    int32_t n_anchor_scales;                            /**< 0..HV_MRCNN_MAX_ANCHOR_SCALES */
    float anchor_scales[HV_MRCNN_MAX_ANCHOR_SCALES];    /**< each > 0, e.g. {4, 5.656854} */
} hv_maskrcnn_params;

/** The paper's settings: ConvNeXt backbone (tiny unless set), f32, target 224×224, mmdet mean/std, pad 32,
 *  test_cfg of §5.0 (nms_pre 1000, rpn IoU 0.01, 1000 proposals, score 0.05, IoU 0.2, 100 dets, mask 0.2).
 *  For callers that build a model in C. The `segmenter` stage does not call it: its defaults are those of
 *  its parameter schema (`hemovk plugins`), and tests/maskrcnn/test_schema_defaults.c keeps the two equal. */
HV_API void hv_maskrcnn_params_default(hv_maskrcnn_params *p);

/** Check params and weights (the head tensors must exist with consistent shapes), and keep what the
 *  plans need. `w` must outlive the model. `dev` NULL runs on the CPU reference backend. No plan is built
 *  yet (the first detect of each size builds them). */
HV_API hv_status hv_maskrcnn_create(const hv_maskrcnn_params *p, const hv_weights *w, hv_device *dev, hv_maskrcnn **out);

/** Free the model and all its plans (NULL-safe). */
HV_API void hv_maskrcnn_free(hv_maskrcnn *m);

/** Number of classes (fc_cls rows − 1), the FPN width and the FC width read from the weights. */
HV_API int32_t hv_maskrcnn_num_classes(const hv_maskrcnn *m);

/** Check the weights against the model before anything runs: build each network of the model (features,
 *  box head, mask head) once for a small input, without a device or a plan, so that a missing tensor, a
 *  wrong shape or dtype, or (f16 models) a weight outside the f16 range fails now; then refuse tensors the
 *  model never read (hv_weights_check_used with the `ignore` glob patterns, e.g. a checkpoint of another
 *  variant). Resets the set's used marks first. Errors name the tensor and the weights' source. */
HV_API hv_status hv_maskrcnn_check_weights(const hv_maskrcnn *m, const char *const *ignore, size_t n_ignore);

/* ---- whole-frame inference ----------------------------------------------------------------------- */

/** Detection test-time augmentation (MODEL_SPEC §6.2). */
typedef enum hv_tta_merge {
    HV_TTA_MERGE_MMDET = 0, /**< mmdet aug_test: proposals of all augs merged by one NMS, box-head outputs of
                                 the same proposals averaged (boxes and scores), multiclass NMS, masks of the
                                 final boxes averaged per aug (un-transformed) and pasted once */
    HV_TTA_MERGE_NMS = 1,   /**< each aug detected on its own, mapped back, concatenated, per-class NMS
                                 (rcnn IoU), first max_per_img; each box keeps its own mask */
    HV_TTA_MERGE_WBF = 2    /**< each aug on its own, weighted boxes fusion over augs (wbf_iou), the fused box
                                 takes the mask map of its cluster's first member */
} hv_tta_merge;

#define HV_MRCNN_MAX_TTA 8

typedef struct hv_maskrcnn_tta {
    int32_t n;                         /**< augmentations used (1..HV_MRCNN_MAX_TTA); 0 = no TTA */
    hv_tta_tf tfs[HV_MRCNN_MAX_TTA];   /**< e.g. {IDENTITY, HFLIP} = mmdet flip TTA */
    hv_tta_merge merge;
    float wbf_iou;                     /**< WBF match IoU (0 → 0.55) */
} hv_maskrcnn_tta;

/** Detections of one frame in original-frame pixels, sorted by score descending. */
typedef struct hv_maskrcnn_result {
    int32_t width, height;   /**< the frame */
    size_t n;
    hv_det *dets;            /**< n detections (box, score, label) */
    float *mask_probs;       /**< n × 28 × 28 mask probabilities of each detection's class (after TTA merge) */
    uint8_t *masks;          /**< n × height × width binary masks (0/1), row-major, pasted and thresholded */
    float *feature;          /**< params.keep_fpn_level: that FPN map {feat_c, feat_h, feat_w} of the first
                                  augmentation (NULL otherwise) */
    int32_t feat_c, feat_h, feat_w;
} hv_maskrcnn_result;

/** Detect in one HWC uint8 frame of w×h×3 (RGB unless params.bgr): keep-ratio resize (cv2 bilinear on
 *  uint8), normalise, pad, run the three stages, rescale boxes to the frame, paste masks at w×h.
 *  `tta` may be NULL (single pass). Free the result with hv_maskrcnn_result_free(). */
HV_API hv_status hv_maskrcnn_detect(hv_maskrcnn *m, const uint8_t *pixels, int32_t w, int32_t h, const hv_maskrcnn_tta *tta,
                             hv_maskrcnn_result *out);

/** Detect in n frames (frame i: pixels[i], w[i] × h[i], as hv_maskrcnn_detect) in as few network runs as
 *  possible: frames whose resized size agrees go through together, up to 8 at a time — one features run,
 *  one box head run over all their proposals and one mask head run over all their boxes, the feature maps
 *  kept on the device. out[i] (n of them, caller-allocated) equals hv_maskrcnn_detect's result for frame
 *  i, to the float rounding of a batched kernel. With `tta` (n > 0) the frames go one by one. On an error
 *  every out[i] is left empty; free each with hv_maskrcnn_result_free(). hv_maskrcnn_output_problem()
 *  afterwards names the first problem in any frame of the call: detect the frames one by one to learn
 *  which (since ABI 1.3). */
HV_API hv_status hv_maskrcnn_detect_batch(hv_maskrcnn *m, const uint8_t *const *pixels, const int32_t *w,
                                          const int32_t *h, size_t n, const hv_maskrcnn_tta *tta,
                                          hv_maskrcnn_result *out);

/** NULL when the networks' outputs of the last hv_maskrcnn_detect() (FPN maps, RPN, box and mask heads)
 *  were all finite and, for an f16 model, none sat at the f16 limit ±65504 (a saturated store); else what
 *  was wrong, naming the output ("rpn_cls.2: 14 values saturated at the f16 limit ±65504 ..."). A frame
 *  with a problem has meaningless detections (NaN scores fall below any threshold and vanish): report it
 *  as failed rather than as "no bleeding". The text lives until the next detect on `m`. */
HV_API const char *hv_maskrcnn_output_problem(const hv_maskrcnn *m);

/** Free a result's arrays and zero it (NULL-safe). */
HV_API void hv_maskrcnn_result_free(hv_maskrcnn_result *r);

/* ---- stage by stage (parity tests, custom glue) ------------------------------------------------- */

#define HV_MRCNN_LEVELS 5

/** Host copies of the features plan's outputs for one image. */
typedef struct hv_maskrcnn_features {
    int32_t img_h, img_w;            /**< img_shape: the resized, unpadded image (clamps boxes) */
    int32_t pad_h, pad_w;            /**< the network's input size */
    int32_t channels;                /**< FPN width */
    int32_t h[HV_MRCNN_LEVELS], w[HV_MRCNN_LEVELS]; /**< map sizes P2..P6 */
    float *fpn[HV_MRCNN_LEVELS];     /**< NCHW [1, C, h, w] each */
    float *rpn_cls[HV_MRCNN_LEVELS]; /**< NCHW [1, A, h, w] logits */
    float *rpn_reg[HV_MRCNN_LEVELS]; /**< NCHW [1, 4A, h, w] deltas */
} hv_maskrcnn_features;

/** Features of an already normalised and padded float image {1, 3, pad_h, pad_w} (NCHW, f32) whose
 *  valid part is img_h × img_w. */
HV_API hv_status hv_maskrcnn_features_from_image(hv_maskrcnn *m, const float *image, int32_t pad_h, int32_t pad_w,
                                          int32_t img_h, int32_t img_w, hv_maskrcnn_features *f);

/** Features of an HWC uint8 image that is ALREADY resized (img_h × img_w; normalised and padded on the device). */
HV_API hv_status hv_maskrcnn_features_from_pixels(hv_maskrcnn *m, const uint8_t *pixels, int32_t img_h, int32_t img_w,
                                           hv_maskrcnn_features *f);

/** Free a features struct's arrays (NULL-safe). */
HV_API void hv_maskrcnn_features_free(hv_maskrcnn_features *f);

/** RPN proposals (§5.5) from features: `out` capacity test.rpn_max_per_img; box + score, label = level. */
HV_API hv_status hv_maskrcnn_proposals(const hv_maskrcnn *m, const hv_maskrcnn_features *f, hv_det *out, size_t *n_out);

/** Box head on n RoIs (input-image pixels): cls_score n × (classes + 1) logits, bbox_pred n × 4·classes. */
HV_API hv_status hv_maskrcnn_box_head(hv_maskrcnn *m, const hv_maskrcnn_features *f, const hv_box *rois, size_t n,
                               float *cls_score, float *bbox_pred);

/** Box head outputs → detections (§5.8–5.9): softmax, class-wise delta decoding clamped to img_shape,
 *  boxes divided by scale (x, y) = (sx, sy) (1 when not resized), multiclass NMS. `out` capacity
 *  test.max_per_img; src = RoI row. */
HV_API hv_status hv_maskrcnn_decode(const hv_maskrcnn *m, const hv_maskrcnn_features *f, const hv_box *rois, size_t n,
                             const float *cls_score, const float *bbox_pred, float sx, float sy, hv_det *out,
                             size_t *n_out);

/** Mask head on n boxes (input-image pixels): logits n × classes × 28 × 28. */
HV_API hv_status hv_maskrcnn_mask_head(hv_maskrcnn *m, const hv_maskrcnn_features *f, const hv_box *boxes, size_t n,
                                float *logits);

/** Plans built so far (features plans of each size + box and mask buckets), for tests and logs. */
HV_API uint32_t hv_maskrcnn_plan_count(const hv_maskrcnn *m);

#ifdef __cplusplus
}
#endif
#endif
