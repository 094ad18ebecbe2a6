/* hemovk/models.h — the paper's backbones and classification head as graph builders.
 *
 * Each builder adds a network to an hv_graph from a set of named weights (hv_weights: a safetensors
 * file or an SWA average) whose names are the mmpretrain / MMDetection checkpoint names, under a prefix
 * ("backbone." by default). It reads every tensor with its exact expected shape, so a missing or
 * misshapen tensor is an error naming it ("weights.safetensors: no tensor 'backbone.layers.3.0.se.conv1.
 * conv.weight'" / "tensor 'x': expected [64, 3, 3, 3], file has [32, 3, 3, 3]"), reported through
 * hv_graph_status() and the builder's return value. Weights are stored in the graph in the dtype of the
 * input tensor (f32 or f16); activations keep that dtype; arithmetic is f32.
 *
 *     hv_graph *g; hv_graph_create(&g);
 *     hv_tensor *img = hv_graph_input(g, "image", HV_F32, HV_LAYOUT_NCHW, 4, (int64_t[]){1, 3, 224, 224});
 *     hv_backbone_outputs bo;
 *     hv_efficientnet_params ep = {.arch = "b7"};
 *     hv_efficientnet_build(g, img, weights, &ep, &bo);
 *     hv_tensor *logits, *probs;
 *     hv_cls_head_build(g, bo.last, weights, NULL, &logits, &probs, NULL);
 *     hv_graph_output(g, probs, "probs");
 *
 * Math and names: MODEL_SPEC §2 (EfficientNet), §3 (ConvNeXt), §4 (InternImage/DCNv3), §1 (inputs). */
#ifndef HEMOVK_MODELS_H
#define HEMOVK_MODELS_H

#include "hemovk/export.h"

#include <stdbool.h>
#include <stdint.h>

#include "hemovk/graph.h"
#include "hemovk/status.h"
#include "hemovk/weights.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Most feature maps a backbone returns. */
#define HV_BACKBONE_MAX_OUTS 8

/** What a backbone builder returns. Feature maps are NCHW (what FPN and the heads take). */
typedef struct hv_backbone_outputs {
    uint32_t count;                          /**< number of maps in feats (= number of out_indices) */
    hv_tensor *feats[HV_BACKBONE_MAX_OUTS];  /**< in out_indices order */
    int32_t index[HV_BACKBONE_MAX_OUTS];     /**< the layer/stage index of each map */
    int32_t channels[HV_BACKBONE_MAX_OUTS];  /**< C of each map */
    int32_t stride[HV_BACKBONE_MAX_OUTS];    /**< input pixels per map pixel (2, 4, 8, 16, 32) */
    /** The final map for classification (NCHW): EfficientNet's last 1×1 conv output, ConvNeXt's last
     *  stage BEFORE its output norm (the classifier applies norm3 after pooling), InternImage's last
     *  stage output. Built whether or not it is among the out_indices. */
    hv_tensor *last;
    int32_t last_channels;
} hv_backbone_outputs;

/* ---- input: preprocessing at the front of the graph (MODEL_SPEC §1) ------------------------------ */

/** Which normalisation the network was trained with. */
typedef enum hv_input_norm {
    /** Raw 0–255 RGB floats, no mean/std: the paper's EfficientNet-B7 classifier (§1.1). */
    HV_INPUT_RAW_RGB = 0,
    /** (x − mean)/std with ImageNet mean [123.675, 116.28, 103.53], std [58.395, 57.12, 57.375] in RGB
     *  order: the MMDetection detectors (§1.2) and most torchvision/timm models (on 0–255 input). */
    HV_INPUT_IMAGENET = 1
} hv_input_norm;

/** Describes the frames fed to the graph: N packed uint8 HWC images of h×w×3. */
typedef struct hv_model_input_params {
    int32_t batch, height, width;   /**< N ≥ 1 and the image size (after any CPU-side resize) */
    hv_input_norm norm;
    bool bgr;                       /**< frames are BGR (OpenCV decode): swap to RGB on the device */
    int32_t pad_divisor;            /**< pad bottom/right to a multiple (mmdet: 32); 0 or 1: no padding */
    hv_dtype dtype;                 /**< dtype of the float image (and so of the whole network) */
    const char *name;               /**< graph input name; NULL → "frames" */
} hv_model_input_params;

/** Add the input and the preprocessing op: `*packed` is a graph input {N, ceil(h·w·3/4)} of packed bytes
 *  (fill with hv_preprocess_pack(), set with hv_plan_set_input(..., HV_F32, ...) on the packed words),
 *  `*image` the normalised NCHW float image {N, 3, H_pad, W_pad} to give a backbone builder. */
HV_API hv_status hv_model_input(hv_graph *g, const hv_model_input_params *p, hv_tensor **packed, hv_tensor **image);

