/* core/cpu/host_kernel.h — an op's optimised CPU implementation for the host backend (exec_host.c).
 *
 * A host kernel is looked up by op (hv_host_kernel_for). At plan time prepare() sees the step's shapes,
 * params and which sources are constant (weights: their data; activations: NULL) and builds what it
 * needs once — a oneDNN primitive, weights reordered to its preferred blocked layout. It may decline
 * (*state stays NULL: the step runs the op's reference), e.g. for weights that are not constant. run()
 * then computes the step from f32 sources into f32 `dst`, every frame, with no allocation. */
#ifndef HEMOVK_CORE_CPU_HOST_KERNEL_H
#define HEMOVK_CORE_CPU_HOST_KERNEL_H

#include "graph/op.h"

typedef struct hv_host_kernel {
    /** Build the step's state; `constant[k]` is source k's data when it is a weight, else NULL. `params` stays
     *  valid (and unchanged) while the plan lives: a state may keep the pointer. */
    hv_status (*prepare)(const void *params, const hv_tensor_desc *src, const float *const *constant, uint32_t n_src,
                         const hv_tensor_desc *dst, void **state);

    /** Bytes of scratch memory run() needs (NULL or 0: none). The backend hands every step the same
     *  plan-wide scratch (steps run one after another), 64-byte aligned. */
    size_t (*scratch_bytes)(const void *state);

    /** Compute dst from the sources (all f32, contiguous, in the graph's layouts). */
    hv_status (*run)(void *state, const float *const *src, uint32_t n_src, float *dst, void *scratch);

    /** Free what prepare() built. */
    void (*release)(void *state);
} hv_host_kernel;

/** The host kernel of `op`, or NULL when the host backend runs its reference. */
const hv_host_kernel *hv_host_kernel_for(const hv_op_def *op);

#endif
