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

/* One test function: opening the device (with the validation layer) per forked test costs more than
 * the cases themselves on lavapipe. */
START_TEST(past_one_row_of_workgroups) {
    hv_unary_params p = {.act = HV_ACT_SILU};
    optest_case c = {.op = &hv_op_unary, .params = &p, .n_src = 1, .label = "silu 2-D grid"};
    c.src[0] = optest_desc(HV_LAYOUT_ANY, 1, PAST_ONE_ROW, 0, 0, 0);
    c.lo = -6, c.hi = 6;
    ck_assert(optest_check(&c, HV_F16));

    /* Squeeze-excitation scaling [N, C, H, W]·[N, C, 1, 1] with odd H, W; 2·37·481·473 elements. */
    hv_binary_params bp = {.kind = HV_BINARY_MUL};
    optest_case b = {.op = &hv_op_binary, .params = &bp, .n_src = 2, .label = "SE mul 2-D grid"};
    b.src[0] = optest_desc(HV_LAYOUT_NCHW, 4, 2, 37, 481, 473);
    b.src[1] = optest_desc(HV_LAYOUT_NCHW, 4, 2, 37, 1, 1);
    ck_assert_int_gt(hv_desc_numel(&b.src[0]), PAST_ONE_ROW);
    ck_assert(optest_check(&b, HV_F16));

    /* NCHW with N·C > 65535 rows (one workgroup per row), and a wide NHWC [N, 1, 1, C] head. */
    optest_case g = {.op = &hv_op_gap, .n_src = 1, .label = "NCHW 70001 rows"};
    g.src[0] = optest_desc(HV_LAYOUT_NCHW, 4, 1, 70001, 1, 3);
    g.lo = 0.5f, g.hi = 3.0f;
    ck_assert(optest_check(&g, HV_F32));
    g.label = "NHWC C 70001";
    g.src[0] = optest_desc(HV_LAYOUT_NHWC, 4, 2, 3, 1, 70001);
    ck_assert(optest_check(&g, HV_F16));
}
END_TEST

int main(void) {
    Suite *s = suite_create("basic_large");
    TCase *tc = tcase_create("basic_large");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, past_one_row_of_workgroups);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
