/* core/maskrcnn/maskrcnn.c — the Mask R-CNN model object and its stages (MODEL_SPEC §5): features plan
 * → RPN proposals on the host → box head plan → decoding + multiclass NMS on the host → mask head plan
 * → paste. The dynamic parts use hemovk/detect.h; the networks are the plans of maskrcnn_plans.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maskrcnn/maskrcnn_internal.h"

void hv_maskrcnn_params_default(hv_maskrcnn_params *p) {
    if (!p) return;
    memset(p, 0, sizeof *p);
    p->backbone = HV_MRCNN_CONVNEXT;
    p->test = (hv_maskrcnn_test_cfg){.rpn_nms_pre = 1000, .rpn_max_per_img = 1000, .rpn_iou = 0.01f,
                                     .rpn_min_bbox_size = 0.0f, .score_thr = 0.05f, .rcnn_iou = 0.2f,
                                     .max_per_img = 100, .mask_thr = 0.2f};
    p->dtype = HV_F32;
    p->target_w = p->target_h = 224;
    const float mean[3] = {123.675f, 116.28f, 103.53f}, std[3] = {58.395f, 57.12f, 57.375f};
    memcpy(p->mean, mean, sizeof mean);
    memcpy(p->std, std, sizeof std);
    p->pad_divisor = 32;
}

static hv_status shape_of(const hv_weights *w, const char *name, uint32_t rank, int64_t *dims) {
    hv_weight_info info;
    hv_status st = hv_weights_find(w, name, &info);
    if (st != HV_OK) return hv_error_context(st, "maskrcnn weights");
    if (info.rank != rank)
        return hv_error(HV_ERR_SHAPE, "%s: tensor '%s' has rank %u, expected %u", hv_weights_source(w), name, info.rank,
                        rank);
    for (uint32_t i = 0; i < rank; i++) dims[i] = info.dims[i];
    return HV_OK;
}

static hv_status check_params(const hv_maskrcnn_params *p) {
    const hv_maskrcnn_test_cfg *t = &p->test;
    if (t->rpn_nms_pre < 0 || t->rpn_max_per_img < 1 || t->max_per_img < 1 || !(t->rpn_iou >= 0 && t->rpn_iou <= 1) ||
        !(t->rcnn_iou >= 0 && t->rcnn_iou <= 1) || !(t->score_thr >= 0 && t->score_thr < 1) ||
        !(t->mask_thr >= 0 && t->mask_thr <= 1) || !(t->rpn_min_bbox_size >= 0))
        return hv_error(HV_ERR_INVALID_ARGUMENT,
                        "maskrcnn test_cfg out of range: nms_pre %d (≥ 0), rpn max_per_img %d (≥ 1), rpn iou %g, "
                        "rcnn iou %g (0..1), score_thr %g (0..1), max_per_img %d (≥ 1), mask_thr %g (0..1), "
                        "min_bbox_size %g (≥ 0)",
                        t->rpn_nms_pre, t->rpn_max_per_img, (double)t->rpn_iou, (double)t->rcnn_iou,
                        (double)t->score_thr, t->max_per_img, (double)t->mask_thr, (double)t->rpn_min_bbox_size);
    if (p->dtype != HV_F32 && p->dtype != HV_F16)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "maskrcnn: dtype must be f32 or f16");
    if (p->target_w < 0 || p->target_h < 0 || (p->target_w == 0) != (p->target_h == 0) || p->pad_divisor < 0)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "maskrcnn: target size %dx%d / pad divisor %d invalid (both sizes > 0, "
                                                 "or both 0 for no resize; divisor ≥ 0)",
                        p->target_w, p->target_h, p->pad_divisor);
    if (p->n_anchor_scales < 0 || p->n_anchor_scales > HV_MRCNN_MAX_ANCHOR_SCALES)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "maskrcnn: %d anchor scales (0 = mmdet's [8], at most %d)",
                        p->n_anchor_scales, HV_MRCNN_MAX_ANCHOR_SCALES);
    for (int32_t i = 0; i < p->n_anchor_scales; i++)
        if (!(p->anchor_scales[i] > 0) || !isfinite(p->anchor_scales[i]))
            return hv_error(HV_ERR_INVALID_ARGUMENT, "maskrcnn: anchor scale %d is %g (must be > 0)", i,
                            (double)p->anchor_scales[i]);
    for (int c = 0; c < 3; c++)
        if (!(p->std[c] > 0)) return hv_error(HV_ERR_INVALID_ARGUMENT, "maskrcnn: std[%d] = %g must be > 0", c, (double)p->std[c]);
    return HV_OK;
}

hv_status hv_maskrcnn_create(const hv_maskrcnn_params *p, const hv_weights *w, hv_device *dev, hv_maskrcnn **out) {
    if (!p || !w || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_maskrcnn_create: NULL argument");
    *out = NULL;
    hv_status st = check_params(p);
    if (st != HV_OK) return st;
    int64_t lat[4] = {0}, cls[2] = {0}, fc0[2] = {0}, logits[4] = {0};
    /* sizes given in params win (a synthetic weight set has no shapes to read); the rest from the weights */
    if (p->fpn_channels > 0)
        lat[0] = p->fpn_channels;
    else if ((st = shape_of(w, "neck.lateral_convs.0.conv.weight", 4, lat)) != HV_OK)
        return st;
    if (p->num_classes > 0)
        cls[0] = p->num_classes + 1, logits[0] = p->num_classes;
    else if ((st = shape_of(w, "roi_head.bbox_head.fc_cls.weight", 2, cls)) != HV_OK ||
             (st = shape_of(w, "roi_head.mask_head.conv_logits.weight", 4, logits)) != HV_OK)
        return st;
    if (p->fc_channels > 0)
        fc0[0] = p->fc_channels, fc0[1] = lat[0] * 49;
    else if ((st = shape_of(w, "roi_head.bbox_head.shared_fcs.0.weight", 2, fc0)) != HV_OK)
        return st;
    if (cls[1] == 0) cls[1] = fc0[0];
    if (p->keep_fpn_level < 0 || p->keep_fpn_level > HV_MRCNN_LEVELS)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "maskrcnn: keep_fpn_level %d (0 = none, 1..5 = P2..P6)", p->keep_fpn_level);
    int64_t C = lat[0], S2 = C > 0 ? fc0[1] / C : 0, S = (int64_t)(sqrt((double)S2) + 0.5);
    if (C < 1 || S * S * C != fc0[1] || cls[0] < 2 || cls[1] != fc0[0] || logits[0] != cls[0] - 1)
        return hv_error(HV_ERR_SHAPE,
                        "%s: inconsistent Mask R-CNN heads: FPN width %lld, shared_fcs.0 [%lld, %lld] (expected "
                        "[fc, width·S·S]), fc_cls [%lld, %lld] (expected [classes+1, fc]), conv_logits %lld classes",
                        hv_weights_source(w), (long long)C, (long long)fc0[0], (long long)fc0[1], (long long)cls[0],
                        (long long)cls[1], (long long)logits[0]);
    /* the RPN head's anchors per cell must be the anchor scales' (a model trained with other scales would
     * otherwise fail later with a bare shape error) */
    const int32_t anchors = 3 * (p->n_anchor_scales > 0 ? p->n_anchor_scales : 1);
    hv_weight_info rpn;
    if (hv_weights_find(w, "rpn_head.rpn_cls.weight", &rpn) == HV_OK && rpn.rank == 4 && rpn.dims[0] != anchors)
        return hv_error(HV_ERR_SHAPE,
                        "%s: rpn_head.rpn_cls.weight predicts %lld anchors per cell, but the model has %d (3 ratios x "
                        "%d anchor scales): set anchor_scales to the scales these weights were trained with "
                        "(3 x their number = %lld)",
                        hv_weights_source(w), (long long)rpn.dims[0], anchors,
                        p->n_anchor_scales > 0 ? p->n_anchor_scales : 1, (long long)rpn.dims[0]);
    hv_maskrcnn *m = calloc(1, sizeof *m);
    if (!m) return hv_error(HV_ERR_OUT_OF_MEMORY, "hv_maskrcnn_create: out of memory");
    m->p = *p;
    m->w = w;
    m->dev = dev;
    m->channels = (int32_t)C;
    m->fc = (int32_t)fc0[0];
    m->roi_size = (int32_t)S;
    m->mask_roi = MR_MASK / 2;
    m->anchors = anchors;
    m->num_classes = (int32_t)cls[0] - 1;
    m->device_props = mr_choose_device_proposals(m);
    *out = m;
    return HV_OK;
}

