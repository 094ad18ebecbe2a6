/* bleeding_area.red_ratio — a custom operator this plugin adds to hemovk (hemovk/custom_op.h), the way a
 * plugin would bring DCNv4 for a new backbone: shape inference, a CPU implementation (hemovk's CPU
 * backend and reference run it) and SPIR-V for Vulkan devices, compiled from red_ratio.comp when the
 * plugin is built (glslangValidator --vn writes it as a C array). No hemovk rebuild.
 *
 *   x [N, 3, H, W] RGB, 0..255  ->  y [N, 1, H, W] = r / (r + g + b + 1)
 *
 * The ratio of red to all light: blood-filled mucosa is red-dominant (Fu et al. used R/(R+G+B) for
 * capsule bleeding detection); the +1 keeps black pixels at 0. */
#include "red_ratio.h"

#include <stdint.h>

#include "red_ratio_spv.h" /* const uint32_t ba_red_ratio_spv[] (generated at build time) */

static hv_status rr_infer(const void *params, const hv_tensor_desc *src, uint32_t n_src, hv_tensor_desc *dst) {
    (void)params, (void)n_src;
    if (src[0].rank != 4 || src[0].dims[1] != 3)
        return hv_error(HV_ERR_SHAPE, "%s: needs RGB frames [N, 3, H, W], got rank %u with %lld channels", BA_RED_RATIO_OP,
                        src[0].rank, (long long)src[0].dims[1]);
    *dst = src[0];
    dst->dims[1] = 1;
    return HV_OK;
}

static hv_status rr_cpu(const void *params, const hv_tensor_desc *src, const float *const *x, uint32_t n_src,
                        const hv_tensor_desc *dst, float *y) {
    (void)params, (void)n_src, (void)dst;
    int64_t hw = src[0].dims[2] * src[0].dims[3];
    for (int64_t n = 0; n < src[0].dims[0]; n++) {
        const float *r = x[0] + n * 3 * hw, *g = r + hw, *b = g + hw;
        for (int64_t i = 0; i < hw; i++) y[n * hw + i] = r[i] / (r[i] + g[i] + b[i] + 1.0f);
    }
    return HV_OK;
}

static void rr_groups(const void *params, const hv_tensor_desc *dst, uint32_t *x, uint32_t *y) {
    (void)dst;
    const ba_red_ratio_params *p = params;
    uint32_t groups = (p->total + 63) / 64;
    *x = groups < 65535 ? groups : 65535;
    *y = (groups + *x - 1) / *x;
}

static const hv_custom_op k_op = {
    .struct_size = sizeof(hv_custom_op),
    .name = BA_RED_RATIO_OP,
    .param_size = sizeof(ba_red_ratio_params),
    .min_src = 1,
    .max_src = 1,
    .infer = rr_infer,
    .cpu = rr_cpu,
    .spirv_f32 = ba_red_ratio_spv,
    .spirv_f32_bytes = sizeof ba_red_ratio_spv,
    .workgroups = rr_groups,
};

hv_status ba_red_ratio_register(void) { return hv_custom_op_register(&k_op); }

void ba_red_ratio_unregister(void) { (void)hv_custom_op_unregister(BA_RED_RATIO_OP); }
