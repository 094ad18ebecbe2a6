/* core/models/model_ops.h — thin helpers over the op builders that the model files share: a conv2d
 * from parameters, layer norm, permutes between NCHW and NHWC. They add nodes through
 * hv_graph_add_op with the op library's definitions; nothing here computes anything itself. */
#ifndef HEMOVK_CORE_MODELS_MODEL_OPS_H
#define HEMOVK_CORE_MODELS_MODEL_OPS_H

#include "graph/graph_internal.h"
#include "models/models_internal.h"
#include "ops/ops_conv_defs.h"

/** conv2d(x, w, [b], [r]) with params `p` (has_bias / has_residual are set from b / r). */
static inline hv_tensor *hv_mo_conv(hv_graph *g, hv_tensor *x, hv_tensor *w, hv_tensor *b, hv_tensor *r,
                                    hv_conv2d_params p, const char *name) {
    hv_tensor *src[4] = {x, w};
    uint32_t n = 2;
    p.has_bias = b != NULL;
    p.has_residual = r != NULL;
    if (b) src[n++] = b;
    if (r) src[n++] = r;
    return hv_graph_add_op(g, &hv_op_conv2d, &p, src, n, name);
}

/** Layer norm over `axis` with weight and bias (either may be NULL). */
static inline hv_tensor *hv_mo_layer_norm(hv_graph *g, hv_tensor *x, hv_tensor *w, hv_tensor *b, int32_t axis,
                                          float eps, const char *name) {
    hv_layer_norm_params p = {.axis = axis, .eps = eps, .has_weight = w != NULL, .has_bias = b != NULL};
    hv_tensor *src[3] = {x};
    uint32_t n = 1;
    if (w) src[n++] = w;
    if (b) src[n++] = b;
    return hv_graph_add_op(g, &hv_op_layer_norm, &p, src, n, name);
}

/** NCHW → NHWC. */
static inline hv_tensor *hv_mo_to_nhwc(hv_graph *g, hv_tensor *x, const char *name) {
    hv_permute_params p = {.perm = {0, 2, 3, 1}};
    return hv_graph_add_op(g, &hv_op_permute, &p, &x, 1, name);
}

/** NHWC → NCHW. */
static inline hv_tensor *hv_mo_to_nchw(hv_graph *g, hv_tensor *x, const char *name) {
    hv_permute_params p = {.perm = {0, 3, 1, 2}};
    return hv_graph_add_op(g, &hv_op_permute, &p, &x, 1, name);
}

/** Grouped softmax over the last axis in groups of `group`. */
static inline hv_tensor *hv_mo_softmax(hv_graph *g, hv_tensor *x, int32_t group, const char *name) {
    hv_softmax_params p = {.axis = -1, .group_size = group};
    return hv_graph_add_op(g, &hv_op_softmax, &p, &x, 1, name);
}

#endif