void hv_maskrcnn_free(hv_maskrcnn *m) {
    if (!m) return;
    for (uint32_t i = 0; i < m->n_plans; i++) {
        hv_plan_free(m->plans[i].plan);
        hv_graph_free(m->plans[i].g);
        free(m->plans[i].rows);
    }
    free(m);
}

int32_t hv_maskrcnn_num_classes(const hv_maskrcnn *m) { return m ? m->num_classes : 0; }

uint32_t hv_maskrcnn_plan_count(const hv_maskrcnn *m) { return m ? m->n_plans : 0; }

/* ---- features ------------------------------------------------------------------------------------ */

void hv_maskrcnn_features_free(hv_maskrcnn_features *f) {
    if (!f) return;
    for (int i = 0; i < HV_MRCNN_LEVELS; i++) free(f->fpn[i]), free(f->rpn_cls[i]), free(f->rpn_reg[i]);
    memset(f, 0, sizeof *f);
}

static hv_status fetch(hv_plan *p, const char *name, float **dst, int32_t *c, int32_t *h, int32_t *w) {
    const hv_tensor_desc *d = hv_plan_output_desc(p, name);
    if (!d) return hv_error(HV_ERR_INTERNAL, "maskrcnn: features plan has no output '%s'", name);
    size_t n = (size_t)hv_desc_numel(d);
    *dst = malloc(n * sizeof(float));
    if (!*dst) return hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: output '%s' (%zu floats)", name, n);
    if (c) *c = (int32_t)d->dims[1];
    if (h) *h = (int32_t)d->dims[2];
    if (w) *w = (int32_t)d->dims[3];
    return hv_plan_get_output(p, name, *dst, n);
}

