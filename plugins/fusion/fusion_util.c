/* Helpers shared by the fusion components: where writers write, folders, masks. */
#include "fusion_plugin.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

uint8_t *fu_mask_bitmap(const hv_mask *m, uint32_t w, uint32_t h) {
    size_t total = (size_t)w * h;
    if (!total || m->width != w || m->height != h) return NULL;
    if (m->format == HV_MASK_BITMAP && m->bitmap) {
        uint8_t *b = malloc(total);
        if (b)
            for (size_t i = 0; i < total; i++) b[i] = m->bitmap[i] ? 1 : 0;
        return b;
    }
    if (m->format != HV_MASK_RLE || !m->rle) return NULL;
    uint8_t *b = calloc(total, 1);
    if (!b) return NULL;
    size_t pos = 0; /* column-major position */
    for (size_t r = 0; r < m->n_rle; r++) {
        size_t run = m->rle[r];
        if (run > total - pos) {
            free(b);
            return NULL;
        }
        if (r & 1)
            for (size_t k = 0; k < run; k++) {
                size_t p = pos + k;
                b[(p % h) * w + p / h] = 1;
            }
        pos += run;
    }
    if (pos != total) {
        free(b);
        return NULL;
    }
    return b;
}

hv_status fu_mask_copy(const hv_mask *src, hv_mask *dst) {
    memset(dst, 0, sizeof *dst);
    if (src->format == HV_MASK_BITMAP && src->bitmap) {
        size_t total = (size_t)src->width * src->height;
        if (!(dst->bitmap = malloc(total ? total : 1))) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory copying a mask");
        memcpy(dst->bitmap, src->bitmap, total);
    } else if (src->format == HV_MASK_RLE && src->rle) {
        if (!(dst->rle = malloc((src->n_rle ? src->n_rle : 1) * sizeof *dst->rle)))
            return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory copying a mask");
        memcpy(dst->rle, src->rle, src->n_rle * sizeof *dst->rle);
        dst->n_rle = src->n_rle;
    } else {
        return HV_OK;
    }
    dst->format = src->format;
    dst->width = src->width;
    dst->height = src->height;
    return HV_OK;
}
