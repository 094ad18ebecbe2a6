/* core/cpu/dnnl_util.h — what the oneDNN host kernels share: the engine and stream, post-ops from
 * hemovk's fused activation and residual, status messages. Only built with HEMOVK_HAVE_DNNL. */
#ifndef HEMOVK_CORE_CPU_DNNL_UTIL_H
#define HEMOVK_CORE_CPU_DNNL_UTIL_H

#include <oneapi/dnnl/dnnl.h>

#include "hemovk/ops_basic.h"
#include "hemovk/status.h"

/** The process's CPU engine and stream (created at first use, thread-safe; NULL on failure with
 *  the error set). oneDNN primitives are stateless: plans on several threads may share them. */
dnnl_engine_t hv_dnnl_engine(void);

/** An error naming the oneDNN call that failed and its status. */
hv_status hv_dnnl_fail(dnnl_status_t s, const char *what);

/** Attributes with post-ops y = act(result) [+ dst's previous content when `residual`]. NULL when
 *  neither is asked for... or on failure (then *st is set). */
dnnl_primitive_attr_t hv_dnnl_post_ops(hv_activation act, int residual, hv_status *st);

/** Execute `prim` with `n` arguments on a stream of this thread, and wait. */
hv_status hv_dnnl_execute(dnnl_primitive_t prim, int n, const dnnl_exec_arg_t *args, const char *what);

/** A buffer aligned for oneDNN (64 bytes) holding `md`'s bytes, filled from `user` (in `user_md`'s
 *  layout) by a reorder; NULL on failure with *st set. Used once per weight at plan time. */
float *hv_dnnl_reorder_weights(const dnnl_memory_desc_t *user_md, const float *user, const dnnl_memory_desc_t *md,
                               hv_status *st);

/** One oneDNN primitive with its memories: what a conv2d or linear step of the host backend keeps.
 *  When the primitive prefers blocked activations (nChw16c...), the step reorders its input into the
 *  plan's scratch, computes there and reorders the output back into the graph's plain layout: the fast
 *  blocked kernels more than pay for two memory passes (the plain-layout path falls back to im2col GEMM,
 *  5-10x slower for 3x3 and depthwise convolutions). */
typedef struct hv_dnnl_step {
    dnnl_primitive_t prim, to_blocked, from_blocked, residual_to_blocked; /* the last three: NULL when plain */
    dnnl_memory_t x_user, x_blk, y_user, y_blk, res_user, wei, bias;
    dnnl_stream_t stream;
    float *wei_buf;          /* weights reordered into the primitive's layout (owned), or NULL */
    int has_bias;
    size_t dst_bytes;        /* the plain output's bytes */
    size_t x_blk_bytes, y_blk_bytes; /* scratch: [x_blk | y_blk], each 64-byte aligned, 0 when plain */
} hv_dnnl_step;

/** Build `s` for the op described by `op_desc` (a dnnl_*_desc_t whose weights, and optionally src and
 *  dst, are format "any"): post-ops from act/residual, the primitive oneDNN picks, the constant weights
 *  `w` (laid out as `w_user`) reordered once into its preferred layout, bias `b` (NULL: none), and the
 *  reorders between the graph's plain x_user/y_user layouts and the primitive's. `what` names the op in
 *  messages. On error `s` holds what was made; hv_dnnl_step_destroy frees it. */
hv_status hv_dnnl_step_create(hv_dnnl_step *s, const_dnnl_op_desc_t op_desc, hv_activation act, int residual,
                              const dnnl_memory_desc_t *x_user, const dnnl_memory_desc_t *y_user,
                              const dnnl_memory_desc_t *w_user, const float *w, const dnnl_memory_desc_t *b_md,
                              const float *b, const char *what);

/** Scratch bytes hv_dnnl_step_run needs (0 when the primitive works on the plain layouts). */
size_t hv_dnnl_step_scratch(const hv_dnnl_step *s);

/** Run the step: y = op(x) (+ residual when the step was made with one; NULL otherwise). */
hv_status hv_dnnl_step_run(hv_dnnl_step *s, const float *x, const float *residual, float *y, void *scratch,
                           const char *what);

/** Free what hv_dnnl_step_create made (the struct itself is the caller's). */
void hv_dnnl_step_destroy(hv_dnnl_step *s);

#endif
