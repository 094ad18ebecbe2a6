/* The descriptor of the built-in "stages" plugin (hemovk-stages.so). */
#include "stages_plugin.h"

#define COMPONENT(k, n, d, schema, vt)                                                                    \
    {.struct_size = sizeof(hv_component_desc), .kind = (k), .name = (n), .description = (d),            \
     .param_schema = (schema), .vtable = &(vt), .vtable_size = sizeof(hv_stage_vtable)}

static const hv_component_desc k_components[] = {
    COMPONENT(HV_COMPONENT_WRITER, "writer.jsonl",
              "one JSON object per frame (classification, detections with RLE masks, drops, errors, metadata); "
              "flushed every batch, read back by --resume",
              st_jsonl_schema, st_jsonl_vtable),
    COMPONENT(HV_COMPONENT_WRITER, "writer.csv",
              "one CSV row per frame: path, label, score, detections, max detection score, dropped, error",
              st_csv_schema, st_csv_vtable),
    COMPONENT(HV_COMPONENT_WRITER, "writer.overlay",
              "a PNG per frame with the label and score, detection boxes with scores, mask outlines and an "
              "optional heat-map blend",
              st_overlay_schema, st_overlay_vtable),
    COMPONENT(HV_COMPONENT_STAGE, "tta",
              "test-time augmentation for classification: runs a wrapped stage on flipped/rotated copies and "
              "merges the class probabilities (mean, max or vote)",
              st_tta_schema, st_tta_vtable),
};

static const hv_plugin_descriptor k_plugin = {
    .struct_size = sizeof(hv_plugin_descriptor),
    .abi_major = HV_ABI_MAJOR,
    .abi_minor = HV_ABI_MINOR,
    .name = "stages",
    .version = "1.0.0",
    .description = "built-in result writers (JSONL, CSV, overlay PNGs) and the classification TTA wrapper",
    .n_components = sizeof k_components / sizeof k_components[0],
    .components = k_components,
    .init = NULL,
    .fini = NULL,
};

HV_PLUGIN_ENTRY { return &k_plugin; }