/* Run the features plan and read back what the host needs: the RPN maps always, the FPN maps unless the
 * plan keeps them on the device (a device slot: only the keep_fpn_level map comes back). */
static hv_status collect(hv_maskrcnn *m, mr_plan *pl, hv_maskrcnn_features *f) {
    hv_status st = hv_plan_run(pl->plan);
    char name[32];
    for (int i = 0; i < HV_MRCNN_LEVELS && st == HV_OK; i++) {
        snprintf(name, sizeof name, "fpn.%d", i);
        if (pl->slot >= 0 && i + 1 != m->p.keep_fpn_level) { /* on the device: sizes only */
            const hv_tensor_desc *d = hv_plan_output_desc(pl->plan, name);
            if (!d) st = hv_error(HV_ERR_INTERNAL, "maskrcnn: features plan has no output '%s'", name);
            else f->channels = (int32_t)d->dims[1], f->h[i] = (int32_t)d->dims[2], f->w[i] = (int32_t)d->dims[3];
        } else {
            st = fetch(pl->plan, name, &f->fpn[i], &f->channels, &f->h[i], &f->w[i]);
            if (st == HV_OK) mr_scan_output(m, name, f->fpn[i], (size_t)f->channels * f->h[i] * f->w[i]);
        }
        if (pl->props) continue; /* proposals selected on the device: no maps come back */
        snprintf(name, sizeof name, "rpn_cls.%d", i);
        if (st == HV_OK) st = fetch(pl->plan, name, &f->rpn_cls[i], NULL, NULL, NULL);
        if (st == HV_OK) mr_scan_output(m, name, f->rpn_cls[i], (size_t)m->anchors * f->h[i] * f->w[i]);
        snprintf(name, sizeof name, "rpn_reg.%d", i);
        if (st == HV_OK) st = fetch(pl->plan, name, &f->rpn_reg[i], NULL, NULL, NULL);
        if (st == HV_OK) mr_scan_output(m, name, f->rpn_reg[i], (size_t)4 * m->anchors * f->h[i] * f->w[i]);
    }
    if (st == HV_OK && pl->props) {
        const size_t n = (size_t)pl->batch * (size_t)m->p.test.rpn_max_per_img * HV_RPN_OP_ROW;
        if (!pl->rows && !(pl->rows = malloc(n * sizeof(float))))
            st = hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: proposal rows (%zu floats)", n);
        if (st == HV_OK) st = hv_plan_get_output(pl->plan, "proposals", pl->rows, n);
    }
    if (st != HV_OK) hv_maskrcnn_features_free(f);
    return st;
}

