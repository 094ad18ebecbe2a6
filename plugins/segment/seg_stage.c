/* The segmenter stage: finds the BACKBONE and WEIGHT_LOADER components named in params (their nested
 * params validated against their own schemas), builds a Mask R-CNN (hemovk/maskrcnn.h) on them, and adds
 * each frame's detections — box in frame pixels, score, label, a frame-sized mask (COCO RLE or bitmap),
 * the `model` tag — sorted by score. With `cam: {layer}` the frame also gets that FPN map as feature
 * "<id>.<layer>". A batch of frames goes through the networks together (hv_maskrcnn_detect_batch); proposals,
 * NMS and pasting stay per frame. */
#include "segment_plugin.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct seg_stage {
    seg_config cfg;
    hv_weights *weights;
    hv_config_node *bb_params;
    const hv_backbone_vtable *bb;
    hv_component_info bb_info;
    char bb_id[160], bb_name[64];
    hv_maskrcnn *model;
} seg_stage;

static hv_status build_backbone(hv_graph *g, hv_tensor *x, const hv_weights *w, const void *ctx, hv_backbone_outputs *out) {
    const seg_stage *s = ctx;
    hv_status st = s->bb->build(&s->bb_info, g, x, w, out);
    if (st) return hv_error_context(st, "%s (%s)", s->bb_id, s->bb_name);
    if (out->count < 4)
        return hv_error(HV_ERR_SHAPE, "%s (%s): returned %u feature maps, the FPN needs 4 of strides 4, 8, 16, 32 "
                                      "(efficientnet: out_indices: [2, 3, 4, 5])",
                        s->bb_id, s->bb_name, out->count);
    return HV_OK;
}

static hv_status load_weights(seg_stage *s, const hv_create_info *info) {
    if (s->cfg.random) {
        char source[64];
        snprintf(source, sizeof source, "random(seed=%llu)", (unsigned long long)s->cfg.seed);
        hv_status st = hv_weights_create(source, &s->weights);
        if (!st) st = hv_weights_set_synthesizer(s->weights, hv_weights_random_init, &s->cfg.seed);
        /* a synthetic set has no shapes to measure: MMDetection's head sizes */
        if (s->cfg.mp.num_classes == 0) s->cfg.mp.num_classes = 1;
        if (s->cfg.mp.fpn_channels == 0) s->cfg.mp.fpn_channels = 256;
        if (s->cfg.mp.fc_channels == 0) s->cfg.mp.fc_channels = 1024;
        if (!st)
            hv_log_warn("%s: RANDOM weights (seed %llu) - a plumbing demo, the detections mean nothing", s->cfg.id,
                        (unsigned long long)s->cfg.seed);
        return st;
    }
    hv_component_ref ref;
    hv_config_node *params = NULL;
    hv_status st = hv_component_resolve(info, HV_COMPONENT_WEIGHT_LOADER, hv_config_get(info->params, "weights"), "loader",
                           HV_WEIGHT_LOADER_VTABLE_MIN_SIZE, &ref, &params);
    if (!st) {
        const hv_weight_loader_vtable *vt = ref.desc->vtable;
        char id[160];
        snprintf(id, sizeof id, "%s.weights", s->cfg.id);
        hv_component_info ci = {.struct_size = sizeof ci, .host = info->host, .plugin_state = ref.plugin_state,
                                .instance_id = id, .params = params};
        st = vt->load(&ci, &s->weights);
        if (!st && !s->weights) st = hv_error(HV_ERR_INTERNAL, "%s: the weight loader returned no weights", id);
    }
    hv_config_free(params);
    return st;
}

static hv_status check_weights(const seg_stage *s, const hv_config_node *params) {
    const hv_config_node *ig = hv_config_get(hv_config_get(params, "weights"), "ignore");
    const char *pats[64];
    size_t n = 0;
    for (size_t i = 0; ig && i < hv_config_size(ig) && n < sizeof pats / sizeof pats[0]; i++)
        if (hv_config_as_string(hv_config_item(ig, i), &pats[n]) == HV_OK) n++;
    return hv_maskrcnn_check_weights(s->model, pats, n);
}

