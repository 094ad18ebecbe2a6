/* The classifier's parameter schema and its reading into a cls_config. */
#include "classify_plugin.h"

#include <stdio.h>
#include <string.h>

const char cls_param_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "required: [backbone, weights]\n"
    "properties:\n"
    "  backbone:\n"
    "    description: the feature extractor - a BACKBONE component (efficientnet, convnext, internimage, or a third-party one) and its params\n"
    "    type: object\n"
    "    additionalProperties: false\n"
    "    required: [component]\n"
    "    properties:\n"
    "      component:\n"
    "        type: string\n"
    "        pattern: '^[a-z][a-z0-9_.-]*$'\n"
    "      params:\n"
    "        description: checked against the backbone component's own schema (hemovk plugins lists it)\n"
    "        type: object\n"
    "  weights:\n"
    "    description: where the trained weights come from - a WEIGHT_LOADER component (safetensors, swa) and its params; or random (made-up weights for plumbing demos, predictions are meaningless)\n"
    "    type: object\n"
    "    additionalProperties: false\n"
    "    properties:\n"
    "      loader:\n"
    "        type: string\n"
    "        pattern: '^[a-z][a-z0-9_.-]*$'\n"
    "      params:\n"
    "        description: checked against the loader component's own schema\n"
    "        type: object\n"
    "      ignore:\n"
    "        description: glob patterns (fnmatch) of tensor names the model may leave unread - a checkpoint's extra, training-only parts; any other tensor the model does not read is an error, so weights of another variant are never half-used\n"
    "        type: array\n"
    "        items: {type: string, minLength: 1}\n"
    "      random:\n"
    "        description: made-up weights from a seed - NOT trained; every frame is marked so\n"
    "        type: object\n"
    "        additionalProperties: false\n"
    "        properties:\n"
    "          seed: {type: integer, minimum: 0, default: 0}\n"
    "    oneOf:\n"
    "      - required: [loader]\n"
    "        not: {required: [random]}\n"
    "      - required: [random]\n"
    "        not: {anyOf: [{required: [loader]}, {required: [params]}, {required: [ignore]}]}\n"
    "  preprocess:\n"
    "    description: raw = RGB 0-255 floats, no mean/std (the paper's EfficientNet-B7, MODEL_SPEC 1.1); imagenet = (x - mean)/std with ImageNet mean/std\n"
    "    enum: [raw, imagenet]\n"
    "    default: raw\n"
    "  resize:\n"
    "    description: native = run each frame at its own size (the paper; one plan per size); stretch = resize to `size` (cv2 bilinear); keep_ratio = scale to fit `size` keeping the aspect ratio (mmcv rescale)\n"
    "    enum: [native, stretch, keep_ratio]\n"
    "    default: native\n"
    "  size:\n"
    "    description: '[height, width] for resize: stretch / keep_ratio'\n"
    "    type: array\n"
    "    minItems: 2\n"
    "    maxItems: 2\n"
    "    items: {type: integer, minimum: 8, maximum: 8192}\n"
    "  labels:\n"
    "    description: class names in the head's class order (mmpretrain sorts class folders - 0 = bleeding)\n"
    "    type: array\n"
    "    minItems: 2\n"
    "    maxItems: 64\n"
    "    uniqueItems: true\n"
    "    items: {type: string, minLength: 1, maxLength: 63}\n"
    "    default: [bleeding, non-bleeding]\n"
    "  positive:\n"
    "    description: the class that `threshold` flags (one of labels); `when - <stage id>.<positive>` routes flagged frames\n"
    "    type: string\n"
    "    default: bleeding\n"
    "  threshold:\n"
    "    description: a frame gets the positive label when that class's probability is >= threshold, else the most probable other class; with 2 classes 0.5 is argmax\n"
    "    type: number\n"
    "    minimum: 0\n"
    "    maximum: 1\n"
    "    default: 0.5\n"
    "  precision:\n"
    "    description: storage precision of weights and activations (default - the pipeline's)\n"
    "    enum: [f32, f16]\n"
    "  batch:\n"
    "    description: most frames per device run (default - the pipeline's batch)\n"
    "    type: integer\n"
    "    minimum: 1\n"
    "    maximum: 1024\n"
    "  calibration:\n"
    "    description: SWA BatchNorm recalibration (MODEL_SPEC 6.3) for weights loaded with `loader - swa, bn - recalibrate` - the averaged network runs over these frames with train-mode BatchNorm, as PyTorch's update_bn, before the stage starts; frames are preprocessed and resized as the stage's own and must all end up one size\n"
    "    type: object\n"
    "    additionalProperties: false\n"
    "    required: [frames]\n"
    "    properties:\n"
    "      frames:\n"
    "        description: a folder, a glob, a list file (.txt/.lst) or one image; relative to this YAML file\n"
    "        type: string\n"
    "        minLength: 1\n"
    "      limit:\n"
    "        description: most frames used; from a longer list they are taken evenly spaced (an exam's frames are in time order)\n"
    "        type: integer\n"
    "        minimum: 1\n"
    "        maximum: 100000\n"
    "        default: 64\n"
    "      batch:\n"
    "        description: frames per BatchNorm batch (update_bn's DataLoader batch; the last batch may be smaller)\n"
    "        type: integer\n"
    "        minimum: 1\n"
    "        maximum: 1024\n"
    "        default: 8\n"
    "      save:\n"
    "        description: write the recalibrated weights here (safetensors, relative to this YAML file), to load later with `loader - safetensors` and skip the recalibration\n"
    "        type: string\n"
    "        minLength: 1\n"
    "  tta:\n"
    "    description: test-time augmentation inside the network run - the frame and its transformed copies go through ONE batched run with the flips and turns done on the device, and their probabilities are merged (mean = mmpretrain's AverageClsScoreTTA, the paper's [identity, hflip]; the decision then uses positive and threshold); the `tta` stage does the same around any classifier with host transforms and one run per copy, and also offers vote\n"
    "    type: object\n"
    "    additionalProperties: false\n"
    "    properties:\n"
    "      transforms:\n"
    "        description: the copies (identity is the frame; rot90 turns counter-clockwise as numpy.rot90; turns need a square network input)\n"
    "        type: array\n"
    "        minItems: 1\n"
    "        maxItems: 6\n"
    "        uniqueItems: true\n"
    "        items:\n"
    "          enum: [identity, hflip, vflip, rot90, rot180, rot270]\n"
    "        default: [identity, hflip]\n"
    "      merge:\n"
    "        description: mean = the copies' mean probability per class; max = the per-class maximum (not renormalised)\n"
    "        enum: [mean, max]\n"
    "        default: mean\n"
    "  max_plans:\n"
    "    description: compiled networks kept for different input shapes / batch sizes (least recently used dropped)\n"
    "    type: integer\n"
    "    minimum: 1\n"
    "    maximum: 64\n"
    "    default: 4\n";