/** The same normalisation on the host, for steps that feed a network CPU-side floats (SWA BatchNorm
 *  recalibration): one frame of interleaved RGB bytes {h, w, 3} → planar floats {3, h, w}, raw 0–255
 *  or (x − mean)·(1/std) with hv_model_input's constants and rounding. No padding, no BGR swap. */
HV_API hv_status hv_model_input_host(const uint8_t *rgb, int32_t height, int32_t width, hv_input_norm norm, float *dst);

/* ---- EfficientNet (mmpretrain, MODEL_SPEC §2) ---------------------------------------------------- */

typedef enum hv_effnet_padding {
    HV_EFFNET_PAD_TF_SAME = 0,   /**< dynamic TF "SAME" (Conv2dAdaptivePadding): mmpretrain, the paper */
    HV_EFFNET_PAD_SYMMETRIC = 1  /**< (k−1)/2 on every side: torchvision */
} hv_effnet_padding;

/** EfficientNet parameters; zero-initialised = b0, TF-SAME, eps 1e-3, out_indices {6}. */
typedef struct hv_efficientnet_params {
    const char *arch;            /**< "b0".."b7" (width/depth table); NULL → "b0" */
    double width, depth;         /**< > 0 overrides the arch's multipliers (e.g. 0.25 / 0.34 in tests) */
    hv_effnet_padding padding;
    float bn_eps;                /**< BatchNorm eps; 0 → 1e-3 (mmpretrain; torchvision b0–b4 use 1e-5) */
    uint32_t num_out;            /**< entries used in out_indices; 0 → {6} (the last layer) */
    int32_t out_indices[HV_BACKBONE_MAX_OUTS]; /**< layers 0..6 (layers.0 stem … layers.6 final conv);
                                                    detection uses 2..5 */
    const char *prefix;          /**< weight name prefix; NULL → "backbone." */
} hv_efficientnet_params;

/** Add an EfficientNet to `g` on NCHW image `x` {N, 3, H, W}. BatchNorm is folded into each conv
 *  (w·γ/√(var+eps), β − mean·γ/√(var+eps)) while building: the graph holds no BN op. Squeeze-excitation
 *  and Swish as in mmpretrain. Reads `prefix`layers.*; refuses a set that still needs BN
 *  recalibration (hv_weights_needs_bn_recalibration) — run hv_efficientnet_recalibrate_bn() first. */
HV_API hv_status hv_efficientnet_build(hv_graph *g, hv_tensor *x, const hv_weights *w, const hv_efficientnet_params *p,
                                hv_backbone_outputs *out);

/** SWA BatchNorm recalibration (MODEL_SPEC §6.3 option (c), weights.h HV_SWA_BN_RECALIBRATE): run the
 *  network of `w` (already averaged) over calibration images with the semantics of PyTorch's
 *  torch.optim.swa_utils.update_bn — every BN in train mode normalises with its batch's statistics
 *  (biased variance), and the new running_mean / running_var are the plain average over batches of each
 *  batch's mean and UNBIASED variance (momentum None) — then writes them into `w` with
 *  hv_weights_set_tensor_f32() and calls hv_weights_mark_bn_recalibrated().
 *  `images` holds n_images float NCHW images {3, h, w} already preprocessed the way the network is fed
 *  (raw 0–255 RGB for the paper's classifier); they are taken in batches of `batch_size` (the last batch
 *  may be smaller, as a DataLoader's). Runs on the CPU reference backend (an offline step). Every BN
 *  needs > 1 value per channel in each batch (PyTorch's rule), else HV_ERR_INVALID_ARGUMENT. */
HV_API hv_status hv_efficientnet_recalibrate_bn(hv_weights *w, const hv_efficientnet_params *p, const float *images,
                                         int32_t n_images, int32_t batch_size, int32_t height, int32_t width);

/* ---- ConvNeXt (mmcls 0.x / mmpretrain, MODEL_SPEC §3) --------------------------------------------- */

typedef enum hv_convnext_out_norms {
    /** Apply norm{i} to the outputs when the weights hold `prefix`norm0 (detection checkpoints hold
     *  norm0..3; classifier checkpoints only norm3, which the head applies after pooling). */
    HV_CONVNEXT_OUT_NORMS_AUTO = 0,
    HV_CONVNEXT_OUT_NORMS_OFF = 1,
    HV_CONVNEXT_OUT_NORMS_ON = 2
} hv_convnext_out_norms;

