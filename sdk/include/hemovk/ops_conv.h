/* hemovk/ops_conv.h — convolution-family ops: conv2d (any kernel/stride/dilation/groups, asymmetric or
 * TF-"SAME" padding, fused bias/activation/residual), 2×2-stride-2 style transposed conv, BatchNorm
 * folding, layer norm, (grouped) softmax, max pool, nearest/bilinear resize, permute, concat, slice.
 *
 * Every op here has a plain-C CPU reference with double accumulation and Vulkan shaders for f32 and
 * f16 storage (f32 arithmetic). f16 stores SATURATE at ±65504: a value past the f16 range comes out as
 * ±65504, never as a silent Inf (NaN stays NaN). The op definitions (`hv_op_conv2d`, ...) live in
 * core/ops/ and are what the builders below add to a graph.
 *
 * Parameter structs are zero-initialisable: a 0 stride, dilation, group count or step means 1, so
 * `(hv_conv2d_params){.stride_h = 2, .stride_w = 2, .same_tf = true}` is a complete description. */
#ifndef HEMOVK_OPS_CONV_H
#define HEMOVK_OPS_CONV_H

#include "hemovk/export.h"

#include <stdbool.h>
#include <stdint.h>

#include "hemovk/ops_basic.h" /* hv_activation */
#include "hemovk/status.h"
#include "hemovk/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- conv2d ------------------------------------------------------------------------------------ */

/** Which Vulkan kernel a conv2d runs. AUTO picks per shape; the others force one (tests and bench);
 *  forcing one that cannot run the shape is an HV_ERR_INVALID_ARGUMENT at graph build. */
typedef enum hv_conv_algo {
    HV_CONV_ALGO_AUTO = 0,          /**< 1×1/s1/p0/g1 → POINTWISE, depthwise → DEPTHWISE, else IMPLICIT_GEMM */
    HV_CONV_ALGO_DIRECT = 1,        /**< one invocation per output, any shape (simple, slow) */
    HV_CONV_ALGO_POINTWISE = 2,     /**< tiled GEMM: only 1×1 kernel, stride 1, no padding, groups 1 */
    HV_CONV_ALGO_IMPLICIT_GEMM = 3, /**< shared-memory tiled implicit GEMM, any shape */
    HV_CONV_ALGO_DEPTHWISE = 4      /**< groups == C_in == C_out only */
} hv_conv_algo;

/** conv2d on NCHW x {N, C_in, H, W} with weight {C_out, C_in/groups, KH, KW}, optional bias {C_out} and
 *  optional residual r (same shape as the output):
 *      y = act(conv(x, w) + bias) + r
 *  i.e. the residual is added AFTER the activation. This is what ConvNeXt/MBConv/FPN need: with
 *  act = NONE it is `conv(x) + r` (MBConv's linear projection + skip, FPN's lateral + top-down). */
typedef struct hv_conv2d_params {
    int32_t stride_h, stride_w;       /**< 0 means 1 */
    int32_t dilation_h, dilation_w;   /**< 0 means 1 */
    int32_t pad_top, pad_bottom, pad_left, pad_right; /**< zero padding; ignored when same_tf */
    int32_t groups;                   /**< 0 means 1; must divide C_in and C_out */
    bool same_tf;          /**< TF-"SAME" (MODEL_SPEC §2.3): O = ceil(I/s), P = max((O−1)s + (k−1)d + 1 − I, 0),
                                before = floor(P/2), after = P − before, from the input size at infer time */
    bool has_bias;         /**< src[2] is the bias */
    bool has_residual;     /**< the last src is the residual */
    hv_activation act;     /**< fused activation applied before the residual add */
    hv_conv_algo algo;     /**< kernel choice (AUTO normally) */
} hv_conv2d_params;

/** Resolved geometry of a conv2d on a given input (pads after TF-SAME, output size, chosen kernel). */
typedef struct hv_conv2d_geom {
    int64_t n, c_in, h, w, c_out, kh, kw, oh, ow;
    int32_t sh, sw, dh, dw, pt, pb, pl, pr, groups;
    hv_conv_algo algo;     /**< never AUTO */
} hv_conv2d_geom;

