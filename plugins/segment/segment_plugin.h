/* The "segment" plugin (hemovk-segment.so): the `segmenter` stage — Mask R-CNN instance segmentation
 * (hemovk/maskrcnn.h) on any BACKBONE component, with MMDetection test_cfg, preprocessing and detection
 * TTA from YAML. */
#ifndef HEMOVK_SEGMENT_PLUGIN_H
#define HEMOVK_SEGMENT_PLUGIN_H

#include "hemovk/config.h"
#include "hemovk/maskrcnn.h"
#include "hemovk/plugin.h"

extern const char seg_param_schema[];
extern const hv_stage_vtable seg_stage_vtable;

/** Everything read from params except the components (seg_config.c). */
typedef struct seg_config {
    const char *id;                 /* instance id */
    const char *model;              /* tag written to each detection */
    hv_maskrcnn_params mp;
    hv_maskrcnn_tta tta;
    bool random;
    uint64_t seed;
    bool rle;                       /* masks as COCO RLE (else bitmaps) */
    const char *cam_layer;          /* "fpn.0".."fpn.4" or NULL */
} seg_config;

/** Read params (already schema-validated, defaults filled) into c. */
hv_status seg_config_read(const hv_create_info *info, seg_config *c);

#endif
