/* Plan-to-plan links (hv_plan_link_input) and device-only outputs (hv_plan_set_output_readback): a network
 * split over two plans, the second fed from the first on the device, equals the same network fed through
 * the host — on the default device (Vulkan here, the CPU backend in the .on_cpu twin) and on the reference
 * backend; the source's latest run is what a replay reads; device-only outputs cost no download and are
 * refused to the host with a clear error; every misuse is an error naming the tensors. */
/* CTEST_ALSO_ON_CPU */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hemovk/graph.h"
#include "hvtest.h"

enum { N = 3, C = 8, C2 = 12, NX = N * C, NH = N * C2, NZ = N * C };

static hv_device *g_dev;

static hv_device *device(void) {
    if (!g_dev) ck_assert_msg(hv_device_open(NULL, &g_dev) == HV_OK, "%s", hv_last_error());
    return g_dev;
}

static hv_tensor *weight(hv_graph *g, hv_dtype dt, const char *name, int64_t d0, int64_t d1) {
    hv_tensor_desc d = d1 ? hv_desc_make(dt, HV_LAYOUT_ANY, 2, (int64_t[]){d0, d1})
                          : hv_desc_make(dt, HV_LAYOUT_ANY, 1, (int64_t[]){d0});
    size_t n = (size_t)hv_desc_numel(&d);
    float *v = malloc(n * sizeof *v);
    uint64_t seed = 7;
    for (const char *c = name; *c; c++) seed = seed * 131 + (uint64_t)*c;
    hvtest_fill_uniform(v, n, seed, -0.5f, 0.5f);
    hv_tensor *t = hv_graph_weight(g, name, &d, v, HV_F32);
    free(v);
    return t;
}

/* Stage A: x {N, C} → h = gelu(x·W1ᵀ + b1) {N, C2}, also output "x2" = 2x (read by the host). */
static hv_graph *stage_a(hv_dtype dt) {
    hv_graph *g;
    hv_graph_create(&g);
    hv_tensor_desc xd = hv_desc_make(dt, HV_LAYOUT_ANY, 2, (int64_t[]){N, C});
    hv_tensor *x = hv_graph_input(g, "x", &xd);
    hv_tensor *h = hv_linear(g, x, weight(g, dt, "w1", C2, C), weight(g, dt, "b1", C2, 0), HV_ACT_GELU, "fc1");
    hv_graph_output(g, h, "h");
    hv_graph_output(g, hv_add(g, x, x, "twice"), "x2");
    ck_assert_msg(hv_graph_status(g) == HV_OK, "%s", hv_last_error());
    return g;
}

/* Stage B: h {N, C2} → z = h·W2ᵀ + b2 {N, C}. */
static hv_graph *stage_b(hv_dtype dt) {
    hv_graph *g;
    hv_graph_create(&g);
    hv_tensor_desc hd = hv_desc_make(dt, HV_LAYOUT_ANY, 2, (int64_t[]){N, C2});
    hv_tensor *h = hv_graph_input(g, "h_in", &hd);
    hv_graph_output(g, hv_linear(g, h, weight(g, dt, "w2", C, C2), weight(g, dt, "b2", C, 0), HV_ACT_NONE, "fc2"), "z");
    ck_assert_msg(hv_graph_status(g) == HV_OK, "%s", hv_last_error());
    return g;
}

static void run_a(hv_plan *a, const float *x) {
    ck_assert_int_eq(hv_plan_set_input(a, "x", x, HV_F32, NX), HV_OK);
    ck_assert_msg(hv_plan_run(a) == HV_OK, "%s", hv_last_error());
}

/* z through the host: A's h read back, set as B's input. */
static void through_host(hv_plan *a, hv_plan *b, const float *x, float *z) {
    float h[NH];
    run_a(a, x);
    ck_assert_int_eq(hv_plan_get_output(a, "h", h, NH), HV_OK);
    ck_assert_int_eq(hv_plan_set_input(b, "h_in", h, HV_F32, NH), HV_OK);
    ck_assert_msg(hv_plan_run(b) == HV_OK, "%s", hv_last_error());
    ck_assert_int_eq(hv_plan_get_output(b, "z", z, NZ), HV_OK);
}

