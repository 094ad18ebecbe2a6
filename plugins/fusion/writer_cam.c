/* writer.cam — heat-map overlay PNGs, one per frame with a heat map, as the authors' CAM_neck_avg_channel.py
 * draws them (MODEL_SPEC §8.2): colour the map with matplotlib's 'jet' (uint8(255·rgb), truncation), resize
 * the small colour image to the frame with PIL's BILINEAR (hv_cam_resize_rgb_pil, byte-exact with Pillow),
 * blend uint8(0.5·frame + 0.5·heat). `upsample: map_bilinear` instead resizes the float map first
 * (bilinear, half-pixel centres, as pytorch-grad-cam does for Eigen-CAM) and colours it at full size.
 * Files are named by the frame's key with its folders (hv_output_frame_file: cam/bleeding/Images/img- (1).png;
 * ".png" appended to a key that does not end in it), so frames with one base name in two folders never
 * share a file; `prefix_id` puts the frame id before the file name. `side_by_side` writes the frame and the blend next to each other (the authors'
 * --combine). Frames without a heat map (the cam stage did not run on them) and dropped frames are skipped. */
#include "fusion_plugin.h"

#include "hemovk/config.h"
#include "hemovk/detect.h"
#include "hemovk/image.h"
#include "hemovk/output.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char fu_camwriter_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "description: CAM overlay PNGs written into the output's path (a folder; default cam/ in the output folder)\n"
    "properties:\n"
    "  upsample:\n"
    "    enum: [rgb_pil, map_bilinear]\n"
    "    default: rgb_pil\n"
    "    description: >-\n"
    "      rgb_pil colours the small map and resizes the colours with PIL bilinear (the authors' order);\n"
    "      map_bilinear resizes the float map to the frame first, then colours it\n"
    "  side_by_side:\n"
    "    type: boolean\n"
    "    default: false\n"
    "    description: write the frame and the blend side by side (twice as wide)\n"
    "  prefix_id:\n"
    "    type: boolean\n"
    "    default: false\n"
    "    description: start each file name with the frame id (000012_name.png)\n";

typedef struct cam_writer {
    char *dir;
    int map_bilinear, side_by_side, prefix_id;
} cam_writer;

static void camw_destroy(void *instance) {
    cam_writer *w = instance;
    if (!w) return;
    free(w->dir);
    free(w);
}

static hv_status camw_create(const hv_create_info *info, void **instance) {
    cam_writer *w = calloc(1, sizeof *w);
    if (!w) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.cam: out of memory");
    const char *up = NULL;
    hv_status st = hv_config_need_string(info->params, "upsample", &up);
    if (!st) st = hv_config_need_bool(info->params, "side_by_side", &w->side_by_side);
    if (!st) st = hv_config_need_bool(info->params, "prefix_id", &w->prefix_id);
    if (!st) st = hv_writer_output_path(info, "writer.cam", "cam", &w->dir);
    if (!st) st = hv_mkdirs(w->dir);
    if (st) {
        camw_destroy(w);
        return st;
    }
    w->map_bilinear = !strcmp(up, "map_bilinear");
    *instance = w;
    return HV_OK;
}

/* The frame-size jet colours of the frame's heat map. */
static hv_status heat_rgb(const cam_writer *w, const hv_frame *f, uint8_t *heat) {
    const hv_heatmap *h = &f->heatmap;
    const int fw = f->width, fh = f->height, hw = (int)h->width, hh = (int)h->height;
    hv_status st;
    if (w->map_bilinear) {
        float *big = malloc((size_t)fw * fh * sizeof *big);
        if (!big) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.cam: out of memory");
        st = hv_cam_resize_f32(h->data, hh, hw, big, fh, fw);
        if (!st) hv_cam_jet(big, (size_t)fw * fh, heat);
        free(big);
        return st;
    }
    uint8_t *small = malloc((size_t)hw * hh * 3);
    if (!small) return hv_error(HV_ERR_OUT_OF_MEMORY, "writer.cam: out of memory");
    hv_cam_jet(h->data, (size_t)hw * hh, small);
    st = hv_cam_resize_rgb_pil(small, hh, hw, heat, fh, fw);
    free(small);
    return st;
}

static hv_status write_frame(const cam_writer *w, const hv_frame *f) {
    const size_t npx = (size_t)f->width * f->height;
    uint8_t *heat = malloc(npx * 3);
    hv_image img = {0};
    hv_status st = heat ? HV_OK : hv_error(HV_ERR_OUT_OF_MEMORY, "writer.cam: out of memory");
    if (!st) st = heat_rgb(w, f, heat);
    if (!st) st = hv_image_alloc(w->side_by_side ? 2 * f->width : f->width, f->height, &img);
    if (!st) {
        if (w->side_by_side) {
            uint8_t *blend = malloc(npx * 3);
            if (!blend) {
                st = hv_error(HV_ERR_OUT_OF_MEMORY, "writer.cam: out of memory");
            } else {
                hv_cam_blend(f->rgb, heat, npx, blend);
                const size_t row = (size_t)f->width * 3;
                for (int y = 0; y < f->height; y++) {
                    memcpy(img.rgb + (size_t)y * 2 * row, f->rgb + (size_t)y * row, row);
                    memcpy(img.rgb + (size_t)y * 2 * row + row, blend + (size_t)y * row, row);
                }
                free(blend);
            }
        } else {
            hv_cam_blend(f->rgb, heat, npx, img.rgb);
        }
    }
    if (!st) {
        char *path = NULL;
        st = hv_output_frame_file(w->dir, f, w->prefix_id, &path);
        if (!st) st = hv_image_save_png(path, &img);
        free(path);
    }
    hv_image_free(&img);
    free(heat);
    return st;
}

static hv_status camw_process(void *instance, hv_frame *const *frames, size_t n) {
    cam_writer *w = instance;
    for (size_t i = 0; i < n; i++) {
        const hv_frame *f = frames[i];
        if (f->dropped || !f->rgb || f->width < 1 || f->height < 1) continue;
        if (!f->heatmap.width || !f->heatmap.height || !f->heatmap.data) continue;
        hv_status st = write_frame(w, f);
        if (st) return hv_error_context(st, "writer.cam (frame %llu, %s)", (unsigned long long)f->id,
                                        f->path ? f->path : "in memory");
    }
    return HV_OK;
}

const hv_stage_vtable fu_camwriter_vtable = {
    .struct_size = sizeof(hv_stage_vtable),
    .create = camw_create,
    .process = camw_process,
    .flush = NULL,
    .destroy = camw_destroy,
};
