/* The descriptor of the "report" plugin (hemovk-report.so). */
#include "report_plugin.h"

static const hv_component_desc k_components[] = {
    {.struct_size = sizeof(hv_component_desc),
     .kind = HV_COMPONENT_WRITER,
     .name = "writer.report",
     .description = "one self-contained HTML review of the exam (no server, no network): header, zoomable bleeding "
                    "timeline with events, event list, gallery of flagged frames with boxes, masks and CAM, "
                    "keyboard navigation, printable summary; <path>/index.html and <path>/frames/ at the end of the run",
     .param_schema = rp_writer_schema,
     .vtable = &rp_writer_vtable,
     .vtable_size = sizeof(hv_stage_vtable)},
};

static const hv_plugin_descriptor k_plugin = {
    .struct_size = sizeof(hv_plugin_descriptor),
    .abi_major = HV_ABI_MAJOR,
    .abi_minor = HV_ABI_MINOR,
    .name = "report",
    .version = "1.0.0",
    .description = "reading an exam: a self-contained HTML report (writer.report)",
    .n_components = sizeof k_components / sizeof k_components[0],
    .components = k_components,
    .init = NULL,
    .fini = NULL,
};

HV_PLUGIN_ENTRY { return &k_plugin; }