hv_status hv_maskrcnn_features_from_image(hv_maskrcnn *m, const float *image, int32_t pad_h, int32_t pad_w,
                                          int32_t img_h, int32_t img_w, hv_maskrcnn_features *f) {
    if (!m || !image || !f) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_maskrcnn_features_from_image: NULL argument");
    memset(f, 0, sizeof *f);
    if (pad_h < 1 || pad_w < 1 || img_h < 1 || img_w < 1 || img_h > pad_h || img_w > pad_w)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "maskrcnn: image %dx%d inside padded %dx%d is invalid", img_h, img_w,
                        pad_h, pad_w);
    mr_plan *pl;
    hv_status st = mr_feature_plan(m, MR_PLAN_FEAT_IMAGE, pad_h, pad_w, -1, 1, &pl);
    if (st == HV_OK) st = hv_plan_set_input(pl->plan, "image", image, HV_F32, (size_t)3 * pad_h * pad_w);
    if (st == HV_OK) st = collect(m, pl, f);
    f->img_h = img_h, f->img_w = img_w, f->pad_h = pad_h, f->pad_w = pad_w;
    return st;
}

/* n frames of img_h × img_w packed into one run of a `batch`-frame features plan (frames n.. are zero). */
static hv_status features_from_frames(hv_maskrcnn *m, const uint8_t *const *frames, size_t n, int32_t batch,
                                      int32_t img_h, int32_t img_w, int32_t slot, hv_maskrcnn_features *f,
                                      mr_plan **used) {
    memset(f, 0, sizeof *f);
    if (img_h < 1 || img_w < 1) return hv_error(HV_ERR_INVALID_ARGUMENT, "maskrcnn: image %dx%d is empty", img_h, img_w);
    mr_plan *pl;
    hv_status st = mr_feature_plan(m, MR_PLAN_FEAT_PIXELS, img_h, img_w, slot, batch, &pl);
    if (st != HV_OK) return st;
    *used = pl;
    size_t words = (size_t)hv_preprocess_packed_words(img_h, img_w);
    uint32_t *packed = calloc(words * (size_t)batch, sizeof(uint32_t));
    if (!packed) return hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: packing %d frames of %dx%d", batch, img_w, img_h);
    for (size_t i = 0; i < n; i++) hv_preprocess_pack(frames[i], 1, img_h, img_w, packed + i * words);
    st = hv_plan_set_input(pl->plan, "frames", packed, HV_F32, words * (size_t)batch);
    free(packed);
    if (st == HV_OK) st = collect(m, pl, f);
    hv_preprocess_padded_size(img_h, img_w, m->p.pad_divisor > 1 ? m->p.pad_divisor : 1, &f->pad_h, &f->pad_w);
    f->img_h = img_h, f->img_w = img_w;
    return st;
}

