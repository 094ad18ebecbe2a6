/* efficientnet — mmpretrain's EfficientNet (MODEL_SPEC §2) as a BACKBONE component: b0–b7 or custom
 * width/depth multipliers, TF-"SAME" (the paper's weights) or symmetric (torchvision) padding, BN eps,
 * out_indices; BatchNorm is folded into the convs when the graph is built. Supports SWA BatchNorm
 * recalibration (hv_efficientnet_recalibrate_bn). */
#include "backbones_plugin.h"

#include <string.h>

const char bb_efficientnet_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "properties:\n"
    "  arch:\n"
    "    description: width/depth table entry (b7 is the paper's classifier)\n"
    "    enum: [b0, b1, b2, b3, b4, b5, b6, b7]\n"
    "    default: b0\n"
    "  width:\n"
    "    description: overrides the arch's width multiplier (channels scale; reduced models for tests)\n"
    "    type: number\n"
    "    exclusiveMinimum: 0\n"
    "    maximum: 8\n"
    "  depth:\n"
    "    description: overrides the arch's depth multiplier (blocks per stage = ceil(depth * n))\n"
    "    type: number\n"
    "    exclusiveMinimum: 0\n"
    "    maximum: 8\n"
    "  padding:\n"
    "    description: tf_same = dynamic TF 'SAME' (mmpretrain Conv2dAdaptivePadding, the paper's weights); symmetric = (k-1)/2 (torchvision)\n"
    "    enum: [tf_same, symmetric]\n"
    "    default: tf_same\n"
    "  bn_eps:\n"
    "    description: BatchNorm eps (mmpretrain 1e-3; torchvision b0-b4 use 1e-5)\n"
    "    type: number\n"
    "    exclusiveMinimum: 0\n"
    "    maximum: 1\n"
    "    default: 0.001\n"
    "  out_indices:\n"
    "    description: feature maps to expose, layers 0 (stem) .. 6 (final 1x1 conv); detection uses 2..5\n"
    "    type: array\n"
    "    minItems: 1\n"
    "    maxItems: 7\n"
    "    uniqueItems: true\n"
    "    items: {type: integer, minimum: 0, maximum: 6}\n"
    "    default: [6]\n"
    "  prefix:\n"
    "    description: name prefix of the backbone's tensors in the weights\n"
    "    type: string\n"
    "    default: backbone.\n";

static hv_status effnet_params(const hv_component_info *info, hv_efficientnet_params *p) {
    memset(p, 0, sizeof *p);
    const hv_config_node *c = info->params;
    const char *padding = NULL;
    double width = 0, depth = 0;
    hv_status st = hv_config_need_string(c, "arch", &p->arch);
    /* no schema default: absent (0, which the schema's exclusiveMinimum rules out) means the arch's */
    if (!st) st = hv_config_get_double(c, "width", 0, &width);
    if (!st) st = hv_config_get_double(c, "depth", 0, &depth); /* no schema default: as width */
    if (!st) st = hv_config_need_string(c, "padding", &padding);
    if (!st) st = bb_need_float(c, "bn_eps", &p->bn_eps);
    if (!st) st = bb_need_int_list(c, "out_indices", p->out_indices, HV_BACKBONE_MAX_OUTS, &p->num_out);
    if (!st) st = hv_config_need_string(c, "prefix", &p->prefix);
    p->width = width;
    p->depth = depth;
    p->padding = padding && !strcmp(padding, "symmetric") ? HV_EFFNET_PAD_SYMMETRIC : HV_EFFNET_PAD_TF_SAME;
    return st;
}

static hv_status effnet_build(const hv_component_info *info, hv_graph *g, hv_tensor *x, const hv_weights *w,
                              hv_backbone_outputs *out) {
    hv_efficientnet_params p;
    hv_status st = effnet_params(info, &p);
    if (!st) st = hv_efficientnet_build(g, x, w, &p, out);
    return bb_context(st, info, "efficientnet");
}

static hv_status effnet_recalibrate(const hv_component_info *info, hv_weights *w, const float *images, int32_t n,
                                    int32_t batch, int32_t height, int32_t width) {
    hv_efficientnet_params p;
    hv_status st = effnet_params(info, &p);
    if (!st) st = hv_efficientnet_recalibrate_bn(w, &p, images, n, batch, height, width);
    return bb_context(st, info, "efficientnet");
}

const hv_backbone_vtable bb_efficientnet_vtable = {
    .struct_size = sizeof(hv_backbone_vtable),
    .build = effnet_build,
    .cls_head = NULL, /* mmpretrain LinearClsHead "head.fc" */
    .recalibrate_bn = effnet_recalibrate,
};
