/* hemovk/ops_basic.h — the basic ops: linear (GEMM), batched matmul, element-wise add/sub/mul with
 * broadcasting, unary activations, global average pool. Included by hemovk/graph.h.
 *
 * Conventions shared by every op family (ops_conv.h, ops_dcn.h follow them too):
 *  - All inputs of an op share one storage dtype (f32 or f16); arithmetic is f32 in the shaders and
 *    double in the CPU references.
 *  - f16 OVERFLOW RULE: a value stored to f16 storage SATURATES at ±65504 (the largest finite half);
 *    it never becomes a silent ±Inf. NaN stays NaN. Inputs given as f32 for an f16 tensor
 *    (hv_plan_set_input, hv_graph_weight) follow the same rule.
 *  - Builders return NULL on error (recorded in the graph, see hv_graph_status()) and return NULL
 *    without a new message when any input is NULL, so model code checks once at the end.
 *  - `name` names the node in messages and profiles; it may be NULL. */
#ifndef HEMOVK_OPS_BASIC_H
#define HEMOVK_OPS_BASIC_H

#include "hemovk/export.h"

#include <stdbool.h>
#include <stdint.h>

#include "hemovk/status.h"
#include "hemovk/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hv_graph hv_graph;   /* hemovk/graph.h */
typedef struct hv_tensor hv_tensor; /* hemovk/graph.h */

/** Activations, applied by the unary op or fused into conv2d / linear / binary ops. */
typedef enum hv_activation {
    HV_ACT_NONE = 0,
    HV_ACT_RELU = 1,    /**< max(x, 0) */
    HV_ACT_SILU = 2,    /**< x·sigmoid(x) (Swish) */
    HV_ACT_GELU = 3,    /**< exact form 0.5·x·(1 + erf(x/√2)); shaders use an erf with |err| < 1.2e-7 */
    HV_ACT_SIGMOID = 4  /**< 1/(1 + e^−x) */
} hv_activation;

/** "none", "relu", "silu", "gelu", "sigmoid" ("?" for other values). */
HV_API const char *hv_activation_name(hv_activation act);

/* ---- linear / matmul ---------------------------------------------------------------------------- */

/** Linear: x [..., K] (rank 1..4; all leading dims flatten to M rows), weight W [N, K] (PyTorch
 *  nn.Linear layout), optional bias [N], optional residual r of the output's shape:
 *      y[..., n] = act(Σ_k x[..., k]·W[n, k] + b[n]) + r[..., n]
 *  Output [..., N] (same leading dims and layout as x). Sources: x, w, [bias], [residual].
 *  A 1×1 conv on NHWC data is a linear. Runs as a shared-memory tiled GEMM (any M, N, K). */
typedef struct hv_linear_params {
    bool has_bias;         /**< src[2] is the bias */
    bool has_residual;     /**< the last src is the residual (set by the planner's fusion, or by hand) */
    hv_activation act;     /**< applied before the residual add */
} hv_linear_params;

/** Build y = act(x·Wᵀ + b). `b` may be NULL. */
HV_API hv_tensor *hv_linear(hv_graph *g, hv_tensor *x, hv_tensor *w, hv_tensor *b, hv_activation act, const char *name);

/** Batched matmul: a [..., M, K] × b [..., K, N] → [..., M, N] (b [..., N, K] when trans_b). Rank 2..4;
 *  the batch dims (all but the last two) must be equal, or b's batch dims all 1 (one b shared by
 *  every batch). */
typedef struct hv_matmul_params {
    bool trans_b;
} hv_matmul_params;

/** Build a·b (or a·bᵀ when trans_b). */
HV_API hv_tensor *hv_matmul(hv_graph *g, hv_tensor *a, hv_tensor *b, bool trans_b, const char *name);

/* ---- element-wise -------------------------------------------------------------------------------- */

typedef enum hv_binary_kind { HV_BINARY_ADD = 0, HV_BINARY_SUB = 1, HV_BINARY_MUL = 2 } hv_binary_kind;

/** y = act(a ∘ b) with NumPy broadcasting: dims are aligned from the right, each pair must be equal
 *  or one of them 1 (e.g. [N,C,H,W]·[N,C,1,1] squeeze-excitation, [N,H,W,C]·[C] layer scale). The
 *  output has the broadcast shape and the layout of the higher-rank input (a's on a tie). */
typedef struct hv_binary_params {
    hv_binary_kind kind;
    hv_activation act;
} hv_binary_params;

/** a + b, a − b, a · b (broadcasting as above). */
HV_API hv_tensor *hv_add(hv_graph *g, hv_tensor *a, hv_tensor *b, const char *name);
HV_API hv_tensor *hv_sub(hv_graph *g, hv_tensor *a, hv_tensor *b, const char *name);
HV_API hv_tensor *hv_mul(hv_graph *g, hv_tensor *a, hv_tensor *b, const char *name);

/** General form: act(a ∘ b). */
HV_API hv_tensor *hv_binary(hv_graph *g, hv_tensor *a, hv_tensor *b, hv_binary_kind kind, hv_activation act,
                     const char *name);

/** y = act(x), same shape. The planner folds it into a single-use conv2d/linear producer (not when it
 *  casts). With `cast` the result is stored as `out_dtype`: an f32 ↔ f16 conversion (to f16 rounds to
 *  nearest even and saturates at ±65504; the CPU reference rounds the same way). Zero-initialised
 *  params keep x's dtype. */
typedef struct hv_unary_params {
    hv_activation act;
    bool cast;            /**< store as out_dtype instead of x's dtype */
    hv_dtype out_dtype;   /**< used only when cast */
} hv_unary_params;

/** act(x); HV_ACT_NONE is a copy. */
HV_API hv_tensor *hv_activate(hv_graph *g, hv_tensor *x, hv_activation act, const char *name);

/** x stored as `dtype` (f32 ↔ f16; a plain copy when x already is). For mixed-precision graphs,
 *  e.g. an f16 backbone feeding an f32 head. */
HV_API hv_tensor *hv_cast(hv_graph *g, hv_tensor *x, hv_dtype dtype, const char *name);

/* ---- pooling ------------------------------------------------------------------------------------- */

/** Global average pool over H and W of a rank-4 tensor: NCHW [N,C,H,W] → [N,C,1,1]; NHWC [N,H,W,C]
 *  → [N,1,1,C] (the layout says which; HV_LAYOUT_ANY is an HV_ERR_SHAPE). Mean in f32 (double in
 *  the reference). No parameters (param_size 0). */
HV_API hv_tensor *hv_global_avg_pool(hv_graph *g, hv_tensor *x, const char *name);

#ifdef __cplusplus
}
#endif
#endif
