/* The descriptor of the "events" plugin (hemovk-events.so). */
#include "events_plugin.h"

static const hv_component_desc k_components[] = {
    {.struct_size = sizeof(hv_component_desc),
     .kind = HV_COMPONENT_WRITER,
     .name = "writer.events",
     .description = "bleeding events of the exam: consecutive frames grouped by hysteresis on the (smoothed) bleeding "
                    "probability, gaps merged, short events dropped; <path>.json and <path>.csv at the end of the run",
     .param_schema = ev_writer_schema,
     .vtable = &ev_writer_vtable,
     .vtable_size = sizeof(hv_stage_vtable)},
};

static const hv_plugin_descriptor k_plugin = {
    .struct_size = sizeof(hv_plugin_descriptor),
    .abi_major = HV_ABI_MAJOR,
    .abi_minor = HV_ABI_MINOR,
    .name = "events",
    .version = "1.0.0",
    .description = "reading an exam: bleeding events across consecutive frames (writer.events)",
    .n_components = sizeof k_components / sizeof k_components[0],
    .components = k_components,
    .init = NULL,
    .fini = NULL,
};

HV_PLUGIN_ENTRY { return &k_plugin; }
