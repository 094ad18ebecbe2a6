/* hv_cast / hv_unary_params.cast (f32 ↔ f16 storage conversion) on Vulkan vs the CPU reference and
 * through a mixed-precision graph, and the basic ops' refusal of malformed descriptors (rank 0 or 5,
 * empty dims) with a shape error instead of a crash. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "hemovk/graph.h"
#include "hvtest.h"
#include "ops/ops_basic_defs.h"
#include "optest.h"

START_TEST(f32_to_f16_rounds_and_saturates) {
    /* Normal values, RNE ties (1 + 2^-11 → 1, 1 + 3·2^-11 → 1 + 2^-9), subnormals, past ±65504, ±Inf
     * (saturate to ±65504: the f16 store rule), NaN (kept). */
    static const float x[] = {0.0f, -0.0f, 1.0f, -2.5f, 0.1f, 1.0f + 0x1p-11f, 1.0f + 0x3p-11f, 3e-6f, -6e-8f,
                              65504.0f, 65519.0f, 70000.0f, -1e6f, INFINITY, -INFINITY, NAN, 1234.567f};
    enum { N = sizeof x / sizeof x[0] };
    hv_unary_params p = {.cast = true, .out_dtype = HV_F16};
    optest_case c = {.op = &hv_op_unary, .params = &p, .n_src = 1, .label = "f32->f16", .allow_nonfinite = true};
    c.src[0] = optest_desc(HV_LAYOUT_ANY, 1, N, 0, 0, 0);
    c.data[0] = x;
    optest_result r;
    ck_assert_int_eq(optest_run(&c, HV_F32, false, &r), HV_OK);
    ck_assert_int_eq(r.dst.dtype, HV_F16);
    ck_assert(r.guards_ok);
    ck_assert_uint_eq(r.validation_msgs, 0);
    for (int i = 0; i < N; i++) {
        float want = hv_f16_round(x[i]), got = r.out[i];
        ck_assert_msg(r.ref[i] == want || (isnan(want) && isnan(r.ref[i])), "reference of %g", x[i]);
        if (isnan(want)) {
            ck_assert_msg(isnan(got), "NaN became %g", got);
        } else if (fabsf(want) >= 0x1p-14f) {
            /* Normal range: RNE as the reference, or at worst the neighbouring half (Vulkan leaves the
             * f32→f16 rounding mode to the implementation without float-controls). */
            float ulp = ldexpf(1.0f, ilogbf(want) - 10);
            ck_assert_msg(fabsf(got - want) <= ulp && isfinite(got), "cast(%.9g) = %.9g, want %.9g", x[i], got, want);
        } else {
            ck_assert_msg(fabsf(got - want) <= 0x1p-14f, "cast(%g) = %g (subnormal or zero, want %g)", x[i], got,
                          want);
        }
    }
    /* Saturation is exact on every device: it is a clamp before the conversion. */
    ck_assert(r.out[11] == 65504.0f && r.out[12] == -65504.0f && r.out[13] == 65504.0f && r.out[14] == -65504.0f);
    optest_result_free(&r);

    /* Random data over the whole f16 range and past it. */
    optest_case u = {.op = &hv_op_unary, .params = &p, .n_src = 1, .label = "f32->f16 random", .lo = -70000,
                     .hi = 70000};
    u.src[0] = optest_desc(HV_LAYOUT_NCHW, 4, 2, 3, 17, 19);
    ck_assert(optest_check(&u, HV_F32));
}
END_TEST

