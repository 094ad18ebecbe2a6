/* Graph builder and planner on the CPU backend: first-error recording with op/node/shape messages,
 * inputs and outputs by name, fusion (activation, residual add), topological order after fusion,
 * dependency levels, memory aliasing on a 20-layer chain, and fused == unfused results. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/graph.h"
#include "hvtest.h"

static hv_tensor *weight(hv_graph *g, const char *name, uint32_t rank, int64_t d0, int64_t d1, uint64_t seed) {
    int64_t dims[2] = {d0, d1};
    hv_tensor_desc d = hv_desc_make(HV_F32, HV_LAYOUT_ANY, rank, dims);
    size_t n = (size_t)hv_desc_numel(&d);
    float *v = malloc(n * sizeof *v);
    hvtest_fill_uniform(v, n, seed, -0.5f, 0.5f);
    hv_tensor *t = hv_graph_weight(g, name, &d, v, HV_F32);
    free(v); /* the graph copied it */
    return t;
}

static hv_tensor *input2d(hv_graph *g, const char *name, int64_t rows, int64_t cols) {
    hv_tensor_desc d = hv_desc_make(HV_F32, HV_LAYOUT_ANY, 2, (int64_t[]){rows, cols});
    return hv_graph_input(g, name, &d);
}

static float *run_cpu(hv_graph *g, const hv_plan_options *o, const char *in, size_t n_in, const char *out,
                      size_t n_out, uint64_t seed, hv_plan **keep) {
    hv_plan *p;
    ck_assert_msg(hv_plan_create(g, NULL, o, &p) == HV_OK, "%s", hv_last_error());
    float *x = malloc(n_in * sizeof *x), *y = malloc(n_out * sizeof *y);
    hvtest_fill_uniform(x, n_in, seed, -1, 1);
    ck_assert_int_eq(hv_plan_set_input(p, in, x, HV_F32, n_in), HV_OK);
    ck_assert_msg(hv_plan_run(p) == HV_OK, "%s", hv_last_error());
    ck_assert_int_eq(hv_plan_get_output(p, out, y, n_out), HV_OK);
    free(x);
    if (keep) *keep = p;
    else hv_plan_free(p);
    return y;
}

START_TEST(first_error_names_op_node_and_shapes) {
    hv_graph *g;
    ck_assert_int_eq(hv_graph_create(&g), HV_OK);
    hv_tensor *x = input2d(g, "x", 4, 8);
    hv_tensor *w = weight(g, "fc.weight", 2, 3, 9, 1);
    hv_tensor *y = hv_linear(g, x, w, NULL, HV_ACT_NONE, "fc");
    ck_assert_ptr_null(y);
    /* Later calls with the NULL propagate silently; a second, different error does not replace the first. */
    ck_assert_ptr_null(hv_activate(g, y, HV_ACT_RELU, "relu"));
    ck_assert_ptr_null(hv_add(g, x, weight(g, "bad", 2, 5, 5, 2), "add"));
    ck_assert_int_eq(hv_graph_status(g), HV_ERR_SHAPE);
    const char *msg = hv_last_error();
    ck_assert_msg(strstr(msg, "linear") && strstr(msg, "'fc'") && strstr(msg, "[4, 8]") && strstr(msg, "[3, 9]"),
                  "message: %s", msg);
    hv_plan *p = NULL;
    ck_assert_int_ne(hv_plan_create(g, NULL, NULL, &p), HV_OK);
    ck_assert_ptr_null(p);
    hv_graph_free(g);
}
END_TEST

START_TEST(inputs_outputs_by_name) {
    hv_graph *g;
    hv_graph_create(&g);
    hv_tensor *x = input2d(g, "x", 2, 3);
    ck_assert_ptr_null(input2d(g, "x", 2, 3)); /* duplicate name */
    ck_assert_int_eq(hv_graph_status(g), HV_ERR_INVALID_ARGUMENT);
    hv_graph_free(g);

    hv_graph_create(&g);
    x = input2d(g, "x", 2, 3);
    hv_tensor *y = hv_activate(g, x, HV_ACT_RELU, "relu");
    ck_assert_int_eq(hv_graph_output(g, y, "y"), HV_OK);
    hv_plan *p;
    ck_assert_int_eq(hv_plan_create(g, NULL, NULL, &p), HV_OK);
    float v[6] = {-1, 2, -3, 4, -5, 6}, out[6];
    ck_assert_int_eq(hv_plan_run(p), HV_ERR_INVALID_ARGUMENT); /* input never set */
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "'x'"));
    ck_assert_int_eq(hv_plan_set_input(p, "image", v, HV_F32, 6), HV_ERR_NOT_FOUND);
    ck_assert_msg(strstr(hv_last_error(), "'image'") && strstr(hv_last_error(), "'x'"), "%s", hv_last_error());
    ck_assert_int_eq(hv_plan_set_input(p, "x", v, HV_F32, 5), HV_ERR_SHAPE);
    ck_assert_int_eq(hv_plan_set_input(p, "x", v, HV_F32, 6), HV_OK);
    ck_assert_int_eq(hv_plan_run(p), HV_OK);
    ck_assert_int_eq(hv_plan_get_output(p, "z", out, 6), HV_ERR_NOT_FOUND);
    ck_assert_int_eq(hv_plan_get_output(p, "y", out, 6), HV_OK);
    for (int i = 0; i < 6; i++) ck_assert_float_eq(out[i], v[i] > 0 ? v[i] : 0);
    ck_assert_ptr_nonnull(hv_plan_output_desc(p, "y"));
    ck_assert_ptr_null(hv_plan_output_desc(p, "nope"));
    hv_plan_free(p);
    hv_graph_free(g);
}
END_TEST

