/* The descriptor of the "segment" plugin (hemovk-segment.so). */
#include "segment_plugin.h"

static const hv_component_desc k_components[] = {
    {
        .struct_size = sizeof(hv_component_desc),
        .kind = HV_COMPONENT_STAGE,
        .name = "segmenter",
        .description = "Mask R-CNN instance segmentation (MMDetection 2.x semantics) on any backbone, with detection TTA",
        .param_schema = seg_param_schema,
        .vtable = &seg_stage_vtable,
        .vtable_size = sizeof(hv_stage_vtable),
    },
};

static const hv_plugin_descriptor k_plugin = {
    .struct_size = sizeof(hv_plugin_descriptor),
    .abi_major = HV_ABI_MAJOR,
    .abi_minor = HV_ABI_MINOR,
    .name = "segment",
    .version = "1.0.0",
    .description = "the segmenter stage: Mask R-CNN + FPN on a BACKBONE component",
    .n_components = sizeof k_components / sizeof k_components[0],
    .components = k_components,
    .init = NULL,
    .fini = NULL,
};

HV_PLUGIN_ENTRY { return &k_plugin; }