/* A detection whose box or score is not a finite number is a broken network, never a result. */
static int finite_dets(const hv_maskrcnn_result *r) {
    for (size_t i = 0; i < r->n; i++) {
        const hv_det *d = &r->dets[i];
        if (!isfinite(d->box.x1) || !isfinite(d->box.y1) || !isfinite(d->box.x2) || !isfinite(d->box.y2) ||
            !isfinite(d->score))
            return 0;
    }
    return 1;
}

static void seg_destroy(void *instance) {
    seg_stage *s = instance;
    if (!s) return;
    hv_maskrcnn_free(s->model);
    hv_weights_free(s->weights);
    hv_config_free(s->bb_params);
    free(s);
}

static hv_status seg_create(const hv_create_info *info, void **instance) {
    seg_stage *s = calloc(1, sizeof *s);
    if (!s) return hv_error(HV_ERR_OUT_OF_MEMORY, "out of memory creating a segmenter");
    hv_status st = seg_config_read(info, &s->cfg);
    hv_component_ref ref;
    if (!st)
        st = hv_component_resolve(info, HV_COMPONENT_BACKBONE, hv_config_get(info->params, "backbone"), "component",
                     HV_BACKBONE_VTABLE_MIN_SIZE, &ref, &s->bb_params);
    if (!st) {
        s->bb = ref.desc->vtable;
        snprintf(s->bb_id, sizeof s->bb_id, "%s.backbone", s->cfg.id);
        snprintf(s->bb_name, sizeof s->bb_name, "%s", ref.desc->name);
        s->bb_info = (hv_component_info){.struct_size = sizeof s->bb_info, .host = info->host,
                                         .plugin_state = ref.plugin_state, .instance_id = s->bb_id, .params = s->bb_params};
        st = load_weights(s, info);
    }
    if (!st) {
        s->cfg.mp.backbone = HV_MRCNN_CUSTOM;
        s->cfg.mp.custom_build = build_backbone;
        s->cfg.mp.custom_ctx = s;
        hv_device *dev = info->host->device ? info->host->device(info->host) : NULL;
        if (!dev) hv_log_info("%s: no device open: running on the CPU reference backend (slow)", s->cfg.id);
        st = hv_maskrcnn_create(&s->cfg.mp, s->weights, dev, &s->model);
        /* every network built once now: a tensor that is missing, of the wrong shape or dtype, outside the
         * f16 range, or left unread (weights of another variant) fails the load, not the first frame */
        if (!st && !s->cfg.random) st = check_weights(s, info->params);
        if (st) hv_error_context(st, "%s", s->cfg.id);
    }
    if (st) {
        seg_destroy(s);
        return st;
    }
    hv_log_info("%s: Mask R-CNN on %s, weights %s, %s, %d classes, TTA %d", s->cfg.id, s->bb_name,
                hv_weights_source(s->weights), s->cfg.mp.dtype == HV_F16 ? "f16" : "f32",
                hv_maskrcnn_num_classes(s->model), s->cfg.tta.n);
    *instance = s;
    return HV_OK;
}

static hv_status add_detection(const seg_stage *s, hv_frame *f, const hv_maskrcnn_result *r, size_t i) {
    hv_detection d;
    memset(&d, 0, sizeof d);
    const hv_det *e = &r->dets[i];
    d.x1 = e->box.x1, d.y1 = e->box.y1, d.x2 = e->box.x2, d.y2 = e->box.y2;
    d.score = e->score;
    d.label = e->label;
    snprintf(d.model, sizeof d.model, "%s", s->cfg.model);
    const uint8_t *mask = r->masks + i * (size_t)r->width * r->height;
    d.mask.width = (uint32_t)r->width, d.mask.height = (uint32_t)r->height;
    if (s->cfg.rle) {
        hv_rle rle;
        hv_status st = hv_rle_encode(mask, (uint32_t)r->height, (uint32_t)r->width, &rle);
        if (st) return st;
        d.mask.format = HV_MASK_RLE, d.mask.rle = rle.counts, d.mask.n_rle = rle.n;
    } else {
        d.mask.format = HV_MASK_BITMAP;
        d.mask.bitmap = malloc((size_t)r->width * r->height);
        if (!d.mask.bitmap) return hv_error(HV_ERR_OUT_OF_MEMORY, "%s: mask bitmap", s->cfg.id);
        memcpy(d.mask.bitmap, mask, (size_t)r->width * r->height);
    }
    hv_status st = hv_frame_add_detection(f, &d, NULL);
    free(d.mask.rle), free(d.mask.bitmap); /* NULL after a successful move */
    return st;
}

