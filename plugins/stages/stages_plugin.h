/* The built-in "stages" plugin (hemovk-stages.so): result writers (writer.jsonl, writer.csv,
 * writer.overlay) and the classification TTA wrapper (tta). Each component file exports its vtable and
 * parameter schema here; stages_plugin.c lists them in the descriptor. */
#ifndef HEMOVK_STAGES_PLUGIN_H
#define HEMOVK_STAGES_PLUGIN_H

#include "hemovk/image.h"
#include "hemovk/plugin.h"

#include <stdio.h>

extern const hv_stage_vtable st_jsonl_vtable;
extern const char st_jsonl_schema[];
extern const hv_stage_vtable st_csv_vtable;
extern const char st_csv_schema[];
extern const hv_stage_vtable st_overlay_vtable;
extern const char st_overlay_schema[];
extern const hv_stage_vtable st_tta_vtable;
extern const char st_tta_schema[];

/* ---- helpers shared by the writers (writer_util.c) ------------------------------------------------ */

/* Flush stdio buffers and, when `sync`, fsync: what a batch has written survives a kill or power cut. */
hv_status st_flush(FILE *f, const char *path, int sync);

/* `v` rounded to 6 significant digits (what results files need; keeps lines short and stable). */
double st_round6(double v);

/* Column-major (COCO) RLE of a width*height row-major 0/1 bitmap: alternating runs starting with
 * background. *counts is malloc'ed. */
hv_status st_bitmap_to_rle(const uint8_t *bitmap, uint32_t width, uint32_t height, uint32_t **counts, size_t *n);

/* Row-major 0/1 bitmap of a mask (BITMAP copied, RLE decoded); NULL for HV_MASK_NONE or bad sizes.
 * The caller frees it. */
uint8_t *st_mask_bitmap(const hv_mask *mask);

#endif
