/* linear and batched matmul over a grid of odd sizes, on Vulkan vs the CPU reference (optest: NMSE
 * f32 <= 1e-9 / f16 <= 1e-5, NaN/Inf, guard regions, validation messages).
 *
 * Sizes {1, 3, 17, 64, 65, 130, 257}: 1, primes, one tile, one tile +1, two and four tiles with a tail
 * (the GEMM tile is 64×64×16). Every (M, N) pair runs, with K cycling through the same set per pair
 * (a Latin square: each K meets every M and every N), so a tail in M, N and K, and several tiles in
 * both grid dimensions at once, are all exercised; the full cube would cost 7× the time on lavapipe
 * for little more coverage. test_gemm.c has the fused-activation/residual and shape-error cases.
 * Each test runs once per kernel family (_i: 0 gemm.comp, 1 gemm_cpu.comp; its 128-wide tiles get
 * their tails from 130 and 257). */
#include <check.h>
#include <stdio.h>

#include "hvtest.h"
#include "ops/ops_basic_defs.h"
#include "optest.h"

static const int64_t sizes[] = {1, 3, 17, 64, 65, 130, 257};
#define NS ((int)(sizeof sizes / sizeof sizes[0]))

static optest_case linear_case(char *label, size_t cap, int64_t m, int64_t n, int64_t k, hv_linear_params *p) {
    optest_case c = {.op = &hv_op_linear, .params = p, .label = label};
    snprintf(label, cap, "M%lld N%lld K%lld%s", (long long)m, (long long)n, (long long)k, p->has_bias ? " +b" : "");
    c.src[0] = optest_desc(HV_LAYOUT_ANY, 2, m, k, 0, 0);
    c.src[1] = optest_desc(HV_LAYOUT_ANY, 2, n, k, 0, 0);
    c.n_src = 2;
    if (p->has_bias) c.src[c.n_src++] = optest_desc(HV_LAYOUT_ANY, 1, n, 0, 0, 0);
    return c;
}

START_TEST(linear_odd_grid_f32) {
    optest_use_kernel_family(_i);
    for (int i = 0; i < NS; i++)
        for (int j = 0; j < NS; j++) {
            char label[64];
            hv_linear_params p = {.has_bias = (i + j) % 2 == 0};
            optest_case c = linear_case(label, sizeof label, sizes[i], sizes[j], sizes[(i + 2 * j) % NS], &p);
            ck_assert_msg(optest_check(&c, HV_F32), "%s", label);
        }
}
END_TEST

START_TEST(linear_odd_grid_f16) {
    optest_use_kernel_family(_i);
    /* The other K of each pair than the f32 run, so the two runs together cover 98 of the 343 triples. */
    for (int i = 0; i < NS; i++)
        for (int j = 0; j < NS; j++) {
            char label[64];
            hv_linear_params p = {.has_bias = (i + j) % 2 == 1};
            optest_case c = linear_case(label, sizeof label, sizes[i], sizes[j], sizes[(2 * i + j + 3) % NS], &p);
            ck_assert_msg(optest_check(&c, HV_F16), "%s", label);
        }
}
END_TEST

START_TEST(matmul_odd_grid_batched) {
    optest_use_kernel_family(_i);
    /* Batch 3 (and b shared across the batch) with M, N, K from the same set, both b layouts. */
    for (int i = 0; i < NS; i++)
        for (int t = 0; t < 2; t++) {
            int64_t m = sizes[i], n = sizes[(i + 3) % NS], k = sizes[(i + 5) % NS];
            bool shared = (i % 2) == 1;
            hv_matmul_params p = {.trans_b = t == 1};
            char label[64];
            snprintf(label, sizeof label, "B3 M%lld N%lld K%lld%s%s", (long long)m, (long long)n, (long long)k,
                     p.trans_b ? " bT" : "", shared ? " shared-b" : "");
            optest_case c = {.op = &hv_op_matmul, .params = &p, .n_src = 2, .label = label};
            c.src[0] = optest_desc(HV_LAYOUT_ANY, 3, 3, m, k, 0);
            int64_t r = p.trans_b ? n : k, q = p.trans_b ? k : n;
            c.src[1] = shared ? optest_desc(HV_LAYOUT_ANY, 2, r, q, 0, 0) : optest_desc(HV_LAYOUT_ANY, 3, 3, r, q, 0);
            ck_assert_msg(optest_check(&c, (i + t) % 2 ? HV_F16 : HV_F32), "%s", label);
        }
}
END_TEST

START_TEST(linear_large_values_and_cancellation) {
    optest_use_kernel_family(_i);
    /* Inputs in [-100, 100) and K = 257: sums of large terms that largely cancel; f32 accumulation
     * must still meet the bound (the reference is double). */
    char label[64];
    hv_linear_params p = {.has_bias = true};
    optest_case c = linear_case(label, sizeof label, 65, 130, 257, &p);
    c.lo = -100, c.hi = 100;
    ck_assert(optest_check(&c, HV_F32));
    /* f16: outputs of ±100 inputs would pass 65504 (and saturate); ±10 keeps them in range. */
    c.lo = -10, c.hi = 10;
    ck_assert(optest_check(&c, HV_F16));
}
END_TEST

int main(void) {
    Suite *s = suite_create("linear");
    TCase *tc = tcase_create("linear");
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, linear_odd_grid_f32, 0, OPTEST_KERNEL_FAMILIES);
    tcase_add_loop_test(tc, linear_odd_grid_f16, 0, OPTEST_KERNEL_FAMILIES);
    tcase_add_loop_test(tc, matmul_odd_grid_batched, 0, OPTEST_KERNEL_FAMILIES);
    tcase_add_loop_test(tc, linear_large_values_and_cancellation, 0, OPTEST_KERNEL_FAMILIES);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
