/* The segmenter's parameter schema and its reading into a seg_config (MODEL_SPEC §1.2 preprocessing,
 * §5.0 test_cfg with the paper's values as defaults, §6.2 TTA). */
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
    "  preprocess:\n"
    "    description: MMDetection test pipeline (MODEL_SPEC 1.2) - keep-ratio resize to size (cv2 bilinear), mean/std in RGB order, pad bottom/right to pad_divisor\n"
    "    type: object\n"
    "    additionalProperties: false\n"
    "    properties:\n"
    "      size: {description: '[height, width] of the keep-ratio target; [0, 0] - no resize', type: array, minItems: 2, maxItems: 2, items: {type: integer, minimum: 0, maximum: 8192}, default: [224, 224]}\n"
    "      mean: {type: array, minItems: 3, maxItems: 3, items: {type: number}, default: [123.675, 116.28, 103.53]}\n"
    "      std: {type: array, minItems: 3, maxItems: 3, items: {type: number, exclusiveMinimum: 0}, default: [58.395, 57.12, 57.375]}\n"
    "      pad_divisor: {type: integer, minimum: 0, maximum: 1024, default: 32}\n"
    "  test_cfg:\n"
    "    description: MMDetection test_cfg; defaults are the paper's (MODEL_SPEC 5.0)\n"
    "    type: object\n"
    "    additionalProperties: false\n"
    "    properties:\n"
    "      rpn:\n"
    "        type: object\n"
    "        additionalProperties: false\n"
    "        properties:\n"
    "          nms_pre: {type: integer, minimum: 0, default: 1000, description: per-level top-k before NMS (0 - all)}\n"
    "          max_per_img: {type: integer, minimum: 1, maximum: 100000, default: 1000}\n"
    "          iou_threshold: {type: number, minimum: 0, maximum: 1, default: 0.01}\n"
    "          min_bbox_size: {type: number, minimum: 0, default: 0}\n"
    "      rcnn:\n"
    "        type: object\n"
    "        additionalProperties: false\n"
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

static hv_status get_floats(const hv_config_node *map, const char *key, float *out, size_t n) {
    const hv_config_node *list = hv_config_get(map, key);
    if (!list) return HV_OK;
    for (size_t i = 0; i < n && i < hv_config_size(list); i++) {
        double v = 0;
        hv_status st = hv_config_as_double(hv_config_item(list, i), &v);
        if (st) return st;
        out[i] = (float)v;
    }
    return HV_OK;
}

static hv_tta_tf tf_of(const char *s) {
    static const char *names[] = {"identity", "hflip", "vflip", "rot90", "rot180", "rot270"};
    for (int i = 0; i < 6; i++)
        if (!strcmp(s, names[i])) return (hv_tta_tf)i;
    return HV_TTA_IDENTITY;
}