/** Check a conv2d's shapes and resolve its geometry. HV_ERR_SHAPE names the shapes on mismatch. */
HV_API hv_status hv_conv2d_resolve(const hv_conv2d_params *p, const hv_tensor_desc *x, const hv_tensor_desc *w,
                            hv_conv2d_geom *out);

/* ---- transposed conv (Mask R-CNN mask head upsampler) ------------------------------------------ */

/** Transposed conv without overlap: kernel == stride (2×2 s2 in the mask head), no padding, groups 1.
 *  x {N, C_in, H, W}, weight {C_in, C_out, k, k} (PyTorch ConvTranspose2d layout), optional bias {C_out}:
 *      y[n, o, k·y+ky, k·x+kx] = act(b[o] + Σ_i W[i, o, ky, kx] · x[n, i, y, x]). */
typedef struct hv_deconv_params {
    bool has_bias;
    hv_activation act;
} hv_deconv_params;

/* ---- BatchNorm folding --------------------------------------------------------------------------- */

/** Fold inference BatchNorm into the preceding conv:
 *      scale[o] = gamma[o] / sqrt(var[o] + eps)
 *      w_out[o, ...] = w[o, ...] · scale[o]           (per_out_elems values per output channel)
 *      b_out[o] = (b[o] − mean[o]) · scale[o] + beta[o]   (b = 0 when b_or_null is NULL)
 *  Computed in double. w_out may alias w and b_out may alias b_or_null. Returns HV_ERR_INVALID_ARGUMENT
 *  for NULL arrays, C_out/per_out_elems ≤ 0, eps < 0, or var + eps ≤ 0 (naming the channel). */
HV_API hv_status hv_fold_batchnorm(const float *w, const float *b_or_null, const float *gamma, const float *beta,
                            const float *mean, const float *var, float eps, int64_t c_out, int64_t per_out_elems,
                            float *w_out, float *b_out);

/* ---- layer norm ----------------------------------------------------------------------------------- */

/** Normalise over ONE axis: y = (x − mean)/sqrt(var + eps)·weight + bias, mean/var (biased) over `axis`
 *  for every position of the other axes. NCHW "LayerNorm2d" is axis 1; channels-last (NHWC, or a
 *  Linear's [.., C]) is the last axis (−1). Optional weight/bias {C}: src = x, [weight], [bias].
 *  f32 two-pass (mean, then Σ(x−mean)²) so large means do not cancel. */
typedef struct hv_layer_norm_params {
    int32_t axis;          /**< 0..rank−1, or negative from the end */
    float eps;
    bool has_weight, has_bias;
} hv_layer_norm_params;

/* ---- softmax --------------------------------------------------------------------------------------- */

/** Softmax along `axis`, over consecutive groups of `group_size` elements of that axis (0 = the whole
 *  axis). DCNv3's mask softmax is axis −1 with group_size K on [.., G·K]. Max-subtracted, f32. */
typedef struct hv_softmax_params {
    int32_t axis;          /**< 0..rank−1, or negative from the end */
    int32_t group_size;    /**< must divide the axis length; 0 = whole axis */
} hv_softmax_params;

/* ---- pooling and resizing ------------------------------------------------------------------------ */

/** Max pool on NCHW: output (I + pads − k)/s + 1 (floor). Padded taps are ignored (−Inf); a window
 *  entirely in padding is an HV_ERR_SHAPE at build. k=1, s=2 is FPN's P6 subsampling. */
typedef struct hv_maxpool_params {
    int32_t kernel_h, kernel_w;       /**< 0 means 1 */
    int32_t stride_h, stride_w;       /**< 0 means 1 */
    int32_t pad_top, pad_bottom, pad_left, pad_right;
} hv_maxpool_params;

typedef enum hv_resize_mode {
    HV_RESIZE_NEAREST = 0,   /**< PyTorch 'nearest': src = min(floor(dst · (float)(in/out)), in−1); dst/2 at exactly 2× */
    HV_RESIZE_BILINEAR = 1   /**< align_corners=False half-pixel: src = max((dst+0.5)·in/out − 0.5, 0), taps clamped
                                  (torch interpolate bilinear, cv2 INTER_LINEAR on float data) */
} hv_resize_mode;

