/* Graph builders for the conv-family ops (hemovk/ops_conv.h): thin wrappers over hv_graph_add_op. */
#include "graph/graph_internal.h"
#include "ops/ops_conv_defs.h"

hv_tensor *hv_conv2d(hv_graph *g, hv_tensor *x, hv_tensor *w, hv_tensor *b, hv_tensor *residual,
                     const hv_conv2d_params *p, const char *name) {
    if (!p) return hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "conv2d '%s': no params", name ? name : "");
    hv_conv2d_params q = *p;
    q.has_bias = b != NULL;
    q.has_residual = residual != NULL;
    hv_tensor *src[4] = {x, w, b, residual};
    hv_tensor *packed[4];
    uint32_t n = 2 + hv_graph_pack_sources(packed + 2, src + 2, 2);
    packed[0] = x;
    packed[1] = w;
    return hv_graph_add_op(g, &hv_op_conv2d, &q, packed, n, name);
}

hv_tensor *hv_deconv2d(hv_graph *g, hv_tensor *x, hv_tensor *w, hv_tensor *b, hv_activation act, const char *name) {
    hv_deconv_params q = {.has_bias = b != NULL, .act = act};
    hv_tensor *src[3] = {x, w, b};
    return hv_graph_add_op(g, &hv_op_deconv, &q, src, b ? 3 : 2, name);
}

hv_tensor *hv_layer_norm(hv_graph *g, hv_tensor *x, hv_tensor *weight, hv_tensor *bias, int32_t axis, float eps,
                         const char *name) {
    hv_layer_norm_params q = {.axis = axis, .eps = eps, .has_weight = weight != NULL, .has_bias = bias != NULL};
    hv_tensor *opt[2] = {weight, bias};
    hv_tensor *src[3] = {x};
    uint32_t n = 1 + hv_graph_pack_sources(src + 1, opt, 2);
    return hv_graph_add_op(g, &hv_op_layer_norm, &q, src, n, name);
}

hv_tensor *hv_softmax(hv_graph *g, hv_tensor *x, int32_t axis, int32_t group_size, const char *name) {
    hv_softmax_params q = {.axis = axis, .group_size = group_size};
    return hv_graph_add_op(g, &hv_op_softmax, &q, &x, 1, name);
}

hv_tensor *hv_maxpool2d(hv_graph *g, hv_tensor *x, const hv_maxpool_params *p, const char *name) {
    if (!p) return hv_graph_fail(g, HV_ERR_INVALID_ARGUMENT, "maxpool '%s': no params", name ? name : "");
    return hv_graph_add_op(g, &hv_op_maxpool, p, &x, 1, name);
}

hv_tensor *hv_resize(hv_graph *g, hv_tensor *x, int32_t out_h, int32_t out_w, hv_resize_mode mode, const char *name) {
    hv_resize_params q = {.out_h = out_h, .out_w = out_w, .mode = mode};
    return hv_graph_add_op(g, &hv_op_resize, &q, &x, 1, name);
}

hv_tensor *hv_permute(hv_graph *g, hv_tensor *x, const int32_t perm[HV_MAX_DIMS], const char *name) {
    hv_permute_params q;
    for (int i = 0; i < HV_MAX_DIMS; i++) q.perm[i] = perm[i];
    return hv_graph_add_op(g, &hv_op_permute, &q, &x, 1, name);
}

hv_tensor *hv_concat(hv_graph *g, hv_tensor *const *xs, uint32_t n, int32_t axis, const char *name) {
    hv_concat_params q = {.axis = axis};
    return hv_graph_add_op(g, &hv_op_concat, &q, xs, n, name);
}

hv_tensor *hv_slice(hv_graph *g, hv_tensor *x, int32_t axis, int64_t start, int64_t end, int32_t step,
                    const char *name) {
    hv_slice_params q = {.axis = axis, .start = start, .end = end, .step = step};
    return hv_graph_add_op(g, &hv_op_slice, &q, &x, 1, name);
}
