/* convnext — ConvNeXt (MODEL_SPEC §3) as a BACKBONE component: tiny/small/base/large or custom
 * depths/dims, LayerNorm eps, the downsample LN eps ([CONFLICT §3]: mmcls 0.x 1e-5, mmpretrain 1.x and
 * torchvision 1e-6), the detection output norms, out_indices. As a classifier its head pools the last
 * stage, applies `backbone.norm3` when the weights hold it (mmpretrain gap_before_final_norm) and the
 * Linear "head.fc". */
#include "backbones_plugin.h"

#include <stdio.h>
#include <string.h>

const char bb_convnext_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "properties:\n"
    "  arch:\n"
    "    description: depths/dims table entry (base is the paper's detector backbone)\n"
    "    enum: [tiny, small, base, large]\n"
    "    default: tiny\n"
    "  depths:\n"
    "    description: blocks per stage; overrides the arch (give all four)\n"
    "    type: array\n"
    "    minItems: 4\n"
    "    maxItems: 4\n"
    "    items: {type: integer, minimum: 1, maximum: 64}\n"
    "  dims:\n"
    "    description: channels per stage; overrides the arch (give all four)\n"
    "    type: array\n"
    "    minItems: 4\n"
    "    maxItems: 4\n"
    "    items: {type: integer, minimum: 1, maximum: 4096}\n"
    "  ln_eps:\n"
    "    description: LayerNorm eps of the stem, the blocks and the output norms\n"
    "    type: number\n"
    "    exclusiveMinimum: 0\n"
    "    maximum: 1\n"
    "    default: 1.0e-6\n"
    "  downsample_eps:\n"
    "    description: eps of the downsample LayerNorms; 1e-5 for mmcls 0.x / mmdet 2.x checkpoints (the paper's stack), 1e-6 for mmpretrain 1.x, the official code and torchvision\n"
    "    type: number\n"
    "    exclusiveMinimum: 0\n"
    "    maximum: 1\n"
    "    default: 1.0e-5\n"
    "  out_norms:\n"
    "    description: apply norm0..norm3 to the feature maps (auto = when the weights hold backbone.norm0, as detection checkpoints do)\n"
    "    enum: [auto, off, on]\n"
    "    default: auto\n"
    "  out_indices:\n"
    "    description: stages 0..3 whose maps are exposed (detection uses all four)\n"
    "    type: array\n"
    "    minItems: 1\n"
    "    maxItems: 4\n"
    "    uniqueItems: true\n"
    "    items: {type: integer, minimum: 0, maximum: 3}\n"
    "    default: [0, 1, 2, 3]\n"
    "  prefix:\n"
    "    description: name prefix of the backbone's tensors in the weights\n"
    "    type: string\n"
    "    default: backbone.\n";

static hv_status convnext_params(const hv_component_info *info, hv_convnext_params *p) {
    memset(p, 0, sizeof *p);
    const hv_config_node *c = info->params;
    const char *norms = NULL;
    uint32_t nd = 0, nc = 0;
    hv_status st = hv_config_need_string(c, "arch", &p->arch);
    if (!st) st = bb_get_int_list(c, "depths", p->depths, 4, &nd); /* absent: the arch's */
    if (!st) st = bb_get_int_list(c, "dims", p->dims, 4, &nc);     /* absent: the arch's */
    if (!st) st = bb_need_float(c, "ln_eps", &p->ln_eps);
    if (!st) st = bb_need_float(c, "downsample_eps", &p->downsample_eps);
    if (!st) st = hv_config_need_string(c, "out_norms", &norms);
    if (!st) st = bb_need_int_list(c, "out_indices", p->out_indices, HV_BACKBONE_MAX_OUTS, &p->num_out);
    if (!st) st = hv_config_need_string(c, "prefix", &p->prefix);
    if (st) return st;
    p->out_norms = !strcmp(norms, "on") ? HV_CONVNEXT_OUT_NORMS_ON
                   : !strcmp(norms, "off") ? HV_CONVNEXT_OUT_NORMS_OFF
                                           : HV_CONVNEXT_OUT_NORMS_AUTO;
    return st;
}

static hv_status convnext_build(const hv_component_info *info, hv_graph *g, hv_tensor *x, const hv_weights *w,
                                hv_backbone_outputs *out) {
    hv_convnext_params p;
    hv_status st = convnext_params(info, &p);
    if (!st) st = hv_convnext_build(g, x, w, &p, out);
    return bb_context(st, info, "convnext");
}

static hv_status convnext_head(const hv_component_info *info, const hv_weights *w, hv_cls_head_params *head,
                               char *names, size_t names_size) {
    hv_convnext_params p;
    hv_status st = convnext_params(info, &p);
    if (st) return bb_context(st, info, "convnext");
    memset(head, 0, sizeof *head);
    snprintf(names, names_size, "%snorm3", p.prefix);
    char probe[300];
    snprintf(probe, sizeof probe, "%s.weight", names);
    if (hv_weights_has(w, probe)) {
        head->norm = names;
        head->norm_eps = p.ln_eps;
    }
    return HV_OK;
}

const hv_backbone_vtable bb_convnext_vtable = {
    .struct_size = sizeof(hv_backbone_vtable),
    .build = convnext_build,
    .cls_head = convnext_head,
    .recalibrate_bn = NULL, /* LayerNorm only */
};
