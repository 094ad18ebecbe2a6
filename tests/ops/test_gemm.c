/* linear and batched matmul on Vulkan vs the CPU reference (tests/common/optest): odd M/N/K around
 * the 64×64×16 tile edges, N > 1 leading dims, bias, every fused activation, a residual, f32/f16.
 * Every Vulkan test is a loop test over the kernel families (_i: 0 gemm.comp with its 64×64 tile,
 * 1 gemm_cpu.comp, whose 16×16 register tiles put 128-row / 128-column workgroup edges at other places,
 * 2 gemm.comp with its 32×32 tile, 3 gemm.comp with fp16 arithmetic for f16), and the rules that pick
 * gemm.comp's tile and fp16 arithmetic are checked on their own. */
/* CTEST_SPLIT_BY_TCASE family0_linear family0_fused family1_linear family1_fused family2_tile32 family3_fp16_arith */
#include <check.h>

#include "hvtest.h"
#include "ops/ops_basic_defs.h"
#include "ops/opsconv_util.h"
#include "optest.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

static optest_case linear_case(const char *label, hv_tensor_desc x, int64_t n, hv_linear_params *p) {
    optest_case c = {.op = &hv_op_linear, .params = p, .label = label};
    int64_t k = x.dims[x.rank - 1];
    c.src[0] = x;
    c.src[1] = optest_desc(HV_LAYOUT_ANY, 2, n, k, 0, 0);
    c.n_src = 2;
    if (p->has_bias) c.src[c.n_src++] = optest_desc(HV_LAYOUT_ANY, 1, n, 0, 0, 0);
    if (p->has_residual) {
        hv_tensor_desc r = x;
        r.dims[r.rank - 1] = n;
        c.src[c.n_src++] = r;
    }
    return c;
}

START_TEST(linear_shapes) {
    optest_use_kernel_family(_i);
    /* {M, K, N}: 1s, primes, tile edges ±1, K not a multiple of 16, N > 64; the last two: M = 16 (the
     * CPU kernel's 1-lane-row workgroup, 64 column lanes) with N past 1024, and M past 256 rows. */
    static const int64_t shapes[][3] = {{1, 1, 1},   {1, 7, 3},    {3, 5, 2},    {17, 13, 19},  {63, 16, 65},
                                        {64, 64, 64}, {65, 17, 63}, {129, 33, 7}, {5, 300, 130}, {200, 96, 48},
                                        {16, 9, 1030}, {260, 5, 131}};
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        for (int dt = 0; dt < 2; dt++) {
            hv_linear_params p = {.has_bias = (i % 2) == 0};
            optest_case c = linear_case("M K N", optest_desc(HV_LAYOUT_ANY, 2, shapes[i][0], shapes[i][1], 0, 0),
                                        shapes[i][2], &p);
            ck_assert(optest_check(&c, dt ? HV_F16 : HV_F32));
        }
}
END_TEST

START_TEST(linear_leading_dims_nhwc) {
    optest_use_kernel_family(_i);
    /* A 1×1 conv on NHWC data: [N, H, W, C] rows flatten to N·H·W. */
    hv_linear_params p = {.has_bias = true};
    optest_case c = linear_case("NHWC 1x1", optest_desc(HV_LAYOUT_NHWC, 4, 2, 5, 7, 24), 40, &p);
    ck_assert(optest_check(&c, HV_F32));
    ck_assert(optest_check(&c, HV_F16));
    optest_case c3 = linear_case("rank3", optest_desc(HV_LAYOUT_ANY, 3, 3, 11, 9, 0), 5, &p);
    ck_assert(optest_check(&c3, HV_F32));
}
END_TEST

START_TEST(linear_fused_act_residual) {
    optest_use_kernel_family(_i);
    for (int act = HV_ACT_NONE; act <= HV_ACT_SIGMOID; act++)
        for (int res = 0; res < 2; res++)
            for (int dt = 0; dt < 2; dt++) {
                hv_linear_params p = {.has_bias = true, .has_residual = res, .act = (hv_activation)act};
                optest_case c = linear_case(hv_activation_name((hv_activation)act),
                                            optest_desc(HV_LAYOUT_ANY, 3, 2, 9, 37, 0), 21, &p);
                c.lo = -2, c.hi = 2;
                ck_assert(optest_check(&c, dt ? HV_F16 : HV_F32));
            }
}
END_TEST