hv_status hv_maskrcnn_features_from_pixels(hv_maskrcnn *m, const uint8_t *pixels, int32_t img_h, int32_t img_w,
                                           hv_maskrcnn_features *f) {
    if (!m || !pixels || !f) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_maskrcnn_features_from_pixels: NULL argument");
    mr_plan *pl = NULL;
    return features_from_frames(m, &pixels, 1, 1, img_h, img_w, -1, f, &pl);
}

hv_status mr_features_on_device(hv_maskrcnn *m, const uint8_t *const *pixels, size_t n, int32_t batch, int32_t img_h,
                                int32_t img_w, int32_t slot, hv_maskrcnn_features *f, hv_plan **src,
                                const float **rows) {
    mr_plan *pl = NULL;
    hv_status st = features_from_frames(m, pixels, n, batch, img_h, img_w, slot, f, &pl);
    *src = st == HV_OK ? pl->plan : NULL;
    *rows = st == HV_OK && pl->props ? pl->rows : NULL;
    return st;
}

/* ---- proposals ----------------------------------------------------------------------------------- */

/* [ch, h, w] → [h, w, ch]: the RPN head's flattening order (§5.2) */
static void to_hwc(const float *src, int32_t ch, int32_t h, int32_t w, float *dst) {
    for (int32_t c = 0; c < ch; c++)
        for (int32_t i = 0; i < h * w; i++) dst[(size_t)i * ch + c] = src[(size_t)c * h * w + i];
}

hv_status hv_maskrcnn_proposals(const hv_maskrcnn *m, const hv_maskrcnn_features *f, hv_det *out, size_t *n_out) {
    if (!m || !f || !out || !n_out || !f->rpn_cls[0] || !f->rpn_reg[0])
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_maskrcnn_proposals: NULL argument or features without RPN maps");
    size_t total = 0;
    for (int i = 0; i < HV_MRCNN_LEVELS; i++) total += (size_t)f->h[i] * f->w[i] * (size_t)m->anchors;
    float *buf = malloc(total * 5 * sizeof(float));
    if (!buf) return hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: proposals of %zu anchors", total);
    hv_rpn_level lv[HV_MRCNN_LEVELS];
    float *cls = buf, *reg = buf + total;
    for (int i = 0; i < HV_MRCNN_LEVELS; i++) {
        size_t n = (size_t)f->h[i] * f->w[i] * (size_t)m->anchors;
        to_hwc(f->rpn_cls[i], m->anchors, f->h[i], f->w[i], cls);
        to_hwc(f->rpn_reg[i], 4 * m->anchors, f->h[i], f->w[i], reg);
        lv[i] = (hv_rpn_level){.cls = cls, .reg = reg, .h = f->h[i], .w = f->w[i], .stride = (float)(4 << i)};
        cls += n, reg += 4 * n;
    }
    hv_rpn_params rp;
    mr_rpn_params(m, f->img_h, f->img_w, &rp);
    hv_status st = hv_rpn_proposals(lv, HV_MRCNN_LEVELS, &rp, out, n_out);
    free(buf);
    return st;
}

/* ---- box head and decoding ------------------------------------------------------------------------ */

/* Host-fed heads need the four maps the device path leaves on the device. */
static hv_status need_host_maps(const hv_maskrcnn_features *f, const char *who) {
    for (int l = 0; l < 4; l++)
        if (!f->fpn[l])
            return hv_error(HV_ERR_INVALID_ARGUMENT, "%s: features without host copies of P%d (use "
                                                     "hv_maskrcnn_features_from_pixels / _from_image)", who, l + 2);
    return HV_OK;
}