/* One frame's result onto the frame: a problem fails the frame, else its detections and CAM map. */
static hv_status attach(seg_stage *s, hv_frame *f, hv_maskrcnn_result *r, const char *problem) {
    if (problem || !finite_dets(r)) {
        hv_frame_fail(f, s->cfg.id, "%s: %s", s->cfg.id,
                      problem ? problem : "a detection's box or score is NaN or Inf: the network's output is "
                                          "meaningless");
        return HV_OK;
    }
    hv_status st = HV_OK;
    for (size_t k = 0; k < r->n && !st; k++) st = add_detection(s, f, r, k);
    if (!st && s->cfg.cam_layer && r->feature) {
        char name[HV_FRAME_NAME_MAX];
        snprintf(name, sizeof name, "%s.%s", s->cfg.id, s->cfg.cam_layer);
        st = hv_frame_set_feature(f, name, (uint32_t)r->feat_c, (uint32_t)r->feat_h, (uint32_t)r->feat_w, r->feature);
        if (!st) r->feature = NULL; /* the frame owns it now */
    }
    if (!st && s->cfg.random) st = hv_frame_set_meta(f, "segmenter.random_weights", "%s", s->cfg.model);
    return st;
}

/* Frames go through the model together (hv_maskrcnn_detect_batch: one run of each network for up to 8
 * frames). A batch whose outputs show a problem is detected again frame by frame, so that only the frame
 * it belongs to fails. */
static hv_status seg_process(void *instance, hv_frame *const *frames, size_t n) {
    seg_stage *s = instance;
    const hv_maskrcnn_tta *tta = s->cfg.tta.n ? &s->cfg.tta : NULL;
    hv_frame **todo = malloc((n ? n : 1) * sizeof *todo);
    const uint8_t **px = malloc((n ? n : 1) * sizeof *px);
    int32_t *w = malloc((n ? n : 1) * sizeof *w), *h = malloc((n ? n : 1) * sizeof *h);
    hv_maskrcnn_result *r = calloc(n ? n : 1, sizeof *r);
    hv_status st = todo && px && w && h && r ? HV_OK : hv_error(HV_ERR_OUT_OF_MEMORY, "%s: batch of %zu", s->cfg.id, n);
    size_t m = 0;
    for (size_t i = 0; i < n && !st; i++) {
        hv_frame *f = frames[i];
        if (!f->rgb || f->width < 1 || f->height < 1) {
            hv_frame_fail(f, s->cfg.id, "segmenter: frame %llu has no decoded pixels", (unsigned long long)f->id);
            continue;
        }
        todo[m] = f, px[m] = f->rgb, w[m] = f->width, h[m] = f->height;
        m++;
    }
    bool alone = false; /* an error or a problem in the batch: frame by frame, to name the frame */
    if (!st && m) {
        st = hv_maskrcnn_detect_batch(s->model, px, w, h, m, tta, r);
        alone = st != HV_OK || hv_maskrcnn_output_problem(s->model);
        if (alone) st = HV_OK;
    }
    for (size_t k = 0; k < m && !st; k++) {
        if (!alone) {
            st = attach(s, todo[k], &r[k], NULL);
            continue;
        }
        hv_maskrcnn_result_free(&r[k]);
        st = hv_maskrcnn_detect(s->model, px[k], w[k], h[k], tta, &r[k]);
        if (st)
            hv_error_context(st, "%s: frame %llu (%s)", s->cfg.id, (unsigned long long)todo[k]->id,
                             todo[k]->path ? todo[k]->path : "in memory");
        else
            st = attach(s, todo[k], &r[k], hv_maskrcnn_output_problem(s->model));
    }
    for (size_t k = 0; r && k < m; k++) hv_maskrcnn_result_free(&r[k]);
    free(todo), free(px), free(w), free(h), free(r);
    return st;
}

const hv_stage_vtable seg_stage_vtable = {
    .struct_size = sizeof(hv_stage_vtable),
    .create = seg_create,
    .process = seg_process,
    .flush = NULL,
    .destroy = seg_destroy,
};
