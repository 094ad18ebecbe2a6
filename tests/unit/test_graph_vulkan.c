/* The Vulkan executor against the CPU backend on a small channels-last network (squeeze-excitation,
 * 1×1 convs as linears, fused activations and a fused residual, layer norm): f32 and f16, replay with
 * new inputs, fused == unfused, aliasing on the device, the profile table, no validation messages. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/graph.h"
#include "hvtest.h"

enum { N = 2, H = 5, W = 7, C = 8, C2 = 16, NX = N * H * W * C, NY = N * H * W * C2 };

static hv_device *g_dev;

static hv_device *device(void) {
    if (!g_dev) ck_assert_msg(hv_device_open(NULL, &g_dev) == HV_OK, "%s", hv_last_error());
    return g_dev;
}

static hv_tensor *weight(hv_graph *g, hv_dtype dt, const char *name, uint32_t rank, int64_t d0, int64_t d1) {
    int64_t dims[2] = {d0, d1};
    hv_tensor_desc d = hv_desc_make(dt, HV_LAYOUT_ANY, rank, dims);
    size_t n = (size_t)hv_desc_numel(&d);
    float *v = malloc(n * sizeof *v);
    uint64_t seed = 0;
    for (const char *c = name; *c; c++) seed = seed * 131 + (uint64_t)*c;
    hvtest_fill_uniform(v, n, seed, -0.6f, 0.6f);
    hv_tensor *t = hv_graph_weight(g, name, &d, v, HV_F32);
    free(v);
    return t;
}

static hv_graph *se_block(hv_dtype dt) {
    hv_graph *g;
    hv_graph_create(&g);
    hv_tensor_desc xd = hv_desc_make(dt, HV_LAYOUT_NHWC, 4, (int64_t[]){N, H, W, C});
    hv_tensor *x = hv_graph_input(g, "x", &xd);
    hv_tensor *s = hv_global_avg_pool(g, x, "gap");
    s = hv_linear(g, s, weight(g, dt, "se.w1", 2, 4, C), weight(g, dt, "se.b1", 1, 4, 0), HV_ACT_NONE, "se.fc1");
    s = hv_activate(g, s, HV_ACT_SILU, "se.silu");
    s = hv_linear(g, s, weight(g, dt, "se.w2", 2, C, 4), weight(g, dt, "se.b2", 1, C, 0), HV_ACT_NONE, "se.fc2");
    s = hv_activate(g, s, HV_ACT_SIGMOID, "se.sigmoid");
    hv_tensor *y = hv_mul(g, x, s, "se.scale");
    hv_tensor *z = hv_linear(g, y, weight(g, dt, "pw.w", 2, C2, C), weight(g, dt, "pw.b", 1, C2, 0), HV_ACT_NONE, "pw");
    z = hv_activate(g, z, HV_ACT_GELU, "pw.gelu");
    hv_tensor *sc = hv_linear(g, x, weight(g, dt, "sc.w", 2, C2, C), NULL, HV_ACT_NONE, "shortcut");
    hv_tensor *out = hv_add(g, z, sc, "residual");
    out = hv_layer_norm(g, out, NULL, NULL, -1, 1e-6f, "ln");
    hv_graph_output(g, out, "y");
    hv_graph_output(g, s, "gate");
    ck_assert_msg(hv_graph_status(g) == HV_OK, "%s", hv_last_error());
    return g;
}

static void run(hv_plan *p, const float *x, float *y) {
    ck_assert_int_eq(hv_plan_set_input(p, "x", x, HV_F32, NX), HV_OK);
    ck_assert_msg(hv_plan_run(p) == HV_OK, "%s", hv_last_error());
    ck_assert_int_eq(hv_plan_get_output(p, "y", y, NY), HV_OK);
}

static void compare_backends(hv_dtype dt, double max_nmse) {
    uint32_t v0 = hv_validation_message_count();
    hv_graph *g = se_block(dt);
    hv_plan *cpu, *vk, *vk_plain;
    hv_plan_options plain = {.no_fusion = 1};
    ck_assert_msg(hv_plan_create(g, NULL, NULL, &cpu) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(hv_plan_create(g, device(), NULL, &vk) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(hv_plan_create(g, device(), &plain, &vk_plain) == HV_OK, "%s", hv_last_error());
    /* Fusion: both SE activations, the GELU and the residual add fold into linears. */
    ck_assert_uint_eq(hv_plan_fused_count(vk), 4);
    ck_assert_uint_eq(hv_plan_node_count(vk) + 4, hv_plan_node_count(vk_plain));
    float *x = malloc(NX * sizeof *x), *yc = malloc(NY * sizeof *yc), *yv = malloc(NY * sizeof *yv);
    float *yp = malloc(NY * sizeof *yp), *first = malloc(NY * sizeof *first);
    for (int rep = 0; rep < 2; rep++) { /* replay the same recording with new inputs */
        hvtest_fill_uniform(x, NX, 100 + (uint64_t)rep, -2, 2);
        run(cpu, x, yc);
        run(vk, x, yv);
        run(vk_plain, x, yp);
        double e = hvtest_nmse(yv, yc, NY), e2 = hvtest_nmse(yp, yc, NY);
        fprintf(stderr, "graph %s run %d: nmse vulkan-fused %.3e, vulkan-unfused %.3e vs CPU\n", hv_dtype_name(dt), rep,
                e, e2);
        ck_assert_double_le(e, max_nmse);
        ck_assert_double_le(e2, max_nmse);
        ck_assert_uint_eq(hvtest_count_nonfinite(yv, NY), 0);
        if (rep == 0) memcpy(first, yv, NY * sizeof *yv);
        else ck_assert_double_gt(hvtest_nmse(first, yv, NY), 1e-3); /* the second run really used new data */
    }
    float gate_c[N * C], gate_v[N * C];
    ck_assert_int_eq(hv_plan_get_output(cpu, "gate", gate_c, N * C), HV_OK);
    ck_assert_int_eq(hv_plan_get_output(vk, "gate", gate_v, N * C), HV_OK);
    ck_assert_double_le(hvtest_nmse(gate_v, gate_c, N * C), max_nmse);
    ck_assert_uint_gt(hv_plan_weight_bytes(vk), 0);
    ck_assert_uint_lt(hv_plan_peak_bytes(vk), hv_plan_sum_intermediate_bytes(vk));
    ck_assert_uint_eq(hv_validation_message_count(), v0);
    hv_plan_free(cpu);
    hv_plan_free(vk);
    hv_plan_free(vk_plain);
    hv_graph_free(g);
    free(x);
    free(yc);
    free(yv);
    free(yp);
    free(first);
}