hv_status hv_maskrcnn_box_head(hv_maskrcnn *m, const hv_maskrcnn_features *f, const hv_box *rois, size_t n,
                               float *cls_score, float *bbox_pred) {
    if (!m || !f || (n && (!rois || !cls_score || !bbox_pred)))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_maskrcnn_box_head: NULL argument");
    hv_status st = n ? need_host_maps(f, "hv_maskrcnn_box_head") : HV_OK;
    return st == HV_OK ? mr_box_head_run(m, f, NULL, 1, rois, NULL, n, cls_score, bbox_pred) : st;
}

hv_status mr_box_head_run(hv_maskrcnn *m, const hv_maskrcnn_features *f, hv_plan *src, int32_t batch,
                          const hv_box *rois, const int32_t *bidx, size_t n, float *cls_score, float *bbox_pred) {
    if (n == 0) return HV_OK;
    mr_plan *pl;
    hv_status st = mr_head_plan(m, MR_PLAN_BOX, f, n, src, batch, &pl);
    if (st == HV_OK) st = mr_run_head(m, pl, f, rois, bidx, n);
    size_t rows = (size_t)pl->a, K = (size_t)m->num_classes;
    float *tmp = st == HV_OK ? malloc(rows * (5 * K + 1) * sizeof(float)) : NULL;
    if (st == HV_OK && !tmp) st = hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: box head outputs");
    if (st == HV_OK) st = hv_plan_get_output(pl->plan, "cls", tmp, rows * (K + 1));
    if (st == HV_OK) memcpy(cls_score, tmp, n * (K + 1) * sizeof(float));
    if (st == HV_OK) mr_scan_output(m, "box head cls_score", cls_score, n * (K + 1));
    if (st == HV_OK) st = hv_plan_get_output(pl->plan, "reg", tmp, rows * 4 * K);
    if (st == HV_OK) memcpy(bbox_pred, tmp, n * 4 * K * sizeof(float));
    if (st == HV_OK) mr_scan_output(m, "box head bbox_pred", bbox_pred, n * 4 * K);
    free(tmp);
    return st;
}

hv_status mr_decode_raw(const hv_maskrcnn *m, int32_t img_h, int32_t img_w, const hv_box *rois, size_t n,
                        const float *cls_score, const float *bbox_pred, float *scores, hv_box *boxes) {
    const size_t K = (size_t)m->num_classes;
    for (size_t i = 0; i < n; i++) { /* F.softmax in f32, max-subtracted */
        const float *c = cls_score + i * (K + 1);
        float mx = c[0], sum = 0.0f;
        for (size_t k = 1; k <= K; k++) mx = c[k] > mx ? c[k] : mx;
        for (size_t k = 0; k <= K; k++) sum += (scores[i * (K + 1) + k] = expf(c[k] - mx));
        for (size_t k = 0; k <= K; k++) scores[i * (K + 1) + k] /= sum;
    }
    hv_box *tmp = malloc((n ? n : 1) * sizeof(hv_box));
    float *deltas = malloc((n ? n : 1) * 4 * sizeof(float));
    hv_status st = tmp && deltas ? HV_OK : hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: decoding %zu RoIs", n);
    hv_delta_coder coder = {.means = {0, 0, 0, 0}, .stds = {0.1f, 0.1f, 0.2f, 0.2f}, .img_h = (float)img_h,
                            .img_w = (float)img_w};
    for (size_t k = 0; k < K && st == HV_OK; k++) {
        for (size_t i = 0; i < n; i++) memcpy(deltas + i * 4, bbox_pred + i * 4 * K + k * 4, 4 * sizeof(float));
        st = hv_delta_decode(&coder, rois, deltas, n, tmp);
        for (size_t i = 0; i < n && st == HV_OK; i++) boxes[i * K + k] = tmp[i];
    }
    free(tmp), free(deltas);
    return st;
}

