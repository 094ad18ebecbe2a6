/* core/maskrcnn/maskrcnn_internal.h — the Mask R-CNN model object, its plan caches and the graph
 * builders of the FPN and the heads (shared by maskrcnn.c, maskrcnn_stages.c and maskrcnn_tta.c). */
#ifndef HEMOVK_CORE_MASKRCNN_INTERNAL_H
#define HEMOVK_CORE_MASKRCNN_INTERNAL_H

#include <stdbool.h>

#include "hemovk/detect.h"
#include "hemovk/maskrcnn.h"

#define MR_MASK 28            /* mask head output size */
#define MR_MAX_PLANS 16       /* per kind and device slot (TTA view) */

/** Which graph a cached plan holds. */
typedef enum mr_plan_kind { MR_PLAN_FEAT_IMAGE = 0, MR_PLAN_FEAT_PIXELS = 1, MR_PLAN_BOX = 2, MR_PLAN_MASK = 3 } mr_plan_kind;

typedef struct mr_plan {
    int32_t kind, a, b;       /* features: padded (or image) h, w; heads: rows, unused */
    int32_t batch;            /* frames per run (features), frames the linked maps hold (heads) */
    int32_t slot;             /* features: −1 = FPN maps read back (the stage-by-stage API); ≥ 0 = FPN maps
                               * kept on the device, one plan per TTA view slot (views alive together) */
    int32_t fh[HV_MRCNN_LEVELS], fw[HV_MRCNN_LEVELS]; /* heads: the map sizes the plan was built for */
    hv_plan *src;             /* heads: the features plan whose P2..P5 they read on the device (linked),
                               * or NULL: fed from host copies */
    int32_t props;            /* features: 1 = the plan ends in the RPN proposals (maskrcnn_proposals.c)
                               * and reads back those rows instead of the RPN maps */
    float *rows;              /* features with props: the last run's proposal rows, batch × rpn_max_per_img
                               * × HV_RPN_OP_ROW (owned) */
    hv_graph *g;
    hv_plan *plan;
} mr_plan;

struct hv_maskrcnn {
    hv_maskrcnn_params p;
    const hv_weights *w;
    hv_device *dev;
    int32_t num_classes;      /* fc_cls rows − 1 */
    int32_t channels;         /* FPN width (256) */
    int32_t fc;               /* Shared2FC width (1024) */
    int32_t roi_size;         /* box RoIAlign output (7) */
    int32_t mask_roi;         /* mask RoIAlign output (14) */
    int32_t anchors;          /* the RPN head's A: 3 ratios × the anchor scales */
    bool device_props;        /* device slots select proposals on the device (mr_choose_device_proposals) */
    mr_plan plans[MR_MAX_PLANS * 4 * HV_MRCNN_MAX_TTA];
    uint32_t n_plans;
    char problem[256];        /* the first non-finite / saturated output of the current detect, or "" */
};

/* ---- graph builders (maskrcnn_graph.c); all record errors on the graph and return NULL ------------- */

/** A weight read with shape check (`rank`/`dims` as stored) and declared with shape `grank`/`gdims`
 *  (a reshape of the same data, e.g. an FC weight as a 7×7 conv) in `dt`. gdims NULL: as stored. */
hv_tensor *mr_weight(hv_graph *g, const hv_weights *w, hv_dtype dt, const char *name, uint32_t rank,
                     const int64_t *dims, uint32_t grank, const int64_t *gdims);

/** {R, ...} → {R, numel/R} (a copy on the device; see maskrcnn_flatten.c). */
hv_tensor *mr_flatten(hv_graph *g, hv_tensor *x, const char *name);

/** Backbone per params on NCHW x; the first four maps go to the FPN. */
hv_status mr_backbone(const hv_maskrcnn *m, hv_graph *g, hv_tensor *x, hv_backbone_outputs *bo);

/** FPN (§5.1) on four backbone maps → P2..P6 in p[0..4]. */
hv_status mr_fpn(const hv_maskrcnn *m, hv_graph *g, hv_tensor *const *c, const int32_t *in_ch, hv_tensor **p);

/** RPN head (§5.2) shared over the five levels → cls[i] {1, A, h, w}, reg[i] {1, 4A, h, w}. */
hv_status mr_rpn(const hv_maskrcnn *m, hv_graph *g, hv_tensor *const *p, hv_tensor **cls, hv_tensor **reg);

/** Shared2FC box head (§5.8) on RoIAlign 7×7 of P2..P5 for rois {R, 5} and levels {R} → cls {R, K+1},
 *  reg {R, 4K}. */
