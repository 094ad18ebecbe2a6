/* The descriptor of the "weights" plugin (hemovk-weights.so). */
#include "weights_plugin.h"

static const hv_component_desc k_components[] = {
    {.struct_size = sizeof(hv_component_desc), .kind = HV_COMPONENT_WEIGHT_LOADER, .name = "safetensors",
     .description = "one safetensors file, memory-mapped and validated (an already-averaged checkpoint loads as is)",
     .param_schema = wl_safetensors_schema, .vtable = &wl_safetensors_vtable,
     .vtable_size = sizeof(hv_weight_loader_vtable)},
    {.struct_size = sizeof(hv_component_desc), .kind = HV_COMPONENT_WEIGHT_LOADER, .name = "swa",
     .description = "equal average of N checkpoints (list or glob) with a BatchNorm policy: average | keep_last | recalibrate",
     .param_schema = wl_swa_schema, .vtable = &wl_swa_vtable, .vtable_size = sizeof(hv_weight_loader_vtable)},
};

static const hv_plugin_descriptor k_plugin = {
    .struct_size = sizeof(hv_plugin_descriptor),
    .abi_major = HV_ABI_MAJOR,
    .abi_minor = HV_ABI_MINOR,
    .name = "weights",
    .version = "1.0.0",
    .description = "weight loaders named in YAML: safetensors and SWA averaging",
    .n_components = sizeof k_components / sizeof k_components[0],
    .components = k_components,
    .init = NULL,
    .fini = NULL,
};

HV_PLUGIN_ENTRY { return &k_plugin; }
