/* core/maskrcnn/maskrcnn_graph.c — graph builders of Mask R-CNN's FPN, RPN head, Shared2FC box head and
 * FCN mask head (MODEL_SPEC §5.1, §5.2, §5.8, §5.10) from MMDetection-named weights. The box head
 * flattens the RoIAlign output (maskrcnn_flatten.c) and runs its four Linears as GEMMs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maskrcnn/maskrcnn_internal.h"

hv_tensor *mr_weight(hv_graph *g, const hv_weights *w, hv_dtype dt, const char *name, uint32_t rank,
                     const int64_t *dims, uint32_t grank, const int64_t *gdims) {
    if (hv_graph_status(g) != HV_OK) return NULL;
    int64_t n = 1;
    for (uint32_t i = 0; i < rank; i++) n *= dims[i];
    float *data = malloc((size_t)(n > 0 ? n : 1) * sizeof(float));
    if (!data) return hv_graph_fail(g, HV_ERR_OUT_OF_MEMORY, "weight '%s': out of host memory", name);
    hv_status st = hv_weights_read_f32_shape(w, name, rank, dims, data);
    if (st != HV_OK) {
        free(data);
        return hv_graph_fail(g, st, "%s", hv_last_error());
    }
    hv_tensor_desc d = gdims ? hv_desc_make(dt, HV_LAYOUT_ANY, grank, gdims) : hv_desc_make(dt, HV_LAYOUT_ANY, rank, dims);
    hv_tensor *t = hv_graph_weight(g, name, &d, data, HV_F32);
    free(data);
    return t;
}

/* conv weight {o, i, k, k} + bias {o} named <prefix>.weight / .bias */
static hv_tensor *conv(const hv_maskrcnn *m, hv_graph *g, hv_tensor *x, const char *prefix, int64_t o, int64_t i,
                       int64_t k, int32_t pad, hv_activation act, hv_tensor *residual) {
    char wn[256], bn[256];
    snprintf(wn, sizeof wn, "%s.weight", prefix);
    snprintf(bn, sizeof bn, "%s.bias", prefix);
    hv_tensor *wt = mr_weight(g, m->w, m->p.dtype, wn, 4, (int64_t[]){o, i, k, k}, 0, NULL);
    hv_tensor *b = mr_weight(g, m->w, m->p.dtype, bn, 1, (int64_t[]){o}, 0, NULL);
    hv_conv2d_params cp = {.pad_top = pad, .pad_bottom = pad, .pad_left = pad, .pad_right = pad, .act = act};
    return hv_conv2d(g, x, wt, b, residual, &cp, prefix);
}

hv_status mr_backbone(const hv_maskrcnn *m, hv_graph *g, hv_tensor *x, hv_backbone_outputs *bo) {
    hv_status st;
    switch (m->p.backbone) {
    case HV_MRCNN_CONVNEXT:
        st = hv_convnext_build(g, x, m->w, &m->p.convnext, bo);
        break;
    case HV_MRCNN_INTERNIMAGE:
        st = hv_internimage_build(g, x, m->w, &m->p.internimage, bo);
        break;
    case HV_MRCNN_EFFICIENTNET: {
        hv_efficientnet_params ep = m->p.efficientnet;
        if (ep.num_out == 0) { /* detection takes layers 2..5 (strides 4, 8, 16, 32) */
            ep.num_out = 4;
            for (int i = 0; i < 4; i++) ep.out_indices[i] = 2 + i;
        }
        st = hv_efficientnet_build(g, x, m->w, &ep, bo);
        break;
    }
    case HV_MRCNN_CUSTOM:
        if (!m->p.custom_build) return hv_error(HV_ERR_INVALID_ARGUMENT, "maskrcnn: custom backbone without custom_build");
        st = m->p.custom_build(g, x, m->w, m->p.custom_ctx, bo);
        break;
    default:
        return hv_error(HV_ERR_INVALID_ARGUMENT, "maskrcnn: unknown backbone kind %d", (int)m->p.backbone);
    }
    if (st != HV_OK) return st;
    if (bo->count < 4)
        return hv_error(HV_ERR_SHAPE, "maskrcnn: the backbone returned %u feature maps; the FPN needs 4 (strides 4..32)",
                        bo->count);
    return hv_graph_status(g);
}