hv_status mr_box_head(const hv_maskrcnn *m, hv_graph *g, hv_tensor *const *p, hv_tensor *rois, hv_tensor *levels,
                      hv_tensor **cls, hv_tensor **reg);

/** FCN mask head (§5.10) → logits {R, K, 28, 28}. */
hv_status mr_mask_head(const hv_maskrcnn *m, hv_graph *g, hv_tensor *const *p, hv_tensor *rois, hv_tensor *levels,
                       hv_tensor **logits);

/* ---- plans (maskrcnn_plans.c) ----------------------------------------------------------------------- */

/** The features graph (no plan) for `batch` inputs of h×w of `kind` (see mr_feature_plan); with `props`
 *  (FEAT_PIXELS only) its outputs are the RPN proposals ("proposals") instead of the RPN maps. */
hv_status mr_features_graph(const hv_maskrcnn *m, mr_plan_kind kind, int32_t h, int32_t w, int32_t batch, bool props,
                            hv_graph **out);

/** The box or mask head graph (no plan) for maps of batch × channels × fh[l] × fw[l] (P2..P5) and `rows`
 *  RoIs (each naming its frame in column 0). */
hv_status mr_head_graph(const hv_maskrcnn *m, mr_plan_kind kind, int32_t channels, const int32_t *fh, const int32_t *fw,
                        int32_t rows, int32_t batch, hv_graph **out);

/** Record in m->problem (first one wins) when `v` holds non-finite values or, for an f16 model, values at
 *  ±65504 (maskrcnn_check.c). `what` names the output. */
void mr_scan_output(hv_maskrcnn *m, const char *what, const float *v, size_t n);

/** The features plan for an input of h×w (kind FEAT_IMAGE: float image of that size; FEAT_PIXELS: packed
 *  uint8 image of that size, padded on the device) and `slot` (see mr_plan), built on first use. A
 *  device slot's plan reads back only the RPN maps (and the FPN level params.keep_fpn_level asks for). */
hv_status mr_feature_plan(hv_maskrcnn *m, mr_plan_kind kind, int32_t h, int32_t w, int32_t slot, int32_t batch,
                          mr_plan **out);

/** The box or mask plan with at least `rows` RoI rows for maps of the sizes in f, built on first use;
 *  `src` non-NULL: its P2..P5 inputs linked to that features plan's outputs (never through the host). */
hv_status mr_head_plan(hv_maskrcnn *m, mr_plan_kind kind, const hv_maskrcnn_features *f, size_t rows, hv_plan *src,
                       int32_t batch, mr_plan **out);

/** Smallest bucket ≥ rows: 4·factor^k (box plans ×4: 4, 16, 64, 256, 1024; mask plans ×2: 4, 8, 16, …),
 *  capped at `cap` (rows ≤ cap). */
size_t mr_bucket(size_t rows, size_t cap, size_t factor);

/** Feed the four P2..P5 maps of f (unless the plan is linked to its features plan), the rois (frame
 *  bidx[i], or 0 when bidx is NULL; padded with batch −1 rows) and their levels to a head plan and run it. */
hv_status mr_run_head(hv_maskrcnn *m, mr_plan *pl, const hv_maskrcnn_features *f, const hv_box *boxes,
                      const int32_t *bidx, size_t n);

/* ---- device-resident stages (maskrcnn.c) --------------------------------------------------------- */

/** Features of n resized HWC uint8 images of img_h × img_w, run as one batch of `batch` ≥ n frames
 *  (the rest zero) in device slot `slot`: f gets the RPN maps of all `batch` frames (frame-major) and
 *  the keep_fpn_level map as host copies, f->fpn[] stays NULL otherwise — the maps stay in the plan
 *  returned in *src, which the heads below read on the device until that slot's next run. When the
 *  model selects proposals on the device, f has no RPN maps and *rows points at the plan's proposal
 *  rows (valid until the slot's next run); else *rows is NULL. Read proposals with mr_frame_proposals. */
hv_status mr_features_on_device(hv_maskrcnn *m, const uint8_t *const *pixels, size_t n, int32_t batch, int32_t img_h,
                                int32_t img_w, int32_t slot, hv_maskrcnn_features *f, hv_plan **src,
                                const float **rows);

/* ---- proposals (maskrcnn_proposals.c) -------------------------------------------------------------- */

/** hv_rpn_params of the model's test_cfg and anchors for an img_h × img_w input. */
void mr_rpn_params(const hv_maskrcnn *m, int32_t img_h, int32_t img_w, hv_rpn_params *rp);

/** Whether device slots select proposals on the device: HEMOVK_PROPOSALS=device|host, else on GPUs;
 *  never where the test_cfg exceeds the device ops (rpn_nms_pre 0 or > 1024, > 8 anchors per cell). */
