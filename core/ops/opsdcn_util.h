/* core/ops/opsdcn_util.h — helpers shared by the detector ops (dcnv3, roi_align, preprocess): shape
 * strings for messages, 1-D dispatch grids and "pipeline for <stem>_<dtype> + one dispatch". */
#ifndef HEMOVK_CORE_OPS_OPSDCN_UTIL_H
#define HEMOVK_CORE_OPS_OPSDCN_UTIL_H

#include <stdint.h>

#include "graph/op.h"

/** The family's op definitions (core/ops/dcnv3.c, roi_align.c, preprocess.c); see hemovk/ops_dcn.h. */
extern const hv_op_def hv_op_dcnv3;
extern const hv_op_def hv_op_roi_align;
extern const hv_op_def hv_op_preprocess;
extern const hv_op_def hv_op_rpn_level_topk; /* core/ops/rpn_proposals.c */
extern const hv_op_def hv_op_rpn_nms;

/** DCNv3 output rows [row0, row1) of the n·Ho rows (row = n·Ho + ho), float sums: the host backend's
 *  kernel (core/cpu/dcnv3_host.c) runs row ranges on several threads. Shapes must already be checked. */
hv_status opsdcn_dcnv3_rows(const void *params, const hv_tensor_desc *src, const float *const *src_data, float *dst_data,
                            int64_t row0, int64_t row1);

/** The number of rows opsdcn_dcnv3_rows splits (n·Ho); *row_len receives the values per row (Wo·C). */
int64_t opsdcn_dcnv3_row_count(const void *params, const hv_tensor_desc *src, int64_t *row_len);

/** RoIAlign outputs of RoIs [r0, r1) in float (each sample's bilinear set-up shared by every channel):
 *  the host backend's kernel, split across its threads. Same sources and positions as the reference. */
hv_status opsdcn_roi_align_rows(const void *params, const hv_tensor_desc *src, const float *const *src_data,
                                float *dst_data, int64_t r0, int64_t r1);

/** The number of RoIs opsdcn_roi_align_rows splits; *row_len receives an estimate of a RoI's work. */
int64_t opsdcn_roi_align_row_count(const void *params, const hv_tensor_desc *src, int64_t *row_len);

/** Invocations per workgroup of the family's 1-D shaders (local_size_x in their .comp files). */
#define OPSDCN_LOCAL 64u

/** Shape string of a descriptor in a static per-thread ring (4 slots), so one message can show several. */
const char *opsdcn_shape(const hv_tensor_desc *d);

/** Workgroup grid (x ≤ 65535, y) covering `invocations` threads of OPSDCN_LOCAL each; the shaders
 *  recover the linear index as (group.y·groups.x + group.x)·LOCAL + local.x. */
hv_status opsdcn_grid1d(const char *op, uint64_t invocations, uint32_t *gx, uint32_t *gy);

/** Get the pipeline `<stem>_f32` or `<stem>_f16` (by `dt`) and record one dispatch with `push`. */
hv_status opsdcn_dispatch(hv_cmd *cmd, hv_device *dev, const char *stem, hv_dtype dt, const hv_binding *binds,
                          uint32_t n_binds, const void *push, uint32_t push_size, uint32_t gx, uint32_t gy,
                          const char *label);

#endif
