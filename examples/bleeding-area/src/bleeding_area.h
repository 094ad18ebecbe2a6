/* The measuring logic of the bleeding-area example plugin, kept free of the stage ABI so it can be
 * tested directly (tests/examples/test_bleeding_area.c compiles bleeding_area.c into the test).
 *
 * Masks are the frame's own (hemovk/frame.h): a bitmap (row-major bytes, non-zero = object) or COCO
 * uncompressed RLE (column-major runs starting with background, summing to width*height). Instances
 * are painted into one "union" bitmap so overlapping detections count once; the area is its pixel
 * count and the regions are its connected components. */
#ifndef BLEEDING_AREA_H
#define BLEEDING_AREA_H

#include <stddef.h>
#include <stdint.h>

#include "hemovk/frame.h"
#include "hemovk/status.h"

/** Which detections a measurement takes into the union. */
typedef struct ba_options {
    float min_score;   /**< detections scoring below this are ignored */
    int32_t label;     /**< only this class label; -1 takes every label */
    int use_boxes;     /**< non-zero: a detection without a mask counts as its box; 0: it is ignored */
    int connectivity;  /**< 4 or 8: which neighbours join pixels into one region */
} ba_options;

/** What one frame measures. */
typedef struct ba_result {
    uint64_t pixels;   /**< pixels covered by at least one counted instance */
    uint32_t regions;  /**< connected components of that union */
    double fraction;   /**< pixels / (width * height) */
} ba_result;

/** OR `mask` into `uni` (w*h bytes, row-major, 0/1). The mask must be w x h. HV_ERR_INVALID_ARGUMENT
 *  when its size differs, when a bitmap/RLE buffer is missing, or when the RLE runs do not sum to w*h
 *  (a damaged mask never writes outside `uni`). HV_MASK_NONE adds nothing. */
hv_status ba_union_add_mask(uint8_t *uni, uint32_t w, uint32_t h, const hv_mask *mask);

/** OR the box [x1, x2) x [y1, y2) (frame pixels, MMDetection convention) into `uni`: a pixel counts when
 *  its centre (x + 0.5, y + 0.5) lies inside. Parts outside the frame and NaN boxes are ignored. */
void ba_union_add_box(uint8_t *uni, uint32_t w, uint32_t h, float x1, float y1, float x2, float y2);

/** Number of non-zero bytes among `n`. */
uint64_t ba_count(const uint8_t *bits, size_t n);

/** Label the connected components of the non-zero pixels of `bits` (w*h, row-major) with 4- or
 *  8-connectivity. `labels` (w*h entries, may be NULL when only the count is wanted) receives 0 for
 *  background and 1..n in raster order of each region's first pixel. HV_ERR_OUT_OF_MEMORY,
 *  HV_ERR_INVALID_ARGUMENT for a connectivity other than 4 or 8. */
hv_status ba_label_regions(const uint8_t *bits, uint32_t w, uint32_t h, int connectivity, uint32_t *labels,
                           uint32_t *n_regions);

/** Measure `frame`: the union of the masks of its detections chosen by `opt`, its area, fraction and
 *  regions. The frame must have width and height >= 1. Errors name the detection that is damaged. */
hv_status ba_measure_frame(const hv_frame *frame, const ba_options *opt, ba_result *out);

/** Threshold an RGB8 image (HWC) into a 0/1 bitmap: a pixel is foreground when its brightest channel is
 *  > threshold. Works for every PNG encoding of a binary mask once decoded to RGB (1-bit grey becomes
 *  0/255, palettes become their colours, anti-aliased grey edges split at the threshold). */
void ba_mask_from_rgb(const uint8_t *rgb, uint32_t w, uint32_t h, int threshold, uint8_t *out);

/** Bitmap (w*h, row-major, non-zero = object) -> COCO uncompressed RLE (column-major runs, first run
 *  background, possibly 0). *counts is malloc'ed (free() it). HV_ERR_OUT_OF_MEMORY. */
hv_status ba_bitmap_to_rle(const uint8_t *bits, uint32_t w, uint32_t h, uint32_t **counts, size_t *n_counts);

#endif
