/* The descriptor of the "backbones" plugin (hemovk-backbones.so). */
#include "backbones_plugin.h"

#define BACKBONE(nm, desc, schema, vt)                                                                       \
    {.struct_size = sizeof(hv_component_desc), .kind = HV_COMPONENT_BACKBONE, .name = nm, .description = desc, \
     .param_schema = schema, .vtable = &vt, .vtable_size = sizeof(hv_backbone_vtable)}

static const hv_component_desc k_components[] = {
    BACKBONE("efficientnet", "EfficientNet b0-b7 (mmpretrain; TF-SAME or symmetric padding, BN folded)",
             bb_efficientnet_schema, bb_efficientnet_vtable),
    BACKBONE("convnext", "ConvNeXt tiny/small/base/large (mmcls/mmdet names, LayerNorm, layer scale)",
             bb_convnext_schema, bb_convnext_vtable),
    BACKBONE("internimage", "InternImage t/s/b/l/xl with DCNv3", bb_internimage_schema, bb_internimage_vtable),
};

static const hv_plugin_descriptor k_plugin = {
    .struct_size = sizeof(hv_plugin_descriptor),
    .abi_major = HV_ABI_MAJOR,
    .abi_minor = HV_ABI_MINOR,
    .name = "backbones",
    .version = "1.0.0",
    .description = "the paper's backbones (EfficientNet, ConvNeXt, InternImage) as components chosen in YAML",
    .n_components = sizeof k_components / sizeof k_components[0],
    .components = k_components,
    .init = NULL,
    .fini = NULL,
};

HV_PLUGIN_ENTRY { return &k_plugin; }