START_TEST(f16_weights_inputs_round_and_saturate) {
    hv_graph *g;
    hv_graph_create(&g);
    hv_tensor_desc d = hv_desc_make(HV_F16, HV_LAYOUT_ANY, 1, (int64_t[]){3});
    /* a WEIGHT past the f16 range is refused by name (it would saturate silently and every output with
     * it); the limit itself is fine */
    float bad[3] = {1e6f, 0.0f, 0.0f};
    ck_assert_ptr_null(hv_graph_weight(g, "big", &d, bad, HV_F32));
    ck_assert_int_eq(hv_graph_status(g), HV_ERR_INVALID_ARGUMENT);
    ck_assert_msg(strstr(hv_last_error(), "weight 'big'") && strstr(hv_last_error(), "f16 range"), "%s", hv_last_error());
    hv_graph_free(g);
    hv_graph_create(&g);
    float wv[3] = {65504.0f, -65504.0f, 0.1f};
    hv_tensor *w = hv_graph_weight(g, "w", &d, wv, HV_F32);
    hv_tensor *x = hv_graph_input(g, "x", &d);
    hv_graph_output(g, hv_add(g, x, w, "sum"), "y");
    hv_plan *p;
    ck_assert_int_eq(hv_plan_create(g, NULL, NULL, &p), HV_OK);
    float xv[3] = {1e6f, -1e6f, 0}, y[3]; /* INPUTS past the range saturate when stored, as activations do */
    hv_plan_set_input(p, "x", xv, HV_F32, 3);
    hv_plan_run(p);
    hv_plan_get_output(p, "y", y, 3);
    ck_assert_float_eq(y[0], 65504.0f); /* saturated, not Inf */
    ck_assert_float_eq(y[1], -65504.0f);
    ck_assert_float_eq(y[2], hv_f16_round(0.1f));
    hv_plan_free(p);
    hv_graph_free(g);

    /* f16 host data: an f32 weight made from halves, and an input set from halves. */
    hv_graph_create(&g);
    hv_tensor_desc d32 = hv_desc_make(HV_F32, HV_LAYOUT_ANY, 1, (int64_t[]){3});
    uint16_t wh[3] = {hv_f32_to_f16(1.5f), hv_f32_to_f16(-2.0f), hv_f32_to_f16(0.25f)};
    w = hv_graph_weight(g, "w16", &d32, wh, HV_F16);
    x = hv_graph_input(g, "x", &d32);
    hv_graph_output(g, hv_mul(g, x, w, "prod"), "y");
    ck_assert_int_eq(hv_plan_create(g, NULL, NULL, &p), HV_OK);
    uint16_t xh[3] = {hv_f32_to_f16(2.0f), hv_f32_to_f16(3.0f), hv_f32_to_f16(-4.0f)};
    ck_assert_int_eq(hv_plan_set_input(p, "x", xh, HV_F16, 3), HV_OK);
    ck_assert_int_eq(hv_plan_run(p), HV_OK);
    hv_plan_get_output(p, "y", y, 3);
    ck_assert_float_eq(y[0], 3.0f);
    ck_assert_float_eq(y[1], -6.0f);
    ck_assert_float_eq(y[2], -1.0f);
    hv_plan_free(p);
    hv_graph_free(g);
}
END_TEST

/* x → linear → gelu → + x2 where x2 = linear2(x) is created AFTER the first linear: fusion makes the
 * first linear read x2, so the planner must reorder. */
static hv_graph *residual_graph(void) {
    hv_graph *g;
    hv_graph_create(&g);
    hv_tensor *x = input2d(g, "x", 5, 12);
    hv_tensor *a = hv_linear(g, x, weight(g, "w1", 2, 12, 12, 3), weight(g, "b1", 1, 12, 0, 4), HV_ACT_NONE, "fc1");
    hv_tensor *act = hv_activate(g, a, HV_ACT_GELU, "gelu");
    hv_tensor *r = hv_linear(g, x, weight(g, "w2", 2, 12, 12, 5), NULL, HV_ACT_NONE, "fc2");
    hv_tensor *y = hv_add(g, act, r, "residual");
    hv_graph_output(g, y, "y");
    ck_assert_int_eq(hv_graph_status(g), HV_OK);
    return g;
}