START_TEST(matmul_batched) {
    optest_use_kernel_family(_i);
    struct {
        hv_tensor_desc a, b;
        bool t;
    } cases[] = {
        {optest_desc(HV_LAYOUT_ANY, 2, 7, 5, 0, 0), optest_desc(HV_LAYOUT_ANY, 2, 5, 9, 0, 0), false},
        {optest_desc(HV_LAYOUT_ANY, 3, 3, 17, 33, 0), optest_desc(HV_LAYOUT_ANY, 3, 3, 33, 65, 0), false},
        {optest_desc(HV_LAYOUT_ANY, 3, 3, 17, 33, 0), optest_desc(HV_LAYOUT_ANY, 3, 3, 65, 33, 0), true},
        {optest_desc(HV_LAYOUT_ANY, 4, 2, 3, 10, 6), optest_desc(HV_LAYOUT_ANY, 2, 6, 4, 0, 0), false}, /* shared b */
        {optest_desc(HV_LAYOUT_ANY, 4, 2, 2, 70, 20), optest_desc(HV_LAYOUT_ANY, 4, 2, 2, 70, 20), true},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        for (int dt = 0; dt < 2; dt++) {
            hv_matmul_params p = {.trans_b = cases[i].t};
            optest_case c = {.op = &hv_op_matmul, .params = &p, .n_src = 2, .label = p.trans_b ? "a*bT" : "a*b"};
            c.src[0] = cases[i].a;
            c.src[1] = cases[i].b;
            ck_assert(optest_check(&c, dt ? HV_F16 : HV_F32));
        }
}
END_TEST

START_TEST(shape_errors) {
    hv_linear_params p = {.has_bias = true};
    optest_case c = linear_case("bad K", optest_desc(HV_LAYOUT_ANY, 2, 4, 8, 0, 0), 3, &p);
    c.src[1] = optest_desc(HV_LAYOUT_ANY, 2, 3, 9, 0, 0);
    ck_assert(optest_expect_shape_error(&c, "[4, 8]"));
    c = linear_case("bad bias", optest_desc(HV_LAYOUT_ANY, 2, 4, 8, 0, 0), 3, &p);
    c.src[2] = optest_desc(HV_LAYOUT_ANY, 1, 4, 0, 0, 0);
    ck_assert(optest_expect_shape_error(&c, "bias"));
    hv_matmul_params mp = {0};
    optest_case m = {.op = &hv_op_matmul, .params = &mp, .n_src = 2};
    m.src[0] = optest_desc(HV_LAYOUT_ANY, 3, 2, 4, 5, 0);
    m.src[1] = optest_desc(HV_LAYOUT_ANY, 3, 3, 5, 6, 0);
    ck_assert(optest_expect_shape_error(&m, "batch"));
    m.src[1] = optest_desc(HV_LAYOUT_ANY, 2, 6, 5, 0, 0);
    ck_assert(optest_expect_shape_error(&m, "K = 5"));
}
END_TEST

START_TEST(f16_overflow_saturates) {
    optest_use_kernel_family(_i);
    /* x·W = 300·300·2 = 180000 > 65504: the f16 output must be +65504 (and -65504), never Inf. */
    float x[2] = {300.0f, 300.0f}, w[4] = {300.0f, 300.0f, -300.0f, -300.0f};
    hv_linear_params p = {0};
    optest_case c = linear_case("overflow", optest_desc(HV_LAYOUT_ANY, 2, 1, 2, 0, 0), 2, &p);
    c.data[0] = x;
    c.data[1] = w;
    optest_result r;
    ck_assert_int_eq(optest_run(&c, HV_F16, false, &r), HV_OK);
    ck_assert(r.guards_ok);
    ck_assert_msg(r.out[0] == 65504.0f && r.out[1] == -65504.0f, "got %g %g", r.out[0], r.out[1]);
    ck_assert_uint_eq(r.nonfinite, 0);
    optest_result_free(&r);
}
END_TEST

/* opsconv_gemm_tile: the device's limits first, then the GEMM's size; HEMOVK_GEMM_TILE overrides. */
START_TEST(tile_rule) {
    unsetenv("HEMOVK_GEMM_TILE");
    hv_device_info big = {.max_workgroup_invocations = 1024, .max_workgroup_size = {1024, 1024, 64},
                          .max_shared_memory = 49152, .subgroup_size = 32};
    hv_device_info minimal = big;
    minimal.max_workgroup_invocations = 128, minimal.max_workgroup_size[0] = 128; /* Vulkan's minimum */
    hv_device_info tiny_shared = big;
    tiny_shared.max_shared_memory = 8192;
    ck_assert_uint_eq(opsconv_gemm_tile(&big, 1000, 1024), 64);    /* 16 × 16 tiles of 64 */
    ck_assert_uint_eq(opsconv_gemm_tile(&big, 512, 448), 32);      /* 8 × 7 = 56 < 64: too few */
    ck_assert_uint_eq(opsconv_gemm_tile(&big, 512, 512), 64);      /* exactly 64 tiles */
    ck_assert_uint_eq(opsconv_gemm_tile(&big, 100, 256), 32);      /* a box head FC: 2 × 4 tiles of 64 */
    ck_assert_uint_eq(opsconv_gemm_tile(&minimal, 4096, 4096), 32);
    ck_assert_uint_eq(opsconv_gemm_tile(&tiny_shared, 4096, 4096), 32);
    ck_assert_uint_eq(opsconv_gemm_tile(NULL, 1, 1), 64);
    setenv("HEMOVK_GEMM_TILE", "64", 1);
    ck_assert_uint_eq(opsconv_gemm_tile(&big, 100, 256), 64);
    setenv("HEMOVK_GEMM_TILE", "32", 1);
    ck_assert_uint_eq(opsconv_gemm_tile(&big, 4096, 4096), 32);
    unsetenv("HEMOVK_GEMM_TILE");
}
END_TEST

/* opsconv_fp16_arith: f16 tensors on a device with shaderFloat16 only; GPUs by default, CPU devices not;
 * HEMOVK_FP16_ARITH=1|0 overrides where the device can. */
START_TEST(fp16_arith_rule) {
    unsetenv("HEMOVK_FP16_ARITH");
    hv_device_info gpu = {.type = HV_DEVICE_DISCRETE, .float16 = true}, cpu = {.type = HV_DEVICE_CPU, .float16 = true};
    hv_device_info no_f16 = {.type = HV_DEVICE_DISCRETE, .float16 = false};
    ck_assert(opsconv_fp16_arith(&gpu, HV_F16));
    ck_assert(!opsconv_fp16_arith(&gpu, HV_F32));
    ck_assert(!opsconv_fp16_arith(&cpu, HV_F16));
    ck_assert(!opsconv_fp16_arith(&no_f16, HV_F16));
    ck_assert(!opsconv_fp16_arith(NULL, HV_F16));
    setenv("HEMOVK_FP16_ARITH", "1", 1);
    ck_assert(opsconv_fp16_arith(&cpu, HV_F16));
    ck_assert(!opsconv_fp16_arith(&no_f16, HV_F16)); /* cannot: no shaderFloat16 */
    ck_assert(!opsconv_fp16_arith(&cpu, HV_F32));
    setenv("HEMOVK_FP16_ARITH", "0", 1);
    ck_assert(!opsconv_fp16_arith(&gpu, HV_F16));
    setenv("HEMOVK_FP16_ARITH", "maybe", 1); /* ignored (with a warning): the device type decides */
    ck_assert(opsconv_fp16_arith(&gpu, HV_F16));
    ck_assert(!opsconv_fp16_arith(&cpu, HV_F16));
    unsetenv("HEMOVK_FP16_ARITH");
}
END_TEST

/* The f16a kernel is what runs with fp16 arithmetic on (the partial sums in f16 change some low bits
 * against the f32-accumulating f16 kernel on a long K), and it stays within the f16 tolerance. */
START_TEST(fp16_arith_is_used) {
    hv_linear_params p = {.has_bias = true};
    optest_case c = linear_case("fp16a K 300", optest_desc(HV_LAYOUT_ANY, 2, 70, 300, 0, 0), 66, &p);
    optest_result r[2];
    for (int on = 0; on < 2; on++) {
        optest_use_kernel_family(on ? OPTEST_FAMILY_FP16_ARITH : 0);
        ck_assert_int_eq(optest_run(&c, HV_F16, false, &r[on]), HV_OK);
        ck_assert(r[on].guards_ok && r[on].nonfinite == 0 && r[on].validation_msgs == 0);
        ck_assert_msg(r[on].nmse <= 1e-5, "fp16 arithmetic %s: nmse %g", on ? "on" : "off", r[on].nmse);
    }
    int64_t differ = 0;
    for (int64_t i = 0; i < r[0].n; i++) differ += r[0].out[i] != r[1].out[i];
    fprintf(stderr, "fp16 arithmetic: %lld of %lld outputs differ from f32 accumulation; nmse %.3e vs %.3e\n",
            (long long)differ, (long long)r[0].n, r[1].nmse, r[0].nmse);
    ck_assert_msg(differ > 0, "HEMOVK_FP16_ARITH=1 gave the f16 kernel's exact bits: the f16a variant did not run");
    optest_result_free(&r[0]);
    optest_result_free(&r[1]);
}
END_TEST

/* A tcase of its own running the shape, batched-matmul and f16-overflow cases with kernel family `fam`,
 * and the fused activation / residual cases when `fused`. */
static TCase *family_tcase(Suite *s, const char *name, int fam, bool fused) {
    TCase *tc = tcase_create(name);
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, linear_shapes, fam, fam + 1);
    if (fused) tcase_add_loop_test(tc, linear_fused_act_residual, fam, fam + 1);
    tcase_add_loop_test(tc, matmul_batched, fam, fam + 1);
    tcase_add_loop_test(tc, f16_overflow_saturates, fam, fam + 1);
    suite_add_tcase(s, tc);
    return tc;
}

