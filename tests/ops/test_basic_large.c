/* The basic element-wise ops and global average pool past one row of workgroups: more than
 * 65535 workgroups need the 2-D dispatch grid (opsconv_grid1d / linear_invocation), whose extra
 * invocations at the end must write nothing (guard regions) — EfficientNet-B7 activations at batch 8
 * reach 10^7..10^8 elements. Vulkan vs CPU reference through optest. */
#include <check.h>

#include "hvtest.h"
#include "ops/ops_basic_defs.h"
#include "optest.h"

/* 65535 workgroups × 256 invocations, plus a bit: the smallest count that needs a second grid row. */
#define PAST_ONE_ROW (65535LL * 256 + 333)

START_TEST(unary_2d_grid) {
    hv_unary_params p = {.act = HV_ACT_SILU};
    optest_case c = {.op = &hv_op_unary, .params = &p, .n_src = 1, .label = "silu 2-D grid"};
    c.src[0] = optest_desc(HV_LAYOUT_ANY, 1, PAST_ONE_ROW, 0, 0, 0);
    c.lo = -6, c.hi = 6;
    ck_assert(optest_check(&c, HV_F16));
}
END_TEST

START_TEST(binary_broadcast_2d_grid) {
    /* Squeeze-excitation scaling [N, C, H, W]·[N, C, 1, 1] with odd H, W; 2·37·481·473 elements. */
    hv_binary_params p = {.kind = HV_BINARY_MUL};
    optest_case c = {.op = &hv_op_binary, .params = &p, .n_src = 2, .label = "SE mul 2-D grid"};
    c.src[0] = optest_desc(HV_LAYOUT_NCHW, 4, 2, 37, 481, 473);
    c.src[1] = optest_desc(HV_LAYOUT_NCHW, 4, 2, 37, 1, 1);
    ck_assert_int_gt(hv_desc_numel(&c.src[0]), PAST_ONE_ROW);
    ck_assert(optest_check(&c, HV_F16));
}
END_TEST

START_TEST(gap_many_rows) {
    /* NCHW with N·C > 65535 rows (one workgroup per row), and a wide NHWC [N, 1, 1, C] head. */
    optest_case c = {.op = &hv_op_gap, .n_src = 1, .label = "NCHW 70001 rows"};
    c.src[0] = optest_desc(HV_LAYOUT_NCHW, 4, 1, 70001, 1, 3);
    c.lo = 0.5f, c.hi = 3.0f;
    ck_assert(optest_check(&c, HV_F32));
    c.label = "NHWC C 70001";
    c.src[0] = optest_desc(HV_LAYOUT_NHWC, 4, 2, 3, 1, 70001);
    ck_assert(optest_check(&c, HV_F16));
}
END_TEST

int main(void) {
    Suite *s = suite_create("basic_large");
    TCase *tc = tcase_create("basic_large");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, unary_2d_grid);
    tcase_add_test(tc, binary_broadcast_2d_grid);
    tcase_add_test(tc, gap_many_rows);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