START_TEST(fusion_and_topological_order) {
    hv_graph *g = residual_graph();
    hv_plan *fused, *plain;
    hv_plan_options nofuse = {.no_fusion = 1};
    float *y1 = run_cpu(g, NULL, "x", 60, "y", 60, 7, &fused);
    float *y0 = run_cpu(g, &nofuse, "x", 60, "y", 60, 7, &plain);
    ck_assert_uint_eq(hv_plan_node_count(plain), 4);
    ck_assert_uint_eq(hv_plan_fused_count(plain), 0);
    ck_assert_uint_eq(hv_plan_node_count(fused), 2); /* fc2, then fc1 with gelu + residual */
    ck_assert_uint_eq(hv_plan_fused_count(fused), 2);
    ck_assert_str_eq(hv_plan_node_op(fused, 0), "linear");
    ck_assert_ptr_null(hv_plan_node_op(fused, 2));
    ck_assert_uint_eq(hv_plan_level_count(fused), 2);
    ck_assert_double_le(hvtest_nmse(y1, y0, 60), 1e-12);
    hv_plan_free(fused);
    hv_plan_free(plain);
    free(y0);
    free(y1);
    hv_graph_free(g);
}
END_TEST

START_TEST(no_fusion_when_value_is_shared_or_output) {
    hv_graph *g;
    hv_graph_create(&g);
    hv_tensor *x = input2d(g, "x", 3, 4);
    hv_tensor *a = hv_linear(g, x, weight(g, "w", 2, 4, 4, 1), NULL, HV_ACT_NONE, "fc");
    hv_tensor *r = hv_activate(g, a, HV_ACT_RELU, "relu");
    hv_tensor *s = hv_activate(g, a, HV_ACT_SIGMOID, "sig"); /* a has two readers: nothing folds into it */
    hv_graph_output(g, hv_add(g, r, s, "sum"), "y");
    hv_graph_output(g, a, "a");                              /* and it is an output */
    hv_plan *p;
    ck_assert_int_eq(hv_plan_create(g, NULL, NULL, &p), HV_OK);
    ck_assert_uint_eq(hv_plan_fused_count(p), 0);
    ck_assert_uint_eq(hv_plan_node_count(p), 4);
    ck_assert_uint_eq(hv_plan_level_count(p), 3); /* fc | relu, sig | sum */
    hv_plan_free(p);
    hv_graph_free(g);
}
END_TEST

START_TEST(aliasing_on_a_deep_chain) {
    /* 20 linear+relu layers of [64, 96]: every intermediate is 24 KiB, the plan needs only ~3 live. */
    hv_graph *g;
    hv_graph_create(&g);
    hv_tensor *t = input2d(g, "x", 64, 96);
    for (int i = 0; i < 20; i++) {
        char name[32];
        snprintf(name, sizeof name, "fc%d", i);
        t = hv_linear(g, t, weight(g, name, 2, 96, 96, 10 + i), NULL, HV_ACT_NONE, name);
        t = hv_activate(g, t, HV_ACT_RELU, NULL);
    }
    hv_graph_output(g, t, "y");
    hv_plan *p, *q;
    hv_plan_options noalias = {.no_aliasing = 1};
    float *y = run_cpu(g, NULL, "x", 64 * 96, "y", 64 * 96, 3, &p);
    float *y2 = run_cpu(g, &noalias, "x", 64 * 96, "y", 64 * 96, 3, &q);
    uint64_t peak = hv_plan_peak_bytes(p), sum = hv_plan_sum_intermediate_bytes(p);
    fprintf(stderr, "20-layer chain: peak %llu B, sum of intermediates %llu B, %u nodes after fusion\n",
            (unsigned long long)peak, (unsigned long long)sum, hv_plan_node_count(p));
    ck_assert_uint_eq(hv_plan_node_count(p), 20);
    ck_assert_uint_ge(sum, 21ull * 64 * 96 * 4);
    ck_assert_uint_le(peak, 3ull * 64 * 96 * 4 + 1024);
    ck_assert_uint_ge(hv_plan_peak_bytes(q), sum);
    ck_assert_double_eq(hvtest_nmse(y, y2, 64 * 96), 0.0);
    hv_plan_free(p);
    hv_plan_free(q);
    free(y);
    free(y2);
    hv_graph_free(g);
}
END_TEST

int main(void) {
    Suite *s = suite_create("graph");
    TCase *tc = tcase_create("graph");
    tcase_add_test(tc, first_error_names_op_node_and_shapes);
    tcase_add_test(tc, inputs_outputs_by_name);
    tcase_add_test(tc, f16_weights_inputs_round_and_saturate);
    tcase_add_test(tc, fusion_and_topological_order);
    tcase_add_test(tc, no_fusion_when_value_is_shared_or_output);
    tcase_add_test(tc, aliasing_on_a_deep_chain);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