hv_status mr_fpn(const hv_maskrcnn *m, hv_graph *g, hv_tensor *const *c, const int32_t *in_ch, hv_tensor **p) {
    const int64_t C = m->channels;
    hv_tensor *lat[4];
    char name[128];
    /* top-down: L3 first, then L_{i-1} = lateral(C_{i-1}) + nearest(L_i) as a fused residual add */
    snprintf(name, sizeof name, "neck.lateral_convs.3.conv");
    lat[3] = conv(m, g, c[3], name, C, in_ch[3], 1, 0, HV_ACT_NONE, NULL);
    for (int i = 3; i > 0; i--) {
        const hv_tensor_desc *d = hv_tensor_get_desc(c[i - 1]);
        if (!d || !lat[i]) return hv_graph_status(g);
        snprintf(name, sizeof name, "neck.upsample.%d", i);
        hv_tensor *up = hv_resize(g, lat[i], (int32_t)d->dims[2], (int32_t)d->dims[3], HV_RESIZE_NEAREST, name);
        snprintf(name, sizeof name, "neck.lateral_convs.%d.conv", i - 1);
        lat[i - 1] = conv(m, g, c[i - 1], name, C, in_ch[i - 1], 1, 0, HV_ACT_NONE, up);
    }
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "neck.fpn_convs.%d.conv", i);
        p[i] = conv(m, g, lat[i], name, C, C, 3, 1, HV_ACT_NONE, NULL);
    }
    hv_maxpool_params mp = {.kernel_h = 1, .kernel_w = 1, .stride_h = 2, .stride_w = 2};
    p[4] = hv_maxpool2d(g, p[3], &mp, "neck.p6");
    return hv_graph_status(g);
}

hv_status mr_rpn(const hv_maskrcnn *m, hv_graph *g, hv_tensor *const *p, hv_tensor **cls, hv_tensor **reg) {
    const int64_t C = m->channels, A = m->anchors;
    hv_dtype dt = m->p.dtype;
    /* one set of weights shared by the five levels */
    hv_tensor *cw = mr_weight(g, m->w, dt, "rpn_head.rpn_conv.weight", 4, (int64_t[]){C, C, 3, 3}, 0, NULL);
    hv_tensor *cb = mr_weight(g, m->w, dt, "rpn_head.rpn_conv.bias", 1, (int64_t[]){C}, 0, NULL);
    hv_tensor *kw = mr_weight(g, m->w, dt, "rpn_head.rpn_cls.weight", 4, (int64_t[]){A, C, 1, 1}, 0, NULL);
    hv_tensor *kb = mr_weight(g, m->w, dt, "rpn_head.rpn_cls.bias", 1, (int64_t[]){A}, 0, NULL);
    hv_tensor *rw = mr_weight(g, m->w, dt, "rpn_head.rpn_reg.weight", 4, (int64_t[]){4 * A, C, 1, 1}, 0, NULL);
    hv_tensor *rb = mr_weight(g, m->w, dt, "rpn_head.rpn_reg.bias", 1, (int64_t[]){4 * A}, 0, NULL);
    char name[64];
    for (int i = 0; i < HV_MRCNN_LEVELS; i++) {
        hv_conv2d_params c3 = {.pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1, .act = HV_ACT_RELU};
        snprintf(name, sizeof name, "rpn_conv.%d", i);
        hv_tensor *t = hv_conv2d(g, p[i], cw, cb, NULL, &c3, name);
        hv_conv2d_params c1 = {0};
        snprintf(name, sizeof name, "rpn_cls.%d", i);
        cls[i] = hv_conv2d(g, t, kw, kb, NULL, &c1, name);
        snprintf(name, sizeof name, "rpn_reg.%d", i);
        reg[i] = hv_conv2d(g, t, rw, rb, NULL, &c1, name);
    }
    return hv_graph_status(g);
}

