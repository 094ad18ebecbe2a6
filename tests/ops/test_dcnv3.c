/* DCNv3 core op on Vulkan (shaders/dcnv3.comp, f32 and f16 storage) against its CPU reference
 * (core/ops/dcnv3.c, itself checked against PyTorch in test_dcnv3_torch.c). Offsets reach ±4 px before
 * offset_scale, so many points sample outside the image; G = 1/2/4, Cg = 3/4/16 (3 takes the
 * one-channel-per-invocation path), offset_scale 1 and 2, odd and 1-pixel images, N > 1, stride 2 and
 * dilation 2. Output guard bytes and the validation layer are checked by opsdcn_run().
 * Bounds: f32 NMSE ≤ 1e-9; f16 (inputs rounded to f16 before the reference) NMSE ≤ 1e-5. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "hemovk/ops_dcn.h"
#include "ops/opsdcn_util.h"
#include "opsdcn_vk.h"

typedef struct dcn_case {
    int n, h, w, g, cg, k, stride, pad, dil;
    float os;
} dcn_case;

static const dcn_case cases[] = {
    {2, 5, 7, 2, 4, 3, 1, 1, 1, 2.0f},  {1, 1, 1, 4, 16, 3, 1, 1, 1, 1.0f}, {1, 7, 3, 1, 16, 3, 1, 1, 1, 2.0f},
    {3, 4, 5, 4, 4, 3, 1, 1, 1, 1.0f},  {1, 6, 9, 2, 3, 3, 2, 2, 2, 1.5f},  {1, 9, 1, 2, 16, 3, 1, 1, 1, 2.0f},
    {1, 5, 6, 1, 3, 5, 1, 2, 1, 1.0f},
};

static void setup(const dcn_case *tc, hv_dtype dt, hv_dcnv3_params *p, hv_tensor_desc *src, hv_tensor_desc *dst) {
    *p = (hv_dcnv3_params){.kernel_h = tc->k, .kernel_w = tc->k, .stride_h = tc->stride, .stride_w = tc->stride,
                           .pad_h = tc->pad, .pad_w = tc->pad, .dilation_h = tc->dil, .dilation_w = tc->dil,
                           .group = tc->g, .group_channels = tc->cg, .offset_scale = tc->os};
    const int K = tc->k * tc->k;
    const int ho = (tc->h + 2 * tc->pad - (tc->dil * (tc->k - 1) + 1)) / tc->stride + 1;
    const int wo = (tc->w + 2 * tc->pad - (tc->dil * (tc->k - 1) + 1)) / tc->stride + 1;
    src[0] = (hv_tensor_desc){.dtype = dt, .layout = HV_LAYOUT_NHWC, .rank = 4, .dims = {tc->n, tc->h, tc->w, tc->g * tc->cg}};
    src[1] = (hv_tensor_desc){.dtype = dt, .layout = HV_LAYOUT_NHWC, .rank = 4, .dims = {tc->n, ho, wo, tc->g * K * 2}};
    src[2] = (hv_tensor_desc){.dtype = dt, .layout = HV_LAYOUT_NHWC, .rank = 4, .dims = {tc->n, ho, wo, tc->g * K}};
    ck_assert_msg(hv_op_dcnv3.infer(p, src, 3, dst) == HV_OK, "%s", hv_last_error());
}

/** Softmax over each group's K points, as the module does before the core op. */
static void softmax_groups(float *m, size_t n, int K) {
    for (size_t b = 0; b < n; b += (size_t)K) {
        float mx = m[b], s = 0;
        for (int k = 1; k < K; ++k) mx = fmaxf(mx, m[b + k]);
        for (int k = 0; k < K; ++k) s += (m[b + k] = expf(m[b + k] - mx));
        for (int k = 0; k < K; ++k) m[b + k] /= s;
    }
}

