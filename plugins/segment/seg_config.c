/* The segmenter's parameter schema and its reading into a seg_config (MODEL_SPEC §1.2 preprocessing,
 * §5.0 test_cfg with the paper's values as defaults, §6.2 TTA). The schema is the one place those
 * defaults are written: the groups that hold them default to {} so the validator fills every value in,
 * and the reader takes each one from the params (hv_config_need_*), never from hv_maskrcnn_params_default.
 * tests/maskrcnn/test_schema_defaults.c proves the C API's paper defaults still say the same. */
#include "segment_plugin.h"

#include <stdio.h>
#include <string.h>

const char seg_param_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "required: [backbone, weights]\n"
    "properties:\n"
    "  model:\n"
    "    description: name written into every detection's `model` field (ensembles group by it)\n"
    "    type: string\n"
    "    minLength: 1\n"
    "    maxLength: 63\n"
    "    default: maskrcnn\n"
    "  backbone:\n"
    "    description: the feature extractor - a BACKBONE component (convnext, internimage, efficientnet, or a third-party one) and its params; it must return 4 maps of strides 4..32 (efficientnet - out_indices [2, 3, 4, 5])\n"
    "    type: object\n"
    "    additionalProperties: false\n"
    "    required: [component]\n"
    "    properties:\n"
    "      component: {type: string, pattern: '^[a-z][a-z0-9_.-]*$'}\n"
    "      params: {type: object, description: checked against the backbone component's own schema}\n"
    "  weights:\n"
    "    description: MMDetection-named weights - a WEIGHT_LOADER component (safetensors with files or a glob, swa) and its params; or random (made-up weights for plumbing demos, detections are meaningless)\n"
    "    type: object\n"
    "    additionalProperties: false\n"
    "    properties:\n"
    "      loader: {type: string, pattern: '^[a-z][a-z0-9_.-]*$'}\n"
    "      params: {type: object, description: checked against the loader component's own schema}\n"
    "      ignore:\n"
    "        description: glob patterns (fnmatch) of tensor names the model may leave unread - a checkpoint's extra, training-only parts; any other tensor the model does not read is an error, so weights of another variant are never half-used\n"
    "        type: array\n"
    "        items: {type: string, minLength: 1}\n"
    "      random:\n"
    "        type: object\n"
    "        additionalProperties: false\n"
    "        properties:\n"
    "          seed: {type: integer, minimum: 0, default: 0}\n"
    "    oneOf:\n"
    "      - required: [loader]\n"
    "        not: {required: [random]}\n"
    "      - required: [random]\n"
    "        not: {anyOf: [{required: [loader]}, {required: [params]}, {required: [ignore]}]}\n"
    "  num_classes:\n"
    "    description: classes of the heads (0 - read from the weights; random weights - 1)\n"
    "    type: integer\n"
    "    minimum: 0\n"
    "    maximum: 1000\n"
    "    default: 0\n"
    "  fpn_channels:\n"
    "    description: FPN and head width (0 - read from the weights; random weights - 256, MMDetection's)\n"
    "    type: integer\n"
    "    minimum: 0\n"
    "    maximum: 4096\n"
    "    default: 0\n"
    "  fc_channels:\n"
    "    description: Shared2FC width (0 - read from the weights; random weights - 1024)\n"
    "    type: integer\n"
    "    minimum: 0\n"
    "    maximum: 16384\n"
    "    default: 0\n"
    "  anchor_scales:\n"
    "    description: the RPN's anchor scales (MMDetection AnchorGenerator scales; ratios 0.5/1/2, strides 4-64) - [8] is MMDetection's and the paper's; the weights' RPN head predicts 3 x this many anchors per cell\n"
    "    type: array\n"
    "    minItems: 1\n"
    "    maxItems: 4\n"
    "    items: {type: number, exclusiveMinimum: 0, maximum: 1024}\n"
    "    default: [8]\n"
    "  preprocess:\n"
    "    description: MMDetection test pipeline (MODEL_SPEC 1.2) - keep-ratio resize to size (cv2 bilinear), mean/std in RGB order, pad bottom/right to pad_divisor\n"
    "    type: object\n"
    "    additionalProperties: false\n"
    "    default: {}\n"
    "    properties:\n"
    "      size: {description: '[height, width] of the keep-ratio target; [0, 0] - no resize', type: array, minItems: 2, maxItems: 2, items: {type: integer, minimum: 0, maximum: 8192}, default: [224, 224]}\n"
    "      mean: {type: array, minItems: 3, maxItems: 3, items: {type: number}, default: [123.675, 116.28, 103.53]}\n"
    "      std: {type: array, minItems: 3, maxItems: 3, items: {type: number, exclusiveMinimum: 0}, default: [58.395, 57.12, 57.375]}\n"
    "      pad_divisor: {type: integer, minimum: 0, maximum: 1024, default: 32}\n"
    "  test_cfg:\n"
    "    description: MMDetection test_cfg; defaults are the paper's (MODEL_SPEC 5.0)\n"
    "    type: object\n"
    "    additionalProperties: false\n"
    "    default: {}\n"
    "    properties:\n"
    "      rpn:\n"
    "        type: object\n"
    "        additionalProperties: false\n"
    "        default: {}\n"
    "        properties:\n"
    "          nms_pre: {type: integer, minimum: 0, default: 1000, description: per-level top-k before NMS (0 - all)}\n"
    "          max_per_img: {type: integer, minimum: 1, maximum: 100000, default: 1000}\n"
    "          iou_threshold: {type: number, minimum: 0, maximum: 1, default: 0.01}\n"
    "          min_bbox_size: {type: number, minimum: 0, default: 0}\n"
    "      rcnn:\n"
    "        type: object\n"
    "        additionalProperties: false\n"
    "        default: {}\n"
    "        properties:\n"
    "          score_thr: {type: number, minimum: 0, maximum: 1, default: 0.05}\n"
    "          iou_threshold: {type: number, minimum: 0, maximum: 1, default: 0.2}\n"
    "          max_per_img: {type: integer, minimum: 1, maximum: 10000, default: 100}\n"
    "          mask_thr_binary: {type: number, minimum: 0, maximum: 1, default: 0.2}\n"
    "  tta:\n"
    "    description: detection test-time augmentation (MODEL_SPEC 6.2); absent - one pass\n"
    "    type: object\n"
    "    additionalProperties: false\n"
    "    properties:\n"
    "      transforms:\n"
    "        type: array\n"
    "        minItems: 1\n"
    "        maxItems: 8\n"
    "        items: {enum: [identity, hflip, vflip, rot90, rot180, rot270]}\n"
    "        default: [identity, hflip]\n"
    "      merge:\n"
    "        description: mmdet - one NMS over all proposals, mean of boxes/scores of the same proposals, mean masks (mmdet aug_test); nms - per-aug detections merged by NMS; wbf - weighted boxes fusion\n"
    "        enum: [mmdet, nms, wbf]\n"
    "        default: mmdet\n"
    "      wbf_iou: {type: number, exclusiveMinimum: 0, maximum: 1, default: 0.55}\n"
    "  cam:\n"
    "    description: expose an FPN map of each frame as feature \"<id>.<layer>\" for the cam stage\n"
    "    type: object\n"
    "    additionalProperties: false\n"
    "    required: [layer]\n"
    "    properties:\n"
    "      layer: {enum: [fpn.0, fpn.1, fpn.2, fpn.3, fpn.4]}\n"
    "  mask_format:\n"
    "    description: how masks are stored on the frame (frame-sized) - rle (COCO runs, compact) or bitmap\n"
    "    enum: [rle, bitmap]\n"
    "    default: rle\n"
    "  precision:\n"
    "    description: storage precision of weights and activations (default - the pipeline's)\n"
    "    enum: [f32, f16]\n";

