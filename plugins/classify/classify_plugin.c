/* The descriptor of the "classify" plugin (hemovk-classify.so). */
#include "classify_plugin.h"

static const hv_component_desc k_components[] = {
    {.struct_size = sizeof(hv_component_desc), .kind = HV_COMPONENT_STAGE, .name = "classifier",
     .description = "frame classifier: any backbone component + linear head, weights from a loader (or random for demos), threshold on the positive class",
     .param_schema = cls_param_schema, .vtable = &cls_stage_vtable, .vtable_size = sizeof(hv_stage_vtable)},
};

static const hv_plugin_descriptor k_plugin = {
    .struct_size = sizeof(hv_plugin_descriptor),
    .abi_major = HV_ABI_MAJOR,
    .abi_minor = HV_ABI_MINOR,
    .name = "classify",
    .version = "1.0.0",
    .description = "the classifier stage (the paper's EfficientNet-B7 bleeding classifier, or any backbone from YAML)",
    .n_components = sizeof k_components / sizeof k_components[0],
    .components = k_components,
    .init = NULL,
    .fini = NULL,
};

HV_PLUGIN_ENTRY { return &k_plugin; }
