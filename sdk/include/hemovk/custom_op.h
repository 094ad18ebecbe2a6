/* hemovk/custom_op.h — operators a plugin adds to hemovk without rebuilding it (since ABI 1.2).
 *
 * A new backbone may need an operator hemovk does not have (DCNv4, a new attention...). Its plugin
 * registers it once, at load time, with what every hemovk op has: shape inference, a CPU implementation
 * and, optionally, Vulkan SPIR-V. Graphs then use it through hv_custom() like any built-in op; the
 * planner schedules it, plans memory for it and, on a Vulkan device, records its shader into the one
 * command buffer; on the CPU backend (device "cpu") and the reference backend its CPU implementation runs.
 *
 *     static hv_status my_infer(const void *params, const hv_tensor_desc *src, uint32_t n, hv_tensor_desc *dst);
 *     static hv_status my_cpu(const void *params, const hv_tensor_desc *src, const float *const *x, uint32_t n,
 *                             const hv_tensor_desc *dst, float *y);
 *     static const hv_custom_op my_op = {.struct_size = sizeof(hv_custom_op), .name = "acme.dcnv4",
 *         .param_size = sizeof(my_params), .min_src = 3, .max_src = 3, .infer = my_infer, .cpu = my_cpu,
 *         .spirv_f32 = my_spv, .spirv_f32_bytes = sizeof my_spv, .workgroups = my_grid};
 *     hv_custom_op_register(&my_op);                          // in the plugin's init
 *     hv_tensor *y = hv_custom(g, "acme.dcnv4", srcs, 3, &params, "stage2.dcn");   // in a graph builder
 *     hv_custom_op_unregister("acme.dcnv4");                   // in the plugin's shutdown
 *
 * Data contract: every tensor is contiguous in its descriptor's dims. The CPU implementation sees f32
 * values (f16 tensors arrive converted and its output is rounded back, as for built-in ops). The shader
 * sees storage buffers: bindings 0..n_src-1 the sources, binding n_src the output, in the tensors' storage
 * type (float for spirv_f32, float16_t for spirv_f16); the params are its push constants. */
#ifndef HEMOVK_CUSTOM_OP_H
#define HEMOVK_CUSTOM_OP_H

#include "hemovk/export.h"

#include <stddef.h>
#include <stdint.h>

#include "hemovk/status.h"
#include "hemovk/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hv_graph hv_graph;
typedef struct hv_tensor hv_tensor;

/** Most sources a custom op takes. */
#define HV_CUSTOM_OP_MAX_SRC 5

typedef struct hv_custom_op {
    uint32_t struct_size;      /**< sizeof(hv_custom_op) as the plugin was built */
    const char *name;          /**< unique; "vendor.op" is a good form; letters, digits, '.', '_' and '-' */
    size_t param_size;         /**< bytes of the params struct copied into each node (0: none); with SPIR-V
                                    also the push constants: a multiple of 4, at most 128 */
    uint32_t min_src, max_src; /**< accepted number of sources, 1..HV_CUSTOM_OP_MAX_SRC */

    /** Output descriptor from the sources; check every shape and return HV_ERR_SHAPE with a message
     *  (hv_error) on a mismatch. Required. */
    hv_status (*infer)(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst);

    /** The CPU implementation on f32 data: fill every value of dst_data. Required (it is also the
     *  reference the op's tests compare the shader with). */
    hv_status (*cpu)(const void *params, const hv_tensor_desc *src, const float *const *src_data, uint32_t n_src,
                     const hv_tensor_desc *dst, float *dst_data);

    /** Optional SPIR-V compute shaders (entry point "main") for f32 and f16 storage. Without the one a
     *  plan needs, planning that graph on a Vulkan device fails with a message naming the op (run it on
     *  the CPU backend instead). */
    const uint32_t *spirv_f32;
    size_t spirv_f32_bytes;
    const uint32_t *spirv_f16;
    size_t spirv_f16_bytes;

    /** Workgroup counts (x, y; z is 1) for one dispatch producing `dst`. Required with SPIR-V. */
    void (*workgroups)(const void *params, const hv_tensor_desc *dst, uint32_t *x, uint32_t *y);
} hv_custom_op;

/** Register `op` (its fields and SPIR-V are copied; the function pointers must stay valid until
 *  hv_custom_op_unregister). Errors: HV_ERR_INVALID_ARGUMENT naming what is wrong (a missing function,
 *  a bad name or source count, push constants over 128 bytes, a name already registered or built in). */
HV_API hv_status hv_custom_op_register(const hv_custom_op *op);

/** Remove a registered op (a plugin calls it when it is unloaded). Graphs and plans that use the op
 *  must be freed first. HV_ERR_NOT_FOUND when no op has that name. */
HV_API hv_status hv_custom_op_unregister(const char *name);

/** Add a node running the registered op `op_name` on `src` (n_src of them) with `params` (param_size
 *  bytes, copied). Like every builder: NULL on failure, with the graph's first error naming the op and
 *  node (an unknown op's message lists the registered ones). */
HV_API hv_tensor *hv_custom(hv_graph *g, const char *op_name, hv_tensor *const *src, uint32_t n_src, const void *params,
                            const char *name);

#ifdef __cplusplus
}
#endif
#endif
