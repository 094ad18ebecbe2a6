/* detect.from_masks — turn mask images stored beside the frames into detections, so that measuring,
 * writing and evaluating stages can run on annotated data (the ground truth of a data set, or masks
 * written by another tool) exactly as they run on a model's output.
 *
 * For a frame ".../Images/img- (12).png" the mask is looked up as <folder>/<name>, where <folder> is
 * `folder` (absolute, or relative to the frame's own folder: the default "../Annotations" is the
 * WCEBleedGen layout) and <name> is the frame's file name with `image_prefix` replaced by `mask_prefix`
 * ("img- (12).png" -> "ann- (12).png"). Any PNG/JPEG/BMP encoding works: the mask is decoded to RGB and a
 * pixel is foreground when its brightest channel is above `threshold` (WCEBleedGen ships 1-bit grey,
 * palette and 8-bit grey masks, some with anti-aliased edges).
 *
 * Each connected region of the mask becomes one detection (`instances: regions`, 8-connectivity, box
 * = the region's extent, score 1) or the whole mask one detection (`instances: whole`). A frame with
 * no mask file gets no detection (`missing: empty`, e.g. a normal frame) or fails (`missing: fail`).
 * The metadata key "<stage id>.found" says whether a mask was found ("true"/"false"). */
#include "bleeding_area.h"
#include "plugin.h"

#include "hemovk/config.h"
#include "hemovk/image.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char ba_from_masks_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "properties:\n"
    "  folder:\n"
    "    type: string\n"
    "    minLength: 1\n"
    "    default: ../Annotations\n"
    "    description: folder of the mask images, absolute or relative to each frame's folder\n"
    "  image_prefix:\n"
    "    type: string\n"
    "    default: img-\n"
    "    description: start of a frame's file name that the mask's name replaces (frames not starting with it keep their name)\n"
    "  mask_prefix:\n"
    "    type: string\n"
    "    default: ann-\n"
    "    description: what replaces image_prefix in the mask's file name\n"
    "  threshold:\n"
    "    type: integer\n"
    "    minimum: 0\n"
    "    maximum: 254\n"
    "    default: 127\n"
    "    description: a mask pixel is foreground when its brightest channel is above this\n"
    "  missing:\n"
    "    enum: [empty, fail]\n"
    "    default: empty\n"
    "    description: a frame without a mask file gets no detection (empty) or is failed (fail)\n"
    "  instances:\n"
    "    enum: [regions, whole]\n"
    "    default: regions\n"
    "    description: one detection per connected region of the mask (regions) or one for the whole mask (whole)\n"
    "  encoding:\n"
    "    enum: [rle, bitmap]\n"
    "    default: rle\n"
    "    description: store the detections' masks as COCO RLE (compact) or as bitmaps\n"
    "  label:\n"
    "    type: integer\n"
    "    minimum: 0\n"
    "    default: 0\n"
    "    description: class index given to the detections (0 = bleeding)\n"
    "  model:\n"
    "    type: string\n"
    "    default: ground-truth\n"
    "    description: name written into the detections' model field\n";

typedef struct from_masks_stage {
    const char *folder, *image_prefix, *mask_prefix, *model; /* point into the params tree */
    int threshold;
    int fail_missing;
    int whole;
    int rle;
    int32_t label;
    const char *id;
} from_masks_stage;

