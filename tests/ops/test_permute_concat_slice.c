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
    hv_permute_params swap_hw = {{0, 1, 3, 2}}, swap_hw_nhwc = {{0, 2, 1, 3}}, other = {{1, 0, 2, 3}};
    ck_assert_int_eq(hv_op_permute.infer(&swap_hw, x, 1, &z), HV_OK); /* a transpose stays NCHW */
    ck_assert_int_eq(z.layout, HV_LAYOUT_NCHW);
    ck_assert_int_eq(z.dims[2], 5);
    ck_assert_int_eq(hv_op_permute.infer(&swap_hw_nhwc, &y, 1, &z), HV_OK);
    ck_assert_int_eq(z.layout, HV_LAYOUT_NHWC);
    ck_assert_int_eq(hv_op_permute.infer(&other, x, 1, &z), HV_OK); /* batch and channels swapped: unknown */
    ck_assert_int_eq(z.layout, HV_LAYOUT_ANY);
    exact(&hv_op_permute, &swap_hw, x, 1, "permute {0,1,3,2} (transpose H, W)");
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
    hv_slice_params neg = {.axis = 1, .start = 0, .end = 2, .step = -1}; /* backwards from 0 to 2: nothing */
    ck_assert_int_eq(hv_op_slice.infer(&neg, x, 1, &out), HV_ERR_SHAPE);
}
END_TEST

/* Negative steps (Python's x[s:e:-k]): the reference against hand-written index maps, then the device
 * against the reference — a flip (x[::-1]) of W and of H, a strided backward slice, and clamping. */
START_TEST(slice_backwards) {
    enum { N = 2, C = 3, H = 4, W = 5 };
    hv_tensor_desc x[1] = {d4(N, C, H, W, HV_LAYOUT_NCHW)}, out;
    float v[N * C * H * W], y[N * C * H * W];
    for (int i = 0; i < N * C * H * W; i++) v[i] = (float)i;
    const float *srcs[1] = {v};
    hv_slice_params hflip = {.axis = 3, .start = -1, .end = INT64_MIN, .step = -1};
    ck_assert_int_eq(hv_op_slice.infer(&hflip, x, 1, &out), HV_OK);
    ck_assert_int_eq(out.dims[3], W);
    ck_assert_int_eq(hv_op_slice.ref(&hflip, x, srcs, 1, &out, y), HV_OK);
    for (int i = 0; i < N * C * H; i++)
        for (int j = 0; j < W; j++) ck_assert_float_eq(y[i * W + j], v[i * W + (W - 1 - j)]);
    exact(&hv_op_slice, &hflip, x, 1, "slice W ::-1 (horizontal flip)");
    hv_slice_params vflip = {.axis = 2, .start = H - 1, .end = -H - 1, .step = -1};
    ck_assert_int_eq(hv_op_slice.infer(&vflip, x, 1, &out), HV_OK);
    ck_assert_int_eq(hv_op_slice.ref(&vflip, x, srcs, 1, &out, y), HV_OK);
    for (int p = 0; p < N * C; p++)
        for (int r = 0; r < H; r++)
            for (int j = 0; j < W; j++) ck_assert_float_eq(y[(p * H + r) * W + j], v[(p * H + (H - 1 - r)) * W + j]);
    exact(&hv_op_slice, &vflip, x, 1, "slice H ::-1 (vertical flip)");
    hv_slice_params strided = {.axis = 1, .start = 1000, .end = 0, .step = -2}; /* clamps to C−1: [2] only */
    ck_assert_int_eq(hv_op_slice.infer(&strided, x, 1, &out), HV_OK);
    ck_assert_int_eq(out.dims[1], 1);
    ck_assert_int_eq(hv_op_slice.ref(&strided, x, srcs, 1, &out, y), HV_OK);
    for (int n = 0; n < N; n++)
        for (int k = 0; k < H * W; k++) ck_assert_float_eq(y[n * H * W + k], v[(n * C + 2) * H * W + k]);
    hv_slice_params w_back2 = {.axis = -1, .start = -1, .end = -5, .step = -2}; /* columns 4, 2 */
    ck_assert_int_eq(hv_op_slice.infer(&w_back2, x, 1, &out), HV_OK);
    ck_assert_int_eq(out.dims[3], 2);
    exact(&hv_op_slice, &w_back2, x, 1, "slice W -1:-5:-2");
}
END_TEST

int main(void) {
    Suite *s = suite_create("permute_concat_slice");
    TCase *tc = tcase_create("movement");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, permute_layouts);
    tcase_add_test(tc, concat_axes);
    tcase_add_test(tc, slice_steps);
    tcase_add_test(tc, slice_backwards);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