hv_status hv_maskrcnn_decode(const hv_maskrcnn *m, const hv_maskrcnn_features *f, const hv_box *rois, size_t n,
                             const float *cls_score, const float *bbox_pred, float sx, float sy, hv_det *out,
                             size_t *n_out) {
    if (!m || !f || !out || !n_out || (n && (!rois || !cls_score || !bbox_pred)))
        return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_maskrcnn_decode: NULL argument");
    *n_out = 0;
    if (n == 0) return HV_OK;
    if (!(sx > 0) || !(sy > 0)) return hv_error(HV_ERR_INVALID_ARGUMENT, "maskrcnn: scale factor %g, %g must be > 0", (double)sx, (double)sy);
    const size_t K = (size_t)m->num_classes;
    float *scores = malloc(n * (K + 1) * sizeof(float));
    hv_box *boxes = malloc(n * K * sizeof(hv_box));
    hv_det *dets = malloc(n * K * sizeof(hv_det));
    hv_status st = scores && boxes && dets ? HV_OK : hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: decoding %zu RoIs", n);
    if (st == HV_OK) st = mr_decode_raw(m, f->img_h, f->img_w, rois, n, cls_score, bbox_pred, scores, boxes);
    for (size_t i = 0; i < n * K && st == HV_OK; i++) { /* rescale=True: divide by scale_factor before NMS */
        hv_box b = boxes[i];
        boxes[i] = (hv_box){b.x1 / sx, b.y1 / sy, b.x2 / sx, b.y2 / sy};
    }
    size_t nd = 0;
    if (st == HV_OK)
        st = hv_multiclass_nms(boxes, true, scores, n, (int)K, m->p.test.score_thr, m->p.test.rcnn_iou,
                               m->p.test.max_per_img, dets, &nd);
    if (st == HV_OK) {
        memcpy(out, dets, nd * sizeof(hv_det));
        *n_out = nd;
    }
    free(scores), free(boxes), free(dets);
    return st;
}

/* ---- masks ---------------------------------------------------------------------------------------- */

hv_status hv_maskrcnn_mask_head(hv_maskrcnn *m, const hv_maskrcnn_features *f, const hv_box *boxes, size_t n,
                                float *logits) {
    if (!m || !f || (n && (!boxes || !logits))) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_maskrcnn_mask_head: NULL argument");
    hv_status st = n ? need_host_maps(f, "hv_maskrcnn_mask_head") : HV_OK;
    return st == HV_OK ? mr_mask_head_run(m, f, NULL, 1, boxes, NULL, n, logits) : st;
}

hv_status mr_mask_head_run(hv_maskrcnn *m, const hv_maskrcnn_features *f, hv_plan *src, int32_t batch,
                           const hv_box *boxes, const int32_t *bidx, size_t n, float *logits) {
    if (n == 0) return HV_OK;
    mr_plan *pl;
    hv_status st = mr_head_plan(m, MR_PLAN_MASK, f, n, src, batch, &pl);
    if (st == HV_OK) st = mr_run_head(m, pl, f, boxes, bidx, n);
    size_t per = (size_t)m->num_classes * MR_MASK * MR_MASK, rows = (size_t)pl->a;
    float *tmp = st == HV_OK ? malloc(rows * per * sizeof(float)) : NULL;
    if (st == HV_OK && !tmp) st = hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: mask head outputs");
    if (st == HV_OK) st = hv_plan_get_output(pl->plan, "logits", tmp, rows * per);
    if (st == HV_OK) memcpy(logits, tmp, n * per * sizeof(float));
    if (st == HV_OK) mr_scan_output(m, "mask head logits", logits, n * per);
    free(tmp);
    return st;
}

void mr_mask_probs(const float *logits, const hv_det *dets, size_t n, int32_t num_classes, float *probs) {
    const size_t mm = MR_MASK * MR_MASK;
    for (size_t i = 0; i < n; i++) {
        int32_t k = dets[i].label >= 0 && dets[i].label < num_classes ? dets[i].label : 0;
        const float *l = logits + (i * (size_t)num_classes + (size_t)k) * mm;
        for (size_t j = 0; j < mm; j++) probs[i * mm + j] = 1.0f / (1.0f + expf(-l[j]));
    }
}

