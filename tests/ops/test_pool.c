/* Max pool: FPN's P6 (kernel 1, stride 2: P6[y,x] = P5[2y,2x], 7 → 4), 3×3 s2 p1, odd sizes, N > 1,
 * NaN propagation, shape errors, Vulkan vs the CPU reference. */
#include "opsconv_test.h"

static hv_tensor_desc d4(int64_t a, int64_t b, int64_t c, int64_t d) {
    return (hv_tensor_desc){.dtype = HV_F32, .layout = HV_LAYOUT_NCHW, .rank = 4, .dims = {a, b, c, d}};
}

START_TEST(p6_subsampling) {
    float x[49], y[16];
    for (int i = 0; i < 49; i++) x[i] = (float)i;
    hv_maxpool_params p = {.kernel_h = 1, .kernel_w = 1, .stride_h = 2, .stride_w = 2};
    hv_tensor_desc src[1] = {d4(1, 1, 7, 7)}, out;
    ck_assert_int_eq(hv_op_maxpool.infer(&p, src, 1, &out), HV_OK);
    ck_assert_int_eq(out.dims[2], 4);
    ck_assert_int_eq(out.dims[3], 4);
    const float *data[1] = {x};
    ck_assert_int_eq(hv_op_maxpool.ref(&p, src, data, 1, &out, y), HV_OK);
    for (int r = 0; r < 4; r++)
        for (int c = 0; c < 4; c++) ck_assert_float_eq(y[r * 4 + c], x[2 * r * 7 + 2 * c]);
}
END_TEST

START_TEST(shape_errors) {
    hv_maxpool_params p = {.kernel_h = 2, .kernel_w = 2, .pad_top = 2};
    hv_tensor_desc out, src[1] = {d4(1, 1, 5, 5)};
    ck_assert_int_eq(hv_op_maxpool.infer(&p, src, 1, &out), HV_ERR_SHAPE); /* pad ≥ kernel */
    p = (hv_maxpool_params){.kernel_h = 6, .kernel_w = 2};
    ck_assert_int_eq(hv_op_maxpool.infer(&p, src, 1, &out), HV_ERR_SHAPE); /* kernel > input */
}
END_TEST

START_TEST(vulkan_vs_reference) {
    hv_maxpool_params p6 = {.kernel_h = 1, .kernel_w = 1, .stride_h = 2, .stride_w = 2};
    hv_tensor_desc a[1] = {d4(2, 3, 7, 5)};
    oc_check(&hv_op_maxpool, &p6, a, 1, "maxpool k1 s2 (P6)");
    hv_maxpool_params k3 = {.kernel_h = 3, .kernel_w = 3, .stride_h = 2, .stride_w = 2, .pad_top = 1,
                            .pad_bottom = 1, .pad_left = 1, .pad_right = 1};
    hv_tensor_desc b[1] = {d4(1, 5, 9, 6)};
    oc_check(&hv_op_maxpool, &k3, b, 1, "maxpool 3x3 s2 p1");
    hv_tensor_desc c[1] = {d4(1, 2, 1, 1)};
    oc_check(&hv_op_maxpool, &k3, c, 1, "maxpool 1x1 image");
    hv_maxpool_params k2 = {.kernel_h = 2, .kernel_w = 3, .stride_h = 2, .stride_w = 1};
    hv_tensor_desc d[1] = {d4(2, 3, 5, 4)};
    oc_check(&hv_op_maxpool, &k2, d, 1, "maxpool 2x3 s(2,1)");
}
END_TEST

int main(void) {
    Suite *s = suite_create("pool");
    TCase *tc = tcase_create("pool");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, p6_subsampling);
    tcase_add_test(tc, shape_errors);
    tcase_add_test(tc, vulkan_vs_reference);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
