/* Data movement: permute NCHW ↔ NHWC (layouts tracked) and a general permutation, concat of 2..4 inputs
 * on several axes, slice with start/end/step and negative bounds; exact copies, so the device output
 * must equal the reference bit for bit (NMSE 0). */
#include "opsconv_test.h"

static hv_tensor_desc d4(int64_t a, int64_t b, int64_t c, int64_t d, hv_layout l) {
    return (hv_tensor_desc){.dtype = HV_F32, .layout = l, .rank = 4, .dims = {a, b, c, d}};
}

static void exact(const hv_op_def *op, const void *p, const hv_tensor_desc *src, uint32_t n, const char *what) {
    oc_check_dtype(op, p, src, n, HV_F32, -1, 1, 0, what);
    oc_check_dtype(op, p, src, n, HV_F16, -1, 1, 0, what);
}

START_TEST(permute_layouts) {
    hv_permute_params to_nhwc = {{0, 2, 3, 1}}, to_nchw = {{0, 3, 1, 2}};
    hv_tensor_desc x[1] = {d4(2, 3, 4, 5, HV_LAYOUT_NCHW)}, y, z;
    ck_assert_int_eq(hv_op_permute.infer(&to_nhwc, x, 1, &y), HV_OK);
    ck_assert_int_eq(y.layout, HV_LAYOUT_NHWC);
    ck_assert_int_eq(y.dims[3], 3);
    ck_assert_int_eq(hv_op_permute.infer(&to_nchw, &y, 1, &z), HV_OK);
    ck_assert_int_eq(z.layout, HV_LAYOUT_NCHW);
    hv_permute_params bad = {{0, 1, 1, 2}};
    ck_assert_int_eq(hv_op_permute.infer(&bad, x, 1, &y), HV_ERR_INVALID_ARGUMENT);
    exact(&hv_op_permute, &to_nhwc, x, 1, "permute nchw->nhwc");
    exact(&hv_op_permute, &to_nchw, x, 1, "permute {0,3,1,2}");
    hv_permute_params t3 = {{2, 0, 1, 0}};
    hv_tensor_desc r3[1] = {{.dtype = HV_F32, .rank = 3, .dims = {3, 5, 7, 1}}};
    exact(&hv_op_permute, &t3, r3, 1, "permute rank 3");
}
END_TEST

START_TEST(concat_axes) {
    hv_concat_params c1 = {.axis = 1};
    hv_tensor_desc a[3] = {d4(2, 3, 4, 5, HV_LAYOUT_NCHW), d4(2, 1, 4, 5, HV_LAYOUT_NCHW),
                           d4(2, 6, 4, 5, HV_LAYOUT_NCHW)}, out;
    ck_assert_int_eq(hv_op_concat.infer(&c1, a, 3, &out), HV_OK);
    ck_assert_int_eq(out.dims[1], 10);
    exact(&hv_op_concat, &c1, a, 3, "concat channels");
    hv_concat_params cl = {.axis = -1};
    hv_tensor_desc b[4] = {d4(1, 2, 3, 1, HV_LAYOUT_ANY), d4(1, 2, 3, 4, HV_LAYOUT_ANY),
                           d4(1, 2, 3, 2, HV_LAYOUT_ANY), d4(1, 2, 3, 3, HV_LAYOUT_ANY)};
    exact(&hv_op_concat, &cl, b, 4, "concat last axis, 4 inputs");
    hv_concat_params c0 = {.axis = 0};
    hv_tensor_desc c[2] = {d4(1, 2, 3, 3, HV_LAYOUT_NCHW), d4(2, 2, 3, 3, HV_LAYOUT_NCHW)};
    exact(&hv_op_concat, &c0, c, 2, "concat batch");
    a[1].dims[2] = 3;
    ck_assert_int_eq(hv_op_concat.infer(&c1, a, 3, &out), HV_ERR_SHAPE);
    ck_assert_int_eq(hv_op_concat.infer(&c1, a, 1, &out), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

START_TEST(slice_steps) {
    hv_tensor_desc x[1] = {d4(2, 7, 5, 6, HV_LAYOUT_NCHW)}, out;
    hv_slice_params s1 = {.axis = 1, .start = 1, .end = 6, .step = 2};
    ck_assert_int_eq(hv_op_slice.infer(&s1, x, 1, &out), HV_OK);
    ck_assert_int_eq(out.dims[1], 3);
    exact(&hv_op_slice, &s1, x, 1, "slice channels 1:6:2");
    hv_slice_params s2 = {.axis = -1, .start = -4, .end = 1000};
    ck_assert_int_eq(hv_op_slice.infer(&s2, x, 1, &out), HV_OK);
    ck_assert_int_eq(out.dims[3], 4);
    exact(&hv_op_slice, &s2, x, 1, "slice last -4:");
    hv_slice_params s3 = {.axis = 2, .start = 0, .end = 5, .step = 2};
    exact(&hv_op_slice, &s3, x, 1, "slice rows ::2 (subsampling)");
    hv_slice_params empty = {.axis = 1, .start = 5, .end = 2};
    ck_assert_int_eq(hv_op_slice.infer(&empty, x, 1, &out), HV_ERR_SHAPE);
    hv_slice_params neg = {.axis = 1, .start = 0, .end = 2, .step = -1};
    ck_assert_int_eq(hv_op_slice.infer(&neg, x, 1, &out), HV_ERR_INVALID_ARGUMENT);
}
END_TEST

int main(void) {
    Suite *s = suite_create("permute_concat_slice");
    TCase *tc = tcase_create("movement");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, permute_layouts);
    tcase_add_test(tc, concat_axes);
    tcase_add_test(tc, slice_steps);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
