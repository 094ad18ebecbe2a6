/* measure.redness — per frame, the mean red ratio r / (r + g + b + 1) of its pixels, computed by a small
 * graph around this plugin's custom operator (red_ratio.c): frame → bleeding_area.red_ratio → global
 * average pool. It runs wherever the run runs — the custom op's SPIR-V on a Vulkan device, its C code on
 * hemovk's CPU backend — which is the point of the example: a new operator in a plugin, no hemovk
 * rebuild. Written as frame metadata "<prefix>.mean" ("0.412345"). */
#include "plugin.h"
#include "red_ratio.h"

#include "hemovk/config.h"
#include "hemovk/graph.h"
#include "hemovk/ops_basic.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char ba_redness_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "properties:\n"
    "  prefix:\n"
    "    type: string\n"
    "    pattern: '^[A-Za-z_][A-Za-z0-9_-]*$'\n"
    "    default: redness\n"
    "    description: the metadata key is <prefix>.mean\n";

typedef struct redness_stage {
    const char *id, *prefix;
    struct hv_device *device; /* the run's device (NULL outside a run: the reference backend) */
    int32_t w, h;             /* the frame size the plan was made for */
    hv_graph *graph;
    hv_plan *plan;
    float *planar;            /* the frame as [1, 3, H, W] floats */
} redness_stage;

static void drop_plan(redness_stage *s) {
    hv_plan_free(s->plan);
    hv_graph_free(s->graph);
    free(s->planar);
    s->plan = NULL, s->graph = NULL, s->planar = NULL, s->w = s->h = 0;
}

/* A plan for w x h frames (frames of one size share it; a new size makes a new one). */
static hv_status plan_for(redness_stage *s, int32_t w, int32_t h) {
    if (s->plan && s->w == w && s->h == h) return HV_OK;
    drop_plan(s);
    hv_status st = hv_graph_create(&s->graph);
    if (st) return st;
    hv_tensor_desc d = hv_desc_make(HV_F32, HV_LAYOUT_NCHW, 4, (int64_t[]){1, 3, h, w});
    hv_tensor *x = hv_graph_input(s->graph, "rgb", &d);
    ba_red_ratio_params p = {(uint32_t)w * (uint32_t)h, (uint32_t)w * (uint32_t)h};
    hv_tensor *ratio = hv_custom(s->graph, BA_RED_RATIO_OP, &x, 1, &p, "red_ratio");
    hv_tensor *mean = hv_global_avg_pool(s->graph, ratio, "mean");
    if (mean) st = hv_graph_output(s->graph, mean, "mean");
    if (!st) st = hv_graph_status(s->graph);
    if (!st) st = hv_plan_create(s->graph, s->device, NULL, &s->plan);
    if (!st && !(s->planar = malloc((size_t)w * (size_t)h * 3 * sizeof(float))))
        st = hv_error(HV_ERR_OUT_OF_MEMORY, "measure.redness: out of memory");
    if (st) {
        drop_plan(s);
        return st;
    }
    s->w = w, s->h = h;
    return HV_OK;
}

static hv_status redness_create(const hv_create_info *info, void **instance) {
    redness_stage *s = calloc(1, sizeof *s);
    if (!s) return hv_error(HV_ERR_OUT_OF_MEMORY, "measure.redness: out of memory");
    hv_status st = hv_config_need_string(info->params, "prefix", &s->prefix);
    if (st) {
        free(s);
        return st;
    }
    s->id = info->instance_id;
    s->device = info->host && info->host->device ? info->host->device(info->host) : NULL;
    *instance = s;
    return HV_OK;
}

static hv_status redness_process(void *instance, hv_frame *const *frames, size_t n) {
    redness_stage *s = instance;
    for (size_t i = 0; i < n; i++) {
        hv_frame *f = frames[i];
        if (!f->rgb || f->width < 1 || f->height < 1) {
            hv_frame_fail(f, s->id, "measure.redness: frame %llu has no pixels", (unsigned long long)f->id);
            continue;
        }
        hv_status st = plan_for(s, f->width, f->height);
        if (st) return hv_error_context(st, "stage '%s' (measure.redness)", s->id);
        size_t hw = (size_t)f->width * (size_t)f->height;
        for (size_t p = 0; p < hw; p++)
            for (size_t c = 0; c < 3; c++) s->planar[c * hw + p] = f->rgb[p * 3 + c];
        float mean = 0;
        st = hv_plan_set_input(s->plan, "rgb", s->planar, HV_F32, hw * 3);
        if (!st) st = hv_plan_run(s->plan);
        if (!st) st = hv_plan_get_output(s->plan, "mean", &mean, 1);
        if (st) return hv_error_context(st, "stage '%s' (measure.redness)", s->id);
        char key[64];
        snprintf(key, sizeof key, "%s.mean", s->prefix);
        if ((st = hv_frame_set_meta(f, key, "%.6f", mean))) return st;
    }
    return HV_OK;
}

static void redness_destroy(void *instance) {
    redness_stage *s = instance;
    if (!s) return;
    drop_plan(s);
    free(s);
}

const hv_stage_vtable ba_redness_vtable = {
    .struct_size = sizeof(hv_stage_vtable),
    .create = redness_create,
    .process = redness_process,
    .flush = NULL,
    .destroy = redness_destroy,
};
