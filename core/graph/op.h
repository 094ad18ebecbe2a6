/* core/graph/op.h — what an op is: the contract between the graph executor and the op library.
 *
 * Every op (core/ops/<family>.c) defines one `const hv_op_def hv_op_<name>` holding
 *   - shape inference (also the op's shape checking: a mismatch returns HV_ERR_SHAPE with a message
 *     naming the op and the shapes),
 *   - a plain-C CPU reference on f32 data with double accumulation (the oracle for tests and the CPU
 *     backend's kernel; f16 tensors are converted to f32 by the caller before and after),
 *   - a Vulkan recorder that appends its dispatch(es) to a hv_cmd — no waits, no allocation of
 *     tensors (scratch space is requested through `scratch_bytes` and handed in by the executor).
 * The graph builder stores a copy of the op's parameter struct (`param_size` bytes) with the node. */
#ifndef HEMOVK_CORE_GRAPH_OP_H
#define HEMOVK_CORE_GRAPH_OP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hemovk/status.h"
#include "hemovk/tensor.h"
#include "vulkan/runtime.h"

#define HV_OP_MAX_SRC 6

typedef struct hv_op_def {
    const char *name;          /**< "conv2d", "layer_norm", ... (profile tables group by it) */
    size_t param_size;         /**< sizeof the op's parameter struct (0 if none) */
    uint32_t min_src, max_src; /**< accepted number of inputs (activations and weights) */

    /** Compute the output descriptor (dtype included) from the inputs; check every shape. */
    hv_status (*infer)(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst);

    /** CPU reference: `src_data[i]` holds src[i] as f32, `dst_data` receives dst as f32. */
    hv_status (*ref)(const void *params, const hv_tensor_desc *src, const float *const *src_data, uint32_t n_src,
                     const hv_tensor_desc *dst, float *dst_data);

    /** Extra device scratch bytes the Vulkan recorder needs (NULL: none). */
    uint64_t (*scratch_bytes)(const void *params, const hv_tensor_desc *src, uint32_t n_src, const hv_tensor_desc *dst);

    /** Record the Vulkan dispatch(es). `scratch` is a binding of scratch_bytes() (or NULL). Multi-pass
     *  ops call hv_cmd_barrier() between their own passes; the executor places barriers between nodes. */
    hv_status (*record)(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                        const hv_binding *src_bind, uint32_t n_src, const hv_tensor_desc *dst,
                        const hv_binding *dst_bind, const hv_binding *scratch);

    /* ---- optional hooks for the planner's fusion pass (NULL: the op takes part in none) ---------- */

    /** Fold a following activation (an hv_activation value) into a copy of this op's params; return 1
     *  when done, 0 when the op cannot (e.g. it already has an activation or a residual). conv2d and
     *  linear implement it. */
    int (*fuse_activation)(void *params, int act);

    /** Make this op add one more input, a residual of the output's shape, after its activation
     *  (y = act(op(x)) + r), in a copy of its params; return 1 when done. The planner appends the
     *  residual tensor as the op's last source. conv2d and linear implement it. */
    int (*fuse_residual)(void *params);

    /** For a pure unary activation op: the hv_activation it applies; -1 otherwise. */
    int (*pure_activation)(const void *params);

    /** Non-zero when the op is a plain element-wise add of two same-shape inputs (no broadcast, no
     *  activation): the planner may fold it into the producer of one input as a residual. */
    int (*is_plain_add)(const void *params, const hv_tensor_desc *src, uint32_t n_src);
} hv_op_def;

#endif
