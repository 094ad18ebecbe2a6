/* Softmax: last axis (classifier), a middle axis, DCNv3's grouped softmax ([.., G·K] per K), long rows
 * (workgroup kernel), large logits (max subtraction), shape errors. */
#include "opsconv_test.h"

static hv_tensor_desc dn(uint32_t r, int64_t a, int64_t b, int64_t c, int64_t d) {
    return (hv_tensor_desc){.dtype = HV_F32, .rank = r, .dims = {a, b, c, d}};
}

START_TEST(grouped_sums_to_one) {
    float x[12], y[12];
    hvtest_fill_uniform(x, 12, 5, -3, 3);
    hv_softmax_params p = {.axis = -1, .group_size = 3};
    hv_tensor_desc src[1] = {dn(2, 2, 6, 1, 1)}, out;
    ck_assert_int_eq(hv_op_softmax.infer(&p, src, 1, &out), HV_OK);
    const float *data[1] = {x};
    ck_assert_int_eq(hv_op_softmax.ref(&p, src, data, 1, &out, y), HV_OK);
    for (int g = 0; g < 4; g++) ck_assert_float_eq_tol(y[3 * g] + y[3 * g + 1] + y[3 * g + 2], 1.0, 1e-6);
    ck_assert(y[0] / y[1] - expf(x[0] - x[1]) < 1e-5f);
}
END_TEST

START_TEST(shape_errors) {
    hv_softmax_params p = {.axis = -1, .group_size = 4};
    hv_tensor_desc out, src[1] = {dn(2, 2, 6, 1, 1)};
    ck_assert_int_eq(hv_op_softmax.infer(&p, src, 1, &out), HV_ERR_SHAPE);
    p = (hv_softmax_params){.axis = 2};
    ck_assert_int_eq(hv_op_softmax.infer(&p, src, 1, &out), HV_ERR_SHAPE);
}
END_TEST

START_TEST(vulkan_vs_reference) {
    hv_softmax_params last = {.axis = -1};
    hv_tensor_desc a[1] = {dn(2, 3, 2, 1, 1)};
    oc_check(&hv_op_softmax, &last, a, 1, "softmax classifier logits");
    hv_softmax_params dcn = {.axis = 3, .group_size = 9};
    hv_tensor_desc b[1] = {dn(4, 2, 3, 5, 4 * 9)};
    oc_check(&hv_op_softmax, &dcn, b, 1, "softmax dcnv3 grouped G=4 K=9");
    hv_softmax_params mid = {.axis = 1};
    hv_tensor_desc c[1] = {dn(4, 2, 5, 3, 3)};
    oc_check(&hv_op_softmax, &mid, c, 1, "softmax axis 1 strided");
    hv_tensor_desc d[1] = {dn(2, 3, 700, 1, 1)};
    oc_check(&hv_op_softmax, &last, d, 1, "softmax long rows workgroup kernel");
    oc_check_dtype(&hv_op_softmax, &dcn, b, 1, HV_F32, 50, 90, 1e-9, "softmax large logits");
}
END_TEST

int main(void) {
    Suite *s = suite_create("softmax");
    TCase *tc = tcase_create("softmax");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, grouped_sums_to_one);
    tcase_add_test(tc, shape_errors);
    tcase_add_test(tc, vulkan_vs_reference);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