int main(void) {
    Suite *s = suite_create("gemm");
    /* Two tcases per kernel family, each its own CTest test (CTEST_SPLIT_BY_TCASE at the top): one test of
     * everything ran past 10 min on a loaded box (each shape compiles its own pipelines on lavapipe). */
    static const char *const k_case[][2] = {{"family0_linear", "family0_fused"}, {"family1_linear", "family1_fused"}};
    _Static_assert(sizeof k_case / sizeof k_case[0] == OPTEST_KERNEL_FAMILIES,
                   "two tcases per kernel family; update CTEST_SPLIT_BY_TCASE too");
    for (int f = 0; f < OPTEST_KERNEL_FAMILIES; f++) {
        TCase *lin = tcase_create(k_case[f][0]);
        tcase_set_timeout(lin, 600);
        tcase_add_loop_test(lin, linear_shapes, f, f + 1);
        tcase_add_loop_test(lin, linear_leading_dims_nhwc, f, f + 1);
        suite_add_tcase(s, lin);
        TCase *fused = tcase_create(k_case[f][1]);
        tcase_set_timeout(fused, 600);
        tcase_add_loop_test(fused, linear_fused_act_residual, f, f + 1);
        tcase_add_loop_test(fused, matmul_batched, f, f + 1);
        if (f == 0) tcase_add_test(fused, shape_errors);
        tcase_add_loop_test(fused, f16_overflow_saturates, f, f + 1);
        suite_add_tcase(s, fused);
    }
    /* gemm.comp's 32 × 32 tile (what small GEMMs and small devices get) on the same cases */
    TCase *small = family_tcase(s, "family2_tile32", OPTEST_FAMILY_GEMM_TILE32, true);
    tcase_add_test(small, tile_rule);
    /* fp16 arithmetic (gemm_f16a) on the same cases but the fused epilogues (f32 code either way): f16
     * runs the f16a kernel, f32 the f32 one */
    TCase *f16a = family_tcase(s, "family3_fp16_arith", OPTEST_FAMILY_FP16_ARITH, false);
    tcase_add_test(f16a, fp16_arith_rule);
    tcase_add_test(f16a, fp16_arith_is_used);
    return hvtest_run(s);
}
