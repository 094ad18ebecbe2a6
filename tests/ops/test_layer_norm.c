/* Layer norm over channels: NCHW (axis 1, ConvNeXt LayerNorm2d / InternImage stem) and channels-last
 * (last axis, both the per-invocation and the workgroup-reduction kernels), optional affine, a large
 * mean (two-pass variance must not cancel), shape errors. */
#include "opsconv_test.h"
#include "optest.h"

static hv_tensor_desc d4(int64_t a, int64_t b, int64_t c, int64_t d, hv_layout l) {
    return (hv_tensor_desc){.dtype = HV_F32, .layout = l, .rank = 4, .dims = {a, b, c, d}};
}
static hv_tensor_desc d1(int64_t a) { return (hv_tensor_desc){.dtype = HV_F32, .rank = 1, .dims = {a, 1, 1, 1}}; }

START_TEST(known_values) {
    float x[4] = {1, 2, 3, 4}, y[4];
    hv_layer_norm_params p = {.axis = -1, .eps = 0};
    hv_tensor_desc src[1] = {{.dtype = HV_F32, .rank = 2, .dims = {1, 4}}}, out;
    ck_assert_int_eq(hv_op_layer_norm.infer(&p, src, 1, &out), HV_OK);
    const float *data[1] = {x};
    ck_assert_int_eq(hv_op_layer_norm.ref(&p, src, data, 1, &out, y), HV_OK);
    double s = 1 / sqrt(1.25);
    ck_assert_float_eq_tol(y[0], -1.5 * s, 1e-6);
    ck_assert_float_eq_tol(y[3], 1.5 * s, 1e-6);
}
END_TEST

START_TEST(shape_errors) {
    hv_layer_norm_params p = {.axis = 1, .eps = 1e-6f, .has_weight = true};
    hv_tensor_desc out, src[2] = {d4(1, 5, 2, 2, HV_LAYOUT_NCHW), d1(4)};
    ck_assert_int_eq(hv_op_layer_norm.infer(&p, src, 2, &out), HV_ERR_SHAPE);
    p.axis = 4;
    src[1] = d1(5);
    ck_assert_int_eq(hv_op_layer_norm.infer(&p, src, 2, &out), HV_ERR_SHAPE);
    p.axis = 1;
    ck_assert_int_eq(hv_op_layer_norm.infer(&p, src, 1, &out), HV_ERR_INVALID_ARGUMENT);
    p.eps = -1;
    ck_assert_int_eq(hv_op_layer_norm.infer(&p, src, 2, &out), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

/* "<what> <family>" in a buffer per call site, so a failure names the kernel family. */
#define LN_LABEL(what) (snprintf(label, sizeof label, "%s %s", what, fam_name), label)

/* Every Vulkan case in both kernel families: layer_norm.comp (row workgroups / column invocations) and
 * layer_norm_cpu (one invocation per vector for every shape, 64 per workgroup). */
START_TEST(vulkan_vs_reference) {
    for (int fam = 0; fam < OPTEST_KERNEL_FAMILIES; fam++) {
        const char *fam_name = optest_use_kernel_family(fam);
        char label[64];
        hv_layer_norm_params p = {.axis = 1, .eps = 1e-6f, .has_weight = true, .has_bias = true};
        hv_tensor_desc a[3] = {d4(2, 6, 5, 3, HV_LAYOUT_NCHW), d1(6), d1(6)};
        oc_check(&hv_op_layer_norm, &p, a, 3, LN_LABEL("ln nchw affine"));
        hv_layer_norm_params q = {.axis = -1, .eps = 1e-5f};
        hv_tensor_desc b[1] = {d4(1, 3, 5, 7, HV_LAYOUT_NHWC)};
        oc_check(&hv_op_layer_norm, &q, b, 1, LN_LABEL("ln nhwc C=7 no affine"));
        /* Long rows take the workgroup-reduction kernel (C ≥ 64): 300 spans two strides of 256. */
        hv_layer_norm_params r = {.axis = 3, .eps = 1e-6f, .has_weight = true, .has_bias = true};
        hv_tensor_desc c[3] = {d4(2, 3, 2, 300, HV_LAYOUT_NHWC), d1(300), d1(300)};
        oc_check(&hv_op_layer_norm, &r, c, 3, LN_LABEL("ln nhwc C=300 row kernel"));
        hv_tensor_desc e[3] = {d4(1, 1, 1, 1, HV_LAYOUT_NHWC), d1(1), d1(1)};
        oc_check(&hv_op_layer_norm, &r, e, 3, LN_LABEL("ln single element"));
        /* Large mean, small spread: values 1000 + [−1, 1). */
        hv_tensor_desc f[1] = {d4(1, 2, 1, 96, HV_LAYOUT_NHWC)};
        oc_check_dtype(&hv_op_layer_norm, &q, f, 1, HV_F32, 999, 1001, 1e-9,
                       LN_LABEL("ln large mean f32 row kernel"));
        hv_layer_norm_params nchw = {.axis = 1, .eps = 1e-6f};
        hv_tensor_desc g[1] = {d4(1, 80, 2, 3, HV_LAYOUT_NCHW)};
        oc_check_dtype(&hv_op_layer_norm, &nchw, g, 1, HV_F32, 999, 1001, 1e-9,
                       LN_LABEL("ln large mean f32 column kernel"));
        /* Batch 2, odd C not a multiple of 64, 98 vectors (two 64-wide workgroups, one partial), both
         * layouts, with and without the affine; two long rows of 131 (a mostly idle workgroup). */
        hv_tensor_desc h[3] = {d4(2, 7, 7, 67, HV_LAYOUT_NHWC), d1(67), d1(67)};
        oc_check(&hv_op_layer_norm, &r, h, 3, LN_LABEL("ln nhwc 2x7x7x67 affine"));
        hv_layer_norm_params w = {.axis = 1, .eps = 1e-5f, .has_weight = true};
        hv_tensor_desc k[2] = {d4(2, 67, 7, 7, HV_LAYOUT_NCHW), d1(67)};
        oc_check(&hv_op_layer_norm, &w, k, 2, LN_LABEL("ln nchw 2x67x7x7 weight only"));
        hv_tensor_desc m[1] = {d4(2, 1, 1, 131, HV_LAYOUT_NHWC)};
        oc_check(&hv_op_layer_norm, &q, m, 1, LN_LABEL("ln nhwc 2 rows of 131"));
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("layer_norm");
    TCase *tc = tcase_create("layer_norm");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, known_values);
    tcase_add_test(tc, shape_errors);
    tcase_add_test(tc, vulkan_vs_reference);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
