/* The "classify" plugin (hemovk-classify.so): the `classifier` STAGE — any BACKBONE component + a
 * classification head, weights from any WEIGHT_LOADER component (or made-up random weights for
 * plumbing demos), preprocessing and resize policy from YAML, batched runs on the device with one
 * plan per input shape, softmax, and the positive-class/threshold decision written to frame->cls. */
#ifndef HEMOVK_CLASSIFY_PLUGIN_H
#define HEMOVK_CLASSIFY_PLUGIN_H

#include "hemovk/config.h"
#include "hemovk/graph.h"
#include "hemovk/models.h"
#include "hemovk/plugin.h"
#include "hemovk/weights.h"

#include <stddef.h>
#include <stdint.h>

extern const hv_stage_vtable cls_stage_vtable;
extern const char cls_param_schema[];

/** Most class labels. */
#define CLS_MAX_LABELS 64

typedef enum cls_resize { CLS_RESIZE_NATIVE = 0, CLS_RESIZE_STRETCH = 1, CLS_RESIZE_KEEP_RATIO = 2 } cls_resize;

/** The copies of `tta` (same meaning as the tta stage's transforms), made on the device. */
typedef enum cls_tta_tf {
    CLS_TTA_IDENTITY = 0, CLS_TTA_HFLIP, CLS_TTA_VFLIP, CLS_TTA_ROT90, CLS_TTA_ROT180, CLS_TTA_ROT270, CLS_TTA_COUNT
} cls_tta_tf;

/** The stage's params after validation, in C. Strings point into the params tree. */
typedef struct cls_config {
    const char *id;                       /* the stage's instance id */
    hv_input_norm norm;                   /* preprocess: raw | imagenet */
    cls_resize resize;
    int32_t size_h, size_w;               /* target of stretch / keep_ratio */
    uint32_t n_labels;
    const char *labels[CLS_MAX_LABELS];
    int32_t positive;                     /* index into labels */
    float threshold;
    hv_dtype dtype;                       /* precision */
    int32_t batch;                        /* frames per device run */
    int32_t max_plans;                    /* plans kept (LRU) */
    int random;                           /* weights.random given */
    uint64_t seed;
    const struct hv_config_node *calibration; /* the `calibration` mapping, or NULL */
    int32_t calib_limit, calib_batch;
    uint32_t n_tta;                       /* copies per frame in one run (0: no `tta`) */
    cls_tta_tf tta[CLS_TTA_COUNT];
    int tta_max;                          /* merge: 1 max, 0 mean */
} cls_config;

/** Read and cross-check the validated params (labels vs positive, size vs resize). */
hv_status cls_config_read(const hv_create_info *info, cls_config *c);

/** Whether the tta copies include a 90° turn, and so cannot share one run for a non-square w×h input:
 *  returns 0 when they can, else fills msg (what went wrong, naming the `what` turned, and the way out) and
 *  returns 1. */
int cls_tta_turn_blocks(const cls_config *c, int32_t w, int32_t h, const char *what, char *msg, size_t cap);

/** The size the network sees for a w×h frame under the resize policy (native: w×h). */
hv_status cls_target_size(const cls_config *c, int32_t w, int32_t h, int32_t *tw, int32_t *th);

/** A compiled network for one input shape. */
typedef struct cls_plan {
    int32_t n, h, w;
    hv_graph *graph;
    hv_plan *plan;
    uint64_t last_use;
} cls_plan;

/** The model: backbone component, weights, head, plan cache. */
typedef struct cls_model {
    const cls_config *cfg;
    const hv_host_api *host;
    hv_device *device;                    /* NULL: the CPU reference backend */
    const hv_backbone_vtable *bb;
    hv_component_info bb_info;            /* params: bb_params */
    hv_config_node *bb_params;            /* validated copy, owned */
    char bb_id[160];                      /* "<stage>.backbone" */
    char bb_name[64];
    hv_weights *weights;                  /* owned */
    hv_cls_head_params head;
    char head_names[256];
    int32_t num_classes;                  /* known after the first build; -1 before */
    cls_plan *plans;
    size_t n_plans;
    uint64_t clock;
} cls_model;

/** Resolve the backbone and weight-loader components named in params and load the weights. */
hv_status cls_model_init(cls_model *m, const hv_create_info *info, const cls_config *cfg);

/** Release plans, graphs, weights, params. */
void cls_model_free(cls_model *m);

/** The plan for n frames of h×w (built on first use; least recently used evicted past max_plans). */
hv_status cls_model_plan(cls_model *m, int32_t n, int32_t h, int32_t w, cls_plan **out);

/** Run `n` packed h×w frames (hv_preprocess_pack words) and copy the n×K probabilities to `probs` and
 *  the n×K logits (before softmax) to `logits`; with `tta`, T = n_tta copies of each frame go through the
 *  same run and both arrays hold T·n rows, copy t of frame i at row t·n + i. */
hv_status cls_model_run(cls_model *m, int32_t n, int32_t h, int32_t w, const uint32_t *packed, float *probs,
                        float *logits);

/** SWA BatchNorm recalibration at load (MODEL_SPEC §6.3 (c)): when the weights ask for it, read the
 *  `calibration` frames, preprocess and resize them as the stage's own frames, run the backbone's
 *  recalibrate_bn over them, and write the set to `calibration.save` when given. Errors name the
 *  YAML position (`params`: the stage's), the frame file and what to do. A no-op (with a warning if `calibration` was given)
 *  for weights that need no recalibration. */
hv_status cls_calibrate(cls_model *m, const struct hv_config_node *params, const hv_backbone_vtable *bb,
                        uint32_t bb_vtable_size);


#endif
