/* Graph builders for the basic ops (hemovk/ops_basic.h): thin wrappers over hv_graph_add_op. */
#include "graph/graph_internal.h"
#include "ops/ops_basic_defs.h"

hv_tensor *hv_linear(hv_graph *g, hv_tensor *x, hv_tensor *w, hv_tensor *b, hv_activation act, const char *name) {
    hv_linear_params q = {.has_bias = b != NULL, .has_residual = false, .act = act};
    hv_tensor *src[3] = {x, w, b};
    return hv_graph_add_op(g, &hv_op_linear, &q, src, b ? 3 : 2, name);
}

hv_tensor *hv_matmul(hv_graph *g, hv_tensor *a, hv_tensor *b, bool trans_b, const char *name) {
    hv_matmul_params q = {.trans_b = trans_b};
    hv_tensor *src[2] = {a, b};
    return hv_graph_add_op(g, &hv_op_matmul, &q, src, 2, name);
}

hv_tensor *hv_binary(hv_graph *g, hv_tensor *a, hv_tensor *b, hv_binary_kind kind, hv_activation act,
                     const char *name) {
    hv_binary_params q = {.kind = kind, .act = act};
    hv_tensor *src[2] = {a, b};
    return hv_graph_add_op(g, &hv_op_binary, &q, src, 2, name);
}

hv_tensor *hv_add(hv_graph *g, hv_tensor *a, hv_tensor *b, const char *name) {
    return hv_binary(g, a, b, HV_BINARY_ADD, HV_ACT_NONE, name);
}

hv_tensor *hv_sub(hv_graph *g, hv_tensor *a, hv_tensor *b, const char *name) {
    return hv_binary(g, a, b, HV_BINARY_SUB, HV_ACT_NONE, name);
}

hv_tensor *hv_mul(hv_graph *g, hv_tensor *a, hv_tensor *b, const char *name) {
    return hv_binary(g, a, b, HV_BINARY_MUL, HV_ACT_NONE, name);
}

hv_tensor *hv_activate(hv_graph *g, hv_tensor *x, hv_activation act, const char *name) {
    hv_unary_params q = {.act = act};
    return hv_graph_add_op(g, &hv_op_unary, &q, &x, 1, name);
}

hv_tensor *hv_cast(hv_graph *g, hv_tensor *x, hv_dtype dtype, const char *name) {
    hv_unary_params q = {.act = HV_ACT_NONE, .cast = true, .out_dtype = dtype};
    return hv_graph_add_op(g, &hv_op_unary, &q, &x, 1, name);
}

hv_tensor *hv_global_avg_pool(hv_graph *g, hv_tensor *x, const char *name) {
    return hv_graph_add_op(g, &hv_op_gap, NULL, &x, 1, name);
}
