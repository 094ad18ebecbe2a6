/* Multi-level RoIAlign on Vulkan (shaders/roi_align.comp, f32 and f16 feature storage, f32 rois) against
 * its CPU reference (core/ops/roi_align.c, checked against torchvision in test_roi_align_torch.c).
 * Covers: levels computed in the shader (mmdet rule) and given explicitly, 1 to 4 levels, N = 2 with
 * per-RoI batch indices (one out of range → zeros), RoIs partly outside, tiny and zero-width, P = 7 and
 * 14, sampling_ratio 0 and 2, aligned on/off, C not a multiple of 4. Bounds: f32 NMSE ≤ 1e-9, f16 ≤ 1e-5. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/ops_dcn.h"
#include "ops/opsdcn_util.h"
#include "opsdcn_vk.h"

typedef struct roi_case {
    int levels, out, sr, c;
    bool aligned, has_levels;
} roi_case;

static const roi_case cases[] = {
    {4, 7, 0, 5, true, false}, {4, 14, 0, 3, true, true}, {2, 7, 2, 4, false, false}, {1, 7, 0, 2, true, false},
};

enum { IMG = 128, R = 14 };

static void make_rois(float *r) {
    static const float base[R][5] = {
        {0, 10, 12, 40, 30},   {1, 0, 0, 127, 127},   {0, 60, 50, 180, 200}, {1, -20, -15, 30, 25},
        {0, 100, 100, 101, 101}, {1, 5.2f, 7.1f, 5.4f, 7.9f}, {0, 30, 40, 30, 90}, {1, 90, 95, 70, 80},
        {0, -100, -100, 300, 300}, {1, 64, 64, 126, 127.5f}, {0, 3, 3, 20, 120}, {7, 10, 10, 50, 50},
        {1, 120, 2, 160, 40},  {0, 0.5f, 0.5f, 600, 500}};
    memcpy(r, base, sizeof base);
}

static void run_case(int i, hv_dtype dt) {
    const roi_case *tc = &cases[i];
    hv_roi_align_params p = {.num_levels = tc->levels, .strides = {4, 8, 16, 32}, .output_size = tc->out,
                             .sampling_ratio = tc->sr, .aligned = tc->aligned, .has_levels = tc->has_levels};
    hv_tensor_desc src[6], dst;
    float *d[6];
    size_t n[6];
    const int L = tc->levels;
    for (int l = 0; l < L; ++l) {
        const int64_t hw = IMG / (4 << l);
        src[l] = (hv_tensor_desc){.dtype = dt, .layout = HV_LAYOUT_NCHW, .rank = 4, .dims = {2, tc->c, hw + 1, hw}};
        n[l] = (size_t)hv_desc_numel(&src[l]);
        d[l] = malloc(n[l] * 4);
        hvtest_fill_uniform(d[l], n[l], 500 + (uint64_t)(l + 10 * i), -3.0f, 3.0f);
        if (dt == HV_F16) opsdcn_round_f16(d[l], n[l]);
    }
    src[L] = (hv_tensor_desc){.dtype = HV_F32, .rank = 2, .dims = {R, 5, 1, 1}};
    n[L] = R * 5;
    d[L] = malloc(n[L] * 4);
    make_rois(d[L]);
    uint32_t ns = (uint32_t)L + 1;
    if (tc->has_levels) {
        src[L + 1] = (hv_tensor_desc){.dtype = HV_F32, .rank = 1, .dims = {R, 1, 1, 1}};
        n[L + 1] = R;
        d[L + 1] = malloc(R * 4);
        for (int r = 0; r < R; ++r) d[L + 1][r] = (float)((r * 7) % (L + 1)); /* includes L: clamped to L−1 */
        ns++;
    }
    ck_assert_msg(hv_op_roi_align.infer(&p, src, ns, &dst) == HV_OK, "%s", hv_last_error());
    size_t nd = (size_t)hv_desc_numel(&dst);
    float *ref = malloc(nd * 4), *got = malloc(nd * 4);
    const float *sd[6];
    hv_tensor_desc s32[6], d32 = dst;
    for (uint32_t k = 0; k < ns; ++k) {
        sd[k] = d[k];
        s32[k] = src[k];
        s32[k].dtype = HV_F32;
    }
    d32.dtype = HV_F32;
    ck_assert(hv_op_roi_align.ref(&p, s32, sd, ns, &d32, ref) == HV_OK);
    ck_assert_msg(opsdcn_run(&hv_op_roi_align, &p, src, sd, ns, &dst, got) == HV_OK, "%s", hv_last_error());
    double e = hvtest_nmse(got, ref, nd);
    const double bound = dt == HV_F16 ? 1e-5 : 1e-9;
    printf("roi_align %s case %d (L=%d P=%d sr=%d aligned=%d levels=%s): NMSE %.3e\n", hv_dtype_name(dt), i, L, tc->out,
           tc->sr, tc->aligned, tc->has_levels ? "given" : "rule", e);
    ck_assert_uint_eq(hvtest_count_nonfinite(got, nd), 0);
    ck_assert_msg(e <= bound, "NMSE %.3e > %.0e", e, bound);
    /* RoI 11 has batch index 7 ≥ N: all zeros */
    const size_t per = (size_t)tc->c * tc->out * tc->out;
    for (size_t k = 0; k < per; ++k) ck_assert(got[11 * per + k] == 0.0f);
    for (uint32_t k = 0; k < ns; ++k) free(d[k]);
    free(ref);
    free(got);
}

START_TEST(vulkan_f32_matches_ref) { run_case(_i, HV_F32); }
END_TEST

START_TEST(vulkan_f16_matches_ref) {
    if (!hv_device_get_info(opsdcn_device())->storage16) {
        hvtest_skip("roi_align f16: the device has no 16-bit storage");
        return;
    }
    run_case(_i, HV_F16);
}
END_TEST

int main(void) {
    Suite *s = suite_create("roi_align");
    TCase *tc = tcase_create("vulkan");
    tcase_set_timeout(tc, 300);
    const int nc = (int)(sizeof cases / sizeof cases[0]);
    tcase_add_loop_test(tc, vulkan_f32_matches_ref, 0, nc);
    tcase_add_loop_test(tc, vulkan_f16_matches_ref, 0, nc);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
