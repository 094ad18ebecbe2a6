/* hemovk/ops_dcn.h — the detector-specific ops: DCNv3 sampling (InternImage), multi-level RoIAlign and
 * RPN proposal selection (Mask R-CNN), and image preprocessing (uint8 frames → normalised float NCHW),
 * plus the CPU-side helpers that go with them (cv2-compatible keep-ratio resize, mmdet RoI level mapping).
 *
 * Every op has a plain-C CPU reference (double accumulation) and Vulkan shaders with f32 and f16 storage
 * (arithmetic is always f32). f16 stores SATURATE at ±65504 (never a silent Inf; NaN stays NaN).
 * The op definitions (`hv_op_dcnv3`, `hv_op_roi_align`, `hv_op_preprocess`, the two RPN proposal ops, core/ops/) are what the
 * graph builders add to a graph; the parameter structs below are what those ops are configured with.
 *
 * Parameter structs are zero-initialisable where that makes sense: a 0 kernel, stride or dilation means
 * the InternImage default (3, 1, 1), a 0 offset_scale means 1.0. */
#ifndef HEMOVK_OPS_DCN_H
#define HEMOVK_OPS_DCN_H

#include "hemovk/export.h"

#include <stdbool.h>
#include <stdint.h>

#include "hemovk/status.h"
#include "hemovk/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- DCNv3 core (MODEL_SPEC §4.5 steps 5–7) -------------------------------------------------------- */

/** DCNv3 sampling + mask-weighted sum, exactly as InternImage's `dcnv3_im2col_gpu_kernel`, on NHWC:
 *    src[0] value v  {N, H, W, C}            (C = group · group_channels)
 *    src[1] offsets  {N, Ho, Wo, G·K·2}      channel (g·K + p)·2 + {0: x, 1: y}
 *    src[2] mask     {N, Ho, Wo, G·K}        ALREADY softmaxed per group (channel g·K + p)
 *    dst             {N, Ho, Wo, C}          Ho = (H + 2·pad_h − (dil_h·(kh−1) + 1))/stride_h + 1 (same for W)
 *  with K = kh·kw and kernel point p = i·kh + j, i over x (width), j over y — x-major. For output (ho, wo),
 *  c = (dil·(k−1)) >> 1:
 *    loc_x = (c_w − pad_w + wo·stride_w) − c_w·os + (i·dil_w + off_x)·os
 *    loc_y = (c_h − pad_h + ho·stride_h) − c_h·os + (j·dil_h + off_y)·os
 *  (offset_scale `os` multiplies the regular grid too). A point with loc ≤ −1 or loc ≥ size contributes 0;
 *  otherwise bilinear with every tap outside the image counted as 0. All inputs share one dtype. */
typedef struct hv_dcnv3_params {
    int32_t kernel_h, kernel_w;       /**< 0 means 3 */
    int32_t stride_h, stride_w;       /**< 0 means 1 */
    int32_t pad_h, pad_w;             /**< zero padding (InternImage: (k−1)/2 = 1) */
    int32_t dilation_h, dilation_w;   /**< 0 means 1 */
    int32_t group;                    /**< G ≥ 1 */
    int32_t group_channels;           /**< Cg ≥ 1; C must equal G·Cg */
    float offset_scale;               /**< 0 means 1.0 (InternImage-XL: 2.0) */
} hv_dcnv3_params;

/* ---- RoIAlign (MODEL_SPEC §5.6–5.7) ---------------------------------------------------------------- */

#define HV_ROI_MAX_LEVELS 4

/** Multi-level RoIAlign, mmcv/torchvision semantics (average pooling):
 *    src[0..L-1]  feature maps {N, C, H_l, W_l} NCHW, same N, C and dtype (L = num_levels, 1..4)
 *    src[L]       rois {R, 5} = (batch_index, x1, y1, x2, y2) in input-image pixels, ALWAYS f32
 *    src[L+1]     (only with has_levels) levels {R}, f32 holding integers 0..L−1 (clamped)
 *    dst          {R, C, P, P} in the features' dtype
 *  Without has_levels the level is computed in the shader by mmdet's map_roi_levels rule (f32):
 *    t = sqrt((x2−x1)·(y2−y1)) / finest_scale + 1e-6, level = clamp(floor(log2 t), 0, L−1),
 *  evaluated as comparisons of t with 2, 4, 8 (no log2 rounding). RoIs within an ulp of a level boundary
 *  may then differ from a double-precision rule; pass explicit levels (hv_roi_level()) where that matters.
 *  Per RoI on level l with scale 1/stride_l (offset 0.5 when aligned):
 *    sx = x1/s − 0.5, rw = x2/s − 0.5 − sx (no min-1 clamp when aligned; clamp to ≥ 1 when not),
 *    bin = rw/P, grid gw = sampling_ratio > 0 ? sampling_ratio : ceil(rw/P) (may be 0 → output 0),
 *    out = Σ bilinear(sample) / max(gh·gw, 1), bilinear returning 0 outside [−1, H]×[−1, W].
 *  A batch index outside [0, N) gives an all-zero output row (never an out-of-bounds read). */