/** Resize the two innermost (H, W) dims of an NCHW tensor to out_h × out_w. */
typedef struct hv_resize_params {
    int32_t out_h, out_w;
    hv_resize_mode mode;
} hv_resize_params;

/* ---- data movement ------------------------------------------------------------------------------- */

/** y.dims[i] = x.dims[perm[i]] (rank ≤ 4; entries past the rank are ignored). The output layout is
 *  NHWC for the NCHW→NHWC permutation {0,2,3,1} on NCHW input, NCHW for its inverse on NHWC input,
 *  the input's own for a swap of the two spatial axes ({0,1,3,2} on NCHW, {0,2,1,3} on NHWC),
 *  otherwise ANY. */
typedef struct hv_permute_params {
    int32_t perm[HV_MAX_DIMS];
} hv_permute_params;

/** Concatenate 2..6 same-dtype inputs along `axis`; other dims must match. */
typedef struct hv_concat_params {
    int32_t axis;          /**< 0..rank−1, or negative from the end */
} hv_concat_params;

/** y = x[.., start:end:step, ..] along `axis` with Python's rules: start/end negative count from the end
 *  and are clamped; a negative step walks backwards (x[::-1] is start −1, end INT64_MIN, step −1: a flip,
 *  e.g. a horizontal mirror of NCHW on axis 3). The result must not be empty. */
typedef struct hv_slice_params {
    int32_t axis;
    int64_t start, end;
    int32_t step;          /**< 0 means 1; negative: backwards */
} hv_slice_params;

/* ---- graph builders ------------------------------------------------------------------------------ *
 * Each adds one op to a graph (hemovk/graph.h) and returns its output, or NULL after recording the
 * error on the graph (first error wins; a NULL input returns NULL). Optional inputs may be NULL. */

typedef struct hv_graph hv_graph;
typedef struct hv_tensor hv_tensor;

/** y = act(conv(x, w) + b) + residual. w is {C_out, C_in/groups, kh, kw}; b {C_out} or NULL; residual
 *  the output's shape or NULL. `p->has_bias`/`has_residual` are set from the arguments. */
HV_API hv_tensor *hv_conv2d(hv_graph *g, hv_tensor *x, hv_tensor *w, hv_tensor *b, hv_tensor *residual,
                     const hv_conv2d_params *p, const char *name);

/** Transposed conv with kernel == stride (Mask R-CNN's 2×2 s2): w is {C_in, C_out, k, k}. */
HV_API hv_tensor *hv_deconv2d(hv_graph *g, hv_tensor *x, hv_tensor *w, hv_tensor *b, hv_activation act, const char *name);

/** Layer norm over `axis` (1 for NCHW channels, -1 for NHWC) with optional affine weight and bias. */
HV_API hv_tensor *hv_layer_norm(hv_graph *g, hv_tensor *x, hv_tensor *weight, hv_tensor *bias, int32_t axis, float eps,
                         const char *name);

/** Softmax along `axis`, separately over each run of `group_size` values (0: the whole axis). */
HV_API hv_tensor *hv_softmax(hv_graph *g, hv_tensor *x, int32_t axis, int32_t group_size, const char *name);

/** 2-D max pool on NCHW. */
HV_API hv_tensor *hv_maxpool2d(hv_graph *g, hv_tensor *x, const hv_maxpool_params *p, const char *name);

/** Resize NCHW to out_h × out_w, nearest (PyTorch rule) or bilinear (align_corners=False). */
HV_API hv_tensor *hv_resize(hv_graph *g, hv_tensor *x, int32_t out_h, int32_t out_w, hv_resize_mode mode, const char *name);

/** y.dims[i] = x.dims[perm[i]]. */
HV_API hv_tensor *hv_permute(hv_graph *g, hv_tensor *x, const int32_t perm[HV_MAX_DIMS], const char *name);

/** Concatenate n (2..6) tensors along `axis`. */
HV_API hv_tensor *hv_concat(hv_graph *g, hv_tensor *const *xs, uint32_t n, int32_t axis, const char *name);

/** x[.., start:end:step, ..] along `axis`. */
HV_API hv_tensor *hv_slice(hv_graph *g, hv_tensor *x, int32_t axis, int64_t start, int64_t end, int32_t step,
                    const char *name);

#ifdef __cplusplus
}
#endif
#endif
