/* Transposed conv 2×2 s2 (Mask R-CNN mask head, MODEL_SPEC §5.10): hand-computed case, shape errors,
 * Vulkan vs the CPU reference with bias + ReLU. */
#include "opsconv_test.h"

static hv_tensor_desc d4(int64_t a, int64_t b, int64_t c, int64_t d) {
    return (hv_tensor_desc){.dtype = HV_F32, .layout = HV_LAYOUT_NCHW, .rank = 4, .dims = {a, b, c, d}};
}
static hv_tensor_desc d1(int64_t a) { return (hv_tensor_desc){.dtype = HV_F32, .rank = 1, .dims = {a, 1, 1, 1}}; }

/* 1 input channel 1×2 image (1, 2), 1 output channel, kernel [[1,2],[3,4]], bias −3, relu. */
START_TEST(hand_computed) {
    float x[2] = {1, 2}, w[4] = {1, 2, 3, 4}, b[1] = {-3}, y[8];
    hv_deconv_params p = {.has_bias = true, .act = HV_ACT_RELU};
    hv_tensor_desc src[3] = {d4(1, 1, 1, 2), d4(1, 1, 2, 2), d1(1)}, out;
    ck_assert_int_eq(hv_op_deconv.infer(&p, src, 3, &out), HV_OK);
    ck_assert_int_eq(out.dims[2], 2);
    ck_assert_int_eq(out.dims[3], 4);
    const float *data[3] = {x, w, b};
    ck_assert_int_eq(hv_op_deconv.ref(&p, src, data, 3, &out, y), HV_OK);
    const float want[8] = {0, 0, 0, 1, 0, 1, 3, 5}; /* relu(x·w − 3) in 2×2 blocks */
    for (int i = 0; i < 8; i++) ck_assert_float_eq_tol(y[i], want[i], 1e-6);
}
END_TEST

START_TEST(shape_errors) {
    hv_deconv_params p = {0};
    hv_tensor_desc out, src[3] = {d4(1, 4, 3, 3), d4(3, 2, 2, 2), d1(2)};
    ck_assert_int_eq(hv_op_deconv.infer(&p, src, 2, &out), HV_ERR_SHAPE); /* C_in 4 vs weight 3 */
    src[1] = d4(4, 2, 2, 3);
    ck_assert_int_eq(hv_op_deconv.infer(&p, src, 2, &out), HV_ERR_SHAPE); /* non-square kernel */
    src[1] = d4(4, 2, 2, 2);
    ck_assert_int_eq(hv_op_deconv.infer(&p, src, 3, &out), HV_ERR_INVALID_ARGUMENT);
    p.has_bias = true;
    src[2] = d1(3);
    ck_assert_int_eq(hv_op_deconv.infer(&p, src, 3, &out), HV_ERR_SHAPE);
}
END_TEST

START_TEST(vulkan_vs_reference) {
    hv_deconv_params p = {.has_bias = true, .act = HV_ACT_RELU};
    hv_tensor_desc src[3] = {d4(2, 6, 5, 3), d4(6, 5, 2, 2), d1(5)};
    oc_check(&hv_op_deconv, &p, src, 3, "deconv 2x2 s2 bias relu");
    hv_deconv_params q = {0};
    hv_tensor_desc s1[2] = {d4(1, 3, 1, 1), d4(3, 7, 2, 2)};
    oc_check(&hv_op_deconv, &q, s1, 2, "deconv 1x1 image no bias");
    hv_tensor_desc s3[2] = {d4(1, 4, 3, 2), d4(4, 3, 3, 3)};
    oc_check(&hv_op_deconv, &q, s3, 2, "deconv 3x3 s3");
}
END_TEST

int main(void) {
    Suite *s = suite_create("deconv");
    TCase *tc = tcase_create("deconv");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, hand_computed);
    tcase_add_test(tc, shape_errors);
    tcase_add_test(tc, vulkan_vs_reference);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
