/* core/maskrcnn/maskrcnn_plans.c — building, caching and feeding the three plans of a Mask R-CNN:
 * the features plan (per input size), and the box / mask head plans (per RoI bucket and map sizes).
 * Head plans are padded to a bucket of rows; padding rows carry batch index −1, which RoIAlign turns
 * into all-zero rows (no out-of-bounds read), and their outputs are ignored. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maskrcnn/maskrcnn_internal.h"

size_t mr_bucket(size_t rows, size_t cap, size_t factor) {
    size_t b = 4;
    while (b < rows) b *= factor;
    return b < cap ? b : cap;
}

static hv_status finish_plan(hv_maskrcnn *m, hv_graph *g, mr_plan *pl, const char *what) {
    hv_status st = hv_graph_status(g);
    if (st == HV_OK) st = hv_plan_create(g, m->dev, NULL, &pl->plan);
    if (st != HV_OK) {
        hv_error_context(st, "maskrcnn: building the %s plan", what);
        hv_graph_free(g);
        return st;
    }
    pl->g = g;
    m->n_plans++;
    return HV_OK;
}

static mr_plan *slot(hv_maskrcnn *m) {
    if (m->n_plans >= sizeof m->plans / sizeof m->plans[0]) {
        hv_error(HV_ERR_UNSUPPORTED, "maskrcnn: more than %zu distinct input sizes / RoI buckets in one model; "
                                     "resize frames to a fixed target (params target_w/target_h)",
                 sizeof m->plans / sizeof m->plans[0]);
        return NULL;
    }
    mr_plan *pl = &m->plans[m->n_plans];
    memset(pl, 0, sizeof *pl);
    return pl;
}

hv_status mr_features_graph(const hv_maskrcnn *m, mr_plan_kind kind, int32_t h, int32_t w, int32_t batch, bool props,
                            hv_graph **out) {
    *out = NULL;
    hv_graph *g = NULL;
    hv_status st = hv_graph_create(&g);
    if (st != HV_OK) return st;
    hv_tensor *x;
    if (kind == MR_PLAN_FEAT_IMAGE) {
        hv_tensor_desc d = hv_desc_make(m->p.dtype, HV_LAYOUT_NCHW, 4, (int64_t[]){batch, 3, h, w});
        x = hv_graph_input(g, "image", &d);
    } else {
        hv_tensor_desc d = hv_desc_make(HV_F32, HV_LAYOUT_ANY, 2, (int64_t[]){batch, hv_preprocess_packed_words(h, w)});
        hv_tensor *packed = hv_graph_input(g, "frames", &d);
        hv_preprocess_params pp = {.in_h = h, .in_w = w, .swap_rb = m->p.bgr, .out_dtype = m->p.dtype};
        hv_preprocess_padded_size(h, w, m->p.pad_divisor > 1 ? m->p.pad_divisor : 1, &pp.out_h, &pp.out_w);
        for (int c = 0; c < 3; c++) {
            pp.mean[c] = m->p.mean[c];
            pp.inv_std[c] = (float)(1.0 / (double)m->p.std[c]); /* mmcv multiplies by 1/std (§1.2 step 4) */
        }
        x = hv_preprocess(g, packed, &pp, "preprocess");
    }
    hv_backbone_outputs bo;
    memset(&bo, 0, sizeof bo);
    hv_tensor *p[HV_MRCNN_LEVELS], *cls[HV_MRCNN_LEVELS], *reg[HV_MRCNN_LEVELS];
    st = hv_graph_status(g);
    if (st == HV_OK) st = mr_backbone(m, g, x, &bo);
    if (st == HV_OK) st = mr_fpn(m, g, bo.feats, bo.channels, p);
    if (st == HV_OK) st = mr_rpn(m, g, p, cls, reg);
    if (st == HV_OK && props) {
        hv_tensor *rows = kind == MR_PLAN_FEAT_PIXELS ? mr_proposals_graph(m, g, cls, reg, h, w)
                                                      : hv_graph_fail(g, HV_ERR_INTERNAL, "maskrcnn: device proposals "
                                                                      "need the unpadded size (pixels input)");
        if (rows) hv_graph_output(g, rows, "proposals");
    }
    char name[32];
    for (int i = 0; i < HV_MRCNN_LEVELS && st == HV_OK; i++) {
        snprintf(name, sizeof name, "fpn.%d", i);
        if (hv_graph_output(g, p[i], name) != HV_OK) break;
        if (props) continue; /* the maps feed the proposal ops on the device */
        snprintf(name, sizeof name, "rpn_cls.%d", i);
        if (hv_graph_output(g, cls[i], name) != HV_OK) break;
        snprintf(name, sizeof name, "rpn_reg.%d", i);
        if (hv_graph_output(g, reg[i], name) != HV_OK) break;
    }
    if (st == HV_OK) st = hv_graph_status(g);
    if (st != HV_OK) {
        hv_graph_free(g);
        return hv_error_context(st, "maskrcnn: building the features graph for %dx%d", h, w);
    }
    *out = g;
    return HV_OK;
}

