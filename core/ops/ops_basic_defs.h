/* core/ops/ops_basic_defs.h — the basic op definitions (graph/op.h contract), for the builders in
 * core/ops/builders_basic.c and for tests that run an op directly against its CPU reference.
 * Parameter structs are the public ones in hemovk/ops_basic.h:
 *   hv_op_linear   src x, w, [bias], [residual]   params hv_linear_params
 *   hv_op_matmul   src a, b                       params hv_matmul_params
 *   hv_op_binary   src a, b                       params hv_binary_params
 *   hv_op_unary    src x                          params hv_unary_params
 *   hv_op_gap      src x                          no params */
#ifndef HEMOVK_CORE_OPS_OPS_BASIC_DEFS_H
#define HEMOVK_CORE_OPS_OPS_BASIC_DEFS_H

#include "graph/op.h"
#include "hemovk/ops_basic.h"

extern const hv_op_def hv_op_linear;
extern const hv_op_def hv_op_matmul;
extern const hv_op_def hv_op_binary;
extern const hv_op_def hv_op_unary;
extern const hv_op_def hv_op_gap;

/** Geometry of one GEMM dispatch (shaders/gemm.comp). */
/** The host backend's binary: output rows [r0, r1) (row = the leading three broadcast dims, flattened;
 *  a row holds the last dim) in float (core/cpu/rows_host.c splits rows across threads). */
hv_status opsbasic_binary_rows(const void *params, const hv_tensor_desc *src, const float *const *d, float *y,
                               int64_t r0, int64_t r1);

/** The rows opsbasic_binary_rows splits; *row_len receives the values per row. */
int64_t opsbasic_binary_row_count(const void *params, const hv_tensor_desc *src, int64_t *row_len);

/** The host backend's unary: values [r0, r1) in float; the "rows" are single values. */
hv_status opsbasic_unary_rows(const void *params, const hv_tensor_desc *src, const float *const *d, float *y,
                              int64_t r0, int64_t r1);
int64_t opsbasic_unary_row_count(const void *params, const hv_tensor_desc *src, int64_t *row_len);

typedef struct opsbasic_gemm {
    uint32_t m, n, k, batch;
    uint32_t a_batch, b_batch, c_batch; /* element strides between batches */
    int trans_b;                        /* B stored [N, K] */
} opsbasic_gemm;

/** Record gemm.comp: C = act(A·B + bias) + R. `bias`/`res` may be NULL. Label = the op name. */
hv_status opsbasic_record_gemm(hv_cmd *cmd, hv_device *dev, hv_dtype dt, const opsbasic_gemm *g, hv_activation act,
                               const hv_binding *a, const hv_binding *b, const hv_binding *c, const hv_binding *bias,
                               const hv_binding *res, const char *label);

/** Every source must have rank 1..4 and no empty dim: HV_ERR_SHAPE naming `op`, the input and its
 *  shape otherwise. The graph already checks its inputs and weights; this keeps direct callers of an
 *  op definition (tests, plugin authors' references) from dividing by 0 or reading past dims[]. */
hv_status opsbasic_check_sources(const char *op, const hv_tensor_desc *src, uint32_t n_src);

/** CPU reference of the same GEMM on f32 data, double accumulation. */
void opsbasic_ref_gemm(const opsbasic_gemm *g, hv_activation act, const float *a, const float *b, const float *bias,
                       const float *res, float *c);

#endif
