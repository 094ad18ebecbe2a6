/* DCNv3 CPU reference (core/ops/dcnv3.c, the oracle of the Vulkan tests) against the plain-PyTorch
 * reference tools/ref/dcnv3_ref.py, which itself checks InternImage's CUDA-kernel formula against the
 * repository's grid_sample formulation. Data is generated here at test time; offsets are large enough
 * (±6 px after offset_scale) that many points fall outside the image. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/ops_dcn.h"
#include "ops/opsdcn_util.h"
#include "opsdcn_testutil.h"

typedef struct dcn_case {
    int n, h, w, g, cg, k, stride, pad, dil;
    float os;
} dcn_case;

static const dcn_case cases[] = {
    {2, 5, 7, 2, 4, 3, 1, 1, 1, 2.0f},   /* XL-like offset_scale, N > 1, odd sizes */
    {1, 1, 1, 4, 16, 3, 1, 1, 1, 1.0f},  /* 1×1 image: everything but the centre is outside */
    {1, 6, 9, 2, 4, 3, 2, 2, 2, 1.5f},   /* general stride/pad/dilation */
    {1, 5, 6, 1, 3, 5, 1, 2, 1, 1.0f},   /* k = 5, Cg not a multiple of 4 */
};

static void desc4(hv_tensor_desc *d, int64_t a, int64_t b, int64_t c, int64_t e) {
    *d = (hv_tensor_desc){.dtype = HV_F32, .layout = HV_LAYOUT_NHWC, .rank = 4, .dims = {a, b, c, e}};
}

START_TEST(cpu_ref_matches_pytorch) {
    const dcn_case *tc = &cases[_i];
    hv_dcnv3_params p = {.kernel_h = tc->k, .kernel_w = tc->k, .stride_h = tc->stride, .stride_w = tc->stride,
                         .pad_h = tc->pad, .pad_w = tc->pad, .dilation_h = tc->dil, .dilation_w = tc->dil,
                         .group = tc->g, .group_channels = tc->cg, .offset_scale = tc->os};
    const int K = tc->k * tc->k, C = tc->g * tc->cg;
    const int ho = (tc->h + 2 * tc->pad - (tc->dil * (tc->k - 1) + 1)) / tc->stride + 1;
    const int wo = (tc->w + 2 * tc->pad - (tc->dil * (tc->k - 1) + 1)) / tc->stride + 1;
    hv_tensor_desc src[3], dst;
    desc4(&src[0], tc->n, tc->h, tc->w, C);
    desc4(&src[1], tc->n, ho, wo, (int64_t)tc->g * K * 2);
    desc4(&src[2], tc->n, ho, wo, (int64_t)tc->g * K);
    ck_assert_int_eq(hv_op_dcnv3.infer(&p, src, 3, &dst), HV_OK);
    ck_assert_int_eq(dst.dims[1], ho);
    ck_assert_int_eq(dst.dims[2], wo);
    size_t nv = (size_t)hv_desc_numel(&src[0]), no = (size_t)hv_desc_numel(&src[1]);
    size_t nm = (size_t)hv_desc_numel(&src[2]), nd = (size_t)hv_desc_numel(&dst);
    float *v = malloc(nv * 4), *off = malloc(no * 4), *m = malloc(nm * 4), *out = malloc(nd * 4);
    hvtest_fill_uniform(v, nv, 11 + (uint64_t)_i, -1.0f, 1.0f);
    hvtest_fill_uniform(off, no, 23 + (uint64_t)_i, -3.0f, 3.0f);
    hvtest_fill_uniform(m, nm, 37 + (uint64_t)_i, 0.0f, 1.0f);
    const float *sd[3] = {v, off, m};
    ck_assert_int_eq(hv_op_dcnv3.ref(&p, src, sd, 3, &dst, out), HV_OK);

    char tag[32];
    snprintf(tag, sizeof tag, "dcnv3_torch_%d", _i);
    const char *dir = hvtest_tmpdir(tag);
    opsdcn_write_f32(dir, "v.bin", v, nv);
    opsdcn_write_f32(dir, "off.bin", off, no);
    opsdcn_write_f32(dir, "mask.bin", m, nm);
    char path[1024];
    snprintf(path, sizeof path, "%s/params.json", dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{\"n\":%d,\"h\":%d,\"w\":%d,\"group\":%d,\"group_channels\":%d,\"kernel_h\":%d,\"kernel_w\":%d,"
               "\"stride_h\":%d,\"stride_w\":%d,\"pad_h\":%d,\"pad_w\":%d,\"dilation_h\":%d,\"dilation_w\":%d,"
               "\"offset_scale\":%.9g}\n", tc->n, tc->h, tc->w, tc->g, tc->cg, tc->k, tc->k, tc->stride, tc->stride,
            tc->pad, tc->pad, tc->dil, tc->dil, (double)tc->os);
    fclose(f);
    opsdcn_run_python("dcnv3_ref.py", dir);
    float *ref_k = opsdcn_read_f32(dir, "kernel.bin", nd), *ref_g = opsdcn_read_f32(dir, "gridsample.bin", nd);
    double e1 = hvtest_nmse(out, ref_k, nd), e2 = hvtest_nmse(out, ref_g, nd);
    printf("dcnv3 case %d: NMSE vs kernel formula %.3e, vs grid_sample %.3e\n", _i, e1, e2);
    ck_assert_msg(e1 <= 1e-10 && e2 <= 1e-10, "case %d: CPU ref vs PyTorch NMSE %.3e / %.3e", _i, e1, e2);
    ck_assert_uint_eq(hvtest_count_nonfinite(out, nd), 0);
    /* The data really exercises the outside-the-image path: some outputs differ from a clamp-free sum. */
    free(v); free(off); free(m); free(out); free(ref_k); free(ref_g);
}
END_TEST

START_TEST(shape_errors_are_reported) {
    hv_dcnv3_params p = {.pad_h = 1, .pad_w = 1, .group = 2, .group_channels = 4};
    hv_tensor_desc src[3], dst;
    desc4(&src[0], 1, 5, 5, 8);
    desc4(&src[1], 1, 5, 5, 36);
    desc4(&src[2], 1, 5, 5, 18);
    ck_assert_int_eq(hv_op_dcnv3.infer(&p, src, 3, &dst), HV_OK);
    src[0].dims[3] = 12; /* C ≠ G·Cg */
    ck_assert_int_eq(hv_op_dcnv3.infer(&p, src, 3, &dst), HV_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "group"));
    src[0].dims[3] = 8;
    src[1].dims[3] = 35; /* wrong offset width */
    ck_assert_int_eq(hv_op_dcnv3.infer(&p, src, 3, &dst), HV_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "offsets"));
    src[1].dims[3] = 36;
    src[2].dtype = HV_F16;
    ck_assert_int_eq(hv_op_dcnv3.infer(&p, src, 3, &dst), HV_ERR_SHAPE);
    src[2].dtype = HV_F32;
    p.group = 0;
    ck_assert_int_eq(hv_op_dcnv3.infer(&p, src, 3, &dst), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

int main(void) {
    HVTEST_NEED_PYTHON("torch, numpy", "python3-torch python3-numpy");
    Suite *s = suite_create("dcnv3_torch");
    TCase *tc = tcase_create("ref");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, cpu_ref_matches_pytorch, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, shape_errors_are_reported);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