hv_status seg_config_read(const hv_create_info *info, seg_config *c) {
    memset(c, 0, sizeof *c);
    const hv_config_node *p = info->params;
    c->id = info->instance_id ? info->instance_id : "segmenter";
    hv_maskrcnn_params_default(&c->mp);
    hv_status st = hv_config_get_string(p, "model", "maskrcnn", &c->model);
    int64_t v = 0;
    double d = 0;
    if (!st) st = hv_config_get_int(p, "num_classes", 0, &v);
    c->mp.num_classes = (int32_t)v;
    if (!st) st = hv_config_get_int(p, "fpn_channels", 0, &v);
    c->mp.fpn_channels = (int32_t)v;
    if (!st) st = hv_config_get_int(p, "fc_channels", 0, &v);
    c->mp.fc_channels = (int32_t)v;
    const hv_config_node *wn = hv_config_get(p, "weights"), *rn = wn ? hv_config_get(wn, "random") : NULL;
    if (rn) {
        c->random = true;
        if (!st) st = hv_config_get_int(rn, "seed", 0, &v);
        c->seed = (uint64_t)v;
    }
    const hv_config_node *pre = hv_config_get(p, "preprocess");
    if (pre && !st) {
        const hv_config_node *size = hv_config_get(pre, "size");
        int64_t h = 224, w = 224;
        if (size && hv_config_size(size) == 2) {
            st = hv_config_as_int(hv_config_item(size, 0), &h);
            if (!st) st = hv_config_as_int(hv_config_item(size, 1), &w);
        }
        if ((h == 0) != (w == 0))
            return hv_error(HV_ERR_SCHEMA, "%s:%d:%d: %s: preprocess.size [%lld, %lld]: both 0 (no resize) or both > 0",
                            hv_config_file(size), hv_config_line(size), hv_config_column(size), c->id, (long long)h,
                            (long long)w);
        c->mp.target_h = (int32_t)h, c->mp.target_w = (int32_t)w;
        if (!st) st = get_floats(pre, "mean", c->mp.mean, 3);
        if (!st) st = get_floats(pre, "std", c->mp.std, 3);
        if (!st) st = hv_config_get_int(pre, "pad_divisor", 32, &v);
        c->mp.pad_divisor = (int32_t)v;
    }
    const hv_config_node *tc = hv_config_get(p, "test_cfg");
    const hv_config_node *rpn = tc ? hv_config_get(tc, "rpn") : NULL, *rcnn = tc ? hv_config_get(tc, "rcnn") : NULL;
    hv_maskrcnn_test_cfg *t = &c->mp.test;
    if (rpn && !st) {
        if (!(st = hv_config_get_int(rpn, "nms_pre", 1000, &v))) t->rpn_nms_pre = (int32_t)v;
        if (!st && !(st = hv_config_get_int(rpn, "max_per_img", 1000, &v))) t->rpn_max_per_img = (int32_t)v;
        if (!st && !(st = hv_config_get_double(rpn, "iou_threshold", 0.01, &d))) t->rpn_iou = (float)d;
        if (!st && !(st = hv_config_get_double(rpn, "min_bbox_size", 0, &d))) t->rpn_min_bbox_size = (float)d;
    }
    if (rcnn && !st) {
        if (!(st = hv_config_get_double(rcnn, "score_thr", 0.05, &d))) t->score_thr = (float)d;
        if (!st && !(st = hv_config_get_double(rcnn, "iou_threshold", 0.2, &d))) t->rcnn_iou = (float)d;
        if (!st && !(st = hv_config_get_int(rcnn, "max_per_img", 100, &v))) t->max_per_img = (int32_t)v;
        if (!st && !(st = hv_config_get_double(rcnn, "mask_thr_binary", 0.2, &d))) t->mask_thr = (float)d;
    }
    const hv_config_node *tta = hv_config_get(p, "tta");
    if (tta && !st) {
        const hv_config_node *tfs = hv_config_get(tta, "transforms");
        const char *s = NULL;
        if (tfs) {
            c->tta.n = (int32_t)hv_config_size(tfs);
            if (c->tta.n > HV_MRCNN_MAX_TTA) c->tta.n = HV_MRCNN_MAX_TTA;
            for (int i = 0; i < c->tta.n && !st; i++)
                if (!(st = hv_config_as_string(hv_config_item(tfs, (size_t)i), &s))) c->tta.tfs[i] = tf_of(s);
        } else {
            c->tta.n = 2, c->tta.tfs[0] = HV_TTA_IDENTITY, c->tta.tfs[1] = HV_TTA_HFLIP;
        }
        if (!st) st = hv_config_get_string(tta, "merge", "mmdet", &s);
        if (!st) c->tta.merge = !strcmp(s, "nms") ? HV_TTA_MERGE_NMS : !strcmp(s, "wbf") ? HV_TTA_MERGE_WBF : HV_TTA_MERGE_MMDET;
        if (!st && !(st = hv_config_get_double(tta, "wbf_iou", 0.55, &d))) c->tta.wbf_iou = (float)d;
    }
    const hv_config_node *cam = hv_config_get(p, "cam");
    if (cam && !st) {
        st = hv_config_get_string(cam, "layer", "fpn.4", &c->cam_layer);
        if (!st) c->mp.keep_fpn_level = 1 + (c->cam_layer[4] - '0');
    }
    const char *s = NULL;
    if (!st) st = hv_config_get_string(p, "mask_format", "rle", &s);
    if (!st) c->rle = strcmp(s, "bitmap") != 0;
    const char *def_prec = "f32";
    if (HV_CREATE_INFO_HAS(info, precision) && info->precision) def_prec = info->precision;
    if (!st) st = hv_config_get_string(p, "precision", def_prec, &s);
    if (!st) c->mp.dtype = strcmp(s, "f16") ? HV_F32 : HV_F16;
    return st;
}
