/* measure.bleeding_area — per frame, the area that the detections' masks cover, counted once where
 * instances overlap: in pixels, in mm^2 (through a calibration), as a fraction of the frame, and as a
 * number of separate regions. Written as frame metadata so every writer records it:
 *
 *   bleeding_area.px        covered pixels                      "2880"
 *   bleeding_area.mm2       px * mm_per_pixel^2                 "28.8000"
 *   bleeding_area.fraction  px / (width * height)               "0.057398"
 *   bleeding_area.regions   connected components of the union   "1"
 *   bleeding_area.flagged   "true"/"false", only when flag_above_mm2 > 0
 *
 * ("bleeding_area" is the `prefix` param.) A pipeline condition `when: S.flagged` reads the key
 * "S.flagged", so name this stage's id like its prefix to route large bleedings to later stages.
 *
 * mm_per_pixel is a calibration, not a constant: a capsule's wide-angle lens images tissue at
 * different distances, so one factor is only right at one working distance. The default 0.1 mm/px is
 * an order-of-magnitude value for a 224 px capsule frame (PillCam SB3-class optics); calibrate it for
 * your device, e.g. with a target of known size at the typical distance. */
#include "bleeding_area.h"
#include "plugin.h"

#include "hemovk/config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char ba_measure_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "properties:\n"
    "  mm_per_pixel:\n"
    "    type: number\n"
    "    exclusiveMinimum: 0\n"
    "    default: 0.1\n"
    "    description: side of one frame pixel on the mucosa in mm (a calibration of your capsule and frame size; 0.1 is a nominal value for a 224 px capsule frame, not a measurement)\n"
    "  min_score:\n"
    "    type: number\n"
    "    minimum: 0\n"
    "    maximum: 1\n"
    "    default: 0\n"
    "    description: ignore detections scoring below this\n"
    "  label:\n"
    "    type: integer\n"
    "    minimum: -1\n"
    "    default: -1\n"
    "    description: count only detections of this class index; -1 counts every class\n"
    "  use_boxes:\n"
    "    type: boolean\n"
    "    default: true\n"
    "    description: count a detection that has no mask as its box (false ignores it)\n"
    "  connectivity:\n"
    "    enum: [4, 8]\n"
    "    default: 8\n"
    "    description: pixels touching by an edge (4) or also by a corner (8) belong to one region\n"
    "  flag_above_mm2:\n"
    "    type: number\n"
    "    minimum: 0\n"
    "    default: 0\n"
    "    description: when > 0, set <prefix>.flagged to true on frames whose area is above this many mm^2 (false otherwise)\n"
    "  prefix:\n"
    "    type: string\n"
    "    pattern: '^[A-Za-z_][A-Za-z0-9_-]*$'\n"
    "    default: bleeding_area\n"
    "    description: metadata keys are <prefix>.px, .mm2, .fraction, .regions, .flagged\n";

typedef struct measure_stage {
    ba_options opt;
    double mm_per_pixel;
    double flag_above_mm2;
    const char *prefix; /* points into the params tree, valid until destroy */
    const char *id;
} measure_stage;

static hv_status measure_create(const hv_create_info *info, void **instance) {
    measure_stage *s = calloc(1, sizeof *s);
    if (!s) return hv_error(HV_ERR_OUT_OF_MEMORY, "measure.bleeding_area: out of memory");
    double min_score = 0;
    int64_t label = 0, connectivity = 0;
    /* Every key has a default in the schema above, which the host filled in before calling us: the
     * need_* getters read it, so each default is written once (a missing key is an error, not a guess). */
    hv_status st = hv_config_need_double(info->params, "mm_per_pixel", &s->mm_per_pixel);
    if (!st) st = hv_config_need_double(info->params, "min_score", &min_score);
    if (!st) st = hv_config_need_int(info->params, "label", &label);
    if (!st) st = hv_config_need_bool(info->params, "use_boxes", &s->opt.use_boxes);
    if (!st) st = hv_config_need_int(info->params, "connectivity", &connectivity);
    if (!st) st = hv_config_need_double(info->params, "flag_above_mm2", &s->flag_above_mm2);
    if (!st) st = hv_config_need_string(info->params, "prefix", &s->prefix);
    /* The host validated the params already; these checks keep a stage created by hand (a test, a
     * host that skips validation) from measuring nonsense. */
    if (!st && !(s->mm_per_pixel > 0))
        st = hv_error(HV_ERR_INVALID_ARGUMENT, "stage '%s': mm_per_pixel must be > 0, got %g", info->instance_id, s->mm_per_pixel);
    if (!st && connectivity != 4 && connectivity != 8)
        st = hv_error(HV_ERR_INVALID_ARGUMENT, "stage '%s': connectivity must be 4 or 8, got %lld", info->instance_id,
                      (long long)connectivity);
    if (!st && (!s->prefix[0] || strlen(s->prefix) > 48))
        st = hv_error(HV_ERR_INVALID_ARGUMENT, "stage '%s': prefix must have 1 to 48 characters", info->instance_id);
    if (st) {
        free(s);
        return st;
    }
    s->opt.min_score = (float)min_score;
    s->opt.label = (int32_t)label;
    s->opt.connectivity = (int)connectivity;
    s->id = info->instance_id;
    *instance = s;
    return HV_OK;
}

static hv_status set_meta(hv_frame *f, const measure_stage *s, const char *field, const char *value) {
    char key[64];
    snprintf(key, sizeof key, "%s.%s", s->prefix, field);
    return hv_frame_set_meta(f, key, "%s", value);
}

static hv_status measure_process(void *instance, hv_frame *const *frames, size_t n) {
    measure_stage *s = instance;
    for (size_t i = 0; i < n; i++) {
        hv_frame *f = frames[i];
        ba_result r;
        if (ba_measure_frame(f, &s->opt, &r)) {
            hv_frame_fail(f, s->id, "measure.bleeding_area: frame %llu: %s", (unsigned long long)f->id, hv_last_error());
            continue;
        }
        double mm2 = (double)r.pixels * s->mm_per_pixel * s->mm_per_pixel;
        char v[64];
        snprintf(v, sizeof v, "%llu", (unsigned long long)r.pixels);
        hv_status st = set_meta(f, s, "px", v);
        snprintf(v, sizeof v, "%.4f", mm2);
        if (!st) st = set_meta(f, s, "mm2", v);
        snprintf(v, sizeof v, "%.6f", r.fraction);
        if (!st) st = set_meta(f, s, "fraction", v);
        snprintf(v, sizeof v, "%u", r.regions);
        if (!st) st = set_meta(f, s, "regions", v);
        if (!st && s->flag_above_mm2 > 0) st = set_meta(f, s, "flagged", mm2 > s->flag_above_mm2 ? "true" : "false");
        if (st) return st;
    }
    return HV_OK;
}

static void measure_destroy(void *instance) { free(instance); }

const hv_stage_vtable ba_measure_vtable = {
    .struct_size = sizeof(hv_stage_vtable),
    .create = measure_create,
    .process = measure_process,
    .flush = NULL,
    .destroy = measure_destroy,
};