/* A list of n numbers the schema fills (preprocess.mean/std: exactly 3). */
static hv_status need_floats(const hv_config_node *map, const char *key, float *out, size_t n) {
    const hv_config_node *list = NULL;
    hv_status st = hv_config_need(map, key, &list);
    for (size_t i = 0; !st && i < n && i < hv_config_size(list); i++) {
        double v = 0;
        if (!(st = hv_config_as_double(hv_config_item(list, i), &v))) out[i] = (float)v;
    }
    return st;
}

/* An int the schema fills, into an int32_t (the schema's maximum keeps it in range). */
static hv_status need_i32(const hv_config_node *map, const char *key, int32_t *out) {
    int64_t v = 0;
    hv_status st = hv_config_need_int(map, key, &v);
    if (!st) *out = (int32_t)v;
    return st;
}

/* A number the schema fills, into a float. */
static hv_status need_f32(const hv_config_node *map, const char *key, float *out) {
    double v = 0;
    hv_status st = hv_config_need_double(map, key, &v);
    if (!st) *out = (float)v;
    return st;
}

static hv_tta_tf tf_of(const char *s) {
    static const char *names[] = {"identity", "hflip", "vflip", "rot90", "rot180", "rot270"};
    for (int i = 0; i < 6; i++)
        if (!strcmp(s, names[i])) return (hv_tta_tf)i;
    return HV_TTA_IDENTITY;
}