static hv_status from_masks_create(const hv_create_info *info, void **instance) {
    from_masks_stage *s = calloc(1, sizeof *s);
    if (!s) return hv_error(HV_ERR_OUT_OF_MEMORY, "detect.from_masks: out of memory");
    const char *missing = NULL, *instances = NULL, *encoding = NULL;
    int64_t threshold = 0, label = 0;
    /* The schema's defaults are filled in by the host: read them, never repeat them here. */
    hv_status st = hv_config_need_string(info->params, "folder", &s->folder);
    if (!st) st = hv_config_need_string(info->params, "image_prefix", &s->image_prefix);
    if (!st) st = hv_config_need_string(info->params, "mask_prefix", &s->mask_prefix);
    if (!st) st = hv_config_need_int(info->params, "threshold", &threshold);
    if (!st) st = hv_config_need_string(info->params, "missing", &missing);
    if (!st) st = hv_config_need_string(info->params, "instances", &instances);
    if (!st) st = hv_config_need_string(info->params, "encoding", &encoding);
    if (!st) st = hv_config_need_int(info->params, "label", &label);
    if (!st) st = hv_config_need_string(info->params, "model", &s->model);
    if (!st && (threshold < 0 || threshold > 254))
        st = hv_error(HV_ERR_INVALID_ARGUMENT, "stage '%s': threshold must be 0..254, got %lld", info->instance_id,
                      (long long)threshold);
    if (!st && !s->folder[0]) st = hv_error(HV_ERR_INVALID_ARGUMENT, "stage '%s': folder is empty", info->instance_id);
    if (st) {
        free(s);
        return st;
    }
    s->threshold = (int)threshold;
    s->fail_missing = !strcmp(missing, "fail");
    s->whole = !strcmp(instances, "whole");
    s->rle = strcmp(encoding, "bitmap") != 0;
    s->label = (int32_t)label;
    s->id = info->instance_id;
    *instance = s;
    return HV_OK;
}

/* The mask path for a frame path (malloc'ed), see the top of this file. */
static char *mask_path_for(const from_masks_stage *s, const char *frame_path) {
    const char *slash = strrchr(frame_path, '/');
    const char *base = slash ? slash + 1 : frame_path;
    size_t dir_len = slash ? (size_t)(slash - frame_path) : 1;
    const char *dir = slash ? frame_path : ".";
    size_t ip = strlen(s->image_prefix);
    const char *prefix = "";
    if (ip && !strncmp(base, s->image_prefix, ip)) {
        base += ip;
        prefix = s->mask_prefix;
    }
    size_t len = dir_len + strlen(s->folder) + strlen(prefix) + strlen(base) + 3;
    char *path = malloc(len);
    if (!path) return NULL;
    if (s->folder[0] == '/')
        snprintf(path, len, "%s/%s%s", s->folder, prefix, base);
    else
        snprintf(path, len, "%.*s/%s/%s%s", (int)dir_len, dir, s->folder, prefix, base);
    return path;
}

/* Append one detection whose mask is `bits` (w*h, 0/1), box = [x1, x2) x [y1, y2). */
static hv_status add_detection(const from_masks_stage *s, hv_frame *f, const uint8_t *bits, uint32_t w, uint32_t h,
                               uint32_t x1, uint32_t y1, uint32_t x2, uint32_t y2) {
    hv_detection d;
    memset(&d, 0, sizeof d);
    d.x1 = (float)x1;
    d.y1 = (float)y1;
    d.x2 = (float)x2;
    d.y2 = (float)y2;
    d.score = 1.0f;
    d.label = s->label;
    snprintf(d.model, sizeof d.model, "%s", s->model);
    d.mask.width = w;
    d.mask.height = h;
    if (s->rle) {
        d.mask.format = HV_MASK_RLE;
        hv_status st = ba_bitmap_to_rle(bits, w, h, &d.mask.rle, &d.mask.n_rle);
        if (st) return st;
    } else {
        d.mask.format = HV_MASK_BITMAP;
        if (!(d.mask.bitmap = malloc((size_t)w * h))) return hv_error(HV_ERR_OUT_OF_MEMORY, "detect.from_masks: out of memory");
        memcpy(d.mask.bitmap, bits, (size_t)w * h);
    }
    hv_status st = hv_frame_add_detection(f, &d, NULL);
    free(d.mask.rle); /* NULL after a successful add (moved into the frame) */
    free(d.mask.bitmap);
    return st;
}