static void linked_equals_host(hv_device *dev, hv_dtype dt) {
    uint32_t v0 = hv_validation_message_count();
    hv_graph *ga = stage_a(dt), *gb = stage_b(dt);
    hv_plan *a, *b, *a2, *b2;
    ck_assert_msg(hv_plan_create(ga, dev, NULL, &a) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(hv_plan_create(gb, dev, NULL, &b) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(hv_plan_create(ga, dev, NULL, &a2) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(hv_plan_create(gb, dev, NULL, &b2) == HV_OK, "%s", hv_last_error());
    ck_assert_int_eq(hv_plan_link_input(b2, "h_in", a2, "h"), HV_OK);
    ck_assert_int_eq(hv_plan_set_output_readback(a2, "h", false), HV_OK);
    float x[NX], want[NZ], got[NZ], x2[NX];
    for (int rep = 0; rep < 3; rep++) { /* each replay reads the source's latest run */
        hvtest_fill_uniform(x, NX, 40 + (uint64_t)rep, -2, 2);
        through_host(a, b, x, want);
        hv_transfer_stats s0, s1;
        hv_device_transfer_stats(dev, &s0);
        run_a(a2, x);
        ck_assert_msg(hv_plan_run(b2) == HV_OK, "%s", hv_last_error());
        hv_device_transfer_stats(dev, &s1);
        /* one upload (x), no download: h never crossed to the host */
        ck_assert_uint_eq(s1.downloads - s0.downloads, 0);
        if (dev && s1.submits > s0.submits) ck_assert_uint_eq(s1.uploads - s0.uploads, 1);
        ck_assert_int_eq(hv_plan_get_output(b2, "z", got, NZ), HV_OK);
        for (int i = 0; i < NZ; i++) ck_assert_msg(got[i] == want[i], "z[%d] linked %.9g vs through the host %.9g", i,
                                                   (double)got[i], (double)want[i]);
        ck_assert_int_eq(hv_plan_get_output(a2, "x2", x2, NX), HV_OK); /* the other output still reads back */
        for (int i = 0; i < NX; i++) ck_assert_float_eq(x2[i], dt == HV_F16 ? hv_f16_round(2 * hv_f16_round(x[i])) : 2 * x[i]);
    }
    /* a device-only output is refused to the host, with the way out */
    float h[NH];
    ck_assert_int_eq(hv_plan_get_output(a2, "h", h, NH), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "'h' is kept on the device"));
    ck_assert_int_eq(hv_plan_set_output_readback(a2, "h", true), HV_OK);
    run_a(a2, x);
    ck_assert_int_eq(hv_plan_get_output(a2, "h", h, NH), HV_OK);
    /* unlinked: the input must come from the host again */
    ck_assert_int_eq(hv_plan_link_input(b2, "h_in", NULL, NULL), HV_OK);
    ck_assert_int_eq(hv_plan_run(b2), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "'h_in' was never set"));
    ck_assert_int_eq(hv_plan_set_input(b2, "h_in", h, HV_F32, NH), HV_OK);
    ck_assert_msg(hv_plan_run(b2) == HV_OK, "%s", hv_last_error());
    ck_assert_int_eq(hv_plan_get_output(b2, "z", got, NZ), HV_OK);
    for (int i = 0; i < NZ; i++) ck_assert_float_eq(got[i], want[i]);
    hv_plan_free(b2), hv_plan_free(a2), hv_plan_free(b), hv_plan_free(a);
    hv_graph_free(ga), hv_graph_free(gb);
    ck_assert_uint_eq(hv_validation_message_count(), v0);
}

START_TEST(linked_equals_host_f32) { linked_equals_host(device(), HV_F32); }
END_TEST

START_TEST(linked_equals_host_f16) { linked_equals_host(device(), HV_F16); }
END_TEST

START_TEST(linked_equals_host_reference_backend) {
    linked_equals_host(NULL, HV_F32);
    linked_equals_host(NULL, HV_F16);
}
END_TEST

START_TEST(misuse_is_an_error_naming_the_tensors) {
    hv_graph *ga = stage_a(HV_F32), *gb = stage_b(HV_F32), *g16 = stage_b(HV_F16);
    hv_plan *a, *b, *b16, *ref_a;
    ck_assert_msg(hv_plan_create(ga, device(), NULL, &a) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(hv_plan_create(gb, device(), NULL, &b) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(hv_plan_create(g16, device(), NULL, &b16) == HV_OK, "%s", hv_last_error());
    ck_assert_msg(hv_plan_create(ga, NULL, NULL, &ref_a) == HV_OK, "%s", hv_last_error());
    /* shapes and dtypes must agree */
    ck_assert_int_eq(hv_plan_link_input(b, "h_in", a, "x2"), HV_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "input 'h_in'"));
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "output 'x2'"));
    ck_assert_int_eq(hv_plan_link_input(b16, "h_in", a, "h"), HV_ERR_SHAPE);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "f16"));
    /* unknown names list what there is */
    ck_assert_int_eq(hv_plan_link_input(b, "nope", a, "h"), HV_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "'h_in'"));
    ck_assert_int_eq(hv_plan_link_input(b, "h_in", a, "nope"), HV_ERR_NOT_FOUND);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "'h'"));
    ck_assert_int_eq(hv_plan_set_output_readback(a, "nope", false), HV_ERR_NOT_FOUND);
    /* plans of different devices, and a plan reading itself */
    ck_assert_int_eq(hv_plan_link_input(b, "h_in", ref_a, "h"), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "different devices"));
    ck_assert_int_eq(hv_plan_link_input(b, "h_in", b, "z"), HV_ERR_INVALID_ARGUMENT);
    /* linked, the source has not run: refused; the input cannot be set from the host */
    ck_assert_int_eq(hv_plan_link_input(b, "h_in", a, "h"), HV_OK);
    ck_assert_int_eq(hv_plan_run(b), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "has not run yet"));
    float h[NH] = {0};
    ck_assert_int_eq(hv_plan_set_input(b, "h_in", h, HV_F32, NH), HV_ERR_INVALID_ARGUMENT);
    ck_assert_ptr_nonnull(strstr(hv_last_error(), "linked"));
    hv_plan_free(ref_a), hv_plan_free(b16), hv_plan_free(b), hv_plan_free(a);
    hv_graph_free(ga), hv_graph_free(gb), hv_graph_free(g16);
}
END_TEST

int main(void) {
    Suite *s = suite_create("plan_link");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, linked_equals_host_f32);
    tcase_add_test(tc, linked_equals_host_f16);
    tcase_add_test(tc, linked_equals_host_reference_backend);
    tcase_add_test(tc, misuse_is_an_error_naming_the_tensors);
    suite_add_tcase(s, tc);
    return hvtest_run(s);
}
