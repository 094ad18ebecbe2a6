/* The descriptor of the third-party example plugin "bleeding-area": the only exported symbol. Its init
 * adds the plugin's custom operator to hemovk, its fini removes it. */
#include "plugin.h"
#include "red_ratio.h"

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
        .name = "measure.redness",
        .description = "mean red ratio r/(r+g+b+1) per frame, through this plugin's custom operator bleeding_area.red_ratio",
        .param_schema = ba_redness_schema,
        .vtable = &ba_redness_vtable,
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

static hv_status ba_init(const hv_host_api *host, void **state) {
    (void)host, (void)state;
    return ba_red_ratio_register();
}

static void ba_fini(void *state) {
    (void)state;
    ba_red_ratio_unregister();
}

static const hv_plugin_descriptor k_plugin = {
    .struct_size = sizeof(hv_plugin_descriptor),
    .abi_major = HV_ABI_MAJOR,
    .abi_minor = HV_ABI_MINOR,
    .name = "bleeding-area",
    .version = "1.0.0",
    .description = "example third-party plugin: measures bleeding area in mm^2, loads masks as detections, and adds a "
                   "custom operator (red ratio) with its CPU code and SPIR-V",
    .n_components = sizeof k_components / sizeof k_components[0],
    .components = k_components,
    .init = ba_init,
    .fini = ba_fini,
};

HV_PLUGIN_ENTRY { return &k_plugin; }