hv_status mr_feature_plan(hv_maskrcnn *m, mr_plan_kind kind, int32_t h, int32_t w, int32_t view_slot, int32_t batch,
                          mr_plan **out) {
    const bool props = m->device_props && kind == MR_PLAN_FEAT_PIXELS && view_slot >= 0;
    for (uint32_t i = 0; i < m->n_plans; i++)
        if (m->plans[i].kind == (int32_t)kind && m->plans[i].a == h && m->plans[i].b == w &&
            m->plans[i].slot == view_slot && m->plans[i].batch == batch) {
            *out = &m->plans[i];
            return HV_OK;
        }
    mr_plan *pl = slot(m);
    if (!pl) return HV_ERR_UNSUPPORTED;
    pl->kind = kind, pl->a = h, pl->b = w, pl->slot = view_slot, pl->batch = batch, pl->props = props;
    hv_graph *g = NULL;
    hv_status st = mr_features_graph(m, kind, h, w, batch, props, &g);
    if (st != HV_OK) return st;
    st = finish_plan(m, g, pl, "features");
    char name[16];
    for (int l = 0; l < HV_MRCNN_LEVELS && st == HV_OK && view_slot >= 0; l++) {
        snprintf(name, sizeof name, "fpn.%d", l);
        if (l + 1 != m->p.keep_fpn_level) st = hv_plan_set_output_readback(pl->plan, name, false);
    }
    if (st == HV_OK) *out = pl;
    return st;
}

hv_status mr_head_graph(const hv_maskrcnn *m, mr_plan_kind kind, int32_t channels, const int32_t *fh, const int32_t *fw,
                        int32_t rows, int32_t batch, hv_graph **out) {
    *out = NULL;
    hv_graph *g = NULL;
    hv_status st = hv_graph_create(&g);
    if (st != HV_OK) return st;
    hv_tensor *p[4];
    char name[16];
    for (int l = 0; l < 4; l++) {
        snprintf(name, sizeof name, "p%d", l);
        hv_tensor_desc d = hv_desc_make(m->p.dtype, HV_LAYOUT_NCHW, 4, (int64_t[]){batch, channels, fh[l], fw[l]});
        p[l] = hv_graph_input(g, name, &d);
    }
    hv_tensor_desc rd = hv_desc_make(HV_F32, HV_LAYOUT_ANY, 2, (int64_t[]){rows, 5});
    hv_tensor_desc ld = hv_desc_make(HV_F32, HV_LAYOUT_ANY, 1, (int64_t[]){rows});
    hv_tensor *rois = hv_graph_input(g, "rois", &rd), *lv = hv_graph_input(g, "levels", &ld);
    if (kind == MR_PLAN_BOX) {
        hv_tensor *cls = NULL, *reg = NULL;
        if (mr_box_head(m, g, p, rois, lv, &cls, &reg) == HV_OK) {
            hv_graph_output(g, cls, "cls");
            hv_graph_output(g, reg, "reg");
        }
    } else {
        hv_tensor *logits = NULL;
        if (mr_mask_head(m, g, p, rois, lv, &logits) == HV_OK) hv_graph_output(g, logits, "logits");
    }
    st = hv_graph_status(g);
    if (st != HV_OK) {
        hv_graph_free(g);
        return hv_error_context(st, "maskrcnn: building the %s graph", kind == MR_PLAN_BOX ? "box head" : "mask head");
    }
    *out = g;
    return HV_OK;
}

