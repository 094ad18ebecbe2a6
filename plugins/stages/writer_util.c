/* Helpers shared by the writers: where to write, folders, durable flushes, number rounding, masks. */
#include "stages_plugin.h"

#include "hemovk/output.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

hv_status st_flush(FILE *f, const char *path, int sync) {
    return hv_output_flush(f, path, sync); /* checks the stream's error flag: every fputs since the last flush */
}

double st_round6(double v) {
    if (!isfinite(v)) return v;
    char buf[32];
    snprintf(buf, sizeof buf, "%.6g", v);
    return strtod(buf, NULL);
}

hv_status st_bitmap_to_rle(const uint8_t *bitmap, uint32_t w, uint32_t h, uint32_t **counts, size_t *n) {
    size_t cap = 16, len = 0;
    uint32_t *c = malloc(cap * sizeof *c);
    if (!c) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory encoding a mask");
    uint8_t cur = 0;
    uint32_t run = 0;
    for (uint32_t x = 0; x < w; x++)
        for (uint32_t y = 0; y < h; y++) {
            uint8_t v = bitmap[(size_t)y * w + x] ? 1 : 0;
            if (v != cur) {
                if (len == cap) {
                    uint32_t *g = realloc(c, (cap *= 2) * sizeof *g);
                    if (!g) {
                        free(c);
                        return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory encoding a mask");
                    }
                    c = g;
                }
                c[len++] = run;
                run = 0;
                cur = v;
            }
            run++;
        }
    if (len == cap) {
        uint32_t *g = realloc(c, (cap + 1) * sizeof *g);
        if (!g) {
            free(c);
            return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory encoding a mask");
        }
        c = g;
    }
    c[len++] = run;
    *counts = c;
    *n = len;
    return HV_OK;
}

uint8_t *st_mask_bitmap(const hv_mask *m) {
    size_t total = (size_t)m->width * m->height;
    if (!total) return NULL;
    if (m->format == HV_MASK_BITMAP && m->bitmap) {
        uint8_t *b = malloc(total);
        if (b) memcpy(b, m->bitmap, total);
        return b;
    }
    if (m->format != HV_MASK_RLE || !m->rle) return NULL;
    uint8_t *b = calloc(total, 1);
    if (!b) return NULL;
    size_t pos = 0; /* column-major position */
    for (size_t r = 0; r < m->n_rle && pos < total; r++) {
        size_t run = m->rle[r];
        if (r & 1)
            for (size_t k = 0; k < run && pos + k < total; k++) {
                size_t p = pos + k;
                b[(p % m->height) * m->width + p / m->height] = 1;
            }
        pos += run;
    }
    return b;
}
