/* The bleeding-area example plugin (hemovk-bleeding-area.so): each stage file exports its vtable and
 * parameter schema here; plugin.c lists them in the descriptor. */
#ifndef BLEEDING_AREA_PLUGIN_H
#define BLEEDING_AREA_PLUGIN_H

#include "hemovk/plugin.h"

/* measure.bleeding_area (stage_measure.c) */
extern const hv_stage_vtable ba_measure_vtable;
extern const char ba_measure_schema[];

/* measure.redness (stage_redness.c), built on the custom op in red_ratio.c */
extern const hv_stage_vtable ba_redness_vtable;
extern const char ba_redness_schema[];

/* detect.from_masks (stage_from_masks.c) */
extern const hv_stage_vtable ba_from_masks_vtable;
extern const char ba_from_masks_schema[];

#endif
