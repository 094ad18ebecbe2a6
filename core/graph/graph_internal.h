/* core/graph/graph_internal.h — the graph's node records, for op builders and the planner. */
#ifndef HEMOVK_CORE_GRAPH_INTERNAL_H
#define HEMOVK_CORE_GRAPH_INTERNAL_H

#include "graph/op.h"
#include "hemovk/graph.h"

typedef enum hv_node_kind { HV_NODE_INPUT = 0, HV_NODE_WEIGHT = 1, HV_NODE_OP = 2 } hv_node_kind;

struct hv_tensor {
    uint32_t id;                    /* index in hv_graph.nodes: creation order is a topological order */
    hv_node_kind kind;
    hv_tensor_desc desc;
    char *name;                     /* owned, "" when unnamed */
    char *output_name;              /* owned, NULL unless marked as an output */
    /* ops */
    const hv_op_def *op;
    void *params;                   /* owned copy, op->param_size bytes */
    hv_tensor *src[HV_OP_MAX_SRC];
    uint32_t n_src;
    /* weights */
    float *data;                    /* owned f32 copy (already rounded to f16 when desc.dtype is f16) */
};

struct hv_graph {
    hv_tensor **nodes;
    uint32_t count, cap;
    hv_status status;               /* first error */
    char *error;                    /* its message */
};

/** Add an op node: runs op->infer on the sources (recording an error naming the op, the node and the
 *  shapes when it fails), copies `params`. Returns NULL when the graph already failed, any source is
 *  NULL, or inference fails. Every public op builder is a thin wrapper over this. */
hv_tensor *hv_graph_add_op(hv_graph *g, const hv_op_def *op, const void *params, hv_tensor *const *src,
                           uint32_t n_src, const char *name);

/** Copy the non-NULL entries of `maybe[0..n)` to `dst` in order and return how many there were: for
 *  builders with optional inputs (bias, residual) that become trailing sources. */
uint32_t hv_graph_pack_sources(hv_tensor **dst, hv_tensor *const *maybe, uint32_t n);

#endif
