/* Union of instance masks, its area and its connected regions (see bleeding_area.h). */
#include "bleeding_area.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

hv_status ba_union_add_mask(uint8_t *uni, uint32_t w, uint32_t h, const hv_mask *mask) {
    if (mask->format == HV_MASK_NONE) return HV_OK;
    if (mask->width != w || mask->height != h)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "mask is %ux%u but the frame is %ux%u", mask->width, mask->height, w, h);
    size_t total = (size_t)w * h;
    if (mask->format == HV_MASK_BITMAP) {
        if (!mask->bitmap) return hv_error(HV_ERR_INVALID_ARGUMENT, "bitmap mask without pixels");
        for (size_t i = 0; i < total; i++) uni[i] |= mask->bitmap[i] != 0;
        return HV_OK;
    }
    if (mask->format != HV_MASK_RLE)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "unknown mask format %u (expected 1 bitmap or 2 RLE)", mask->format);
    if (!mask->rle && mask->n_rle) return hv_error(HV_ERR_INVALID_ARGUMENT, "RLE mask without runs");
    /* Check the runs first so a damaged mask adds nothing at all. */
    uint64_t sum = 0;
    for (size_t r = 0; r < mask->n_rle; r++) sum += mask->rle[r];
    if (sum != total)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "RLE runs sum to %llu pixels but the mask is %ux%u = %zu",
                        (unsigned long long)sum, w, h, total);
    /* Runs walk the mask column by column (COCO's Fortran order): index k is pixel (k / h, k % h). */
    size_t k = 0;
    for (size_t r = 0; r < mask->n_rle; r++) {
        size_t end = k + mask->rle[r];
        if (r & 1) {
            for (size_t i = k; i < end; i++) uni[(i % h) * w + i / h] = 1;
        }
        k = end;
    }
    return HV_OK;
}

/* First pixel whose centre is >= v, clamped to [0, limit]. */
static uint32_t first_pixel_at(float v, uint32_t limit) {
    double p = ceil((double)v - 0.5);
    if (p < 0) return 0;
    if (p > limit) return limit;
    return (uint32_t)p;
}

void ba_union_add_box(uint8_t *uni, uint32_t w, uint32_t h, float x1, float y1, float x2, float y2) {
    if (isnan(x1) || isnan(y1) || isnan(x2) || isnan(y2)) return;
    uint32_t xa = first_pixel_at(x1, w), xb = first_pixel_at(x2, w);
    uint32_t ya = first_pixel_at(y1, h), yb = first_pixel_at(y2, h);
    for (uint32_t y = ya; y < yb; y++)
        if (xb > xa) memset(uni + (size_t)y * w + xa, 1, xb - xa);
}

uint64_t ba_count(const uint8_t *bits, size_t n) {
    uint64_t c = 0;
    for (size_t i = 0; i < n; i++) c += bits[i] != 0;
    return c;
}

hv_status ba_label_regions(const uint8_t *bits, uint32_t w, uint32_t h, int connectivity, uint32_t *labels,
                           uint32_t *n_regions) {
    if (connectivity != 4 && connectivity != 8)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "connectivity must be 4 or 8, got %d", connectivity);
    size_t total = (size_t)w * h;
    *n_regions = 0;
    if (total == 0) return HV_OK;
    if (total > UINT32_MAX) /* pixel indices are kept in 32 bits */
        return hv_error(HV_ERR_INVALID_ARGUMENT, "mask of %ux%u pixels is too large to label", w, h);
    uint32_t *own = NULL;
    if (!labels && !(labels = own = malloc(total * sizeof *labels)))
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory labelling a %ux%u mask", w, h);
    /* Each pixel is pushed at most once (labelled when pushed), so a w*h stack never overflows. */
    uint32_t *stack = malloc(total * sizeof *stack);
    if (!stack) {
        free(own);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory labelling a %ux%u mask", w, h);
    }
    memset(labels, 0, total * sizeof *labels);
    uint32_t n = 0;
    for (size_t start = 0; start < total; start++) {
        if (!bits[start] || labels[start]) continue;
        n++;
        size_t top = 0;
        labels[start] = n;
        stack[top++] = (uint32_t)start;
        while (top) {
            uint32_t p = stack[--top];
            int32_t px = (int32_t)(p % w), py = (int32_t)(p / w);
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    if ((!dx && !dy) || (connectivity == 4 && dx && dy)) continue;
                    int32_t x = px + dx, y = py + dy;
                    if (x < 0 || y < 0 || x >= (int32_t)w || y >= (int32_t)h) continue;
                    size_t q = (size_t)y * w + (size_t)x;
                    if (bits[q] && !labels[q]) {
                        labels[q] = n;
                        stack[top++] = (uint32_t)q;
                    }
                }
        }
    }
    free(stack);
    free(own);
    *n_regions = n;
    return HV_OK;
}

hv_status ba_measure_frame(const hv_frame *frame, const ba_options *opt, ba_result *out) {
    memset(out, 0, sizeof *out);
    if (frame->width < 1 || frame->height < 1)
        return hv_error(HV_ERR_INVALID_ARGUMENT, "frame has no size (%dx%d): was it decoded?", frame->width, frame->height);
    uint32_t w = (uint32_t)frame->width, h = (uint32_t)frame->height;
    size_t total = (size_t)w * h;
    uint8_t *uni = calloc(total, 1);
    if (!uni) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory measuring a %ux%u frame", w, h);
    hv_status st = HV_OK;
    for (size_t i = 0; i < frame->n_detections && !st; i++) {
        const hv_detection *d = &frame->detections[i];
        if (d->score < opt->min_score || (opt->label >= 0 && d->label != opt->label)) continue;
        if (d->mask.format != HV_MASK_NONE) {
            st = ba_union_add_mask(uni, w, h, &d->mask);
            if (st) st = hv_error_context(st, "detection %zu", i);
        } else if (opt->use_boxes) {
            ba_union_add_box(uni, w, h, d->x1, d->y1, d->x2, d->y2);
        }
    }
    if (!st) {
        out->pixels = ba_count(uni, total);
        out->fraction = (double)out->pixels / (double)total;
        st = out->pixels ? ba_label_regions(uni, w, h, opt->connectivity, NULL, &out->regions) : HV_OK;
    }
    free(uni);
    return st;
}

void ba_mask_from_rgb(const uint8_t *rgb, uint32_t w, uint32_t h, int threshold, uint8_t *out) {
    size_t total = (size_t)w * h;
    for (size_t i = 0; i < total; i++) {
        const uint8_t *p = rgb + 3 * i;
        uint8_t m = p[0] > p[1] ? p[0] : p[1];
        if (p[2] > m) m = p[2];
        out[i] = m > threshold;
    }
}

hv_status ba_bitmap_to_rle(const uint8_t *bits, uint32_t w, uint32_t h, uint32_t **counts, size_t *n_counts) {
    size_t total = (size_t)w * h;
    /* At most one run per pixel plus the leading background run. */
    uint32_t *c = malloc((total + 1) * sizeof *c);
    if (!c) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory encoding a %ux%u mask", w, h);
    size_t n = 0;
    uint8_t current = 0;
    uint32_t run = 0;
    for (uint32_t x = 0; x < w; x++)
        for (uint32_t y = 0; y < h; y++) {
            uint8_t v = bits[(size_t)y * w + x] != 0;
            if (v != current) {
                c[n++] = run;
                run = 0;
                current = v;
            }
            run++;
        }
    c[n++] = run;
    *counts = c;
    *n_counts = n;
    return HV_OK;
}
