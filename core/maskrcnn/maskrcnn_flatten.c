/* core/maskrcnn/maskrcnn_flatten.c — a flatten op for the box head: {R, C, 7, 7} → {R, C·49}, so the
 * Shared2FC Linears run as GEMMs (hv_linear). The data do not change, only the shape: the CPU reference
 * copies, the Vulkan side records the element-wise copy of the unary op (act NONE), which reads and
 * writes numel elements whatever the shape. (A 7×7 "valid" conv computes the same Linear but is 10–30×
 * slower on lavapipe for a handful of rows, and a 1×1 conv on {R, 1024, 1, 1} is 15× slower than the GEMM.) */
#include <string.h>

#include "graph/graph_internal.h"
#include "maskrcnn/maskrcnn_internal.h"
#include "ops/ops_basic_defs.h"

static hv_status flatten_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    (void)params;
    if (n_src != 1 || src[0].rank < 1)
        return hv_error(HV_ERR_SHAPE, "flatten: needs one input of rank ≥ 1");
    int64_t rows = src[0].dims[0];
    int64_t n = hv_desc_numel(&src[0]);
    *dst = hv_desc_make(src[0].dtype, HV_LAYOUT_ANY, 2, (int64_t[]){rows, rows > 0 ? n / rows : 0});
    return HV_OK;
}

static hv_status flatten_ref(const void *params, const hv_tensor_desc *src, const float *const *d, uint32_t n_src,
                             const hv_tensor_desc *dst, float *y) {
    (void)params, (void)n_src, (void)dst;
    memcpy(y, d[0], (size_t)hv_desc_numel(&src[0]) * sizeof(float));
    return HV_OK;
}

static hv_status flatten_record(hv_cmd *cmd, hv_device *dev, const void *params, const hv_tensor_desc *src,
                                const hv_binding *b, uint32_t n_src, const hv_tensor_desc *dst, const hv_binding *db,
                                const hv_binding *scratch) {
    (void)params;
    hv_unary_params copy = {.act = HV_ACT_NONE};
    return hv_op_unary.record(cmd, dev, &copy, src, b, n_src, dst, db, scratch);
}

static const hv_op_def mr_op_flatten = {
    .name = "flatten",
    .param_size = 0,
    .min_src = 1,
    .max_src = 1,
    .infer = flatten_infer,
    .ref = flatten_ref,
    .record = flatten_record,
};

hv_tensor *mr_flatten(hv_graph *g, hv_tensor *x, const char *name) {
    return hv_graph_add_op(g, &mr_op_flatten, NULL, &x, 1, name);
}
