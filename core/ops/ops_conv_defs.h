/* core/ops/ops_conv_defs.h — the conv-family op definitions (graph/op.h contract), for the graph
 * builders in core/ops and for tests that run an op directly against its CPU reference.
 * Parameter structs are the public ones in hemovk/ops_conv.h:
 *   hv_op_conv2d      src x, w, [bias], [residual]   params hv_conv2d_params
 *   hv_op_deconv      src x, w, [bias]               params hv_deconv_params
 *   hv_op_layer_norm  src x, [weight], [bias]        params hv_layer_norm_params
 *   hv_op_softmax     src x                          params hv_softmax_params
 *   hv_op_maxpool     src x                          params hv_maxpool_params
 *   hv_op_resize      src x                          params hv_resize_params
 *   hv_op_permute     src x                          params hv_permute_params
 *   hv_op_concat      src x0, x1, ... (2..6)         params hv_concat_params
 *   hv_op_slice       src x                          params hv_slice_params */
#ifndef HEMOVK_CORE_OPS_OPS_CONV_DEFS_H
#define HEMOVK_CORE_OPS_OPS_CONV_DEFS_H

#include "graph/op.h"
#include "hemovk/ops_conv.h"

extern const hv_op_def hv_op_conv2d;
extern const hv_op_def hv_op_deconv;
extern const hv_op_def hv_op_layer_norm;
extern const hv_op_def hv_op_softmax;
extern const hv_op_def hv_op_maxpool;
extern const hv_op_def hv_op_resize;
extern const hv_op_def hv_op_permute;
extern const hv_op_def hv_op_concat;
extern const hv_op_def hv_op_slice;

/** The fused activations in double precision (the CPU references' definition: GELU is the erf form). */
double hv_opsconv_act(hv_activation act, double v);

#endif