/* preprocess: keep-ratio target, mean/std, pad divisor. */
static hv_status read_preprocess(const seg_config *c, const hv_config_node *pre, hv_maskrcnn_params *mp) {
    const hv_config_node *size = NULL;
    int64_t h = 0, w = 0;
    hv_status st = hv_config_need(pre, "size", &size);
    if (!st) st = hv_config_as_int(hv_config_item(size, 0), &h);
    if (!st) st = hv_config_as_int(hv_config_item(size, 1), &w);
    if (st) return st;
    if ((h == 0) != (w == 0))
        return hv_error(HV_ERR_SCHEMA, "%s:%d:%d: %s: preprocess.size [%lld, %lld]: both 0 (no resize) or both > 0",
                        hv_config_file(size), hv_config_line(size), hv_config_column(size), c->id, (long long)h,
                        (long long)w);
    mp->target_h = (int32_t)h, mp->target_w = (int32_t)w;
    if (!st) st = need_floats(pre, "mean", mp->mean, 3);
    if (!st) st = need_floats(pre, "std", mp->std, 3);
    if (!st) st = need_i32(pre, "pad_divisor", &mp->pad_divisor);
    return st;
}

/* test_cfg.rpn and test_cfg.rcnn (MODEL_SPEC 5.0). */
static hv_status read_test_cfg(const hv_config_node *tc, hv_maskrcnn_test_cfg *t) {
    const hv_config_node *rpn = NULL, *rcnn = NULL;
    hv_status st = hv_config_need(tc, "rpn", &rpn);
    if (!st) st = hv_config_need(tc, "rcnn", &rcnn);
    if (!st) st = need_i32(rpn, "nms_pre", &t->rpn_nms_pre);
    if (!st) st = need_i32(rpn, "max_per_img", &t->rpn_max_per_img);
    if (!st) st = need_f32(rpn, "iou_threshold", &t->rpn_iou);
    if (!st) st = need_f32(rpn, "min_bbox_size", &t->rpn_min_bbox_size);
    if (!st) st = need_f32(rcnn, "score_thr", &t->score_thr);
    if (!st) st = need_f32(rcnn, "iou_threshold", &t->rcnn_iou);
    if (!st) st = need_i32(rcnn, "max_per_img", &t->max_per_img);
    if (!st) st = need_f32(rcnn, "mask_thr_binary", &t->mask_thr);
    return st;
}