typedef struct hv_roi_align_params {
    int32_t num_levels;               /**< L, 1..4 */
    float strides[HV_ROI_MAX_LEVELS]; /**< feature stride of each level (4, 8, 16, 32 for P2..P5) */
    int32_t output_size;              /**< P (7 for boxes, 14 for masks) */
    int32_t sampling_ratio;           /**< 0 = adaptive ceil(roi/P) */
    bool aligned;                     /**< half-pixel offset (mmdet 2.x: true) */
    bool has_levels;                  /**< src[L+1] gives the level of each RoI */
    float finest_scale;               /**< level rule scale; 0 means 56 */
} hv_roi_align_params;

/** mmdet's map_roi_levels for one box, in f32 like mmdet: floor(log2(sqrt(w·h)/finest_scale + 1e-6))
 *  clamped to [0, num_levels−1] (finest_scale 0 means 56). */
HV_API int32_t hv_roi_level(float x1, float y1, float x2, float y2, float finest_scale, int32_t num_levels);

/* ---- image preprocessing (MODEL_SPEC §1) ----------------------------------------------------------- */

/** uint8 HWC frames → float NCHW, normalised and zero-padded bottom/right:
 *    src[0]  {N, words} packed bytes: image n's H·W·3 uint8 values (HWC, row-major) in 32-bit words,
 *            little-endian (byte b of the image is bits 8·(b%4).. of word b/4), words = ceil(H·W·3/4).
 *            The tensor is declared HV_F32 only so it has a 4-byte element: its bits are bytes, not
 *            floats (hv_preprocess_pack() fills it).
 *    dst     {N, 3, out_h, out_w} float (dtype `out_dtype`):
 *            dst[n, c, y, x] = (img[y, x, swap_rb ? 2−c : c] − mean[c]) · inv_std[c] inside the image,
 *            0 in the padding (after normalisation, as mmdet's Pad).
 *  Classifier (§1.1): RGB input, swap_rb false, mean 0, inv_std 1 → raw 0..255 RGB.
 *  Detector (§1.2): BGR input, swap_rb true, mmdet mean/std, out size = hv_preprocess_padded_size(). */
typedef struct hv_preprocess_params {
    int32_t in_h, in_w;               /**< image size (after any CPU-side resize) */
    int32_t out_h, out_w;             /**< output size ≥ the image (padding bottom/right); 0 means in_h/in_w */
    bool swap_rb;                     /**< output channel c reads input channel 2−c (BGR ↔ RGB) */
    float mean[3];                    /**< per OUTPUT channel */
    float inv_std[3];                 /**< per OUTPUT channel, multiplied (mmcv multiplies by 1/std); 0 means 1 */
    hv_dtype out_dtype;               /**< HV_F32 or HV_F16 */
} hv_preprocess_params;

/** Words per packed image: ceil(h·w·3/4). */
HV_API int64_t hv_preprocess_packed_words(int32_t h, int32_t w);

/** Pack `n` HWC uint8 images of h×w×3 (contiguous) into `dst` ({n, words} words, tail bytes zero). */
HV_API void hv_preprocess_pack(const uint8_t *src, int32_t n, int32_t h, int32_t w, uint32_t *dst);

/** mmcv's keep-ratio rescale (Resize keep_ratio=True, img_scale (target_w, target_h)):
 *    s = min(max(tw, th)/max(w, h), min(tw, th)/min(w, h)), new size (int(w·s + 0.5), int(h·s + 0.5)).
 *  Writes the new size and the scale; HV_ERR_INVALID_ARGUMENT for non-positive sizes. */
HV_API hv_status hv_preprocess_keep_ratio_size(int32_t w, int32_t h, int32_t target_w, int32_t target_h, int32_t *new_w,
                                        int32_t *new_h, double *scale);

/** Smallest multiples of `divisor` (≥ 1) that hold h and w (mmdet Pad size_divisor). */
HV_API void hv_preprocess_padded_size(int32_t h, int32_t w, int32_t divisor, int32_t *out_h, int32_t *out_w);

/** Resize a uint8 HWC image with OpenCV's cv2.resize(INTER_LINEAR) semantics on uint8 (CPU):
 *  half-pixel centres, edge clamping, 11-bit fixed-point coefficients, the result rounded to uint8
 *  ((Σ + 2^21) >> 22, the scalar path); an exact 2× downscale is INTER_AREA (2×2 mean, rounded) and the
 *  same size is a copy, as in OpenCV. OpenCV's SIMD vertical pass rounds differently (± 1 on a few
 *  pixels); see core/ops/preprocess_resize.c. channels 1..4. */
HV_API hv_status hv_preprocess_resize_u8(const uint8_t *src, int32_t w, int32_t h, int32_t channels, uint8_t *dst,
                                  int32_t new_w, int32_t new_h);

