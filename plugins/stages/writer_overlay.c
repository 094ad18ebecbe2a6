/* writer.overlay — one PNG per frame in a folder, for a reviewer: the frame with its label and score
 * written in the corner, each detection's box with its score, mask outlines, and (optionally) the
 * class-activation heat map blended over it. Files are named by the frame's key, its path relative
 * to the input root, with its folders (hv_output_frame_file): a run over WCEBleedGen writes
 * overlays/bleeding/Images/img- (1).png and overlays/non-bleeding/images/img- (1).png, never one file
 * for both; a key not ending in .png gets .png appended ("a.jpg" → "a.jpg.png"). `prefix_id` puts the
 * frame id before the file name. PNGs are written under a temporary name, every write checked, and
 * renamed, so a killed run or a full disk never leaves half a PNG under its name. */
#include "stages_plugin.h"

#include "hemovk/config.h"
#include "hemovk/draw.h"
#include "hemovk/image.h"
#include "hemovk/output.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char st_overlay_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "description: overlay PNGs written into the output's path (a folder; default overlays/ in the output folder)\n"
    "properties:\n"
    "  heatmap:\n"
    "    type: boolean\n"
    "    default: true\n"
    "    description: blend the frame's heat map (when a stage made one) over the image\n"
    "  alpha:\n"
    "    type: number\n"
    "    minimum: 0\n"
    "    maximum: 1\n"
    "    default: 0.5\n"
    "    description: weight of the frame in the heat-map blend (out = alpha*frame + (1-alpha)*heat)\n"
    "  include_dropped:\n"
    "    type: boolean\n"
    "    default: false\n"
    "    description: also write frames a stage dropped (marked with the reason)\n"
    "  prefix_id:\n"
    "    type: boolean\n"
    "    default: false\n"
    "    description: start each file name with the frame id (000012_name.png)\n"
    "  text_scale:\n"
    "    type: integer\n"
    "    minimum: 1\n"
    "    maximum: 8\n"
    "    default: 2\n"
    "    description: size of the label text (font pixels per glyph pixel)\n";

typedef struct overlay_writer {
    char *dir;
    int heatmap, include_dropped, prefix_id, scale;
    double alpha;
} overlay_writer;

static void overlay_destroy(void *instance) {
    overlay_writer *w = instance;
    if (!w) return;
    free(w->dir);
    free(w);
}

static hv_status overlay_create(const hv_create_info *info, void **instance) {
    overlay_writer *w = calloc(1, sizeof *w);
    if (!w) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.overlay: out of memory");
    int64_t scale = 0;
    hv_status st = hv_config_need_bool(info->params, "heatmap", &w->heatmap);
    if (!st) st = hv_config_need_double(info->params, "alpha", &w->alpha);
    if (!st) st = hv_config_need_bool(info->params, "include_dropped", &w->include_dropped);
    if (!st) st = hv_config_need_bool(info->params, "prefix_id", &w->prefix_id);
    if (!st) st = hv_config_need_int(info->params, "text_scale", &scale);
    if (!st) st = hv_writer_output_path(info, "writer.overlay", "overlays", &w->dir);
    if (!st) st = hv_mkdirs(w->dir);
    if (st) {
        overlay_destroy(w);
        return st;
    }
    w->scale = (int)scale;
    *instance = w;
    return HV_OK;
}

/* Jet-like colour map of v in [0, 1] (blue → cyan → yellow → red), as OpenCV's COLORMAP_JET. */
static void jet(float v, uint8_t *rgb) {
    if (!(v >= 0)) v = 0;
    if (v > 1) v = 1;
    float r = 1.5f - fabsf(4 * v - 3), g = 1.5f - fabsf(4 * v - 2), b = 1.5f - fabsf(4 * v - 1);
    rgb[0] = (uint8_t)(255 * fminf(fmaxf(r, 0), 1));
    rgb[1] = (uint8_t)(255 * fminf(fmaxf(g, 0), 1));
    rgb[2] = (uint8_t)(255 * fminf(fmaxf(b, 0), 1));
}

static void blend_heatmap(const overlay_writer *w, hv_image *img, const hv_heatmap *h) {
    hv_image heat;
    if (hv_image_alloc(img->width, img->height, &heat)) return;
    for (int y = 0; y < img->height; y++)
        for (int x = 0; x < img->width; x++) {
            /* nearest sample of the map at this pixel's centre */
            uint32_t hx = (uint32_t)(((double)x + 0.5) * h->width / img->width);
            uint32_t hy = (uint32_t)(((double)y + 0.5) * h->height / img->height);
            if (hx >= h->width) hx = h->width - 1;
            if (hy >= h->height) hy = h->height - 1;
            jet(h->data[(size_t)hy * h->width + hx], heat.rgb + ((size_t)y * img->width + x) * 3);
        }
    hv_draw_blend(img, &heat, (float)w->alpha);
    hv_image_free(&heat);
}

static hv_status draw_frame(const overlay_writer *w, const hv_frame *f) {
    hv_image img;
    if (hv_image_alloc(f->width, f->height, &img)) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.overlay: out of memory");
    memcpy(img.rgb, f->rgb, (size_t)f->width * f->height * 3);
    if (w->heatmap && f->heatmap.width && f->heatmap.data) blend_heatmap(w, &img, &f->heatmap);
    for (size_t i = 0; i < f->n_detections; i++) {
        const hv_detection *d = &f->detections[i];
        uint8_t *mask = (d->mask.width == (uint32_t)f->width && d->mask.height == (uint32_t)f->height)
                            ? st_mask_bitmap(&d->mask) : NULL;
        if (mask) hv_draw_mask_outline(&img, mask, 0x00FF00);
        free(mask);
        hv_draw_rect(&img, d->x1, d->y1, d->x2, d->y2, 0xFFFF00, 2);
        char s[32];
        snprintf(s, sizeof s, "%.2f", d->score);
        int ty = (int)d->y1 - 7 * w->scale - 2;
        hv_draw_text(&img, (int)d->x1, ty < 0 ? (int)d->y1 + 2 : ty, s, 0xFFFF00, w->scale > 1 ? w->scale - 1 : 1);
    }
    char text[HV_FRAME_REASON_MAX + 32];
    if (f->dropped)
        snprintf(text, sizeof text, "dropped: %s", f->drop_reason);
    else if (f->cls.valid)
        snprintf(text, sizeof text, "%s %.3f", f->cls.label_name, f->cls.score);
    else
        text[0] = '\0';
    if (text[0]) hv_draw_text(&img, 4, 4, text, f->dropped ? 0xFF8080 : 0xFFFFFF, w->scale);
    char *path = NULL;
    hv_status st = hv_output_frame_file(w->dir, f, w->prefix_id, &path);
    if (!st) st = hv_image_save_png(path, &img);
    free(path);
    hv_image_free(&img);
    return st;
}

static hv_status overlay_process(void *instance, hv_frame *const *frames, size_t n) {
    overlay_writer *w = instance;
    for (size_t i = 0; i < n; i++) {
        const hv_frame *f = frames[i];
        if (!f->rgb || f->width < 1 || f->height < 1) continue; /* failed to decode: nothing to draw */
        if (f->dropped && !w->include_dropped) continue;
        hv_status st = draw_frame(w, f);
        if (st) return hv_error_context(st, "writer.overlay");
    }
    return HV_OK;
}

const hv_stage_vtable st_overlay_vtable = {
    .struct_size = sizeof(hv_stage_vtable),
    .create = overlay_create,
    .process = overlay_process,
    .flush = NULL,
    .destroy = overlay_destroy,
};
