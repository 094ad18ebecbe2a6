/* internimage — InternImage with DCNv3 (MODEL_SPEC §4) as a BACKBONE component: t/s/b/l/xl or custom
 * channels/depths/groups, mlp_ratio, offset_scale, post_norm, layer_scale, LN eps, out_indices. */
#include "backbones_plugin.h"

#include <string.h>

const char bb_internimage_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "properties:\n"
    "  arch:\n"
    "    description: configuration table entry (xl is the paper's detector backbone)\n"
    "    enum: [t, s, b, l, xl]\n"
    "    default: t\n"
    "  channels:\n"
    "    description: channels of the first level (C0); overrides the arch\n"
    "    type: integer\n"
    "    minimum: 1\n"
    "    maximum: 4096\n"
    "  depths:\n"
    "    description: blocks per level; overrides the arch (give all four)\n"
    "    type: array\n"
    "    minItems: 4\n"
    "    maxItems: 4\n"
    "    items: {type: integer, minimum: 1, maximum: 64}\n"
    "  groups:\n"
    "    description: DCNv3 groups per level; overrides the arch (give all four)\n"
    "    type: array\n"
    "    minItems: 4\n"
    "    maxItems: 4\n"
    "    items: {type: integer, minimum: 1, maximum: 1024}\n"
    "  mlp_ratio:\n"
    "    description: MLP hidden width / channels (arch default 4)\n"
    "    type: number\n"
    "    exclusiveMinimum: 0\n"
    "  offset_scale:\n"
    "    description: DCNv3 offset scale (arch default 1.0; 2.0 for l and xl)\n"
    "    type: number\n"
    "    exclusiveMinimum: 0\n"
    "  post_norm:\n"
    "    description: post-norm blocks (arch default; true for l and xl)\n"
    "    type: boolean\n"
    "  layer_scale:\n"
    "    description: layer scale gamma (default - used when the weights hold levels.0.blocks.0.gamma1)\n"
    "    type: boolean\n"
    "  ln_eps:\n"
    "    description: LayerNorm eps\n"
    "    type: number\n"
    "    exclusiveMinimum: 0\n"
    "    maximum: 1\n"
    "    default: 1.0e-6\n"
    "  out_indices:\n"
    "    description: levels 0..3 whose maps are exposed\n"
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

static hv_status internimage_params(const hv_component_info *info, hv_internimage_params *p) {
    memset(p, 0, sizeof *p);
    const hv_config_node *c = info->params;
    int64_t channels = 0;
    uint32_t nd = 0, ng = 0;
    hv_status st = hv_config_need_string(c, "arch", &p->arch);
    /* no schema default: absent (0, below the schema's minimum 1) means the arch's channels */
    if (!st) st = hv_config_get_int(c, "channels", 0, &channels);
    if (!st) st = bb_get_int_list(c, "depths", p->depths, 4, &nd); /* absent: the arch's */
    if (!st) st = bb_get_int_list(c, "groups", p->groups, 4, &ng); /* absent: the arch's */
    if (!st) st = bb_get_float_or_arch(c, "mlp_ratio", &p->mlp_ratio);
    if (!st) st = bb_get_float_or_arch(c, "offset_scale", &p->offset_scale);
    if (!st) st = bb_get_tristate(c, "post_norm", &p->post_norm);     /* absent: the arch's */
    if (!st) st = bb_get_tristate(c, "layer_scale", &p->layer_scale); /* absent: from the weights */
    if (!st) st = bb_need_float(c, "ln_eps", &p->ln_eps);
    if (!st) st = bb_need_int_list(c, "out_indices", p->out_indices, HV_BACKBONE_MAX_OUTS, &p->num_out);
    if (!st) st = hv_config_need_string(c, "prefix", &p->prefix);
    p->channels = (int32_t)channels;
    return st;
}

static hv_status internimage_build(const hv_component_info *info, hv_graph *g, hv_tensor *x, const hv_weights *w,
                                   hv_backbone_outputs *out) {
    hv_internimage_params p;
    hv_status st = internimage_params(info, &p);
    if (!st) st = hv_internimage_build(g, x, w, &p, out);
    return bb_context(st, info, "internimage");
}

const hv_backbone_vtable bb_internimage_vtable = {
    .struct_size = sizeof(hv_backbone_vtable),
    .build = internimage_build,
    .cls_head = NULL,
    .recalibrate_bn = NULL, /* LayerNorm only */
};
