/* The "fusion" plugin (hemovk-fusion.so): the second half of the paper's pipeline after the segmenters —
 * the box ensemble (ensemble), class-activation maps (cam), and the writers of COCO results JSON
 * (writer.coco) and of heat-map overlays (writer.cam). Each component file exports its vtable and
 * parameter schema here; fusion_plugin.c lists them in the descriptor. */
#ifndef HEMOVK_FUSION_PLUGIN_H
#define HEMOVK_FUSION_PLUGIN_H

#include "hemovk/frame.h"
#include "hemovk/image.h"
#include "hemovk/plugin.h"

#include <stddef.h>
#include <stdint.h>

extern const hv_stage_vtable fu_ensemble_vtable;
extern const char fu_ensemble_schema[];
extern const hv_stage_vtable fu_cam_vtable;
extern const char fu_cam_schema[];
extern const hv_stage_vtable fu_coco_vtable;
extern const char fu_coco_schema[];
extern const hv_stage_vtable fu_camwriter_vtable;
extern const char fu_camwriter_schema[];

/* ---- helpers shared by the components (fusion_util.c) --------------------------------------------- */

/* A frame-size mask as a row-major 0/1 bitmap (BITMAP copied, RLE decoded). NULL for HV_MASK_NONE, a
 * mask whose size is not w×h, or runs that do not sum to w·h. The caller frees it. */
uint8_t *fu_mask_bitmap(const hv_mask *m, uint32_t w, uint32_t h);

/* A deep copy of a mask (both formats). HV_MASK_NONE copies as none. */
hv_status fu_mask_copy(const hv_mask *src, hv_mask *dst);

#endif