/* ---- RPN proposals on the device (MODEL_SPEC §5.5; issue 16) ------------------------------------------ */

/** Anchors per cell and candidates per level the device proposal ops handle (push-constant and
 *  shared-memory limits); larger configurations keep the host's hv_rpn_proposals. */
#define HV_RPN_OP_MAX_ANCHORS 8
#define HV_RPN_OP_MAX_PRE 1024
#define HV_RPN_OP_MAX_LEVELS 5
/** Floats per candidate row written by both ops (see below). */
#define HV_RPN_OP_ROW 8

/** One FPN level of mmdet's RPNHead._get_bboxes_single, for every frame of the batch:
 *    src[0] cls  {N, A, H, W}   objectness logits (any dtype)
 *    src[1] reg  {N, 4A, H, W}  deltas, channel 4a + {dx, dy, dw, dh}
 *    dst         {N, k, 8} f32, k = min(nms_pre, A·H·W): the k highest sigmoid scores of anchor index
 *                i = (y·W + x)·A + a, in order of score (ties: lower i first), each row
 *                (x1, y1, x2, y2, score, i, valid, 0) — the box decoded from the anchor with means 0 and
 *                stds 1, clamped to img_w × img_h; valid = 1 when its width and height exceed min_bbox_size.
 *  Same floats as hv_rpn_proposals' per-level candidates (the reference calls the same functions). */
typedef struct hv_rpn_topk_params {
    int32_t nms_pre;                 /**< k per level, 1..HV_RPN_OP_MAX_PRE */
    int32_t n_anchors;               /**< A, 1..HV_RPN_OP_MAX_ANCHORS */
    float stride;                    /**< the level's anchor stride in input pixels */
    float anchor_half[HV_RPN_OP_MAX_ANCHORS][2]; /**< half width and height of each base anchor: hv_anchors_base
                                                  *   gives (−hw, −hh, hw, hh), centred on 0 */
    float img_h, img_w;              /**< clamp size (> 0: the unpadded input) */
    float min_bbox_size;             /**< keep w > it and h > it (mmdet min_bbox_size, 0) */
} hv_rpn_topk_params;

/** The proposals of every frame from 1..HV_RPN_OP_MAX_LEVELS level outputs of hv_rpn_level_topk
 *  (src[l] {N, k_l, 8}, level l = its position): every valid candidate in order of score (ties: level,
 *  then row), greedy NMS within each level (mmcv batched_nms, hv_iou_exceeds with iou_thr), the first
 *  max_per_img kept. dst {N, max_per_img, 8} f32, row (x1, y1, x2, y2, score, level, i, 1) for each kept
 *  proposal in order, then rows of zeros. Equals hv_rpn_proposals on the same maps. */
typedef struct hv_rpn_nms_params {
    int32_t max_per_img;             /**< rows per frame, ≥ 1 */
    float iou_thr;                   /**< ≥ 0 */
} hv_rpn_nms_params;

/* ---- graph builders (see ops_conv.h for the conventions) ------------------------------------------ */

typedef struct hv_graph hv_graph;
typedef struct hv_tensor hv_tensor;

/** DCNv3 core: value [N,H,W,C], offsets [N,Ho,Wo,G·K·2], softmaxed mask [N,Ho,Wo,G·K] → [N,Ho,Wo,C]. */
HV_API hv_tensor *hv_dcnv3(hv_graph *g, hv_tensor *value, hv_tensor *offset, hv_tensor *mask, const hv_dcnv3_params *p,
                    const char *name);

/** Multi-level RoIAlign: `levels` holds p->num_levels NCHW maps, rois is f32 [R,5] (batch, x1,y1,x2,y2),
 *  `roi_levels` f32 [R] or NULL (then the level rule picks; p->has_levels is set accordingly). */
HV_API hv_tensor *hv_roi_align(hv_graph *g, hv_tensor *const *levels, hv_tensor *rois, hv_tensor *roi_levels,
                        const hv_roi_align_params *p, const char *name);

/** Image preprocessing: packed uint8 RGB words [N, hv_preprocess_packed_words(h,w)] → [N,3,out_h,out_w]. */
HV_API hv_tensor *hv_preprocess(hv_graph *g, hv_tensor *packed, const hv_preprocess_params *p, const char *name);

/** One level's top-k proposal candidates (hv_rpn_topk_params): cls, reg → {N, k, 8} f32. */
HV_API hv_tensor *hv_rpn_level_topk(hv_graph *g, hv_tensor *cls, hv_tensor *reg, const hv_rpn_topk_params *p,
                                    const char *name);

/** Batched NMS over n_levels candidate tensors of hv_rpn_level_topk → {N, max_per_img, 8} f32. */
HV_API hv_tensor *hv_rpn_nms(hv_graph *g, hv_tensor *const *levels, int32_t n_levels, const hv_rpn_nms_params *p,
                             const char *name);

#ifdef __cplusplus
}
#endif
#endif