hv_status mr_head_plan(hv_maskrcnn *m, mr_plan_kind kind, const hv_maskrcnn_features *f, size_t rows, hv_plan *src,
                       int32_t batch, mr_plan **out) {
    size_t cap = (kind == MR_PLAN_BOX ? (size_t)m->p.test.rpn_max_per_img : (size_t)m->p.test.max_per_img) * (size_t)batch;
    if (rows > cap) cap = rows; /* injected RoIs beyond the configured maximum */
    int32_t b = (int32_t)mr_bucket(rows, cap, kind == MR_PLAN_BOX ? 4 : 2);
    for (uint32_t i = 0; i < m->n_plans; i++) {
        mr_plan *q = &m->plans[i];
        if (q->kind != (int32_t)kind || q->a < (int32_t)rows || q->a != b || q->src != src || q->batch != batch) continue;
        int same = 1;
        for (int l = 0; l < 4; l++) same &= q->fh[l] == f->h[l] && q->fw[l] == f->w[l];
        if (same) {
            *out = q;
            return HV_OK;
        }
    }
    mr_plan *pl = slot(m);
    if (!pl) return HV_ERR_UNSUPPORTED;
    pl->kind = kind, pl->a = b, pl->src = src, pl->batch = batch;
    memcpy(pl->fh, f->h, sizeof pl->fh);
    memcpy(pl->fw, f->w, sizeof pl->fw);
    hv_graph *g = NULL;
    hv_status st = mr_head_graph(m, kind, f->channels, f->h, f->w, b, batch, &g);
    if (st != HV_OK) return st;
    st = finish_plan(m, g, pl, kind == MR_PLAN_BOX ? "box head" : "mask head");
    char in[16], out_name[16];
    for (int l = 0; l < 4 && st == HV_OK && src; l++) { /* P2..P5 straight from the features plan */
        snprintf(in, sizeof in, "p%d", l);
        snprintf(out_name, sizeof out_name, "fpn.%d", l);
        st = hv_plan_link_input(pl->plan, in, src, out_name);
    }
    if (st == HV_OK) *out = pl;
    return st;
}

hv_status mr_run_head(hv_maskrcnn *m, mr_plan *pl, const hv_maskrcnn_features *f, const hv_box *boxes,
                      const int32_t *bidx, size_t n) {
    (void)m;
    size_t rows = (size_t)pl->a;
    float *rois = calloc(rows * 5 + rows, sizeof(float));
    if (!rois) return hv_error(HV_ERR_OUT_OF_MEMORY, "maskrcnn: RoI buffer of %zu rows", rows);
    float *lv = rois + rows * 5;
    for (size_t i = 0; i < rows; i++) {
        float *r = rois + i * 5;
        if (i < n) {
            r[0] = bidx ? (float)bidx[i] : 0.0f, r[1] = boxes[i].x1, r[2] = boxes[i].y1, r[3] = boxes[i].x2, r[4] = boxes[i].y2;
            lv[i] = (float)hv_roi_level(boxes[i].x1, boxes[i].y1, boxes[i].x2, boxes[i].y2, 56.0f, 4);
        } else {
            r[0] = -1.0f; /* padding: RoIAlign writes zeros for a batch index outside [0, N) */
        }
    }
    hv_status st = HV_OK;
    char name[16];
    for (int l = 0; l < 4 && st == HV_OK && !pl->src; l++) {
        snprintf(name, sizeof name, "p%d", l);
        st = hv_plan_set_input(pl->plan, name, f->fpn[l], HV_F32, (size_t)f->channels * f->h[l] * f->w[l]);
    }
    if (st == HV_OK) st = hv_plan_set_input(pl->plan, "rois", rois, HV_F32, rows * 5);
    if (st == HV_OK) st = hv_plan_set_input(pl->plan, "levels", lv, HV_F32, rows);
    free(rois);
    if (st == HV_OK) st = hv_plan_run(pl->plan);
    return st;
}
