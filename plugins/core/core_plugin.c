/* The descriptor of the built-in "core" plugin (hemovk-core.so). */
#include "core_plugin.h"

static const hv_component_desc k_components[] = {
    {
        .struct_size = sizeof(hv_component_desc),
        .kind = HV_COMPONENT_STAGE,
        .name = "filter.quality",
        .description = "drop frames that are too dark, over-exposed (bubbles) or blurred before any model runs",
        .param_schema = cq_param_schema,
        .vtable = &cq_quality_vtable,
        .vtable_size = sizeof(hv_stage_vtable),
    },
};

static hv_status core_init(const hv_host_api *host, void **state) {
    (void)host;
    *state = NULL;
    return HV_OK;
}

static const hv_plugin_descriptor k_plugin = {
    .struct_size = sizeof(hv_plugin_descriptor),
    .abi_major = HV_ABI_MAJOR,
    .abi_minor = HV_ABI_MINOR,
    .name = "core",
    .version = "1.0.0",
    .description = "built-in stages that need no model (frame-quality filter)",
    .n_components = sizeof k_components / sizeof k_components[0],
    .components = k_components,
    .init = core_init,
    .fini = NULL,
};

HV_PLUGIN_ENTRY { return &k_plugin; }
