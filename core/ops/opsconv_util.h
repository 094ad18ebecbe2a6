/* core/ops/opsconv_util.h — small helpers shared by the conv-family ops (conv2d, deconv, layer_norm,
 * softmax, pool, resize, permute, concat, slice): shape strings for messages, axis normalisation,
 * 1-D dispatch grids and "pipeline for <stem>_<dtype> + dispatch" in one call. */
#ifndef HEMOVK_CORE_OPS_OPSCONV_UTIL_H
#define HEMOVK_CORE_OPS_OPSCONV_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include "graph/op.h"

/** Invocations per workgroup of every 1-D shader of the family (local_size_x in the .comp files). */
#define OPSCONV_LOCAL 256u

/** Shape string of a descriptor in a static per-thread ring (4 slots) so a message can show several. */
const char *opsconv_shape(const hv_tensor_desc *d);

/** Map a possibly negative axis to 0..rank−1; HV_ERR_SHAPE naming `op` when out of range. */
hv_status opsconv_axis(const char *op, int32_t axis, const hv_tensor_desc *d, uint32_t *out);

/** outer = Π dims[0..axis), len = dims[axis], inner = Π dims(axis..rank). */
void opsconv_split(const hv_tensor_desc *d, uint32_t axis, int64_t *outer, int64_t *len, int64_t *inner);

/** Every src must share src[0]'s dtype (the shaders bind one storage type). */
hv_status opsconv_same_dtype(const char *op, const hv_tensor_desc *src, uint32_t n_src);

/** Workgroup grid (x ≤ 65535, y) for `invocations` threads of OPSCONV_LOCAL each; shaders recover the
 *  linear index with linear_invocation(). HV_ERR_UNSUPPORTED if even the 2-D grid is too small. */
hv_status opsconv_grid1d(const char *op, uint64_t invocations, uint32_t *gx, uint32_t *gy);

/** Get the pipeline "<stem>_f32"/"<stem>_f16" for `dt` with the given spec constants and record one
 *  dispatch with `push`. Label = the op name for profiles. */
hv_status opsconv_dispatch(hv_cmd *cmd, hv_device *dev, const char *stem, hv_dtype dt, const hv_binding *binds,
                           uint32_t n_binds, const void *push, uint32_t push_size, const uint32_t *spec,
                           uint32_t n_spec, uint32_t gx, uint32_t gy, uint32_t gz, const char *label);

/** How a 64-invocation CPU-family workgroup splits its lanes between two output dimensions: returns
 *  lanes_a (a power of 2, 1..64) so that a tile of (lanes_a·tile_a) × ((64/lanes_a)·tile_b) outputs
 *  computes the fewest outputs past the edges of an a × b output (8 on a tie). With
 *  `penalise_narrow_a`, splits with lanes_a < 8 count 25 % more work (an 8-lane SIMD step then spans
 *  several rows of b, measured slower). */
uint32_t opsconv_cpu_lanes(uint64_t a, uint32_t tile_a, uint64_t b, uint32_t tile_b, bool penalise_narrow_a);

/** Which kernel family the conv / GEMM ops record on `dev`: true for the CPU-friendly kernels
 *  (no shared memory, no barriers, small workgroups, register tiles: *_cpu.comp), false for the
 *  shared-memory tiled kernels GPUs want. HEMOVK_KERNELS=cpu|gpu forces one family (the op tests use
 *  it to run both on one device); otherwise the CPU family is used on VK_PHYSICAL_DEVICE_TYPE_CPU
 *  devices (lavapipe). An unknown HEMOVK_KERNELS value is ignored with a warning. Read at record
 *  (plan) time, so a recorded plan keeps its choice. */
bool opsconv_cpu_kernels(const hv_device *dev);

/** Output tile (32 or 64, square) of the shared-memory GEMM kernels (shaders/gemm.comp, and the conv
 *  GEMM body shaders/include/conv2d_gemm_body.glsl) for an m × n output (n times the GEMM's batches) on
 *  a device with `info`'s limits. 64 (256 invocations, 8.3 KB shared) where the device allows it and the
 *  GEMM has at least 64 such tiles to spread over its compute units; else 32 (64 invocations: two
 *  NVIDIA warps, one AMD wave64, 4.2 KB), which Vulkan's minimum limits (128 invocations, 16 KB) always
 *  allow and which gives a small GEMM 4× the workgroups. Both sum k in the same order (same bits).
 *  HEMOVK_GEMM_TILE=32|64 forces one (the op tests run both; a GPU run can compare them); the 64-tile
 *  threshold is a first guess until scripts/gpu-check.sh has measured a GPU. info NULL: 64. */
uint32_t opsconv_gemm_tile(const hv_device_info *info, uint64_t m, uint64_t n);

/** Whether an f16 kernel on `info`'s device does its arithmetic in f16 (the "f16a" shader variants:
 *  today the shared-memory GEMM kernels, which keep their tiles in f16 and sum each 16-long k block in
 *  packed f16 before adding it to f32 accumulators; shaders/include/opsconv_common.glsl). Only for
 *  dt == HV_F16 on a device with shaderFloat16. On by default on GPUs (where f16 ALUs run at twice the
 *  f32 rate); off on CPU devices, where lavapipe emulates f16 math through f32 and gains nothing.
 *  HEMOVK_FP16_ARITH=1|0 forces it on (where the device can) or off; other values are ignored with a
 *  warning. Read at record (plan) time. */
bool opsconv_fp16_arith(const hv_device_info *info, hv_dtype dt);

/** Geometry of one strided copy along an axis (shaders/slice.comp), shared by slice and concat:
 *  dst[(o·dst_len + dst_start + l)·inner + i] = src[(o·src_len + src_start + l·src_step)·inner + i]. */
typedef struct opsconv_axis_copy {
    uint32_t outer, count, inner, src_len, src_start, src_step, dst_len, dst_start;
} opsconv_axis_copy;                /* src_step: an int32 step as its two's complement (slice's −1 flips) */

/** Record one slice.comp dispatch for `c` (label = the op name). */
hv_status opsconv_record_axis_copy(hv_cmd *cmd, hv_device *dev, hv_dtype dt, const hv_binding *src,
                                   const hv_binding *dst, const opsconv_axis_copy *c, const char *label);

/** CPU version of the same copy on f32 data. */
void opsconv_ref_axis_copy(const float *src, float *dst, const opsconv_axis_copy *c);

/** A binding is "unset" when its buffer is NULL: the shaders still need a valid descriptor, so unused
 *  optional inputs are bound to `fallback` (never read: spec constants switch them off). */
static inline hv_binding opsconv_bind_or(const hv_binding *b, const hv_binding *fallback) {
    return (b && b->buf) ? *b : *fallback;
}

#endif