static void run_case(int i, hv_dtype dt) {
    const dcn_case *tc = &cases[i];
    hv_dcnv3_params p;
    hv_tensor_desc src[3], dst;
    setup(tc, dt, &p, src, &dst);
    size_t n[3], nd = (size_t)hv_desc_numel(&dst);
    float *d[3];
    for (int k = 0; k < 3; ++k) {
        n[k] = (size_t)hv_desc_numel(&src[k]);
        d[k] = malloc(n[k] * 4);
    }
    hvtest_fill_uniform(d[0], n[0], 1000 + (uint64_t)i, -1.0f, 1.0f);
    hvtest_fill_uniform(d[1], n[1], 2000 + (uint64_t)i, -4.0f, 4.0f);
    hvtest_fill_uniform(d[2], n[2], 3000 + (uint64_t)i, -3.0f, 3.0f);
    softmax_groups(d[2], n[2], tc->k * tc->k);
    if (dt == HV_F16)
        for (int k = 0; k < 3; ++k) opsdcn_round_f16(d[k], n[k]);
    float *ref = malloc(nd * 4), *got = malloc(nd * 4);
    const float *sd[3] = {d[0], d[1], d[2]};
    hv_tensor_desc src32[3] = {src[0], src[1], src[2]}, dst32 = dst;
    for (int k = 0; k < 3; ++k) src32[k].dtype = HV_F32;
    dst32.dtype = HV_F32;
    ck_assert(hv_op_dcnv3.ref(&p, src32, sd, 3, &dst32, ref) == HV_OK);
    ck_assert_msg(opsdcn_run(&hv_op_dcnv3, &p, src, sd, 3, &dst, got) == HV_OK, "%s", hv_last_error());
    double e = hvtest_nmse(got, ref, nd);
    const double bound = dt == HV_F16 ? 1e-5 : 1e-9;
    printf("dcnv3 %s case %d [%d,%d,%d,G%d×%d] os %.1f: NMSE %.3e\n", hv_dtype_name(dt), i, tc->n, tc->h, tc->w, tc->g,
           tc->cg, (double)tc->os, e);
    ck_assert_uint_eq(hvtest_count_nonfinite(got, nd), 0);
    ck_assert_msg(e <= bound, "dcnv3 %s case %d: NMSE %.3e > %.0e", hv_dtype_name(dt), i, e, bound);
    for (int k = 0; k < 3; ++k) free(d[k]);
    free(ref);
    free(got);
}

START_TEST(vulkan_f32_matches_ref) { run_case(_i, HV_F32); }
END_TEST

START_TEST(vulkan_f16_matches_ref) {
    if (!hv_device_get_info(opsdcn_device())->storage16) {
        hvtest_skip("dcnv3 f16: the device has no 16-bit storage");
        return;
    }
    run_case(_i, HV_F16);
}
END_TEST

/* Values past the f16 range saturate to ±65504 (documented in ops_dcn.h), never Inf. */
START_TEST(f16_overflow_saturates) {
    if (!hv_device_get_info(opsdcn_device())->storage16) {
        hvtest_skip("dcnv3 f16 overflow: the device has no 16-bit storage");
        return;
    }
    const dcn_case tc = {1, 3, 3, 1, 4, 3, 1, 1, 1, 1.0f};
    hv_dcnv3_params p;
    hv_tensor_desc src[3], dst;
    setup(&tc, HV_F16, &p, src, &dst);
    size_t n[3], nd = (size_t)hv_desc_numel(&dst);
    float *d[3];
    for (int k = 0; k < 3; ++k) {
        n[k] = (size_t)hv_desc_numel(&src[k]);
        d[k] = calloc(n[k], 4);
    }
    for (size_t k = 0; k < n[0]; ++k) d[0][k] = (k % 2) ? 60000.0f : -60000.0f;
    for (size_t k = 0; k < n[2]; ++k) d[2][k] = 1.0f; /* un-normalised mask: sums reach 9 · 60000 */
    float *got = malloc(nd * 4);
    const float *sd[3] = {d[0], d[1], d[2]};
    ck_assert(opsdcn_run(&hv_op_dcnv3, &p, src, sd, 3, &dst, got) == HV_OK);
    ck_assert_uint_eq(hvtest_count_nonfinite(got, nd), 0);
    /* centre pixel: all 9 points inside, 9 · (±60000) → ±65504 */
    const float *centre = got + (1 * 3 + 1) * 4;
    ck_assert_float_eq(centre[0], -65504.0f);
    ck_assert_float_eq(centre[1], 65504.0f);
    for (int k = 0; k < 3; ++k) free(d[k]);
    free(got);
}
END_TEST

int main(void) {
    Suite *s = suite_create("dcnv3");
    TCase *tc = tcase_create("vulkan");
    tcase_set_timeout(tc, 300);
    const int nc = (int)(sizeof cases / sizeof cases[0]);
    tcase_add_loop_test(tc, vulkan_f32_matches_ref, 0, nc);
    tcase_add_loop_test(tc, vulkan_f16_matches_ref, 0, nc);
    tcase_add_test(tc, f16_overflow_saturates);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
