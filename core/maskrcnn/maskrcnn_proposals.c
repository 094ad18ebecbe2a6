/* core/maskrcnn/maskrcnn_proposals.c — where a Mask R-CNN's RPN proposals are selected (issue 16).
 *
 * On the host (hv_rpn_proposals on RPN maps read back from the features plan) or on the device: the
 * features plan ends in rpn_level_topk per level and rpn_nms (core/ops/rpn_proposals.c), and only the
 * proposal rows come back — a few KB per frame instead of the five levels' score and delta maps. Both
 * select the same proposals, up to the device's exp rounding (the ops' references are hv_rpn_proposals'
 * own functions, and the shaders match them; tests/ops/test_rpn_proposals.c, tests/maskrcnn/test_batch.c).
 * The device path is the default on GPUs, where the maps would cross the bus; CPU devices (lavapipe) and
 * the CPU backend keep the host path: nothing crosses a bus there, and the host code is the faster one
 * (bench/README.md). HEMOVK_PROPOSALS=device|host overrides. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/detect.h"
#include "hemovk/device.h"
#include "hemovk/log.h"
#include "hemovk/ops_dcn.h"
#include "maskrcnn/maskrcnn_internal.h"

void mr_rpn_params(const hv_maskrcnn *m, int32_t img_h, int32_t img_w, hv_rpn_params *rp) {
    hv_rpn_params_default(rp, (float)img_h, (float)img_w);
    rp->nms_pre = m->p.test.rpn_nms_pre;
    rp->max_per_img = m->p.test.rpn_max_per_img;
    rp->iou_thr = m->p.test.rpn_iou;
    rp->min_bbox_size = m->p.test.rpn_min_bbox_size;
    rp->n_scales = m->p.n_anchor_scales;
    for (int32_t i = 0; i < m->p.n_anchor_scales; i++) rp->scales[i] = m->p.anchor_scales[i];
}

bool mr_choose_device_proposals(const hv_maskrcnn *m) {
    /* the ops' limits: nms_pre 0 (every anchor) or above the shared-memory sort, too many anchors */
    const bool fits = m->p.test.rpn_nms_pre >= 1 && m->p.test.rpn_nms_pre <= HV_RPN_OP_MAX_PRE &&
                      m->anchors <= HV_RPN_OP_MAX_ANCHORS;
    const char *env = getenv("HEMOVK_PROPOSALS");
    if (env && !strcmp(env, "host")) return false;
    if (env && !strcmp(env, "device")) {
        if (!fits)
            hv_log_warn("HEMOVK_PROPOSALS=device: rpn_nms_pre %d and %d anchors per cell exceed the device ops "
                        "(1..%d, ≤ %d); proposals stay on the host", m->p.test.rpn_nms_pre, m->anchors,
                        HV_RPN_OP_MAX_PRE, HV_RPN_OP_MAX_ANCHORS);
        return fits;
    }
    if (env && *env) hv_log_warn("HEMOVK_PROPOSALS=%s is not device or host; choosing by device type", env);
    const hv_device_info *info = m->dev ? hv_device_get_info(m->dev) : NULL;
    return fits && info && info->type != HV_DEVICE_CPU && info->type != HV_DEVICE_OTHER;
}

hv_tensor *mr_proposals_graph(const hv_maskrcnn *m, hv_graph *g, hv_tensor *const *cls, hv_tensor *const *reg,
                              int32_t img_h, int32_t img_w) {
    hv_rpn_params rp;
    mr_rpn_params(m, img_h, img_w, &rp);
    const float *scales = rp.n_scales > 0 ? rp.scales : &rp.anchor_scale;
    const int n_scales = rp.n_scales > 0 ? rp.n_scales : 1;
    hv_tensor *cand[HV_MRCNN_LEVELS];
    char name[32];
    for (int l = 0; l < HV_MRCNN_LEVELS; l++) {
        hv_rpn_topk_params tp = {.nms_pre = rp.nms_pre, .n_anchors = m->anchors, .stride = (float)(4 << l),
                                 .img_h = rp.img_h, .img_w = rp.img_w, .min_bbox_size = rp.min_bbox_size};
        hv_box base[HV_RPN_OP_MAX_ANCHORS];
        hv_status st = hv_anchors_base(tp.stride, scales, n_scales, rp.ratios, rp.n_ratios, base);
        if (st != HV_OK) return hv_graph_fail(g, st, "maskrcnn: anchors of level %d", l);
        for (int a = 0; a < m->anchors; a++) tp.anchor_half[a][0] = base[a].x2, tp.anchor_half[a][1] = base[a].y2;
        snprintf(name, sizeof name, "rpn_topk.%d", l);
        cand[l] = hv_rpn_level_topk(g, cls[l], reg[l], &tp, name);
    }
    hv_rpn_nms_params np = {.max_per_img = rp.max_per_img, .iou_thr = rp.iou_thr};
    return hv_rpn_nms(g, cand, HV_MRCNN_LEVELS, &np, "rpn_nms");
}

hv_status mr_frame_proposals(hv_maskrcnn *m, const hv_maskrcnn_features *f, const float *rows, size_t i, hv_det *out,
                             size_t *n_out) {
    if (!rows) {
        hv_maskrcnn_features v = mr_frame_view(m, f, i);
        return hv_maskrcnn_proposals(m, &v, out, n_out);
    }
    const size_t cap = (size_t)m->p.test.rpn_max_per_img;
    const float *r = rows + i * cap * HV_RPN_OP_ROW;
    size_t n = 0;
    for (; n < cap && r[n * HV_RPN_OP_ROW + 7] == 1.0f; n++) {
        const float *q = r + n * HV_RPN_OP_ROW;
        out[n] = (hv_det){{q[0], q[1], q[2], q[3]}, q[4], (int32_t)q[5], (int32_t)q[6]};
    }
    /* The RPN maps never reach the host here, so their scan becomes one of boxes and scores: a NaN in the
     * maps shows as a NaN score or box (an f16 map saturated at ±65504 no longer shows; the box head's
     * outputs are still scanned). Anchor indices may exceed 65504 and are left out. */
    float *v = malloc((n ? n : 1) * 5 * sizeof(float));
    if (!v) return hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: scanning %zu proposals", n);
    for (size_t k = 0; k < n; k++) memcpy(v + 5 * k, r + k * HV_RPN_OP_ROW, 5 * sizeof(float));
    mr_scan_output(m, "RPN proposals", v, 5 * n);
    free(v);
    *n_out = n;
    return HV_OK;
}