hv_status mr_paste_all(const hv_maskrcnn *m, hv_maskrcnn_result *r) {
    size_t px = (size_t)r->width * r->height;
    r->masks = malloc(r->n * px + 1);
    if (!r->masks) return hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: %zu masks of %dx%d", r->n, r->width, r->height);
    for (size_t i = 0; i < r->n; i++) {
        hv_status st = hv_mask_paste(r->mask_probs + i * MR_MASK * MR_MASK, MR_MASK, MR_MASK, &r->dets[i].box, r->height,
                                     r->width, m->p.test.mask_thr, r->masks + i * px, NULL);
        if (st != HV_OK) return st;
    }
    return HV_OK;
}

void hv_maskrcnn_result_free(hv_maskrcnn_result *r) {
    if (!r) return;
    free(r->dets), free(r->mask_probs), free(r->masks), free(r->feature);
    memset(r, 0, sizeof *r);
}

/* ---- whole frame ---------------------------------------------------------------------------------- */

hv_status mr_single(hv_maskrcnn *m, const uint8_t *img, int32_t ih, int32_t iw, float sx, float sy,
                    hv_maskrcnn_result *out) {
    return mr_single_batch(m, &img, 1, ih, iw, &sx, &sy, out); /* a batch of one frame */
}

hv_status mr_resize_frame(const hv_maskrcnn *m, const uint8_t *pixels, int32_t w, int32_t h, mr_frame *fr) {
    memset(fr, 0, sizeof *fr);
    if (w < 1 || h < 1) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_maskrcnn_detect: empty frame %dx%d", w, h);
    int32_t nw = w, nh = h;
    double s = 1.0;
    hv_status st = HV_OK;
    if (m->p.target_w > 0) st = hv_preprocess_keep_ratio_size(w, h, m->p.target_w, m->p.target_h, &nw, &nh, &s);
    if (st != HV_OK) return st;
    fr->img = pixels;
    if (nw != w || nh != h) {
        fr->resized = malloc((size_t)nw * nh * 3);
        if (!fr->resized) return hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: resizing to %dx%d", nw, nh);
        st = hv_preprocess_resize_u8(pixels, w, h, 3, fr->resized, nw, nh);
        fr->img = fr->resized;
    }
    fr->w = w, fr->h = h, fr->nw = nw, fr->nh = nh;
    fr->sx = (float)nw / (float)w, fr->sy = (float)nh / (float)h; /* scale_factor [W'/w, H'/h] in f32 */
    return st;
}

hv_status hv_maskrcnn_detect(hv_maskrcnn *m, const uint8_t *pixels, int32_t w, int32_t h, const hv_maskrcnn_tta *tta,
                             hv_maskrcnn_result *out) {
    if (!m || !pixels || !out) return hv_error(HV_ERR_INVALID_ARGUMENT, "hv_maskrcnn_detect: NULL argument");
    memset(out, 0, sizeof *out);
    m->problem[0] = 0;
    mr_frame fr;
    hv_status st = mr_resize_frame(m, pixels, w, h, &fr);
    if (st == HV_OK) {
        if (tta && tta->n > 0)
            st = mr_detect_tta(m, fr.img, fr.nh, fr.nw, fr.sx, fr.sy, h, w, tta, out);
        else
            st = mr_single(m, fr.img, fr.nh, fr.nw, fr.sx, fr.sy, out);
        out->width = w, out->height = h;
        if (st == HV_OK && out->masks == NULL) st = mr_paste_all(m, out);
    }
    free(fr.resized);
    if (st != HV_OK) hv_maskrcnn_result_free(out);
    return st;
}
