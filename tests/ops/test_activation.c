/* Unary activations (relu, silu, gelu-erf, sigmoid, none) on Vulkan vs the double-precision
 * reference: wide input ranges (GELU's erf tails), NaN propagation, and the activation names. */
#include <check.h>
#include <math.h>

#include "hvtest.h"
#include "ops/ops_basic_defs.h"
#include "optest.h"

START_TEST(activations_ranges) {
    static const float ranges[][2] = {{-1, 1}, {-8, 8}, {-30, 30}};
    for (int act = HV_ACT_NONE; act <= HV_ACT_SIGMOID; act++)
        for (size_t r = 0; r < 3; r++) {
            hv_unary_params p = {.act = (hv_activation)act};
            optest_case c = {.op = &hv_op_unary, .params = &p, .n_src = 1, .label = hv_activation_name(p.act)};
            c.src[0] = optest_desc(HV_LAYOUT_NCHW, 4, 2, 3, 17, 19);
            c.lo = ranges[r][0], c.hi = ranges[r][1];
            ck_assert(optest_check(&c, HV_F32));
            ck_assert(optest_check(&c, HV_F16));
        }
}
END_TEST

START_TEST(gelu_erf_accuracy) {
    /* GELU at points where a poor erf shows: near 0, around ±1..3 and in the tails. The device's GELU
     * must be within 2e-7·max(1,|x|) of the exact erf form at every point (not only on average). */
    enum { N = 4001 };
    static float x[N];
    for (int i = 0; i < N; i++) x[i] = -10.0f + 20.0f * (float)i / (N - 1);
    hv_unary_params p = {.act = HV_ACT_GELU};
    optest_case c = {.op = &hv_op_unary, .params = &p, .n_src = 1, .label = "gelu sweep"};
    c.src[0] = optest_desc(HV_LAYOUT_ANY, 1, N, 0, 0, 0);
    c.data[0] = x;
    optest_result r;
    ck_assert_int_eq(optest_run(&c, HV_F32, false, &r), HV_OK);
    for (int i = 0; i < N; i++) {
        double exact = 0.5 * x[i] * (1.0 + erf(x[i] / sqrt(2.0)));
        double tol = 2e-7 * fmax(1.0, fabs(x[i]));
        ck_assert_msg(fabs(r.out[i] - exact) <= tol, "gelu(%g) = %.9g, exact %.9g", x[i], r.out[i], exact);
    }
    ck_assert(r.nmse <= 1e-12);
    optest_result_free(&r);
}
END_TEST

START_TEST(nan_propagates) {
    float x[4] = {NAN, 1.0f, -2.0f, NAN};
    for (int act = HV_ACT_NONE; act <= HV_ACT_SIGMOID; act++) {
        hv_unary_params p = {.act = (hv_activation)act};
        optest_case c = {.op = &hv_op_unary, .params = &p, .n_src = 1, .label = "nan"};
        c.src[0] = optest_desc(HV_LAYOUT_ANY, 1, 4, 0, 0, 0);
        c.data[0] = x;
        for (int dt = 0; dt < 2; dt++) {
            optest_result r;
            ck_assert_int_eq(optest_run(&c, dt ? HV_F16 : HV_F32, false, &r), HV_OK);
            /* relu may legitimately map NaN to either NaN or 0 (max() is unspecified for NaN in GLSL):
             * the others must keep it. */
            if (act != HV_ACT_RELU) ck_assert_msg(isnan(r.out[0]) && isnan(r.out[3]), "%s lost a NaN", c.label);
            ck_assert(isfinite(r.out[1]) && isfinite(r.out[2]));
            ck_assert(r.guards_ok);
            optest_result_free(&r);
        }
    }
}
END_TEST

START_TEST(names_and_errors) {
    ck_assert_str_eq(hv_activation_name(HV_ACT_GELU), "gelu");
    ck_assert_str_eq(hv_activation_name((hv_activation)42), "?");
    hv_unary_params p = {.act = (hv_activation)9};
    optest_case c = {.op = &hv_op_unary, .params = &p, .n_src = 1};
    c.src[0] = optest_desc(HV_LAYOUT_ANY, 1, 4, 0, 0, 0);
    ck_assert(optest_expect_shape_error(&c, "activation"));
}
END_TEST

int main(void) {
    Suite *s = suite_create("activation");
    TCase *tc = tcase_create("activation");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, activations_ranges);
    tcase_add_test(tc, gelu_erf_accuracy);
    tcase_add_test(tc, nan_propagates);
    tcase_add_test(tc, names_and_errors);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