START_TEST(vulkan_matches_cpu_f32) { compare_backends(HV_F32, 1e-9); }
END_TEST

START_TEST(vulkan_matches_cpu_f16) { compare_backends(HV_F16, 1e-5); }
END_TEST

START_TEST(profile_table_by_op) {
    hv_graph *g = se_block(HV_F32);
    hv_plan *p;
    hv_plan_options o = {.profile = 1};
    ck_assert_msg(hv_plan_create(g, device(), &o, &p) == HV_OK, "%s", hv_last_error());
    float *x = calloc(NX, sizeof *x), *y = malloc(NY * sizeof *y);
    run(p, x, y);
    hv_op_time t[16];
    uint32_t n = hv_plan_profile(p, t, 16);
    if (hv_device_get_info(device())->timestamp_period_ns > 0) {
        ck_assert_uint_gt(n, 0);
        int linear = 0;
        uint32_t dispatches = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (!strcmp(t[i].op, "linear")) linear = (int)t[i].count;
            dispatches += t[i].count;
        }
        ck_assert_int_eq(linear, 4);
        ck_assert_uint_ge(dispatches, hv_plan_node_count(p));
    }
    hv_plan_free(p);
    hv_graph_free(g);
    free(x);
    free(y);
}
END_TEST

START_TEST(deep_residual_net_aliased_on_device) {
    /* 12 residual blocks h = h + fc2(relu(fc1(h))) plus a side branch read at the end: memory is reused
     * across blocks, barriers only between levels; results must still equal the CPU backend. */
    hv_graph *g;
    hv_graph_create(&g);
    hv_tensor_desc xd = hv_desc_make(HV_F32, HV_LAYOUT_ANY, 2, (int64_t[]){33, 24});
    hv_tensor *x = hv_graph_input(g, "x", &xd);
    hv_tensor *h = x, *side = hv_activate(g, x, HV_ACT_SIGMOID, "side");
    for (int i = 0; i < 12; i++) {
        char n1[32], n2[32], nb[32];
        snprintf(n1, sizeof n1, "b%d.fc1", i);
        snprintf(nb, sizeof nb, "b%d.fc1.bias", i);
        snprintf(n2, sizeof n2, "b%d.fc2", i);
        hv_tensor *t = hv_linear(g, h, weight(g, HV_F32, n1, 2, 40, 24), weight(g, HV_F32, nb, 1, 40, 0),
                                 HV_ACT_NONE, n1);
        t = hv_activate(g, t, HV_ACT_RELU, NULL);
        t = hv_linear(g, t, weight(g, HV_F32, n2, 2, 24, 40), NULL, HV_ACT_NONE, n2);
        h = hv_add(g, h, t, NULL);
    }
    hv_graph_output(g, hv_mul(g, h, side, "gate"), "y");
    ck_assert_msg(hv_graph_status(g) == HV_OK, "%s", hv_last_error());
    hv_plan *cpu, *vk;
    ck_assert_int_eq(hv_plan_create(g, NULL, NULL, &cpu), HV_OK);
    ck_assert_msg(hv_plan_create(g, device(), NULL, &vk) == HV_OK, "%s", hv_last_error());
    ck_assert_uint_eq(hv_plan_node_count(vk), 12 * 2 + 2); /* relu and add fused in every block */
    float x0[33 * 24], yc[33 * 24], yv[33 * 24];
    hvtest_fill_uniform(x0, 33 * 24, 9, -1, 1);
    hv_plan_set_input(cpu, "x", x0, HV_F32, 33 * 24);
    hv_plan_set_input(vk, "x", x0, HV_F32, 33 * 24);
    ck_assert_int_eq(hv_plan_run(cpu), HV_OK);
    ck_assert_msg(hv_plan_run(vk) == HV_OK, "%s", hv_last_error());
    hv_plan_get_output(cpu, "y", yc, 33 * 24);
    hv_plan_get_output(vk, "y", yv, 33 * 24);
    double e = hvtest_nmse(yv, yc, 33 * 24);
    fprintf(stderr, "deep residual net: nmse %.3e, peak %llu B vs sum %llu B, %u levels\n", e,
            (unsigned long long)hv_plan_peak_bytes(vk), (unsigned long long)hv_plan_sum_intermediate_bytes(vk),
            hv_plan_level_count(vk));
    ck_assert_double_le(e, 1e-9);
    /* One barrier per level boundary at most: the sigmoid side branch shares level 1 with b0.fc1. */
    ck_assert_uint_le(hv_plan_barrier_count(vk), hv_plan_level_count(vk) - 1);
    ck_assert_uint_lt(hv_plan_barrier_count(vk), hv_plan_node_count(vk) - 1);
    ck_assert_uint_lt(hv_plan_peak_bytes(vk) * 3, hv_plan_sum_intermediate_bytes(vk));
    hv_plan_free(cpu);
    hv_plan_free(vk);
    hv_graph_free(g);
}
END_TEST

