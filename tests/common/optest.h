/* optest — the op test harness (in the spirit of ggml's test-backend-ops).
 *
 * One case = an op definition (core/graph/op.h), its params and the descriptors of its sources. The
 * harness fills the sources with deterministic random data, runs the op's CPU reference, records the
 * op's Vulkan dispatch(es) on a device opened once per test process, and compares:
 *   - NMSE of the device output against the reference (thresholds: f32 ≤ 1e-9, f16 ≤ 1e-5 unless
 *     the case overrides them);
 *   - NaN/Inf count of the device output (must be 0 unless the case allows them);
 *   - GUARD REGIONS: the output binding sits inside a larger buffer whose bytes before and after it
 *     are filled with a sentinel pattern, checked intact afterwards (an out-of-bounds write fails);
 *   - validation-layer messages during the case (must be 0).
 * With dtype HV_F16 every source (except those marked keep_dtype) is stored as f16: random values are
 * rounded to f16 first and the reference runs on those rounded values, so only the op's own error
 * is measured. Each case prints one line: op, label, shapes, dtype, nmse, verdict.
 *
 *     optest_case c = {.op = &hv_op_linear, .params = &lp, .n_src = 2, .label = "odd M"};
 *     c.src[0] = optest_desc(HV_LAYOUT_ANY, 2, 37, 19, 0, 0);
 *     c.src[1] = optest_desc(HV_LAYOUT_ANY, 2, 23, 19, 0, 0);
 *     ck_assert(optest_check(&c, HV_F32));
 */
#ifndef OPTEST_H
#define OPTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "graph/op.h"
#include "hemovk/device.h"
#include "hemovk/tensor.h"

typedef struct optest_case {
    const hv_op_def *op;
    const void *params;                     /**< op->param_size bytes (may be NULL when 0) */
    uint32_t n_src;
    hv_tensor_desc src[HV_OP_MAX_SRC];      /**< dtype is replaced by the run's dtype unless keep_dtype */
    uint32_t keep_dtype;                    /**< bit i set: src[i] keeps its own dtype (e.g. f32 boxes) */
    const float *data[HV_OP_MAX_SRC];       /**< fixed data for src[i] (NULL: random in [lo, hi)) */
    float lo, hi;                           /**< random range; lo == hi means [-1, 1) */
    uint64_t seed;                          /**< 0: derived from the label and shapes */
    const char *label;                      /**< what the case is about, for the report line */
    double max_nmse_f32, max_nmse_f16;      /**< 0: the defaults 1e-9 / 1e-5 */
    bool allow_nonfinite;                   /**< NaN/Inf in the output are expected (NaN propagation tests) */
} optest_case;

typedef struct optest_result {
    hv_status status;            /**< HV_OK, or why inference / recording / running failed */
    char error[512];             /**< the message when status != HV_OK */
    hv_tensor_desc dst;          /**< inferred output descriptor */
    int64_t n;                   /**< output element count */
    float *ref;                  /**< reference output (f32, n values; owned) */
    float *out;                  /**< device output converted to f32 (n values; owned) */
    double nmse, max_rel;
    size_t nonfinite;            /**< NaN/Inf values in out */
    bool guards_ok;              /**< sentinel bytes around the output intact */
    uint32_t validation_msgs;    /**< validation-layer messages during the case */
} optest_result;

/** The device shared by every case of this process (opened on first use; NULL selector = the choice
 *  rule / HEMOVK_DEVICE). Fails the current Check test if no device opens. */
hv_device *optest_device(void);

/** Number of kernel families the conv / GEMM ops can record (HEMOVK_KERNELS, core/ops/opsconv_util.h). */
#define OPTEST_KERNEL_FAMILIES 2

/** The shared-memory GPU kernels with gemm.comp's 32 × 32 tile (family 0 forces its 64 × 64 tile): a
 *  third family for the GEMM tests only (optest_use_kernel_family(OPTEST_FAMILY_GEMM_TILE32)). */
#define OPTEST_FAMILY_GEMM_TILE32 2

/** The shared-memory GPU kernels (64 × 64 tile) with fp16 arithmetic for f16 tensors (the "f16a"
 *  variants, HEMOVK_FP16_ARITH=1; every other family sets it to 0, so what they test does not depend on
 *  the device's default): a fourth family for the GEMM and conv tests only. */
#define OPTEST_FAMILY_FP16_ARITH 3

/** Make this test process record kernel family `i` from now on: 0 the shared-memory GPU kernels,
 *  1 the CPU-friendly *_cpu kernels, by setting HEMOVK_KERNELS, which the ops read when they record
 *  (and HEMOVK_GEMM_TILE: 64 for family 0, 32 for OPTEST_FAMILY_GEMM_TILE32; HEMOVK_FP16_ARITH: 1 for
 *  OPTEST_FAMILY_FP16_ARITH only). Returns the family's name ("gpu" / "cpu" / ...) for labels. Use with
 *  tcase_add_loop_test(..., 0, OPTEST_KERNEL_FAMILIES) so both families run against the reference
 *  on whatever device the tests have. */
const char *optest_use_kernel_family(int i);

/** Descriptor helper: up to 4 dims (pass 0 for unused trailing ones; `rank` says how many count). */
hv_tensor_desc optest_desc(hv_layout layout, uint32_t rank, int64_t d0, int64_t d1, int64_t d2, int64_t d3);

/** Run one case with all sources stored as `dtype`. Fills *r (free with optest_result_free). Returns
 *  r->status. Only the reference is run when `ref_only` (no device needed). */
hv_status optest_run(const optest_case *c, hv_dtype dtype, bool ref_only, optest_result *r);

/** Free what optest_run allocated. */
void optest_result_free(optest_result *r);

/** Run the case, print its report line to stderr, and return true when it passed: ran without error,
 *  NMSE within the threshold, no NaN/Inf (unless allowed), guards intact, no validation messages.
 *  On failure the line says which check failed. */
bool optest_check(const optest_case *c, hv_dtype dtype);

/** Expect the op's shape inference to REJECT the case: returns true when infer fails with
 *  HV_ERR_SHAPE or HV_ERR_INVALID_ARGUMENT and its message contains `needle` (NULL: any message). */
bool optest_expect_shape_error(const optest_case *c, const char *needle);

#endif