static hv_tensor *roi_align(const hv_maskrcnn *m, hv_graph *g, hv_tensor *const *p, hv_tensor *rois,
                            hv_tensor *levels, int32_t out, const char *name) {
    hv_roi_align_params rp = {.num_levels = 4, .strides = {4, 8, 16, 32}, .output_size = out, .sampling_ratio = 0,
                              .aligned = true};
    (void)m;
    return hv_roi_align(g, p, rois, levels, &rp, name);
}

hv_status mr_box_head(const hv_maskrcnn *m, hv_graph *g, hv_tensor *const *p, hv_tensor *rois, hv_tensor *levels,
                      hv_tensor **cls, hv_tensor **reg) {
    const int64_t C = m->channels, F = m->fc, S = m->roi_size, K = m->num_classes;
    hv_dtype dt = m->p.dtype;
    hv_tensor *x = roi_align(m, g, p, rois, levels, (int32_t)S, "bbox_roi_extractor");
    hv_tensor *w0 = mr_weight(g, m->w, dt, "roi_head.bbox_head.shared_fcs.0.weight", 2, (int64_t[]){F, C * S * S}, 0, NULL);
    hv_tensor *b0 = mr_weight(g, m->w, dt, "roi_head.bbox_head.shared_fcs.0.bias", 1, (int64_t[]){F}, 0, NULL);
    hv_tensor *w1 = mr_weight(g, m->w, dt, "roi_head.bbox_head.shared_fcs.1.weight", 2, (int64_t[]){F, F}, 0, NULL);
    hv_tensor *b1 = mr_weight(g, m->w, dt, "roi_head.bbox_head.shared_fcs.1.bias", 1, (int64_t[]){F}, 0, NULL);
    hv_tensor *wc = mr_weight(g, m->w, dt, "roi_head.bbox_head.fc_cls.weight", 2, (int64_t[]){K + 1, F}, 0, NULL);
    hv_tensor *bc = mr_weight(g, m->w, dt, "roi_head.bbox_head.fc_cls.bias", 1, (int64_t[]){K + 1}, 0, NULL);
    hv_tensor *wr = mr_weight(g, m->w, dt, "roi_head.bbox_head.fc_reg.weight", 2, (int64_t[]){4 * K, F}, 0, NULL);
    hv_tensor *br = mr_weight(g, m->w, dt, "roi_head.bbox_head.fc_reg.bias", 1, (int64_t[]){4 * K}, 0, NULL);
    hv_tensor *h = mr_flatten(g, x, "bbox_head.flatten"); /* index c·49 + y·7 + x, torch's flatten(1) */
    h = hv_linear(g, h, w0, b0, HV_ACT_RELU, "shared_fcs.0");
    h = hv_linear(g, h, w1, b1, HV_ACT_RELU, "shared_fcs.1");
    *cls = hv_linear(g, h, wc, bc, HV_ACT_NONE, "fc_cls");
    *reg = hv_linear(g, h, wr, br, HV_ACT_NONE, "fc_reg");
    return hv_graph_status(g);
}

hv_status mr_mask_head(const hv_maskrcnn *m, hv_graph *g, hv_tensor *const *p, hv_tensor *rois, hv_tensor *levels,
                       hv_tensor **logits) {
    const int64_t C = m->channels, K = m->num_classes;
    hv_dtype dt = m->p.dtype;
    hv_tensor *x = roi_align(m, g, p, rois, levels, m->mask_roi, "mask_roi_extractor");
    char name[64];
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "roi_head.mask_head.convs.%d.conv", i);
        x = conv(m, g, x, name, C, C, 3, 1, HV_ACT_RELU, NULL);
    }
    hv_tensor *uw = mr_weight(g, m->w, dt, "roi_head.mask_head.upsample.weight", 4, (int64_t[]){C, C, 2, 2}, 0, NULL);
    hv_tensor *ub = mr_weight(g, m->w, dt, "roi_head.mask_head.upsample.bias", 1, (int64_t[]){C}, 0, NULL);
    x = hv_deconv2d(g, x, uw, ub, HV_ACT_RELU, "roi_head.mask_head.upsample");
    *logits = conv(m, g, x, "roi_head.mask_head.conv_logits", K, C, 1, 0, HV_ACT_NONE, NULL);
    return hv_graph_status(g);
}