START_TEST(edge_outputs_input_and_weight) {
    /* An output that is the input itself, one that is a weight, and an input nothing reads; and the
     * host <-> device traffic they make (hv_device_transfer_stats). */
    hv_graph *g;
    hv_graph_create(&g);
    hv_tensor_desc d = hv_desc_make(HV_F16, HV_LAYOUT_ANY, 1, (int64_t[]){5});
    hv_tensor *x = hv_graph_input(g, "x", &d);
    hv_graph_input(g, "unused", &d);
    hv_tensor *w = weight(g, HV_F16, "w", 1, 5, 0);
    hv_graph_output(g, x, "x_out");
    hv_graph_output(g, w, "w_out");
    hv_graph_output(g, hv_add(g, x, w, "sum"), "sum");
    hv_plan *p;
    ck_assert_msg(hv_plan_create(g, device(), NULL, &p) == HV_OK, "%s", hv_last_error());
    float xv[5] = {1, 2, 3, 4, 1e5f}, a[5], b[5], c[5];
    hv_transfer_stats t0, t1;
    hv_device_transfer_stats(device(), &t0);
    ck_assert_int_eq(hv_plan_set_input(p, "x", xv, HV_F32, 5), HV_OK);
    ck_assert_int_eq(hv_plan_set_input(p, "unused", xv, HV_F32, 5), HV_OK);
    ck_assert_msg(hv_plan_run(p) == HV_OK, "%s", hv_last_error());
    hv_plan_get_output(p, "x_out", a, 5);
    hv_plan_get_output(p, "w_out", b, 5);
    hv_plan_get_output(p, "sum", c, 5);
    /* the traffic is counted as the device stores it: 2 inputs and 3 outputs of 5 f16 values, one run */
    hv_device_transfer_stats(device(), &t1);
    ck_assert_uint_eq(t1.uploads - t0.uploads, 2);
    ck_assert_uint_eq(t1.upload_bytes - t0.upload_bytes, 20);
    ck_assert_uint_eq(t1.downloads - t0.downloads, 3);
    ck_assert_uint_eq(t1.download_bytes - t0.download_bytes, 30);
    ck_assert_uint_eq(t1.submits - t0.submits, 1);
    hv_device_transfer_stats(NULL, &t1);
    ck_assert_uint_eq(t1.uploads + t1.downloads + t1.submits, 0);
    for (int i = 0; i < 4; i++) {
        ck_assert_float_eq(a[i], xv[i]);
        ck_assert_float_eq(c[i], hv_f16_round(a[i] + b[i]));
    }
    ck_assert_float_eq(a[4], 65504.0f); /* f16 input saturates */
    hv_plan_free(p);
    hv_graph_free(g);
}
END_TEST

