/* core/models/models_internal.h — shared pieces of the model builders: the EfficientNet layer table and
 * a small build context that reads shape-checked weights and records errors on the graph. */
#ifndef HEMOVK_CORE_MODELS_INTERNAL_H
#define HEMOVK_CORE_MODELS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "hemovk/models.h"

/* ---- EfficientNet table (efficientnet_arch.c) -------------------------------------------------- */

#define HV_EFFNET_MAX_BLOCKS 160
#define HV_EFFNET_MAX_LAYERS 8

typedef struct hv_effnet_block {
    int layer, index;            /* backbone.layers.<layer>.<index> */
    int k, stride, cin, cout, mid, squeeze;
    bool has_expand, residual;   /* expand 1×1 conv when mid ≠ cin; skip when stride 1 and cin == cout */
} hv_effnet_block;

typedef struct hv_effnet_arch {
    int stem_out, head_in, head_out;
    int num_layers;              /* 7: stem, five block layers, final conv */
    int num_blocks;
    int layer_blocks[HV_EFFNET_MAX_LAYERS];
    int layer_channels[HV_EFFNET_MAX_LAYERS];
    hv_effnet_block blocks[HV_EFFNET_MAX_BLOCKS];
} hv_effnet_arch;

/** mmpretrain make_divisible(v, divisor) with min_ratio 0.9. */
int hv_make_divisible(double v, int divisor);

/** Width/depth multipliers of "b0".."b7". */
hv_status hv_effnet_arch_scale(const char *arch, double *width, double *depth);

/** mmpretrain's model_scaling for the given multipliers. */
hv_status hv_effnet_arch_build(double width, double depth, hv_effnet_arch *a);

/** Resolve params (defaults, arch) into multipliers, eps and out_indices; validates them. */
hv_status hv_effnet_resolve(const hv_efficientnet_params *p, double *width, double *depth, float *eps,
                            uint32_t *num_out, int32_t *out_idx, const char **prefix);

/* ---- BN recalibration (bn_calibrate.c) ----------------------------------------------------------- */

/** State of a train-mode BatchNorm build: the BN layers met, their batch-statistics nodes and sums. */
typedef struct hv_effnet_calib hv_effnet_calib;

/** The EfficientNet builder; with `cal` non-NULL every BN is unfolded and in train mode (batch
 *  statistics, CPU-only ops) and the needs-recalibration check is skipped. */
hv_status hv_effnet_build_ex(hv_graph *g, hv_tensor *x, const hv_weights *w, const hv_efficientnet_params *p,
                             hv_backbone_outputs *out, hv_effnet_calib *cal);

struct hv_mb;
/** conv (no bias) → train-mode BN of module `mod` (γ, β from `mod`.bn) → act → (+ residual). */
hv_tensor *hv_effnet_calib_conv_bn(struct hv_mb *m, hv_effnet_calib *cal, hv_tensor *x, const char *mod, hv_tensor *w,
                                   const hv_conv2d_params *cp, int64_t cout, hv_activation act, hv_tensor *residual,
                                   float eps);

/* ---- build context (model_build.c) ------------------------------------------------------------- */

typedef struct hv_mb {
    hv_graph *g;
    hv_effnet_calib *calib;      /* EfficientNet BN recalibration build (else NULL) */
    const hv_weights *w;
    const char *prefix;          /* "backbone." */
    hv_dtype dtype;              /* storage of weights (= the input's dtype) */
} hv_mb;

/** 1 if `prefix`+name exists. */
int hv_mb_has(const hv_mb *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Read `prefix`+name with exactly the given shape into a new malloc'd f32 array; on failure records the
 *  weights' message on the graph and returns NULL (the caller just stops). */
float *hv_mb_read(hv_mb *m, uint32_t rank, const int64_t *dims, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** A graph weight in m->dtype from f32 data (copied) named `prefix`+name (for messages). */
hv_tensor *hv_mb_const(hv_mb *m, const char *name, uint32_t rank, const int64_t *dims, const float *data);

/** hv_mb_read + hv_mb_const of `prefix`+name, stored with shape `rank/dims`. */
hv_tensor *hv_mb_param(hv_mb *m, uint32_t rank, const int64_t *dims, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/** Leading dim of tensor `prefix`+name, or -1 when absent (no error recorded). */
int64_t hv_mb_dim0(const hv_mb *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/** Record an error on the graph (first one wins) and return the graph's status. */
hv_status hv_mb_fail(hv_graph *g, hv_status status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/** Fill a backbone output slot; error when more than HV_BACKBONE_MAX_OUTS. */
void hv_mb_add_out(hv_mb *m, hv_backbone_outputs *o, hv_tensor *t, int32_t index, int32_t channels, int32_t stride);

/** Check out_indices against [0, n_layers) and copy them, applying `def` when num_out is 0. */
hv_status hv_mb_out_indices(const char *model, uint32_t num_out, const int32_t *in, int32_t n_layers,
                            const int32_t *def, uint32_t n_def, uint32_t *n, int32_t *idx);

/** 1 if `i` is among idx[0..n). */
int hv_mb_is_out(const int32_t *idx, uint32_t n, int32_t i);

#endif
