/* The descriptor of the "fusion" plugin (hemovk-fusion.so). */
#include "fusion_plugin.h"

#define COMPONENT(k, n, d, schema, vt)                                                                    \
    {.struct_size = sizeof(hv_component_desc), .kind = (k), .name = (n), .description = (d),            \
     .param_schema = (schema), .vtable = &(vt), .vtable_size = sizeof(hv_stage_vtable)}

static const hv_component_desc k_components[] = {
    COMPONENT(HV_COMPONENT_STAGE, "ensemble",
              "fuse several models' detections of a frame: affirmative / consensus / unanimous voting (Casado-Garcia & "
              "Heras, with a paper_compatible mode) or weighted boxes fusion",
              fu_ensemble_schema, fu_ensemble_vtable),
    COMPONENT(HV_COMPONENT_STAGE, "cam",
              "class-activation heat map from a feature map a segmenter exposed: the paper's FPN channel mean or Eigen-CAM",
              fu_cam_schema, fu_cam_vtable),
    COMPONENT(HV_COMPONENT_WRITER, "writer.coco",
              "COCO results JSON (<path>.bbox.json, <path>.segm.json with RLE masks) for pycocotools; image ids from "
              "an optional ground truth; partial results kept after every batch",
              fu_coco_schema, fu_coco_vtable),
    COMPONENT(HV_COMPONENT_WRITER, "writer.cam",
              "heat-map overlay PNGs as the paper draws them: jet colours, PIL bilinear resize, 0.5 blend",
              fu_camwriter_schema, fu_camwriter_vtable),
};

static const hv_plugin_descriptor k_plugin = {
    .struct_size = sizeof(hv_plugin_descriptor),
    .abi_major = HV_ABI_MAJOR,
    .abi_minor = HV_ABI_MINOR,
    .name = "fusion",
    .version = "1.0.0",
    .description = "box ensembles (affirmative/consensus/unanimous, WBF), CAM heat maps, COCO results and CAM writers",
    .n_components = sizeof k_components / sizeof k_components[0],
    .components = k_components,
    .init = NULL,
    .fini = NULL,
};

HV_PLUGIN_ENTRY { return &k_plugin; }