/* tta (present: at least one transform, the schema fills [identity, hflip]). */
static hv_status read_tta(const hv_config_node *tta, hv_maskrcnn_tta *out) {
    const hv_config_node *tfs = NULL;
    const char *s = NULL;
    hv_status st = hv_config_need(tta, "transforms", &tfs);
    if (st) return st;
    out->n = (int32_t)hv_config_size(tfs);
    if (out->n > HV_MRCNN_MAX_TTA) out->n = HV_MRCNN_MAX_TTA;
    for (int i = 0; i < out->n && !st; i++)
        if (!(st = hv_config_as_string(hv_config_item(tfs, (size_t)i), &s))) out->tfs[i] = tf_of(s);
    if (!st) st = hv_config_need_string(tta, "merge", &s);
    if (!st) out->merge = !strcmp(s, "nms") ? HV_TTA_MERGE_NMS : !strcmp(s, "wbf") ? HV_TTA_MERGE_WBF : HV_TTA_MERGE_MMDET;
    if (!st) st = need_f32(tta, "wbf_iou", &out->wbf_iou);
    return st;
}

hv_status seg_config_read(const hv_create_info *info, seg_config *c) {
    memset(c, 0, sizeof *c);
    const hv_config_node *p = info->params;
    c->id = info->instance_id ? info->instance_id : "segmenter";
    /* Zero, not hv_maskrcnn_params_default: every value the schema defines is read below, and the rest
     * (backbone, custom_build: set by the stage; bgr: false, frames are RGB) are zero on purpose. */
    hv_maskrcnn_params *mp = &c->mp;
    hv_status st = hv_config_need_string(p, "model", &c->model);
    /* 0 = "read from the weights" (random weights: MMDetection's sizes, seg_stage.c), as the schema says */
    if (!st) st = need_i32(p, "num_classes", &mp->num_classes);
    if (!st) st = need_i32(p, "fpn_channels", &mp->fpn_channels);
    if (!st) st = need_i32(p, "fc_channels", &mp->fc_channels);
    const hv_config_node *scales = NULL;
    if (!st) st = hv_config_need(p, "anchor_scales", &scales);
    if (!st) {
        mp->n_anchor_scales = (int32_t)hv_config_size(scales); /* 1..4: the schema's bounds */
        st = need_floats(p, "anchor_scales", mp->anchor_scales, HV_MRCNN_MAX_ANCHOR_SCALES);
    }
    const hv_config_node *wn = hv_config_get(p, "weights"), *rn = wn ? hv_config_get(wn, "random") : NULL;
    if (rn && !st) {
        int64_t seed = 0;
        c->random = true;
        if (!(st = hv_config_need_int(rn, "seed", &seed))) c->seed = (uint64_t)seed;
    }
    const hv_config_node *pre = NULL, *tc = NULL;
    if (!st) st = hv_config_need(p, "preprocess", &pre);
    if (!st) st = read_preprocess(c, pre, mp);
    if (!st) st = hv_config_need(p, "test_cfg", &tc);
    if (!st) st = read_test_cfg(tc, &mp->test);
    const hv_config_node *tta = hv_config_get(p, "tta"); /* absent: one pass (no schema default on purpose) */
    if (tta && !st) st = read_tta(tta, &c->tta);
    const hv_config_node *cam = hv_config_get(p, "cam"); /* absent: no CAM feature */
    if (cam && !st) {
        st = hv_config_need_string(cam, "layer", &c->cam_layer); /* required by the schema */
        if (!st) mp->keep_fpn_level = 1 + (c->cam_layer[4] - '0');
    }
    const char *s = NULL;
    if (!st) st = hv_config_need_string(p, "mask_format", &s);
    if (!st) c->rle = strcmp(s, "bitmap") != 0;
    /* `precision` has no schema default on purpose: absent means the pipeline's (the host's create info);
     * a stage made outside a pipeline gets f32, the reference path. */
    const char *pipe_prec = HV_CREATE_INFO_HAS(info, precision) && info->precision ? info->precision : "f32";
    if (!st) st = hv_config_get_string(p, "precision", pipe_prec, &s); /* no schema default: the pipeline's */
    if (!st) mp->dtype = strcmp(s, "f16") ? HV_F32 : HV_F16;
    return st;
}
