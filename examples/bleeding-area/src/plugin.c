/* The descriptor of the third-party example plugin "bleeding-area": the only exported symbol. */
#include "plugin.h"

static const hv_component_desc k_components[] = {
    {
        .struct_size = sizeof(hv_component_desc),
        .kind = HV_COMPONENT_STAGE,
        .name = "measure.bleeding_area",
        .description = "bleeding area per frame from the detections' masks: pixels, mm^2, fraction of the frame, regions",
        .param_schema = ba_measure_schema,
        .vtable = &ba_measure_vtable,
        .vtable_size = sizeof(hv_stage_vtable),
    },
    {
        .struct_size = sizeof(hv_component_desc),
        .kind = HV_COMPONENT_STAGE,
        .name = "detect.from_masks",
        .description = "add detections from mask images stored beside the frames (ground truth, other tools' output)",
        .param_schema = ba_from_masks_schema,
        .vtable = &ba_from_masks_vtable,
        .vtable_size = sizeof(hv_stage_vtable),
    },
};

static const hv_plugin_descriptor k_plugin = {
    .struct_size = sizeof(hv_plugin_descriptor),
    .abi_major = HV_ABI_MAJOR,
    .abi_minor = HV_ABI_MINOR,
    .name = "bleeding-area",
    .version = "1.0.0",
    .description = "example third-party plugin: measures bleeding area in mm^2 and loads masks as detections",
    .n_components = sizeof k_components / sizeof k_components[0],
    .components = k_components,
    .init = NULL,
    .fini = NULL,
};

HV_PLUGIN_ENTRY { return &k_plugin; }
