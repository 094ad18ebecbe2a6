/* Resize: nearest ×2 (FPN top-down), nearest to an explicit non-integer size (PyTorch's float-scale
 * rule), bilinear half-pixel up and down (torch interpolate align_corners=False / cv2 INTER_LINEAR on
 * float), hand-checked values, shape errors, Vulkan vs the CPU reference. */
#include "opsconv_test.h"

static hv_tensor_desc d4(int64_t a, int64_t b, int64_t c, int64_t d) {
    return (hv_tensor_desc){.dtype = HV_F32, .layout = HV_LAYOUT_NCHW, .rank = 4, .dims = {a, b, c, d}};
}

START_TEST(known_values) {
    /* Bilinear 1×2 → 1×4: torch gives [0, 0.25, 0.75, 1] for input [0, 1]. */
    float x[2] = {0, 1}, y[4];
    hv_resize_params p = {.out_h = 1, .out_w = 4, .mode = HV_RESIZE_BILINEAR};
    hv_tensor_desc src[1] = {d4(1, 1, 1, 2)}, out;
    ck_assert_int_eq(hv_op_resize.infer(&p, src, 1, &out), HV_OK);
    const float *data[1] = {x};
    ck_assert_int_eq(hv_op_resize.ref(&p, src, data, 1, &out, y), HV_OK);
    const float want[4] = {0, 0.25f, 0.75f, 1};
    for (int i = 0; i < 4; i++) ck_assert_float_eq_tol(y[i], want[i], 1e-7);
    /* Nearest 3 → 5: src = floor(dst·0.6) = 0,0,1,1,2. */
    float x3[3] = {10, 20, 30}, y5[5];
    hv_resize_params n = {.out_h = 1, .out_w = 5, .mode = HV_RESIZE_NEAREST};
    src[0] = d4(1, 1, 1, 3);
    ck_assert_int_eq(hv_op_resize.infer(&n, src, 1, &out), HV_OK);
    const float *d3[1] = {x3};
    ck_assert_int_eq(hv_op_resize.ref(&n, src, d3, 1, &out, y5), HV_OK);
    const float w5[5] = {10, 10, 20, 20, 30};
    for (int i = 0; i < 5; i++) ck_assert_float_eq(y5[i], w5[i]);
}
END_TEST

START_TEST(shape_errors) {
    hv_resize_params p = {.out_h = 0, .out_w = 4};
    hv_tensor_desc out, src[1] = {d4(1, 1, 2, 2)};
    ck_assert_int_eq(hv_op_resize.infer(&p, src, 1, &out), HV_ERR_INVALID_ARGUMENT);
    p = (hv_resize_params){.out_h = 2, .out_w = 2, .mode = 7};
    ck_assert_int_eq(hv_op_resize.infer(&p, src, 1, &out), HV_ERR_INVALID_ARGUMENT);
    src[0].layout = HV_LAYOUT_NHWC;
    p.mode = HV_RESIZE_NEAREST;
    ck_assert_int_eq(hv_op_resize.infer(&p, src, 1, &out), HV_ERR_SHAPE);
}
END_TEST

START_TEST(vulkan_vs_reference) {
    hv_tensor_desc a[1] = {d4(2, 3, 4, 7)};
    hv_resize_params up2 = {.out_h = 8, .out_w = 14, .mode = HV_RESIZE_NEAREST};
    oc_check(&hv_op_resize, &up2, a, 1, "nearest x2");
    hv_resize_params odd = {.out_h = 7, .out_w = 13, .mode = HV_RESIZE_NEAREST};
    oc_check(&hv_op_resize, &odd, a, 1, "nearest 4x7 -> 7x13");
    hv_resize_params down = {.out_h = 3, .out_w = 2, .mode = HV_RESIZE_NEAREST};
    oc_check(&hv_op_resize, &down, a, 1, "nearest down");
    hv_resize_params bl = {.out_h = 9, .out_w = 5, .mode = HV_RESIZE_BILINEAR};
    oc_check(&hv_op_resize, &bl, a, 1, "bilinear 4x7 -> 9x5");
    hv_resize_params bd = {.out_h = 2, .out_w = 3, .mode = HV_RESIZE_BILINEAR};
    oc_check(&hv_op_resize, &bd, a, 1, "bilinear down");
    hv_tensor_desc one[1] = {d4(1, 2, 1, 1)};
    oc_check(&hv_op_resize, &bl, one, 1, "bilinear from 1x1");
}
END_TEST

int main(void) {
    Suite *s = suite_create("resize");
    TCase *tc = tcase_create("resize");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, known_values);
    tcase_add_test(tc, shape_errors);
    tcase_add_test(tc, vulkan_vs_reference);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