static hv_tensor *conv_weight(hv_graph *g, hv_dtype dt, const char *name, int64_t o, int64_t i, int64_t k) {
    hv_tensor_desc d = hv_desc_make(dt, HV_LAYOUT_ANY, 4, (int64_t[]){o, i, k, k});
    size_t n = (size_t)hv_desc_numel(&d);
    float *v = malloc(n * sizeof *v);
    hvtest_fill_uniform(v, n, (uint64_t)(o * 1000 + i * 10 + k), -0.3f, 0.3f);
    hv_tensor *t = hv_graph_weight(g, name, &d, v, HV_F32);
    free(v);
    return t;
}

START_TEST(conv_block_fuses_with_conv2d_hooks) {
    /* ResNet-style block on NCHW: conv3x3 → relu → conv1x1 → + x → silu. The relu folds into the
     * first conv and the residual add into the second (conv2d's fusion hooks); the final silu cannot
     * (conv2d applies its activation before the residual) and stays a separate op. */
    for (int dt = 0; dt < 2; dt++) {
        hv_dtype t = dt ? HV_F16 : HV_F32;
        hv_graph *g;
        hv_graph_create(&g);
        hv_tensor_desc xd = hv_desc_make(t, HV_LAYOUT_NCHW, 4, (int64_t[]){2, 6, 9, 11});
        hv_tensor *x = hv_graph_input(g, "x", &xd);
        hv_conv2d_params c3 = {.pad_top = 1, .pad_bottom = 1, .pad_left = 1, .pad_right = 1};
        hv_conv2d_params c1 = {0};
        hv_tensor *h = hv_conv2d(g, x, conv_weight(g, t, "c1.w", 10, 6, 3), NULL, NULL, &c3, "conv3x3");
        h = hv_activate(g, h, HV_ACT_RELU, "relu");
        h = hv_conv2d(g, h, conv_weight(g, t, "c2.w", 6, 10, 1), NULL, NULL, &c1, "conv1x1");
        h = hv_add(g, h, x, "residual");
        h = hv_activate(g, h, HV_ACT_SILU, "silu");
        hv_graph_output(g, h, "y");
        ck_assert_msg(hv_graph_status(g) == HV_OK, "%s", hv_last_error());
        hv_plan *cpu, *vk;
        ck_assert_int_eq(hv_plan_create(g, NULL, NULL, &cpu), HV_OK);
        ck_assert_msg(hv_plan_create(g, device(), NULL, &vk) == HV_OK, "%s", hv_last_error());
        ck_assert_uint_eq(hv_plan_fused_count(vk), 2);
        ck_assert_uint_eq(hv_plan_node_count(vk), 3);
        enum { NI = 2 * 6 * 9 * 11 };
        float xin[NI], yc[NI], yv[NI];
        hvtest_fill_uniform(xin, NI, 77, -1, 1);
        hv_plan_set_input(cpu, "x", xin, HV_F32, NI);
        hv_plan_set_input(vk, "x", xin, HV_F32, NI);
        ck_assert_int_eq(hv_plan_run(cpu), HV_OK);
        ck_assert_msg(hv_plan_run(vk) == HV_OK, "%s", hv_last_error());
        hv_plan_get_output(cpu, "y", yc, NI);
        hv_plan_get_output(vk, "y", yv, NI);
        double e = hvtest_nmse(yv, yc, NI);
        fprintf(stderr, "conv block %s: nmse %.3e\n", hv_dtype_name(t), e);
        ck_assert_double_le(e, dt ? 1e-5 : 1e-9);
        hv_plan_free(cpu);
        hv_plan_free(vk);
        hv_graph_free(g);
    }
}
END_TEST

int main(void) {
    Suite *s = suite_create("graph_vulkan");
    TCase *tc = tcase_create("graph_vulkan");
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, vulkan_matches_cpu_f32);
    tcase_add_test(tc, vulkan_matches_cpu_f16);
    tcase_add_test(tc, profile_table_by_op);
    tcase_add_test(tc, deep_residual_net_aliased_on_device);
    tcase_add_test(tc, edge_outputs_input_and_weight);
    tcase_add_test(tc, conv_block_fuses_with_conv2d_hooks);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