/** ConvNeXt parameters; zero-initialised = tiny, eps 1e-6, downsample eps 1e-5, out_indices 0..3. */
typedef struct hv_convnext_params {
    const char *arch;            /**< "tiny", "small", "base", "large"; NULL → "tiny" */
    int32_t depths[4], dims[4];  /**< all > 0 overrides the arch */
    float ln_eps;                /**< block, stem and output norms; 0 → 1e-6 */
    /** Downsample LayerNorm eps; 0 → 1e-5. [CONFLICT §3]: mmcls 0.x (what mmdet 2.x loads, the authors'
     *  pinned detection stack) builds it without norm_cfg → nn.LayerNorm's 1e-5; mmpretrain 1.x, the
     *  official code and torchvision use 1e-6. Set 1e-6 for those. */
    float downsample_eps;
    hv_convnext_out_norms out_norms;
    uint32_t num_out;            /**< 0 → {0, 1, 2, 3} */
    int32_t out_indices[HV_BACKBONE_MAX_OUTS];
    const char *prefix;          /**< NULL → "backbone." */
} hv_convnext_params;

/** Add a ConvNeXt on NCHW `x`. Runs NCHW throughout: the channels-last Linear pair of each block is a
 *  pair of 1×1 convs, the layer scale γ is folded into the second one (exact up to rounding) and the
 *  residual add is fused into it. Layer scale is used when `prefix`stages.0.0.gamma exists. */
HV_API hv_status hv_convnext_build(hv_graph *g, hv_tensor *x, const hv_weights *w, const hv_convnext_params *p,
                            hv_backbone_outputs *out);

/* ---- InternImage (MODEL_SPEC §4) ----------------------------------------------------------------- */

typedef enum hv_tristate { HV_TRI_AUTO = 0, HV_TRI_OFF = 1, HV_TRI_ON = 2 } hv_tristate;

/** InternImage parameters; zero-initialised = "t". Arch defaults (channels, depths, groups, offset_scale,
 *  post_norm): t 64/[4,4,18,4]/[4,8,16,32]/1.0/pre, s 80/[4,4,21,4]/[5,10,20,40]/1.0/pre,
 *  b 112/[4,4,21,4]/[7,14,28,56]/1.0/pre, l 160/[5,5,22,5]/[10,20,40,80]/2.0/post,
 *  xl 192/[5,5,24,5]/[12,24,48,96]/2.0/post; mlp_ratio 4 for all. */
typedef struct hv_internimage_params {
    const char *arch;            /**< "t", "s", "b", "l", "xl"; NULL → "t" */
    int32_t channels;            /**< > 0 overrides C0 */
    int32_t depths[4], groups[4];/**< all > 0 overrides */
    float mlp_ratio;             /**< 0 → arch (4) */
    float offset_scale;          /**< 0 → arch */
    hv_tristate post_norm;       /**< AUTO → arch */
    hv_tristate layer_scale;     /**< AUTO → used when `prefix`levels.0.blocks.0.gamma1 exists */
    float ln_eps;                /**< 0 → 1e-6 */
    uint32_t num_out;            /**< 0 → {0, 1, 2, 3} */
    int32_t out_indices[HV_BACKBONE_MAX_OUTS];
    const char *prefix;          /**< NULL → "backbone." */
} hv_internimage_params;

/** Add an InternImage on NCHW `x`: stem in NCHW, then NHWC inside the levels (Linears on the channel
 *  axis, the DCNv3 module composed of input_proj, depthwise 3×3 + LN + GELU, offset/mask Linears,
 *  grouped softmax over K = 9, the DCNv3 core op and output_proj), NCHW feature maps out. Layer scale
 *  γ is folded into output_proj / fc2 (pre-norm) or into the post LN's affine (post-norm). */
HV_API hv_status hv_internimage_build(hv_graph *g, hv_tensor *x, const hv_weights *w, const hv_internimage_params *p,
                               hv_backbone_outputs *out);

/* ---- classification head ----------------------------------------------------------------------- */

/** GAP → [LayerNorm] → Linear → softmax. Zero-initialised = mmpretrain LinearClsHead ("head.fc", no norm). */
typedef struct hv_cls_head_params {
    const char *fc;              /**< Linear tensor prefix; NULL → "head.fc" ({.weight [K, C], .bias [K]}) */
    /** LayerNorm applied after pooling (mmpretrain ConvNeXt gap_before_final_norm: "backbone.norm3"),
     *  NULL for none. */
    const char *norm;
    float norm_eps;              /**< 0 → 1e-6 */
} hv_cls_head_params;

/** Add the head on NCHW `feat` {N, C, H, W}. `*logits` and `*probs` (softmax over the classes) are
 *  {N, K, 1, 1} NCHW — read back as N×K values, class-major per image (either pointer may be NULL);
 *  `*num_classes` receives K, read from the fc weight's shape. `p` may be NULL. */
HV_API hv_status hv_cls_head_build(hv_graph *g, hv_tensor *feat, const hv_weights *w, const hv_cls_head_params *p,
                            hv_tensor **logits, hv_tensor **probs, int32_t *num_classes);

#ifdef __cplusplus
}
#endif
#endif
