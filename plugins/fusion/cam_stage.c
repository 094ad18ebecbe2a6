/* cam — a class-activation heat map per frame from a feature map an earlier stage exposed (MODEL_SPEC §8).
 *
 * Stages cannot see each other's graphs, so the model stage exposes the map: a segmenter asked for it
 * (`cam: {layer: fpn.4}` in its params) stores that layer of the frame as a C×H×W float feature map
 * named "<segmenter id>.<layer>" with hv_frame_set_feature() (hemovk/frame.h). This stage reads the map
 * named by `feature` and sets frame->heatmap to the CAM at the map's own resolution (values in [0, 1]):
 *   fpn_channel_mean — the authors' CAM_neck_avg_channel.py (§8.2): mean over channels, min-max
 *                      normalised (the paper used P6, "fpn.4": 4×4 for a 224×224 frame);
 *   eigen            — Eigen-CAM (§8.1): first principal component of the centred activations, sign
 *                      fixed (|min| > |max| flips), ReLU, min-max normalised.
 * writer.cam colours, resizes and blends it as the authors did; writer.overlay can blend it too. A frame
 * without the named map fails with a message saying what the segmenter needs. */
#include "fusion_plugin.h"

#include "hemovk/config.h"
#include "hemovk/detect.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char fu_cam_schema[] =
    "type: object\n"
    "additionalProperties: false\n"
    "properties:\n"
    "  method:\n"
    "    enum: [fpn_channel_mean, eigen]\n"
    "    default: fpn_channel_mean\n"
    "    description: >-\n"
    "      fpn_channel_mean is the paper's map (mean over channels, min-max normalised); eigen is Eigen-CAM (first\n"
    "      principal component of the activations)\n"
    "  feature:\n"
    "    type: string\n"
    "    minLength: 1\n"
    "    maxLength: 63\n"
    "    description: >-\n"
    "      name of the feature map on the frame, \"<segmenter id>.<layer>\" (the segmenter stores it when its params\n"
    "      say cam: {layer: LAYER}); default: the frame's only feature map\n";

typedef struct cam_stage {
    const char *id;
    int eigen;
    const char *feature; /* in params, valid until destroy; NULL: the only map */
} cam_stage;

static hv_status cam_create(const hv_create_info *info, void **instance) {
    cam_stage *s = calloc(1, sizeof *s);
    if (!s) return hv_error(HV_ERR_OUT_OF_MEMORY, "cam: out of memory");
    const char *method = NULL;
    hv_status st = hv_config_need_string(info->params, "method", &method);
    /* no schema default: absent (NULL, never a name: minLength 1) means the frame's only feature map */
    if (!st) st = hv_config_get_string(info->params, "feature", NULL, &s->feature);
    if (st) {
        free(s);
        return st;
    }
    s->id = info->instance_id;
    s->eigen = !strcmp(method, "eigen");
    *instance = s;
    return HV_OK;
}

static const hv_feature_map *find_map(const cam_stage *s, const hv_frame *f) {
    if (s->feature) return hv_frame_get_feature(f, s->feature);
    if (f->struct_size < offsetof(hv_frame, n_features) + sizeof f->n_features) return NULL;
    return f->n_features == 1 ? &f->features[0] : NULL;
}

static hv_status cam_process(void *instance, hv_frame *const *frames, size_t n) {
    cam_stage *s = instance;
    for (size_t i = 0; i < n; i++) {
        hv_frame *f = frames[i];
        if (f->dropped) continue;
        const hv_feature_map *m = find_map(s, f);
        if (!m) {
            size_t have = f->struct_size >= offsetof(hv_frame, n_features) + sizeof f->n_features ? f->n_features : 0;
            if (s->feature)
                hv_frame_fail(f, s->id, "cam: the frame has no feature map named '%s' (%zu other%s): the segmenter stores "
                              "'<its id>.<layer>' when its params say `cam: {layer: fpn.4}`", s->feature, have,
                              have == 1 ? "" : "s");
            else if (have)
                hv_frame_fail(f, s->id, "cam: the frame has %zu feature maps: name one in params.feature", have);
            else
                hv_frame_fail(f, s->id, "cam: the frame has no feature map: give the segmenter `cam: {layer: fpn.4}` "
                              "in its params (and run this stage with the same `when`)");
            continue;
        }
        size_t hw = (size_t)m->height * m->width;
        float *cam = malloc((hw ? hw : 1) * sizeof *cam);
        if (!cam) return hv_error(HV_ERR_OUT_OF_MEMORY, "cam '%s': out of memory", s->id);
        hv_status st = s->eigen ? hv_cam_eigen(m->data, (int)m->channels, (int)m->height, (int)m->width, cam)
                                : hv_cam_channel_mean(m->data, (int)m->channels, (int)m->height, (int)m->width, cam);
        if (st) {
            free(cam);
            hv_frame_fail(f, s->id, "cam: feature map '%s' (%ux%ux%u): %s", m->name, m->channels, m->height, m->width,
                          hv_last_error());
            continue;
        }
        hv_frame_set_heatmap(f, m->width, m->height, cam);
    }
    return HV_OK;
}

static void cam_destroy(void *instance) { free(instance); }

const hv_stage_vtable fu_cam_vtable = {
    .struct_size = sizeof(hv_stage_vtable),
    .create = cam_create,
    .process = cam_process,
    .flush = NULL,
    .destroy = cam_destroy,
};