START_TEST(f16_to_f32_is_exact) {
    hv_unary_params p = {.cast = true, .out_dtype = HV_F32};
    optest_case c = {.op = &hv_op_unary, .params = &p, .n_src = 1, .label = "f16->f32", .lo = -60000, .hi = 60000};
    c.src[0] = optest_desc(HV_LAYOUT_NHWC, 4, 2, 5, 7, 13);
    optest_result r;
    ck_assert_int_eq(optest_run(&c, HV_F16, false, &r), HV_OK);
    ck_assert_int_eq(r.dst.dtype, HV_F32);
    ck_assert(r.guards_ok);
    for (int64_t i = 0; i < r.n; i++) ck_assert_msg(r.out[i] == r.ref[i], "element %lld", (long long)i);
    optest_result_free(&r);
    /* An activation computed in f32 and stored as f32 from f16 storage: the f32 bound holds. */
    p.act = HV_ACT_GELU;
    c.lo = -6, c.hi = 6;
    ck_assert_int_eq(optest_run(&c, HV_F16, false, &r), HV_OK);
    ck_assert_msg(r.nmse <= 1e-12 && r.guards_ok && r.nonfinite == 0, "gelu+cast nmse %g", r.nmse);
    optest_result_free(&r);
}
END_TEST

static hv_tensor *weight(hv_graph *g, hv_dtype dt, const char *name, uint32_t rank, int64_t d0, int64_t d1,
                         uint64_t seed) {
    hv_tensor_desc d = hv_desc_make(dt, HV_LAYOUT_ANY, rank, (int64_t[]){d0, d1});
    size_t n = (size_t)hv_desc_numel(&d);
    float *v = malloc(n * sizeof *v);
    hvtest_fill_uniform(v, n, seed, -0.5f, 0.5f);
    hv_tensor *t = hv_graph_weight(g, name, &d, v, HV_F32);
    free(v);
    return t;
}

START_TEST(mixed_precision_graph) {
    /* f32 input → f16 linear + GELU (folded) → f32 linear head: Vulkan vs the CPU backend. */
    enum { NB = 2, H = 5, W = 7, C = 24, C2 = 40, K = 3, NX = NB * H * W * C, NY = NB * H * W * K };
    hv_graph *g;
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_tensor_desc xd = hv_desc_make(HV_F32, HV_LAYOUT_NHWC, 4, (int64_t[]){NB, H, W, C});
    hv_tensor *x = hv_graph_input(g, "x", &xd);
    hv_tensor *h = hv_cast(g, x, HV_F16, "to_f16");
    h = hv_linear(g, h, weight(g, HV_F16, "w1", 2, C2, C, 1), weight(g, HV_F16, "b1", 1, C2, 0, 2), HV_ACT_NONE, "fc1");
    h = hv_activate(g, h, HV_ACT_GELU, "gelu");
    h = hv_cast(g, h, HV_F32, "to_f32");
    hv_tensor *y = hv_linear(g, h, weight(g, HV_F32, "w2", 2, K, C2, 3), NULL, HV_ACT_NONE, "head");
    ck_assert_int_eq(hv_graph_output(g, y, "y"), HV_OK);
    ck_assert_msg(hv_graph_status(g) == HV_OK, "%s", hv_last_error());
    ck_assert_int_eq(hv_tensor_get_desc(h)->dtype, HV_F32);
    ck_assert_int_eq(hv_tensor_get_desc(y)->layout, HV_LAYOUT_NHWC);

    float *xv = malloc(NX * sizeof *xv), *ycpu = malloc(NY * sizeof *ycpu), *yvk = malloc(NY * sizeof *yvk);
    hvtest_fill_uniform(xv, NX, 77, -2.0f, 2.0f);
    hv_plan *cpu, *vk;
    ck_assert_msg(hv_plan_create(g, NULL, NULL, &cpu) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(hv_plan_create(g, optest_device(), NULL, &vk) == HV_OK, "%s", hv_last_error());
    /* The GELU folds into fc1; neither cast folds (a fused op would not change the dtype). */
    ck_assert_uint_eq(hv_plan_fused_count(vk), 1);
    ck_assert_uint_eq(hv_plan_node_count(vk), 4);
    hv_plan *plans[2] = {cpu, vk};
    float *outs[2] = {ycpu, yvk};
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(hv_plan_set_input(plans[i], "x", xv, HV_F32, NX), HV_OK);
        ck_assert_msg(hv_plan_run(plans[i]) == HV_OK, "%s", hv_last_error());
        ck_assert_int_eq(hv_plan_get_output(plans[i], "y", outs[i], NY), HV_OK);
    }
    ck_assert_uint_eq(hvtest_count_nonfinite(yvk, NY), 0);
    /* The CPU backend keeps fc1's output in f32 where the device stores f16: an f16-sized difference. */
    double e = hvtest_nmse(yvk, ycpu, NY);
    ck_assert_msg(e <= 1e-5, "mixed precision NMSE %g", e);
    hv_plan_free(vk);
    hv_plan_free(cpu);
    hv_graph_free(g);
    free(xv), free(ycpu), free(yvk);
}
END_TEST