static hv_status at(const hv_config_node *node, hv_status st, const char *fmt, const char *a, const char *b) {
    char msg[400];
    snprintf(msg, sizeof msg, fmt, a, b);
    return hv_error(st, "%s:%d:%d: %s", hv_config_file(node), hv_config_line(node), hv_config_column(node), msg);
}

hv_status cls_config_read(const hv_create_info *info, cls_config *c) {
    memset(c, 0, sizeof *c);
    const hv_config_node *p = info->params;
    c->id = info->instance_id ? info->instance_id : "classifier";
    const char *s = NULL;
    hv_status st = hv_config_need_string(p, "preprocess", &s);
    if (st) return st;
    c->norm = strcmp(s, "imagenet") ? HV_INPUT_RAW_RGB : HV_INPUT_IMAGENET;
    if ((st = hv_config_need_string(p, "resize", &s))) return st;
    c->resize = !strcmp(s, "stretch") ? CLS_RESIZE_STRETCH : !strcmp(s, "keep_ratio") ? CLS_RESIZE_KEEP_RATIO
                                                                                        : CLS_RESIZE_NATIVE;
    const hv_config_node *size = hv_config_get(p, "size");
    if (c->resize != CLS_RESIZE_NATIVE) {
        if (!size || hv_config_size(size) != 2)
            return at(p, HV_ERR_SCHEMA, "classifier '%s': resize: %s needs size: [height, width]", c->id,
                      c->resize == CLS_RESIZE_STRETCH ? "stretch" : "keep_ratio");
        int64_t h = 0, w = 0;
        if ((st = hv_config_as_int(hv_config_item(size, 0), &h)) || (st = hv_config_as_int(hv_config_item(size, 1), &w)))
            return st;
        c->size_h = (int32_t)h;
        c->size_w = (int32_t)w;
    }
    const hv_config_node *labels = NULL;
    if ((st = hv_config_need(p, "labels", &labels))) return st;
    c->n_labels = (uint32_t)hv_config_size(labels);
    if (c->n_labels > CLS_MAX_LABELS) c->n_labels = CLS_MAX_LABELS;
    for (uint32_t i = 0; i < c->n_labels; i++)
        if ((st = hv_config_as_string(hv_config_item(labels, i), &c->labels[i]))) return st;
    if ((st = hv_config_need_string(p, "positive", &s))) return st;
    c->positive = -1;
    for (uint32_t i = 0; i < c->n_labels; i++)
        if (!strcmp(c->labels[i], s)) c->positive = (int32_t)i;
    if (c->positive < 0) {
        const hv_config_node *pn = hv_config_get(p, "positive");
        return at(pn ? pn : p, HV_ERR_SCHEMA, "classifier '%s': positive '%s' is not one of `labels`", c->id, s);
    }
    double thr = 0;
    if ((st = hv_config_need_double(p, "threshold", &thr))) return st;
    c->threshold = (float)thr;
    /* `precision` and `batch` have no schema default on purpose: absent means the pipeline's (the host's
     * create info). A stage made outside a pipeline gets f32, the reference path, and 8 frames per device
     * run (a memory/speed choice that cannot change a result). */
    const char *pipe_prec = HV_CREATE_INFO_HAS(info, precision) && info->precision ? info->precision : "f32";
    if ((st = hv_config_get_string(p, "precision", pipe_prec, &s))) return st; /* no schema default: the pipeline's */
    c->dtype = strcmp(s, "f16") ? HV_F32 : HV_F16;
    int64_t v = 0, pipe_batch = HV_CREATE_INFO_HAS(info, batch) && info->batch > 0 ? info->batch : 8;
    if ((st = hv_config_get_int(p, "batch", pipe_batch, &v))) return st; /* no schema default: the pipeline's */
    c->batch = (int32_t)(v < 1 ? 1 : v);
    if ((st = hv_config_need_int(p, "max_plans", &v))) return st;
    c->max_plans = (int32_t)(v < 1 ? 1 : v);
    if ((c->calibration = hv_config_get(p, "calibration"))) {
        if ((st = hv_config_need_int(c->calibration, "limit", &v))) return st;
        c->calib_limit = (int32_t)v;
        if ((st = hv_config_need_int(c->calibration, "batch", &v))) return st;
        c->calib_batch = (int32_t)v;
    }
    const hv_config_node *tta = hv_config_get(p, "tta");
    if (tta) {
        static const char *const names[CLS_TTA_COUNT] = {"identity", "hflip", "vflip", "rot90", "rot180", "rot270"};
        const hv_config_node *tfs = NULL;
        if ((st = hv_config_need(tta, "transforms", &tfs))) return st;
        for (size_t i = 0; i < hv_config_size(tfs) && c->n_tta < CLS_TTA_COUNT; i++) {
            if ((st = hv_config_as_string(hv_config_item(tfs, i), &s))) return st;
            for (int k = 0; k < CLS_TTA_COUNT; k++)
                if (!strcmp(s, names[k])) c->tta[c->n_tta++] = (cls_tta_tf)k;
        }
        if ((st = hv_config_need_string(tta, "merge", &s))) return st;
        c->tta_max = !strcmp(s, "max");
    }
    const hv_config_node *random = hv_config_get(hv_config_get(p, "weights"), "random");
    if (random) {
        c->random = 1;
        if ((st = hv_config_need_int(random, "seed", &v))) return st;
        c->seed = (uint64_t)v;
    }
    return HV_OK;
}

hv_status cls_target_size(const cls_config *c, int32_t w, int32_t h, int32_t *tw, int32_t *th) {
    if (c->resize == CLS_RESIZE_NATIVE) {
        *tw = w;
        *th = h;
        return HV_OK;
    }
    if (c->resize == CLS_RESIZE_STRETCH) {
        *tw = c->size_w;
        *th = c->size_h;
        return HV_OK;
    }
    double scale = 1;
    return hv_preprocess_keep_ratio_size(w, h, c->size_w, c->size_h, tw, th, &scale);
}

int cls_tta_turn_blocks(const cls_config *c, int32_t w, int32_t h, const char *what, char *msg, size_t cap) {
    if (w == h) return 0;
    for (uint32_t t = 0; t < c->n_tta; t++)
        if (c->tta[t] == CLS_TTA_ROT90 || c->tta[t] == CLS_TTA_ROT270) {
            snprintf(msg, cap,
                     "%s: tta: a 90° turn of the %dx%d %s changes its shape, so it cannot share one run with the other "
                     "copies; use resize: stretch to a square size, or the `tta` stage around this classifier",
                     c->id, w, h, what);
            return 1;
        }
    return 0;
}