/* One detection per connected region (8-connectivity) or one for the whole mask. */
static hv_status add_detections(const from_masks_stage *s, hv_frame *f, const uint8_t *bits, uint32_t w, uint32_t h) {
    size_t total = (size_t)w * h;
    uint32_t *labels = malloc(total * sizeof *labels);
    uint8_t *one = malloc(total);
    uint32_t n = 0;
    hv_status st = (labels && one) ? ba_label_regions(bits, w, h, 8, labels, &n)
                                   : hv_error(HV_ERR_OUT_OF_MEMORY, "detect.from_masks: out of memory");
    uint32_t groups = s->whole ? (n ? 1 : 0) : n;
    for (uint32_t g = 1; !st && g <= groups; g++) {
        uint32_t x1 = w, y1 = h, x2 = 0, y2 = 0;
        for (size_t i = 0; i < total; i++) {
            one[i] = s->whole ? labels[i] != 0 : labels[i] == g;
            if (!one[i]) continue;
            uint32_t x = (uint32_t)(i % w), y = (uint32_t)(i / w);
            if (x < x1) x1 = x;
            if (y < y1) y1 = y;
            if (x + 1 > x2) x2 = x + 1;
            if (y + 1 > y2) y2 = y + 1;
        }
        st = add_detection(s, f, one, w, h, x1, y1, x2, y2);
    }
    free(labels);
    free(one);
    return st;
}

static hv_status from_masks_frame(const from_masks_stage *s, hv_frame *f) {
    if (!f->path) return hv_frame_fail(f, s->id, "detect.from_masks: frame %llu has no file path", (unsigned long long)f->id);
    if (f->width < 1 || f->height < 1)
        return hv_frame_fail(f, s->id, "detect.from_masks: %s was not decoded", f->path);
    char *path = mask_path_for(s, f->path);
    if (!path) return hv_error(HV_ERR_OUT_OF_MEMORY, "detect.from_masks: out of memory");
    char key[96];
    snprintf(key, sizeof key, "%s.found", s->id ? s->id : "from_masks");
    FILE *probe = fopen(path, "rb");
    if (!probe) {
        int err = errno;
        hv_status st = hv_frame_set_meta(f, key, "false");
        if (!st && (s->fail_missing || err != ENOENT))
            hv_frame_fail(f, s->id, "detect.from_masks: no mask for %s: cannot open %s: %s", f->path, path, strerror(err));
        free(path);
        return st;
    }
    fclose(probe);
    hv_image img;
    if (hv_image_load(path, &img)) {
        hv_frame_fail(f, s->id, "detect.from_masks: mask for %s: %s", f->path, hv_last_error());
        free(path);
        return HV_OK;
    }
    hv_status st = HV_OK;
    if (img.width != f->width || img.height != f->height) {
        hv_frame_fail(f, s->id, "detect.from_masks: mask %s is %dx%d but the frame %s is %dx%d", path, img.width,
                      img.height, f->path, f->width, f->height);
    } else {
        uint32_t w = (uint32_t)img.width, h = (uint32_t)img.height;
        uint8_t *bits = malloc((size_t)w * h);
        if (!bits) {
            st = hv_error(HV_ERR_OUT_OF_MEMORY, "detect.from_masks: out of memory");
        } else {
            ba_mask_from_rgb(img.rgb, w, h, s->threshold, bits);
            st = add_detections(s, f, bits, w, h);
            free(bits);
        }
        if (!st) st = hv_frame_set_meta(f, key, "true");
    }
    hv_image_free(&img);
    free(path);
    return st;
}

static hv_status from_masks_process(void *instance, hv_frame *const *frames, size_t n) {
    from_masks_stage *s = instance;
    for (size_t i = 0; i < n; i++) {
        hv_status st = from_masks_frame(s, frames[i]);
        if (st) return st;
    }
    return HV_OK;
}

static void from_masks_destroy(void *instance) { free(instance); }

const hv_stage_vtable ba_from_masks_vtable = {
    .struct_size = sizeof(hv_stage_vtable),
    .create = from_masks_create,
    .process = from_masks_process,
    .flush = NULL,
    .destroy = from_masks_destroy,
};