START_TEST(malformed_descriptors_are_shape_errors) {
    hv_linear_params lp = {0};
    hv_matmul_params mp = {0};
    hv_binary_params bp = {.kind = HV_BINARY_ADD};
    hv_unary_params up = {0};
    struct {
        const hv_op_def *op;
        const void *params;
        uint32_t n_src;
        hv_tensor_desc a, b;
        const char *needle;
    } cases[] = {
        /* K = 0 used to divide by zero in linear / matmul. */
        {&hv_op_linear, &lp, 2, optest_desc(HV_LAYOUT_ANY, 2, 4, 0, 0, 0), optest_desc(HV_LAYOUT_ANY, 2, 3, 0, 0, 0), "empty"},
        {&hv_op_linear, &lp, 2, optest_desc(HV_LAYOUT_ANY, 2, 0, 5, 0, 0), optest_desc(HV_LAYOUT_ANY, 2, 3, 5, 0, 0), "empty"},
        {&hv_op_matmul, &mp, 2, optest_desc(HV_LAYOUT_ANY, 2, 4, 0, 0, 0), optest_desc(HV_LAYOUT_ANY, 2, 0, 6, 0, 0), "empty"},
        {&hv_op_binary, &bp, 2, optest_desc(HV_LAYOUT_ANY, 2, 0, 5, 0, 0), optest_desc(HV_LAYOUT_ANY, 1, 5, 0, 0, 0), "empty"},
        {&hv_op_gap, NULL, 1, optest_desc(HV_LAYOUT_NCHW, 4, 1, 2, 0, 3), {0}, "empty"},
        {&hv_op_unary, &up, 1, optest_desc(HV_LAYOUT_ANY, 3, 2, -1, 3, 0), {0}, "empty"},
        /* rank 5 (hv_desc_numel would read past dims[]) and rank 0. */
        {&hv_op_unary, &up, 1, optest_desc(HV_LAYOUT_ANY, 5, 1, 2, 3, 3), {0}, "rank 5"},
        {&hv_op_binary, &bp, 2, optest_desc(HV_LAYOUT_ANY, 0, 0, 0, 0, 0), optest_desc(HV_LAYOUT_ANY, 1, 5, 0, 0, 0), "rank 0"},
        {&hv_op_linear, &lp, 2, optest_desc(HV_LAYOUT_ANY, 5, 1, 1, 1, 4), optest_desc(HV_LAYOUT_ANY, 2, 3, 4, 0, 0), "rank 5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        optest_case c = {.op = cases[i].op, .params = cases[i].params, .n_src = cases[i].n_src};
        c.src[0] = cases[i].a;
        c.src[1] = cases[i].b;
        ck_assert_msg(optest_expect_shape_error(&c, cases[i].needle), "case %zu (%s)", i, cases[i].op->name);
    }
    hv_unary_params bad = {.cast = true, .out_dtype = (hv_dtype)7};
    optest_case c = {.op = &hv_op_unary, .params = &bad, .n_src = 1};
    c.src[0] = optest_desc(HV_LAYOUT_ANY, 1, 4, 0, 0, 0);
    ck_assert(optest_expect_shape_error(&c, "cast dtype"));
}
END_TEST

int main(void) {
    Suite *s = suite_create("cast");
    TCase *tc = tcase_create("cast");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, f32_to_f16_rounds_and_saturates);
    tcase_add_test(tc, f16_to_f32_is_exact);
    tcase_add_test(tc, mixed_precision_graph);
    tcase_add_test(tc, malformed_descriptors_are_shape_errors);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