bool mr_choose_device_proposals(const hv_maskrcnn *m);

/** rpn_level_topk on each level's cls/reg and rpn_nms over them, for inputs of img_h × img_w. */
hv_tensor *mr_proposals_graph(const hv_maskrcnn *m, hv_graph *g, hv_tensor *const *cls, hv_tensor *const *reg,
                              int32_t img_h, int32_t img_w);

/** Frame i's proposals (capacity test.rpn_max_per_img): from the device rows of mr_features_on_device,
 *  or, when rows is NULL, hv_maskrcnn_proposals on the frame's RPN maps in f. */
hv_status mr_frame_proposals(hv_maskrcnn *m, const hv_maskrcnn_features *f, const float *rows, size_t i, hv_det *out,
                             size_t *n_out);

/** hv_maskrcnn_box_head / hv_maskrcnn_mask_head reading the FPN maps of `batch` frames from `src`
 *  (mr_features_on_device; RoI i on frame bidx[i], all on frame 0 when bidx is NULL), or from f's host
 *  copies when src is NULL (batch 1). */
hv_status mr_box_head_run(hv_maskrcnn *m, const hv_maskrcnn_features *f, hv_plan *src, int32_t batch,
                          const hv_box *rois, const int32_t *bidx, size_t n, float *cls_score, float *bbox_pred);
hv_status mr_mask_head_run(hv_maskrcnn *m, const hv_maskrcnn_features *f, hv_plan *src, int32_t batch,
                           const hv_box *boxes, const int32_t *bidx, size_t n, float *logits);

/** Frame i's view of batched features (mr_features_on_device with n > 1): its RPN maps inside the
 *  frame-major arrays, no FPN maps (those stay on the device). */
hv_maskrcnn_features mr_frame_view(const hv_maskrcnn *m, const hv_maskrcnn_features *f, size_t i);

/** One pass over n frames resized to the same ih × iw (scales sx[i], sy[i] from each frame), all in one
 *  batch of each network (maskrcnn_batch.c): out[i] as mr_single gives for frame i. */
hv_status mr_single_batch(hv_maskrcnn *m, const uint8_t *const *imgs, size_t n, int32_t ih, int32_t iw,
                          const float *sx, const float *sy, hv_maskrcnn_result *out);

/* ---- single-pass and TTA glue (maskrcnn.c, maskrcnn_tta.c) -------------------------------------- */

/** A frame keep-ratio resized to the model's target (mmdet's Resize on uint8). */
typedef struct mr_frame {
    const uint8_t *img;       /* nh × nw × 3: the frame itself or `resized` */
    uint8_t *resized;         /* owned, NULL when no resize was needed */
    int32_t w, h, nw, nh;
    float sx, sy;             /* scale_factor (nw / w, nh / h) in f32 */
} mr_frame;

/** Resize one frame for the model (free fr->resized after use, also on an error). */
hv_status mr_resize_frame(const hv_maskrcnn *m, const uint8_t *pixels, int32_t w, int32_t h, mr_frame *fr);

/** One pass on the resized image ih×iw (scale sx, sy from the frame): dets in frame pixels (mmdet's
 *  (det·s)/s round trip done) and their 28×28 probabilities; no paste. */
hv_status mr_single(hv_maskrcnn *m, const uint8_t *img, int32_t ih, int32_t iw, float sx, float sy,
                    hv_maskrcnn_result *out);

/** Test-time augmentation (maskrcnn_tta.c): every field of out but masks (the caller pastes). */
hv_status mr_detect_tta(hv_maskrcnn *m, const uint8_t *img, int32_t ih, int32_t iw, float sx, float sy,
                        int32_t h0, int32_t w0, const hv_maskrcnn_tta *tta, hv_maskrcnn_result *out);

/** Softmax scores n × (K+1) and class-wise decoded boxes n × K clamped to img_h × img_w (no rescale). */
hv_status mr_decode_raw(const hv_maskrcnn *m, int32_t img_h, int32_t img_w, const hv_box *rois, size_t n,
                        const float *cls_score, const float *bbox_pred, float *scores, hv_box *boxes);

/** sigmoid of the label's channel of each 28×28 logit map → probs (n × 784). */
void mr_mask_probs(const float *logits, const hv_det *dets, size_t n, int32_t num_classes, float *probs);

/** Paste n probability maps at h0×w0 with the rescale round trip of mmdet (box·s/s) → r->masks. */
hv_status mr_paste_all(const hv_maskrcnn *m, hv_maskrcnn_result *r);

#endif
