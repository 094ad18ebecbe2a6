/* Binary masks for ground truth: decoding any of the PNG encodings WCEBleedGen ships (through
 * hv_image_load, so the size limits and decode errors are the frames') and labelling 8-connected
 * components with an explicit queue (no recursion: a 16k×16k blob must not overflow the stack). */
#include "gt_internal.h"

#include "hemovk/image.h"

#include <stdlib.h>
#include <string.h>

hv_status ev_load_mask(const char *path, uint8_t **fg, int32_t *w, int32_t *h) {
    *fg = NULL;
    hv_image img = {0};
    hv_status st = hv_image_load(path, &img);
    if (st) return st;
    size_t n = (size_t)img.width * (size_t)img.height;
    uint8_t *m = malloc(n ? n : 1);
    if (!m) {
        hv_image_free(&img);
        return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: out of memory", path);
    }
    /* stb expands 1-bit gray to 0/255 and palettes to their colours; gray stays r = g = b. Colour masks
     * go through stb's own luminance weights (77, 150, 29)/256 so the rule is the same as a req_comp = 1
     * decode would give. */
    for (size_t i = 0; i < n; i++) {
        const uint8_t *px = img.rgb + 3 * i;
        unsigned gray = (77u * px[0] + 150u * px[1] + 29u * px[2]) >> 8;
        m[i] = gray > 127;
    }
    *w = img.width;
    *h = img.height;
    hv_image_free(&img);
    *fg = m;
    return HV_OK;
}

hv_status ev_components(const uint8_t *fg, int32_t w, int32_t h, int32_t *labels, ev_component **comps, size_t *n) {
    *comps = NULL;
    *n = 0;
    size_t total = (size_t)w * (size_t)h, cap = 0;
    memset(labels, 0, total * sizeof *labels);
    size_t *queue = malloc((total ? total : 1) * sizeof *queue);
    if (!queue) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory labelling a mask");
    for (size_t start = 0; start < total; start++) {
        if (!fg[start] || labels[start]) continue;
        if (ev_grow((void **)comps, &cap, *n + 1, sizeof **comps)) {
            free(queue);
            free(*comps);
            *comps = NULL;
            *n = 0;
            return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory labelling a mask");
        }
        const int32_t lab = (int32_t)*n + 1;
        ev_component c = {(int32_t)(start % (size_t)w), (int32_t)(start / (size_t)w), 0, 0, 0};
        c.x2 = c.x1 + 1;
        c.y2 = c.y1 + 1;
        size_t head = 0, tail = 0;
        queue[tail++] = start;
        labels[start] = lab;
        while (head < tail) {
            size_t p = queue[head++];
            int32_t x = (int32_t)(p % (size_t)w), y = (int32_t)(p / (size_t)w);
            c.area++;
            if (x < c.x1) c.x1 = x;
            if (x + 1 > c.x2) c.x2 = x + 1;
            if (y < c.y1) c.y1 = y;
            if (y + 1 > c.y2) c.y2 = y + 1;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int32_t nx = x + dx, ny = y + dy;
                    if ((!dx && !dy) || nx < 0 || ny < 0 || nx >= w || ny >= h) continue;
                    size_t q = (size_t)ny * (size_t)w + (size_t)nx;
                    if (fg[q] && !labels[q]) {
                        labels[q] = lab;
                        queue[tail++] = q;
                    }
                }
        }
        (*comps)[(*n)++] = c;
    }
    free(queue);
    return HV_OK;
}
