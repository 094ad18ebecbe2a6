/* add / sub / mul with broadcasting, the global average pool, on Vulkan vs the CPU reference. */
#include <check.h>
#include <stdio.h>

#include "hvtest.h"
#include "ops/ops_basic_defs.h"
#include "optest.h"

static bool run_binary(hv_binary_kind kind, hv_activation act, hv_tensor_desc a, hv_tensor_desc b, const char *label) {
    hv_binary_params p = {.kind = kind, .act = act};
    optest_case c = {.op = &hv_op_binary, .params = &p, .n_src = 2, .label = label};
    c.src[0] = a;
    c.src[1] = b;
    return optest_check(&c, HV_F32) && optest_check(&c, HV_F16);
}

START_TEST(binary_broadcast_grid) {
    struct {
        hv_tensor_desc a, b;
        const char *label;
    } cases[] = {
        {optest_desc(HV_LAYOUT_NCHW, 4, 2, 3, 5, 7), optest_desc(HV_LAYOUT_NCHW, 4, 2, 3, 5, 7), "same shape"},
        {optest_desc(HV_LAYOUT_NCHW, 4, 2, 13, 5, 7), optest_desc(HV_LAYOUT_NCHW, 4, 2, 13, 1, 1), "SE [N,C,1,1]"},
        {optest_desc(HV_LAYOUT_NHWC, 4, 2, 5, 3, 11), optest_desc(HV_LAYOUT_ANY, 1, 11, 0, 0, 0), "layer scale [C]"},
        {optest_desc(HV_LAYOUT_ANY, 1, 1, 0, 0, 0), optest_desc(HV_LAYOUT_NCHW, 4, 3, 2, 4, 5), "scalar a"},
        {optest_desc(HV_LAYOUT_ANY, 3, 4, 1, 6, 0), optest_desc(HV_LAYOUT_ANY, 2, 5, 1, 0, 0), "both broadcast"},
        {optest_desc(HV_LAYOUT_ANY, 2, 1, 9, 0, 0), optest_desc(HV_LAYOUT_ANY, 2, 7, 1, 0, 0), "outer product"},
        {optest_desc(HV_LAYOUT_ANY, 1, 1001, 0, 0, 0), optest_desc(HV_LAYOUT_ANY, 1, 1001, 0, 0, 0), "1-D odd"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int k = HV_BINARY_ADD; k <= HV_BINARY_MUL; k++)
            ck_assert(run_binary((hv_binary_kind)k, HV_ACT_NONE, cases[i].a, cases[i].b, cases[i].label));
    /* A fused activation on the result. */
    ck_assert(run_binary(HV_BINARY_ADD, HV_ACT_RELU, cases[1].a, cases[1].b, "add+relu"));
    ck_assert(run_binary(HV_BINARY_MUL, HV_ACT_SIGMOID, cases[2].a, cases[2].b, "mul+sigmoid"));
}
END_TEST

START_TEST(binary_output_shape_and_errors) {
    hv_binary_params p = {.kind = HV_BINARY_MUL};
    hv_tensor_desc src[2] = {optest_desc(HV_LAYOUT_NHWC, 4, 2, 5, 3, 11), optest_desc(HV_LAYOUT_ANY, 1, 11, 0, 0, 0)};
    hv_tensor_desc dst;
    ck_assert_int_eq(hv_op_binary.infer(&p, src, 2, &dst), HV_OK);
    ck_assert_uint_eq(dst.rank, 4);
    ck_assert_int_eq(dst.layout, HV_LAYOUT_NHWC);
    ck_assert_int_eq(dst.dims[3], 11);
    optest_case c = {.op = &hv_op_binary, .params = &p, .n_src = 2};
    c.src[0] = optest_desc(HV_LAYOUT_NCHW, 4, 2, 3, 5, 7);
    c.src[1] = optest_desc(HV_LAYOUT_NCHW, 4, 2, 4, 1, 1);
    ck_assert(optest_expect_shape_error(&c, "[2, 3, 5, 7]"));
    c.src[1] = optest_desc(HV_LAYOUT_NCHW, 4, 2, 3, 5, 7);
    c.src[1].dtype = HV_F16;
    ck_assert(optest_expect_shape_error(&c, NULL)); /* mixed dtypes are refused */
}
END_TEST

START_TEST(f16_add_overflow_saturates) {
    float a[3] = {60000.0f, -60000.0f, 1.0f}, b[3] = {60000.0f, -60000.0f, 2.0f};
    hv_binary_params p = {.kind = HV_BINARY_ADD};
    optest_case c = {.op = &hv_op_binary, .params = &p, .n_src = 2, .label = "overflow"};
    c.src[0] = c.src[1] = optest_desc(HV_LAYOUT_ANY, 1, 3, 0, 0, 0);
    c.data[0] = a;
    c.data[1] = b;
    optest_result r;
    ck_assert_int_eq(optest_run(&c, HV_F16, false, &r), HV_OK);
    ck_assert_msg(r.out[0] == 65504.0f && r.out[1] == -65504.0f && r.out[2] == 3.0f, "got %g %g %g", r.out[0],
                  r.out[1], r.out[2]);
    ck_assert(r.guards_ok);
    optest_result_free(&r);
}
END_TEST

START_TEST(gap_layouts) {
    /* Both kernel families (gap.comp's tree sum / gap_cpu's one invocation per (n, c)): planes of 1, 49
     * and 3136 values, odd channel counts and N·C not a multiple of the 64-wide workgroups, batch 2. */
    hv_tensor_desc xs[] = {optest_desc(HV_LAYOUT_NCHW, 4, 1, 1, 1, 1),   optest_desc(HV_LAYOUT_NCHW, 4, 2, 5, 7, 9),
                           optest_desc(HV_LAYOUT_NCHW, 4, 3, 4, 23, 23), optest_desc(HV_LAYOUT_NHWC, 4, 2, 7, 9, 5),
                           optest_desc(HV_LAYOUT_NHWC, 4, 3, 13, 11, 67), optest_desc(HV_LAYOUT_NHWC, 4, 1, 1, 1, 3),
                           optest_desc(HV_LAYOUT_NCHW, 4, 2, 67, 7, 7),  optest_desc(HV_LAYOUT_NCHW, 4, 2, 131, 1, 1),
                           optest_desc(HV_LAYOUT_NHWC, 4, 2, 1, 1, 131), optest_desc(HV_LAYOUT_NHWC, 4, 2, 7, 7, 67),
                           optest_desc(HV_LAYOUT_NCHW, 4, 1, 3, 56, 56)};
    for (int fam = 0; fam < OPTEST_KERNEL_FAMILIES; fam++) {
        const char *family = optest_use_kernel_family(fam);
        for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) {
            char label[48];
            snprintf(label, sizeof label, "%s %s", xs[i].layout == HV_LAYOUT_NHWC ? "NHWC" : "NCHW", family);
            optest_case c = {.op = &hv_op_gap, .n_src = 1, .label = label};
            c.src[0] = xs[i];
            c.lo = 0.5f, c.hi = 3.0f; /* positive data: the mean is not near 0 */
            ck_assert(optest_check(&c, HV_F32));
            ck_assert(optest_check(&c, HV_F16));
        }
    }
    optest_case bad = {.op = &hv_op_gap, .n_src = 1};
    bad.src[0] = optest_desc(HV_LAYOUT_ANY, 4, 1, 2, 3, 4);
    ck_assert(optest_expect_shape_error(&bad, "NCHW or NHWC"));
}
END_TEST

int main(void) {
    Suite *s = suite_create("eltwise");
    TCase *tc = tcase_create("eltwise");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, binary_broadcast_grid);
    tcase_add_test(tc, binary_output_shape_and_errors);
    tcase_add_test(tc, f16_add_overflow_saturates);
    tcase_add_test(tc, gap_layouts);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
